//! Password resets: `/reset` asks for the e-mail address and answers the same whether or not
//! an account has it (the e-mail goes out in the background, at most three an hour per
//! address); `/reset/{token}` chooses the new password, which ends every other credential.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use chrono::{Duration, Utc};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::DEFAULT_NEXT;
use super::common::{Client, deliver, page_response, start_session};
use super::link_form::{NewPasswordForm, PasswordLinkPage, link_page, password_from_link};
use crate::email::Email;
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::team::links::{self, Purpose};
use crate::team::{Member, audit, mailers, repo, throttle};
use crate::web::PageCtx;
use crate::web::form::Errors;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reset", get(reset_page).post(reset_submit))
        .route(
            "/reset/{token}",
            get(reset_token_page).post(reset_token_submit),
        )
}

/// At most this many reset e-mails per address and hour.
const RESET_MAILS_PER_HOUR: usize = 3;

#[derive(Template)]
#[template(path = "team/reset.html")]
struct ResetPage {
    page: PageCtx,
    csrf: String,
    email: String,
    notice: String,
    errors: Errors,
    sent: bool,
}

impl ResetPage {
    fn new(s: &AppState, tr: &I18n) -> ResetPage {
        ResetPage {
            page: PageCtx::new(s, tr, "/reset"),
            csrf: s.csrf.token(Utc::now()),
            email: String::new(),
            notice: String::new(),
            errors: Errors::default(),
            sent: false,
        }
    }
}

async fn reset_page(State(s): State<AppState>, Lang(tr): Lang) -> Result<Response, AppError> {
    Ok(page_response(
        StatusCode::OK,
        ResetPage::new(&s, &tr).render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    csrf: String,
    email: String,
}

async fn reset_submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    let mut page = ResetPage::new(&s, &tr);
    page.email = f.email.trim().chars().take(254).collect();
    if !csrf::check(&s.csrf, &headers, Some(&f.csrf), Utc::now()) {
        page.notice = tr.t("error-csrf");
        return Ok(page_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            page.render()?,
        ));
    }
    let email = match Email::parse(&page.email) {
        Ok(e) => e,
        Err(_) => {
            let key = if page.email.is_empty() {
                "signin-email-missing"
            } else {
                "error-email"
            };
            page.errors.add("email", tr.t(key));
            page.notice = tr.t("error-form");
            return Ok(page_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                page.render()?,
            ));
        }
    };
    // Everything that depends on whether the account exists happens after the answer.
    let s2 = s.clone();
    tokio::spawn(async move {
        if let Err(e) = request_reset(&s2, &email, &client).await {
            tracing::error!(error = %e, "password reset request failed");
        }
    });
    page.sent = true;
    Ok(page_response(StatusCode::OK, page.render()?))
}

async fn request_reset(s: &AppState, email: &Email, client: &Client) -> anyhow::Result<()> {
    let now = Utc::now();
    let key = format!("reset:{}", email.as_str().to_lowercase());
    // Counted and checked in one step, so simultaneous requests cannot pass the limit.
    let rule = throttle::Rule::Count {
        limit: RESET_MAILS_PER_HOUR,
        window: Duration::hours(1),
    };
    if let throttle::Reserve::Refused(_) = throttle::reserve(&s.db, &[(key, rule)], now).await? {
        tracing::info!("password reset e-mail not sent: hourly limit for the address reached");
        return Ok(());
    }
    let Some(m) = repo::by_email(&s.db, email.as_str())
        .await?
        .filter(Member::is_active)
    else {
        return Ok(());
    };
    let token = links::create(&s.db, &m.id, Purpose::Reset).await?;
    audit::record(
        &s.db,
        &client.actor(None, email.as_str()),
        "password.reset_requested",
        &m.id,
        "",
    )
    .await?;
    let url = format!("{}/reset/{token}", s.base_url);
    let site = s.site.get(&s.db).await;
    deliver(s, mailers::reset(&m, &url, Some(site)), "password reset").await;
    Ok(())
}

#[derive(Template)]
#[template(path = "team/reset_password.html")]
struct ResetPasswordPage {
    page: PageCtx,
    csrf: String,
    token: String,
    email: String,
    notice: String,
    errors: Errors,
    gone: bool,
}

fn reset_view(s: &AppState, tr: &I18n, token: &str, m: Option<&Member>) -> ResetPasswordPage {
    ResetPasswordPage {
        page: PageCtx::new(s, tr, &format!("/reset/{token}")),
        csrf: s.csrf.token(Utc::now()),
        token: token.to_string(),
        email: m.map(|m| m.email.clone()).unwrap_or_default(),
        notice: String::new(),
        errors: Errors::default(),
        gone: m.is_none(),
    }
}

async fn reset_token_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    link_page(&s, &token, Purpose::Reset, |m| {
        reset_view(&s, &tr, &token, m)
    })
    .await
}

async fn reset_token_submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, AppError> {
    let view = |m: Option<&Member>| reset_view(&s, &tr, &token, m);
    let m = match password_from_link(&s, &tr, &token, Purpose::Reset, &headers, &f, view).await? {
        Ok(m) => m,
        Err(page) => return Ok(page),
    };
    // The reset used its own link; every other link, session and API token ends too.
    let by = client.actor(Some(&m.id), &m.email);
    crate::team::revocation::end_all(&s.db, &m.id, None, &by, "password.reset", "").await?;
    throttle::clear_account(&s.db, &m.email).await?;
    start_session(&s, &headers, &client, &m, "password reset", DEFAULT_NEXT).await
}
impl PasswordLinkPage for ResetPasswordPage {
    fn feedback(&mut self) -> (&mut String, &mut Errors) {
        (&mut self.notice, &mut self.errors)
    }
}
