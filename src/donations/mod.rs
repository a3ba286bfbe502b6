//! Donations: the append-only ledger, checkout sessions and payment providers.
//!
//! A donation flows: donate form → [`checkout`] opens a session (amount, currency and the
//! exchange rate locked) → the provider's hosted checkout → the provider's signed callback →
//! [`callbacks`] verifies it → [`ledger::record`] writes the donation, its ledger entry and the
//! campaign totals in one transaction → the live hub tells open pages.

pub mod alerts;
pub mod callbacks;
pub mod checkout;
pub mod ledger;
pub mod offline;
pub mod pages;

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

/// Longest donor name and message accepted, in characters.
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_MESSAGE_CHARS: usize = 500;
pub const MAX_NOTE_CHARS: usize = 1000;
