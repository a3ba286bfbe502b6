//! What an incoming activity does, once its signature is verified: `Follow` of one of our
//! actors stores the follower and (unless the actor approves followers by hand) enqueues a
//! signed `Accept`; `Undo` of a Follow removes it. Other activities are received and
//! ignored for now. Each activity id is acted on once (`federation_seen_activities`).

use chrono::{DateTime, Utc};
use shelfraiser_formats::activitypub::{Activity, ActivityKind, Undo};

use super::deliver::{self, Deliver};
use super::documents;
use super::repo::{self, FollowState, Follower, RemoteActor};
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
    // Reads and key making first: a write transaction on SQLite holds the one write lock.
    let target = match &activity.kind {
        ActivityKind::Follow { object } => match super::resolve(db, base, object.as_str()).await? {
            Some(local) => {
                let row = super::ensure(db, &local, now).await?;
                Some((local, row))
            }
            None => None,
        },
        ActivityKind::Undo(Undo::Follow { object, .. }) => {
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
