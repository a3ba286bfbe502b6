//! The card-testing defence's store: declined card attempts (`card_declines`), used
//! proof-of-work challenges (`pow_spent`) and the count of checkouts per donor e-mail
//! address (on `checkout_sessions`).

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// Notes a declined card attempt; true the first time (the provider's two events of one
/// decline, or a replay, add nothing).
pub async fn note_decline_in(
    tx: &mut Tx,
    provider: &str,
    attempt: &str,
    campaign_id: Option<&str>,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO card_declines (provider, attempt, campaign_id, fingerprint, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, attempt) DO NOTHING"
    )
    .bind(provider)
    .bind(attempt)
    .bind(campaign_id)
    .bind(fingerprint)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// A campaign's declines since a time: how many, the most of one card, and the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Declines {
    pub total: i64,
    pub most_of_one_card: i64,
    pub newest: Option<DateTime<Utc>>,
}

/// The declines for `campaign_id` since `since`.
pub async fn declines_since(
    db: &Db,
    campaign_id: &str,
    since: DateTime<Utc>,
) -> DbResult<Declines> {
    let rows: Vec<(i64, DateTime<Utc>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), MAX(created_at) FROM card_declines \
         WHERE campaign_id = $1 AND created_at > $2 GROUP BY fingerprint"
    )
    .bind(campaign_id)
    .bind(since)
    .fetch_all(p)
    .await?);
    Ok(Declines {
        total: rows.iter().map(|r| r.0).sum(),
        most_of_one_card: rows.iter().map(|r| r.0).max().unwrap_or(0),
        newest: rows.iter().map(|r| r.1).max(),
    })
}

/// Deletes the declines noted before `before`; returns how many.
pub async fn forget_declines(db: &Db, before: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM card_declines WHERE created_at < $1"
    )
    .bind(before)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Marks a challenge's nonce used until `expires_at`; false when it already was.
pub async fn spend_nonce(db: &Db, nonce: &str, expires_at: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO pow_spent (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING"
    )
    .bind(nonce)
    .bind(expires_at)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Deletes used nonces whose challenge has expired (they cannot be offered again anyway).
pub async fn forget_spent(db: &Db, now: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM pow_spent WHERE expires_at < $1"
    )
    .bind(now)
    .execute(p)
    .await?
    .rows_affected()))
}

/// When the `n`-th newest checkout session with the donor e-mail `email` (already
/// lower-cased and trimmed) was created, if there are at least `n` since `since`. Sessions
/// closed because the provider could not start them (`failed_at`) do not count.
pub async fn nth_newest_with_email(
    db: &Db,
    email: &str,
    since: DateTime<Utc>,
    n: i64,
) -> DbResult<Option<DateTime<Utc>>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT created_at FROM checkout_sessions WHERE LOWER(donor_email) = $1 \
         AND created_at > $2 AND failed_at IS NULL ORDER BY created_at DESC LIMIT 1 OFFSET $3"
    )
    .bind(email)
    .bind(since)
    .bind(n - 1)
    .fetch_optional(p)
    .await?))
}
