//! The "choose a password" form reached from a single-use link (an invitation or a password
//! reset): the link must still work for a member in the status it is for, and is used once.

use askama::Template;
use axum::response::Response;
use chrono::Utc;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::common::page_response;
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState, csrf};
use crate::i18n::I18n;
use crate::passwords as password;
use crate::team::links::{self, Purpose};
use crate::team::{Member, MemberStatus, repo};
use crate::web::form::Errors;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewPasswordForm {
    csrf: String,
    password: String,
    confirm: String,
    /// The invitation form's time-zone choice (the reset form has none).
    pub(super) time_zone: Option<String>,
}

fn check_new_password(tr: &I18n, f: &NewPasswordForm) -> Errors {
    let mut errors = Errors::default();
    if let Err(e) = password::validate(&f.password) {
        errors.add("password", tr.t(e.message_key()));
    } else if f.password != f.confirm {
        errors.add("confirm", tr.t("signin-password-mismatch"));
    }
    if let Some(z) = &f.time_zone
        && crate::team::profile::zone(z).is_none()
    {
        errors.add("time_zone", tr.t("profile-zone-invalid"));
    }
    errors
}

/// The status a member must have for a link of this purpose to work: an invitation is for
/// an invited member, everything else for an active one.
fn status_for(purpose: Purpose) -> MemberStatus {
    match purpose {
        Purpose::Invite => MemberStatus::Invited,
        Purpose::Reset | Purpose::SignIn => MemberStatus::Active,
    }
}

/// The member a link of this purpose belongs to, while it is valid and the member still
/// has the status the link is for ([`status_for`]).
async fn link_member(db: &Db, token: &str, purpose: Purpose) -> DbResult<Option<Member>> {
    let Some(id) = links::peek(db, token, purpose).await? else {
        return Ok(None);
    };
    Ok(repo::by_id(db, &id)
        .await?
        .filter(|m| m.status == status_for(purpose)))
}

/// `GET` of a link's "choose a password" page: the form while the link works, else 410.
pub(super) async fn link_page<P: Template>(
    s: &AppState,
    token: &str,
    purpose: Purpose,
    view: impl FnOnce(Option<&Member>) -> P,
) -> Result<Response, AppError> {
    let m = link_member(&s.db, token, purpose).await?;
    let status = if m.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok(page_response(status, view(m.as_ref()).render()?))
}

/// A page with a "choose a password" form reached from a single-use link.
pub(super) trait PasswordLinkPage: Template {
    fn feedback(&mut self) -> (&mut String, &mut Errors);
}

/// The steps the invitation and the reset forms share: the link must still be valid for a
/// member in the status it is for, the form must pass CSRF and the password rules, then the link is used
/// (once, even with two nodes racing) and the new hash stored. `Ok(Err(page))` is the page to
/// send back instead (410 for a dead link, 422 for a bad form).
pub(super) async fn password_from_link<P: PasswordLinkPage>(
    s: &AppState,
    tr: &I18n,
    token: &str,
    purpose: Purpose,
    headers: &HeaderMap,
    f: &NewPasswordForm,
    view: impl Fn(Option<&Member>) -> P,
) -> Result<Result<Member, Response>, AppError> {
    let m = link_member(&s.db, token, purpose).await?;
    let mut page = view(m.as_ref());
    let Some(m) = m else {
        return Ok(Err(page_response(StatusCode::GONE, page.render()?)));
    };
    let refused = if !csrf::check(&s.csrf, headers, Some(&f.csrf), Utc::now()) {
        Some((tr.t("error-csrf"), Errors::default()))
    } else {
        let errors = check_new_password(tr, f);
        (!errors.is_empty()).then(|| (tr.t("error-form"), errors))
    };
    if let Some((notice, errors)) = refused {
        let (n, e) = page.feedback();
        (*n, *e) = (notice, errors);
        return Ok(Err(page_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            page.render()?,
        )));
    }
    let hash = s.hasher.hash(&f.password).await?;
    if links::consume(&s.db, token, purpose).await?.as_deref() != Some(m.id.as_str()) {
        return Ok(Err(page_response(StatusCode::GONE, view(None).render()?)));
    }
    repo::set_password_hash(&s.db, &m.id, &hash).await?;
    Ok(Ok(m))
}
