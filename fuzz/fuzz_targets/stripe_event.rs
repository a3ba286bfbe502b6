// SPDX-License-Identifier: AGPL-3.0-or-later

//! `stripe::parse_event`, a Stripe webhook body (what `POST /providers/stripe/callback` reads
//! once its `Stripe-Signature` passed; the signature check is the `webhook` target's). The
//! input is the body.
//!
//! Invariants: never a panic; an accepted event has an id of 1–255 bytes; a checkout's
//! outcome names our checkout id (1–64 bytes), a refund, dispute or ignored event none; a
//! declined card its fingerprint (1–64 bytes) and attempt (1–255 bytes); a
//! success is a positive amount that Stripe's units give back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::stripe::{from_stripe_amount, parse_event, to_stripe_amount};
use shelfraiser_formats::webhook::{EventKind, MonthlyEvent};

fuzz_target!(|data: &[u8]| {
    let Ok(ev) = parse_event(data) else {
        return;
    };
    assert!(!ev.event_id.is_empty() && ev.event_id.len() <= 255);
    assert!(ev.session_id.len() <= 64);
    match &ev.kind {
        EventKind::Succeeded { amount, payment_reference } => {
            assert!(!ev.session_id.is_empty());
            assert!(amount.amount_minor > 0);
            assert!(!payment_reference.is_empty() && payment_reference.len() <= 255);
            let stripe = to_stripe_amount(*amount).expect("a parsed amount goes back to Stripe");
            assert_eq!(from_stripe_amount(stripe, amount.currency), Some(*amount));
        }
        EventKind::Declined | EventKind::Canceled | EventKind::Pending => {
            assert!(!ev.session_id.is_empty());
        }
        EventKind::Refunded {
            amount, refunds, ..
        } => {
            assert!(ev.session_id.is_empty());
            assert!(amount.amount_minor >= 0);
            for r in refunds {
                assert!(!r.id.is_empty() && r.id.len() <= 255);
                assert!(r.amount.amount_minor > 0);
            }
        }
        EventKind::Disputed { amount, .. } => {
            assert!(ev.session_id.is_empty());
            assert!(amount.amount_minor >= 0);
        }
        EventKind::CardDeclined { fingerprint, attempt } => {
            assert!(!fingerprint.is_empty() && fingerprint.len() <= 64);
            assert!(!attempt.is_empty() && attempt.len() <= 255);
        }
        EventKind::Ignored { kind } => {
            assert!(ev.session_id.is_empty());
            assert!(kind.chars().count() <= 64);
        }
        // A monthly gift's start names our checkout; its later events do not.
        EventKind::Monthly(MonthlyEvent::Started { amount, invoice, .. }) => {
            assert!(!ev.session_id.is_empty());
            assert!(amount.amount_minor > 0 && !invoice.is_empty() && invoice.len() <= 255);
        }
        EventKind::Monthly(MonthlyEvent::Paid { amount, invoice, .. }) => {
            assert!(ev.session_id.is_empty());
            assert!(amount.amount_minor > 0 && !invoice.is_empty() && invoice.len() <= 255);
        }
        EventKind::Monthly(MonthlyEvent::Status { status, .. }) => {
            assert!(ev.session_id.is_empty());
            assert!(!status.is_empty() && status.len() <= 32);
        }
        EventKind::Monthly(MonthlyEvent::PaymentFailed { .. }) => {
            assert!(ev.session_id.is_empty());
        }
    }
});
