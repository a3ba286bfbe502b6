//! Webmention, on both backends: the endpoint advertised on public pages (a `Link` header and
//! `<link rel="webmention">`); bad targets refused with 400; a campaign mention from a
//! loopback "blog" verified by the job (through the guarded client, let through by
//! `outbound_allow`), held, approved in the console and shown under "What people are
//! writing"; a source that does not link shown nowhere; a source answering 410 taken down;
//! a source on a private address refused by the guard when nothing allows it; a post's reply
//! through the blog (held, approved, shown on the post page) and a like as a reaction;
//! sending: endpoints discovered from a `Link` header and from HTML, notified with the
//! post's stable address, and told again after an edit that drops the link; and our own post
//! page read back as microformats2, by our reader and by mf2py.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use shelfraiser::blog::comments::{self, Moderation};
use shelfraiser::blog::write::{self, NewPost, PostKind, PostStatus};
use shelfraiser::jobs;
use shelfraiser::team::audit::Actor;
use shelfraiser::webmention::{self as wm, Status};
use shelfraiser_formats::microformats::Page;

use crate::harness::*;
use crate::team_harness::team_member;
use shelfraiser::team::Role;

/// A page the fake site serves: status, extra headers, body.
#[derive(Clone)]
struct Served {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Clone, Default)]
struct Shared {
    pages: Arc<Mutex<HashMap<String, Served>>>,
    /// Forms POSTed to any path: (path, body).
    posted: Arc<Mutex<Vec<(String, String)>>>,
}

/// Someone else's site on a loopback port: serves the pages a test sets and records what is
/// POSTed to it (a Webmention endpoint).
struct FakeSite {
    base: String,
    shared: Shared,
    _task: tokio::task::JoinHandle<()>,
}

async fn serve_page(State(s): State<Shared>, Path(path): Path<String>) -> Response {
    let found = s.pages.lock().expect("pages").get(&path).cloned();
    match found {
        Some(p) => {
            let mut headers = HeaderMap::new();
            headers.insert(
                "content-type",
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            for (n, v) in &p.headers {
                headers.append(
                    axum::http::HeaderName::from_bytes(n.as_bytes()).expect("name"),
                    HeaderValue::from_str(v).expect("value"),
                );
            }
            (
                StatusCode::from_u16(p.status).expect("status"),
                headers,
                p.body,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn record_post(State(s): State<Shared>, Path(path): Path<String>, body: Bytes) -> StatusCode {
    s.posted
        .lock()
        .expect("posted")
        .push((path, String::from_utf8_lossy(&body).into_owned()));
    StatusCode::ACCEPTED
}

impl FakeSite {
    async fn start() -> FakeSite {
        let shared = Shared::default();
        let app = Router::new()
            .route("/{*path}", get(serve_page).post(record_post))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        FakeSite {
            base,
            shared,
            _task: task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authority(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    fn set(&self, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.shared.pages.lock().expect("pages").insert(
            path.trim_start_matches('/').to_string(),
            Served {
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.to_string(),
            },
        );
    }

    fn posted(&self) -> Vec<(String, String)> {
        self.shared.posted.lock().expect("posted").clone()
    }
}

/// A page with an h-entry linking to `target` (as `link_class`, e.g. `u-in-reply-to`).
fn entry(target: &str, link_class: &str, text: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>Ana's blog</title></head><body>
<article class="h-entry">
<a class="p-author h-card" href="/">Ana Reader</a>
<h1 class="p-name">Libraries matter</h1>
<div class="e-content"><p>{text} <a class="{link_class}" href="{target}">this</a>.</p></div>
<time class="dt-published" datetime="2026-01-05T10:00:00Z">5 January</time>
</article></body></html>"#
    )
}

fn allowing(tdb: &TestDb, site: &FakeSite) -> shelfraiser::config::Settings {
    let mut s = settings(tdb);
    s.outbound_allow = vec![site.authority()];
    s
}

/// Runs due jobs with a client that lets through only `allow` until nothing is left to do
/// (the server's own worker may take some first).
async fn settle(app: &TestApp, allow: &[String]) {
    let out = shelfraiser::outbound::Outbound::new(allow, "http://localhost").expect("outbound");
    let handlers =
        shelfraiser::app::job_handlers_outbound(shelfraiser::app::job_handlers(), out, &app.base);
    crate::receipts::settle_with(app, &handlers).await;
}

async fn send(app: &TestApp, source: &str, target: &str) -> reqwest::Response {
    app.client
        .post(app.url("/webmention"))
        .form(&[("source", source), ("target", target)])
        .send()
        .await
        .expect("POST /webmention")
}

async fn mention_of(db: &shelfraiser::db::Db, source: &str) -> wm::Webmention {
    for st in Status::ALL {
        if let Some(w) = wm::repo::list(db, st, 100, 0)
            .await
            .expect("list")
            .into_iter()
            .find(|w| w.source == source)
        {
            return w;
        }
    }
    panic!("no mention from {source}");
}

/// The campaign page once it shows (or stops showing) `needle`: pages are cached until the
/// campaign's version moves, which the node hears of within a poll.
async fn campaign_page_until(app: &TestApp, slug: &str, needle: &str, shown: bool) -> String {
    let mut page = String::new();
    for _ in 0..60 {
        page = app.text(&format!("/campaigns/{slug}")).await;
        if page.contains(needle) == shown {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!(
        "{needle:?} shown = {} on the campaign page:\n{page}",
        !shown
    );
}

async fn published_post(
    db: &shelfraiser::db::Db,
    title: &str,
    body: &str,
) -> shelfraiser::blog::repo::Post {
    let mut n = NewPost::draft(PostKind::Article, title, body);
    n.status = PostStatus::Published;
    n.published_at = Some(Utc::now() - Duration::days(1));
    write::create(db, &n, &Actor::cli()).await.expect("create")
}

#[tokio::test]
async fn public_pages_advertise_the_endpoint() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let endpoint = app.url("/webmention");
        for path in ["/", "/campaigns/test-library", "/blog/"] {
            let res = app.get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            let links: Vec<String> = res
                .headers()
                .get_all("link")
                .iter()
                .map(|v| v.to_str().expect("ascii").to_string())
                .collect();
            assert!(
                links.contains(&format!("<{endpoint}>; rel=\"webmention\"")),
                "{path}: {links:?}"
            );
            let html = res.text().await.expect("body");
            let page = Page::parse(
                html.as_bytes(),
                &url::Url::parse(&app.url(path)).expect("url"),
            );
            assert_eq!(
                page.webmention_endpoint().map(|u| u.to_string()),
                Some(endpoint.clone()),
                "{path}"
            );
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bad_sources_and_targets_are_refused_with_400() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let ours = app.url("/campaigns/test-library");
        let cases = [
            ("", ours.as_str(), "missing_source"),
            ("https://blog.example/a", "", "missing_target"),
            ("ftp://blog.example/a", ours.as_str(), "bad_source"),
            (
                "https://blog.example/a",
                "javascript:alert(1)",
                "bad_target",
            ),
            (ours.as_str(), ours.as_str(), "same_source_and_target"),
            (
                "https://blog.example/a",
                "https://elsewhere.example/campaigns/test-library",
                "target_not_on_this_site",
            ),
            (
                "https://blog.example/a",
                &app.url("/campaigns/no-such-campaign"),
                "target_not_found",
            ),
            (
                "https://blog.example/a",
                &app.url("/2020/01/01/no-such-post/"),
                "target_not_found",
            ),
        ];
        for (source, target, code) in cases {
            let res = send(&app, source, target).await;
            assert_eq!(res.status(), 400, "{source} → {target}");
            let body: serde_json::Value = res.json().await.expect("json");
            assert_eq!(body["error"]["code"], code, "{source} → {target}");
        }
        assert_eq!(count(&app.db, "webmentions").await, 0);
        // A draft post is not a target either.
        let mut n = NewPost::draft(PostKind::Article, "Draft", "Not yet.");
        n.published_at = Some(Utc::now() - Duration::days(1));
        let draft = write::create(&app.db, &n, &Actor::cli())
            .await
            .expect("draft");
        let path = draft.path(&app.state.settings.blog.permalink);
        let res = send(&app, "https://blog.example/a", &app.url(&path)).await;
        assert_eq!(res.status(), 400);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_campaign_mention_is_verified_held_approved_and_shown() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let site = FakeSite::start().await;
        let app = TestApp::start(allowing(&tdb, &site)).await;
        let target = app.url("/campaigns/test-library");
        site.set(
            "/libraries",
            200,
            &[],
            &entry(&target, "", "Please support"),
        );
        let source = site.url("/libraries");

        let res = send(&app, &source, &target).await;
        assert_eq!(res.status(), 202);
        assert_eq!(mention_of(&app.db, &source).await.status, Status::Pending);
        settle(&app, &[site.authority()]).await;
        let w = mention_of(&app.db, &source).await;
        assert_eq!(w.status, Status::Verified, "held: {}", w.last_error);
        assert_eq!(w.kind, "mention");
        assert_eq!(w.author_name, "Ana Reader");
        assert_eq!(w.author_url, site.url("/"));
        assert_eq!(w.title, "Libraries matter");
        assert_eq!(w.content, "Please support this.");
        let page = app.text("/campaigns/test-library").await;
        assert!(
            !page.contains("Libraries matter"),
            "held mentions are not shown"
        );

        // An editor approves it in the console; the page shows it.
        let ed = team_member("Ed")
            .email("ed@example.org")
            .role(Role::Editor)
            .signed_in(&app.db)
            .await;
        let list = ed.page(&app, "/admin/webmentions").await;
        assert!(list.contains(&source), "{list}");
        let csrf = hidden_value(&list, "csrf").expect("csrf");
        let res = ed
            .post(
                &app,
                &format!("/admin/webmentions/{}/moderate", w.id),
                &[("csrf", &csrf), ("action", "approve"), ("from", "verified")],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(mention_of(&app.db, &source).await.status, Status::Approved);
        let page = campaign_page_until(&app, "test-library", "Libraries matter", true).await;
        assert!(page.contains("What people are writing"), "{page}");
        assert!(page.contains("Ana Reader"));
        assert!(
            page.contains(&format!(r#"href="{source}" rel="nofollow ugc""#)),
            "{page}"
        );

        // A forged form (no token) changes nothing.
        let res = ed
            .post(
                &app,
                &format!("/admin/webmentions/{}/moderate", w.id),
                &[("csrf", "nope"), ("action", "spam"), ("from", "approved")],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(mention_of(&app.db, &source).await.status, Status::Approved);

        // Re-sent after the source went away: 410 takes it down.
        site.set("/libraries", 410, &[], "gone");
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        assert_eq!(mention_of(&app.db, &source).await.status, Status::Gone);
        campaign_page_until(&app, "test-library", "Libraries matter", false).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_reply_to_a_post_becomes_a_held_comment_and_a_like_a_reaction() {
    each_backend(|tdb| async move {
        let site = FakeSite::start().await;
        let app = TestApp::start(allowing(&tdb, &site)).await;
        let post = published_post(&app.db, "Roof fund", "We need slates.").await;
        let path = post.path(&app.state.settings.blog.permalink);
        let target = app.url(&path);
        site.set(
            "/reply",
            200,
            &[],
            &entry(&target, "u-in-reply-to", "Count me in for"),
        );
        let source = site.url("/reply");
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        let w = mention_of(&app.db, &source).await;
        assert_eq!(w.status, Status::Verified, "{}", w.last_error);
        assert_eq!(w.kind, "reply");
        let key = wm::verify::source_key(&w);
        let c = comments::by_source_key(&app.db, &key)
            .await
            .expect("read")
            .expect("a comment");
        assert_eq!(c.status, Moderation::Pending, "a new sender is held");
        assert_eq!(c.author_name, "Ana Reader");
        assert!(!app.text(&path).await.contains("Count me in"), "held");
        comments::set_status(&app.db, &c.id, Moderation::Approved)
            .await
            .expect("approve");
        let page = app.text(&path).await;
        assert!(page.contains("Count me in for this."), "{page}");

        // The same post liked from another page: a reaction, not a comment.
        site.set("/like", 200, &[], &entry(&target, "u-like-of", "Liked"));
        let like = site.url("/like");
        assert_eq!(send(&app, &like, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        assert_eq!(mention_of(&app.db, &like).await.kind, "like");
        let reactions = shelfraiser::blog::remote::reactions_of(&app.db, &post.id)
            .await
            .expect("reactions");
        assert_eq!(reactions.like_count, 1);

        // The reply's source is gone: its comment is taken down.
        site.set("/reply", 410, &[], "gone");
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        assert_eq!(mention_of(&app.db, &source).await.status, Status::Gone);
        assert!(!app.text(&path).await.contains("Count me in"));
        // And the stable address of a post is a target too.
        let res = send(
            &app,
            &site.url("/like"),
            &app.url(&format!("/posts/{}", post.id)),
        )
        .await;
        assert_eq!(res.status(), 202);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_source_that_does_not_link_is_shown_nowhere() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let site = FakeSite::start().await;
        let app = TestApp::start(allowing(&tdb, &site)).await;
        let target = app.url("/campaigns/test-library");
        // Links to a page like ours, but not to ours exactly.
        site.set(
            "/nolink",
            200,
            &[],
            &entry(&format!("{target}-other"), "", "Unrelated"),
        );
        let source = site.url("/nolink");
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        let w = mention_of(&app.db, &source).await;
        assert_eq!(w.status, Status::Invalid);
        assert!(w.last_error.contains("does not link"), "{}", w.last_error);
        let page = app.text("/campaigns/test-library").await;
        assert!(!page.contains("What people are writing"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_source_on_a_private_address_is_refused_by_the_guard() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let site = FakeSite::start().await;
        // No allow entry: the loopback "blog" is a private address.
        let app = TestApp::start(settings(&tdb)).await;
        let target = app.url("/campaigns/test-library");
        site.set("/p", 200, &[], &entry(&target, "", "Hello"));
        let source = site.url("/p");
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[]).await;
        let w = mention_of(&app.db, &source).await;
        assert_eq!(w.status, Status::Invalid);
        assert!(w.last_error.contains("refused"), "{}", w.last_error);
        assert!(site.posted().is_empty());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn senders_are_rate_limited_per_address() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        app.db
            .set_setting(wm::RATE_SETTING, "2")
            .await
            .expect("setting");
        let target = app.url("/campaigns/test-library");
        for i in 0..2 {
            let res = send(&app, &format!("https://blog.example/{i}"), &target).await;
            assert_eq!(res.status(), 202);
        }
        let res = send(&app, "https://blog.example/3", &target).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().get("retry-after").is_some());
        assert_eq!(count(&app.db, "webmentions").await, 2);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn sending_discovers_endpoints_from_a_link_header_and_from_html() {
    each_backend(|tdb| async move {
        let site = FakeSite::start().await;
        let app = TestApp::start(allowing(&tdb, &site)).await;
        site.set(
            "/by-header",
            200,
            &[(
                "link",
                r#"<https://unused.example/>; rel="other", </hook/one>; rel="webmention""#,
            )],
            "<p>no endpoint in the page</p>",
        );
        site.set(
            "/by-html",
            200,
            &[],
            r#"<html><head><link rel="webmention" href="hook/two"></head><body>hi</body></html>"#,
        );
        site.set("/no-endpoint", 200, &[], "<p>nothing here</p>");
        let body = format!(
            "See [one]({}) and [two]({}#section), [none]({}) and [our own](/blog/).",
            site.url("/by-header"),
            site.url("/by-html"),
            site.url("/no-endpoint"),
        );
        // Publishing sets off the blog's post-changed job, whose handler queues the sends.
        let post = published_post(&app.db, "Links", &body).await;
        settle(&app, &[site.authority()]).await;
        let sends: Vec<jobs::JobRow> = jobs::list(&app.db)
            .await
            .expect("jobs")
            .into_iter()
            .filter(|j| j.kind == wm::send::SEND_WEBMENTION)
            .collect();
        assert_eq!(sends.len(), 3, "our own page is not notified: {sends:?}");
        assert!(sends.iter().all(|j| j.done_at.is_some()), "{sends:?}");
        let permalink = app.url(&format!("/posts/{}", post.id));
        let mut posted = site.posted();
        posted.sort();
        let form = |target: &str| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("source", &permalink)
                .append_pair("target", target)
                .finish()
        };
        assert_eq!(
            posted,
            vec![
                ("hook/one".to_string(), form(&site.url("/by-header"))),
                ("hook/two".to_string(), form(&site.url("/by-html"))),
            ]
        );

        // An edit that keeps only the link to /by-header tells it again, and tells /by-html,
        // no longer linked, too (so it can take the mention down); those no longer linked are
        // then forgotten.
        let mut edit = NewPost::draft(
            PostKind::Article,
            "Links",
            &format!("Only [one]({}) now.", site.url("/by-header")),
        );
        edit.status = PostStatus::Published;
        edit.published_at = post.published_at;
        write::update(&app.db, &post.id, &edit, &Actor::cli())
            .await
            .expect("update");
        settle(&app, &[site.authority()]).await;
        let mut posted = site.posted();
        posted.sort();
        assert_eq!(posted.len(), 4, "{posted:?}");
        assert_eq!(
            posted[1],
            ("hook/one".to_string(), form(&site.url("/by-header")))
        );
        assert_eq!(
            posted[3],
            ("hook/two".to_string(), form(&site.url("/by-html")))
        );
        let told = wm::repo::sent_targets(&app.db, &post.id)
            .await
            .expect("sends");
        assert_eq!(
            told,
            vec![site.url("/by-header")],
            "the pages no longer linked are forgotten once told"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn our_post_page_reads_back_as_an_h_entry() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let post = published_post(&app.db, "Roof fund", "We need *slates*.").await;
        let path = post.path(&app.state.settings.blog.permalink);
        let html = app.text(&path).await;
        let page_url = url::Url::parse(&app.url(&path)).expect("url");
        let page = Page::parse(html.as_bytes(), &page_url);
        let items = page.items();
        let e = items
            .iter()
            .find(|i| i.is("h-entry"))
            .unwrap_or_else(|| panic!("no h-entry in {html}"));
        assert_eq!(e.first_text("name").as_deref(), Some("Roof fund"));
        assert_eq!(e.first_text("url").as_deref(), Some(page_url.as_str()));
        assert!(
            e.first_text("content")
                .expect("content")
                .contains("We need slates.")
        );
        assert!(e.first_text("published").is_some());
        let author = e.values("author").first().expect("author");
        assert!(author.item.as_ref().is_some_and(|c| c.is("h-card")));
        app.stop().await;
    })
    .await;
}

/// The independent reader (mf2py, pinned in scripts/interop-venv.sh), or `None` (skip)
/// outside CI, like the Stripe interoperability test.
fn mf2py() -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("SHELFRAISER_INTEROP_VENV").map(std::path::PathBuf::from);
    let py = venv.map(|v| v.join("bin/python")).filter(|p| p.exists());
    if py.is_none() {
        let msg = "SHELFRAISER_INTEROP_VENV does not name a virtualenv with mf2py \
                   (run scripts/interop-venv.sh, or the suite through scripts/test.sh)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!! SKIPPED: the mf2py cross-check: {msg} !!!!!\n");
    }
    py
}

#[tokio::test]
async fn mf2py_reads_our_post_page_as_we_do() {
    let Some(py) = mf2py() else { return };
    each_backend(|tdb| {
        let py = py.clone();
        async move {
            let app = TestApp::start(settings(&tdb)).await;
            let post =
                published_post(&app.db, "Roof fund", "We need *slates*.\n\nAnd nails.").await;
            let path = post.path(&app.state.settings.blog.permalink);
            let page_url = app.url(&path);
            let html = app.text(&path).await;
            let mut child = std::process::Command::new(&py)
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/interop/mf2_read.py"
                ))
                .arg(&page_url)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("python");
            {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(html.as_bytes())
                    .expect("write");
            }
            let out = child.wait_with_output().expect("mf2py ran");
            assert!(out.status.success());
            let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert_eq!(theirs["name"], "Roof fund", "{theirs}");
            assert_eq!(theirs["url"], page_url.as_str());
            assert_eq!(theirs["author_type"][0], "h-card");
            assert!(theirs["published"].as_str().is_some_and(|p| {
                p.starts_with(
                    &post
                        .published_at
                        .expect("published")
                        .format("%Y-%m-%d")
                        .to_string(),
                )
            }));
            // Ours reads the same entry.
            let page = Page::parse(html.as_bytes(), &url::Url::parse(&page_url).expect("url"));
            let items = page.items();
            let ours = items.iter().find(|i| i.is("h-entry")).expect("h-entry");
            assert_eq!(ours.first_text("name").as_deref(), theirs["name"].as_str());
            assert_eq!(ours.first_text("url").as_deref(), theirs["url"].as_str());
            let author = ours.values("author")[0].item.as_ref().expect("h-card");
            assert_eq!(
                author.first_text("name").as_deref(),
                theirs["author_name"].as_str()
            );
            assert_eq!(
                author.first_text("url").as_deref(),
                theirs["author_url"].as_str()
            );
            let content = theirs["content"].as_str().expect("content");
            assert!(content.contains("We need slates.") && content.contains("And nails."));
            app.stop().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_mention_of_an_event_page_becomes_a_pending_entry() {
    use shelfraiser::promotion::events::{self as events, EntryStatus};
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let mut ids = Vec::new();
        for (slug, tag, state) in [
            ("follow-day", "#FollowALibrary", "published"),
            ("draft-day", "#DraftDay", "draft"),
        ] {
            let f = events::check(slug, "A day", "2026-10-01", tag, "", "", state).expect("ok");
            let e = events::create(&tdb.db, &c.id, &f, Utc::now())
                .await
                .expect("create")
                .expect("new");
            ids.push(e.id);
        }
        let site = FakeSite::start().await;
        let app = TestApp::start(allowing(&tdb, &site)).await;
        let page_path = "/campaigns/test-library/events/follow-day";
        let target = app.url(page_path);

        // The event page advertises the endpoint (header and <link>).
        let res = app.get(page_path).await;
        let endpoint = app.url("/webmention");
        let links: Vec<String> = res
            .headers()
            .get_all("link")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_string())
            .collect();
        assert!(
            links.contains(&format!("<{endpoint}>; rel=\"webmention\"")),
            "{links:?}"
        );
        let html = res.text().await.expect("body");
        let page = Page::parse(html.as_bytes(), &url::Url::parse(&target).expect("url"));
        assert_eq!(
            page.webmention_endpoint().map(|u| u.to_string()),
            Some(endpoint)
        );

        // A page linking to the event page: verified, then a pending entry.
        site.set("/my-video", 200, &[], &entry(&target, "", "My video for"));
        let source = site.url("/my-video");
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        let pending = events::entries(&app.db, &ids[0], EntryStatus::Pending)
            .await
            .expect("entries");
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].source, "webmention");
        assert_eq!(pending[0].url, source);
        assert_eq!(pending[0].title, "Libraries matter");
        assert_eq!(pending[0].name, "Ana Reader");
        // Sent again: still one.
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        assert_eq!(count(&app.db, "event_entries").await, 1);

        // The console shows where it came from.
        let ed = team_member("Ed")
            .email("ed@example.org")
            .role(Role::Editor)
            .signed_in(&app.db)
            .await;
        let console = ed.page(&app, &format!("/admin/events/{}", ids[0])).await;
        assert!(console.contains("Libraries matter"), "{console}");
        assert!(
            console
                .contains("href=\"/admin/webmentions\" rel=\"nofollow ugc noopener\">Webmention"),
            "{console}"
        );

        // A draft event's page is no target; an unknown event neither.
        for t in [
            app.url("/campaigns/test-library/events/draft-day"),
            app.url("/campaigns/test-library/events/no-such-day"),
        ] {
            site.set("/other", 200, &[], &entry(&t, "", "Look at"));
            let res = send(&app, &site.url("/other"), &t).await;
            assert_eq!(res.status(), 400, "{t}");
        }
        assert!(
            events::entries(&app.db, &ids[1], EntryStatus::Pending)
                .await
                .expect("entries")
                .is_empty()
        );

        // The source no longer links: the pending entry goes.
        site.set(
            "/my-video",
            200,
            &[],
            &entry("https://elsewhere.example/", "", "Moved"),
        );
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        settle(&app, &[site.authority()]).await;
        assert_eq!(count(&app.db, "event_entries").await, 0);
        app.stop().await;
    })
    .await;
}
