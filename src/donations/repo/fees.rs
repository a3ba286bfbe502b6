//! Fee entries (`ledger_entries` of kind `fee`: the provider's cut of one donation, negative,
//! in the campaign currency, with the fee as taken in `original_*` and the rate), the
//! ledger check's fee rules, and every entry as the accountants' export lists it. Fee
//! entries never touch `campaign_totals`: raised stays gross.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// A fee entry to append.
#[derive(Debug, Clone)]
pub struct NewFee<'a> {
    pub campaign_id: &'a str,
    pub donation_id: &'a str,
    /// Negative: money out, in the campaign currency.
    pub amount_minor: i64,
    /// The fee as the provider took it (negative too) and its currency.
    pub original_minor: i64,
    pub original_currency: &'a str,
    /// The rate it was converted at; `None` when it was in the campaign currency.
    pub rate: Option<String>,
    pub memo: &'a str,
}

/// Appends the donation's fee entry unless it has one (the unique index `ledger_one_fee`);
/// `true` when appended.
pub async fn insert(db: &Db, f: &NewFee<'_>, now: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
            "INSERT INTO ledger_entries (id, campaign_id, donation_id, kind, amount_minor, \
             donor_delta, memo, created_at, original_amount_minor, original_currency, rate) \
             VALUES ($1, $2, $3, 'fee', $4, 0, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(f.campaign_id)
        .bind(f.donation_id)
        .bind(f.amount_minor)
        .bind(f.memo)
        .bind(now)
        .bind(f.original_minor)
        .bind(f.original_currency)
        .bind(&f.rate)
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

/// The donations made through a provider that reports fees (`stripe`, `paypal`, `test`)
/// without a fee entry, of one campaign or all, oldest first.
pub async fn without_fee(db: &Db, campaign_id: Option<&str>) -> DbResult<Vec<String>> {
    const SQL: &str = "SELECT d.id FROM donations d \
         WHERE d.provider IN ('stripe', 'paypal', 'test') \
         AND NOT EXISTS (SELECT 1 FROM ledger_entries l \
                         WHERE l.donation_id = d.id AND l.kind = 'fee')";
    Ok(match campaign_id {
        Some(c) => {
            let sql = format!("{SQL} AND d.campaign_id = $1 ORDER BY d.created_at, d.id");
            on_db!(db, |p| sqlx::query_scalar(&sql)
                .bind(c)
                .fetch_all(p)
                .await?)
        }
        None => {
            let sql = format!("{SQL} ORDER BY d.created_at, d.id");
            on_db!(db, |p| sqlx::query_scalar(&sql).fetch_all(p).await?)
        }
    })
}

/// Whether the donation has its fee entry.
pub async fn has_fee(db: &Db, donation_id: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_entries WHERE donation_id = $1 AND kind = 'fee'"
    )
    .bind(donation_id)
    .fetch_one(p)
    .await?);
    Ok(n > 0)
}

/// The donation's fee in the campaign currency (negative), if recorded.
pub async fn fee_of(db: &Db, donation_id: &str) -> DbResult<Option<i64>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT amount_minor FROM ledger_entries WHERE donation_id = $1 AND kind = 'fee'"
    )
    .bind(donation_id)
    .fetch_optional(p)
    .await?))
}

/// Σ of the fee entries (negative) of each campaign in `campaign_ids`: (campaign id, sum).
pub async fn totals(db: &Db, campaign_ids: &[String]) -> DbResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for id in campaign_ids {
        let sum: i64 = on_db!(db, |p| sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries \
             WHERE campaign_id = $1 AND kind = 'fee'"
        )
        .bind(id)
        .fetch_one(p)
        .await?);
        out.push((id.clone(), sum));
    }
    Ok(out)
}

/// Fee entries that break the ledger's fee rules: (entry id, campaign id, why). A fee names
/// a donation of its own campaign, is not positive, and is the donation's only one.
pub async fn broken(db: &Db) -> DbResult<Vec<(String, String, String)>> {
    let rows: Vec<(String, String, Option<String>, i64, i64)> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT l.id, l.campaign_id, d.campaign_id, l.amount_minor, \
               (SELECT COUNT(*) FROM ledger_entries o WHERE o.kind = 'fee' \
                  AND o.donation_id = l.donation_id) AS fees \
             FROM ledger_entries l LEFT JOIN donations d ON d.id = l.donation_id \
             WHERE l.kind = 'fee' ORDER BY l.seq",
        )
        .fetch_all(p)
        .await?
    });
    let mut out = Vec::new();
    for (id, campaign, donation_campaign, amount, fees) in rows {
        let why = match donation_campaign {
            None => "names no donation",
            Some(c) if c != campaign => "names a donation of another campaign",
            Some(_) if amount > 0 => "is positive",
            Some(_) if fees > 1 => "is one of several fees of its donation",
            Some(_) => continue,
        };
        out.push((id, campaign, why.to_string()));
    }
    Ok(out)
}

/// One ledger entry as the accountants' export lists it, with the original amount: a fee's
/// own columns, a donation entry's donation (amount, currency, rate).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub campaign_id: String,
    pub donation_id: Option<String>,
    pub kind: String,
    pub amount_minor: i64,
    pub memo: Option<String>,
    pub original_amount_minor: Option<i64>,
    pub original_currency: Option<String>,
    pub rate: Option<String>,
}

/// The entries of `campaign_ids` created in `[from, to)` (either end open), in order.
pub async fn entries(
    db: &Db,
    campaign_ids: &[String],
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> DbResult<Vec<EntryRow>> {
    let mut out = Vec::new();
    for id in campaign_ids {
        let rows: Vec<EntryRow> = on_db!(db, |p| {
            sqlx::query_as(
                "SELECT l.seq, l.created_at, l.campaign_id, l.donation_id, l.kind, l.amount_minor, \
                   l.memo, \
                   CASE WHEN l.kind = 'donation' THEN d.amount_minor \
                        ELSE l.original_amount_minor END AS original_amount_minor, \
                   CASE WHEN l.kind = 'donation' THEN d.currency \
                        ELSE l.original_currency END AS original_currency, \
                   CASE WHEN l.kind = 'donation' THEN d.rate ELSE l.rate END AS rate \
                 FROM ledger_entries l LEFT JOIN donations d ON d.id = l.donation_id \
                 WHERE l.campaign_id = $1 AND ($2 IS NULL OR l.created_at >= $2) \
                   AND ($3 IS NULL OR l.created_at < $3) ORDER BY l.seq",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?
        });
        out.extend(rows);
    }
    out.sort_by_key(|r| r.seq);
    Ok(out)
}

/// The payments of `provider` recorded in `[from, to)`, for a reconciliation:
/// (reference, donation id, amount, currency, the fee as taken and its currency).
pub async fn payments_between(
    db: &Db,
    provider: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<(String, String, i64, String, Option<i64>, Option<String>)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "SELECT COALESCE(m.payment_ref, d.provider_reference), d.id, d.amount_minor, d.currency, \
               f.original_amount_minor, f.original_currency \
             FROM donations d LEFT JOIN ledger_entries f ON f.donation_id = d.id AND f.kind = 'fee' \
             LEFT JOIN monthly_payments m ON m.donation_id = d.id \
             WHERE d.provider = $1 AND d.created_at >= $2 AND d.created_at < $3 \
             ORDER BY d.created_at, d.id",
        )
        .bind(provider)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await?
    }))
}

/// Whether a donation of `provider` has the reference (recorded at any time): its own, or
/// the payment that paid a monthly gift's invoice.
pub async fn donation_by_reference(
    db: &Db,
    provider: &str,
    reference: &str,
) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT id FROM donations WHERE provider = $1 AND provider_reference = $2 \
         UNION ALL SELECT d.id FROM monthly_payments m JOIN donations d ON d.id = m.donation_id \
         WHERE d.provider = $1 AND m.payment_ref = $2 LIMIT 1"
    )
    .bind(provider)
    .bind(reference)
    .fetch_optional(p)
    .await?))
}

/// The payment a provider knows a donation by, when it is not the donation's reference: a
/// monthly payment's payment intent (or charge); the invoice is what the donation is keyed on.
pub async fn payment_of(db: &Db, donation_id: &str) -> DbResult<Option<String>> {
    let r: Option<Option<String>> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT payment_ref FROM monthly_payments WHERE donation_id = $1"
    )
    .bind(donation_id)
    .fetch_optional(p)
    .await?);
    Ok(r.flatten())
}

/// Σ of the refund entries (negative) of a donation.
pub async fn refunded(db: &Db, donation_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries \
         WHERE donation_id = $1 AND kind = 'refund'"
    )
    .bind(donation_id)
    .fetch_one(p)
    .await?))
}
