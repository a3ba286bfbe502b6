//! The reply-mail tables: `comment_reply_subscriptions` (a comment whose author asked to be
//! told of replies, in their language, until they unsubscribe) and `comment_reply_notices`
//! (the replies already told, so each is mailed at most once). The rules are in
//! `blog::replies`.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// Records that the author of `comment_id` wants replies mailed, in `lang`.
pub async fn subscribe(db: &Db, comment_id: &str, lang: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO comment_reply_subscriptions (comment_id, lang, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (comment_id) DO NOTHING"
    )
    .bind(comment_id)
    .bind(lang)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The language of a live subscription to replies to `comment_id` (`None`: none, or
/// unsubscribed).
pub async fn subscribed(db: &Db, comment_id: &str) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT lang FROM comment_reply_subscriptions \
         WHERE comment_id = $1 AND unsubscribed_at IS NULL"
    )
    .bind(comment_id)
    .fetch_optional(p)
    .await?))
}

/// Ends the subscription (idempotent: the first time is kept); `false` when there was none.
pub async fn unsubscribe(db: &Db, comment_id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE comment_reply_subscriptions SET unsubscribed_at = COALESCE(unsubscribed_at, $2) \
         WHERE comment_id = $1"
    )
    .bind(comment_id)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

/// Claims the one mail about `reply_id`; `true` the first time only.
pub async fn claim_notice(db: &Db, reply_id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let claimed: Option<String> = on_db!(db, |p| sqlx::query_scalar(
        "INSERT INTO comment_reply_notices (reply_id, sent_at) VALUES ($1, $2) \
         ON CONFLICT (reply_id) DO NOTHING RETURNING reply_id"
    )
    .bind(reply_id)
    .bind(now)
    .fetch_optional(p)
    .await?);
    Ok(claimed.is_some())
}
