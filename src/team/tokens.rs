//! Personal API tokens: `sr_` + 32 random bytes (URL-safe base64), shown once, stored only as
//! their SHA-256. A token acts as its member, with the member's roles, on `/api/` routes when
//! sent as `Authorization: Bearer TOKEN` (see `session::CurrentMember`). Revoking is final.
//! `last_used_at` is written at most once a minute per token.

use chrono::{DateTime, Duration, Utc};
use http::HeaderValue;

use super::audit::{self, Actor};
use super::session::{Session, hash_token};
use super::{Member, repo};
use crate::db::{Db, DbResult, Tx};

/// Every API token starts with this, so it is recognisable (and findable by secret scanners).
pub const PREFIX: &str = "sr_";
/// The `Session::id_hash` of a request authenticated by a token starts with this; no cookie
/// session ever has it (those are hex), so CSRF tokens bound to it are never issued.
pub const SESSION_PREFIX: &str = "api-token:";
/// Longest label accepted (characters).
pub const MAX_LABEL: usize = 80;

/// A fresh token: `sr_` + 32 random bytes, URL-safe base64 without padding (46 characters).
pub fn new_token() -> String {
    format!("{PREFIX}{}", super::session::new_token())
}

/// A token as listed to its owner (never the token itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub member_id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Trims and checks a label: 1–80 characters, no control characters.
pub fn clean_label(label: &str) -> Option<String> {
    label_within(label, MAX_LABEL)
}

/// A label trimmed, when it then has 1 to `max` characters and no control characters (API
/// tokens, passkeys).
pub(super) fn label_within(label: &str, max: usize) -> Option<String> {
    let l = label.trim();
    (!l.is_empty() && l.chars().count() <= max && !l.chars().any(char::is_control))
        .then(|| l.to_string())
}

/// Creates a token for the member and records `token.created`; returns the stored row and
/// the token (to be shown once).
pub async fn create(
    db: &Db,
    member_id: &str,
    label: &str,
    by: &Actor,
) -> DbResult<(ApiToken, String)> {
    let token = new_token();
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let row = ApiToken {
        id,
        member_id: member_id.to_string(),
        label: label.to_string(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = db.begin().await?;
    repo::tokens::insert_in(&mut tx, &row, &hash_token(&token)).await?;
    audit::record_in(&mut tx, by, "token.created", &row.id, label).await?;
    tx.commit().await?;
    Ok((row, token))
}

/// The member's tokens that still work, newest first.
pub async fn list_active(db: &Db, member_id: &str) -> DbResult<Vec<ApiToken>> {
    repo::tokens::list_active(db, member_id).await
}

/// Revokes one of the member's own tokens and records `token.revoked`; `false` when the
/// member has no such live token.
pub async fn revoke(db: &Db, member_id: &str, id: &str, by: &Actor) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let label = repo::tokens::revoke_in(&mut tx, member_id, id, Utc::now()).await?;
    let Some(label) = label else {
        return Ok(false);
    };
    audit::record_in(&mut tx, by, "token.revoked", id, &label).await?;
    tx.commit().await?;
    Ok(true)
}

/// Revokes every live token of the member inside `tx` and records `token.revoked` for each
/// (detail: its label and `why`, e.g. `password.changed`); returns how many.
pub async fn revoke_all_in(tx: &mut Tx, member_id: &str, by: &Actor, why: &str) -> DbResult<u64> {
    let revoked = repo::tokens::revoke_all_in(tx, member_id, Utc::now()).await?;
    for (id, label) in &revoked {
        audit::record_in(tx, by, "token.revoked", id, &format!("{label} ({why})")).await?;
    }
    Ok(revoked.len() as u64)
}

/// The live token and its member for a presented token; marks it used (at most once a
/// minute, in the same statement that checks it is unrevoked).
pub async fn authenticate(db: &Db, token: &str) -> DbResult<Option<(ApiToken, Member)>> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let row = repo::tokens::live_by_hash(db, &hash_token(token)).await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let Some(member) = repo::by_id(db, &row.member_id).await? else {
        return Ok(None);
    };
    if !member.is_active() {
        return Ok(None);
    }
    let now = Utc::now();
    if row
        .last_used_at
        .is_none_or(|t| t < now - Duration::seconds(60))
    {
        repo::tokens::touch(db, &row.id, now, now - Duration::seconds(60)).await?;
    }
    Ok(Some((row, member)))
}

/// The token of an `Authorization: Bearer TOKEN` header value, if it is one.
pub fn bearer(value: &HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Authenticates an `Authorization` header for an API request: the member and a stand-in
/// session (its `id_hash` starts with [`SESSION_PREFIX`]); `None` for anything unusable.
pub async fn from_authorization(
    db: &Db,
    value: &HeaderValue,
) -> DbResult<Option<(Member, Session)>> {
    let Some(token) = bearer(value) else {
        return Ok(None);
    };
    Ok(authenticate(db, token).await?.map(|(t, member)| {
        let session = Session {
            id_hash: format!("{SESSION_PREFIX}{}", t.id),
            member_id: member.id.clone(),
            mfa_pending: false,
            created_at: t.created_at,
        };
        (member, session)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format() {
        let t = new_token();
        assert!(t.starts_with("sr_"));
        assert_eq!(t.len(), 3 + 43);
        assert!(
            t[3..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(new_token(), t);
    }

    #[test]
    fn bearer_header() {
        let v = |s: &str| HeaderValue::from_str(s).expect("header");
        assert_eq!(bearer(&v("Bearer sr_abc")), Some("sr_abc"));
        assert_eq!(bearer(&v("bearer  sr_abc ")), Some("sr_abc"));
        assert_eq!(bearer(&v("Basic abc")), None);
        assert_eq!(bearer(&v("Bearer ")), None);
        assert_eq!(bearer(&v("sr_abc")), None);
    }

    #[test]
    fn labels() {
        assert_eq!(clean_label("  laptop "), Some("laptop".into()));
        assert_eq!(clean_label("   "), None);
        assert_eq!(clean_label(&"x".repeat(81)), None);
        assert_eq!(clean_label("a\u{7}b"), None);
    }
}
