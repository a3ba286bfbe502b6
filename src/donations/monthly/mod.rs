//! Monthly giving (Stripe subscriptions): the donate form's "Give monthly".
//!
//! A monthly gift ([`MonthlyGift`], table `monthly_gifts`) is made `pending` with its checkout
//! session ([`open`]); the Stripe Checkout Session is created in subscription mode
//! (`payments::stripe`). Its events take the one callback path (`donations::callbacks`),
//! whose monthly branch is [`events`]:
//!
//! * `checkout.session.completed` (subscription mode, paid) names our checkout: the gift
//!   becomes `active` with Stripe's subscription and customer, and the **first payment is
//!   recorded from this event**, keyed on the subscription's first invoice, exactly as a
//!   one-off donation is (amount checked against the session, rate locked at checkout, the
//!   return page's "Confirming…" ends). The first invoice's `invoice.paid`
//!   (`billing_reason = subscription_create`) is therefore a no-op, whichever comes first.
//! * each later `invoice.paid` records one donation keyed on the invoice id (a replayed or
//!   out-of-order delivery records nothing more), converted at the **newest rate of the day
//!   it is paid**: the rate is locked per payment, as for any donation, not at the first
//!   month's. Renewals carry the donor's name and visibility, not the first gift's message.
//! * `invoice.payment_failed` makes the gift `past_due` and tells the treasurers;
//!   `customer.subscription.updated` follows Stripe's status (`active`, `past_due`,
//!   `canceled`); `customer.subscription.deleted` makes it `canceled` (final).
//! * An event about a subscription this site does not know yet but whose metadata names a
//!   checkout of ours (its completion not yet delivered) is answered 500, so Stripe sends it
//!   again; one naming no checkout of ours (another use of the account) is ignored.
//!
//! The donor manages the gift without an account from a signed link ([`link_path`]:
//! `/monthly/{id}?t=<HMAC under the site's monthly_link_key of "monthly|<id>">`) on the
//! thank-you page and in every receipt e-mail of the gift; cancelling calls Stripe
//! (`DELETE /v1/subscriptions/{id}`) and marks the gift canceled, which the webhook confirms.
//! A campaign that closes or ends cancels its running gifts ([`closing`]).
//!
//! A monthly donor counts once in the campaign's donors: the first month's entry has
//! `donor_delta` 1, every renewal's 0 (`ledger::Donor::AlreadyCounted`), and a renewal's
//! complete refund takes no donor back. Each payment's payment intent (from `invoice.paid`)
//! is kept beside its invoice (`monthly_payments.payment_ref`), so Stripe's refunds and
//! disputes, the console's refund and the fee job find the payment.

pub mod closing;
pub mod events;

use chrono::{DateTime, Utc};

use super::Visibility;
use super::checkout::CheckoutSession;
use super::repo::monthly as store;
use crate::db::{Db, DbResult, random_secret};
use crate::money::Money;
use crate::payments::{ProviderError, Providers};
use crate::signing;

pub use store::{of_campaign, of_donation};

/// Where a monthly gift stands (`monthly_gifts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthlyStatus {
    /// Its checkout has not completed (never shown).
    Pending,
    Active,
    /// A payment failed; Stripe retries it.
    PastDue,
    /// Ended (by the donor, a treasurer or Stripe); final.
    Canceled,
}

impl MonthlyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MonthlyStatus::Pending => "pending",
            MonthlyStatus::Active => "active",
            MonthlyStatus::PastDue => "past_due",
            MonthlyStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<MonthlyStatus> {
        Some(match s {
            "pending" => MonthlyStatus::Pending,
            "active" => MonthlyStatus::Active,
            "past_due" => MonthlyStatus::PastDue,
            "canceled" => MonthlyStatus::Canceled,
            _ => return None,
        })
    }

    /// Stripe's subscription status as ours (`None`: one that changes nothing here).
    pub fn of_stripe(s: &str) -> Option<MonthlyStatus> {
        Some(match s {
            "active" | "trialing" => MonthlyStatus::Active,
            "past_due" | "unpaid" => MonthlyStatus::PastDue,
            "canceled" | "incomplete_expired" => MonthlyStatus::Canceled,
            _ => return None,
        })
    }
}

/// A monthly gift.
#[derive(Debug, Clone)]
pub struct MonthlyGift {
    pub id: String,
    pub checkout_id: String,
    pub campaign_id: String,
    /// Stripe's subscription id (once the checkout completed).
    pub subscription_ref: Option<String>,
    /// What is given each month, in the donor's currency.
    pub amount: Money,
    /// The part of `amount` the donor added to cover the fees (minor units), 0 when none.
    pub cover_minor: i64,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub visibility: Visibility,
    /// The donor's page language at checkout (receipts and the manage page use it).
    pub lang: String,
    pub status: MonthlyStatus,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub next_payment_at: Option<DateTime<Utc>>,
}

/// Makes the pending gift of the checkout `session` (the donor's page language `lang`).
pub async fn open(db: &Db, session: &CheckoutSession, lang: &str) -> DbResult<MonthlyGift> {
    let i = &session.intent;
    let g = MonthlyGift {
        id: uuid::Uuid::new_v4().to_string(),
        checkout_id: session.id.clone(),
        campaign_id: i.campaign_id.clone(),
        subscription_ref: None,
        amount: i.amount,
        cover_minor: i.cover_minor,
        donor_name: i.donor_name.clone(),
        donor_email: i.donor_email.as_ref().map(|e| e.as_str().to_string()),
        visibility: i.visibility,
        lang: lang.to_string(),
        status: MonthlyStatus::Pending,
        created_at: Utc::now(),
        started_at: None,
        canceled_at: None,
        next_payment_at: None,
    };
    store::insert(db, &g).await?;
    Ok(g)
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<MonthlyGift>> {
    if id.len() > 64 {
        return Ok(None);
    }
    store::get(db, id).await
}

/// How many months the gift has paid.
pub async fn payments(db: &Db, id: &str) -> DbResult<i64> {
    store::payments(db, id).await
}

/// The site's key for the manage links (made once, kept in the settings).
async fn link_key(db: &Db) -> DbResult<String> {
    db.setting_or_init("monthly_link_key", random_secret).await
}

const LABEL: &[u8] = b"monthly|";

/// The `t` of a gift's manage link.
pub async fn link_token(db: &Db, id: &str) -> DbResult<String> {
    let key = link_key(db).await?;
    Ok(signing::sign(&key, &[LABEL, id.as_bytes()]))
}

/// Whether `token` is the gift's manage link token (compared in constant time).
pub async fn check_link(db: &Db, id: &str, token: &str) -> DbResult<bool> {
    let key = link_key(db).await?;
    Ok(signing::verify(&key, &[LABEL, id.as_bytes()], token))
}

/// The manage link's path and query (without the site's address).
pub async fn link_path(db: &Db, id: &str) -> DbResult<String> {
    Ok(format!("/monthly/{id}?t={}", link_token(db, id).await?))
}

/// Why a gift could not be cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("Stripe is not configured")]
    NoProvider,
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Cancels a started gift at Stripe and marks it canceled (Stripe's
/// `customer.subscription.deleted` confirms it; a second cancel changes nothing). `who`
/// labels the audit entry (`monthly.canceled`).
pub async fn cancel(
    db: &Db,
    providers: &Providers,
    g: &MonthlyGift,
    who: &crate::team::audit::Actor,
) -> Result<(), CancelError> {
    if g.status == MonthlyStatus::Canceled {
        return Ok(());
    }
    if let Some(sub) = &g.subscription_ref {
        let stripe = providers.stripe().ok_or(CancelError::NoProvider)?;
        stripe.cancel_subscription(sub).await?;
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    if g.status == MonthlyStatus::Pending {
        // Never started: nothing at Stripe to end.
        return Ok(());
    }
    if store::set_status_in(&mut tx, &g.id, MonthlyStatus::Canceled, None, now).await? {
        crate::team::audit::record_in(
            &mut tx,
            who,
            "monthly.canceled",
            &g.id,
            &format!("campaign={}", g.campaign_id),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
