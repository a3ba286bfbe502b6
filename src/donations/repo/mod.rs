//! The donations store: every SQL statement of the donations capability — on `donations`,
//! `ledger_entries` and the ledger's side of `campaign_totals` ([`ledger`]),
//! `checkout_sessions` ([`sessions`]), `provider_events` ([`events`]), the treasurer
//! alerts' claim rows in `settings` ([`alerts`]), `donation_voids` and the reversing
//! entries ([`voids`]) — and the donation search the console lists and exports
//! ([`search`]), with its totals per month and currency.

pub mod alerts;
pub mod events;
pub mod ledger;
pub mod search;
pub mod sessions;
pub mod voids;
