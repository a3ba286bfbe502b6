// SPDX-License-Identifier: AGPL-3.0-or-later

//! `Money::parse_major` and `Money::parse_localized` (every language's number style) on any
//! text, for a zero-, two- and three-decimal currency: on `Ok` the amount is positive and at
//! most 10^15 minor units, `major_string()` parses back to the same value with
//! `parse_major`, and the amount formatted for each language parses back to it with
//! `parse_localized`; an ambiguous reading names two different amounts. Formatting the
//! result never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::money::{
    CurrencyCode, LANGUAGES, Money, MoneyError, NumberFormat, format_money, format_number,
};

const CURRENCIES: [&str; 4] = ["GBP", "JPY", "KWD", "EUR"];

fn check(text: &str, code: &str, m: Money) {
    let cur = m.currency;
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
    for lang in LANGUAGES {
        let style = NumberFormat::of(lang);
        for shown in [format_money(m, lang), format_number(m, lang)] {
            assert_eq!(
                Money::parse_localized(&shown, cur, style),
                Ok(m),
                "{text:?} {code}: {shown:?} in {lang} does not parse back"
            );
        }
    }
    for lang in ["en", "de", "fr", "hi", "xx"] {
        let _ = format_money(m, lang);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for code in CURRENCIES {
        let cur = CurrencyCode::parse(code).expect("known currency");
        if let Ok(m) = Money::parse_major(text, cur) {
            assert_eq!(m.currency, cur, "{text:?} {code}");
            check(text, code, m);
        }
        for lang in LANGUAGES {
            match Money::parse_localized(text, cur, NumberFormat::of(lang)) {
                Ok(m) => {
                    assert_eq!(m.currency, cur, "{text:?} {code} {lang}");
                    check(text, code, m);
                }
                Err(MoneyError::Ambiguous { small, large }) => {
                    assert!(
                        small.amount_minor < large.amount_minor,
                        "{text:?} {code} {lang}"
                    );
                    check(text, code, small);
                    check(text, code, large);
                }
                Err(_) => {}
            }
        }
    }
});
