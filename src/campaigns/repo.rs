//! Campaign queries, written once for both backends: creating, reading, state changes and
//! (in [`edit`]) the console editor's update.

mod edit;

pub use edit::{Editing, UpdateError, Updated, begin_edit_in, update_in};

use chrono::{DateTime, Utc};

use super::{Campaign, CampaignState, Milestone, NewCampaign, Slug, Totals};
use crate::db::{Db, DbError, DbResult, Tx};
use crate::money::{CurrencyCode, Money};
use crate::{on_db, on_tx};

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: String,
    slug: String,
    title: String,
    summary: String,
    story_md: String,
    goal_minor: i64,
    currency: String,
    accepted_currencies: String,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    beneficiary_name: String,
    beneficiary_place: String,
    cover_image_url: Option<String>,
    cover_image_alt: Option<String>,
    state: String,
    keep_accepting: bool,
    featured: bool,
}

const COLUMNS: &str = "id, slug, title, summary, story_md, goal_minor, currency, accepted_currencies, \
    starts_at, ends_at, beneficiary_name, beneficiary_place, cover_image_url, cover_image_alt, state, \
    keep_accepting, featured";

impl TryFrom<CampaignRow> for Campaign {
    type Error = DbError;
    fn try_from(r: CampaignRow) -> Result<Self, DbError> {
        let bad = |what: &str| DbError::Corrupt(format!("campaign {}: bad {what}", r.id));
        let currency = CurrencyCode::parse(&r.currency).map_err(|_| bad("currency"))?;
        let accepted = r
            .accepted_currencies
            .split(',')
            .filter(|s| !s.is_empty())
            .map(CurrencyCode::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad("accepted currencies"))?;
        Ok(Campaign {
            slug: Slug::parse(&r.slug).map_err(|_| bad("slug"))?,
            state: CampaignState::parse(&r.state).ok_or_else(|| bad("state"))?,
            goal: Money::new(r.goal_minor, currency),
            accepted,
            id: r.id,
            title: r.title,
            summary: r.summary,
            story_md: r.story_md,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            beneficiary_name: r.beneficiary_name,
            beneficiary_place: r.beneficiary_place,
            cover_image_url: r.cover_image_url,
            cover_image_alt: r.cover_image_alt,
            keep_accepting: r.keep_accepting,
            featured: r.featured,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a campaign with the slug {0} already exists")]
    SlugTaken(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates a campaign with its milestones and zeroed totals, in one transaction.
pub async fn create(db: &Db, n: &NewCampaign) -> Result<Campaign, CreateError> {
    let mut tx = db.begin().await.map_err(CreateError::Db)?;
    let id = create_in(&mut tx, n).await?;
    tx.commit().await?;
    by_id(db, &id)
        .await?
        .ok_or_else(|| CreateError::Db(DbError::Corrupt("created campaign vanished".into())))
}

/// [`create`] inside the caller's transaction (which adds its audit entry); the new id.
pub async fn create_in(tx: &mut Tx, n: &NewCampaign) -> Result<String, CreateError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let accepted: Vec<&str> = n.accepted.iter().map(|c| c.as_str()).collect();
    let inserted = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO campaigns (id, slug, title, summary, story_md, goal_minor, currency, \
         accepted_currencies, starts_at, ends_at, beneficiary_name, beneficiary_place, \
         cover_image_url, cover_image_alt, state, keep_accepting, featured, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) \
         ON CONFLICT (slug) DO NOTHING"
    )
    .bind(&id)
    .bind(n.slug.as_str())
    .bind(&n.title)
    .bind(&n.summary)
    .bind(&n.story_md)
    .bind(n.goal.amount_minor)
    .bind(n.goal.currency.as_str())
    .bind(accepted.join(","))
    .bind(n.starts_at)
    .bind(n.ends_at)
    .bind(&n.beneficiary_name)
    .bind(&n.beneficiary_place)
    .bind(&n.cover_image_url)
    .bind(&n.cover_image_alt)
    .bind(n.state.as_str())
    .bind(n.keep_accepting)
    .bind(n.featured)
    .bind(now)
    .execute(c)
    .await
    .map_err(DbError::from)?
    .rows_affected()
    });
    if inserted == 0 {
        return Err(CreateError::SlugTaken(n.slug.to_string()));
    }
    for m in &n.milestones {
        on_tx!(tx, |c| sqlx::query(
            "INSERT INTO milestones (id, campaign_id, amount_minor, label) VALUES ($1, $2, $3, $4)"
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&id)
        .bind(m.amount.amount_minor)
        .bind(&m.label)
        .execute(c)
        .await
        .map_err(DbError::from)?
        .rows_affected());
    }
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO campaign_totals (campaign_id, raised_minor, donor_count, entry_count, version, updated_at) \
         VALUES ($1, 0, 0, 0, 0, $2)"
    )
    .bind(&id)
    .bind(now)
    .execute(c)
    .await
    .map_err(DbError::from)?.rows_affected()
    });
    Ok(id)
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Campaign>> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
    let row: Option<CampaignRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(Campaign::try_from).transpose()
}

/// [`by_id`] inside a transaction (a read on the pool while a transaction holds a
/// connection can wait for a free connection that never comes under load).
pub async fn by_id_in(tx: &mut Tx, id: &str) -> DbResult<Option<Campaign>> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
    let row: Option<CampaignRow> = on_tx!(tx, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?);
    row.map(Campaign::try_from).transpose()
}

pub async fn by_slug(db: &Db, slug: &str) -> DbResult<Option<Campaign>> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE slug = $1");
    let row: Option<CampaignRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(slug)
        .fetch_optional(p)
        .await?);
    row.map(Campaign::try_from).transpose()
}

/// Every campaign, newest first.
pub async fn list(db: &Db) -> DbResult<Vec<Campaign>> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns ORDER BY created_at DESC, slug");
    let rows: Vec<CampaignRow> = on_db!(db, |p| sqlx::query_as(&sql).fetch_all(p).await?);
    rows.into_iter().map(Campaign::try_from).collect()
}

/// Public (not draft) campaigns' slugs and last change, oldest first (the sitemap).
pub async fn public_slugs(db: &Db) -> DbResult<Vec<(String, DateTime<Utc>)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT slug, updated_at FROM campaigns WHERE state <> 'draft' ORDER BY created_at"
    )
    .fetch_all(p)
    .await?))
}

/// The campaign the front page shows: the featured one, else the newest public one.
pub async fn featured(db: &Db) -> DbResult<Option<Campaign>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM campaigns WHERE state <> $1 \
         ORDER BY featured DESC, created_at DESC LIMIT 1"
    );
    let row: Option<CampaignRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(CampaignState::Draft.as_str())
        .fetch_optional(p)
        .await?);
    row.map(Campaign::try_from).transpose()
}

pub async fn milestones(db: &Db, c: &Campaign) -> DbResult<Vec<Milestone>> {
    let rows: Vec<(i64, String)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT amount_minor, label FROM milestones WHERE campaign_id = $1 ORDER BY amount_minor"
    )
    .bind(&c.id)
    .fetch_all(p)
    .await?
    });
    Ok(rows
        .into_iter()
        .map(|(a, label)| Milestone {
            amount: Money::new(a, c.currency()),
            label,
        })
        .collect())
}

pub async fn totals(db: &Db, campaign_id: &str) -> DbResult<Totals> {
    let row: Option<(i64, i64, i64, i64)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT raised_minor, donor_count, entry_count, version FROM campaign_totals WHERE campaign_id = $1"
    )
    .bind(campaign_id)
    .fetch_optional(p)
    .await?
    });
    let (raised_minor, donor_count, entry_count, version) =
        row.ok_or_else(|| DbError::Corrupt(format!("campaign {campaign_id} has no totals row")))?;
    Ok(Totals {
        raised_minor,
        donor_count,
        entry_count,
        version,
    })
}

/// The automatic `live → funded` step, inside the transaction that recorded a donation,
/// right after its ledger entry and totals (`raised_minor`: the raised amount they returned):
/// a live campaign whose goal is reached becomes funded. True when it did now.
pub async fn mark_funded_if_reached_in(
    tx: &mut Tx,
    campaign_id: &str,
    raised_minor: i64,
) -> DbResult<bool> {
    let now = Utc::now();
    Ok(on_tx!(tx, |c| sqlx::query(
        "UPDATE campaigns SET state = $2, updated_at = $4 WHERE id = $1 AND state = $3 \
         AND goal_minor <= $5"
    )
    .bind(campaign_id)
    .bind(CampaignState::Funded.as_str())
    .bind(CampaignState::Live.as_str())
    .bind(now)
    .bind(raised_minor)
    .execute(&mut *c)
    .await?
    .rows_affected())
        > 0)
}

/// Changes a campaign's state (the console's and the CLI's path; `funded` is also entered
/// automatically by [`mark_funded_if_reached_in`]).
pub async fn set_state(db: &Db, campaign_id: &str, state: CampaignState) -> DbResult<()> {
    let mut txo = db.begin().await?;
    let tx = &mut txo;
    let now = Utc::now();
    on_tx!(tx, |c| sqlx::query(
        "UPDATE campaigns SET state = $1, updated_at = $2 WHERE id = $3"
    )
    .bind(state.as_str())
    .bind(now)
    .bind(campaign_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    crate::live::bump_version(tx, campaign_id).await?;
    txo.commit().await
}
