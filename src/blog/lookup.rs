//! Which public post a path names, and where an old path now lives: the lookups the blog's
//! pages, the front page (old WordPress links such as `/?p=123`) and the feeds share.

use chrono::Utc;
use http::Uri;

use super::permalink::Permalinks;
use super::repo::{self, Post};
use crate::http::{AppError, AppState};

pub fn base(s: &AppState) -> &str {
    s.base_url.trim_end_matches('/')
}

/// The configured permalink pattern.
pub fn links(s: &AppState) -> &Permalinks {
    &s.settings.blog.permalink
}

/// A public post for a request path, or where it moved to.
pub enum Found {
    Show(Box<Post>),
    Moved(String),
}

/// The public post whose slug (or old slug) is `slug`: shown when `wanted_path` is its
/// path, moved (301) when it lives elsewhere; `None` when there is no such public post.
pub async fn find(s: &AppState, slug: &str, wanted_path: &str) -> Result<Option<Found>, AppError> {
    let now = Utc::now();
    if let Some(p) = repo::by_slug(&s.db, slug).await? {
        if !p.is_public(now) {
            return Ok(None);
        }
        let path = p.path(links(s));
        return Ok(Some(if path == wanted_path {
            Found::Show(Box::new(p))
        } else {
            Found::Moved(path)
        }));
    }
    Ok(match repo::by_old_slug(&s.db, slug).await? {
        Some(p) if p.is_public(now) => Some(Found::Moved(p.path(links(s)))),
        _ => None,
    })
}

/// Where the `redirects` table sends this request's path (with its query first, for
/// `/?p=123`-style links), if anywhere. A target under the default permalink pattern (the
/// importer writes those) is given as the post's path under the configured one, so a
/// changed pattern costs no second redirect.
pub async fn redirect_target(s: &AppState, uri: &Uri) -> Result<Option<String>, AppError> {
    let mut candidates = Vec::with_capacity(2);
    if let Some(q) = uri.query() {
        candidates.push(format!("{}?{q}", uri.path()));
    }
    candidates.push(uri.path().to_string());
    for c in candidates {
        if let Some(to) = repo::redirect_for(&s.db, &c).await? {
            if !links(s).is_default()
                && let Some(m) = Permalinks::default().matches(&to)
                && let Some(Found::Moved(now)) = find(s, &m.slug, &to).await?
            {
                return Ok(Some(now));
            }
            return Ok(Some(to));
        }
    }
    Ok(None)
}

/// An old WordPress query link (`?p=123`, `?page_id=7`) that landed on the front page or on
/// the blog home (a blog that lived in a subfolder, `/blog/?p=123`): where the `redirects`
/// table sends it, if anywhere. Other queries (`?page=2`) are the page's own.
pub async fn query_link_target(s: &AppState, uri: &Uri) -> Result<Option<String>, AppError> {
    let old_link = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv.starts_with("p=") || kv.starts_with("page_id="))
    });
    if !old_link {
        return Ok(None);
    }
    redirect_target(s, uri).await
}

/// The importer's side of `redirects`: where an old path already leads (inside its
/// transaction), and a new old-path → new-path row (the first target of a path stays).
pub use super::repo::{add_redirect_in as add_redirect, redirect_for_in};
