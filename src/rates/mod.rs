//! Exchange rates: the European Central Bank's daily reference rates (EUR base).
//!
//! `shelfraiser rates import FILE` stores one row per (date, currency) as a decimal string.
//! A conversion between two non-EUR currencies goes through EUR: `to_per_eur / from_per_eur`
//! (see [`crate::money::cross_rate`]). Online donations use the newest rates ([`latest`]);
//! an offline gift uses the rates of the day it was received ([`on`]: for each currency the
//! newest rate on or before that day), so every imported day is kept. The ECB's daily, 90-day
//! and full-history files share one format; each imports the days it holds.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::db::{Db, DbError, DbResult};
use crate::money::{CurrencyCode, cross_rate};
use crate::{on_db, on_tx};

pub mod fetch;

/// Reading the ECB file is pure and lives in the formats crate (fuzzed there).
pub use shelfraiser_formats::ecb::{EcbError, EcbError as RatesError, RateSheet, parse_ecb};

/// Stores the sheets; re-importing the same day replaces nothing and adds nothing. One
/// statement per day (the full-history file has some 6,000 days of about 30 rates).
pub async fn import(db: &Db, sheets: &[RateSheet]) -> DbResult<usize> {
    let now = Utc::now();
    let mut stored = 0usize;
    let mut tx = db.begin().await?;
    {
        let tx = &mut tx;
        for sheet in sheets.iter().filter(|s| !s.per_eur.is_empty()) {
            let rows: Vec<String> = (0..sheet.per_eur.len())
                .map(|i| format!("($1, ${}, ${}, $2)", 3 + 2 * i, 4 + 2 * i))
                .collect();
            let sql = format!(
                "INSERT INTO exchange_rates (as_of, currency, per_eur, imported_at) VALUES {} \
                 ON CONFLICT (as_of, currency) DO NOTHING",
                rows.join(", ")
            );
            let r = on_tx!(tx, |c| {
                let mut q = sqlx::query(&sql).bind(sheet.as_of).bind(now);
                for (code, rate) in &sheet.per_eur {
                    q = q.bind(code.as_str()).bind(rate.to_string());
                }
                q.execute(c).await?.rows_affected()
            });
            stored += r as usize;
        }
    }
    tx.commit().await?;
    Ok(stored)
}

/// The newest per-EUR rate of every currency (EUR itself is 1), as of today or of one day.
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    pub per_eur: HashMap<CurrencyCode, Decimal>,
    pub as_of: Option<NaiveDate>,
    /// The day each rate is the ECB's reference rate of.
    pub dates: HashMap<CurrencyCode, NaiveDate>,
    /// The day the table was read for ([`on`]); `None` for the newest rates ([`latest`]).
    pub on: Option<NaiveDate>,
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

    /// The day of the reference rates a conversion from `from` to `to` uses: the older of
    /// the two currencies' days (EUR has none); `None` when no conversion is needed or a
    /// rate is missing.
    pub fn rate_date(&self, from: CurrencyCode, to: CurrencyCode) -> Option<NaiveDate> {
        if from == to {
            return None;
        }
        let day = |c: CurrencyCode| {
            if c.as_str() == "EUR" {
                Some(None)
            } else {
                self.dates.get(&c).map(|d| Some(*d))
            }
        };
        match (day(from)?, day(to)?) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn from_rows(rows: Vec<(String, String, NaiveDate)>) -> DbResult<RateTable> {
        let mut t = RateTable::default();
        for (c, r, as_of) in rows {
            let code = CurrencyCode::parse(&c).map_err(|e| DbError::Corrupt(e.to_string()))?;
            let rate = Decimal::from_str(&r).map_err(|e| DbError::Corrupt(e.to_string()))?;
            t.per_eur.insert(code, rate);
            t.dates.insert(code, as_of);
            t.as_of = t.as_of.max(Some(as_of));
        }
        Ok(t)
    }
}

/// The newest rate of every currency.
pub async fn latest(db: &Db) -> DbResult<RateTable> {
    let rows: Vec<(String, String, NaiveDate)> = on_db!(db, |p| sqlx::query_as(
        "SELECT r.currency, r.per_eur, r.as_of FROM exchange_rates r \
         JOIN (SELECT currency, MAX(as_of) AS as_of FROM exchange_rates GROUP BY currency) n \
           ON n.currency = r.currency AND n.as_of = r.as_of"
    )
    .fetch_all(p)
    .await?);
    RateTable::from_rows(rows)
}

/// The rates of `day`: for every currency the newest rate on or before it (the ECB publishes
/// none at weekends and on TARGET holidays, when the last working day's rate is the one in
/// force). A currency with no rate that old is missing from the table.
pub async fn on(db: &Db, day: NaiveDate) -> DbResult<RateTable> {
    let rows: Vec<(String, String, NaiveDate)> = on_db!(db, |p| sqlx::query_as(
        "SELECT r.currency, r.per_eur, r.as_of FROM exchange_rates r \
         JOIN (SELECT currency, MAX(as_of) AS as_of FROM exchange_rates WHERE as_of <= $1 \
               GROUP BY currency) n \
           ON n.currency = r.currency AND n.as_of = r.as_of"
    )
    .bind(day)
    .fetch_all(p)
    .await?);
    let mut t = RateTable::from_rows(rows)?;
    t.on = Some(day);
    Ok(t)
}

/// How many sheets back [`sheet_date_of`] looks (about six weeks of working days).
const SHEETS_SEARCHED: i64 = 30;

/// The day of the reference-rate sheet a locked rate came from: the newest sheet on or
/// before `day` whose cross rate from `from` to `to` ([`RateTable::rate`]) equals `rate`.
/// A donation stores its rate, not its sheet; the sheet is found again by its rates (the
/// rows are never changed once stored). `None` when no sheet of the last
/// [`SHEETS_SEARCHED`] gives that rate.
pub async fn sheet_date_of(
    db: &Db,
    from: CurrencyCode,
    to: CurrencyCode,
    rate: Decimal,
    day: NaiveDate,
) -> DbResult<Option<NaiveDate>> {
    let days: Vec<NaiveDate> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT as_of FROM exchange_rates WHERE as_of <= $1 \
         ORDER BY as_of DESC LIMIT $2"
    )
    .bind(day)
    .bind(SHEETS_SEARCHED)
    .fetch_all(p)
    .await?);
    let Some(oldest) = days.last().copied() else {
        return Ok(None);
    };
    let rows: Vec<(NaiveDate, String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT as_of, currency, per_eur FROM exchange_rates \
         WHERE as_of BETWEEN $1 AND $2 AND currency IN ($3, $4)"
    )
    .bind(oldest)
    .bind(day)
    .bind(from.as_str())
    .bind(to.as_str())
    .fetch_all(p)
    .await?);
    for d in days {
        let mut sheet = RateTable {
            as_of: Some(d),
            ..Default::default()
        };
        for (_, c, r) in rows.iter().filter(|(as_of, _, _)| *as_of == d) {
            let code = CurrencyCode::parse(c).map_err(|e| DbError::Corrupt(e.to_string()))?;
            let r = Decimal::from_str(r).map_err(|e| DbError::Corrupt(e.to_string()))?;
            sheet.per_eur.insert(code, r);
        }
        if sheet.rate(from, to) == Some(rate) {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// The bundled ECB file (2024-06-28), used to seed the demo.
pub const BUNDLED_ECB: &str = include_str!("../../fixtures/eurofxref-daily.xml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_rates_through_eur() {
        let sheets = parse_ecb(BUNDLED_ECB).expect("parses");
        let mut t = RateTable::default();
        t.per_eur.extend(sheets[0].per_eur.iter().copied());
        let usd = CurrencyCode::parse("USD").expect("usd");
        let gbp = CurrencyCode::parse("GBP").expect("gbp");
        let eur = CurrencyCode::parse("EUR").expect("eur");
        // GBP per USD = 0.84638 / 1.0705, to 15 significant digits
        assert_eq!(
            t.rate(usd, gbp).map(|r| r.to_string()),
            Some("0.790639887902849".into())
        );
        assert_eq!(
            t.rate(eur, gbp).map(|r| r.to_string()),
            Some("0.84638".into())
        );
    }
}
