//! The donations store: every SQL statement of the donations capability — on `donations`,
//! `ledger_entries` and the ledger's side of `campaign_totals` ([`ledger`]),
//! `checkout_sessions` ([`sessions`]), `provider_events` ([`events`]), the treasurer
//! alerts' claim rows in `settings` ([`alerts`]), the donor wall's moderation
//! (`donation_moderation` and its setting, [`moderation`]) — and the donation search the
//! console lists and exports ([`search`]).

pub mod alerts;
pub mod events;
pub mod ledger;
pub mod moderation;
pub mod search;
pub mod sessions;
