// SPDX-License-Identifier: AGPL-3.0-or-later
//! Hostile content, on both backends: Markdown nested to make the parser quadratic (the
//! editor's preview answers quickly with a bounded page; saving through the console or the
//! API is refused with a field error), feeds kept in the blog cache and renewed by a new
//! post, control characters (NUL) in the search and in paths, and a WordPress export
//! nested 300,000 elements deep (an error naming the line, not a crash).

use std::time::{Duration, Instant};

use shelfraiser::email::Email;
use shelfraiser::import::wordpress::{self, Options};
use shelfraiser::team::audit::Actor;
use shelfraiser::team::{Role, repo as team_repo, session};

use crate::blog_read::{article, day, insert, term};
use crate::harness::*;

/// A generous bound for one request: before the nesting guard, the preview of the smaller
/// attack input below took minutes in a test build.
const QUICK: Duration = Duration::from_secs(20);

async fn editor(app: &TestApp) -> (String, String) {
    let m = team_repo::create(
        &app.db,
        &team_repo::NewMember {
            email: Email::parse("deep@example.org").expect("email"),
            display_name: "Deep editor".into(),
            time_zone: "Europe/Copenhagen".into(),
            languages: "en".into(),
            status: shelfraiser::team::MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    team_repo::add_grant(&app.db, &m.id, Role::Editor, None)
        .await
        .expect("grant");
    let token = session::create(&app.db, &m.id, false, None, None)
        .await
        .expect("session");
    (m.id, token)
}

/// The post editor's form is multipart (it carries an image upload).
async fn post_editor(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let boundary = format!("----limits-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
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

fn post_fields<'a>(body: &'a str, csrf: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "article"),
        ("title", "Deep"),
        ("body", body),
        ("status", "published"),
        ("campaign", ""),
        ("csrf", csrf),
        ("action", action),
    ]
}

#[tokio::test]
async fn deep_nesting_previews_quickly_and_is_refused_when_saved() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let (id, token) = editor(&app).await;
        let csrf = bound_csrf(&app, "/admin/posts/new", &token).await;
        for marker in ["> ", "- "] {
            let body = format!("{}deep", marker.repeat(30_000));
            let started = Instant::now();
            let res = post_editor(&app, &token, &post_fields(&body, &csrf, "preview")).await;
            assert_eq!(res.status().as_u16(), 200, "{marker:?}");
            let html = res.text().await.expect("body");
            assert!(
                started.elapsed() < QUICK,
                "{marker:?}: {:?}",
                started.elapsed()
            );
            // Counted in the preview only (the console's menu is a list too).
            let preview = html
                .split_once("<div class=\"story\">")
                .and_then(|(_, rest)| rest.split_once("<p class=\"hint\">"))
                .map(|(story, _)| story)
                .expect("the preview");
            let opened = preview.matches("<blockquote>").count() + preview.matches("<li>").count();
            assert!(opened <= 40, "{marker:?}: {opened} containers");
            assert!(html.contains("Line 1 nests quotes or lists"), "{marker:?}");
            // Saving is refused with the field marked; nothing is stored.
            let res = post_editor(&app, &token, &post_fields(&body, &csrf, "save")).await;
            assert_eq!(res.status().as_u16(), 422, "{marker:?}");
            let html = res.text().await.expect("body");
            assert!(html.contains("id=\"body-err\""), "{marker:?}");
            assert!(html.contains("more than 32 levels"), "{marker:?}");
            assert_eq!(count(&app.db, "posts").await, 0);
        }
        // The API refuses it with a structured error naming the field.
        let (_, api_token) = shelfraiser::team::tokens::create(&app.db, &id, "t", &Actor::cli())
            .await
            .expect("token");
        let res = app
            .client
            .post(app.url("/api/v1/posts"))
            .header("authorization", format!("Bearer {api_token}"))
            .json(&serde_json::json!({
                "kind": "article", "title": "Deep", "body": "> ".repeat(60_000)
            }))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["error"]["code"], "invalid");
        assert!(
            v["fields"]["body"]
                .as_str()
                .is_some_and(|m| m.contains("more than 32 levels")),
            "{v}"
        );
        assert_eq!(count(&app.db, "posts").await, 0);
    })
    .await;
}

/// The node's page-cache hits so far (its `/metrics`).
async fn hits(app: &TestApp) -> u64 {
    let text = app.text("/metrics").await;
    text.lines()
        .find_map(|l| l.strip_prefix("shelfraiser_page_cache_hits_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("page cache hits in /metrics")
}

#[tokio::test]
async fn feeds_are_kept_until_the_blog_changes() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let news = term(db, "category", "news", "News").await;
        let post = insert(db, article("roof", "Roof fund", "Tiles.", day(2024, 3, 7))).await;
        crate::blog_read::tag_post(db, &post, &news).await;
        let app = TestApp::start(settings(&tdb)).await;
        for path in [
            "/feed.atom",
            "/feed.xml",
            "/feed.json",
            "/category/news/feed.atom",
        ] {
            let first = app.get(path).await;
            assert_eq!(first.status().as_u16(), 200, "{path}");
            let ct = first.headers()["content-type"]
                .to_str()
                .expect("ct")
                .to_string();
            assert!(!ct.starts_with("text/html"), "{path}: {ct}");
            assert_eq!(first.headers()["cache-control"], "public, max-age=300");
            let first = first.text().await.expect("body");
            assert!(first.contains("Roof fund"), "{path}");
            let before = hits(&app).await;
            let again = app.get(path).await;
            assert_eq!(again.headers()["content-type"].to_str().expect("ct"), ct);
            assert_eq!(again.text().await.expect("body"), first, "{path}");
            assert_eq!(
                hits(&app).await,
                before + 1,
                "{path} is served from the cache"
            );
        }
        // Each format and language is kept apart.
        let da = app
            .client
            .get(app.url("/feed.atom"))
            .header("accept-language", "da")
            .send()
            .await
            .expect("GET");
        assert!(da.text().await.expect("b").contains("xml:lang=\"da\""));
        assert!(app.text("/feed.atom").await.contains("xml:lang=\"en\""));
        // A new post shows at once.
        insert(db, article("bells", "Bell tower", "Ring.", day(2024, 3, 8))).await;
        let before = hits(&app).await;
        let now = app.text("/feed.atom").await;
        assert!(now.contains("Bell tower") && now.contains("Roof fund"));
        assert_eq!(hits(&app).await, before, "rendered again after the change");
        // Unknown terms are still 404, and not kept.
        assert_eq!(
            app.get("/tag/nothing/feed.atom").await.status().as_u16(),
            404
        );
    })
    .await;
}

#[tokio::test]
async fn control_characters_in_queries_and_paths_are_no_server_error() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        insert(
            db,
            article("roof", "Roof fund", "Tiles for the roof.", day(2024, 3, 7)),
        )
        .await;
        seed_campaign(db, "village").await;
        let app = TestApp::start(settings(&tdb)).await;
        for q in ["%00", "roof%00", "%00roof", "%01%1F%7F", "ro%00of%0A"] {
            let res = app.get(&format!("/search?q={q}")).await;
            assert_eq!(res.status().as_u16(), 200, "search {q}");
        }
        let html = app.text("/search?q=roof%00").await;
        assert!(
            html.contains("Roof fund"),
            "the NUL is a space: the word still matches"
        );
        for path in [
            "/tag/%00/",
            "/category/a%00b/",
            "/tag/%00/feed.atom",
            "/campaigns/%00",
            "/campaigns/%00/feed.json",
            "/%00/",
            "/2024/03/07/%00/",
            "/author/%00/",
        ] {
            let st = app.get(path).await.status().as_u16();
            assert!(st < 500, "{path}: {st}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_deeply_nested_export_is_an_error_not_a_crash() {
    each_backend(|tdb| async move {
        let n = 300_000;
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<rss><channel>\n<item><title>x</title>\n{}{}</item></channel></rss>\n",
            "<a>".repeat(n),
            "</a>".repeat(n)
        );
        let file = tdb.dir.path().join("deep.xml");
        std::fs::write(&file, xml).expect("write");
        let err = wordpress::import(
            &tdb.db,
            &Options {
                file,
                media_dir: None,
                dry_run: false,
                permalinks: Default::default(),
            },
        )
        .await
        .expect_err("refused");
        let msg = format!("{err:#}");
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("nested more than 256 levels"), "{msg}");
        assert_eq!(count(&tdb.db, "posts").await, 0);
    })
    .await;
}

/// The heaviest body the guard lets through: 256 KiB of links, emphasis and code in one
/// paragraph (rendering it costs milliseconds in a release build, far more in a test build).
fn heavy_body() -> String {
    let unit = "*a* **b** [c](https://example.org/x) `d` ~~e~~ ";
    let mut body = unit.repeat(shelfraiser::markdown::MAX_BYTES / unit.len());
    body.truncate(shelfraiser::markdown::MAX_BYTES - 16);
    body
}

/// The longest pause of a task that wants to run every millisecond, while `work` runs on
/// the same one-thread runtime.
async fn longest_stall<F: std::future::Future>(work: F) -> (Duration, F::Output) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut worst = Duration::ZERO;
            let mut last = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(1)).await;
                worst = worst.max(last.elapsed());
                last = Instant::now();
            }
            worst
        }
    });
    let out = work.await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    (ticker.await.expect("ticker"), out)
}

/// Post pages and listings render Markdown on the blocking pool, not on the async workers:
/// on a one-thread runtime the server (and a ticking task beside it) keeps running while a
/// heavy post's page, and a listing with the same text as a note, are made.
#[tokio::test(flavor = "current_thread")]
async fn heavy_posts_render_off_the_async_workers() {
    each_backend(|tdb| async move {
        let body = heavy_body();
        assert!(
            shelfraiser::markdown::check(&body).is_ok(),
            "a body the guard lets through"
        );
        let one = body.clone();
        let start = Instant::now();
        tokio::task::spawn_blocking(move || shelfraiser::markdown::to_safe_html(&one))
            .await
            .expect("render");
        let render = start.elapsed();
        insert(&tdb.db, article("heavy", "Heavy", &body, day(2024, 5, 1))).await;
        let mut note = article("heavy-note", "", &body, day(2024, 5, 2));
        note.kind = "note";
        insert(&tdb.db, note).await;
        let app = TestApp::start(settings(&tdb)).await;
        // Warm up: the pool's first connections (PostgreSQL's SCRAM exchange is CPU work).
        assert_eq!(app.get("/no/such/post/").await.status(), 404);
        for path in ["/2024/05/01/heavy/", "/blog/"] {
            let (stall, page) = longest_stall(async {
                let res = app.get(path).await;
                assert_eq!(res.status(), 200, "{path}");
                res.text().await.expect("body")
            })
            .await;
            assert!(
                page.contains("<strong>b</strong>"),
                "{path}: the body is shown"
            );
            eprintln!("{path}: one render {render:?}, longest stall {stall:?}");
            assert!(
                stall < render / 2,
                "{path}: the runtime stalled {stall:?}; one render takes {render:?}"
            );
        }
        app.stop().await;
    })
    .await;
}
