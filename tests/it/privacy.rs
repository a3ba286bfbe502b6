//! Donor privacy on both backends: a data request answers alike for known and unknown
//! addresses and mails the signed link only for a known one (rate-limited); the link shows
//! the data and downloads it as JSON, a bad or expired one is a 404; erasure pseudonymises
//! donations, checkouts, consents, the outbox and its .eml files while totals and
//! `ledger verify` stay as they were, and a replayed provider event brings nothing back; a
//! treasurer erases from the console (403 for others, audited) or the CLI; news consent is
//! unticked, asked by mail, stored once confirmed, exported safely and withdrawn.

use chrono::{Duration, Utc};
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::team::Role;

use crate::harness::{
    TestApp, each_backend, hidden_value, location, post_callback, run_cli, seed_campaign, settings,
    sign, storage_args, succeeded_body,
};
use crate::receipts::run_jobs;
use crate::team_harness::{audit_count, public_csrf, team_member};

/// Donates through the donate form and the signed callback; returns (session, donation id).
async fn give(
    app: &TestApp,
    name: &str,
    email: &str,
    news: bool,
    reference: &str,
) -> (String, String) {
    let token = app.csrf("lib").await;
    let message = format!("Hello from {name}");
    let mut form = vec![
        ("amount", "12.50"),
        ("currency", "GBP"),
        ("name", name),
        ("email", email),
        ("message", message.as_str()),
        ("visibility", "public"),
        ("csrf", token.as_str()),
    ];
    if news {
        form.push(("news", "yes"));
    }
    let res = app.donate("lib", &form).await;
    assert_eq!(res.status().as_u16(), 303, "donate");
    let session = location(&res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout")
        .to_string();
    let body = succeeded_body(&session, reference, 1250, "GBP");
    let res = post_callback(app, &body, &sign(&body)).await;
    assert!(res.status().is_success(), "callback: {}", res.status());
    let v: serde_json::Value = res.json().await.expect("json");
    (session, v["donation_id"].as_str().expect("id").to_string())
}

/// Rows of a query as strings (NULL as "NULL"), for checking what a table still holds.
async fn texts(db: &Db, sql: &str) -> Vec<String> {
    let rows: Vec<(Option<String>,)> = match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await,
    }
    .expect(sql);
    rows.into_iter()
        .map(|r| r.0.unwrap_or_else(|| "NULL".into()))
        .collect()
}

/// (to, subject, text body) of every kept message, oldest first.
pub(crate) async fn outbox(db: &Db) -> Vec<(String, String, String)> {
    let sql = "SELECT to_addr, subject, text_body FROM outbox ORDER BY created_at";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await,
    }
    .expect("outbox")
}

/// The path and query of the first link to `prefix` in a text.
pub(crate) fn link_in(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"));
    let end = text[at..]
        .find(char::is_whitespace)
        .map_or(text.len(), |e| at + e);
    text[at..end].to_string()
}

/// Every `.eml` file of the outbox folder.
fn eml_files(app: &TestApp) -> Vec<String> {
    let dir = app.state.settings.data_dir.join("outbox");
    std::fs::read_dir(dir)
        .expect("outbox folder")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("eml"))
        .collect()
}

async fn request(app: &TestApp, email: &str) -> reqwest::Response {
    let csrf = public_csrf(app, "/privacy/request").await;
    app.post_form("/privacy/request", &[("csrf", &csrf), ("email", email)])
        .await
}

#[tokio::test]
async fn a_data_request_answers_alike_and_mails_a_signed_link_only_for_a_known_address() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let (_, id) = give(&app, "Ada Lovelace", "ada@example.org", false, "pay_1").await;
        run_jobs(&app).await;
        let before = outbox(&app.db).await.len();

        let known = request(&app, "ada@example.org").await;
        assert_eq!(known.status().as_u16(), 200);
        let known = known.text().await.expect("body");
        let unknown = request(&app, "nobody@example.org").await;
        assert_eq!(unknown.status().as_u16(), 200);
        assert_eq!(
            known,
            unknown.text().await.expect("body"),
            "the same answer"
        );
        assert!(known.contains("If we hold data for this address"));
        run_jobs(&app).await;
        let mails = outbox(&app.db).await;
        assert_eq!(
            mails.len(),
            before + 1,
            "one mail, for the known address only"
        );
        let (to, subject, text) = mails.last().expect("mail");
        assert_eq!(to, "ada@example.org");
        assert_eq!(subject, "Your data with us");

        // The link shows the data and downloads it as JSON, privately.
        let link = link_in(text, "/privacy/data?t=");
        let res = app.get(&link).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let page = res.text().await.expect("page");
        assert!(
            page.contains("Ada Lovelace") && page.contains("Hello from Ada"),
            "{page}"
        );
        assert!(page.contains("Test library"), "the campaign");
        let res = app
            .get(&link.replacen("/privacy/data?", "/privacy/data.json?", 1))
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["email"], "ada@example.org");
        assert_eq!(v["records"]["donations"][0]["id"], id.as_str());
        assert_eq!(
            v["records"]["donations"][0]["donor_email"],
            "ada@example.org"
        );
        assert_eq!(v["records"]["receipts"][0]["number"], 1);
        assert_eq!(v["records"]["checkouts"].as_array().map(Vec::len), Some(1));

        // A tampered, expired, foreign or missing token: 404.
        let token = link.split_once("?t=").expect("token").1.to_string();
        let mut bad = token.clone();
        let last = if bad.ends_with('0') { "1" } else { "0" };
        bad.replace_range(bad.len() - 1.., last);
        let old = shelfraiser::privacy::link_token(
            &app.db,
            "ada@example.org",
            Utc::now() - Duration::minutes(1),
        )
        .await
        .expect("token");
        for t in [bad, old, "zz".into(), String::new()] {
            for path in ["/privacy/data", "/privacy/data.json"] {
                let res = app.get(&format!("{path}?t={t}")).await;
                assert_eq!(res.status().as_u16(), 404, "{path}?t={t}");
            }
        }

        // Three requests an hour per address: the fourth is refused, known or not.
        for _ in 0..2 {
            assert_eq!(
                request(&app, "ada@example.org").await.status().as_u16(),
                200
            );
        }
        let res = request(&app, "ada@example.org").await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.headers().contains_key("retry-after"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn erasure_pseudonymises_every_table_and_the_mail_files_and_keeps_the_ledger() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let (session, id) = give(&app, "Ada Lovelace", "Ada@Example.org", true, "pay_1").await;
        // A checkout never paid, and another donor who stays.
        let token = app.csrf("lib").await;
        let open = app
            .donate(
                "lib",
                &[
                    ("amount", "7"),
                    ("currency", "GBP"),
                    ("name", "Ada Lovelace"),
                    ("email", "ada@example.org"),
                    ("visibility", "public"),
                    ("csrf", &token),
                ],
            )
            .await;
        assert_eq!(open.status().as_u16(), 303);
        give(&app, "Grace Hopper", "grace@example.org", false, "pay_2").await;
        run_jobs(&app).await;
        let totals = shelfraiser::campaigns::repo::totals(&app.db, &c.id)
            .await
            .expect("totals");
        assert!(eml_files(&app).iter().any(|e| e.contains("Ada Lovelace")));

        // The donor's own page: the box must be ticked.
        let t = shelfraiser::privacy::link_token(
            &app.db,
            "ada@example.org",
            Utc::now() + Duration::hours(1),
        )
        .await
        .expect("token");
        let page = app.text(&format!("/privacy/data?t={t}")).await;
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let res = app
            .post_form("/privacy/erase", &[("csrf", &csrf), ("t", &t)])
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("body").contains("Tick the box"));
        let res = app
            .post_form(
                "/privacy/erase",
                &[("csrf", &csrf), ("t", &t), ("confirm", "yes")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("your personal data has been erased")
        );

        // Nothing names Ada any more; Grace is untouched.
        let db = &app.db;
        let names = texts(db, "SELECT donor_name FROM donations ORDER BY donor_name").await;
        assert_eq!(names.len(), 2);
        assert!(!names.contains(&"Ada Lovelace".to_string()), "{names:?}");
        let pseudonym = names
            .iter()
            .find(|n| n.starts_with("erased-"))
            .expect("pseudonym")
            .clone();
        assert_eq!(pseudonym.len(), "erased-".len() + 12);
        for sql in [
            "SELECT donor_email FROM donations",
            "SELECT message FROM donations",
            "SELECT donor_name FROM checkout_sessions",
            "SELECT donor_email FROM checkout_sessions",
            "SELECT message FROM checkout_sessions",
            "SELECT email FROM consents",
            "SELECT to_addr FROM outbox",
            "SELECT subject FROM outbox",
            "SELECT text_body FROM outbox",
            "SELECT html_body FROM outbox",
            "SELECT pseudonym FROM erasures",
            "SELECT requested_by FROM erasures",
            "SELECT detail FROM audit_log",
        ] {
            for v in texts(db, sql).await {
                // The forms Ada's data took (hex in a signed link may hold "ada" by chance).
                let v = v.to_lowercase();
                for form in ["ada@", "ada lovelace", "from ada"] {
                    assert!(!v.contains(form), "{sql}: {v}");
                }
            }
        }
        assert_eq!(
            texts(
                db,
                "SELECT visibility FROM donations WHERE donor_email IS NULL"
            )
            .await,
            vec!["anonymous".to_string()]
        );
        assert_eq!(
            texts(
                db,
                "SELECT donor_name FROM checkout_sessions WHERE donor_name LIKE 'erased-%'"
            )
            .await
            .len(),
            2,
            "the paid and the open checkout"
        );
        assert_eq!(
            texts(
                db,
                "SELECT email FROM consents WHERE withdrawn_at IS NOT NULL"
            )
            .await,
            vec![pseudonym.clone()]
        );
        for eml in eml_files(&app) {
            let low = eml.to_lowercase();
            assert!(
                !low.contains("ada@example.org") && !low.contains("ada lovelace"),
                "{eml}"
            );
        }
        assert!(
            eml_files(&app)
                .iter()
                .any(|e| e.contains("grace@example.org"))
        );
        assert_eq!(audit_count(db, "donor.erased").await, 1);

        // The money is exactly where it was.
        let after = shelfraiser::campaigns::repo::totals(db, &c.id)
            .await
            .expect("totals");
        assert_eq!(after.raised_minor, totals.raised_minor);
        assert_eq!(after.donor_count, totals.donor_count);
        let report = ledger::verify(db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);

        // The wall shows the gift as anonymous; a replayed provider event brings nothing back.
        let wall = app.text("/campaigns/lib/donors").await;
        assert!(
            !wall.contains("Ada") && wall.contains("Anonymous"),
            "{wall}"
        );
        let body = succeeded_body(&session, "pay_1", 1250, "GBP").replace("evt_pay_1", "evt_again");
        let res = post_callback(&app, &body, &sign(&body)).await;
        assert!(res.status().is_success());
        let d = shelfraiser::donations::repo::search::by_id(db, &id)
            .await
            .expect("donation")
            .expect("exists");
        assert_eq!(d.donor_name.as_deref(), Some(pseudonym.as_str()));
        assert_eq!(d.donor_email, None);
        assert!(
            shelfraiser::privacy::was_erased(db, "ada@example.org")
                .await
                .expect("erased")
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_treasurer_erases_from_the_console_or_the_cli_and_others_may_not() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let mut ids = Vec::new();
        for (name, email) in [("Grace", "grace@example.org"), ("Alan", "alan@example.org")] {
            let input = shelfraiser::donations::offline::OfflineInput {
                amount: "40".into(),
                currency: "GBP".into(),
                donor: Some(name.into()),
                email: Some(email.into()),
                visibility: "public".into(),
                ..Default::default()
            };
            let who = shelfraiser::team::audit::Actor::default();
            let gift = shelfraiser::donations::offline::add(&app.db, &c, &input, &who)
                .await
                .expect("offline gift");
            ids.push(gift.recorded.donation_id().to_string());
        }
        let treasurer = team_member("t")
            .role(Role::Treasurer)
            .signed_in(&app.db)
            .await;
        let editor = team_member("e").role(Role::Editor).signed_in(&app.db).await;
        let page_path = format!("/admin/donations/{}", ids[0]);
        let page = treasurer.page(&app, &page_path).await;
        let path = format!("{page_path}/erase");
        assert!(page.contains(&path), "the erase form");
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let res = editor
            .post(&app, &path, &[("csrf", &csrf), ("confirm", "yes")])
            .await;
        assert_eq!(res.status().as_u16(), 403);
        let res = treasurer.post(&app, &path, &[("csrf", &csrf)]).await;
        assert_eq!(res.status().as_u16(), 422, "unconfirmed");
        assert_eq!(audit_count(&app.db, "donor.erased").await, 0);
        let res = treasurer
            .post(&app, &path, &[("csrf", &csrf), ("confirm", "yes")])
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(location(&res).starts_with(&format!("{page_path}?erased=erased-")));
        assert_eq!(audit_count(&app.db, "donor.erased").await, 1);
        let page = treasurer.page(&app, &location(&res)).await;
        assert!(!page.contains("Grace") && !page.contains(&path), "{page}");

        let out = run_cli(
            &tdb.data_dir(),
            &[
                storage_args(&tdb)
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                vec!["donor", "erase", "--email", "alan@example.org"],
            ]
            .concat(),
            &[],
        );
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("1 donations"), "{}", out.stdout);
        assert_eq!(audit_count(&app.db, "donor.erased").await, 2);
        let names = texts(&app.db, "SELECT donor_name FROM donations").await;
        assert!(names.iter().all(|n| n.starts_with("erased-")), "{names:?}");
        let report = ledger::verify(&app.db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn news_consent_is_unticked_confirmed_by_mail_exported_and_withdrawn() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let page = app.text("/campaigns/lib").await;
        let at = page.find("name=\"news\"").expect("the box");
        let tag_end = page[at..].find('>').expect("tag") + at;
        assert!(!page[at..tag_end].contains("checked"), "unticked");

        // Ticked without an address: the form comes back, ticked, with the reason.
        let token = app.csrf("lib").await;
        let res = app
            .donate(
                "lib",
                &[
                    ("amount", "5"),
                    ("currency", "GBP"),
                    ("visibility", "public"),
                    ("news", "yes"),
                    ("csrf", &token),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let body = res.text().await.expect("body");
        assert!(
            body.contains("To receive news, give your e-mail address"),
            "{body}"
        );
        assert!(
            body.contains("name=\"news\" value=\"yes\" checked"),
            "kept ticked"
        );

        give(&app, "Plain", "plain@example.org", false, "pay_1").await;
        give(&app, "News", "+news@example.org", true, "pay_2").await;
        run_jobs(&app).await;
        let mails = outbox(&app.db).await;
        let asks: Vec<_> = mails
            .iter()
            .filter(|m| m.1.starts_with("Confirm news"))
            .collect();
        assert_eq!(asks.len(), 1, "{mails:?}");
        assert_eq!(asks[0].0, "+news@example.org");
        let rows = texts(
            &app.db,
            "SELECT email FROM consents WHERE confirmed_at IS NULL",
        )
        .await;
        assert_eq!(
            rows,
            vec!["+news@example.org".to_string()],
            "asked, not yet stored"
        );

        let treasurer = team_member("t")
            .role(Role::Treasurer)
            .signed_in(&app.db)
            .await;
        let csv = treasurer.page(&app, "/admin/consents.csv").await;
        assert!(
            !csv.contains("news@example.org"),
            "not before it is confirmed"
        );

        // The link opens a button; the button confirms.
        let confirm = link_in(&asks[0].2, "/privacy/consent/confirm?t=");
        let page = app.text(&confirm).await;
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let t = hidden_value(&page, "t").expect("t");
        assert_eq!(
            texts(
                &app.db,
                "SELECT email FROM consents WHERE confirmed_at IS NOT NULL"
            )
            .await
            .len(),
            0,
            "opening the link changes nothing"
        );
        let res = app
            .post_form("/privacy/consent/confirm", &[("csrf", &csrf), ("t", &t)])
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let csv = treasurer.page(&app, "/admin/consents.csv").await;
        assert!(csv.contains("lib,'+news@example.org,donate-form"), "{csv}");
        let bad = confirm.replacen("t=", "t=x", 1);
        assert_eq!(app.get(&bad).await.status().as_u16(), 404);

        let withdraw = link_in(&asks[0].2, "/privacy/consent/withdraw?t=");
        let page = app.text(&withdraw).await;
        let t = hidden_value(&page, "t").expect("t");
        let res = app
            .post_form("/privacy/consent/withdraw", &[("csrf", &csrf), ("t", &t)])
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let csv = treasurer.page(&app, "/admin/consents.csv").await;
        assert!(!csv.contains("news@example.org"), "withdrawn: {csv}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_data_link_job_forgets_the_address_and_erasure_reaches_old_jobs_and_comments() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        give(&app, "Ada Lovelace", "ada@example.org", false, "pay_1").await;
        run_jobs(&app).await;

        // The data link's job holds the address only until it has run.
        assert_eq!(request(&app, "Ada@Example.org").await.status().as_u16(), 200);
        let held = texts(&app.db, "SELECT payload FROM jobs WHERE kind = 'privacy_link'").await;
        assert!(held.iter().any(|p| p.contains("@example.org")), "{held:?}");
        run_jobs(&app).await;
        let after = texts(&app.db, "SELECT payload FROM jobs WHERE kind = 'privacy_link'").await;
        assert_eq!(after, vec!["{}".to_string()], "emptied once done");
        assert!(outbox(&app.db).await.iter().any(|(_, s, _)| s == "Your data with us"));

        // A job that ran before payloads were emptied, one not yet run, and another
        // address's: erasure empties the first two only.
        let now = Utc::now();
        for (email, done) in [("ADA@example.org", true), ("ada@example.org", false), ("bob@example.org", false)] {
            let job = shelfraiser::jobs::Job::new(
                shelfraiser::privacy::SEND_LINK,
                &shelfraiser::privacy::SendLink { email: email.into(), lang: "en".into() },
            )
            .expect("job");
            shelfraiser::jobs::enqueue(&app.db, &job, now + Duration::hours(1), None)
                .await
                .expect("enqueue");
            if done {
                let sql = "UPDATE jobs SET done_at = run_at WHERE payload LIKE '%ADA@%'";
                match &app.db {
                    Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
                    Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
                }
                .expect("done");
            }
        }

        // A blog comment written with the same address (and one with another).
        let post = uuid::Uuid::new_v4().to_string();
        let insert_post = "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, \
            comment_status, published_at, created_at, updated_at) \
            VALUES ($1, 'article', 'published', 'p', 'P', 'Body', '', 'open', $2, $2, $2)";
        let insert_comment = "INSERT INTO comments (id, post_id, status, author_name, author_email, \
            body, ip, user_agent, created_at) VALUES ($1, $2, 'approved', $3, $4, 'Nice', '192.0.2.1', 'Agent/1', $5)";
        match &app.db {
            Db::Sqlite(p) => {
                sqlx::query(insert_post).bind(&post).bind(now).execute(p).await.expect("post");
                for (id, name, email) in [("c1", "Ada", "Ada@Example.ORG"), ("c2", "Bob", "bob@example.org")] {
                    sqlx::query(insert_comment).bind(id).bind(&post).bind(name).bind(email).bind(now)
                        .execute(p).await.expect("comment");
                }
            }
            Db::Postgres(p) => {
                sqlx::query(insert_post).bind(&post).bind(now).execute(p).await.expect("post");
                for (id, name, email) in [("c1", "Ada", "Ada@Example.ORG"), ("c2", "Bob", "bob@example.org")] {
                    sqlx::query(insert_comment).bind(id).bind(&post).bind(name).bind(email).bind(now)
                        .execute(p).await.expect("comment");
                }
            }
        }

        let erased = shelfraiser::privacy::erase(
            &app.db,
            &app.state.mailer,
            "ada@example.org",
            "cli",
            &shelfraiser::team::audit::Actor { label: "cli".into(), ..Default::default() },
        )
        .await
        .expect("erase");
        assert_eq!((erased.comments, erased.jobs), (1, 2));
        let payloads = texts(&app.db, "SELECT payload FROM jobs WHERE kind = 'privacy_link' ORDER BY payload").await;
        assert!(!payloads.iter().any(|p| p.to_lowercase().contains("ada@")), "{payloads:?}");
        assert!(payloads.iter().any(|p| p.contains("bob@example.org")), "another's job stays");
        let left = texts(&app.db, "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'privacy_link' AND done_at IS NULL").await;
        assert_eq!(left, vec!["1".to_string()], "the erased address's pending job will not run");
        let rows = texts(&app.db, "SELECT COALESCE(author_email, 'NULL') || '|' || COALESCE(ip, 'NULL') || '|' || author_name FROM comments ORDER BY id").await;
        assert_eq!(rows, vec!["NULL|NULL|Ada".to_string(), "bob@example.org|192.0.2.1|Bob".to_string()]);
        assert_eq!(audit_count(&app.db, "donor.erased").await, 1);
        app.stop().await;
    })
    .await;
}
