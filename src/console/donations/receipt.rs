//! `POST /admin/donations/{id}/receipt`: the "Resend receipt" button of a donation's page,
//! for members who may enter donations for its campaign (treasurers, owners). The receipt
//! job is queued again (`donations::receipts::resend`, audited `donation.receipt_resent`).

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};

use crate::console::{Console, Fields};
use crate::donations::receipts::{self, ResendError};
use crate::http::AppError;

use super::detail::{refused_notice, writable};

/// `POST /admin/donations/{id}/receipt` (only the CSRF token).
pub async fn resend(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let d = writable(&cx, &id).await?;
    let refused = |notice: String| refused_notice(&cx, &d.id, notice);
    if !cx.csrf_ok(f.csrf()) {
        return refused(tr.t("error-csrf")).await;
    }
    match receipts::resend(&cx.s.db, &d.id, &cx.actor()).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/donations/{}?receipt=1", d.id)).into_response()),
        Err(ResendError::NotFound(_)) => Err(AppError::NotFound),
        Err(ResendError::NoAddress) => refused(tr.t("console-receipt-no-address")).await,
        Err(ResendError::Db(e)) => Err(AppError::Internal(anyhow::anyhow!("{e}"))),
    }
}
