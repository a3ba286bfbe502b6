//! The team's JSON API: who am I (`GET /api/v1/me`), for scripts holding a personal API
//! token (`Authorization: Bearer sr_…`) or a signed-in browser. Its OpenAPI part (with the
//! bearer security scheme) is merged into the site's document.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::session::CurrentMember;
use crate::http::{AppError, AppState};
use crate::web::api::ErrorBody;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(me))
}

/// The member a token (or session) acts as.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeJson {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// IANA time zone, e.g. `Europe/Copenhagen`.
    pub time_zone: String,
    pub roles: Vec<RoleJson>,
}

/// One role and where it applies.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleJson {
    /// `owner`, `editor`, `treasurer` or `member`.
    pub role: String,
    /// The campaign's slug for a role on one campaign; `null` for the whole site.
    pub campaign: Option<String>,
}

/// The member the request is authenticated as, with their roles.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    responses(
        (status = 200, description = "The authenticated member", body = MeJson),
        (status = 401, description = "No token, or an unknown or revoked one", body = ErrorBody),
        (status = 403, description = "`two_factor_required`: the site requires two-factor sign-in for the member's role and they have not set it up", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "team"
)]
async fn me(State(s): State<AppState>, cur: CurrentMember) -> Result<Json<MeJson>, AppError> {
    let m = cur.member;
    let mut roles = Vec::with_capacity(m.grants.len());
    for g in &m.grants {
        let campaign = match &g.scope {
            None => None,
            Some(id) => Some(
                crate::campaigns::repo::by_id(&s.db, id)
                    .await?
                    .map(|c| c.slug.to_string())
                    .unwrap_or_else(|| id.clone()),
            ),
        };
        roles.push(RoleJson {
            role: g.role.as_str().to_string(),
            campaign,
        });
    }
    Ok(Json(MeJson {
        id: m.id,
        email: m.email,
        display_name: m.display_name,
        time_zone: m.time_zone,
        roles,
    }))
}

/// Adds the `bearer` security scheme (personal API tokens).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal API token (`sr_…`) from the account page or \
                         `shelfraiser token create`; acts with the member's roles.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(me),
    components(schemas(MeJson, RoleJson)),
    modifiers(&BearerScheme),
    tags((name = "team", description = "The authenticated member"))
)]
pub struct TeamApiDoc;
