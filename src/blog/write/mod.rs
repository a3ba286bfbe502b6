//! Writing the blog: the one path every writer takes — the console, the CLI, the JSON API,
//! the WordPress importer ([`import`], its rows as planned) and campaign updates
//! ([`add_campaign_update`]). This module holds the rules and the validation; the writes
//! are in `ops`, the statements they run in the blog's store (`blog::repo`).
//!
//! * [`NewPost`] / [`UpdatePost`] carry what a writer typed; [`create`] and [`update`]
//!   validate it ([`WriteError::Invalid`] names each field at fault with a stable code),
//!   derive the slug ([`slugify`], from the title or a note's first words), make it unique
//!   (`-2`, `-3`, …), record a changed slug in `post_slug_history`, upsert the categories and
//!   tags ([`upsert_term`]), write the audit entries and, for a scheduled post, enqueue the
//!   [`PUBLISH_POST`] job that publishes it — all in one
//!   transaction.
//! * [`create_as`] and [`update_as`] write for a member: [`access`] holds who may do what
//!   to which post (editors everything, contributors their own drafts and submissions for
//!   review), checked inside the writing transaction.
//! * [`publish`], [`unpublish`] and [`schedule`] change only the status.
//! * Every create, and every update that changes the title or text, keeps a revision
//!   (`crate::revisions`); [`restore`] puts an older one back as a new revision.
//! * [`permalink`] is the post's public path under the configured pattern (by default
//!   `/{yyyy}/{mm}/{dd}/{slug}/`; pages `/{slug}/`).
//! * [`local_to_utc`] reads a time typed in the author's time zone.
//!
//! Status rules ([`effective_status`]): "published" with a future time becomes "scheduled";
//! "scheduled" with a time already past becomes "published"; "published" and "private"
//! without a time get now.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};

use super::permalink::Permalinks;
use crate::db::{Db, DbError};

pub const MAX_TITLE: usize = 300;
pub const MAX_BODY: usize = 200_000;
/// A note is short, like a status update.
pub const MAX_NOTE: usize = 1_000;
pub const MAX_EXCERPT: usize = 1_000;
pub use shelfraiser_formats::slug::{MAX_SLUG, slugify};
pub const MAX_TERMS: usize = 30;
pub const MAX_TERM_NAME: usize = 100;
/// The longest featured-image description.
pub const MAX_IMAGE_ALT: usize = 300;

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
    /// What the featured image shows (`alt`, `og:image:alt`); `None`: decorative.
    pub featured_image_alt: Option<String>,
    /// Where an imported post came from; a second create with the same key is refused
    /// ([`WriteError::Duplicate`]).
    pub source_key: Option<String>,
    /// For imports: keep the original creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// A campaign update is e-mailed to the campaign's subscribers when first published
    /// (`promotion::newsletter`); `false`: published only.
    pub mail_subscribers: bool,
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
            featured_image_alt: None,
            source_key: None,
            created_at: None,
            mail_subscribers: true,
        }
    }
}

/// Alt text or a description made safe inside Markdown's `![…]`: one line, no brackets or
/// backslashes (the editor's inserted images, live entries' photos).
pub fn markdown_alt(alt: &str) -> String {
    alt.chars()
        .map(|c| match c {
            '[' | ']' | '\\' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The full new state of an existing post (every field is replaced). `slug: None` keeps the
/// current slug; a different one is made unique and the old one kept in the history.
pub type UpdatePost = NewPost;

/// Post `id` as it stands, as the update that would write it again unchanged (its terms
/// included): what a write that changes one or two fields starts from (a revision's restore,
/// the end of live coverage).
pub async fn as_it_stands(db: &Db, id: &str) -> Result<UpdatePost, WriteError> {
    let now = by_id(db, id).await?.ok_or(WriteError::NotFound)?;
    let (categories, tags) = terms_of(db, id).await?;
    Ok(UpdatePost {
        kind: now.kind,
        title: now.title,
        body_md: now.body_md,
        excerpt: now.excerpt,
        status: now.status,
        published_at: now.published_at,
        author_id: now.author_id,
        campaign_id: now.campaign_id,
        sticky: now.sticky,
        comments_open: now.comment_status.is_open(),
        slug: Some(now.slug),
        categories,
        tags,
        featured_image_url: now.featured_image_url,
        featured_image_alt: now.featured_image_alt,
        source_key: None,
        created_at: None,
        mail_subscribers: now.mail_subscribers,
    })
}

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
    /// The member may not make this write ([`access`]).
    #[error("refused: {}", .0.describe())]
    Refused(access::Refusal),
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
    out.featured_image_alt = p
        .featured_image_alt
        .as_deref()
        .map(clean_line)
        .filter(|a| !a.is_empty() && out.featured_image_url.is_some());
    if out
        .featured_image_alt
        .as_ref()
        .is_some_and(|a| a.chars().count() > MAX_IMAGE_ALT)
    {
        e.push(("image_alt", "too_long"));
    }
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

pub mod access;
mod ops;
mod restore;
/// One post by id, whatever its status.
pub use super::repo::by_id;
/// The importer's terms (kept with their own ids, found again by taxonomy and slug) and
/// links between posts and terms; [`import`] is its posts.
pub use super::repo::{KeyedTerm, insert_keyed_term as import_term, link_term};
pub use super::repo::{
    list_for_console as list, term_names_of as terms_of, unique_slug, upsert_term,
};
pub use access::{Refusal, Writer};
pub use ops::*;
pub use restore::restore;

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
