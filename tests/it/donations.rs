//! Donations over a real socket: replayed and conflicting provider callbacks, refused
//! callbacks, concurrent writers on the ledger, the append-only guarantee, `ledger verify`,
//! the donor wall and the Danish page.

use chrono::Utc;
use futures_util::future::join_all;
use shelfraiser::campaigns::repo;
use shelfraiser::config::Secret;
use shelfraiser::db::Db;
use shelfraiser::donations::checkout::SessionStatus;
use shelfraiser::donations::ledger::{self, NewDonation};
use shelfraiser::donations::{Intent, Visibility};
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::payments::test::TestProvider;
use shelfraiser::rates;

use crate::harness::*;
use crate::team_harness::*;

const SLUG: &str = "test-library";

/// Runs one SQL statement on the test's database; returns the error text when it fails.
async fn exec(db: &Db, sql: &str) -> Result<u64, String> {
    let r = match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    };
    r.map_err(|e| e.to_string())
}

async fn assert_ledger_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

/// True when `html` shows `raw` HTML-escaped, with named (`&lt;`) or numeric (`&#60;`)
/// entities for `<`, `>`, `&`, `"` and `'`.
pub(crate) fn contains_escaped(html: &str, raw: &str) -> bool {
    let named = raw
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let numeric = raw
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    html.contains(&named) || html.contains(&numeric)
}

/// A JSON body and its status code.
async fn json_of(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let body = res.text().await.expect("body");
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, v)
}

/// Donor form → TEST MODE checkout → `succeed`, with the given form fields. Returns the
/// thank-you page's path.
async fn give(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let res = app.donate(SLUG, fields).await;
    assert_eq!(res.status().as_u16(), 303, "donate should redirect");
    let session = location(&res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout URL")
        .to_string();
    let page = app.text(&format!("/test-checkout/{session}")).await;
    let token = hidden_value(&page, "csrf").expect("csrf on checkout page");
    let res = app
        .post_form(
            &format!("/test-checkout/{session}"),
            &[("csrf", &token), ("outcome", "succeed")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let to = location(&res);
    assert!(to.contains("/thanks/"), "{to}");
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replayed_callback_records_once() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;

        // Sequentially: the first delivery records, the four retries change nothing.
        let session = app.open_checkout(SLUG, "10", "GBP").await;
        let body = succeeded_body(&session, "pay_seq", 1000, "GBP");
        let sig = sign(&body);
        let mut statuses = Vec::new();
        for _ in 0..5 {
            let (code, v) = json_of(post_callback(&app, &body, &sig).await).await;
            assert!((200..300).contains(&code), "{code} {v}");
            statuses.push(v["status"].as_str().expect("status").to_string());
        }
        assert_eq!(
            statuses,
            [
                "recorded",
                "duplicate",
                "duplicate",
                "duplicate",
                "duplicate"
            ]
        );
        assert_eq!(count(&tdb.db, "donations").await, 1);

        // Concurrently, on another session: still exactly one donation.
        let session = app.open_checkout(SLUG, "12.50", "GBP").await;
        let body = succeeded_body(&session, "pay_conc", 1250, "GBP");
        let sig = sign(&body);
        let results = join_all(
            (0..5).map(|_| async { json_of(post_callback(&app, &body, &sig).await).await }),
        )
        .await;
        let mut recorded = 0;
        let mut donation_ids = std::collections::HashSet::new();
        for (code, v) in &results {
            assert!((200..300).contains(code), "{code} {v}");
            match v["status"].as_str() {
                Some("recorded") => recorded += 1,
                Some("duplicate") => {}
                other => panic!("unexpected status {other:?}: {v}"),
            }
            donation_ids.insert(v["donation_id"].as_str().expect("donation id").to_string());
        }
        assert_eq!(recorded, 1, "{results:?}");
        assert_eq!(
            donation_ids.len(),
            1,
            "every answer names the same donation"
        );

        assert_eq!(count(&tdb.db, "donations").await, 2);
        assert_eq!(count(&tdb.db, "ledger_entries").await, 2);
        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count, t.entry_count), (2250, 2, 2));
        assert_ledger_clean(&tdb.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn second_payment_for_a_paid_session_records_nothing() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;

        // One after the other: the second payment reference finds the session paid.
        let session = app.open_checkout(SLUG, "20", "GBP").await;
        let first = succeeded_body(&session, "pay_a", 2000, "GBP");
        let (code, v) = json_of(post_callback(&app, &first, &sign(&first)).await).await;
        assert_eq!((code, v["status"].as_str()), (200, Some("recorded")), "{v}");
        let donation = v["donation_id"].as_str().expect("id").to_string();
        let second = succeeded_body(&session, "pay_b", 2000, "GBP");
        let (code, v) = json_of(post_callback(&app, &second, &sign(&second)).await).await;
        assert_eq!(
            (code, v["status"].as_str()),
            (200, Some("duplicate")),
            "{v}"
        );
        assert_eq!(v["donation_id"].as_str(), Some(donation.as_str()));
        assert_eq!(count(&tdb.db, "donations").await, 1);

        // At the same time: five different payment references for one session.
        let session = app.open_checkout(SLUG, "30", "GBP").await;
        let bodies: Vec<String> = (0..5)
            .map(|i| succeeded_body(&session, &format!("pay_race_{i}"), 3000, "GBP"))
            .collect();
        let results = join_all(
            bodies
                .iter()
                .map(|b| async { json_of(post_callback(&app, b, &sign(b)).await).await }),
        )
        .await;
        let recorded = results
            .iter()
            .filter(|(code, v)| *code == 200 && v["status"] == "recorded")
            .count();
        assert_eq!(recorded, 1, "{results:?}");
        for (code, v) in &results {
            assert_eq!(*code, 200, "{v}");
        }

        assert_eq!(count(&tdb.db, "donations").await, 2);
        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (5000, 2));
        assert_ledger_clean(&tdb.db).await;
        app.stop().await;
    })
    .await;
}

/// Callbacks for many different sessions at once, more than the database pool has
/// connections: each holds its transaction's connection, so anything that reads through the
/// pool inside the transaction waits for a connection that never comes (it once answered 500
/// to 192 of 200 callbacks under the donations benchmark).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_sessions_paid_at_once_all_record() {
    const SESSIONS: usize = 24;
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let mut s = settings(&tdb);
        s.donations.checkouts_per_ip = 0;
        s.donations.checkouts_per_campaign = 0;
        let app = TestApp::start(s).await;
        let mut bodies = Vec::new();
        for i in 0..SESSIONS {
            let session = app.open_checkout(SLUG, "10", "GBP").await;
            bodies.push(succeeded_body(
                &session,
                &format!("pay_many_{i}"),
                1000,
                "GBP",
            ));
        }
        let results = join_all(
            bodies
                .iter()
                .map(|b| async { json_of(post_callback(&app, b, &sign(b)).await).await }),
        )
        .await;
        for (code, v) in &results {
            assert_eq!(
                (*code, v["status"].as_str()),
                (200, Some("recorded")),
                "{v}"
            );
        }
        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!(t.raised_minor, 1000 * SESSIONS as i64);
        assert_ledger_clean(&tdb.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn refused_callbacks_store_nothing() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let session = app.open_checkout(SLUG, "10", "GBP").await;
        let body = succeeded_body(&session, "pay_1", 1000, "GBP");

        let expect_error = |res: (u16, serde_json::Value), status: u16, code: &str, what: &str| {
            let (got, v) = res;
            assert_eq!(got, status, "{what}: {v}");
            assert_eq!(v["error"]["code"], code, "{what}: {v}");
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{what}: {v}"
            );
            assert!(
                v["error"]["request_id"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{what}: {v}"
            );
            let text = v.to_string().to_lowercase();
            for leak in ["sqlx", "panicked", "database error", "stack"] {
                assert!(!text.contains(leak), "{what} leaks {leak}: {v}");
            }
        };

        // A signature over another body.
        let other = succeeded_body(&session, "pay_1", 1, "GBP");
        let res = json_of(post_callback(&app, &body, &sign(&other)).await).await;
        expect_error(res, 400, "bad_request", "tampered body");

        // No signature header at all.
        let res = app
            .client
            .post(app.url("/providers/test/callback"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("POST");
        expect_error(json_of(res).await, 400, "bad_request", "missing header");

        // A correct signature made ten minutes ago.
        let old = TestProvider::new(Secret(TEST_SECRET.into()))
            .sign(body.as_bytes(), Utc::now().timestamp() - 600);
        let res = json_of(post_callback(&app, &body, &old).await).await;
        expect_error(res, 400, "bad_request", "stale timestamp");

        // Signed, but paying another amount than the session asked for.
        let wrong = succeeded_body(&session, "pay_2", 999, "GBP");
        let res = json_of(post_callback(&app, &wrong, &sign(&wrong)).await).await;
        expect_error(res, 409, "conflict", "amount mismatch");
        let wrong = succeeded_body(&session, "pay_3", 1000, "USD");
        let res = json_of(post_callback(&app, &wrong, &sign(&wrong)).await).await;
        expect_error(res, 409, "conflict", "currency mismatch");

        // Signed, for a session that does not exist.
        let unknown = succeeded_body("no-such-session", "pay_4", 1000, "GBP");
        let res = json_of(post_callback(&app, &unknown, &sign(&unknown)).await).await;
        expect_error(res, 400, "bad_request", "unknown session");

        // A provider that is not enabled.
        let res = app
            .client
            .post(app.url("/providers/nope/callback"))
            .header("content-type", "application/json")
            .header("shelfraiser-signature", sign(&body))
            .body(body.clone())
            .send()
            .await
            .expect("POST");
        expect_error(json_of(res).await, 404, "not_found", "unknown provider");

        // Signed garbage.
        let garbage = "{\"id\":\"evt_x\",\"type\":\"checkout.succeeded\"}";
        let res = json_of(post_callback(&app, garbage, &sign(garbage)).await).await;
        expect_error(res, 400, "bad_request", "malformed body");

        assert_eq!(count(&tdb.db, "donations").await, 0);
        assert_eq!(count(&tdb.db, "ledger_entries").await, 0);
        assert_eq!(count(&tdb.db, "provider_events").await, 0);
        let s = shelfraiser::donations::checkout::get(&tdb.db, &session)
            .await
            .expect("db")
            .expect("session");
        assert_eq!(s.status, SessionStatus::Open);

        // The genuine callback still works afterwards.
        let (code, v) = json_of(post_callback(&app, &body, &sign(&body)).await).await;
        assert_eq!((code, v["status"].as_str()), (200, Some("recorded")), "{v}");
        assert_eq!(count(&tdb.db, "donations").await, 1);
        assert_ledger_clean(&tdb.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_exact_totals() {
    const WRITERS: usize = 8;
    const EACH: usize = 250;
    each_backend(|tdb| async move {
        // Own all of `tdb` (an async block captures only the fields it uses, and the
        // SQLite folder is removed when `tdb.dir` drops).
        let tdb = tdb;
        let c = seed_campaign(&tdb.db, SLUG).await;
        let table = rates::latest(&tdb.db).await.expect("rates");
        let gbp = gbp();
        let currencies: Vec<CurrencyCode> = ["GBP", "USD", "EUR"]
            .iter()
            .map(|s| CurrencyCode::parse(s).expect("currency"))
            .collect();

        // Every donation is decided up front, so the expected sum is known exactly.
        let mut plans: Vec<Vec<NewDonation>> = Vec::new();
        let mut expected: i64 = 0;
        for w in 0..WRITERS {
            let mut mine = Vec::new();
            for i in 0..EACH {
                let n = w * EACH + i;
                let cur = currencies[n % currencies.len()];
                let amount = Money::new(100 + (n as i64 * 7919) % 99_901, cur);
                let rate = table.rate(cur, gbp).expect("rate");
                let campaign_amount = amount.convert(rate, gbp).expect("convert");
                expected += campaign_amount.amount_minor;
                mine.push(NewDonation {
                    intent: Intent {
                        campaign_id: c.id.clone(),
                        amount,
                        rate,
                        campaign_amount,
                        cover_minor: 0,
                        donor_name: Some(format!("Writer {w} #{i}")),
                        donor_email: None,
                        message: None,
                        visibility: Visibility::Public,
                    },
                    provider: "test".into(),
                    provider_reference: format!("conc_{w}_{i}"),
                    received_on: None,
                    rate_on: None,
                    note: None,
                });
            }
            plans.push(mine);
        }

        let started = std::time::Instant::now();
        let tasks: Vec<_> = plans
            .into_iter()
            .map(|mine| {
                let db = tdb.db.clone();
                tokio::spawn(async move {
                    for d in mine {
                        let r = shelfraiser::donations::record(&db, &d)
                            .await
                            .expect("record");
                        assert!(matches!(r, ledger::Recorded::New { .. }), "{r:?}");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("writer task");
        }
        let took = started.elapsed();
        eprintln!(
            "{} × {} donations on {}: {took:?}",
            WRITERS, EACH, tdb.backend
        );
        assert!(
            took < std::time::Duration::from_secs(120),
            "too slow: {took:?}"
        );

        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!(t.raised_minor, expected);
        assert_eq!(t.donor_count, (WRITERS * EACH) as i64);
        assert_eq!(t.entry_count, (WRITERS * EACH) as i64);
        assert_eq!(t.version, (WRITERS * EACH) as i64);
        assert_eq!(count(&tdb.db, "donations").await, (WRITERS * EACH) as i64);
        let sum: i64 = match &tdb.db {
            Db::Sqlite(p) => sqlx::query_scalar(
                "SELECT CAST(SUM(campaign_amount_minor) AS BIGINT) FROM donations",
            )
            .fetch_one(p)
            .await
            .expect("sum"),
            Db::Postgres(p) => sqlx::query_scalar(
                "SELECT CAST(SUM(campaign_amount_minor) AS BIGINT) FROM donations",
            )
            .fetch_one(p)
            .await
            .expect("sum"),
        };
        assert_eq!(sum, expected);
        assert_ledger_clean(&tdb.db).await;
    })
    .await;
}

#[tokio::test]
async fn ledger_entries_are_append_only() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        app.donate_through_checkout(SLUG, "15", "GBP", "succeed")
            .await;
        app.stop().await;
        assert_eq!(count(&tdb.db, "ledger_entries").await, 1);

        for sql in [
            "UPDATE ledger_entries SET amount_minor = 0",
            "UPDATE ledger_entries SET memo = 'edited'",
            "DELETE FROM ledger_entries",
        ] {
            let err = exec(&tdb.db, sql)
                .await
                .expect_err(&format!("{sql} must fail on {}", tdb.backend));
            assert!(err.contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(count(&tdb.db, "ledger_entries").await, 1);
        assert_ledger_clean(&tdb.db).await;
    })
    .await;
}

#[tokio::test]
async fn verify_finds_a_tampered_total() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        app.donate_through_checkout(SLUG, "15", "GBP", "succeed")
            .await;
        app.stop().await;
        assert_ledger_clean(&tdb.db).await;

        exec(
            &tdb.db,
            "UPDATE campaign_totals SET raised_minor = raised_minor + 1",
        )
        .await
        .expect("totals are not append-only");
        let report = ledger::verify(&tdb.db).await.expect("verify");
        assert_eq!(report.mismatches.len(), 1, "{:?}", report.mismatches);
        let m = &report.mismatches[0];
        assert_eq!(m.campaign, SLUG);
        assert!(m.what.contains("raised"), "{m:?}");
        assert_eq!((m.shown, m.ledger), (1501, 1500));
    })
    .await;
}

#[tokio::test]
async fn donor_wall_respects_visibility_and_escapes() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let donor = |amount: &'static str, name: &'static str, message: &'static str, vis| {
            vec![
                ("amount", amount),
                ("currency", "GBP"),
                ("name", name),
                ("email", ""),
                ("message", message),
                ("visibility", vis),
            ]
        };
        give(&app, &donor("11", "Grace Public", "Good luck!", "public")).await;
        give(&app, &donor("12", "Sam Hidden-Name", "", "anonymous")).await;
        give(
            &app,
            &donor("13", "Pat Private", "Keep it quiet", "private"),
        )
        .await;
        let thanks = give(
            &app,
            &donor(
                "14",
                "<script>alert(1)</script>",
                "<script>alert(2)</script><b>hi</b>",
                "public",
            ),
        )
        .await;

        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (5000, 4));

        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        let wall = &page[page.find("class=\"wall\"").expect("donor wall")..];
        assert!(wall.contains("Grace Public"), "{wall}");
        assert!(wall.contains("Good luck!"));
        assert!(wall.contains("Anonymous"), "{wall}");
        assert!(!page.contains("Sam Hidden-Name"), "anonymous name leaked");
        assert!(!page.contains("Pat Private"), "private donor listed");
        assert!(!page.contains("Keep it quiet"), "private message listed");
        assert!(!wall.contains("£13"), "private amount listed");
        assert!(page.contains("4 donations"), "private gifts still count");
        assert_eq!(wall.matches("<li>").count(), 3, "{wall}");

        assert!(
            contains_escaped(wall, "<script>alert(1)</script>"),
            "{wall}"
        );
        assert!(contains_escaped(wall, "<script>alert(2)</script><b>hi</b>"));
        let donors = app.text(&format!("/campaigns/{SLUG}/donors")).await;
        assert!(contains_escaped(&donors, "<script>alert(1)</script>"));
        assert!(!donors.contains("Pat Private") && !donors.contains("Sam Hidden-Name"));
        let thanks_page = app.text(&thanks).await;
        assert!(
            contains_escaped(&thanks_page, "<script>alert(2)</script>"),
            "{thanks_page}"
        );
        let api = app.text(&format!("/api/v1/campaigns/{SLUG}")).await;
        for html in [&page, &donors, &thanks_page, &api] {
            assert!(!html.contains("<script>alert"), "unescaped markup: {html}");
            assert!(!html.contains("<b>hi"), "unescaped markup: {html}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn danish_page_and_language_switch() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        app.donate_through_checkout(SLUG, "1234.56", "GBP", "succeed")
            .await;

        let da = app
            .client
            .get(app.url(&format!("/campaigns/{SLUG}")))
            .header("accept-language", "da-DK,da;q=0.9,en;q=0.5")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(da.contains("<html lang=\"da\">"));
        assert!(da.contains("Giv nu"), "Danish donate button");
        assert!(da.contains("1.234,56\u{a0}£"), "Danish amount format");
        assert!(da.contains("indsamlet af 1.000\u{a0}£"), "Danish goal");
        assert!(da.contains("123 % af målet"), "Danish percent");
        assert!(!da.contains("Donate</button>"));

        // English stays English (and the page cache keeps the languages apart).
        let en = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(en.contains("<html lang=\"en\">"));
        assert!(en.contains("£1,234.56"), "English amount format");
        assert!(!en.contains("Giv nu"));

        // The visible switcher: cookie, then back to the page.
        let res = app.get(&format!("/lang/da?next=/campaigns/{SLUG}")).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("/campaigns/{SLUG}"));
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("set-cookie")
            .to_string();
        assert!(cookie.starts_with("lang=da;"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        let with_cookie = app
            .client
            .get(app.url(&format!("/campaigns/{SLUG}")))
            .header("cookie", "lang=da")
            .header("accept-language", "en")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(
            with_cookie.contains("Giv nu"),
            "the cookie wins over the header"
        );

        // The switcher only goes back to this site.
        for next in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            let res = app
                .client
                .get(app.url("/lang/da"))
                .query(&[("next", next)])
                .send()
                .await
                .expect("GET");
            assert_eq!(res.status().as_u16(), 303);
            assert_eq!(location(&res), "/", "{next}");
        }
        app.stop().await;
    })
    .await;
}

/// The console shows a donation's status as stored, and a stored status the code does not
/// know is refused where the row is read, not shown.
#[tokio::test]
async fn the_console_shows_a_donations_status_and_refuses_an_unknown_one() {
    use shelfraiser::donations::offline::{self, OfflineInput};
    use shelfraiser::team::Role;
    use shelfraiser::team::audit::Actor;
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        let done = offline::add(
            db,
            &c,
            &OfflineInput {
                amount: "5".into(),
                currency: "GBP".into(),
                visibility: "public".into(),
                ..Default::default()
            },
            &Actor::cli(),
        )
        .await
        .expect("offline donation");
        let id = done.recorded.donation_id().to_string();
        let treasurer = team_member("t").role(Role::Treasurer).signed_in(db).await;
        let token = treasurer.token;
        let app = TestApp::start(settings(&tdb)).await;
        let detail = page_as(&app, &format!("/admin/donations/{id}"), &token).await;
        assert!(
            detail.contains("<dt>Status</dt><dd>succeeded</dd>"),
            "{detail}"
        );
        let csv = page_as(&app, "/admin/donations.csv", &token).await;
        assert!(csv.contains(",succeeded,"), "{csv}");

        // A row written behind the code's back with a status it does not know.
        exec(
            db,
            &format!(
                "INSERT INTO donations (id, campaign_id, amount_minor, currency, rate, \
                 campaign_amount_minor, visibility, provider, provider_reference, status, \
                 created_at) VALUES ('odd', '{}', 100, 'GBP', '1', 100, 'public', 'offline', \
                 'odd', 'refunded', '2024-01-01T00:00:00Z')",
                c.id
            ),
        )
        .await
        .expect("insert");
        let res = get_as(&app, "/admin/donations/odd", &token).await;
        assert_eq!(res.status().as_u16(), 500);
        assert!(!res.text().await.expect("body").contains("refunded"));
        app.stop().await;
    })
    .await;
}
