// SPDX-License-Identifier: AGPL-3.0-or-later

//! `CsrfKey::verify` on any token text. The input is text: `NOW \n TOKEN` (NOW in unix
//! seconds), or just `TOKEN`, checked at 2024-06-28T08:00:00Z.
//!
//! Invariants: never a panic; a token the key made at "now" verifies at "now".
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::csrf::CsrfKey;

const NOW: i64 = 1_719_561_600;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (now, token) = match text.split_once('\n') {
        Some((n, t)) => match n.trim().parse::<i64>() {
            Ok(n) => (n, t),
            Err(_) => (NOW, text),
        },
        None => (NOW, text),
    };
    // Outside chrono's range there is no "now" to check against.
    let Some(now) = DateTime::from_timestamp(now, 0) else {
        return;
    };
    let key = CsrfKey::new("fuzz-site-key");
    let _ = key.verify(token, now);
    let good = key.token(now);
    assert!(
        key.verify(&good, now),
        "own token {good:?} refused at {now}"
    );
});
