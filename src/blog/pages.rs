//! Reading the blog: the blog home, permalinks, pages, archives (tag, category, author,
//! month), search, password-protected posts, slug history and old-path redirects.
//!
//! Only published posts whose time has come are public; everything else answers 404.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderValue, Method, StatusCode, Uri, header};
use serde::Deserialize;

use super::embeds;
use super::meta::{self, FeedLink, Meta};
use super::repo::{self, Filter, Kinds, Post, Term};
use crate::campaigns::pages::PageCtx;
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::markdown;

pub const PER_PAGE: i64 = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/blog", get(|| async { moved("/blog/") }))
        .route("/blog/", get(blog_home))
        .route("/search", get(search))
        .route("/tag/{p1}/", get(tag_archive))
        .route("/category/{p1}/", get(category_archive))
        .route("/author/{p1}/", get(author_archive))
        .route("/{p1}/", get(page_by_slug).post(unlock_page))
        .route("/{p1}/{p2}/", get(month_archive))
        .route("/{p1}/{p2}/{p3}/{p4}/", get(post_by_date).post(unlock_post))
}

/// A permanent redirect.
pub fn moved(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
        Err(_) => AppError::NotFound.into_response(),
    }
}

pub fn base(s: &AppState) -> &str {
    s.base_url.trim_end_matches('/')
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

pub fn entry_view(s: &AppState, tr: &I18n, p: &Post, with_body: bool) -> EntryView {
    let path = p.path();
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
        body_html: if with_body && !p.is_protected() {
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

impl ListQuery {
    fn page_no(&self) -> Result<i64, AppError> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or(AppError::NotFound),
        }
    }
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

async fn render_list(
    s: &AppState,
    tr: &I18n,
    spec: ListSpec,
    q: &ListQuery,
) -> Result<Response, AppError> {
    let page_no = q.page_no()?;
    let total = repo::count(&s.db, &spec.filter).await?;
    let posts = repo::list(&s.db, &spec.filter, PER_PAGE, (page_no - 1) * PER_PAGE).await?;
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
        entries: posts.iter().map(|p| entry_view(s, tr, p, true)).collect(),
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no * PER_PAGE < total).then(|| link(page_no + 1)),
        search_form: spec.search_form,
        query: spec.query,
    };
    Ok(Html(page.render()?).into_response())
}

fn og_locale(lang: &str) -> &'static str {
    match lang {
        "da" => "da_DK",
        _ => "en_GB",
    }
}

async fn blog_home(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let spec = ListSpec {
        path: "/blog/".into(),
        heading: tr.t("blog-heading"),
        intro: String::new(),
        filter: Filter {
            sticky_first: true,
            ..Default::default()
        },
        feeds: meta::feed_links(base(&s), "", &tr.t("site-name")),
        search_form: false,
        query: String::new(),
    };
    render_list(&s, &tr, spec, &q).await
}

async fn search(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let query: String = q.q.clone().unwrap_or_default().chars().take(200).collect();
    let query = query.trim().to_string();
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
    render_list(&s, &tr, spec, &q).await
}

async fn term_archive(
    s: &AppState,
    tr: I18n,
    taxonomy: &str,
    slug: String,
    q: ListQuery,
) -> Result<Response, AppError> {
    let t = repo::term(&s.db, taxonomy, &slug)
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
    render_list(s, &tr, spec, &q).await
}

async fn tag_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
    uri: Uri,
) -> Result<Response, AppError> {
    let r = term_archive(&s, tr, "tag", slug, q).await;
    or_redirect(&s, &uri, r).await
}

async fn category_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
    uri: Uri,
) -> Result<Response, AppError> {
    let r = term_archive(&s, tr, "category", slug, q).await;
    or_redirect(&s, &uri, r).await
}

async fn author_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let a = repo::author(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    let spec = ListSpec {
        path: a.path(),
        heading: tr.ta("blog-author-heading", [("name", a.display_name.clone())]),
        intro: String::new(),
        filter: Filter {
            author_id: Some(a.id.clone()),
            ..Default::default()
        },
        feeds: meta::feed_links(base(&s), "", &tr.t("site-name")),
        search_form: false,
        query: String::new(),
    };
    render_list(&s, &tr, spec, &q).await
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

async fn month_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path((y, m)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
    uri: Uri,
) -> Result<Response, AppError> {
    let Some((yy, mm, from, to)) = month_range(&y, &m) else {
        return or_redirect(&s, &uri, Err(AppError::NotFound)).await;
    };
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
        feeds: meta::feed_links(base(&s), "", &tr.t("site-name")),
        search_form: false,
        query: String::new(),
    };
    render_list(&s, &tr, spec, &q).await
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
    let mut e = entry_view(s, tr, p, true);
    let locked = p.is_protected() && !unlocked;
    if p.is_protected() && unlocked {
        e.body_html = body_html(tr, &p.body_md);
    }
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

/// Finds a public post of the right shape for a request path, or where it moved to.
enum Found {
    Show(Box<Post>),
    Moved(String),
}

async fn find(s: &AppState, slug: &str, wanted_path: &str) -> Result<Found, AppError> {
    let now = Utc::now();
    if let Some(p) = repo::by_slug(&s.db, slug).await? {
        if !p.is_public(now) {
            return Err(AppError::NotFound);
        }
        let path = p.path();
        return Ok(if path == wanted_path {
            Found::Show(Box::new(p))
        } else {
            Found::Moved(path)
        });
    }
    match repo::by_old_slug(&s.db, slug).await? {
        Some(p) if p.is_public(now) => Ok(Found::Moved(p.path())),
        _ => Err(AppError::NotFound),
    }
}

async fn show(s: &AppState, tr: &I18n, found: Found) -> Result<Response, AppError> {
    match found {
        Found::Moved(to) => Ok(moved(&to)),
        Found::Show(p) => {
            let html = render_post(s, tr, &p, false, String::new()).await?;
            Ok(Html(html).into_response())
        }
    }
}

fn date_path(y: &str, m: &str, d: &str, slug: &str) -> String {
    format!("/{y}/{m}/{d}/{slug}/")
}

async fn post_by_date(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path((y, m, d, slug)): Path<(String, String, String, String)>,
    uri: Uri,
) -> Result<Response, AppError> {
    let r = match find(&s, &slug, &date_path(&y, &m, &d, &slug)).await {
        Ok(found) => show(&s, &tr, found).await,
        Err(e) => Err(e),
    };
    or_redirect(&s, &uri, r).await
}

async fn page_by_slug(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let r = match find(&s, &slug, &format!("/{slug}/")).await {
        Ok(found) => show(&s, &tr, found).await,
        Err(e) => Err(e),
    };
    or_redirect(&s, &uri, r).await
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
    let ok = crate::team::password::verify_async(&form.password, p.password_hash.clone()).await;
    if ok {
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

async fn unlock_post(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path((y, m, d, slug)): Path<(String, String, String, String)>,
    headers: http::HeaderMap,
    Form(form): Form<UnlockForm>,
) -> Result<Response, AppError> {
    let found = find(&s, &slug, &date_path(&y, &m, &d, &slug)).await?;
    unlock(&s, &tr, &headers, found, form).await
}

async fn unlock_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    headers: http::HeaderMap,
    Form(form): Form<UnlockForm>,
) -> Result<Response, AppError> {
    let found = find(&s, &slug, &format!("/{slug}/")).await?;
    unlock(&s, &tr, &headers, found, form).await
}

/// Where the `redirects` table sends this request's path (with its query first, for
/// `/?p=123`-style links), if anywhere.
pub async fn redirect_target(s: &AppState, uri: &Uri) -> Result<Option<String>, AppError> {
    let mut candidates = Vec::with_capacity(2);
    if let Some(q) = uri.query() {
        candidates.push(format!("{}?{q}", uri.path()));
    }
    candidates.push(uri.path().to_string());
    for c in candidates {
        if let Some(to) = repo::redirect_for(&s.db, &c).await? {
            return Ok(Some(to));
        }
    }
    Ok(None)
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

/// The router's fallback: a GET for a path no route matches answers 301 when the
/// `redirects` table knows where it went (old WordPress permalinks), 404 otherwise.
pub async fn fallback(State(s): State<AppState>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return AppError::NotFound.into_response();
    }
    match redirect_target(&s, req.uri()).await {
        Ok(Some(to)) => moved(&to),
        Ok(None) => AppError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}
