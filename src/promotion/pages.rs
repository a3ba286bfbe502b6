//! Promotion's routes: the live badge, the embeddable card and the oEmbed endpoint.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::{badge, embed, share};
use crate::campaigns::{Campaign, CampaignState, Progress};
use crate::http::{AppError, AppState, Framable, Lang};
use crate::web::PageCtx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{slug}/badge.svg", get(badge_svg))
        .route("/campaigns/{slug}/embed", get(embed_page))
        .route("/oembed", get(oembed))
        .route("/campaigns/{slug}/share", get(share_page))
        .route("/campaigns/{slug}/poster", get(poster_page))
        .merge(super::newsletter::pages::routes())
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

/// A public campaign and its progress as it is now.
async fn with_progress(s: &AppState, slug: &str) -> Result<(Campaign, Progress), AppError> {
    let c = public_campaign(s, slug).await?;
    let totals = crate::campaigns::repo::totals(&s.db, &c.id).await?;
    let p = Progress::of(&c, &totals, Utc::now());
    Ok((c, p))
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
    let (c, p) = with_progress(&s, &slug).await?;
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

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    page: PageCtx,
    slug: String,
    title: String,
    kit: share::Kit,
    progress_text: String,
    badge_code: String,
    embed_code: String,
    /// What was typed as the reader's server, shown back.
    server: String,
    error: String,
    /// The reader's server's share page, once a usable name was given.
    mastodon: Option<String>,
    server_host: String,
}

#[derive(Deserialize)]
struct ShareQuery {
    server: Option<String>,
}

/// `GET /campaigns/{slug}/share`: the share kit.
async fn share_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<ShareQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    use shelfraiser_formats::html::escape;
    let (c, p) = with_progress(&s, &slug).await?;
    let url = s.absolute(&format!("/campaigns/{}", c.slug));
    let (raised, goal) = (tr.money(p.raised), tr.money(p.goal));
    let kit = share::kit(
        &tr,
        &share::Facts {
            title: &c.title,
            summary: &c.summary,
            url: &url,
            raised: &raised,
            goal: &goal,
        },
    );
    let typed = q.server.unwrap_or_default();
    let (mastodon, error) = if typed.trim().is_empty() {
        (None, String::new())
    } else {
        match crate::federation::server_name(&typed) {
            Some(host) => (Some(host), String::new()),
            None => (None, tr.t("follow-error-server")),
        }
    };
    let progress_text = format!("{raised} {}", tr.ta("raised-of-goal", [("goal", goal)]));
    let badge_code = format!(
        "<a href=\"{}\"><img src=\"{url}/badge.svg\" width=\"{}\" height=\"{}\" alt=\"{}\"></a>",
        escape(&url),
        badge::WIDTH,
        badge::HEIGHT,
        escape(&c.title)
    );
    let (w, h) = embed::size(None, None);
    let embed_code = format!(
        "<iframe src=\"{url}/embed\" width=\"{w}\" height=\"{h}\" title=\"{}\" loading=\"lazy\" style=\"border:0;max-width:100%\"></iframe>",
        escape(&c.title)
    );
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = SharePage {
        page: PageCtx::new(&s, &tr, &format!("/campaigns/{}/share", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        mastodon: mastodon
            .as_deref()
            .map(|host| share::mastodon_share(host, &kit.short)),
        server_host: mastodon.unwrap_or_default(),
        kit,
        progress_text,
        badge_code,
        embed_code,
        server: typed.chars().take(300).collect(),
        error,
    };
    let mut res = (status, Html(page.render()?)).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    page: PageCtx,
    slug: String,
    title: String,
    summary: String,
    url: String,
    raised: String,
    of_goal: String,
    /// The QR code of the campaign's address, inline SVG.
    qr: String,
}

/// `GET /campaigns/{slug}/poster`: a printable page with a QR code of the campaign's
/// address, for events and library counters.
async fn poster_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let (c, p) = with_progress(&s, &slug).await?;
    let url = s.absolute(&format!("/campaigns/{}", c.slug));
    let qr = crate::web::qr::qr_svg(&url, &c.title).ok_or(AppError::NotFound)?;
    let page = PosterPage {
        page: PageCtx::new(&s, &tr, &format!("/campaigns/{}/poster", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        raised: tr.money(p.raised),
        of_goal: tr.ta("raised-of-goal", [("goal", tr.money(p.goal))]),
        url,
        qr,
    };
    Ok(cached(
        Html(page.render()?).into_response(),
        "text/html; charset=utf-8",
    ))
}
