//! Promotion's routes: the live badge, the embeddable card and the oEmbed endpoint.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::{badge, embed};
use crate::campaigns::{Campaign, CampaignState, Progress};
use crate::http::{AppError, AppState, Framable, Lang};
use crate::web::PageCtx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{slug}/badge.svg", get(badge_svg))
        .route("/campaigns/{slug}/embed", get(embed_page))
        .route("/oembed", get(oembed))
}

/// How long the badge and the card may be kept by browsers and caches (seconds): short, as
/// the totals move.
const MAX_AGE: &str = "public, max-age=60";

/// A public campaign by slug (drafts are nobody's business).
async fn public_campaign(s: &AppState, slug: &str) -> Result<Campaign, AppError> {
    crate::campaigns::repo::by_slug(&s.db, slug)
        .await?
        .filter(|c| c.state != CampaignState::Draft)
        .ok_or(AppError::NotFound)
}

fn cached(mut res: Response, content_type: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    // The language comes from the `lang` cookie or `Accept-Language`.
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    res
}

/// `GET /campaigns/{slug}/badge.svg`.
async fn badge_svg(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let c = public_campaign(&s, &slug).await?;
    let totals = crate::campaigns::repo::totals(&s.db, &c.id).await?;
    let p = Progress::of(&c, &totals, Utc::now());
    let amounts = format!(
        "{} {}",
        tr.money(p.raised),
        tr.ta("raised-of-goal", [("goal", tr.money(p.goal))])
    );
    let percent = tr.ta("percent-of-goal", [("percent", tr.int(p.percent))]);
    let svg = badge::svg(&badge::Badge {
        title: &c.title,
        amounts: &amounts,
        percent: &percent,
        bar: p.bar_percent(),
    });
    Ok(cached(svg.into_response(), "image/svg+xml"))
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    page: PageCtx,
    title: String,
    canonical: String,
    /// The campaign's card, rendered (live).
    card: String,
}

/// `GET /campaigns/{slug}/embed`: the only page other sites may frame.
async fn embed_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let c = public_campaign(&s, &slug).await?;
    let mut card = crate::campaigns::view::card::card(&s, &tr, &c).await?;
    card.live = true;
    let path = format!("/campaigns/{}", c.slug);
    let page = EmbedPage {
        page: PageCtx::new(&s, &tr, &format!("{path}/embed")),
        title: c.title.clone(),
        canonical: s.absolute(&path),
        card: card.render()?,
    };
    let mut res = cached(
        Html(page.render()?).into_response(),
        "text/html; charset=utf-8",
    );
    res.extensions_mut().insert(Framable);
    Ok(res)
}

#[derive(Deserialize)]
struct OembedQuery {
    url: Option<String>,
    format: Option<String>,
    maxwidth: Option<u32>,
    maxheight: Option<u32>,
}

/// `GET /oembed?url=…&format=json`: 400 without a URL, 404 for an address that is not one of
/// our public campaigns, 501 for any format but JSON (as the oEmbed spec asks).
async fn oembed(
    State(s): State<AppState>,
    Query(q): Query<OembedQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let url = q
        .url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| AppError::BadRequest("url: the campaign's address".into()))?;
    if q.format.as_deref().is_some_and(|f| f != "json") {
        return Ok((StatusCode::NOT_IMPLEMENTED, "only format=json").into_response());
    }
    let base = s.base_url.trim_end_matches('/');
    let slug = embed::slug_of(base, &url).ok_or(AppError::NotFound)?;
    let c = public_campaign(&s, &slug).await?;
    let (width, height) = embed::size(q.maxwidth, q.maxheight);
    let thumbnail = c.cover_image_url.as_deref().map(|u| s.absolute(u));
    let doc = embed::oembed(&embed::Described {
        base,
        slug: &slug,
        title: &c.title,
        site_name: &tr.t("site-name"),
        thumbnail: thumbnail.as_deref(),
        width,
        height,
    });
    let mut res = cached(doc.to_string().into_response(), "application/json");
    // Consumers fetch it from their servers, and some from browsers.
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}
