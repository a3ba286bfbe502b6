//! The server's own defences, over real HTTP on 127.0.0.1: the language switcher's `next`
//! never leaves the site; a request head that stalls is closed after the (test-short)
//! header time-out, and so is an idle keep-alive connection; a stalled body is answered
//! 408; connections over `http.max_connections` wait (and the node says so in its log);
//! `/metrics` answers loopback and the bearer token only; an upload that declares
//! 12,000 × 12,000 pixels is refused from its header with the form's message.

use std::io::Write;
use std::time::{Duration, Instant};

use shelfraiser::db::Db;
use shelfraiser::team::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;
use crate::team_harness::*;

/// Targets seen in open-redirect reports (raw; the request encodes them).
const HOSTILE: &[&str] = &[
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\t/127.0.0.1:9999/",
    "\t/",
    " /",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\u{a0}/evil.example",
    "/\u{3000}/evil.example",
    "/\u{2028}/evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%5C/evil.example",
    "/%252F/evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "evil.example",
];

async fn sqlite_app(tune: impl FnOnce(&mut shelfraiser::config::Settings)) -> (TestApp, TestDb) {
    let tdb = TestDb::new(&Backend::Sqlite).await;
    let mut s = settings(&tdb);
    tune(&mut s);
    (TestApp::start(s).await, tdb)
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection (or `limit` passes: then panics).
async fn read_until_closed(conn: &mut TcpStream, limit: Duration) -> String {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(limit, conn.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "the server kept the connection open for {limit:?}; got {:?}",
        String::from_utf8_lossy(&buf)
    );
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn the_language_switcher_never_leaves_the_site() {
    let (app, _tdb) = sqlite_app(|_| {}).await;
    // The penetration test's request, byte for byte.
    let res = app.get("/lang/en?next=/%09/127.0.0.1:9999/").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/");
    for bad in HOSTILE {
        let res = app
            .client
            .get(app.url("/lang/da"))
            .query(&[("next", bad)])
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 303, "{bad:?}");
        assert_eq!(location(&res), "/", "{bad:?}");
    }
    let res = app
        .client
        .get(app.url("/lang/da"))
        .query(&[("next", "/campaigns/x?page=2")])
        .send()
        .await
        .expect("GET");
    assert_eq!(location(&res), "/campaigns/x?page=2");
    app.stop().await;
}

#[tokio::test]
async fn a_stalled_request_head_and_an_idle_connection_are_closed() {
    let (app, _tdb) = sqlite_app(|s| s.http.header_timeout_secs = 1).await;
    // Half a header line, then nothing.
    let mut conn = TcpStream::connect(addr(&app)).await.expect("connect");
    conn.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag")
        .await
        .expect("write");
    let t0 = Instant::now();
    read_until_closed(&mut conn, Duration::from_secs(5)).await;
    eprintln!("   half a header: closed after {:?}", t0.elapsed());

    // A keep-alive connection that answered a request and then sits idle.
    let mut conn = TcpStream::connect(addr(&app)).await.expect("connect");
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let text = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn a_stalled_request_body_is_answered_408() {
    let (app, _tdb) = sqlite_app(|s| {
        s.http.body_idle_timeout_secs = 1;
        s.http.body_timeout_secs = 1;
    })
    .await;
    let mut conn = TcpStream::connect(addr(&app)).await.expect("connect");
    conn.write_all(
        b"POST /campaigns/any/donate HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\namount=1",
    )
    .await
    .expect("write");
    let text = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");

    // A body that trickles in a byte at a time never stalls, but is not done in time either.
    let conn = TcpStream::connect(addr(&app)).await.expect("connect");
    let (mut rd, mut wr) = conn.into_split();
    wr.write_all(
        b"POST /campaigns/any/donate HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\n",
    )
    .await
    .expect("write");
    let drip = tokio::spawn(async move {
        for _ in 0..40 {
            if wr.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "still open");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    drip.abort();
    let metrics = app.text("/metrics").await;
    assert!(
        metrics.contains("shelfraiser_request_body_timeouts_total 2"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_and_are_logged() {
    let tdb = TestDb::new(&Backend::Sqlite).await;
    let args = storage_args(&tdb);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProcess::start(&args, &[("SHELFRAISER_HTTP__MAX_CONNECTIONS", "2")]);
    let addr = server.base.trim_start_matches("http://").to_string();
    // Two connections take the two places (the server has accepted them once they answer).
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = std::net::TcpStream::connect(&addr).expect("connect");
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("write");
        let mut buf = [0u8; 12];
        std::io::Read::read_exact(&mut c, &mut buf).expect("answer");
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(c);
    }
    // A third waits: connected (the kernel queues it) but not served.
    let mut third = TcpStream::connect(addr.as_str()).await.expect("connect");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(300), third.read_to_end(&mut buf)).await;
    assert!(early.is_err() && buf.is_empty(), "served over the cap");
    server
        .wait_log("connection limit reached", Duration::from_secs(5))
        .await;
    // One of the two closes: the third is served.
    drop(held.pop());
    let text = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    drop(held);
    let log = server.log_text();
    assert_eq!(
        log.matches("connection limit reached").count(),
        1,
        "one line, not one per connection: {log}"
    );
}

#[tokio::test]
async fn metrics_answer_loopback_and_the_token_only() {
    let (app, _tdb) = sqlite_app(|s| {
        s.metrics.token = shelfraiser::config::Secret("scrape-me".into());
    })
    .await;
    let get = |headers: &'static [(&'static str, &'static str)]| {
        let mut req = app.client.get(app.url("/metrics"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        async move { req.send().await.expect("GET").status().as_u16() }
    };
    assert_eq!(get(&[]).await, 200, "a loopback peer");
    // What a proxy on the same host relays is public traffic, whatever it claims.
    assert_eq!(get(&[("x-forwarded-for", "127.0.0.1")]).await, 404);
    assert_eq!(get(&[("forwarded", "for=127.0.0.1")]).await, 404);
    assert_eq!(
        get(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("authorization", "Bearer scrape-me")
        ])
        .await,
        200
    );
    assert_eq!(
        get(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("authorization", "Bearer wrong")
        ])
        .await,
        404
    );
    app.stop().await;

    let (app, _tdb) = sqlite_app(|s| s.metrics.public = true).await;
    let res = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status().as_u16(), 200);
    app.stop().await;
}

/// A PNG that declares `w` × `h` pixels but holds only a few rows of them (a few hundred
/// bytes, like a decompression bomb's header).
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("len").to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + 3 * w as usize];
    for _ in 0..4 {
        z.write_all(&row).expect("deflate");
    }
    chunk(&mut out, b"IDAT", &z.finish().expect("deflate"));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 80]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

async fn editor_session(db: &Db) -> String {
    team_member("bombs")
        .named("Upload tester")
        .role(Role::Editor)
        .signed_in(db)
        .await
        .token
}

async fn post_with_image(app: &TestApp, token: &str, image: &[u8]) -> reqwest::Response {
    let csrf = bound_csrf(app, "/admin/posts/new", token).await;
    let boundary = format!("----bomb-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in [
        ("kind", "article"),
        ("title", "Shelves"),
        ("body", "Words."),
        ("status", "draft"),
        ("campaign", ""),
        ("insert_alt", "New shelves"),
        ("csrf", csrf.as_str()),
        ("action", "save"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"insert_image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.client
        .post(app.url("/admin/posts/new"))
        .header("cookie", format!("sr_session={token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn an_image_declaring_too_many_pixels_is_refused_from_its_header() {
    let (app, _tdb) = sqlite_app(|_| {}).await;
    let token = editor_session(&app.db).await;
    let bomb = png_declaring(12_000, 12_000);
    assert!(bomb.len() < 4096, "{} bytes", bomb.len());
    let res = post_with_image(&app, &token, &bomb).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.expect("body");
    assert!(
        html.contains("at most 10,000 pixels on a side"),
        "{}",
        &html[..html.len().min(3000)]
    );
    assert_eq!(count(&app.db, "media").await, 0);
    // A normal image is still taken.
    let res = post_with_image(&app, &token, &png(1200, 800)).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(count(&app.db, "media").await >= 1);
    app.stop().await;
}
