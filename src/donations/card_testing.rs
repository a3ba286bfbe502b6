//! Card testing seen after the fact: the payment provider reports each declined card
//! attempt with the card's fingerprint (Stripe's `payment_intent.payment_failed`,
//! `charge.failed`; `callbacks` notes them in `card_declines`). A fingerprint is known only
//! once the attempt was made, so the defence is for the campaign as a whole: past
//! `donations.challenge_after_declines` declines, or `challenge_after_card_declines` of one
//! card, within `challenge_window_secs`, the campaign is *challenged* — its donate form asks
//! for a proof of work ([`super::challenge`]) until the declines fall out of the window —
//! and its treasurers are e-mailed once per window (claimed in the database, so a cluster
//! sends one).

use chrono::{DateTime, Duration, Utc};

use crate::config::DonationSettings;
use crate::db::{Db, DbResult, Tx};
use crate::donations::repo::card_testing as store;
use crate::http::AppState;
use crate::team::audit::{self, Actor};

/// Declines are kept at most this long (the window is capped to it).
pub const KEEP: Duration = Duration::days(1);

/// The thresholds and difficulty, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub declines: i64,
    pub card_declines: i64,
    pub window: Duration,
    pub bits: u8,
}

impl Thresholds {
    pub fn new(d: &DonationSettings) -> Thresholds {
        Thresholds {
            declines: d.challenge_after_declines.max(0),
            card_declines: d.challenge_after_card_declines.max(0),
            window: Duration::seconds(d.challenge_window_secs.clamp(1, KEEP.num_seconds())),
            bits: d.challenge_bits.clamp(1, 32),
        }
    }

    /// Whether these declines put a campaign in the challenge state.
    pub fn trips(&self, d: &store::Declines) -> bool {
        (self.declines > 0 && d.total >= self.declines)
            || (self.card_declines > 0 && d.most_of_one_card >= self.card_declines)
    }
}

/// Notes a declined card attempt reported by `provider` (inside the callback's
/// transaction); `campaign_id` when the event named a checkout of ours.
pub async fn note_decline_in(
    tx: &mut Tx,
    provider: &str,
    attempt: &str,
    campaign_id: Option<&str>,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    store::note_decline_in(tx, provider, attempt, campaign_id, fingerprint, now).await
}

/// Whether `campaign_id` is challenged now: `Some(seconds)` until the newest decline leaves
/// the window (what a donor without JavaScript is told to wait), `None` when it is not.
pub async fn challenged(
    db: &Db,
    t: &Thresholds,
    campaign_id: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<i64>> {
    if t.declines == 0 && t.card_declines == 0 {
        return Ok(None);
    }
    let d = store::declines_since(db, campaign_id, now - t.window).await?;
    if !t.trips(&d) {
        return Ok(None);
    }
    let until = d.newest.unwrap_or(now) + t.window;
    Ok(Some((until - now).num_seconds().max(1)))
}

/// After a decline was noted for `campaign_id`: when that put the campaign in the challenge
/// state, an audit entry and one e-mail to its treasurers per window.
pub async fn after_decline(s: &AppState, campaign_id: &str) {
    let t = Thresholds::new(&s.settings.donations);
    let now = Utc::now();
    match challenged(&s.db, &t, campaign_id, now).await {
        Ok(Some(_)) => {}
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "card-testing state not read");
            return;
        }
    }
    let key = format!("card_testing_alert:{campaign_id}");
    match s.db.claim_setting(&key, now, now - t.window).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "card-testing alert not claimed");
            return;
        }
    }
    let c = match crate::campaigns::repo::by_id(&s.db, campaign_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "card-testing campaign not read");
            return;
        }
    };
    tracing::warn!(campaign = %c.slug, "card testing suspected: the donate form asks for a proof of work");
    let who = Actor {
        label: "system".into(),
        ..Default::default()
    };
    let detail = format!("campaign={} state=challenge", c.slug);
    if let Err(e) = audit::record(&s.db, &who, "checkouts.challenge", &c.id, &detail).await {
        tracing::warn!(error = %e, "card-testing audit entry not written");
    }
    let alert = super::alerts::Alert::CardTesting {
        minutes: t.window.num_minutes().max(1),
    };
    super::alerts::tell_treasurers(s, &c, &alert).await;
}

/// Deletes declines older than [`KEEP`] and used challenges that have expired.
pub async fn forget(db: &Db, now: DateTime<Utc>) -> DbResult<()> {
    store::forget_declines(db, now - KEEP).await?;
    store::forget_spent(db, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_threshold_trips_and_zero_is_off() {
        let t = Thresholds::new(&DonationSettings {
            challenge_after_declines: 10,
            challenge_after_card_declines: 3,
            ..DonationSettings::default()
        });
        let d = |total, most| store::Declines {
            total,
            most_of_one_card: most,
            newest: None,
        };
        assert!(!t.trips(&d(9, 2)));
        assert!(t.trips(&d(10, 1)));
        assert!(t.trips(&d(3, 3)));
        let off = Thresholds {
            declines: 0,
            card_declines: 0,
            ..t
        };
        assert!(!off.trips(&d(1000, 1000)));
    }
}
