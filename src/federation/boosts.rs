//! Boosts of our posts and the reach of who boosted: when an `Announce` of one of our posts
//! arrives (the inbox keeps it as the post's repost, `blog::remote`), [`enqueue`] asks for the
//! booster's follower count — a job ([`FETCH_REACH`]), not the inbox's request: the actor's
//! document is read again through the guarded outbound client (signed as the site), then its
//! `followers` collection, whose `totalItems` is kept on the remote actor's row with when it
//! was read. A collection that is missing, refused or without `totalItems` (some servers
//! hide it) leaves the count unknown (`None`), never 0. A count read in the last
//! [`FRESH_HOURS`] is not read again.
//!
//! [`of_campaign`] lists the boosts of a campaign's posts — who (`@user@host`, profile
//! page), their followers, when, which post — for insight's "what brought the money".

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::remote::{self, RemoteError};
use super::{Local, repo};
use crate::db::Db;
use crate::jobs::{self, Final, Job};
use crate::outbound::Outbound;

/// The kind of the job that reads a booster's follower count ([`FetchReach`]).
pub const FETCH_REACH: &str = "fetch_reach";
/// Hours a follower count is good for.
pub const FRESH_HOURS: i64 = 24;
/// Attempts of a [`FETCH_REACH`] job (the count is a nicety; a server away for long stays
/// unknown).
pub const ATTEMPTS: i64 = 4;

/// The payload of a [`FETCH_REACH`] job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchReach {
    /// The remote actor's id.
    pub actor: String,
}

/// Asks for `actor`'s follower count (unless it was read lately).
pub async fn enqueue(db: &Db, actor: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let (_, checked) = repo::remote_followers(db, actor).await?;
    if checked.is_some_and(|t| now - t < Duration::hours(FRESH_HOURS)) {
        return Ok(());
    }
    let job = Job::new(
        FETCH_REACH,
        &FetchReach {
            actor: actor.to_string(),
        },
    )?
    .with_max_attempts(ATTEMPTS);
    jobs::enqueue(db, &job, now, None).await?;
    Ok(())
}

/// The `totalItems` of a collection document, when it gives a count.
pub fn total_items(doc: &Value) -> Option<i64> {
    doc.get("totalItems")
        .and_then(Value::as_i64)
        .filter(|n| *n >= 0)
}

/// Reads the follower count of `p.actor` and keeps it.
pub async fn run_job(
    db: &Db,
    out: &Outbound,
    base: &str,
    p: &FetchReach,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (_, checked) = repo::remote_followers(db, &p.actor).await?;
    if checked.is_some_and(|t| now - t < Duration::hours(FRESH_HOURS)) {
        return Ok(());
    }
    if repo::remote(db, &p.actor).await?.is_none() {
        return Err(Final(format!("{} is not a known actor", p.actor)).into());
    }
    let signer = super::signer(db, base, &Local::Site, now).await?;
    let doc = match remote::fetch_json(out, &p.actor, &signer, now).await {
        Ok(d) => d,
        Err(e @ (RemoteError::BadUrl(_) | RemoteError::Refused(_))) => {
            return Err(Final(e.to_string()).into());
        }
        Err(RemoteError::Status(s)) if s.is_client_error() && s.as_u16() != 429 => {
            return Err(Final(format!("the actor's server answered {s}")).into());
        }
        Err(e) => return Err(e.into()),
    };
    let followers = doc
        .get("followers")
        .and_then(|v| match v {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => o.get("id").and_then(Value::as_str),
            _ => None,
        })
        .and_then(|u| super::iri(base, u))
        .map(|i| i.as_str().to_string())
        .filter(|u| super::authority(u) == super::authority(&p.actor));
    // An embedded collection may carry its count; else it is read from its id.
    let mut count = doc.get("followers").and_then(total_items);
    if count.is_none()
        && let Some(url) = followers
    {
        count = match remote::fetch_json(out, &url, &signer, now).await {
            Ok(d) => total_items(&d),
            // Hidden (401/403/404…) or not JSON: unknown.
            Err(RemoteError::Status(s)) if s.is_client_error() && s.as_u16() != 429 => None,
            Err(RemoteError::Json(_) | RemoteError::TooLarge) => None,
            Err(e @ (RemoteError::BadUrl(_) | RemoteError::Refused(_))) => {
                tracing::info!(actor = %p.actor, "followers collection refused: {e}");
                None
            }
            Err(e) => return Err(e.into()),
        };
    }
    repo::set_remote_followers(db, &p.actor, count, now).await?;
    Ok(())
}

/// A boost of one of a campaign's posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boost {
    pub at: DateTime<Utc>,
    /// `@user@host` (the display name or the actor's URL when the account has no username).
    pub account: String,
    /// The account's profile page (its id when it names none).
    pub profile: String,
    /// Followers as last read; `None`: unknown.
    pub followers: Option<i64>,
    pub post_id: String,
    pub post_title: String,
}

/// How a report names an account: `@user@host`, else its display name, else its URL.
pub fn account_label(a: &repo::RemoteActor) -> String {
    if !a.username.is_empty() {
        return format!("@{}@{}", a.username, super::authority(&a.id));
    }
    a.label()
}

/// The fediverse boosts of a campaign's posts made from `since` on, oldest first, each with
/// who boosted and their follower count as last read.
pub async fn of_campaign(
    db: &Db,
    campaign_id: &str,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<Boost>> {
    let rows = crate::blog::remote::reposts_of_campaign(db, campaign_id, since).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let actor = repo::remote(db, &r.actor_url).await?;
        let (followers, _) = repo::remote_followers(db, &r.actor_url).await?;
        let (account, profile) = match &actor {
            Some(a) => (account_label(a), a.page().to_string()),
            None if !r.actor_name.is_empty() => (r.actor_name.clone(), r.actor_url.clone()),
            None => (r.actor_url.clone(), r.actor_url.clone()),
        };
        out.push(Boost {
            at: r.created_at,
            account,
            profile,
            followers,
            post_id: r.post_id,
            post_title: r.post_title,
        });
    }
    Ok(out)
}

/// Boosts grouped by UTC day, in day order.
pub fn by_day(boosts: &[Boost]) -> Vec<(NaiveDate, Vec<Boost>)> {
    let mut out: Vec<(NaiveDate, Vec<Boost>)> = Vec::new();
    for b in boosts {
        let d = b.at.date_naive();
        match out.iter_mut().find(|(day, _)| *day == d) {
            Some((_, v)) => v.push(b.clone()),
            None => out.push((d, vec![b.clone()])),
        }
    }
    out.sort_by_key(|(d, _)| *d);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_count_is_a_non_negative_total_or_unknown() {
        assert_eq!(total_items(&json!({"totalItems": 17000})), Some(17000));
        assert_eq!(total_items(&json!({"totalItems": -1})), None);
        assert_eq!(total_items(&json!({"type": "OrderedCollection"})), None);
        assert_eq!(total_items(&json!({"totalItems": "many"})), None);
    }

    #[test]
    fn boosts_are_grouped_by_day() {
        let b = |h: i64, who: &str| Boost {
            at: DateTime::parse_from_rfc3339("2026-12-01T20:00:00Z")
                .expect("t")
                .with_timezone(&Utc)
                + Duration::hours(h),
            account: who.into(),
            profile: String::new(),
            followers: None,
            post_id: "p".into(),
            post_title: "P".into(),
        };
        let days = by_day(&[b(0, "a"), b(1, "b"), b(5, "c")]);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].1.len(), 2);
        assert_eq!(days[1].1[0].account, "c");
    }
}
