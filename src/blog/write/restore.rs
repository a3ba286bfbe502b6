//! Putting an older revision of a post back: its title and text return, every other field
//! stays as it is now, and the write is a new revision of kind `restore` (audited
//! `post.restored`).

use super::ops::update_noted;
use super::{Post, WriteError, as_it_stands};
use crate::db::Db;
use crate::revisions::Revision;
use crate::team::audit::Actor;

/// Restores revision `rev` of post `id` (the caller has checked it belongs to that post).
pub async fn restore(db: &Db, id: &str, rev: &Revision, who: &Actor) -> Result<Post, WriteError> {
    let mut p = as_it_stands(db, id).await?;
    p.title = rev.title.clone();
    p.body_md = rev.body.clone();
    update_noted(db, id, &p, who, Some(&rev.id)).await
}
