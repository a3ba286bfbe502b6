//! What brought a checkout (`checkout_sessions.ref_code`, `utm_source`, `referrer_host`) and the ledger's
//! entries of a campaign with it, for promotion's "what brought the money".

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// Keeps what brought the checkout `session_id`.
pub async fn set_source(
    db: &Db,
    session_id: &str,
    ref_code: Option<&str>,
    utm_source: Option<&str>,
    referrer_host: Option<&str>,
) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "UPDATE checkout_sessions SET ref_code = $2, utm_source = $3, referrer_host = $4 WHERE id = $1"
    )
    .bind(session_id)
    .bind(ref_code)
    .bind(utm_source)
    .bind(referrer_host)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// What brought the checkout `session_id` (`ref_code`, `utm_source`, `referrer_host`), when
/// known.
pub async fn source(
    db: &Db,
    session_id: &str,
) -> DbResult<(Option<String>, Option<String>, Option<String>)> {
    type Row = (Option<String>, Option<String>, Option<String>);
    let row: Option<Row> = on_db!(db, |p| sqlx::query_as(
        "SELECT ref_code, utm_source, referrer_host FROM checkout_sessions WHERE id = $1"
    )
    .bind(session_id)
    .fetch_optional(p)
    .await?);
    let some = |v: Option<String>| v.filter(|c| !c.is_empty());
    Ok(row
        .map(|(r, u, h)| (some(r), some(u), some(h)))
        .unwrap_or_default())
}

#[derive(sqlx::FromRow)]
struct Row {
    created_at: DateTime<Utc>,
    amount_minor: i64,
    kind: String,
    donation_id: Option<String>,
    ref_code: Option<String>,
    utm_source: Option<String>,
    referrer_host: Option<String>,
}

/// A ledger entry that counts towards a campaign's total, with what brought its donation.
#[derive(Debug, Clone)]
pub struct CreditedEntry {
    pub at: DateTime<Utc>,
    /// In the campaign's currency's minor units (a refund is negative).
    pub amount_minor: i64,
    /// The gift itself (not a refund or an adjustment): counts as one donation.
    pub is_gift: bool,
    pub donation_id: Option<String>,
    pub ref_code: Option<String>,
    pub utm_source: Option<String>,
    /// The site that sent the visitor to the campaign page, when its script could tell.
    pub referrer_host: Option<String>,
}

/// Every ledger entry of `campaign_id` that counts towards its total (fees left out), in
/// order, with the source of the checkout its donation came through.
pub async fn entries(db: &Db, campaign_id: &str) -> DbResult<Vec<CreditedEntry>> {
    let rows = on_db!(db, |p| sqlx::query_as::<_, Row>(
        "SELECT l.created_at, l.amount_minor, l.kind, l.donation_id, s.ref_code, s.utm_source, \
         s.referrer_host \
         FROM ledger_entries l LEFT JOIN checkout_sessions s \
           ON s.donation_id = l.donation_id AND l.donation_id IS NOT NULL \
         WHERE l.campaign_id = $1 AND l.kind <> 'fee' ORDER BY l.seq"
    )
    .bind(campaign_id)
    .fetch_all(p)
    .await?);
    Ok(rows
        .into_iter()
        .map(|r| CreditedEntry {
            at: r.created_at,
            amount_minor: r.amount_minor,
            is_gift: r.kind == "donation",
            donation_id: r.donation_id,
            ref_code: r.ref_code.filter(|c| !c.is_empty()),
            utm_source: r.utm_source.filter(|c| !c.is_empty()),
            referrer_host: r.referrer_host.filter(|c| !c.is_empty()),
        })
        .collect())
}
