//! Editing a campaign (the console's editor): the row, its milestones and a new cover
//! image, written inside the caller's transaction, which also bumps the campaign's live
//! version so public pages (and their cache, on every node) refresh. The caller adds its
//! audit entries to the same transaction and commits.

use chrono::Utc;

use crate::campaigns::CampaignUpdate;
use crate::db::{Db, DbError, Tx};
use crate::media::{self, Processed};
use crate::{on_db, on_tx};

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The currency can change only while the campaign has no donations or checkouts.
    #[error("the currency is fixed once donations exist")]
    CurrencyLocked,
    #[error("no such campaign")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Updated {
    pub version: i64,
    pub cover_image_url: Option<String>,
}

/// Donations plus checkout sessions of campaign `$1`. (The donations capability owns these
/// tables, but its domain uses this one, so the count is read here rather than through it.)
const MONEY_COUNT: &str = "SELECT (SELECT COUNT(*) FROM donations WHERE campaign_id = $1) \
     + (SELECT COUNT(*) FROM checkout_sessions WHERE campaign_id = $1)";

/// Whether money has been promised to the campaign in its current currency (a donation or
/// a checkout session, whose amounts are locked in that currency).
pub async fn has_money(db: &Db, campaign_id: &str) -> Result<bool, DbError> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(MONEY_COUNT)
        .bind(campaign_id)
        .fetch_one(p)
        .await?);
    Ok(n > 0)
}

/// Writes the update inside `tx` (the slug stays). A new `cover` (stored as uploaded by
/// `uploaded_by`) wins over `u.cover_image_url`.
pub async fn update_in(
    tx: &mut Tx,
    campaign_id: &str,
    u: &CampaignUpdate,
    cover: Option<&Processed>,
    uploaded_by: Option<&str>,
) -> Result<Updated, UpdateError> {
    let now = Utc::now();
    // Bumping the version first takes the totals row lock, which every ledger entry takes
    // too: no donation lands between the currency check and the write.
    let version = crate::live::bump_version(tx, campaign_id)
        .await
        .map_err(|e| match e {
            DbError::Sqlx(sqlx::Error::RowNotFound) => UpdateError::NotFound,
            e => UpdateError::Db(e),
        })?;
    let current: Option<String> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT currency FROM campaigns WHERE id = $1"
    )
    .bind(campaign_id)
    .fetch_optional(&mut *c)
    .await
    .map_err(DbError::from)?);
    let current = current.ok_or(UpdateError::NotFound)?;
    if current != u.goal.currency.as_str() {
        let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(MONEY_COUNT)
            .bind(campaign_id)
            .fetch_one(&mut *c)
            .await
            .map_err(DbError::from)?);
        if n > 0 {
            return Err(UpdateError::CurrencyLocked);
        }
    }
    let cover_url = match cover {
        Some(p) => Some(media::insert_in(tx, p, uploaded_by).await?),
        None => u.cover_image_url.clone(),
    };
    let accepted: Vec<&str> = u.accepted.iter().map(|c| c.as_str()).collect();
    on_tx!(tx, |c| sqlx::query(
        "UPDATE campaigns SET title = $2, summary = $3, story_md = $4, goal_minor = $5, \
         currency = $6, accepted_currencies = $7, starts_at = $8, ends_at = $9, \
         beneficiary_name = $10, beneficiary_place = $11, cover_image_url = $12, \
         cover_image_alt = $13, state = $14, keep_accepting = $15, featured = $16, \
         updated_at = $17 WHERE id = $1"
    )
    .bind(campaign_id)
    .bind(&u.title)
    .bind(&u.summary)
    .bind(&u.story_md)
    .bind(u.goal.amount_minor)
    .bind(u.goal.currency.as_str())
    .bind(accepted.join(","))
    .bind(u.starts_at)
    .bind(u.ends_at)
    .bind(&u.beneficiary_name)
    .bind(&u.beneficiary_place)
    .bind(&cover_url)
    .bind(&u.cover_image_alt)
    .bind(u.state.as_str())
    .bind(u.keep_accepting)
    .bind(u.featured)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(DbError::from)?
    .rows_affected());
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM milestones WHERE campaign_id = $1"
    )
    .bind(campaign_id)
    .execute(&mut *c)
    .await
    .map_err(DbError::from)?
    .rows_affected());
    for m in &u.milestones {
        on_tx!(tx, |c| sqlx::query(
            "INSERT INTO milestones (id, campaign_id, amount_minor, label) VALUES ($1, $2, $3, $4)"
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(campaign_id)
        .bind(m.amount.amount_minor)
        .bind(&m.label)
        .execute(&mut *c)
        .await
        .map_err(DbError::from)?
        .rows_affected());
    }
    Ok(Updated {
        version,
        cover_image_url: cover_url,
    })
}
