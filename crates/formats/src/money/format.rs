// SPDX-License-Identifier: AGPL-3.0-or-later

//! Locale-aware display of amounts: `£4,230` in English, `4.230 £` in Danish.
//!
//! Whole amounts are shown without decimals (`£25`), others with the currency's full minor
//! unit (`£25.50`). Rules per language live in [`NumberFormat`]; a new language adds one arm
//! there and its name to [`LANGUAGES`].

use rust_decimal::{Decimal, RoundingStrategy};

use super::{CurrencyCode, Money};

/// The languages with their own number style (every interface language must be here; the
/// server checks that). Others are shown in English style.
pub const LANGUAGES: &[&str] = &["en", "da"];

/// How a language writes numbers: its decimal separator and its group (thousands)
/// separator, and where an amount's currency symbol goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    pub decimal: char,
    pub group: char,
    /// Symbol after the number, separated by a no-break space.
    pub symbol_after: bool,
}

impl NumberFormat {
    pub const ENGLISH: NumberFormat = NumberFormat {
        decimal: '.',
        group: ',',
        symbol_after: false,
    };
    pub const DANISH: NumberFormat = NumberFormat {
        decimal: ',',
        group: '.',
        symbol_after: true,
    };

    /// The style of the interface language `lang` (`en`, `da`, …); English for others.
    pub fn of(lang: &str) -> NumberFormat {
        match lang {
            "da" => NumberFormat::DANISH,
            _ => NumberFormat::ENGLISH,
        }
    }
}

/// The symbol shown for `c` in `lang` (with its no-break space when it is a code), or `""`
/// when the code itself is shown.
pub(super) fn symbol(c: CurrencyCode, lang: &str) -> &'static str {
    match (c.as_str(), lang) {
        ("GBP", _) => "£",
        ("EUR", _) => "€",
        ("INR", _) => "₹",
        ("JPY", _) => "¥",
        ("USD", "da") => "US$",
        ("USD", _) => "$",
        ("DKK", "da") => "kr.",
        ("DKK", _) => "DKK\u{a0}",
        ("SEK", "da") | ("NOK", "da") => "kr.",
        _ => "",
    }
}

fn group_digits(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// The number of `m` in `lang`'s style, without a symbol: `4,230.50` / `4.230,50`. Whole
/// amounts have no decimals unless `full` asks for the currency's minor unit.
fn number(m: Money, st: NumberFormat, full: bool) -> String {
    let exp = u32::from(m.currency.exponent());
    let abs = m.amount_minor.unsigned_abs();
    let p = 10_u64.pow(exp);
    let mut number = group_digits(&(abs / p).to_string(), st.group);
    if exp > 0 && (full || !abs.is_multiple_of(p)) {
        number.push(st.decimal);
        number.push_str(&format!("{:0width$}", abs % p, width = exp as usize));
    }
    if m.amount_minor < 0 {
        number.insert(0, '-');
    }
    number
}

/// The amount of `m` as a number in `lang`'s style, without a symbol (`1,000`, `1.000`,
/// `12,50`): what a form field shows so that it reads back as the same amount.
pub fn format_number(m: Money, lang: &str) -> String {
    number(m, NumberFormat::of(lang), false)
}

fn with_symbol(m: Money, lang: &str, full: bool) -> String {
    let st = NumberFormat::of(lang);
    let n = number(m, st, full);
    let (sign, n) = match n.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", n.as_str()),
    };
    let sym = symbol(m.currency, lang);
    match (sym.is_empty(), st.symbol_after) {
        (true, true) => format!("{sign}{n}\u{a0}{}", m.currency),
        (true, false) => format!("{sign}{}\u{a0}{n}", m.currency),
        (false, true) => format!("{sign}{n}\u{a0}{sym}"),
        (false, false) => format!("{sign}{sym}{n}"),
    }
}

/// Formats `m` for the interface language `lang` (`en`, `da`, …).
pub fn format_money(m: Money, lang: &str) -> String {
    with_symbol(m, lang, false)
}

/// Like [`format_money`], but always with the currency's minor unit (`£1.00`), for the
/// amounts of an ambiguous reading, where the decimals are the point.
pub fn format_money_full(m: Money, lang: &str) -> String {
    with_symbol(m, lang, true)
}

/// A decimal (an exchange rate) in `lang`'s style, rounded half-even to `significant`
/// digits, trailing zeros dropped: `0.0094833` / `0,0094833`, `19,531` / `19.531`.
pub fn format_decimal(d: Decimal, lang: &str, significant: u32) -> String {
    let st = NumberFormat::of(lang);
    let r = d
        .round_sf_with_strategy(significant.max(1), RoundingStrategy::MidpointNearestEven)
        .unwrap_or(d)
        .normalize();
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if r.is_sign_negative() && !r.is_zero() {
        out.push('-');
    }
    out.push_str(&group_digits(int, st.group));
    if !frac.is_empty() {
        out.push(st.decimal);
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minor: i64, c: &str) -> Money {
        Money::new(minor, CurrencyCode::parse(c).expect("known"))
    }

    #[test]
    fn english() {
        assert_eq!(format_money(m(423_000, "GBP"), "en"), "£4,230");
        assert_eq!(format_money(m(423_050, "GBP"), "en"), "£4,230.50");
        assert_eq!(format_money(m(100_000_000, "INR"), "en"), "₹1,000,000");
        assert_eq!(format_money(m(1234, "KWD"), "en"), "KWD\u{a0}1.234");
        assert_eq!(format_money(m(500, "JPY"), "en"), "¥500");
        assert_eq!(format_money(m(-2_550, "GBP"), "en"), "-£25.50");
    }

    #[test]
    fn danish() {
        assert_eq!(format_money(m(423_000, "GBP"), "da"), "4.230\u{a0}£");
        assert_eq!(format_money(m(423_050, "DKK"), "da"), "4.230,50\u{a0}kr.");
        assert_eq!(format_money(m(2_500, "USD"), "da"), "25\u{a0}US$");
    }

    #[test]
    fn numbers_and_full_amounts() {
        assert_eq!(format_number(m(100_000, "DKK"), "da"), "1.000");
        assert_eq!(format_number(m(1_250, "GBP"), "da"), "12,50");
        assert_eq!(format_number(m(100_000, "GBP"), "en"), "1,000");
        assert_eq!(format_money_full(m(100, "GBP"), "en"), "£1.00");
        assert_eq!(format_money_full(m(100, "DKK"), "da"), "1,00\u{a0}kr.");
        assert_eq!(format_money_full(m(1, "JPY"), "en"), "¥1");
    }

    #[test]
    fn decimals() {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert_eq!(
            format_decimal(d("0.00948330242746458"), "en", 5),
            "0.0094833"
        );
        assert_eq!(
            format_decimal(d("0.00948330242746458"), "da", 5),
            "0,0094833"
        );
        assert_eq!(format_decimal(d("105.448237"), "da", 5), "105,45");
        assert_eq!(format_decimal(d("19531.25"), "en", 5), "19,531");
        assert_eq!(format_decimal(d("7.4600"), "da", 5), "7,46");
        assert_eq!(format_decimal(d("1"), "en", 5), "1");
    }
}
