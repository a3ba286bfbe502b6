//! Limits on starting a checkout (card-testing defence): per client address (strict) and
//! per campaign (a circuit breaker that counts distinct client addresses with unfinished or
//! failed checkouts, so a few busy addresses cannot lock out everyone else), counted on the
//! stored sessions (so every node of a cluster sees the same numbers). A session keeps only
//! a keyed hash of its client's address, and only while it is inside the limit's window
//! ([`forget_client_hashes`]).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use crate::config::DonationSettings;
use crate::db::{Db, DbResult};
use crate::donations::repo::sessions::{self, Keyed};

/// The donate form's limits (settings `donations.checkouts_per_*`) and the site key that
/// hashes client addresses (`settings.checkout_limit_key` in the database, shared by every
/// node).
#[derive(Clone)]
pub struct Limits {
    key: Vec<u8>,
    /// Checkouts per client address within `ip_window`; 0 = no limit.
    pub per_ip: i64,
    pub ip_window: Duration,
    /// The per-campaign circuit breaker: distinct client addresses with checkouts not (yet)
    /// succeeded for one campaign within `campaign_window`; 0 = off.
    pub per_campaign: i64,
    pub campaign_window: Duration,
    /// Checkouts per donor e-mail address (lower-cased, trimmed) within `email_window`;
    /// 0 = no limit.
    pub per_email: i64,
    pub email_window: Duration,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("key", &"<redacted>")
            .field("per_ip", &self.per_ip)
            .field("ip_window", &self.ip_window)
            .field("per_campaign", &self.per_campaign)
            .field("campaign_window", &self.campaign_window)
            .field("per_email", &self.per_email)
            .field("email_window", &self.email_window)
            .finish()
    }
}

/// Which limit refused a checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Too many checkouts from one client address.
    Address,
    /// Too many distinct addresses with unfinished or failed checkouts for the campaign
    /// (the circuit breaker).
    Campaign,
    /// Too many checkouts with one donor e-mail address.
    Email,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Address => "address",
            Limit::Campaign => "campaign",
            Limit::Email => "email",
        }
    }
}

/// A refused checkout: which limit, and in how many seconds a new one would be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    pub retry_after_secs: i64,
}

impl Limits {
    pub fn new(key: &str, d: &DonationSettings) -> Limits {
        Limits {
            key: key.as_bytes().to_vec(),
            per_ip: d.checkouts_per_ip.max(0),
            ip_window: Duration::seconds(d.checkouts_per_ip_window_secs.max(1)),
            per_campaign: d.checkouts_per_campaign.max(0),
            campaign_window: Duration::seconds(d.checkouts_per_campaign_window_secs.max(1)),
            per_email: d.checkouts_per_email.max(0),
            email_window: Duration::seconds(d.checkouts_per_email_window_secs.max(1)),
        }
    }

    /// The keyed hash (HMAC-SHA256, hex) stored with a session for the per-address limit:
    /// of the address, IPv6 by its /64 (one subscriber usually holds a whole /64). `None`
    /// when the address is unknown or that limit is off (then nothing is stored).
    pub fn client_hash(&self, ip: Option<IpAddr>) -> Option<String> {
        use hmac::{Hmac, Mac};
        let ip = ip?;
        if self.per_ip == 0 {
            return None;
        }
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(b"checkout-client|");
        mac.update(crate::team::throttle::ip_key(&ip.to_string()).as_bytes());
        Some(hex::encode(mac.finalize().into_bytes()))
    }

    /// How long a client hash is needed: the per-address window.
    pub fn hash_lifetime(&self) -> Duration {
        self.ip_window
    }
}

/// Whether starting one more checkout for `campaign_id` from the client with `client_hash`
/// is over a limit now; `None` allows it. The limit-th newest session (per address) or
/// distinct address (per campaign) in the window decides, and the window's end after it is
/// the `Retry-After`. Under concurrent posts a limit can be passed by the number of
/// requests in flight at once (no lock is taken); that is enough against card testing.
pub async fn refusal(
    db: &Db,
    limits: &Limits,
    campaign_id: &str,
    client_hash: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Option<Refusal>> {
    let mut refusal: Option<Refusal> = None;
    let mut refuse = |limit: Limit, nth_newest: DateTime<Utc>, window: Duration| {
        let retry = ((nth_newest + window) - now).num_seconds().max(1);
        if refusal.is_none_or(|r| r.retry_after_secs < retry) {
            refusal = Some(Refusal {
                limit,
                retry_after_secs: retry,
            });
        }
    };
    if let Some(hash) = client_hash
        && limits.per_ip > 0
        && let Some(t) = sessions::nth_newest_since(
            db,
            Keyed::Client,
            hash,
            "",
            now - limits.ip_window,
            limits.per_ip,
        )
        .await?
    {
        refuse(Limit::Address, t, limits.ip_window);
    }
    if limits.per_campaign > 0
        && let Some(t) = sessions::nth_newest_since(
            db,
            Keyed::Campaign,
            campaign_id,
            client_hash.unwrap_or(""),
            now - limits.campaign_window,
            limits.per_campaign,
        )
        .await?
    {
        refuse(Limit::Campaign, t, limits.campaign_window);
    }
    Ok(refusal)
}

/// Whether one more checkout with the donor e-mail `email` is over the per-address limit
/// now (the same address in any case, with spaces around it, is one donor); `None` allows
/// it, as does no address. Counted like [`refusal`], across nodes.
pub async fn email_refusal(
    db: &Db,
    limits: &Limits,
    email: Option<&crate::email::Email>,
    now: DateTime<Utc>,
) -> DbResult<Option<Refusal>> {
    let Some(email) = email else {
        return Ok(None);
    };
    if limits.per_email == 0 {
        return Ok(None);
    }
    let key = normalised_email(email.as_str());
    let since = now - limits.email_window;
    let nth = crate::donations::repo::card_testing::nth_newest_with_email(
        db,
        &key,
        since,
        limits.per_email,
    )
    .await?;
    Ok(nth.map(|t| Refusal {
        limit: Limit::Email,
        retry_after_secs: ((t + limits.email_window) - now).num_seconds().max(1),
    }))
}

/// The form of a donor e-mail address the per-address limit compares: trimmed, ASCII
/// letters lower-cased (as the database's `LOWER` does on both backends).
pub fn normalised_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Clears the client hashes of sessions created before `before` (they count for no limit
/// any more). Returns how many were cleared.
pub async fn forget_client_hashes(db: &Db, before: DateTime<Utc>) -> DbResult<u64> {
    sessions::forget_client_hashes(db, before).await
}

/// How often each node clears old client hashes.
pub const FORGET_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Clears old client hashes now and every [`FORGET_EVERY`] until shutdown.
pub fn spawn_forgetter(
    db: Db,
    limits: Limits,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let lifetime = limits.hash_lifetime();
    crate::jobs::spawn_every(FORGET_EVERY, shutdown, move || {
        let db = db.clone();
        async move {
            if let Err(e) = forget_client_hashes(&db, Utc::now() - lifetime).await {
                tracing::warn!(error = %e, "cannot clear old checkout client hashes");
            }
            if let Err(e) = crate::donations::card_testing::forget(&db, Utc::now()).await {
                tracing::warn!(error = %e, "cannot clear old card declines and challenges");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(key: &str, per_ip: i64) -> Limits {
        Limits::new(
            key,
            &DonationSettings {
                checkouts_per_ip: per_ip,
                ..DonationSettings::default()
            },
        )
    }

    #[test]
    fn client_hashes_are_keyed_and_group_ipv6_by_64() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        let l = limits("site key", 10);
        let h = l.client_hash(ip("203.0.113.9")).expect("hash");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("203"));
        assert_eq!(l.client_hash(ip("203.0.113.9")), Some(h.clone()));
        assert_eq!(l.client_hash(ip("::ffff:203.0.113.9")), Some(h.clone()));
        assert_ne!(l.client_hash(ip("203.0.113.10")), Some(h.clone()));
        assert_ne!(
            limits("another key", 10).client_hash(ip("203.0.113.9")),
            Some(h)
        );
        assert_eq!(
            l.client_hash(ip("2001:db8:1:2::1")),
            l.client_hash(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            l.client_hash(ip("2001:db8:1:2::1")),
            l.client_hash(ip("2001:db8:1:3::1"))
        );
        assert_eq!(l.client_hash(None), None);
        assert_eq!(
            limits("k", 0).client_hash(ip("203.0.113.9")),
            None,
            "limit off"
        );
        assert!(!format!("{l:?}").contains("site key"));
    }
}
