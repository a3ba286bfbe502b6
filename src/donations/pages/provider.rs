//! The test provider's hosted checkout page (`/test-checkout/{session_id}`) and the
//! providers' callback endpoint (`POST /providers/{provider}/callback`). Both run
//! [`callbacks::handle`], then what follows a committed callback ([`run_callback`]).

use std::sync::atomic::Ordering;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::parse_form;
use crate::campaigns::repo;
use crate::donations::callbacks::{self, CallbackError, CallbackOutcome, CallbackStatus};
use crate::donations::checkout::{self, SessionStatus};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::payments::ProviderError;
use crate::payments::test::{Outcome, SIGNATURE_HEADER};
use crate::web::PageCtx;

#[derive(Template)]
#[template(path = "test_checkout.html")]
struct TestCheckoutPage {
    page: PageCtx,
    session_id: String,
    campaign_title: String,
    amount: String,
    csrf: String,
    open: bool,
    /// Why it cannot be paid (shown instead of the buttons).
    closed_reason: String,
    /// Where a finished checkout leads on ([`next_step`]), and the link's text.
    next_href: String,
    next_label: String,
}

/// Where the page of a checkout that can no longer be paid sends the donor: a paid one to
/// its donation's thank-you page, a declined or canceled one back to the donate form filled
/// in as before, any other to the campaign page. (href, message key of the link text)
fn next_step(
    session: &checkout::CheckoutSession,
    slug: &str,
    why: checkout::Unpayable,
) -> (String, &'static str) {
    match (why, &session.donation_id) {
        (checkout::Unpayable::Succeeded, Some(d)) => (
            format!("/campaigns/{slug}/thanks/{d}"),
            "checkout-see-thanks",
        ),
        (checkout::Unpayable::Declined, _) => (
            format!(
                "/campaigns/{slug}?checkout=declined&from={}#donate",
                session.id
            ),
            "checkout-try-again",
        ),
        (checkout::Unpayable::Canceled, _) => (
            format!(
                "/campaigns/{slug}?checkout=canceled&from={}#donate",
                session.id
            ),
            "checkout-try-again",
        ),
        _ => (format!("/campaigns/{slug}"), "back-to-campaign"),
    }
}

/// The hosted test page's sentence for a session that cannot be paid.
fn unpayable_message(tr: &I18n, why: checkout::Unpayable) -> String {
    tr.t(match why {
        checkout::Unpayable::Succeeded => "checkout-closed",
        checkout::Unpayable::Declined | checkout::Unpayable::Canceled => {
            "checkout-unpayable-finished"
        }
        checkout::Unpayable::Expired => "checkout-unpayable-expired",
        checkout::Unpayable::CampaignNotAccepting => "checkout-unpayable-campaign",
    })
}

pub(super) async fn test_checkout(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    if s.providers.test().is_none() {
        return Err(AppError::NotFound);
    }
    let session = checkout::get(&s.db, &session_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = repo::by_id(&s.db, session.campaign_id())
        .await?
        .ok_or(AppError::NotFound)?;
    let why = checkout::payable(&session, &c, Utc::now()).err();
    test_checkout_page(&s, &tr, &session, &c, why, StatusCode::OK)
}

fn test_checkout_page(
    s: &AppState,
    tr: &I18n,
    session: &checkout::CheckoutSession,
    c: &crate::campaigns::Campaign,
    why: Option<checkout::Unpayable>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (next_href, next_key) = why
        .map(|w| next_step(session, c.slug.as_str(), w))
        .unwrap_or_default();
    let page = TestCheckoutPage {
        page: PageCtx::new(s, tr, &format!("/test-checkout/{}", session.id)),
        session_id: session.id.clone(),
        campaign_title: c.title.clone(),
        amount: tr.money(session.intent.amount),
        csrf: s.csrf.token(Utc::now()),
        open: why.is_none(),
        closed_reason: why.map(|w| unpayable_message(tr, w)).unwrap_or_default(),
        next_href,
        next_label: if next_key.is_empty() {
            String::new()
        } else {
            tr.t(next_key)
        },
    };
    let mut res = (status, Html(page.render()?)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The hosted test page's buttons: the provider emits its signed callback, which takes the
/// same path as any provider's webhook, then the donor is sent back to the site.
pub(super) async fn test_checkout_submit(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    Lang(tr): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some(test) = s.providers.test().cloned() else {
        return Err(AppError::NotFound);
    };
    let (_, token, outcome) = parse_form(&tr, &body)?;
    if !csrf::check(&s.csrf, &headers, token.as_deref(), Utc::now()) {
        return Err(AppError::Unprocessable(tr.t("error-csrf")));
    }
    let outcome = outcome
        .as_deref()
        .and_then(Outcome::parse)
        .ok_or_else(|| AppError::Unprocessable(tr.t("error-outcome")))?;
    let session = checkout::get(&s.db, &session_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = repo::by_id(&s.db, session.campaign_id())
        .await?
        .ok_or(AppError::NotFound)?;
    if session.status == SessionStatus::Succeeded
        && let Some(d) = &session.donation_id
    {
        return Ok(Redirect::to(&format!("/campaigns/{}/thanks/{d}", c.slug)).into_response());
    }
    // The rule (checkout::payable): open, before its expiry, campaign accepting. Our own
    // checkout takes no money otherwise, and sends no decline or cancel either.
    if let Err(why) = checkout::payable(&session, &c, Utc::now()) {
        return test_checkout_page(&s, &tr, &session, &c, Some(why), StatusCode::CONFLICT);
    }
    let event = test.event_for(&session.payment_request(), outcome);
    let raw = serde_json::to_vec(&event).map_err(|e| AppError::Internal(e.into()))?;
    let mut cb_headers = HeaderMap::new();
    let sig = test.sign(&raw, Utc::now().timestamp());
    cb_headers.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_str(&sig).map_err(|e| AppError::Internal(e.into()))?,
    );
    let out = run_callback(&s, "test", &cb_headers, &raw).await?;
    // A declined or canceled payment goes back to the donate form, filled in again from
    // the session (`from`).
    let to = match (outcome, out.donation_id) {
        (Outcome::Succeed, Some(d)) => format!("/campaigns/{}/thanks/{d}", c.slug),
        (Outcome::Decline, _) => format!(
            "/campaigns/{}?checkout=declined&from={}#donate",
            c.slug, session.id
        ),
        _ => format!(
            "/campaigns/{}?checkout=canceled&from={}#donate",
            c.slug, session.id
        ),
    };
    Ok(Redirect::to(&to).into_response())
}

fn callback_error(e: CallbackError) -> AppError {
    match e {
        CallbackError::UnknownProvider => AppError::NotFound,
        // The provider's own service did not answer (PayPal's verification call): it sends
        // the event again later.
        CallbackError::Provider(p @ ProviderError::Unavailable(_)) => {
            AppError::Internal(anyhow::anyhow!(p))
        }
        CallbackError::Provider(p) => AppError::BadRequest(p.to_string()),
        CallbackError::UnknownSession(_) => AppError::BadRequest("unknown checkout session".into()),
        CallbackError::Mismatch(m) | CallbackError::AmountMismatch(m) => AppError::Conflict(m),
        CallbackError::Db(d) => AppError::Internal(d.into()),
        // 503 with Retry-After: the provider sends it again later.
        CallbackError::NotYet(why) => {
            tracing::info!(why = %why, "callback answered 503: to be sent again");
            AppError::Busy
        }
    }
}

/// `POST /providers/{provider}/callback`: a provider's signed webhook.
pub(super) async fn provider_callback(
    State(s): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let out = run_callback(&s, &provider, &headers, &body).await?;
    Ok(axum::Json(out).into_response())
}

/// Runs a callback, then what follows its commit: the metrics, the treasurers' e-mail about
/// a donation flagged for review, and this node's live hub.
pub(super) async fn run_callback(
    s: &AppState,
    provider: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<CallbackOutcome, AppError> {
    let r = callbacks::handle(&s.db, &s.providers, provider, headers, body).await;
    let out = settle(s, r).await?;
    if out.status == CallbackStatus::Refunded && out.review == Some(callbacks::UNKNOWN_PAYMENT) {
        crate::donations::alerts::unknown_refund(s, provider).await;
    }
    Ok(out)
}

/// What follows a callback applied (or refused): the metrics, the treasurers' e-mail about a
/// donation flagged for review, and this node's live hub. The provider return routes
/// (`super::paypal`) end here too.
pub(super) async fn settle(
    s: &AppState,
    r: Result<callbacks::Handled, CallbackError>,
) -> Result<CallbackOutcome, AppError> {
    let handled = match r {
        Ok(h) => h,
        Err(e) => {
            if e.is_rejection() {
                s.metrics.callbacks_rejected.fetch_add(1, Ordering::Relaxed);
            }
            return Err(callback_error(e));
        }
    };
    let outcome = handled.outcome;
    if let (Some(c), Some(reason), Some(id)) =
        (&handled.flagged, outcome.review, &outcome.donation_id)
    {
        tracing::warn!(campaign = %c.slug, reason, "late payment recorded and flagged for review");
        let alert = crate::donations::alerts::Alert::NeedsReview {
            donation_id: id.clone(),
            reason,
        };
        crate::donations::alerts::tell_treasurers(s, c, &alert).await;
    }
    if let (Some((c, reason)), Some(id)) = (&handled.disputed, &outcome.donation_id) {
        let alert = crate::donations::alerts::Alert::Disputed {
            donation_id: id.clone(),
            reason: reason.clone(),
        };
        crate::donations::alerts::tell_treasurers(s, c, &alert).await;
    }
    match outcome.status {
        CallbackStatus::Recorded => {
            s.metrics.donations_recorded.fetch_add(1, Ordering::Relaxed);
            // Other nodes learn through NOTIFY or their poll; this one learns now.
            if let Ok(t) = repo::totals(&s.db, &outcome.campaign_id).await {
                s.hub.observe(&outcome.campaign_id, t.version);
            }
        }
        CallbackStatus::Duplicate => {
            s.metrics
                .callbacks_duplicate
                .fetch_add(1, Ordering::Relaxed);
        }
        CallbackStatus::Refunded => {
            if !outcome.campaign_id.is_empty()
                && let Ok(t) = repo::totals(&s.db, &outcome.campaign_id).await
            {
                s.hub.observe(&outcome.campaign_id, t.version);
            }
        }
        CallbackStatus::Declined
        | CallbackStatus::Canceled
        | CallbackStatus::Pending
        | CallbackStatus::Disputed
        | CallbackStatus::Ignored
        | CallbackStatus::Changed => {}
        CallbackStatus::CardDeclined => {
            if !outcome.campaign_id.is_empty() {
                crate::donations::card_testing::after_decline(s, &outcome.campaign_id).await;
            }
        }
        CallbackStatus::PastDue => {
            if let Ok(Some(c)) = repo::by_id(&s.db, &outcome.campaign_id).await {
                tracing::warn!(campaign = %c.slug, "a monthly gift's payment failed");
                let alert = crate::donations::alerts::Alert::MonthlyPaymentFailed;
                crate::donations::alerts::tell_treasurers(s, &c, &alert).await;
            }
        }
    }
    Ok(outcome)
}
