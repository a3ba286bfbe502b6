//! `/sitemap.xml` (the front page, the blog, public campaigns, published posts and pages)
//! and `/robots.txt`.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, header};

use super::lookup::base;
use super::meta::rfc3339;
use super::repo::{self, Filter, Kinds};
use crate::http::{AppError, AppState};

/// The most URLs one sitemap file may hold.
const MAX_URLS: i64 = 50_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

async fn sitemap(State(s): State<AppState>) -> Result<Response, AppError> {
    let b = base(&s);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut url = |loc: String, lastmod: Option<String>| {
        out.push_str("<url><loc>");
        out.push_str(&xml_escape(&loc));
        out.push_str("</loc>");
        if let Some(m) = lastmod {
            out.push_str("<lastmod>");
            out.push_str(&m);
            out.push_str("</lastmod>");
        }
        out.push_str("</url>\n");
    };
    url(format!("{b}/"), None);
    url(format!("{b}/blog/"), None);
    for (slug, updated) in crate::campaigns::repo::public_slugs(&s.db).await? {
        url(format!("{b}/campaigns/{slug}"), Some(rfc3339(updated)));
    }
    let filter = Filter {
        kinds: Kinds::All,
        ..Default::default()
    };
    // Only where each post lives, not its text.
    let links = &s.settings.blog.permalink;
    for p in repo::locate(&s.db, &filter, MAX_URLS - 100).await? {
        url(format!("{b}{}", p.path(links)), Some(rfc3339(p.updated_at)));
    }
    out.push_str("</urlset>\n");
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        )],
        out,
    )
        .into_response())
}

async fn robots(State(s): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /account\nDisallow: /test-checkout\n\nSitemap: {}/sitemap.xml\n",
        base(&s)
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
