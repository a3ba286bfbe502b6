//! Promotion's routes: the live badge, the embeddable card and the oEmbed endpoint.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::{badge, embed, referrals, share};
use crate::campaigns::{Campaign, CampaignState, Progress};
use crate::http::{AppError, AppState, Framable, Lang, csrf};
use crate::web::PageCtx;
use crate::web::request::Req;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{slug}/badge.svg", get(badge_svg))
        .route("/campaigns/{slug}/embed", get(embed_page))
        .route("/oembed", get(oembed))
        .route("/campaigns/{slug}/share", get(share_page))
        .route("/campaigns/{slug}/poster", get(poster_page))
        .merge(super::newsletter::pages::routes())
        .merge(super::events::pages::routes())
        .route("/campaigns/{slug}/links", post(create_link))
        .route("/campaigns/{slug}/supporters", get(supporters_page))
        .route("/r/{code}", get(follow_link))
        .route("/r/{code}/manage", get(manage_link).post(manage_save))
}

/// How long the badge and the card may be kept by browsers and caches (seconds): short, as
/// the totals move.
const MAX_AGE: &str = "public, max-age=60";

/// A public campaign by slug (drafts are nobody's business): 404 otherwise. Every
/// promotion page starts here.
pub(super) async fn public_campaign(s: &AppState, slug: &str) -> Result<Campaign, AppError> {
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
    /// The referral link form's token.
    csrf: String,
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
        csrf: s.csrf.token(Utc::now()),
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

// ---------------------------------------------------------------------------------------
// Referral links and the supporters' leaderboard
// ---------------------------------------------------------------------------------------

/// Links one address may make per hour.
pub const LINKS_PER_HOUR: usize = 10;

/// `GET /r/{code}`: 303 to the campaign page with `?ref={code}` (counted there, as a view
/// with the code). An unknown code: 404.
async fn follow_link(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let link = referrals::get(&s.db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = crate::campaigns::repo::by_id(&s.db, &link.campaign_id)
        .await?
        .filter(|c| c.state != CampaignState::Draft)
        .ok_or(AppError::NotFound)?;
    let mut res = Redirect::to(&format!("/campaigns/{}?ref={}", c.slug, link.code)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewLinkInput {
    name: String,
    leaderboard: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "referral_link.html")]
struct LinkPage {
    page: PageCtx,
    slug: String,
    title: String,
    link: String,
    manage: String,
    name: String,
    on_leaderboard: bool,
    csrf: String,
    notice: String,
    deleted: bool,
}

/// `POST /campaigns/{slug}/links`: a supporter makes their own link (CSRF, at most
/// [`LINKS_PER_HOUR`] per address and hour). The answer shows the link and its secret
/// manage address.
async fn create_link(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    r: Req,
    axum::Form(input): axum::Form<NewLinkInput>,
) -> Result<Response, AppError> {
    use crate::team::throttle;
    let c = public_campaign(&s, &slug).await?;
    let now = Utc::now();
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), now) {
        return Err(AppError::Unprocessable(r.tr.t("error-csrf")));
    }
    let addr =
        r.ip.as_deref()
            .map_or_else(|| "ip:unknown".into(), throttle::ip_key);
    let keys = [(
        format!("reflink:{addr}"),
        throttle::Rule::Count {
            limit: LINKS_PER_HOUR,
            window: chrono::Duration::hours(1),
        },
    )];
    if let throttle::Reserve::Refused(until) = throttle::reserve(&s.db, &keys, now).await? {
        let mut res = (
            StatusCode::TOO_MANY_REQUESTS,
            r.tr.tn("referral-rate-limited", throttle::minutes_left(until, now)),
        )
            .into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
        return Ok(res);
    }
    let on = input.leaderboard == "yes";
    let (link, token) = referrals::create(&s.db, &c.id, &input.name, on, None, now).await?;
    link_page(&s, &r.tr, &c, &link, &token, String::new(), false)
}

fn link_page(
    s: &AppState,
    tr: &crate::i18n::I18n,
    c: &Campaign,
    link: &referrals::Link,
    token: &str,
    notice: String,
    deleted: bool,
) -> Result<Response, AppError> {
    let page = LinkPage {
        page: PageCtx::new(s, tr, &format!("/campaigns/{}/share", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        link: s.absolute(&format!("/r/{}", link.code)),
        manage: s.absolute(&format!("/r/{}/manage?key={token}", link.code)),
        name: link.public_name.clone(),
        on_leaderboard: link.on_leaderboard,
        csrf: s.csrf.token(Utc::now()),
        notice,
        deleted,
    };
    let mut res = Html(page.render()?).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The manage address is a secret: it leaves with no link followed from here.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}

#[derive(Deserialize)]
struct ManageQuery {
    key: Option<String>,
}

/// The link `code` and its campaign, for the holder of its manage token.
async fn managed(
    s: &AppState,
    code: &str,
    key: &str,
) -> Result<(referrals::Link, Campaign), AppError> {
    let link = referrals::managed(&s.db, code, key)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = crate::campaigns::repo::by_id(&s.db, &link.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((link, c))
}

/// `GET /r/{code}/manage?key=…`: the link's page for whoever made it.
async fn manage_link(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ManageQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let key = q.key.unwrap_or_default();
    let (link, c) = managed(&s, &code, &key).await?;
    link_page(&s, &tr, &c, &link, &key, String::new(), false)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ManageInput {
    key: String,
    name: String,
    leaderboard: String,
    action: String,
    csrf: String,
}

/// `POST /r/{code}/manage`: rename, join or leave the leaderboard, or delete the link.
async fn manage_save(
    State(s): State<AppState>,
    Path(code): Path<String>,
    r: Req,
    axum::Form(input): axum::Form<ManageInput>,
) -> Result<Response, AppError> {
    let (mut link, c) = managed(&s, &code, &input.key).await?;
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), Utc::now()) {
        return Err(AppError::Unprocessable(r.tr.t("error-csrf")));
    }
    if input.action == "delete" {
        referrals::delete(&s.db, &link.code).await?;
        return link_page(
            &s,
            &r.tr,
            &c,
            &link,
            &input.key,
            r.tr.t("referral-deleted"),
            true,
        );
    }
    let on = input.leaderboard == "yes";
    referrals::update(&s.db, &link.code, &input.name, on).await?;
    link.public_name = referrals::clean_name(&input.name);
    link.on_leaderboard = on;
    link_page(
        &s,
        &r.tr,
        &c,
        &link,
        &input.key,
        r.tr.t("referral-saved"),
        false,
    )
}

pub struct BoardRow {
    pub name: String,
    pub raised: String,
    pub donations: i64,
}

#[derive(Template)]
#[template(path = "supporters.html")]
struct SupportersPage {
    page: PageCtx,
    slug: String,
    title: String,
    rows: Vec<BoardRow>,
    /// Links not on the board, together ("Other supporters' links"), if they raised any.
    others: Option<BoardRow>,
}

/// `GET /campaigns/{slug}/supporters`: the supporters' leaderboard — opted-in links by
/// public name with what they raised (the ledger's sums, in the campaign's currency, refunds
/// taken off) and their donations; the links that did not opt in, together, without names.
async fn supporters_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let c = public_campaign(&s, &slug).await?;
    let links = referrals::of_campaign(&s.db, &c.id).await?;
    let entries = crate::donations::attribution::entries(&s.db, &c.id).await?;
    let money = |minor: i64| tr.money(crate::money::Money::new(minor, c.currency()));
    let mut rows = Vec::new();
    let (mut other_minor, mut other_n) = (0, 0);
    for r in referrals::raised(&links, &entries, &[], false) {
        if r.donations == 0 && r.raised_minor == 0 {
            continue;
        }
        if r.on_leaderboard {
            rows.push(BoardRow {
                name: if r.name.is_empty() {
                    tr.t("referral-no-name")
                } else {
                    r.name
                },
                raised: money(r.raised_minor),
                donations: r.donations,
            });
        } else {
            other_minor += r.raised_minor;
            other_n += r.donations;
        }
    }
    let page = SupportersPage {
        page: PageCtx::new(&s, &tr, &format!("/campaigns/{}/supporters", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        rows,
        others: (other_n > 0 || other_minor != 0).then(|| BoardRow {
            name: tr.t("referral-others"),
            raised: money(other_minor),
            donations: other_n,
        }),
    };
    Ok(cached(
        Html(page.render()?).into_response(),
        "text/html; charset=utf-8",
    ))
}
