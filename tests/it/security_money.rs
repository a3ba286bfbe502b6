//! Penetration-test findings (issue 9), money and blog share, over real HTTP on both
//! backends: borrowed commenter addresses are held until confirmed, offline references are
//! scoped to their campaign, a draft's live stream is 404, checkout sessions are paid only
//! while payable (late captures recorded and flagged), the per-campaign checkout breaker
//! counts distinct addresses and alerts once, and likes count per address.

use chrono::{Duration, Utc};
use shelfraiser::campaigns::repo;
use shelfraiser::config::Settings;
use shelfraiser::db::Db;
use shelfraiser::donations::ledger::Recorded;
use shelfraiser::donations::offline::{self, OfflineInput};
use shelfraiser::http::csrf::CsrfKey;
use shelfraiser::on_db;
use shelfraiser::team::Role;
use shelfraiser::team::audit::Actor;

use crate::harness::*;
use crate::team_harness::*;

const SLUG: &str = "money-library";

fn proxied(tdb: &TestDb) -> Settings {
    Settings {
        trusted_proxies: vec!["127.0.0.1".into()],
        ..settings(tdb)
    }
}

/// An active member with a site-wide role; returns their e-mail address.
async fn member(db: &Db, name: &str, role: Role) -> String {
    team_member(name).role(role).create(db).await.email
}

async fn str_opt(db: &Db, sql: &str, bind: &str) -> Option<String> {
    on_db!(db, |p| sqlx::query_scalar::<_, Option<String>>(sql)
        .bind(bind)
        .fetch_optional(p)
        .await
        .expect("query"))
    .flatten()
}

async fn n(db: &Db, sql: &str, bind: &str) -> i64 {
    on_db!(db, |p| sqlx::query_scalar::<_, i64>(sql)
        .bind(bind)
        .fetch_one(p)
        .await
        .expect("count"))
}

/// The outbox's messages to `to`: (subject, text).
async fn mails(db: &Db, to: &str) -> Vec<(String, String)> {
    on_db!(db, |p| sqlx::query_as(
        "SELECT subject, text_body FROM outbox WHERE to_addr = $1 ORDER BY created_at"
    )
    .bind(to)
    .fetch_all(p)
    .await
    .expect("outbox"))
}

/// Waits (polling, at most 10 s) until `to` has `want` messages; returns them.
async fn wait_mails(db: &Db, to: &str, want: usize) -> Vec<(String, String)> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let m = mails(db, to).await;
        if m.len() >= want || tokio::time::Instant::now() >= deadline {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A public form token made `age` seconds ago.
async fn public_token(db: &Db, age: i64) -> String {
    let key = db.setting("csrf_key").await.expect("db").expect("csrf key");
    CsrfKey::new(&key).token(Utc::now() - Duration::seconds(age))
}

async fn seed_post(db: &Db, slug: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    on_db!(db, |p| sqlx::query(
        "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, \
         comment_status, published_at, created_at, updated_at) \
         VALUES ($1, 'article', 'published', $2, 'A post', 'Body', '', NULL, 'open', $3, $4, $4)"
    )
    .bind(&id)
    .bind(slug)
    .bind(now - Duration::hours(1))
    .bind(now)
    .execute(p)
    .await
    .expect("post")
    .rows_affected());
    id
}

// ---------------------------------------------------------------------------------------
// Comments: an approved commenter's address is trusted only once confirmed
// ---------------------------------------------------------------------------------------

async fn guest_comment(app: &TestApp, post: &str, email: &str, body: &str) -> reqwest::Response {
    let t = public_token(&app.db, 10).await;
    app.client
        .post(app.url("/comments"))
        .form(&[
            ("post_id", post),
            ("back", "/a-post/"),
            ("csrf", t.as_str()),
            ("name", "Ada"),
            ("email", email),
            ("url", ""),
            ("body", body),
            ("website", ""),
        ])
        .send()
        .await
        .expect("POST /comments")
}

async fn comment_status(db: &Db, body: &str) -> String {
    str_opt(db, "SELECT status FROM comments WHERE body = $1", body)
        .await
        .expect("comment")
}

#[tokio::test]
async fn an_approved_commenters_address_is_trusted_only_after_confirmation() {
    each_backend(|tdb| async move {
        let post = seed_post(&tdb.db, "a-post").await;
        let app = TestApp::start(settings(&tdb)).await;
        exec(
            &app.db,
            "INSERT INTO settings (key, value) VALUES ('comment_rate_limit', '1000')",
        )
        .await;
        const ADA: &str = "ada@example.net";

        // Ada's first comment is held, then approved by a moderator.
        guest_comment(&app, &post, ADA, "first").await;
        exec(&app.db, "UPDATE comments SET status = 'approved'").await;

        // Someone else uses Ada's address: held, with exactly the answer a stranger gets.
        let res = guest_comment(&app, &post, ADA, "impostor").await;
        assert_eq!(
            res.status().as_u16(),
            200,
            "held, not published: {:?}",
            res.headers()
        );
        let held_known = res.text().await.expect("body");
        assert_eq!(comment_status(&app.db, "impostor").await, "pending");
        let res = guest_comment(&app, &post, "stranger@example.net", "stranger").await;
        assert_eq!(res.status().as_u16(), 200);
        let held_new = res.text().await.expect("body");
        assert!(
            held_known.contains("waiting for moderation"),
            "{held_known}"
        );
        let plain = |html: &str| {
            let t = hidden_value(html, "csrf").expect("csrf");
            html.replace(&t, "")
        };
        assert_eq!(
            plain(&held_known),
            plain(&held_new),
            "the answer must not tell whether the address is known"
        );

        // Ada's address gets one confirmation link (another comment the same day: no more).
        let got = wait_mails(&app.db, ADA, 1).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.contains("Confirm your e-mail address"), "{got:?}");
        assert!(mails(&app.db, "stranger@example.net").await.is_empty());
        guest_comment(&app, &post, ADA, "impostor again").await;
        assert_eq!(comment_status(&app.db, "impostor again").await, "pending");
        assert_eq!(mails(&app.db, ADA).await.len(), 1, "one link a day");
        // Only a keyed hash of the address is stored.
        let stored: Vec<String> = on_db!(&app.db, |p| sqlx::query_scalar(
            "SELECT email_hash FROM commenter_emails"
        )
        .fetch_all(p)
        .await
        .expect("hashes"));
        assert_eq!(stored.len(), 1);
        // (A hex digest can hold "ada" by chance: look for the address and its local part
        // with the "@", which hex never has.)
        assert!(
            !stored[0].contains(ADA) && !stored[0].contains("ada@"),
            "{stored:?}"
        );

        let text = &got[0].1;
        let start = text.find("/comments/confirm?t=").expect("link in the mail");
        let link = text[start..]
            .split_whitespace()
            .next()
            .expect("link")
            .to_string();
        // Following the link (a mail scanner does) only shows a button.
        let res = app.get(&link).await;
        assert_eq!(res.status().as_u16(), 200);
        let page = res.text().await.expect("page");
        guest_comment(&app, &post, ADA, "still unconfirmed").await;
        assert_eq!(
            comment_status(&app.db, "still unconfirmed").await,
            "pending"
        );
        // A forged or broken link does nothing.
        let res = app.get("/comments/confirm?t=1.abc.def").await;
        assert_eq!(res.status().as_u16(), 400);
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let t = hidden_value(&page, "t").expect("token");
        let res = app
            .post_form(
                "/comments/confirm",
                &[("csrf", csrf.as_str()), ("t", &format!("{t}0"))],
            )
            .await;
        assert_eq!(res.status().as_u16(), 400);
        guest_comment(&app, &post, ADA, "forged").await;
        assert_eq!(comment_status(&app.db, "forged").await, "pending");

        // Pressing the button confirms; from then on Ada's comments go straight through.
        let res = app
            .post_form("/comments/confirm", &[("csrf", csrf.as_str()), ("t", &t)])
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.expect("b").contains("is confirmed"));
        let res = guest_comment(&app, &post, ADA, "confirmed").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(comment_status(&app.db, "confirmed").await, "approved");
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Offline references are scoped to their campaign
// ---------------------------------------------------------------------------------------

fn offline_input(amount: &str, reference: &str) -> OfflineInput {
    OfflineInput {
        amount: amount.into(),
        currency: "GBP".into(),
        visibility: "public".into(),
        reference: Some(reference.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn offline_references_are_scoped_to_their_campaign() {
    each_backend(|tdb| async move {
        let a = seed_campaign(&tdb.db, "campaign-a").await;
        let b = seed_campaign(&tdb.db, "campaign-b").await;
        let by = Actor::cli();
        let first = offline::add(&tdb.db, &a, &offline_input("10", "RCPT-1"), &by)
            .await
            .expect("A");
        let Recorded::New {
            donation_id: in_a, ..
        } = first.recorded
        else {
            panic!("new in A: {:?}", first.recorded)
        };
        // The same reference in another campaign is that campaign's own donation.
        let second = offline::add(&tdb.db, &b, &offline_input("20", "RCPT-1"), &by)
            .await
            .expect("B");
        let Recorded::New {
            donation_id: in_b, ..
        } = second.recorded
        else {
            panic!(
                "B's entry must be recorded, not A's id: {:?}",
                second.recorded
            )
        };
        assert_ne!(in_a, in_b);
        assert_eq!(
            repo::totals(&tdb.db, &b.id).await.expect("t").raised_minor,
            2000
        );
        // Re-entry in the same campaign stays idempotent and says so.
        let again = offline::add(&tdb.db, &b, &offline_input("20", "RCPT-1"), &by)
            .await
            .expect("B again");
        assert_eq!(
            again.recorded,
            Recorded::Duplicate {
                donation_id: in_b.clone()
            }
        );
        assert_eq!(
            repo::totals(&tdb.db, &b.id).await.expect("t").raised_minor,
            2000
        );
        assert_eq!(
            offline::shown_reference(
                "offline",
                &b.id,
                &offline::stored_reference(&b.id, "RCPT-1")
            ),
            "RCPT-1"
        );
        let report = shelfraiser::donations::ledger::verify(&tdb.db)
            .await
            .expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);

        // The command line says "already recorded" for a re-entry, and records a new
        // reference for the other campaign.
        let mut args: Vec<String> = vec!["donation".into(), "add".into()];
        args.extend(storage_args(&tdb));
        args.extend(
            [
                "--campaign",
                "campaign-a",
                "--amount",
                "10",
                "--currency",
                "GBP",
                "--visibility",
                "public",
                "--reference",
                "RCPT-1",
            ]
            .map(String::from),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cli_async(tdb.dir.path(), &args, &[]).await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("already recorded"), "{out:?}");
        assert!(out.stdout.contains(&in_a), "{out:?}");
        assert!(!out.stdout.contains(&in_b), "{out:?}");
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// A draft's live stream is 404
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_draft_campaigns_live_stream_is_not_found() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        // An open stream ends when the campaign goes back to draft (at the next change).
        let mut res = app
            .client
            .get(app.url(&format!("/campaigns/{SLUG}/live")))
            .send()
            .await
            .expect("live");
        assert_eq!(res.status().as_u16(), 200);
        let first = res.chunk().await.expect("read").expect("first event");
        assert!(String::from_utf8_lossy(&first).contains("progress"));
        exec(&app.db, "UPDATE campaigns SET state = 'draft'").await;
        let page = app.get(&format!("/campaigns/{SLUG}")).await;
        assert_eq!(page.status().as_u16(), 404, "the page is 404");
        let live = app.get(&format!("/campaigns/{SLUG}/live")).await;
        assert_eq!(live.status().as_u16(), 404, "and so is its stream");
        // A change reaches the open stream, which closes instead of telling it.
        offline::add(&app.db, &c, &offline_input("5", "R"), &Actor::cli())
            .await
            .expect("offline");
        let rest = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            let mut seen = Vec::new();
            while let Some(chunk) = res.chunk().await.expect("read") {
                seen.extend_from_slice(&chunk);
            }
            String::from_utf8_lossy(&seen).into_owned()
        })
        .await
        .expect("the stream ends");
        assert!(!rest.contains("raised"), "{rest}");
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Checkout sessions: paid only while payable; late captures recorded and flagged
// ---------------------------------------------------------------------------------------

async fn post_outcome(app: &TestApp, session: &str, outcome: &str) -> reqwest::Response {
    let token = public_token(&app.db, 5).await;
    app.post_form(
        &format!("/test-checkout/{session}"),
        &[("csrf", token.as_str()), ("outcome", outcome)],
    )
    .await
}

async fn callback(app: &TestApp, session: &str, reference: &str) -> serde_json::Value {
    let body = succeeded_body(session, reference, 500, "GBP");
    let res = post_callback(app, &body, &sign(&body)).await;
    assert_eq!(res.status().as_u16(), 200, "a capture is always recorded");
    res.json().await.expect("json")
}

#[tokio::test]
async fn checkout_sessions_are_paid_only_while_payable_and_late_captures_are_flagged() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let treasurer = member(&tdb.db, "treasurer", Role::Treasurer).await;
        let app = TestApp::start(settings(&tdb)).await;
        let review = |id: String| {
            let db = app.db.clone();
            async move {
                str_opt(&db, "SELECT review_reason FROM donations WHERE id = $1", &id).await
            }
        };
        let session_status = |id: String| {
            let db = app.db.clone();
            async move {
                str_opt(&db, "SELECT status FROM checkout_sessions WHERE id = $1", &id)
                    .await
                    .expect("session")
            }
        };

        // Open and in time: paid normally, nothing flagged.
        let ok = app.open_checkout(SLUG, "5", "GBP").await;
        let out = callback(&app, &ok, "pay_ok").await;
        assert_eq!(out["status"], "recorded", "{out}");
        assert!(out.get("review").is_none(), "{out}");
        let id = out["donation_id"].as_str().expect("id").to_string();
        assert_eq!(review(id).await, None);
        assert_eq!(session_status(ok.clone()).await, "succeeded");

        // Expired: our checkout refuses to pay; a provider's capture is recorded, flagged.
        let expired = app.open_checkout(SLUG, "5", "GBP").await;
        on_db!(&app.db, |p| sqlx::query(
            "UPDATE checkout_sessions SET expires_at = $2 WHERE id = $1"
        )
        .bind(&expired)
        .bind(Utc::now() - Duration::minutes(1))
        .execute(p)
        .await
        .expect("expire")
        .rows_affected());
        let page = app.text(&format!("/test-checkout/{expired}")).await;
        assert!(page.contains("has expired"), "{page}");
        assert!(!page.contains("value=\"succeed\""), "no pay button: {page}");
        let res = post_outcome(&app, &expired, "succeed").await;
        assert_eq!(res.status().as_u16(), 409);
        assert!(res.text().await.expect("b").contains("has expired"));
        assert_eq!(count(&app.db, "donations").await, 1, "nothing recorded");
        let out = callback(&app, &expired, "pay_expired").await;
        assert_eq!(out["status"], "recorded", "{out}");
        assert_eq!(out["review"], "session-expired", "{out}");
        let id = out["donation_id"].as_str().expect("id").to_string();
        assert_eq!(review(id.clone()).await.as_deref(), Some("session-expired"));
        assert_eq!(
            n(
                &app.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'donation.needs_review' AND target = $1",
                &id
            )
            .await,
            1
        );
        let got = mails(&app.db, &treasurer).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.contains("needs your review"), "{got:?}");
        assert!(got[0].1.contains(&format!("/admin/donations/{id}")), "{got:?}");

        // Declined and canceled: never paid by our checkout, never turned into succeeded.
        for (outcome, status, reason) in [
            ("decline", "declined", "session-declined"),
            ("cancel", "canceled", "session-canceled"),
        ] {
            let s = app.open_checkout(SLUG, "5", "GBP").await;
            let res = post_outcome(&app, &s, outcome).await;
            assert_eq!(res.status().as_u16(), 303);
            assert_eq!(session_status(s.clone()).await, status);
            let page = app.text(&format!("/test-checkout/{s}")).await;
            assert!(page.contains("declined or canceled"), "{page}");
            let res = post_outcome(&app, &s, "succeed").await;
            assert_eq!(res.status().as_u16(), 409, "{outcome}");
            let before = count(&app.db, "donations").await;
            let res = post_outcome(&app, &s, "cancel").await;
            assert_eq!(res.status().as_u16(), 409, "{outcome}");
            assert_eq!(count(&app.db, "donations").await, before);
            let out = callback(&app, &s, &format!("pay_{status}")).await;
            assert_eq!(out["status"], "recorded", "{out}");
            assert_eq!(out["review"], reason, "{out}");
            assert_eq!(session_status(s.clone()).await, status, "stays {status}");
            // A replay changes nothing.
            let out = callback(&app, &s, &format!("pay_{status}")).await;
            assert_eq!(out["status"], "duplicate", "{out}");
        }

        // Opened while live, paid after the campaign closed.
        let late = app.open_checkout(SLUG, "5", "GBP").await;
        exec(&app.db, "UPDATE campaigns SET state = 'closed'").await;
        let page = app.text(&format!("/test-checkout/{late}")).await;
        assert!(page.contains("no longer accepts donations"), "{page}");
        let res = post_outcome(&app, &late, "succeed").await;
        assert_eq!(res.status().as_u16(), 409);
        let out = callback(&app, &late, "pay_late").await;
        assert_eq!(out["review"], "campaign-not-accepting", "{out}");
        assert_eq!(mails(&app.db, &treasurer).await.len(), 4);
        let report = shelfraiser::donations::ledger::verify(&app.db)
            .await
            .expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        assert_eq!(count(&app.db, "donations").await, 5);
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Checkout limits: the per-campaign limit is a breaker over distinct addresses
// ---------------------------------------------------------------------------------------

async fn donate_from(app: &TestApp, client: &str) -> reqwest::Response {
    let token = app.csrf(SLUG).await;
    app.client
        .post(app.url(&format!("/campaigns/{SLUG}/donate")))
        .header("x-forwarded-for", client)
        .form(&[
            ("amount", "5"),
            ("currency", "GBP"),
            ("name", "Ada"),
            ("email", ""),
            ("message", ""),
            ("visibility", "public"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .expect("POST donate")
}

#[tokio::test]
async fn seven_addresses_at_their_limit_do_not_block_an_eighth_donor() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        // The default limits.
        let app = TestApp::start(proxied(&tdb)).await;
        let per_ip = Settings::default().donations.checkouts_per_ip;
        for a in 1..=7 {
            for i in 0..per_ip {
                let res = donate_from(&app, &format!("203.0.113.{a}")).await;
                assert_eq!(res.status().as_u16(), 303, "address {a}, checkout {i}");
            }
        }
        // Each of them is at its own limit…
        let res = donate_from(&app, "203.0.113.1").await;
        assert_eq!(res.status().as_u16(), 429);
        // …but a new donor goes on.
        let res = donate_from(&app, "198.51.100.8").await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "an eighth address is not blocked"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_campaign_breaker_counts_distinct_unfinished_addresses_and_alerts_once() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let owner = member(&tdb.db, "owner", Role::Owner).await;
        let editor = member(&tdb.db, "editor", Role::Editor).await;
        let mut s = proxied(&tdb);
        s.donations.checkouts_per_campaign = 3;
        let app = TestApp::start(s).await;
        for a in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1"] {
            assert_eq!(donate_from(&app, a).await.status().as_u16(), 303, "{a}");
        }
        // A fourth distinct address with unfinished checkouts trips it.
        let res = donate_from(&app, "203.0.113.4").await;
        assert_eq!(res.status().as_u16(), 429);
        let res = donate_from(&app, "203.0.113.5").await;
        assert_eq!(res.status().as_u16(), 429);
        // The owners and treasurers hear once; the audit log has it once.
        let got = mails(&app.db, &owner).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.contains("paused"), "{got:?}");
        assert!(mails(&app.db, &editor).await.is_empty());
        assert_eq!(
            n(
                &app.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = $1",
                "checkouts.breaker"
            )
            .await,
            1
        );
        // Succeeded checkouts do not count: once address 1 has paid, there is room again.
        exec(
            &app.db,
            "UPDATE checkout_sessions SET status = 'succeeded' WHERE client_hash = \
             (SELECT client_hash FROM checkout_sessions ORDER BY created_at LIMIT 1)",
        )
        .await;
        let res = donate_from(&app, "203.0.113.4").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(mails(&app.db, &owner).await.len(), 1);
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Likes: one per post per address per day, whatever the User-Agent
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn likes_count_per_address_whatever_the_user_agent() {
    each_backend(|tdb| async move {
        let post = seed_post(&tdb.db, "a-post").await;
        let app = TestApp::start(proxied(&tdb)).await;
        let like = |ip: &'static str, ua: String| {
            let app = &app;
            let post = post.clone();
            async move {
                let t = public_token(&app.db, 5).await;
                let res = app
                    .client
                    .post(app.url(&format!("/posts/{post}/like")))
                    .header("x-forwarded-for", ip)
                    .header("user-agent", ua)
                    .form(&[("csrf", t.as_str()), ("back", "/a-post/")])
                    .send()
                    .await
                    .expect("like");
                assert_eq!(res.status().as_u16(), 303);
            }
        };
        for i in 0..25 {
            like("203.0.113.9", format!("Browser {i}")).await;
        }
        assert_eq!(count(&app.db, "likes").await, 1, "25 agents, one address");
        like("203.0.113.10", "Browser 0".into()).await;
        assert_eq!(count(&app.db, "likes").await, 2, "another address");
        like("2001:db8:1:2::1", "A".into()).await;
        like("2001:db8:1:2:ffff::9", "B".into()).await;
        assert_eq!(
            count(&app.db, "likes").await,
            3,
            "one IPv6 /64 is one visitor"
        );
        like("2001:db8:1:3::1", "A".into()).await;
        assert_eq!(count(&app.db, "likes").await, 4);
        app.stop().await;
    })
    .await;
}
