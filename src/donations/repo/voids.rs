//! The `donation_voids` table and the ledger's side of a void: the reversing entry and the
//! totals it takes back. Append-only like the ledger (database triggers refuse changes); the
//! rules are in `donations::voids`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// What a void needs to know of the donation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoidTarget {
    pub id: String,
    pub campaign_id: String,
    pub provider: String,
    pub campaign_amount_minor: i64,
}

/// A void as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoidRow {
    pub donation_id: String,
    pub entry_id: String,
    pub reason: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

const VOID_COLUMNS: &str = "v.donation_id, v.entry_id, v.reason, v.actor, v.created_at";

pub async fn target_in(tx: &mut Tx, donation_id: &str) -> DbResult<Option<VoidTarget>> {
    Ok(on_tx!(tx, |c| sqlx::query_as(
        "SELECT id, campaign_id, provider, campaign_amount_minor FROM donations WHERE id = $1"
    )
    .bind(donation_id)
    .fetch_optional(&mut *c)
    .await?))
}

pub async fn of_in(tx: &mut Tx, donation_id: &str) -> DbResult<Option<VoidRow>> {
    let sql = format!("SELECT {VOID_COLUMNS} FROM donation_voids v WHERE v.donation_id = $1");
    Ok(on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(donation_id)
        .fetch_optional(&mut *c)
        .await?))
}

/// Appends the entry that reverses a donation of `amount_minor`: an `adjustment` of the
/// negative amount and one donor less, linked to the donation, the reason as its memo.
/// Returns the entry's id.
pub async fn insert_reversal_in(
    tx: &mut Tx,
    campaign_id: &str,
    donation_id: &str,
    amount_minor: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO ledger_entries (id, campaign_id, donation_id, kind, amount_minor, donor_delta, memo, created_at) \
         VALUES ($1, $2, $3, 'adjustment', $4, -1, $5, $6)"
    )
    .bind(&id)
    .bind(campaign_id)
    .bind(donation_id)
    .bind(-amount_minor)
    .bind(format!("void: {reason}"))
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(id)
}

/// Marks a donation voided; `false` when it already was (a concurrent void won).
pub async fn insert_in(tx: &mut Tx, v: &VoidRow) -> DbResult<bool> {
    let inserted: Option<String> = on_tx!(tx, |c| sqlx::query_scalar(
        "INSERT INTO donation_voids (donation_id, entry_id, reason, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (donation_id) DO NOTHING RETURNING donation_id"
    )
    .bind(&v.donation_id)
    .bind(&v.entry_id)
    .bind(&v.reason)
    .bind(&v.actor)
    .bind(v.created_at)
    .fetch_optional(&mut *c)
    .await?);
    Ok(inserted.is_some())
}

/// The void of one donation, if it was voided.
pub async fn of(db: &Db, donation_id: &str) -> DbResult<Option<VoidRow>> {
    let sql = format!("SELECT {VOID_COLUMNS} FROM donation_voids v WHERE v.donation_id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(donation_id)
        .fetch_optional(p)
        .await?))
}

/// The voids of the donations of these campaigns, by donation id (voids are few: mistakes).
pub async fn of_campaigns(db: &Db, campaign_ids: &[String]) -> DbResult<HashMap<String, VoidRow>> {
    if campaign_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks: Vec<String> = (1..=campaign_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {VOID_COLUMNS} FROM donation_voids v JOIN donations d ON d.id = v.donation_id \
         WHERE d.campaign_id IN ({})",
        marks.join(", ")
    );
    let rows: Vec<VoidRow> = on_db!(db, |p| {
        let mut q = sqlx::query_as(&sql);
        for id in campaign_ids {
            q = q.bind(id);
        }
        q.fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|v| (v.donation_id.clone(), v))
        .collect())
}

/// Voids whose entry does not take back exactly their donation (for the ledger check):
/// (campaign slug, donation id, the donation's amount, the entry's amount or 0 if missing).
pub async fn not_reversing(db: &Db) -> DbResult<Vec<(String, String, i64, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT c.slug, d.id, d.campaign_amount_minor, COALESCE(l.amount_minor, 0) AS entered \
         FROM donation_voids v JOIN donations d ON d.id = v.donation_id \
         JOIN campaigns c ON c.id = d.campaign_id \
         LEFT JOIN ledger_entries l ON l.id = v.entry_id AND l.donation_id = d.id \
           AND l.kind = 'adjustment' AND l.donor_delta = -1 \
         WHERE l.amount_minor IS NULL OR l.amount_minor <> -d.campaign_amount_minor"
    )
    .fetch_all(p)
    .await?))
}
