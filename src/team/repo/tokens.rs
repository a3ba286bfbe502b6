//! Personal API tokens (`api_tokens`), stored by the SHA-256 of the token.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::team::tokens::ApiToken;
use crate::{on_db, on_tx};

const COLUMNS: &str = "id, member_id, label, created_at, last_used_at, revoked_at";

/// Stores a new token inside `tx`.
pub async fn insert_in(tx: &mut Tx, t: &ApiToken, token_hash: &str) -> DbResult<()> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO api_tokens (id, member_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(&t.id)
    .bind(&t.member_id)
    .bind(&t.label)
    .bind(token_hash)
    .bind(t.created_at)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The member's unrevoked tokens, newest first.
pub async fn list_active(db: &Db, member_id: &str) -> DbResult<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens \
         WHERE member_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(member_id)
        .fetch_all(p)
        .await?))
}

/// Revokes one of the member's unrevoked tokens inside `tx`; its label, or `None` when there
/// is no such token.
pub async fn revoke_in(
    tx: &mut Tx,
    member_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<String>> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND member_id = $2 AND revoked_at IS NULL \
         RETURNING label"
    )
    .bind(id)
    .bind(member_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?
    }))
}

/// Revokes every unrevoked token of the member inside `tx`; their ids and labels.
pub async fn revoke_all_in(
    tx: &mut Tx,
    member_id: &str,
    now: DateTime<Utc>,
) -> DbResult<Vec<(String, String)>> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL \
             RETURNING id, label",
        )
        .bind(member_id)
        .bind(now)
        .fetch_all(&mut *c)
        .await?
    }))
}

/// The unrevoked token stored under `token_hash`.
pub async fn live_by_hash(db: &Db, token_hash: &str) -> DbResult<Option<ApiToken>> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_optional(p)
        .await?))
}

/// Sets `last_used_at` to `now` unless it is already `before` or later (so concurrent
/// requests write it once).
pub async fn touch(db: &Db, id: &str, now: DateTime<Utc>, before: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 \
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)"
    )
    .bind(id)
    .bind(now)
    .bind(before)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}
