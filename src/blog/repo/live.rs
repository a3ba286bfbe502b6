//! The `live_posts` and `live_entries` tables: which posts are in live mode and their
//! entries (`blog::live` has the rules). Triggers bump the blog's version on every change.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// One entry of a live post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveEntry {
    pub id: String,
    pub post_id: String,
    pub author_id: Option<String>,
    pub kind: String,
    pub body_md: String,
    pub image_url: Option<String>,
    pub image_alt: String,
    pub created_at: DateTime<Utc>,
}

/// When the post went live, if it is live.
pub async fn live_since(db: &Db, post_id: &str) -> DbResult<Option<DateTime<Utc>>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT started_at FROM live_posts WHERE post_id = $1"
    )
    .bind(post_id)
    .fetch_optional(p)
    .await?))
}

/// Puts the post in live mode; `false` when it already was.
pub async fn start_in(
    tx: &mut Tx,
    post_id: &str,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO live_posts (post_id, started_by, started_at) VALUES ($1, $2, $3) \
         ON CONFLICT (post_id) DO NOTHING"
    )
    .bind(post_id)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Takes the post out of live mode; `false` when it was not live.
pub async fn end_in(tx: &mut Tx, post_id: &str) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM live_posts WHERE post_id = $1"
    )
    .bind(post_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Stores an entry.
pub async fn insert_entry_in(tx: &mut Tx, e: &LiveEntry) -> DbResult<()> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO live_entries (id, post_id, author_id, kind, body_md, image_url, image_alt, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(&e.id)
    .bind(&e.post_id)
    .bind(&e.author_id)
    .bind(&e.kind)
    .bind(&e.body_md)
    .bind(&e.image_url)
    .bind(&e.image_alt)
    .bind(e.created_at)
    .execute(&mut *c)
    .await
    .map(|_| ())?
    });
    Ok(())
}

/// Deletes one entry of the post; `false` when there was none.
pub async fn delete_entry_in(tx: &mut Tx, post_id: &str, id: &str) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM live_entries WHERE post_id = $1 AND id = $2"
    )
    .bind(post_id)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// The post's entries, oldest first.
pub async fn entries(db: &Db, post_id: &str) -> DbResult<Vec<LiveEntry>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT id, post_id, author_id, kind, body_md, image_url, image_alt, created_at \
         FROM live_entries WHERE post_id = $1 ORDER BY created_at, id"
    )
    .bind(post_id)
    .fetch_all(p)
    .await?))
}
