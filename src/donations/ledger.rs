//! The ledger: append-only entries, with campaign totals kept in the same transaction.
//!
//! Invariants (checked by `shelfraiser ledger verify` and by the tests):
//! * `campaign_totals.raised_minor` = Σ `ledger_entries.amount_minor` for the campaign;
//!   `donor_count` = Σ `donor_delta`; `entry_count` = number of entries.
//! * Every donation has exactly one `donation` entry, for its `campaign_amount_minor`.
//! * Nothing is updated or deleted: a database trigger refuses it on both backends.
//! * One donation per (provider, provider reference): a replayed callback records nothing.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::Visibility;
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::email::Email;
use crate::money::Money;
use crate::{on_db, on_tx};

#[derive(Debug, Clone)]
pub struct NewDonation {
    pub campaign_id: String,
    pub amount: Money,
    /// Units of the campaign currency per unit of `amount.currency`, locked at checkout.
    pub rate: Decimal,
    pub campaign_amount: Money,
    pub donor_name: Option<String>,
    pub donor_email: Option<Email>,
    pub message: Option<String>,
    pub visibility: Visibility,
    pub provider: String,
    pub provider_reference: String,
    pub received_on: Option<NaiveDate>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    New {
        donation_id: String,
        version: i64,
        funded_now: bool,
    },
    Duplicate {
        donation_id: String,
    },
}

impl Recorded {
    pub fn donation_id(&self) -> &str {
        match self {
            Recorded::New { donation_id, .. } | Recorded::Duplicate { donation_id } => donation_id,
        }
    }
}

/// Records a donation inside `tx`: the donation row, its ledger entry, the totals, the
/// automatic `live → funded` step and the live notification. Idempotent on the provider
/// reference.
pub async fn record_in(tx: &mut Tx, d: &NewDonation) -> DbResult<Recorded> {
    let now = Utc::now();
    let id = uuid::Uuid::new_v4().to_string();
    let inserted: Option<String> = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO donations (id, campaign_id, amount_minor, currency, rate, campaign_amount_minor, \
         donor_name, donor_email, message, visibility, provider, provider_reference, status, \
         received_on, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'succeeded', $13, $14, $15) \
         ON CONFLICT (provider, provider_reference) DO NOTHING RETURNING id"
    )
    .bind(&id)
    .bind(&d.campaign_id)
    .bind(d.amount.amount_minor)
    .bind(d.amount.currency.as_str())
    .bind(d.rate.to_string())
    .bind(d.campaign_amount.amount_minor)
    .bind(&d.donor_name)
    .bind(d.donor_email.as_ref().map(|e| e.as_str()))
    .bind(&d.message)
    .bind(d.visibility.as_str())
    .bind(&d.provider)
    .bind(&d.provider_reference)
    .bind(d.received_on)
    .bind(&d.note)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?
    });
    if inserted.is_none() {
        let (existing, campaign): (String, String) = on_tx!(tx, |c| {
            sqlx::query_as(
            "SELECT id, campaign_id FROM donations WHERE provider = $1 AND provider_reference = $2"
        )
        .bind(&d.provider)
        .bind(&d.provider_reference)
        .fetch_one(&mut *c)
        .await?
        });
        // Never hand out another campaign's donation (its id opens its thanks page).
        if campaign != d.campaign_id {
            return Err(DbError::Corrupt(format!(
                "the {} reference is already used by a donation of another campaign",
                d.provider
            )));
        }
        return Ok(Recorded::Duplicate {
            donation_id: existing,
        });
    }
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO ledger_entries (id, campaign_id, donation_id, kind, amount_minor, donor_delta, memo, created_at) \
         VALUES ($1, $2, $3, 'donation', $4, 1, NULL, $5)"
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&d.campaign_id)
    .bind(&id)
    .bind(d.campaign_amount.amount_minor)
    .bind(now)
    .execute(&mut *c)
    .await?.rows_affected()
    });
    let (raised, version): (i64, i64) = on_tx!(tx, |c| {
        sqlx::query_as(
        "UPDATE campaign_totals SET raised_minor = raised_minor + $2, donor_count = donor_count + 1, \
         entry_count = entry_count + 1, version = version + 1, updated_at = $3 \
         WHERE campaign_id = $1 RETURNING raised_minor, version"
    )
    .bind(&d.campaign_id)
    .bind(d.campaign_amount.amount_minor)
    .bind(now)
    .fetch_one(&mut *c)
    .await?
    });
    let funded_now = on_tx!(tx, |c| sqlx::query(
        "UPDATE campaigns SET state = 'funded', updated_at = $3 \
         WHERE id = $1 AND state = 'live' AND goal_minor <= $2"
    )
    .bind(&d.campaign_id)
    .bind(raised)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected())
        > 0;
    crate::live::notify(tx, &d.campaign_id).await?;
    Ok(Recorded::New {
        donation_id: id,
        version,
        funded_now,
    })
}

/// Records a donation in its own transaction.
pub async fn record(db: &Db, d: &NewDonation) -> DbResult<Recorded> {
    let mut tx = db.begin().await?;
    let r = record_in(&mut tx, d).await?;
    tx.commit().await?;
    Ok(r)
}

/// A donation as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DonationRow {
    pub id: String,
    pub campaign_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub rate: String,
    pub campaign_amount_minor: i64,
    pub donor_name: Option<String>,
    pub message: Option<String>,
    pub visibility: String,
    pub provider: String,
    pub created_at: DateTime<Utc>,
}

const DONATION_COLUMNS: &str = "id, campaign_id, amount_minor, currency, rate, campaign_amount_minor, \
    donor_name, message, visibility, provider, created_at";

pub async fn donation(db: &Db, id: &str) -> DbResult<Option<DonationRow>> {
    let sql = format!("SELECT {DONATION_COLUMNS} FROM donations WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// Newest donations that appear on the donor wall (public and anonymous), `offset` for paging.
pub async fn wall(db: &Db, c: &Campaign, limit: i64, offset: i64) -> DbResult<Vec<DonationRow>> {
    let sql = format!(
        "SELECT {DONATION_COLUMNS} FROM donations WHERE campaign_id = $1 AND visibility <> 'private' \
         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(&c.id)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await?))
}

pub async fn wall_count(db: &Db, c: &Campaign) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM donations WHERE campaign_id = $1 AND visibility <> 'private'"
    )
    .bind(&c.id)
    .fetch_one(p)
    .await?))
}

/// A difference between the ledger and what the site shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub campaign: String,
    pub what: String,
    pub shown: i64,
    pub ledger: i64,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "campaign {}: {} shows {} but the ledger says {}",
            self.campaign, self.what, self.shown, self.ledger
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub campaigns: usize,
    pub entries: i64,
    pub mismatches: Vec<Mismatch>,
}

/// Recomputes every total from the ledger and compares it with the totals the pages and the
/// API show; also checks that every donation has exactly one matching ledger entry.
pub async fn verify(db: &Db) -> DbResult<VerifyReport> {
    #[derive(sqlx::FromRow)]
    struct Row {
        slug: String,
        raised_minor: i64,
        donor_count: i64,
        entry_count: i64,
        l_raised: i64,
        l_donors: i64,
        l_entries: i64,
    }
    let rows: Vec<Row> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT c.slug, t.raised_minor, t.donor_count, t.entry_count, \
           CAST(COALESCE((SELECT SUM(l.amount_minor) FROM ledger_entries l WHERE l.campaign_id = c.id), 0) AS BIGINT) AS l_raised, \
           CAST(COALESCE((SELECT SUM(l.donor_delta) FROM ledger_entries l WHERE l.campaign_id = c.id), 0) AS BIGINT) AS l_donors, \
           (SELECT COUNT(*) FROM ledger_entries l WHERE l.campaign_id = c.id) AS l_entries \
         FROM campaigns c JOIN campaign_totals t ON t.campaign_id = c.id ORDER BY c.slug"
    )
    .fetch_all(p)
    .await?
    });
    let mut report = VerifyReport {
        campaigns: rows.len(),
        ..Default::default()
    };
    for r in rows {
        report.entries += r.l_entries;
        for (what, shown, ledger) in [
            ("raised (minor units)", r.raised_minor, r.l_raised),
            ("donor count", r.donor_count, r.l_donors),
            ("entry count", r.entry_count, r.l_entries),
        ] {
            if shown != ledger {
                report.mismatches.push(Mismatch {
                    campaign: r.slug.clone(),
                    what: what.into(),
                    shown,
                    ledger,
                });
            }
        }
    }
    let bad: Vec<(String, String, i64, i64)> = on_db!(db, |p| {
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
    });
    for (slug, id, amount, entered) in bad {
        report.mismatches.push(Mismatch {
            campaign: slug,
            what: format!("donation {id}"),
            shown: amount,
            ledger: entered,
        });
    }
    Ok(report)
}
