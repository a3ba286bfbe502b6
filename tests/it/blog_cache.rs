// SPDX-License-Identifier: AGPL-3.0-or-later
//! The public blog pages' cache (`blog/cache.rs`, `http/versioned_pages.rs`) on both backends: a page is served again
//! from memory, and every kind of change that alters a public page shows at once — made
//! through the app's own paths or by SQL from outside (another process, another node) —
//! on this node and on a second node over the same database.

use chrono::{Duration, Utc};
use shelfraiser::blog::comments::{self, Moderation, NewComment};
use shelfraiser::blog::write::{self, NewPost, PostKind, PostStatus};
use shelfraiser::team::audit::Actor;

use crate::blog_read::{article, day, exec, insert, member, tag_post, term};
use crate::harness::*;

/// The node's page-cache hits so far (its `/metrics`).
async fn hits(app: &TestApp) -> u64 {
    let text = app.text("/metrics").await;
    text.lines()
        .find_map(|l| l.strip_prefix("shelfraiser_page_cache_hits_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("page cache hits in /metrics")
}

/// GETs `path` (200) and says whether it came from the cache.
async fn page(app: &TestApp, path: &str) -> (String, bool) {
    let before = hits(app).await;
    let res = app.get(path).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    let html = res.text().await.expect("body");
    (html, hits(app).await > before)
}

const POST: &str = "/2024/03/07/roof/";
const LISTS: [&str; 4] = ["/blog/", "/category/news/", "/2024/03/", "/blog/?page=1"];

#[tokio::test]
async fn kept_pages_change_with_every_write_that_shows_on_them() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let ada = member(db, "Ada Writer").await;
        let mut a = article(
            "roof",
            "Roof fund",
            "The roof needs tiles.",
            day(2024, 3, 7),
        );
        a.author = Some(ada.clone());
        let post = insert(db, a).await;
        let news = term(db, "category", "news", "News").await;
        tag_post(db, &post, &news).await;
        let app = TestApp::start(settings(&tdb)).await;

        // Rendered once, then kept.
        let (html, cached) = page(&app, POST).await;
        assert!(html.contains("Roof fund") && !cached);
        let (again, cached) = page(&app, POST).await;
        assert!(cached, "the second GET is served from the cache");
        assert_eq!(html, again);
        for list in LISTS {
            page(&app, list).await;
            assert!(page(&app, list).await.1, "{list} is kept");
        }

        // An edit by SQL from outside the app (another process or node): everything shows it.
        exec(
            db,
            "UPDATE posts SET title = 'Roof done' WHERE id = $1",
            &[&post],
        )
        .await;
        for path in [POST, "/blog/", "/category/news/", "/2024/03/"] {
            let (html, cached) = page(&app, path).await;
            assert!(!cached, "{path} after an edit");
            assert!(
                html.contains("Roof done") && !html.contains("Roof fund"),
                "{path}"
            );
        }

        // A new post through the writing path.
        let mut n = NewPost::draft(PostKind::Article, "Window fund", "Glass, please.");
        n.status = PostStatus::Published;
        n.published_at = Some(day(2024, 3, 20));
        n.categories = vec!["News".into()];
        write::create(db, &n, &Actor::cli()).await.expect("create");
        for path in ["/blog/", "/category/news/", "/2024/03/"] {
            assert!(page(&app, path).await.0.contains("Window fund"), "{path}");
        }

        // A held comment changes nothing public (and keeps the pages); approving shows it.
        page(&app, POST).await;
        let held = comments::insert(
            db,
            &NewComment {
                post_id: post.clone(),
                parent_id: None,
                status: Moderation::Pending,
                author_name: "Reader".into(),
                author_email: Some("reader@example.org".into()),
                author_url: None,
                member_id: None,
                body: "Lovely roof, zanzibar.".into(),
                ip: None,
                user_agent: None,
            },
        )
        .await
        .expect("comment");
        let (html, cached) = page(&app, POST).await;
        assert!(cached, "a held comment keeps the page");
        assert!(!html.contains("zanzibar"));
        comments::set_status(db, &held, Moderation::Approved)
            .await
            .expect("approve");
        let (html, cached) = page(&app, POST).await;
        assert!(
            !cached && html.contains("zanzibar"),
            "approved comment shows"
        );
        comments::set_status(db, &held, Moderation::Spam)
            .await
            .expect("spam");
        assert!(!page(&app, POST).await.0.contains("zanzibar"));

        // A like, through the public form.
        let html = page(&app, POST).await.0;
        assert!(html.contains("Be the first to like this"), "{html}");
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let res = app
            .post_form(
                &format!("/posts/{post}/like"),
                &[("csrf", &csrf), ("back", POST)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(page(&app, POST).await.0.contains("1 person likes this"));

        // Terms and authors are shown on posts and archives.
        exec(
            db,
            "UPDATE terms SET name = 'Newsroom' WHERE id = $1",
            &[&news],
        )
        .await;
        assert!(page(&app, POST).await.0.contains("Newsroom"));
        assert!(page(&app, "/category/news/").await.0.contains("Newsroom"));
        exec(
            db,
            "UPDATE members SET display_name = 'Ada Lovelace' WHERE id = $1",
            &[&ada],
        )
        .await;
        assert!(page(&app, POST).await.0.contains("Ada Lovelace"));

        // A scheduled post whose time has come appears when the job publishes it.
        let mut s = article(
            "tiles",
            "Tiles arrived",
            "Blue ones.",
            Utc::now() - Duration::minutes(1),
        );
        s.status = "scheduled";
        let scheduled = insert(db, s).await;
        assert!(!page(&app, "/blog/").await.0.contains("Tiles arrived"));
        assert!(
            write::run_publish_job(db, &scheduled, Utc::now())
                .await
                .expect("job")
        );
        assert!(page(&app, "/blog/").await.0.contains("Tiles arrived"));

        // Unpublished: gone from the lists, its page 404.
        write::unpublish(db, &post, &Actor::cli())
            .await
            .expect("unpublish");
        assert_eq!(app.get(POST).await.status().as_u16(), 404);
        assert!(!page(&app, "/blog/").await.0.contains("Roof done"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_change_made_on_one_node_shows_on_every_node_at_once() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let post = insert(db, article("roof", "Roof fund", "Tiles.", day(2024, 3, 7))).await;
        // Two nodes over the same database, each with its own cache.
        let a = TestApp::start(settings(&tdb)).await;
        let b = TestApp::start(settings(&tdb)).await;
        for app in [&a, &b] {
            page(app, POST).await;
            assert!(page(app, POST).await.1, "kept on each node");
        }
        // A like on node A…
        let csrf = hidden_value(&page(&a, POST).await.0, "csrf").expect("csrf");
        let res = a
            .post_form(
                &format!("/posts/{post}/like"),
                &[("csrf", &csrf), ("back", POST)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        // …is on node B's page on the very next request: B checks the database's version.
        let (html, cached) = page(&b, POST).await;
        assert!(!cached);
        assert!(html.contains("1 person likes this"), "{html}");
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test]
async fn under_load_a_request_made_after_a_write_sees_it() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let post = insert(db, article("roof", "Roof fund", "Tiles.", day(2024, 3, 7))).await;
        let app = TestApp::start(settings(&tdb)).await;
        // Readers keep the node busy, so version reads are shared and often under way
        // when a request arrives.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut load = Vec::new();
        for _ in 0..16 {
            let (client, url, stop) = (app.client.clone(), app.url(POST), stop.clone());
            load.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = client.get(&url).send().await.map(|r| r.status());
                }
            }));
        }
        for round in 0..20 {
            let title = format!("Roof fund, round {round}");
            exec(
                db,
                "UPDATE posts SET title = $1 WHERE id = $2",
                &[&title, &post],
            )
            .await;
            let html = app.text(POST).await;
            assert!(
                html.contains(&title),
                "round {round}: a stale page after the write"
            );
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for l in load {
            l.await.expect("load task");
        }
        app.stop().await;
    })
    .await;
}
