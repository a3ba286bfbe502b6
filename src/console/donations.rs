//! Donations in the console: the filterable, paginated list (`GET /admin/donations`), the
//! detail view, offline entry (`POST /admin/donations`, the same path as `shelfraiser
//! donation add`) and the CSV export for accountants.
//!
//! A member sees the donations of the campaigns where their roles allow `DonationsRead`,
//! enters offline donations where they allow `DonationsWrite` and exports where they allow
//! `Export`.

mod detail;
mod export;
mod list;
mod offline;

pub use detail::{DetailPage, DetailQuery, LedgerLine, detail};
pub use export::{CSV_HEADER, csv_cell, export};
pub use list::{DonationItem, DonationsPage, FilterForm, ListQuery, OfflineForm, list};
pub use offline::add_offline;

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, DbResult};
use crate::donations::Visibility;
use crate::on_db;

pub const PER_PAGE: i64 = 50;

/// A donation with every stored field.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DonationFull {
    pub id: String,
    pub campaign_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub rate: String,
    pub campaign_amount_minor: i64,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub message: Option<String>,
    pub visibility: String,
    pub provider: String,
    pub provider_reference: String,
    pub status: String,
    pub received_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

const FULL_COLUMNS: &str = "id, campaign_id, amount_minor, currency, rate, campaign_amount_minor, \
    donor_name, donor_email, message, visibility, provider, provider_reference, status, \
    received_on, note, created_at";

/// Which donations to list. An empty `campaign_ids` matches nothing (no access).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub campaign_ids: Vec<String>,
    pub provider: Option<String>,
    pub visibility: Option<Visibility>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub until: Option<DateTime<Utc>>,
    /// A substring of the donor name, any case.
    pub q: Option<String>,
}

enum Arg {
    S(String),
    T(DateTime<Utc>),
    I(i64),
}

/// Binds [`where_clause`]'s arguments, in order, to a query.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::S(v) => q.bind(v.clone()),
                Arg::T(t) => q.bind(*t),
                Arg::I(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// `WHERE …` and its arguments, numbered from `$1`.
fn where_clause(f: &Filter) -> (String, Vec<Arg>) {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    let next = |a: Arg, args: &mut Vec<Arg>| {
        args.push(a);
        format!("${}", args.len())
    };
    let ids: Vec<String> = f
        .campaign_ids
        .iter()
        .map(|id| next(Arg::S(id.clone()), &mut args))
        .collect();
    conds.push(format!("campaign_id IN ({})", ids.join(", ")));
    if let Some(p) = &f.provider {
        let n = next(Arg::S(p.clone()), &mut args);
        conds.push(format!("provider = {n}"));
    }
    if let Some(v) = f.visibility {
        let n = next(Arg::S(v.as_str().into()), &mut args);
        conds.push(format!("visibility = {n}"));
    }
    if let Some(t) = f.from {
        let n = next(Arg::T(t), &mut args);
        conds.push(format!("created_at >= {n}"));
    }
    if let Some(t) = f.until {
        let n = next(Arg::T(t), &mut args);
        conds.push(format!("created_at < {n}"));
    }
    if let Some(q) = &f.q {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let n = next(Arg::S(format!("%{escaped}%")), &mut args);
        conds.push(format!(
            "LOWER(COALESCE(donor_name, '')) LIKE {n} ESCAPE '\\'"
        ));
    }
    (format!("WHERE {}", conds.join(" AND ")), args)
}

/// Matching donations, newest first; `limit <= 0` means all.
pub async fn search(db: &Db, f: &Filter, limit: i64, offset: i64) -> DbResult<Vec<DonationFull>> {
    if f.campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (w, mut args) = where_clause(f);
    let mut sql = format!("SELECT {FULL_COLUMNS} FROM donations {w} ORDER BY created_at DESC, id");
    if limit > 0 {
        sql.push_str(&format!(
            " LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        ));
        args.push(Arg::I(limit));
        args.push(Arg::I(offset));
    }
    Ok(on_db!(db, |p| bind_args!(
        sqlx::query_as::<_, DonationFull>(&sql),
        &args
    )
    .fetch_all(p)
    .await?))
}

pub async fn count(db: &Db, f: &Filter) -> DbResult<i64> {
    if f.campaign_ids.is_empty() {
        return Ok(0);
    }
    let (w, args) = where_clause(f);
    let sql = format!("SELECT COUNT(*) FROM donations {w}");
    Ok(on_db!(db, |p| bind_args!(
        sqlx::query_scalar::<_, i64>(&sql),
        &args
    )
    .fetch_one(p)
    .await?))
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<DonationFull>> {
    let sql = format!("SELECT {FULL_COLUMNS} FROM donations WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

async fn providers(db: &Db) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT provider FROM donations ORDER BY provider"
    )
    .fetch_all(p)
    .await?))
}
