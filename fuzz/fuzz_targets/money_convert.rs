// SPDX-License-Identifier: AGPL-3.0-or-later

//! `Money::convert` and `money::cross_rate` on arbitrary amounts and rates: never a panic
//! (errors are fine); a successful conversion is in the target currency, a same-currency
//! conversion is the identity, and the sign follows amount × rate.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use shelfraiser_formats::money::{CurrencyCode, Money, cross_rate, format_money};

#[derive(Debug, Arbitrary)]
struct Dec {
    lo: u32,
    mid: u32,
    hi: u32,
    negative: bool,
    scale: u8,
}

impl Dec {
    fn get(&self) -> Decimal {
        Decimal::from_parts(
            self.lo,
            self.mid,
            self.hi,
            self.negative,
            u32::from(self.scale) % (Decimal::MAX_SCALE + 1),
        )
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    amount: i64,
    other: i64,
    from: u8,
    to: u8,
    rate: Dec,
    from_per_eur: Dec,
    to_per_eur: Dec,
}

fuzz_target!(|input: Input| {
    let all: Vec<CurrencyCode> = CurrencyCode::all().collect();
    let from = all[usize::from(input.from) % all.len()];
    let to = all[usize::from(input.to) % all.len()];
    let m = Money::new(input.amount, from);
    let _ = m.major_string();
    let _ = format_money(m, "en");
    let _ = m.checked_add(Money::new(input.other, from));
    let _ = m.checked_add(Money::new(input.other, to));

    check_convert(m, input.rate.get(), to);

    let (a, b) = (input.from_per_eur.get(), input.to_per_eur.get());
    if let Some(r) = cross_rate(a, b) {
        assert!(
            a > Decimal::ZERO && b > Decimal::ZERO,
            "cross_rate({a}, {b}) = {r}"
        );
        assert!(r >= Decimal::ZERO, "cross_rate({a}, {b}) = {r} is negative");
        check_convert(m, r, to);
    }
});

fn check_convert(m: Money, rate: Decimal, to: CurrencyCode) {
    if let Ok(c) = m.convert(rate, to) {
        assert_eq!(c.currency, to, "{m:?} at {rate}");
        if to == m.currency {
            assert_eq!(c, m, "same-currency conversion changed the amount");
        } else if c.amount_minor != 0 {
            let positive = (m.amount_minor > 0) == (rate > Decimal::ZERO);
            assert_eq!(
                c.amount_minor > 0,
                positive,
                "{m:?} at {rate} to {to} gave {c:?}: wrong sign"
            );
        }
        let _ = c.major_string();
        let _ = format_money(c, "de");
    }
}
