//! The store of Webmention: `webmentions` (what was received, verified and decided) and
//! `webmention_sends` (the pages each post notified).

use chrono::{DateTime, Utc};

use super::Target;
use crate::db::{Db, DbError, DbResult};
use crate::on_db;

/// Where a received mention stands (see the migration `0029_webmentions.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Verified,
    Approved,
    Spam,
    Gone,
    Invalid,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Verified,
        Status::Approved,
        Status::Pending,
        Status::Spam,
        Status::Gone,
        Status::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Verified => "verified",
            Status::Approved => "approved",
            Status::Spam => "spam",
            Status::Gone => "gone",
            Status::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: String,
    source: String,
    target: String,
    post_id: Option<String>,
    campaign_id: Option<String>,
    status: String,
    kind: String,
    author_name: String,
    author_url: String,
    author_photo: String,
    title: String,
    content: String,
    url: String,
    published_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    verified_at: Option<DateTime<Utc>>,
    last_error: String,
}

/// A received mention as stored.
#[derive(Debug, Clone)]
pub struct Webmention {
    pub id: String,
    pub source: String,
    pub target: String,
    pub on: Target,
    pub status: Status,
    /// `mention`, `reply`, `like` or `repost`.
    pub kind: String,
    pub author_name: String,
    pub author_url: String,
    pub author_photo: String,
    pub title: String,
    pub content: String,
    /// The entry's own address (its `u-url`), else the source.
    pub url: String,
    pub published_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub last_error: String,
}

impl TryFrom<Row> for Webmention {
    type Error = DbError;
    fn try_from(r: Row) -> DbResult<Webmention> {
        let on = match (r.post_id, r.campaign_id) {
            (Some(p), None) => Target::Post(p),
            (None, Some(c)) => Target::Campaign(c),
            _ => return Err(DbError::Corrupt(format!("webmention {}: no target", r.id))),
        };
        let status = Status::parse(&r.status)
            .ok_or_else(|| DbError::Corrupt(format!("webmention {}: status {}", r.id, r.status)))?;
        Ok(Webmention {
            id: r.id,
            source: r.source,
            target: r.target,
            on,
            status,
            kind: r.kind,
            author_name: r.author_name,
            author_url: r.author_url,
            author_photo: r.author_photo,
            title: r.title,
            content: r.content,
            url: r.url,
            published_at: r.published_at,
            received_at: r.received_at,
            verified_at: r.verified_at,
            last_error: r.last_error,
        })
    }
}

const COLUMNS: &str = "id, source, target, post_id, campaign_id, status, kind, author_name, \
    author_url, author_photo, title, content, url, published_at, received_at, verified_at, last_error";

fn ids(t: &Target) -> (Option<&str>, Option<&str>) {
    match t {
        Target::Post(p) => (Some(p.as_str()), None),
        Target::Campaign(c) => (None, Some(c.as_str())),
    }
}

/// Stores a received mention as `pending`, or — sent again — notes the new receipt on its
/// row (whose status the verification then decides). Returns its id.
pub async fn upsert_received(
    db: &Db,
    source: &str,
    target: &str,
    on: &Target,
    client: &str,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let (post_id, campaign_id) = ids(on);
    let id = uuid::Uuid::new_v4().simple().to_string();
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "INSERT INTO webmentions (id, source, target, post_id, campaign_id, status, client_key, received_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) \
         ON CONFLICT (source, target) DO UPDATE SET client_key = excluded.client_key, \
         received_at = excluded.received_at, post_id = excluded.post_id, \
         campaign_id = excluded.campaign_id \
         RETURNING id"
    )
    .bind(&id)
    .bind(source)
    .bind(target)
    .bind(post_id)
    .bind(campaign_id)
    .bind(client)
    .bind(now)
    .fetch_one(p)
    .await?
    }))
}

/// How many mentions this address sent since `since`.
pub async fn received_since(db: &Db, client: &str, since: DateTime<Utc>) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM webmentions WHERE client_key = $1 AND received_at > $2"
    )
    .bind(client)
    .bind(since)
    .fetch_one(p)
    .await?))
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Webmention>> {
    let sql = format!("SELECT {COLUMNS} FROM webmentions WHERE id = $1");
    let row: Option<Row> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(Webmention::try_from).transpose()
}

/// What the verification read from the source.
#[derive(Debug, Clone)]
pub struct Verified<'a> {
    pub status: Status,
    pub kind: &'a str,
    pub author_name: &'a str,
    pub author_url: &'a str,
    pub author_photo: &'a str,
    pub title: &'a str,
    pub content: &'a str,
    pub url: &'a str,
    pub published_at: Option<DateTime<Utc>>,
}

/// Keeps what the verification read, with the status it decided.
pub async fn set_verified(db: &Db, id: &str, v: &Verified<'_>, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE webmentions SET status = $2, kind = $3, author_name = $4, author_url = $5, \
         author_photo = $6, title = $7, content = $8, url = $9, published_at = $10, \
         verified_at = $11, last_error = '' WHERE id = $1"
    )
    .bind(id)
    .bind(v.status.as_str())
    .bind(v.kind)
    .bind(v.author_name)
    .bind(v.author_url)
    .bind(v.author_photo)
    .bind(v.title)
    .bind(v.content)
    .bind(v.url)
    .bind(v.published_at)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Sets the status (and the reason, for `gone` and `invalid`).
pub async fn set_status(db: &Db, id: &str, status: Status, error: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE webmentions SET status = $2, last_error = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(status.as_str())
    .bind(error)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query("DELETE FROM webmentions WHERE id = $1")
        .bind(id)
        .execute(p)
        .await?
        .rows_affected());
    Ok(n > 0)
}

/// Whether a campaign mention by this author was approved before.
pub async fn author_approved(db: &Db, author_url: &str) -> DbResult<bool> {
    if author_url.is_empty() {
        return Ok(false);
    }
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM webmentions WHERE author_url = $1 AND status = 'approved'"
    )
    .bind(author_url)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// An approved mention as a campaign page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shown {
    pub author_name: String,
    pub author_url: String,
    pub title: String,
    pub content: String,
    pub url: String,
    pub published_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

/// The campaign's approved mentions, newest first.
pub async fn shown(db: &Db, campaign_id: &str, limit: i64) -> DbResult<Vec<Shown>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT author_name, author_url, title, content, url, published_at, received_at \
         FROM webmentions WHERE campaign_id = $1 AND status = 'approved' \
         ORDER BY COALESCE(published_at, received_at) DESC, id LIMIT $2"
    )
    .bind(campaign_id)
    .bind(limit)
    .fetch_all(p)
    .await?))
}

/// Mentions with this status, newest first (the console's list).
pub async fn list(db: &Db, status: Status, limit: i64, offset: i64) -> DbResult<Vec<Webmention>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webmentions WHERE status = $1 \
         ORDER BY received_at DESC, id LIMIT $2 OFFSET $3"
    );
    let rows: Vec<Row> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(status.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?);
    rows.into_iter().map(Webmention::try_from).collect()
}

/// How many mentions there are of each status.
pub async fn counts(db: &Db) -> DbResult<Vec<(Status, i64)>> {
    let rows: Vec<(String, i64)> = on_db!(db, |p| sqlx::query_as(
        "SELECT status, COUNT(*) FROM webmentions GROUP BY status"
    )
    .fetch_all(p)
    .await?);
    Ok(rows
        .into_iter()
        .filter_map(|(s, n)| Status::parse(&s).map(|s| (s, n)))
        .collect())
}

/// The pages this post notified when it was last sent.
pub async fn sent_targets(db: &Db, post_id: &str) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT target FROM webmention_sends WHERE post_id = $1 ORDER BY target"
    )
    .bind(post_id)
    .fetch_all(p)
    .await?))
}

/// Notes what notifying `target` about `post_id` came to.
pub async fn record_send(
    db: &Db,
    post_id: &str,
    target: &str,
    endpoint: &str,
    outcome: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO webmention_sends (post_id, target, endpoint, outcome, sent_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (post_id, target) DO UPDATE SET \
         endpoint = excluded.endpoint, outcome = excluded.outcome, sent_at = excluded.sent_at"
    )
    .bind(post_id)
    .bind(target)
    .bind(endpoint)
    .bind(outcome)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Forgets that `post_id` linked to `target` (it no longer does, and was told).
pub async fn forget_send(db: &Db, post_id: &str, target: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM webmention_sends WHERE post_id = $1 AND target = $2"
    )
    .bind(post_id)
    .bind(target)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}
