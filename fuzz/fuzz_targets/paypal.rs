// SPDX-License-Identifier: AGPL-3.0-or-later

//! PayPal's shapes (`shelfraiser_formats::paypal`): the webhook body the server reads on every
//! `POST /providers/paypal/callback`, and the Orders API's answers (created order, capture).
//! The input is the body as it is.
//!
//! Invariants: never a panic; an event that reads has an id of 1–255 bytes, and one that
//! names a checkout names one of 1–64 bytes with a positive amount; a created order's
//! approval link is https (or a loopback test server); a capture's amount is positive and
//! every amount read is written back as PayPal would take it, then read again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::webhook::EventKind;
use shelfraiser_formats::paypal::{
    amount_value, parse_amount, parse_capture, parse_created_order, parse_webhook,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = parse_webhook(data) {
        assert!(!ev.id.is_empty() && ev.id.len() <= 255);
        let p = ev.to_parsed();
        let names_session = matches!(p.kind, EventKind::Succeeded { .. } | EventKind::Declined);
        assert_eq!(names_session, !p.session_id.is_empty());
        assert!(p.session_id.len() <= 64);
    }
    if let Ok(o) = parse_created_order(data) {
        assert!(o.approve_url.starts_with("https://") || o.approve_url.starts_with("http://"));
    }
    if let Ok(c) = parse_capture(data) {
        assert!(c.amount.amount_minor > 0);
        if let Ok(v) = amount_value(c.amount) {
            assert_eq!(parse_amount(c.amount.currency.as_str(), &v), Ok(c.amount));
        }
    }
});
