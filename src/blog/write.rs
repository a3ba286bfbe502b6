//! Writing the blog: the one path every writer takes — the console, the CLI, the JSON API
//! and the WordPress importer.
//!
//! * [`NewPost`] / [`UpdatePost`] carry what a writer typed; [`create`] and [`update`]
//!   validate it ([`WriteError::Invalid`] names each field at fault with a stable code),
//!   derive the slug ([`slugify`], from the title or a note's first words), make it unique
//!   (`-2`, `-3`, …), record a changed slug in `post_slug_history`, upsert the categories and
//!   tags ([`upsert_term`]), write the audit entries and, for a scheduled post, enqueue the
//!   [`PUBLISH_POST`] job that publishes it — all in one
//!   transaction.
//! * [`publish`], [`unpublish`] and [`schedule`] change only the status.
//! * [`permalink`] is the post's public path under the configured pattern (by default
//!   `/{yyyy}/{mm}/{dd}/{slug}/`; pages `/{slug}/`).
//! * [`local_to_utc`] reads a time typed in the author's time zone.
//!
//! Status rules ([`effective_status`]): "published" with a future time becomes "scheduled";
//! "scheduled" with a time already past becomes "published"; "published" and "private"
//! without a time get now.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};

use super::permalink::Permalinks;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::jobs::{self, Job};
use crate::team::audit::{self, Actor};
use crate::{on_db, on_tx};

pub const MAX_TITLE: usize = 300;
pub const MAX_BODY: usize = 200_000;
/// A note is short, like a status update.
pub const MAX_NOTE: usize = 1_000;
pub const MAX_EXCERPT: usize = 1_000;
pub use shelfraiser_formats::slug::{MAX_SLUG, slugify};
pub const MAX_TERMS: usize = 30;
pub const MAX_TERM_NAME: usize = 100;

use super::repo::{self, COLUMNS, FROM, PostRow, by_id_in};
pub use super::repo::{CommentStatus, NewRow, Post, PostKind, PostStatus};

/// The public path of a post under the configured pattern (`settings.blog.permalink`, by
/// default `/{yyyy}/{mm}/{dd}/{slug}/` with the UTC date of publication); `/{slug}/` for
/// pages and undated drafts.
pub fn permalink(p: &Post, links: &Permalinks) -> String {
    permalink_of(links, p.kind, &p.slug, p.published_at)
}

/// [`permalink`] from its parts.
pub fn permalink_of(
    links: &Permalinks,
    kind: PostKind,
    slug: &str,
    published_at: Option<DateTime<Utc>>,
) -> String {
    links.path(kind.as_str(), slug, published_at)
}

/// The slug a post gets when none is given: from the title, or for a note (no title) from
/// its first six words; `post` when neither gives any letters.
pub fn slug_base(kind: PostKind, title: &str, body_md: &str) -> String {
    let from = if kind == PostKind::Note || title.trim().is_empty() {
        body_md
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        title.to_string()
    };
    let s = slugify(&from);
    if s.is_empty() { "post".into() } else { s }
}

/// The excerpt shown in lists: the given one, else the text before `<!--more-->`, else the
/// first paragraph (plain text, at most 300 characters).
pub fn derive_excerpt(excerpt: &str, body_md: &str) -> String {
    if !excerpt.trim().is_empty() {
        return excerpt.trim().to_string();
    }
    if let Some((before, _)) = body_md.split_once("<!--more-->") {
        return crate::markdown::excerpt(before.trim(), 300);
    }
    crate::markdown::excerpt(body_md, 300)
}

/// Reads a time typed in the time zone `zone` (IANA name): RFC 3339 (its own offset wins),
/// or `YYYY-MM-DD HH:MM`, `YYYY-MM-DDTHH:MM` (the browser's `datetime-local`), optionally
/// with `:SS`. A time that falls twice (clocks going back) is the earlier one; a time that
/// does not exist (clocks going forward) is `None`.
pub fn local_to_utc(text: &str, zone: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let tz: chrono_tz::Tz = zone.parse().ok()?;
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// `published_at` shown in the time zone `zone` as `YYYY-MM-DDTHH:MM` (for a
/// `datetime-local` field).
pub fn utc_to_local_field(t: DateTime<Utc>, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// The status and time actually stored for what the writer asked, at `now`.
pub fn effective_status(
    status: PostStatus,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (PostStatus, Option<DateTime<Utc>>) {
    match (status, at) {
        (PostStatus::Published, Some(t)) if t > now => (PostStatus::Scheduled, Some(t)),
        (PostStatus::Scheduled, Some(t)) if t <= now => (PostStatus::Published, Some(t)),
        (PostStatus::Published | PostStatus::Private, None) => (status, Some(now)),
        other => other,
    }
}

/// A post to create. Categories and tags are names (their slugs derived); they are created
/// when missing.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub kind: PostKind,
    pub title: String,
    pub body_md: String,
    /// Empty: derived when shown ([`derive_excerpt`]).
    pub excerpt: String,
    pub status: PostStatus,
    /// When it was / will be published (required for `Scheduled`).
    pub published_at: Option<DateTime<Utc>>,
    pub author_id: Option<String>,
    pub campaign_id: Option<String>,
    pub sticky: bool,
    /// `true`: comments open.
    pub comments_open: bool,
    /// `None`: derived from the title (or a note's words).
    pub slug: Option<String>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub featured_image_url: Option<String>,
    /// Where an imported post came from; a second create with the same key is refused
    /// ([`WriteError::Duplicate`]).
    pub source_key: Option<String>,
    /// For imports: keep the original creation time.
    pub created_at: Option<DateTime<Utc>>,
}

impl NewPost {
    /// A draft article with everything else empty.
    pub fn draft(kind: PostKind, title: &str, body_md: &str) -> NewPost {
        NewPost {
            kind,
            title: title.into(),
            body_md: body_md.into(),
            excerpt: String::new(),
            status: PostStatus::Draft,
            published_at: None,
            author_id: None,
            campaign_id: None,
            sticky: false,
            comments_open: true,
            slug: None,
            categories: Vec::new(),
            tags: Vec::new(),
            featured_image_url: None,
            source_key: None,
            created_at: None,
        }
    }
}

/// The full new state of an existing post (every field is replaced). `slug: None` keeps the
/// current slug; a different one is made unique and the old one kept in the history.
pub type UpdatePost = NewPost;

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Field → stable code (`required`, `too_long`, `invalid`, `unknown`).
    #[error("invalid post: {0:?}")]
    Invalid(Vec<(&'static str, &'static str)>),
    #[error("no such post")]
    NotFound,
    /// A post with the same `source_key` exists.
    #[error("a post from that source exists")]
    Duplicate,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        WriteError::Db(e.into())
    }
}

/// An English sentence for a field error code (CLI and API).
pub fn describe(field: &str, code: &str) -> String {
    match code {
        "required" => format!("{field} is required"),
        "too_long" => format!("{field} is too long"),
        "not_allowed" => format!("{field} is not allowed for this kind of post"),
        "unknown" => format!("{field} names nothing known"),
        "too_deep" => format!(
            "{field} nests quotes or lists more than {} levels deep",
            crate::markdown::MAX_DEPTH
        ),
        "too_wide" => format!(
            "{field} has a table of more than {} columns",
            crate::markdown::MAX_TABLE_COLUMNS
        ),
        _ => format!("{field} is not valid"),
    }
}

fn clean_line(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks and tidies a post; the fields at fault otherwise.
pub fn validate(p: &NewPost) -> Result<NewPost, Vec<(&'static str, &'static str)>> {
    let mut e = Vec::new();
    let mut out = p.clone();
    out.title = clean_line(&p.title);
    // NUL is no text (PostgreSQL refuses it): dropped at the edge.
    out.body_md = p.body_md.replace("\r\n", "\n").replace('\0', "");
    out.excerpt = p
        .excerpt
        .replace("\r\n", "\n")
        .replace('\0', "")
        .trim()
        .to_string();
    match p.kind {
        PostKind::Note => {
            if !out.title.is_empty() {
                e.push(("title", "not_allowed"));
            }
            if out.body_md.trim().is_empty() {
                e.push(("body", "required"));
            } else if out.body_md.chars().count() > MAX_NOTE {
                e.push(("body", "too_long"));
            }
        }
        PostKind::Article | PostKind::Page => {
            if out.title.is_empty() {
                e.push(("title", "required"));
            } else if out.title.chars().count() > MAX_TITLE {
                e.push(("title", "too_long"));
            }
            if out.body_md.chars().count() > MAX_BODY {
                e.push(("body", "too_long"));
            }
        }
    }
    // A body that would not render as written (too large, nested too deep, a table too wide;
    // `markdown::check`) is refused rather than stored to render as something else.
    if !e.iter().any(|(f, _)| *f == "body")
        && let Err(fault) = crate::markdown::check(&out.body_md)
    {
        e.push(("body", fault.code()));
    }
    if out.excerpt.chars().count() > MAX_EXCERPT {
        e.push(("excerpt", "too_long"));
    }
    if let Some(s) = &p.slug {
        let s = s.trim();
        if s.is_empty() {
            out.slug = None;
        } else {
            let norm = slugify(s);
            if norm.is_empty() || s.chars().count() > MAX_SLUG {
                e.push(("slug", "invalid"));
            }
            out.slug = Some(norm);
        }
    }
    if p.status == PostStatus::Scheduled && p.published_at.is_none() {
        e.push(("published_at", "required"));
    }
    for (field, list) in [("categories", &p.categories), ("tags", &p.tags)] {
        let names: Vec<String> = list
            .iter()
            .map(|n| clean_line(n))
            .filter(|n| !n.is_empty())
            .collect();
        if names.len() > MAX_TERMS
            || names
                .iter()
                .any(|n| n.chars().count() > MAX_TERM_NAME || slugify(n).is_empty())
        {
            e.push((field, "invalid"));
        }
        if field == "categories" {
            out.categories = names;
        } else {
            out.tags = names;
        }
    }
    if e.is_empty() { Ok(out) } else { Err(e) }
}

async fn slug_taken(tx: &mut Tx, slug: &str, except: Option<&str>) -> DbResult<bool> {
    let except = except.unwrap_or("");
    let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM posts WHERE slug = $1 AND id <> $2) \
              + (SELECT COUNT(*) FROM post_slug_history WHERE old_slug = $1 AND post_id <> $2)"
    )
    .bind(slug)
    .bind(except)
    .fetch_one(&mut *c)
    .await?);
    Ok(n > 0)
}

/// `base`, or `base-2`, `base-3`, … — the first that no other post has (now or in its
/// slug history).
pub async fn unique_slug(tx: &mut Tx, base: &str, except_post: Option<&str>) -> DbResult<String> {
    if !slug_taken(tx, base, except_post).await? {
        return Ok(base.to_string());
    }
    for n in 2..10_000 {
        let cand = format!("{base}-{n}");
        if !slug_taken(tx, &cand, except_post).await? {
            return Ok(cand);
        }
    }
    Ok(format!("{base}-{}", uuid::Uuid::new_v4().simple()))
}

/// The id of the term (`category` or `tag`) with this slug, created with `name` (and
/// `parent_id`) when missing. An existing term keeps its name and parent.
pub async fn upsert_term(
    tx: &mut Tx,
    taxonomy: &str,
    slug: &str,
    name: &str,
    parent_id: Option<&str>,
) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO terms (id, taxonomy, slug, name, parent_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (taxonomy, slug) DO NOTHING"
    )
    .bind(&id)
    .bind(taxonomy)
    .bind(slug)
    .bind(name)
    .bind(parent_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM terms WHERE taxonomy = $1 AND slug = $2"
    )
    .bind(taxonomy)
    .bind(slug)
    .fetch_one(&mut *c)
    .await?))
}

/// Replaces a post's categories and tags.
async fn set_terms(tx: &mut Tx, post_id: &str, p: &NewPost) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM post_terms WHERE post_id = $1"
    )
    .bind(post_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    for (taxonomy, names) in [("category", &p.categories), ("tag", &p.tags)] {
        for name in names {
            let id = upsert_term(tx, taxonomy, &slugify(name), name, None).await?;
            on_tx!(tx, |c| sqlx::query(
                "INSERT INTO post_terms (post_id, term_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
            .bind(post_id)
            .bind(&id)
            .execute(&mut *c)
            .await?
            .rows_affected());
        }
    }
    Ok(())
}

/// A post's category and tag names, each sorted: `(categories, tags)`.
pub async fn terms_of(db: &Db, post_id: &str) -> DbResult<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT t.taxonomy, t.name FROM post_terms pt JOIN terms t ON t.id = pt.term_id \
         WHERE pt.post_id = $1 ORDER BY t.name"
    )
    .bind(post_id)
    .fetch_all(p)
    .await?);
    let mut cats = Vec::new();
    let mut tags = Vec::new();
    for (tax, name) in rows {
        if tax == "category" {
            cats.push(name);
        } else {
            tags.push(name);
        }
    }
    Ok((cats, tags))
}

/// One post by id, whatever its status.
pub use super::repo::by_id;

/// Posts for the console list, newest change first; `status` filters when given;
/// `campaigns` (when given) limits to posts of those campaigns (a campaign-scoped editor).
pub async fn list(
    db: &Db,
    status: Option<PostStatus>,
    campaigns: Option<&[String]>,
    limit: i64,
) -> DbResult<Vec<Post>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE ($1 = '' OR p.status = $1) ORDER BY p.updated_at DESC, p.id LIMIT $2"
    );
    let st = status.map(|s| s.as_str()).unwrap_or("");
    // A scoped editor sees few posts; the filter is applied here rather than in SQL so
    // one query text serves both databases.
    let limit_sql = if campaigns.is_some() { 10_000 } else { limit };
    let rows: Vec<PostRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(st)
        .bind(limit_sql)
        .fetch_all(p)
        .await?);
    let rows = super::repo::posts(rows)?;
    Ok(match campaigns {
        None => rows,
        Some(ids) => rows
            .into_iter()
            .filter(|p| p.campaign_id.as_ref().is_some_and(|c| ids.contains(c)))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect(),
    })
}

/// Enqueues the job that publishes a scheduled post at its time (de-duplicated per post and
/// time, so saving twice stores one job; a moved time stores a new one, and the old job
/// finds nothing to do).
async fn schedule_job(tx: &mut Tx, post_id: &str, at: DateTime<Utc>) -> DbResult<()> {
    let key = format!("publish_post:{post_id}:{}", at.timestamp());
    let job = Job::new(
        PUBLISH_POST,
        &PublishPost {
            post_id: post_id.to_string(),
        },
    )
    .map_err(|e| crate::db::DbError::Corrupt(format!("job payload: {e}")))?;
    jobs::enqueue_in(tx, &job, at, Some(&key)).await?;
    Ok(())
}

/// Creates a post (see the module notes). Audits `post.created` (and `post.published`
/// when it is published at once).
pub async fn create(db: &Db, p: &NewPost, who: &Actor) -> Result<Post, WriteError> {
    let p = validate(p).map_err(WriteError::Invalid)?;
    let now = Utc::now();
    let (status, at) = effective_status(p.status, p.published_at, now);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut tx = db.begin().await?;
    let base = p
        .slug
        .clone()
        .unwrap_or_else(|| slug_base(p.kind, &p.title, &p.body_md));
    let slug = unique_slug(&mut tx, &base, None).await?;
    let row = NewRow {
        id: &id,
        kind: p.kind,
        status,
        slug: &slug,
        title: &p.title,
        body_md: &p.body_md,
        excerpt: &p.excerpt,
        author_id: p.author_id.as_deref(),
        campaign_id: p.campaign_id.as_deref(),
        sticky: p.sticky,
        password_hash: None,
        comment_status: CommentStatus::from_open(p.comments_open),
        featured_image_url: p.featured_image_url.as_deref(),
        published_at: at,
        created_at: p.created_at.unwrap_or(now),
        updated_at: now,
        source_key: p.source_key.as_deref(),
    };
    match repo::insert(&mut tx, &row).await {
        Ok(true) => {}
        // The source key is taken.
        Ok(false) => return Err(WriteError::Duplicate),
        Err(e) if e.unique_violation().is_some() && p.source_key.is_some() => {
            return Err(WriteError::Duplicate);
        }
        Err(e) => return Err(e.into()),
    }
    set_terms(&mut tx, &id, &p).await?;
    if status == PostStatus::Scheduled
        && let Some(t) = at
    {
        schedule_job(&mut tx, &id, t).await?;
    }
    audit::record_in(
        &mut tx,
        who,
        "post.created",
        &id,
        &format!("{} {slug}", p.kind.as_str()),
    )
    .await?;
    if status == PostStatus::Published {
        audit::record_in(&mut tx, who, "post.published", &id, &slug).await?;
    }
    let post = by_id_in(&mut tx, &id).await?.ok_or(WriteError::NotFound)?;
    tx.commit().await?;
    Ok(post)
}

/// Stores a post exactly as given — the WordPress importer's path: its ids, slugs, dates,
/// status, sticky flag and password hash are kept, nothing is validated or audited — in the
/// importer's transaction. `Ok(false)` when a post with the same source key exists.
pub async fn import(tx: &mut Tx, row: &NewRow<'_>) -> DbResult<bool> {
    repo::insert(tx, row).await
}

/// Publishes a campaign update as given (the demo data's path): an article linked to the
/// campaign, published, created and changed at `published_at`, with this slug as it is.
pub async fn add_campaign_update(
    db: &Db,
    campaign_id: &str,
    slug: &str,
    title: &str,
    body_md: &str,
    published_at: DateTime<Utc>,
) -> DbResult<()> {
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = db.begin().await?;
    repo::insert(
        &mut tx,
        &NewRow {
            id: &id,
            kind: PostKind::Article,
            status: PostStatus::Published,
            slug,
            title,
            body_md,
            excerpt: "",
            author_id: None,
            campaign_id: Some(campaign_id),
            sticky: false,
            password_hash: None,
            comment_status: CommentStatus::Open,
            featured_image_url: None,
            published_at: Some(published_at),
            created_at: published_at,
            updated_at: published_at,
            source_key: None,
        },
    )
    .await?;
    tx.commit().await
}

/// Replaces a post's fields (see [`UpdatePost`]). Audits `post.updated` with the changed
/// fields, and `post.published` when it becomes published.
pub async fn update(db: &Db, id: &str, p: &UpdatePost, who: &Actor) -> Result<Post, WriteError> {
    let p = validate(p).map_err(WriteError::Invalid)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let old = by_id_in(&mut tx, id).await?.ok_or(WriteError::NotFound)?;
    let (status, at) = effective_status(p.status, p.published_at, now);
    let slug = match &p.slug {
        Some(s) if *s != old.slug => unique_slug(&mut tx, s, Some(id)).await?,
        _ => old.slug.clone(),
    };
    if slug != old.slug {
        // The new slug may be one this post had before: it is no longer "old".
        on_tx!(&mut tx, |c| sqlx::query(
            "DELETE FROM post_slug_history WHERE old_slug = $1 AND post_id = $2"
        )
        .bind(&slug)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected());
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO post_slug_history (old_slug, post_id, changed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (old_slug) DO UPDATE SET post_id = $2, changed_at = $3"
        )
        .bind(&old.slug)
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected());
    }
    let comment_status = CommentStatus::from_open(p.comments_open);
    let (old_cats, old_tags) = terms_of_in(&mut tx, id).await?;
    let mut changed = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("kind", old.kind != p.kind);
    check("title", old.title != p.title);
    check("body", old.body_md != p.body_md);
    check("excerpt", old.excerpt != p.excerpt);
    check("status", old.status != status);
    check("published_at", old.published_at != at);
    check("author", old.author_id != p.author_id);
    check("campaign", old.campaign_id != p.campaign_id);
    check("sticky", old.sticky != p.sticky);
    check("comment_status", old.comment_status != comment_status);
    check("slug", old.slug != slug);
    check(
        "featured_image",
        old.featured_image_url != p.featured_image_url,
    );
    let mut cats = p.categories.clone();
    cats.sort();
    let mut tags = p.tags.clone();
    tags.sort();
    check("categories", old_cats != cats);
    check("tags", old_tags != tags);
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE posts SET kind = $2, status = $3, slug = $4, title = $5, body_md = $6, excerpt = $7, \
         author_id = $8, campaign_id = $9, sticky = $10, comment_status = $11, \
         featured_image_url = $12, published_at = $13, updated_at = $14 WHERE id = $1"
    )
    .bind(id)
    .bind(p.kind.as_str())
    .bind(status.as_str())
    .bind(&slug)
    .bind(&p.title)
    .bind(&p.body_md)
    .bind(&p.excerpt)
    .bind(&p.author_id)
    .bind(&p.campaign_id)
    .bind(p.sticky)
    .bind(comment_status.as_str())
    .bind(&p.featured_image_url)
    .bind(at)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    set_terms(&mut tx, id, &p).await?;
    if status == PostStatus::Scheduled
        && let Some(t) = at
    {
        schedule_job(&mut tx, id, t).await?;
    }
    if !changed.is_empty() {
        audit::record_in(&mut tx, who, "post.updated", id, &changed.join(",")).await?;
    }
    if status == PostStatus::Published && old.status != PostStatus::Published {
        audit::record_in(&mut tx, who, "post.published", id, &slug).await?;
    }
    let post = by_id_in(&mut tx, id).await?.ok_or(WriteError::NotFound)?;
    tx.commit().await?;
    Ok(post)
}

async fn terms_of_in(tx: &mut Tx, post_id: &str) -> DbResult<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, String)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT t.taxonomy, t.name FROM post_terms pt JOIN terms t ON t.id = pt.term_id \
         WHERE pt.post_id = $1 ORDER BY t.name"
    )
    .bind(post_id)
    .fetch_all(&mut *c)
    .await?);
    let (mut cats, mut tags) = (Vec::new(), Vec::new());
    for (tax, name) in rows {
        if tax == "category" {
            cats.push(name);
        } else {
            tags.push(name);
        }
    }
    Ok((cats, tags))
}

/// Sets a post's status and time, auditing `action` (and `post.published` when it became
/// published).
async fn set_status(
    db: &Db,
    id: &str,
    status: PostStatus,
    at: Option<DateTime<Utc>>,
    who: &Actor,
    action: &str,
) -> Result<Post, WriteError> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let old = by_id_in(&mut tx, id).await?.ok_or(WriteError::NotFound)?;
    let (status, at) = effective_status(status, at, now);
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE posts SET status = $2, published_at = $3, updated_at = $4 WHERE id = $1"
    )
    .bind(id)
    .bind(status.as_str())
    .bind(at)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    if status == PostStatus::Scheduled
        && let Some(t) = at
    {
        schedule_job(&mut tx, id, t).await?;
    }
    if status == PostStatus::Published && old.status != PostStatus::Published {
        audit::record_in(&mut tx, who, "post.published", id, &old.slug).await?;
    } else {
        audit::record_in(&mut tx, who, action, id, status.as_str()).await?;
    }
    let post = by_id_in(&mut tx, id).await?.ok_or(WriteError::NotFound)?;
    tx.commit().await?;
    Ok(post)
}

/// Publishes now (keeping an earlier publication time, e.g. a re-published post's).
pub async fn publish(db: &Db, id: &str, who: &Actor) -> Result<Post, WriteError> {
    let old = by_id(db, id).await?.ok_or(WriteError::NotFound)?;
    let now = Utc::now();
    let at = old.published_at.filter(|t| *t <= now).unwrap_or(now);
    set_status(
        db,
        id,
        PostStatus::Published,
        Some(at),
        who,
        "post.published",
    )
    .await
}

/// Back to draft (keeps `published_at`, so re-publishing keeps the permalink's date).
pub async fn unpublish(db: &Db, id: &str, who: &Actor) -> Result<Post, WriteError> {
    let old = by_id(db, id).await?.ok_or(WriteError::NotFound)?;
    set_status(
        db,
        id,
        PostStatus::Draft,
        old.published_at,
        who,
        "post.unpublished",
    )
    .await
}

/// Schedules publication at `at` (publishes at once if `at` is past).
pub async fn schedule(
    db: &Db,
    id: &str,
    at: DateTime<Utc>,
    who: &Actor,
) -> Result<Post, WriteError> {
    set_status(
        db,
        id,
        PostStatus::Scheduled,
        Some(at),
        who,
        "post.scheduled",
    )
    .await
}

/// The kind of the job that publishes a scheduled post ([`PublishPost`]).
pub const PUBLISH_POST: &str = "publish_post";

/// The payload of a [`PUBLISH_POST`] job.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PublishPost {
    pub post_id: String,
}

/// The [`PUBLISH_POST`] job's work: publishes the post if it is still scheduled and its time
/// has come by `now`. `Ok(true)` when it published; `Ok(false)` when there was nothing to do;
/// an error when the post does not exist (so a lost post shows up in the job's error).
pub async fn run_publish_job(db: &Db, post_id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let Some(p) = by_id_in(&mut tx, post_id).await? else {
        anyhow::bail!("post {post_id} does not exist");
    };
    let n = on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE posts SET status = 'published', updated_at = $3 \
         WHERE id = $1 AND status = 'scheduled' AND published_at <= $2"
    )
    .bind(post_id)
    .bind(now)
    .bind(Utc::now())
    .execute(&mut *c)
    .await
    .map_err(DbError::from)?
    .rows_affected());
    if n == 1 {
        let who = Actor {
            label: "system".into(),
            ..Default::default()
        };
        audit::record_in(&mut tx, &who, "post.published", post_id, &p.slug).await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(
            slug_base(PostKind::Note, "", "Live from the hall: doors open"),
            "live-from-the-hall-doors-open"
        );
        assert_eq!(slug_base(PostKind::Article, "", "!!!"), "post");
    }

    #[test]
    fn local_times() {
        let t = local_to_utc("2030-07-01 09:30", "Europe/Copenhagen").expect("t");
        assert_eq!(t.to_rfc3339(), "2030-07-01T07:30:00+00:00");
        let t = local_to_utc("2030-01-15T09:30", "America/New_York").expect("t");
        assert_eq!(t.to_rfc3339(), "2030-01-15T14:30:00+00:00");
        let t = local_to_utc("2030-01-15T09:30:00+01:00", "America/New_York").expect("t");
        assert_eq!(t.to_rfc3339(), "2030-01-15T08:30:00+00:00");
        // Spring forward in Copenhagen: 02:30 does not exist.
        assert!(local_to_utc("2030-03-31 02:30", "Europe/Copenhagen").is_none());
        assert!(local_to_utc("tomorrow", "UTC").is_none());
        assert_eq!(
            utc_to_local_field(
                local_to_utc("2030-07-01 09:30", "Europe/Copenhagen").expect("t"),
                "Europe/Copenhagen"
            ),
            "2030-07-01T09:30"
        );
    }

    #[test]
    fn statuses() {
        let now = Utc::now();
        let later = now + chrono::Duration::hours(1);
        assert_eq!(
            effective_status(PostStatus::Published, Some(later), now),
            (PostStatus::Scheduled, Some(later))
        );
        assert_eq!(
            effective_status(PostStatus::Scheduled, Some(now), now),
            (PostStatus::Published, Some(now))
        );
        assert_eq!(
            effective_status(PostStatus::Published, None, now),
            (PostStatus::Published, Some(now))
        );
        assert_eq!(
            effective_status(PostStatus::Draft, None, now),
            (PostStatus::Draft, None)
        );
    }

    #[test]
    fn excerpts_and_permalinks() {
        assert_eq!(
            derive_excerpt("", "First *part*.\n<!--more-->\nRest"),
            "First part."
        );
        assert_eq!(derive_excerpt(" Given ", "Body"), "Given");
        let at = DateTime::parse_from_rfc3339("2024-03-05T10:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let links = Permalinks::default();
        assert_eq!(
            permalink_of(&links, PostKind::Article, "x", Some(at)),
            "/2024/03/05/x/"
        );
        assert_eq!(
            permalink_of(&links, PostKind::Page, "about", Some(at)),
            "/about/"
        );
        let short = Permalinks::parse("/%postname%/").expect("pattern");
        assert_eq!(
            permalink_of(&short, PostKind::Article, "x", Some(at)),
            "/x/"
        );
    }
}
