//! What a path names (a post under the pattern, a page, a month archive, an old slug or a
//! `redirects` row), password-protected posts' unlock form, and the router fallback.

use axum::extract::{Form, Path, Request, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use serde::Deserialize;

use crate::blog::cache::{self, Rendered};
use crate::blog::lookup::{Found, find, links, query_link_target, redirect_target};
use crate::blog::permalink::Permalinks;
use crate::http::{AppError, AppState, ClientIp, Lang, csrf};
use crate::i18n::I18n;
use crate::team::throttle;

use super::entries::*;
use super::lists::*;
use super::post::*;

/// A public page that may be kept rendered ([`super::cache`]).
pub(super) enum Public {
    Home,
    Term(&'static str, String),
    Author(String),
    /// A post, a page or a month archive, by the request path ([`resolve`]).
    Path,
}

/// Serves a public page from the cache, or renders it; a 404 becomes a 301 when the
/// `redirects` table knows the path.
pub(super) async fn public(
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

pub(super) async fn render_public(
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

pub(super) async fn blog_home(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A blog imported from a WordPress in `/blog/` has old links `/blog/?p=123`.
    if let Some(to) = query_link_target(&s, &uri).await? {
        return Ok(moved(&to));
    }
    public(&s, tr, &uri, &headers, Public::Home).await
}

pub(super) async fn tag_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Term("tag", slug)).await
}

pub(super) async fn category_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Term("category", slug)).await
}

pub(super) async fn author_archive(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Author(id)).await
}

/// `/{one}/` → `one`.
pub(super) fn single_segment(path: &str) -> Option<String> {
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
pub(super) fn month_of(path: &str) -> Option<(i32, u32, DateTime<Utc>, DateTime<Utc>)> {
    let inner = path.strip_prefix('/')?.strip_suffix('/')?;
    let (y, m) = inner.split_once('/')?;
    month_range(y, m)
}

/// The post a path names: under the configured pattern, or by its slug alone (`/{slug}/`,
/// where pages live), or under the default pattern after the pattern changed.
pub(super) async fn find_post(s: &AppState, path: &str) -> Result<Option<Found>, AppError> {
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
pub(super) async fn resolve(
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
pub(super) async fn public_get(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    public(&s, tr, &uri, &headers, Public::Path).await
}

/// POST of a protected post's password form, at the post's own path.
pub(super) async fn public_post(
    State(s): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    client: ClientIp,
    headers: HeaderMap,
    Form(form): Form<UnlockForm>,
) -> Result<Response, AppError> {
    unlock_at(&s, &tr, uri.path(), &client, &headers, form).await
}

pub(super) async fn unlock_at(
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

pub(super) async fn unlock(
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
pub(super) async fn or_redirect(
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
    let tr = crate::http::lang_of(&parts);
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
    use crate::blog::pages::lists::page_param;

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
