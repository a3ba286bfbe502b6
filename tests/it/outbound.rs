// SPDX-License-Identifier: AGPL-3.0-or-later
//! The guarded outbound client (`shelfraiser::outbound`) against a server of the test's own
//! on loopback: refused without the allow list, let through with `127.0.0.1:<port>`,
//! redirects checked hop by hop, the size and time caps, the User-Agent.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use shelfraiser::outbound::{AddressClass, Outbound, OutboundError, Refusal};

use crate::harness::run_cli_async;

const SITE: &str = "http://site.test";

/// A loopback server: `/hello` (echoes the User-Agent), `/to?u=URL` (302 to it), `/loop`
/// (302 to itself), `/big` (2 MiB with a length), `/stream` (2 MiB in chunks, no length),
/// `/slow` (answers after 30 s), `/trickle` (a body that never ends).
async fn serve() -> u16 {
    async fn hello(headers: HeaderMap) -> String {
        format!(
            "hello from {}",
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
        )
    }
    #[derive(serde::Deserialize)]
    struct To {
        u: String,
    }
    async fn to(Query(q): Query<To>) -> Response {
        (StatusCode::FOUND, [(header::LOCATION, q.u)]).into_response()
    }
    async fn looping() -> Response {
        (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response()
    }
    async fn big() -> Vec<u8> {
        vec![b'x'; 2 * 1024 * 1024]
    }
    async fn stream() -> Response {
        let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 32 * 1024]));
        Body::from_stream(futures_util::stream::iter(chunks)).into_response()
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "late"
    }
    async fn trickle() -> Response {
        let chunks = futures_util::stream::unfold(0u32, |n| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Some((Ok::<_, std::io::Error>(vec![b'z'; 8]), n + 1))
        });
        Body::from_stream(chunks).into_response()
    }
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/to", any(to))
        .route("/loop", get(looping))
        .route("/big", get(big))
        .route("/stream", get(stream))
        .route("/slow", get(slow))
        .route("/trickle", get(trickle));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn client(allow: &[String]) -> Outbound {
    Outbound::new(allow, SITE).expect("client")
}

fn refusal(r: Result<shelfraiser::outbound::Fetched, OutboundError>) -> Refusal {
    match r {
        Err(OutboundError::Refused { reason }) => reason,
        Err(e) => panic!("another error: {e}"),
        Ok(f) => panic!("fetched {} from {}", f.status, f.url),
    }
}

#[tokio::test]
async fn loopback_is_refused_without_the_allow_list() {
    let port = serve().await;
    let o = client(&[]);
    for url in [
        format!("http://127.0.0.1:{port}/hello"),
        format!("http://[::ffff:127.0.0.1]:{port}/hello"),
        format!("http://0x7f.0.0.1:{port}/hello"),
    ] {
        assert_eq!(
            refusal(o.get(&url).send().await),
            Refusal::Address(AddressClass::Loopback),
            "{url}"
        );
    }
    // A name is checked on what it resolves to.
    assert_eq!(
        refusal(
            o.get(&format!("http://localhost:{port}/hello"))
                .send()
                .await
        ),
        Refusal::Address(AddressClass::Loopback)
    );
    // The metadata address is refused before any connection.
    assert_eq!(
        refusal(
            o.get("http://169.254.169.254/latest/meta-data/")
                .send()
                .await
        ),
        Refusal::Address(AddressClass::LinkLocal)
    );
}

#[tokio::test]
async fn a_listed_host_and_port_is_let_through_with_our_user_agent() {
    let port = serve().await;
    let o = client(&[format!("127.0.0.1:{port}")]);
    let got = o
        .get(&format!("http://127.0.0.1:{port}/hello"))
        .send()
        .await
        .expect("allowed");
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        String::from_utf8_lossy(&got.body),
        format!(
            "hello from Shelfraiser/{} (+{SITE})",
            env!("CARGO_PKG_VERSION")
        )
    );
    // Listed with a port: the same host on another port is still refused.
    let other = serve().await;
    assert_eq!(
        refusal(
            o.get(&format!("http://127.0.0.1:{other}/hello"))
                .send()
                .await
        ),
        Refusal::Port
    );
    // A listed name resolves to loopback and is let through too.
    let named = client(&[format!("localhost:{port}")]);
    let got = named
        .get(&format!("http://localhost:{port}/hello"))
        .send()
        .await
        .expect("listed name");
    assert_eq!(got.status, StatusCode::OK);
}

#[tokio::test]
async fn every_redirect_hop_is_checked() {
    let port = serve().await;
    let other = serve().await;
    let o = client(&[format!("127.0.0.1:{port}")]);
    let via = |target: &str| {
        format!(
            "http://127.0.0.1:{port}/to?u={}",
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        )
    };
    // Within the allowed host: followed, and the answer names where it came from.
    let got = o
        .get(&via(&format!("http://127.0.0.1:{port}/hello")))
        .send()
        .await
        .expect("followed");
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.url.path(), "/hello");
    // From the allowed host to a refused one: refused, whatever the spelling.
    assert_eq!(
        refusal(
            o.get(&via(&format!("http://127.0.0.1:{other}/hello")))
                .send()
                .await
        ),
        Refusal::Port
    );
    assert_eq!(
        refusal(
            o.get(&via(&format!("http://localhost:{other}/hello")))
                .send()
                .await
        ),
        Refusal::Address(AddressClass::Loopback)
    );
    assert_eq!(
        refusal(o.get(&via("http://[::1]/")).send().await),
        Refusal::Address(AddressClass::Loopback)
    );
    assert_eq!(
        refusal(o.get(&via("http://169.254.169.254/")).send().await),
        Refusal::Address(AddressClass::LinkLocal)
    );
    assert_eq!(
        refusal(o.get(&via("file:///etc/passwd")).send().await),
        Refusal::Scheme
    );
    assert_eq!(
        refusal(o.get(&format!("http://127.0.0.1:{port}/loop")).send().await),
        Refusal::TooManyRedirects
    );
    // Other methods get the redirect itself.
    let posted = o
        .post(&via(&format!("http://127.0.0.1:{other}/hello")))
        .body("x")
        .send()
        .await
        .expect("a POST is not redirected");
    assert_eq!(posted.status, StatusCode::FOUND);
}

#[tokio::test]
async fn answers_are_capped_in_size() {
    let port = serve().await;
    let o = client(&[format!("127.0.0.1:{port}")]);
    for path in ["/big", "/stream"] {
        let url = format!("http://127.0.0.1:{port}{path}");
        assert_eq!(
            o.get(&url).max_bytes(100_000).send().await.err(),
            Some(OutboundError::TooLarge { limit: 100_000 }),
            "{path}"
        );
        let whole = o
            .get(&url)
            .max_bytes(4 * 1024 * 1024)
            .send()
            .await
            .expect("under the cap");
        assert_eq!(whole.body.len(), 2 * 1024 * 1024, "{path}");
    }
    // The default cap is 1 MiB.
    assert_eq!(
        o.get(&format!("http://127.0.0.1:{port}/stream"))
            .send()
            .await
            .err(),
        Some(OutboundError::TooLarge { limit: 1024 * 1024 })
    );
}

#[tokio::test]
async fn answers_are_capped_in_time() {
    let port = serve().await;
    let o = client(&[format!("127.0.0.1:{port}")]);
    for path in ["/slow", "/trickle"] {
        let started = Instant::now();
        let got = o
            .get(&format!("http://127.0.0.1:{port}{path}"))
            .timeout(Duration::from_millis(400))
            .max_bytes(usize::MAX)
            .send()
            .await;
        assert_eq!(got.err(), Some(OutboundError::Timeout), "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_bad_allow_list_stops_the_server_from_starting() {
    let out = run_cli_async(
        tempfile::tempdir().expect("dir").path(),
        &["campaign", "list"],
        &[("SHELFRAISER_OUTBOUND_ALLOW", "127.0.0.1:8081, http://bad")],
    )
    .await;
    let line = out.one_line_error();
    assert!(line.contains("outbound_allow"), "{line}");
    assert!(line.contains("http://bad"), "{line}");
}
