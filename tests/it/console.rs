//! The team console over real HTTP on both backends: who sees and does what (including a
//! campaign-scoped editor reaching for another campaign), the campaign editor changing the
//! public page and the API, refused input changing nothing, cover uploads (type, size,
//! metadata), offline donations keeping the ledger clean, the CSV export, members and the
//! audit log.

use std::io::Cursor;

use chrono::{Duration, Utc};
use shelfraiser::campaigns::{CampaignState, NewCampaign, Slug, repo};
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::donations::offline::{self, OfflineInput};
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::team::audit::{self, Actor};
use shelfraiser::team::{Role, repo as team_repo, session};

use crate::harness::*;
use crate::team_harness::*;

/// Records an offline £5 private gift to `campaign` through the console form.
async fn offline_gift(app: &TestApp, who: &Who, csrf: &str, campaign: &str) -> reqwest::Response {
    let form = [
        ("csrf", csrf),
        ("campaign", campaign),
        ("amount", "5"),
        ("currency", "GBP"),
        ("visibility", "private"),
    ];
    who.post(app, "/admin/donations", &form).await
}

/// Adds or removes a grant, `(op, role, scope)`, of `member` through the members page.
async fn change_role(
    app: &TestApp,
    who: &Who,
    csrf: &str,
    member: &Who,
    (op, role, scope): (&str, &str, &str),
) -> reqwest::Response {
    let path = format!("/admin/members/{}/roles", member.member.id);
    let form = [("csrf", csrf), ("op", op), ("role", role), ("scope", scope)];
    who.post(app, &path, &form).await
}

/// Removes `member` from the team through the members page.
async fn remove_member(app: &TestApp, who: &Who, csrf: &str, member: &Who) -> reqwest::Response {
    let path = format!("/admin/members/{}/remove", member.member.id);
    who.post(app, &path, &[("csrf", csrf)]).await
}

/// Invites `(email, name, role, scope)` through the members page.
async fn invite(
    app: &TestApp,
    who: &Who,
    csrf: &str,
    (email, name, role, scope): (&str, &str, &str, &str),
) -> reqwest::Response {
    let form = [
        ("csrf", csrf),
        ("email", email),
        ("name", name),
        ("role", role),
        ("scope", scope),
    ];
    who.post(app, "/admin/members", &form).await
}

/// Turns on the site's two-factor requirement through the members page.
async fn require_2fa(app: &TestApp, who: &Who, csrf: &str) -> reqwest::Response {
    who.post(
        app,
        "/admin/settings/require-2fa",
        &[("csrf", csrf), ("on", "1")],
    )
    .await
}

/// A `multipart/form-data` body; `file` is (field, file name, content type, bytes).
pub(super) fn multipart(
    fields: &[(String, String)],
    file: Option<(&str, &str, &str, &[u8])>,
) -> (String, Vec<u8>) {
    let boundary = format!("----console-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, filename, ct, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_editor(
    app: &TestApp,
    who: &Who,
    slug: &str,
    fields: &[(String, String)],
    file: Option<(&str, &str, &str, &[u8])>,
) -> reqwest::Response {
    let (ct, body) = multipart(fields, file);
    app.client
        .post(app.url(&format!("/admin/campaigns/{slug}")))
        .header("cookie", format!("sr_session={}", who.token))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("POST multipart")
}

/// The editor's fields for the seeded campaign, as the form would send them.
pub(super) fn editor_fields(csrf: &str, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let starts = (Utc::now() - Duration::days(1)).date_naive().to_string();
    let ends = (Utc::now() + Duration::days(30)).date_naive().to_string();
    let mut v: Vec<(String, String)> = vec![
        ("csrf", csrf),
        ("title", "Test library"),
        ("summary", "A test campaign"),
        ("story", "The **story**."),
        ("goal", "1000.00"),
        ("currency", "GBP"),
        ("accept", "USD"),
        ("accept", "EUR"),
        ("accept", "DKK"),
        ("accept", "INR"),
        ("accept", "JPY"),
        ("starts", &starts),
        ("ends", &ends),
        ("beneficiary_name", "Village library"),
        ("beneficiary_place", "Tamil Nadu, India"),
        ("milestones", "250: Roof"),
        ("state", "live"),
        ("keep_accepting", "1"),
        ("featured", "1"),
        ("cover_alt", ""),
        ("action", "save"),
    ]
    .into_iter()
    .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, val) in overrides {
        if !val.is_empty() || *k == "cover_alt" {
            v.push((k.to_string(), val.to_string()));
        }
    }
    v
}

async fn second_campaign(db: &Db, slug: &str) {
    let gbp = CurrencyCode::parse("GBP").expect("GBP");
    repo::create(
        db,
        &NewCampaign {
            slug: Slug::parse(slug).expect("slug"),
            title: "Other library".into(),
            summary: "Another campaign".into(),
            story_md: "Other story.".into(),
            goal: Money::new(50_000, gbp),
            accepted: vec![gbp],
            starts_at: Utc::now() - Duration::days(1),
            ends_at: None,
            beneficiary_name: "Town library".into(),
            beneficiary_place: "Somewhere".into(),
            cover_image_url: None,
            cover_image_alt: None,
            state: CampaignState::Live,
            keep_accepting: true,
            featured: false,
            milestones: vec![],
        },
    )
    .await
    .expect("second campaign");
}

async fn give(
    db: &Db,
    slug: &str,
    amount: &str,
    donor: &str,
    visibility: &str,
    reference: &str,
) -> String {
    let c = repo::by_slug(db, slug)
        .await
        .expect("db")
        .expect("campaign");
    let done = offline::add(
        db,
        &c,
        &OfflineInput {
            amount: amount.into(),
            currency: c.currency().to_string(),
            donor: Some(donor.into()),
            email: Some("giver@example.org".into()),
            visibility: visibility.into(),
            reference: Some(reference.into()),
            ..Default::default()
        },
        &Actor::cli(),
    )
    .await
    .expect("offline donation");
    done.recorded.donation_id().to_string()
}

async fn audit_actions(db: &Db, action: &str) -> Vec<audit::Entry> {
    audit::list(db, Some(action), None, 100, 0)
        .await
        .expect("audit")
}

#[tokio::test]
async fn not_signed_in_goes_to_sign_in() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        for (path, next) in [
            ("/admin", "%2Fadmin"),
            (
                "/admin/donations?campaign=test-library",
                "%2Fadmin%2Fdonations%3Fcampaign%3Dtest%2Dlibrary",
            ),
            (
                "/admin/campaigns/test-library",
                "%2Fadmin%2Fcampaigns%2Ftest%2Dlibrary",
            ),
        ] {
            let res = app.get(path).await;
            assert_eq!(res.status().as_u16(), 303, "{path}");
            assert_eq!(location(&res), format!("/signin?next={next}"), "{path}");
        }
        let res = app.post_form("/admin/donations", &[("amount", "10")]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(location(&res).starts_with("/signin?next="));
        // A stale cookie is no session either.
        let res = app
            .client
            .get(app.url("/admin"))
            .header("cookie", "sr_session=not-a-session")
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 303);
        // The public media route needs no session.
        assert_eq!(
            app.get("/media/0123456789abcdef0123456789abcdef.png")
                .await
                .status()
                .as_u16(),
            404
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn each_role_sees_and_does_what_it_should() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "test-library").await;
        second_campaign(db, "other-library").await;
        let owner = team_member("owner")
            .zone("Europe/London")
            .role(Role::Owner)
            .signed_in(db)
            .await;
        let editor = team_member("editor")
            .zone("America/New_York")
            .role(Role::Editor)
            .signed_in(db)
            .await;
        let editor_a = team_member("scoped-editor")
            .zone("America/Denver")
            .role_on(Role::Editor, "test-library")
            .signed_in(db)
            .await;
        let treasurer = team_member("treasurer")
            .zone("Europe/Copenhagen")
            .role(Role::Treasurer)
            .signed_in(db)
            .await;
        let treasurer_a = team_member("scoped-treasurer")
            .role_on(Role::Treasurer, "test-library")
            .signed_in(db)
            .await;
        let plain = team_member("plain")
            .zone("Asia/Kolkata")
            .role(Role::Member)
            .signed_in(db)
            .await;
        let private_gift = give(db, "test-library", "12", "Quiet Giver", "private", "P-1").await;
        let other_gift = give(db, "other-library", "7", "Other Giver", "public", "O-1").await;
        let app = TestApp::start(settings(&tdb)).await;

        // Everyone on the team reads the dashboard; donor names follow visibility unless the
        // member may read donations.
        for who in [&owner, &editor, &editor_a, &treasurer, &treasurer_a, &plain] {
            let html = who.page(&app, "/admin").await;
            assert!(html.contains("Test library"), "{}", who.member.email);
            assert!(html.contains("Who is around now"));
            assert!(html.contains("Europe/Copenhagen"));
            assert!(html.contains("0 items wait for moderation"));
            assert!(
                html.contains("/static/console."),
                "console stylesheet linked"
            );
        }
        let html = plain.page(&app, "/admin").await;
        assert!(
            !html.contains("Quiet Giver"),
            "a private donor's name is not shown to a member"
        );
        assert!(html.contains("Anonymous"));
        assert!(
            !html.contains("/admin/campaigns/test-library"),
            "no edit link for a member"
        );
        assert!(
            !html.contains("href=\"/admin/donations\""),
            "no donations link for a member"
        );
        let html = treasurer.page(&app, "/admin").await;
        assert!(html.contains("Quiet Giver"));
        // A campaign-scoped member sees only that campaign.
        let html = editor_a.page(&app, "/admin").await;
        assert!(!html.contains("Other library"));
        assert!(!html.contains("Other Giver"));

        // The campaign editor.
        for (who, slug, want) in [
            (&owner, "test-library", 200),
            (&editor, "other-library", 200),
            (&editor_a, "test-library", 200),
            (&editor_a, "other-library", 403),
            (&treasurer, "test-library", 403),
            (&plain, "test-library", 403),
        ] {
            let res = who.get(&app, &format!("/admin/campaigns/{slug}")).await;
            assert_eq!(
                res.status().as_u16(),
                want,
                "{} on {slug}",
                who.member.email
            );
        }
        // Posting to another campaign with a valid token of one's own is still refused.
        let token = editor_a.csrf(&app, "/admin/campaigns/test-library").await;
        let res = post_editor(
            &app,
            &editor_a,
            "other-library",
            &editor_fields(&token, &[("title", "Taken over")]),
            None,
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);
        let other = repo::by_slug(db, "other-library")
            .await
            .expect("db")
            .expect("c");
        assert_eq!(other.title, "Other library");

        // Donations: readers only, and only their campaigns.
        let cases: Vec<(&Who, String, u16)> = vec![
            (&treasurer, "/admin/donations".to_string(), 200),
            (&treasurer_a, "/admin/donations".to_string(), 200),
            (&owner, "/admin/donations".to_string(), 200),
            (&editor, "/admin/donations".to_string(), 403),
            (&plain, "/admin/donations".to_string(), 403),
            (
                &treasurer_a,
                "/admin/donations?campaign=other-library".to_string(),
                403,
            ),
            (
                &treasurer,
                "/admin/donations?campaign=other-library".to_string(),
                200,
            ),
            (
                &treasurer_a,
                format!("/admin/donations/{private_gift}"),
                200,
            ),
            (&treasurer_a, format!("/admin/donations/{other_gift}"), 403),
            // Editors moderate the donor wall: the page of a listed donation opens for
            // them, without the donor's contact details (tests/it/donor_wall.rs); a private
            // one does not.
            (&editor, format!("/admin/donations/{private_gift}"), 403),
            (&editor, format!("/admin/donations/{other_gift}"), 200),
            (&editor_a, format!("/admin/donations/{other_gift}"), 403),
            (&plain, format!("/admin/donations/{other_gift}"), 403),
            (&treasurer, "/admin/donations.csv".to_string(), 200),
            (&editor, "/admin/donations.csv".to_string(), 403),
            (&plain, "/admin/donations.csv".to_string(), 403),
            (
                &treasurer_a,
                "/admin/donations.csv?campaign=other-library".to_string(),
                403,
            ),
            (&owner, "/admin/members".to_string(), 200),
            (&plain, "/admin/members".to_string(), 200),
            (&owner, "/admin/audit".to_string(), 200),
            (&treasurer, "/admin/audit".to_string(), 403),
            (&editor, "/admin/audit".to_string(), 403),
            (&owner, "/admin/outbox".to_string(), 200),
            (&treasurer, "/admin/outbox".to_string(), 403),
        ];
        for (who, path, want) in cases {
            let res = who.get(&app, &path).await;
            assert_eq!(
                res.status().as_u16(),
                want,
                "{} GET {path}",
                who.member.email
            );
        }
        let html = treasurer_a.page(&app, "/admin/donations").await;
        assert!(html.contains("Quiet Giver"));
        assert!(
            !html.contains("Other Giver"),
            "a scoped treasurer sees only their campaign"
        );
        let csv = treasurer_a
            .get(&app, "/admin/donations.csv")
            .await
            .text()
            .await
            .expect("csv");
        assert!(csv.contains("Quiet Giver") && !csv.contains("Other Giver"));

        // Offline entry: writers only, and only on their campaigns.
        let token = treasurer_a.csrf(&app, "/admin/donations").await;
        let res = offline_gift(&app, &treasurer_a, &token, "other-library").await;
        assert_eq!(res.status().as_u16(), 403);
        let token = owner.csrf(&app, "/admin").await;
        let res = offline_gift(&app, &editor, &token, "test-library").await;
        assert_eq!(res.status().as_u16(), 403);
        assert_eq!(count(db, "donations").await, 2);

        // Members: everyone reads the list, only owners manage.
        let html = plain.page(&app, "/admin/members").await;
        assert!(html.contains("owner tester") && html.contains("Asia/Kolkata"));
        assert!(
            !html.contains("owner@example.org"),
            "e-mail addresses are for owners"
        );
        assert!(!html.contains("Invite someone"));
        let html = owner.page(&app, "/admin/members").await;
        assert!(html.contains("owner@example.org") && html.contains("Invite someone"));
        let token = editor.csrf(&app, "/admin/members").await;
        for path in [
            format!("/admin/members/{}/roles", plain.member.id),
            format!("/admin/members/{}/remove", plain.member.id),
        ] {
            let res = editor
                .post(
                    &app,
                    &path,
                    &[
                        ("csrf", &token),
                        ("op", "add"),
                        ("role", "owner"),
                        ("scope", ""),
                    ],
                )
                .await;
            assert_eq!(res.status().as_u16(), 403, "{path}");
        }
        let res = require_2fa(&app, &treasurer, &token).await;
        assert_eq!(res.status().as_u16(), 403);
        let after = team_repo::by_id(db, &plain.member.id)
            .await
            .expect("db")
            .expect("m");
        assert_eq!(after.grants.len(), 1);
        assert_eq!(after.status, shelfraiser::team::MemberStatus::Active);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn campaign_edits_reach_the_public_page_and_the_api() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let editor = team_member("editor")
            .role_on(Role::Editor, "test-library")
            .signed_in(db)
            .await;
        let app = TestApp::start(settings(&tdb)).await;
        // Warm the public page cache first: the edit must replace the cached page.
        assert!(
            app.text("/campaigns/test-library")
                .await
                .contains("Test library")
        );

        let form = editor.page(&app, "/admin/campaigns/test-library").await;
        assert!(form.contains("enctype=\"multipart/form-data\""));
        assert!(
            form.contains("250: Roof"),
            "the editor shows amounts as the page reads them"
        );
        let token = hidden_value(&form, "csrf").expect("csrf");

        // Preview renders the sanitised story and saves nothing.
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &editor_fields(
                &token,
                &[
                    ("story", "New **bold** <script>alert(1)</script>"),
                    ("action", "preview"),
                ],
            ),
            None,
        )
        .await;
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.expect("body");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script>alert"), "the preview is sanitised");
        assert_eq!(
            repo::by_id(db, &c.id)
                .await
                .expect("db")
                .expect("c")
                .story_md,
            "The **story**."
        );

        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &editor_fields(
                &token,
                &[
                    ("title", "A library for the village"),
                    ("summary", "Shelves, books and a roof"),
                    ("story", "We are **building** it."),
                    ("goal", "2000"),
                    ("milestones", "500: Roof\n1500.50: Shelves"),
                    ("accept", "USD"),
                ],
            ),
            None,
        )
        .await;
        assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
        assert_eq!(location(&res), "/admin/campaigns/test-library?saved=1");

        let public = app.text("/campaigns/test-library").await;
        assert!(
            public.contains("A library for the village"),
            "the cached page was replaced"
        );
        assert!(public.contains("<strong>building</strong>"));
        assert!(public.contains("Shelves"));
        let api: serde_json::Value = app
            .get("/api/v1/campaigns/test-library")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(api["title"], "A library for the village");
        assert_eq!(api["summary"], "Shelves, books and a roof");
        assert_eq!(api["goal"]["amount_minor"], 200_000);
        let saved = repo::by_id(db, &c.id).await.expect("db").expect("c");
        let ms = repo::milestones(db, &saved).await.expect("milestones");
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[1].amount.amount_minor, 150_050);
        assert_eq!(
            saved
                .accepted
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            ["GBP", "USD"]
        );
        let updated = audit_actions(db, "campaign.updated").await;
        assert_eq!(updated.len(), 1);
        assert_eq!(updated[0].actor, "editor@example.org");
        assert!(updated[0].detail.contains("title") && updated[0].detail.contains("milestones"));

        // A state change: the public page stops taking donations, the API says closed.
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &editor_fields(
                &token,
                &[
                    ("title", "A library for the village"),
                    ("summary", "Shelves, books and a roof"),
                    ("story", "We are **building** it."),
                    ("goal", "2000"),
                    ("milestones", "500: Roof\n1500.50: Shelves"),
                    ("state", "closed"),
                ],
            ),
            None,
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let api: serde_json::Value = app
            .get("/api/v1/campaigns/test-library")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(api["state"], "closed");
        assert!(
            !app.text("/campaigns/test-library")
                .await
                .contains("name=\"amount\"")
        );
        let states = audit_actions(db, "campaign.state").await;
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].detail, "live -> closed");
        assert!(
            editor
                .page(&app, "/admin/campaigns/test-library?saved=1")
                .await
                .contains("Saved.")
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bad_editor_input_is_refused_and_nothing_changes() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let editor = team_member("editor").role(Role::Editor).signed_in(db).await;
        let other = team_member("other").role(Role::Editor).signed_in(db).await;
        let app = TestApp::start(settings(&tdb)).await;
        let token = editor.csrf(&app, "/admin/campaigns/test-library").await;
        let other_token = other.csrf(&app, "/admin/campaigns/test-library").await;
        let cases: Vec<(Vec<(String, String)>, &str)> = vec![
            (editor_fields(&token, &[("title", "   ")]), "title-err"),
            (
                editor_fields(&token, &[("title", &"x".repeat(201))]),
                "title-err",
            ),
            (editor_fields(&token, &[("goal", "ten")]), "goal-err"),
            (editor_fields(&token, &[("goal", "0")]), "goal-err"),
            (editor_fields(&token, &[("goal", "10.001")]), "goal-err"),
            (
                editor_fields(&token, &[("currency", "XYZ")]),
                "currency-err",
            ),
            (
                editor_fields(&token, &[("milestones", "Roof without amount")]),
                "milestones-err",
            ),
            (
                editor_fields(&token, &[("milestones", "abc: Roof")]),
                "milestones-err",
            ),
            (
                editor_fields(&token, &[("starts", "yesterday")]),
                "starts-err",
            ),
            (editor_fields(&token, &[("ends", "2000-01-01")]), "ends-err"),
            (editor_fields(&token, &[("state", "exploded")]), "state-err"),
            (
                editor_fields(&token, &[("beneficiary_name", "")]),
                "beneficiary_name-err",
            ),
            (
                editor_fields(&token, &[("story", &"s".repeat(50_001))]),
                "story-err",
            ),
            (editor_fields(&token, &[("accept", "ZZZ")]), "accept-err"),
        ];
        for (fields, marked) in &cases {
            let res = post_editor(&app, &editor, "test-library", fields, None).await;
            assert_eq!(res.status().as_u16(), 422, "{marked}");
            let html = res.text().await.expect("body");
            assert!(
                html.contains(&format!("id=\"{marked}\"")),
                "{marked} marked"
            );
            if *marked != "accept-err" {
                assert!(html.contains("aria-invalid=\"true\""), "{marked}");
            }
        }
        // Forged, missing and other sessions' tokens: the form again, nothing changed.
        for bad in ["", "123.abc", &other_token, &token.replace('.', "")] {
            let res = post_editor(
                &app,
                &editor,
                "test-library",
                &editor_fields(bad, &[("title", "Changed")]),
                None,
            )
            .await;
            assert_eq!(res.status().as_u16(), 422, "token {bad:?}");
            let html = res.text().await.expect("body");
            assert!(html.contains("The form expired"));
            assert!(
                html.contains("value=\"Changed\""),
                "the typed values come back"
            );
        }
        // A cross-site post with a valid token is refused too.
        let (ct, body) = multipart(&editor_fields(&token, &[("title", "Changed")]), None);
        let res = app
            .client
            .post(app.url("/admin/campaigns/test-library"))
            .header("cookie", format!("sr_session={}", editor.token))
            .header("content-type", ct)
            .header("origin", "https://evil.example")
            .body(body)
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);

        // The currency is fixed once a donation exists.
        give(db, "test-library", "10", "Giver", "public", "R-1").await;
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &editor_fields(&token, &[("currency", "EUR")]),
            None,
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("id=\"currency-err\"")
        );

        let after = repo::by_id(db, &c.id).await.expect("db").expect("c");
        assert_eq!(after.title, c.title);
        assert_eq!(after.goal, c.goal);
        assert_eq!(after.state, c.state);
        assert!(audit_actions(db, "campaign.updated").await.is_empty());
        // Unknown campaigns are 404 (after the role check).
        assert_eq!(
            editor
                .get(&app, "/admin/campaigns/nope")
                .await
                .status()
                .as_u16(),
            404
        );
        app.stop().await;
    })
    .await;
}

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// A JPEG with an EXIF block (APP1) that carries a recognisable marker.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([200, (x % 256) as u8, 40]));
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPS 55.6761N 12.5683E SECRET-CAMERA-SERIAL");
    let len = u16::try_from(exif.len() + 2).expect("len");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn cover_uploads_are_checked_reencoded_and_served() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let editor = team_member("editor").role(Role::Editor).signed_in(db).await;
        let app = TestApp::start(settings(&tdb)).await;
        let token = editor.csrf(&app, "/admin/campaigns/test-library").await;
        let fields = |alt: &str| editor_fields(&token, &[("cover_alt", alt)]);

        // A real PNG.
        let png = png_bytes(40, 20);
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &fields("Children reading"),
            Some(("cover", "cover.png", "image/png", &png)),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let after = repo::by_id(db, &c.id).await.expect("db").expect("c");
        let url = after.cover_image_url.clone().expect("cover set");
        assert!(url.starts_with("/media/") && url.ends_with(".png"), "{url}");
        assert_eq!(after.cover_image_alt.as_deref(), Some("Children reading"));
        let res = app.get(&url).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let bytes = res.bytes().await.expect("bytes");
        let img = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((img.width(), img.height()), (40, 20));
        assert!(
            app.text("/campaigns/test-library").await.contains(&url),
            "the public page shows the cover"
        );
        // The wrong extension for the stored type is not found.
        assert_eq!(
            app.get(&url.replace(".png", ".jpg"))
                .await
                .status()
                .as_u16(),
            404
        );

        // A wide JPEG with EXIF: scaled to 1600 px, the metadata gone.
        let jpeg = jpeg_with_exif(2000, 100);
        assert!(contains(&jpeg, b"SECRET-CAMERA-SERIAL") && contains(&jpeg, b"Exif"));
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &fields("A wide photo"),
            Some(("cover", "photo.jpg", "image/jpeg", &jpeg)),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let url = repo::by_id(db, &c.id)
            .await
            .expect("db")
            .expect("c")
            .cover_image_url
            .expect("cover");
        assert!(url.ends_with(".jpg"), "{url}");
        let res = app.get(&url).await;
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.expect("bytes");
        assert!(
            !contains(&bytes, b"SECRET-CAMERA-SERIAL"),
            "EXIF content stripped"
        );
        assert!(!contains(&bytes, b"Exif"), "no EXIF block");
        let img = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((img.width(), img.height()), (1600, 80));
        let media_before = count(db, "media").await;
        assert_eq!(media_before, 2);

        // A fake image (text named .png, declared image/png): refused, nothing changed.
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &fields("Fake"),
            Some((
                "cover",
                "evil.png",
                "image/png",
                b"<svg onload=alert(1)>not an image</svg>",
            )),
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("body").contains("id=\"cover-err\""));
        // A PNG header with garbage after it: refused.
        let mut broken = png_bytes(4, 4);
        broken.truncate(30);
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &fields("Broken"),
            Some(("cover", "broken.png", "image/png", &broken)),
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        // More than 20 MB: 413, with the form and the reason.
        let mut big = png_bytes(4, 4);
        big.resize(20 * 1024 * 1024 + 10, 0);
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &fields("Too big"),
            Some(("cover", "big.png", "image/png", &big)),
        )
        .await;
        assert_eq!(res.status().as_u16(), 413);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"cover-err\"") && html.contains("value=\"Too big\""));
        // A cover needs a description.
        let res = post_editor(
            &app,
            &editor,
            "test-library",
            &fields(""),
            Some(("cover", "cover.png", "image/png", &png)),
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("id=\"cover_alt-err\"")
        );

        let after = repo::by_id(db, &c.id).await.expect("db").expect("c");
        assert_eq!(after.cover_image_url.as_deref(), Some(url.as_str()));
        assert_eq!(after.cover_image_alt.as_deref(), Some("A wide photo"));
        assert_eq!(count(db, "media").await, media_before);

        // Removing the cover.
        let mut f = fields("");
        f.push(("remove_cover".into(), "1".into()));
        let res = post_editor(&app, &editor, "test-library", &f, None).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(
            repo::by_id(db, &c.id)
                .await
                .expect("db")
                .expect("c")
                .cover_image_url
                .is_none()
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn offline_donations_through_the_console() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = team_member("treasurer")
            .role(Role::Treasurer)
            .signed_in(db)
            .await;
        let app = TestApp::start(settings(&tdb)).await;
        // Warm the public page (cached), then add money behind it.
        assert!(
            app.text("/campaigns/test-library")
                .await
                .contains("Test library")
        );
        let form = treasurer.page(&app, "/admin/donations").await;
        assert!(form.contains("Record an offline donation"));
        let token = hidden_value(&form, "csrf").expect("csrf");
        let fields = |amount: &'static str, currency: &'static str, reference: &'static str| {
            vec![
                ("csrf", token.clone()),
                ("campaign", "test-library".to_string()),
                ("amount", amount.to_string()),
                ("currency", currency.to_string()),
                ("donor", "Book club".to_string()),
                ("email", "club@example.org".to_string()),
                ("date", "2024-07-01".to_string()),
                ("note", "Cash at the fair".to_string()),
                ("message", "For the shelves".to_string()),
                ("visibility", "public".to_string()),
                ("reference", reference.to_string()),
            ]
        };
        let send = |f: Vec<(&'static str, String)>| {
            let pairs: Vec<(String, String)> =
                f.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let app = &app;
            let t = &treasurer;
            async move {
                app.client
                    .post(app.url("/admin/donations"))
                    .header("cookie", format!("sr_session={}", t.token))
                    .form(&pairs)
                    .send()
                    .await
                    .expect("POST")
            }
        };
        let res = send(fields("10", "USD", "R-1")).await;
        assert_eq!(res.status().as_u16(), 303);
        let to = location(&res);
        assert!(
            to.starts_with("/admin/donations/") && to.ends_with("?added=1"),
            "{to}"
        );
        // $10 at the bundled rate is 791p, as on the command line.
        let t = repo::totals(db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (791, 1));
        let detail = treasurer.page(&app, &to).await;
        for want in [
            "Book club",
            "club@example.org",
            "R-1",
            "offline",
            "Cash at the fair",
            "2024-07-01",
            "£7.91",
            "0.7906398879",
            "The donation was recorded.",
        ] {
            assert!(detail.contains(want), "{want} in the detail view");
        }
        assert!(
            app.text("/campaigns/test-library")
                .await
                .contains("Book club"),
            "the public wall shows it"
        );
        let api: serde_json::Value = app
            .get("/api/v1/campaigns/test-library")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(api["raised"]["amount_minor"], 791);

        // The same reference again records nothing.
        let res = send(fields("10", "USD", "R-1")).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(location(&res).ends_with("?duplicate=1"));
        assert_eq!(count(db, "donations").await, 1);

        // Refused entries: 422, fields marked, nothing recorded.
        for (f, marked) in [
            (fields("ten", "GBP", "R-2"), "o-amount-err"),
            (fields("0", "GBP", "R-2"), "o-amount-err"),
            (fields("10", "XYZ", "R-2"), "o-currency-err"),
            (fields("1.234", "GBP", "R-2"), "o-amount-err"),
        ] {
            let res = send(f).await;
            assert_eq!(res.status().as_u16(), 422, "{marked}");
            assert!(
                res.text()
                    .await
                    .expect("body")
                    .contains(&format!("id=\"{marked}\"")),
                "{marked}"
            );
        }
        let mut f = fields("10", "GBP", "R-2");
        f.retain(|(k, _)| *k != "email" && *k != "date" && *k != "visibility");
        f.push(("email", "not-an-address".into()));
        f.push(("date", "yesterday".into()));
        f.push(("visibility", "loud".into()));
        let res = send(f).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        for marked in ["o-email-err", "o-date-err", "o-visibility-err"] {
            assert!(html.contains(&format!("id=\"{marked}\"")), "{marked}");
        }
        let mut f = fields("10", "GBP", "R-2");
        f[0].1 = "forged".into();
        let res = send(f).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("body").contains("The form expired"));
        assert_eq!(count(db, "donations").await, 1);

        let report = ledger::verify(db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        let added = audit_actions(db, "donation.added").await;
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].actor, "treasurer@example.org");
        assert!(added[0].detail.contains("reference=R-1"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn donation_list_filters_and_pages() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "test-library").await;
        second_campaign(db, "other-library").await;
        let owner = team_member("owner").role(Role::Owner).signed_in(db).await;
        for i in 0..53 {
            give(
                db,
                "test-library",
                "1",
                &format!("Reader {i:02}"),
                "public",
                &format!("R-{i}"),
            )
            .await;
        }
        give(
            db,
            "test-library",
            "3",
            "Percent_Person 100%",
            "anonymous",
            "A-1",
        )
        .await;
        give(
            db,
            "other-library",
            "2",
            "Elsewhere Giver",
            "private",
            "E-1",
        )
        .await;
        let app = TestApp::start(settings(&tdb)).await;

        let html = owner.page(&app, "/admin/donations").await;
        assert_eq!(total(&html), "55 donations");
        assert!(html.contains("rel=\"next\""));
        let next = owner.page(&app, "/admin/donations?page=2").await;
        assert!(next.contains("rel=\"prev\"") && !next.contains("rel=\"next\""));
        let html = owner
            .page(&app, "/admin/donations?campaign=other-library")
            .await;
        assert_eq!(total(&html), "1 donation");
        assert!(html.contains("Elsewhere Giver"));
        let html = owner.page(&app, "/admin/donations?q=reader%201").await;
        assert_eq!(total(&html), "10 donations", "Reader 10–19");
        let html = owner.page(&app, "/admin/donations?q=100%25").await;
        assert_eq!(total(&html), "1 donation", "% is matched literally");
        assert!(html.contains("Percent_Person"));
        let html = owner.page(&app, "/admin/donations?q=%25").await;
        assert_eq!(total(&html), "1 donation");
        let html = owner
            .page(&app, "/admin/donations?visibility=anonymous")
            .await;
        assert_eq!(total(&html), "1 donation");
        let html = owner
            .page(&app, "/admin/donations?provider=offline&visibility=private")
            .await;
        assert_eq!(total(&html), "1 donation");
        let today = Utc::now().date_naive();
        let html = owner
            .page(&app, &format!("/admin/donations?from={today}&to={today}"))
            .await;
        assert_eq!(total(&html), "55 donations");
        let tomorrow = today + Duration::days(1);
        let html = owner
            .page(&app, &format!("/admin/donations?from={tomorrow}"))
            .await;
        assert_eq!(total(&html), "0 donations");
        // Bad filters: marked, 422.
        let res = owner
            .get(&app, "/admin/donations?from=someday&visibility=loud")
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"f-from-err\"") && html.contains("id=\"f-visibility-err\""));
        assert_eq!(
            owner
                .get(&app, "/admin/donations?campaign=nope")
                .await
                .status()
                .as_u16(),
            404
        );
        // The export link keeps the filter.
        let html = owner
            .page(&app, "/admin/donations?campaign=other-library")
            .await;
        assert!(html.contains("/admin/donations.csv?campaign=other%2Dlibrary"));
        app.stop().await;
    })
    .await;
}

/// The list's total line ("55 donations").
fn total(html: &str) -> &str {
    let start =
        html.find("id=\"results-h\">").expect("results heading") + "id=\"results-h\">".len();
    &html[start..start + html[start..].find('<').expect("end")]
}

/// Splits RFC 4180 CSV text into records (quoted fields may hold commas, quotes and line
/// breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn csv_export_for_accountants() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "test-library").await;
        let treasurer = team_member("treasurer")
            .role(Role::Treasurer)
            .signed_in(db)
            .await;
        let names = [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "Comma, Name",
            "Quote \"Q\" Person",
            "Plain Person",
        ];
        for (i, n) in names.iter().enumerate() {
            give(db, "test-library", "5", n, "public", &format!("CSV-{i}")).await;
        }
        let app = TestApp::start(settings(&tdb)).await;
        let res = treasurer.get(&app, "/admin/donations.csv").await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .expect("ct")
                .starts_with("text/csv")
        );
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .expect("cd")
                .starts_with("attachment; filename=\"donations-")
        );
        let text = res.text().await.expect("csv");
        assert!(text.contains("\r\n"), "RFC 4180 line ends");
        let rows = parse_csv(&text);
        assert_eq!(rows.len(), 1 + names.len());
        let header = &rows[0];
        for col in [
            "donation_id",
            "campaign",
            "amount",
            "currency",
            "rate",
            "campaign_amount",
            "donor_name",
            "donor_email",
            "provider",
            "provider_reference",
            "received_on",
            "note",
            "visibility",
            "status",
        ] {
            assert!(header.iter().any(|h| h == col), "{col} in the header");
        }
        let name_col = header
            .iter()
            .position(|h| h == "donor_name")
            .expect("donor_name");
        let amount_col = header.iter().position(|h| h == "amount").expect("amount");
        let ref_col = header
            .iter()
            .position(|h| h == "provider_reference")
            .expect("ref");
        let got: Vec<&str> = rows[1..].iter().map(|r| r[name_col].as_str()).collect();
        for n in names {
            let want = if n.starts_with(['=', '+', '-', '@']) {
                format!("'{n}")
            } else {
                n.to_string()
            };
            assert!(got.contains(&want.as_str()), "{want:?} in {got:?}");
        }
        for r in &rows[1..] {
            assert_eq!(r.len(), header.len());
            assert_eq!(r[amount_col], "5.00");
            assert!(r[ref_col].starts_with("CSV-"));
            for cell in r {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@']),
                    "unguarded cell {cell:?}"
                );
            }
        }
        let exports = audit_actions(db, "export.downloaded").await;
        assert_eq!(exports.len(), 1);
        assert!(exports[0].detail.contains("rows=7"));
        assert_eq!(exports[0].actor, "treasurer@example.org");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn owners_manage_the_team_and_the_audit_log_shows_it() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let owner = team_member("owner")
            .zone("Europe/London")
            .role(Role::Owner)
            .signed_in(db)
            .await;
        let helper = team_member("helper")
            .zone("America/Chicago")
            .role(Role::Member)
            .signed_in(db)
            .await;
        let app = TestApp::start(settings(&tdb)).await;
        let token = owner.csrf(&app, "/admin/members").await;
        let roles = |id: &str| format!("/admin/members/{id}/roles");

        // Grant the helper the editor role on one campaign, then take it away.
        let res = change_role(&app, &owner, &token, &helper, ("add", "editor", &c.id)).await;
        assert_eq!(res.status().as_u16(), 303);
        let h = team_repo::by_id(db, &helper.member.id)
            .await
            .expect("db")
            .expect("m");
        assert!(h.can(shelfraiser::team::Permission::CampaignEdit, Some(&c.id)));
        assert!(!h.can(shelfraiser::team::Permission::CampaignEdit, None));
        assert_eq!(
            helper
                .get(&app, "/admin/campaigns/test-library")
                .await
                .status()
                .as_u16(),
            200
        );
        let html = owner.page(&app, "/admin/members").await;
        assert!(html.contains("Editor") && html.contains("Test library"));
        let res = change_role(&app, &owner, &token, &helper, ("remove", "editor", &c.id)).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            helper
                .get(&app, "/admin/campaigns/test-library")
                .await
                .status()
                .as_u16(),
            403
        );

        // Bad role or scope, forged token: 422, nothing changed.
        for form in [
            vec![
                ("csrf", token.as_str()),
                ("op", "add"),
                ("role", "emperor"),
                ("scope", ""),
            ],
            vec![
                ("csrf", token.as_str()),
                ("op", "add"),
                ("role", "owner"),
                ("scope", "no-such-campaign"),
            ],
            vec![
                ("csrf", "forged"),
                ("op", "add"),
                ("role", "owner"),
                ("scope", ""),
            ],
            vec![
                ("csrf", token.as_str()),
                ("op", "transmute"),
                ("role", "owner"),
                ("scope", ""),
            ],
        ] {
            let res = owner.post(&app, &roles(&helper.member.id), &form).await;
            assert_eq!(res.status().as_u16(), 422, "{form:?}");
        }
        assert_eq!(
            team_repo::by_id(db, &helper.member.id)
                .await
                .expect("db")
                .expect("m")
                .grants
                .len(),
            1
        );

        // The last owner can neither demote nor remove themselves.
        let res = change_role(&app, &owner, &token, &owner, ("remove", "owner", "")).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("at least one owner")
        );
        let res = remove_member(&app, &owner, &token, &owner).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            team_repo::by_id(db, &owner.member.id)
                .await
                .expect("db")
                .expect("m")
                .has_role(Role::Owner)
        );
        // With a second owner, the first may step down.
        let res = change_role(&app, &owner, &token, &helper, ("add", "owner", "")).await;
        assert_eq!(res.status().as_u16(), 303);
        let res = change_role(&app, &owner, &token, &owner, ("remove", "owner", "")).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            owner.get(&app, "/admin/members").await.status().as_u16(),
            403,
            "no grants left: not even the console"
        );

        // The new owner removes the old one: status removed, sessions ended.
        let helper_token = helper.csrf(&app, "/admin/members").await;
        let res = remove_member(&app, &helper, &helper_token, &owner).await;
        assert_eq!(res.status().as_u16(), 303);
        let gone = team_repo::by_id(db, &owner.member.id)
            .await
            .expect("db")
            .expect("m");
        assert_eq!(gone.status, shelfraiser::team::MemberStatus::Removed);
        assert!(
            session::lookup(db, &owner.token)
                .await
                .expect("db")
                .is_none()
        );
        assert_eq!(owner.get(&app, "/admin").await.status().as_u16(), 303);
        assert!(
            !helper
                .page(&app, "/admin/members")
                .await
                .contains("owner tester")
        );
        // Removing again: not found.
        let res = remove_member(&app, &helper, &helper_token, &owner).await;
        assert_eq!(res.status().as_u16(), 404);

        // Every change is in the audit log, and the log filters.
        let added = audit_actions(db, "member.role_added").await;
        assert_eq!(added.len(), 2);
        assert!(
            added
                .iter()
                .any(|e| e.detail == "role=editor scope=campaign:test-library"
                    && e.target == "helper@example.org")
        );
        assert_eq!(audit_actions(db, "member.role_removed").await.len(), 2);
        assert_eq!(audit_actions(db, "member.removed").await.len(), 1);
        let html = helper
            .page(&app, "/admin/audit?action=member.removed")
            .await;
        assert!(html.contains("member.removed") && !html.contains("member.role_added</code>"));
        let html = helper
            .page(&app, "/admin/audit?actor=owner%40example")
            .await;
        assert!(html.contains("member.role_added") && !html.contains("member.removed</code>"));
        let html = helper.page(&app, "/admin/audit").await;
        assert!(html.contains("role=editor scope=campaign:test-library"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn console_pages_speak_danish() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "test-library").await;
        let owner = team_member("owner")
            .zone("Europe/Copenhagen")
            .role(Role::Owner)
            .signed_in(db)
            .await;
        let app = TestApp::start(settings(&tdb)).await;
        for (path, want) in [
            ("/admin", "Hvem er her nu"),
            ("/admin/campaigns/test-library", "Redigér kampagne"),
            ("/admin/donations", "Registrér en offline donation"),
            ("/admin/members", "Invitér en person"),
            ("/admin/audit", "Revisionslog"),
            ("/admin/outbox", "Udbakke"),
        ] {
            let res = app
                .client
                .get(app.url(path))
                .header("cookie", format!("sr_session={}; lang=da", owner.token))
                .send()
                .await
                .expect("GET");
            assert_eq!(res.status().as_u16(), 200, "{path}");
            let html = res.text().await.expect("body");
            assert!(html.contains("lang=\"da\""), "{path}");
            assert!(html.contains(want), "{path}: {want}");
            // Every field has a label.
            for id in html.match_indices(" id=\"").filter_map(|(i, _)| {
                let rest = &html[i + 5..];
                let id = &rest[..rest.find('"')?];
                let tag_start = html[..i].rfind('<')?;
                let tag = &html[tag_start..i];
                (tag.starts_with("<input")
                    && !html[tag_start..].starts_with("<input type=\"hidden\"")
                    || tag.starts_with("<select")
                    || tag.starts_with("<textarea"))
                .then(|| id.to_string())
            }) {
                assert!(
                    html.contains(&format!("for=\"{id}\"")),
                    "{path}: #{id} has a label"
                );
            }
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn invitations_and_the_two_factor_requirement() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let owner = team_member("owner").role(Role::Owner).signed_in(db).await;
        let treasurer = team_member("treasurer")
            .role(Role::Treasurer)
            .signed_in(db)
            .await;
        let editor = team_member("editor").role(Role::Editor).signed_in(db).await;
        let app = TestApp::start(settings(&tdb)).await;
        let token = owner.csrf(&app, "/admin/members").await;

        // An invitation: the member exists as invited with the grant, the mail is in the
        // outbox (and on the outbox page), the audit log has it.
        let res = invite(
            &app,
            &owner,
            &token,
            ("New.Person@example.org", "New Person", "editor", &c.id),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin/members?done=invited");
        let invited = team_repo::by_email(db, "new.person@example.org")
            .await
            .expect("db")
            .expect("invited");
        assert_eq!(invited.status, shelfraiser::team::MemberStatus::Invited);
        assert_eq!(invited.grants.len(), 1);
        assert_eq!(invited.grants[0].role, Role::Editor);
        assert_eq!(invited.grants[0].scope.as_deref(), Some(c.id.as_str()));
        assert_eq!(count(db, "outbox").await, 1);
        let outbox = owner.page(&app, "/admin/outbox").await;
        assert!(outbox.contains("new.person@example.org"));
        let html = owner.page(&app, "/admin/members").await;
        assert!(html.contains("New Person") && html.contains("invited"));
        assert_eq!(audit_actions(db, "member.invited").await.len(), 1);

        // Refused invitations: 422, the field marked, nobody added, no mail.
        for (fields, marked) in [
            (
                ("new.person@example.org", "Again", "member", ""),
                "invite-email-err",
            ),
            (("not-an-address", "X", "member", ""), "invite-email-err"),
            (("x@example.org", " ", "member", ""), "invite-name-err"),
            (("x@example.org", "X", "king", ""), "invite-role-err"),
            (
                ("x@example.org", "X", "member", "nowhere"),
                "invite-scope-err",
            ),
        ] {
            let res = invite(&app, &owner, &token, fields).await;
            assert_eq!(res.status().as_u16(), 422, "{marked}");
            assert!(
                res.text()
                    .await
                    .expect("body")
                    .contains(&format!("id=\"{marked}\"")),
                "{marked}"
            );
        }
        let res = invite(&app, &owner, "forged", ("x@example.org", "X", "member", "")).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            team_repo::by_email(db, "x@example.org")
                .await
                .expect("db")
                .is_none()
        );
        assert_eq!(count(db, "outbox").await, 1);

        // Requiring two-factor: owners and treasurers without it are sent to set it up
        // before any console page or action; editors are not affected.
        let res = require_2fa(&app, &owner, &token).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(shelfraiser::team::totp::require_2fa(db).await);
        let entries = audit_actions(db, "settings.require_2fa").await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor, "owner@example.org");
        for who in [&owner, &treasurer] {
            for path in ["/admin", "/admin/donations", "/admin/members"] {
                let res = who.get(&app, path).await;
                assert_eq!(res.status().as_u16(), 303, "{path}");
                assert!(location(&res).starts_with("/account/2fa"), "{path}");
            }
        }
        let res = offline_gift(&app, &treasurer, &token, "test-library").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(count(db, "donations").await, 0);
        assert_eq!(editor.get(&app, "/admin").await.status().as_u16(), 200);
        shelfraiser::team::totp::set_require_2fa(db, false, &Actor::cli())
            .await
            .expect("off");
        let html = owner.page(&app, "/admin/members").await;
        assert!(html.contains("Two-factor sign-in is optional"));
        app.stop().await;
    })
    .await;
}
