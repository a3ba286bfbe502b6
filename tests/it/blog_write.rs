//! Writing the blog over real HTTP on both backends: the console editor (session cookie +
//! bound CSRF token) creating, editing and publishing, a scheduled post typed in the author's
//! time zone that is not public before its time and is after `jobs::run_due(db, &shelfraiser::app::job_handlers(), later)`;
//! slug uniqueness and history; `shelfraiser post create`; `POST /api/v1/posts` with a token
//! (201, 422 per field, 403 for a campaign-scoped editor elsewhere).

use chrono::{DateTime, Duration, Utc};
use shelfraiser::blog::permalink::Permalinks;
use shelfraiser::blog::write::{self, NewPost, PostKind, PostStatus};
use shelfraiser::db::Db;
use shelfraiser::jobs;
use shelfraiser::team::Role;
use shelfraiser::team::audit::{self, Actor};

use crate::harness::*;
use crate::team_harness::*;

/// A member with one role (on one campaign, by slug, when `scope` is given) and a session.
async fn member(db: &Db, name: &str, zone: &str, role: Role, scope: Option<&str>) -> Who {
    let m = team_member(name).zone(zone);
    match scope {
        Some(slug) => m.role_on(role, slug),
        None => m.role(role),
    }
    .signed_in(db)
    .await
}

async fn page(app: &TestApp, who: &Who, path: &str) -> (u16, String) {
    let res = app
        .client
        .get(app.url(path))
        .header("cookie", format!("sr_session={}", who.token))
        .send()
        .await
        .expect("GET");
    let st = res.status().as_u16();
    (st, res.text().await.expect("body"))
}

fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = format!("----post-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn submit(
    app: &TestApp,
    who: &Who,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (ct, body) = multipart(fields);
    app.client
        .post(app.url(path))
        .header("cookie", format!("sr_session={}", who.token))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("POST")
}

async fn csrf(app: &TestApp, who: &Who, path: &str) -> String {
    let (st, html) = page(app, who, path).await;
    assert_eq!(st, 200, "GET {path}");
    hidden_value(&html, "csrf").expect("csrf")
}

fn id_of_location(res: &reqwest::Response) -> String {
    let loc = location(res);
    loc.trim_start_matches("/admin/posts/")
        .trim_end_matches("?saved=1")
        .to_string()
}

async fn history(db: &Db, post_id: &str) -> Vec<String> {
    let sql = "SELECT old_slug FROM post_slug_history WHERE post_id = $1 ORDER BY old_slug";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(post_id)
            .fetch_all(p)
            .await
            .expect("h"),
        Db::Postgres(p) => sqlx::query_scalar(sql)
            .bind(post_id)
            .fetch_all(p)
            .await
            .expect("h"),
    }
}

async fn actions(db: &Db, target: &str) -> Vec<String> {
    let mut v: Vec<String> = audit::list(db, None, None, 500, 0)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.target == target)
        .map(|e| e.action)
        .collect();
    v.reverse();
    v
}

#[tokio::test]
async fn console_creates_edits_and_publishes() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let ed = member(db, "editor", "Europe/Copenhagen", Role::Editor, None).await;
        let (st, list) = page(&app, &ed, "/admin/posts").await;
        assert_eq!(st, 200);
        assert!(list.contains("href=\"/admin/posts/new\""));
        let token = csrf(&app, &ed, "/admin/posts/new").await;
        let base = [
            ("kind", "article"),
            ("title", "Roof raised!"),
            ("body", "We did it.\n\n<!--more-->\n\nMore words."),
            ("status", "draft"),
            ("categories", "News, Building"),
            ("tags", "roof"),
            ("comments_open", "1"),
            ("campaign", ""),
        ];
        // Without the bound token nothing is stored.
        let mut f = base.to_vec();
        f.push(("csrf", "1.bad"));
        f.push(("action", "save"));
        let res = submit(&app, &ed, "/admin/posts/new", &f).await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(count(db, "posts").await, 0);
        // Preview renders without storing.
        let mut f = base.to_vec();
        f.push(("csrf", &token));
        f.push(("action", "preview"));
        let res = submit(&app, &ed, "/admin/posts/new", &f).await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.expect("b").contains("<p>We did it.</p>"));
        assert_eq!(count(db, "posts").await, 0);
        // A note with a title is refused, field marked.
        let res = submit(
            &app,
            &ed,
            "/admin/posts/new",
            &[
                ("kind", "note"),
                ("title", "No"),
                ("body", "x"),
                ("status", "draft"),
                ("csrf", &token),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("b").contains("id=\"title-err\""));
        // Save.
        let mut f = base.to_vec();
        f.push(("csrf", &token));
        f.push(("action", "save"));
        let res = submit(&app, &ed, "/admin/posts/new", &f).await;
        assert_eq!(res.status().as_u16(), 303);
        let id = id_of_location(&res);
        let p = write::by_id(db, &id).await.expect("db").expect("post");
        assert_eq!(
            (p.slug.as_str(), p.status.as_str()),
            ("roof-raised", "draft")
        );
        // The form sent no "mail_subscribers": published only, when its time comes.
        assert!(!p.mail_subscribers);
        let (_, form) = page(&app, &ed, &format!("/admin/posts/{id}")).await;
        assert!(
            form.contains("name=\"mail_subscribers\" value=\"1\">"),
            "unticked"
        );
        let (_, fresh) = page(&app, &ed, "/admin/posts/new").await;
        assert!(
            fresh.contains("name=\"mail_subscribers\" value=\"1\" checked>"),
            "a new post is mailed unless unticked"
        );
        assert_eq!(p.author_id.as_deref(), Some(ed.member.id.as_str()));
        let (cats, tags) = write::terms_of(db, &id).await.expect("terms");
        assert_eq!(
            (cats, tags),
            (
                vec!["Building".to_string(), "News".into()],
                vec!["roof".to_string()]
            )
        );
        // Edit: new slug (old one kept in the history), then publish.
        let path = format!("/admin/posts/{id}");
        let (st, html) = page(&app, &ed, &path).await;
        assert_eq!(st, 200);
        assert!(html.contains("value=\"roof-raised\""));
        let token = hidden_value(&html, "csrf").expect("csrf");
        let mut f = base.to_vec();
        f.push(("slug", "the-roof"));
        f.push(("csrf", &token));
        f.push(("action", "save"));
        assert_eq!(submit(&app, &ed, &path, &f).await.status().as_u16(), 303);
        assert_eq!(history(db, &id).await, vec!["roof-raised".to_string()]);
        let mut f = base.to_vec();
        f.push(("slug", "the-roof"));
        f.push(("csrf", &token));
        f.push(("action", "publish"));
        assert_eq!(submit(&app, &ed, &path, &f).await.status().as_u16(), 303);
        let p = write::by_id(db, &id).await.expect("db").expect("post");
        assert_eq!(p.status, PostStatus::Published);
        let public = write::permalink(&p, &Permalinks::default());
        assert!(public.ends_with("/the-roof/"), "{public}");
        assert_eq!(app.get(&public).await.status().as_u16(), 200, "{public}");
        assert_eq!(
            actions(db, &id).await,
            vec![
                "post.created",
                "post.updated",
                "post.updated",
                "post.published"
            ]
        );
        // Unpublish.
        let mut f = base.to_vec();
        f.push(("slug", "the-roof"));
        f.push(("csrf", &token));
        f.push(("action", "unpublish"));
        assert_eq!(submit(&app, &ed, &path, &f).await.status().as_u16(), 303);
        assert_eq!(
            write::by_id(db, &id).await.expect("db").expect("p").status,
            PostStatus::Draft
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn scheduled_in_the_authors_zone_publishes_by_job() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let ed = member(db, "scheduler", "America/New_York", Role::Owner, None).await;
        let token = csrf(&app, &ed, "/admin/posts/new").await;
        let res = submit(
            &app,
            &ed,
            "/admin/posts/new",
            &[
                ("kind", "article"),
                ("title", "Hashtag day"),
                ("body", "Tomorrow."),
                ("status", "scheduled"),
                ("publish_at", "2031-01-15T09:30"),
                ("csrf", &token),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let id = id_of_location(&res);
        let p = write::by_id(db, &id).await.expect("db").expect("p");
        let want: DateTime<Utc> = "2031-01-15T14:30:00Z".parse().expect("t");
        assert_eq!(
            (p.status.as_str(), p.published_at),
            ("scheduled", Some(want))
        );
        // The editor shows it back in the author's zone.
        let (_, html) = page(&app, &ed, &format!("/admin/posts/{id}")).await;
        assert!(html.contains("value=\"2031-01-15T09:30\""));
        assert!(html.contains("America/New_York"));
        let public = write::permalink(&p, &Permalinks::default());
        assert_eq!(app.get(&public).await.status().as_u16(), 404);
        assert_eq!(
            jobs::run_due(
                db,
                &shelfraiser::app::job_handlers(),
                want - Duration::minutes(1)
            )
            .await
            .expect("run"),
            0
        );
        // The publication, then the job that tells the fediverse of it.
        let out = shelfraiser::outbound::Outbound::new::<&str>(&[], &app.base).expect("outbound");
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            out,
            &app.base,
        );
        assert_eq!(
            jobs::run_due(db, &handlers, want + Duration::minutes(1))
                .await
                .expect("run"),
            2
        );
        let p = write::by_id(db, &id).await.expect("db").expect("p");
        assert_eq!(p.status, PostStatus::Published);
        // Its time is still in the future in real time: the reading side shows it only then.
        // Move the time back to see it public.
        exec(
            db,
            &format!(
                "UPDATE posts SET published_at = '2020-01-01T00:00:00+00:00' WHERE id = '{id}'"
            ),
        )
        .await;
        let p = write::by_id(db, &id).await.expect("db").expect("p");
        assert_eq!(
            app.get(&write::permalink(&p, &Permalinks::default()))
                .await
                .status()
                .as_u16(),
            200
        );
        assert!(
            actions(db, &id)
                .await
                .contains(&"post.published".to_string())
        );
        // A time that does not exist in the author's zone is refused.
        let res = submit(
            &app,
            &ed,
            "/admin/posts/new",
            &[
                ("kind", "note"),
                ("body", "Gap"),
                ("status", "scheduled"),
                ("publish_at", "2031-03-09T02:30"),
                ("csrf", &token),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn slugs_are_unique_and_remembered() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let who = Actor::cli();
        let mk = |t: &str| NewPost::draft(PostKind::Article, t, "Body");
        let a = write::create(db, &mk("Same title"), &who).await.expect("a");
        let b = write::create(db, &mk("Same title"), &who).await.expect("b");
        let c = write::create(db, &mk("Same  title!"), &who)
            .await
            .expect("c");
        assert_eq!(
            (a.slug.as_str(), b.slug.as_str(), c.slug.as_str()),
            ("same-title", "same-title-2", "same-title-3")
        );
        let note = write::create(
            db,
            &NewPost::draft(
                PostKind::Note,
                "",
                "Live from the hall: the doors are open now",
            ),
            &who,
        )
        .await
        .expect("note");
        assert_eq!(note.slug, "live-from-the-hall-the-doors");
        // Rename a → b's slug is taken → a gets a suffix; the old one is history.
        let mut u = mk("Same title");
        u.slug = Some("same-title-2".into());
        let a2 = write::update(db, &a.id, &u, &who).await.expect("update");
        assert_eq!(a2.slug, "same-title-2-2");
        assert_eq!(history(db, &a.id).await, vec!["same-title".to_string()]);
        // A new post does not take a slug that is in another post's history.
        let d = write::create(db, &mk("Same title"), &who).await.expect("d");
        assert_eq!(d.slug, "same-title-4");
        // Going back to an old slug of its own removes it from the history.
        u.slug = Some("same-title".into());
        let a3 = write::update(db, &a.id, &u, &who).await.expect("back");
        assert_eq!(a3.slug, "same-title");
        assert_eq!(history(db, &a.id).await, vec!["same-title-2-2".to_string()]);
        // Invalid input names its fields.
        let mut bad = mk("");
        bad.status = PostStatus::Scheduled;
        match write::create(db, &bad, &who).await {
            Err(write::WriteError::Invalid(f)) => {
                assert!(
                    f.contains(&("title", "required")) && f.contains(&("published_at", "required")),
                    "{f:?}"
                )
            }
            other => panic!("expected invalid, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn cli_post_create() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "village").await;
        member(db, "cliauthor", "Europe/Copenhagen", Role::Editor, None).await;
        let body = tdb.data_dir().join("post.md");
        std::fs::write(&body, "From a *script*.").expect("write");
        let mut args = storage_args(&tdb);
        let body_s = body.to_str().expect("utf8").to_string();
        args.extend(
            [
                "post",
                "create",
                "--kind",
                "article",
                "--title",
                "Script post",
                "--body-file",
                &body_s,
                "--campaign",
                "village",
                "--tag",
                "a",
                "--tag",
                "b",
                "--category",
                "News",
                "--author",
                "cliauthor@example.org",
                "--at",
                "2032-06-01 10:00",
                "--base-url",
                "https://give.example.org",
            ]
            .map(String::from),
        );
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cli_async(&tdb.data_dir(), &argv, &[]).await;
        assert!(out.ok(), "{out:?}");
        assert_eq!(
            out.stdout.trim(),
            "https://give.example.org/2032/06/01/script-post/"
        );
        let posts = write::list(db, None, None, 10).await.expect("list");
        let p = &posts[0];
        let want: DateTime<Utc> = "2032-06-01T08:00:00Z".parse().expect("t");
        assert_eq!(
            (p.status.as_str(), p.published_at),
            ("scheduled", Some(want))
        );
        assert!(p.campaign_id.is_some() && p.author_id.is_some());
        let (cats, tags) = write::terms_of(db, &p.id).await.expect("terms");
        assert_eq!((cats.len(), tags.len()), (1, 2));
        assert_eq!(count(db, "jobs").await, 1);
        // A page, published now.
        let mut args = storage_args(&tdb);
        args.extend(
            [
                "post",
                "create",
                "--kind",
                "page",
                "--title",
                "About",
                "--body-file",
                &body_s,
                "--publish",
            ]
            .map(String::from),
        );
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cli_async(&tdb.data_dir(), &argv, &[]).await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.trim().ends_with("/about/"), "{out:?}");
        // jobs run: the published post's announcement to the fediverse (no followers yet).
        let mut args = storage_args(&tdb);
        args.extend(["jobs", "run"].map(String::from));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cli_async(&tdb.data_dir(), &argv, &[]).await;
        assert!(out.ok() && out.stdout.contains("1 jobs run"), "{out:?}");
        let out = run_cli_async(&tdb.data_dir(), &argv, &[]).await;
        assert!(out.ok() && out.stdout.contains("0 jobs run"), "{out:?}");
        // Errors are one line.
        let mut args = storage_args(&tdb);
        args.extend(
            [
                "post",
                "create",
                "--kind",
                "note",
                "--title",
                "T",
                "--body-file",
                &body_s,
            ]
            .map(String::from),
        );
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = run_cli_async(&tdb.data_dir(), &argv, &[])
            .await
            .one_line_error();
        assert!(line.contains("title"), "{line}");
    })
    .await;
}

#[tokio::test]
async fn api_creates_with_a_token() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        seed_campaign(db, "village").await;
        let other = seed_campaign(db, "other").await;
        let ed = member(db, "apiwriter", "Europe/Copenhagen", Role::Editor, Some("village")).await;
        let (_, token) = shelfraiser::team::tokens::create(db, &ed.member.id, "test", &Actor::cli())
            .await
            .expect("token");
        let post = |body: serde_json::Value| {
            app.client
                .post(app.url("/api/v1/posts"))
                .header("authorization", format!("Bearer {token}"))
                .json(&body)
                .send()
        };
        let res = post(serde_json::json!({
            "kind": "article", "title": "From the API", "body": "Hello", "campaign": "village",
            "tags": ["api"], "publish": true
        }))
        .await
        .expect("POST");
        assert_eq!(res.status().as_u16(), 201);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["status"], "published");
        let url = v["url"].as_str().expect("url");
        assert!(url.ends_with("/from-the-api/"), "{v}");
        let id = v["id"].as_str().expect("id").to_string();
        // Read back.
        let res = app
            .client
            .get(app.url(&format!("/api/v1/posts/{id}")))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 200);
        let p: serde_json::Value = res.json().await.expect("json");
        assert_eq!((p["campaign"].as_str(), p["tags"][0].as_str()), (Some("village"), Some("api")));
        // 422 per field.
        let res = post(serde_json::json!({"kind": "essay", "title": "", "body": "x", "at": "someday"}))
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["error"]["code"], "invalid");
        assert!(v["fields"]["kind"].is_string() && v["fields"]["at"].is_string(), "{v}");
        // A scoped editor may not write for another campaign, nor site-wide.
        let res = post(serde_json::json!({"title": "Elsewhere", "body": "x", "campaign": other.slug.to_string()}))
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 403);
        let res = post(serde_json::json!({"title": "Site", "body": "x"})).await.expect("POST");
        assert_eq!(res.status().as_u16(), 403);
        // Without a token: 401.
        let res = app
            .client
            .post(app.url("/api/v1/posts"))
            .json(&serde_json::json!({"title": "x", "body": "y"}))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 401);
        // Scheduled through the API in the author's zone.
        let res = post(serde_json::json!({"kind": "note", "body": "Doors open soon", "campaign": "village", "at": "2033-07-01 09:00"}))
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 201);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["status"], "scheduled");
        let p = write::by_id(db, v["id"].as_str().expect("id")).await.expect("db").expect("p");
        assert_eq!(p.published_at, Some("2033-07-01T07:00:00Z".parse().expect("t")));
        // The OpenAPI document names the paths.
        let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.expect("json");
        assert!(doc["paths"]["/api/v1/posts"]["post"].is_object());
        assert!(doc["paths"]["/api/v1/posts/{id}"]["get"].is_object());
        app.stop().await;
    })
    .await;
}
