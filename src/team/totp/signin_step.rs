//! `/signin/2fa`: the second step of signing in, for a pending session (password done).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{Duration, Utc};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use super::setup::{CodeForm, code_message, csrf_ok};
use super::state::{CodeCheck, verify};
use super::{MAX_FAILURES, MAX_FAILURES_PER_HOUR, recovery_codes_left};
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState, Lang};
use crate::i18n::I18n;
use crate::team::account::{Client, actor, private_page, safe_next};
use crate::team::session::{self, PendingMember};
use crate::team::throttle;
use crate::team::{audit, repo};
use crate::web::PageCtx;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/signin/2fa", get(signin_page).post(signin_submit))
}

#[derive(Template)]
#[template(path = "team/twofactor_signin.html")]
pub struct SigninTwoFactorPage {
    pub page: PageCtx,
    pub csrf: String,
    pub next: String,
    pub error: String,
    /// Too many wrong codes: the pending session is gone; sign in again.
    pub locked: bool,
}

impl SigninTwoFactorPage {
    fn new(s: &AppState, tr: &I18n, pending: &PendingMember, next: Option<&str>) -> Self {
        SigninTwoFactorPage {
            page: PageCtx::new(s, tr, "/signin/2fa"),
            csrf: s.csrf.token_bound(&pending.session.id_hash, Utc::now()),
            next: safe_next(next, "/admin"),
            error: String::new(),
            locked: false,
        }
    }

    /// The page saying the pending session is over (sign in again); removes its cookie.
    fn locked_out(
        mut self,
        s: &AppState,
        status: StatusCode,
        error: String,
    ) -> Result<Response, AppError> {
        self.locked = true;
        self.error = error;
        let mut res = private_page(status, self.render()?);
        res.headers_mut()
            .insert(header::SET_COOKIE, session::clear_cookie(s));
        Ok(res)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

async fn signin_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    pending: PendingMember,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let page = SigninTwoFactorPage::new(&s, &tr, &pending, q.next.as_deref());
    Ok(private_page(StatusCode::OK, page.render()?))
}

/// Counts a code on the pending session before it is checked (a right code ends the
/// session, so only wrong ones stay counted); returns the count including this one, or
/// `None` when the session has used up its [`MAX_FAILURES`] (or is gone). One statement, so
/// simultaneous codes on one session are counted one after another.
async fn count_attempt(db: &Db, id_hash: &str) -> DbResult<Option<i64>> {
    repo::sessions::count_mfa_attempt(db, id_hash, MAX_FAILURES).await
}

/// Ends a pending session; `true` when this call ended it (so only one request promotes it).
async fn end_pending(db: &Db, id_hash: &str) -> DbResult<bool> {
    repo::sessions::delete_pending(db, id_hash).await
}

async fn signin_submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    pending: PendingMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let m = &pending.member;
    let mut page = SigninTwoFactorPage::new(&s, &tr, &pending, f.next.as_deref());
    if !csrf_ok(&s, &headers, &f, &pending.session.id_hash) {
        page.error = tr.t("error-csrf");
        return Ok(private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            page.render()?,
        ));
    }
    let who = actor(m, &client);
    let now = Utc::now();
    // The code is counted before it is checked, on the session and in one step with the
    // member's hourly limit, so a burst of guesses (TOTP or recovery codes) gets at most the
    // limits checked.
    let Some(failures) = count_attempt(&s.db, &pending.session.id_hash).await? else {
        session::delete(&s.db, &pending.session.id_hash).await?;
        return page.locked_out(&s, StatusCode::UNAUTHORIZED, tr.t("twofactor-locked"));
    };
    let keys = [(
        format!("2fa:{}", m.id),
        throttle::Rule::Count {
            limit: MAX_FAILURES_PER_HOUR as usize,
            window: Duration::hours(1),
        },
    )];
    let reservation = match throttle::reserve(&s.db, &keys, now).await? {
        throttle::Reserve::Granted(r) => r,
        throttle::Reserve::Refused(_) => {
            session::delete(&s.db, &pending.session.id_hash).await?;
            audit::record(&s.db, &who, "2fa.throttled", &m.id, "sign-in").await?;
            return page.locked_out(
                &s,
                StatusCode::TOO_MANY_REQUESTS,
                tr.t("twofactor-throttled"),
            );
        }
    };
    let check = verify(&s.db, &m.id, &f.code).await?;
    if matches!(check, CodeCheck::Totp | CodeCheck::Recovery) {
        throttle::release(&s.db, &reservation).await?;
        if !end_pending(&s.db, &pending.session.id_hash).await? {
            return Ok(Redirect::to("/signin").into_response());
        }
        if check == CodeCheck::Recovery {
            let left = recovery_codes_left(&s.db, &m.id).await?;
            audit::record(
                &s.db,
                &who,
                "2fa.recovery_code_used",
                &m.id,
                &format!("{left} left"),
            )
            .await?;
        }
        let token = session::create(
            &s.db,
            &m.id,
            false,
            client.user_agent.as_deref(),
            client.ip.as_deref(),
        )
        .await?;
        let mut res = Redirect::to(&page.next).into_response();
        res.headers_mut()
            .insert(header::SET_COOKIE, session::set_cookie(&s, &token));
        return Ok(res);
    }
    // The reserved failures stay.
    audit::record(
        &s.db,
        &who,
        "2fa.failed",
        &m.id,
        &format!("sign-in, attempt {failures}"),
    )
    .await?;
    if failures >= MAX_FAILURES {
        session::delete(&s.db, &pending.session.id_hash).await?;
        return page.locked_out(&s, StatusCode::UNAUTHORIZED, tr.t("twofactor-locked"));
    }
    page.error = code_message(&tr, check);
    Ok(private_page(StatusCode::UNAUTHORIZED, page.render()?))
}
