//! Sessions (`sessions`): stored by the SHA-256 of their token (`id_hash`).

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::team::session::Session;
use crate::{on_db, on_tx};

/// A session to store.
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub member_id: &'a str,
    pub mfa_pending: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub async fn insert(db: &Db, s: &NewSession<'_>) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO sessions (id_hash, member_id, mfa_pending, created_at, last_seen_at, expires_at, user_agent, ip) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)"
    )
    .bind(s.id_hash)
    .bind(s.member_id)
    .bind(s.mfa_pending)
    .bind(s.created_at)
    .bind(s.expires_at)
    .bind(s.user_agent)
    .bind(s.ip)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The session stored under `id_hash`, unless it has expired by `now`.
pub async fn live(db: &Db, id_hash: &str, now: DateTime<Utc>) -> DbResult<Option<Session>> {
    let row: Option<(String, String, bool, DateTime<Utc>)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT id_hash, member_id, mfa_pending, created_at FROM sessions WHERE id_hash = $1 AND expires_at > $2"
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(p)
    .await?
    });
    Ok(
        row.map(|(id_hash, member_id, mfa_pending, created_at)| Session {
            id_hash,
            member_id,
            mfa_pending,
            created_at,
        }),
    )
}

pub async fn delete(db: &Db, id_hash: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE id_hash = $1"
    )
    .bind(id_hash)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Deletes every session of the member; returns how many.
pub async fn delete_all(db: &Db, member_id: &str) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE member_id = $1"
    )
    .bind(member_id)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Deletes every session of the member but `keep_hash` (`""` keeps none) inside `tx`;
/// returns how many.
pub async fn delete_all_but_in(tx: &mut Tx, member_id: &str, keep_hash: &str) -> DbResult<u64> {
    Ok(on_tx!(tx, |c| {
        sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND id_hash <> $2")
            .bind(member_id)
            .bind(keep_hash)
            .execute(&mut *c)
            .await?
            .rows_affected()
    }))
}

/// Counts a second-factor attempt on a session: the count including this one, or `None`
/// when the session already has `max` (or is gone). One statement, so simultaneous
/// attempts are counted one after another.
pub async fn count_mfa_attempt(db: &Db, id_hash: &str, max: i64) -> DbResult<Option<i64>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "UPDATE sessions SET mfa_failures = mfa_failures + 1 WHERE id_hash = $1 AND mfa_failures < $2 RETURNING mfa_failures"
    )
    .bind(id_hash)
    .bind(max)
    .fetch_optional(p)
    .await?
    }))
}

/// Deletes a pending (`mfa_pending`) session; `true` when this call deleted it.
pub async fn delete_pending(db: &Db, id_hash: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE id_hash = $1 AND mfa_pending = TRUE"
    )
    .bind(id_hash)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}
