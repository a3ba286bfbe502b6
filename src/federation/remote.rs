//! Every request federation makes to another server goes through this module: a signed GET
//! of a JSON document ([`fetch_json`]) and a signed POST of an activity ([`post_activity`]).
//! Answers are capped in size and time, and redirects are not followed.
//!
//! The guarded outbound client (loopback, private and metadata addresses refused after DNS,
//! an allow list for tests) replaces the plain client here once it exists; nothing else in
//! federation makes a request.

use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;

use super::signatures::{self, Signer};

/// The largest document read from another server.
pub const MAX_RESPONSE: usize = 1024 * 1024;
/// The longest a request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request to another server failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("not an http(s) URL with a host: {0}")]
    BadUrl(String),
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

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Shelfraiser/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// The host header and the request target (path and query) of a URL.
fn host_and_target(url: &str) -> Result<(String, String), RemoteError> {
    let u = url::Url::parse(url).map_err(|_| RemoteError::BadUrl(url.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(RemoteError::BadUrl(url.to_string()));
    }
    let host = u
        .host_str()
        .ok_or_else(|| RemoteError::BadUrl(url.to_string()))?;
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

async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, RemoteError> {
    if res
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE as u64)
    {
        return Err(RemoteError::TooLarge);
    }
    let mut out = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| RemoteError::Request(e.to_string()))?
    {
        if out.len() + chunk.len() > MAX_RESPONSE {
            return Err(RemoteError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// GETs an ActivityPub document (`Accept: application/activity+json`), signed by `signer`
/// (servers in authorized-fetch mode refuse unsigned fetches). The URL's fragment is
/// dropped.
pub async fn fetch_json(
    url: &str,
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, RemoteError> {
    let url = url.split('#').next().unwrap_or(url);
    let (host, target) = host_and_target(url)?;
    let mut req = client().get(url).header(
        http::header::ACCEPT,
        "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    );
    for (n, v) in signatures::sign(signer, "GET", &target, &host, None, now)
        .map_err(|e| RemoteError::Sign(e.to_string()))?
    {
        req = req.header(n, v);
    }
    let res = req
        .send()
        .await
        .map_err(|e| RemoteError::Request(e.without_url().to_string()))?;
    if !res.status().is_success() {
        return Err(RemoteError::Status(res.status()));
    }
    let body = read_capped(res).await?;
    serde_json::from_slice(&body).map_err(|e| RemoteError::Json(e.to_string()))
}

/// POSTs an activity to an inbox, signed by `signer`; the answer's status (any: the
/// caller decides what a refusal means).
pub async fn post_activity(
    inbox: &str,
    body: &[u8],
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<StatusCode, RemoteError> {
    let (host, target) = host_and_target(inbox)?;
    let mut req = client()
        .post(inbox)
        .header(http::header::CONTENT_TYPE, super::ACTIVITY_JSON)
        .header(http::header::ACCEPT, super::ACTIVITY_JSON)
        .body(body.to_vec());
    for (n, v) in signatures::sign(signer, "POST", &target, &host, Some(body), now)
        .map_err(|e| RemoteError::Sign(e.to_string()))?
    {
        req = req.header(n, v);
    }
    let res = req
        .send()
        .await
        .map_err(|e| RemoteError::Request(e.without_url().to_string()))?;
    let status = res.status();
    // Read (a little of) the answer so the connection can be reused.
    let _ = read_capped(res).await;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keeps_a_port_and_target_the_query() {
        assert_eq!(
            host_and_target("http://127.0.0.1:8080/users/a/inbox?x=1").expect("url"),
            ("127.0.0.1:8080".into(), "/users/a/inbox?x=1".into())
        );
        assert_eq!(
            host_and_target("https://social.example/inbox").expect("url"),
            ("social.example".into(), "/inbox".into())
        );
        assert!(host_and_target("ftp://x/").is_err());
    }
}
