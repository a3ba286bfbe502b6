// SPDX-License-Identifier: AGPL-3.0-or-later

//! Exact money: an integer number of minor units plus an ISO 4217 currency.
//!
//! * Amounts are `i64` minor units (pence, cents, øre, fils). Never `f64`.
//! * Exchange rates are [`rust_decimal::Decimal`]s.
//! * **Rounding rule**: a converted amount is rounded *half to even* (banker's rounding) to the
//!   target currency's minor unit, once, at the end of the conversion. The rate used is stored
//!   with the donation so the conversion can be reproduced exactly.

mod format;
mod parse;
mod region;

pub use format::{
    LANGUAGES, NumberFormat, format_decimal, format_money, format_money_full, format_number,
};
pub use region::currency_of_region;

use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// ISO 4217 codes Shelfraiser knows, with their minor-unit exponent.
/// Covers every currency in the ECB reference rates plus common zero- and three-decimal ones.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("UGX", 0),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// A known ISO 4217 currency code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not a currency code we know (use ISO 4217, like GBP or EUR)")]
    UnknownCurrency(String),
    #[error("enter an amount, like 25 or 25.50")]
    Empty,
    #[error("{0:?} is not an amount; use digits and at most one decimal point")]
    NotANumber(String),
    /// Typed by a person, the amount reads two ways: the page's decimal separator followed
    /// by three digits (`1.000` on an English page) may be the other convention's thousands.
    #[error("the amount could be {small:?} or {large:?}")]
    Ambiguous { small: Money, large: Money },
    #[error("{currency} has at most {exponent} decimal places")]
    TooManyDecimals {
        currency: CurrencyCode,
        exponent: u8,
    },
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("the amount is too large")]
    TooLarge,
    #[error("no exchange rate from {from} to {to} is known yet")]
    NoRate {
        from: CurrencyCode,
        to: CurrencyCode,
    },
    #[error("cannot add {0} to {1}")]
    CurrencyMismatch(CurrencyCode, CurrencyCode),
}

impl CurrencyCode {
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let up = s.trim().to_ascii_uppercase();
        if CURRENCIES.iter().any(|(c, _)| *c == up) {
            let b = up.as_bytes();
            Ok(CurrencyCode([b[0], b[1], b[2]]))
        } else {
            Err(MoneyError::UnknownCurrency(s.chars().take(12).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII table entries.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in this currency (JPY 0, GBP 2, KWD 3).
    pub fn exponent(&self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map(|(_, e)| *e)
            .unwrap_or(2)
    }

    pub fn all() -> impl Iterator<Item = CurrencyCode> {
        CURRENCIES
            .iter()
            .filter_map(|(c, _)| CurrencyCode::parse(c).ok())
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl TryFrom<String> for CurrencyCode {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CurrencyCode::parse(&s)
    }
}
impl From<CurrencyCode> for String {
    fn from(c: CurrencyCode) -> String {
        c.as_str().to_string()
    }
}

/// An amount of money: integer minor units of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// The amount in the currency's minor unit (pence for GBP, yen for JPY).
    pub amount_minor: i64,
    /// ISO 4217 code.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "GBP"))]
    pub currency: CurrencyCode,
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.major_string(), self.currency)
    }
}

/// Largest amount we ever parse: keeps every product of amount × rate far inside `i64`.
pub(crate) const MAX_MINOR: i64 = 1_000_000_000_000_000;

impl Money {
    pub fn new(amount_minor: i64, currency: CurrencyCode) -> Self {
        Money {
            amount_minor,
            currency,
        }
    }

    pub fn zero(currency: CurrencyCode) -> Self {
        Money::new(0, currency)
    }

    /// `1234.50`-style plain text of the amount in major units (no grouping, no symbol).
    pub fn major_string(&self) -> String {
        let exp = u32::from(self.currency.exponent());
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let p = 10_u64.pow(exp);
        format!(
            "{sign}{}.{:0width$}",
            abs / p,
            abs % p,
            width = exp as usize
        )
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::TooLarge)
    }

    /// Converts at `rate` (units of `to` per one unit of `self.currency`), rounding half to
    /// even to `to`'s minor unit.
    pub fn convert(self, rate: Decimal, to: CurrencyCode) -> Result<Money, MoneyError> {
        if to == self.currency {
            return Ok(self);
        }
        let from_exp = i32::from(self.currency.exponent());
        let to_exp = i32::from(to.exponent());
        let mut v = Decimal::from(self.amount_minor)
            .checked_mul(rate)
            .ok_or(MoneyError::TooLarge)?;
        let shift = to_exp - from_exp;
        let ten = Decimal::from(10);
        for _ in 0..shift.unsigned_abs() {
            v = if shift > 0 {
                v.checked_mul(ten)
            } else {
                v.checked_div(ten)
            }
            .ok_or(MoneyError::TooLarge)?;
        }
        let rounded = v.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
        let minor = rounded.to_i64().ok_or(MoneyError::TooLarge)?;
        Ok(Money::new(minor, to))
    }
}

/// Rate precision kept when a cross rate is derived and locked onto a donation: significant
/// digits, not decimal places, so a small rate (0.0000512 EUR per IDR) is as precise as a
/// large one (19,531.25 IDR per EUR). Relative error at most 5e-15: a round trip of
/// 10^13 minor units stays within one minor unit of the coarser currency.
pub const RATE_SIGNIFICANT_DIGITS: u32 = 15;

/// Units of `to` per unit of `from`, derived through EUR from per-EUR reference rates
/// (`to_per_eur / from_per_eur`), rounded half-even to [`RATE_SIGNIFICANT_DIGITS`]
/// significant digits.
pub fn cross_rate(from_per_eur: Decimal, to_per_eur: Decimal) -> Option<Decimal> {
    if from_per_eur <= Decimal::ZERO || to_per_eur <= Decimal::ZERO {
        return None;
    }
    to_per_eur
        .checked_div(from_per_eur)?
        .round_sf_with_strategy(
            RATE_SIGNIFICANT_DIGITS,
            RoundingStrategy::MidpointNearestEven,
        )
        .map(|r| r.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> CurrencyCode {
        CurrencyCode::parse(s).expect("known currency")
    }

    #[test]
    fn unknown_currency() {
        assert!(CurrencyCode::parse("XYZ").is_err());
        assert_eq!(c("gbp").as_str(), "GBP");
    }

    #[test]
    fn converts_half_even() {
        // 1.005 GBP-minor → rounds to even.
        let m = Money::new(1, c("USD"));
        assert_eq!(
            m.convert(Decimal::new(25, 1), c("GBP"))
                .map(|m| m.amount_minor),
            Ok(2)
        ); // 2.5 → 2
        assert_eq!(
            m.convert(Decimal::new(35, 1), c("GBP"))
                .map(|m| m.amount_minor),
            Ok(4)
        ); // 3.5 → 4
        // Exponent change: 1000 JPY at 0.005 GBP/JPY = 5.00 GBP = 500 pence.
        let y = Money::new(1000, c("JPY"));
        assert_eq!(
            y.convert(Decimal::new(5, 3), c("GBP"))
                .map(|m| m.amount_minor),
            Ok(500)
        );
        // 5.00 GBP at 200 JPY/GBP = 1000 JPY.
        let g = Money::new(500, c("GBP"));
        assert_eq!(
            g.convert(Decimal::from(200), c("JPY"))
                .map(|m| m.amount_minor),
            Ok(1000)
        );
    }

    #[test]
    fn major_string() {
        assert_eq!(Money::new(423050, c("GBP")).major_string(), "4230.50");
        assert_eq!(Money::new(5, c("GBP")).major_string(), "0.05");
        assert_eq!(Money::new(1000, c("JPY")).major_string(), "1000");
        assert_eq!(Money::new(1234, c("KWD")).major_string(), "1.234");
    }

    /// EUR → USD → EUR for per-EUR rates `a` and `b` with four decimals, like the ECB's:
    /// the back rate, the amount there, and the amount back.
    fn round_trip(minor: i64, a: u32, b: u32) -> (Decimal, Money, Money) {
        let ra = Decimal::new(i64::from(a), 4);
        let rb = Decimal::new(i64::from(b), 4);
        let there = cross_rate(ra, rb).expect("positive rates");
        let back = cross_rate(rb, ra).expect("positive rates");
        let converted = Money::new(minor, c("EUR"))
            .convert(there, c("USD"))
            .expect("fits");
        let again = converted.convert(back, c("EUR")).expect("fits");
        (back, converted, again)
    }

    /// Found by the round-trip property when cross rates kept ten decimal places: 0.0001 and
    /// 0.7791 per EUR make a cross rate of 7,791 and a back rate that rounding to ten places
    /// moved by 2.7e-11, which on 2,083,722,505.41 was 5.7 minor units. Significant digits
    /// keep the round trip exact here.
    #[test]
    fn far_apart_rates_round_trip() {
        let (_, converted, again) = round_trip(26_745_251, 1, 7791);
        assert_eq!(converted.amount_minor, 208_372_250_541);
        assert_eq!(again.amount_minor, 26_745_251);
    }

    proptest! {
        /// Amounts up to 100,000,000.00 between currencies whose per-EUR rates lie where the
        /// ECB's do (0.5 to 20,000, four decimals): there and back comes within one minor unit
        /// of the coarser currency — one minor unit when the target's unit is worth less,
        /// otherwise `ceil(back)` (one target unit in source units).
        #[test]
        fn conversion_roundtrips_within_one_minor_unit(minor in 1i64..10_000_000_000, a in 5_000u32..200_000_000, b in 5_000u32..200_000_000) {
            let (back, converted, again) = round_trip(minor, a, b);
            let tolerance = back.ceil().to_i64().unwrap_or(i64::MAX).max(1);
            prop_assert!((again.amount_minor - minor).abs() <= tolerance,
                "{} -> {} -> {} (tolerance {})", minor, converted.amount_minor, again.amount_minor, tolerance);
        }

        /// Any rates with four decimals (0.0001 to 500 per EUR): the round trip stays within
        /// the bound the rounding rules give. With `there·back = 1` exactly, each cross rate
        /// rounded to [`RATE_SIGNIFICANT_DIGITS`] (relative error ≤ 5e-15), and each
        /// conversion rounded to a whole minor unit (error ≤ 0.5):
        /// `|again − minor| ≤ minor·1e-14 + 0.5·back + 0.5` (plus a hair).
        #[test]
        fn conversion_roundtrips_within_the_rounding_bound(minor in 1i64..100_000_000, a in 1u32..5_000_000, b in 1u32..5_000_000) {
            let (back, converted, again) = round_trip(minor, a, b);
            let bound = Decimal::from(minor) * Decimal::new(1, 14)
                + back / Decimal::from(2)
                + Decimal::new(5, 1)
                + Decimal::new(1, 6);
            let tolerance = bound.floor().to_i64().unwrap_or(i64::MAX);
            prop_assert!((again.amount_minor - minor).abs() <= tolerance,
                "{} -> {} -> {} (tolerance {})", minor, converted.amount_minor, again.amount_minor, tolerance);
        }

        #[test]
        fn sums_are_exact(xs in prop::collection::vec(1i64..1_000_000_000, 0..200)) {
            let cur = c("GBP");
            let total = xs.iter().try_fold(Money::zero(cur), |acc, x| acc.checked_add(Money::new(*x, cur))).expect("fits");
            prop_assert_eq!(total.amount_minor, xs.iter().sum::<i64>());
        }
    }
}
