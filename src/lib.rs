//! Shelfraiser: a self-hosted home for a library cause.
//!
//! Four layers, each using only itself and those below (`ARCHITECTURE.md`, "Layers";
//! `tests/layers.rs` checks it):
//!
//! * the application (`app`): router, access table, server, command line, demo;
//! * the capabilities (`campaigns`, `donations`, `blog`, `team`, `console`, `import`,
//!   `rates`, `media`, `revisions`, `privacy`, `federation`), each with its domain types and functions, its store and its handlers;
//! * the shared web layer (`web`): page chrome, forms, error pages, request extractors;
//! * the infrastructure (`db`, `http`, `jobs`, `mail`, `live`, `i18n`, `config`, `render`,
//!   `blocking`, `payments`, `passwords`, `outbound`).

pub mod app;
pub mod backup;
pub mod blocking;
pub mod blog;
pub mod campaigns;
pub mod config;
pub mod console;
pub mod db;
pub mod donations;
pub mod federation;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod media;
pub mod outbound;
pub mod passwords;
pub mod payments;
pub mod privacy;
pub mod promotion;
pub mod rates;
pub mod render;
pub mod revisions;
pub mod signing;
pub mod team;
pub mod web;
pub mod webmention;

// The application's entry points keep their short paths for the binary and the tests.
pub use app::{cli, demo, server};

// The pure input formats (parsers and renderers of hostile input, fuzzed in fuzz/) live in
// the `shelfraiser-formats` crate (crates/formats); their old paths stay.
pub use shelfraiser_formats::{email, markdown, money};
