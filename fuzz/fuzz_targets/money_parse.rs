// SPDX-License-Identifier: AGPL-3.0-or-later

//! `Money::parse_major` on any text, for a zero-, two- and three-decimal currency: on `Ok` the
//! amount is positive and at most 10^15 minor units, and `major_string()` parses back to the
//! same value. Formatting the result never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::money::{CurrencyCode, Money, format_money};

const CURRENCIES: [&str; 4] = ["GBP", "JPY", "KWD", "EUR"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for code in CURRENCIES {
        let cur = CurrencyCode::parse(code).expect("known currency");
        let Ok(m) = Money::parse_major(text, cur) else {
            continue;
        };
        assert_eq!(m.currency, cur, "{text:?} {code}");
        assert!(m.amount_minor > 0, "{text:?} {code} parsed to {m:?}");
        assert!(
            m.amount_minor <= 1_000_000_000_000_000,
            "{text:?} {code} parsed to {m:?}"
        );
        let s = m.major_string();
        assert_eq!(
            Money::parse_major(&s, cur),
            Ok(m),
            "{text:?} {code}: major_string {s:?} does not parse back"
        );
        for lang in ["en", "de", "fr", "hi", "xx"] {
            let _ = format_money(m, lang);
        }
    }
});
