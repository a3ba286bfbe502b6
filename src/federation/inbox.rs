//! What an incoming activity does, once its signature is verified:
//!
//! * `Follow` of one of our actors stores the follower and (unless the actor approves
//!   followers by hand) enqueues a signed `Accept`; `Undo` of a Follow removes it;
//! * `Like` and `Announce` of one of our posts (`{base}/posts/{id}`, or a live entry's note
//!   `{base}/posts/{id}/live/{entry}`) become the post's likes and boosts (`blog::remote`),
//!   `Undo` takes them back; a boost asks for the booster's follower count
//!   (`boosts::enqueue`, a job);
//! * `Create` of a Note replying to one of our posts (or to a reply we keep) becomes a
//!   comment of kind `fediverse`, moderated like any comment; `Update` of that Note
//!   replaces its text, `Delete` of it takes it down;
//! * `Accept` and `Reject` of one of our actors' follow requests settle it; `Create` and
//!   `Update` of a post from an account our actors follow keep it for the team to read,
//!   `Delete` removes it (`following`);
//! * `Delete` of the actor itself removes its follows, reactions and replies;
//! * a `Create` or `Update` of a Note with hashtags that mentions a campaign's actor or
//!   replies to it (or to one of its posts) is also handed on as a `tagged_note` job
//!   ([`tagged`](super::tagged): promotion makes hashtag-day entries of it), besides being a
//!   reply if it is one; a `Delete` of an object on the sender's host is handed on too.
//!
//! Anything else is received and ignored. Each activity id is acted on once
//! (`federation_seen_activities`): follows in the same transaction as the mark, the rest
//! (idempotent by their source keys) before it.

use chrono::{DateTime, Utc};
use shelfraiser_formats::activitypub::{Activity, ActivityKind, Note, Undo};

use super::deliver::{self, Deliver};
use super::documents;
use super::following;
use super::repo::{self, FollowState, Follower, RemoteActor};
use super::tagged;
use crate::blog::remote::{self, NewReaction, ReactionKind, Reply, Source};
use crate::db::Db;

/// What became of an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A follow stored and its Accept enqueued.
    Followed,
    /// A follow stored, waiting for approval.
    FollowPending,
    /// A follow removed.
    Unfollowed,
    /// A like or boost recorded.
    Reacted,
    /// A like or boost taken back.
    Unreacted,
    /// A reply stored (new or edited).
    Replied,
    /// A reply, or an account's traces, taken down.
    Removed,
    /// One of our follow requests accepted.
    FollowAccepted,
    /// One of our follow requests refused.
    FollowRefused,
    /// A post from an account we follow kept (new or edited).
    Received,
    /// A note with hashtags about a campaign handed on (`tagged`), nothing else done.
    Tagged,
    /// Received before: nothing done again.
    Duplicate,
    /// Nothing we act on (yet), or about none of our actors.
    Ignored,
}

/// Acts on `activity`, sent by `sender` (the actor whose key signed the request: the
/// caller has checked it is the activity's actor).
pub async fn handle(
    db: &Db,
    base: &str,
    activity: &Activity,
    sender: &RemoteActor,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let follows = match &activity.kind {
        ActivityKind::Follow { .. } | ActivityKind::Undo(Undo::Follow { .. }) => true,
        ActivityKind::Undo(Undo::ById(id)) => {
            repo::follow_by_id(db, &sender.id, id.as_str()).await?
        }
        _ => false,
    };
    if !follows {
        if repo::seen(db, activity.id.as_str()).await? {
            return Ok(Outcome::Duplicate);
        }
        let outcome = react(db, base, activity, sender, now).await?;
        let mut tx = db.begin().await?;
        repo::mark_seen_in(&mut tx, activity.id.as_str(), activity.actor.as_str(), now).await?;
        tx.commit().await?;
        return Ok(outcome);
    }
    // Reads and key making first: a write transaction on SQLite holds the one write lock.
    let target = match &activity.kind {
        ActivityKind::Follow { object } | ActivityKind::Undo(Undo::Follow { object, .. }) => {
            match super::resolve(db, base, object.as_str()).await? {
                Some(local) => {
                    let row = super::ensure(db, &local, now).await?;
                    Some((local, row))
                }
                None => None,
            }
        }
        _ => None,
    };
    let mut tx = db.begin().await?;
    if !repo::mark_seen_in(&mut tx, activity.id.as_str(), activity.actor.as_str(), now).await? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = match (&activity.kind, target) {
        (ActivityKind::Follow { .. }, Some((local, row))) => {
            let state = if row.manually_approves {
                FollowState::Pending
            } else {
                FollowState::Accepted
            };
            repo::save_follower_in(
                &mut tx,
                &Follower {
                    actor_id: row.id.clone(),
                    follower: sender.id.clone(),
                    follow_id: activity.id.as_str().to_string(),
                    inbox: sender.inbox.clone(),
                    shared_inbox: sender.shared_inbox.clone(),
                    state,
                    created_at: now,
                },
            )
            .await?;
            if state == FollowState::Accepted {
                let actor = local.id(base);
                let accept_id = format!("{actor}#accepts/{}", uuid::Uuid::new_v4().simple());
                let body = documents::accept(&actor, &accept_id, activity.id.as_str(), &sender.id);
                deliver::enqueue_in(
                    &mut tx,
                    &Deliver {
                        actor: row.id.clone(),
                        key_id: local.key_id(base),
                        inbox: sender.inbox.clone(),
                        body: body.to_string(),
                    },
                    now,
                )
                .await?;
                Outcome::Followed
            } else {
                Outcome::FollowPending
            }
        }
        (ActivityKind::Undo(Undo::Follow { .. }), Some((_, row))) => {
            if repo::remove_follower_in(&mut tx, &row.id, &sender.id).await? {
                Outcome::Unfollowed
            } else {
                Outcome::Ignored
            }
        }
        (ActivityKind::Undo(Undo::ById(id)), _) => {
            if repo::remove_follow_by_id_in(&mut tx, &sender.id, id.as_str()).await? {
                Outcome::Unfollowed
            } else {
                Outcome::Ignored
            }
        }
        _ => Outcome::Ignored,
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The post an object id names: `{base}/posts/{id}` of a public post.
async fn our_post(db: &Db, base: &str, iri: &str) -> anyhow::Result<Option<String>> {
    let Some(id) = iri.strip_prefix(&format!("{base}/posts/")) else {
        return Ok(None);
    };
    if id.is_empty() || id.contains(['/', '?', '#']) {
        return Ok(None);
    }
    Ok(remote::public_post(db, id).await?.map(|p| p.id))
}

/// The post of a live entry's note (`{base}/posts/{id}/live/{entry}`): a boost or like of
/// the note counts for the post.
async fn live_note_post(db: &Db, base: &str, iri: &str) -> anyhow::Result<Option<String>> {
    let Some(rest) = iri.strip_prefix(&format!("{base}/posts/")) else {
        return Ok(None);
    };
    let Some((id, entry)) = rest.split_once("/live/") else {
        return Ok(None);
    };
    if !super::live_notes::plausible_id(id) || !super::live_notes::plausible_id(entry) {
        return Ok(None);
    }
    Ok(remote::public_post(db, id).await?.map(|p| p.id))
}

/// The post a Note replies to: one of ours, or the post under a reply we keep.
async fn replied_post(db: &Db, base: &str, note: &Note) -> anyhow::Result<Option<String>> {
    let Some(parent) = &note.in_reply_to else {
        return Ok(None);
    };
    if let Some(p) = our_post(db, base, parent.as_str()).await? {
        return Ok(Some(p));
    }
    Ok(remote::post_of_reply(db, parent.as_str()).await?)
}

/// Likes, boosts, replies and deletions (see the module notes).
async fn react(
    db: &Db,
    base: &str,
    activity: &Activity,
    sender: &RemoteActor,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let name = sender.label();
    Ok(match &activity.kind {
        ActivityKind::Like { object } | ActivityKind::Announce { object } => {
            let kind = if matches!(activity.kind, ActivityKind::Like { .. }) {
                ReactionKind::Like
            } else {
                ReactionKind::Repost
            };
            let post = match our_post(db, base, object.as_str()).await? {
                Some(p) => Some(p),
                None => live_note_post(db, base, object.as_str()).await?,
            };
            let Some(post) = post else {
                return Ok(Outcome::Ignored);
            };
            remote::add_reaction(
                db,
                &NewReaction {
                    post_id: &post,
                    kind,
                    source: Source::Fediverse,
                    source_key: activity.id.as_str(),
                    actor_url: &sender.id,
                    actor_name: &name,
                    at: now,
                },
            )
            .await?;
            if kind == ReactionKind::Repost {
                // Who boosted, and to how many followers: read by a job, not here.
                super::boosts::enqueue(db, &sender.id, now).await?;
            }
            Outcome::Reacted
        }
        ActivityKind::Undo(undo @ (Undo::Like { id, object } | Undo::Announce { id, object })) => {
            let kind = if matches!(undo, Undo::Like { .. }) {
                ReactionKind::Like
            } else {
                ReactionKind::Repost
            };
            let post = our_post(db, base, object.as_str()).await?;
            let fallback = post.as_deref().map(|p| (p, kind));
            if remote::remove_reaction(db, id.as_str(), &sender.id, fallback).await? {
                Outcome::Unreacted
            } else {
                Outcome::Ignored
            }
        }
        ActivityKind::Undo(Undo::ById(id)) => {
            if remote::remove_reaction(db, id.as_str(), &sender.id, None).await? {
                Outcome::Unreacted
            } else {
                Outcome::Ignored
            }
        }
        ActivityKind::Create(note) | ActivityKind::Update(note) => {
            let creating = matches!(activity.kind, ActivityKind::Create(_));
            let id = activity.id.as_str();
            let tagged = tagged::offer(db, base, id, note, creating, sender, now).await? > 0;
            // An Update of a reply we never kept (or took down) is not a new reply.
            let post = if creating || remote::has_reply(db, note.id.as_str()).await? {
                replied_post(db, base, note).await?
            } else {
                None
            };
            match post {
                Some(post) => reply(db, &post, note, sender, now).await?,
                None if following::received(db, sender, note, creating, now).await? => {
                    Outcome::Received
                }
                None if tagged => Outcome::Tagged,
                None => Outcome::Ignored,
            }
        }
        ActivityKind::Accept { object } => {
            if following::accepted(db, sender, object).await? {
                Outcome::FollowAccepted
            } else {
                Outcome::Ignored
            }
        }
        ActivityKind::Reject { object } => {
            if following::refused(db, sender, object).await? {
                Outcome::FollowRefused
            } else {
                Outcome::Ignored
            }
        }
        ActivityKind::Delete { object } if object.as_str() == sender.id => {
            repo::remove_follows_by(db, &sender.id).await?;
            remote::remove_author(db, Source::Fediverse, &sender.id).await?;
            following::account_deleted(db, sender).await?;
            Outcome::Removed
        }
        ActivityKind::Delete { object } => {
            tagged::deleted(db, activity.id.as_str(), object, sender, now).await?;
            let reply = remote::remove_reply(db, object.as_str(), &sender.id).await?;
            if following::deleted(db, sender, object.as_str()).await? || reply {
                Outcome::Removed
            } else {
                Outcome::Ignored
            }
        }
        _ => Outcome::Ignored,
    })
}

/// A Note replying to our post `post`: a comment of kind `fediverse` (new or edited).
async fn reply(
    db: &Db,
    post: &str,
    note: &Note,
    sender: &RemoteActor,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let text = remote::text_from_html(&note.content);
    let text = match note.summary.as_deref().map(str::trim) {
        Some(cw) if !cw.is_empty() => format!("[{cw}]\n\n{text}"),
        _ => text,
    };
    if text.trim().is_empty() {
        return Ok(Outcome::Ignored);
    }
    remote::save_reply(
        db,
        &Reply {
            post_id: post,
            source: Source::Fediverse,
            source_key: note.id.as_str(),
            author_name: &sender.label(),
            author_url: &sender.id,
            text: &text,
            published: note.published.unwrap_or(now),
        },
    )
    .await?;
    Ok(Outcome::Replied)
}
