//! The donations store: every SQL statement on the tables donations own — `donations`,
//! `ledger_entries` and the ledger's side of `campaign_totals` ([`ledger`]),
//! `checkout_sessions` ([`sessions`]), `provider_events` ([`events`]) — and the donation
//! search the console lists and exports ([`search`]).

pub mod events;
pub mod ledger;
pub mod search;
pub mod sessions;
