//! Donations: the append-only ledger, checkout sessions and payment providers.
//!
//! A donation flows: donate form → [`intent`] checks it into an [`Intent`] (amount, currency
//! and the exchange rate locked) → [`checkout`] opens a session for it → the provider's
//! hosted checkout → the provider's signed callback → [`callbacks`] verifies it →
//! [`record_in`] writes the donation, its ledger entry and the campaign totals
//! ([`ledger`]), lets the campaign decide whether it is now funded, in one transaction → the
//! live hub tells open pages. What the public donor wall shows of a donor's name and
//! message is [`moderation`]'s decision, kept apart from the ledger. Every SQL statement is
//! in the store, [`repo`].

pub mod alerts;
pub mod attribution;
pub mod callbacks;
pub mod card_testing;
pub mod challenge;
pub mod checkout;
pub mod consents;
pub mod fees;
pub mod intent;
pub mod ledger;
pub mod matching;
pub mod moderation;
pub mod monthly;
pub mod offline;
pub mod pages;
pub mod pledges;
pub mod privacy;
pub mod receipts;
pub mod reconcile;
pub mod recording;
pub mod refunds;
pub mod repo;
pub mod voids;

pub use intent::Intent;
pub use recording::{record, record_counted_in, record_in};

/// How often each node runs [`sweep`].
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// The donations' periodic chore (each node, every [`SWEEP_EVERY`]; tests call it with a
/// chosen time): queues the end of the monthly gifts of campaigns that closed or ended
/// (`monthly::closing`) and the check of refunds stuck as requested (`refunds::sweep`).
pub async fn sweep(
    db: &crate::db::Db,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::db::DbResult<()> {
    monthly::closing::sweep(db, now).await?;
    refunds::sweep(db, now).await?;
    Ok(())
}
pub use voids::void;

use serde::{Deserialize, Serialize};

/// Who may see a donation on the public donor wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Name and amount shown.
    Public,
    /// Amount shown, name hidden.
    Anonymous,
    /// Counted in the totals, not listed.
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Anonymous => "anonymous",
            Visibility::Private => "private",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        Some(match s {
            "public" => Visibility::Public,
            "anonymous" => Visibility::Anonymous,
            "private" => Visibility::Private,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored text that names no known value (a visibility or a status).
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// The store's edge: a stored `visibility` column.
impl TryFrom<String> for Visibility {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Visibility, UnknownValue> {
        Visibility::parse(&value).ok_or(UnknownValue {
            what: "visibility",
            value,
        })
    }
}

/// Where a recorded donation stands (the `donations.status` column). A donation row is
/// written only once its payment is taken, so `succeeded` is the one value stored; a refund
/// or a correction is a ledger entry, not a change of the row (the ledger is append-only).
/// A stored text outside this list is refused where the row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DonationStatus {
    /// Paid and recorded in the ledger.
    Succeeded,
}

impl DonationStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            DonationStatus::Succeeded => "succeeded",
        }
    }
    pub fn parse(s: &str) -> Option<DonationStatus> {
        Some(match s {
            "succeeded" => DonationStatus::Succeeded,
            _ => return None,
        })
    }
}

impl std::fmt::Display for DonationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The store's edge: a stored `donations.status` column.
impl TryFrom<String> for DonationStatus {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<DonationStatus, UnknownValue> {
        DonationStatus::parse(&value).ok_or(UnknownValue {
            what: "donation status",
            value,
        })
    }
}

/// Longest donor name and message accepted, in characters.
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_MESSAGE_CHARS: usize = 500;
pub const MAX_NOTE_CHARS: usize = 1000;

#[cfg(test)]
mod tests {
    use super::{DonationStatus, Visibility};

    #[test]
    fn donation_statuses_are_read_from_their_stored_text() {
        let s = DonationStatus::Succeeded;
        assert_eq!(s.as_str(), "succeeded");
        assert_eq!(DonationStatus::try_from(s.to_string()).ok(), Some(s));
        for bad in ["open", "refunded", "Succeeded", ""] {
            let e = DonationStatus::try_from(bad.to_string()).expect_err("unknown");
            assert_eq!(e.to_string(), format!("unknown donation status {bad:?}"));
        }
    }

    #[test]
    fn visibilities_are_read_from_their_stored_text() {
        for v in [
            Visibility::Public,
            Visibility::Anonymous,
            Visibility::Private,
        ] {
            assert_eq!(Visibility::try_from(v.to_string()).ok(), Some(v));
        }
        let e = Visibility::try_from("hidden".to_string()).expect_err("unknown");
        assert_eq!(e.to_string(), "unknown visibility \"hidden\"");
    }
}
