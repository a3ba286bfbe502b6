//! The request as a page handler needs it besides the member: language, headers (for the
//! CSRF origin check), path, and where it came from (for the audit log).

use axum::extract::FromRequestParts;
use http::HeaderMap;
use http::request::Parts;

use crate::http::{AppState, client_ip, lang_of};
use crate::i18n::I18n;

/// What a form handler needs from the request: the language, the headers (for the CSRF
/// origin check), the path and where the request came from (for the audit log).
pub struct Req {
    pub tr: I18n,
    pub headers: HeaderMap,
    pub path: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Req {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        // The client's address: the peer, or what a trusted proxy forwarded.
        let ip = client_ip::client_ip(parts, &s.proxies).text();
        Ok(Req {
            tr: lang_of(parts),
            headers: parts.headers.clone(),
            path: parts.uri.path().to_string(),
            ip,
            user_agent: client_ip::user_agent(&parts.headers),
        })
    }
}
