//! The ledger: append-only entries, with campaign totals kept in the same transaction.
//!
//! Invariants (checked by `shelfraiser ledger verify` and by the tests):
//! * `campaign_totals.raised_minor` = Σ `ledger_entries.amount_minor` for the campaign;
//!   `donor_count` = Σ `donor_delta`; `entry_count` = number of entries.
//! * Every donation has exactly one `donation` entry, for its `campaign_amount_minor`; a
//!   voided one also has one `adjustment` entry taking it back exactly (`donations::voids`);
//!   its `refund` entries (`donations::refunds`) never take back more than it, and each
//!   succeeded refund has its entry of its amount.
//! * Fee entries (kind `fee`, `donations::fees`) are summed apart: raised = Σ of the
//!   `donation`, `refund` and `adjustment` entries (gross), `entry_count` counts those; each
//!   fee names a donation of its own campaign, is not positive, and is its donation's only one.
//! * Nothing is updated or deleted: a database trigger refuses it on both backends.
//! * One donation per (provider, provider reference): a replayed callback records nothing.
//!
//! The ledger only records: whether a campaign is now funded is the campaigns' decision,
//! taken in the same transaction by the donation flow ([`crate::donations::record_in`]).
//! Its SQL is in the store (`donations::repo::ledger`).

use chrono::{NaiveDate, Utc};

use super::Intent;
use super::repo::ledger as store;
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, DbResult, Tx};

pub use super::repo::ledger::{DonationRow, has_money, has_money_in};

/// A donation to record: the donor's intent and where the money came from.
#[derive(Debug, Clone)]
pub struct NewDonation {
    pub intent: Intent,
    pub provider: String,
    pub provider_reference: String,
    pub received_on: Option<NaiveDate>,
    /// The day of the ECB reference rate the amount was converted at (offline gifts: the rate
    /// of the day received); `None` when no conversion was needed.
    pub rate_on: Option<NaiveDate>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new donation; the campaign's raised amount and totals version after it.
    New {
        donation_id: String,
        version: i64,
        raised_minor: i64,
    },
    Duplicate {
        donation_id: String,
    },
}

impl Recorded {
    pub fn donation_id(&self) -> &str {
        match self {
            Recorded::New { donation_id, .. } | Recorded::Duplicate { donation_id } => donation_id,
        }
    }
}

/// Whether a donation counts a donor (`donor_delta` of its entry): every gift does but a
/// monthly gift's renewal, whose donor was counted by the first month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Donor {
    New,
    AlreadyCounted,
}

impl Donor {
    pub fn delta(self) -> i64 {
        match self {
            Donor::New => 1,
            Donor::AlreadyCounted => 0,
        }
    }
}

/// Appends a donation inside `tx`: the donation row, its ledger entry and the totals.
/// Idempotent on the provider reference.
pub async fn append_in(tx: &mut Tx, d: &NewDonation) -> DbResult<Recorded> {
    append_counted_in(tx, d, Donor::New).await
}

/// [`append_in`], the entry counting the donor or not (`donor`).
pub async fn append_counted_in(tx: &mut Tx, d: &NewDonation, donor: Donor) -> DbResult<Recorded> {
    let now = Utc::now();
    let id = uuid::Uuid::new_v4().to_string();
    let campaign_id = &d.intent.campaign_id;
    if !store::insert_donation_in(tx, &id, d, now).await? {
        let (existing, campaign) =
            store::by_reference_in(tx, &d.provider, &d.provider_reference).await?;
        // Never hand out another campaign's donation (its id opens its thanks page).
        if &campaign != campaign_id {
            return Err(DbError::Corrupt(format!(
                "the {} reference is already used by a donation of another campaign",
                d.provider
            )));
        }
        return Ok(Recorded::Duplicate {
            donation_id: existing,
        });
    }
    let amount = d.intent.campaign_amount.amount_minor;
    store::insert_entry_in(tx, campaign_id, &id, amount, donor.delta(), now).await?;
    let (raised_minor, version) =
        store::add_to_totals_in(tx, campaign_id, amount, donor.delta(), now).await?;
    Ok(Recorded::New {
        donation_id: id,
        version,
        raised_minor,
    })
}

pub async fn donation(db: &Db, id: &str) -> DbResult<Option<DonationRow>> {
    store::donation(db, id).await
}

/// Newest donations that appear on the donor wall (public and anonymous), `offset` for paging.
pub async fn wall(db: &Db, c: &Campaign, limit: i64, offset: i64) -> DbResult<Vec<DonationRow>> {
    store::wall(db, &c.id, limit, offset).await
}

pub async fn wall_count(db: &Db, c: &Campaign) -> DbResult<i64> {
    store::wall_count(db, &c.id).await
}

/// A difference between the ledger and what the site shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub campaign: String,
    pub what: String,
    pub shown: i64,
    pub ledger: i64,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "campaign {}: {} shows {} but the ledger says {}",
            self.campaign, self.what, self.shown, self.ledger
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub campaigns: usize,
    pub entries: i64,
    pub mismatches: Vec<Mismatch>,
}

/// Recomputes every total from the ledger and compares it with the totals the pages and the
/// API show; also checks that every donation has exactly one matching ledger entry, and that
/// every void's entry takes its donation back exactly.
pub async fn verify(db: &Db) -> DbResult<VerifyReport> {
    let rows = store::totals_against_entries(db).await?;
    let mut report = VerifyReport {
        campaigns: rows.len(),
        ..Default::default()
    };
    for r in rows {
        report.entries += r.l_entries;
        for (what, shown, ledger) in [
            ("raised (minor units)", r.raised_minor, r.l_raised),
            ("donor count", r.donor_count, r.l_donors),
            ("entry count", r.entry_count, r.l_entries),
        ] {
            if shown != ledger {
                report.mismatches.push(Mismatch {
                    campaign: r.slug.clone(),
                    what: what.into(),
                    shown,
                    ledger,
                });
            }
        }
    }
    for (slug, id, amount, entered) in store::donations_without_one_entry(db).await? {
        report.mismatches.push(Mismatch {
            campaign: slug,
            what: format!("donation {id}"),
            shown: amount,
            ledger: entered,
        });
    }
    for (slug, id, amount, reversed) in super::repo::voids::not_reversing(db).await? {
        report.mismatches.push(Mismatch {
            campaign: slug,
            what: format!("void of donation {id}"),
            shown: -amount,
            ledger: reversed,
        });
    }
    for (campaign, id, amount, refunded) in super::repo::refunds::not_matching(db).await? {
        report.mismatches.push(Mismatch {
            campaign,
            what: format!("refunds of donation {id}"),
            shown: amount,
            ledger: refunded,
        });
    }
    for (id, campaign, why) in super::repo::fees::broken(db).await? {
        report.mismatches.push(Mismatch {
            campaign,
            what: format!("fee entry {id} {why}"),
            shown: 0,
            ledger: 0,
        });
    }
    Ok(report)
}
