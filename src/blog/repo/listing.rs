//! Listings of public posts ([`list`], [`list_leads`], [`locate`]) narrowed by a
//! [`Filter`]: newest first, sticky posts first when asked, bodies read only as far as
//! excerpts need. Written once for both backends — except full-text search, the one place
//! where the SQL differs (FTS5 on SQLite, a `tsvector` on PostgreSQL).

use chrono::{DateTime, Utc};

use super::kinds::PostKind;
use super::posts::{COLUMNS, FROM, Post, PostRow, parse_kind, posts};
use crate::blog::permalink::Permalinks;
use crate::db::{Db, DbResult};
use crate::on_db;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn fts_queries_are_quoted() {
        assert_eq!(fts5_query("a \"b OR"), "\"a\" \"\"\"b\" \"OR\"");
    }
}
