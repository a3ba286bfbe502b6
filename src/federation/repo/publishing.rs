//! What our actors published (`federation_outbox`), who and what is blocked
//! (`federation_blocks`) and each remote host's delivery breaker (`federation_breakers`).

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// One activity our actor published.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Published {
    pub id: String,
    pub actor_id: String,
    pub kind: String,
    pub object_id: String,
    pub body: String,
    pub published_at: DateTime<Utc>,
}

/// Stores a published activity; `false` when its id is stored already (a job run again).
pub async fn insert_published_in(tx: &mut Tx, a: &Published) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO federation_outbox (id, actor_id, kind, object_id, body, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING"
    )
    .bind(&a.id)
    .bind(&a.actor_id)
    .bind(&a.kind)
    .bind(&a.object_id)
    .bind(&a.body)
    .bind(a.published_at)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// The last activity about `object_id` of one of these kinds (which tells whether the
/// object is out there: created or updated, or deleted).
pub async fn last_about(db: &Db, object_id: &str) -> DbResult<Option<Published>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, Published>(
        "SELECT id, actor_id, kind, object_id, body, published_at FROM federation_outbox \
         WHERE object_id = $1 AND kind IN ('Create', 'Update', 'Delete') \
         ORDER BY published_at DESC, id DESC LIMIT 1"
    )
    .bind(object_id)
    .fetch_optional(p)
    .await?))
}

/// An actor's public activities (Create and Announce), newest first, one page.
pub async fn outbox_page(
    db: &Db,
    actor_id: &str,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<Published>, i64)> {
    let rows = on_db!(db, |p| sqlx::query_as::<_, Published>(
        "SELECT id, actor_id, kind, object_id, body, published_at FROM federation_outbox o \
         WHERE actor_id = $1 AND kind IN ('Create', 'Announce') AND NOT EXISTS ( \
           SELECT 1 FROM federation_outbox d WHERE d.object_id = o.object_id \
           AND d.kind = 'Delete' AND d.published_at >= o.published_at) \
         ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3"
    )
    .bind(actor_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(p)
    .await?);
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_outbox o WHERE actor_id = $1 \
         AND kind IN ('Create', 'Announce') AND NOT EXISTS ( \
           SELECT 1 FROM federation_outbox d WHERE d.object_id = o.object_id \
           AND d.kind = 'Delete' AND d.published_at >= o.published_at)"
    )
    .bind(actor_id)
    .fetch_one(p)
    .await?);
    Ok((rows, n))
}

/// Where an activity for these actors' followers goes: each accepted follower's shared
/// inbox, or its own inbox when it has none, once.
pub async fn delivery_inboxes(db: &Db, actor_ids: &[&str]) -> DbResult<Vec<String>> {
    let mut all = Vec::new();
    for actor in actor_ids {
        let rows: Vec<String> = on_db!(db, |p| sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(shared_inbox, inbox) FROM federation_followers \
             WHERE actor_id = $1 AND state = 'accepted'"
        )
        .bind(*actor)
        .fetch_all(p)
        .await?);
        all.extend(rows);
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// Every block: host names and actor ids.
pub async fn blocks(db: &Db) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT target FROM federation_blocks ORDER BY target"
    )
    .fetch_all(p)
    .await?))
}

/// Replaces the block list.
pub async fn set_blocks(db: &Db, targets: &[String], now: DateTime<Utc>) -> DbResult<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query("DELETE FROM federation_blocks")
        .execute(&mut *c)
        .await?
        .rows_affected());
    for t in targets {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO federation_blocks (target, created_at) VALUES ($1, $2) \
             ON CONFLICT (target) DO NOTHING"
        )
        .bind(t)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected());
    }
    tx.commit().await
}

/// A host's delivery breaker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Breaker {
    pub host: String,
    pub failures: i64,
    pub open_until: Option<DateTime<Utc>>,
    pub last_error: String,
}

pub async fn breaker(db: &Db, host: &str) -> DbResult<Option<Breaker>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, Breaker>(
        "SELECT host, failures, open_until, last_error FROM federation_breakers WHERE host = $1"
    )
    .bind(host)
    .fetch_optional(p)
    .await?))
}

/// Records a failed delivery to `host`: one more failure in a row (returned); when its
/// breaker opens is [`breaker_open`]'s.
pub async fn breaker_failed(db: &Db, host: &str, error: &str, now: DateTime<Utc>) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "INSERT INTO federation_breakers (host, failures, last_error, updated_at) \
         VALUES ($1, 1, $2, $3) ON CONFLICT (host) DO UPDATE SET \
         failures = federation_breakers.failures + 1, \
         last_error = excluded.last_error, updated_at = excluded.updated_at \
         RETURNING failures"
    )
    .bind(host)
    .bind(error)
    .bind(now)
    .fetch_one(p)
    .await?))
}

/// Opens the breaker of `host` until `until`.
pub async fn breaker_open(db: &Db, host: &str, until: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE federation_breakers SET open_until = $2 WHERE host = $1"
    )
    .bind(host)
    .bind(until)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// A delivery to `host` went through: its breaker closes.
pub async fn breaker_succeeded(db: &Db, host: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_breakers WHERE host = $1"
    )
    .bind(host)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Whether an activity id was received before.
pub async fn seen(db: &Db, id: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_seen_activities WHERE id = $1"
    )
    .bind(id)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// Removes every follow by `follower` (an account deleted or blocked).
pub async fn remove_follows_by(db: &Db, follower: &str) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_followers WHERE follower = $1"
    )
    .bind(follower)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Whether `follower` has a follow with this Follow activity id.
pub async fn follow_by_id(db: &Db, follower: &str, follow_id: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_followers WHERE follower = $1 AND follow_id = $2"
    )
    .bind(follower)
    .bind(follow_id)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// Everyone who follows any of our actors (each once).
pub async fn all_followers(db: &Db) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT follower FROM federation_followers ORDER BY follower"
    )
    .fetch_all(p)
    .await?))
}

/// The hosts whose deliveries wait now, with their failures and last error.
pub async fn open_breakers(db: &Db, now: DateTime<Utc>) -> DbResult<Vec<Breaker>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, Breaker>(
        "SELECT host, failures, open_until, last_error FROM federation_breakers \
         WHERE open_until > $1 ORDER BY host"
    )
    .bind(now)
    .fetch_all(p)
    .await?))
}

/// The amounts (milestones, goal) of a campaign already recorded as reached.
pub async fn milestones_marked(db: &Db, campaign_id: &str) -> DbResult<Vec<i64>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT amount_minor FROM federation_milestones WHERE campaign_id = $1 \
         ORDER BY amount_minor"
    )
    .bind(campaign_id)
    .fetch_all(p)
    .await?))
}

/// Records an amount as reached; `false` when it was recorded before (another node).
pub async fn mark_milestone_in(
    tx: &mut Tx,
    campaign_id: &str,
    amount_minor: i64,
    announced: bool,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO federation_milestones (campaign_id, amount_minor, announced, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id, amount_minor) DO NOTHING"
    )
    .bind(campaign_id)
    .bind(amount_minor)
    .bind(announced)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// The avatar's URL of the remote actor whose avatar key is `key`, if it has one.
pub async fn icon_by_avatar_key(db: &Db, key: &str) -> DbResult<Option<String>> {
    let icon: Option<Option<String>> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT icon FROM federation_remote_actors WHERE avatar_key = $1 LIMIT 1"
    )
    .bind(key)
    .fetch_optional(p)
    .await?);
    Ok(icon.flatten())
}

/// A kept avatar: its type, bytes and when it was fetched.
pub async fn avatar(db: &Db, key: &str) -> DbResult<Option<(String, Vec<u8>, DateTime<Utc>)>> {
    Ok(on_db!(db, |p| sqlx::query_as::<
        _,
        (String, Vec<u8>, DateTime<Utc>),
    >(
        "SELECT content_type, bytes, fetched_at FROM federation_avatars WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(p)
    .await?))
}

/// Keeps (or replaces) an avatar.
pub async fn save_avatar(
    db: &Db,
    key: &str,
    content_type: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO federation_avatars (key, content_type, bytes, fetched_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
         content_type = excluded.content_type, bytes = excluded.bytes, \
         fetched_at = excluded.fetched_at"
    )
    .bind(key)
    .bind(content_type)
    .bind(bytes)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Whether a remote actor has this avatar key (with or without an avatar).
pub async fn knows_avatar_key(db: &Db, key: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_remote_actors WHERE avatar_key = $1"
    )
    .bind(key)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}
