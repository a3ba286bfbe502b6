//! The blog's store: the one home of the `posts` table (its rows, [`Post`], read and written
//! only through here and [`super::write`]) and the blog's read queries, written once for both
//! backends — except full-text search, the one place where the SQL differs (FTS5 on SQLite, a
//! `tsvector` on PostgreSQL).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::permalink::Permalinks;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::{on_db, on_tx};
use shelfraiser_formats::slug::slugify;

/// What a post is (`posts.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// A title and a body.
    Article,
    /// Short, no title (live-blogging from a phone).
    Note,
    /// A standing page (About, Contact…), at `/{slug}/`.
    Page,
}

impl PostKind {
    pub const ALL: [PostKind; 3] = [PostKind::Article, PostKind::Note, PostKind::Page];
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Article => "article",
            PostKind::Note => "note",
            PostKind::Page => "page",
        }
    }
    pub fn parse(s: &str) -> Option<PostKind> {
        PostKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for PostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a post is in its life (`posts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    /// Waiting for an editor's review.
    Pending,
    /// Published by a job at `published_at`.
    Scheduled,
    Published,
    /// Visible to the team only.
    Private,
}

impl PostStatus {
    pub const ALL: [PostStatus; 5] = [
        PostStatus::Draft,
        PostStatus::Pending,
        PostStatus::Scheduled,
        PostStatus::Published,
        PostStatus::Private,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Pending => "pending",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
            PostStatus::Private => "private",
        }
    }
    pub fn parse(s: &str) -> Option<PostStatus> {
        PostStatus::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for PostStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a post takes comments (`posts.comment_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentStatus {
    Open,
    Closed,
}

impl CommentStatus {
    pub fn from_open(open: bool) -> CommentStatus {
        if open {
            CommentStatus::Open
        } else {
            CommentStatus::Closed
        }
    }
    pub fn is_open(self) -> bool {
        self == CommentStatus::Open
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Open => "open",
            CommentStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<CommentStatus> {
        [CommentStatus::Open, CommentStatus::Closed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A row of the `posts` table (joined with its author's display name): what readers see
/// and what the writers ([`super::write`]) return.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub kind: PostKind,
    pub status: PostStatus,
    pub slug: String,
    pub title: String,
    /// The Markdown body; from [`list_leads`], an article's only as far as its excerpt needs.
    pub body_md: String,
    pub excerpt: String,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub campaign_id: Option<String>,
    pub sticky: bool,
    pub password_hash: Option<String>,
    pub comment_status: CommentStatus,
    pub featured_image_url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where an imported post came from (`wp:<site>:<id>`).
    pub source_key: Option<String>,
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
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    source_key: Option<String>,
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
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            source_key: r.source_key,
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
    p.featured_image_url, p.published_at, p.created_at, p.updated_at, p.source_key";

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

/// A whole `posts` row to store, as the writer made it (see [`insert`]).
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
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source_key: Option<&'a str>,
}

/// Inserts a post row: the one `INSERT INTO posts` (every writer reaches it through
/// [`super::write`]). `Ok(false)` when a post with the same `source_key` exists; any other
/// conflict (a taken slug) is an error.
pub(crate) async fn insert(tx: &mut Tx, r: &NewRow<'_>) -> DbResult<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, campaign_id, \
         sticky, password_hash, comment_status, featured_image_url, published_at, created_at, \
         updated_at, source_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
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

fn parse_kind(id: &str, kind: &str) -> DbResult<PostKind> {
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

/// Which kinds a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kinds {
    /// Articles and notes (the blog's lists and feeds).
    #[default]
    Entries,
    /// Everything, pages too (search, sitemap).
    All,
}

/// What a listing of public posts is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kinds: Kinds,
    /// A term id (tag or category).
    pub term_id: Option<String>,
    pub author_id: Option<String>,
    pub campaign_id: Option<String>,
    /// `[from, to)` in UTC.
    pub between: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Full-text query (as typed by the reader).
    pub search: Option<String>,
    pub sticky_first: bool,
}

enum Bind {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

impl Bind {
    fn push(self, binds: &mut Vec<Bind>) -> String {
        binds.push(self);
        format!("${}", binds.len())
    }
}

/// Turns typed words into an FTS5 query that can never be a syntax error: each word becomes
/// a quoted string (quotes doubled), all of them required.
pub fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The conditions of `f` on the posts table under alias `a`; `with_term: false` leaves the
/// term out (a query that joins `post_terms` itself).
fn where_clause(
    db: &Db,
    f: &Filter,
    a: &str,
    with_term: bool,
    now: DateTime<Utc>,
    binds: &mut Vec<Bind>,
) -> String {
    let mut w = vec![format!(
        "{a}.status = 'published' AND {a}.published_at IS NOT NULL AND {a}.published_at <= {}",
        Bind::Time(now).push(binds)
    )];
    if f.kinds == Kinds::Entries {
        w.push(format!("{a}.kind <> 'page'"));
    }
    if let Some(t) = f.term_id.as_ref().filter(|_| with_term) {
        w.push(format!(
            "EXISTS (SELECT 1 FROM post_terms pt WHERE pt.post_id = {a}.id AND pt.term_id = {})",
            Bind::Text(t.clone()).push(binds)
        ));
    }
    if let Some(x) = &f.author_id {
        w.push(format!(
            "{a}.author_id = {}",
            Bind::Text(x.clone()).push(binds)
        ));
    }
    if let Some(c) = &f.campaign_id {
        w.push(format!(
            "{a}.campaign_id = {}",
            Bind::Text(c.clone()).push(binds)
        ));
    }
    if let Some((from, to)) = f.between {
        let x = Bind::Time(from).push(binds);
        let y = Bind::Time(to).push(binds);
        w.push(format!(
            "{a}.published_at >= {x} AND {a}.published_at < {y}"
        ));
    }
    if let Some(q) = &f.search {
        // A protected post's words must not be findable without its password.
        w.push(format!(
            "({a}.password_hash IS NULL OR {a}.password_hash = '')"
        ));
        match db {
            Db::Sqlite(_) => w.push(format!(
                "{a}.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH {})",
                Bind::Text(fts5_query(q)).push(binds)
            )),
            Db::Postgres(_) => w.push(format!(
                "{a}.search @@ plainto_tsquery('simple', {})",
                Bind::Text(q.clone()).push(binds)
            )),
        }
    }
    w.join(" AND ")
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Time(t) => q.bind(*t),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// How much of each body a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// The whole body (feeds).
    Full,
    /// Notes whole (lists show them in full); of other posts only the first
    /// [`LEAD_CHARS`] characters, enough for the excerpt ([`lead_is_enough`]).
    Lead,
}

/// The characters of an article's body a list reads.
pub const LEAD_CHARS: usize = 4000;

/// Listings newest first; ties by id (the order of `posts_public_order`).
const ORDER: &str = "p.published_at DESC, p.id";

/// A term with at most this many posts is listed from its `post_terms` rows; a bigger one by
/// walking the newest posts and keeping the term's (which finds a page after a few rows).
const SMALL_TERM: i64 = 1000;

fn columns(body: Body) -> String {
    match body {
        Body::Full => COLUMNS.to_string(),
        Body::Lead => COLUMNS.replacen(
            "p.body_md,",
            &format!(
                "CASE WHEN p.kind = 'note' THEN p.body_md ELSE substr(p.body_md, 1, {LEAD_CHARS}) END AS body_md,"
            ),
            1,
        ),
    }
}

/// Whether a body cut to [`LEAD_CHARS`] still gives the same excerpt and note title as the
/// whole body: excerpts come from the first paragraph ([`crate::markdown::excerpt`]), so the
/// lead is enough when that paragraph ends inside it.
pub fn lead_is_enough(lead: &str) -> bool {
    if lead.chars().count() < LEAD_CHARS {
        return true; // the whole body
    }
    let paras: Vec<&str> = lead.split("\n\n").collect();
    // The last piece may be cut short; the ones before it are whole.
    paras[..paras.len() - 1]
        .iter()
        .map(|p| p.trim())
        .any(|p| !p.is_empty() && !p.starts_with('#'))
}

/// Public posts matching `f` (only sticky ones, or only the others, when `sticky` says),
/// newest first.
async fn select(
    db: &Db,
    f: &Filter,
    sticky: Option<bool>,
    body: Body,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Post>> {
    let mut binds = Vec::new();
    let now = Utc::now();
    let cols = columns(body);
    let small_term = match &f.term_id {
        Some(t) => term_size(db, t).await? <= SMALL_TERM,
        None => false,
    };
    let sql = if let (true, Some(t)) = (small_term, &f.term_id) {
        // From the term's rows: both lookups covered (post_terms_term, posts_public_by_id),
        // the term's posts sorted, then whole rows read for one page only.
        let t = Bind::Text(t.clone()).push(&mut binds);
        let w = where_clause(db, f, "q", false, now, &mut binds) + &sticky_clause("q", sticky);
        let l = Bind::Int(limit).push(&mut binds);
        let o = Bind::Int(offset).push(&mut binds);
        format!(
            "SELECT {cols} {FROM} WHERE p.id IN (\
               SELECT q.id FROM post_terms pt CROSS JOIN posts q \
               WHERE pt.term_id = {t} AND q.id = pt.post_id AND {w} \
               ORDER BY q.published_at DESC, q.id LIMIT {l} OFFSET {o}) \
             ORDER BY {ORDER}"
        )
    } else {
        let w = where_clause(db, f, "p", true, now, &mut binds) + &sticky_clause("p", sticky);
        let l = Bind::Int(limit).push(&mut binds);
        let o = Bind::Int(offset).push(&mut binds);
        format!("SELECT {cols} {FROM} WHERE {w} ORDER BY {ORDER} LIMIT {l} OFFSET {o}")
    };
    let rows: Vec<PostRow> = on_db!(db, |p| bind_all!(sqlx::query_as(&sql), &binds)
        .fetch_all(p)
        .await?);
    let mut posts = posts(rows)?;
    if body == Body::Lead {
        for p in posts.iter_mut().filter(|p| !lead_is_enough(&p.body_md)) {
            p.body_md = full_body(db, &p.id).await?;
        }
    }
    Ok(posts)
}

/// ` AND a.sticky` (written so that the partial index `posts_sticky` serves it), its
/// negation, or nothing.
fn sticky_clause(a: &str, sticky: Option<bool>) -> String {
    match sticky {
        Some(true) => format!(" AND {a}.sticky"),
        Some(false) => format!(" AND NOT {a}.sticky"),
        None => String::new(),
    }
}

/// How many posts carry the term, counted up to just past [`SMALL_TERM`].
async fn term_size(db: &Db, term_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM (SELECT 1 FROM post_terms WHERE term_id = $1 LIMIT $2) AS t"
    )
    .bind(term_id)
    .bind(SMALL_TERM + 1)
    .fetch_one(p)
    .await?))
}

async fn full_body(db: &Db, id: &str) -> DbResult<String> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, String>(
        "SELECT body_md FROM posts WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await?)
    .unwrap_or_default())
}

async fn list_with(
    db: &Db,
    f: &Filter,
    body: Body,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Post>> {
    if f.search.as_deref().is_some_and(|q| q.trim().is_empty()) || limit <= 0 {
        return Ok(Vec::new());
    }
    let offset = offset.max(0);
    if !f.sticky_first {
        return select(db, f, None, body, limit, offset).await;
    }
    // Sticky posts first: they are few and have their own index (posts_sticky); the rest
    // follow in the usual order, so neither query sorts the whole blog.
    let sticky = select(db, f, Some(true), body, offset + limit, 0).await?;
    let n = sticky.len() as i64;
    let mut out: Vec<Post> = sticky.into_iter().skip(offset as usize).collect();
    if n < offset + limit {
        let need = limit - out.len() as i64;
        let rest = select(db, f, Some(false), body, need, (offset - n).max(0)).await?;
        out.extend(rest);
    }
    Ok(out)
}

/// Public posts matching `f`, newest first (sticky ones first when asked), whole.
pub async fn list(db: &Db, f: &Filter, limit: i64, offset: i64) -> DbResult<Vec<Post>> {
    list_with(db, f, Body::Full, limit, offset).await
}

/// [`list`] for pages that show excerpts: article bodies only as far as their excerpt
/// needs ([`Body::Lead`]).
pub async fn list_leads(db: &Db, f: &Filter, limit: i64, offset: i64) -> DbResult<Vec<Post>> {
    list_with(db, f, Body::Lead, limit, offset).await
}

/// Where a public post lives and when it last changed (the sitemap).
#[derive(Debug, Clone)]
pub struct Located {
    pub kind: PostKind,
    pub slug: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Located {
    pub fn path(&self, links: &Permalinks) -> String {
        links.path(self.kind.as_str(), &self.slug, self.published_at)
    }
}

/// Public posts matching `f`, newest first, without their text.
pub async fn locate(db: &Db, f: &Filter, limit: i64) -> DbResult<Vec<Located>> {
    let mut binds = Vec::new();
    let w = where_clause(db, f, "p", true, Utc::now(), &mut binds);
    let l = Bind::Int(limit).push(&mut binds);
    let sql = format!(
        "SELECT p.kind, p.slug, p.published_at, p.updated_at FROM posts p WHERE {w} ORDER BY {ORDER} LIMIT {l}"
    );
    type Row = (String, String, Option<DateTime<Utc>>, DateTime<Utc>);
    let rows: Vec<Row> = on_db!(db, |p| bind_all!(sqlx::query_as(&sql), &binds)
        .fetch_all(p)
        .await?);
    rows.into_iter()
        .map(|(kind, slug, published_at, updated_at)| {
            Ok(Located {
                kind: parse_kind(&slug, &kind)?,
                slug,
                published_at,
                updated_at,
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

/// Where an old path now lives (the `redirects` table, filled by the importer).
pub async fn redirect_for(db: &Db, path: &str) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT to_path FROM redirects WHERE from_path = $1"
    )
    .bind(path)
    .fetch_optional(p)
    .await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Term {
    pub id: String,
    /// `category` or `tag`.
    pub taxonomy: String,
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl Term {
    pub fn path(&self) -> String {
        format!("/{}/{}/", self.taxonomy, self.slug)
    }
}

pub async fn term(db: &Db, taxonomy: &str, slug: &str) -> DbResult<Option<Term>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT id, taxonomy, slug, name, description FROM terms WHERE taxonomy = $1 AND slug = $2"
    )
    .bind(taxonomy)
    .bind(slug)
    .fetch_optional(p)
    .await?))
}

/// A post's categories then tags, by name.
pub async fn terms_of(db: &Db, post_id: &str) -> DbResult<Vec<Term>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT t.id, t.taxonomy, t.slug, t.name, t.description FROM terms t \
         JOIN post_terms pt ON pt.term_id = t.id WHERE pt.post_id = $1 ORDER BY t.taxonomy, t.name"
    )
    .bind(post_id)
    .fetch_all(p)
    .await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Author {
    pub id: String,
    pub display_name: String,
}

impl Author {
    pub fn path(&self) -> String {
        format!("/author/{}/", self.id)
    }
}

/// An author by member id, or by their name as a slug (the site's one rule,
/// [`slugify`]; only members who wrote a post).
pub async fn author(db: &Db, id_or_slug: &str) -> DbResult<Option<Author>> {
    let all: Vec<Author> = on_db!(db, |p| sqlx::query_as(
        "SELECT m.id, m.display_name FROM members m \
         WHERE EXISTS (SELECT 1 FROM posts p WHERE p.author_id = m.id) ORDER BY m.created_at"
    )
    .fetch_all(p)
    .await?);
    Ok(all
        .iter()
        .find(|a| a.id == id_or_slug)
        .or_else(|| all.iter().find(|a| slugify(&a.display_name) == id_or_slug))
        .cloned())
}

/// Public campaigns' slugs and last change, for the sitemap.
pub async fn public_campaigns(db: &Db) -> DbResult<Vec<(String, DateTime<Utc>)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT slug, updated_at FROM campaigns WHERE state <> 'draft' ORDER BY created_at"
    )
    .fetch_all(p)
    .await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn permalinks() {
        let t = Utc.with_ymd_and_hms(2024, 3, 7, 23, 30, 0).single();
        let p = super::super::permalink::Permalinks::default();
        assert_eq!(p.path("article", "hi", t), "/2024/03/07/hi/");
        assert_eq!(p.path("note", "n1", t), "/2024/03/07/n1/");
        assert_eq!(p.path("page", "about", t), "/about/");
        assert_eq!(p.path("article", "d", None), "/d/");
    }

    #[test]
    fn leads_are_enough_when_their_first_paragraph_ends_inside() {
        assert!(lead_is_enough("short body"));
        let long_para = "word ".repeat(LEAD_CHARS);
        let cut: String = long_para.chars().take(LEAD_CHARS).collect();
        assert!(!lead_is_enough(&cut));
        let with_break: String = format!("# Heading\n\nFirst paragraph.\n\n{long_para}")
            .chars()
            .take(LEAD_CHARS)
            .collect();
        assert!(lead_is_enough(&with_break));
        let only_heading: String = format!("# Heading\n\n{long_para}")
            .chars()
            .take(LEAD_CHARS)
            .collect();
        assert!(!lead_is_enough(&only_heading));
        // The excerpt of an enough lead is the whole body's.
        let body = format!("Intro *text*.\n\n{long_para}");
        let lead: String = body.chars().take(LEAD_CHARS).collect();
        assert!(lead_is_enough(&lead));
        assert_eq!(
            crate::markdown::excerpt(&lead, 300),
            crate::markdown::excerpt(&body, 300)
        );
    }

    #[test]
    fn lead_columns_cut_only_non_notes() {
        let c = columns(Body::Lead);
        assert!(c.contains("CASE WHEN p.kind = 'note' THEN p.body_md ELSE substr(p.body_md, 1, 4000) END AS body_md,"));
        assert_eq!(columns(Body::Full), COLUMNS);
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
            published_at: None,
            created_at: now,
            updated_at: now,
            source_key: None,
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

    #[test]
    fn fts_queries_are_quoted() {
        assert_eq!(fts5_query("a \"b OR"), "\"a\" \"\"\"b\" \"OR\"");
    }
}
