//! Live progress over Server-Sent Events: a donation reaches an open `/campaigns/{slug}/live`
//! stream on the same node, on another node sharing the PostgreSQL database (LISTEN/NOTIFY),
//! and from a CLI process writing the same SQLite file (the poll).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

/// How long a change may take to reach a stream or a page.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// A reader for a `text/event-stream` response (also used by the donor-wall tests).
pub(crate) struct Sse {
    res: reqwest::Response,
    buf: Vec<u8>,
}

impl Sse {
    pub(crate) async fn open(client: &reqwest::Client, url: &str) -> Sse {
        let res = client
            .get(url)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("open the live stream");
        assert_eq!(res.status().as_u16(), 200, "live stream status");
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(ct.starts_with("text/event-stream"), "content-type {ct:?}");
        Sse {
            res,
            buf: Vec::new(),
        }
    }

    /// The next event as (name, data), waiting at most `timeout`. Comments (keep-alives)
    /// are skipped; a timeout or the end of the stream fails the test.
    async fn next_event(&mut self, timeout: Duration) -> (String, String) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buf.drain(..i + 2).collect();
                let block = String::from_utf8(block).expect("UTF-8 event");
                let mut name = "message".to_string();
                let mut data: Vec<&str> = Vec::new();
                for line in block.lines() {
                    if line.starts_with(':') {
                        continue;
                    }
                    let (field, value) = match line.split_once(':') {
                        Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                        None => (line, ""),
                    };
                    match field {
                        "event" => name = value.to_string(),
                        "data" => data.push(value),
                        _ => {}
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return (name, data.join("\n"));
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .unwrap_or_else(|_| panic!("no live event within {timeout:?}"))
                .expect("read the live stream")
                .expect("the live stream ended");
            self.buf
                .extend(chunk.iter().copied().filter(|b| *b != b'\r'));
        }
    }

    /// The next event, which must be a `progress` event; its JSON.
    pub(crate) async fn next_progress(&mut self, timeout: Duration) -> Value {
        let (name, data) = self.next_event(timeout).await;
        assert_eq!(name, "progress", "unexpected event {name}: {data}");
        serde_json::from_str(&data).expect("progress JSON")
    }
}

/// The raised amount the campaign page shows (`<strong … data-raised>£25.00</strong>`).
fn shown_raised(html: &str) -> String {
    let start = html.find("data-raised>").expect("data-raised on the page") + "data-raised>".len();
    let end = html[start..].find('<').expect("end of raised") + start;
    html[start..end].to_string()
}

fn version(p: &Value) -> i64 {
    p["version"].as_i64().expect("version")
}

/// A counter from the node's `/metrics`.
pub(crate) async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.text("/metrics").await;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing"))
}

#[tokio::test]
async fn a_donation_reaches_the_open_stream() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "live-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let mut sse = Sse::open(&app.client, &app.url("/campaigns/live-library/live")).await;

        let first = sse.next_progress(WAIT).await;
        assert_eq!(first["raised_minor"], 0, "{first}");
        assert_eq!(first["donors"], 0, "{first}");
        assert_eq!(first["currency"], "GBP", "{first}");
        assert_eq!(first["state"], "live", "{first}");

        let t0 = Instant::now();
        let to = app
            .donate_through_checkout("live-library", "12.34", "GBP", "succeed")
            .await;
        assert!(to.contains("/thanks/"), "{to}");
        let next = sse.next_progress(WAIT).await;
        eprintln!("   [{}] donation → stream: {:?}", tdb.backend, t0.elapsed());
        assert_eq!(next["raised_minor"], 1234, "{next}");
        assert_eq!(next["donors"], 1, "{next}");
        assert_eq!(next["raised"], "£12.34", "{next}");
        assert_eq!(next["percent"], 1, "{next}");
        assert!(version(&next) > version(&first), "{first} → {next}");

        // A second donation is one more event, not a repeat of the first.
        app.donate_through_checkout("live-library", "10", "USD", "succeed")
            .await;
        let third = sse.next_progress(WAIT).await;
        assert_eq!(third["donors"], 2, "{third}");
        // $10 at the locked cross rate 0.7906398879 → 790.64p → 791p.
        assert_eq!(third["raised_minor"], 1234 + 791, "{third}");
        assert!(version(&third) > version(&next));

        drop(sse);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn another_node_sees_the_donation_through_postgres() {
    let Some(pg) = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
    else {
        eprintln!("skipped: SHELFRAISER_TEST_PG_URL is not set (two nodes need PostgreSQL)");
        return;
    };
    let tdb = TestDb::new(&pg).await;
    seed_campaign(&tdb.db, "two-nodes").await;
    let a = TestApp::start(settings(&tdb)).await;
    let b = TestApp::start(settings(&tdb)).await;
    assert_ne!(a.base, b.base);

    // Node B caches its page at the old total (the second view is a cache hit).
    let zero = shown_raised(&b.text("/campaigns/two-nodes").await);
    let hits = metric(&b, "shelfraiser_page_cache_hits_total").await;
    assert_eq!(shown_raised(&b.text("/campaigns/two-nodes").await), zero);
    assert_eq!(
        metric(&b, "shelfraiser_page_cache_hits_total").await,
        hits + 1,
        "node B serves its page from its cache"
    );

    let mut sse = Sse::open(&b.client, &b.url("/campaigns/two-nodes/live")).await;
    let first = sse.next_progress(WAIT).await;
    assert_eq!(first["raised_minor"], 0, "{first}");
    assert_eq!(first["raised"], zero.as_str(), "{first}");

    // The donor goes through node A only.
    let t0 = Instant::now();
    let to = a
        .donate_through_checkout("two-nodes", "40", "GBP", "succeed")
        .await;
    assert!(to.contains("/thanks/"), "{to}");
    let next = sse.next_progress(WAIT).await;
    eprintln!("   node A donation → node B stream: {:?}", t0.elapsed());
    assert_eq!(next["raised_minor"], 4000, "{next}");
    assert_eq!(next["donors"], 1, "{next}");
    assert!(version(&next) > version(&first));

    // Node B's cached page follows within the same bound.
    let want = next["raised"].as_str().expect("raised text").to_string();
    assert_ne!(want, zero);
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = shown_raised(&b.text("/campaigns/two-nodes").await);
        if shown == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node B's page still shows {shown} after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("   node A donation → node B page: {:?}", t0.elapsed());

    // A campaign created after both nodes started, whose stream is opened on node B before
    // node B has ever shown its page (a load balancer sent the page view to node A).
    seed_campaign(&tdb.db, "newer-campaign").await;
    let mut sse2 = Sse::open(&b.client, &b.url("/campaigns/newer-campaign/live")).await;
    let first2 = sse2.next_progress(WAIT).await;
    assert_eq!(first2["raised_minor"], 0, "{first2}");
    let t1 = Instant::now();
    a.donate_through_checkout("newer-campaign", "5", "GBP", "succeed")
        .await;
    let next2 = sse2.next_progress(WAIT).await;
    eprintln!(
        "   new campaign: node A donation → node B stream: {:?}",
        t1.elapsed()
    );
    assert_eq!(next2["raised_minor"], 500, "{next2}");

    drop(sse);
    drop(sse2);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_cli_donation_reaches_the_stream_on_sqlite() {
    let tdb = TestDb::new(&Backend::Sqlite).await;
    seed_campaign(&tdb.db, "cli-live").await;
    let app = TestApp::start(settings(&tdb)).await;
    let mut sse = Sse::open(&app.client, &app.url("/campaigns/cli-live/live")).await;
    let first = sse.next_progress(WAIT).await;
    assert_eq!(first["raised_minor"], 0, "{first}");

    let data_dir = tdb.data_dir();
    let data_dir = data_dir.to_str().expect("UTF-8 path");
    let t0 = Instant::now();
    let out = run_cli_async(
        tdb.dir.path(),
        &[
            "donation",
            "add",
            "--data-dir",
            data_dir,
            "--database-url",
            &tdb.url,
            "--campaign",
            "cli-live",
            "--amount",
            "10",
            "--currency",
            "GBP",
            "--donor",
            "Reading circle",
            "--visibility",
            "public",
        ],
        &[],
    )
    .await;
    assert!(out.ok(), "{out:?}");
    assert!(out.stdout.contains("recorded donation"), "{out:?}");
    let next = sse.next_progress(WAIT).await;
    eprintln!("   CLI donation → stream: {:?}", t0.elapsed());
    assert_eq!(next["raised_minor"], 1000, "{next}");
    assert_eq!(next["donors"], 1, "{next}");

    drop(sse);
    app.stop().await;
}
