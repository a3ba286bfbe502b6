//! Shelfraiser: a self-hosted home for a library cause.
//!
//! Capabilities (campaigns, donations, rates) sit beside the infrastructure (db, http, i18n,
//! live, config). `ARCHITECTURE.md` at the repository root is the map.

pub mod blog;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod donations;
pub mod email;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod markdown;
pub mod money;
pub mod rates;
pub mod server;
pub mod team;
