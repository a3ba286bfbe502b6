//! Exchange rates: the European Central Bank's daily reference rates (EUR base).
//!
//! `shelfraiser rates import FILE` stores one row per (date, currency) as a decimal string.
//! A conversion between two non-EUR currencies goes through EUR: `to_per_eur / from_per_eur`
//! (see [`crate::money::cross_rate`]); the newest date wins.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{NaiveDate, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;

use crate::db::{Db, DbError, DbResult};
use crate::money::{CurrencyCode, cross_rate};
use crate::{on_db, on_tx};

/// One day's reference rates: units of each currency per one euro.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSheet {
    pub as_of: NaiveDate,
    pub per_eur: Vec<(CurrencyCode, Decimal)>,
    /// Currencies in the file that Shelfraiser does not know (reported, not stored).
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    #[error("the rates file is not valid XML: {0}")]
    Xml(String),
    #[error("the rates file has no <Cube time=…> with rates; is it the ECB eurofxref format?")]
    NoRates,
    #[error("bad value in the rates file: {0}")]
    BadValue(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Parses the ECB `eurofxref-daily.xml` format (also the 90-day and historic files: every
/// `<Cube time>` day is returned, newest first as in the file).
pub fn parse_ecb(xml: &str) -> Result<Vec<RateSheet>, RatesError> {
    let mut reader = Reader::from_str(xml);
    let mut sheets: Vec<RateSheet> = Vec::new();
    loop {
        match reader.read_event() {
            Err(e) => {
                return Err(RatesError::Xml(format!(
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
                    let attr = attr.map_err(|e| RatesError::Xml(e.to_string()))?;
                    let val = attr
                        .unescape_value()
                        .map_err(|e| RatesError::Xml(e.to_string()))?
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
                        .map_err(|_| RatesError::BadValue(format!("date {t:?}")))?;
                    sheets.push(RateSheet {
                        as_of,
                        per_eur: Vec::new(),
                        skipped: Vec::new(),
                    });
                } else if let (Some(c), Some(r)) = (currency, rate) {
                    let sheet = sheets.last_mut().ok_or_else(|| {
                        RatesError::BadValue(format!("rate for {c} outside a dated <Cube>"))
                    })?;
                    let value = Decimal::from_str(r.trim())
                        .map_err(|_| RatesError::BadValue(format!("rate {r:?} for {c}")))?;
                    if value <= Decimal::ZERO {
                        return Err(RatesError::BadValue(format!(
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
        return Err(RatesError::NoRates);
    }
    Ok(sheets)
}

/// Stores the sheets; re-importing the same day replaces nothing and adds nothing.
pub async fn import(db: &Db, sheets: &[RateSheet]) -> DbResult<usize> {
    let now = Utc::now();
    let mut stored = 0usize;
    let mut tx = db.begin().await?;
    {
        let tx = &mut tx;
        for sheet in sheets {
            for (code, rate) in &sheet.per_eur {
                let r = on_tx!(tx, |c| sqlx::query(
                    "INSERT INTO exchange_rates (as_of, currency, per_eur, imported_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (as_of, currency) DO NOTHING",
                )
                .bind(sheet.as_of)
                .bind(code.as_str())
                .bind(rate.to_string())
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
                stored += r as usize;
            }
        }
    }
    tx.commit().await?;
    Ok(stored)
}

/// The newest per-EUR rate of every currency (EUR itself is 1).
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    pub per_eur: HashMap<CurrencyCode, Decimal>,
    pub as_of: Option<NaiveDate>,
}

impl RateTable {
    /// Units of `to` per unit of `from`, through EUR.
    pub fn rate(&self, from: CurrencyCode, to: CurrencyCode) -> Option<Decimal> {
        if from == to {
            return Some(Decimal::ONE);
        }
        let get = |c: CurrencyCode| {
            if c.as_str() == "EUR" {
                Some(Decimal::ONE)
            } else {
                self.per_eur.get(&c).copied()
            }
        };
        cross_rate(get(from)?, get(to)?)
    }
}

pub async fn latest(db: &Db) -> DbResult<RateTable> {
    let rows: Vec<(String, String, NaiveDate)> = on_db!(db, |p| sqlx::query_as(
        "SELECT r.currency, r.per_eur, r.as_of FROM exchange_rates r \
         JOIN (SELECT currency, MAX(as_of) AS as_of FROM exchange_rates GROUP BY currency) n \
           ON n.currency = r.currency AND n.as_of = r.as_of"
    )
    .fetch_all(p)
    .await?);
    let mut t = RateTable::default();
    for (c, r, as_of) in rows {
        let code = CurrencyCode::parse(&c).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let rate = Decimal::from_str(&r).map_err(|e| DbError::Corrupt(e.to_string()))?;
        t.per_eur.insert(code, rate);
        t.as_of = t.as_of.max(Some(as_of));
    }
    Ok(t)
}

/// The bundled ECB file (2024-06-28), used to seed the demo.
pub const BUNDLED_ECB: &str = include_str!("../../fixtures/eurofxref-daily.xml");

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn cross_rates_through_eur() {
        let sheets = parse_ecb(BUNDLED_ECB).expect("parses");
        let mut t = RateTable::default();
        t.per_eur.extend(sheets[0].per_eur.iter().copied());
        let usd = CurrencyCode::parse("USD").expect("usd");
        let gbp = CurrencyCode::parse("GBP").expect("gbp");
        let eur = CurrencyCode::parse("EUR").expect("eur");
        // GBP per USD = 0.84638 / 1.0705
        assert_eq!(
            t.rate(usd, gbp).map(|r| r.to_string()),
            Some("0.7906398879".into())
        );
        assert_eq!(
            t.rate(eur, gbp).map(|r| r.to_string()),
            Some("0.84638".into())
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_ecb("<nope").is_err());
        assert!(matches!(parse_ecb("<a/>"), Err(RatesError::NoRates)));
        assert!(
            parse_ecb(
                "<Cube><Cube time='2024-01-01'><Cube currency='USD' rate='-1'/></Cube></Cube>"
            )
            .is_err()
        );
    }
}
