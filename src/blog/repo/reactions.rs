//! The `post_reactions` table: likes and reposts of our posts from other sites (fediverse
//! `Like` and `Announce`, Webmention likes and reposts), one row per source key.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// One stored reaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reaction {
    pub source_key: String,
    pub post_id: String,
    /// `like` or `repost`.
    pub kind: String,
    /// `fediverse` or `webmention`.
    pub source: String,
    pub actor_url: String,
    pub actor_name: String,
    pub created_at: DateTime<Utc>,
}

/// Stores a reaction; `false` when its source key is known already.
pub async fn insert(db: &Db, r: &Reaction) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO post_reactions (source_key, post_id, kind, source, actor_url, actor_name, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source_key) DO NOTHING"
    )
    .bind(&r.source_key)
    .bind(&r.post_id)
    .bind(&r.kind)
    .bind(&r.source)
    .bind(&r.actor_url)
    .bind(&r.actor_name)
    .bind(r.created_at)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Removes the reaction with this source key, if it was made by `actor_url` (an Undo may only
/// take back its own actor's reaction).
pub async fn remove(db: &Db, source_key: &str, actor_url: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM post_reactions WHERE source_key = $1 AND actor_url = $2"
    )
    .bind(source_key)
    .bind(actor_url)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Removes a reaction of `kind` by `actor_url` on `post_id` (an Undo that names the
/// object rather than the activity).
pub async fn remove_by_actor_on(
    db: &Db,
    post_id: &str,
    kind: &str,
    actor_url: &str,
) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM post_reactions WHERE post_id = $1 AND kind = $2 AND actor_url = $3"
    )
    .bind(post_id)
    .bind(kind)
    .bind(actor_url)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Removes every reaction of one actor (an account deleted or blocked).
pub async fn remove_by_actor(db: &Db, actor_url: &str) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM post_reactions WHERE actor_url = $1"
    )
    .bind(actor_url)
    .execute(p)
    .await?
    .rows_affected()))
}

/// A post's reactions of one kind, oldest first (at most `limit`), and how many there are.
pub async fn of_post(
    db: &Db,
    post_id: &str,
    kind: &str,
    limit: i64,
) -> DbResult<(Vec<Reaction>, i64)> {
    let rows = on_db!(db, |p| sqlx::query_as::<_, Reaction>(
        "SELECT source_key, post_id, kind, source, actor_url, actor_name, created_at \
         FROM post_reactions WHERE post_id = $1 AND kind = $2 ORDER BY created_at, source_key \
         LIMIT $3"
    )
    .bind(post_id)
    .bind(kind)
    .bind(limit)
    .fetch_all(p)
    .await?);
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM post_reactions WHERE post_id = $1 AND kind = $2"
    )
    .bind(post_id)
    .bind(kind)
    .fetch_one(p)
    .await?);
    Ok((rows, n))
}

/// A fediverse repost (a boost) of a campaign's post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRepost {
    pub post_id: String,
    pub post_title: String,
    pub actor_url: String,
    pub actor_name: String,
    pub created_at: DateTime<Utc>,
}

/// The fediverse reposts of the posts of `campaign_id` made from `since` on, oldest first.
pub async fn reposts_of_campaign(
    db: &Db,
    campaign_id: &str,
    since: DateTime<Utc>,
) -> DbResult<Vec<CampaignRepost>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT r.post_id, p.title AS post_title, r.actor_url, r.actor_name, r.created_at \
         FROM post_reactions r JOIN posts p ON p.id = r.post_id \
         WHERE p.campaign_id = $1 AND r.kind = 'repost' AND r.source = 'fediverse' \
         AND r.created_at >= $2 ORDER BY r.created_at, r.source_key"
    )
    .bind(campaign_id)
    .bind(since)
    .fetch_all(p)
    .await?))
}
