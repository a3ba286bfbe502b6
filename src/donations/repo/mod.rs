//! The donations store: every SQL statement of the donations capability — on `donations`,
//! `ledger_entries` and the ledger's side of `campaign_totals` ([`ledger`]),
//! `checkout_sessions` ([`sessions`]), `provider_events` ([`events`]), `donation_voids` and
//! the reversing entries ([`voids`]), the donor wall's moderation (`donation_moderation` and
//! its setting, [`moderation`]) — and the donation search the console lists and exports
//! ([`search`]), with its totals per month and currency. (The treasurer alerts' claims are
//! site settings, `db::Db::claim_setting`.)

pub mod events;
pub mod fees;
pub mod ledger;
pub mod moderation;
pub mod pledges;
pub mod receipts;
pub mod search;
pub mod sessions;
pub mod voids;
