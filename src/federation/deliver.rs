//! The `deliver` job: one activity POSTed, signed, to one inbox. Deliveries are retried
//! with the queue's backoff (30 s doubling to 6 h) for [`DELIVERY_ATTEMPTS`] attempts,
//! about two days; an answer of 4xx other than 429 (gone, refused, unknown) is final.
//!
//! Each remote host has a circuit breaker (`federation_breakers`): after
//! [`BREAKER_THRESHOLD`] failed deliveries in a row (no answer, 5xx, 429) its deliveries
//! stop trying — each fails at once, to be retried later — for a while that doubles from
//! one minute up to six hours with every further failure; one delivery that goes through
//! closes it. A thousand deliveries to a server that is down thus cost a thousand quick
//! checks rather than a thousand time-outs. Deliveries to a blocked server or actor end.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::remote;
use super::signatures::Signer;
use crate::db::{Db, Tx};
use crate::jobs::{self, Final, Job};

pub const DELIVER: &str = "deliver";
/// Attempts of a delivery: with the queue's backoff the last comes about two days after
/// the first.
pub const DELIVERY_ATTEMPTS: i64 = 17;
/// Failures in a row after which a host's breaker opens.
pub const BREAKER_THRESHOLD: i64 = 5;

/// How long a breaker stays open after `failures` failures in a row.
pub fn breaker_wait(failures: i64) -> chrono::Duration {
    let over = (failures - BREAKER_THRESHOLD).clamp(0, 20);
    let minutes = (1i64 << over).min(6 * 60);
    chrono::Duration::minutes(minutes)
}

/// One activity to one inbox, signed as one of our actors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    /// The signing actor's row in `federation_actors`.
    pub actor: String,
    /// The key id the signature names (`{actor}#main-key` under the base URL at the time).
    pub key_id: String,
    pub inbox: String,
    /// The activity, as sent.
    pub body: String,
}

/// Where an activity for the followers of these actors (their rows) goes: each follower's
/// shared inbox, or its own inbox when it has none, once; blocked servers and accounts left
/// out.
pub async fn audience(db: &Db, actor_rows: &[&str]) -> anyhow::Result<Vec<String>> {
    let blocks = super::repo::blocks(db).await?;
    Ok(super::repo::delivery_inboxes(db, actor_rows)
        .await?
        .into_iter()
        .filter(|inbox| !super::moderation::is_blocked(&blocks, inbox))
        .collect())
}

/// Keeps `p` as published by `local` and enqueues its delivery to each of `inboxes`, inside
/// `tx`; `None` when it was published before (a job run again after a later failure):
/// nothing is enqueued again.
pub async fn publish_in(
    tx: &mut Tx,
    base: &str,
    local: &super::Local,
    p: &super::repo::Published,
    inboxes: &[String],
) -> anyhow::Result<Option<usize>> {
    if !super::repo::insert_published_in(tx, p).await? {
        return Ok(None);
    }
    Ok(Some(
        enqueue_each_in(tx, base, local, inboxes, &p.body, p.published_at).await?,
    ))
}

/// Enqueues `body`, signed as `local`, to each of `inboxes`, inside `tx`. Returns how many.
pub async fn enqueue_each_in(
    tx: &mut Tx,
    base: &str,
    local: &super::Local,
    inboxes: &[String],
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    for inbox in inboxes {
        let d = Deliver {
            actor: local.row_id().to_string(),
            key_id: local.key_id(base),
            inbox: inbox.clone(),
            body: body.to_string(),
        };
        enqueue_in(tx, &d, now).await?;
    }
    Ok(inboxes.len())
}

/// Enqueues a delivery inside the transaction that decided it (a follow's `Accept` is sent
/// only if the follow is stored).
pub async fn enqueue_in(tx: &mut Tx, d: &Deliver, now: DateTime<Utc>) -> anyhow::Result<()> {
    let job = Job::new(DELIVER, d)?.with_max_attempts(DELIVERY_ATTEMPTS);
    jobs::enqueue_in(tx, &job, now, None).await?;
    Ok(())
}

/// Runs one delivery: success on 2xx; a 4xx other than 408 and 429 fails for good; anything
/// else (5xx, 429, a connection failure) is retried.
pub async fn run_job(
    db: &Db,
    out: &crate::outbound::Outbound,
    d: &Deliver,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(row) = super::repo::actor(db, &d.actor).await? else {
        return Err(Final(format!("the actor {} is gone", d.actor)).into());
    };
    if super::moderation::is_blocked(&super::repo::blocks(db).await?, &d.inbox) {
        return Err(Final(format!("{} is blocked", super::authority(&d.inbox))).into());
    }
    let host = super::authority(&d.inbox).to_ascii_lowercase();
    let breaker = super::repo::breaker(db, &host).await?;
    if let Some(b) = &breaker
        && let Some(until) = b.open_until.filter(|t| *t > now)
    {
        anyhow::bail!(
            "deliveries to {host} wait until {until} after {} failures in a row ({})",
            b.failures,
            b.last_error
        );
    }
    let signer = Signer {
        key_id: d.key_id.clone(),
        key: row.private_key_pem,
    };
    let status = match remote::post_activity(out, &d.inbox, d.body.as_bytes(), &signer, now).await {
        Ok(s) => s,
        Err(remote::RemoteError::BadUrl(u)) => {
            return Err(Final(format!("not an inbox URL: {u}")).into());
        }
        Err(remote::RemoteError::Refused(why)) => {
            return Err(Final(format!("the inbox's address is refused: {why}")).into());
        }
        Err(e) => {
            let e = anyhow::Error::from(e);
            failed(db, &host, &e.to_string(), now).await?;
            return Err(e);
        }
    };
    if status.is_success() {
        if breaker.is_some() {
            super::repo::breaker_succeeded(db, &host).await?;
        }
        return Ok(());
    }
    let code = status.as_u16();
    if status.is_client_error() && code != 429 && code != 408 {
        return Err(Final(format!("the inbox answered {status}")).into());
    }
    let why = format!("the inbox answered {status}");
    failed(db, &host, &why, now).await?;
    anyhow::bail!(why)
}

/// Counts a failed delivery against `host`'s breaker, opening it past the threshold.
async fn failed(db: &Db, host: &str, why: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let n = super::repo::breaker_failed(db, host, why, now).await?;
    if n >= BREAKER_THRESHOLD {
        super::repo::breaker_open(db, host, now + breaker_wait(n)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakers_wait_longer_with_each_failure_up_to_six_hours() {
        assert_eq!(breaker_wait(5), chrono::Duration::minutes(1));
        assert_eq!(breaker_wait(6), chrono::Duration::minutes(2));
        assert_eq!(breaker_wait(10), chrono::Duration::minutes(32));
        assert_eq!(breaker_wait(40), chrono::Duration::hours(6));
    }

    #[test]
    fn deliveries_are_tried_for_about_two_days() {
        let total: i64 = (1..DELIVERY_ATTEMPTS)
            .map(|a| jobs::backoff(a).num_seconds())
            .sum();
        let days = total as f64 / 86_400.0;
        assert!((1.8..=2.5).contains(&days), "{days} days");
    }
}
