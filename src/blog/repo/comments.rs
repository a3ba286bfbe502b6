//! The `comments` table: comments as stored (their [`Moderation`] state parsed strictly),
//! what a comment needs of its post ([`PostRef`]), inserting and moderating, the moderation
//! queue and its counts, the per-address rate limit's count and where a reply attaches in a
//! thread at most [`MAX_DEPTH`] deep.

use chrono::{DateTime, Duration, Utc};

use super::kinds::{CommentStatus, Moderation, PostKind, PostStatus};
use crate::blog::permalink::Permalinks;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::i18n::I18n;
use crate::{on_db, on_tx};

/// Threads are at most this deep.
pub const MAX_DEPTH: usize = 3;
/// Stored comments per address are counted within this window.
pub const RATE_WINDOW: Duration = Duration::minutes(10);
/// Stored comments per address within [`RATE_WINDOW`] unless the site setting says otherwise.
pub const RATE_LIMIT_DEFAULT: i64 = 5;
pub const RATE_SETTING: &str = "comment_rate_limit";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: String,
    pub post_id: String,
    pub parent_id: Option<String>,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub status: Moderation,
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub member_id: Option<String>,
    pub body: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub const COMMENT_COLUMNS: &str = "id, post_id, parent_id, kind, status, author_name, \
    author_email, author_url, member_id, body, ip, user_agent, created_at";

/// What a comment needs to know about its post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostRef {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub kind: PostKind,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    pub slug: String,
    pub title: String,
    pub author_id: Option<String>,
    pub campaign_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub comment_status: CommentStatus,
    pub published_at: Option<DateTime<Utc>>,
}

impl PostRef {
    pub fn is_public(&self) -> bool {
        self.status == PostStatus::Published && self.published_at.is_some_and(|t| t <= Utc::now())
    }

    /// The post's permalink under the configured pattern (pages `/{slug}/`); used when a
    /// form did not say where it came from, and by the console.
    pub fn permalink(&self, links: &Permalinks) -> String {
        links.path(self.kind.as_str(), &self.slug, self.published_at)
    }

    /// A title to show (notes have none).
    pub fn label(&self, tr: &I18n) -> String {
        if self.title.trim().is_empty() {
            tr.t("comments-untitled-post")
        } else {
            self.title.clone()
        }
    }
}

/// The columns of a [`PostRef`], from `posts`.
const POST_REF_COLUMNS: &str =
    "id, kind, status, slug, title, author_id, campaign_id, comment_status, published_at";

pub async fn post_ref(db: &Db, id: &str) -> DbResult<Option<PostRef>> {
    let sql = format!("SELECT {POST_REF_COLUMNS} FROM posts WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as::<_, PostRef>(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Comment>> {
    let sql = format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as::<_, Comment>(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// The approved comments of a post, oldest first.
pub async fn approved_for(db: &Db, post_id: &str) -> DbResult<Vec<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments WHERE post_id = $1 AND status = 'approved' \
         ORDER BY created_at, id"
    );
    Ok(on_db!(db, |p| sqlx::query_as::<_, Comment>(&sql)
        .bind(post_id)
        .fetch_all(p)
        .await?))
}

pub struct NewComment {
    pub post_id: String,
    pub parent_id: Option<String>,
    pub status: Moderation,
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub member_id: Option<String>,
    pub body: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Stores a comment; returns its id.
pub async fn insert(db: &Db, c: &NewComment) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(db, |p| sqlx::query(
        "INSERT INTO comments (id, post_id, parent_id, kind, status, author_name, author_email, \
         author_url, member_id, body, ip, user_agent, created_at) \
         VALUES ($1, $2, $3, 'comment', $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(&id)
    .bind(&c.post_id)
    .bind(&c.parent_id)
    .bind(c.status.as_str())
    .bind(&c.author_name)
    .bind(&c.author_email)
    .bind(&c.author_url)
    .bind(&c.member_id)
    .bind(&c.body)
    .bind(&c.ip)
    .bind(&c.user_agent)
    .bind(Utc::now())
    .execute(p)
    .await?
    .rows_affected());
    Ok(id)
}

/// Sets a comment's status; returns the previous one (`None`: no such comment).
pub async fn set_status(db: &Db, id: &str, status: Moderation) -> DbResult<Option<Moderation>> {
    let Some(c) = by_id(db, id).await? else {
        return Ok(None);
    };
    on_db!(db, |p| sqlx::query(
        "UPDATE comments SET status = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(status.as_str())
    .execute(p)
    .await?
    .rows_affected());
    Ok(Some(c.status))
}

/// Whether this e-mail address already has an approved comment (a returning commenter).
pub async fn approved_before(db: &Db, email: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM comments WHERE lower(author_email) = $1 AND status = 'approved'"
    )
    .bind(email.trim().to_lowercase())
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// A guest's erasure (donor privacy, `privacy::erase`): the comments written with `email`
/// keep their name and text but lose the address, and with it the client address and browser
/// kept for moderation; no reply e-mail can go to it any more. Matched like the donations'
/// addresses (`LOWER` on both sides). The number of comments changed.
pub async fn erase_author_email_in(tx: &mut Tx, email: &str) -> DbResult<u64> {
    Ok(on_tx!(tx, |c| sqlx::query(
        "UPDATE comments SET author_email = NULL, ip = NULL, user_agent = NULL \
         WHERE author_email IS NOT NULL AND LOWER(author_email) = LOWER($1)"
    )
    .bind(email.trim())
    .execute(&mut *c)
    .await?
    .rows_affected()))
}

/// Comments waiting for moderation (the console dashboard's count).
pub async fn pending_count(db: &Db) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM comments WHERE status = 'pending'"
    )
    .fetch_one(p)
    .await?))
}

/// A comment in the moderation queue, with its post.
#[derive(Debug, Clone)]
pub struct Queued {
    pub comment: Comment,
    pub post: PostRef,
}

/// A [`Queued`] as read: the comment's columns, then its post's prefixed `post_`.
#[derive(sqlx::FromRow)]
struct QueuedRow {
    #[sqlx(flatten)]
    comment: Comment,
    #[sqlx(try_from = "String")]
    post_kind: PostKind,
    #[sqlx(try_from = "String")]
    post_status: PostStatus,
    post_slug: String,
    post_title: String,
    post_author_id: Option<String>,
    post_campaign_id: Option<String>,
    #[sqlx(try_from = "String")]
    post_comment_status: CommentStatus,
    post_published_at: Option<DateTime<Utc>>,
}

/// The comments in `status`, newest first: at most `limit` of them after skipping `offset`.
pub async fn moderation_queue(
    db: &Db,
    status: Moderation,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Queued>> {
    let columns = COMMENT_COLUMNS
        .split(',')
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns}, p.kind AS post_kind, p.status AS post_status, p.slug AS post_slug, \
         p.title AS post_title, p.author_id AS post_author_id, \
         p.campaign_id AS post_campaign_id, p.comment_status AS post_comment_status, \
         p.published_at AS post_published_at \
         FROM comments c JOIN posts p ON p.id = c.post_id \
         WHERE c.status = $1 ORDER BY c.created_at DESC, c.id LIMIT $2 OFFSET $3"
    );
    let rows: Vec<QueuedRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(status.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .map(|r| Queued {
            post: PostRef {
                id: r.comment.post_id.clone(),
                kind: r.post_kind,
                status: r.post_status,
                slug: r.post_slug,
                title: r.post_title,
                author_id: r.post_author_id,
                campaign_id: r.post_campaign_id,
                comment_status: r.post_comment_status,
                published_at: r.post_published_at,
            },
            comment: r.comment,
        })
        .collect())
}

/// How many comments are in each moderation state (states without any are left out).
pub async fn moderation_counts(db: &Db) -> DbResult<Vec<(Moderation, i64)>> {
    let rows: Vec<(String, i64)> = on_db!(db, |p| sqlx::query_as(
        "SELECT status, COUNT(*) FROM comments GROUP BY status"
    )
    .fetch_all(p)
    .await?);
    rows.into_iter()
        .map(|(status, n)| {
            Moderation::try_from(status)
                .map(|m| (m, n))
                .map_err(|e| DbError::Corrupt(e.to_string()))
        })
        .collect()
}

/// Whether `ip` has stored as many comments as the site allows within [`RATE_WINDOW`].
pub async fn rate_limited(db: &Db, ip: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let limit = db
        .setting_as::<i64>(RATE_SETTING)
        .await?
        .unwrap_or(RATE_LIMIT_DEFAULT);
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM comments WHERE ip = $1 AND created_at > $2"
    )
    .bind(ip)
    .bind(now - RATE_WINDOW)
    .fetch_one(p)
    .await?);
    Ok(n >= limit)
}

/// Where a reply to `parent_id` attaches: the parent itself, or — when the parent already
/// sits at [`MAX_DEPTH`] — its ancestor at level `MAX_DEPTH - 1`, so the reply lands at
/// level 3 beside it. `None` when the parent is not a comment on this post (or, with
/// `approved_only`, not approved).
pub async fn attach_point(
    db: &Db,
    post_id: &str,
    parent_id: &str,
    approved_only: bool,
) -> DbResult<Option<String>> {
    let Some(parent) = by_id(db, parent_id).await? else {
        return Ok(None);
    };
    if parent.post_id != post_id || (approved_only && parent.status != Moderation::Approved) {
        return Ok(None);
    }
    // The chain from the parent up to its root (bounded: imported data may be odd).
    let mut chain = vec![parent.id.clone()];
    let mut up = parent.parent_id.clone();
    while let Some(id) = up {
        if chain.len() > 64 || chain.contains(&id) {
            break;
        }
        match by_id(db, &id).await? {
            Some(c) => {
                chain.push(c.id.clone());
                up = c.parent_id.clone();
            }
            None => break,
        }
    }
    if chain.len() < MAX_DEPTH {
        return Ok(Some(parent.id));
    }
    // chain[len-1] is the root (level 1); the level-(MAX_DEPTH-1) ancestor is at len-(MAX_DEPTH-1).
    Ok(Some(chain[chain.len() - (MAX_DEPTH - 1)].clone()))
}

/// A comment brought in from another blog (the WordPress importer): its id (derived from its
/// source), kind, status, address and time are kept as given.
pub struct ImportedComment<'a> {
    pub id: &'a str,
    pub post_id: &'a str,
    pub parent_id: Option<&'a str>,
    /// `comment`, `pingback`, `trackback` or `webmention`.
    pub kind: &'a str,
    /// `approved`, `pending`, `spam` or `trash`.
    pub status: &'a str,
    pub author_name: &'a str,
    pub author_email: Option<&'a str>,
    pub author_url: Option<&'a str>,
    pub member_id: Option<&'a str>,
    pub body: &'a str,
    pub ip: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    /// Unique: a second import of the same comment finds it and writes nothing.
    pub source_key: &'a str,
}

/// Stores an imported comment in the importer's transaction; false when one with the same
/// source key exists.
pub async fn insert_imported(tx: &mut crate::db::Tx, c: &ImportedComment<'_>) -> DbResult<bool> {
    let n = crate::on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO comments (id, post_id, parent_id, kind, status, author_name, author_email, \
         author_url, member_id, body, ip, created_at, source_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (source_key) DO NOTHING"
    )
    .bind(c.id)
    .bind(c.post_id)
    .bind(c.parent_id)
    .bind(c.kind)
    .bind(c.status)
    .bind(c.author_name)
    .bind(c.author_email)
    .bind(c.author_url)
    .bind(c.member_id)
    .bind(c.body)
    .bind(c.ip)
    .bind(c.created_at)
    .bind(c.source_key)
    .execute(&mut *conn)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// A reply from another site (a fediverse post, a Webmention source), keyed by its source.
pub struct RemoteRow<'a> {
    pub post_id: &'a str,
    pub parent_id: Option<&'a str>,
    /// `fediverse` or `webmention`.
    pub kind: &'a str,
    pub status: Moderation,
    pub author_name: &'a str,
    pub author_url: &'a str,
    pub body: &'a str,
    pub created_at: DateTime<Utc>,
    pub source_key: &'a str,
}

/// Stores a remote reply, or updates the text and author of the one with the same source
/// key (an edit: its moderation state stays). Returns the comment's id and whether it is new.
pub async fn upsert_remote(db: &Db, c: &RemoteRow<'_>) -> DbResult<(String, bool)> {
    let id = uuid::Uuid::new_v4().to_string();
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO comments (id, post_id, parent_id, kind, status, author_name, author_url, \
         body, created_at, source_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (source_key) DO NOTHING"
    )
    .bind(&id)
    .bind(c.post_id)
    .bind(c.parent_id)
    .bind(c.kind)
    .bind(c.status.as_str())
    .bind(c.author_name)
    .bind(c.author_url)
    .bind(c.body)
    .bind(c.created_at)
    .bind(c.source_key)
    .execute(p)
    .await?
    .rows_affected());
    if n == 1 {
        return Ok((id, true));
    }
    on_db!(db, |p| sqlx::query(
        "UPDATE comments SET author_name = $2, author_url = $3, body = $4 WHERE source_key = $1"
    )
    .bind(c.source_key)
    .bind(c.author_name)
    .bind(c.author_url)
    .bind(c.body)
    .execute(p)
    .await?
    .rows_affected());
    let id: String = on_db!(db, |p| sqlx::query_scalar(
        "SELECT id FROM comments WHERE source_key = $1"
    )
    .bind(c.source_key)
    .fetch_one(p)
    .await?);
    Ok((id, false))
}

/// The remote reply with this source key, if any.
pub async fn by_source_key(db: &Db, source_key: &str) -> DbResult<Option<Comment>> {
    let sql = format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE source_key = $1");
    Ok(on_db!(db, |p| sqlx::query_as::<_, Comment>(&sql)
        .bind(source_key)
        .fetch_optional(p)
        .await?))
}

/// Takes remote replies down (deleted at their source): put in the bin with their text
/// emptied, so local replies under them keep their place. Matches one source key, or every
/// reply of one kind by one author URL (an account deleted).
pub async fn trash_remote(
    db: &Db,
    source_key: Option<&str>,
    kind_and_author: Option<(&str, &str)>,
) -> DbResult<u64> {
    Ok(match (source_key, kind_and_author) {
        (Some(key), _) => on_db!(db, |p| sqlx::query(
            "UPDATE comments SET status = 'trash', body = '' WHERE source_key = $1"
        )
        .bind(key)
        .execute(p)
        .await?
        .rows_affected()),
        (None, Some((kind, author))) => {
            on_db!(db, |p| {
                sqlx::query(
            "UPDATE comments SET status = 'trash', body = '' WHERE kind = $1 AND author_url = $2"
        )
        .bind(kind)
        .bind(author)
        .execute(p)
        .await?
        .rows_affected()
            })
        }
        (None, None) => 0,
    })
}

/// Whether this author URL already has an approved reply of this kind (a returning author).
pub async fn remote_author_approved(db: &Db, kind: &str, author_url: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM comments WHERE kind = $1 AND author_url = $2 AND status = 'approved'"
    )
    .bind(kind)
    .bind(author_url)
    .fetch_one(p)
    .await?
    });
    Ok(n > 0)
}
