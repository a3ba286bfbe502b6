//! Tagged notes to a campaign: what the inbox hands on when a post carrying hashtags
//! mentions a campaign's actor or replies to it, so that a capability above federation
//! (promotion's hashtag days) can act on it without federation knowing about it.
//!
//! The inbox queues one [`TAGGED_NOTE`] job per campaign a `Create` or `Update` of a Note
//! with at least one hashtag is about (a `Mention` whose `href` is the campaign's actor, or
//! `inReplyTo` naming the actor or one of the campaign's posts), and one per `Delete` of an
//! object on the sender's own host (an author deleting a post; the handler finds out whether
//! it was one it kept). The job kind and its payload live here; the handler is registered
//! by the application (`app::job_handlers`), which calls `promotion::events::fediverse`.
//! Federation never imports promotion (promotion uses federation's domain), as with the
//! blog's `POST_CHANGED` job that federation and the newsletter handle.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shelfraiser_formats::activitypub::{Iri, Note};

use super::Local;
use super::repo::RemoteActor;
use crate::blog::remote;
use crate::db::Db;
use crate::jobs::{self, Job};

pub const TAGGED_NOTE: &str = "tagged_note";
/// The longest text handed on (characters; the note's plain text).
pub const MAX_TEXT: usize = 500;
/// The most hashtags handed on.
pub const MAX_HASHTAGS: usize = 20;

/// What happened to the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Updated,
    /// Deleted by its author: only `note_id` and `author` are set.
    Deleted,
}

/// The [`TAGGED_NOTE`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaggedNote {
    pub change: Change,
    /// The campaign the note is about (empty for a deletion).
    #[serde(default)]
    pub campaign_id: String,
    /// The note's id (the key of what is kept of it).
    pub note_id: String,
    /// The note's page (`url`), else its id.
    #[serde(default)]
    pub url: String,
    /// The note's plain text, at most [`MAX_TEXT`] characters.
    #[serde(default)]
    pub text: String,
    /// Its hashtags without '#', as written.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// The author's id and how to name them (`@user@host`, else their label).
    pub author: String,
    #[serde(default)]
    pub author_name: String,
    /// When it was published (never after its receipt).
    pub published: DateTime<Utc>,
}

/// The campaigns a Note is about: those whose actor it mentions, whose actor it replies to,
/// or one of whose posts it replies to. Each once, public campaigns only.
async fn campaigns_of(db: &Db, base: &str, note: &Note) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |id: String| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    for m in &note.mentions {
        if let Some(Local::Campaign(c)) = super::resolve(db, base, m.as_str()).await? {
            add(c.id.clone());
        }
    }
    if let Some(parent) = &note.in_reply_to {
        if let Some(Local::Campaign(c)) = super::resolve(db, base, parent.as_str()).await? {
            add(c.id.clone());
        }
        if let Some(id) = parent.as_str().strip_prefix(&format!("{base}/posts/"))
            && !id.is_empty()
            && !id.contains(['/', '?', '#'])
            && let Some(c) = remote::public_post(db, id)
                .await?
                .and_then(|p| p.campaign_id)
        {
            add(c);
        }
    }
    Ok(out)
}

/// How a tagged note names its author: `@user@host`, else the actor's label.
fn handle(sender: &RemoteActor) -> String {
    if sender.username.is_empty() {
        sender.label()
    } else {
        format!("@{}@{}", sender.username, super::authority(&sender.id))
    }
}

/// Queues a [`TAGGED_NOTE`] job for each campaign a created or edited Note with hashtags is
/// about; the number queued. `activity_id` keys the jobs (a redelivery queues nothing).
pub async fn offer(
    db: &Db,
    base: &str,
    activity_id: &str,
    note: &Note,
    creating: bool,
    sender: &RemoteActor,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    if note.hashtags.is_empty() {
        return Ok(0);
    }
    let campaigns = campaigns_of(db, base, note).await?;
    if campaigns.is_empty() {
        return Ok(0);
    }
    let text = remote::text_from_html(&note.content);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = match note.name.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_string(),
        _ => text,
    };
    let mut queued = 0;
    for campaign_id in campaigns {
        let p = TaggedNote {
            change: if creating {
                Change::Created
            } else {
                Change::Updated
            },
            campaign_id: campaign_id.clone(),
            note_id: note.id.as_str().to_string(),
            url: note.url.as_ref().unwrap_or(&note.id).as_str().to_string(),
            text: text.chars().take(MAX_TEXT).collect(),
            hashtags: note.hashtags.iter().take(MAX_HASHTAGS).cloned().collect(),
            author: sender.id.clone(),
            author_name: handle(sender),
            published: note.published.filter(|p| *p <= now).unwrap_or(now),
        };
        let key = format!("{TAGGED_NOTE}:{activity_id}:{campaign_id}");
        if jobs::enqueue(db, &Job::new(TAGGED_NOTE, &p)?, now, Some(&key)).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queues a [`TAGGED_NOTE`] deletion for an object the sender deleted, when the object lies
/// on the sender's own host (nobody deletes another server's posts).
pub async fn deleted(
    db: &Db,
    activity_id: &str,
    object: &Iri,
    sender: &RemoteActor,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let same_host = Iri::parse(&sender.id, true).is_ok_and(|a| a.host() == object.host());
    if !same_host {
        return Ok(false);
    }
    let p = TaggedNote {
        change: Change::Deleted,
        campaign_id: String::new(),
        note_id: object.as_str().to_string(),
        url: String::new(),
        text: String::new(),
        hashtags: Vec::new(),
        author: sender.id.clone(),
        author_name: String::new(),
        published: now,
    };
    let key = format!("{TAGGED_NOTE}:{activity_id}");
    Ok(jobs::enqueue(db, &Job::new(TAGGED_NOTE, &p)?, now, Some(&key)).await?)
}
