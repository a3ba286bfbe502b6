//! First run and the site's identity (issue 16): the one-time setup link (refused without
//! it, gone once used, kept across a restart), the first owner signed in on the console
//! with its checklist, the identity in the header, page titles, feeds, Open Graph and the
//! e-mail sender, the console's site settings (owners only, checked, the page cache
//! dropped, another node following within seconds) and `shelfraiser setup`.

use std::time::{Duration, Instant};

use shelfraiser::team::Role;
use shelfraiser::team::setup;

use crate::harness::*;
use crate::team_harness::*;

const PW: &str = "a long enough password";

/// The setup form's fields, all valid.
fn valid_form<'a>(csrf: &'a str, token: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("token", token),
        ("site_name", "Friends of the Kalpakkam Library"),
        ("site_description", "Books for every child in the village"),
        ("site_language", "en"),
        ("site_timezone", "Asia/Kolkata"),
        ("owner_name", "Ana Owner"),
        ("owner_email", "ana@example.org"),
        ("password", PW),
        ("confirm", PW),
        ("campaign_title", "A children's library"),
        ("campaign_goal", "5000"),
        ("campaign_currency", "GBP"),
    ]
}

fn token_of(link: &str) -> String {
    link.split_once("token=").expect("token").1.to_string()
}

fn path_of(app: &TestApp, link: &str) -> String {
    link.strip_prefix(&app.base)
        .expect("under the base URL")
        .to_string()
}

#[tokio::test]
async fn setup_link_once_then_the_owner_is_on_the_console() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        // Before any link: refused with a sentence that says what to do.
        let res = app.get("/setup").await;
        assert_eq!(res.status().as_u16(), 403);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("shelfraiser serve")
        );
        let link = setup::issue_link(&app.db, &app.base)
            .await
            .expect("link")
            .expect("an empty site gets a link");
        let path = path_of(&app, &link);
        let token = token_of(&link);
        assert_eq!(app.get("/setup?token=wrong").await.status().as_u16(), 403);
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()["cache-control"].to_str().expect("ascii"),
            "no-store"
        );
        let html = res.text().await.expect("body");
        for label in ["site_name", "site_language", "site_timezone", "owner_email"] {
            assert!(html.contains(&format!("<label for=\"{label}\"")), "{label}");
        }
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        // A wrong token posts nothing.
        let mut form = valid_form(&csrf, "wrong");
        assert_eq!(app.post_form("/setup", &form).await.status().as_u16(), 403);
        // Errors per field; typed values kept, the password never.
        form = valid_form(&csrf, &token);
        for (k, v) in form.iter_mut() {
            match *k {
                "site_name" => *v = "",
                "password" | "confirm" => *v = "short",
                "site_timezone" => *v = "Mars/Olympus",
                _ => {}
            }
        }
        let res = app.post_form("/setup", &form).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("Give the site a name."), "{html}");
        assert!(html.contains("Choose a time zone from the list."));
        assert!(html.contains("id=\"password-err\""));
        assert!(html.contains("value=\"ana@example.org\""));
        assert!(
            html.contains("value=\"A children&#x27;s library\"")
                || html.contains("A children&#39;s library")
        );
        assert!(!html.contains("value=\"short\""));
        assert_eq!(count(&app.db, "members").await, 0);
        // Completed: signed in, on the console, with the checklist.
        let res = app.post_form("/setup", &valid_form(&csrf, &token)).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin");
        let session = session_cookie(&res).expect("signed in");
        let dash = page_as(&app, "/admin", &session).await;
        assert!(dash.contains("Getting started"), "{dash}");
        assert!(dash.contains("href=\"/admin/members\""));
        assert!(
            dash.contains("A children&#x27;s library") || dash.contains("A children&#39;s library")
        );
        let owner = shelfraiser::team::repo::by_email(&app.db, "ana@example.org")
            .await
            .expect("db")
            .expect("the owner");
        assert!(
            owner
                .grants
                .iter()
                .any(|g| g.role == Role::Owner && g.scope.is_none())
        );
        assert_eq!(owner.time_zone, "Asia/Kolkata");
        assert_eq!(audit_count(&app.db, "site.setup").await, 1);
        // The link is spent; a second visit is told the site is set up.
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), 410);
        assert!(res.text().await.expect("body").contains("already set up"));
        assert_eq!(
            app.post_form("/setup", &valid_form(&csrf, &token))
                .await
                .status()
                .as_u16(),
            410
        );
        assert!(
            setup::issue_link(&app.db, &app.base)
                .await
                .expect("db")
                .is_none()
        );
        assert_eq!(count(&app.db, "members").await, 1);
        // The identity on every page: header, title, footer.
        let front = app.text("/").await;
        assert!(
            front.contains("<title>Friends of the Kalpakkam Library"),
            "{front}"
        );
        assert!(front.contains("class=\"brand\" href=\"/\">Friends of the Kalpakkam Library</a>"));
        assert!(front.contains("Friends of the Kalpakkam Library — Books for every child"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_setup_link_survives_a_restart_and_two_tokens_set_up_one_owner() {
    each_backend(|tdb| async move {
        let s = settings(&tdb);
        let first = TestApp::start(s.clone()).await;
        let one = setup::issue_link(&first.db, &first.base)
            .await
            .expect("db")
            .expect("link");
        first.stop().await;
        let app = TestApp::start(s).await;
        let two = setup::issue_link(&app.db, &app.base)
            .await
            .expect("db")
            .expect("link");
        // The first node's link works on the restarted one (the state is in the database).
        let one_path = format!("/setup?token={}", token_of(&one));
        assert_eq!(app.get(&one_path).await.status().as_u16(), 200);
        let csrf = public_csrf(&app, &one_path).await;
        let res = app
            .post_form("/setup", &valid_form(&csrf, &token_of(&one)))
            .await;
        assert_eq!(res.status().as_u16(), 303);
        // The other link is gone with the setup.
        let two_path = path_of(&app, &two);
        assert_eq!(app.get(&two_path).await.status().as_u16(), 410);
        let two_token = token_of(&two);
        let mut form = valid_form(&csrf, &two_token);
        for (k, v) in form.iter_mut() {
            if *k == "owner_email" {
                *v = "mallory@example.org";
            }
        }
        assert_eq!(app.post_form("/setup", &form).await.status().as_u16(), 410);
        assert_eq!(count(&app.db, "members").await, 1);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn identity_in_feeds_sharing_mail_and_the_console_settings() {
    each_backend(|tdb| async move {
        let s = settings(&tdb);
        let app = TestApp::start(s.clone()).await;
        // A second node on the same database (its own copy of the identity).
        let other = TestApp::start(s).await;
        seed_campaign(&app.db, "books").await;
        let owner = team_member("owner")
            .role(Role::Owner)
            .signed_in(&app.db)
            .await;
        let editor = team_member("editor")
            .role(Role::Editor)
            .signed_in(&app.db)
            .await;
        // The campaign page is kept by the page cache under the product's name.
        let before = app.text("/campaigns/books").await;
        assert!(
            before.contains("<meta property=\"og:site_name\" content=\"Shelfraiser\">"),
            "{before}"
        );
        // Owners only.
        assert_eq!(
            editor
                .get(&app, "/admin/settings/site")
                .await
                .status()
                .as_u16(),
            403
        );
        let page = owner.page(&app, "/admin/settings/site").await;
        assert!(
            page.contains("href=\"/admin/settings/site\" aria-current=\"page\""),
            "{page}"
        );
        let csrf = owner.csrf(&app, "/admin/settings/site").await;
        // Checked, with the errors in the form.
        let res = owner
            .post(
                &app,
                "/admin/settings/site",
                &[
                    ("csrf", csrf.as_str()),
                    ("site_name", " "),
                    ("site_language", "xx"),
                    ("site_timezone", "UTC"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"site_name-err\"") && html.contains("id=\"site_language-err\""));
        let res = owner
            .post(
                &app,
                "/admin/settings/site",
                &[
                    ("csrf", csrf.as_str()),
                    ("site_name", "Friends of the Library"),
                    ("site_description", "Books for all"),
                    ("site_language", "da"),
                    ("site_timezone", "Europe/Copenhagen"),
                    ("site_footer", "Bibliotekvej 1, 2800 Lyngby"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
        assert_eq!(audit_count(&app.db, "site.identity_changed").await, 1);
        // This node: at once, the cached campaign page too.
        let after = app.text("/campaigns/books").await;
        assert!(
            after.contains("<meta property=\"og:site_name\" content=\"Friends of the Library\">"),
            "{after}"
        );
        assert!(after.contains("<title>Test library · Friends of the Library</title>"));
        assert!(after.contains("<p class=\"address\">Bibliotekvej 1, 2800 Lyngby</p>"));
        // No language asked for: the site's (Danish); one we have: that one.
        assert!(after.contains("<html lang=\"da\">"), "{after}");
        let en = app
            .client
            .get(app.url("/"))
            .header("accept-language", "en-GB")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(en.contains("<html lang=\"en\">"));
        // Feeds.
        let feed = app.text("/feed.atom").await;
        assert!(feed.contains("Friends of the Library"), "{feed}");
        // The other node follows within seconds.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let html = other.text("/").await;
            if html.contains("class=\"brand\" href=\"/\">Friends of the Library</a>") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the other node kept the old name: {html}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // E-mails: the sender's name, and the message's words, say the site.
        let invited = shelfraiser::team::signin::invite(
            &app.state,
            &shelfraiser::email::Email::parse("new@example.org").expect("email"),
            "New Member",
            &[(Role::Editor, None)],
            &shelfraiser::team::audit::Actor::cli(),
        )
        .await;
        assert!(invited.is_ok(), "{invited:?}");
        let outbox = std::fs::read_dir(tdb.data_dir().join("outbox")).expect("outbox dir");
        let eml = outbox
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .next()
            .expect("an .eml file");
        assert!(
            eml.contains("From: \"Friends of the Library\"")
                || eml.contains("From: Friends of the Library"),
            "{eml}"
        );
        other.stop().await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn setup_on_the_command_line_is_idempotent() {
    each_backend(|tdb| async move {
        let cwd = tempfile::tempdir().expect("tmp");
        let data = tdb.data_dir();
        let base = [
            "--data-dir",
            data.to_str().expect("path"),
            "--database-url",
            tdb.url.as_str(),
        ];
        let run = |extra: &[&str]| {
            let mut args: Vec<&str> = base.to_vec();
            args.push("setup");
            args.extend_from_slice(extra);
            run_cli(cwd.path(), &args, &[])
        };
        let out = run(&[
            "--site-name",
            "Friends of the Library",
            "--owner-email",
            "ana@example.org",
            "--owner-name",
            "Ana",
            "--language",
            "da",
            "--timezone",
            "Europe/Copenhagen",
        ]);
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("/signin/link/"), "{out:?}");
        // Again, same owner: the identity updated, a fresh link.
        let out = run(&[
            "--site-name",
            "Friends of the Big Library",
            "--owner-email",
            "ana@example.org",
        ]);
        assert!(out.ok(), "{out:?}");
        assert!(
            out.stdout.contains("updated the site's identity"),
            "{out:?}"
        );
        // Anyone else: refused, in one sentence.
        let err = run(&[
            "--site-name",
            "Mine now",
            "--owner-email",
            "mallory@example.org",
        ])
        .one_line_error();
        assert!(err.contains("not one of its owners"), "{err}");
        // Bad values: one sentence each.
        let err = run(&[
            "--site-name",
            "X",
            "--owner-email",
            "ana@example.org",
            "--timezone",
            "Mars/Base",
        ])
        .one_line_error();
        assert!(err.contains("--timezone"), "{err}");
        let db = shelfraiser::db::Db::connect(&tdb.url).await.expect("db");
        let site = shelfraiser::i18n::site::Site::load(&db)
            .await
            .expect("site");
        assert_eq!(site.name, "Friends of the Big Library");
        assert_eq!(site.language, Some("da"));
        assert_eq!(site.timezone, "Europe/Copenhagen");
        assert_eq!(count(&db, "members").await, 1);
        // A server started now prints no setup link.
        assert!(
            setup::issue_link(&db, "http://x")
                .await
                .expect("db")
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn the_demo_names_its_site_and_needs_no_setup() {
    each_backend(|tdb| async move {
        shelfraiser::demo::seed_if_empty(&tdb.db)
            .await
            .expect("demo");
        let site = shelfraiser::i18n::site::Site::load(&tdb.db)
            .await
            .expect("site");
        assert_eq!(site.name, "Librarians for Kalpakkam");
        assert!(
            setup::issue_link(&tdb.db, "http://x")
                .await
                .expect("db")
                .is_none()
        );
    })
    .await;
}
