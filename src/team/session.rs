//! Sessions: a random token in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` when the base
//! URL is https); only its SHA-256 is stored, so a database leak does not leak sessions.
//! Sessions live in the database, so every node knows them. Signing in always creates a new
//! session (the id rotates); "sign out everywhere" deletes all of a member's sessions.
//!
//! A session created after the password but before the second factor is `mfa_pending`:
//! [`CurrentMember`] refuses it, [`PendingMember`] (the two-factor step) accepts only it.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use http::request::Parts;
use http::{HeaderValue, header};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::Member;
use super::repo;
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState, cookie};

pub const COOKIE: &str = "sr_session";
/// A session ends this long after sign-in.
pub const LIFETIME_DAYS: i64 = 30;

/// A fresh random token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub member_id: String,
    pub mfa_pending: bool,
    pub created_at: DateTime<Utc>,
}

/// Creates a session and returns its token (for the cookie).
pub async fn create(
    db: &Db,
    member_id: &str,
    mfa_pending: bool,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> DbResult<String> {
    let token = new_token();
    let now = Utc::now();
    let user_agent = user_agent.map(|u| u.chars().take(300).collect::<String>());
    repo::sessions::insert(
        db,
        &repo::sessions::NewSession {
            id_hash: &hash_token(&token),
            member_id,
            mfa_pending,
            created_at: now,
            expires_at: now + Duration::days(LIFETIME_DAYS),
            user_agent: user_agent.as_deref(),
            ip,
        },
    )
    .await?;
    Ok(token)
}

/// The live session for a token, if any.
pub async fn lookup(db: &Db, token: &str) -> DbResult<Option<Session>> {
    repo::sessions::live(db, &hash_token(token), Utc::now()).await
}

pub async fn delete(db: &Db, id_hash: &str) -> DbResult<()> {
    repo::sessions::delete(db, id_hash).await
}

/// Ends every session of the member ("sign out everywhere", password change, removal).
pub async fn delete_all(db: &Db, member_id: &str) -> DbResult<u64> {
    repo::sessions::delete_all(db, member_id).await
}

/// `Set-Cookie` for a new session token.
pub fn set_cookie(s: &AppState, token: &str) -> HeaderValue {
    let secure = if s.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        LIFETIME_DAYS * 86_400
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sr_session=; Path=/"))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(s: &AppState) -> HeaderValue {
    let secure = if s.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sr_session=; Path=/; Max-Age=0"))
}

impl Session {
    /// Whether this "session" is a personal API token (`Authorization: Bearer`), not a cookie.
    pub fn is_api_token(&self) -> bool {
        self.id_hash.starts_with(super::tokens::SESSION_PREFIX)
    }
}

/// A signed-in member with a complete session (password and, when enabled, second factor),
/// or, on `/api/` routes, a personal API token (`Authorization: Bearer`). On `/api/` routes
/// the member must also pass `api_gate` (two-factor when required, same-origin writes).
pub struct CurrentMember {
    pub member: Member,
    pub session: Session,
}

/// A session waiting for the second factor.
pub struct PendingMember {
    pub member: Member,
    pub session: Session,
}

/// Why there is no usable session.
pub enum NoSession {
    /// Browser routes: go and sign in, then come back.
    SignIn(String),
    /// API routes: 401.
    Unauthorized,
    Internal(AppError),
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        match self {
            NoSession::SignIn(next) => {
                let next = percent_encoding::utf8_percent_encode(
                    &next,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string();
                Redirect::to(&format!("/signin?next={next}")).into_response()
            }
            NoSession::Unauthorized => AppError::Unauthorized.into_response(),
            NoSession::Internal(e) => e.into_response(),
        }
    }
}

async fn session_of(parts: &Parts, s: &AppState) -> Result<Option<(Member, Session)>, AppError> {
    let Some(token) = cookie(&parts.headers, COOKIE) else {
        return Ok(None);
    };
    let Some(session) = lookup(&s.db, &token).await? else {
        return Ok(None);
    };
    let Some(member) = repo::by_id(&s.db, &session.member_id).await? else {
        return Ok(None);
    };
    if !member.is_active() {
        return Ok(None);
    }
    Ok(Some((member, session)))
}

fn no_session(parts: &Parts) -> NoSession {
    if parts.uri.path().starts_with("/api/") {
        NoSession::Unauthorized
    } else {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/admin".into());
        NoSession::SignIn(next)
    }
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = NoSession;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.remove::<CurrentMemberCache>() {
            let (member, session) = (cached.0.clone(), cached.1.clone());
            parts.extensions.insert(cached);
            return Ok(CurrentMember { member, session });
        }
        // API routes take a personal API token instead of the cookie when one is sent.
        if parts.uri.path().starts_with("/api/")
            && let Some(auth) = parts.headers.get(header::AUTHORIZATION)
        {
            return match super::tokens::from_authorization(&s.db, auth)
                .await
                .map_err(|e| NoSession::Internal(e.into()))?
            {
                Some((member, session)) => {
                    api_gate(parts, s, &member, &session)
                        .await
                        .map_err(NoSession::Internal)?;
                    parts
                        .extensions
                        .insert(CurrentMemberCache(member.clone(), session.clone()));
                    Ok(CurrentMember { member, session })
                }
                None => Err(NoSession::Unauthorized),
            };
        }
        match session_of(parts, s).await.map_err(NoSession::Internal)? {
            Some((member, session)) if !session.mfa_pending => {
                if parts.uri.path().starts_with("/api/") {
                    api_gate(parts, s, &member, &session)
                        .await
                        .map_err(NoSession::Internal)?;
                }
                parts
                    .extensions
                    .insert(CurrentMemberCache(member.clone(), session.clone()));
                Ok(CurrentMember { member, session })
            }
            _ => Err(no_session(parts)),
        }
    }
}

/// What `/api/` asks of a signed-in member beyond signing in, for cookies and tokens alike:
/// * A write (any method but GET, HEAD, OPTIONS, TRACE) authenticated by the session cookie
///   must pass the forms' same-origin check (`Sec-Fetch-Site`, `Origin`; `csrf::same_origin`),
///   so a third-party page cannot use a team member's browser to write. A token request needs
///   no such check: browsers never attach a token on their own.
/// * When the site requires two-factor for the member's roles and they have not set it up,
///   the API refuses them, as the console sends them to set it up first (`totp::must_enroll`).
async fn api_gate(
    parts: &Parts,
    s: &AppState,
    member: &Member,
    session: &Session,
) -> Result<(), AppError> {
    if !session.is_api_token()
        && !parts.method.is_safe()
        && !crate::http::csrf::same_origin(&parts.headers)
    {
        return Err(AppError::Refused {
            code: "cross_origin",
            message: crate::http::lang_of(parts).t("api-error-cross-origin"),
        });
    }
    if super::totp::must_enroll(member, &s.db).await {
        return Err(AppError::Refused {
            code: "two_factor_required",
            message: crate::http::lang_of(parts).t("api-error-two-factor-required"),
        });
    }
    Ok(())
}

/// Lets the authorization layer and the handler share one session lookup.
#[derive(Clone)]
struct CurrentMemberCache(Member, Session);

impl FromRequestParts<AppState> for PendingMember {
    type Rejection = NoSession;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        match session_of(parts, s).await.map_err(NoSession::Internal)? {
            Some((member, session)) if session.mfa_pending => Ok(PendingMember { member, session }),
            _ => Err(NoSession::SignIn("/admin".into())),
        }
    }
}
