//! `POST /admin/donations/{id}/erase`: a treasurer (who may enter donations for its campaign)
//! erases the personal data of the donation's donor, everywhere their address appears
//! (`privacy::erase`, audited `donor.erased`), after ticking the confirmation box.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};

use crate::console::{Console, Fields};
use crate::http::AppError;

use super::detail::{refused_notice, writable};

pub async fn erase(
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
    let Some(email) = d.donor_email.clone().filter(|e| !e.is_empty()) else {
        return refused(tr.t("console-erase-no-address")).await;
    };
    if f.get("confirm") != "yes" {
        return refused(tr.t("console-erase-confirm-missing")).await;
    }
    let who = cx.actor();
    let requested_by = format!("member:{}", cx.me.member.id);
    let out = crate::privacy::erase(&cx.s.db, &cx.s.mailer, &email, &requested_by, &who)
        .await
        .map_err(AppError::Internal)?;
    Ok(Redirect::to(&format!(
        "/admin/donations/{}?erased={}",
        d.id, out.pseudonym
    ))
    .into_response())
}
