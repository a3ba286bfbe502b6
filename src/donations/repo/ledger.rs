//! The `donations`, `ledger_entries` and `campaign_totals` writes of the ledger, the donor
//! wall's reads (joined with their moderation, `donation_moderation`) and the ledger check's
//! sums. The ledger entries are append-only (a database trigger refuses changes); the only
//! update of a donation is its review flag.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::donations::ledger::NewDonation;
use crate::donations::moderation::MessageState;
use crate::donations::{DonationStatus, Visibility};
use crate::{on_db, on_tx};

/// Inserts the donation row `id` unless its (provider, reference) is taken; `true` when
/// inserted.
pub async fn insert_donation_in(
    tx: &mut Tx,
    id: &str,
    d: &NewDonation,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let i = &d.intent;
    let inserted: Option<String> = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO donations (id, campaign_id, amount_minor, currency, rate, campaign_amount_minor, \
         donor_name, donor_email, message, visibility, provider, provider_reference, status, \
         received_on, note, created_at, rate_on, cover_minor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (provider, provider_reference) DO NOTHING RETURNING id"
    )
    .bind(id)
    .bind(&i.campaign_id)
    .bind(i.amount.amount_minor)
    .bind(i.amount.currency.as_str())
    .bind(i.rate.to_string())
    .bind(i.campaign_amount.amount_minor)
    .bind(&i.donor_name)
    .bind(i.donor_email.as_ref().map(|e| e.as_str()))
    .bind(&i.message)
    .bind(i.visibility.as_str())
    .bind(&d.provider)
    .bind(&d.provider_reference)
    .bind(DonationStatus::Succeeded.as_str())
    .bind(d.received_on)
    .bind(&d.note)
    .bind(now)
    .bind(d.rate_on)
    .bind(i.cover_minor)
    .fetch_optional(&mut *c)
    .await?
    });
    Ok(inserted.is_some())
}

/// The (donation id, campaign id) already recorded for a provider's reference.
pub async fn by_reference_in(
    tx: &mut Tx,
    provider: &str,
    reference: &str,
) -> DbResult<(String, String)> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT id, campaign_id FROM donations WHERE provider = $1 AND provider_reference = $2",
        )
        .bind(provider)
        .bind(reference)
        .fetch_one(&mut *c)
        .await?
    }))
}

/// The (donation id, campaign id) recorded for a provider's reference, if any: the
/// donation's own reference, or the payment that paid a monthly gift's invoice (a renewal is
/// keyed on the invoice; its refunds and disputes name the payment intent or charge).
pub async fn find_by_reference_in(
    tx: &mut Tx,
    provider: &str,
    reference: &str,
) -> DbResult<Option<(String, String)>> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT id, campaign_id FROM donations WHERE provider = $1 AND provider_reference = $2 \
             UNION ALL SELECT d.id, d.campaign_id FROM monthly_payments m \
             JOIN donations d ON d.id = m.donation_id \
             WHERE d.provider = $1 AND m.payment_ref = $2 LIMIT 1",
        )
        .bind(provider)
        .bind(reference)
        .fetch_optional(&mut *c)
        .await?
    }))
}

/// Appends the `donation` entry of a new donation (`donor_delta`: 1, or 0 for a monthly
/// renewal, whose donor is counted once).
pub async fn insert_entry_in(
    tx: &mut Tx,
    campaign_id: &str,
    donation_id: &str,
    amount_minor: i64,
    donor_delta: i64,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO ledger_entries (id, campaign_id, donation_id, kind, amount_minor, donor_delta, memo, created_at) \
         VALUES ($1, $2, $3, 'donation', $4, $5, NULL, $6)"
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(campaign_id)
    .bind(donation_id)
    .bind(amount_minor)
    .bind(donor_delta)
    .bind(now)
    .execute(&mut *c)
    .await?.rows_affected()
    });
    Ok(())
}

/// Adds one donation of `amount_minor` to the campaign's totals (`donor_delta` donors more);
/// the new raised amount and version.
pub async fn add_to_totals_in(
    tx: &mut Tx,
    campaign_id: &str,
    amount_minor: i64,
    donor_delta: i64,
    now: DateTime<Utc>,
) -> DbResult<(i64, i64)> {
    change_totals_in(tx, campaign_id, amount_minor, donor_delta, now).await
}

/// The `donor_delta` of a donation's `donation` entry (0 for a monthly renewal).
pub async fn donor_delta_of_in(tx: &mut Tx, donation_id: &str) -> DbResult<i64> {
    let d: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT donor_delta FROM ledger_entries WHERE donation_id = $1 AND kind = 'donation'"
    )
    .bind(donation_id)
    .fetch_optional(&mut *c)
    .await?);
    Ok(d.unwrap_or(1))
}

/// Takes a donation of `amount_minor` out of the campaign's totals (a void: one entry more,
/// one donor less); the new raised amount and version.
pub async fn subtract_from_totals_in(
    tx: &mut Tx,
    campaign_id: &str,
    amount_minor: i64,
    now: DateTime<Utc>,
) -> DbResult<(i64, i64)> {
    change_totals_in(tx, campaign_id, -amount_minor, -1, now).await
}

/// Takes a refund of `amount_minor` out of the campaign's totals (`donor_delta` -1 when it
/// completes the donation's refund, else 0; one entry more); the new raised amount and
/// version.
pub async fn refund_from_totals_in(
    tx: &mut Tx,
    campaign_id: &str,
    amount_minor: i64,
    donor_delta: i64,
    now: DateTime<Utc>,
) -> DbResult<(i64, i64)> {
    change_totals_in(tx, campaign_id, -amount_minor, donor_delta, now).await
}

/// Takes the campaign's totals row lock (PostgreSQL; SQLite's write transaction already
/// serialises) before a refund reads what its donation has given back, so two refunds of
/// one donation never both take "the rest".
pub async fn lock_totals_in(tx: &mut Tx, campaign_id: &str) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE campaign_totals SET version = version WHERE campaign_id = $1"
    )
    .bind(campaign_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The one update of `campaign_totals` by an entry: the amount and donor deltas of the entry,
/// one entry more, the version bumped.
async fn change_totals_in(
    tx: &mut Tx,
    campaign_id: &str,
    amount_delta: i64,
    donor_delta: i64,
    now: DateTime<Utc>,
) -> DbResult<(i64, i64)> {
    let (raised, version): (i64, i64) = on_tx!(tx, |c| {
        sqlx::query_as(
        "UPDATE campaign_totals SET raised_minor = raised_minor + $2, donor_count = donor_count + $3, \
         entry_count = entry_count + 1, version = version + 1, updated_at = $4 \
         WHERE campaign_id = $1 RETURNING raised_minor, version"
    )
    .bind(campaign_id)
    .bind(amount_delta)
    .bind(donor_delta)
    .bind(now)
    .fetch_one(&mut *c)
    .await?
    });
    Ok((raised, version))
}

/// Flags a donation for the treasurer's review.
pub async fn set_review_reason_in(tx: &mut Tx, donation_id: &str, reason: &str) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE donations SET review_reason = $2 WHERE id = $1"
    )
    .bind(donation_id)
    .bind(reason)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// A donation as the public pages see it, with what the wall's moderation decided
/// (`donations::moderation`: [`DonationRow::wall_name`], [`DonationRow::wall_message`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DonationRow {
    pub id: String,
    pub campaign_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub rate: String,
    pub campaign_amount_minor: i64,
    /// What the donor added to cover the fees (part of `amount_minor`), 0 when nothing.
    pub cover_minor: i64,
    pub donor_name: Option<String>,
    pub message: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    pub provider: String,
    pub created_at: DateTime<Utc>,
    /// The day of the ECB reference rate a converted gift used (offline gifts).
    pub rate_on: Option<NaiveDate>,
    /// What succeeded refunds gave back, in the donation's currency (the wall shows the
    /// amount net of it).
    pub refunded_minor: i64,
    /// The team hid the donor's name on the wall.
    pub name_hidden: bool,
    #[sqlx(try_from = "String")]
    pub message_state: MessageState,
}

/// The columns of [`DonationRow`], from `donations d` joined with its moderation `m`.
const ROW_SELECT: &str = "SELECT d.id, d.campaign_id, d.amount_minor, d.currency, d.rate, \
     d.campaign_amount_minor, d.cover_minor, d.donor_name, d.message, d.visibility, d.provider, d.created_at, \
     d.rate_on, CAST(COALESCE((SELECT SUM(r.amount_minor) FROM donation_refunds r \
       WHERE r.donation_id = d.id AND r.status = 'succeeded'), 0) AS BIGINT) AS refunded_minor, \
     COALESCE(m.name_hidden, FALSE) AS name_hidden, \
     COALESCE(m.message_state, 'shown') AS message_state \
     FROM donations d LEFT JOIN donation_moderation m ON m.donation_id = d.id";

/// A condition true while donation `d`'s succeeded refunds have not given all of it back: a
/// fully refunded donation leaves the wall, like a voided one (a monthly renewal's complete
/// refund takes no donor from the count, so the amounts decide, not the entries' donors).
const NOT_FULLY_REFUNDED: &str = "COALESCE((SELECT SUM(r.amount_minor) FROM donation_refunds r \
     WHERE r.donation_id = d.id AND r.status = 'succeeded'), 0) < d.amount_minor";

pub async fn donation(db: &Db, id: &str) -> DbResult<Option<DonationRow>> {
    let sql = format!("{ROW_SELECT} WHERE d.id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// Newest donations that appear on the donor wall (public and anonymous, not voided), `offset`
/// for paging.
pub async fn wall(
    db: &Db,
    campaign_id: &str,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<DonationRow>> {
    let sql = format!(
        "{ROW_SELECT} WHERE d.campaign_id = $1 AND d.visibility <> $2 \
         AND NOT EXISTS (SELECT 1 FROM donation_voids v WHERE v.donation_id = d.id) \
         AND {NOT_FULLY_REFUNDED} \
         ORDER BY d.created_at DESC, d.id LIMIT $3 OFFSET $4"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(campaign_id)
        .bind(Visibility::Private.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?))
}

/// The campaign's donations whose message waits for review, oldest first.
pub async fn held(db: &Db, campaign_id: &str, limit: i64) -> DbResult<Vec<DonationRow>> {
    let sql = format!(
        "{ROW_SELECT} WHERE m.campaign_id = $1 AND m.message_state = 'held' \
         ORDER BY d.created_at, d.id LIMIT $2"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(campaign_id)
        .bind(limit)
        .fetch_all(p)
        .await?))
}

pub async fn wall_count(db: &Db, campaign_id: &str) -> DbResult<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM donations d WHERE d.campaign_id = $1 AND d.visibility <> $2 \
         AND NOT EXISTS (SELECT 1 FROM donation_voids v WHERE v.donation_id = d.id) \
         AND {NOT_FULLY_REFUNDED}"
    );
    Ok(on_db!(db, |p| sqlx::query_scalar(&sql)
        .bind(campaign_id)
        .bind(Visibility::Private.as_str())
        .fetch_one(p)
        .await?))
}

/// A donation's ledger entries in order: (kind, amount in minor units, when).
pub async fn entries_of(db: &Db, donation_id: &str) -> DbResult<Vec<(String, i64, DateTime<Utc>)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "SELECT kind, amount_minor, created_at FROM ledger_entries WHERE donation_id = $1 ORDER BY seq"
    )
    .bind(donation_id)
    .fetch_all(p)
    .await?
    }))
}

/// A campaign's shown totals beside the ledger's sums.
#[derive(sqlx::FromRow)]
pub struct TotalsCheck {
    pub slug: String,
    pub raised_minor: i64,
    pub donor_count: i64,
    pub entry_count: i64,
    pub l_raised: i64,
    pub l_donors: i64,
    pub l_entries: i64,
}

/// Every campaign's totals against the sums of its ledger entries, by slug. Fee entries are
/// summed apart (raised is gross): they count in neither the raised amount nor the entries.
pub async fn totals_against_entries(db: &Db) -> DbResult<Vec<TotalsCheck>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "SELECT c.slug, t.raised_minor, t.donor_count, t.entry_count, \
           CAST(COALESCE((SELECT SUM(l.amount_minor) FROM ledger_entries l WHERE l.campaign_id = c.id AND l.kind <> 'fee'), 0) AS BIGINT) AS l_raised, \
           CAST(COALESCE((SELECT SUM(l.donor_delta) FROM ledger_entries l WHERE l.campaign_id = c.id), 0) AS BIGINT) AS l_donors, \
           (SELECT COUNT(*) FROM ledger_entries l WHERE l.campaign_id = c.id AND l.kind <> 'fee') AS l_entries \
         FROM campaigns c JOIN campaign_totals t ON t.campaign_id = c.id ORDER BY c.slug"
    )
    .fetch_all(p)
    .await?
    }))
}

/// Donations without exactly one matching `donation` entry: (campaign slug, donation id,
/// its amount, the entered sum).
pub async fn donations_without_one_entry(db: &Db) -> DbResult<Vec<(String, String, i64, i64)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "SELECT c.slug, d.id, d.campaign_amount_minor, \
           CAST(COALESCE(SUM(l.amount_minor), 0) AS BIGINT) AS entered \
         FROM donations d JOIN campaigns c ON c.id = d.campaign_id \
         LEFT JOIN ledger_entries l ON l.donation_id = d.id AND l.kind = 'donation' \
         GROUP BY c.slug, d.id, d.campaign_amount_minor \
         HAVING COUNT(l.seq) <> 1 OR CAST(COALESCE(SUM(l.amount_minor), 0) AS BIGINT) <> d.campaign_amount_minor"
    )
    .fetch_all(p)
    .await?
    }))
}

/// Donations plus checkout sessions of campaign `$1`.
const PROMISED: &str = "SELECT (SELECT COUNT(*) FROM donations WHERE campaign_id = $1) \
     + (SELECT COUNT(*) FROM checkout_sessions WHERE campaign_id = $1)";

/// Whether money has been promised to the campaign in its current currency: a donation or
/// a checkout session, whose amounts are locked in that currency.
pub async fn has_money(db: &Db, campaign_id: &str) -> DbResult<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(PROMISED)
        .bind(campaign_id)
        .fetch_one(p)
        .await?);
    Ok(n > 0)
}

/// [`has_money`] inside `tx` (the campaign editor's, after it took the totals row lock).
pub async fn has_money_in(tx: &mut Tx, campaign_id: &str) -> DbResult<bool> {
    let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(PROMISED)
        .bind(campaign_id)
        .fetch_one(&mut *c)
        .await?);
    Ok(n > 0)
}
