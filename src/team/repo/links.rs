//! Single-use links (`login_tokens`), stored by the SHA-256 of their token.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::team::links::Purpose;
use crate::{on_db, on_tx};

pub async fn insert(
    db: &Db,
    token_hash: &str,
    member_id: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO login_tokens (token_hash, member_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_hash)
    .bind(member_id)
    .bind(purpose.as_str())
    .bind(now)
    .bind(now + purpose.lifetime())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The member of an unused link of this purpose that is valid at `now`, without using it.
pub async fn peek(
    db: &Db,
    token_hash: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT member_id FROM login_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(p)
    .await?
    }))
}

/// Marks an unused, valid link of this purpose used, in the statement that checks it;
/// returns its member once.
pub async fn consume(
    db: &Db,
    token_hash: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "UPDATE login_tokens SET used_at = $3 \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING member_id"
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(p)
    .await?
    }))
}

/// Marks every unused, unexpired link of the member used inside `tx`; returns how many.
pub async fn use_up_all_in(tx: &mut Tx, member_id: &str, now: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE login_tokens SET used_at = $2 \
             WHERE member_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(member_id)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    }))
}
