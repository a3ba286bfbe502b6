//! `POST /admin/donations/{id}/void`: the "Void" button of an offline gift's page, for
//! members who may enter donations for its campaign (treasurers, owners). The form asks for a
//! reason and a ticked confirmation; the void itself is `donations::void`, the path
//! `shelfraiser donation void` takes. A refused form shows the page again (422) with its
//! values and the reason it was refused.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::console::{Console, Errors, Fields};
use crate::donations::voids::{MAX_REASON_CHARS, VoidError};
use crate::http::AppError;

use super::detail::{VoidForm, render, writable};

/// `POST /admin/donations/{id}/void`: `reason`, `confirm=yes`.
pub async fn void(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let d = writable(&cx, &id).await?;
    let mut form = VoidForm {
        reason: f.text("reason", MAX_REASON_CHARS * 2),
        errors: Errors::default(),
    };
    let refused = |form: VoidForm, notice: String| {
        let cx = &cx;
        let id = &d.id;
        async move { render(cx, id, notice, form, None, StatusCode::UNPROCESSABLE_ENTITY).await }
    };
    if !cx.csrf_ok(f.csrf()) {
        return refused(form, tr.t("error-csrf")).await;
    }
    if f.get("confirm") != "yes" {
        form.errors
            .add("confirm", tr.t("console-void-error-confirm"));
    }
    if form.reason.trim().is_empty() {
        form.errors.add("reason", tr.t("console-void-error-reason"));
    }
    if !form.errors.is_empty() {
        return refused(form, tr.t("error-form")).await;
    }
    match crate::donations::void(&cx.s.db, &d.id, &form.reason, &cx.actor()).await {
        Ok(done) => {
            cx.s.hub.observe(&done.campaign_id, done.version);
            Ok(Redirect::to(&format!("/admin/donations/{}?voided=1", d.id)).into_response())
        }
        Err(VoidError::Db(e)) => Err(AppError::Internal(anyhow::anyhow!("{e}"))),
        Err(VoidError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => {
            let notice = match &e {
                VoidError::NoReason => {
                    form.errors.add("reason", tr.t("console-void-error-reason"));
                    tr.t("error-form")
                }
                VoidError::ReasonTooLong(max) => {
                    let msg = tr.ta("error-too-long", [("max", max.to_string())]);
                    form.errors.add("reason", msg);
                    tr.t("error-form")
                }
                VoidError::AlreadyVoided { .. } => tr.t("console-void-error-twice"),
                VoidError::Refunded => tr.t("console-void-error-refunded"),
                _ => tr.t("console-void-error-not-offline"),
            };
            refused(form, notice).await
        }
    }
}
