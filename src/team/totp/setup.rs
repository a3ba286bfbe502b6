//! `/account/2fa`: setting up two-factor (secret, QR code, first code), turning it off, and
//! new recovery codes; each change needs a current code.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::code::{group4, otpauth_url};
use super::recovery::recovery_codes_left;
use super::require::{require_2fa, role_requires_2fa};
use super::state::{
    CodeCheck, TotpState, check_totp, disable_with, enable_with, regenerate_with, setup_secret,
    state,
};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::team::account::{Client, actor, private_page};
use crate::team::audit;
use crate::team::session::CurrentMember;
use crate::web::PageCtx;
use crate::web::qr::qr_svg;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/2fa", get(setup_page).post(enable))
        .route("/account/2fa/disable", post(disable))
        .route("/account/recovery-codes", post(regenerate_codes))
}

#[derive(Template)]
#[template(path = "team/twofactor.html")]
pub struct TwoFactorPage {
    pub page: PageCtx,
    pub csrf: String,
    pub enabled: bool,
    /// The site requires two-factor for this member's roles (so it cannot be turned off).
    pub required: bool,
    /// Show the "you must set this up first" notice.
    pub must_enroll: bool,
    pub secret: String,
    pub otpauth: String,
    pub qr_svg: String,
    /// Recovery codes just issued: shown this once.
    pub codes: Vec<String>,
    pub codes_left: i64,
    pub enable_error: String,
    pub regen_error: String,
    pub disable_error: String,
    pub notice: String,
    pub notice_is_error: bool,
}

impl TwoFactorPage {
    pub fn codes_left_text(&self) -> String {
        self.page.tr.tn("recovery-codes-left", self.codes_left)
    }

    /// The page again with `notice` as an error.
    fn refused(mut self, status: StatusCode, notice: String) -> Result<Response, AppError> {
        self.notice = notice;
        self.notice_is_error = true;
        Ok(private_page(status, self.render()?))
    }
}

async fn two_factor_page(
    s: &AppState,
    tr: &I18n,
    cur: &CurrentMember,
) -> Result<TwoFactorPage, AppError> {
    Ok(two_factor_page_and_state(s, tr, cur).await?.0)
}

/// The page and the member's two-factor state it shows; while two-factor is off, the
/// state's secret is the one being set up.
async fn two_factor_page_and_state(
    s: &AppState,
    tr: &I18n,
    cur: &CurrentMember,
) -> Result<(TwoFactorPage, TotpState), AppError> {
    let m = &cur.member;
    let mut st = state(&s.db, &m.id).await?;
    let required = role_requires_2fa(m) && require_2fa(&s.db).await;
    let mut page = TwoFactorPage {
        page: PageCtx::new(s, tr, "/account/2fa"),
        csrf: s.csrf.token_bound(&cur.session.id_hash, Utc::now()),
        enabled: st.enabled,
        required,
        must_enroll: required && !st.enabled,
        secret: String::new(),
        otpauth: String::new(),
        qr_svg: String::new(),
        codes: Vec::new(),
        codes_left: 0,
        enable_error: String::new(),
        regen_error: String::new(),
        disable_error: String::new(),
        notice: String::new(),
        notice_is_error: false,
    };
    if st.enabled {
        page.codes_left = recovery_codes_left(&s.db, &m.id).await?;
    } else {
        let secret = setup_secret(&s.db, &m.id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no two-factor secret stored")))?;
        let url = otpauth_url(&secret, &m.email)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad two-factor secret")))?;
        page.qr_svg = qr_svg(&url, &tr.t("twofactor-qr-label")).unwrap_or_default();
        page.secret = group4(&secret);
        page.otpauth = url;
        st.secret = Some(secret);
    }
    Ok((page, st))
}

async fn setup_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
) -> Result<Response, AppError> {
    let page = two_factor_page(&s, &tr, &cur).await?;
    Ok(private_page(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CodeForm {
    pub(super) csrf: Option<String>,
    pub(super) code: String,
    pub(super) next: Option<String>,
}

pub(super) fn csrf_ok(s: &AppState, headers: &HeaderMap, f: &CodeForm, binding: &str) -> bool {
    csrf::check_bound(&s.csrf, headers, f.csrf.as_deref(), binding, Utc::now())
}

fn form_error(page: TwoFactorPage, tr: &I18n) -> Result<Response, AppError> {
    page.refused(StatusCode::UNPROCESSABLE_ENTITY, tr.t("error-form"))
}

/// The steps the `/account/2fa` forms share: the page (to answer with), the CSRF check, and
/// two-factor must be on (`enabled`) or off as the form expects, else back to the page.
/// `Ok(Err(response))` is the answer to send instead.
async fn form_start(
    s: &AppState,
    tr: &I18n,
    cur: &CurrentMember,
    headers: &HeaderMap,
    f: &CodeForm,
    enabled: bool,
) -> Result<Result<(TwoFactorPage, TotpState), Response>, AppError> {
    let (page, st) = two_factor_page_and_state(s, tr, cur).await?;
    if !csrf_ok(s, headers, f, &cur.session.id_hash) {
        return page
            .refused(StatusCode::UNPROCESSABLE_ENTITY, tr.t("error-csrf"))
            .map(Err);
    }
    if page.enabled != enabled {
        return Ok(Err(Redirect::to("/account/2fa").into_response()));
    }
    Ok(Ok((page, st)))
}

pub(super) fn code_message(tr: &I18n, c: CodeCheck) -> String {
    match c {
        CodeCheck::Replayed => tr.t("twofactor-code-used"),
        _ => tr.t("twofactor-code-wrong"),
    }
}

/// POST /account/2fa: the first code from the app confirms the secret and turns two-factor on.
async fn enable(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let (mut page, st) = match form_start(&s, &tr, &cur, &headers, &f, false).await? {
        Ok(started) => started,
        Err(res) => return Ok(res),
    };
    let Some(secret) = st.secret else {
        return form_error(page, &tr);
    };
    let check = check_totp(&s.db, &cur.member.id, &secret, &f.code).await?;
    if check != CodeCheck::Totp {
        page.enable_error = code_message(&tr, check);
        return form_error(page, &tr);
    }
    let Some(codes) =
        enable_with(&s.db, &cur.member.id, &secret, &actor(&cur.member, &client)).await?
    else {
        return Ok(Redirect::to("/account/2fa").into_response());
    };
    let mut cur_on = CurrentMember {
        member: cur.member.clone(),
        session: cur.session.clone(),
    };
    cur_on.member.totp_enabled = true;
    let mut page = two_factor_page(&s, &tr, &cur_on).await?;
    page.codes = codes;
    page.notice = tr.t("twofactor-enabled");
    Ok(private_page(StatusCode::OK, page.render()?))
}

/// Checks the TOTP code that confirms a sensitive change against the member's state `st`;
/// audits `2fa.failed` when wrong.
async fn confirm_with_code(
    s: &AppState,
    cur: &CurrentMember,
    client: &Client,
    st: &TotpState,
    code: &str,
    purpose: &str,
) -> Result<CodeCheck, AppError> {
    let check = match (st.enabled, st.secret.as_deref()) {
        (true, Some(secret)) => check_totp(&s.db, &cur.member.id, secret, code).await?,
        _ => CodeCheck::Wrong,
    };
    if check != CodeCheck::Totp {
        audit::record(
            &s.db,
            &actor(&cur.member, client),
            "2fa.failed",
            &cur.member.id,
            purpose,
        )
        .await?;
    }
    Ok(check)
}

/// POST /account/2fa/disable: needs a current code, and is refused when the site requires
/// two-factor for the member's roles.
async fn disable(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let (mut page, st) = match form_start(&s, &tr, &cur, &headers, &f, true).await? {
        Ok(started) => started,
        Err(res) => return Ok(res),
    };
    if page.required {
        page.disable_error = tr.t("twofactor-cannot-disable");
        let notice = page.disable_error.clone();
        return page.refused(StatusCode::FORBIDDEN, notice);
    }
    let check = confirm_with_code(&s, &cur, &client, &st, &f.code, "disable").await?;
    if check != CodeCheck::Totp {
        page.disable_error = code_message(&tr, check);
        return form_error(page, &tr);
    }
    disable_with(&s.db, &cur.member.id, &actor(&cur.member, &client)).await?;
    Ok(Redirect::to("/account?notice=2fa-disabled").into_response())
}

/// POST /account/recovery-codes: new codes (shown once) for a current TOTP code.
async fn regenerate_codes(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let (mut page, st) = match form_start(&s, &tr, &cur, &headers, &f, true).await? {
        Ok(started) => started,
        Err(res) => return Ok(res),
    };
    let check = confirm_with_code(&s, &cur, &client, &st, &f.code, "recovery codes").await?;
    if check != CodeCheck::Totp {
        page.regen_error = code_message(&tr, check);
        return form_error(page, &tr);
    }
    let codes = regenerate_with(&s.db, &cur.member.id, &actor(&cur.member, &client)).await?;
    page.codes_left = codes.len() as i64;
    page.codes = codes;
    page.notice = tr.t("recovery-codes-regenerated");
    Ok(private_page(StatusCode::OK, page.render()?))
}
