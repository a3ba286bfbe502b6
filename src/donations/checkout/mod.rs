//! Checkout sessions: a donor's [`Intent`], with amount, currency and exchange rate locked,
//! waiting for the provider's answer. Sessions are mutable state (open → succeeded /
//! declined / canceled, [`SessionStatus`]); the ledger never is.
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
//! Starting a checkout is rate limited ([`Limits`], [`refusal`]) against card testing; see
//! `limits`. The sessions' SQL is in the store (`donations::repo::sessions`).

mod limits;

pub use limits::{
    FORGET_EVERY, Limit, Limits, Refusal, email_refusal, forget_client_hashes, normalised_email,
    refusal, spawn_forgetter,
};

use chrono::{DateTime, Duration, Utc};

use super::Intent;
use super::intent::DonateInput;
use super::repo::sessions;
use crate::campaigns::Campaign;
use crate::db::{Db, DbResult};

/// Where a checkout session stands (the `checkout_sessions.status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Waiting for the provider's answer.
    Open,
    /// Paid: its donation is recorded.
    Succeeded,
    Declined,
    Canceled,
}

impl SessionStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Succeeded => "succeeded",
            SessionStatus::Declined => "declined",
            SessionStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<SessionStatus> {
        Some(match s {
            "open" => SessionStatus::Open,
            "succeeded" => SessionStatus::Succeeded,
            "declined" => SessionStatus::Declined,
            "canceled" => SessionStatus::Canceled,
            _ => return None,
        })
    }
}

/// A checkout session: the donor's intent plus what the checkout adds.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub id: String,
    pub provider: String,
    pub intent: Intent,
    pub status: SessionStatus,
    pub donation_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl CheckoutSession {
    pub fn campaign_id(&self) -> &str {
        &self.intent.campaign_id
    }

    /// What the payment provider is asked to collect for this session.
    pub fn payment_request(&self) -> crate::payments::PaymentRequest {
        crate::payments::PaymentRequest {
            checkout_id: self.id.clone(),
            amount: self.intent.amount,
            donor_email: self.intent.donor_email.clone(),
            return_path: String::new(),
            cancel_path: String::new(),
            item_name: String::new(),
            expires_at: self.expires_at,
            monthly: None,
        }
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
    match s.status {
        SessionStatus::Open => {}
        SessionStatus::Succeeded => return Err(Unpayable::Succeeded),
        SessionStatus::Declined => return Err(Unpayable::Declined),
        SessionStatus::Canceled => return Err(Unpayable::Canceled),
    }
    if now >= s.expires_at {
        return Err(Unpayable::Expired);
    }
    if c.accepting(now).is_err() {
        return Err(Unpayable::CampaignNotAccepting);
    }
    Ok(())
}

/// Stores a new open session for `intent`. `client_hash` is [`Limits::client_hash`] of the
/// donor's address.
pub async fn create(
    db: &Db,
    provider: &str,
    intent: Intent,
    client_hash: Option<&str>,
) -> DbResult<CheckoutSession> {
    let now = Utc::now();
    let s = CheckoutSession {
        id: uuid::Uuid::new_v4().to_string(),
        provider: provider.to_string(),
        intent,
        status: SessionStatus::Open,
        donation_id: None,
        expires_at: now + Duration::minutes(SESSION_TTL_MINUTES),
    };
    sessions::insert(db, &s, now, client_hash).await?;
    Ok(s)
}

/// The provider could not start the checkout of session `id`: it is closed (canceled) and
/// counts against no checkout limit (`failed_at`); the donor sees the form again.
pub async fn mark_failed(db: &Db, id: &str) -> DbResult<()> {
    sessions::mark_failed(db, id, Utc::now()).await
}

/// The donor left the provider's payment page unpaid: an `open` session `id` is closed as
/// canceled (any other is left as it is).
pub async fn cancel_open(db: &Db, id: &str) -> DbResult<()> {
    let mut tx = db.begin().await?;
    sessions::close_open_in(&mut tx, id, SessionStatus::Canceled).await?;
    tx.commit().await?;
    Ok(())
}

/// The session with `id`, if any.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<CheckoutSession>> {
    sessions::get(db, id).await
}

/// The donate form as the donor filled it in for the checkout `id`, to show it again when
/// they come back from a declined or canceled payment: only for a session of `campaign_id`
/// that was declined or canceled, until it would have expired. The e-mail address is left
/// out (the address of the page may be shared; it shows only what the wall would).
pub async fn retry_input(
    db: &Db,
    id: &str,
    campaign_id: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<DonateInput>> {
    if id.len() > 64 {
        return Ok(None);
    }
    let Some(s) = sessions::get(db, id).await? else {
        return Ok(None);
    };
    let failed = matches!(s.status, SessionStatus::Declined | SessionStatus::Canceled);
    if !failed || s.campaign_id() != campaign_id || now >= s.expires_at {
        return Ok(None);
    }
    Ok(Some(typed(&s.intent)))
}

/// The donate form that gives `i`, as a donor would type it: a whole amount without
/// decimals (so its preset button is chosen again), the e-mail address left empty.
fn typed(i: &Intent) -> DonateInput {
    let unit = 10_i64.pow(u32::from(i.amount.currency.exponent()));
    let amount = if i.amount.amount_minor % unit == 0 {
        (i.amount.amount_minor / unit).to_string()
    } else {
        i.amount.major_string()
    };
    DonateInput {
        amount,
        preset: String::new(),
        currency: i.amount.currency.to_string(),
        name: i.donor_name.clone().unwrap_or_default(),
        email: String::new(),
        message: i.message.clone().unwrap_or_default(),
        visibility: i.visibility.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::SessionStatus;

    #[test]
    fn a_failed_checkout_gives_back_the_form_as_typed() {
        use crate::donations::{Intent, Visibility};
        use crate::email::Email;
        use crate::money::{CurrencyCode, Money};
        let code = |c: &str| CurrencyCode::parse(c).expect("currency");
        let intent = |minor: i64, cur: &str| Intent {
            campaign_id: "c".into(),
            amount: Money::new(minor, code(cur)),
            rate: rust_decimal::Decimal::ONE,
            campaign_amount: Money::new(minor, code(cur)),
            cover_minor: 0,
            donor_name: Some("Ada".into()),
            donor_email: Email::parse("ada@example.org").ok(),
            message: Some("For the books".into()),
            visibility: Visibility::Anonymous,
        };
        let f = super::typed(&intent(2500, "GBP"));
        assert_eq!(
            (f.amount.as_str(), f.currency.as_str(), f.name.as_str()),
            ("25", "GBP", "Ada")
        );
        assert_eq!(
            (f.message.as_str(), f.visibility.as_str()),
            ("For the books", "anonymous")
        );
        assert_eq!(f.email, "", "the e-mail address is not given back");
        assert_eq!(super::typed(&intent(1234, "EUR")).amount, "12.34");
        assert_eq!(super::typed(&intent(1205, "EUR")).amount, "12.05");
        assert_eq!(super::typed(&intent(5000, "JPY")).amount, "5000");
    }

    #[test]
    fn session_statuses_round_trip_their_stored_text() {
        for s in [
            SessionStatus::Open,
            SessionStatus::Succeeded,
            SessionStatus::Declined,
            SessionStatus::Canceled,
        ] {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(SessionStatus::parse("cancelled"), None);
        assert_eq!(SessionStatus::parse("Open"), None);
    }
}
