//! Counting page views (`promotion::insight`) on the way out of a request: a public HTML
//! page answered 200 to a GET is counted into the node's in-memory map (`http::views`), never
//! written to the database here. Not counted: the console and the team's pages, API,
//! assets, feeds and other non-HTML answers, secret-link pages (`Referrer-Policy:
//! no-referrer`), checkout pages, crawlers, and requests that ask not to be tracked (`DNT: 1`
//! or `Sec-GPC: 1`). Nothing is set on the response: no cookie, no header.

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use chrono::Utc;
use http::{Method, StatusCode, header};

use crate::http::AppState;
use crate::http::views::{View, device_class, opted_out, query_token, referrer_host};

/// First path segments whose pages are not counted (the team's, the donor's own and
/// machine-facing ones).
const NOT_COUNTED: &[&str] = &[
    "admin",
    "api",
    "static",
    "media",
    "avatars",
    "signin",
    "signout",
    "signout-everywhere",
    "account",
    "invite",
    "reset",
    "test-checkout",
    "providers",
    "receipts",
    "monthly",
    "privacy",
    "lang",
    "healthz",
    "readyz",
    "metrics",
    "r",
    "inbox",
    "actor",
    ".well-known",
    "webmention",
    "oembed",
];

/// Whether a page at `path` may be counted at all.
pub fn countable(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    path.len() <= 300 && !NOT_COUNTED.contains(&first) && !path.contains("/checkout/")
}

/// A countable request's view, taken before it is handled and recorded when its answer
/// is a public HTML page (part of `site::edge`, the outermost middleware: one layer less on
/// every request).
pub struct Pending {
    day: chrono::NaiveDate,
    uri: http::Uri,
    referrer: String,
    ref_code: String,
    utm_source: String,
    device: &'static str,
    lang: &'static str,
    address: Option<std::net::IpAddr>,
}

/// The view `req` would be, when it may be counted at all.
pub fn before(s: &AppState, req: &Request) -> Option<Pending> {
    if !s.settings.insight.enabled
        || req.method() != Method::GET
        || !countable(req.uri().path())
        || opted_out(req.headers())
    {
        return None;
    }
    let h = req.headers();
    let ua = h
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let device = device_class(ua);
    if device == "bot" {
        return None;
    }
    let own = crate::http::views::own_host(&s.base_url);
    let query = req.uri().query();
    let lang = crate::http::lang_with(
        h,
        req.extensions()
            .get::<crate::http::SiteOf>()
            .map(|x| x.0.clone()),
    )
    .lang;
    Some(Pending {
        day: Utc::now().date_naive(),
        uri: req.uri().clone(),
        referrer: referrer_host(h.get(header::REFERER).and_then(|v| v.to_str().ok()), own),
        ref_code: query_token(query, "ref", 32, false).unwrap_or_default(),
        utm_source: query_token(query, "utm_source", 40, true).unwrap_or_default(),
        device,
        lang,
        // The address only from the trusted-proxy rules (as `ClientIp` reads it).
        address: req
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| s.proxies.resolve(c.0.ip(), h)),
    })
}

impl Pending {
    /// Counts the view if `res` (as the handler answered, before the security headers) is a
    /// public HTML page answered 200.
    pub fn after(self, s: &AppState, res: &Response) {
        let html = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        let secret = res
            .headers()
            .get(header::REFERRER_POLICY)
            .is_some_and(|v| v.as_bytes() == b"no-referrer");
        if res.status() == StatusCode::OK && html && !secret {
            let view = View {
                day: self.day,
                path: self.uri.path(),
                referrer_host: &self.referrer,
                ref_code: &self.ref_code,
                utm_source: &self.utm_source,
                device: self.device,
                lang: self.lang,
            };
            s.views.record(&view, self.address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::countable;

    #[test]
    fn only_public_pages_are_counted() {
        for p in [
            "/",
            "/campaigns/roof",
            "/blog",
            "/2024/05/a-post",
            "/campaigns/roof/share",
        ] {
            assert!(countable(p), "{p}");
        }
        for p in [
            "/admin",
            "/admin/insight",
            "/static/app.css",
            "/r/bcdfghjk",
            "/campaigns/roof/checkout/x/return",
            "/test-checkout/x",
            "/privacy/requests/x",
        ] {
            assert!(!countable(p), "{p}");
        }
    }
}
