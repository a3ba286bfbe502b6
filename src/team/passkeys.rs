//! Passkeys (WebAuthn, with the `webauthn-rs` crate) as an alternative to the password.
//!
//! * A signed-in member adds passkeys on the account page: `POST
//!   /account/passkeys/register/start` answers the creation options, the browser asks the
//!   authenticator, and `POST /account/passkeys/register/finish` checks its answer and
//!   stores the passkey. `POST /account/passkeys/{id}/delete` removes one of the member's
//!   own passkeys (another member's is "not found").
//! * Signing in: `POST /signin/passkey/start` asks for a *discoverable* credential (no
//!   e-mail address is asked for, so nothing tells whether an account exists or has
//!   passkeys); `POST /signin/passkey/finish` finds the passkey by its credential id, checks
//!   that the user handle the authenticator returned belongs to the same member, verifies
//!   the signature and starts a session like a password sign-in. A passkey verifies the
//!   user on the device, so it counts as both factors: the session is complete at once.
//! * The ceremony state between the two requests lives in `passkey_challenges` (any node
//!   can finish what another began): five minutes, used once (`DELETE … RETURNING`).
//! * The JSON endpoints need `X-CSRF-Token`: bound to the session on the account ones, the
//!   public token plus a same-origin request on the sign-in ones; `Json` also insists on
//!   `Content-Type: application/json`, which no plain cross-site form can send.
//! * Failed passkey sign-ins are throttled like passwords ([`super::throttle`]): per
//!   address before the passkey is known, per account once it is.
//!
//! The relying party is the host of the site's base URL. WebAuthn takes no IP addresses:
//! a loopback base URL (`http://127.0.0.1:8080`) stands for `http://localhost:8080`, any
//! other address has no passkeys (the account page says so).

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::audit;
use super::session::{self, CurrentMember};
use super::signin::{self, Client};
use super::{account, repo, throttle};
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::on_db;

/// A ceremony must be finished within this time.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
/// The header that carries the CSRF token on the JSON endpoints.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Longest passkey label.
pub const MAX_LABEL: usize = 80;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/passkeys/register/start", post(register_start))
        .route("/account/passkeys/register/finish", post(register_finish))
        .route("/account/passkeys/{id}/delete", post(delete))
        .route("/signin/passkey/start", post(signin_start))
        .route("/signin/passkey/finish", post(signin_finish))
        // An attestation or assertion is a few kilobytes.
        .layer(DefaultBodyLimit::max(64 * 1024))
}

// ---------------------------------------------------------------------------------------
// Relying party
// ---------------------------------------------------------------------------------------

/// The relying party id and origin for a base URL, or `None` when passkeys cannot work
/// there (an address other than loopback).
pub fn relying_party(base_url: &str) -> Option<(String, Url)> {
    let url = Url::parse(base_url).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let rp_id = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => "localhost".to_string(),
        Ok(_) => return None,
        Err(_) => host.to_ascii_lowercase(),
    };
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let origin = Url::parse(&format!("{}://{rp_id}{port}", url.scheme())).ok()?;
    Some((rp_id, origin))
}

/// Whether passkeys work on this site.
pub fn available(s: &AppState) -> bool {
    relying_party(&s.base_url).is_some()
}

fn webauthn(s: &AppState, tr: &I18n) -> Option<Webauthn> {
    let (rp_id, origin) = relying_party(&s.base_url)?;
    let name = tr.t("site-name");
    WebauthnBuilder::new(&rp_id, &origin)
        .ok()?
        .rp_name(&name)
        .build()
        .ok()
}

/// The WebAuthn user handle of a member: the member id (a UUID); any other id is hashed.
pub fn user_handle(member_id: &str) -> Uuid {
    Uuid::parse_str(member_id).unwrap_or_else(|_| {
        let h = Sha256::digest(member_id.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&h[..16]);
        Uuid::from_bytes(b)
    })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

// ---------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------

/// A stored passkey, for the account page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The member's passkeys, oldest first.
pub async fn list(db: &Db, member_id: &str) -> DbResult<Vec<StoredPasskey>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "SELECT id, label, created_at, last_used_at FROM passkeys \
             WHERE member_id = $1 ORDER BY created_at, id",
        )
        .bind(member_id)
        .fetch_all(p)
        .await?
    }))
}

/// The member's passkeys as WebAuthn credentials (unreadable rows are skipped and logged).
async fn credentials(db: &Db, member_id: &str) -> DbResult<Vec<Passkey>> {
    let rows: Vec<(String,)> = on_db!(db, |p| {
        sqlx::query_as("SELECT passkey_json FROM passkeys WHERE member_id = $1")
            .bind(member_id)
            .fetch_all(p)
            .await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(j,)| match serde_json::from_str(&j) {
            Ok(pk) => Some(pk),
            Err(e) => {
                tracing::error!(error = %e, "unreadable stored passkey");
                None
            }
        })
        .collect())
}

/// Stores a new passkey; `None` when its credential is registered already.
async fn insert(db: &Db, member_id: &str, pk: &Passkey, label: &str) -> DbResult<Option<String>> {
    let id = uuid::Uuid::new_v4().to_string();
    let json = serde_json::to_string(pk).map_err(|e| crate::db::DbError::Corrupt(e.to_string()))?;
    let n = on_db!(db, |p| {
        sqlx::query(
            "INSERT INTO passkeys (id, member_id, credential_id, passkey_json, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(&id)
        .bind(member_id)
        .bind(b64(pk.cred_id().as_ref()))
        .bind(&json)
        .bind(label)
        .bind(Utc::now())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok((n == 1).then_some(id))
}

struct Found {
    id: String,
    member_id: String,
    label: String,
    passkey_json: String,
}

async fn by_credential(db: &Db, credential_id: &str) -> DbResult<Option<Found>> {
    let row: Option<(String, String, String, String)> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT id, member_id, label, passkey_json FROM passkeys WHERE credential_id = $1",
        )
        .bind(credential_id)
        .fetch_optional(p)
        .await?
    });
    Ok(row.map(|(id, member_id, label, passkey_json)| Found {
        id,
        member_id,
        label,
        passkey_json,
    }))
}

/// Notes a use (and the authenticator's new counter, when it changed).
async fn mark_used(db: &Db, id: &str, updated_json: Option<&str>) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
            "UPDATE passkeys SET last_used_at = $2, passkey_json = COALESCE($3, passkey_json) \
             WHERE id = $1",
        )
        .bind(id)
        .bind(Utc::now())
        .bind(updated_json)
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Deletes one of the member's passkeys; its label, or `None` when the member has no such
/// passkey.
pub async fn delete_own(db: &Db, member_id: &str, id: &str) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND member_id = $2 RETURNING label")
            .bind(id)
            .bind(member_id)
            .fetch_optional(p)
            .await?
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ceremony {
    Register,
    SignIn,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Ceremony::Register => "register",
            Ceremony::SignIn => "signin",
        }
    }
}

/// Keeps a ceremony's state; returns the handle the browser sends back (only its hash is
/// stored). Expired challenges are forgotten on the way.
async fn put_challenge(
    db: &Db,
    member_id: Option<&str>,
    kind: Ceremony,
    state_json: &str,
) -> DbResult<String> {
    let handle = session::new_token();
    let now = Utc::now();
    on_db!(db, |p| {
        sqlx::query("DELETE FROM passkey_challenges WHERE expires_at <= $1")
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
    });
    on_db!(db, |p| {
        sqlx::query(
            "INSERT INTO passkey_challenges (id, member_id, kind, state_json, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session::hash_token(&handle))
        .bind(member_id)
        .bind(kind.as_str())
        .bind(state_json)
        .bind(now)
        .bind(now + CHALLENGE_LIFETIME)
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(handle)
}

/// Takes (once) a live challenge of this kind: its member and state.
async fn take_challenge(
    db: &Db,
    handle: &str,
    kind: Ceremony,
) -> DbResult<Option<(Option<String>, String)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "DELETE FROM passkey_challenges WHERE id = $1 AND kind = $2 AND expires_at > $3 \
             RETURNING member_id, state_json",
        )
        .bind(session::hash_token(handle))
        .bind(kind.as_str())
        .bind(Utc::now())
        .fetch_optional(p)
        .await?
    }))
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn json_ok(v: serde_json::Value) -> Response {
    no_store(Json(v).into_response())
}

/// An error answer in the API's shape (`{"error":{code,message}}`), already localized.
fn json_error(status: StatusCode, code: &'static str, message: String) -> Response {
    no_store(
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response(),
    )
}

fn csrf_refused(tr: &I18n) -> Response {
    json_error(StatusCode::UNPROCESSABLE_ENTITY, "csrf", tr.t("error-csrf"))
}

fn unavailable(tr: &I18n) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "passkeys_unavailable",
        tr.t("passkey-unavailable"),
    )
}

fn expired(tr: &I18n) -> Response {
    json_error(
        StatusCode::BAD_REQUEST,
        "challenge_expired",
        tr.t("passkey-expired"),
    )
}

fn throttled(tr: &I18n, until: DateTime<Utc>, now: DateTime<Utc>) -> Response {
    let mut res = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        tr.tn("signin-throttled", throttle::minutes_left(until, now)),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
    res
}

fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{what}: {e}"))
}

/// A passkey label: trimmed, 1 to [`MAX_LABEL`] characters, no control characters.
pub fn clean_label(label: &str) -> Option<String> {
    super::tokens::label_within(label, MAX_LABEL)
}

// ---------------------------------------------------------------------------------------
// Adding and removing passkeys (signed in)
// ---------------------------------------------------------------------------------------

async fn register_start(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !account::csrf_ok(&s, &headers, csrf_header(&headers), &cur) {
        return Ok(csrf_refused(&tr));
    }
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let m = &cur.member;
    let exclude = credentials(&s.db, &m.id)
        .await?
        .iter()
        .map(|pk| pk.cred_id().clone())
        .collect();
    let (ccr, state) = wa
        .start_passkey_registration(user_handle(&m.id), &m.email, &m.display_name, Some(exclude))
        .map_err(|e| internal("passkey registration", e))?;
    let mut options = serde_json::to_value(&ccr).map_err(|e| internal("options", e))?;
    // Ask for a discoverable credential where the authenticator can keep one, so that the
    // member can sign in without typing an e-mail address.
    if let Some(sel) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|v| v.as_object_mut())
    {
        sel.insert("residentKey".into(), "preferred".into());
    }
    let state = serde_json::to_string(&state).map_err(|e| internal("state", e))?;
    let handle = put_challenge(&s.db, Some(&m.id), Ceremony::Register, &state).await?;
    Ok(json_ok(json!({ "challenge": handle, "options": options })))
}

#[derive(Deserialize)]
struct RegisterFinish {
    challenge: String,
    #[serde(default)]
    label: String,
    credential: RegisterPublicKeyCredential,
}

async fn register_finish(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Json(f): Json<RegisterFinish>,
) -> Result<Response, AppError> {
    if !account::csrf_ok(&s, &headers, csrf_header(&headers), &cur) {
        return Ok(csrf_refused(&tr));
    }
    let m = &cur.member;
    let Some(label) = clean_label(&f.label) else {
        return Ok(json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_label",
            tr.ta("passkey-label-invalid", [("max", MAX_LABEL.to_string())]),
        ));
    };
    let state = match take_challenge(&s.db, &f.challenge, Ceremony::Register).await? {
        Some((Some(owner), state)) if owner == m.id => state,
        _ => return Ok(expired(&tr)),
    };
    let state: PasskeyRegistration =
        serde_json::from_str(&state).map_err(|e| internal("stored registration", e))?;
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let who = client.actor(Some(&m.id), &m.email);
    let pk = match wa.finish_passkey_registration(&f.credential, &state) {
        Ok(pk) => pk,
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            audit::record(&s.db, &who, "passkey.add_failed", &m.id, &e.to_string()).await?;
            return Ok(json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "passkey_refused",
                tr.t("passkey-add-failed"),
            ));
        }
    };
    let Some(id) = insert(&s.db, &m.id, &pk, &label).await? else {
        return Ok(json_error(
            StatusCode::CONFLICT,
            "passkey_exists",
            tr.t("passkey-exists"),
        ));
    };
    audit::record(
        &s.db,
        &who,
        "passkey.added",
        &m.id,
        &format!("{label} ({id})"),
    )
    .await?;
    Ok(json_ok(
        json!({ "id": id, "redirect": "/account?notice=passkey-added" }),
    ))
}

async fn delete(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<account::CsrfOnly>,
) -> Result<Response, AppError> {
    if !account::csrf_ok(&s, &headers, f.csrf.as_deref(), &cur) {
        return Err(AppError::Unprocessable(tr.t("error-csrf")));
    }
    let m = &cur.member;
    let Some(label) = delete_own(&s.db, &m.id, &id).await? else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &s.db,
        &client.actor(Some(&m.id), &m.email),
        "passkey.deleted",
        &m.id,
        &format!("{label} ({id})"),
    )
    .await?;
    Ok(Redirect::to("/account?notice=passkey-deleted").into_response())
}

// ---------------------------------------------------------------------------------------
// Signing in with a passkey
// ---------------------------------------------------------------------------------------

async fn signin_start(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let now = Utc::now();
    if !csrf::check(&s.csrf, &headers, csrf_header(&headers), now) {
        return Ok(csrf_refused(&tr));
    }
    if let Some(until) = throttle::address_locked_until(&s.db, client.ip.as_deref(), now).await? {
        return Ok(throttled(&tr, until, now));
    }
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let (mut rcr, state) = wa
        .start_discoverable_authentication()
        .map_err(|e| internal("passkey sign-in", e))?;
    // Started by a button, not by the browser's autofill.
    rcr.mediation = None;
    let state = serde_json::to_string(&state).map_err(|e| internal("state", e))?;
    let handle = put_challenge(&s.db, None, Ceremony::SignIn, &state).await?;
    Ok(json_ok(json!({ "challenge": handle, "options": rcr })))
}

#[derive(Deserialize)]
struct SignInFinish {
    challenge: String,
    credential: PublicKeyCredential,
    #[serde(default)]
    next: String,
}

async fn signin_finish(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
    Json(f): Json<SignInFinish>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    if !csrf::check(&s.csrf, &headers, csrf_header(&headers), now) {
        return Ok(csrf_refused(&tr));
    }
    let ip = client.ip.as_deref();
    if let Some(until) = throttle::address_locked_until(&s.db, ip, now).await? {
        return Ok(throttled(&tr, until, now));
    }
    let Some((_, state)) = take_challenge(&s.db, &f.challenge, Ceremony::SignIn).await? else {
        return Ok(expired(&tr));
    };
    let state: DiscoverableAuthentication =
        serde_json::from_str(&state).map_err(|e| internal("stored sign-in", e))?;
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let refused = || {
        json_error(
            StatusCode::UNAUTHORIZED,
            "signin_failed",
            tr.t("passkey-signin-failed"),
        )
    };

    // Whose passkey: the credential id names it, and the user handle the authenticator
    // returned must be the same member's.
    let found = by_credential(&s.db, &b64(f.credential.get_credential_id())).await?;
    let handle = wa
        .identify_discoverable_authentication(&f.credential)
        .ok()
        .map(|(u, _)| u);
    let mut member = None;
    if let Some(found) = &found
        && handle == Some(user_handle(&found.member_id))
    {
        member = repo::by_id(&s.db, &found.member_id)
            .await?
            .filter(|m| m.status == "active");
    }
    // The attempt is counted before the passkey is checked (see `throttle::reserve`): under
    // the address alone for an unknown passkey, else under the account and the address.
    let keys = match &member {
        Some(m) => throttle::signin_keys(&m.email, ip),
        None => throttle::address_keys(ip),
    };
    let reservation = match throttle::reserve(&s.db, &keys, now).await? {
        throttle::Reserve::Granted(r) => r,
        throttle::Reserve::Refused(until) => return Ok(throttled(&tr, until, now)),
    };
    let (Some(found), Some(member)) = (found, member) else {
        audit::record(
            &s.db,
            &client.actor(None, "passkey"),
            "signin.failed",
            "",
            "unknown passkey",
        )
        .await?;
        return Ok(refused());
    };
    let mut pk: Passkey =
        serde_json::from_str(&found.passkey_json).map_err(|e| internal("stored passkey", e))?;
    let result = match wa.finish_discoverable_authentication_v2(&f.credential, state, &pk) {
        Ok(r) => r,
        Err(e) => {
            audit::record(
                &s.db,
                &client.actor(None, &member.email),
                "signin.failed",
                &member.id,
                &format!("passkey refused: {e}"),
            )
            .await?;
            return Ok(refused());
        }
    };
    throttle::release(&s.db, &reservation).await?;
    let updated = match pk.update_credential(&result) {
        Some(true) => Some(serde_json::to_string(&pk).map_err(|e| internal("passkey", e))?),
        _ => None,
    };
    mark_used(&s.db, &found.id, updated.as_deref()).await?;
    throttle::clear_account(&s.db, &member.email).await?;

    // A new, complete session (the id rotates); the one this browser had ends.
    let token = signin::open_session(&s, &headers, &client, &member, false).await?;
    audit::record(
        &s.db,
        &client.actor(Some(&member.id), &member.email),
        "signin.passkey",
        &member.id,
        &format!("passkey {} ({})", found.label, found.id),
    )
    .await?;
    let mut res = json_ok(json!({ "redirect": signin::safe_next(&f.next) }));
    res.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(&s, &token));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_parties() {
        let (id, origin) = relying_party("https://give.example.org").expect("domain");
        assert_eq!(id, "give.example.org");
        assert_eq!(origin.as_str(), "https://give.example.org/");
        let (id, origin) = relying_party("http://127.0.0.1:8080").expect("loopback");
        assert_eq!(id, "localhost");
        assert_eq!(origin.as_str(), "http://localhost:8080/");
        assert_eq!(relying_party("http://[::1]:9").expect("v6").0, "localhost");
        assert!(relying_party("http://192.0.2.7:8080").is_none());
        assert!(relying_party("not a url").is_none());
        for (rp, origin) in [
            relying_party("http://localhost:3000"),
            relying_party("https://give.example.org/sub"),
        ]
        .into_iter()
        .flatten()
        {
            assert!(WebauthnBuilder::new(&rp, &origin).is_ok(), "{rp} {origin}");
        }
    }

    #[test]
    fn user_handles() {
        let id = "0b6c5a8e-9a43-4f8e-9a77-2c8f3a1f0d11";
        assert_eq!(user_handle(id).to_string(), id);
        assert_eq!(user_handle("m1"), user_handle("m1"));
        assert_ne!(user_handle("m1"), user_handle("m2"));
    }

    #[test]
    fn labels() {
        assert_eq!(clean_label("  Phone "), Some("Phone".into()));
        assert_eq!(clean_label(""), None);
        assert_eq!(clean_label("a\nb"), None);
        assert_eq!(clean_label(&"x".repeat(MAX_LABEL + 1)), None);
    }
}
