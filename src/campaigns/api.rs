//! The public JSON API for campaigns and its OpenAPI document (`/api/openapi.json`).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::{CampaignState, Progress, repo};
use crate::http::{AppError, AppState};
use crate::money::Money;
use crate::web::api::{ErrorBody, ErrorDetail};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns", get(list))
        .route("/api/v1/campaigns/{slug}", get(show))
}

/// A campaign's public progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignJson {
    /// URL name of the campaign.
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Raised so far, in the campaign currency.
    pub raised: Money,
    pub goal: Money,
    /// Number of donations counted.
    pub donors: i64,
    /// Whole percent of the goal reached (rounded down; may exceed 100).
    pub percent: i64,
    pub state: CampaignState,
    /// When the campaign ends, if it has an end date.
    pub ends_at: Option<DateTime<Utc>>,
    /// Page URL.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignJson>,
}

async fn to_json(s: &AppState, c: &super::Campaign) -> Result<CampaignJson, AppError> {
    let t = repo::totals(&s.db, &c.id).await?;
    let p = Progress::of(c, &t, Utc::now());
    Ok(CampaignJson {
        slug: c.slug.to_string(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        raised: p.raised,
        goal: p.goal,
        donors: p.donors,
        percent: p.percent,
        state: c.state,
        ends_at: c.ends_at,
        url: format!("{}/campaigns/{}", s.base_url, c.slug),
    })
}

/// One campaign's progress.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{slug}",
    params(("slug" = String, Path, description = "Campaign slug")),
    responses(
        (status = 200, description = "The campaign", body = CampaignJson),
        (status = 404, description = "No such public campaign", body = ErrorBody),
    ),
    tag = "campaigns"
)]
async fn show(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<CampaignJson>, AppError> {
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.state == CampaignState::Draft {
        return Err(AppError::NotFound);
    }
    Ok(Json(to_json(&s, &c).await?))
}

/// Every public campaign, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    responses((status = 200, description = "Public campaigns", body = CampaignList)),
    tag = "campaigns"
)]
async fn list(State(s): State<AppState>) -> Result<Json<CampaignList>, AppError> {
    let mut out = Vec::new();
    for c in repo::list(&s.db)
        .await?
        .into_iter()
        .filter(|c| c.state != CampaignState::Draft)
    {
        out.push(to_json(&s, &c).await?);
    }
    Ok(Json(CampaignList { campaigns: out }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Shelfraiser API", description = "Public JSON API of a Shelfraiser site.", license(name = "AGPL-3.0-or-later")),
    paths(show, list),
    components(schemas(CampaignJson, CampaignList, ErrorBody, ErrorDetail, Money, CampaignState)),
    tags((name = "campaigns", description = "Campaign progress"))
)]
pub struct ApiDoc;
