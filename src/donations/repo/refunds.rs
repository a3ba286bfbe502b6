//! The `donation_refunds` table and the ledger's side of a refund: the `refund` entry. The
//! rules (what may be refunded, the conversion, who is told) are in `donations::refunds`.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// A refund as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefundRow {
    pub id: String,
    pub donation_id: String,
    pub campaign_id: String,
    pub provider: String,
    pub provider_refund_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub campaign_amount_minor: Option<i64>,
    /// `requested`, `pending`, `succeeded` or `failed`.
    pub status: String,
    pub reason: Option<String>,
    pub requested_by: Option<String>,
    pub error: Option<String>,
    pub entry_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const INSERT_COLUMNS: &str = "id, donation_id, campaign_id, provider, provider_refund_id, \
     amount_minor, currency, campaign_amount_minor, status, reason, requested_by, error, entry_id, \
     created_at, updated_at";

/// A parked refund (no donation yet) reads with empty ids.
const COLUMNS: &str = "id, COALESCE(donation_id, '') AS donation_id, \
     COALESCE(campaign_id, '') AS campaign_id, provider, provider_refund_id, amount_minor, \
     currency, campaign_amount_minor, status, reason, requested_by, error, entry_id, created_at, \
     updated_at";

/// What a refund needs to know of the donation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub id: String,
    pub campaign_id: String,
    pub provider: String,
    pub provider_reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub rate: String,
    pub campaign_amount_minor: i64,
}

/// A donation as a refund sees it; `provider_reference` is the payment to refund: a monthly
/// payment's payment intent (or charge) when known, else the donation's own reference.
pub async fn target_in(tx: &mut Tx, donation_id: &str) -> DbResult<Option<Target>> {
    Ok(on_tx!(tx, |c| sqlx::query_as(
        "SELECT d.id, d.campaign_id, d.provider, \
         COALESCE(m.payment_ref, d.provider_reference) AS provider_reference, d.amount_minor, \
         d.currency, d.rate, d.campaign_amount_minor FROM donations d \
         LEFT JOIN monthly_payments m ON m.donation_id = d.id WHERE d.id = $1"
    )
    .bind(donation_id)
    .fetch_optional(&mut *c)
    .await?))
}

/// Inserts a refund; `false` when the provider's refund id is already stored (a concurrent
/// webhook won).
pub async fn insert_in(tx: &mut Tx, r: &RefundRow) -> DbResult<bool> {
    let sql = format!(
        "INSERT INTO donation_refunds ({INSERT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (provider, provider_refund_id) DO NOTHING RETURNING id"
    );
    let inserted: Option<String> = on_tx!(tx, |c| sqlx::query_scalar(&sql)
        .bind(&r.id)
        .bind(&r.donation_id)
        .bind(&r.campaign_id)
        .bind(&r.provider)
        .bind(&r.provider_refund_id)
        .bind(r.amount_minor)
        .bind(&r.currency)
        .bind(r.campaign_amount_minor)
        .bind(&r.status)
        .bind(&r.reason)
        .bind(&r.requested_by)
        .bind(&r.error)
        .bind(&r.entry_id)
        .bind(r.created_at)
        .bind(r.updated_at)
        .fetch_optional(&mut *c)
        .await?);
    Ok(inserted.is_some())
}

pub async fn by_id_in(tx: &mut Tx, id: &str) -> DbResult<Option<RefundRow>> {
    let sql = format!("SELECT {COLUMNS} FROM donation_refunds WHERE id = $1");
    Ok(on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?))
}

pub async fn by_provider_id_in(
    tx: &mut Tx,
    provider: &str,
    provider_refund_id: &str,
) -> DbResult<Option<RefundRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM donation_refunds WHERE provider = $1 AND provider_refund_id = $2"
    );
    Ok(on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(provider)
        .bind(provider_refund_id)
        .fetch_optional(&mut *c)
        .await?))
}

/// Provider refunds still `requested` (no answer kept) last changed before `before`.
pub async fn stuck(db: &Db, before: DateTime<Utc>) -> DbResult<Vec<RefundRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM donation_refunds WHERE status = 'requested' \
         AND donation_id IS NOT NULL AND updated_at < $1 ORDER BY created_at, id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(before)
        .fetch_all(p)
        .await?))
}

/// A donation's refunds, oldest first.
pub async fn of_donation_in(tx: &mut Tx, donation_id: &str) -> DbResult<Vec<RefundRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM donation_refunds WHERE donation_id = $1 ORDER BY created_at, id"
    );
    Ok(on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(donation_id)
        .fetch_all(&mut *c)
        .await?))
}

/// A donation's refunds, oldest first.
pub async fn of_donation(db: &Db, donation_id: &str) -> DbResult<Vec<RefundRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM donation_refunds WHERE donation_id = $1 ORDER BY created_at, id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(donation_id)
        .fetch_all(p)
        .await?))
}

/// Parks a provider's refund of a payment not recorded (yet): `false` when that refund id is
/// already stored.
#[allow(clippy::too_many_arguments)]
pub async fn park_in(
    tx: &mut Tx,
    id: &str,
    provider: &str,
    provider_refund_id: &str,
    payment_reference: &str,
    amount_minor: i64,
    currency: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let inserted: Option<String> = on_tx!(tx, |c| sqlx::query_scalar(
        "INSERT INTO donation_refunds (id, provider, provider_refund_id, payment_reference, \
         amount_minor, currency, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) \
         ON CONFLICT (provider, provider_refund_id) DO NOTHING RETURNING id"
    )
    .bind(id)
    .bind(provider)
    .bind(provider_refund_id)
    .bind(payment_reference)
    .bind(amount_minor)
    .bind(currency)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?);
    Ok(inserted.is_some())
}

/// The parked refunds of a provider's payment: (provider refund id, amount, currency).
pub async fn parked_in(
    tx: &mut Tx,
    provider: &str,
    payment_reference: &str,
) -> DbResult<Vec<(String, i64, String)>> {
    Ok(on_tx!(tx, |c| sqlx::query_as(
        "SELECT provider_refund_id, amount_minor, currency FROM donation_refunds \
         WHERE provider = $1 AND payment_reference = $2 AND donation_id IS NULL \
         AND provider_refund_id IS NOT NULL ORDER BY created_at, id"
    )
    .bind(provider)
    .bind(payment_reference)
    .fetch_all(&mut *c)
    .await?))
}

/// A parked refund's payment is now a donation: the refund becomes the donation's.
pub async fn claim_in(tx: &mut Tx, id: &str, donation_id: &str, campaign_id: &str) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE donation_refunds SET donation_id = $2, campaign_id = $3 \
         WHERE id = $1 AND donation_id IS NULL"
    )
    .bind(id)
    .bind(donation_id)
    .bind(campaign_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The provider answered: its refund id and the state it gave.
pub async fn set_provider_id_in(
    tx: &mut Tx,
    id: &str,
    provider_refund_id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE donation_refunds SET provider_refund_id = $2, status = $3, updated_at = $4 \
         WHERE id = $1"
    )
    .bind(id)
    .bind(provider_refund_id)
    .bind(status)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The refund went through and its entry was written.
pub async fn succeeded_in(
    tx: &mut Tx,
    id: &str,
    campaign_amount_minor: i64,
    entry_id: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE donation_refunds SET status = 'succeeded', campaign_amount_minor = $2, \
         entry_id = $3, error = NULL, updated_at = $4 WHERE id = $1 AND entry_id IS NULL"
    )
    .bind(id)
    .bind(campaign_amount_minor)
    .bind(entry_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The provider refused the refund or could not be reached: no entry.
pub async fn failed_in(tx: &mut Tx, id: &str, error: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE donation_refunds SET status = 'failed', error = $2, updated_at = $3 \
         WHERE id = $1 AND status IN ('requested', 'pending')"
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The webhook recorded the refund before the console's answer came back: the request's
/// who and why move to the recorded row, and the request row goes (it never had an entry).
pub async fn merge_request_in(tx: &mut Tx, request_id: &str, into_id: &str) -> DbResult<()> {
    on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE donation_refunds SET \
             requested_by = COALESCE(requested_by, (SELECT r.requested_by FROM donation_refunds r WHERE r.id = $1)), \
             reason = COALESCE(reason, (SELECT r.reason FROM donation_refunds r WHERE r.id = $1)) \
             WHERE id = $2",
        )
        .bind(request_id)
        .bind(into_id)
        .execute(&mut *c)
        .await?;
        sqlx::query("DELETE FROM donation_refunds WHERE id = $1 AND entry_id IS NULL")
            .bind(request_id)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Appends a refund's `refund` entry: `-amount_minor`, `donor_delta` (-1 when it completes
/// the donation's refund, else 0), linked to the donation. Returns the entry's id.
pub async fn insert_entry_in(
    tx: &mut Tx,
    campaign_id: &str,
    donation_id: &str,
    amount_minor: i64,
    donor_delta: i64,
    memo: &str,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO ledger_entries (id, campaign_id, donation_id, kind, amount_minor, donor_delta, memo, created_at) \
         VALUES ($1, $2, $3, 'refund', $4, $5, $6, $7)"
    )
    .bind(&id)
    .bind(campaign_id)
    .bind(donation_id)
    .bind(-amount_minor)
    .bind(donor_delta)
    .bind(memo)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(id)
}

/// What the refund entries took back of each of these donations (campaign currency), and
/// whether the donation is fully refunded: by donation id, only those with refunds.
pub async fn refunded_of(
    db: &Db,
    donation_ids: &[String],
) -> DbResult<std::collections::HashMap<String, (i64, bool)>> {
    if donation_ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (1..=donation_ids.len()).map(|i| format!("${i}")).collect();
    // Fully refunded: the succeeded refunds reach the amount in the donation's currency.
    let sql = format!(
        "SELECT l.donation_id, CAST(SUM(-l.amount_minor) AS BIGINT) AS refunded, \
           CAST(CASE WHEN COALESCE((SELECT SUM(r.amount_minor) FROM donation_refunds r \
             WHERE r.donation_id = l.donation_id AND r.status = 'succeeded'), 0) \
             >= MAX(d.amount_minor) THEN -1 ELSE 0 END AS BIGINT) AS least \
         FROM ledger_entries l JOIN donations d ON d.id = l.donation_id \
         WHERE l.kind = 'refund' AND l.donation_id IN ({}) GROUP BY l.donation_id",
        marks.join(", ")
    );
    let rows: Vec<(String, i64, i64)> = on_db!(db, |p| {
        let mut q = sqlx::query_as(&sql);
        for id in donation_ids {
            q = q.bind(id);
        }
        q.fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, refunded, least)| (id, (refunded, least < 0)))
        .collect())
}

/// Donations whose refunds do not agree with the ledger (for `ledger verify`): the refund
/// entries take back more than the donation, or a succeeded refund's entry is missing or of
/// another amount. (campaign id, donation id, the donation's amount, the refund entries' sum).
pub async fn not_matching(db: &Db) -> DbResult<Vec<(String, String, i64, i64)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "SELECT d.campaign_id, d.id, d.campaign_amount_minor, \
           CAST(COALESCE((SELECT SUM(-l.amount_minor) FROM ledger_entries l \
             WHERE l.donation_id = d.id AND l.kind = 'refund'), 0) AS BIGINT) AS refunded \
         FROM donations d \
         WHERE CAST(COALESCE((SELECT SUM(-l.amount_minor) FROM ledger_entries l \
             WHERE l.donation_id = d.id AND l.kind = 'refund'), 0) AS BIGINT) > d.campaign_amount_minor \
         OR EXISTS (SELECT 1 FROM donation_refunds r \
             LEFT JOIN ledger_entries l ON l.id = r.entry_id AND l.kind = 'refund' \
             WHERE r.donation_id = d.id AND r.status = 'succeeded' \
             AND (l.amount_minor IS NULL OR l.amount_minor <> -r.campaign_amount_minor))"
    )
    .fetch_all(p)
    .await?
    }))
}
