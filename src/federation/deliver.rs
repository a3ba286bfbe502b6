//! The `deliver` job: one activity POSTed, signed, to one inbox. Deliveries are retried
//! with the queue's backoff (30 s doubling to 6 h) for [`DELIVERY_ATTEMPTS`] attempts,
//! about two days; an answer of 4xx other than 429 (gone, refused, unknown) is final.

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
        Err(e) => return Err(e.into()),
    };
    if status.is_success() {
        return Ok(());
    }
    let code = status.as_u16();
    if status.is_client_error() && code != 429 && code != 408 {
        return Err(Final(format!("the inbox answered {status}")).into());
    }
    anyhow::bail!("the inbox answered {status}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_tried_for_about_two_days() {
        let total: i64 = (1..DELIVERY_ATTEMPTS)
            .map(|a| jobs::backoff(a).num_seconds())
            .sum();
        let days = total as f64 / 86_400.0;
        assert!((1.8..=2.5).contains(&days), "{days} days");
    }
}
