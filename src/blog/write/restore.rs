//! Putting an older revision of a post back: its title and text return, every other field
//! stays as it is now, and the write is a new revision of kind `restore` (audited
//! `post.restored`).

use super::ops::update_noted;
use super::{Post, UpdatePost, WriteError, by_id, terms_of};
use crate::db::Db;
use crate::revisions::Revision;
use crate::team::audit::Actor;

/// Restores revision `rev` of post `id` (the caller has checked it belongs to that post).
pub async fn restore(db: &Db, id: &str, rev: &Revision, who: &Actor) -> Result<Post, WriteError> {
    let now = by_id(db, id).await?.ok_or(WriteError::NotFound)?;
    let (categories, tags) = terms_of(db, id).await?;
    let p = UpdatePost {
        kind: now.kind,
        title: rev.title.clone(),
        body_md: rev.body.clone(),
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
    };
    update_noted(db, id, &p, who, Some(&rev.id)).await
}
