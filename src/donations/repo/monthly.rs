//! The `monthly_gifts` and `monthly_payments` tables: a monthly gift from its checkout to
//! its cancellation, and which donation paid which invoice.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbError, DbResult, Tx};
use crate::donations::Visibility;
use crate::donations::monthly::{MonthlyGift, MonthlyStatus};
use crate::money::{CurrencyCode, Money};
use crate::{on_db, on_tx};

#[derive(sqlx::FromRow)]
struct GiftRow {
    id: String,
    checkout_id: String,
    campaign_id: String,
    subscription_ref: Option<String>,
    amount_minor: i64,
    cover_minor: i64,
    currency: String,
    donor_name: Option<String>,
    donor_email: Option<String>,
    visibility: String,
    lang: String,
    status: String,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
    next_payment_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT id, checkout_id, campaign_id, subscription_ref, amount_minor, cover_minor, \
    currency, donor_name, donor_email, visibility, lang, status, created_at, started_at, \
    canceled_at, next_payment_at FROM monthly_gifts";

impl TryFrom<GiftRow> for MonthlyGift {
    type Error = DbError;
    fn try_from(r: GiftRow) -> Result<Self, DbError> {
        let bad = |w: &str| DbError::Corrupt(format!("monthly gift {}: bad {w}", r.id));
        Ok(MonthlyGift {
            amount: Money::new(
                r.amount_minor,
                CurrencyCode::parse(&r.currency).map_err(|_| bad("currency"))?,
            ),
            cover_minor: r.cover_minor,
            visibility: Visibility::parse(&r.visibility).ok_or_else(|| bad("visibility"))?,
            status: MonthlyStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            id: r.id,
            checkout_id: r.checkout_id,
            campaign_id: r.campaign_id,
            subscription_ref: r.subscription_ref,
            donor_name: r.donor_name,
            donor_email: r.donor_email,
            lang: r.lang,
            created_at: r.created_at,
            started_at: r.started_at,
            canceled_at: r.canceled_at,
            next_payment_at: r.next_payment_at,
        })
    }
}

/// Stores a new `pending` gift.
pub async fn insert(db: &Db, g: &MonthlyGift) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO monthly_gifts (id, checkout_id, campaign_id, amount_minor, currency, \
         donor_name, donor_email, visibility, lang, status, created_at, cover_minor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(&g.id)
    .bind(&g.checkout_id)
    .bind(&g.campaign_id)
    .bind(g.amount.amount_minor)
    .bind(g.amount.currency.as_str())
    .bind(&g.donor_name)
    .bind(&g.donor_email)
    .bind(g.visibility.as_str())
    .bind(&g.lang)
    .bind(g.status.as_str())
    .bind(g.created_at)
    .bind(g.cover_minor)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<MonthlyGift>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<GiftRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(MonthlyGift::try_from).transpose()
}

/// The gift of checkout `checkout_id`, inside `tx`.
pub async fn by_checkout_in(tx: &mut Tx, checkout_id: &str) -> DbResult<Option<MonthlyGift>> {
    let sql = format!("{SELECT} WHERE checkout_id = $1");
    let row: Option<GiftRow> = on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(checkout_id)
        .fetch_optional(&mut *c)
        .await?);
    row.map(MonthlyGift::try_from).transpose()
}

/// The gift of the provider's subscription `reference`, inside `tx`.
pub async fn by_subscription_in(tx: &mut Tx, reference: &str) -> DbResult<Option<MonthlyGift>> {
    let sql = format!("{SELECT} WHERE subscription_ref = $1");
    let row: Option<GiftRow> = on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(reference)
        .fetch_optional(&mut *c)
        .await?);
    row.map(MonthlyGift::try_from).transpose()
}

/// The campaign's gifts that were started (not those whose checkout never finished),
/// newest first.
pub async fn of_campaign(db: &Db, campaign_id: &str) -> DbResult<Vec<MonthlyGift>> {
    let sql = format!(
        "{SELECT} WHERE campaign_id = $1 AND status <> 'pending' ORDER BY created_at DESC, id"
    );
    let rows: Vec<GiftRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(campaign_id)
        .fetch_all(p)
        .await?);
    rows.into_iter().map(MonthlyGift::try_from).collect()
}

/// Every gift still running (`active` or `past_due`), oldest first.
pub async fn running(db: &Db) -> DbResult<Vec<MonthlyGift>> {
    let sql = format!("{SELECT} WHERE status IN ('active', 'past_due') ORDER BY created_at, id");
    let rows: Vec<GiftRow> = on_db!(db, |p| sqlx::query_as(&sql).fetch_all(p).await?);
    rows.into_iter().map(MonthlyGift::try_from).collect()
}

/// The gift a donation paid a month of.
pub async fn of_donation(db: &Db, donation_id: &str) -> DbResult<Option<MonthlyGift>> {
    let sql = format!(
        "{SELECT} WHERE id = (SELECT gift_id FROM monthly_payments WHERE donation_id = $1)"
    );
    let row: Option<GiftRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(donation_id)
        .fetch_optional(p)
        .await?);
    row.map(MonthlyGift::try_from).transpose()
}

/// A pending gift becomes active with the provider's subscription and customer; false when
/// it was not pending (a replay).
pub async fn start_in(
    tx: &mut Tx,
    id: &str,
    subscription: &str,
    customer: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE monthly_gifts SET subscription_ref = $2, customer_ref = $3, status = 'active', \
         started_at = $4 WHERE id = $1 AND status = 'pending'"
    )
    .bind(id)
    .bind(subscription)
    .bind(customer)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Sets a started gift's status (a canceled gift stays canceled) and, when known, the date
/// of its next payment; true when the status changed.
pub async fn set_status_in(
    tx: &mut Tx,
    id: &str,
    status: MonthlyStatus,
    next_payment: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE monthly_gifts SET status = $2, \
         canceled_at = CASE WHEN $2 = 'canceled' THEN $3 ELSE canceled_at END, \
         next_payment_at = COALESCE($4, next_payment_at) \
         WHERE id = $1 AND status NOT IN ('canceled', 'pending') AND status <> $2"
    )
    .bind(id)
    .bind(status.as_str())
    .bind(now)
    .bind(next_payment)
    .execute(&mut *c)
    .await?
    .rows_affected());
    if n == 0
        && let Some(next) = next_payment
    {
        on_tx!(tx, |c| sqlx::query(
            "UPDATE monthly_gifts SET next_payment_at = $2 WHERE id = $1 AND status <> 'canceled'"
        )
        .bind(id)
        .bind(next)
        .execute(&mut *c)
        .await?
        .rows_affected());
    }
    Ok(n == 1)
}

/// Notes that `donation_id` paid the gift's invoice `invoice` (a replay adds nothing).
pub async fn add_payment_in(
    tx: &mut Tx,
    gift_id: &str,
    donation_id: &str,
    invoice: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO monthly_payments (donation_id, gift_id, invoice_ref, paid_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
    )
    .bind(donation_id)
    .bind(gift_id)
    .bind(invoice)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Keeps the payment intent (or charge) `payment` that paid the gift's invoice `invoice`:
/// the donation it paid, if that invoice is recorded (`None`: not yet).
pub async fn set_payment_ref_in(
    tx: &mut Tx,
    invoice: &str,
    payment: &str,
) -> DbResult<Option<String>> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "UPDATE monthly_payments SET payment_ref = $2 WHERE invoice_ref = $1 RETURNING donation_id"
    )
    .bind(invoice)
    .bind(payment)
    .fetch_optional(&mut *c)
    .await?))
}

/// How many months a gift has paid.
pub async fn payments(db: &Db, gift_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM monthly_payments WHERE gift_id = $1"
    )
    .bind(gift_id)
    .fetch_one(p)
    .await?))
}
