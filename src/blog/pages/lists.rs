//! Lists of posts: the blog home, search, tag, category, author and month archives.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use http::Uri;
use serde::Deserialize;

use crate::blog::lookup::base;
use crate::blog::meta::{self, FeedLink, Meta};
use crate::blog::repo::{self, Filter, Kinds};
use crate::http::{AppError, AppState, Lang};
use crate::i18n::I18n;
use crate::web::PageCtx;

use super::entries::*;

#[derive(Template)]
#[template(path = "blog/list.html")]
pub struct ListPage {
    pub page: PageCtx,
    pub meta: Meta,
    pub heading: String,
    pub intro: String,
    pub entries: Vec<EntryView>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub search_form: bool,
    pub query: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<String>,
    q: Option<String>,
}

/// `?page=` as a page number: 1 when absent or empty, `None` when it is not one.
pub(super) fn page_no(page: Option<&str>) -> Option<i64> {
    match page {
        None | Some("") => Some(1),
        Some(p) => p.parse::<i64>().ok().filter(|n| (1..=100_000).contains(n)),
    }
}

/// The `page` parameter of a query string as a page number (see [`page_no`]); when it is
/// repeated, the last one.
pub(super) fn page_param(uri: &Uri) -> Option<i64> {
    let mut page = None;
    for kv in uri.query().unwrap_or("").split('&') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if k == "page" {
            page = Some(percent_encoding::percent_decode_str(v).decode_utf8_lossy());
        }
    }
    page_no(page.as_deref())
}

pub(super) struct ListSpec {
    path: String,
    heading: String,
    intro: String,
    filter: Filter,
    feeds: Vec<FeedLink>,
    search_form: bool,
    query: String,
}

/// A listing page; `page_no` is `None` for a `?page=` that is not a page number (404).
pub(super) async fn render_list(
    s: &AppState,
    tr: &I18n,
    spec: ListSpec,
    page_no: Option<i64>,
) -> Result<String, AppError> {
    let page_no = page_no.ok_or(AppError::NotFound)?;
    // One row more than a page says whether there is a next one: no count of every post.
    let mut posts =
        repo::list_leads(&s.db, &spec.filter, PER_PAGE + 1, (page_no - 1) * PER_PAGE).await?;
    let has_next = posts.len() as i64 > PER_PAGE;
    posts.truncate(PER_PAGE as usize);
    if page_no > 1 && posts.is_empty() {
        return Err(AppError::NotFound);
    }
    let link = |n: i64| {
        let mut qs = Vec::new();
        if spec.search_form {
            qs.push(format!(
                "q={}",
                percent_encoding::utf8_percent_encode(
                    &spec.query,
                    percent_encoding::NON_ALPHANUMERIC
                )
            ));
        }
        if n > 1 {
            qs.push(format!("page={n}"));
        }
        if qs.is_empty() {
            spec.path.clone()
        } else {
            format!("{}?{}", spec.path, qs.join("&"))
        }
    };
    let canonical = format!("{}{}", base(s), link(page_no));
    let site = tr.t("site-name");
    let title = if page_no > 1 {
        format!(
            "{} · {}",
            spec.heading,
            tr.ta("blog-page-n", [("n", page_no.to_string())])
        )
    } else {
        spec.heading.clone()
    };
    // Lists show an article's excerpt and a note whole: only notes are rendered.
    let entries = entry_views(s, tr, posts, |p| p.is_note() && !p.is_protected()).await?;
    let page = ListPage {
        page: PageCtx::new(s, tr, &spec.path),
        meta: Meta {
            title,
            description: if spec.intro.is_empty() {
                tr.t("blog-description")
            } else {
                spec.intro.clone()
            },
            canonical,
            og_type: "website",
            image: None,
            image_alt: String::new(),
            published: None,
            modified: None,
            site_name: site,
            locale: meta::og_locale(tr.lang),
            feeds: spec.feeds,
            json_ld: String::new(),
            noindex: spec.search_form,
            activity: None,
            creator: None,
            oembed: None,
        },
        heading: spec.heading,
        intro: spec.intro,
        entries,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: has_next.then(|| link(page_no + 1)),
        search_form: spec.search_form,
        query: spec.query,
    };
    Ok(page.render()?)
}

pub(super) async fn home_list(
    s: &AppState,
    tr: &I18n,
    page: Option<i64>,
) -> Result<String, AppError> {
    let spec = ListSpec {
        path: "/blog/".into(),
        heading: tr.t("blog-heading"),
        intro: String::new(),
        filter: Filter {
            sticky_first: true,
            ..Default::default()
        },
        feeds: meta::feed_links(base(s), "", &tr.t("site-name")),
        search_form: false,
        query: String::new(),
    };
    render_list(s, tr, spec, page).await
}

pub(super) async fn search(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    // Control characters (NUL, which PostgreSQL refuses in text, among them) are spaces.
    let query: String =
        q.q.as_deref()
            .unwrap_or_default()
            .chars()
            .take(200)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
    let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let spec = ListSpec {
        path: "/search".into(),
        heading: if query.is_empty() {
            tr.t("blog-search-heading")
        } else {
            tr.ta("blog-search-results", [("query", query.clone())])
        },
        intro: String::new(),
        filter: Filter {
            kinds: Kinds::All,
            search: Some(query.clone()),
            ..Default::default()
        },
        feeds: meta::feed_links(base(&s), "", &tr.t("site-name")),
        search_form: true,
        query,
    };
    let html = render_list(&s, &tr, spec, page_no(q.page.as_deref())).await?;
    Ok(Html(html).into_response())
}

pub(super) async fn term_archive(
    s: &AppState,
    tr: &I18n,
    taxonomy: &str,
    slug: &str,
    page: Option<i64>,
) -> Result<String, AppError> {
    let t = repo::term(&s.db, taxonomy, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let key = if taxonomy == "tag" {
        "blog-tag-heading"
    } else {
        "blog-category-heading"
    };
    let spec = ListSpec {
        path: t.path(),
        heading: tr.ta(key, [("name", t.name.clone())]),
        intro: t.description.clone(),
        filter: Filter {
            term_id: Some(t.id.clone()),
            ..Default::default()
        },
        feeds: meta::feed_links(base(s), t.path().trim_end_matches('/'), &t.name),
        search_form: false,
        query: String::new(),
    };
    render_list(s, tr, spec, page).await
}

pub(super) async fn author_list(
    s: &AppState,
    tr: &I18n,
    id: &str,
    page: Option<i64>,
) -> Result<String, AppError> {
    let a = repo::author(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let spec = ListSpec {
        path: a.path(),
        heading: tr.ta("blog-author-heading", [("name", a.display_name.clone())]),
        intro: String::new(),
        filter: Filter {
            author_id: Some(a.id.clone()),
            ..Default::default()
        },
        feeds: meta::feed_links(base(s), "", &tr.t("site-name")),
        search_form: false,
        query: String::new(),
    };
    render_list(s, tr, spec, page).await
}

/// `[start of month, start of next month)` in UTC.
pub fn month_range(y: &str, m: &str) -> Option<(i32, u32, DateTime<Utc>, DateTime<Utc>)> {
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if !(1..=12).contains(&m) || y < 1970 {
        return None;
    }
    let from = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()?;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let to = Utc.with_ymd_and_hms(ny, nm, 1, 0, 0, 0).single()?;
    Some((y, m, from, to))
}

pub(super) async fn month_list(
    s: &AppState,
    tr: &I18n,
    (yy, mm, from, to): (i32, u32, DateTime<Utc>, DateTime<Utc>),
    page: Option<i64>,
) -> Result<String, AppError> {
    let spec = ListSpec {
        path: format!("/{yy:04}/{mm:02}/"),
        heading: tr.ta(
            "blog-month-heading",
            [
                ("month", tr.t(&format!("month-{mm}"))),
                ("year", yy.to_string()),
            ],
        ),
        intro: String::new(),
        filter: Filter {
            between: Some((from, to)),
            ..Default::default()
        },
        feeds: meta::feed_links(base(s), "", &tr.t("site-name")),
        search_form: false,
        query: String::new(),
    };
    render_list(s, tr, spec, page).await
}
