// SPDX-License-Identifier: AGPL-3.0-or-later

//! Reading amounts: as people type them in the page's language
//! ([`Money::parse_localized`]), and as machines write them ([`Money::parse_major`]).
//!
//! The rule for typed amounts (ARCHITECTURE.md, "Money typed by people"):
//!
//! * The page's language gives the decimal separator and the group separator (English `.`
//!   and `,`, Danish `,` and `.`). Spaces, no-break spaces and apostrophes are group
//!   separators in every language. Groups are three digits (`1,000,000`) or, for the last
//!   three digits after two-digit groups, Indian style (`1,00,000`); a grouped number does
//!   not start with `0`.
//! * A number well-formed in the page's convention is read in it, and its errors are its
//!   own (`25.555` on an English page is "GBP has at most 2 decimal places", never 25,555).
//! * A number that is not well-formed in the page's convention is read in the other one
//!   (`.` and `,` swapped) if it is well-formed there: `1.250,50` or `25,50` on an English
//!   page, `25.50` on a Danish one. That reading is the only one, so it is unambiguous.
//! * One exception: the page's decimal separator followed by exactly three digits, with no
//!   other separator (`1.000` on an English page), in a currency without three decimals,
//!   could be the other convention's thousands. It is refused with both readings
//!   ([`MoneyError::Ambiguous`]); an amount is never guessed down by a factor of 1,000.
//!   In a three-decimal currency (KWD) the three digits are its fils and are read so.
//! * The currency's symbol or code may stand before or after the number (`£25`,
//!   `1.000 kr.`, `DKK 250`).

use super::format::{LANGUAGES, NumberFormat, symbol};
use super::{CurrencyCode, MAX_MINOR, Money, MoneyError};

/// Longest input read, in characters; a longer one is not an amount.
const MAX_INPUT_CHARS: usize = 64;

/// Group separators every language accepts: space, no-break space, narrow no-break space,
/// thin space, apostrophe and right single quotation mark.
const SPACE_GROUPS: &[char] = &[' ', '\u{a0}', '\u{202f}', '\u{2009}', '\'', '\u{2019}'];

impl Money {
    /// Parses a positive amount written by a machine (command-line flags, the demo seed):
    /// ASCII digits with at most one `.` decimal point (`25`, `25.50`, `.5`), an optional
    /// leading `+`. No group separators and no decimal comma: `25,000` is refused, never
    /// read as 25. What people type goes through [`Money::parse_localized`].
    pub fn parse_major(input: &str, currency: CurrencyCode) -> Result<Money, MoneyError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.starts_with('-') {
            return Err(MoneyError::NotPositive);
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return Err(not_a_number(s));
        }
        to_money(int, frac, currency)
    }

    /// Parses a positive amount as a person typed it on a page in the language whose
    /// number style is `style` (see the module's rule).
    pub fn parse_localized(
        input: &str,
        currency: CurrencyCode,
        style: NumberFormat,
    ) -> Result<Money, MoneyError> {
        let s = input.trim_matches(|c: char| c.is_whitespace() || SPACE_GROUPS.contains(&c));
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if s.chars().count() > MAX_INPUT_CHARS {
            return Err(not_a_number(s));
        }
        let s = strip_currency(s, currency);
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.starts_with(['-', '−']) {
            return Err(MoneyError::NotPositive);
        }
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let other = other_convention(style);
        match read(s, style.decimal, style.group) {
            Some(page) => {
                let reading = page.money(currency);
                if let Ok(small) = reading
                    && page.frac.as_deref().is_some_and(|f| f.len() == 3)
                    && currency.exponent() != 3
                    && let Some(o) = read(s, other.decimal, other.group)
                    && let Ok(large) = o.money(currency)
                    && large != small
                {
                    return Err(MoneyError::Ambiguous { small, large });
                }
                reading
            }
            None => match read(s, other.decimal, other.group) {
                Some(o) => o.money(currency),
                None => Err(not_a_number(s)),
            },
        }
    }
}

/// The convention with `.` and `,` swapped: its decimal separator is whichever of the two
/// the page does not use for decimals, and the page's decimal separator groups.
fn other_convention(style: NumberFormat) -> NumberFormat {
    NumberFormat {
        decimal: if style.decimal == ',' { '.' } else { ',' },
        group: style.decimal,
        symbol_after: style.symbol_after,
    }
}

fn not_a_number(s: &str) -> MoneyError {
    MoneyError::NotANumber(s.chars().take(20).collect())
}

/// `s` without the currency's symbol or code at its start or end (each at most once).
fn strip_currency(s: &str, currency: CurrencyCode) -> &str {
    let mut marks: Vec<&str> = LANGUAGES
        .iter()
        .map(|l| symbol(currency, l).trim_end_matches('\u{a0}'))
        .filter(|m| !m.is_empty())
        .collect();
    marks.push(currency.as_str());
    if matches!(currency.as_str(), "DKK" | "SEK" | "NOK") {
        marks.extend(["kr.", "kr"]);
    }
    // Longest first, so `kr.` goes before `kr` and `US$` before `$`.
    marks.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let mut out = s;
    if let Some(rest) = marks.iter().find_map(|m| strip_prefix_ci(out, m)) {
        out = rest.trim();
    }
    if let Some(rest) = marks.iter().find_map(|m| strip_suffix_ci(out, m)) {
        out = rest.trim();
    }
    out
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let head = s.get(..p.len())?;
    head.eq_ignore_ascii_case(p).then(|| &s[p.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(p.len())?;
    let tail = s.get(at..)?;
    tail.eq_ignore_ascii_case(p).then(|| &s[..at])
}

/// A well-formed number: the integer digits (groups joined) and the digits after the
/// decimal separator, if there was one.
#[derive(Debug)]
pub(super) struct Number {
    int: String,
    frac: Option<String>,
}

impl Number {
    fn money(&self, currency: CurrencyCode) -> Result<Money, MoneyError> {
        to_money(&self.int, self.frac.as_deref().unwrap_or(""), currency)
    }
}

/// Reads `s` with `decimal` as the decimal separator and `group` (or a space-like
/// separator) between digit groups; `None` when `s` is not well-formed so.
pub(super) fn read(s: &str, decimal: char, group: char) -> Option<Number> {
    let mut parts = s.splitn(3, decimal);
    let int_part = parts.next().unwrap_or("");
    let frac = parts.next();
    if parts.next().is_some() {
        return None;
    }
    if let Some(f) = frac
        && !f.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let is_sep = |c: char| c == group || SPACE_GROUPS.contains(&c);
    let mut seps = int_part.chars().filter(|c| !c.is_ascii_digit());
    let int = match seps.next() {
        None => int_part.to_string(),
        Some(sep) if is_sep(sep) && seps.all(|c| c == sep) => {
            let groups: Vec<&str> = int_part.split(sep).collect();
            if !well_grouped(&groups) {
                return None;
            }
            groups.concat()
        }
        Some(_) => return None,
    };
    if int.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    Some(Number {
        int,
        frac: frac.map(str::to_string),
    })
}

/// `1,234,567` (threes after a first group of one to three digits) or `12,34,567` (twos,
/// then a last three); the first group does not start with `0`.
fn well_grouped(groups: &[&str]) -> bool {
    let (Some(first), Some(last)) = (groups.first(), groups.last()) else {
        return false;
    };
    if groups.len() < 2 || first.is_empty() || first.starts_with('0') || last.len() != 3 {
        return false;
    }
    let middle = &groups[1..groups.len() - 1];
    let western = first.len() <= 3 && middle.iter().all(|g| g.len() == 3);
    let indian = first.len() <= 2 && !middle.is_empty() && middle.iter().all(|g| g.len() == 2);
    western || indian
}

/// Integer and fraction digits (ASCII, already checked) to an amount of `currency`.
fn to_money(int: &str, frac: &str, currency: CurrencyCode) -> Result<Money, MoneyError> {
    let exp = currency.exponent();
    let frac = frac.trim_end_matches('0');
    if frac.len() > usize::from(exp) {
        return Err(MoneyError::TooManyDecimals {
            currency,
            exponent: exp,
        });
    }
    let int = int.trim_start_matches('0');
    if int.len() > 15 {
        return Err(MoneyError::TooLarge);
    }
    let int_val: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| not_a_number(int))?
    };
    let mut frac_val: i64 = 0;
    for i in 0..usize::from(exp) {
        let d = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        frac_val = frac_val * 10 + d;
    }
    let minor = int_val
        .checked_mul(10_i64.pow(u32::from(exp)))
        .and_then(|v| v.checked_add(frac_val))
        .ok_or(MoneyError::TooLarge)?;
    if minor <= 0 {
        return Err(MoneyError::NotPositive);
    }
    if minor > MAX_MINOR {
        return Err(MoneyError::TooLarge);
    }
    Ok(Money::new(minor, currency))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
