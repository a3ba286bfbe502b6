//! Public campaign pages: the front page, the campaign page (story, progress bar with
//! milestones, donor wall, donate form), the full donor list and the live progress stream.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use futures_util::Stream;
use http::HeaderMap;
use serde::Deserialize;

use super::{Campaign, CampaignState, Progress, Totals, repo};
use crate::donations::ledger::{self, DonationRow};
use crate::http::page_cache::Rendered;
use crate::http::{AppError, AppState, Lang};
use crate::i18n::{I18n, SUPPORTED};
use crate::markdown;
use crate::money::{CurrencyCode, Money};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(front_page))
        .route("/campaigns/{slug}", get(campaign_page))
        .route("/campaigns/{slug}/donors", get(donors_page))
        .route("/campaigns/{slug}/live", get(live_stream))
}

/// What every page's layout needs.
pub struct PageCtx {
    pub lang: &'static str,
    pub css: &'static str,
    pub live_js: String,
    pub langs: Vec<LangLink>,
    pub tr: I18n,
}

pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

impl PageCtx {
    pub fn new(s: &AppState, i18n: &I18n, path: &str) -> PageCtx {
        let next = percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        PageCtx {
            lang: i18n.lang,
            css: crate::http::assets::CSS,
            live_js: s.assets.url("live.js").to_string(),
            langs: SUPPORTED
                .iter()
                .map(|(code, name)| LangLink {
                    code,
                    name,
                    href: format!("/lang/{code}?next={next}"),
                    current: *code == i18n.lang,
                })
                .collect(),
            tr: i18n.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: PageCtx,
    pub status: u16,
    pub message: String,
    pub request_id: String,
}

pub struct MilestoneView {
    pub label: String,
    pub amount: String,
    /// Position on the bar, 0–100.
    pub pos: i64,
    pub reached: bool,
}

pub struct WallItem {
    pub name: String,
    pub amount: String,
    pub message: String,
    pub date: String,
}

pub struct UpdateView {
    /// The update's permalink.
    pub url: String,
    pub title: String,
    pub date: String,
    pub excerpt: String,
}

/// Values and errors of the donate form, for showing it again.
#[derive(Default, Clone)]
pub struct FormState {
    pub amount: String,
    pub currency: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub visibility: String,
    pub errors: HashMap<&'static str, String>,
}

impl FormState {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }
}

pub struct CurrencyOption {
    pub code: String,
    pub selected: bool,
}

pub struct ProgressView {
    pub raised: String,
    pub goal: String,
    pub donors: String,
    pub percent: i64,
    pub bar: i64,
    pub percent_text: String,
    pub days_left: String,
}

impl ProgressView {
    pub fn new(tr: &I18n, p: &Progress) -> ProgressView {
        ProgressView {
            raised: tr.money(p.raised),
            goal: tr.money(p.goal),
            donors: tr.tn("donor-count", p.donors),
            percent: p.percent,
            bar: p.bar_percent(),
            percent_text: tr.ta("percent-of-goal", &[("percent", tr.int(p.percent))]),
            days_left: match p.days_left {
                Some(0) => tr.t("campaign-ended"),
                Some(d) => tr.tn("days-left", d),
                None => String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
pub struct CampaignPage {
    pub page: PageCtx,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub story_html: String,
    pub beneficiary: String,
    pub cover_url: String,
    pub cover_alt: String,
    pub progress: ProgressView,
    pub funded: bool,
    pub closed: bool,
    pub accepting: bool,
    pub milestones: Vec<MilestoneView>,
    pub wall: Vec<WallItem>,
    pub wall_more: bool,
    pub currencies: Vec<CurrencyOption>,
    pub presets: Vec<String>,
    pub updates: Vec<UpdateView>,
    pub csrf: String,
    pub form: FormState,
    pub notice: String,
    pub test_mode: bool,
    pub max_amount: String,
}

impl CampaignPage {
    /// The free-amount field's value: what was typed, unless it was one of the presets.
    pub fn custom_amount(&self) -> &str {
        if self.presets.contains(&self.form.amount) {
            ""
        } else {
            &self.form.amount
        }
    }
}

/// An update in a list, linked to its permalink (a note's title is its first words).
pub fn update_view(s: &AppState, tr: &I18n, u: &repo::Update) -> UpdateView {
    let title = if u.title.trim().is_empty() {
        markdown::excerpt(&u.body_md, 60)
    } else {
        u.title.clone()
    };
    UpdateView {
        url: s
            .settings
            .blog
            .permalink
            .path(&u.kind, &u.slug, Some(u.published_at)),
        title,
        date: tr.date(u.published_at),
        excerpt: markdown::excerpt(&u.body_md, 240),
    }
}

/// Donor-wall entry for display.
pub fn wall_item(tr: &I18n, d: &DonationRow) -> WallItem {
    let amount = CurrencyCode::parse(&d.currency)
        .map(|c| tr.money(Money::new(d.amount_minor, c)))
        .unwrap_or_default();
    let name = match (d.visibility.as_str(), &d.donor_name) {
        ("public", Some(n)) if !n.trim().is_empty() => n.clone(),
        _ => tr.t("donor-anonymous"),
    };
    WallItem {
        name,
        amount,
        message: d.message.clone().unwrap_or_default(),
        date: tr.date(d.created_at),
    }
}

/// Renders the campaign page (with the form's values and errors when it is shown again).
pub async fn render_campaign(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
    totals: &Totals,
    form: Option<FormState>,
    notice: String,
) -> Result<String, AppError> {
    let now = Utc::now();
    let progress = Progress::of(c, totals, now);
    let milestones = repo::milestones(&s.db, c).await?;
    let wall = ledger::wall(&s.db, c, 20, 0).await?;
    let wall_count = ledger::wall_count(&s.db, c).await?;
    let updates = repo::updates(&s.db, Some(&c.id), 3).await?;
    let goal = c.goal.amount_minor.max(1);
    let form = form.unwrap_or_else(|| FormState {
        currency: c.currency().to_string(),
        visibility: "public".into(),
        ..Default::default()
    });
    let mut currencies: Vec<CurrencyCode> = vec![c.currency()];
    currencies.extend(c.accepted.iter().copied().filter(|x| *x != c.currency()));
    let page = CampaignPage {
        page: PageCtx::new(s, tr, &format!("/campaigns/{}", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        story_html: crate::render::markdown(c.story_md.clone()).await?,
        beneficiary: format!("{}, {}", c.beneficiary_name, c.beneficiary_place),
        cover_url: c
            .cover_image_url
            .clone()
            .unwrap_or_else(|| s.assets.url("cover.svg").to_string()),
        cover_alt: c.cover_image_alt.clone().unwrap_or_default(),
        progress: ProgressView::new(tr, &progress),
        funded: c.state == CampaignState::Funded,
        closed: c.state == CampaignState::Closed,
        accepting: c.accepting(now).is_ok() && s.providers.default_online().is_some(),
        milestones: milestones
            .iter()
            .map(|m| MilestoneView {
                label: m.label.clone(),
                amount: tr.money(m.amount),
                pos: (i128::from(m.amount.amount_minor) * 100 / i128::from(goal)).clamp(0, 100)
                    as i64,
                reached: totals.raised_minor >= m.amount.amount_minor,
            })
            .collect(),
        wall: wall.iter().map(|d| wall_item(tr, d)).collect(),
        wall_more: wall_count > 20,
        currencies: currencies
            .iter()
            .map(|code| CurrencyOption {
                code: code.to_string(),
                selected: form.currency == code.as_str(),
            })
            .collect(),
        presets: ["10", "25", "50", "100"]
            .iter()
            .map(|p| p.to_string())
            .collect(),
        updates: updates.iter().map(|u| update_view(s, tr, u)).collect(),
        csrf: s.csrf.token(now),
        form,
        notice,
        test_mode: s.providers.test().is_some(),
        max_amount: tr.money(Money::new(
            s.settings
                .donations
                .max_amount_major
                .saturating_mul(10_i64.pow(u32::from(c.currency().exponent()))),
            c.currency(),
        )),
    };
    Ok(page.render()?)
}

#[derive(Deserialize)]
pub struct CampaignQuery {
    checkout: Option<String>,
}

async fn campaign_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<CampaignQuery>,
    Lang(tr): Lang,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let notice = match q.checkout.as_deref() {
        Some("declined") => tr.t("checkout-declined"),
        Some("canceled") => tr.t("checkout-canceled"),
        _ => String::new(),
    };
    if notice.is_empty()
        && let Some(hit) = s.pages.get(&slug, tr.lang, |id| s.hub.version(id))
    {
        s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
        return Ok(hit.response(&headers));
    }
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.state == CampaignState::Draft {
        return Err(AppError::NotFound);
    }
    let totals = repo::totals(&s.db, &c.id).await?;
    if !notice.is_empty() {
        let html = render_campaign(&s, &tr, &c, &totals, None, notice).await?;
        return Ok(Html(html).into_response());
    }
    s.metrics.page_cache_misses.fetch_add(1, Ordering::Relaxed);
    s.hub.observe(&c.id, totals.version);
    let html = render_campaign(&s, &tr, &c, &totals, None, String::new()).await?;
    let rendered = Arc::new(Rendered::new(&c.id, totals.version, html));
    s.pages.put(&slug, tr.lang, rendered.clone());
    Ok(rendered.response(&headers))
}

#[derive(Template)]
#[template(path = "front.html")]
pub struct FrontPage {
    pub page: PageCtx,
    pub featured: Option<FeaturedView>,
    pub updates: Vec<UpdateView>,
}

pub struct FeaturedView {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub progress: ProgressView,
    pub funded: bool,
}

async fn front_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: http::Uri,
) -> Result<Response, AppError> {
    // Old WordPress links (`/?p=123`, `/?page_id=7`) land here: answer them from the
    // redirects table the importer fills.
    if uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv.starts_with("p=") || kv.starts_with("page_id="))
    }) && let Some(to) = crate::blog::pages::redirect_target(&s, &uri).await?
    {
        return Ok((
            http::StatusCode::MOVED_PERMANENTLY,
            [(http::header::LOCATION, to)],
        )
            .into_response());
    }
    let featured = match repo::featured(&s.db).await? {
        Some(c) => {
            let t = repo::totals(&s.db, &c.id).await?;
            let p = Progress::of(&c, &t, Utc::now());
            Some(FeaturedView {
                slug: c.slug.to_string(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                progress: ProgressView::new(&tr, &p),
                funded: c.state == CampaignState::Funded,
            })
        }
        None => None,
    };
    let updates = repo::updates(&s.db, None, 5)
        .await?
        .iter()
        .map(|u| update_view(&s, &tr, u))
        .collect();
    let page = FrontPage {
        page: PageCtx::new(&s, &tr, "/"),
        featured,
        updates,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "donors.html")]
pub struct DonorsPage {
    pub page: PageCtx,
    pub slug: String,
    pub title: String,
    pub wall: Vec<WallItem>,
    pub prev: Option<i64>,
    pub next: Option<i64>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

const DONORS_PER_PAGE: i64 = 50;

async fn donors_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.state == CampaignState::Draft {
        return Err(AppError::NotFound);
    }
    let page_no = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let total = ledger::wall_count(&s.db, &c).await?;
    let rows = ledger::wall(&s.db, &c, DONORS_PER_PAGE, (page_no - 1) * DONORS_PER_PAGE).await?;
    let page = DonorsPage {
        page: PageCtx::new(&s, &tr, &format!("/campaigns/{}/donors", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        wall: rows.iter().map(|d| wall_item(&tr, d)).collect(),
        prev: (page_no > 1).then_some(page_no - 1),
        next: (page_no * DONORS_PER_PAGE < total).then_some(page_no + 1),
    };
    Ok(Html(page.render()?).into_response())
}

/// The JSON each live event carries.
pub async fn live_payload(
    s: &AppState,
    tr: &I18n,
    campaign_id: &str,
) -> Result<serde_json::Value, AppError> {
    let c = repo::by_id(&s.db, campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A draft is not public: no state, goal or totals (an open stream ends at its next event).
    if c.state == CampaignState::Draft {
        return Err(AppError::NotFound);
    }
    let t = repo::totals(&s.db, &c.id).await?;
    let p = Progress::of(&c, &t, Utc::now());
    let v = ProgressView::new(tr, &p);
    Ok(serde_json::json!({
        "version": t.version,
        "raised_minor": p.raised.amount_minor,
        "currency": p.raised.currency.as_str(),
        "raised": v.raised,
        "goal": v.goal,
        "donors": p.donors,
        "donors_text": v.donors,
        "percent": p.percent,
        "percent_text": v.percent_text,
        "bar": v.bar,
        "state": c.state.as_str(),
    }))
}

/// Server-Sent Events: one `progress` event now and one after every change. A draft
/// campaign answers 404 like its page; a stream open when its campaign goes back to draft
/// ends at the next change.
async fn live_stream(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    // Subscribe before reading the first payload, so no change falls in between.
    let mut rx = s.hub.subscribe();
    let first = live_payload(&s, &tr, &c.id).await?;
    let mut shutdown = s.shutdown.clone();
    let state = s.clone();
    let id = c.id.clone();
    let (tx, out) = tokio::sync::mpsc::channel::<Event>(16);
    tokio::spawn(async move {
        state.metrics.live_streams.fetch_add(1, Ordering::Relaxed);
        let mut last = first["version"].as_i64().unwrap_or(-1);
        let mut ok = tx
            .send(Event::default().event("progress").data(first.to_string()))
            .await
            .is_ok();
        while ok {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tx.closed() => break,
                msg = rx.recv() => match msg {
                    Ok(ch) if ch.campaign_id != id => continue,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        match live_payload(&state, &tr, &id).await {
                            Ok(p) => {
                                let v = p["version"].as_i64().unwrap_or(-1);
                                if v != last {
                                    last = v;
                                    ok = tx.send(Event::default().event("progress").data(p.to_string())).await.is_ok();
                                }
                            }
                            Err(_) => break,
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        state.metrics.live_streams.fetch_sub(1, Ordering::Relaxed);
    });
    let stream = futures_util::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(out),
        Ok::<Event, Infallible>,
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
