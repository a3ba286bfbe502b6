//! The donations store: every SQL statement of the donations capability — on `donations`,
//! `ledger_entries` and the ledger's side of `campaign_totals` ([`ledger`]),
//! `checkout_sessions` ([`sessions`]), `provider_events` ([`events`]), `donation_voids` and
//! the reversing entries ([`voids`]), `donation_refunds` and the refund entries
//! ([`refunds`]), the donor wall's moderation (`donation_moderation` and
//! its setting, [`moderation`]) — and the donation search the console lists and exports
//! ([`search`]), with its totals per month and currency. (The treasurer alerts' claims are
//! site settings, `db::Db::claim_setting`.) The card-testing defence's `card_declines` and
//! `pow_spent`, and its count of checkouts per donor e-mail, are [`card_testing`]'s.

pub mod attribution;
pub mod card_testing;
pub mod consents;
pub mod events;
pub mod fees;
pub mod ledger;
pub mod moderation;
pub mod monthly;
pub mod pledges;
pub mod privacy;
pub mod receipts;
pub mod refunds;
pub mod search;
pub mod sessions;
pub mod voids;
