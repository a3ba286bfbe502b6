//! The donor's way back from PayPal: `GET /providers/paypal/return?checkout=…&token=…`
//! (PayPal adds `token`, the order id, and `PayerID`) and `GET /providers/paypal/cancel`.
//!
//! The return captures the approved order, if the checkout can still be paid
//! (`checkout::payable`; otherwise nothing is taken and the donor is told), (`payments::paypal::PaypalProvider::capture`,
//! idempotent on our checkout id) and applies the capture through the one callback path
//! (`callbacks::apply`, then `provider::settle`): a success names the capture id as the
//! payment reference, the same reference PayPal's `PAYMENT.CAPTURE.COMPLETED` webhook
//! carries, so whichever arrives second finds the donation recorded and changes nothing.
//! The capture must name this checkout (its `custom_id`), or the order is someone else's.
//! A capture of another amount or currency than the checkout's is not recorded (no wrong
//! total): the treasurers are e-mailed and the donor is told.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::provider::settle;
use crate::campaigns::{Campaign, repo};
use crate::donations::alerts::{self, Alert};
use crate::donations::callbacks::{self, CallbackError};
use crate::donations::checkout::{self, CheckoutSession, SessionStatus};
use crate::http::{AppError, AppState, Lang};
use crate::i18n::I18n;
use crate::payments::paypal::{CaptureOutcome, valid_order_id};
use crate::payments::{CallbackEvent, VerifiedCallback};
use crate::web::{ErrorPage, PageCtx};

#[derive(Deserialize)]
pub(super) struct Back {
    checkout: Option<String>,
    token: Option<String>,
}

/// The session a return or cancel names, with its campaign: PayPal's only.
async fn session_of(s: &AppState, q: &Back) -> Result<(CheckoutSession, Campaign), AppError> {
    if s.providers.paypal().is_none() {
        return Err(AppError::NotFound);
    }
    let id = q
        .checkout
        .as_deref()
        .filter(|id| id.len() <= 64)
        .ok_or(AppError::NotFound)?;
    let session = checkout::get(&s.db, id)
        .await?
        .filter(|s| s.provider == "paypal")
        .ok_or(AppError::NotFound)?;
    let c = repo::by_id(&s.db, session.campaign_id())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((session, c))
}

fn to_form(c: &Campaign, session: &CheckoutSession, why: &str) -> Response {
    Redirect::to(&format!(
        "/campaigns/{}?checkout={why}&from={}#donate",
        c.slug, session.id
    ))
    .into_response()
}

fn thanks(c: &Campaign, donation_id: &str) -> Response {
    Redirect::to(&format!("/campaigns/{}/thanks/{donation_id}", c.slug)).into_response()
}

/// A page with one sentence (PayPal unreachable, a capture that does not match).
fn message_page(
    s: &AppState,
    tr: &I18n,
    status: StatusCode,
    key: &str,
) -> Result<Response, AppError> {
    let page = ErrorPage {
        page: PageCtx::new(s, tr, "/"),
        status: status.as_u16(),
        message: tr.t(key),
        request_id: String::new(),
    };
    let mut res = (status, Html(page.render()?)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Closes the session as declined or canceled through the callback path, then back to the
/// form filled in.
async fn close(
    s: &AppState,
    c: &Campaign,
    session: &CheckoutSession,
    kind: CallbackEvent,
    event_id: String,
) -> Result<Response, AppError> {
    let why = if kind == CallbackEvent::Declined {
        "declined"
    } else {
        "canceled"
    };
    let cb = VerifiedCallback {
        event_id,
        session_id: session.id.clone(),
        kind,
    };
    settle(s, callbacks::apply(&s.db, "paypal", cb).await).await?;
    Ok(to_form(c, session, why))
}

/// `GET /providers/paypal/return`.
pub(super) async fn paypal_return(
    State(s): State<AppState>,
    Query(q): Query<Back>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let (session, c) = session_of(&s, &q).await?;
    match (session.status, &session.donation_id) {
        (_, Some(d)) => return Ok(thanks(&c, d)),
        (SessionStatus::Declined, _) => return Ok(to_form(&c, &session, "declined")),
        (SessionStatus::Canceled, _) => return Ok(to_form(&c, &session, "canceled")),
        _ => {}
    }
    let Some(order) = q.token.as_deref().filter(|t| valid_order_id(t)) else {
        return Err(AppError::NotFound);
    };
    let Some(paypal) = s.providers.paypal().cloned() else {
        return Err(AppError::NotFound);
    };
    // No money is taken for a checkout that can no longer be paid (expired, or the
    // campaign stopped accepting): the approved order is left to lapse at PayPal.
    if let Err(why) = checkout::payable(&session, &c, Utc::now()) {
        let key = match why {
            checkout::Unpayable::CampaignNotAccepting => "checkout-unpayable-campaign",
            _ => "checkout-unpayable-expired",
        };
        return message_page(&s, &tr, StatusCode::CONFLICT, key);
    }
    let capture = match paypal.capture(order, &session.id).await {
        Ok(CaptureOutcome::Captured(cap)) => cap,
        Ok(CaptureOutcome::Refused(issue)) => {
            let event = format!("return:{order}:refused");
            tracing::info!(checkout = %session.id, issue, "PayPal capture refused");
            return close(&s, &c, &session, CallbackEvent::Declined, event).await;
        }
        Err(e) => {
            tracing::warn!(checkout = %session.id, error = %e, "PayPal capture failed");
            return message_page(
                &s,
                &tr,
                StatusCode::BAD_GATEWAY,
                "paypal-capture-unavailable",
            );
        }
    };
    if capture.checkout_id.as_deref() != Some(session.id.as_str()) {
        tracing::warn!(checkout = %session.id, "PayPal order of another checkout");
        return Err(AppError::NotFound);
    }
    match capture.status.as_str() {
        "COMPLETED" => {}
        "DECLINED" | "FAILED" => {
            let event = format!("return:{}", capture.id);
            return close(&s, &c, &session, CallbackEvent::Declined, event).await;
        }
        // PENDING (an eCheck, a review at PayPal): the webhook records it when it completes.
        _ => {
            return Ok(
                Redirect::to(&format!("/campaigns/{}?checkout=pending", c.slug)).into_response(),
            );
        }
    }
    let cb = VerifiedCallback {
        event_id: format!("return:{}", capture.id),
        session_id: session.id.clone(),
        kind: CallbackEvent::Succeeded {
            payment_reference: capture.id.clone(),
            amount: capture.amount,
        },
    };
    match callbacks::apply(&s.db, "paypal", cb).await {
        Err(CallbackError::AmountMismatch(detail)) => {
            s.metrics
                .callbacks_rejected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(checkout = %session.id, capture = %capture.id, detail, "PayPal captured another amount: not recorded");
            let alert = Alert::CaptureMismatch {
                provider: "PayPal",
                reference: capture.id.clone(),
                expected: session.intent.amount,
                captured: capture.amount,
            };
            alerts::tell_treasurers(&s, &c, &alert).await;
            message_page(&s, &tr, StatusCode::CONFLICT, "paypal-capture-mismatch")
        }
        r => {
            let out = settle(&s, r).await?;
            match out.donation_id {
                Some(d) => Ok(thanks(&c, &d)),
                None => Ok(Redirect::to(&format!("/campaigns/{}", c.slug)).into_response()),
            }
        }
    }
}

/// `GET /providers/paypal/cancel`: the donor left PayPal without paying.
pub(super) async fn paypal_cancel(
    State(s): State<AppState>,
    Query(q): Query<Back>,
) -> Result<Response, AppError> {
    let (session, c) = session_of(&s, &q).await?;
    if let Some(d) = &session.donation_id {
        return Ok(thanks(&c, d));
    }
    let event = format!("cancel:{}", session.id);
    close(&s, &c, &session, CallbackEvent::Canceled, event).await
}
