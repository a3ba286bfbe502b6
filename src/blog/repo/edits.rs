//! Changing a stored post: its fields (the editor's save), its status and time, the
//! scheduled publication, and the old slugs a changed slug leaves behind
//! (`post_slug_history`, answered with 301). `blog::write` decides what to write and audits
//! it in the same transaction.

use chrono::{DateTime, Utc};

use super::kinds::{CommentStatus, PostKind, PostStatus};
use crate::db::{DbResult, Tx};
use crate::on_tx;

/// The fields a save replaces (the password, creation time and source stay).
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    pub kind: PostKind,
    pub status: PostStatus,
    pub slug: &'a str,
    pub title: &'a str,
    pub body_md: &'a str,
    pub excerpt: &'a str,
    pub author_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub sticky: bool,
    pub comment_status: CommentStatus,
    pub featured_image_url: Option<&'a str>,
    pub featured_image_alt: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
    pub mail_subscribers: bool,
}

/// Replaces post `id`'s fields inside `tx`.
pub async fn update_in(tx: &mut Tx, id: &str, f: &Fields<'_>, now: DateTime<Utc>) -> DbResult<()> {
    on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE posts SET kind = $2, status = $3, slug = $4, title = $5, body_md = $6, excerpt = $7, \
         author_id = $8, campaign_id = $9, sticky = $10, comment_status = $11, \
         featured_image_url = $12, published_at = $13, updated_at = $14, \
         featured_image_alt = $15, mail_subscribers = $16 WHERE id = $1"
    )
    .bind(id)
    .bind(f.kind.as_str())
    .bind(f.status.as_str())
    .bind(f.slug)
    .bind(f.title)
    .bind(f.body_md)
    .bind(f.excerpt)
    .bind(f.author_id)
    .bind(f.campaign_id)
    .bind(f.sticky)
    .bind(f.comment_status.as_str())
    .bind(f.featured_image_url)
    .bind(f.published_at)
    .bind(now)
    .bind(f.featured_image_alt)
    .bind(f.mail_subscribers)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// Post `id` moved from `old_slug` to `new_slug`: the old one now leads to it, and the new
/// one (which it may have had before) is no longer old.
pub async fn keep_old_slug_in(
    tx: &mut Tx,
    id: &str,
    old_slug: &str,
    new_slug: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM post_slug_history WHERE old_slug = $1 AND post_id = $2"
    )
    .bind(new_slug)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO post_slug_history (old_slug, post_id, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (old_slug) DO UPDATE SET post_id = $2, changed_at = $3"
    )
    .bind(old_slug)
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Sets post `id`'s status and publication time inside `tx`.
pub async fn set_status_in(
    tx: &mut Tx,
    id: &str,
    status: PostStatus,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE posts SET status = $2, published_at = $3, updated_at = $4 WHERE id = $1"
    )
    .bind(id)
    .bind(status.as_str())
    .bind(at)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Publishes post `id` if it is still scheduled for `due` or earlier; true when it did.
pub async fn publish_due_in(
    tx: &mut Tx,
    id: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE posts SET status = 'published', updated_at = $3 \
         WHERE id = $1 AND status = 'scheduled' AND published_at <= $2"
    )
    .bind(id)
    .bind(due)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}
