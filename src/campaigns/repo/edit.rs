//! Editing a campaign (the console's editor): the row, its milestones and a new cover
//! image, written inside the caller's transaction in two steps. [`begin_edit_in`] bumps the
//! campaign's live version (so public pages and their cache, on every node, refresh), which
//! takes the totals row lock every ledger entry takes too: from then on no donation lands
//! until the transaction ends. The caller then learns from the donations capability whether
//! money was promised to the campaign (donations use campaigns, not the other way round) and
//! hands that fact to [`update_in`], which refuses a currency change when it is so. The
//! caller adds its audit entries to the same transaction and commits.

use chrono::Utc;

use crate::campaigns::CampaignUpdate;
use crate::db::{DbError, Tx};
use crate::media::{self, Processed};
use crate::on_tx;

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

/// A campaign being edited inside a transaction: its version bumped (the totals row locked)
/// and its stored currency read. Only [`begin_edit_in`] makes one.
#[derive(Debug)]
pub struct Editing {
    campaign_id: String,
    version: i64,
    currency: String,
}

impl Editing {
    /// Whether the update asks for another currency (allowed only while no money was
    /// promised to the campaign).
    pub fn changes_currency(&self, u: &CampaignUpdate) -> bool {
        self.currency != u.goal.currency.as_str()
    }
}

/// Starts editing `campaign_id` inside `tx`: bumps its live version first, which takes the
/// totals row lock every ledger entry takes too, so no donation lands between the caller's
/// check of the donations and the write.
pub async fn begin_edit_in(tx: &mut Tx, campaign_id: &str) -> Result<Editing, UpdateError> {
    let version = crate::live::bump_version(tx, campaign_id)
        .await
        .map_err(|e| match e {
            DbError::Sqlx(sqlx::Error::RowNotFound) => UpdateError::NotFound,
            e => UpdateError::Db(e),
        })?;
    let currency: Option<String> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT currency FROM campaigns WHERE id = $1"
    )
    .bind(campaign_id)
    .fetch_optional(&mut *c)
    .await
    .map_err(DbError::from)?);
    Ok(Editing {
        campaign_id: campaign_id.to_string(),
        version,
        currency: currency.ok_or(UpdateError::NotFound)?,
    })
}

/// Writes the update inside `tx` (the slug stays). `has_money`: whether donations or
/// checkout sessions exist for the campaign, read in `tx` after [`begin_edit_in`] (needed
/// only when the update [`Editing::changes_currency`]); a currency change is then refused.
/// A new `cover` (stored as uploaded by `uploaded_by`) wins over `u.cover_image_url`.
pub async fn update_in(
    tx: &mut Tx,
    editing: Editing,
    has_money: bool,
    u: &CampaignUpdate,
    cover: Option<&Processed>,
    uploaded_by: Option<&str>,
) -> Result<Updated, UpdateError> {
    let now = Utc::now();
    let Editing {
        campaign_id,
        version,
        ..
    } = &editing;
    if editing.changes_currency(u) && has_money {
        return Err(UpdateError::CurrencyLocked);
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
        version: *version,
        cover_image_url: cover_url,
    })
}
