//! `POST /admin/donations/{id}/erase`: a treasurer (who may enter donations for its campaign)
//! erases the personal data of the donation's donor, everywhere their address appears
//! (`privacy::erase`, audited `donor.erased`), after ticking the confirmation box.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::console::{Console, Fields};
use crate::http::AppError;
use crate::team::Permission;

use super::by_id;
use super::detail::{VoidForm, render};

pub async fn erase(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let d = by_id(&cx.s.db, &id).await?.ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::DonationsWrite, Some(&d.campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    let refused = |notice: String| {
        let cx = &cx;
        let id = &d.id;
        async move {
            let code = StatusCode::UNPROCESSABLE_ENTITY;
            render(cx, id, notice, VoidForm::default(), None, code).await
        }
    };
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
