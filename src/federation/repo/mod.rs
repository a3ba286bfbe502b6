//! The federation's store, home of its tables: `federation_actors` (our actors and their
//! keys), `federation_remote_actors` (remote actors as fetched, and the follower count of
//! those who boosted our posts), `federation_followers` and
//! `federation_seen_activities`; `publishing` what our actors publish, `following` whom
//! they follow and what those accounts send.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

use super::keys::PrivateKeyPem;

mod following;
mod publishing;
pub use following::*;
pub use publishing::*;

/// One of our actors as stored.
#[derive(Debug, Clone)]
pub struct ActorRow {
    /// `site`, or the campaign's id.
    pub id: String,
    pub campaign_id: Option<String>,
    pub public_key_pem: String,
    pub private_key_pem: PrivateKeyPem,
    pub key_created_at: DateTime<Utc>,
    pub manually_approves: bool,
}

#[derive(sqlx::FromRow)]
struct RawActor {
    id: String,
    campaign_id: Option<String>,
    public_key_pem: String,
    private_key_pem: String,
    key_created_at: DateTime<Utc>,
    manually_approves: bool,
}

impl From<RawActor> for ActorRow {
    fn from(r: RawActor) -> ActorRow {
        ActorRow {
            id: r.id,
            campaign_id: r.campaign_id,
            public_key_pem: r.public_key_pem,
            private_key_pem: PrivateKeyPem::new(r.private_key_pem),
            key_created_at: r.key_created_at,
            manually_approves: r.manually_approves,
        }
    }
}

const ACTOR_COLUMNS: &str =
    "id, campaign_id, public_key_pem, private_key_pem, key_created_at, manually_approves";

pub async fn actor(db: &Db, id: &str) -> DbResult<Option<ActorRow>> {
    let sql = format!("SELECT {ACTOR_COLUMNS} FROM federation_actors WHERE id = $1");
    let row: Option<RawActor> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    Ok(row.map(ActorRow::from))
}

/// Stores a new actor; an actor stored first by someone else (another request or node)
/// wins. Returns whether this one was stored.
pub async fn insert_actor(db: &Db, a: &ActorRow, now: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO federation_actors (id, campaign_id, public_key_pem, private_key_pem, \
         key_created_at, manually_approves, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(&a.id)
    .bind(&a.campaign_id)
    .bind(&a.public_key_pem)
    .bind(a.private_key_pem.expose())
    .bind(a.key_created_at)
    .bind(a.manually_approves)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Replaces an actor's key pair.
pub async fn replace_key(
    db: &Db,
    id: &str,
    public_pem: &str,
    private_pem: &PrivateKeyPem,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE federation_actors SET public_key_pem = $2, private_key_pem = $3, \
         key_created_at = $4 WHERE id = $1"
    )
    .bind(id)
    .bind(public_pem)
    .bind(private_pem.expose())
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

pub async fn set_manually_approves(db: &Db, id: &str, on: bool) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE federation_actors SET manually_approves = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(on)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// A remote actor as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RemoteActor {
    pub id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    pub fetched_at: DateTime<Utc>,
    /// The display name (may be empty).
    pub name: String,
    /// `preferredUsername` (may be empty).
    pub username: String,
    /// The profile page, if given.
    pub url: Option<String>,
    /// The avatar's URL, if given.
    pub icon: Option<String>,
}

impl RemoteActor {
    /// How a page names the actor: its display name, else `@username@host`, else its id.
    pub fn label(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.trim().to_string();
        }
        if !self.username.is_empty() {
            return format!("@{}@{}", self.username, super::authority(&self.id));
        }
        self.id.clone()
    }

    /// Where a page links the actor: its profile page, else its id.
    pub fn page(&self) -> &str {
        self.url.as_deref().unwrap_or(&self.id)
    }
}

const REMOTE_COLUMNS: &str =
    "id, inbox, shared_inbox, key_id, public_key_pem, fetched_at, name, username, url, icon";

/// The remote actor whose key is `key_id`.
pub async fn remote_by_key(db: &Db, key_id: &str) -> DbResult<Option<RemoteActor>> {
    let sql = format!(
        "SELECT {REMOTE_COLUMNS} FROM federation_remote_actors WHERE key_id = $1 \
         ORDER BY fetched_at DESC LIMIT 1"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(key_id)
        .fetch_optional(p)
        .await?))
}

pub async fn remote(db: &Db, id: &str) -> DbResult<Option<RemoteActor>> {
    let sql = format!("SELECT {REMOTE_COLUMNS} FROM federation_remote_actors WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// Stores (or refreshes) a fetched remote actor.
pub async fn save_remote(db: &Db, r: &RemoteActor) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO federation_remote_actors (id, inbox, shared_inbox, key_id, public_key_pem, \
         fetched_at, name, username, url, icon, avatar_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET \
         inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, key_id = excluded.key_id, \
         public_key_pem = excluded.public_key_pem, fetched_at = excluded.fetched_at, \
         name = excluded.name, username = excluded.username, url = excluded.url, \
         icon = excluded.icon, avatar_key = excluded.avatar_key"
    )
    .bind(&r.id)
    .bind(&r.inbox)
    .bind(&r.shared_inbox)
    .bind(&r.key_id)
    .bind(&r.public_key_pem)
    .bind(r.fetched_at)
    .bind(&r.name)
    .bind(&r.username)
    .bind(&r.url)
    .bind(&r.icon)
    .bind(crate::web::meta::avatar_key(&r.id))
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// How many followers a remote actor has, as its `followers` collection said when last read
/// (`None`: unknown — not read, or hidden), and when it was read (`None`: never).
pub async fn remote_followers(db: &Db, id: &str) -> DbResult<(Option<i64>, Option<DateTime<Utc>>)> {
    let row: Option<(Option<i64>, Option<DateTime<Utc>>)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT followers_count, followers_checked_at FROM federation_remote_actors WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await?
    });
    Ok(row.unwrap_or((None, None)))
}

/// Records a remote actor's follower count (`None`: hidden) as read at `at`.
pub async fn set_remote_followers(
    db: &Db,
    id: &str,
    count: Option<i64>,
    at: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE federation_remote_actors SET followers_count = $2, followers_checked_at = $3          WHERE id = $1"
    )
    .bind(id)
    .bind(count)
    .bind(at)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

/// Whether a follower's follow is in effect or waits for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Accepted,
    Pending,
}

impl FollowState {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowState::Accepted => "accepted",
            FollowState::Pending => "pending",
        }
    }

    fn parse(s: &str) -> DbResult<FollowState> {
        match s {
            "accepted" => Ok(FollowState::Accepted),
            "pending" => Ok(FollowState::Pending),
            other => Err(crate::db::DbError::Corrupt(format!(
                "federation_followers.state {other:?}"
            ))),
        }
    }
}

/// Someone following one of our actors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub actor_id: String,
    pub follower: String,
    pub follow_id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub state: FollowState,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawFollower {
    actor_id: String,
    follower: String,
    follow_id: String,
    inbox: String,
    shared_inbox: Option<String>,
    state: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<RawFollower> for Follower {
    type Error = crate::db::DbError;
    fn try_from(r: RawFollower) -> DbResult<Follower> {
        Ok(Follower {
            state: FollowState::parse(&r.state)?,
            actor_id: r.actor_id,
            follower: r.follower,
            follow_id: r.follow_id,
            inbox: r.inbox,
            shared_inbox: r.shared_inbox,
            created_at: r.created_at,
        })
    }
}

/// Stores a follow; a repeated follow (a new Follow id from the same follower) replaces
/// the old one.
pub async fn save_follower_in(tx: &mut Tx, f: &Follower) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO federation_followers (actor_id, follower, follow_id, inbox, shared_inbox, \
         state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (actor_id, follower) DO UPDATE SET follow_id = excluded.follow_id, \
         inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, state = excluded.state"
    )
    .bind(&f.actor_id)
    .bind(&f.follower)
    .bind(&f.follow_id)
    .bind(&f.inbox)
    .bind(&f.shared_inbox)
    .bind(f.state.as_str())
    .bind(f.created_at)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Removes `follower`'s follow of `actor_id`. Returns whether there was one.
pub async fn remove_follower_in(tx: &mut Tx, actor_id: &str, follower: &str) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM federation_followers WHERE actor_id = $1 AND follower = $2"
    )
    .bind(actor_id)
    .bind(follower)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Removes the follow with this Follow activity id, made by `follower`.
pub async fn remove_follow_by_id_in(
    tx: &mut Tx,
    follower: &str,
    follow_id: &str,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM federation_followers WHERE follower = $1 AND follow_id = $2"
    )
    .bind(follower)
    .bind(follow_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// An actor's followers (both states), oldest first.
pub async fn followers(db: &Db, actor_id: &str) -> DbResult<Vec<Follower>> {
    let rows: Vec<RawFollower> = on_db!(db, |p| sqlx::query_as(
        "SELECT actor_id, follower, follow_id, inbox, shared_inbox, state, created_at \
         FROM federation_followers WHERE actor_id = $1 ORDER BY created_at, follower"
    )
    .bind(actor_id)
    .fetch_all(p)
    .await?);
    rows.into_iter().map(Follower::try_from).collect()
}

/// How many accepted followers an actor has.
pub async fn follower_count(db: &Db, actor_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_followers WHERE actor_id = $1 AND state = 'accepted'"
    )
    .bind(actor_id)
    .fetch_one(p)
    .await?))
}

/// Records an activity as received. `false` when it was received before (nothing to do).
pub async fn mark_seen_in(
    tx: &mut Tx,
    id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO federation_seen_activities (id, actor, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(id)
    .bind(actor)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}
