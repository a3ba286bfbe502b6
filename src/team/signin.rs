//! Signing in and out, invitations, password resets and one-time sign-in links.
//!
//! * `POST /signin`: public-form CSRF token + same origin; the throttle ([`super::throttle`])
//!   is asked first; an unknown e-mail address is answered exactly like a wrong password
//!   (same status, message, database work and a dummy argon2 verification), and counted by
//!   the throttle the same way. Success always creates a new session (the id rotates) and
//!   ends the one the browser had. A member with two-factor gets an `mfa_pending` session
//!   and goes on to `/signin/2fa`.
//! * `POST /signout`, `POST /signout-everywhere`: CSRF token bound to the session.
//! * Invitations ([`invite`]), password resets and `shelfraiser user add`
//!   ([`add_member_with_link`]) work through single-use links ([`super::links`]); a used or
//!   expired link answers 410 Gone with a page saying what to do instead.
//! * E-mails are built by [`super::mailers`]; sending never changes a response: failures are
//!   logged and kept in the outbox. Mail that an anonymous visitor triggers (reset, the
//!   failed-attempts notice) is sent in the background, so answer times reveal nothing.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, Utc};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::audit::{self, Actor};
use super::links::{self, Purpose};
use super::repo::{self, CreateMemberError, NewMember};
use super::session::{self, CurrentMember, Session};
use super::{Member, Role, mailers, throttle};
use crate::db::{Db, DbResult};
use crate::email::Email;
use crate::http::{AppError, AppState, Lang, client_ip, cookie, csrf};
use crate::i18n::I18n;
use crate::mail::Message;
use crate::on_db;
use crate::passwords as password;
use crate::web::{ErrorPage, PageCtx};

/// Where a member goes after signing in when no `next` was asked for.
pub const DEFAULT_NEXT: &str = "/admin";
/// The two-factor step (team/totp.rs).
pub const SECOND_FACTOR: &str = "/signin/2fa";
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;
/// At most this many reset e-mails per address and hour.
const RESET_MAILS_PER_HOUR: usize = 3;

pub fn routes() -> Router<AppState> {
    // Make the dummy hash now, so the first unknown e-mail is not answered slower.
    std::thread::spawn(password::warm_up);
    Router::new()
        .route("/signin", get(signin_page).post(signin_submit))
        .route("/signin/link/{token}", get(signin_link))
        .route("/invite/{token}", get(invite_page).post(invite_submit))
        .route("/reset", get(reset_page).post(reset_submit))
        .route(
            "/reset/{token}",
            get(reset_token_page).post(reset_token_submit),
        )
        .route("/signout", post(signout))
        .route("/signout-everywhere", post(signout_everywhere))
        // Passwords are at most 1024 characters; nothing here needs more.
        .layer(DefaultBodyLimit::max(16 * 1024))
}

// ---------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------

/// The client's address ([`crate::http::ClientIp`]: the peer, or what a trusted proxy
/// forwarded) and user agent, for sessions, the throttle and the audit log. Works without
/// `ConnectInfo` too (then the address is unknown).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client {
            ip: client_ip::client_ip(parts, &s.proxies).text(),
            user_agent: client_ip::user_agent(&parts.headers),
        })
    }
}

impl Client {
    /// The audit actor: `member_id` acting (or, with `None`, someone trying `label`) from
    /// this client.
    pub(super) fn actor(&self, member_id: Option<&str>, label: &str) -> Actor {
        Actor {
            member_id: member_id.map(str::to_string),
            label: label.chars().take(254).collect(),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

/// Field errors of a form, for showing it again (`aria-invalid` + message).
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(HashMap<&'static str, String>);

impl FieldErrors {
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }
    fn set(&mut self, field: &'static str, message: String) {
        self.0.insert(field, message);
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A same-site path to go to after signing in: starts with one `/`, printable ASCII only
/// (so it is a valid `Location`); anything else becomes [`DEFAULT_NEXT`].
pub fn safe_next(next: &str) -> String {
    crate::http::redirect::local_target(next).unwrap_or_else(|| DEFAULT_NEXT.to_string())
}

fn page_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    let loc = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    res.headers_mut().insert(header::LOCATION, loc);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A refused form post (forged, missing or stale CSRF token, or a cross-site request).
fn csrf_refused(s: &AppState, tr: &I18n) -> Result<Response, AppError> {
    let page = ErrorPage {
        page: PageCtx::new(s, tr, "/"),
        status: 422,
        message: tr.t("error-csrf"),
        request_id: String::new(),
    };
    Ok(page_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        page.render()?,
    ))
}

/// Logs a message that could not be built or sent; the outbox keeps sending errors.
async fn deliver(s: &AppState, msg: anyhow::Result<Message>, what: &'static str) {
    match msg {
        Ok(m) => {
            if let Err(e) = s.mailer.send(&m).await {
                tracing::warn!(error = %e, mail = what, "e-mail not delivered (kept in the outbox)");
            }
        }
        Err(e) => tracing::error!(error = %e, mail = what, "cannot build e-mail"),
    }
}

/// The member of a complete (not `mfa_pending`) session of this browser, if any.
async fn signed_in(
    s: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Member, Session)>, AppError> {
    let Some(token) = cookie(headers, session::COOKIE) else {
        return Ok(None);
    };
    let Some(sess) = session::lookup(&s.db, &token).await? else {
        return Ok(None);
    };
    if sess.mfa_pending {
        return Ok(None);
    }
    Ok(repo::by_id(&s.db, &sess.member_id)
        .await?
        .filter(|m| m.status == "active")
        .map(|m| (m, sess)))
}

/// The network a device is seen from: IPv4 /24, IPv6 /64.
fn network_of(ip: Option<&str>) -> String {
    match ip.and_then(|i| i.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => String::new(),
    }
}

/// A device: the user agent and the network it signs in from.
pub fn device_hash(user_agent: Option<&str>, ip: Option<&str>) -> String {
    hex::encode(Sha256::digest(
        format!("{}|{}", user_agent.unwrap_or(""), network_of(ip)).as_bytes(),
    ))
}

/// Remembers the device for the member; true when it was not known before.
async fn remember_device(db: &Db, member_id: &str, hash: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO known_devices (member_id, device_hash, first_seen) VALUES ($1, $2, $3) \
         ON CONFLICT (member_id, device_hash) DO NOTHING"
    )
    .bind(member_id)
    .bind(hash)
    .bind(Utc::now())
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Starts a new session for the member (the id rotates: the one this browser had ends),
/// `mfa_pending` until the second factor is given, and records a device not seen before.
/// Returns the token for the cookie.
pub(super) async fn open_session(
    s: &AppState,
    headers: &HeaderMap,
    client: &Client,
    member: &Member,
    mfa_pending: bool,
) -> DbResult<String> {
    if let Some(old) = cookie(headers, session::COOKIE) {
        session::delete(&s.db, &session::hash_token(&old)).await?;
    }
    let token = session::create(
        &s.db,
        &member.id,
        mfa_pending,
        client.user_agent.as_deref(),
        client.ip.as_deref(),
    )
    .await?;
    let device = device_hash(client.user_agent.as_deref(), client.ip.as_deref());
    if remember_device(&s.db, &member.id, &device).await? {
        audit::record(
            &s.db,
            &client.actor(Some(&member.id), &member.email),
            "signin.new_device",
            &member.id,
            &format!("device {}", &device[..12]),
        )
        .await?;
    }
    Ok(token)
}

/// Starts a new session for the member ([`open_session`]), records the sign-in, sets the
/// cookie and sends the member on: to `next`, or to the second factor when the member has
/// one.
async fn start_session(
    s: &AppState,
    headers: &HeaderMap,
    client: &Client,
    member: &Member,
    how: &str,
    next: &str,
) -> Result<Response, AppError> {
    let token = open_session(s, headers, client, member, member.totp_enabled).await?;
    let actor = client.actor(Some(&member.id), &member.email);
    let detail = if member.totp_enabled {
        format!("{how}; second factor pending")
    } else {
        how.to_string()
    };
    audit::record(&s.db, &actor, "signin", &member.id, &detail).await?;
    let to = if member.totp_enabled {
        if next == DEFAULT_NEXT {
            SECOND_FACTOR.to_string()
        } else {
            format!(
                "{SECOND_FACTOR}?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            )
        }
    } else {
        next.to_string()
    };
    let mut res = see_other(&to);
    res.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(s, &token));
    Ok(res)
}

// ---------------------------------------------------------------------------------------
// Sign in
// ---------------------------------------------------------------------------------------

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
    errors: FieldErrors,
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
            errors: FieldErrors::default(),
            signed_in: None,
            passkeys_available: super::passkeys::available(s),
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
}

async fn signin_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let mut page = SignInPage::new(&s, &tr, safe_next(&q.next));
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
        page.errors.set("email", tr.t("signin-email-missing"));
    }
    if f.password.is_empty() {
        page.errors.set("password", tr.t("signin-password-missing"));
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
    let member = found.clone().filter(|m| m.status == "active");
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
                let msg = mailers::failures(&m, count, ip.as_deref(), now, &url);
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
        Some(id) => repo::by_id(&s.db, &id)
            .await?
            .filter(|m| m.status == "active"),
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

// ---------------------------------------------------------------------------------------
// Sign out
// ---------------------------------------------------------------------------------------

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
    super::revocation::end_all(&s.db, &m.id, None, &by, "signout.everywhere", "").await?;
    Ok(signed_out(&s))
}

// ---------------------------------------------------------------------------------------
// Invitations
// ---------------------------------------------------------------------------------------

/// The new member's language and time zone (the plain [`invite`] uses English and UTC;
/// members can change both on their account page).
#[derive(Debug, Clone)]
pub struct InviteOptions {
    /// Languages in order of preference, e.g. `da` or `da,en`; e-mails use the first.
    pub languages: String,
    /// IANA time zone, e.g. `Europe/Copenhagen`.
    pub time_zone: String,
}

impl Default for InviteOptions {
    fn default() -> Self {
        InviteOptions {
            languages: "en".into(),
            time_zone: "UTC".into(),
        }
    }
}

/// Invites a new member: creates them as `invited` with the roles (`None` = the whole
/// site, `Some(campaign id)` = one campaign), e-mails a link to choose a password (valid 7
/// days) and records `member.invited`. Fails with 409 when the e-mail address is taken and
/// 422 for an empty or over-long name. A mail that cannot be sent is logged and kept in the
/// outbox; the member is invited all the same (see [`resend_invite`]).
pub async fn invite(
    s: &AppState,
    email: &Email,
    display_name: &str,
    roles: &[(Role, Option<String>)],
    by: &Actor,
) -> Result<Member, AppError> {
    invite_with(s, email, display_name, roles, by, &InviteOptions::default()).await
}

/// [`invite`] with the member's language and time zone.
pub async fn invite_with(
    s: &AppState,
    email: &Email,
    display_name: &str,
    roles: &[(Role, Option<String>)],
    by: &Actor,
    options: &InviteOptions,
) -> Result<Member, AppError> {
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::Unprocessable(format!(
            "the name must have 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if options.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::Unprocessable(format!(
            "{:?} is not an IANA time zone",
            options.time_zone
        )));
    }
    let new = NewMember {
        email: email.clone(),
        display_name: name.to_string(),
        time_zone: options.time_zone.clone(),
        languages: options.languages.clone(),
        status: "invited",
    };
    let mut m = match repo::create(&s.db, &new).await {
        Ok(m) => m,
        Err(CreateMemberError::EmailTaken) => {
            return Err(AppError::Conflict(
                "a member with that e-mail address already exists".into(),
            ));
        }
        Err(CreateMemberError::Db(e)) => return Err(e.into()),
    };
    for (role, scope) in roles {
        repo::add_grant(&s.db, &m.id, *role, scope.as_deref()).await?;
    }
    audit::record(
        &s.db,
        by,
        "member.invited",
        &m.id,
        &format!("{} as {}", m.email, roles_detail(roles)),
    )
    .await?;
    // `create` read the member before the grants were added.
    m.grants = repo::grants(&s.db, &m.id).await?;
    send_invite(s, &m, by).await?;
    Ok(m)
}

/// Sends an invited member a new invitation link (the old ones keep working until they
/// expire). 404 for an unknown member, 409 when the member is no longer invited.
pub async fn resend_invite(s: &AppState, member_id: &str, by: &Actor) -> Result<(), AppError> {
    let m = repo::by_id(&s.db, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.status != "invited" {
        return Err(AppError::Conflict(
            "the member has already joined or was removed".into(),
        ));
    }
    audit::record(&s.db, by, "member.invite_resent", &m.id, &m.email).await?;
    send_invite(s, &m, by).await
}

fn roles_detail(roles: &[(Role, Option<String>)]) -> String {
    let v: Vec<String> = roles
        .iter()
        .map(|(r, scope)| match scope {
            Some(c) => format!("{r}@{c}"),
            None => r.to_string(),
        })
        .collect();
    if v.is_empty() {
        "no role".into()
    } else {
        v.join(", ")
    }
}

/// The member's roles in their language: `owner, editor (Library for Kalpakkam)`.
async fn roles_text(db: &Db, tr: &I18n, m: &Member) -> DbResult<String> {
    let mut out = Vec::new();
    for g in &m.grants {
        let role = tr.t(&format!("signin-role-{}", g.role.as_str()));
        match &g.scope {
            None => out.push(role),
            Some(cid) => {
                let title = crate::campaigns::repo::by_id(db, cid)
                    .await?
                    .map(|c| c.title)
                    .unwrap_or_else(|| cid.clone());
                out.push(format!("{role} ({title})"));
            }
        }
    }
    if out.is_empty() {
        out.push(tr.t("signin-role-member"));
    }
    Ok(out.join(", "))
}

async fn send_invite(s: &AppState, m: &Member, by: &Actor) -> Result<(), AppError> {
    let token = links::create(&s.db, &m.id, Purpose::Invite).await?;
    let url = format!("{}/invite/{token}", s.base_url);
    let inviter = match &by.member_id {
        Some(id) => repo::by_id(&s.db, id).await?.map(|b| b.display_name),
        None => None,
    };
    let tr = mailers::language_of(m);
    let roles = roles_text(&s.db, &tr, m).await?;
    deliver(
        s,
        mailers::invite(m, inviter.as_deref(), &roles, &url),
        "invitation",
    )
    .await;
    Ok(())
}

#[derive(Template)]
#[template(path = "team/invite.html")]
struct InvitePage {
    page: PageCtx,
    csrf: String,
    token: String,
    name: String,
    email: String,
    notice: String,
    errors: FieldErrors,
    gone: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPasswordForm {
    csrf: String,
    password: String,
    confirm: String,
}

fn check_new_password(tr: &I18n, f: &NewPasswordForm) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if let Err(e) = password::validate(&f.password) {
        errors.set("password", tr.t(e.message_key()));
    } else if f.password != f.confirm {
        errors.set("confirm", tr.t("signin-password-mismatch"));
    }
    errors
}

/// The status a member must have for a link of this purpose to work: an invitation is for
/// an invited member, everything else for an active one.
fn status_for(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Invite => "invited",
        Purpose::Reset | Purpose::SignIn => "active",
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
async fn link_page<P: Template>(
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

fn invite_view(s: &AppState, tr: &I18n, token: &str, m: Option<&Member>) -> InvitePage {
    InvitePage {
        page: PageCtx::new(s, tr, &format!("/invite/{token}")),
        csrf: s.csrf.token(Utc::now()),
        token: token.to_string(),
        name: m.map(|m| m.display_name.clone()).unwrap_or_default(),
        email: m.map(|m| m.email.clone()).unwrap_or_default(),
        notice: String::new(),
        errors: FieldErrors::default(),
        gone: m.is_none(),
    }
}

/// A page with a "choose a password" form reached from a single-use link.
trait PasswordLinkPage: Template {
    fn feedback(&mut self) -> (&mut String, &mut FieldErrors);
}

impl PasswordLinkPage for InvitePage {
    fn feedback(&mut self) -> (&mut String, &mut FieldErrors) {
        (&mut self.notice, &mut self.errors)
    }
}

impl PasswordLinkPage for ResetPasswordPage {
    fn feedback(&mut self) -> (&mut String, &mut FieldErrors) {
        (&mut self.notice, &mut self.errors)
    }
}

/// The steps the invitation and the reset forms share: the link must still be valid for a
/// member in the status it is for, the form must pass CSRF and the password rules, then the link is used
/// (once, even with two nodes racing) and the new hash stored. `Ok(Err(page))` is the page to
/// send back instead (410 for a dead link, 422 for a bad form).
async fn password_from_link<P: PasswordLinkPage>(
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
        Some((tr.t("error-csrf"), FieldErrors::default()))
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

async fn invite_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    link_page(&s, &token, Purpose::Invite, |m| {
        invite_view(&s, &tr, &token, m)
    })
    .await
}

async fn invite_submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, AppError> {
    let view = |m: Option<&Member>| invite_view(&s, &tr, &token, m);
    let mut m =
        match password_from_link(&s, &tr, &token, Purpose::Invite, &headers, &f, view).await? {
            Ok(m) => m,
            Err(page) => return Ok(page),
        };
    audit::record(
        &s.db,
        &client.actor(Some(&m.id), &m.email),
        "member.joined",
        &m.id,
        "accepted the invitation",
    )
    .await?;
    // What `set_password_hash` just stored: no need to read the member again.
    m.status = "active".into();
    m.has_password = true;
    start_session(&s, &headers, &client, &m, "invitation", DEFAULT_NEXT).await
}

// ---------------------------------------------------------------------------------------
// Password reset
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "team/reset.html")]
struct ResetPage {
    page: PageCtx,
    csrf: String,
    email: String,
    notice: String,
    errors: FieldErrors,
    sent: bool,
}

impl ResetPage {
    fn new(s: &AppState, tr: &I18n) -> ResetPage {
        ResetPage {
            page: PageCtx::new(s, tr, "/reset"),
            csrf: s.csrf.token(Utc::now()),
            email: String::new(),
            notice: String::new(),
            errors: FieldErrors::default(),
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
            page.errors.set("email", tr.t(key));
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
        .filter(|m| m.status == "active")
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
    deliver(s, mailers::reset(&m, &url), "password reset").await;
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
    errors: FieldErrors,
    gone: bool,
}

fn reset_view(s: &AppState, tr: &I18n, token: &str, m: Option<&Member>) -> ResetPasswordPage {
    ResetPasswordPage {
        page: PageCtx::new(s, tr, &format!("/reset/{token}")),
        csrf: s.csrf.token(Utc::now()),
        token: token.to_string(),
        email: m.map(|m| m.email.clone()).unwrap_or_default(),
        notice: String::new(),
        errors: FieldErrors::default(),
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
    super::revocation::end_all(&s.db, &m.id, None, &by, "password.reset", "").await?;
    throttle::clear_account(&s.db, &m.email).await?;
    start_session(&s, &headers, &client, &m, "password reset", DEFAULT_NEXT).await
}

// ---------------------------------------------------------------------------------------
// `shelfraiser user add`
// ---------------------------------------------------------------------------------------

/// What `shelfraiser user add` did.
#[derive(Debug)]
pub struct AddedMember {
    pub member: Member,
    /// False when the e-mail address belonged to a member already (roles were added).
    pub created: bool,
    /// `{base_url}/signin/link/{token}`: works once, within 24 hours.
    pub link: String,
}

/// Creates an active member without a password (or gives an existing member the roles,
/// re-activating a removed or invited one), and a one-time sign-in link. Audited as `cli`.
pub async fn add_member_with_link(
    db: &Db,
    base_url: &str,
    new: &NewMember,
    roles: &[(Role, Option<String>)],
) -> anyhow::Result<AddedMember> {
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        anyhow::bail!("--name must have 1 to {MAX_NAME_CHARS} characters");
    }
    let actor = Actor::cli();
    let (id, created) = match repo::create(db, new).await {
        Ok(m) => {
            audit::record(
                db,
                &actor,
                "member.added",
                &m.id,
                &format!("{} as {}", m.email, roles_detail(roles)),
            )
            .await?;
            (m.id, true)
        }
        Err(CreateMemberError::EmailTaken) => {
            let m = repo::by_email(db, new.email.as_str())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the member vanished"))?;
            if m.status != "active" {
                repo::set_status(db, &m.id, "active").await?;
            }
            audit::record(
                db,
                &actor,
                "member.roles_added",
                &m.id,
                &format!("{} as {}", m.email, roles_detail(roles)),
            )
            .await?;
            (m.id, false)
        }
        Err(CreateMemberError::Db(e)) => return Err(e.into()),
    };
    for (role, scope) in roles {
        repo::add_grant(db, &id, *role, scope.as_deref()).await?;
    }
    let token = links::create(db, &id, Purpose::SignIn).await?;
    audit::record(db, &actor, "signin_link.created", &id, "").await?;
    let member = repo::by_id(db, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the member vanished"))?;
    Ok(AddedMember {
        member,
        created,
        link: format!("{}/signin/link/{token}", base_url.trim_end_matches('/')),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_same_site_only() {
        assert_eq!(safe_next("/admin/donations?x=1"), "/admin/donations?x=1");
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "admin",
            "/a b",
            "/ø",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(bad), DEFAULT_NEXT, "{bad:?}");
        }
    }

    #[test]
    fn devices_are_user_agent_and_network() {
        let a = device_hash(Some("Firefox"), Some("192.0.2.7"));
        assert_eq!(a, device_hash(Some("Firefox"), Some("192.0.2.99")));
        assert_ne!(a, device_hash(Some("Firefox"), Some("192.0.3.7")));
        assert_ne!(a, device_hash(Some("Chrome"), Some("192.0.2.7")));
        assert_eq!(network_of(Some("2001:db8:1:2::9")), "2001:db8:1:2::/64");
        assert_eq!(network_of(None), "");
    }
}
