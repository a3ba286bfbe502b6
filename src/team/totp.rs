//! Two-factor sign-in: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, one step of clock
//! skew either way) with ten single-use recovery codes, and the site setting that makes it
//! mandatory for owners and treasurers.
//!
//! * The secret is 160 random bits, stored base32 in `members.totp_secret`. It is created when
//!   the member opens `/account/2fa` and only takes effect (`totp_enabled`) once a code from
//!   the authenticator app confirms it.
//! * A code is accepted once: the member's last used time step is kept
//!   (`members.totp_last_step`) and a code must belong to a later step. The check and the
//!   update are one conditional `UPDATE`, so two nodes racing with the same code accept it once.
//! * Recovery codes are shown once and stored as SHA-256; using one marks it used in the same
//!   statement that checks it.
//! * `/signin/2fa` holds a pending session (password done, second factor not yet). Five
//!   wrong codes end that session; a right one replaces it with a full session (new id).
//!   Twenty wrong codes within an hour, over all of a member's pending sessions, close the
//!   second step for that member until the hour has passed (`login_failures`, key
//!   `2fa:<member id>`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Duration, Utc};
use http::{HeaderMap, StatusCode, header};
use rand::Rng;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::account::{Client, actor, private_page, safe_next};
use super::audit::{self, Actor};
use super::session::{self, CurrentMember, PendingMember};
use super::{Member, Role, throttle};
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::web::PageCtx;
use crate::{on_db, on_tx};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin/2fa", get(signin_page).post(signin_submit))
        .route("/account/2fa", get(setup_page).post(enable))
        .route("/account/2fa/disable", post(disable))
        .route("/account/recovery-codes", post(regenerate_codes))
}

/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Shelfraiser";
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes a pending session may enter before it is ended.
pub const MAX_FAILURES: i64 = 5;
/// Wrong second-step codes per member per hour, over all their pending sessions; past it
/// the second step is refused (429) without checking the code. Someone who knows the
/// password cannot sign in again and again for five more guesses each time.
pub const MAX_FAILURES_PER_HOUR: i64 = 20;
/// The `settings` key: `"true"` when owners and treasurers must use two-factor.
pub const REQUIRE_SETTING: &str = "require_2fa";

/// A fresh 160-bit secret, base32 (RFC 4648, no padding: 32 characters).
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::thread_rng().fill(&mut b);
    totp_rs::Secret::new_stack(b).to_base32()
}

fn totp_for(secret_b32: &str, account: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).ok()?;
    let account: String = account
        .chars()
        .map(|c| if c == ':' { '_' } else { c })
        .collect();
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP_SECS)
        .with_skew(1)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The `otpauth://totp/…` URL an authenticator app reads (also encoded in the QR code).
pub fn otpauth_url(secret_b32: &str, account: &str) -> Option<String> {
    totp_for(secret_b32, account)?.to_url().ok()
}

/// The code for the step containing `unix` (for tests and tools).
pub fn code_at(secret_b32: &str, unix: u64) -> Option<String> {
    Some(totp_for(secret_b32, "x")?.generate(unix).to_string())
}

/// The time step a code belongs to, if it is right for `unix` ± one step. When (rarely) it
/// matches several steps, the latest.
pub fn matching_step(secret_b32: &str, code: &str, unix: u64) -> Option<u64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp_for(secret_b32, "x")?;
    let origin = unix / STEP_SECS;
    (origin.saturating_sub(1)..=origin + 1).rev().find(|step| {
        ct_eq(
            t.generate(step * STEP_SECS).to_string().as_bytes(),
            code.as_bytes(),
        )
    })
}

/// Compares without an early exit.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An inline SVG QR code of `text` (no script, no external reference), labelled for screen
/// readers; safe to put into a page as markup.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    let label: String = label
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '"' | '&'))
        .collect();
    Some(format!(
        "<svg role=\"img\" aria-label=\"{label}\" class=\"qr\"{}",
        &svg[start + 4..]
    ))
}

/// Puts a base32 secret into groups of four for reading and typing.
pub fn group4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------
// Recovery codes
// ---------------------------------------------------------------------------------------

/// Crockford's base32 alphabet: no i, l, o, u.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A fresh recovery code: 10 symbols (50 bits) shown as `xxxxx-xxxxx`.
pub fn new_recovery_code() -> String {
    let mut rng = rand::thread_rng();
    let s: String = (0..10)
        .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..32)] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

/// The canonical form of a typed recovery code: lowercase, no separators, look-alikes mapped
/// (o → 0, i and l → 1); `None` unless it is 10 symbols of the alphabet.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect();
    (s.len() == 10 && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

fn hash_recovery_code(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Replaces the member's recovery codes with fresh ones inside `tx`; returns them for
/// showing once.
async fn replace_recovery_codes(tx: &mut crate::db::Tx, member_id: &str) -> DbResult<Vec<String>> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE member_id = $1"
    )
    .bind(member_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = new_recovery_code();
        if codes.contains(&code) {
            continue;
        }
        let hash = hash_recovery_code(&normalize_recovery_code(&code).unwrap_or_default());
        on_tx!(tx, |c| sqlx::query(
            "INSERT INTO recovery_codes (member_id, code_hash) VALUES ($1, $2)"
        )
        .bind(member_id)
        .bind(&hash)
        .execute(&mut *c)
        .await?
        .rows_affected());
        codes.push(code);
    }
    Ok(codes)
}

/// Uses a recovery code: `true` once per code.
pub async fn use_recovery_code(db: &Db, member_id: &str, input: &str) -> DbResult<bool> {
    let Some(code) = normalize_recovery_code(input) else {
        return Ok(false);
    };
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 WHERE member_id = $1 AND code_hash = $2 AND used_at IS NULL"
    )
    .bind(member_id)
    .bind(hash_recovery_code(&code))
    .bind(Utc::now())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(db: &Db, member_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL"
    )
    .bind(member_id)
    .fetch_one(p)
    .await?))
}

// ---------------------------------------------------------------------------------------
// Stored state
// ---------------------------------------------------------------------------------------

/// A member's two-factor state.
#[derive(Debug, Clone)]
pub struct TotpState {
    pub secret: Option<String>,
    pub enabled: bool,
    pub last_step: Option<i64>,
}

pub async fn state(db: &Db, member_id: &str) -> DbResult<TotpState> {
    let row: Option<(Option<String>, bool, Option<i64>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT totp_secret, totp_enabled, totp_last_step FROM members WHERE id = $1"
    )
    .bind(member_id)
    .fetch_optional(p)
    .await?);
    let (secret, enabled, last_step) = row.unwrap_or((None, false, None));
    Ok(TotpState {
        secret,
        enabled,
        last_step,
    })
}

/// The secret being set up (not yet enabled), creating one when there is none. Two nodes
/// racing store one secret; both read it back.
async fn setup_secret(db: &Db, member_id: &str) -> DbResult<Option<String>> {
    on_db!(db, |p| {
        sqlx::query(
        "UPDATE members SET totp_secret = $2 WHERE id = $1 AND totp_secret IS NULL AND totp_enabled = FALSE"
    )
    .bind(member_id)
    .bind(new_secret())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(state(db, member_id).await?.secret)
}

/// Takes time step `step` for the member: `true` if it is later than every step used before
/// (the code is fresh), `false` for a replay.
async fn claim_step(db: &Db, member_id: &str, step: u64) -> DbResult<bool> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE members SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)"
    )
    .bind(member_id)
    .bind(step)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// What a typed second-factor code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// A fresh, right TOTP code.
    Totp,
    /// An unused recovery code (now used).
    Recovery,
    /// A right TOTP code that was already used.
    Replayed,
    Wrong,
}

fn now_unix() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Checks a TOTP code against `secret` and takes its step (replay-safe).
async fn check_totp(db: &Db, member_id: &str, secret: &str, code: &str) -> DbResult<CodeCheck> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    match matching_step(secret, &code, now_unix()) {
        None => Ok(CodeCheck::Wrong),
        Some(step) if claim_step(db, member_id, step).await? => Ok(CodeCheck::Totp),
        Some(_) => Ok(CodeCheck::Replayed),
    }
}

/// Checks what a member typed at the second step: a TOTP code (6 digits) or a recovery code.
/// Only for members with two-factor enabled.
pub async fn verify(db: &Db, member_id: &str, input: &str) -> DbResult<CodeCheck> {
    let st = state(db, member_id).await?;
    let (true, Some(secret)) = (st.enabled, st.secret) else {
        return Ok(CodeCheck::Wrong);
    };
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
        return check_totp(db, member_id, &secret, &compact).await;
    }
    if use_recovery_code(db, member_id, &compact).await? {
        Ok(CodeCheck::Recovery)
    } else {
        Ok(CodeCheck::Wrong)
    }
}

/// Turns two-factor on (the secret must be the one confirmed), issues recovery codes and
/// records `2fa.enabled`; `None` when it was already on or the secret changed meanwhile.
async fn enable_with(
    db: &Db,
    member_id: &str,
    secret: &str,
    by: &Actor,
) -> DbResult<Option<Vec<String>>> {
    let mut tx = db.begin().await?;
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE members SET totp_enabled = TRUE, updated_at = $3 WHERE id = $1 AND totp_secret = $2 AND totp_enabled = FALSE"
    )
    .bind(member_id)
    .bind(secret)
    .bind(Utc::now())
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    if n != 1 {
        return Ok(None);
    }
    let codes = replace_recovery_codes(&mut tx, member_id).await?;
    audit::record_in(&mut tx, by, "2fa.enabled", member_id, "").await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Turns two-factor off: forgets the secret and the recovery codes; records `2fa.disabled`.
async fn disable_with(db: &Db, member_id: &str, by: &Actor) -> DbResult<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE members SET totp_enabled = FALSE, totp_secret = NULL, updated_at = $2 WHERE id = $1"
    )
    .bind(member_id)
    .bind(Utc::now())
    .execute(&mut *c)
    .await?
    .rows_affected());
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE member_id = $1"
    )
    .bind(member_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    audit::record_in(&mut tx, by, "2fa.disabled", member_id, "").await?;
    tx.commit().await
}

/// Issues new recovery codes (the old ones stop working); records
/// `recovery_codes.regenerated`.
async fn regenerate_with(db: &Db, member_id: &str, by: &Actor) -> DbResult<Vec<String>> {
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, member_id).await?;
    audit::record_in(&mut tx, by, "recovery_codes.regenerated", member_id, "").await?;
    tx.commit().await?;
    Ok(codes)
}

// ---------------------------------------------------------------------------------------
// Requiring two-factor
// ---------------------------------------------------------------------------------------

/// Whether the site requires two-factor for owners and treasurers. Fails closed: when the
/// setting cannot be read it counts as required.
pub async fn require_2fa(db: &Db) -> bool {
    match db.setting(REQUIRE_SETTING).await {
        Ok(v) => v.as_deref() == Some("true"),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the require_2fa setting; treating it as on");
            true
        }
    }
}

/// Turns the requirement on or off and records `settings.require_2fa` (detail `on`/`off`).
pub async fn set_require_2fa(db: &Db, on: bool, by: &Actor) -> DbResult<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    .bind(REQUIRE_SETTING)
    .bind(if on { "true" } else { "false" })
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    audit::record_in(
        &mut tx,
        by,
        "settings.require_2fa",
        REQUIRE_SETTING,
        if on { "on" } else { "off" },
    )
    .await?;
    tx.commit().await
}

/// Whether the requirement (when on) applies to this member's roles.
pub fn role_requires_2fa(m: &Member) -> bool {
    m.has_role(Role::Owner) || m.has_role(Role::Treasurer)
}

/// Whether the member must set up two-factor before using the console: the site requires it,
/// they are an owner or treasurer, and they have not enabled it. Console pages call this and
/// answer [`enroll_redirect`] when it is true.
pub async fn must_enroll(m: &Member, db: &Db) -> bool {
    !m.totp_enabled && role_requires_2fa(m) && require_2fa(db).await
}

/// Where a member who [`must_enroll`] is sent (303), with a notice shown there.
pub fn enroll_redirect() -> Response {
    Redirect::to("/account/2fa?required=1").into_response()
}

// ---------------------------------------------------------------------------------------
// /account/2fa
// ---------------------------------------------------------------------------------------

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
struct CodeForm {
    csrf: Option<String>,
    code: String,
    next: Option<String>,
}

fn csrf_ok(s: &AppState, headers: &HeaderMap, f: &CodeForm, binding: &str) -> bool {
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

fn code_message(tr: &I18n, c: CodeCheck) -> String {
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

// ---------------------------------------------------------------------------------------
// /signin/2fa
// ---------------------------------------------------------------------------------------

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
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "UPDATE sessions SET mfa_failures = mfa_failures + 1 WHERE id_hash = $1 AND mfa_failures < $2 RETURNING mfa_failures"
    )
    .bind(id_hash)
    .bind(MAX_FAILURES)
    .fetch_optional(p)
    .await?
    }))
}

/// Ends a pending session; `true` when this call ended it (so only one request promotes it).
async fn end_pending(db: &Db, id_hash: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE id_hash = $1 AND mfa_pending = TRUE"
    )
    .bind(id_hash)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (8 digits there; the last 6 here).
    #[test]
    fn rfc6238_vectors() {
        let secret = totp_rs::Secret::new_stack(*b"12345678901234567890").to_base32();
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, t).as_deref(), Some(code), "t = {t}");
        }
    }

    #[test]
    fn skew_of_one_step() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let t = 1_700_000_000u64;
        let code = code_at(&secret, t).expect("code");
        assert_eq!(matching_step(&secret, &code, t), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t + 30), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t - 30), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t + 90), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "+12345", t), None);
    }

    #[test]
    fn recovery_codes() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        let n = normalize_recovery_code(&c).expect("valid");
        assert_eq!(normalize_recovery_code(&c.to_uppercase()), Some(n.clone()));
        assert_eq!(normalize_recovery_code(&n), Some(n));
        assert_eq!(
            normalize_recovery_code("ABCDE-FGHOL"),
            Some("abcdefgh01".into())
        );
        assert_eq!(normalize_recovery_code("abc"), None);
        assert_eq!(normalize_recovery_code("abcde-fghu1"), None);
    }

    #[test]
    fn qr_is_inline_svg() {
        let url = otpauth_url(&new_secret(), "a@b.org").expect("url");
        assert!(
            url.starts_with("otpauth://totp/Shelfraiser:a%40b.org?"),
            "{url}"
        );
        let svg = qr_svg(&url, "QR \"code\"").expect("svg");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"QR code\" class=\"qr\" xmlns="));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<script"));
        assert_eq!(group4("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
