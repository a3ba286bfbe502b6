//! The team's store: every query on the team's tables (members and grants, sessions,
//! one-time links, two-factor state and recovery codes, API tokens, passkeys, known devices
//! and the audit log). The rest of the team calls these functions; other capabilities use
//! the member functions re-exported here (`team::repo::by_id`, …). The login throttle keeps
//! its own tables and queries (`team::throttle`).

pub mod audit;
pub mod devices;
pub mod links;
mod members;
pub mod passkeys;
pub mod sessions;
pub mod tokens;
pub mod totp;

pub use members::*;
