//! Live coverage of an event: a post in live mode takes short timestamped entries (text or a
//! quote, each with an optional photo from the media store) from whoever may edit it; its
//! public page shows them newest first above the text. Ending the coverage turns the post
//! into an ordinary article: the entries are appended to its text in the order they were
//! written (Markdown, each under its UTC time), as an ordinary update — a revision, the
//! `post.updated` audit entry and, for a published post, the `POST_CHANGED` job that
//! federation sends as an Update — and the live mode and the entries are removed (the text
//! and its revisions hold them from then on).
//!
//! **To the fediverse.** An entry added with `federate` set (the console's "Also post to
//! followers") enqueues [`LIVE_ENTRY_CHANGED`] in the entry's transaction; federation sends
//! it as a `Note` to the followers of the post's author actor (and keeps what it sent, in
//! its own outbox table). Deleting an entry enqueues the same job: federation sends a
//! `Delete` when it had sent the entry. Ending the coverage enqueues nothing: notes sent
//! stay as they are (the blog knows none of the job's readers).
//!
//! Every change is audited (`post.live_started`, `post.live_entry_added`,
//! `post.live_entry_deleted`, `post.live_ended`); the store's triggers bump the blog's
//! version, so every node's kept copy of the page is replaced.

use chrono::{DateTime, Utc};

use super::repo::live as store;
pub use super::repo::live::LiveEntry;
use super::write::{self, WriteError};
use crate::db::{Db, DbResult, Tx};
use crate::jobs::{self, Job};
use crate::team::Member;
use crate::team::audit::{self, Actor};

/// The longest entry, in characters.
pub const MAX_ENTRY: usize = 1_000;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Text,
    Quote,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Text => "text",
            EntryKind::Quote => "quote",
        }
    }
    pub fn parse(s: &str) -> Option<EntryKind> {
        match s {
            "text" => Some(EntryKind::Text),
            "quote" => Some(EntryKind::Quote),
            _ => None,
        }
    }
}

/// An entry as typed.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub body_md: String,
    /// A media store path (`/media/…`), stored by the caller.
    pub image_url: Option<String>,
    pub image_alt: String,
    /// Whether federation is to send it to the followers ([`LIVE_ENTRY_CHANGED`]); the
    /// caller sets it only for a published post that federation publishes.
    pub federate: bool,
}

/// The kind of the job that tells federation that a live entry was added to be sent to the
/// followers, or deleted ([`LiveEntryChanged`]). The application registers its handler.
pub const LIVE_ENTRY_CHANGED: &str = "live_entry_changed";

/// The payload of a [`LIVE_ENTRY_CHANGED`] job.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LiveEntryChanged {
    pub post_id: String,
    pub entry_id: String,
    /// Unique per change: what a handler may key its once-only work on.
    pub event: String,
    /// `false`: added (to be sent); `true`: deleted (a sent entry is taken back).
    pub deleted: bool,
}

async fn changed_in(tx: &mut Tx, post_id: &str, entry_id: &str, deleted: bool) -> DbResult<()> {
    let job = Job::new(
        LIVE_ENTRY_CHANGED,
        &LiveEntryChanged {
            post_id: post_id.to_string(),
            entry_id: entry_id.to_string(),
            event: uuid::Uuid::new_v4().simple().to_string(),
            deleted,
        },
    )
    .map_err(|e| crate::db::DbError::Corrupt(format!("job payload: {e}")))?;
    jobs::enqueue_in(tx, &job, Utc::now(), None).await?;
    Ok(())
}

/// Why an entry was not stored.
#[derive(Debug, PartialEq, Eq)]
pub enum EntryError {
    /// Neither text nor a photo.
    Empty,
    TooLong,
    /// The post is not in live mode.
    NotLive,
}

/// When the post went live, if it is live.
pub async fn live_since(db: &Db, post_id: &str) -> DbResult<Option<DateTime<Utc>>> {
    store::live_since(db, post_id).await
}

/// The post's entries, oldest first.
pub async fn entries(db: &Db, post_id: &str) -> DbResult<Vec<LiveEntry>> {
    store::entries(db, post_id).await
}

/// Puts the post in live mode (audited); `false` when it already was.
pub async fn start(db: &Db, post_id: &str, who: &Actor) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let started = store::start_in(&mut tx, post_id, who.member_id.as_deref(), Utc::now()).await?;
    if started {
        audit::record_in(&mut tx, who, "post.live_started", post_id, "").await?;
    }
    tx.commit().await?;
    Ok(started)
}

/// Adds an entry to a live post (audited).
pub async fn add(
    db: &Db,
    post_id: &str,
    e: &NewEntry,
    who: &Actor,
) -> Result<Result<LiveEntry, EntryError>, crate::db::DbError> {
    let body = e.body_md.trim().replace("\r\n", "\n");
    if body.is_empty() && e.image_url.is_none() {
        return Ok(Err(EntryError::Empty));
    }
    if body.chars().count() > MAX_ENTRY {
        return Ok(Err(EntryError::TooLong));
    }
    if store::live_since(db, post_id).await?.is_none() {
        return Ok(Err(EntryError::NotLive));
    }
    let row = LiveEntry {
        id: uuid::Uuid::new_v4().simple().to_string(),
        post_id: post_id.to_string(),
        author_id: who.member_id.clone(),
        kind: e.kind.as_str().to_string(),
        body_md: body,
        image_url: e.image_url.clone(),
        image_alt: write::markdown_alt(&e.image_alt),
        created_at: Utc::now(),
    };
    let mut tx = db.begin().await?;
    store::insert_entry_in(&mut tx, &row).await?;
    audit::record_in(&mut tx, who, "post.live_entry_added", post_id, &row.id).await?;
    if e.federate {
        changed_in(&mut tx, post_id, &row.id, false).await?;
    }
    tx.commit().await?;
    Ok(Ok(row))
}

/// Deletes an entry of the post (audited); `false` when there was none. Federation hears of
/// it ([`LIVE_ENTRY_CHANGED`]) and takes back the note it sent, if any.
pub async fn delete(db: &Db, post_id: &str, entry_id: &str, who: &Actor) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let gone = store::delete_entry_in(&mut tx, post_id, entry_id).await?;
    if gone {
        audit::record_in(&mut tx, who, "post.live_entry_deleted", post_id, entry_id).await?;
        changed_in(&mut tx, post_id, entry_id, true).await?;
    }
    tx.commit().await?;
    Ok(gone)
}

/// The entries as Markdown to append to the post's text, oldest first.
pub fn entries_markdown(entries: &[LiveEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str("\n\n**");
        out.push_str(&e.created_at.format("%Y-%m-%d %H:%M UTC").to_string());
        out.push_str("**\n\n");
        if !e.body_md.is_empty() {
            if e.kind == EntryKind::Quote.as_str() {
                for line in e.body_md.lines() {
                    out.push_str("> ");
                    out.push_str(line);
                    out.push('\n');
                }
            } else {
                out.push_str(&e.body_md);
                out.push('\n');
            }
        }
        if let Some(url) = &e.image_url {
            out.push_str(&format!("\n![{}]({})\n", e.image_alt, url));
        }
    }
    out
}

/// Ends the coverage: the entries appended to the text in order (as an update by `member`,
/// who must be allowed to write the post), then the live mode and the entries removed
/// (audited `post.live_ended`). `Ok(None)` when the post was not live.
pub async fn end(
    db: &Db,
    post_id: &str,
    who: &Actor,
    member: &Member,
) -> Result<Option<write::Post>, WriteError> {
    if store::live_since(db, post_id).await?.is_none() {
        return Ok(None);
    }
    let mut p = write::as_it_stands(db, post_id).await?;
    let list = store::entries(db, post_id).await?;
    p.body_md = format!("{}{}", p.body_md.trim_end(), entries_markdown(&list));
    // One transaction: the post's new text, the entries gone and live mode ended go
    // together or not at all (an end cut short never appends the entries twice). Live mode
    // is ended first: of two ends at once, the second finds nothing left to end.
    let mut tx = db.begin().await?;
    if !store::end_in(&mut tx, post_id).await? {
        return Ok(None);
    }
    for e in &list {
        store::delete_entry_in(&mut tx, post_id, &e.id).await?;
    }
    let updated = write::update_as_in(&mut tx, post_id, &p, who, member).await?;
    audit::record_in(
        &mut tx,
        who,
        "post.live_ended",
        post_id,
        &list.len().to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, body: &str, at: &str) -> LiveEntry {
        LiveEntry {
            id: at.into(),
            post_id: "p".into(),
            author_id: None,
            kind: kind.into(),
            body_md: body.into(),
            image_url: None,
            image_alt: String::new(),
            created_at: DateTime::parse_from_rfc3339(at).expect("t").into(),
        }
    }

    #[test]
    fn markdown_in_order() {
        let md = entries_markdown(&[
            entry("text", "Doors open", "2026-12-07T09:00:00Z"),
            entry("quote", "Libraries\nare for all", "2026-12-07T09:30:00Z"),
        ]);
        assert_eq!(
            md,
            "\n\n**2026-12-07 09:00 UTC**\n\nDoors open\n\n\n**2026-12-07 09:30 UTC**\n\n> Libraries\n> are for all\n"
        );
        assert_eq!(write::markdown_alt("a [b]\nc"), "a b c");
    }
}
