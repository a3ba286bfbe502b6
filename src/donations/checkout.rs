//! Checkout sessions: a donor's intent, with amount, currency and exchange rate locked,
//! waiting for the provider's answer. Sessions are mutable state (open → succeeded /
//! declined / canceled); the ledger never is.
//!
//! **When a session can be paid** ([`payable`]): only while it is `open`, before its
//! `expires_at`, and while its campaign accepts donations. Our hosted test checkout refuses
//! to pay otherwise. A provider's callback that reports money already captured for a session
//! that is not payable (expired, declined, canceled, or its campaign stopped accepting) is
//! still recorded — the money was taken and the donor must not lose it — but flagged for the
//! treasurer (`donations.review_reason`, an audit entry and an e-mail); a declined or
//! canceled session keeps its status (it never becomes `succeeded`). See
//! `donations::callbacks`.
//!
//! Starting a checkout is rate limited ([`Limits`], [`refusal`]) against card testing: per
//! client address (strict) and per campaign (a circuit breaker that counts distinct client
//! addresses with unfinished or failed checkouts, so a few busy addresses cannot lock out
//! everyone else), counted on the stored sessions (so every node of a cluster sees the same
//! numbers). A session keeps only a keyed hash of its client's address, and only while it is
//! inside the limit's window ([`forget_client_hashes`]).

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::config::DonationSettings;
use crate::db::{Db, DbError, DbResult};
use crate::email::Email;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money, MoneyError};
use crate::on_db;
use crate::rates::RateTable;

#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub id: String,
    pub campaign_id: String,
    pub provider: String,
    pub amount: Money,
    pub rate: Decimal,
    pub campaign_amount: Money,
    pub donor_name: Option<String>,
    pub donor_email: Option<Email>,
    pub message: Option<String>,
    pub visibility: Visibility,
    pub status: String,
    pub donation_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl CheckoutSession {
    /// What the payment provider is asked to collect for this session.
    pub fn payment_request(&self) -> crate::payments::PaymentRequest {
        crate::payments::PaymentRequest {
            checkout_id: self.id.clone(),
            amount: self.amount,
            donor_email: self.donor_email.clone(),
        }
    }
}

/// A donation request that passed every check.
#[derive(Debug, Clone)]
pub struct ValidDonation {
    pub amount: Money,
    pub rate: Decimal,
    pub campaign_amount: Money,
    pub donor_name: Option<String>,
    pub donor_email: Option<Email>,
    pub message: Option<String>,
    pub visibility: Visibility,
}

/// The raw form, as typed.
#[derive(Debug, Clone, Default)]
pub struct DonateInput {
    pub amount: String,
    pub currency: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub visibility: String,
}

/// Field → localized message.
pub type FieldErrors = HashMap<&'static str, String>;

fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// Parses and checks a donation request against the campaign, the rates and the limit.
pub fn validate(
    tr: &I18n,
    c: &Campaign,
    rates: &RateTable,
    max_major: i64,
    input: &DonateInput,
) -> Result<ValidDonation, FieldErrors> {
    let mut errors = FieldErrors::new();
    let currency = match CurrencyCode::parse(&input.currency) {
        Ok(code) if c.accepts_currency(code) => Some(code),
        Ok(code) => {
            errors.insert(
                "currency",
                tr.ta(
                    "error-currency-not-accepted",
                    &[("currency", code.to_string())],
                ),
            );
            None
        }
        Err(_) => {
            errors.insert("currency", tr.t("error-currency-unknown"));
            None
        }
    };
    let mut valid_amount = None;
    if let Some(code) = currency {
        match Money::parse_major(&input.amount, code) {
            Ok(m) => match rates.rate(code, c.currency()) {
                Some(rate) => match m.convert(rate, c.currency()) {
                    Ok(conv) => {
                        let max_minor = max_major
                            .saturating_mul(10_i64.pow(u32::from(c.currency().exponent())));
                        if conv.amount_minor > max_minor {
                            errors.insert(
                                "amount",
                                tr.ta(
                                    "error-amount-too-large",
                                    &[("max", tr.money(Money::new(max_minor, c.currency())))],
                                ),
                            );
                        } else if conv.amount_minor <= 0 {
                            errors.insert("amount", tr.t("error-amount-too-small"));
                        } else {
                            valid_amount = Some((m, rate, conv));
                        }
                    }
                    Err(_) => {
                        errors.insert("amount", tr.t("error-amount-too-large-plain"));
                    }
                },
                None => {
                    errors.insert(
                        "currency",
                        tr.ta("error-no-rate", &[("currency", code.to_string())]),
                    );
                }
            },
            Err(e) => {
                let msg = match e {
                    MoneyError::Empty => tr.t("error-amount-empty"),
                    MoneyError::NotPositive => tr.t("error-amount-not-positive"),
                    MoneyError::TooManyDecimals { currency, exponent } => tr.ta(
                        "error-amount-decimals",
                        &[
                            ("currency", currency.to_string()),
                            ("places", exponent.to_string()),
                        ],
                    ),
                    MoneyError::TooLarge => tr.t("error-amount-too-large-plain"),
                    _ => tr.t("error-amount-not-number"),
                };
                errors.insert("amount", msg);
            }
        }
    }
    let name = clean_text(&input.name);
    if name.chars().count() > MAX_NAME_CHARS {
        errors.insert(
            "name",
            tr.ta("error-too-long", &[("max", MAX_NAME_CHARS.to_string())]),
        );
    }
    let message = clean_text(&input.message);
    if message.chars().count() > MAX_MESSAGE_CHARS {
        errors.insert(
            "message",
            tr.ta("error-too-long", &[("max", MAX_MESSAGE_CHARS.to_string())]),
        );
    }
    let email = if input.email.trim().is_empty() {
        None
    } else {
        match Email::parse(&input.email) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.insert("email", tr.t("error-email"));
                None
            }
        }
    };
    let visibility = Visibility::parse(input.visibility.trim());
    if visibility.is_none() {
        errors.insert("visibility", tr.t("error-visibility"));
    }
    match (valid_amount, visibility) {
        (Some((amount, rate, campaign_amount)), Some(visibility)) if errors.is_empty() => {
            Ok(ValidDonation {
                amount,
                rate,
                campaign_amount,
                donor_name: (!name.is_empty()).then_some(name),
                donor_email: email,
                message: (!message.is_empty()).then_some(message),
                visibility,
            })
        }
        _ => Err(errors),
    }
}

/// How long a donor has to finish a checkout.
pub const SESSION_TTL_MINUTES: i64 = 60;

/// Why a session can no longer be paid (see [`payable`]); also the `review_reason` of a
/// donation captured for such a session anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpayable {
    /// Already paid.
    Succeeded,
    Declined,
    Canceled,
    /// Open but past its `expires_at`.
    Expired,
    /// The campaign does not accept donations any more (closed, ended, funded and stopped,
    /// back to draft).
    CampaignNotAccepting,
}

impl Unpayable {
    /// The stored review reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Unpayable::Succeeded => "session-succeeded",
            Unpayable::Declined => "session-declined",
            Unpayable::Canceled => "session-canceled",
            Unpayable::Expired => "session-expired",
            Unpayable::CampaignNotAccepting => "campaign-not-accepting",
        }
    }
}

/// The rule: a session can be paid only while it is `open`, before its expiry, and while its
/// campaign accepts donations.
pub fn payable(s: &CheckoutSession, c: &Campaign, now: DateTime<Utc>) -> Result<(), Unpayable> {
    match s.status.as_str() {
        "open" => {}
        "succeeded" => return Err(Unpayable::Succeeded),
        "declined" => return Err(Unpayable::Declined),
        _ => return Err(Unpayable::Canceled),
    }
    if now >= s.expires_at {
        return Err(Unpayable::Expired);
    }
    if c.accepting(now).is_err() {
        return Err(Unpayable::CampaignNotAccepting);
    }
    Ok(())
}

/// Stores a new open session. `client_hash` is [`Limits::client_hash`] of the donor's address.
pub async fn create(
    db: &Db,
    c: &Campaign,
    provider: &str,
    d: &ValidDonation,
    client_hash: Option<&str>,
) -> DbResult<CheckoutSession> {
    let now = Utc::now();
    let s = CheckoutSession {
        id: uuid::Uuid::new_v4().to_string(),
        campaign_id: c.id.clone(),
        provider: provider.to_string(),
        amount: d.amount,
        rate: d.rate,
        campaign_amount: d.campaign_amount,
        donor_name: d.donor_name.clone(),
        donor_email: d.donor_email.clone(),
        message: d.message.clone(),
        visibility: d.visibility,
        status: "open".into(),
        donation_id: None,
        expires_at: now + Duration::minutes(SESSION_TTL_MINUTES),
    };
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO checkout_sessions (id, campaign_id, provider, amount_minor, currency, rate, \
         campaign_amount_minor, donor_name, donor_email, message, visibility, status, donation_id, \
         created_at, expires_at, client_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', NULL, $12, $13, $14)"
    )
    .bind(&s.id)
    .bind(&s.campaign_id)
    .bind(&s.provider)
    .bind(s.amount.amount_minor)
    .bind(s.amount.currency.as_str())
    .bind(s.rate.to_string())
    .bind(s.campaign_amount.amount_minor)
    .bind(&s.donor_name)
    .bind(s.donor_email.as_ref().map(|e| e.as_str()))
    .bind(&s.message)
    .bind(s.visibility.as_str())
    .bind(now)
    .bind(s.expires_at)
    .bind(client_hash)
    .execute(p)
    .await?.rows_affected()
    });
    Ok(s)
}

// ---------------------------------------------------------------------------------------
// Limits on starting a checkout (card-testing defence)
// ---------------------------------------------------------------------------------------

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
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("key", &"<redacted>")
            .field("per_ip", &self.per_ip)
            .field("ip_window", &self.ip_window)
            .field("per_campaign", &self.per_campaign)
            .field("campaign_window", &self.campaign_window)
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
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Address => "address",
            Limit::Campaign => "campaign",
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
        && let Some(t) = nth_newest_since(
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
        && let Some(t) = nth_newest_since(
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

/// Which column a checkout limit counts sessions by.
#[derive(Clone, Copy)]
enum Keyed {
    Client,
    Campaign,
}

/// When the `n`-th newest checkout session with `key` in the column `by` was created, if
/// there are at least `n` since `since` (per client: reading `n` index entries; per
/// campaign: the `n`-th newest of the distinct clients' newest unfinished sessions, reading
/// the campaign's sessions in the window).
async fn nth_newest_since(
    db: &Db,
    by: Keyed,
    key: &str,
    other_than: &str,
    since: DateTime<Utc>,
    n: i64,
) -> DbResult<Option<DateTime<Utc>>> {
    let sql = match by {
        Keyed::Client => {
            "SELECT created_at FROM checkout_sessions WHERE client_hash = $1 AND created_at > $2 \
             ORDER BY created_at DESC LIMIT 1 OFFSET $3"
        }
        // One row per distinct client other than the one asking (a session without a hash
        // counts on its own), with its newest unfinished or failed checkout; succeeded ones
        // never trip the breaker, and a client already counted does not count twice.
        Keyed::Campaign => {
            "SELECT MAX(created_at) AS last FROM checkout_sessions \
             WHERE campaign_id = $1 AND created_at > $2 AND status <> 'succeeded' \
             AND (client_hash IS NULL OR client_hash <> $4) \
             GROUP BY COALESCE(client_hash, id) ORDER BY last DESC LIMIT 1 OFFSET $3"
        }
    };
    Ok(on_db!(db, |p| {
        let q = sqlx::query_scalar(sql).bind(key).bind(since).bind(n - 1);
        match by {
            Keyed::Client => q.fetch_optional(p).await?,
            Keyed::Campaign => q.bind(other_than).fetch_optional(p).await?,
        }
    }))
}

/// Clears the client hashes of sessions created before `before` (they count for no limit
/// any more). Returns how many were cleared.
pub async fn forget_client_hashes(db: &Db, before: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "UPDATE checkout_sessions SET client_hash = NULL \
         WHERE client_hash IS NOT NULL AND created_at < $1"
    )
    .bind(before)
    .execute(p)
    .await?
    .rows_affected()))
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
        }
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: String,
    campaign_id: String,
    provider: String,
    amount_minor: i64,
    currency: String,
    rate: String,
    campaign_amount_minor: i64,
    campaign_currency: String,
    donor_name: Option<String>,
    donor_email: Option<String>,
    message: Option<String>,
    visibility: String,
    status: String,
    donation_id: Option<String>,
    expires_at: DateTime<Utc>,
}

pub(crate) const SESSION_SELECT: &str = "SELECT s.id, s.campaign_id, s.provider, s.amount_minor, s.currency, s.rate, \
    s.campaign_amount_minor, c.currency AS campaign_currency, s.donor_name, s.donor_email, s.message, \
    s.visibility, s.status, s.donation_id, s.expires_at \
    FROM checkout_sessions s JOIN campaigns c ON c.id = s.campaign_id WHERE s.id = $1";

impl TryFrom<SessionRow> for CheckoutSession {
    type Error = DbError;
    fn try_from(r: SessionRow) -> Result<Self, DbError> {
        let bad = |w: &str| DbError::Corrupt(format!("checkout session {}: bad {w}", r.id));
        let cur = CurrencyCode::parse(&r.currency).map_err(|_| bad("currency"))?;
        let ccur =
            CurrencyCode::parse(&r.campaign_currency).map_err(|_| bad("campaign currency"))?;
        Ok(CheckoutSession {
            amount: Money::new(r.amount_minor, cur),
            rate: r.rate.parse().map_err(|_| bad("rate"))?,
            campaign_amount: Money::new(r.campaign_amount_minor, ccur),
            donor_email: r.donor_email.as_deref().and_then(|e| Email::parse(e).ok()),
            visibility: Visibility::parse(&r.visibility).ok_or_else(|| bad("visibility"))?,
            id: r.id,
            campaign_id: r.campaign_id,
            provider: r.provider,
            donor_name: r.donor_name,
            message: r.message,
            status: r.status,
            donation_id: r.donation_id,
            expires_at: r.expires_at,
        })
    }
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<CheckoutSession>> {
    let row: Option<SessionRow> = on_db!(db, |p| sqlx::query_as(SESSION_SELECT)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(CheckoutSession::try_from).transpose()
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
