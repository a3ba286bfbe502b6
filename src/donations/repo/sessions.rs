//! The `checkout_sessions` table: opening a session, reading it (inside a callback's
//! transaction under its row lock), its status changes and the checkout limits' counts.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbError, DbResult, Tx};
use crate::donations::Visibility;
use crate::donations::checkout::{CheckoutSession, SessionStatus};
use crate::donations::intent::Intent;
use crate::email::Email;
use crate::money::{CurrencyCode, Money};
use crate::{on_db, on_tx};

/// Stores `s` as a new open session created at `now`.
pub async fn insert(
    db: &Db,
    s: &CheckoutSession,
    now: DateTime<Utc>,
    client_hash: Option<&str>,
) -> DbResult<()> {
    let d = &s.intent;
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO checkout_sessions (id, campaign_id, provider, amount_minor, currency, rate, \
         campaign_amount_minor, donor_name, donor_email, message, visibility, status, donation_id, \
         created_at, expires_at, client_hash, cover_minor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14, $15, $16)"
    )
    .bind(&s.id)
    .bind(&d.campaign_id)
    .bind(&s.provider)
    .bind(d.amount.amount_minor)
    .bind(d.amount.currency.as_str())
    .bind(d.rate.to_string())
    .bind(d.campaign_amount.amount_minor)
    .bind(&d.donor_name)
    .bind(d.donor_email.as_ref().map(|e| e.as_str()))
    .bind(&d.message)
    .bind(d.visibility.as_str())
    .bind(s.status.as_str())
    .bind(now)
    .bind(s.expires_at)
    .bind(client_hash)
    .bind(d.cover_minor)
    .execute(p)
    .await?.rows_affected()
    });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    campaign_id: String,
    provider: String,
    amount_minor: i64,
    currency: String,
    rate: String,
    campaign_amount_minor: i64,
    cover_minor: i64,
    campaign_currency: String,
    donor_name: Option<String>,
    donor_email: Option<String>,
    message: Option<String>,
    visibility: String,
    status: String,
    donation_id: Option<String>,
    expires_at: DateTime<Utc>,
}

const SESSION_SELECT: &str = "SELECT s.id, s.campaign_id, s.provider, s.amount_minor, s.currency, s.rate, \
    s.campaign_amount_minor, s.cover_minor, c.currency AS campaign_currency, s.donor_name, s.donor_email, s.message, \
    s.visibility, s.status, s.donation_id, s.expires_at \
    FROM checkout_sessions s JOIN campaigns c ON c.id = s.campaign_id WHERE s.id = $1";

impl TryFrom<SessionRow> for CheckoutSession {
    type Error = DbError;
    fn try_from(r: SessionRow) -> Result<Self, DbError> {
        let bad = |w: &str| DbError::Corrupt(format!("checkout session {}: bad {w}", r.id));
        let cur = CurrencyCode::parse(&r.currency).map_err(|_| bad("currency"))?;
        let ccur =
            CurrencyCode::parse(&r.campaign_currency).map_err(|_| bad("campaign currency"))?;
        Ok(CheckoutSession {
            intent: Intent {
                campaign_id: r.campaign_id,
                amount: Money::new(r.amount_minor, cur),
                rate: r.rate.parse().map_err(|_| bad("rate"))?,
                campaign_amount: Money::new(r.campaign_amount_minor, ccur),
                cover_minor: r.cover_minor,
                donor_name: r.donor_name,
                donor_email: r.donor_email.as_deref().and_then(|e| Email::parse(e).ok()),
                message: r.message,
                visibility: Visibility::parse(&r.visibility).ok_or_else(|| bad("visibility"))?,
            },
            status: SessionStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            id: r.id,
            provider: r.provider,
            donation_id: r.donation_id,
            expires_at: r.expires_at,
        })
    }
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<CheckoutSession>> {
    let row: Option<SessionRow> = on_db!(db, |p| sqlx::query_as(SESSION_SELECT)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(CheckoutSession::try_from).transpose()
}

/// Claims the session inside `tx` and reads it: its row lock is taken before it is read, so
/// callbacks for one session are decided one after the other and each sees the outcome of
/// the one before. (SQLite's `BEGIN IMMEDIATE` already serializes writers; on PostgreSQL at
/// READ COMMITTED, two callbacks with different payment references would otherwise both
/// read `open` and both record a donation.)
pub async fn claim_in(tx: &mut Tx, id: &str) -> DbResult<Option<CheckoutSession>> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE checkout_sessions SET status = status WHERE id = $1"
    )
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    let row: Option<SessionRow> = on_tx!(tx, |c| sqlx::query_as(SESSION_SELECT)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?);
    row.map(CheckoutSession::try_from).transpose()
}

/// Moves an `open` session's expiry to `until` when that is later (a payment under way).
pub async fn extend_open_in(tx: &mut Tx, id: &str, until: DateTime<Utc>) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE checkout_sessions SET expires_at = $2 \
         WHERE id = $1 AND status = $3 AND expires_at < $2"
    )
    .bind(id)
    .bind(until)
    .bind(SessionStatus::Open.as_str())
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Sets the session's status and, unless it has one, its donation.
pub async fn settle_in(
    tx: &mut Tx,
    id: &str,
    status: SessionStatus,
    donation_id: &str,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE checkout_sessions SET status = $2, donation_id = COALESCE(donation_id, $3) \
         WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(donation_id)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Moves an `open` session to `status` (a decline or cancel); any other session is left.
pub async fn close_open_in(tx: &mut Tx, id: &str, status: SessionStatus) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE checkout_sessions SET status = $2 WHERE id = $1 AND status = $3"
    )
    .bind(id)
    .bind(status.as_str())
    .bind(SessionStatus::Open.as_str())
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Closes an `open` session whose provider could not start the checkout: canceled, its
/// client hash cleared and `failed_at` set, so no checkout limit counts it.
pub async fn mark_failed(db: &Db, id: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE checkout_sessions SET status = $2, client_hash = NULL, failed_at = $3 \
         WHERE id = $1 AND status = $4"
    )
    .bind(id)
    .bind(SessionStatus::Canceled.as_str())
    .bind(now)
    .bind(SessionStatus::Open.as_str())
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Which column a checkout limit counts sessions by.
#[derive(Clone, Copy)]
pub enum Keyed {
    Client,
    Campaign,
}

/// When the `n`-th newest checkout session with `key` in the column `by` was created, if
/// there are at least `n` since `since` (per client: reading `n` index entries; per
/// campaign: the `n`-th newest of the distinct clients' newest unfinished sessions, reading
/// the campaign's sessions in the window).
pub async fn nth_newest_since(
    db: &Db,
    by: Keyed,
    key: &str,
    other_than: &str,
    since: DateTime<Utc>,
    n: i64,
) -> DbResult<Option<DateTime<Utc>>> {
    let sql = match by {
        Keyed::Client => {
            "SELECT created_at FROM checkout_sessions WHERE client_hash = $1 AND created_at > $2 \
             ORDER BY created_at DESC LIMIT 1 OFFSET $3"
        }
        // One row per distinct client other than the one asking (a session without a hash
        // counts on its own), with its newest unfinished or failed checkout; succeeded ones
        // never trip the breaker, and a client already counted does not count twice.
        Keyed::Campaign => {
            "SELECT MAX(created_at) AS last FROM checkout_sessions \
             WHERE campaign_id = $1 AND created_at > $2 AND status <> 'succeeded' \
             AND failed_at IS NULL \
             AND (client_hash IS NULL OR client_hash <> $4) \
             GROUP BY COALESCE(client_hash, id) ORDER BY last DESC LIMIT 1 OFFSET $3"
        }
    };
    Ok(on_db!(db, |p| {
        let q = sqlx::query_scalar(sql).bind(key).bind(since).bind(n - 1);
        match by {
            Keyed::Client => q.fetch_optional(p).await?,
            Keyed::Campaign => q.bind(other_than).fetch_optional(p).await?,
        }
    }))
}

/// Clears the client hashes of sessions created before `before` (they count for no limit
/// any more). Returns how many were cleared.
pub async fn forget_client_hashes(db: &Db, before: DateTime<Utc>) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "UPDATE checkout_sessions SET client_hash = NULL \
         WHERE client_hash IS NOT NULL AND created_at < $1"
    )
    .bind(before)
    .execute(p)
    .await?
    .rows_affected()))
}
