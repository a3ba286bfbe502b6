//! The `commenter_emails` table: keyed hashes of guest commenters' addresses, when each was
//! confirmed and when a confirmation link last went out (`blog::commenters` has the rules).

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// Whether the address with `hash` has been confirmed.
pub async fn is_confirmed(db: &Db, hash: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM commenter_emails WHERE email_hash = $1 AND confirmed_at IS NOT NULL"
    )
    .bind(hash)
    .fetch_one(p)
    .await?
    });
    Ok(n > 0)
}

/// Marks the address with `hash` confirmed (idempotent: the first time is kept).
pub async fn mark_confirmed(db: &Db, hash: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO commenter_emails (email_hash, confirmed_at) VALUES ($1, $2) \
         ON CONFLICT (email_hash) DO UPDATE \
         SET confirmed_at = COALESCE(commenter_emails.confirmed_at, excluded.confirmed_at)"
    )
    .bind(hash)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Records a confirmation mail to the address with `hash` at `now` unless it is confirmed
/// or one went out after `sent_before`; true when recorded (the mail may go).
pub async fn claim_mail(
    db: &Db,
    hash: &str,
    now: DateTime<Utc>,
    sent_before: DateTime<Utc>,
) -> DbResult<bool> {
    let claimed: Option<String> = on_db!(db, |p| {
        sqlx::query_scalar(
        "INSERT INTO commenter_emails (email_hash, confirm_sent_at) VALUES ($1, $2) \
         ON CONFLICT (email_hash) DO UPDATE SET confirm_sent_at = excluded.confirm_sent_at \
         WHERE commenter_emails.confirmed_at IS NULL \
           AND (commenter_emails.confirm_sent_at IS NULL OR commenter_emails.confirm_sent_at <= $3) \
         RETURNING email_hash"
    )
    .bind(hash)
    .bind(now)
    .bind(sent_before)
    .fetch_optional(p)
    .await?
    });
    Ok(claimed.is_some())
}
