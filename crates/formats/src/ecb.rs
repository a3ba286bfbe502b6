// SPDX-License-Identifier: AGPL-3.0-or-later

//! The European Central Bank's reference-rate files (`eurofxref-daily.xml`, the 90-day and
//! the historic ones): units of each currency per one euro, by day. Storing them and
//! deriving cross rates is the server's `rates` module.

use std::str::FromStr;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;

use crate::money::CurrencyCode;

/// One day's reference rates: units of each currency per one euro.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSheet {
    pub as_of: NaiveDate,
    pub per_eur: Vec<(CurrencyCode, Decimal)>,
    /// Currencies in the file that Shelfraiser does not know (reported, not stored).
    pub skipped: Vec<String>,
}

/// Why a rates file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcbError {
    #[error("the rates file is not valid XML: {0}")]
    Xml(String),
    #[error("the rates file has no <Cube time=…> with rates; is it the ECB eurofxref format?")]
    NoRates,
    #[error("bad value in the rates file: {0}")]
    BadValue(String),
}

/// Parses the ECB `eurofxref-daily.xml` format (also the 90-day and historic files: every
/// `<Cube time>` day is returned, newest first as in the file).
pub fn parse_ecb(xml: &str) -> Result<Vec<RateSheet>, EcbError> {
    let mut reader = Reader::from_str(xml);
    let mut sheets: Vec<RateSheet> = Vec::new();
    loop {
        match reader.read_event() {
            Err(e) => {
                return Err(EcbError::Xml(format!(
                    "at byte {}: {e}",
                    reader.buffer_position()
                )));
            }
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == b"Cube" => {
                let mut time = None;
                let mut currency = None;
                let mut rate = None;
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| EcbError::Xml(e.to_string()))?;
                    let val = attr
                        .unescape_value()
                        .map_err(|e| EcbError::Xml(e.to_string()))?
                        .to_string();
                    match attr.key.local_name().as_ref() {
                        b"time" => time = Some(val),
                        b"currency" => currency = Some(val),
                        b"rate" => rate = Some(val),
                        _ => {}
                    }
                }
                if let Some(t) = time {
                    let as_of = NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                        .map_err(|_| EcbError::BadValue(format!("date {t:?}")))?;
                    sheets.push(RateSheet {
                        as_of,
                        per_eur: Vec::new(),
                        skipped: Vec::new(),
                    });
                } else if let (Some(c), Some(r)) = (currency, rate) {
                    let sheet = sheets.last_mut().ok_or_else(|| {
                        EcbError::BadValue(format!("rate for {c} outside a dated <Cube>"))
                    })?;
                    let value = Decimal::from_str(r.trim())
                        .map_err(|_| EcbError::BadValue(format!("rate {r:?} for {c}")))?;
                    if value <= Decimal::ZERO {
                        return Err(EcbError::BadValue(format!(
                            "rate {r:?} for {c} is not positive"
                        )));
                    }
                    match CurrencyCode::parse(&c) {
                        Ok(code) => sheet.per_eur.push((code, value)),
                        Err(_) => sheet.skipped.push(c),
                    }
                }
            }
            Ok(_) => {}
        }
    }
    sheets.retain(|s| !s.per_eur.is_empty());
    if sheets.is_empty() {
        return Err(EcbError::NoRates);
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLED_ECB: &str = include_str!("../../../fixtures/eurofxref-daily.xml");

    #[test]
    fn parses_bundled_file() {
        let sheets = parse_ecb(BUNDLED_ECB).expect("parses");
        assert_eq!(sheets.len(), 1);
        let s = &sheets[0];
        assert_eq!(s.as_of, NaiveDate::from_ymd_opt(2024, 6, 28).expect("date"));
        let gbp = CurrencyCode::parse("GBP").expect("gbp");
        assert!(
            s.per_eur
                .iter()
                .any(|(c, r)| *c == gbp && r.to_string() == "0.84638")
        );
        assert!(s.per_eur.len() >= 29);
    }

    /// The 90-day and history files: many `<Cube time>` days in one file, each with its own
    /// rates, newest first.
    #[test]
    fn parses_every_day_of_a_history_file() {
        let hist = include_str!("../../../fixtures/eurofxref-hist-sample.xml");
        let sheets = parse_ecb(hist).expect("parses");
        let days: Vec<String> = sheets.iter().map(|s| s.as_of.to_string()).collect();
        assert_eq!(
            days,
            [
                "2024-06-27",
                "2024-06-26",
                "2024-06-25",
                "2024-06-24",
                "2024-06-21"
            ]
        );
        let usd = CurrencyCode::parse("USD").expect("usd");
        let usd_of = |i: usize| {
            sheets[i]
                .per_eur
                .iter()
                .find(|(c, _)| *c == usd)
                .map(|(_, r)| r.to_string())
        };
        assert_eq!(usd_of(0).as_deref(), Some("1.0700"));
        assert_eq!(usd_of(4).as_deref(), Some("1.0650"));
        assert!(sheets.iter().all(|s| s.per_eur.len() == 5));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_ecb("<nope").is_err());
        assert!(matches!(parse_ecb("<a/>"), Err(EcbError::NoRates)));
        assert!(
            parse_ecb(
                "<Cube><Cube time='2024-01-01'><Cube currency='USD' rate='-1'/></Cube></Cube>"
            )
            .is_err()
        );
        assert!(matches!(
            parse_ecb("<Cube currency='USD' rate='1'/>"),
            Err(EcbError::BadValue(_))
        ));
    }
}
