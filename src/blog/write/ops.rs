//! The writes themselves: [`create`], [`update`] (and [`create_as`], [`update_as`] for a
//! member, checked by `access` inside the transaction), the status changes ([`publish`],
//! [`unpublish`], [`schedule`]), the [`PUBLISH_POST`] job, and the rows stored as given
//! ([`import`], [`add_campaign_update`]) — each in one transaction with its audit entries
//! and, when the title or text changed, a revision (`crate::revisions`). A post that comes to
//! wait for review is audited `post.submitted`.

use chrono::{DateTime, Utc};

use super::access::check_write;
use super::{NewPost, UpdatePost, WriteError, effective_status, slug_base, validate};
use crate::blog::repo::{
    self, CommentStatus, NewRow, Post, PostKind, PostStatus, by_id, by_id_in, by_id_locked_in,
    edits, set_terms, terms_of_in, unique_slug,
};
use crate::db::{Db, DbResult, Tx};
use crate::jobs::{self, Job};
use crate::revisions::{self, Author, Before, Kind, Snapshot, Target};
use crate::team::Member;
use crate::team::audit::{self, Actor};

/// The revisions' "who" for an audit actor.
fn author(who: &Actor) -> Author<'_> {
    Author {
        member_id: who.member_id.as_deref(),
        label: &who.label,
    }
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
/// when it is published at once, `post.submitted` when it waits for review).
pub async fn create(db: &Db, p: &NewPost, who: &Actor) -> Result<Post, WriteError> {
    create_checked(db, p, who, None).await
}

/// [`create`] for a member, who must be allowed to ([`super::access::check_write`];
/// [`WriteError::Refused`] otherwise).
pub async fn create_as(
    db: &Db,
    p: &NewPost,
    who: &Actor,
    member: &Member,
) -> Result<Post, WriteError> {
    create_checked(db, p, who, Some(member)).await
}

async fn create_checked(
    db: &Db,
    p: &NewPost,
    who: &Actor,
    member: Option<&Member>,
) -> Result<Post, WriteError> {
    if let Some(m) = member {
        check_write(m, None, p).map_err(WriteError::Refused)?;
    }
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
        featured_image_alt: p.featured_image_alt.as_deref(),
        published_at: at,
        created_at: p.created_at.unwrap_or(now),
        updated_at: now,
        source_key: p.source_key.as_deref(),
        mail_subscribers: p.mail_subscribers,
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
    set_terms(&mut tx, &id, &p.categories, &p.tags).await?;
    if status == PostStatus::Scheduled
        && let Some(t) = at
    {
        schedule_job(&mut tx, &id, t).await?;
    }
    let first = Snapshot {
        kind: Kind::Save,
        title: &p.title,
        body: &p.body_md,
        restored_from: None,
    };
    revisions::record_in(&mut tx, &Target::Post(id.clone()), author(who), first, None).await?;
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
    if status == PostStatus::Pending {
        audit::record_in(&mut tx, who, "post.submitted", &id, &slug).await?;
    }
    changed_in(&mut tx, &id, false, status == PostStatus::Published, now).await?;
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
            featured_image_alt: None,
            published_at: Some(published_at),
            created_at: published_at,
            updated_at: published_at,
            source_key: None,
            // The demo's history, not news.
            mail_subscribers: false,
        },
    )
    .await?;
    changed_in(&mut tx, &id, false, true, published_at).await?;
    tx.commit().await
}

/// Replaces a post's fields (see [`UpdatePost`]). Audits `post.updated` with the changed
/// fields, `post.published` when it becomes published and `post.submitted` when it comes to
/// wait for review; keeps a revision when the title or text changed.
pub async fn update(db: &Db, id: &str, p: &UpdatePost, who: &Actor) -> Result<Post, WriteError> {
    update_checked(db, id, p, who, None, None).await
}

/// [`update`]; with `restored`, the write puts back that revision (kept as a `restore`
/// revision and audited `post.restored`).
pub(super) async fn update_noted(
    db: &Db,
    id: &str,
    p: &UpdatePost,
    who: &Actor,
    restored: Option<&str>,
) -> Result<Post, WriteError> {
    update_checked(db, id, p, who, None, restored).await
}

/// [`update`] for a member, who must be allowed to write over the post as it is when the
/// transaction reads it ([`super::access::check_write`]; [`WriteError::Refused`] otherwise),
/// so an editor publishing meanwhile is never undone by a contributor's save.
pub async fn update_as(
    db: &Db,
    id: &str,
    p: &UpdatePost,
    who: &Actor,
    member: &Member,
) -> Result<Post, WriteError> {
    update_checked(db, id, p, who, Some(member), None).await
}

async fn update_checked(
    db: &Db,
    id: &str,
    p: &UpdatePost,
    who: &Actor,
    member: Option<&Member>,
    restored: Option<&str>,
) -> Result<Post, WriteError> {
    let mut tx = db.begin().await?;
    let post = update_checked_in(&mut tx, id, p, who, member, restored).await?;
    tx.commit().await?;
    Ok(post)
}

/// [`update_as`] inside `tx`, for a write that changes more than the post in one
/// transaction (the end of live coverage).
pub(in crate::blog) async fn update_as_in(
    tx: &mut Tx,
    id: &str,
    p: &UpdatePost,
    who: &Actor,
    member: &Member,
) -> Result<Post, WriteError> {
    update_checked_in(tx, id, p, who, Some(member), None).await
}

async fn update_checked_in(
    tx: &mut Tx,
    id: &str,
    p: &UpdatePost,
    who: &Actor,
    member: Option<&Member>,
    restored: Option<&str>,
) -> Result<Post, WriteError> {
    let now = Utc::now();
    let old = by_id_locked_in(&mut *tx, id)
        .await?
        .ok_or(WriteError::NotFound)?;
    // Who may write comes before what is written: a refused member learns nothing more.
    if let Some(m) = member {
        check_write(m, Some(&old), p).map_err(WriteError::Refused)?;
    }
    let p = validate(p).map_err(WriteError::Invalid)?;
    let (status, at) = effective_status(p.status, p.published_at, now);
    let slug = match &p.slug {
        Some(s) if *s != old.slug => unique_slug(&mut *tx, s, Some(id)).await?,
        _ => old.slug.clone(),
    };
    if slug != old.slug {
        edits::keep_old_slug_in(&mut *tx, id, &old.slug, &slug, now).await?;
    }
    let comment_status = CommentStatus::from_open(p.comments_open);
    let (old_cats, old_tags) = terms_of_in(&mut *tx, id).await?;
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
    check(
        "featured_image_alt",
        old.featured_image_alt != p.featured_image_alt,
    );
    let mut cats = p.categories.clone();
    cats.sort();
    let mut tags = p.tags.clone();
    tags.sort();
    check("categories", old_cats != cats);
    check("tags", old_tags != tags);
    let fields = edits::Fields {
        kind: p.kind,
        status,
        slug: &slug,
        title: &p.title,
        body_md: &p.body_md,
        excerpt: &p.excerpt,
        author_id: p.author_id.as_deref(),
        campaign_id: p.campaign_id.as_deref(),
        sticky: p.sticky,
        comment_status,
        featured_image_url: p.featured_image_url.as_deref(),
        featured_image_alt: p.featured_image_alt.as_deref(),
        published_at: at,
        mail_subscribers: p.mail_subscribers,
    };
    edits::update_in(&mut *tx, id, &fields, now).await?;
    set_terms(&mut *tx, id, &p.categories, &p.tags).await?;
    if status == PostStatus::Scheduled
        && let Some(t) = at
    {
        schedule_job(&mut *tx, id, t).await?;
    }
    if restored.is_some() || old.title != p.title || old.body_md != p.body_md {
        let snap = Snapshot {
            kind: if restored.is_some() {
                Kind::Restore
            } else {
                Kind::Save
            },
            title: &p.title,
            body: &p.body_md,
            restored_from: restored,
        };
        let before = Before {
            title: &old.title,
            body: &old.body_md,
            member_id: old.author_id.as_deref(),
            at: old.updated_at,
        };
        let target = Target::Post(id.to_string());
        revisions::record_in(&mut *tx, &target, author(who), snap, Some(before)).await?;
    }
    if let Some(r) = restored {
        audit::record_in(&mut *tx, who, "post.restored", id, r).await?;
    }
    if !changed.is_empty() {
        audit::record_in(&mut *tx, who, "post.updated", id, &changed.join(",")).await?;
    }
    if status == PostStatus::Published && old.status != PostStatus::Published {
        audit::record_in(&mut *tx, who, "post.published", id, &slug).await?;
    }
    if !changed.is_empty() {
        let was = old.status == PostStatus::Published;
        changed_in(&mut *tx, id, was, status == PostStatus::Published, now).await?;
    }
    if status == PostStatus::Pending && old.status != PostStatus::Pending {
        audit::record_in(&mut *tx, who, "post.submitted", id, &slug).await?;
    }
    let post = by_id_in(&mut *tx, id).await?.ok_or(WriteError::NotFound)?;
    Ok(post)
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
    edits::set_status_in(&mut tx, id, status, at, now).await?;
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
    if old.status != status {
        let was = old.status == PostStatus::Published;
        changed_in(&mut tx, id, was, status == PostStatus::Published, now).await?;
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

/// The kind of the job that tells the capabilities that publish elsewhere (federation's
/// followers, Webmention's linked pages) that a public post changed ([`PostChanged`]):
/// enqueued in the transaction of every write that makes a post public, changes a public
/// post or takes one down, whoever writes (console, API, the CLI in another process, a
/// scheduled publication), so a node's worker sends it. The WordPress importer's rows are
/// stored without it: an import announces nothing. The application registers the job's
/// handler; the blog knows none of its readers.
pub const POST_CHANGED: &str = "post_changed";

/// The payload of a [`POST_CHANGED`] job.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PostChanged {
    pub post_id: String,
    /// Unique per change: what a handler may key its own once-only work on.
    pub event: String,
    /// Whether the post was public before the change, and is after it.
    pub was_public: bool,
    pub is_public: bool,
}

/// Enqueues [`POST_CHANGED`] when the post was or is published.
async fn changed_in(
    tx: &mut Tx,
    post_id: &str,
    was_public: bool,
    is_public: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    if !was_public && !is_public {
        return Ok(());
    }
    let job = Job::new(
        POST_CHANGED,
        &PostChanged {
            post_id: post_id.to_string(),
            event: uuid::Uuid::new_v4().simple().to_string(),
            was_public,
            is_public,
        },
    )
    .map_err(|e| crate::db::DbError::Corrupt(format!("job payload: {e}")))?;
    jobs::enqueue_in(tx, &job, now, None).await?;
    Ok(())
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
    let published = edits::publish_due_in(&mut tx, post_id, now, Utc::now()).await?;
    if published {
        let who = Actor {
            label: "system".into(),
            ..Default::default()
        };
        audit::record_in(&mut tx, &who, "post.published", post_id, &p.slug).await?;
        changed_in(&mut tx, post_id, false, true, now).await?;
    }
    tx.commit().await?;
    Ok(published)
}
