//! Comments, likes and moderation over real HTTP on both backends: a first-time guest is
//! held and a returning one goes straight through, threads stop at three levels, the spam
//! defences (honeypot, too fast, too many links, block list, per-address rate limit) never
//! show what they caught, moderation and console replies need `Moderate`, the post's author
//! and the moderators are mailed, likes count one per visitor per day, and markup is shown
//! escaped.

use chrono::{Duration, Utc};
use shelfraiser::db::Db;
use shelfraiser::http::csrf::CsrfKey;
use shelfraiser::team::Role;

use crate::harness::*;
use crate::team_harness::*;

/// (form age in seconds, fields, body, expected status)
type SpamCase<'a> = (i64, Vec<(&'a str, &'a str)>, &'a str, &'a str);

const BACK: &str = "/2024/06/28/hello/";

/// A member with one site-wide role (or none) and a session.
async fn member(db: &Db, name: &str, role: Option<Role>) -> Who {
    let m = team_member(name);
    match role {
        Some(role) => m.role(role),
        None => m,
    }
    .signed_in(db)
    .await
}

/// A published article by `author_id`, inserted directly (the writing side may not exist).
async fn seed_post(db: &Db, slug: &str, author_id: Option<&str>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let published = now - Duration::hours(1);
    let sql = "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, \
               comment_status, published_at, created_at, updated_at) \
               VALUES ($1, 'article', 'published', $2, $3, 'Body', '', $4, 'open', $5, $6, $6)";
    match db {
        Db::Sqlite(p) => sqlx::query(sql)
            .bind(&id)
            .bind(slug)
            .bind(format!("Post {slug}"))
            .bind(author_id)
            .bind(published)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql)
            .bind(&id)
            .bind(slug)
            .bind(format!("Post {slug}"))
            .bind(author_id)
            .bind(published)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .expect("insert post");
    id
}

async fn set_setting(db: &Db, key: &str, value: &str) {
    let sql = "INSERT INTO settings (key, value) VALUES ($1, $2) \
               ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    match db {
        Db::Sqlite(p) => sqlx::query(sql)
            .bind(key)
            .bind(value)
            .execute(p)
            .await
            .map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql)
            .bind(key)
            .bind(value)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .expect("setting");
}

/// A public form token made `age` seconds ago (as if the form had been open that long).
async fn token(db: &Db, age: i64) -> String {
    let key = db.setting("csrf_key").await.expect("db").expect("csrf key");
    CsrfKey::new(&key).token(Utc::now() - Duration::seconds(age))
}

async fn scalar_str(db: &Db, sql: &str) -> Option<String> {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_optional(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_optional(p).await,
    }
    .expect("query")
}

async fn status_of(db: &Db, body: &str) -> String {
    scalar_str(
        db,
        &format!(
            "SELECT status FROM comments WHERE body = '{}'",
            body.replace('\'', "''")
        ),
    )
    .await
    .unwrap_or_else(|| panic!("no comment {body:?}"))
}

async fn id_of(db: &Db, body: &str) -> String {
    scalar_str(
        db,
        &format!("SELECT id FROM comments WHERE body = '{body}'"),
    )
    .await
    .expect("comment id")
}

async fn parent_of(db: &Db, id: &str) -> Option<String> {
    scalar_str(
        db,
        &format!("SELECT parent_id FROM comments WHERE id = '{id}' AND parent_id IS NOT NULL"),
    )
    .await
}

/// Posts the public comment form with a token `age` seconds old.
async fn comment(
    app: &TestApp,
    post_id: &str,
    age: i64,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    let t = token(&app.db, age).await;
    let mut form: Vec<(&str, &str)> = vec![("post_id", post_id), ("back", BACK), ("csrf", &t)];
    form.extend_from_slice(fields);
    let mut req = app.client.post(app.url("/comments")).form(&form);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("sr_session={c}"));
    }
    req.send().await.expect("POST /comments")
}

async fn guest(app: &TestApp, post_id: &str, name: &str, body: &str) -> reqwest::Response {
    comment(
        app,
        post_id,
        10,
        &[
            ("name", name),
            ("email", &format!("{}@example.net", name.to_lowercase())),
            ("url", ""),
            ("body", body),
            ("website", ""),
        ],
        None,
    )
    .await
}

async fn thread(app: &TestApp, post_id: &str) -> String {
    let res = app.get(&format!("/posts/{post_id}/comments")).await;
    assert_eq!(res.status().as_u16(), 200);
    res.text().await.expect("body")
}

async fn console_csrf(app: &TestApp, who: &Who) -> String {
    who.csrf(app, "/admin/comments").await
}

/// Marks a guest's address confirmed, as following the mailed link does.
async fn confirm_address(db: &Db, email: &str) {
    use shelfraiser::blog::commenters;
    let key = db
        .setting_or_init(commenters::KEY_SETTING, shelfraiser::db::random_secret)
        .await
        .expect("key");
    commenters::mark_confirmed(db, &commenters::email_hash(&key, email), Utc::now())
        .await
        .expect("confirm");
}

async fn outbox(db: &Db, to: &str) -> Vec<String> {
    let sql = "SELECT subject FROM outbox WHERE to_addr = $1 ORDER BY created_at";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).bind(to).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(to).fetch_all(p).await,
    }
    .expect("outbox")
}

#[tokio::test]
async fn comments_held_approved_returning_threaded_and_escaped() {
    each_backend(|tdb| async move {
        let author = member(&tdb.db, "author", Some(Role::Editor)).await;
        let editor = member(&tdb.db, "editor", Some(Role::Editor)).await;
        let post = seed_post(&tdb.db, "hello", Some(&author.member.id)).await;
        let app = TestApp::start(settings(&tdb)).await;
        set_setting(&app.db, "comment_rate_limit", "1000").await;

        // A first-time guest is held: a normal answer, stored pending, not shown.
        let res = guest(&app, &post, "Ada", "First <b>words</b>").await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            res.text()
                .await
                .expect("b")
                .contains("waiting for moderation")
        );
        assert_eq!(status_of(&app.db, "First <b>words</b>").await, "pending");
        assert!(!thread(&app, &post).await.contains("First"));
        // The author hears of it, and so do the moderators (it is held).
        let to_author = outbox(&app.db, &author.member.email).await;
        assert_eq!(to_author.len(), 1, "{to_author:?}");
        assert!(to_author[0].contains("Post hello"));
        assert_eq!(outbox(&app.db, &editor.member.email).await.len(), 1);

        // The editor approves it from the console; then it is shown, escaped.
        let id = id_of(&app.db, "First <b>words</b>").await;
        let t = console_csrf(&app, &editor).await;
        let res = editor
            .post(
                &app,
                &format!("/admin/comments/{id}/moderate"),
                &[("csrf", &t), ("action", "approve"), ("from", "pending")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(status_of(&app.db, "First <b>words</b>").await, "approved");
        let html = thread(&app, &post).await;
        assert!(html.contains("First &lt;b&gt;words&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>words</b>"));
        assert!(html.contains("1 comment"));
        let audited = scalar_str(
            &app.db,
            "SELECT detail FROM audit_log WHERE action = 'comment.moderated'",
        )
        .await;
        assert_eq!(audited.as_deref(), Some("pending → approved"));

        // Returning, with the address confirmed (tests/it/security_money.rs follows the mailed
        // link; here it is marked directly): straight through, back to the post at the comment.
        confirm_address(&app.db, "ada@example.net").await;
        let res = guest(&app, &post, "Ada", "Second, see https://example.org/x").await;
        assert_eq!(res.status().as_u16(), 303);
        let second = id_of(&app.db, "Second, see https://example.org/x").await;
        assert_eq!(location(&res), format!("{BACK}#comment-{second}"));
        let html = thread(&app, &post).await;
        assert!(html.contains("<a href=\"https://example.org/x\" rel=\"nofollow ugc noopener\">"));

        // Threads: level 1 ← 2 ← 3; a reply to level 3 attaches at level 3 (to level 2).
        let reply = |parent: String, body: &'static str| {
            let app = &app;
            let post = post.clone();
            async move {
                comment(
                    app,
                    &post,
                    10,
                    &[
                        ("name", "Ada"),
                        ("email", "ada@example.net"),
                        ("body", body),
                        ("parent_id", &parent),
                    ],
                    None,
                )
                .await
            }
        };
        assert_eq!(reply(id.clone(), "level two").await.status().as_u16(), 303);
        let l2 = id_of(&app.db, "level two").await;
        assert_eq!(
            reply(l2.clone(), "level three").await.status().as_u16(),
            303
        );
        let l3 = id_of(&app.db, "level three").await;
        assert_eq!(parent_of(&app.db, &l3).await.as_deref(), Some(l2.as_str()));
        assert_eq!(
            reply(l3.clone(), "level four?").await.status().as_u16(),
            303
        );
        let l4 = id_of(&app.db, "level four?").await;
        assert_eq!(parent_of(&app.db, &l4).await.as_deref(), Some(l2.as_str()));
        let html = thread(&app, &post).await;
        assert_eq!(html.matches("<ol class=\"replies\">").count(), 2, "{html}");
        // A reply to a comment that is not approved is refused.
        let held_id = {
            guest(&app, &post, "Newcomer", "held one").await;
            id_of(&app.db, "held one").await
        };
        assert_eq!(reply(held_id, "sneaky").await.status().as_u16(), 422);

        // Refused input: fields marked, 422, nothing stored; markup echoed escaped.
        let before = count(&app.db, "comments").await;
        let res = comment(
            &app,
            &post,
            10,
            &[
                ("name", "<script>x</script>"),
                ("email", "not an address"),
                ("url", "javascript:alert(1)"),
                ("body", ""),
            ],
            None,
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("b");
        assert_eq!(html.matches("aria-invalid=\"true\"").count(), 3, "{html}");
        assert!(
            html.contains("&#60;script&#62;x&#60;/script&#62;")
                || html.contains("&lt;script&gt;x&lt;/script&gt;")
        );
        assert!(!html.contains("<script>x"));
        // A forged token is refused the same way.
        let res = app
            .post_form(
                "/comments",
                &[
                    ("post_id", post.as_str()),
                    ("csrf", "1.abc"),
                    ("name", "Ada"),
                    ("email", "ada@example.net"),
                    ("body", "forged"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(count(&app.db, "comments").await, before);

        // A signed-in member comments under their own name, straight through.
        let res = comment(
            &app,
            &post,
            0,
            &[("body", "from the team")],
            Some(&editor.token),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(status_of(&app.db, "from the team").await, "approved");
        assert!(thread(&app, &post).await.contains("editor tester"));

        // The post page itself carries the section.
        let path = format!(
            "/{}/hello/",
            (Utc::now() - Duration::hours(1)).format("%Y/%m/%d")
        );
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let html = res.text().await.expect("b");
        assert!(html.contains("id=\"comments\"") && html.contains("from the team"));
        assert!(html.contains(&format!("action=\"/posts/{post}/like\"")));

        // The dashboard counts what waits.
        let dash = editor.get(&app, "/admin").await.text().await.expect("b");
        assert!(dash.contains("1 item waits for moderation"), "{dash}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn spam_defences_hold_or_hide_and_rate_limit() {
    each_backend(|tdb| async move {
        let editor = member(&tdb.db, "editor", Some(Role::Editor)).await;
        let post = seed_post(&tdb.db, "hello", None).await;
        let app = TestApp::start(settings(&tdb)).await;

        // The editor sets the block list in the console.
        let t = console_csrf(&app, &editor).await;
        let res = editor
            .post(
                &app,
                "/admin/comments/blocklist",
                &[("csrf", &t), ("blocklist", "cheap pills\nspam.example\n")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);

        let base = |body: &'static str| {
            vec![
                ("name", "Bot"),
                ("email", "bot@example.net"),
                ("url", ""),
                ("body", body),
            ]
        };
        let cases: Vec<SpamCase> = vec![
            (
                10,
                [base("honeypot"), vec![("website", "x")]].concat(),
                "honeypot",
                "spam",
            ),
            (0, base("too fast"), "too fast", "spam"),
            (
                10,
                base("links http://a.example http://b.example http://c.example"),
                "links http://a.example http://b.example http://c.example",
                "pending",
            ),
            (
                10,
                base("buy CHEAP PILLS now"),
                "buy CHEAP PILLS now",
                "spam",
            ),
        ];
        for (age, fields, body, expect) in &cases {
            let res = comment(&app, &post, *age, fields, None).await;
            assert_eq!(res.status().as_u16(), 200, "{body}");
            assert!(
                res.text()
                    .await
                    .expect("b")
                    .contains("waiting for moderation"),
                "{body}: same answer as held"
            );
            assert_eq!(status_of(&app.db, body).await, *expect, "{body}");
        }
        let html = thread(&app, &post).await;
        assert!(!html.contains("honeypot") && !html.contains("PILLS"));
        // The honeypot is hidden from people and assistive technology.
        assert!(html.contains("class=\"hp\" aria-hidden=\"true\""));
        assert!(html.contains("name=\"website\" type=\"text\" tabindex=\"-1\""));

        // Rate limit: 5 stored per address in 10 minutes; the 6th is refused, not stored.
        assert_eq!(
            guest(&app, &post, "Five", "fifth").await.status().as_u16(),
            200
        );
        let before = count(&app.db, "comments").await;
        let res = guest(&app, &post, "Six", "sixth").await;
        assert_eq!(res.status().as_u16(), 429);
        assert_eq!(count(&app.db, "comments").await, before);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn moderation_needs_the_permission_and_replies_from_the_console() {
    each_backend(|tdb| async move {
        let editor = member(&tdb.db, "editor", Some(Role::Editor)).await;
        let treasurer = member(&tdb.db, "treasurer", Some(Role::Treasurer)).await;
        let plain = member(&tdb.db, "plain", Some(Role::Member)).await;
        let post = seed_post(&tdb.db, "hello", Some(&plain.member.id)).await;
        let app = TestApp::start(settings(&tdb)).await;
        guest(&app, &post, "Ada", "please moderate me").await;
        let id = id_of(&app.db, "please moderate me").await;
        let t = console_csrf(&app, &editor).await;

        for who in [&treasurer, &plain] {
            assert_eq!(
                who.get(&app, "/admin/comments").await.status().as_u16(),
                403
            );
            let res = who
                .post(
                    &app,
                    &format!("/admin/comments/{id}/moderate"),
                    &[("csrf", &t), ("action", "approve")],
                )
                .await;
            assert_eq!(res.status().as_u16(), 403);
            let res = who
                .post(
                    &app,
                    &format!("/admin/comments/{id}/reply"),
                    &[("csrf", &t), ("body", "no")],
                )
                .await;
            assert_eq!(res.status().as_u16(), 403);
        }
        assert_eq!(status_of(&app.db, "please moderate me").await, "pending");

        // The queue lists it; a stale token changes nothing.
        let queue = editor
            .get(&app, "/admin/comments")
            .await
            .text()
            .await
            .expect("b");
        assert!(queue.contains("please moderate me"));
        let res = editor
            .post(
                &app,
                &format!("/admin/comments/{id}/moderate"),
                &[("csrf", "1.00"), ("action", "spam")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(status_of(&app.db, "please moderate me").await, "pending");

        // spam → restore (pending) → trash, each audited.
        for (action, expect) in [("spam", "spam"), ("restore", "pending"), ("trash", "trash")] {
            let res = editor
                .post(
                    &app,
                    &format!("/admin/comments/{id}/moderate"),
                    &[("csrf", &t), ("action", action), ("from", "pending")],
                )
                .await;
            assert_eq!(res.status().as_u16(), 303, "{action}");
            assert_eq!(status_of(&app.db, "please moderate me").await, expect);
        }
        let trash = editor
            .get(&app, "/admin/comments?status=trash")
            .await
            .text()
            .await
            .expect("b");
        assert!(trash.contains("please moderate me"));
        assert_eq!(
            scalar_str(
                &app.db,
                "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'comment.moderated'"
            )
            .await
            .as_deref(),
            Some("3")
        );

        // A console reply to a held comment approves it and is published as a child.
        guest(&app, &post, "Bea", "a question").await;
        let q = id_of(&app.db, "a question").await;
        let res = editor
            .post(
                &app,
                &format!("/admin/comments/{q}/reply"),
                &[("csrf", &t), ("body", "an answer"), ("from", "pending")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(status_of(&app.db, "a question").await, "approved");
        assert_eq!(status_of(&app.db, "an answer").await, "approved");
        let a = id_of(&app.db, "an answer").await;
        assert_eq!(parent_of(&app.db, &a).await.as_deref(), Some(q.as_str()));
        let html = thread(&app, &post).await;
        assert!(html.contains("an answer") && html.contains("editor tester"));
        // The post's author (a plain member) was told about the comments on their post.
        assert_eq!(outbox(&app.db, &plain.member.email).await.len(), 2);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn likes_count_one_per_visitor_per_day_without_cookies() {
    each_backend(|tdb| async move {
        let post = seed_post(&tdb.db, "hello", None).await;
        let app = TestApp::start(settings(&tdb)).await;
        let like = |ua: &'static str| {
            let app = &app;
            let post = post.clone();
            async move {
                let t = token(&app.db, 5).await;
                app.client
                    .post(app.url(&format!("/posts/{post}/like")))
                    .header("user-agent", ua)
                    .form(&[("csrf", t.as_str()), ("back", BACK)])
                    .send()
                    .await
                    .expect("like")
            }
        };
        assert!(
            thread(&app, &post)
                .await
                .contains("Be the first to like this")
        );
        let res = like("Browser A").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("{BACK}#likes"));
        assert!(res.headers().get("set-cookie").is_none());
        like("Browser A").await;
        assert_eq!(count(&app.db, "likes").await, 1);
        assert!(thread(&app, &post).await.contains("1 person likes this"));
        // Another User-Agent from the same address is the same visitor (per address).
        like("Browser B").await;
        assert_eq!(count(&app.db, "likes").await, 1);
        assert!(thread(&app, &post).await.contains("1 person likes this"));
        // No raw address or agent is stored, only the salted hash.
        let h = scalar_str(&app.db, "SELECT visitor_hash FROM likes LIMIT 1")
            .await
            .expect("hash");
        assert_eq!(h.len(), 64);
        // Without a valid token nothing is counted.
        let res = app
            .post_form(&format!("/posts/{post}/like"), &[("csrf", "1.00")])
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(count(&app.db, "likes").await, 1);
        app.stop().await;
    })
    .await;
}
