//! Members as contributors, over real HTTP on both backends: a `member` writes drafts of
//! their own and submits them for review (audited, the editors e-mailed); they may not
//! publish, schedule, make private, pin, nor touch another's post or one that an editor has
//! published (403 with the reason); editors see what waits for review and publish it; the
//! API follows the same rules. Also: the post editor reads times in the signed-in member's
//! own zone, whoever wrote the post.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use shelfraiser::blog::write::{self, PostStatus};
use shelfraiser::db::Db;
use shelfraiser::email::Email;
use shelfraiser::on_db;
use shelfraiser::team::audit::{self, Actor};
use shelfraiser::team::{Role, repo as team_repo, session};

use crate::harness::*;

/// A signed-in member.
pub struct Who {
    pub id: String,
    pub token: String,
}

/// An active member `{name}@example.org` holding `role` (on the site, or one campaign id),
/// signed in.
pub async fn member(db: &Db, name: &str, zone: &str, role: Role, scope: Option<&str>) -> Who {
    let m = team_repo::create(
        db,
        &team_repo::NewMember {
            email: Email::parse(&format!("{name}@example.org")).expect("email"),
            display_name: format!("{name} tester"),
            time_zone: zone.into(),
            languages: "en".into(),
            status: shelfraiser::team::MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    team_repo::add_grant(db, &m.id, role, scope)
        .await
        .expect("grant");
    let token = session::create(db, &m.id, false, None, None)
        .await
        .expect("session");
    Who { id: m.id, token }
}

/// GET `path` as `who`: status and body.
pub async fn page(app: &TestApp, who: &Who, path: &str) -> (u16, String) {
    let res = get_as(app, path, &who.token).await;
    let st = res.status().as_u16();
    (st, res.text().await.expect("body"))
}

/// The bound CSRF token of the forms on `path`.
pub async fn csrf(app: &TestApp, who: &Who, path: &str) -> String {
    let (st, html) = page(app, who, path).await;
    assert_eq!(st, 200, "GET {path}");
    hidden_value(&html, "csrf").expect("csrf")
}

/// Posts the post editor's multipart form to `path` as `who`.
pub async fn send_editor(
    app: &TestApp,
    who: &Who,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let boundary = format!("----review-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    app.client
        .post(app.url(path))
        .header("cookie", format!("sr_session={}", who.token))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST")
}

/// The post id of an editor redirect (`/admin/posts/{id}?saved=…`).
pub fn post_id(res: &reqwest::Response) -> String {
    let loc = location(res);
    let rest = loc.strip_prefix("/admin/posts/").expect("editor redirect");
    rest.split('?').next().expect("id").to_string()
}

async fn status_of(db: &Db, id: &str) -> PostStatus {
    write::by_id(db, id)
        .await
        .expect("db")
        .expect("post")
        .status
}

/// Outbox rows to `to`: (subject, text).
async fn mails_to(db: &Db, to: &str) -> Vec<(String, String)> {
    on_db!(db, |p| sqlx::query_as(
        "SELECT subject, text_body FROM outbox WHERE to_addr = $1 ORDER BY created_at"
    )
    .bind(to)
    .fetch_all(p)
    .await
    .expect("outbox"))
}

/// Waits (up to 15 s) for `n` mails to `to`.
async fn wait_mails(db: &Db, to: &str, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows = mails_to(db, to).await;
        if rows.len() >= n {
            return rows;
        }
        assert!(Instant::now() < deadline, "{n} mail(s) to {to}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A 403 page whose message names the reason.
async fn assert_refused(res: reqwest::Response, says: &str, what: &str) {
    assert_eq!(res.status().as_u16(), 403, "{what}");
    let html = res.text().await.expect("body");
    assert!(html.contains(says), "{what}: {html}");
}

const DRAFT: [(&str, &str); 4] = [
    ("kind", "article"),
    ("title", "Reading corner"),
    ("body", "We built a reading corner."),
    ("campaign", ""),
];

fn with<'a>(base: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = base.to_vec();
    v.extend_from_slice(more);
    v
}

#[tokio::test]
async fn members_write_drafts_submit_them_and_editors_publish() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let wren = member(db, "wren", "Europe/Copenhagen", Role::Member, None).await;
        let other = member(db, "other", "UTC", Role::Member, None).await;
        let ed = member(db, "ed", "America/New_York", Role::Editor, None).await;
        member(db, "owner", "UTC", Role::Owner, None).await;
        let tess = member(db, "tess", "UTC", Role::Treasurer, None).await;

        // The member's editor: "Save draft" and "Submit for review", no status, time or
        // sticky fields; the posts link is in their console navigation.
        let (st, html) = page(&app, &wren, "/admin/posts/new").await;
        assert_eq!(st, 200);
        assert!(html.contains("name=\"action\" value=\"draft\"") && html.contains("Save draft"));
        assert!(
            html.contains("name=\"action\" value=\"submit\"") && html.contains("Submit for review")
        );
        for absent in [
            "value=\"publish\"",
            "id=\"status\"",
            "id=\"publish_at\"",
            "name=\"sticky\"",
        ] {
            assert!(!html.contains(absent), "{absent} in a member's editor");
        }
        assert!(html.contains("href=\"/admin/posts\""));
        assert_eq!(page(&app, &tess, "/admin/posts").await.0, 403);

        // A draft.
        let token = csrf(&app, &wren, "/admin/posts/new").await;
        let res = send_editor(
            &app,
            &wren,
            "/admin/posts/new",
            &with(&DRAFT, &[("csrf", &token), ("action", "draft")]),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let id = post_id(&res);
        let p = write::by_id(db, &id).await.expect("db").expect("post");
        assert_eq!(
            (p.status, p.author_id.as_deref()),
            (PostStatus::Draft, Some(wren.id.as_str()))
        );
        let path = format!("/admin/posts/{id}");

        // Publishing, scheduling or pinning is an editor's: 403 with the reason, unchanged.
        let refusals: [&[(&str, &str)]; 4] = [
            &[("action", "publish")],
            &[("action", "save"), ("status", "published")],
            &[("action", "save"), ("status", "private")],
            &[
                ("action", "save"),
                ("status", "scheduled"),
                ("publish_at", "2031-01-15T09:00"),
            ],
        ];
        for extra in refusals {
            let res = send_editor(
                &app,
                &wren,
                &path,
                &with(&with(&DRAFT, &[("csrf", &token)]), extra),
            )
            .await;
            assert_refused(res, "Only an editor may publish", &format!("{extra:?}")).await;
            assert_eq!(status_of(db, &id).await, PostStatus::Draft, "{extra:?}");
        }
        let res = send_editor(
            &app,
            &wren,
            "/admin/posts/new",
            &with(&DRAFT, &[("csrf", &token), ("action", "publish")]),
        )
        .await;
        assert_refused(res, "Only an editor may publish", "a new post published").await;
        assert_eq!(count(db, "posts").await, 1);

        // Another member's draft is not theirs to open or change.
        let (st, html) = page(&app, &other, &path).await;
        assert_eq!(st, 403);
        assert!(
            html.contains("author or an editor may change this post"),
            "{html}"
        );
        let t2 = csrf(&app, &other, "/admin/posts/new").await;
        let res = send_editor(
            &app,
            &other,
            &path,
            &with(
                &DRAFT,
                &[("csrf", &t2), ("action", "draft"), ("title", "Mine now")],
            ),
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);
        assert_eq!(
            write::by_id(db, &id).await.expect("db").expect("p").title,
            "Reading corner"
        );
        // Their list shows their own posts only; an editor's shows everyone's.
        let (_, list) = page(&app, &other, "/admin/posts").await;
        assert!(!list.contains("Reading corner"));
        let (_, list) = page(&app, &wren, "/admin/posts").await;
        assert!(list.contains("Reading corner"));

        // Submit for review: pending, audited, the editors (not the member, not the
        // treasurer) e-mailed with a link to the post.
        let res = send_editor(
            &app,
            &wren,
            &path,
            &with(&DRAFT, &[("csrf", &token), ("action", "submit")]),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("{path}?saved=submitted"));
        assert_eq!(status_of(db, &id).await, PostStatus::Pending);
        let submitted = audit::list(db, Some("post.submitted"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(submitted.len(), 1);
        assert_eq!(
            (submitted[0].actor.as_str(), submitted[0].target.as_str()),
            ("wren@example.org", id.as_str())
        );
        for to in ["ed@example.org", "owner@example.org"] {
            let mails = wait_mails(db, to, 1).await;
            assert!(
                mails[0]
                    .0
                    .contains("wren tester submitted a post for review: Reading corner"),
                "{mails:?}"
            );
            assert!(
                mails[0]
                    .1
                    .contains(&format!("{}/admin/posts/{id}", app.base)),
                "{mails:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(mails_to(db, "wren@example.org").await.is_empty());
        assert!(mails_to(db, "tess@example.org").await.is_empty());
        let (_, html) = page(&app, &wren, &format!("{path}?saved=submitted")).await;
        assert!(html.contains("Submitted for review") && html.contains("waits for an editor"));
        // Still theirs to change while it waits; saving it again is no new submission.
        let res = send_editor(
            &app,
            &wren,
            &path,
            &with(
                &DRAFT,
                &[
                    ("csrf", &token),
                    ("action", "submit"),
                    ("body", "A reading corner, with cushions."),
                ],
            ),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            audit::list(db, Some("post.submitted"), None, 10, 0)
                .await
                .expect("audit")
                .len(),
            1
        );

        // The editor sees what waits, tagged, and publishes it ("Publish" is the first
        // button on a post that is not published).
        let (_, list) = page(&app, &ed, "/admin/posts").await;
        assert!(
            list.contains("1 post waits for review.")
                && list.contains("href=\"/admin/posts?status=pending\"")
        );
        assert!(list.contains("<span class=\"tag pending\">Pending review</span>"));
        assert!(list.contains("wren tester"));
        let (_, pending) = page(&app, &ed, "/admin/posts?status=pending").await;
        assert!(pending.contains("Reading corner"));
        let (st, html) = page(&app, &ed, &path).await;
        assert_eq!(st, 200);
        // (A hidden "Save draft" comes first, so that Enter in a field saves a draft.)
        let buttons = &html[html.find("class=\"buttons\"").expect("buttons")..];
        let shown = buttons
            .split("</button>")
            .find(|b| !b.contains(" hidden"))
            .expect("a shown button");
        assert!(
            shown.contains("value=\"publish\" class=\"cta\">Publish"),
            "{buttons}"
        );
        assert!(html.contains("waits for review: publish it"));
        let et = hidden_value(&html, "csrf").expect("csrf");
        let res = send_editor(
            &app,
            &ed,
            &path,
            &with(
                &DRAFT,
                &[
                    ("csrf", &et),
                    ("action", "publish"),
                    ("status", "pending"),
                    ("body", "A reading corner, with cushions."),
                ],
            ),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let p = write::by_id(db, &id).await.expect("db").expect("p");
        assert_eq!(
            (p.status, p.author_id.as_deref()),
            (PostStatus::Published, Some(wren.id.as_str()))
        );
        let (_, list) = page(&app, &ed, "/admin/posts").await;
        assert!(!list.contains("waits for review"));

        // Published: the member may no longer open or change it (it stays in their list,
        // not linked to the editor).
        let (st, html) = page(&app, &wren, &path).await;
        assert_eq!(st, 403);
        assert!(html.contains("no longer a draft"), "{html}");
        let res = send_editor(
            &app,
            &wren,
            &path,
            &with(
                &DRAFT,
                &[("csrf", &token), ("action", "draft"), ("title", "Changed")],
            ),
        )
        .await;
        assert_refused(res, "no longer a draft", "editing a published post").await;
        let p = write::by_id(db, &id).await.expect("db").expect("p");
        assert_eq!(
            (p.status, p.title.as_str()),
            (PostStatus::Published, "Reading corner")
        );
        let (_, list) = page(&app, &wren, "/admin/posts").await;
        assert!(list.contains("Reading corner") && !list.contains(&format!("href=\"{path}\"")));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_api_follows_the_same_rules() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let village = seed_campaign(db, "village").await;
        let other_c = seed_campaign(db, "other").await;
        let m = member(
            db,
            "apimember",
            "Europe/Copenhagen",
            Role::Member,
            Some(&village.id),
        )
        .await;
        let ed = member(db, "apieditor", "UTC", Role::Editor, None).await;
        let (_, token) = shelfraiser::team::tokens::create(db, &m.id, "t", &Actor::cli())
            .await
            .expect("token");
        let post = |body: serde_json::Value| {
            app.client
                .post(app.url("/api/v1/posts"))
                .header("authorization", format!("Bearer {token}"))
                .json(&body)
                .send()
        };
        let base =
            serde_json::json!({"title": "From a member", "body": "Hello", "campaign": "village"});
        let merged = |extra: serde_json::Value| {
            let mut b = base.clone();
            for (k, v) in extra.as_object().expect("object") {
                b[k] = v.clone();
            }
            b
        };
        // Drafts and submissions for review: 201.
        let res = post(base.clone()).await.expect("POST");
        assert_eq!(res.status().as_u16(), 201);
        let draft: serde_json::Value = res.json().await.expect("json");
        assert_eq!(draft["status"], "draft");
        let res = post(merged(serde_json::json!({"status": "pending"})))
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 201);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["status"], "pending");
        assert_eq!(
            audit::list(db, Some("post.submitted"), None, 10, 0)
                .await
                .expect("audit")
                .len(),
            1
        );
        wait_mails(db, "apieditor@example.org", 1).await;
        // Publishing, scheduling, private, pinned, another author, another campaign: 403.
        for (extra, code) in [
            (serde_json::json!({"publish": true}), "editors_publish"),
            (
                serde_json::json!({"at": "2031-01-15 09:00"}),
                "editors_publish",
            ),
            (serde_json::json!({"status": "private"}), "editors_publish"),
            (serde_json::json!({"sticky": true}), "editors_publish"),
            (
                serde_json::json!({"author": "apieditor@example.org"}),
                "not_your_post",
            ),
            (
                serde_json::json!({"campaign": other_c.slug.to_string()}),
                "forbidden",
            ),
            (serde_json::json!({"campaign": ""}), "forbidden"),
        ] {
            let res = post(merged(extra.clone())).await.expect("POST");
            assert_eq!(res.status().as_u16(), 403, "{extra}");
            let body: serde_json::Value = res.json().await.expect("json");
            assert_eq!(body["error"]["code"], code, "{extra}: {body}");
        }
        assert_eq!(count(db, "posts").await, 2);
        // Reading back: their own, yes; an editor's post, no.
        let get = |id: String| {
            app.client
                .get(app.url(&format!("/api/v1/posts/{id}")))
                .header("authorization", format!("Bearer {token}"))
                .send()
        };
        let res = get(draft["id"].as_str().expect("id").to_string())
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 200);
        let mut theirs = write::NewPost::draft(write::PostKind::Article, "Editor's", "x");
        theirs.author_id = Some(ed.id.clone());
        theirs.campaign_id = Some(village.id.clone());
        let theirs = write::create(db, &theirs, &Actor::cli())
            .await
            .expect("post");
        let res = get(theirs.id).await.expect("GET");
        assert_eq!(res.status().as_u16(), 403);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["error"]["code"], "not_your_post");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_editor_reads_times_in_the_signed_in_members_zone() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let wren = member(db, "wren", "Europe/Copenhagen", Role::Member, None).await;
        let ed = member(db, "ed", "America/New_York", Role::Editor, None).await;
        let token = csrf(&app, &wren, "/admin/posts/new").await;
        let res = send_editor(
            &app,
            &wren,
            "/admin/posts/new",
            &with(&DRAFT, &[("csrf", &token), ("action", "submit")]),
        )
        .await;
        let id = post_id(&res);
        let path = format!("/admin/posts/{id}");
        // The New York editor schedules the Copenhagen member's post for 09:00 on the
        // editor's clock: 14:00 UTC in January, and shown back as 09:00 with the editor's zone.
        let et = csrf(&app, &ed, &path).await;
        let res = send_editor(
            &app,
            &ed,
            &path,
            &with(
                &DRAFT,
                &[
                    ("csrf", &et),
                    ("action", "save"),
                    ("status", "scheduled"),
                    ("publish_at", "2031-01-15T09:00"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let p = write::by_id(db, &id).await.expect("db").expect("p");
        let want: DateTime<Utc> = "2031-01-15T14:00:00Z".parse().expect("t");
        assert_eq!(
            (p.status, p.published_at),
            (PostStatus::Scheduled, Some(want))
        );
        let (_, html) = page(&app, &ed, &path).await;
        assert!(
            html.contains("value=\"2031-01-15T09:00\""),
            "shown in the editor's zone"
        );
        assert!(html.contains("Your time zone: America/New_York"));
        app.stop().await;
    })
    .await;
}
