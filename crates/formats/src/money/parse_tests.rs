// SPDX-License-Identifier: AGPL-3.0-or-later

//! Reading amounts: the machine rule, the examples and the properties of the typed
//! rule over every language and currency.

use proptest::prelude::*;

use super::super::format::{
    LANGUAGES, NumberFormat, format_money, format_money_full, format_number,
};
use super::super::{CurrencyCode, Money, MoneyError};
use super::read;

fn c(s: &str) -> CurrencyCode {
    CurrencyCode::parse(s).expect("known currency")
}

fn minor(r: Result<Money, MoneyError>) -> Result<i64, MoneyError> {
    r.map(|m| m.amount_minor)
}

#[test]
fn parses_major_amounts() {
    assert_eq!(minor(Money::parse_major("25", c("GBP"))), Ok(2500));
    assert_eq!(minor(Money::parse_major("25.5", c("GBP"))), Ok(2550));
    assert_eq!(minor(Money::parse_major("+7.25", c("GBP"))), Ok(725));
    assert_eq!(minor(Money::parse_major("1000", c("JPY"))), Ok(1000));
    assert_eq!(minor(Money::parse_major("1.234", c("KWD"))), Ok(1234));
    assert_eq!(minor(Money::parse_major(".5", c("EUR"))), Ok(50));
    assert_eq!(minor(Money::parse_major("10.00", c("JPY"))), Ok(10));
}

#[test]
fn rejects_bad_major_amounts() {
    assert_eq!(Money::parse_major("", c("GBP")), Err(MoneyError::Empty));
    assert_eq!(
        Money::parse_major("0", c("GBP")),
        Err(MoneyError::NotPositive)
    );
    assert_eq!(
        Money::parse_major("-5", c("GBP")),
        Err(MoneyError::NotPositive)
    );
    assert!(matches!(
        Money::parse_major("1.234", c("GBP")),
        Err(MoneyError::TooManyDecimals { .. })
    ));
    assert!(matches!(
        Money::parse_major("1.5", c("JPY")),
        Err(MoneyError::TooManyDecimals { .. })
    ));
    for bad in [
        "abc", "1e5", "1.2.3", "NaN", ".", "25,50", "25,000", "1 000", "£25",
    ] {
        assert!(
            matches!(
                Money::parse_major(bad, c("GBP")),
                Err(MoneyError::NotANumber(_))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(
        Money::parse_major("99999999999999999999", c("GBP")),
        Err(MoneyError::TooLarge)
    );
}

/// What `input` typed on a page in `lang` gives in `currency`: the amount in minor units,
/// or the error.
fn typed(input: &str, currency: &str, lang: &str) -> Result<i64, MoneyError> {
    minor(Money::parse_localized(
        input,
        c(currency),
        NumberFormat::of(lang),
    ))
}

fn ambiguous(small: i64, large: i64, currency: &str) -> Result<i64, MoneyError> {
    Err(MoneyError::Ambiguous {
        small: Money::new(small, c(currency)),
        large: Money::new(large, c(currency)),
    })
}

/// The examples and their neighbours.
#[test]
fn typed_amounts() {
    // A Dane's one thousand is one thousand, on the Danish page in any currency.
    assert_eq!(typed("1.000", "DKK", "da"), Ok(100_000));
    assert_eq!(typed("1.000 kr.", "DKK", "da"), Ok(100_000));
    assert_eq!(typed("kr. 1.000", "DKK", "da"), Ok(100_000));
    assert_eq!(typed("10.000", "DKK", "da"), Ok(1_000_000));
    assert_eq!(typed("1.250,50", "DKK", "da"), Ok(125_050));
    assert_eq!(typed("25,50", "DKK", "da"), Ok(2_550));
    assert_eq!(typed("1 000", "DKK", "da"), Ok(100_000));
    // The other convention, when it is the only reading.
    assert_eq!(typed("25.50", "DKK", "da"), Ok(2_550));
    assert_eq!(typed("1,250.50", "DKK", "da"), Ok(125_050));
    // An English page: `,` groups.
    assert_eq!(typed("1,000", "GBP", "en"), Ok(100_000));
    assert_eq!(typed("10,000", "GBP", "en"), Ok(1_000_000));
    assert_eq!(typed("£1,000,000.50", "GBP", "en"), Ok(100_000_050));
    assert_eq!(typed("1,00,000", "INR", "en"), Ok(10_000_000));
    assert_eq!(typed("₹2,500", "INR", "en"), Ok(250_000));
    assert_eq!(typed("1'000.50", "CHF", "en"), Ok(100_050));
    assert_eq!(typed("1\u{a0}000", "EUR", "en"), Ok(100_000));
    assert_eq!(typed("1.250,50", "GBP", "en"), Ok(125_050));
    assert_eq!(typed("25,5", "GBP", "en"), Ok(2_550));
    assert_eq!(typed(".5", "GBP", "en"), Ok(50));
    assert_eq!(typed("25 GBP", "GBP", "en"), Ok(2_500));
    // Both readings possible: refused, naming both.
    assert_eq!(typed("1.000", "GBP", "en"), ambiguous(100, 100_000, "GBP"));
    assert_eq!(typed("1.250", "GBP", "en"), ambiguous(125, 125_000, "GBP"));
    assert_eq!(typed("1.000", "JPY", "en"), ambiguous(1, 1_000, "JPY"));
    assert_eq!(typed("1,000", "DKK", "da"), ambiguous(100, 100_000, "DKK"));
    // A three-decimal currency's fils are its fils.
    assert_eq!(typed("1.500", "KWD", "en"), Ok(1_500));
    assert_eq!(typed("1,500", "KWD", "da"), Ok(1_500));
    assert_eq!(typed("1.500", "KWD", "da"), Ok(1_500_000));
    // A well-formed number keeps its own errors: never read as thousands.
    assert!(matches!(
        typed("25.555", "GBP", "en"),
        Err(MoneyError::TooManyDecimals { .. })
    ));
    assert!(matches!(
        typed("1.500", "JPY", "en"),
        Err(MoneyError::TooManyDecimals { .. })
    ));
    assert_eq!(typed("1,0000", "GBP", "en"), Ok(100));
    assert_eq!(typed("12,34", "GBP", "en"), Ok(1_234));
    assert_eq!(typed("0,500", "GBP", "en"), Ok(50));
    for bad in ["1.2.3,4", "1,,000", "abc", "1e5", "$25"] {
        assert!(
            matches!(typed(bad, "GBP", "en"), Err(MoneyError::NotANumber(_))),
            "{bad:?} gave {:?}",
            typed(bad, "GBP", "en")
        );
    }
    assert_eq!(typed("  ", "GBP", "en"), Err(MoneyError::Empty));
    assert_eq!(typed("-5", "GBP", "en"), Err(MoneyError::NotPositive));
    assert_eq!(typed("0,00", "GBP", "da"), Err(MoneyError::NotPositive));
}

fn any_language() -> impl Strategy<Value = &'static str> {
    prop::sample::select(LANGUAGES.to_vec())
}

fn any_currency() -> impl Strategy<Value = CurrencyCode> {
    prop::sample::select(CurrencyCode::all().collect::<Vec<_>>())
}

/// `m` written with `decimal` and `group` (or no grouping when `group` is `None`) and the
/// currency's full minor unit.
fn written(m: Money, decimal: char, group: Option<char>) -> String {
    let exp = u32::from(m.currency.exponent());
    let p = 10_i64.pow(exp);
    let int = (m.amount_minor / p).to_string();
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if let Some(g) = group
            && i > 0
            && (int.len() - i).is_multiple_of(3)
        {
            out.push(g);
        }
        out.push(ch);
    }
    if exp > 0 {
        out.push(decimal);
        out.push_str(&format!("{:0w$}", m.amount_minor % p, w = exp as usize));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Every language, every currency: an amount formatted for the page reads back as itself,
    /// with its symbol, as a plain number and with its full minor unit.
    #[test]
    fn formatted_amounts_read_back(lang in any_language(), cur in any_currency(), minor in 1i64..10_000_000_000_000) {
        let m = Money::new(minor, cur);
        let style = NumberFormat::of(lang);
        for text in [format_money(m, lang), format_number(m, lang), format_money_full(m, lang)] {
            prop_assert_eq!(Money::parse_localized(&text, cur, style), Ok(m), "{:?} in {}", text, lang);
        }
    }

    /// Written in the page's convention (grouped or not, with the full minor unit), an amount
    /// is read as itself; written in the other convention it is read as itself or refused with
    /// itself as one of the two readings, never as another amount.
    #[test]
    fn either_convention_reads_as_itself_or_is_refused(lang in any_language(), cur in any_currency(), minor in 1i64..10_000_000_000_000) {
        let m = Money::new(minor, cur);
        let page = NumberFormat::of(lang);
        let other = if page.decimal == ',' { ('.', ',') } else { (',', '.') };
        for text in [written(m, page.decimal, Some(page.group)), written(m, page.decimal, None), written(m, page.decimal, Some(' '))] {
            prop_assert_eq!(Money::parse_localized(&text, cur, page), Ok(m), "{:?} in {}", text, lang);
        }
        for text in [written(m, other.0, Some(other.1)), written(m, other.0, None)] {
            match Money::parse_localized(&text, cur, page) {
                Ok(read) => prop_assert_eq!(read, m, "{:?} in {}", text, lang),
                Err(MoneyError::Ambiguous { small, large }) => prop_assert!(small == m || large == m, "{:?} in {}", text, lang),
                Err(e) => prop_assert!(false, "{:?} in {} refused: {}", text, lang, e),
            }
        }
    }

    /// Any text of digits and separators: when the page's convention reads it as an amount,
    /// the result is that amount or a refusal; never another amount, so never one a thousand
    /// times smaller.
    #[test]
    fn never_a_thousand_times_smaller(lang in any_language(), cur in any_currency(), s in prop_oneof![
        "[0-9., '\u{a0}]{1,16}",
        "[1-9][0-9]{0,2}([.,][0-9]{3}){0,3}([.,][0-9]{1,3})?",
    ]) {
        let page = NumberFormat::of(lang);
        let result = Money::parse_localized(&s, cur, page);
        let page_reading = read(s.trim_matches([' ', '\'', '\u{a0}']), page.decimal, page.group).map(|n| n.money(cur));
        if let (Ok(r), Some(Ok(p))) = (&result, &page_reading) {
            prop_assert_eq!(r, p, "{:?} in {}", s, lang);
            prop_assert_ne!(r.amount_minor.saturating_mul(1000), p.amount_minor);
        }
        if let Ok(r) = result {
            prop_assert!(r.amount_minor > 0);
            prop_assert_eq!(r.currency, cur);
        }
    }

    #[test]
    fn parse_never_panics(s in ".{0,80}", lang in any_language(), cur in any_currency()) {
        let _ = Money::parse_major(&s, cur);
        let _ = Money::parse_localized(&s, cur, NumberFormat::of(lang));
    }

    #[test]
    fn major_strings_read_back(minor in 1i64..1_000_000_000_000, cur in any_currency()) {
        let m = Money::new(minor, cur);
        prop_assert_eq!(Money::parse_major(&m.major_string(), cur), Ok(m));
    }
}
