//! Hashtag days and challenges (promotion::events, console/events.rs) on both backends: the
//! console creates and publishes an event; its public page shows the date, hashtag and call
//! to action in both languages (a draft is 404) and is linked from the campaign page; an
//! entry from the page's form waits, is approved, rejected or marked favourite (audited)
//! and the gallery shows the approved ones, favourites first; a refused link keeps what was
//! typed and says why; the form is limited per client; members without the right get 403.

use shelfraiser::db::Db;
use shelfraiser::i18n::I18n;
use shelfraiser::promotion::events::{self as ev, EntryStatus};
use shelfraiser::team::Role;

use crate::harness::*;
use crate::team_harness::*;

const SLUG: &str = "test-library";
const PAGE: &str = "/campaigns/test-library/events/follow-day";

/// Makes a published event `follow-day` of `campaign_id` directly; returns its id.
async fn published_event(db: &Db, campaign_id: &str) -> String {
    let f = ev::check(
        "follow-day",
        "Follow a library day",
        "2026-10-01",
        "#FollowALibrary",
        "Follow your library *today*.",
        "Make a promotion video under a minute and share it.",
        "published",
    )
    .expect("valid");
    ev::create(db, campaign_id, &f, chrono::Utc::now())
        .await
        .expect("create")
        .expect("new")
        .id
}

async fn send_entry(app: &TestApp, url: &str, title: &str, name: &str) -> reqwest::Response {
    let token = public_csrf(app, PAGE).await;
    app.post_form(
        PAGE,
        &[
            ("csrf", &token),
            ("url", url),
            ("title", title),
            ("name", name),
        ],
    )
    .await
}

async fn entry_id(db: &Db, event: &str, title: &str) -> String {
    ev::entries(db, event, EntryStatus::Pending)
        .await
        .expect("entries")
        .into_iter()
        .find(|e| e.title == title)
        .expect("pending entry")
        .id
}

#[tokio::test]
async fn an_event_is_published_and_its_entries_moderated_into_a_gallery() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, SLUG).await;
        let editor = team_member("ed").role(Role::Editor).signed_in(db).await;
        let app = TestApp::start(settings(&tdb)).await;

        // The console makes a draft: not public.
        let res = submit(
            &app,
            "/admin/events",
            "/admin/events",
            &editor.token,
            &[
                ("campaign", SLUG),
                ("slug", "follow-day"),
                ("title", "Follow a library day"),
                ("day", "2026-10-01"),
                ("hashtag", "#FollowALibrary"),
                ("call", "Follow your library *today*."),
                (
                    "challenge",
                    "Make a promotion video under a minute and share it.",
                ),
                ("state", "draft"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let at = location(&res);
        let id = at
            .strip_prefix("/admin/events/")
            .and_then(|r| r.split('?').next())
            .expect("event address")
            .to_string();
        assert_eq!(app.get(PAGE).await.status(), 404, "a draft is not public");
        assert_eq!(audit_count(db, "event.created").await, 1);
        let console = editor.page(&app, &format!("/admin/events/{id}")).await;
        assert!(console.contains("FollowALibrary"), "{console}");

        // A bad hashtag is refused with the form kept.
        let edit = format!("/admin/events/{id}");
        let mut form = vec![
            ("slug", "follow-day"),
            ("title", "Follow a library day"),
            ("day", "2026-10-01"),
            ("hashtag", "follow a library"),
            ("call", "Follow your library *today*."),
            (
                "challenge",
                "Make a promotion video under a minute and share it.",
            ),
            ("state", "published"),
        ];
        let res = submit(&app, &edit, &edit, &editor.token, &form).await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.expect("body");
        assert!(body.contains("underscores"), "the reason: {body}");
        assert!(body.contains("value=\"follow a library\""), "kept: {body}");

        // Published: the page shows its date, hashtag and call to action.
        form[3] = ("hashtag", "FollowALibrary");
        let res = submit(&app, &edit, &edit, &editor.token, &form).await;
        assert_eq!(res.status(), 303);
        let page = app.text(PAGE).await;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("day");
        assert!(page.contains(&I18n::new("en").day(day)), "{page}");
        assert!(page.contains("#FollowALibrary"));
        assert!(
            page.contains("Follow your library <em>today</em>."),
            "{page}"
        );
        assert!(page.contains("promotion video under a minute"));
        let da = app
            .client
            .get(app.url(PAGE))
            .header("accept-language", "da")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(da.contains("Udfordringen") && da.contains(&I18n::new("da").day(day)));
        let campaign = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(campaign.contains(&format!("href=\"{PAGE}\"")), "linked");

        // A link that is no web address is refused, saying why, with what was typed.
        let res = send_entry(&app, "javascript:alert(1)", "My video", "Ada").await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.expect("body");
        assert!(
            body.contains("must start with http:// or https://"),
            "{body}"
        );
        assert!(body.contains("value=\"My video\"") && body.contains("value=\"Ada\""));
        assert_eq!(count(db, "event_entries").await, 0);

        // Three entries wait; none shows yet.
        for (url, title) in [
            ("https://video.example/a", "Entry A"),
            ("https://video.example/b", "Entry B"),
            ("https://video.example/c", "Entry C"),
        ] {
            let res = send_entry(&app, url, title, "Bo").await;
            assert_eq!(res.status(), 200);
            assert!(res.text().await.expect("body").contains("Thank you"));
        }
        let page = app.text(PAGE).await;
        assert!(!page.contains("Entry A"), "pending entries are not shown");
        let queue = editor.page(&app, &edit).await;
        assert!(queue.contains("Entry A") && queue.contains("Entry C"));

        // Approve A, mark B as favourite, reject C.
        let (a, b, c) = (
            entry_id(db, &id, "Entry A").await,
            entry_id(db, &id, "Entry B").await,
            entry_id(db, &id, "Entry C").await,
        );
        for (entry, action) in [(&a, "approve"), (&b, "favourite"), (&c, "reject")] {
            let path = format!("/admin/events/{id}/entries/{entry}");
            let res = submit(
                &app,
                &edit,
                &path,
                &editor.token,
                &[("action", action), ("from", "pending")],
            )
            .await;
            assert_eq!(res.status(), 303, "{action}");
        }
        assert_eq!(audit_count(db, "event.entry.moderated").await, 3);
        let page = app.text(PAGE).await;
        let (pa, pb) = (
            page.find("Entry A").expect("A shown"),
            page.find("Entry B").expect("B shown"),
        );
        assert!(pb < pa, "the favourite first");
        assert!(page.contains("Team favourite"));
        assert!(!page.contains("Entry C"), "rejected: hidden");
        assert!(page.contains("href=\"https://video.example/a\" rel=\"nofollow ugc noopener\""));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn entries_are_limited_per_client() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        published_event(db, &c.id).await;
        let app = TestApp::start(settings(&tdb)).await;
        let per = shelfraiser::promotion::events::pages::PER_CLIENT;
        for i in 0..per {
            let res = send_entry(&app, &format!("https://v.example/{i}"), "An entry", "").await;
            assert_eq!(res.status(), 200, "entry {i}");
        }
        let res = send_entry(&app, "https://v.example/more", "One more", "").await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        let body = res.text().await.expect("body");
        assert!(body.contains("Too many entries"), "{body}");
        assert!(body.contains("value=\"One more\""), "the form is kept");
        assert_eq!(count(db, "event_entries").await, per as i64);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn only_those_who_write_for_the_campaign_manage_its_events() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        let other = seed_campaign(db, "other-library").await;
        let id = published_event(db, &c.id).await;
        let app = TestApp::start(settings(&tdb)).await;
        send_entry(&app, "https://v.example/x", "X", "").await;
        let entry = entry_id(db, &id, "X").await;

        // A member without the right: refused by the route's rule.
        let member = team_member("mo").role(Role::Member).signed_in(db).await;
        assert_eq!(member.get(&app, "/admin/events").await.status(), 403);
        assert_eq!(
            member
                .get(&app, &format!("/admin/events/{id}"))
                .await
                .status(),
            403
        );

        // An editor of another campaign: no access to this campaign's event.
        let scoped = team_member("sc")
            .role_on(Role::Editor, &other.slug.to_string())
            .signed_in(db)
            .await;
        assert_eq!(
            scoped
                .get(&app, &format!("/admin/events/{id}"))
                .await
                .status(),
            403
        );
        let list = scoped.page(&app, "/admin/events").await;
        assert!(!list.contains("Follow a library day"), "not listed");
        let token = bound_csrf(&app, "/admin/events", &scoped.token).await;
        let res = scoped
            .post(
                &app,
                &format!("/admin/events/{id}/entries/{entry}"),
                &[("csrf", &token), ("action", "approve")],
            )
            .await;
        assert_eq!(res.status(), 403);
        let res = scoped
            .post(
                &app,
                "/admin/events",
                &[
                    ("csrf", &token),
                    ("campaign", SLUG),
                    ("slug", "mine"),
                    ("title", "Mine"),
                    ("day", "2026-10-01"),
                    ("hashtag", "mine"),
                    ("state", "published"),
                ],
            )
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(count(db, "campaign_events").await, 1);
        let pending = ev::entries(db, &id, EntryStatus::Pending).await.expect("e");
        assert_eq!(pending.len(), 1, "nothing moderated");
        app.stop().await;
    })
    .await;
}
