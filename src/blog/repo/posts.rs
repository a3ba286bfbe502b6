//! The `posts` table's rows: [`Post`] with its [`PostKind`], [`PostStatus`] and
//! [`CommentStatus`] (`super::kinds`) parsed strictly at this edge (a row that does not parse is
//! [`DbError::Corrupt`]), the one `INSERT INTO posts` ([`insert`], reached through
//! `blog::write`), single posts by id and slug, and the short lists other capabilities read
//! (the importer's [`sources`], campaign [`updates`]).

use chrono::{DateTime, Utc};

use super::kinds::{CommentStatus, PostKind, PostStatus};
use crate::blog::permalink::Permalinks;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::{on_db, on_tx};

/// A row of the `posts` table (joined with its author's display name): what readers see
/// and what the writers ([`crate::blog::write`]) return.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub kind: PostKind,
    pub status: PostStatus,
    pub slug: String,
    pub title: String,
    /// The Markdown body; from [`super::list_leads`], an article's only as far as its excerpt needs.
    pub body_md: String,
    pub excerpt: String,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub campaign_id: Option<String>,
    pub sticky: bool,
    pub password_hash: Option<String>,
    pub comment_status: CommentStatus,
    pub featured_image_url: Option<String>,
    /// What the featured image shows; `None`: decorative (`alt=""`).
    pub featured_image_alt: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where an imported post came from (`wp:<site>:<id>`).
    pub source_key: Option<String>,
    /// A campaign update goes by e-mail to the campaign's subscribers when first published
    /// (`promotion::newsletter`); `false`: published only.
    pub mail_subscribers: bool,
}

/// A post as the database gives it; [`Post`] once its texts parse.
#[derive(sqlx::FromRow)]
pub(crate) struct PostRow {
    id: String,
    kind: String,
    status: String,
    slug: String,
    title: String,
    body_md: String,
    excerpt: String,
    author_id: Option<String>,
    author_name: Option<String>,
    campaign_id: Option<String>,
    sticky: bool,
    password_hash: Option<String>,
    comment_status: String,
    featured_image_url: Option<String>,
    featured_image_alt: Option<String>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    source_key: Option<String>,
    mail_subscribers: bool,
}

impl TryFrom<PostRow> for Post {
    type Error = DbError;
    fn try_from(r: PostRow) -> Result<Post, DbError> {
        let bad =
            |what: &str, v: &str| DbError::Corrupt(format!("post {}: bad {what} {v:?}", r.id));
        Ok(Post {
            kind: PostKind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
            status: PostStatus::parse(&r.status).ok_or_else(|| bad("status", &r.status))?,
            comment_status: CommentStatus::parse(&r.comment_status)
                .ok_or_else(|| bad("comment_status", &r.comment_status))?,
            id: r.id,
            slug: r.slug,
            title: r.title,
            body_md: r.body_md,
            excerpt: r.excerpt,
            author_id: r.author_id,
            author_name: r.author_name,
            campaign_id: r.campaign_id,
            sticky: r.sticky,
            password_hash: r.password_hash,
            featured_image_url: r.featured_image_url,
            featured_image_alt: r.featured_image_alt,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            source_key: r.source_key,
            mail_subscribers: r.mail_subscribers,
        })
    }
}

/// Parses rows read as [`PostRow`]s; the first that does not parse is an error.
pub(crate) fn posts(rows: Vec<PostRow>) -> DbResult<Vec<Post>> {
    rows.into_iter().map(Post::try_from).collect()
}

/// [`posts`] for at most one row.
pub(crate) fn post(row: Option<PostRow>) -> DbResult<Option<Post>> {
    row.map(Post::try_from).transpose()
}

/// Every column of a [`PostRow`], on `posts p` joined as in [`FROM`].
pub(crate) const COLUMNS: &str = "p.id, p.kind, p.status, p.slug, p.title, p.body_md, p.excerpt, p.author_id, \
    m.display_name AS author_name, p.campaign_id, p.sticky, p.password_hash, p.comment_status, \
    p.featured_image_url, p.featured_image_alt, p.published_at, p.created_at, p.updated_at, \
    p.source_key, p.mail_subscribers";

pub(crate) const FROM: &str = "FROM posts p LEFT JOIN members m ON m.id = p.author_id";

impl Post {
    /// Published and due: what the public may see.
    pub fn is_public(&self, now: DateTime<Utc>) -> bool {
        self.status == PostStatus::Published && self.published_at.is_some_and(|t| t <= now)
    }

    pub fn is_note(&self) -> bool {
        self.kind == PostKind::Note
    }

    pub fn is_page(&self) -> bool {
        self.kind == PostKind::Page
    }

    pub fn is_protected(&self) -> bool {
        self.password_hash.as_deref().is_some_and(|h| !h.is_empty())
    }

    /// The post's path on this site under the configured pattern.
    pub fn path(&self, links: &Permalinks) -> String {
        links.path(self.kind.as_str(), &self.slug, self.published_at)
    }

    /// The author's archive path, when the post has an author.
    pub fn author_path(&self) -> Option<String> {
        self.author_id.as_ref().map(|id| format!("/author/{id}/"))
    }
}

/// A whole `posts` row to store, as the writer made it (stored by `blog::write`).
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub id: &'a str,
    pub kind: PostKind,
    pub status: PostStatus,
    pub slug: &'a str,
    pub title: &'a str,
    pub body_md: &'a str,
    pub excerpt: &'a str,
    pub author_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub sticky: bool,
    pub password_hash: Option<&'a str>,
    pub comment_status: CommentStatus,
    pub featured_image_url: Option<&'a str>,
    pub featured_image_alt: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source_key: Option<&'a str>,
    pub mail_subscribers: bool,
}

/// Inserts a post row: the one `INSERT INTO posts` (every writer reaches it through
/// [`crate::blog::write`]). `Ok(false)` when a post with the same `source_key` exists; any other
/// conflict (a taken slug) is an error.
pub(crate) async fn insert(tx: &mut Tx, r: &NewRow<'_>) -> DbResult<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, campaign_id, \
         sticky, password_hash, comment_status, featured_image_url, published_at, created_at, \
         updated_at, source_key, featured_image_alt, mail_subscribers) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         ON CONFLICT (source_key) DO NOTHING"
    )
    .bind(r.id)
    .bind(r.kind.as_str())
    .bind(r.status.as_str())
    .bind(r.slug)
    .bind(r.title)
    .bind(r.body_md)
    .bind(r.excerpt)
    .bind(r.author_id)
    .bind(r.campaign_id)
    .bind(r.sticky)
    .bind(r.password_hash)
    .bind(r.comment_status.as_str())
    .bind(r.featured_image_url)
    .bind(r.published_at)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.source_key)
    .bind(r.featured_image_alt)
    .bind(r.mail_subscribers)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Where a stored post is, and where it came from (the importer matches on these).
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub slug: String,
    pub kind: PostKind,
    pub published_at: Option<DateTime<Utc>>,
    pub source_key: Option<String>,
}

/// Every post's slug, kind, date and source key, whatever its status.
pub async fn sources(db: &Db) -> DbResult<Vec<Source>> {
    type Row = (
        String,
        String,
        String,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let rows: Vec<Row> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, slug, kind, published_at, source_key FROM posts"
    )
    .fetch_all(p)
    .await?);
    rows.into_iter()
        .map(|(id, slug, kind, published_at, source_key)| {
            Ok(Source {
                kind: parse_kind(&id, &kind)?,
                id,
                slug,
                published_at,
                source_key,
            })
        })
        .collect()
}

pub(super) fn parse_kind(id: &str, kind: &str) -> DbResult<PostKind> {
    PostKind::parse(kind).ok_or_else(|| DbError::Corrupt(format!("post {id}: bad kind {kind:?}")))
}

/// A published update, as campaign pages and the front page list them.
#[derive(Debug, Clone)]
pub struct Update {
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub published_at: DateTime<Utc>,
}

/// The newest public articles and notes of a campaign (or of the whole site when
/// `campaign_id` is `None`).
pub async fn updates(db: &Db, campaign_id: Option<&str>, limit: i64) -> DbResult<Vec<Update>> {
    type Row = (String, String, String, String, DateTime<Utc>);
    let now = Utc::now();
    let rows: Vec<Row> = match campaign_id {
        Some(id) => on_db!(db, |p| sqlx::query_as(
            "SELECT kind, slug, title, body_md, published_at FROM posts WHERE campaign_id = $1 \
             AND status = 'published' AND kind <> 'page' AND published_at <= $3 \
             ORDER BY published_at DESC LIMIT $2"
        )
        .bind(id)
        .bind(limit)
        .bind(now)
        .fetch_all(p)
        .await?),
        None => on_db!(db, |p| sqlx::query_as(
            "SELECT kind, slug, title, body_md, published_at FROM posts \
             WHERE status = 'published' AND kind <> 'page' AND published_at <= $2 \
             ORDER BY published_at DESC LIMIT $1"
        )
        .bind(limit)
        .bind(now)
        .fetch_all(p)
        .await?),
    };
    rows.into_iter()
        .map(|(kind, slug, title, body_md, published_at)| {
            Ok(Update {
                kind: parse_kind(&slug, &kind)?,
                slug,
                title,
                body_md,
                published_at,
            })
        })
        .collect()
}

/// A post by its current slug, whatever its status (callers check [`Post::is_public`]).
pub async fn by_slug(db: &Db, slug: &str) -> DbResult<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE p.slug = $1");
    post(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(slug)
        .fetch_optional(p)
        .await?))
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE p.id = $1");
    post(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// [`by_id`] inside a transaction (a read on the pool while a transaction holds a
/// connection can wait for a free connection that never comes under load).
pub async fn by_id_in(tx: &mut Tx, id: &str) -> DbResult<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE p.id = $1");
    post(on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?))
}

/// [`by_id_in`], the row held until `tx` ends (PostgreSQL `FOR UPDATE`; SQLite's write
/// transactions are serialised as a whole), so what a writer checked on it still holds when
/// it writes.
pub async fn by_id_locked_in(tx: &mut Tx, id: &str) -> DbResult<Option<Post>> {
    let lock = if tx.backend() == "postgres" {
        " FOR UPDATE OF p"
    } else {
        ""
    };
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE p.id = $1{lock}");
    post(on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?))
}

/// The post that once had `slug` (slug history).
pub async fn by_old_slug(db: &Db, slug: &str) -> DbResult<Option<Post>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} JOIN post_slug_history h ON h.post_id = p.id WHERE h.old_slug = $1"
    );
    post(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(slug)
        .fetch_optional(p)
        .await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn permalinks() {
        let t = Utc.with_ymd_and_hms(2024, 3, 7, 23, 30, 0).single();
        let p = Permalinks::default();
        assert_eq!(p.path("article", "hi", t), "/2024/03/07/hi/");
        assert_eq!(p.path("note", "n1", t), "/2024/03/07/n1/");
        assert_eq!(p.path("page", "about", t), "/about/");
        assert_eq!(p.path("article", "d", None), "/d/");
    }

    #[test]
    fn rows_parse_strictly() {
        let now = Utc::now();
        let row = |kind: &str, status: &str, comments: &str| PostRow {
            id: "p1".into(),
            kind: kind.into(),
            status: status.into(),
            slug: "s".into(),
            title: String::new(),
            body_md: String::new(),
            excerpt: String::new(),
            author_id: None,
            author_name: None,
            campaign_id: None,
            sticky: false,
            password_hash: None,
            comment_status: comments.into(),
            featured_image_url: None,
            featured_image_alt: None,
            published_at: None,
            created_at: now,
            updated_at: now,
            source_key: None,
            mail_subscribers: true,
        };
        let p = Post::try_from(row("note", "scheduled", "closed")).expect("parses");
        assert_eq!(
            (p.kind, p.status, p.comment_status),
            (PostKind::Note, PostStatus::Scheduled, CommentStatus::Closed)
        );
        // An unknown text is corrupt data, never a silent draft or article.
        for (k, st, c) in [
            ("essay", "draft", "open"),
            ("note", "live", "open"),
            ("note", "draft", "maybe"),
        ] {
            assert!(matches!(
                Post::try_from(row(k, st, c)),
                Err(DbError::Corrupt(_))
            ));
        }
    }
}
