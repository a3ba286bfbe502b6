//! Blog read queries, written once for both backends — except full-text search, the one
//! place where the SQL differs (FTS5 on SQLite, a `tsvector` on PostgreSQL).

use chrono::{DateTime, Datelike, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// A post as readers see it (joined with its author's display name).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Post {
    pub id: String,
    /// `article`, `note` or `page`.
    pub kind: String,
    /// `draft`, `pending`, `scheduled`, `published` or `private`.
    pub status: String,
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub excerpt: String,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub campaign_id: Option<String>,
    pub sticky: bool,
    pub password_hash: Option<String>,
    pub comment_status: String,
    pub featured_image_url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "p.id, p.kind, p.status, p.slug, p.title, p.body_md, p.excerpt, p.author_id, \
    m.display_name AS author_name, p.campaign_id, p.sticky, p.password_hash, p.comment_status, \
    p.featured_image_url, p.published_at, p.created_at, p.updated_at";

const FROM: &str = "FROM posts p LEFT JOIN members m ON m.id = p.author_id";

impl Post {
    /// Published and due: what the public may see.
    pub fn is_public(&self, now: DateTime<Utc>) -> bool {
        self.status == "published" && self.published_at.is_some_and(|t| t <= now)
    }

    pub fn is_note(&self) -> bool {
        self.kind == "note"
    }

    pub fn is_page(&self) -> bool {
        self.kind == "page"
    }

    pub fn is_protected(&self) -> bool {
        self.password_hash.as_deref().is_some_and(|h| !h.is_empty())
    }

    /// The post's path on this site (see [`permalink`]).
    pub fn path(&self) -> String {
        permalink(&self.kind, &self.slug, self.published_at)
    }

    /// The author's archive path, when the post has an author.
    pub fn author_path(&self) -> Option<String> {
        self.author_id.as_ref().map(|id| format!("/author/{id}/"))
    }
}

/// `/{yyyy}/{mm}/{dd}/{slug}/` for articles and notes (the date of publication in UTC),
/// `/{slug}/` for pages and for posts without a date.
pub fn permalink(kind: &str, slug: &str, published_at: Option<DateTime<Utc>>) -> String {
    match (kind, published_at) {
        ("page", _) | (_, None) => format!("/{slug}/"),
        (_, Some(t)) => format!("/{:04}/{:02}/{:02}/{slug}/", t.year(), t.month(), t.day()),
    }
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

/// Turns typed words into an FTS5 query that can never be a syntax error: each word becomes
/// a quoted string (quotes doubled), all of them required.
pub fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn where_clause(db: &Db, f: &Filter, now: DateTime<Utc>, binds: &mut Vec<Bind>) -> String {
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut w = vec![format!(
        "p.status = 'published' AND p.published_at IS NOT NULL AND p.published_at <= {}",
        next(Bind::Time(now), binds)
    )];
    if f.kinds == Kinds::Entries {
        w.push("p.kind <> 'page'".into());
    }
    if let Some(t) = &f.term_id {
        w.push(format!(
            "EXISTS (SELECT 1 FROM post_terms pt WHERE pt.post_id = p.id AND pt.term_id = {})",
            next(Bind::Text(t.clone()), binds)
        ));
    }
    if let Some(a) = &f.author_id {
        w.push(format!(
            "p.author_id = {}",
            next(Bind::Text(a.clone()), binds)
        ));
    }
    if let Some(c) = &f.campaign_id {
        w.push(format!(
            "p.campaign_id = {}",
            next(Bind::Text(c.clone()), binds)
        ));
    }
    if let Some((from, to)) = f.between {
        let a = next(Bind::Time(from), binds);
        let b = next(Bind::Time(to), binds);
        w.push(format!("p.published_at >= {a} AND p.published_at < {b}"));
    }
    if let Some(q) = &f.search {
        // A protected post's words must not be findable without its password.
        w.push("(p.password_hash IS NULL OR p.password_hash = '')".into());
        match db {
            Db::Sqlite(_) => w.push(format!(
                "p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH {})",
                next(Bind::Text(fts5_query(q)), binds)
            )),
            Db::Postgres(_) => w.push(format!(
                "p.search @@ plainto_tsquery('simple', {})",
                next(Bind::Text(q.clone()), binds)
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

/// Public posts matching `f`, newest first (sticky ones first when asked).
pub async fn list(db: &Db, f: &Filter, limit: i64, offset: i64) -> DbResult<Vec<Post>> {
    if f.search.as_deref().is_some_and(|q| q.trim().is_empty()) {
        return Ok(Vec::new());
    }
    let mut binds = Vec::new();
    let w = where_clause(db, f, Utc::now(), &mut binds);
    binds.push(Bind::Int(limit));
    let l = binds.len();
    binds.push(Bind::Int(offset));
    let o = binds.len();
    let order = if f.sticky_first {
        "p.sticky DESC, p.published_at DESC, p.id"
    } else {
        "p.published_at DESC, p.id"
    };
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE {w} ORDER BY {order} LIMIT ${l} OFFSET ${o}");
    Ok(on_db!(db, |p| bind_all!(sqlx::query_as(&sql), &binds)
        .fetch_all(p)
        .await?))
}

/// How many public posts match `f`.
pub async fn count(db: &Db, f: &Filter) -> DbResult<i64> {
    if f.search.as_deref().is_some_and(|q| q.trim().is_empty()) {
        return Ok(0);
    }
    let mut binds = Vec::new();
    let w = where_clause(db, f, Utc::now(), &mut binds);
    let sql = format!("SELECT COUNT(*) FROM posts p WHERE {w}");
    Ok(on_db!(db, |p| bind_all!(sqlx::query_scalar(&sql), &binds)
        .fetch_one(p)
        .await?))
}

/// A post by its current slug, whatever its status (callers check [`Post::is_public`]).
pub async fn by_slug(db: &Db, slug: &str) -> DbResult<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE p.slug = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(slug)
        .fetch_optional(p)
        .await?))
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE p.id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// The post that once had `slug` (slug history).
pub async fn by_old_slug(db: &Db, slug: &str) -> DbResult<Option<Post>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} JOIN post_slug_history h ON h.post_id = p.id WHERE h.old_slug = $1"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
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

/// Lower-case ASCII words joined by hyphens (for matching an author's name in a URL).
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An author by member id, or by their name as a slug (only members who wrote a post).
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
        assert_eq!(permalink("article", "hi", t), "/2024/03/07/hi/");
        assert_eq!(permalink("note", "n1", t), "/2024/03/07/n1/");
        assert_eq!(permalink("page", "about", t), "/about/");
        assert_eq!(permalink("article", "d", None), "/d/");
    }

    #[test]
    fn fts_queries_are_quoted() {
        assert_eq!(fts5_query("a \"b OR"), "\"a\" \"\"\"b\" \"OR\"");
        assert_eq!(slugify("Ada  Lovelace!"), "ada-lovelace");
    }
}
