//! The member's own account page (`/account`): profile (time zone and language, saved by
//! `team::profile`), two-factor status, password change, personal API tokens and "sign out
//! everywhere". Every form carries a CSRF token bound to
//! the session. The two-factor pages themselves live in `team::totp`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::audit::{self, Actor};
use super::profile::{LanguageOpt, ProfileForm, ZoneSelect, language_opts, primary_language};
use super::session::CurrentMember;
use super::{Member, passkeys, repo, revocation, tokens, totp};
use crate::db::DbResult;
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::passwords as password;
use crate::web::PageCtx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

pub use super::signin::Client;

/// The audit actor for a member acting from a client.
pub fn actor(m: &Member, c: &Client) -> Actor {
    c.actor(Some(&m.id), &m.email)
}

/// An HTML page that must not be cached anywhere (it shows secrets or personal data).
pub fn private_page(status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    res
}

/// A same-site path to go on to after a form (`/…`, never `//host` or a backslash trick).
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    next.and_then(crate::http::redirect::local_target)
        .unwrap_or_else(|| default.to_string())
}

/// An API token or a passkey as listed on the account page.
pub struct KeyView {
    pub id: String,
    pub label: String,
    pub created: String,
    pub last_used: String,
}

impl KeyView {
    /// `never` is the message key for a key that was never used.
    fn new(
        tr: &I18n,
        id: String,
        label: String,
        created_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
        never: &str,
    ) -> KeyView {
        KeyView {
            id,
            label,
            created: tr.date(created_at),
            last_used: last_used_at
                .map(|d| tr.date(d))
                .unwrap_or_else(|| tr.t(never)),
        }
    }
}

#[derive(Template)]
#[template(path = "team/account.html")]
pub struct AccountPage {
    pub page: PageCtx,
    pub csrf: String,
    pub display_name: String,
    pub email: String,
    /// The time zone and language as stored, or as typed into a refused form.
    pub profile: ProfileForm,
    pub zones: ZoneSelect,
    pub languages: Vec<LanguageOpt>,
    /// Suggest the browser's zone (`static/zone.js`): the member still has the default one.
    pub zone_suggest: bool,
    pub zone_js: String,
    pub totp_enabled: bool,
    pub has_password: bool,
    pub tokens: Vec<KeyView>,
    pub passkeys: Vec<KeyView>,
    /// Passkeys work on this site (its base URL names a host, not an address).
    pub passkeys_available: bool,
    pub passkeys_js: String,
    /// A token just created: shown this once.
    pub new_token: String,
    pub new_token_label: String,
    pub token_label: String,
    pub token_error: String,
    pub current_error: String,
    pub new_password_error: String,
    pub notice: String,
    /// The top message is an error (not a confirmation).
    pub notice_is_error: bool,
}

impl AccountPage {
    pub(super) async fn new(s: &AppState, tr: &I18n, cur: &CurrentMember) -> DbResult<AccountPage> {
        let m = &cur.member;
        let tokens = tokens::list_active(&s.db, &m.id)
            .await?
            .into_iter()
            .map(|t| {
                let never = "token-never-used";
                KeyView::new(tr, t.id, t.label, t.created_at, t.last_used_at, never)
            })
            .collect();
        let passkeys = passkeys::list(&s.db, &m.id)
            .await?
            .into_iter()
            .map(|p| {
                let never = "passkey-never-used";
                KeyView::new(tr, p.id, p.label, p.created_at, p.last_used_at, never)
            })
            .collect();
        Ok(AccountPage {
            page: PageCtx::new(s, tr, "/account"),
            csrf: s.csrf.token_bound(&cur.session.id_hash, Utc::now()),
            display_name: m.display_name.clone(),
            email: m.email.clone(),
            profile: ProfileForm::of(m),
            zones: ZoneSelect::new(tr, &m.time_zone),
            languages: language_opts(primary_language(&m.languages)),
            zone_suggest: m.time_zone == super::profile::DEFAULT_ZONE,
            zone_js: s.assets.url("zone.js").to_string(),
            totp_enabled: m.totp_enabled,
            has_password: m.has_password,
            tokens,
            passkeys,
            passkeys_available: passkeys::available(s),
            passkeys_js: s.assets.url("passkeys.js").to_string(),
            new_token: String::new(),
            new_token_label: String::new(),
            token_label: String::new(),
            token_error: String::new(),
            current_error: String::new(),
            new_password_error: String::new(),
            notice: String::new(),
            notice_is_error: false,
        })
    }
}

impl AccountPage {
    /// The page again with `notice` as an error (422).
    pub(super) fn refused(mut self, notice: String) -> Result<Response, AppError> {
        self.notice = notice;
        self.notice_is_error = true;
        Ok(private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            self.render()?,
        ))
    }
}

/// Whether a form's CSRF token is bound to the member's session.
pub(super) fn csrf_ok(
    s: &AppState,
    headers: &HeaderMap,
    token: Option<&str>,
    cur: &CurrentMember,
) -> bool {
    csrf::check_bound(&s.csrf, headers, token, &cur.session.id_hash, Utc::now())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: Option<String>,
}

/// Confirmation messages shown after a redirect, by their query value.
fn notice_text(tr: &I18n, key: Option<&str>) -> String {
    match key {
        Some("password-changed") => tr.t("account-password-changed-revoked"),
        Some("token-revoked") => tr.t("token-revoked"),
        Some("2fa-disabled") => tr.t("twofactor-disabled"),
        Some("passkey-added") => tr.t("passkey-added"),
        Some("passkey-deleted") => tr.t("passkey-deleted"),
        Some("profile-saved") => tr.t("profile-saved"),
        _ => String::new(),
    }
}

async fn account_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    if totp::must_enroll(&cur.member, &s.db).await {
        return Ok(totp::enroll_redirect());
    }
    let mut page = AccountPage::new(&s, &tr, &cur).await?;
    page.notice = notice_text(&tr, q.notice.as_deref());
    Ok(private_page(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    csrf: Option<String>,
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let mut page = AccountPage::new(&s, &tr, &cur).await?;
    if !csrf_ok(&s, &headers, f.csrf.as_deref(), &cur) {
        return page.refused(tr.t("error-csrf"));
    }
    if let Err(e) = password::validate(&f.new_password) {
        page.new_password_error = tr.ta(
            e.message_key(),
            [
                ("min", password::MIN_CHARS.to_string()),
                ("max", password::MAX_CHARS.to_string()),
            ],
        );
    }
    let stored = repo::password_hash(&s.db, &cur.member.id).await?;
    if stored.is_some()
        && (f.current_password.chars().count() > password::MAX_CHARS
            || !s
                .hasher
                .verify(&f.current_password, stored.as_deref())
                .await?)
    {
        page.current_error = tr.t("account-password-wrong");
        audit::record(
            &s.db,
            &actor(&cur.member, &client),
            "password.change_failed",
            &cur.member.id,
            "wrong current password",
        )
        .await?;
    }
    if !page.current_error.is_empty() || !page.new_password_error.is_empty() {
        return page.refused(tr.t("error-form"));
    }
    let hash = s.hasher.hash(&f.new_password).await?;
    repo::set_password_hash(&s.db, &cur.member.id, &hash).await?;
    // Whoever knew the old password may hold other sessions, tokens or unused links: all end
    // (this session stays), recorded as `password.changed` with the counts.
    revocation::end_all(
        &s.db,
        &cur.member.id,
        Some(&cur.session.id_hash),
        &actor(&cur.member, &client),
        "password.changed",
        if stored.is_none() {
            "; first password"
        } else {
            ""
        },
    )
    .await?;
    Ok(Redirect::to("/account?notice=password-changed").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    csrf: Option<String>,
    label: String,
}

async fn create_token(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    if totp::must_enroll(&cur.member, &s.db).await {
        return Ok(totp::enroll_redirect());
    }
    let mut page = AccountPage::new(&s, &tr, &cur).await?;
    page.token_label = f.label.chars().take(200).collect();
    if !csrf_ok(&s, &headers, f.csrf.as_deref(), &cur) {
        return page.refused(tr.t("error-csrf"));
    }
    let Some(label) = tokens::clean_label(&f.label) else {
        page.token_error = tr.ta(
            "token-label-invalid",
            [("max", tokens::MAX_LABEL.to_string())],
        );
        return page.refused(tr.t("error-form"));
    };
    let (_, token) =
        tokens::create(&s.db, &cur.member.id, &label, &actor(&cur.member, &client)).await?;
    // Shown once, in this response only: render the page (not a redirect).
    let mut page = AccountPage::new(&s, &tr, &cur).await?;
    page.new_token = token;
    page.new_token_label = label;
    Ok(private_page(StatusCode::OK, page.render()?))
}

/// A form that carries only its CSRF token.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CsrfOnly {
    pub(super) csrf: Option<String>,
}

async fn revoke_token(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    if !csrf_ok(&s, &headers, f.csrf.as_deref(), &cur) {
        let page = AccountPage::new(&s, &tr, &cur).await?;
        return page.refused(tr.t("error-csrf"));
    }
    if !tokens::revoke(&s.db, &cur.member.id, &id, &actor(&cur.member, &client)).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account?notice=token-revoked").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths() {
        assert_eq!(safe_next(Some("/admin/x?y=1"), "/admin"), "/admin/x?y=1");
        assert_eq!(safe_next(Some("//evil.example"), "/admin"), "/admin");
        assert_eq!(safe_next(Some("https://evil.example"), "/admin"), "/admin");
        assert_eq!(safe_next(Some("/\\evil"), "/admin"), "/admin");
        assert_eq!(safe_next(None, "/admin"), "/admin");
        // A line break would make an invalid Location header.
        assert_eq!(
            safe_next(Some("/admin\r\nSet-Cookie: x=1"), "/admin"),
            "/admin"
        );
    }
}
