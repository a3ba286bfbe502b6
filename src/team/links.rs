//! Single-use, expiring links: sign-in (`shelfraiser user add`), invitation, password reset.
//! The link carries a random token; only its SHA-256 is stored. Using a link marks it used
//! in the same statement that checks it, so a link works once even with two nodes racing.

use chrono::{Duration, Utc};

use super::session::{hash_token, new_token};
use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    Invite,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "signin",
            Purpose::Invite => "invite",
            Purpose::Reset => "reset",
        }
    }

    /// How long a link of this kind stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::SignIn => Duration::hours(24),
            Purpose::Invite => Duration::days(7),
            Purpose::Reset => Duration::hours(1),
        }
    }
}

/// Creates a link token for the member.
pub async fn create(db: &Db, member_id: &str, purpose: Purpose) -> DbResult<String> {
    let token = new_token();
    let now = Utc::now();
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO login_tokens (token_hash, member_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(hash_token(&token))
    .bind(member_id)
    .bind(purpose.as_str())
    .bind(now)
    .bind(now + purpose.lifetime())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(token)
}

/// Whether the token is valid now (unused, unexpired, of this purpose), without using it;
/// returns the member id. For showing a form before the link is consumed.
pub async fn peek(db: &Db, token: &str, purpose: Purpose) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT member_id FROM login_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
    )
    .bind(hash_token(token))
    .bind(purpose.as_str())
    .bind(Utc::now())
    .fetch_optional(p)
    .await?
    }))
}

/// Uses the token: returns the member id once; `None` when unknown, expired, of another
/// purpose or already used.
pub async fn consume(db: &Db, token: &str, purpose: Purpose) -> DbResult<Option<String>> {
    let now = Utc::now();
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "UPDATE login_tokens SET used_at = $3 \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING member_id"
    )
    .bind(hash_token(token))
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(p)
    .await?
    }))
}

/// Uses up every unused, unexpired link of the member (sign-in, invitation and reset alike)
/// inside `tx`: after a password reset or change, or "sign out everywhere", a link sent or
/// printed earlier must not open a session any more. Returns how many there were.
pub async fn use_up_all_in(tx: &mut Tx, member_id: &str) -> DbResult<u64> {
    Ok(on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE login_tokens SET used_at = $2 \
             WHERE member_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(member_id)
        .bind(Utc::now())
        .execute(&mut *c)
        .await?
        .rows_affected()
    }))
}
