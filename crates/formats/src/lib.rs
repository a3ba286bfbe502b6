// SPDX-License-Identifier: AGPL-3.0-or-later

//! Shelfraiser's input formats: pure parsers and renderers of hostile input.
//!
//! Everything here takes bytes or text (and, where time matters, "now" as an argument) and
//! returns values or errors: no I/O, no clock, no database, no async runtime. That keeps the
//! crate small enough for `cargo fuzz` to build it instrumented in a few minutes (fuzz/), and
//! keeps the rules for untrusted input in one place. The server (`shelfraiser`) re-exports
//! these modules under their old paths (`shelfraiser::money`, `shelfraiser::markdown`, …).
//!
//! | module | input |
//! | --- | --- |
//! | [`markdown`] | post and campaign bodies → sanitised HTML |
//! | [`money`] | amounts typed by donors, currency codes, conversion, display |
//! | [`email`] | e-mail addresses |
//! | [`ecb`] | the ECB reference-rate XML |
//! | [`csrf`] | signed form tokens |
//! | [`webhook`] | payment-provider callbacks: signature header and body |
//! | [`stripe`] | Stripe's webhook events and its amounts per currency |
//! | [`fees`] | fee rules, providers' fees and transaction lists (reconciliation) |
//! | [`wordpress`] | WordPress exports (WXR) and their post bodies |
//! | [`slug`] | URL slugs |
//! | [`http_signature`] | `Signature` and `Digest` headers of ActivityPub requests |
//! | [`message_signature`] | RFC 9421 `Signature-Input`, `Signature` and `Content-Digest` |
//! | [`activitypub`] | activities posted to an inbox |

pub mod activitypub;
pub mod csrf;
pub mod ecb;
pub mod email;
pub mod fees;
pub mod html;
pub mod http_signature;
pub mod markdown;
pub mod message_signature;
pub mod microformats;
pub mod money;
pub mod paypal;
pub mod permalink;
pub mod slug;
pub mod stripe;
pub mod webhook;
pub mod wordpress;
