//! The event page, `/campaigns/{slug}/events/{event}` (published events of public campaigns
//! only): date, hashtag, call to action, challenge, the gallery of approved entries
//! (favourites first) and the entry form. A sent entry waits for the team; a refused one is
//! shown again with what was typed and why. Entries are limited per client and per event.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use http::{StatusCode, header};
use serde::Deserialize;

use super::{Event, Source};
use crate::campaigns::Campaign;
use crate::http::{AppError, AppState, csrf};
use crate::team::throttle;
use crate::web::PageCtx;
use crate::web::form::Errors;
use crate::web::request::Req;

/// Entries one client may send in an hour.
pub const PER_CLIENT: usize = 5;
/// Entries one event takes in an hour, from everyone together.
pub const PER_EVENT: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/campaigns/{slug}/events/{event}", get(show).post(submit))
}

pub struct GalleryItem {
    pub url: String,
    pub title: String,
    pub name: String,
    pub favourite: bool,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    page: PageCtx,
    csrf: String,
    slug: String,
    campaign: String,
    event_slug: String,
    title: String,
    day: String,
    datetime: String,
    /// `#tag`.
    tag: String,
    call_html: String,
    challenge_html: String,
    gallery: Vec<GalleryItem>,
    url: String,
    entry_title: String,
    name: String,
    errors: Errors,
    notice: String,
    sent: bool,
}

/// The public campaign `slug` and its published event `event`.
async fn find(s: &AppState, slug: &str, event: &str) -> Result<(Campaign, Event), AppError> {
    let c = crate::promotion::pages::public_campaign(s, slug).await?;
    let e = super::published(&s.db, &c.id, event)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((c, e))
}

async fn view(s: &AppState, r: &Req, c: &Campaign, e: &Event) -> Result<EventPage, AppError> {
    let gallery = super::gallery(&s.db, &e.id)
        .await?
        .into_iter()
        .map(|x| GalleryItem {
            url: x.url,
            title: x.title,
            name: x.name,
            favourite: x.favourite,
        })
        .collect();
    Ok(EventPage {
        page: PageCtx::new(s, &r.tr, &r.path),
        csrf: s.csrf.token(Utc::now()),
        slug: c.slug.to_string(),
        campaign: c.title.clone(),
        event_slug: e.slug.clone(),
        title: e.title.clone(),
        day: r.tr.day(e.day),
        datetime: e.day.to_string(),
        tag: format!("#{}", e.hashtag),
        call_html: crate::render::markdown(e.call_md.clone()).await?,
        challenge_html: crate::render::markdown(e.challenge_md.clone()).await?,
        gallery,
        url: String::new(),
        entry_title: String::new(),
        name: String::new(),
        errors: Errors::default(),
        notice: String::new(),
        sent: false,
    })
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// `GET /campaigns/{slug}/events/{event}`.
async fn show(
    State(s): State<AppState>,
    r: Req,
    Path((slug, event)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (c, e) = find(&s, &slug, &event).await?;
    Ok(html(StatusCode::OK, view(&s, &r, &c, &e).await?.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntryForm {
    csrf: String,
    url: String,
    title: String,
    name: String,
}

/// `POST /campaigns/{slug}/events/{event}`: an entry, stored pending.
async fn submit(
    State(s): State<AppState>,
    r: Req,
    Path((slug, event)): Path<(String, String)>,
    axum::Form(f): axum::Form<EntryForm>,
) -> Result<Response, AppError> {
    let (c, e) = find(&s, &slug, &event).await?;
    let tr = &r.tr;
    let now = Utc::now();
    let mut page = view(&s, &r, &c, &e).await?;
    page.url = f.url.trim().chars().take(super::URL_MAX).collect();
    page.entry_title = super::clean_line(&f.title, super::TITLE_MAX);
    page.name = super::clean_line(&f.name, super::NAME_MAX);
    if !csrf::check(&s.csrf, &r.headers, Some(&f.csrf), now) {
        page.notice = tr.t("error-csrf");
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
    }
    let url = match super::entry_url(&page.url) {
        Ok(u) => Some(u),
        Err(key) => {
            page.errors.add("url", tr.t(key));
            None
        }
    };
    if page.entry_title.is_empty() {
        page.errors.add("title", tr.t("events-error-entry-title"));
    }
    let Some(url) = url.filter(|_| page.errors.is_empty()) else {
        page.notice = tr.t("error-form");
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
    };
    let window = Duration::hours(1);
    let mut keys = vec![(
        format!("event-entries:{}", e.id),
        throttle::Rule::Count {
            limit: PER_EVENT,
            window,
        },
    )];
    let addr =
        r.ip.as_deref()
            .map_or_else(|| "ip:unknown".into(), throttle::ip_key);
    keys.push((
        format!("event-entry-{addr}"),
        throttle::Rule::Count {
            limit: PER_CLIENT,
            window,
        },
    ));
    if let throttle::Reserve::Refused(until) = throttle::reserve(&s.db, &keys, now).await? {
        page.notice = tr.tn("events-limited", throttle::minutes_left(until, now));
        let mut res = html(StatusCode::TOO_MANY_REQUESTS, page.render()?);
        res.headers_mut()
            .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
        return Ok(res);
    }
    super::submit(
        &s.db,
        &e.id,
        Source::Form,
        "",
        &url,
        &page.entry_title,
        &page.name,
        now,
    )
    .await?;
    page.sent = true;
    page.url.clear();
    page.entry_title.clear();
    page.name.clear();
    Ok(html(StatusCode::OK, page.render()?))
}
