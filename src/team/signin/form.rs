//! `GET`/`POST /signin` (e-mail address and password) and the one-time sign-in links of
//! `shelfraiser user add` (`GET /signin/link/{token}`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::DEFAULT_NEXT;
use super::common::{Client, deliver, page_response, safe_next, signed_in, start_session};
use crate::email::Email;
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::passwords as password;
use crate::team::links::{self, Purpose};
use crate::team::{Member, audit, mailers, repo, throttle};
use crate::web::PageCtx;
use crate::web::form::Errors;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin", get(signin_page).post(signin_submit))
        .route("/signin/link/{token}", get(signin_link))
}

pub struct SignedInView {
    pub name: String,
    pub email: String,
    /// CSRF token bound to the session, for the sign-out forms.
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "team/signin.html")]
struct SignInPage {
    page: PageCtx,
    csrf: String,
    next: String,
    email: String,
    notice: String,
    /// The e-mail and password did not match: both fields are marked.
    failed: bool,
    errors: Errors,
    signed_in: Option<SignedInView>,
    /// Passkeys work on this site (see `team::passkeys`).
    passkeys_available: bool,
    passkeys_js: String,
}

impl SignInPage {
    fn new(s: &AppState, tr: &I18n, next: String) -> SignInPage {
        SignInPage {
            page: PageCtx::new(s, tr, "/signin"),
            csrf: s.csrf.token(Utc::now()),
            next,
            email: String::new(),
            notice: String::new(),
            failed: false,
            errors: Errors::default(),
            signed_in: None,
            passkeys_available: crate::team::passkeys::available(s),
            passkeys_js: s.assets.url("passkeys.js").to_string(),
        }
    }
    fn respond(self, status: StatusCode) -> Result<Response, AppError> {
        Ok(page_response(status, self.render()?))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
    /// Set when an editor's text posted after the session ended was kept
    /// (`console::keep`): the page says so.
    kept: String,
}

async fn signin_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let mut page = SignInPage::new(&s, &tr, safe_next(&q.next));
    if !q.kept.is_empty() {
        page.notice = tr.t("signin-kept");
    }
    if let Some((m, sess)) = signed_in(&s, &headers).await? {
        page.signed_in = Some(SignedInView {
            name: m.display_name,
            email: m.email,
            csrf: s.csrf.token_bound(&sess.id_hash, Utc::now()),
        });
    }
    page.respond(StatusCode::OK)
}

/// Too many password checks at once on this node: 503 with `Retry-After`, nothing checked.
fn busy(mut page: SignInPage, tr: &I18n) -> Result<Response, AppError> {
    page.notice = tr.t("security-auth-busy");
    let mut res = page.respond(StatusCode::SERVICE_UNAVAILABLE)?;
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(password::BUSY_RETRY_AFTER_SECS),
    );
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
    csrf: String,
    next: String,
}

async fn signin_submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let tried: String = f.email.trim().chars().take(254).collect();
    let mut page = SignInPage::new(&s, &tr, safe_next(&f.next));
    page.email = tried.clone();
    if !csrf::check(&s.csrf, &headers, Some(&f.csrf), now) {
        page.notice = tr.t("error-csrf");
        return page.respond(StatusCode::UNPROCESSABLE_ENTITY);
    }
    if tried.is_empty() {
        page.errors.add("email", tr.t("signin-email-missing"));
    }
    if f.password.is_empty() {
        page.errors.add("password", tr.t("signin-password-missing"));
    }
    if !page.errors.is_empty() {
        page.notice = tr.t("error-form");
        return page.respond(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let ip = client.ip.as_deref();
    if s.hasher.is_full() {
        return busy(page, &tr);
    }
    // The attempt is counted before the password is checked, in one step with the check of
    // the lockout, so simultaneous guesses cannot pass the limit together.
    let reservation =
        match throttle::reserve(&s.db, &throttle::signin_keys(&tried, ip), now).await? {
            throttle::Reserve::Granted(r) => r,
            throttle::Reserve::Refused(until) => {
                page.notice = tr.tn("signin-throttled", throttle::minutes_left(until, now));
                let mut res = page.respond(StatusCode::TOO_MANY_REQUESTS)?;
                res.headers_mut()
                    .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
                return Ok(res);
            }
        };
    // The same queries and one argon2 verification whether or not the account exists.
    let found = match Email::parse(&tried) {
        Ok(e) => repo::by_email(&s.db, e.as_str()).await?,
        Err(_) => None,
    };
    if found.is_none() {
        // by_email reads the grants of a member it finds: read (no) grants here too.
        repo::grants(&s.db, "").await?;
    }
    let member = found.clone().filter(Member::is_active);
    let stored = repo::password_hash(&s.db, member.as_ref().map_or("", |m| m.id.as_str())).await?;
    let ok = match s.hasher.verify(&f.password, stored.as_deref()).await {
        Ok(ok) => ok,
        Err(e) => {
            // Nothing was checked: the attempt does not count.
            throttle::release(&s.db, &reservation).await?;
            if let password::HashError::Busy = e {
                return busy(page, &tr);
            }
            return Err(e.into());
        }
    };
    let (Some(member), Some(stored), true) = (member.clone(), stored, ok) else {
        // The reserved failure stays.
        let rec = reservation.first;
        let detail = match (&found, &member) {
            (_, Some(_)) => "wrong password",
            (Some(_), None) => "account not active",
            (None, _) => "no such account",
        };
        audit::record(
            &s.db,
            &client.actor(None, &tried),
            "signin.failed",
            found.as_ref().map_or("", |m| m.id.as_str()),
            detail,
        )
        .await?;
        if rec.account_just_locked
            && let Some(m) = member
        {
            let s2 = s.clone();
            let ip = client.ip.clone();
            let count = rec.account_failures;
            tokio::spawn(async move {
                let url = format!("{}/reset", s2.base_url);
                let site = s2.site.get(&s2.db).await;
                let msg = mailers::failures(&m, count, ip.as_deref(), now, &url, Some(site));
                deliver(&s2, msg, "failed sign-ins notice").await;
            });
        }
        page.notice = tr.t("signin-failed");
        page.failed = true;
        return page.respond(StatusCode::UNAUTHORIZED);
    };
    throttle::release(&s.db, &reservation).await?;
    if password::needs_rehash(&stored) {
        // A rehash that finds the hasher busy waits for the next sign-in.
        match s.hasher.hash(&f.password).await {
            Ok(h) => repo::set_password_hash(&s.db, &member.id, &h).await?,
            Err(password::HashError::Busy) => {}
            Err(e) => return Err(e.into()),
        }
    }
    throttle::clear_account(&s.db, &tried).await?;
    start_session(&s, &headers, &client, &member, "password", &page.next).await
}

/// `GET /signin/link/{token}`: a one-time sign-in link from `shelfraiser user add`.
async fn signin_link(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let member = match links::consume(&s.db, &token, Purpose::SignIn).await? {
        Some(id) => repo::by_id(&s.db, &id).await?.filter(Member::is_active),
        None => None,
    };
    let Some(member) = member else {
        let mut page = SignInPage::new(&s, &tr, DEFAULT_NEXT.into());
        page.notice = tr.t("signin-link-gone");
        return page.respond(StatusCode::GONE);
    };
    start_session(
        &s,
        &headers,
        &client,
        &member,
        "one-time link",
        DEFAULT_NEXT,
    )
    .await
}
