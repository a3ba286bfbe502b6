//! The donor wall (issue 11): the live event carries the wall and the milestones; editors
//! and treasurers hide a donor's name or message (audited, with a reason; the donation, the
//! ledger and the totals untouched), and every node stops showing it at once; messages with
//! links can be held for review; donor text never becomes a link.

use std::time::{Duration, Instant};

use shelfraiser::campaigns::repo;
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::email::Email;
use shelfraiser::team::audit;
use shelfraiser::team::{Role, repo as team_repo, session};

use crate::harness::*;
use crate::live::{Sse, WAIT, metric};

/// A signed-in member's session token; `scope` limits the role to one campaign.
async fn member(db: &Db, name: &str, role: Role, scope: Option<&str>) -> String {
    let m = team_repo::create(
        db,
        &team_repo::NewMember {
            email: Email::parse(&format!("{name}@example.org")).expect("email"),
            display_name: name.into(),
            time_zone: "UTC".into(),
            languages: "en".into(),
            status: shelfraiser::team::MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    let scope_id = match scope {
        Some(slug) => Some(repo::by_slug(db, slug).await.expect("db").expect("c").id),
        None => None,
    };
    team_repo::add_grant(db, &m.id, role, scope_id.as_deref())
        .await
        .expect("grant");
    session::create(db, &m.id, false, None, None)
        .await
        .expect("session")
}

/// A public donation through the form and the test checkout; its id.
async fn give(app: &TestApp, slug: &str, amount: &str, name: &str, message: &str) -> String {
    give_as(app, slug, amount, name, message, "public").await
}

/// A donation with `visibility` through the form and the test checkout; its id.
async fn give_as(
    app: &TestApp,
    slug: &str,
    amount: &str,
    name: &str,
    message: &str,
    visibility: &str,
) -> String {
    let res = app
        .donate(
            slug,
            &[
                ("amount", amount),
                ("currency", "GBP"),
                ("name", name),
                ("email", "giver@example.org"),
                ("message", message),
                ("visibility", visibility),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let session = location(&res)
        .strip_prefix("/test-checkout/")
        .expect("checkout")
        .to_string();
    let page = app.text(&format!("/test-checkout/{session}")).await;
    let token = hidden_value(&page, "csrf").expect("csrf");
    let res = app
        .post_form(
            &format!("/test-checkout/{session}"),
            &[("csrf", &token), ("outcome", "succeed")],
        )
        .await;
    let to = location(&res);
    to.rsplit_once("/thanks/")
        .map(|(_, id)| id.to_string())
        .unwrap_or_else(|| panic!("not thanked: {to}"))
}

/// Posts the wall form of donation `id` as `token`.
async fn moderate(
    app: &TestApp,
    token: &str,
    id: &str,
    name: &str,
    message: &str,
    reason: &str,
) -> reqwest::Response {
    submit(
        app,
        &format!("/admin/donations/{id}"),
        &format!("/admin/donations/{id}/wall"),
        token,
        &[("name", name), ("message", message), ("reason", reason)],
    )
    .await
}

async fn totals(db: &Db, slug: &str) -> shelfraiser::campaigns::Totals {
    let c = repo::by_slug(db, slug).await.expect("db").expect("c");
    repo::totals(db, &c.id).await.expect("totals")
}

async fn audit_of(db: &Db, action: &str) -> Vec<audit::Entry> {
    audit::list(db, Some(action), None, 100, 0)
        .await
        .expect("audit")
}

/// How soon another node's page must follow a change: well under the page cache's
/// `MAX_AGE` (10 s), so only the version bump can make it.
const FOLLOW: Duration = Duration::from_secs(5);

/// Polls `path` on `app` until `done(html)` holds, at most `limit`.
async fn until(
    app: &TestApp,
    path: &str,
    what: &str,
    limit: Duration,
    done: impl Fn(&str) -> bool,
) -> Duration {
    let t0 = Instant::now();
    loop {
        let html = app.text(path).await;
        if done(&html) {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_live_event_carries_the_wall_and_the_milestones() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "wall-live").await;
        let treasurer = member(&tdb.db, "treasurer", Role::Treasurer, None).await;
        let app = TestApp::start(settings(&tdb)).await;
        let mut sse = Sse::open(&app.client, &app.url("/campaigns/wall-live/live")).await;
        let first = sse.next_progress(WAIT).await;
        assert_eq!(first["wall"], serde_json::json!([]), "{first}");
        assert_eq!(first["wall_more"], false, "{first}");
        assert_eq!(
            first["milestones"],
            serde_json::json!([{ "amount_minor": 25000, "reached": false }]),
            "{first}"
        );

        // £260 passes the £250 milestone.
        let id = give(&app, "wall-live", "260", "Ada", "For the roof").await;
        let next = sse.next_progress(WAIT).await;
        assert_eq!(next["raised_minor"], 26000, "{next}");
        assert_eq!(next["milestones"][0]["reached"], true, "{next}");
        let wall = next["wall"].as_array().expect("wall");
        assert_eq!(wall.len(), 1, "{next}");
        assert_eq!(wall[0]["name"], "Ada");
        assert_eq!(wall[0]["amount"], "£260");
        assert_eq!(wall[0]["message"], "For the roof");
        assert!(wall[0]["date"].as_str().is_some_and(|d| !d.is_empty()));

        // Hiding the name and the message is one more event, without them.
        let res = moderate(&app, &treasurer, &id, "hidden", "hidden", "spam").await;
        assert_eq!(res.status().as_u16(), 303);
        let hidden = sse.next_progress(WAIT).await;
        assert!(hidden["version"].as_i64() > next["version"].as_i64());
        assert_eq!(hidden["wall"][0]["name"], "Anonymous", "{hidden}");
        assert_eq!(hidden["wall"][0]["message"], "", "{hidden}");
        assert_eq!(hidden["raised_minor"], 26000, "the total is unchanged");
        drop(sse);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn editors_and_treasurers_hide_names_and_messages_and_the_ledger_stays() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "moderated").await;
        seed_campaign(db, "elsewhere").await;
        let treasurer = member(db, "treasurer", Role::Treasurer, None).await;
        let editor = member(db, "editor", Role::Editor, Some("moderated")).await;
        let other_editor = member(db, "other-editor", Role::Editor, Some("elsewhere")).await;
        let plain = member(db, "plain", Role::Member, None).await;
        let app = TestApp::start(settings(&tdb)).await;
        let id = give(&app, "moderated", "15", "Spammy Sam", "Cheap pills here").await;
        let before = totals(db, "moderated").await;
        let page = app.text("/campaigns/moderated").await;
        assert!(page.contains("Spammy Sam") && page.contains("Cheap pills here"));

        // Who may: the member and an editor of another campaign may not.
        for token in [&plain, &other_editor] {
            let res = post_as(
                &app,
                &format!("/admin/donations/{id}/wall"),
                token,
                &[("name", "hidden"), ("message", "hidden"), ("reason", "x")],
            )
            .await;
            assert_eq!(res.status().as_u16(), 403);
        }
        // Hiding needs a reason; a refused form changes nothing.
        let res = moderate(&app, &treasurer, &id, "shown", "hidden", " ").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Say why it is hidden.")
        );
        let res = post_as(
            &app,
            &format!("/admin/donations/{id}/wall"),
            &treasurer,
            &[("name", "shown"), ("message", "hidden"), ("reason", "spam")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422, "no CSRF token");
        assert!(audit_of(db, "wall.message_hidden").await.is_empty());
        assert!(
            app.text("/campaigns/moderated")
                .await
                .contains("Cheap pills here")
        );

        // The treasurer hides the message.
        let res = moderate(&app, &treasurer, &id, "shown", "hidden", "Advertising").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            location(&res),
            format!("/admin/donations/{id}?wall=saved#wall")
        );
        for path in [
            "/campaigns/moderated".to_string(),
            "/campaigns/moderated/donors".to_string(),
        ] {
            let html = app.text(&path).await;
            assert!(
                !html.contains("Cheap pills here"),
                "{path} hides the message"
            );
            assert!(html.contains("Spammy Sam"), "{path} still names the donor");
            assert!(html.contains("£15<"), "{path} keeps the amount");
        }
        let thanks = app.text(&format!("/campaigns/moderated/thanks/{id}")).await;
        assert!(!thanks.contains("Cheap pills here"));
        let hidden = audit_of(db, "wall.message_hidden").await;
        assert_eq!(hidden.len(), 1);
        assert_eq!(hidden[0].actor, "treasurer@example.org");
        assert_eq!(
            (hidden[0].target.as_str(), hidden[0].detail.as_str()),
            (id.as_str(), "Advertising")
        );

        // The editor of this campaign hides the name: "Anonymous" on the wall. The page
        // shows them no contact details.
        let detail = page_as(&app, &format!("/admin/donations/{id}"), &editor).await;
        assert!(
            detail.contains("Cheap pills here"),
            "the team still reads the words"
        );
        assert!(
            !detail.contains("giver@example.org"),
            "no e-mail for an editor"
        );
        assert!(
            detail.contains("<a href=\"/admin/wall\">")
                && !detail.contains("href=\"/admin/donations\""),
            "an editor's way back is the wall, not the donations they may not list"
        );
        let res = moderate(&app, &editor, &id, "hidden", "hidden", "Name is an ad").await;
        assert_eq!(res.status().as_u16(), 303);
        let html = app.text("/campaigns/moderated").await;
        assert!(!html.contains("Spammy Sam"));
        assert!(html.contains("Anonymous"));
        assert_eq!(
            audit_of(db, "wall.name_hidden").await[0].actor,
            "editor@example.org"
        );

        // The ledger, the totals and the donation are untouched.
        let after = totals(db, "moderated").await;
        assert_eq!(
            (after.raised_minor, after.donor_count),
            (before.raised_minor, before.donor_count)
        );
        assert!(after.version > before.version, "the page's version moved");
        let report = ledger::verify(db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        let row = ledger::donation(db, &id).await.expect("db").expect("row");
        assert_eq!(row.donor_name.as_deref(), Some("Spammy Sam"));
        assert_eq!(row.message.as_deref(), Some("Cheap pills here"));
        assert_eq!(row.amount_minor, 1500);

        // Shown again (no reason needed to show).
        let res = moderate(&app, &treasurer, &id, "shown", "shown", "").await;
        assert_eq!(res.status().as_u16(), 303);
        let html = app.text("/campaigns/moderated").await;
        assert!(html.contains("Spammy Sam") && html.contains("Cheap pills here"));
        assert_eq!(audit_of(db, "wall.name_shown").await.len(), 1);
        assert_eq!(audit_of(db, "wall.message_shown").await.len(), 1);
        // Saving the same again records nothing.
        moderate(&app, &treasurer, &id, "shown", "shown", "").await;
        assert_eq!(audit_of(db, "wall.message_shown").await.len(), 1);

        // An editor sees an anonymous donor as the wall does, and nothing of a private one.
        let anon = give_as(&app, "moderated", "4", "Secret Sue", "Hi", "anonymous").await;
        let private = give_as(&app, "moderated", "6", "Quiet Quinn", "", "private").await;
        let detail = page_as(&app, &format!("/admin/donations/{anon}"), &editor).await;
        assert!(!detail.contains("Secret Sue") && detail.contains("Anonymous"));
        let wall = "/admin/wall?campaign=moderated";
        assert!(!page_as(&app, wall, &editor).await.contains("Secret Sue"));
        assert!(page_as(&app, wall, &treasurer).await.contains("Secret Sue"));
        let res = get_as(&app, &format!("/admin/donations/{private}"), &editor).await;
        assert_eq!(res.status().as_u16(), 403);
        let res = moderate(&app, &editor, &anon, "shown", "hidden", "x").await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "an anonymous donation's message is moderated"
        );
        let res = post_as(
            &app,
            &format!("/admin/donations/{private}/wall"),
            &editor,
            &[("name", "hidden"), ("message", "hidden"), ("reason", "x")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);

        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn messages_with_links_can_be_held_for_review() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "held").await;
        let owner = member(db, "owner", Role::Owner, None).await;
        let editor = member(db, "editor", Role::Editor, None).await;
        let app = TestApp::start(settings(&tdb)).await;

        // Off by default: a link shows at once, as text.
        give(&app, "held", "5", "Early", "see spam-shop.example/offer").await;
        assert!(
            app.text("/campaigns/held")
                .await
                .contains("spam-shop.example/offer")
        );

        // Only owners change the setting.
        let res = submit(
            &app,
            "/admin/wall",
            "/admin/settings/hold-links",
            &editor,
            &[("on", "1")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);
        let res = submit(
            &app,
            "/admin/wall",
            "/admin/settings/hold-links",
            &owner,
            &[("on", "1")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            audit_of(db, "settings.hold_link_messages").await[0].detail,
            "on"
        );

        let linked = give(
            &app,
            "held",
            "7",
            "Linda",
            "Win big at https://spam.example/win",
        )
        .await;
        let plain = give(&app, "held", "8", "Paul", "No links here, good luck").await;
        let html = app.text("/campaigns/held").await;
        assert!(
            html.contains("Linda") && html.contains("£7<"),
            "name and amount at once"
        );
        assert!(!html.contains("spam.example/win"), "the message waits");
        assert!(
            html.contains("No links here, good luck"),
            "no link: shown at once"
        );
        let thanks = app.text(&format!("/campaigns/held/thanks/{linked}")).await;
        assert!(thanks.contains("once the team has looked at it"));
        assert!(!thanks.contains("spam.example/win"));
        let thanks = app.text(&format!("/campaigns/held/thanks/{plain}")).await;
        assert!(!thanks.contains("once the team has looked at it"));

        // The console's wall page lists it for review; the editor approves it.
        let wall = page_as(&app, "/admin/wall", &editor).await;
        let held_part = &wall[wall.find("Messages waiting for review").expect("section")..];
        let held_part = &held_part[..held_part.find("Newest on the wall").expect("next")];
        assert!(
            held_part.contains(&format!("/admin/donations/{linked}#wall")),
            "{held_part}"
        );
        assert!(!held_part.contains(&plain));
        let res = moderate(&app, &editor, &linked, "shown", "shown", "").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(audit_of(db, "wall.message_approved").await.len(), 1);
        let html = app.text("/campaigns/held").await;
        assert!(html.contains("Win big at https://spam.example/win"));
        assert!(
            !html.contains("href=\"https://spam.example"),
            "never a link"
        );
        let wall = page_as(&app, "/admin/wall", &editor).await;
        assert!(wall.contains("No messages are waiting."));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn donor_text_is_never_a_link() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "escaped").await;
        let treasurer = member(db, "treasurer", Role::Treasurer, None).await;
        let app = TestApp::start(settings(&tdb)).await;
        let message = "<a href=\"https://spam.example/\">win</a> www.spam.example";
        let id = give(&app, "escaped", "3", "<b>Bold</b> Bob", message).await;
        for (path, html) in [
            ("wall", app.text("/campaigns/escaped").await),
            ("donors", app.text("/campaigns/escaped/donors").await),
            (
                "thanks",
                app.text(&format!("/campaigns/escaped/thanks/{id}")).await,
            ),
            (
                "detail",
                page_as(&app, &format!("/admin/donations/{id}"), &treasurer).await,
            ),
            ("list", page_as(&app, "/admin/donations", &treasurer).await),
            (
                "console wall",
                page_as(&app, "/admin/wall", &treasurer).await,
            ),
        ] {
            assert!(
                !html.contains("href=\"https://spam.example"),
                "{path}: a link"
            );
            assert!(
                !html.contains("href=\"http://www.spam.example"),
                "{path}: a link"
            );
            assert!(!html.contains("<b>Bold</b>"), "{path}: markup");
            assert!(!html.contains("<a href=\"https://spam"), "{path}: markup");
            if path != "list" {
                assert!(
                    html.contains(
                        "&#60;a href=&#34;https://spam.example/&#34;&#62;win&#60;/a&#62;"
                    ),
                    "{path}: shown as escaped text"
                );
            }
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_wall_hides_a_moderated_message_on_every_node() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "two-node-wall").await;
        let treasurer = member(db, "treasurer", Role::Treasurer, None).await;
        let a = TestApp::start(settings(&tdb)).await;
        let b = TestApp::start(settings(&tdb)).await;
        let id = give(&a, "two-node-wall", "9", "Mallory", "Visit my shop").await;
        let path = "/campaigns/two-node-wall";
        // Both nodes show the message, and node B serves it from its page cache.
        until(&a, path, "node A shows the message", WAIT, |h| {
            h.contains("Visit my shop")
        })
        .await;
        until(&b, path, "node B shows the message", WAIT, |h| {
            h.contains("Visit my shop")
        })
        .await;
        let hits = metric(&b, "shelfraiser_page_cache_hits_total").await;
        assert!(b.text(path).await.contains("Visit my shop"));
        assert_eq!(
            metric(&b, "shelfraiser_page_cache_hits_total").await,
            hits + 1,
            "node B's page is cached"
        );
        let mut sse = Sse::open(&b.client, &b.url("/campaigns/two-node-wall/live")).await;
        let first = sse.next_progress(WAIT).await;
        assert_eq!(first["wall"][0]["message"], "Visit my shop", "{first}");

        // Hidden through node A: node B's page and its open stream follow.
        let res = moderate(&a, &treasurer, &id, "shown", "hidden", "Advertising").await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(
            !a.text(path).await.contains("Visit my shop"),
            "node A at once"
        );
        let took = until(&b, path, "node B hides the message", FOLLOW, |h| {
            !h.contains("Visit my shop") && h.contains("Mallory")
        })
        .await;
        eprintln!(
            "   [{}] hidden on node A → node B's page: {took:?}",
            tdb.backend
        );
        let next = sse.next_progress(WAIT).await;
        assert_eq!(next["wall"][0]["message"], "", "{next}");
        assert_eq!(next["wall"][0]["name"], "Mallory", "{next}");
        drop(sse);
        a.stop().await;
        b.stop().await;
    })
    .await;
}
