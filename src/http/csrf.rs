//! CSRF protection for forms.
//!
//! Two checks, both required on every state-changing form post:
//! 1. **Origin**: a browser's `Sec-Fetch-Site: cross-site`, or an `Origin` header naming
//!    another host, is refused. This is what stops a third-party page from posting.
//! 2. **Signed form token**: each form carries `csrf` = `<unix time>.<HMAC-SHA256(site key,
//!    "csrf|<time>")>`, valid for 24 hours. Tokens are not tied to a visitor, so public pages
//!    (which carry no cookie) stay cacheable; a forged or stale token is refused.
//!    Signed-in forms (the console, a later capability) bind the token to the session too.
//!
//! The site key lives in the database (`settings.csrf_key`), so every node accepts every
//! other node's tokens.

use chrono::{DateTime, Utc};
use http::HeaderMap;

/// The token itself (make, verify) is pure and lives in the formats crate (fuzzed there).
pub use shelfraiser_formats::csrf::{CsrfKey, MAX_AGE_SECS};

/// True when the request comes from our own pages (or from a client that sends no browser
/// provenance headers at all, such as curl; those still need a valid token).
pub fn same_origin(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    if let Some(origin) = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        if origin == "null" {
            return false;
        }
        let host = headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        return origin_host.eq_ignore_ascii_case(host);
    }
    true
}

/// Both checks, for a form bound to a session.
pub fn check_bound(
    key: &CsrfKey,
    headers: &HeaderMap,
    token: Option<&str>,
    binding: &str,
    now: DateTime<Utc>,
) -> bool {
    same_origin(headers) && token.is_some_and(|t| key.verify_bound(t, binding, now))
}

/// Both checks.
pub fn check(key: &CsrfKey, headers: &HeaderMap, token: Option<&str>, now: DateTime<Utc>) -> bool {
    same_origin(headers) && token.is_some_and(|t| key.verify(t, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let mut h = HeaderMap::new();
        h.insert("host", "give.example.org".parse().expect("h"));
        assert!(same_origin(&h));
        h.insert("origin", "https://give.example.org".parse().expect("h"));
        assert!(same_origin(&h));
        h.insert("origin", "https://evil.example".parse().expect("h"));
        assert!(!same_origin(&h));
        h.remove("origin");
        h.insert("sec-fetch-site", "cross-site".parse().expect("h"));
        assert!(!same_origin(&h));
    }
}
