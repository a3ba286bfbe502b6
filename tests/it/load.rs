//! Behaviour under load: one render per campaign page at a time (single flight), the live
//! streams' cap, heartbeat, retry and `Last-Event-ID` resumption, and a used-up database
//! pool answering 503 instead of piling requests up.

use std::time::Duration;

use shelfraiser::config::Settings;

use crate::harness::*;
use crate::live::{WAIT, metric};

const RENDERS: &str = "shelfraiser_page_renders_total{cache=\"campaign\"}";

/// Fires `n` GETs of `path` at once; each must be 200 with a whole page. Returns the bodies.
async fn burst(app: &TestApp, path: &str, n: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let client = app.client.clone();
        let url = app.url(path);
        tasks.push(tokio::spawn(async move {
            let res = client
                .get(url)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .expect("GET");
            let status = res.status().as_u16();
            let gzipped = res
                .headers()
                .get("content-encoding")
                .is_some_and(|v| v == "gzip");
            let bytes = res.bytes().await.expect("body");
            let body = if gzipped {
                let mut s = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&bytes[..]),
                    &mut s,
                )
                .expect("gunzip the page");
                s
            } else {
                String::from_utf8(bytes.to_vec()).expect("UTF-8 page")
            };
            (status, body)
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, body) = t.await.expect("request task");
        assert_eq!(status, 200, "every request answers 200");
        assert!(
            body.trim_end().ends_with("</html>") && body.contains("data-raised>"),
            "a whole campaign page: {}",
            &body[..body.len().min(300)]
        );
        bodies.push(body);
    }
    bodies
}

/// The raised amount a campaign page shows.
fn shown_raised(html: &str) -> &str {
    let start = html.find("data-raised>").expect("data-raised") + "data-raised>".len();
    let end = html[start..].find('<').expect("end of raised") + start;
    &html[start..end]
}

#[tokio::test]
async fn concurrent_requests_share_one_render_cold_and_after_a_version_bump() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "flight").await;
        let app = TestApp::start(settings(&tdb)).await;

        // Cold: nothing kept yet. 32 at once wait for one shared render.
        let before = metric(&app, RENDERS).await;
        let pages = burst(&app, "/campaigns/flight", 32).await;
        assert_eq!(
            metric(&app, RENDERS).await - before,
            1,
            "one render for 32 requests on a cold cache"
        );
        assert!(pages.iter().all(|p| shown_raised(p) == "£0"));

        // A donation bumps the campaign's version; once this node has seen it, 32 requests
        // at once make one render, and the others get the page being replaced meanwhile.
        let old = app.state.hub.version(&c.id).expect("version seen");
        let to = app
            .donate_through_checkout("flight", "12.34", "GBP", "succeed")
            .await;
        assert!(to.contains("/thanks/"), "{to}");
        let deadline = tokio::time::Instant::now() + WAIT;
        while app.state.hub.version(&c.id) == Some(old) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the hub saw no bump"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let before = metric(&app, RENDERS).await;
        let pages = burst(&app, "/campaigns/flight", 32).await;
        assert_eq!(
            metric(&app, RENDERS).await - before,
            1,
            "one render for 32 requests after a version bump"
        );
        assert!(
            pages
                .iter()
                .all(|p| ["£0", "£12.34"].contains(&shown_raised(p))),
            "the old page or the new one, nothing else"
        );
        // The render is kept: the next request gets the new total without a render.
        let now = app.text("/campaigns/flight").await;
        assert_eq!(shown_raised(&now), "£12.34");
        assert_eq!(metric(&app, RENDERS).await - before, 1);
        let text = app.text("/metrics").await;
        assert!(text.contains("# TYPE shelfraiser_page_renders_total counter"));
        app.stop().await;
    })
    .await;
}

/// A raw `text/event-stream` reader: every line, comments included.
struct RawSse {
    res: reqwest::Response,
    buf: String,
}

impl RawSse {
    /// Reads until a blank line ends a block whose lines satisfy `want`; returns the block.
    async fn block_where(&mut self, timeout: Duration, want: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                if want(&block) {
                    return block;
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .unwrap_or_else(|_| panic!("nothing wanted within {timeout:?}: {:?}", self.buf))
                .expect("read the stream")
                .expect("the stream ended");
            self.buf
                .push_str(&String::from_utf8_lossy(&chunk).replace('\r', ""));
        }
    }

    /// The next `progress` event's (id, data).
    async fn progress(&mut self, timeout: Duration) -> (i64, serde_json::Value) {
        let block = self
            .block_where(timeout, |b| b.lines().any(|l| l == "event: progress"))
            .await;
        progress_of(&block)
    }
}

/// A `progress` event block's (id, data).
fn progress_of(block: &str) -> (i64, serde_json::Value) {
    let field = |name: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {block:?}"))
            .to_string()
    };
    (
        field("id: ").parse().expect("numeric id"),
        serde_json::from_str(&field("data: ")).expect("JSON data"),
    )
}

async fn open(app: &TestApp, path: &str, last_event_id: Option<i64>) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(path))
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    req.send().await.expect("open the stream")
}

fn live_settings(tdb: &TestDb, max_streams: usize) -> Settings {
    let mut s = settings(tdb);
    s.live.max_streams = max_streams;
    s.live.heartbeat_secs = 1;
    s.live.retry_ms = 1500;
    s
}

#[tokio::test]
async fn streams_send_retry_ids_and_heartbeats_and_resume_from_last_event_id() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "sse").await;
        let app = TestApp::start(live_settings(&tdb, 0)).await;
        let res = open(&app, "/campaigns/sse/live", None).await;
        assert_eq!(res.status().as_u16(), 200);
        let h = res.headers();
        assert_eq!(h["x-accel-buffering"], "no");
        assert_eq!(h["cache-control"], "no-cache");
        let mut sse = RawSse {
            res,
            buf: String::new(),
        };
        // The first event, with retry: between retry_ms and twice it.
        let retry = sse
            .block_where(WAIT, |b| b.lines().any(|l| l.starts_with("retry:")))
            .await;
        let ms: u64 = retry
            .lines()
            .find_map(|l| l.strip_prefix("retry:"))
            .expect("retry")
            .trim()
            .parse()
            .expect("milliseconds");
        assert!((1500..=3000).contains(&ms), "retry {ms}");
        let (first, data) = progress_of(&retry);
        assert_eq!(data["version"], first, "the id is the campaign's version");
        // An idle stream gets comment lines (the heartbeat is 1 s here).
        sse.block_where(Duration::from_secs(5), |b| b.starts_with(':'))
            .await;

        // Resuming at the current version: no repeat of what the client has; the next
        // change comes as usual.
        let res = open(&app, "/campaigns/sse/live", Some(first)).await;
        assert_eq!(res.status().as_u16(), 200);
        let mut resumed = RawSse {
            res,
            buf: String::new(),
        };
        // Wait for a heartbeat (1 s): no progress event came before it.
        let before_beat = resumed
            .block_where(Duration::from_secs(5), |b| {
                b.starts_with(':') || b.contains("event: progress")
            })
            .await;
        assert!(
            before_beat.starts_with(':'),
            "no event repeated on resumption: {before_beat:?}"
        );
        app.donate_through_checkout("sse", "7", "GBP", "succeed")
            .await;
        let (next, data) = resumed.progress(WAIT).await;
        assert!(next > first);
        assert_eq!(data["raised_minor"], 700, "{data}");
        // The first stream gets it too.
        assert_eq!(sse.progress(WAIT).await.0, next);
        drop(resumed);
        drop(sse);

        // Resuming from an older version: the current state at once.
        let mut stale = RawSse {
            res: open(&app, "/campaigns/sse/live", Some(first)).await,
            buf: String::new(),
        };
        let (id, data) = stale.progress(WAIT).await;
        assert_eq!(id, next);
        assert_eq!(data["raised_minor"], 700);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn streams_over_the_cap_get_503_and_the_page_still_works() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "cap").await;
        let app = TestApp::start(live_settings(&tdb, 2)).await;
        let a = open(&app, "/campaigns/cap/live", None).await;
        let b = open(&app, "/campaigns/cap/live", None).await;
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
        assert_eq!(metric(&app, "shelfraiser_live_streams").await, 2);

        let over = open(&app, "/campaigns/cap/live", None).await;
        assert_eq!(over.status().as_u16(), 503);
        let retry_after: u64 = over.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!(retry_after > 0);
        assert_eq!(
            metric(&app, "shelfraiser_live_streams_refused_total").await,
            1
        );
        // The page answers, with the total it is rendered with.
        let page = app.get("/campaigns/cap").await;
        assert_eq!(page.status().as_u16(), 200);
        assert_eq!(shown_raised(&page.text().await.expect("body")), "£0");

        // A closed stream gives its slot back.
        drop(a);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let again = open(&app, "/campaigns/cap/live", None).await;
            if again.status().as_u16() == 200 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the slot came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(b);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_used_up_database_pool_answers_503_with_retry_after() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "pool").await;
        let mut s = settings(&tdb);
        s.pool.max_connections = 1;
        s.pool.acquire_timeout_ms = 1500;
        let app = TestApp::start(s).await;
        assert_eq!(
            app.get("/campaigns/pool/donors").await.status().as_u16(),
            200
        );

        // The test holds the node's only connection.
        let held = app
            .state
            .db
            .begin()
            .await
            .expect("take the only connection");
        let res = app
            .client
            .get(app.url("/campaigns/pool/donors"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("an answer, not a hang");
        assert_eq!(res.status().as_u16(), 503);
        assert!(res.headers().contains_key("retry-after"));
        drop(held);

        // Once the connection is back, the page answers again.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if app.get("/campaigns/pool/donors").await.status().as_u16() == 200 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the pool recovered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        app.stop().await;
    })
    .await;
}
