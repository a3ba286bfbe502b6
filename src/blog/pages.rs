//! Reading the blog: the blog home, permalinks, pages, archives (tag, category, author,
//! month), search, password-protected posts, slug history and old-path redirects.
//!
//! Only published posts whose time has come are public; everything else answers 404.
//!
//! Posts live at the configured permalink pattern (`settings.blog.permalink`, see
//! [`super::permalink`]), pages at `/{slug}/`. Whatever a path's shape, [`resolve`] works out
//! what it is: a post under the pattern, a page (or a post asked for by its slug alone, 301),
//! a post under the default pattern after the pattern changed (301), a month archive
//! (`/{yyyy}/{mm}/`), an old slug (301) or a `redirects` row (301).
//!
//! Public pages (not search) are kept rendered by [`super::cache`] while the blog's version
//! in the database is unchanged.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use serde::Deserialize;

use super::cache::{self, Rendered};
use super::embeds;
use super::lookup::{Found, base, find, links, redirect_target};
use super::meta::{self, FeedLink, Meta};
use super::permalink::Permalinks;
use super::repo::{self, Filter, Kinds, Post, Term};
use crate::http::{AppError, AppState, ClientIp, Lang, csrf};
use crate::i18n::I18n;
use crate::markdown;
use crate::team::throttle;
use crate::web::PageCtx;

pub const PER_PAGE: i64 = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/blog", get(|| async { moved("/blog/") }))
        .route("/blog/", get(blog_home))
        .route("/search", get(search))
        .route("/tag/{p1}/", get(tag_archive))
        .route("/category/{p1}/", get(category_archive))
        .route("/author/{p1}/", get(author_archive))
        // Posts (wherever the pattern puts them), pages and month archives: `resolve` tells
        // them apart. Other shapes (`/%postname%.html`, deeper patterns) reach `fallback`.
        .route("/{p1}/", get(public_get).post(public_post))
        .route("/{p1}/{p2}/", get(public_get).post(public_post))
        .route("/{p1}/{p2}/{p3}/", get(public_get).post(public_post))
        .route("/{p1}/{p2}/{p3}/{p4}/", get(public_get).post(public_post))
}

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

/// One entry, on the calling thread: only from inside [`entry_views`].
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
            body_html(tr, &p.body_md)
        } else {
            String::new()
        },
        protected: p.is_protected(),
        sticky: p.sticky,
    }
}

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
fn page_no(page: Option<&str>) -> Option<i64> {
    match page {
        None | Some("") => Some(1),
        Some(p) => p.parse::<i64>().ok().filter(|n| (1..=100_000).contains(n)),
    }
}

/// The `page` parameter of a query string as a page number (see [`page_no`]); when it is
/// repeated, the last one.
fn page_param(uri: &Uri) -> Option<i64> {
    let mut page = None;
    for kv in uri.query().unwrap_or("").split('&') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if k == "page" {
            page = Some(percent_encoding::percent_decode_str(v).decode_utf8_lossy());
        }
    }
    page_no(page.as_deref())
}

struct ListSpec {
    path: String,
    heading: String,
    intro: String,
    filter: Filter,
    feeds: Vec<FeedLink>,
    search_form: bool,
    query: String,
}

/// A listing page; `page_no` is `None` for a `?page=` that is not a page number (404).
async fn render_list(
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
            published: None,
            modified: None,
            site_name: site,
            locale: og_locale(tr.lang),
            feeds: spec.feeds,
            json_ld: String::new(),
            noindex: spec.search_form,
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

fn og_locale(lang: &str) -> &'static str {
    match lang {
        "da" => "da_DK",
        _ => "en_GB",
    }
}

/// A public page that may be kept rendered ([`super::cache`]).
enum Public {
    Home,
    Term(&'static str, String),
    Author(String),
    /// A post, a page or a month archive, by the request path ([`resolve`]).
    Path,
}

/// Serves a public page from the cache, or renders it; a 404 becomes a 301 when the
/// `redirects` table knows the path.
async fn public(
    s: &AppState,
    tr: I18n,
    uri: &Uri,
    headers: &HeaderMap,
    what: Public,
) -> Result<Response, AppError> {
    let page = page_param(uri);
    let key = cache::Key {
        path: uri.path().to_string(),
        page: page.unwrap_or(0),
        lang: tr.lang,
    };
    let r = cache::serve(s, key, headers, || render_public(s, &tr, uri, page, what)).await;
    or_redirect(s, uri, r).await
}

async fn render_public(
    s: &AppState,
    tr: &I18n,
    uri: &Uri,
    page: Option<i64>,
    what: Public,
) -> Result<Rendered, AppError> {
    let html = match what {
        Public::Home => home_list(s, tr, page).await?,
        Public::Term(taxonomy, slug) => term_archive(s, tr, taxonomy, &slug, page).await?,
        Public::Author(id) => author_list(s, tr, &id, page).await?,
        Public::Path => return resolve(s, tr, uri.path(), page).await,
    };
    Ok(Rendered::Page(html))
}

async fn blog_home(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Home).await
}

async fn home_list(s: &AppState, tr: &I18n, page: Option<i64>) -> Result<String, AppError> {
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

async fn search(
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

async fn term_archive(
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

async fn tag_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Term("tag", slug)).await
}

async fn category_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Term("category", slug)).await
}

async fn author_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Author(id)).await
}

async fn author_list(
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

async fn month_list(
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

pub struct TermLink {
    pub name: String,
    pub path: String,
    pub is_tag: bool,
}

#[derive(Template)]
#[template(path = "blog/post.html")]
pub struct PostPage {
    pub page: PageCtx,
    pub meta: Meta,
    pub e: EntryView,
    pub terms: Vec<TermLink>,
    pub locked: bool,
    pub csrf: String,
    pub password_error: String,
    pub campaign: Option<(String, String)>,
    /// The featured image's `<img>` (`blog::images::featured`), or empty.
    pub featured_html: String,
    /// The comment thread, form and like button (`blog::comments::comments_section`).
    pub comments: String,
}

async fn render_post(
    s: &AppState,
    tr: &I18n,
    p: &Post,
    unlocked: bool,
    password_error: String,
) -> Result<String, AppError> {
    let locked = p.is_protected() && !unlocked;
    let mut e = entry_views(s, tr, vec![p.clone()], move |_| !locked)
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no entry for a post")))?;
    // Uploaded images in responsive sizes (blog/images.rs).
    if !e.body_html.is_empty() {
        e.body_html = super::images::responsive(&s.db, &e.body_html).await?;
    }
    let featured_html = match p.featured_image_url.as_deref() {
        Some(url) if !locked => super::images::featured(&s.db, url).await?,
        _ => String::new(),
    };
    let terms: Vec<Term> = repo::terms_of(&s.db, &p.id).await?;
    let campaign = match &p.campaign_id {
        Some(id) => crate::campaigns::repo::by_id(&s.db, id)
            .await?
            .filter(|c| c.state != crate::campaigns::CampaignState::Draft)
            .map(|c| (format!("/campaigns/{}", c.slug), c.title.clone())),
        None => None,
    };
    let site = tr.t("site-name");
    let description = e.summary.clone();
    let author = p
        .author_name
        .as_ref()
        .map(|n| (n.as_str(), e.author_url.as_str()));
    let json_ld = meta::blog_posting(
        &e.title,
        &e.url,
        &description,
        p.published_at,
        p.updated_at,
        author,
        p.featured_image_url.as_deref(),
        tr.lang,
        &site,
    );
    let mut feeds = meta::feed_links(base(s), "", &site);
    for t in terms.iter().filter(|t| t.taxonomy == "category") {
        feeds.extend(meta::feed_links(
            base(s),
            t.path().trim_end_matches('/'),
            &t.name,
        ));
    }
    // Comments and likes (blog/comments.rs); none behind a password.
    let comments = if locked {
        String::new()
    } else {
        super::comments::comments_section(s, tr, &p.id, &e.path).await?
    };
    let page = PostPage {
        featured_html,
        comments,
        page: PageCtx::new(s, tr, &e.path),
        meta: Meta {
            title: e.title.clone(),
            description,
            canonical: e.url.clone(),
            og_type: if p.is_page() { "website" } else { "article" },
            image: p.featured_image_url.clone(),
            published: p.published_at.map(meta::rfc3339),
            modified: Some(meta::rfc3339(p.updated_at)),
            site_name: site,
            locale: og_locale(tr.lang),
            feeds,
            json_ld,
            noindex: false,
        },
        terms: terms
            .iter()
            .map(|t| TermLink {
                name: t.name.clone(),
                path: t.path(),
                is_tag: t.taxonomy == "tag",
            })
            .collect(),
        e,
        locked,
        csrf: s.csrf.token(Utc::now()),
        password_error,
        campaign,
    };
    Ok(page.render()?)
}

/// `/{one}/` → `one`.
fn single_segment(path: &str) -> Option<String> {
    let inner = path.strip_prefix('/')?.strip_suffix('/')?;
    if inner.is_empty() || inner.contains('/') {
        return None;
    }
    percent_encoding::percent_decode_str(inner)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// `/{yyyy}/{mm}/` → its month.
fn month_of(path: &str) -> Option<(i32, u32, DateTime<Utc>, DateTime<Utc>)> {
    let inner = path.strip_prefix('/')?.strip_suffix('/')?;
    let (y, m) = inner.split_once('/')?;
    month_range(y, m)
}

/// The post a path names: under the configured pattern, or by its slug alone (`/{slug}/`,
/// where pages live), or under the default pattern after the pattern changed.
async fn find_post(s: &AppState, path: &str) -> Result<Option<Found>, AppError> {
    let links = links(s);
    if let Some(m) = links.matches(path)
        && let Some(found) = find(s, &m.slug, path).await?
    {
        return Ok(Some(found));
    }
    if let Some(slug) = single_segment(path)
        && let Some(found) = find(s, &slug, path).await?
    {
        return Ok(Some(found));
    }
    if !links.is_default()
        && let Some(m) = Permalinks::default().matches(path)
        && let Some(found) = find(s, &m.slug, path).await?
    {
        return Ok(Some(found));
    }
    Ok(None)
}

/// What a path that no fixed route claims shows: a post or page, a redirect to where it
/// lives now, or a month archive.
async fn resolve(
    s: &AppState,
    tr: &I18n,
    path: &str,
    page: Option<i64>,
) -> Result<Rendered, AppError> {
    match find_post(s, path).await? {
        Some(Found::Show(p)) => {
            let html = render_post(s, tr, &p, false, String::new()).await?;
            return Ok(Rendered::Page(html));
        }
        Some(Found::Moved(to)) => return Ok(Rendered::Other(moved(&to))),
        None => {}
    }
    if let Some(month) = month_of(path) {
        return Ok(Rendered::Page(month_list(s, tr, month, page).await?));
    }
    Err(AppError::NotFound)
}

/// GET of a post, a page or a month archive (any shape the routes give).
async fn public_get(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Path).await
}

/// POST of a protected post's password form, at the post's own path.
async fn public_post(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    client: ClientIp,
    headers: HeaderMap,
    Form(form): Form<UnlockForm>,
) -> Result<Response, AppError> {
    unlock_at(&s, &tr, uri.path(), &client, &headers, form).await
}

async fn unlock_at(
    s: &AppState,
    tr: &I18n,
    path: &str,
    client: &ClientIp,
    headers: &HeaderMap,
    form: UnlockForm,
) -> Result<Response, AppError> {
    match find_post(s, path).await? {
        Some(found) => unlock(s, tr, client, headers, found, form).await,
        None => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn unlock(
    s: &AppState,
    tr: &I18n,
    client: &ClientIp,
    headers: &http::HeaderMap,
    found: Found,
    form: UnlockForm,
) -> Result<Response, AppError> {
    let p = match found {
        Found::Show(p) if p.is_protected() => p,
        _ => return Err(AppError::NotFound),
    };
    if !csrf::check(&s.csrf, headers, Some(&form.csrf), Utc::now()) {
        let html = render_post(s, tr, &p, false, tr.t("error-csrf")).await?;
        return Ok((StatusCode::FORBIDDEN, Html(html)).into_response());
    }
    // Guesses are counted per post and address before the password is checked (see
    // `team::throttle::reserve`), like sign-ins.
    let now = Utc::now();
    let ip = client.text();
    let keys = throttle::post_keys(&p.id, ip.as_deref());
    if s.hasher.is_full() {
        return Err(AppError::Busy);
    }
    let reservation = match throttle::reserve(&s.db, &keys, now).await? {
        throttle::Reserve::Granted(r) => r,
        throttle::Reserve::Refused(until) => {
            let notice = tr.tn(
                "security-auth-post-throttled",
                throttle::minutes_left(until, now),
            );
            let html = render_post(s, tr, &p, false, notice).await?;
            let mut res = (StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
            return Ok(res);
        }
    };
    let ok = match s
        .hasher
        .verify(&form.password, p.password_hash.as_deref())
        .await
    {
        Ok(ok) => ok,
        Err(e) => {
            // Nothing was checked: the guess does not count.
            throttle::release(&s.db, &reservation).await?;
            return Err(e.into());
        }
    };
    if ok {
        // A right password: this guess and the post's earlier failures from here are
        // forgotten (not the address's over all posts).
        throttle::release(&s.db, &reservation).await?;
        throttle::clear_key(&s.db, &keys[0].0).await?;
        let html = render_post(s, tr, &p, true, String::new()).await?;
        let mut res = Html(html).into_response();
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        Ok(res)
    } else {
        let html = render_post(s, tr, &p, false, tr.t("blog-password-wrong")).await?;
        Ok((StatusCode::FORBIDDEN, Html(html)).into_response())
    }
}

/// A 404 from a blog route becomes a 301 when the old path is in the `redirects` table.
async fn or_redirect(
    s: &AppState,
    uri: &Uri,
    r: Result<Response, AppError>,
) -> Result<Response, AppError> {
    match r {
        Err(AppError::NotFound) => match redirect_target(s, uri).await? {
            Some(to) => Ok(moved(&to)),
            None => Err(AppError::NotFound),
        },
        other => other,
    }
}

/// The router's fallback. A GET for a path no route matches may still be a post (a pattern
/// like `/%year%/%postname%.html`, or a deeper one), and a POST there its password form;
/// otherwise a GET answers 301 when the `redirects` table knows where it went (old
/// WordPress permalinks), and anything else 404.
pub async fn fallback(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let tr = crate::http::lang_of(&parts.headers);
    let r = match parts.method {
        Method::GET | Method::HEAD => {
            public(&s, tr, &parts.uri, &parts.headers, Public::Path).await
        }
        Method::POST if links(&s).matches(parts.uri.path()).is_some() => {
            let req = Request::from_parts(parts.clone(), body);
            match <Form<UnlockForm> as axum::extract::FromRequest<AppState>>::from_request(req, &s)
                .await
            {
                Ok(Form(form)) => {
                    let client = crate::http::client_ip::client_ip(&parts, &s.proxies);
                    unlock_at(&s, &tr, parts.uri.path(), &client, &parts.headers, form).await
                }
                Err(rejection) => return rejection.into_response(),
            }
        }
        _ => Err(AppError::NotFound),
    };
    r.unwrap_or_else(|e| e.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_from_the_query() {
        let p = |q: &str| page_param(&q.parse::<Uri>().expect("uri"));
        assert_eq!(p("/blog/"), Some(1));
        assert_eq!(p("/blog/?page="), Some(1));
        assert_eq!(p("/blog/?page=3"), Some(3));
        assert_eq!(p("/blog/?utm=x&page=%32"), Some(2));
        assert_eq!(p("/blog/?page=2&page=4"), Some(4));
        assert_eq!(p("/blog/?page=0"), None);
        assert_eq!(p("/blog/?page=x"), None);
        assert_eq!(p("/blog/?pages=2"), Some(1));
    }

    #[test]
    fn path_shapes() {
        assert_eq!(single_segment("/about/").as_deref(), Some("about"));
        assert_eq!(single_segment("/a%2Db/").as_deref(), Some("a-b"));
        assert_eq!(single_segment("/about"), None);
        assert_eq!(single_segment("/a/b/"), None);
        assert_eq!(single_segment("//"), None);
        assert!(month_of("/2024/03/").is_some());
        assert!(month_of("/2024/13/").is_none());
        assert!(month_of("/blog/03/").is_none());
        assert!(month_of("/2024/03/07/").is_none());
    }
}
