// SPDX-License-Identifier: AGPL-3.0-or-later

//! Locale-aware display of amounts: `£4,230` in English, `4.230 £` in Danish.
//!
//! Whole amounts are shown without decimals (`£25`), others with the currency's full minor
//! unit (`£25.50`). Rules per language live in [`Style`]; a new language adds one arm.

use super::{CurrencyCode, Money};

struct Style {
    group: char,
    decimal: char,
    /// Symbol after the number, separated by a no-break space.
    symbol_after: bool,
}

fn style(lang: &str) -> Style {
    match lang {
        "da" => Style {
            group: '.',
            decimal: ',',
            symbol_after: true,
        },
        _ => Style {
            group: ',',
            decimal: '.',
            symbol_after: false,
        },
    }
}

fn symbol(c: CurrencyCode, lang: &str) -> &'static str {
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

/// Formats `m` for the interface language `lang` (`en`, `da`, …).
pub fn format_money(m: Money, lang: &str) -> String {
    let st = style(lang);
    let exp = u32::from(m.currency.exponent());
    let abs = m.amount_minor.unsigned_abs();
    let p = 10_u64.pow(exp);
    let mut number = group_digits(&(abs / p).to_string(), st.group);
    if exp > 0 && !abs.is_multiple_of(p) {
        number.push(st.decimal);
        number.push_str(&format!("{:0width$}", abs % p, width = exp as usize));
    }
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let sym = symbol(m.currency, lang);
    if sym.is_empty() {
        return if st.symbol_after {
            format!("{sign}{number}\u{a0}{}", m.currency)
        } else {
            format!("{sign}{}\u{a0}{number}", m.currency)
        };
    }
    if st.symbol_after {
        format!("{sign}{number}\u{a0}{sym}")
    } else {
        format!("{sign}{sym}{number}")
    }
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
    }

    #[test]
    fn danish() {
        assert_eq!(format_money(m(423_000, "GBP"), "da"), "4.230\u{a0}£");
        assert_eq!(format_money(m(423_050, "DKK"), "da"), "4.230,50\u{a0}kr.");
        assert_eq!(format_money(m(2_500, "USD"), "da"), "25\u{a0}US$");
    }
}
