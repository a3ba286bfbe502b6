//! `POST /signout` (this browser) and `POST /signout-everywhere` (every session, unused link
//! and API token of the member, through `team::revocation`).

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use chrono::Utc;
use http::{HeaderMap, header};
use serde::Deserialize;

use super::common::{Client, csrf_refused, see_other};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::team::session::{self, CurrentMember};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/signout", post(signout))
        .route("/signout-everywhere", post(signout_everywhere))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

fn signed_out(s: &AppState) -> Response {
    let mut res = see_other("/");
    res.headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie(s));
    res
}

async fn signout(
    State(s): State<AppState>,
    Lang(tr): Lang,
    current: CurrentMember,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let binding = &current.session.id_hash;
    if !csrf::check_bound(&s.csrf, &headers, Some(&f.csrf), binding, Utc::now()) {
        return csrf_refused(&s, &tr);
    }
    session::delete(&s.db, binding).await?;
    Ok(signed_out(&s))
}

async fn signout_everywhere(
    State(s): State<AppState>,
    Lang(tr): Lang,
    current: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let binding = &current.session.id_hash;
    if !csrf::check_bound(&s.csrf, &headers, Some(&f.csrf), binding, Utc::now()) {
        return csrf_refused(&s, &tr);
    }
    let m = &current.member;
    // Every session, unused link and API token of the member ends (team::revocation).
    let by = client.actor(Some(&m.id), &m.email);
    crate::team::revocation::end_all(&s.db, &m.id, None, &by, "signout.everywhere", "").await?;
    Ok(signed_out(&s))
}
