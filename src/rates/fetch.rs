//! The daily reference rates fetched on a schedule (`[rates] fetch = true`), and what the last
//! fetch or import did, for the console's exchange-rates page.
//!
//! Each node asks every [`CHECK_EVERY`] whether a fetch is due; a `rates.fetch.claim` row in
//! the `settings` table lets one node of several take each period of [`EVERY`]. The file is
//! fetched through the guarded outbound client (no private addresses unless allowed, 1 MiB,
//! 10 s), read with the same parser as `rates import`, and stored the same way. A failure is
//! recorded and tried again after [`RETRY_AFTER`]; it never reaches a request.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{RateSheet, import, parse_ecb};
use crate::db::{Db, DbResult};
use crate::outbound::Outbound;

/// How often a node asks whether a fetch is due.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// One fetch per this period (the ECB publishes once a working day, around 16:00 CET).
pub const EVERY: Duration = Duration::hours(12);
/// After a failed fetch, the next try comes this long later.
pub const RETRY_AFTER: Duration = Duration::hours(1);

const CLAIM: &str = "rates.fetch.claim";
const LAST_AT: &str = "rates.last.at";
const LAST_OK: &str = "rates.last.ok";
const LAST_HOW: &str = "rates.last.how";
const LAST_DETAIL: &str = "rates.last.detail";

/// How rates last arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The scheduled fetch.
    Fetched,
    /// A file uploaded in the console.
    Uploaded,
}

impl How {
    fn as_str(self) -> &'static str {
        match self {
            How::Fetched => "fetched",
            How::Uploaded => "uploaded",
        }
    }
}

/// What the last fetch or upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUpdate {
    pub at: DateTime<Utc>,
    pub how: How,
    /// On success the newest day read and the number of new rates; on failure the reason.
    pub outcome: Result<(Option<NaiveDate>, usize), String>,
}

/// What one import of sheets stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub days: usize,
    pub newest: Option<NaiveDate>,
    pub stored: usize,
}

/// Why a fetch brought no rates.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the request failed: {0}")]
    Request(#[from] crate::outbound::OutboundError),
    #[error("the answer is not the ECB's rates file: {0}")]
    Parse(#[from] super::EcbError),
    #[error("the answer is not text")]
    NotText,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Stores `sheets` ([`import`]) and records the update for the console.
pub async fn store(
    db: &Db,
    sheets: &[RateSheet],
    how: How,
    now: DateTime<Utc>,
) -> DbResult<Imported> {
    let stored = import(db, sheets).await?;
    let imported = Imported {
        days: sheets.len(),
        newest: sheets.iter().map(|s| s.as_of).max(),
        stored,
    };
    let detail = match imported.newest {
        Some(d) => format!("{d} {stored}"),
        None => format!("- {stored}"),
    };
    record(db, how, now, Ok(&detail)).await?;
    Ok(imported)
}

async fn record(db: &Db, how: How, now: DateTime<Utc>, result: Result<&str, &str>) -> DbResult<()> {
    db.set_setting(LAST_AT, now.timestamp()).await?;
    db.set_setting(LAST_HOW, how.as_str()).await?;
    db.set_setting(LAST_OK, result.is_ok()).await?;
    db.set_setting(LAST_DETAIL, result.unwrap_or_else(|e| e))
        .await
}

/// The last fetch or upload, if any.
pub async fn last_update(db: &Db) -> DbResult<Option<LastUpdate>> {
    let Some(at) = db
        .setting_as::<i64>(LAST_AT)
        .await?
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
    else {
        return Ok(None);
    };
    Ok(Some(LastUpdate {
        at,
        how: match db.setting(LAST_HOW).await?.as_deref() {
            Some("uploaded") => How::Uploaded,
            _ => How::Fetched,
        },
        outcome: {
            let detail = db.setting(LAST_DETAIL).await?.unwrap_or_default();
            if db.setting(LAST_OK).await?.as_deref() == Some("true") {
                let (day, n) = detail.split_once(' ').unwrap_or(("-", "0"));
                Ok((day.parse().ok(), n.parse().unwrap_or(0)))
            } else {
                Err(detail)
            }
        },
    }))
}

/// Fetches the daily file from `url` now and stores it; the outcome is recorded either way.
pub async fn fetch(
    db: &Db,
    outbound: &Outbound,
    url: &str,
    now: DateTime<Utc>,
) -> Result<Imported, FetchError> {
    let got = async {
        let answer = outbound.get(url).send().await?.error_for_status()?;
        let text = std::str::from_utf8(&answer.body).map_err(|_| FetchError::NotText)?;
        Ok::<_, FetchError>(parse_ecb(text)?)
    }
    .await;
    match got {
        Ok(sheets) => Ok(store(db, &sheets, How::Fetched, now).await?),
        Err(e) => {
            record(db, How::Fetched, now, Err(&e.to_string())).await?;
            Err(e)
        }
    }
}

/// The scheduled fetch at `now` when it is due and this node claims it. `Ok(None)`: not
/// due, or another node's turn. A failed fetch is an `Ok(Some(Err))`, retried after
/// [`RETRY_AFTER`].
pub async fn scheduled(
    db: &Db,
    outbound: &Outbound,
    url: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<Result<Imported, String>>> {
    if !db.claim_setting(CLAIM, now, now - EVERY).await? {
        return Ok(None);
    }
    match fetch(db, outbound, url, now).await {
        Ok(i) => Ok(Some(Ok(i))),
        Err(FetchError::Db(e)) => Err(e),
        Err(e) => {
            let retry = (now - EVERY + RETRY_AFTER).min(now);
            db.set_setting(CLAIM, retry.timestamp()).await?;
            Ok(Some(Err(e.to_string())))
        }
    }
}
