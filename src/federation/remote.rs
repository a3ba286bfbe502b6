//! Every request federation makes to another server goes through this module: a signed GET
//! of a JSON document ([`fetch_json`]) and a signed POST of an activity ([`post_activity`]).
//! Both go through the node's guarded outbound client (`outbound`): loopback, private,
//! link-local and metadata addresses are refused after DNS and on every redirect (tests and
//! intranets list theirs in `outbound_allow`); answers are capped in size and time. A POST
//! follows no redirect; a GET follows a few, each hop checked.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, Method, StatusCode};

use super::signatures::{self, Signer};
use crate::outbound::{Outbound, OutboundError};

/// The largest document read from another server.
pub const MAX_RESPONSE: usize = 1024 * 1024;
/// The longest a request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request to another server failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("not an http(s) URL with a host: {0}")]
    BadUrl(String),
    /// The guarded client would not go there (a private address, a downgrade…): as final
    /// as a bad URL.
    #[error("refused: {0}")]
    Refused(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error("answered {0}")]
    Status(StatusCode),
    #[error("the answer is larger than {MAX_RESPONSE} bytes")]
    TooLarge,
    #[error("the answer is not JSON: {0}")]
    Json(String),
    #[error("cannot sign the request: {0}")]
    Sign(String),
}

impl From<OutboundError> for RemoteError {
    fn from(e: OutboundError) -> RemoteError {
        match e {
            OutboundError::Refused { reason } => RemoteError::Refused(reason.to_string()),
            OutboundError::TooLarge { .. } => RemoteError::TooLarge,
            OutboundError::Status { status } => RemoteError::Status(status),
            OutboundError::Url(u) => RemoteError::BadUrl(u),
            e @ (OutboundError::Timeout | OutboundError::Http(_)) => {
                RemoteError::Request(e.to_string())
            }
        }
    }
}

/// The host header and the request target (path and query) of a URL.
fn host_and_target(u: &url::Url) -> Result<(String, String), String> {
    let host = u.host_str().ok_or_else(|| format!("no host in {u}"))?;
    let host = match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut target = u.path().to_string();
    if let Some(q) = u.query() {
        target.push('?');
        target.push_str(q);
    }
    Ok((host, target))
}

/// The draft-cavage headers of each request the outbound client sends (a redirect hop is
/// signed for its own URL); a body is covered by its `Digest`.
fn signing(signer: &Signer, now: DateTime<Utc>) -> Arc<crate::outbound::Signer> {
    let signer = signer.clone();
    Arc::new(
        move |method: &Method, url: &url::Url, body: &[u8], headers: &mut HeaderMap| {
            let (host, target) = host_and_target(url)?;
            let body = (*method == Method::POST).then_some(body);
            for (n, v) in signatures::sign(&signer, method.as_str(), &target, &host, body, now)
                .map_err(|e| e.to_string())?
            {
                let value = http::HeaderValue::from_str(&v).map_err(|e| e.to_string())?;
                headers.insert(n, value);
            }
            Ok(())
        },
    )
}

/// GETs an ActivityPub document (`Accept: application/activity+json`), signed by `signer`
/// (servers in authorized-fetch mode refuse unsigned fetches). The URL's fragment is
/// dropped.
pub async fn fetch_json(
    out: &Outbound,
    url: &str,
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, RemoteError> {
    let url = url.split('#').next().unwrap_or(url);
    let res = out
        .get(url)
        .header(
            http::header::ACCEPT,
            "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        )
        .max_bytes(MAX_RESPONSE)
        .timeout(TIMEOUT)
        .signer(signing(signer, now))
        .send()
        .await?
        .error_for_status()?;
    serde_json::from_slice(&res.body).map_err(|e| RemoteError::Json(e.to_string()))
}

/// POSTs an activity to an inbox, signed by `signer`; the answer's status (any: the
/// caller decides what a refusal means).
pub async fn post_activity(
    out: &Outbound,
    inbox: &str,
    body: &[u8],
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<StatusCode, RemoteError> {
    let res = out
        .post(inbox)
        .header(http::header::CONTENT_TYPE, super::ACTIVITY_JSON)
        .header(http::header::ACCEPT, super::ACTIVITY_JSON)
        .body(body.to_vec())
        .max_bytes(64 * 1024)
        .timeout(TIMEOUT)
        .signer(signing(signer, now))
        .send()
        .await?;
    Ok(res.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).expect("url")
    }

    #[test]
    fn host_keeps_a_port_and_target_the_query() {
        assert_eq!(
            host_and_target(&url("http://127.0.0.1:8080/users/a/inbox?x=1")).expect("url"),
            ("127.0.0.1:8080".into(), "/users/a/inbox?x=1".into())
        );
        assert_eq!(
            host_and_target(&url("https://social.example/inbox")).expect("url"),
            ("social.example".into(), "/inbox".into())
        );
        assert!(host_and_target(&url("data:text/plain,x")).is_err());
    }
}
