//! What the donations capability holds about one e-mail address, and its erasure: the
//! donations, checkouts, receipts, fulfilled pledges and consents that name it
//! ([`records_of`]); [`erase_in`] replaces the personal data in each of them by a pseudonym
//! while every amount, ledger entry and total stays as it was (the ledger never names the
//! donor). `privacy` asks for both; the mail outbox is the mailer's.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::consents::{self, Consent};
use super::repo::privacy as store;
use crate::db::{Db, DbResult, Tx};

pub use store::{CheckoutData, Erased, PledgeData, ReceiptData};

/// A donation as a data request lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DonationData {
    pub id: String,
    pub campaign_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub campaign_amount_minor: i64,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub message: Option<String>,
    pub visibility: String,
    pub provider: String,
    pub provider_reference: String,
    pub created_at: DateTime<Utc>,
}

/// Everything the donations capability holds about one address.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DonorRecords {
    pub donations: Vec<DonationData>,
    pub checkouts: Vec<CheckoutData>,
    pub receipts: Vec<ReceiptData>,
    pub pledges: Vec<PledgeData>,
    pub consents: Vec<Consent>,
}

impl DonorRecords {
    pub fn is_empty(&self) -> bool {
        self.donations.is_empty()
            && self.checkouts.is_empty()
            && self.receipts.is_empty()
            && self.pledges.is_empty()
            && self.consents.is_empty()
    }
}

/// Whether anything names the address (a donation, a checkout or a consent).
pub async fn holds(db: &Db, email: &str) -> DbResult<bool> {
    Ok(store::holds(db, email).await? || !consents::of_email(db, email).await?.is_empty())
}

pub async fn records_of(db: &Db, email: &str) -> DbResult<DonorRecords> {
    let donations = store::donations_of(db, email)
        .await?
        .into_iter()
        .map(|d| DonationData {
            id: d.id,
            campaign_id: d.campaign_id,
            amount_minor: d.amount_minor,
            currency: d.currency,
            campaign_amount_minor: d.campaign_amount_minor,
            donor_name: d.donor_name,
            donor_email: d.donor_email,
            message: d.message,
            visibility: d.visibility.as_str().to_string(),
            provider: d.provider,
            provider_reference: d.provider_reference,
            created_at: d.created_at,
        })
        .collect();
    Ok(DonorRecords {
        donations,
        checkouts: store::checkouts_of(db, email).await?,
        receipts: store::receipts_of(db, email).await?,
        pledges: store::pledges_of(db, email).await?,
        consents: consents::of_email(db, email).await?,
    })
}

/// What an erasure changed in the donations capability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErasedAll {
    pub rows: Erased,
    pub consents: u64,
}

/// Replaces the address's personal data by `pseudonym` inside `tx` (see the module).
pub async fn erase_in(
    tx: &mut Tx,
    email: &str,
    pseudonym: &str,
    now: DateTime<Utc>,
) -> DbResult<ErasedAll> {
    let rows = store::erase_in(tx, email, pseudonym, now).await?;
    let consents = consents::erase_in(tx, email, pseudonym, now).await?;
    Ok(ErasedAll { rows, consents })
}
