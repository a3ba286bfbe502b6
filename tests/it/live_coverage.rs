//! Live coverage of an event, over real HTTP on both backends: an editor starts live mode on
//! a published post, adds entries (text, a quote) from the console's form; the public page
//! (without JavaScript) shows them newest first, and a reader's page that was kept in the
//! page cache shows a new entry at once; a member who may not edit posts is refused; ending
//! the coverage appends the entries to the text in order, turns live mode off, audits it and
//! enqueues the post's POST_CHANGED (federation's Update).

use shelfraiser::blog::live;
use shelfraiser::blog::write::{self, NewPost, PostKind, PostStatus};
use shelfraiser::on_db;
use shelfraiser::team::Role;
use shelfraiser::team::audit::Actor;

use crate::blog_review::{Who, csrf, member, page, send_editor};
use crate::harness::*;

async fn scalar(db: &shelfraiser::db::Db, sql: &str, bind: &str) -> i64 {
    on_db!(db, |p| sqlx::query_scalar::<_, i64>(sql)
        .bind(bind)
        .fetch_one(p)
        .await
        .expect("count"))
}

async fn act(app: &TestApp, who: &Who, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = csrf(app, who, path).await;
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    send_editor(app, who, path, &all).await
}

#[tokio::test]
async fn live_coverage_from_start_to_article() {
    each_backend(|tdb| async move {
        let st = settings(&tdb);
        let links = st.blog.permalink.clone();
        let app = TestApp::start(st).await;
        let db = &app.db;
        let ed = member(db, "ed", "Europe/Copenhagen", Role::Editor, None).await;
        let wren = member(db, "wren", "UTC", Role::Member, None).await;
        let mut new = NewPost::draft(
            PostKind::Article,
            "Library conference",
            "Welcome to our coverage.",
        );
        new.status = PostStatus::Published;
        let p = write::create(db, &new, &Actor::cli()).await.expect("post");
        let public = write::permalink(&p, &links);
        let admin = format!("/admin/posts/{}/live", p.id);

        // Not live yet: the page has no live section; the editor links the live page.
        let html = app.text(&public).await;
        assert!(!html.contains("data-live-post"), "{html}");
        let (st, html) = page(&app, &ed, &format!("/admin/posts/{}", p.id)).await;
        assert_eq!(st, 200);
        assert!(html.contains(&format!("href=\"{admin}\"")));

        // A member without PostsWrite: refused on both routes, nothing changes.
        assert_eq!(page(&app, &wren, &admin).await.0, 403);
        let res = send_editor(&app, &wren, &admin, &[("action", "start"), ("csrf", "x")]).await;
        assert_eq!(res.status().as_u16(), 403);
        assert!(live::live_since(db, &p.id).await.expect("db").is_none());

        // Start; audited. The kept page (fetched above) is replaced at once.
        let res = act(&app, &ed, &admin, &[("action", "start")]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(live::live_since(db, &p.id).await.expect("db").is_some());
        let html = app.text(&public).await;
        assert!(html.contains("data-live-post") && html.contains("Coverage starts soon."));
        assert!(
            html.contains("live."),
            "the script for the live page: {html}"
        );

        // Entries: text, then a quote.
        let res = act(
            &app,
            &ed,
            &admin,
            &[
                ("action", "add"),
                ("kind", "text"),
                ("body", "Doors open: **3,300** librarians."),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let html = app.text(&public).await; // kept in the page cache
        assert!(html.contains("<strong>3,300</strong>"), "{html}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let res = act(
            &app,
            &ed,
            &admin,
            &[
                ("action", "add"),
                ("kind", "quote"),
                ("body", "Libraries are for everyone."),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        // The same reader's page again: the new entry is there (the cache was invalidated),
        // newest first, each with its time.
        let html = app.text(&public).await;
        let (a, b) = (
            html.find("Libraries are for everyone.").expect("quote"),
            html.find("Doors open").expect("text"),
        );
        assert!(a < b, "newest first");
        assert!(html.contains("<blockquote>"));
        assert!(html.contains("<time datetime=\"") && html.contains(" UTC</time>"));

        // Refused entries: empty, too long.
        let res = act(
            &app,
            &ed,
            &admin,
            &[("action", "add"), ("kind", "text"), ("body", "  ")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let long = "x".repeat(1001);
        let res = act(
            &app,
            &ed,
            &admin,
            &[("action", "add"), ("kind", "text"), ("body", &long)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(live::entries(db, &p.id).await.expect("db").len(), 2);

        // Delete one, add it back.
        let (_, html) = page(&app, &ed, &admin).await;
        assert!(html.contains("Doors open"));
        let extra = act(
            &app,
            &ed,
            &admin,
            &[("action", "add"), ("kind", "text"), ("body", "A typo")],
        )
        .await;
        assert_eq!(extra.status().as_u16(), 303);
        let id = live::entries(db, &p.id)
            .await
            .expect("db")
            .last()
            .expect("e")
            .id
            .clone();
        let res = act(&app, &ed, &admin, &[("action", "delete"), ("entry", &id)]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(!app.text(&public).await.contains("A typo"));

        // End: the text has the entries in order, live mode is off, POST_CHANGED enqueued.
        let changed_before = scalar(
            db,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'post_changed' AND payload LIKE $1",
            &format!("%{}%", p.id),
        )
        .await;
        let res = act(&app, &ed, &admin, &[("action", "end")]).await;
        assert_eq!(res.status().as_u16(), 303);
        let after = write::by_id(db, &p.id).await.expect("db").expect("post");
        let body = &after.body_md;
        assert!(body.starts_with("Welcome to our coverage."), "{body}");
        let (a, b) = (
            body.find("Doors open").expect("text"),
            body.find("> Libraries are for everyone.").expect("quote"),
        );
        assert!(a < b, "oldest first in the article: {body}");
        assert!(!body.contains("A typo"));
        assert!(live::live_since(db, &p.id).await.expect("db").is_none());
        assert!(live::entries(db, &p.id).await.expect("db").is_empty());
        let changed_after = scalar(
            db,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'post_changed' AND payload LIKE $1",
            &format!("%{}%", p.id),
        )
        .await;
        assert_eq!(changed_after, changed_before + 1);
        for action in [
            "post.live_started",
            "post.live_entry_added",
            "post.live_entry_deleted",
            "post.live_ended",
        ] {
            let n = scalar(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = $1",
                action,
            )
            .await;
            assert!(n >= 1, "{action}");
        }
        let html = app.text(&public).await;
        assert!(!html.contains("data-live-post"));
        assert!(html.contains("Libraries are for everyone."));
        // Ended: adding is refused.
        let res = act(&app, &ed, &admin, &[("action", "start")]).await;
        assert_eq!(res.status().as_u16(), 303, "a post may go live again");
        app.stop().await;
    })
    .await;
}
