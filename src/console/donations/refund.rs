//! `POST /admin/donations/{id}/refund`: the "Refund" form of a donation's page, for members
//! who may enter donations for its campaign (treasurers, owners). The amount is typed in the
//! console's language in the donation's currency (the form opens with what is left); a
//! ticked confirmation is required, and an offline gift's refund needs a memo (how the money
//! went back). A card or PayPal payment is refunded through its provider
//! (`donations::refunds::request`), an offline gift recorded (`record_offline`). A refused
//! form shows the page again (422; 503 when the provider could not be reached) with its
//! values and the reason.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::console::{Console, Errors, Fields};
use crate::donations::offline::PROVIDER as OFFLINE;
use crate::donations::refunds::{self, MAX_REASON_CHARS, RefundError, Requested};
use crate::http::AppError;
use crate::money::{CurrencyCode, Money};
use crate::payments::ProviderError;

use super::detail::{Forms, render_with, writable};

/// The "Refund" form's values and errors (shown again when refused).
#[derive(Debug, Default)]
pub struct RefundForm {
    pub amount: String,
    pub reason: String,
    pub errors: Errors,
}

/// `POST /admin/donations/{id}/refund`: `amount`, `reason`, `confirm=yes`.
pub async fn refund(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let d = writable(&cx, &id).await?;
    let mut form = RefundForm {
        amount: f.text("amount", 40),
        reason: f.text("reason", MAX_REASON_CHARS * 2),
        errors: Errors::default(),
    };
    let refused = |form: RefundForm, notice: String, code: StatusCode| {
        let cx = &cx;
        let id = &d.id;
        async move {
            let forms = Forms {
                refund: Some(form),
                ..Forms::default()
            };
            render_with(cx, id, notice, forms, code).await
        }
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !cx.csrf_ok(f.csrf()) {
        return refused(form, tr.t("error-csrf"), unprocessable).await;
    }
    let offline = d.provider == OFFLINE;
    let currency = CurrencyCode::parse(&d.currency)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("donation currency: {e}")))?;
    let amount = match Money::parse_localized(&form.amount, currency, tr.number_format()) {
        Ok(m) => Some(m),
        Err(e) => {
            form.errors.add("amount", tr.money_error(&e));
            None
        }
    };
    if f.get("confirm") != "yes" {
        form.errors
            .add("confirm", tr.t("console-refund-error-confirm"));
    }
    if offline && form.reason.trim().is_empty() {
        form.errors.add("reason", tr.t("console-refund-error-memo"));
    }
    let Some(amount) = amount.filter(|_| form.errors.is_empty()) else {
        return refused(form, tr.t("error-form"), unprocessable).await;
    };
    let by = cx.actor();
    let done = if offline {
        refunds::record_offline(&cx.s.db, &d.id, amount, &form.reason, &by)
            .await
            .map(Requested::Entered)
    } else {
        refunds::request(&cx.s.db, &cx.s.providers, &d.id, amount, &form.reason, &by).await
    };
    let e = match done {
        Ok(Requested::Entered(e)) => {
            cx.s.hub.observe(&e.campaign_id, e.version);
            return Ok(
                Redirect::to(&format!("/admin/donations/{}?refunded=1", d.id)).into_response(),
            );
        }
        Ok(Requested::UnderWay) => {
            return Ok(
                Redirect::to(&format!("/admin/donations/{}?refund_pending=1", d.id))
                    .into_response(),
            );
        }
        Err(e) => e,
    };
    let (notice, code) = match &e {
        RefundError::Db(e) => return Err(AppError::Internal(anyhow::anyhow!("{e}"))),
        RefundError::NotFound(_) => return Err(AppError::NotFound),
        RefundError::TooMuch { left } => {
            let msg = tr.ta("console-refund-error-too-much", [("left", tr.money(*left))]);
            form.errors.add("amount", msg);
            (tr.t("error-form"), unprocessable)
        }
        RefundError::NotPositive => {
            form.errors.add("amount", tr.t("error-amount-not-positive"));
            (tr.t("error-form"), unprocessable)
        }
        RefundError::NoReason => {
            form.errors.add("reason", tr.t("console-refund-error-memo"));
            (tr.t("error-form"), unprocessable)
        }
        RefundError::ReasonTooLong(max) => {
            let msg = tr.ta("error-too-long", [("max", max.to_string())]);
            form.errors.add("reason", msg);
            (tr.t("error-form"), unprocessable)
        }
        RefundError::Voided => (tr.t("console-refund-error-voided"), unprocessable),
        RefundError::Provider(ProviderError::Unavailable(_)) => (
            tr.t("console-refund-error-unavailable"),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        RefundError::Provider(p) => (
            tr.ta("console-refund-error-refused", [("reason", p.to_string())]),
            unprocessable,
        ),
        RefundError::WrongCurrency { .. } | RefundError::Offline | RefundError::NotOffline(_) => {
            (tr.t("console-refund-error-refused-plain"), unprocessable)
        }
    };
    refused(form, notice, code).await
}
