//! The donation search: which donations the console lists and exports ([`Filter`]), newest
//! first, with every stored field ([`DonationFull`]). The conditions depend on the filter,
//! so the statements are built with sea-query, which numbers and binds their values for
//! either backend.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{
    Alias, Asterisk, Cond, Condition, Expr, Func, Iden, LikeExpr, Order, PostgresQueryBuilder,
    Query, SelectStatement, SqliteQueryBuilder,
};
use sea_query_binder::{SqlxBinder, SqlxValues};

use crate::db::{Db, DbResult};
use crate::donations::{DonationStatus, Visibility};
use crate::on_db;

/// A donation with every stored field (its visibility and status decoded here, at the row).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DonationFull {
    pub id: String,
    pub campaign_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub rate: String,
    pub campaign_amount_minor: i64,
    /// What the donor added to cover the fees (part of `amount_minor`), 0 when nothing.
    pub cover_minor: i64,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub message: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    pub provider: String,
    pub provider_reference: String,
    #[sqlx(try_from = "String")]
    pub status: DonationStatus,
    pub received_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The day of the ECB reference rate a converted offline gift used.
    pub rate_on: Option<NaiveDate>,
}

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

/// The `donations` table and the columns the search names.
#[derive(Iden)]
enum Donations {
    Table,
    Id,
    CampaignId,
    AmountMinor,
    Currency,
    Rate,
    CampaignAmountMinor,
    CoverMinor,
    DonorName,
    DonorEmail,
    Message,
    Visibility,
    Provider,
    ProviderReference,
    Status,
    ReceivedOn,
    Note,
    CreatedAt,
    RateOn,
}

/// `SELECT` every column of [`DonationFull`] `FROM donations`.
fn select_full() -> SelectStatement {
    use Donations::*;
    Query::select()
        .columns([
            Id,
            CampaignId,
            AmountMinor,
            Currency,
            Rate,
            CampaignAmountMinor,
            CoverMinor,
            DonorName,
            DonorEmail,
            Message,
            Visibility,
            Provider,
            ProviderReference,
            Status,
            ReceivedOn,
            Note,
            CreatedAt,
            RateOn,
        ])
        .from(Table)
        .to_owned()
}

/// The filter's conditions, all of which must hold.
fn condition(f: &Filter) -> Condition {
    let mut c = Cond::all().add(Expr::col(Donations::CampaignId).is_in(f.campaign_ids.iter()));
    if let Some(p) = &f.provider {
        c = c.add(Expr::col(Donations::Provider).eq(p.as_str()));
    }
    if let Some(v) = f.visibility {
        c = c.add(Expr::col(Donations::Visibility).eq(v.as_str()));
    }
    if let Some(t) = f.from {
        c = c.add(Expr::col(Donations::CreatedAt).gte(t));
    }
    if let Some(t) = f.until {
        c = c.add(Expr::col(Donations::CreatedAt).lt(t));
    }
    if let Some(q) = &f.q {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let name = Func::coalesce([Expr::col(Donations::DonorName).into(), Expr::val("").into()]);
        c = c.add(
            Expr::expr(Func::lower(name)).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    c
}

/// The statement's text and values for the backend of `db`.
fn build(db: &Db, q: &SelectStatement) -> (String, SqlxValues) {
    match db {
        Db::Sqlite(_) => q.build_sqlx(SqliteQueryBuilder),
        Db::Postgres(_) => q.build_sqlx(PostgresQueryBuilder),
    }
}

/// Matching donations, newest first; `limit <= 0` means all.
pub async fn search(db: &Db, f: &Filter, limit: i64, offset: i64) -> DbResult<Vec<DonationFull>> {
    if f.campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = select_full();
    q.cond_where(condition(f))
        .order_by(Donations::CreatedAt, Order::Desc)
        .order_by(Donations::Id, Order::Asc);
    if limit > 0 {
        q.limit(limit.unsigned_abs())
            .offset(offset.max(0).unsigned_abs());
    }
    let (sql, values) = build(db, &q);
    Ok(on_db!(db, |p| sqlx::query_as_with::<_, DonationFull, _>(
        &sql, values
    )
    .fetch_all(p)
    .await?))
}

/// How many donations match.
pub async fn count(db: &Db, f: &Filter) -> DbResult<i64> {
    if f.campaign_ids.is_empty() {
        return Ok(0);
    }
    let q = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from(Donations::Table)
        .cond_where(condition(f))
        .to_owned();
    let (sql, values) = build(db, &q);
    Ok(on_db!(db, |p| sqlx::query_scalar_with::<_, i64, _>(
        &sql, values
    )
    .fetch_one(p)
    .await?))
}

/// One donation with every stored field.
pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<DonationFull>> {
    let q = select_full()
        .and_where(Expr::col(Donations::Id).eq(id))
        .to_owned();
    let (sql, values) = build(db, &q);
    Ok(on_db!(db, |p| sqlx::query_as_with::<_, DonationFull, _>(
        &sql, values
    )
    .fetch_optional(p)
    .await?))
}

/// Every provider that has a donation, by name.
pub async fn providers(db: &Db) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT provider FROM donations ORDER BY provider"
    )
    .fetch_all(p)
    .await?))
}

/// The totals of one month and currency (the donations page's table).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthTotal {
    /// `YYYY-MM`: the month received (an offline gift's date received, else the day it was
    /// recorded, UTC).
    pub month: String,
    /// The currency given (not converted).
    pub currency: String,
    pub gifts: i64,
    pub amount_minor: i64,
}

/// Voided donations count in no total.
const NOT_VOIDED: &str =
    "NOT EXISTS (SELECT 1 FROM donation_voids v WHERE v.donation_id = donations.id)";

/// The matching donations' totals per month received and currency given, newest month
/// first; voided donations left out.
pub async fn monthly_totals(db: &Db, f: &Filter) -> DbResult<Vec<MonthTotal>> {
    if f.campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let month = match db {
        Db::Sqlite(_) => "substr(COALESCE(received_on, created_at), 1, 7)",
        Db::Postgres(_) => {
            "to_char(COALESCE(received_on, CAST(created_at AT TIME ZONE 'UTC' AS DATE)), 'YYYY-MM')"
        }
    };
    let q = Query::select()
        .expr_as(Expr::cust(month), Alias::new("month"))
        .column(Donations::Currency)
        .expr_as(Expr::col(Asterisk).count(), Alias::new("gifts"))
        .expr_as(
            Expr::cust("CAST(SUM(amount_minor) AS BIGINT)"),
            Alias::new("amount_minor"),
        )
        .from(Donations::Table)
        .cond_where(condition(f).add(Expr::cust(NOT_VOIDED)))
        .add_group_by([Expr::cust(month), Expr::col(Donations::Currency).into()])
        .order_by_expr(Expr::cust(month), Order::Desc)
        .order_by(Donations::Currency, Order::Asc)
        .to_owned();
    let (sql, values) = build(db, &q);
    Ok(on_db!(db, |p| sqlx::query_as_with::<_, MonthTotal, _>(
        &sql, values
    )
    .fetch_all(p)
    .await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_build_one_condition_for_either_backend() {
        let f = Filter {
            campaign_ids: vec!["a".into(), "b".into()],
            provider: Some("test".into()),
            visibility: Some(Visibility::Public),
            from: Some(DateTime::<Utc>::MIN_UTC),
            until: Some(DateTime::<Utc>::MAX_UTC),
            q: Some("50%_A\\".into()),
        };
        let mut q = Query::select();
        q.expr(Expr::col(Asterisk).count())
            .from(Donations::Table)
            .cond_where(condition(&f));
        let (sql, values) = q.build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT COUNT(*) FROM "donations" WHERE "campaign_id" IN ($1, $2) AND "provider" = $3 AND "visibility" = $4 AND "created_at" >= $5 AND "created_at" < $6 AND LOWER(COALESCE("donor_name", $7)) LIKE $8 ESCAPE E'\\'"#
        );
        let (lite, _) = q.build(SqliteQueryBuilder);
        assert!(
            lite.ends_with(r#"LIKE ? ESCAPE '\'"#),
            "SQLite reads the escape character as one backslash: {lite}"
        );
        assert_eq!(
            values.0.last(),
            Some(&sea_query::Value::String(Some(Box::new(
                "%50\\%\\_a\\\\%".into()
            ))))
        );
    }
}
