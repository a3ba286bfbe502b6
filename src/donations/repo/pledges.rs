//! The `pledges` and `matching_gifts` tables (rules in `donations::pledges` and
//! `donations::matching`), and the sum a match grows with: the campaign-currency amounts of
//! the donations that arrived in its window, voided ones and match settlements left out.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// A pledge as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PledgeRow {
    pub id: String,
    pub campaign_id: String,
    pub pledger: String,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub visibility: String,
    pub status: String,
    pub donation_id: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A matching gift as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MatchRow {
    pub id: String,
    pub campaign_id: String,
    pub sponsor: String,
    pub ratio_percent: i64,
    pub cap_minor: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub note: Option<String>,
    pub status: String,
    pub donation_id: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

const PLEDGE_COLUMNS: &str = "id, campaign_id, pledger, amount_minor, currency, expected_on, \
    note, visibility, status, donation_id, cancel_reason, created_by, created_at, closed_at";
const MATCH_COLUMNS: &str = "id, campaign_id, sponsor, ratio_percent, cap_minor, starts_at, \
    ends_at, time_zone, note, status, donation_id, cancel_reason, created_by, created_at, closed_at";

/// `$1, $2, …` for `n` values.
fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn insert_pledge_in(tx: &mut Tx, p: &PledgeRow) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO pledges ({PLEDGE_COLUMNS}) VALUES ({})",
        marks(1, 14)
    );
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(&p.id)
        .bind(&p.campaign_id)
        .bind(&p.pledger)
        .bind(p.amount_minor)
        .bind(&p.currency)
        .bind(p.expected_on)
        .bind(&p.note)
        .bind(&p.visibility)
        .bind(&p.status)
        .bind(&p.donation_id)
        .bind(&p.cancel_reason)
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.closed_at)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

pub async fn insert_match_in(tx: &mut Tx, m: &MatchRow) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO matching_gifts ({MATCH_COLUMNS}) VALUES ({})",
        marks(1, 15)
    );
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(&m.id)
        .bind(&m.campaign_id)
        .bind(&m.sponsor)
        .bind(m.ratio_percent)
        .bind(m.cap_minor)
        .bind(m.starts_at)
        .bind(m.ends_at)
        .bind(&m.time_zone)
        .bind(&m.note)
        .bind(&m.status)
        .bind(&m.donation_id)
        .bind(&m.cancel_reason)
        .bind(&m.created_by)
        .bind(m.created_at)
        .bind(m.closed_at)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// The pledges of these campaigns (open ones only when `open_only`), open first, newest first.
pub async fn pledges_of(
    db: &Db,
    campaign_ids: &[String],
    open_only: bool,
) -> DbResult<Vec<PledgeRow>> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PLEDGE_COLUMNS} FROM pledges WHERE campaign_id IN ({}){} \
         ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, created_at DESC, id",
        marks(1, campaign_ids.len()),
        if open_only {
            " AND status = 'open'"
        } else {
            ""
        }
    );
    Ok(on_db!(db, |p| {
        let mut q = sqlx::query_as(&sql);
        for id in campaign_ids {
            q = q.bind(id);
        }
        q.fetch_all(p).await?
    }))
}

/// The matching gifts of these campaigns (open ones only when `open_only`), open first, by
/// start.
pub async fn matches_of(
    db: &Db,
    campaign_ids: &[String],
    open_only: bool,
) -> DbResult<Vec<MatchRow>> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {MATCH_COLUMNS} FROM matching_gifts WHERE campaign_id IN ({}){} \
         ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, starts_at DESC, id",
        marks(1, campaign_ids.len()),
        if open_only {
            " AND status = 'open'"
        } else {
            ""
        }
    );
    Ok(on_db!(db, |p| {
        let mut q = sqlx::query_as(&sql);
        for id in campaign_ids {
            q = q.bind(id);
        }
        q.fetch_all(p).await?
    }))
}

pub async fn pledge(db: &Db, id: &str) -> DbResult<Option<PledgeRow>> {
    let sql = format!("SELECT {PLEDGE_COLUMNS} FROM pledges WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

pub async fn matching_gift(db: &Db, id: &str) -> DbResult<Option<MatchRow>> {
    let sql = format!("SELECT {MATCH_COLUMNS} FROM matching_gifts WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// Ends an open pledge or match (`table`: `pledges` or `matching_gifts`) as `status`, with
/// the donation it became or the reason it was cancelled. `false` when it was not open any
/// more (someone else ended it first; the caller rolls back).
pub async fn close_in(
    tx: &mut Tx,
    table: Table,
    id: &str,
    status: &str,
    donation_id: Option<&str>,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let sql = format!(
        "UPDATE {} SET status = $2, donation_id = $3, cancel_reason = $4, closed_at = $5 \
         WHERE id = $1 AND status = 'open'",
        table.name()
    );
    let n = on_tx!(tx, |c| sqlx::query(&sql)
        .bind(id)
        .bind(status)
        .bind(donation_id)
        .bind(reason)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The two tables [`close_in`] ends rows of.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    Pledges,
    MatchingGifts,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Pledges => "pledges",
            Table::MatchingGifts => "matching_gifts",
        }
    }
}

const WINDOW_SUM: &str = "SELECT CAST(COALESCE(SUM(d.campaign_amount_minor), 0) AS BIGINT) \
     FROM donations d WHERE d.campaign_id = $1 AND d.created_at >= $2 AND d.created_at < $3 \
     AND NOT EXISTS (SELECT 1 FROM donation_voids v WHERE v.donation_id = d.id) \
     AND NOT EXISTS (SELECT 1 FROM matching_gifts m WHERE m.donation_id = d.id)";

/// Σ campaign-currency amounts of the campaign's donations recorded in `[from, to)`, voided
/// gifts and match settlements left out.
pub async fn window_sum(
    db: &Db,
    campaign_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(WINDOW_SUM)
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_one(p)
        .await?))
}

/// [`window_sum`] inside a transaction (a settlement reads what it settles).
pub async fn window_sum_in(
    tx: &mut Tx,
    campaign_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<i64> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar(WINDOW_SUM)
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *c)
        .await?))
}
