//! Voiding a mistaken offline entry (`shelfraiser donation void`, and the console's "Void"
//! button on a donation's page, treasurers only).
//!
//! The ledger stays append-only: a void appends an `adjustment` entry of the negative amount
//! and one donor less, linked to the donation, with the reason as its memo; takes the same
//! out of `campaign_totals`; marks the donation voided (`donation_voids`, so the wall hides it
//! and the console shows "voided" with the reason); tells the live hub; and writes the
//! `donation.voided` audit entry — all in one transaction. So `ledger verify` still finds the
//! totals equal to the sum of the entries. A donation is voided at most once, and only an
//! offline one: a provider's payment is refunded through the provider (a later step), not
//! voided here. A funded campaign stays funded.

use chrono::{DateTime, Utc};

use super::offline::PROVIDER;
use super::repo::voids as store;
use crate::db::{Db, DbError};
use crate::team::audit::{self, Actor};

pub use store::VoidRow;

/// Longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a void was refused.
#[derive(Debug, thiserror::Error)]
pub enum VoidError {
    #[error("no donation {0}")]
    NotFound(String),
    #[error("the donation was already voided on {} ({reason})", at.format("%Y-%m-%d"))]
    AlreadyVoided { at: DateTime<Utc>, reason: String },
    #[error(
        "only offline donations can be voided; a {provider} payment is refunded through its provider"
    )]
    NotOffline { provider: String },
    #[error("give a reason")]
    NoReason,
    /// Money of it was refunded: the gift was real (refunds are its record).
    #[error("the donation has refunds: it was given, so it cannot be voided")]
    Refunded,
    #[error("the reason is longer than {0} characters")]
    ReasonTooLong(usize),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A void done: the campaign, its raised amount and totals version after it, the amount taken
/// back (minor units of the campaign currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voided {
    pub campaign_id: String,
    pub raised_minor: i64,
    pub version: i64,
    pub amount_minor: i64,
}

/// Voids the offline donation `donation_id` for `reason` (see the module's rules).
pub async fn void(
    db: &Db,
    donation_id: &str,
    reason: &str,
    by: &Actor,
) -> Result<Voided, VoidError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(VoidError::NoReason);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(VoidError::ReasonTooLong(MAX_REASON_CHARS));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let d = store::target_in(&mut tx, donation_id)
        .await?
        .ok_or_else(|| VoidError::NotFound(donation_id.to_string()))?;
    if d.provider != PROVIDER {
        return Err(VoidError::NotOffline {
            provider: d.provider,
        });
    }
    if let Some(v) = store::of_in(&mut tx, &d.id).await? {
        return Err(VoidError::AlreadyVoided {
            at: v.created_at,
            reason: v.reason,
        });
    }
    if !super::repo::refunds::of_donation_in(&mut tx, &d.id)
        .await?
        .is_empty()
    {
        // Money went back: the gift was real; a void would take it back twice.
        return Err(VoidError::Refunded);
    }
    let amount = d.campaign_amount_minor;
    let entry_id =
        store::insert_reversal_in(&mut tx, &d.campaign_id, &d.id, amount, reason, now).await?;
    let row = VoidRow {
        donation_id: d.id.clone(),
        entry_id,
        reason: reason.to_string(),
        actor: by.label.clone(),
        created_at: now,
    };
    if !store::insert_in(&mut tx, &row).await? {
        // Voided by someone else between our read and our write (PostgreSQL); ours rolls back.
        let v = store::of_in(&mut tx, &d.id).await?;
        return Err(VoidError::AlreadyVoided {
            at: v.as_ref().map_or(now, |v| v.created_at),
            reason: v.map(|v| v.reason).unwrap_or_default(),
        });
    }
    let (raised_minor, version) =
        super::repo::ledger::subtract_from_totals_in(&mut tx, &d.campaign_id, amount, now).await?;
    crate::live::notify(&mut tx, &d.campaign_id).await?;
    let slug = crate::campaigns::repo::by_id_in(&mut tx, &d.campaign_id)
        .await?
        .map(|c| c.slug.to_string())
        .unwrap_or_default();
    audit::record_in(
        &mut tx,
        by,
        "donation.voided",
        &d.id,
        &format!("campaign={slug} reversed_minor={amount} reason={reason}"),
    )
    .await?;
    tx.commit().await?;
    Ok(Voided {
        campaign_id: d.campaign_id,
        raised_minor,
        version,
        amount_minor: amount,
    })
}

/// The void of a donation, if it was voided.
pub async fn of(db: &Db, donation_id: &str) -> Result<Option<VoidRow>, DbError> {
    store::of(db, donation_id).await
}
