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
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

pub const MAX_AGE_SECS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(<redacted>)")
    }
}

impl CsrfKey {
    pub fn new(key: &str) -> CsrfKey {
        CsrfKey(key.as_bytes().to_vec())
    }

    fn mac(&self, t: i64, binding: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(format!("csrf|{t}|{binding}").as_bytes());
        m
    }

    /// A token for public forms (not tied to a visitor).
    pub fn token(&self, now: DateTime<Utc>) -> String {
        self.token_bound("", now)
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.verify_bound(token, "", now)
    }

    /// A token bound to something only this visitor has (the session id hash): valid only
    /// with that same binding. Used on every signed-in form.
    pub fn token_bound(&self, binding: &str, now: DateTime<Utc>) -> String {
        let t = now.timestamp();
        format!(
            "{t}.{}",
            hex::encode(self.mac(t, binding).finalize().into_bytes())
        )
    }

    pub fn verify_bound(&self, token: &str, binding: &str, now: DateTime<Utc>) -> bool {
        let Some((t, sig)) = token.split_once('.') else {
            return false;
        };
        let (Ok(t), Ok(sig)) = (t.parse::<i64>(), hex::decode(sig)) else {
            return false;
        };
        let Some(age) = now.timestamp().checked_sub(t) else {
            return false;
        };
        if !(-300..=MAX_AGE_SECS).contains(&age) {
            return false;
        }
        self.mac(t, binding).verify_slice(&sig).is_ok()
    }
}

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
    fn tokens() {
        let k = CsrfKey::new("k");
        let now = Utc::now();
        let t = k.token(now);
        assert!(k.verify(&t, now));
        assert!(!CsrfKey::new("other").verify(&t, now));
        assert!(!k.verify(&t, now + chrono::Duration::seconds(MAX_AGE_SECS + 1)));
        assert!(!k.verify("", now));
        assert!(!k.verify("123.zz", now));
        assert!(!k.verify(&t.replace('.', ""), now));
    }

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
