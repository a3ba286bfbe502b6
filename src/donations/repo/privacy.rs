//! A donor's records by e-mail address (what a data request lists) and their erasure: the
//! donor's personal data in `donations`, `checkout_sessions` and the names of pledges they
//! fulfilled replaced by a pseudonym. Amounts, ledger entries and totals are never touched.
//! Addresses are compared without regard to case.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::search::DonationFull;
use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// Whether any donation or checkout names the address.
pub async fn holds(db: &Db, email: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM donations WHERE LOWER(donor_email) = LOWER($1)) \
         + (SELECT COUNT(*) FROM checkout_sessions WHERE LOWER(donor_email) = LOWER($1))"
    )
    .bind(email)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// The donations that name the address, oldest first.
pub async fn donations_of(db: &Db, email: &str) -> DbResult<Vec<DonationFull>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as::<_, DonationFull>(
        "SELECT id, campaign_id, amount_minor, currency, rate, campaign_amount_minor, cover_minor, donor_name, \
         donor_email, message, visibility, provider, provider_reference, status, received_on, \
         note, created_at, rate_on FROM donations WHERE LOWER(donor_email) = LOWER($1) \
         ORDER BY created_at, id"
    )
    .bind(email)
    .fetch_all(p)
    .await?
    }))
}

/// A checkout as a data request lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CheckoutData {
    pub id: String,
    pub campaign_id: String,
    pub provider: String,
    pub amount_minor: i64,
    pub currency: String,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub message: Option<String>,
    pub visibility: String,
    pub status: String,
    pub donation_id: Option<String>,
    pub wants_news: bool,
    pub created_at: DateTime<Utc>,
}

/// The checkouts that name the address, oldest first.
pub async fn checkouts_of(db: &Db, email: &str) -> DbResult<Vec<CheckoutData>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, CheckoutData>(
        "SELECT id, campaign_id, provider, amount_minor, currency, donor_name, donor_email, \
         message, visibility, status, donation_id, wants_news, created_at \
         FROM checkout_sessions WHERE LOWER(donor_email) = LOWER($1) ORDER BY created_at, id"
    )
    .bind(email)
    .fetch_all(p)
    .await?))
}

/// A receipt of one of the address's donations.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReceiptData {
    pub donation_id: String,
    pub campaign_id: String,
    pub number: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn receipts_of(db: &Db, email: &str) -> DbResult<Vec<ReceiptData>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as::<_, ReceiptData>(
        "SELECT r.donation_id, r.campaign_id, r.number, r.created_at FROM receipts r \
         JOIN donations d ON d.id = r.donation_id WHERE LOWER(d.donor_email) = LOWER($1) ORDER BY r.created_at, r.number"
    )
    .bind(email)
    .fetch_all(p)
    .await?
    }))
}

/// A pledge fulfilled by one of the address's donations.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PledgeData {
    pub id: String,
    pub campaign_id: String,
    pub pledger: String,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_on: Option<NaiveDate>,
    pub status: String,
    pub donation_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn pledges_of(db: &Db, email: &str) -> DbResult<Vec<PledgeData>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, PledgeData>(
        "SELECT p.id, p.campaign_id, p.pledger, p.amount_minor, p.currency, p.expected_on, \
         p.status, p.donation_id, p.created_at FROM pledges p \
         JOIN donations d ON d.id = p.donation_id \
         WHERE LOWER(d.donor_email) = LOWER($1) ORDER BY p.created_at, p.id"
    )
    .bind(email)
    .fetch_all(p)
    .await?))
}

/// What an erasure changed, row counts per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub donations: u64,
    pub sessions: u64,
    pub pledges: u64,
}

/// Replaces the address's personal data with `pseudonym`, inside `tx`: a fulfilled pledge's
/// pledger name (first, while its donation still names the address), the donations' name,
/// address and message (shown as anonymous on the wall from now on, `erased_at` set) and the
/// checkouts' name, address, message and client hash.
pub async fn erase_in(
    tx: &mut Tx,
    email: &str,
    pseudonym: &str,
    now: DateTime<Utc>,
) -> DbResult<Erased> {
    let pledges = on_tx!(tx, |c| sqlx::query(
        "UPDATE pledges SET pledger = $2 WHERE donation_id IN \
         (SELECT id FROM donations WHERE LOWER(donor_email) = LOWER($1))"
    )
    .bind(email)
    .bind(pseudonym)
    .execute(&mut *c)
    .await?
    .rows_affected());
    let donations = on_tx!(tx, |c| sqlx::query(
        "UPDATE donations SET donor_name = $2, donor_email = NULL, message = NULL, \
         visibility = CASE WHEN visibility = 'private' THEN 'private' ELSE 'anonymous' END, \
         erased_at = $3 WHERE LOWER(donor_email) = LOWER($1)"
    )
    .bind(email)
    .bind(pseudonym)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    let sessions = on_tx!(tx, |c| sqlx::query(
        "UPDATE checkout_sessions SET donor_name = $2, donor_email = NULL, message = NULL, \
         client_hash = NULL, visibility = CASE WHEN visibility = 'private' THEN 'private' \
         ELSE 'anonymous' END WHERE LOWER(donor_email) = LOWER($1)"
    )
    .bind(email)
    .bind(pseudonym)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(Erased {
        donations,
        sessions,
        pledges,
    })
}

/// Whether the donation's donor data was erased.
pub async fn is_erased_in(tx: &mut Tx, donation_id: &str) -> DbResult<bool> {
    let at: Option<Option<DateTime<Utc>>> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT erased_at FROM donations WHERE id = $1"
    )
    .bind(donation_id)
    .fetch_optional(&mut *c)
    .await?);
    Ok(matches!(at, Some(Some(_))))
}
