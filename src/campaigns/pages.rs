//! Public campaign pages: the front page, the campaign page (story, progress bar with
//! milestones, donor wall, donate form), the full donor list and the live progress stream.

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
use http::HeaderMap;
use serde::Deserialize;

use super::view::pledged::pledged_parts;
use super::view::{
    FormState, ProgressView, UpdateView, WallItem, head, milestone_views, render_campaign,
    update_view, visitor_currency, wall_item, wall_view,
};
use super::{CampaignState, Progress, repo};
use crate::donations::checkout;
use crate::donations::ledger::{self};
use crate::http::page_cache::{Key as PageKey, LiveEvent, Lookup, Rendered};
use crate::http::{AppError, AppState, Lang};
use crate::i18n::{self, I18n};
use crate::money::currency_of_region;
use crate::web::PageCtx;
use crate::web::meta::{Meta, feed_links};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(front_page))
        .route("/campaigns/{slug}/donors", get(donors_page))
}

/// The live progress stream, apart from [`routes`]: the application serves it outside the
/// response compression layer (an event stream is never compressed, and the layer's body
/// wrapper would be held by every open stream).
pub fn stream_routes() -> Router<AppState> {
    Router::new().route("/campaigns/{slug}/live", get(live_stream))
}

#[derive(Deserialize)]
pub struct CampaignQuery {
    checkout: Option<String>,
    /// The declined or canceled checkout the donor comes back from: its form is filled in
    /// again (`donations::checkout::retry_input`).
    from: Option<String>,
}

/// `GET /campaigns/{slug}` as a page (the application's router sends requests for the
/// campaign's ActivityPub document elsewhere, by `Accept`, before this page's cache).
pub async fn campaign_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<CampaignQuery>,
    Lang(tr): Lang,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let notice = match q.checkout.as_deref() {
        Some("declined") => tr.t("checkout-declined"),
        Some("canceled") => tr.t("checkout-canceled"),
        Some("pending") => tr.t("checkout-pending"),
        _ => String::new(),
    };
    // The donate form opens with the visitor's currency when the campaign accepts it; the
    // page is kept per (campaign, language, currency).
    let region = i18n::region(
        headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    if notice.is_empty() {
        return cached_page(&s, &tr, &slug, region.as_deref(), headers).await;
    }
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.state == CampaignState::Draft {
        return Err(AppError::NotFound);
    }
    // Back from a failed payment: the form as the donor typed it (not the e-mail address,
    // which a shared link must not show), on a page that is neither cached nor stored.
    let totals = repo::totals(&s.db, &c.id).await?;
    let fresh = FormState::fresh(visitor_currency(&c, region.as_deref()));
    let mut form = None;
    if let Some(from) = q.from.as_deref()
        && let Some(i) = checkout::retry_input(&s.db, from, &c.id, Utc::now()).await?
    {
        // The link or source that brought the donor stays with the form given back.
        let source = crate::donations::attribution::of_session(&s.db, from).await?;
        let mut f = FormState::given_back(i.amount, i.currency, i.name, i.message, i.visibility);
        f.ref_code = source.ref_code.unwrap_or_default();
        f.utm_source = source.utm_source.unwrap_or_default();
        f.via = source.referrer_host.unwrap_or_default();
        form = Some(f);
    }
    let form = form.unwrap_or(fresh);
    let html = render_campaign(&s, &tr, &c, &totals, Some(form), notice).await?;
    let mut res = Html(html).into_response();
    res.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// The campaign page from the node's page cache (`http::page_cache`): fresh, or — while
/// another request renders its replacement — the page being replaced; else rendered here,
/// one render per (page, language, currency) at a time (`http::flight`).
async fn cached_page(
    s: &AppState,
    tr: &I18n,
    slug: &str,
    region: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let version_of = |id: &str| s.hub.version(id);
    let mut leading = None;
    if let Some(variants) = s.pages.variants(slug)
        && let Some(default) = variants.first()
    {
        // A hit is looked up with borrowed names; the key is made only to lead a render.
        let wanted = region
            .and_then(currency_of_region)
            .and_then(|c| variants.iter().find(|v| v.as_str() == c.as_str()))
            .unwrap_or(default);
        match s.pages.lookup_in(slug, tr.lang, wanted, version_of) {
            Lookup::Fresh(hit) => {
                s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit.response(headers));
            }
            Lookup::Stale(old) => {
                match s
                    .pages
                    .flights
                    .try_lead((slug.to_string(), tr.lang, wanted.clone()))
                {
                    None => {
                        s.metrics.page_cache_stale.fetch_add(1, Ordering::Relaxed);
                        return Ok(old.response(headers));
                    }
                    Some(flight) => leading = Some(flight),
                }
            }
            Lookup::Missing => {}
        }
    }
    let c = match repo::by_slug(&s.db, slug).await? {
        Some(c) if c.state != CampaignState::Draft => c,
        _ => {
            s.pages.forget(slug);
            return Err(AppError::NotFound);
        }
    };
    let currency = visitor_currency(&c, region);
    let key: PageKey = (slug.to_string(), tr.lang, currency.to_string());
    let _flight = match leading {
        Some(f) if f.key() == &key => f,
        other => {
            // No entry (or the variants changed): wait for the render under way, if any,
            // then look again.
            drop(other);
            let f = s.pages.flights.lead(key.clone()).await;
            if let Some(hit) = s.pages.get(&key, version_of) {
                s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit.response(headers));
            }
            f
        }
    };
    // Leading: a request that saw the stale page may arrive after the last render was kept.
    if let Some(hit) = s.pages.get(&key, version_of) {
        s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
        return Ok(hit.response(headers));
    }
    s.metrics.page_cache_misses.fetch_add(1, Ordering::Relaxed);
    s.metrics
        .page_renders_campaign
        .fetch_add(1, Ordering::Relaxed);
    let totals = repo::totals(&s.db, &c.id).await?;
    s.hub.observe(&c.id, totals.version);
    let html = render_campaign(
        s,
        tr,
        &c,
        &totals,
        Some(FormState::fresh(currency)),
        String::new(),
    )
    .await?;
    let rendered = Arc::new(Rendered::build(&c.id, totals.version, html).await);
    let variants: Vec<String> = c.currencies().iter().map(|x| x.to_string()).collect();
    s.pages.put(
        slug,
        tr.lang,
        currency.as_str(),
        &variants,
        rendered.clone(),
    );
    Ok(rendered.response(headers))
}

#[derive(Template)]
#[template(path = "front.html")]
pub struct FrontPage {
    pub page: PageCtx,
    /// Share preview (the featured campaign's image) and the site's feeds.
    pub meta: Meta,
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
    if let Some(to) = crate::blog::lookup::query_link_target(&s, &uri).await? {
        return Ok((
            http::StatusCode::MOVED_PERMANENTLY,
            [(http::header::LOCATION, to)],
        )
            .into_response());
    }
    let site = tr.t("site-name");
    let mut meta = Meta::website(
        site.clone(),
        tr.t("blog-description"),
        s.absolute("/"),
        site.clone(),
        tr.lang,
    );
    meta.feeds = feed_links(s.base_url.trim_end_matches('/'), "", &site);
    let featured = match repo::featured(&s.db).await? {
        Some(c) => {
            meta.image = Some(head::share_image(&s, &c));
            meta.image_alt = c.cover_image_alt.clone().unwrap_or_default();
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
    let updates = crate::blog::repo::updates(&s.db, None, 5)
        .await?
        .iter()
        .map(|u| update_view(&s, &tr, u))
        .collect();
    let page = FrontPage {
        page: PageCtx::new(&s, &tr, "/"),
        meta,
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

/// The JSON each live event carries: the totals (as numbers and as shown), the campaign's
/// state, the donor wall's newest entries as the page shows them (after the wall's
/// moderation; plain text) and whether there are more, and each milestone's reached flag.
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
    let pledged = crate::donations::pledges::pledged(&s.db, &c, Utc::now()).await?;
    let (v, matches) = pledged_parts(tr, ProgressView::new(tr, &p), c.goal, &pledged);
    let milestones: Vec<serde_json::Value> = milestone_views(s, tr, &c, t.raised_minor)
        .await?
        .iter()
        .map(|m| serde_json::json!({ "amount_minor": m.amount_minor, "reached": m.reached }))
        .collect();
    let (wall, wall_more) = wall_view(s, tr, &c).await?;
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
        "pledged_minor": v.pledged_minor,
        "pledged": v.pledged,
        "pledged_bar": v.pledged_bar,
        "bar_label": v.bar_label,
        "matches": matches,
        "state": c.state.as_str(),
        "milestones": milestones,
        "wall": wall,
        "wall_more": wall_more,
    }))
}

/// The campaign's live event in `tr`'s language at version `at_least` or newer: the one this
/// node keeps (`http::page_cache::LiveEvents`), or built now.
async fn live_event(
    s: &AppState,
    tr: &I18n,
    campaign_id: &str,
    at_least: i64,
) -> Result<Arc<LiveEvent>, AppError> {
    s.pages
        .live
        .get_or_build(campaign_id, tr.lang, at_least, || async {
            let p = live_payload(s, tr, campaign_id).await?;
            Ok::<_, AppError>(LiveEvent {
                version: p["version"].as_i64().unwrap_or(-1),
                data: p.to_string(),
            })
        })
        .await
}

/// One of the node's live stream slots (`live.max_streams`), counted by the
/// `shelfraiser_live_streams` gauge; given back when the stream ends.
struct StreamSlot(AppState);

impl StreamSlot {
    fn take(s: &AppState) -> Option<StreamSlot> {
        let cap = s.settings.live.effective_max_streams(&s.settings.http) as i64;
        let open = s.metrics.live_streams.fetch_add(1, Ordering::SeqCst) + 1;
        if open > cap {
            s.metrics.live_streams.fetch_sub(1, Ordering::SeqCst);
            s.metrics
                .live_streams_refused
                .fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(StreamSlot(s.clone()))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.metrics.live_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A `progress` event: the campaign's version as its id, the payload as its data.
fn progress_event(e: &LiveEvent) -> Event {
    Event::default()
        .event("progress")
        .id(e.version.to_string())
        .data(e.data.as_str())
}

/// What an open stream keeps between events: a few handles and the version it last sent.
/// Ten thousand of these are open on a busy node, so it is small on purpose: no task or
/// channel of its own (the response body is this stream, dropped when the client goes), and
/// the next event's build (database reads, behind the page cache) boxed, so its future is
/// allocated only while an event is made, not held by every idle stream.
struct OpenStream {
    _slot: StreamSlot,
    state: AppState,
    tr: I18n,
    id: String,
    rx: tokio::sync::broadcast::Receiver<crate::live::Changed>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    last: i64,
    opening: Option<Event>,
}

impl OpenStream {
    /// The next event, or `None` to end the stream (the node shutting down, the hub gone,
    /// the campaign gone or back to draft).
    async fn next_event(mut self) -> Option<(Result<Event, Infallible>, OpenStream)> {
        if let Some(e) = self.opening.take() {
            return Some((Ok(e), self));
        }
        loop {
            let at_least = tokio::select! {
                _ = self.shutdown.changed() => return None,
                msg = self.rx.recv() => match msg {
                    Ok(ch) if ch.campaign_id != self.id => continue,
                    Ok(ch) => ch.version,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        self.state.hub.version(&self.id).unwrap_or(i64::MAX)
                    }
                    Err(_) => return None,
                }
            };
            if at_least <= self.last {
                continue;
            }
            // The event is usually kept already (the first stream to wake built it): taken
            // without making the build's future at all, so ten thousand streams waking for
            // one change do not each allocate one.
            let kept = self.state.pages.live.get(&self.id, self.tr.lang, at_least);
            let event = match kept {
                Some(e) => Ok(e),
                None => Box::pin(live_event(&self.state, &self.tr, &self.id, at_least)).await,
            };
            match event {
                Ok(e) if e.version > self.last => {
                    self.last = e.version;
                    return Some((Ok(progress_event(&e)), self));
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }
}

/// What a stream over the cap is told to wait before trying again, in seconds.
const STREAMS_FULL_RETRY_AFTER_SECS: u32 = 30;

/// Server-Sent Events: one `progress` event now and one after every change. A draft
/// campaign answers 404 like its page; a stream open when its campaign goes back to draft
/// ends at the next change.
///
/// * Each event's `id` is the campaign's version (`campaign_totals.version`), and each
///   event carries the whole state, so one event makes up for any number missed.
///   **Resumption**: a browser that reconnects sends `Last-Event-ID`; when it is the
///   current version the client is up to date and the first event is not sent again (the
///   stream waits for the next change); otherwise (older, unknown, absent) the current
///   state is sent at once.
/// * `retry:` (from `live.retry_ms`, between it and twice it per stream) comes first; a
///   comment line every `live.heartbeat_secs` keeps idle streams open through proxies.
/// * `X-Accel-Buffering: no` and `Cache-Control: no-cache` keep proxies from holding events.
/// * At most `live.max_streams` are open on a node: more get 503 with `Retry-After`, and
///   their page keeps the total it was rendered with.
async fn live_stream(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let slot = StreamSlot::take(&s).ok_or(AppError::Overloaded {
        retry_after_secs: STREAMS_FULL_RETRY_AFTER_SECS,
    })?;
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .filter(|c| c.state != CampaignState::Draft)
        .ok_or(AppError::NotFound)?;
    let resume_from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    // Subscribe before reading the first payload, so no change falls in between. The first
    // event is the node's shared one (`LiveEvents`) when it is at the newest version this
    // node has seen, else built now (and shared): ten thousand streams opening read the
    // payload's tables once, not once each, and leave no heap of freed query results
    // between the streams' own allocations. A version newer than the hub's arrives as the
    // next change, which this stream is already subscribed to.
    let rx = s.hub.subscribe();
    let at_least = s.hub.version(&c.id).unwrap_or(i64::MAX);
    let first = live_event(&s, &tr, &c.id, at_least).await?;
    let live = &s.settings.live;
    let retry = {
        use rand::Rng;
        let base = live.retry_ms;
        Duration::from_millis(rand::thread_rng().gen_range(base..=base * 2))
    };
    let heartbeat = Duration::from_secs(live.heartbeat_secs);
    // `retry:` goes with the first event, or alone when the client is up to date. The
    // payload's text is in the event now; the stream keeps only its version.
    let opening = if resume_from == Some(first.version) {
        Event::default().retry(retry)
    } else {
        progress_event(&first).retry(retry)
    };
    let stream = futures_util::stream::unfold(
        OpenStream {
            _slot: slot,
            state: s.clone(),
            tr,
            id: c.id,
            rx,
            shutdown: s.shutdown.clone(),
            last: first.version,
            opening: Some(opening),
        },
        OpenStream::next_event,
    );
    let mut res = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(heartbeat))
        .into_response();
    let h = res.headers_mut();
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    h.insert("x-accel-buffering", http::HeaderValue::from_static("no"));
    Ok(res)
}
