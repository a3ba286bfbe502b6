//! Comment moderation niceties on both backends: the console says what was done to whose
//! comment, a website with markup or another scheme is told exactly that, and "E-mail me
//! replies" sends one e-mail per approved reply (guests once their address is confirmed) with
//! an unsubscribe link that works without signing in.

use chrono::{Duration, Utc};
use shelfraiser::db::Db;
use shelfraiser::http::csrf::CsrfKey;
use shelfraiser::team::Role;

use crate::harness::*;
use crate::treasurer::signed_in;

const BACK: &str = "/2024/06/28/hello/";

async fn seed_post(db: &Db) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let sql = "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, \
               comment_status, published_at, created_at, updated_at) \
               VALUES ($1, 'article', 'published', 'hello', 'Post hello', 'Body', '', NULL, \
               'open', $2, $3, $3)";
    match db {
        Db::Sqlite(p) => sqlx::query(sql)
            .bind(&id)
            .bind(now - Duration::hours(1))
            .bind(now)
            .execute(p)
            .await
            .map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql)
            .bind(&id)
            .bind(now - Duration::hours(1))
            .bind(now)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .expect("insert post");
    exec(
        db,
        "INSERT INTO settings (key, value) VALUES ('comment_rate_limit', '1000')",
    )
    .await;
    id
}

/// Posts the public comment form (a form opened 10 s ago); `cookie` signs in a member.
async fn comment(
    app: &TestApp,
    post: &str,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    let key = app.db.setting("csrf_key").await.expect("db").expect("key");
    let t = CsrfKey::new(&key).token(Utc::now() - Duration::seconds(10));
    let mut form: Vec<(&str, &str)> = vec![("post_id", post), ("back", BACK), ("csrf", &t)];
    form.extend_from_slice(fields);
    let mut req = app.client.post(app.url("/comments")).form(&form);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("sr_session={c}"));
    }
    req.send().await.expect("POST /comments")
}

/// A guest's comment as `name` (`name@example.net`), optionally asking for replies.
async fn guest(app: &TestApp, post: &str, name: &str, body: &str, parent: &str, notify: bool) {
    let email = format!("{}@example.net", name.to_lowercase());
    let mut f = vec![
        ("name", name),
        ("email", &email),
        ("body", body),
        ("parent_id", parent),
    ];
    if notify {
        f.push(("notify_replies", "yes"));
    }
    let status = comment(app, post, &f, None).await.status().as_u16();
    assert!(status == 200 || status == 303, "{body}: {status}");
}

async fn id_of(db: &Db, body: &str) -> String {
    let sql = "SELECT id FROM comments WHERE body = $1";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).bind(body).fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(body).fetch_one(p).await,
    }
    .expect("comment id")
}

/// The text parts of the "New reply" e-mails to `to`, oldest first.
async fn reply_mails(db: &Db, to: &str) -> Vec<String> {
    let sql = "SELECT text_body FROM outbox WHERE to_addr = $1 AND subject LIKE 'New reply%' \
               ORDER BY created_at";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).bind(to).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(to).fetch_all(p).await,
    }
    .expect("outbox")
}

async fn moderate(app: &TestApp, token: &str, id: &str, action: &str) -> reqwest::Response {
    let csrf = bound_csrf(app, "/admin/comments", token).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("action", action),
        ("from", "pending"),
    ];
    post_as(app, &format!("/admin/comments/{id}/moderate"), token, &form).await
}

async fn console_reply(app: &TestApp, token: &str, id: &str, body: &str) {
    let csrf = bound_csrf(app, "/admin/comments", token).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("from", "approved"),
        ("body", body),
    ];
    let res = post_as(app, &format!("/admin/comments/{id}/reply"), token, &form).await;
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn moderation_confirms_and_the_website_field_says_what_is_wrong() {
    each_backend(|tdb| async move {
        let editor = signed_in(&tdb.db, "editor", "UTC", Role::Editor).await;
        let post = seed_post(&tdb.db).await;
        let app = TestApp::start(settings(&tdb)).await;
        guest(&app, &post, "Ada", "Held words", "", false).await;
        let id = id_of(&app.db, "Held words").await;
        for (action, said) in [
            ("spam", "Marked the comment by Ada on “Post hello” as spam."),
            ("restore", "Restored the comment by Ada on “Post hello”"),
            ("approve", "Approved the comment by Ada on “Post hello”."),
            (
                "trash",
                "Moved the comment by Ada on “Post hello” to the trash.",
            ),
        ] {
            let res = moderate(&app, &editor, &id, action).await;
            assert_eq!(res.status().as_u16(), 303);
            let to = location(&res);
            assert!(to.contains(&format!("done={action}")), "{to}");
            let html = page_as(&app, &to, &editor).await;
            assert!(html.contains(said), "{action}: {html}");
            assert!(html.contains("class=\"ok\" role=\"status\""), "{action}");
        }
        let html = page_as(&app, "/admin/comments?status=trash", &editor).await;
        assert!(
            !html.contains("the comment by"),
            "no confirmation without an action"
        );

        for (url, said) in [
            (
                "<a href=\"https://ada.example\">Ada</a>",
                "without HTML or other markup",
            ),
            (
                "[my site](https://ada.example)",
                "without HTML or other markup",
            ),
            ("javascript:alert(1)", "can be given, not javascript:"),
            ("ftp://ada.example", "can be given, not ftp:"),
            ("ada.example", "Start the web address with"),
            ("https://ada example", "no spaces, quotes or backslashes"),
        ] {
            let f = [
                ("name", "Ada"),
                ("email", "ada@example.net"),
                ("url", url),
                ("body", "With a site"),
            ];
            let res = comment(&app, &post, &f, None).await;
            assert_eq!(res.status().as_u16(), 422, "{url}");
            let html = res.text().await.expect("body");
            assert!(html.contains("id=\"c-url-err\""), "{url}");
            assert!(html.contains(said), "{url}: {html}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn replies_are_mailed_once_each_to_those_who_asked_until_they_stop() {
    each_backend(|tdb| async move {
        let editor = signed_in(&tdb.db, "editor", "UTC", Role::Editor).await;
        let post = seed_post(&tdb.db).await;
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let ada = "ada@example.net";

        // Ada asks for replies; her comment is held, then approved.
        guest(&app, &post, "Ada", "Ada's question", "", true).await;
        let question = id_of(db, "Ada's question").await;
        moderate(&app, &editor, &question, "approve").await;
        // Not confirmed yet: a reply mails nothing.
        console_reply(&app, &editor, &question, "First answer").await;
        assert!(reply_mails(db, ada).await.is_empty());

        // Confirmed: each approved reply is one e-mail, with an unsubscribe link.
        let key = db
            .setting_or_init(
                shelfraiser::blog::commenters::KEY_SETTING,
                shelfraiser::db::random_secret,
            )
            .await
            .expect("key");
        let hash = shelfraiser::blog::commenters::email_hash(&key, ada);
        shelfraiser::blog::commenters::mark_confirmed(db, &hash, Utc::now())
            .await
            .expect("confirm");
        console_reply(&app, &editor, &question, "Second answer").await;
        let mails = reply_mails(db, ada).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert!(mails[0].contains("Second answer") && mails[0].contains("Post hello"));
        let second = id_of(db, "Second answer").await;
        assert!(
            mails[0].contains(&format!("/hello/#comment-{second}")),
            "{}",
            mails[0]
        );
        // A guest's held reply: mailed when approved, once, however often approved.
        guest(&app, &post, "Bob", "Bob's answer", &question, false).await;
        assert_eq!(reply_mails(db, ada).await.len(), 1, "held: nothing yet");
        let bob = id_of(db, "Bob's answer").await;
        moderate(&app, &editor, &bob, "approve").await;
        assert_eq!(reply_mails(db, ada).await.len(), 2);
        moderate(&app, &editor, &bob, "spam").await;
        moderate(&app, &editor, &bob, "approve").await;
        assert_eq!(reply_mails(db, ada).await.len(), 2, "one e-mail per reply");
        // Her own reply mails her nothing.
        guest(&app, &post, "Ada", "Ada thanks them", &question, false).await;
        assert_eq!(reply_mails(db, ada).await.len(), 2);

        // A member who asks hears at their account address.
        let f = [("body", "Editor's note"), ("notify_replies", "yes")];
        assert_eq!(
            comment(&app, &post, &f, Some(&editor))
                .await
                .status()
                .as_u16(),
            303
        );
        let note = id_of(db, "Editor's note").await;
        guest(&app, &post, "Ada", "Ada on the note", &note, false).await;
        assert_eq!(reply_mails(db, "editor@example.org").await.len(), 1);

        // The unsubscribe link: a page with a button, then no more mail.
        let text = &reply_mails(db, ada).await[0];
        let link = text
            .lines()
            .find(|l| l.contains("/comments/unsubscribe?t="))
            .expect("unsubscribe link");
        let path = &link[link.find("/comments/").expect("path")..];
        let res = app.get(path).await;
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.expect("body");
        let (csrf, t) = (
            hidden_value(&html, "csrf").expect("csrf"),
            hidden_value(&html, "t").expect("t"),
        );
        let res = app
            .post_form("/comments/unsubscribe", &[("csrf", &csrf), ("t", &t)])
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.expect("b").contains("no more e-mails"));
        console_reply(&app, &editor, &question, "Third answer").await;
        assert_eq!(reply_mails(db, ada).await.len(), 2, "unsubscribed");
        let forged = format!("{question}.00ff");
        let res = app.get(&format!("/comments/unsubscribe?t={forged}")).await;
        assert_eq!(res.status().as_u16(), 400);
        app.stop().await;
    })
    .await;
}
