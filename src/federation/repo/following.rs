//! Whom our actors follow (`federation_following`), the posts those accounts send and our
//! replies to them (`federation_timeline`), and the likes and boosts our actors sent
//! (`federation_sent_reactions`).

use chrono::{DateTime, Utc};

use super::FollowState;
use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// One of our actors following an account elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Following {
    pub actor_id: String,
    /// The followed actor's id.
    pub target: String,
    pub follow_id: String,
    /// The followed actor's own inbox (a Follow and its Undo go there, not to a shared one).
    pub inbox: String,
    pub state: FollowState,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawFollowing {
    actor_id: String,
    target: String,
    follow_id: String,
    inbox: String,
    state: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<RawFollowing> for Following {
    type Error = crate::db::DbError;
    fn try_from(r: RawFollowing) -> DbResult<Following> {
        Ok(Following {
            state: FollowState::parse(&r.state)?,
            actor_id: r.actor_id,
            target: r.target,
            follow_id: r.follow_id,
            inbox: r.inbox,
            created_at: r.created_at,
        })
    }
}

const FOLLOWING_COLUMNS: &str = "actor_id, target, follow_id, inbox, state, created_at";

/// Stores a follow request (a new one replaces an older request for the same account).
pub async fn save_following_in(tx: &mut Tx, f: &Following) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO federation_following (actor_id, target, follow_id, inbox, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (actor_id, target) DO UPDATE SET \
         follow_id = excluded.follow_id, inbox = excluded.inbox, state = excluded.state, \
         created_at = excluded.created_at"
    )
    .bind(&f.actor_id)
    .bind(&f.target)
    .bind(&f.follow_id)
    .bind(&f.inbox)
    .bind(f.state.as_str())
    .bind(f.created_at)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Our actor's follow of `target`, if any.
pub async fn following(db: &Db, actor_id: &str, target: &str) -> DbResult<Option<Following>> {
    let sql = format!(
        "SELECT {FOLLOWING_COLUMNS} FROM federation_following WHERE actor_id = $1 AND target = $2"
    );
    let row: Option<RawFollowing> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(actor_id)
        .bind(target)
        .fetch_optional(p)
        .await?);
    row.map(Following::try_from).transpose()
}

/// Every follow our actors made, newest first.
pub async fn all_following(db: &Db) -> DbResult<Vec<Following>> {
    let sql = format!(
        "SELECT {FOLLOWING_COLUMNS} FROM federation_following ORDER BY created_at DESC, target"
    );
    let rows: Vec<RawFollowing> = on_db!(db, |p| sqlx::query_as(&sql).fetch_all(p).await?);
    rows.into_iter().map(Following::try_from).collect()
}

/// Marks the follow request `follow_id` to `target` accepted. Returns whether there was one.
pub async fn accept_following(db: &Db, target: &str, follow_id: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE federation_following SET state = 'accepted' WHERE target = $1 AND follow_id = $2"
    )
    .bind(target)
    .bind(follow_id)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

/// Removes the follow `follow_id` of `target` (refused by its server). Returns whether
/// there was one.
pub async fn remove_following_by_id(db: &Db, target: &str, follow_id: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_following WHERE target = $1 AND follow_id = $2"
    )
    .bind(target)
    .bind(follow_id)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Removes our actor's follow of `target` (unfollowed). Returns whether there was one.
pub async fn remove_following_in(tx: &mut Tx, actor_id: &str, target: &str) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM federation_following WHERE actor_id = $1 AND target = $2"
    )
    .bind(actor_id)
    .bind(target)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Removes every follow of `target` (the account was deleted). Returns how many.
pub async fn remove_following_of(db: &Db, target: &str) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_following WHERE target = $1"
    )
    .bind(target)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Whether one of our actors follows `target` and the follow was accepted.
pub async fn is_followed(db: &Db, target: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_following WHERE target = $1 AND state = 'accepted'"
    )
    .bind(target)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// A post from a followed account, or one of our replies to such a post.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TimelineItem {
    pub object_id: String,
    /// The author's actor id (ours for our replies).
    pub author: String,
    /// `note` or `article`.
    pub kind: String,
    /// An article's title (empty for notes).
    pub name: String,
    /// Plain text.
    pub text: String,
    /// The post's page on its server, if given.
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

const TIMELINE_COLUMNS: &str = "object_id, author, kind, name, text, url, in_reply_to, \
     published_at, updated_at, received_at";

/// Stores a post, or replaces its content (an `Update`). Only its author may change it: a
/// row stored for another author stays as it is. Returns whether it was stored.
pub async fn save_timeline_item(db: &Db, i: &TimelineItem) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO federation_timeline (object_id, author, kind, name, text, url, in_reply_to, \
         published_at, updated_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (object_id) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
         text = excluded.text, url = excluded.url, updated_at = excluded.updated_at \
         WHERE federation_timeline.author = excluded.author"
    )
    .bind(&i.object_id)
    .bind(&i.author)
    .bind(&i.kind)
    .bind(&i.name)
    .bind(&i.text)
    .bind(&i.url)
    .bind(&i.in_reply_to)
    .bind(i.published_at)
    .bind(i.updated_at)
    .bind(i.received_at)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

pub async fn timeline_item(db: &Db, object_id: &str) -> DbResult<Option<TimelineItem>> {
    let sql = format!("SELECT {TIMELINE_COLUMNS} FROM federation_timeline WHERE object_id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(object_id)
        .fetch_optional(p)
        .await?))
}

/// The newest posts first, one page.
pub async fn timeline(db: &Db, limit: i64, offset: i64) -> DbResult<Vec<TimelineItem>> {
    let sql = format!(
        "SELECT {TIMELINE_COLUMNS} FROM federation_timeline \
         ORDER BY published_at DESC, object_id LIMIT $1 OFFSET $2"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?))
}

/// Removes `author`'s post `object_id`. Returns whether there was one.
pub async fn remove_timeline_item(db: &Db, object_id: &str, author: &str) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_timeline WHERE object_id = $1 AND author = $2"
    )
    .bind(object_id)
    .bind(author)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Removes the posts published before `cutoff`. Returns how many.
pub async fn prune_timeline(db: &Db, cutoff: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_timeline WHERE published_at < $1"
    )
    .bind(cutoff)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Removes every post of `author` (the account was deleted).
pub async fn remove_timeline_of(db: &Db, author: &str) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM federation_timeline WHERE author = $1"
    )
    .bind(author)
    .execute(p)
    .await?
    .rows_affected()))
}

/// A like or boost one of our actors sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SentReaction {
    pub actor_id: String,
    pub object_id: String,
    /// `Like` or `Announce`.
    pub kind: String,
    pub activity_id: String,
    pub created_at: DateTime<Utc>,
}

pub async fn save_sent_reaction_in(tx: &mut Tx, r: &SentReaction) -> DbResult<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO federation_sent_reactions (actor_id, object_id, kind, activity_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (actor_id, object_id, kind) DO NOTHING"
    )
    .bind(&r.actor_id)
    .bind(&r.object_id)
    .bind(&r.kind)
    .bind(&r.activity_id)
    .bind(r.created_at)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

pub async fn remove_sent_reaction_in(
    tx: &mut Tx,
    actor_id: &str,
    object_id: &str,
    kind: &str,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "DELETE FROM federation_sent_reactions WHERE actor_id = $1 AND object_id = $2 AND kind = $3"
    )
    .bind(actor_id)
    .bind(object_id)
    .bind(kind)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

pub async fn sent_reaction(
    db: &Db,
    actor_id: &str,
    object_id: &str,
    kind: &str,
) -> DbResult<Option<SentReaction>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT actor_id, object_id, kind, activity_id, created_at FROM federation_sent_reactions \
         WHERE actor_id = $1 AND object_id = $2 AND kind = $3"
    )
    .bind(actor_id)
    .bind(object_id)
    .bind(kind)
    .fetch_optional(p)
    .await?))
}

/// The likes and boosts our actors sent on the posts of one timeline page (the same
/// `limit` and `offset` as [`timeline`]).
pub async fn sent_reactions_on_page(
    db: &Db,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<SentReaction>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT actor_id, object_id, kind, activity_id, created_at FROM federation_sent_reactions \
         WHERE object_id IN (SELECT object_id FROM federation_timeline \
           ORDER BY published_at DESC, object_id LIMIT $1 OFFSET $2) \
         ORDER BY created_at"
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(p)
    .await?))
}
