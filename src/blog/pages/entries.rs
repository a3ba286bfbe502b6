//! What every reading page shares: list entries and post bodies made ready for templates,
//! the page size and the permanent redirect.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::blog::embeds;
use crate::blog::lookup::{base, links};
use crate::blog::meta::{self};
use crate::blog::repo::Post;
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::markdown;

pub const PER_PAGE: i64 = 10;

/// A permanent redirect.
pub fn moved(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
        Err(_) => AppError::NotFound.into_response(),
    }
}

/// A post (or list entry) ready for a template.
pub struct EntryView {
    pub path: String,
    pub url: String,
    pub title: String,
    pub has_title: bool,
    pub is_note: bool,
    pub is_page: bool,
    pub date: String,
    pub datetime: String,
    pub author_name: String,
    pub author_url: String,
    pub summary: String,
    pub body_html: String,
    pub protected: bool,
    pub sticky: bool,
}

/// The post's body as safe HTML, video links as cards.
pub fn body_html(tr: &I18n, md: &str) -> String {
    embeds::link_cards(&markdown::to_safe_html(md), |svc| {
        tr.ta("blog-video-on", [("service", svc.to_string())])
    })
}

/// The title a reader sees: a note's is its date and first words.
pub fn display_title(tr: &I18n, p: &Post) -> String {
    if !p.title.trim().is_empty() {
        return p.title.clone();
    }
    let date = p.published_at.map(|t| tr.date(t)).unwrap_or_default();
    let words = if p.is_protected() {
        String::new()
    } else {
        markdown::excerpt(&p.body_md, 60)
    };
    if words.is_empty() {
        date
    } else {
        format!("{date}: {words}")
    }
}

pub fn summary(tr: &I18n, p: &Post) -> String {
    if p.is_protected() {
        tr.t("blog-protected-summary")
    } else if !p.excerpt.trim().is_empty() {
        markdown::excerpt(&p.excerpt, 300)
    } else {
        markdown::excerpt(&p.body_md, 300)
    }
}

/// Entries of a listing or a post page, built on the blocking pool (`render::off_workers`):
/// a body's Markdown costs milliseconds of CPU at the size limit, and titles and summaries
/// render Markdown too, which the async workers must not spend. `with_body` says whose body
/// is shown whole (the caller decides about protected posts).
pub async fn entry_views(
    s: &AppState,
    tr: &I18n,
    posts: Vec<Post>,
    with_body: impl Fn(&Post) -> bool + Send + 'static,
) -> Result<Vec<EntryView>, AppError> {
    let (s, tr) = (s.clone(), tr.clone());
    Ok(crate::render::off_workers(move || {
        posts
            .iter()
            .map(|p| entry_view(&s, &tr, p, with_body(p)))
            .collect()
    })
    .await?)
}

/// A post page's one entry, built on the blocking pool like [`entry_views`]; its body is shown
/// when `with_body`.
pub async fn entry_view_of(
    s: &AppState,
    tr: &I18n,
    p: Post,
    with_body: bool,
) -> Result<EntryView, AppError> {
    let (s, tr) = (s.clone(), tr.clone());
    Ok(crate::render::off_workers(move || entry_view(&s, &tr, &p, with_body)).await?)
}

/// One entry, on the calling thread: only from inside [`entry_views`] and [`entry_view_of`].
fn entry_view(s: &AppState, tr: &I18n, p: &Post, with_body: bool) -> EntryView {
    let path = p.path(links(s));
    let at = p.published_at.unwrap_or(p.created_at);
    let (author_name, author_url) = match (&p.author_name, p.author_path()) {
        (Some(n), Some(a)) => (n.clone(), format!("{}{a}", base(s))),
        _ => (tr.t("site-name"), format!("{}/", base(s))),
    };
    EntryView {
        url: format!("{}{path}", base(s)),
        path,
        title: display_title(tr, p),
        has_title: !p.title.trim().is_empty(),
        is_note: p.is_note(),
        is_page: p.is_page(),
        date: tr.date(at),
        datetime: meta::rfc3339(at),
        author_name,
        author_url,
        summary: summary(tr, p),
        body_html: if with_body {
            crate::render::for_page(&body_html(tr, &p.body_md))
        } else {
            String::new()
        },
        protected: p.is_protected(),
        sticky: p.sticky,
    }
}
