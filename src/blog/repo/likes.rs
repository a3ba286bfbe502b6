//! The `likes` table (one row per post, visitor hash and UTC day); `blog::likes` has the
//! rules (and keeps the daily salts in the site settings, `like_salt:<yyyy-mm-dd>`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

pub async fn count(db: &Db, post_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM likes WHERE post_id = $1"
    )
    .bind(post_id)
    .fetch_one(p)
    .await?))
}

/// Stores a like; `false` when this visitor hash already liked the post that day.
pub async fn insert(
    db: &Db,
    post_id: &str,
    visitor_hash: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO likes (post_id, visitor_hash, day, source, created_at) \
         VALUES ($1, $2, $3, 'site', $4) ON CONFLICT (post_id, visitor_hash, day) DO NOTHING"
    )
    .bind(post_id)
    .bind(visitor_hash)
    .bind(day)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n > 0)
}
