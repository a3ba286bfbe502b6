//! Single-use, expiring links: sign-in (`shelfraiser user add`), invitation, password reset.
//! The link carries a random token; only its SHA-256 is stored. Using a link marks it used
//! in the same statement that checks it, so a link works once even with two nodes racing.

use chrono::{Duration, Utc};

use super::repo;
use super::session::{hash_token, new_token};
use crate::db::{Db, DbResult, Tx};

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
    repo::links::insert(db, &hash_token(&token), member_id, purpose, Utc::now()).await?;
    Ok(token)
}

/// Whether the token is valid now (unused, unexpired, of this purpose), without using it;
/// returns the member id. For showing a form before the link is consumed.
pub async fn peek(db: &Db, token: &str, purpose: Purpose) -> DbResult<Option<String>> {
    repo::links::peek(db, &hash_token(token), purpose, Utc::now()).await
}

/// Uses the token: returns the member id once; `None` when unknown, expired, of another
/// purpose or already used.
pub async fn consume(db: &Db, token: &str, purpose: Purpose) -> DbResult<Option<String>> {
    repo::links::consume(db, &hash_token(token), purpose, Utc::now()).await
}

/// Uses up every unused, unexpired link of the member (sign-in, invitation and reset alike)
/// inside `tx`: after a password reset or change, or "sign out everywhere", a link sent or
/// printed earlier must not open a session any more. Returns how many there were.
pub async fn use_up_all_in(tx: &mut Tx, member_id: &str) -> DbResult<u64> {
    repo::links::use_up_all_in(tx, member_id, Utc::now()).await
}
