//! Shelfraiser: a self-hosted home for a library cause.
//!
//! Capabilities (campaigns, donations, rates) sit beside the infrastructure (db, http, i18n,
//! live, config). `ARCHITECTURE.md` at the repository root is the map.

pub mod blocking;
pub mod blog;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod donations;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod rates;
pub mod render;
pub mod server;
pub mod team;

// The pure input formats (parsers and renderers of hostile input, fuzzed in fuzz/) live in
// the `shelfraiser-formats` crate (crates/formats); their old paths stay.
pub use shelfraiser_formats::{email, markdown, money};
