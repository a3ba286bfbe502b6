// SPDX-License-Identifier: AGPL-3.0-or-later

//! The providers' fee and transaction answers (`shelfraiser_formats::fees`): Stripe's payment
//! intent with its balance transaction and its balance transaction list, PayPal's capture
//! and its transaction search, as the fee job and `ledger reconcile` read them. The input is
//! the body as it is.
//!
//! Invariants: never a panic; a fee read is never negative; a Stripe payment's amount is not
//! negative and a refund's not positive.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::fees::{
    TxnKind, paypal_capture_fee, paypal_transactions_page, stripe_balance_page,
    stripe_intent_fee,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = stripe_intent_fee(data) {
        assert!(f.fee.amount_minor >= 0);
    }
    if let Ok(f) = paypal_capture_fee(data) {
        assert!(f.fee.amount_minor >= 0);
    }
    if let Ok((txns, _)) = stripe_balance_page(data) {
        for t in txns {
            assert!(t.fee.is_none_or(|f| f.amount_minor >= 0));
        }
    }
    if let Ok((txns, _)) = paypal_transactions_page(data) {
        for t in txns {
            assert!(t.fee.is_none_or(|f| f.amount_minor >= 0));
            let _ = t.kind == TxnKind::Other;
        }
    }
});
