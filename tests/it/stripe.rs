//! Stripe end to end against a local server speaking Stripe's API (`fake_stripe`): the
//! donate form → a Checkout Session created with the right fields → signed webhooks →
//! one donation → the return page; async payments, replays and out-of-order events,
//! refunds, disputes and unknown events, the provider down, JPY and KWD amounts, and
//! `ledger verify` after each.

use chrono::{Duration, Utc};
use shelfraiser::campaigns::{CampaignState, NewCampaign, Slug, repo};
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::team::Role;

use crate::fake_stripe::*;
use crate::harness::*;

const SLUG: &str = "test-library";

async fn ledger_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

async fn webhook(app: &TestApp, body: &str, signature: &str) -> reqwest::Response {
    app.client
        .post(app.url("/providers/stripe/callback"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .expect("webhook")
}

/// Sends a correctly signed event; returns (status, JSON answer).
pub(crate) async fn send(app: &TestApp, body: &str) -> (u16, serde_json::Value) {
    let res = webhook(app, body, &stripe_signature(WEBHOOK_SECRET, body)).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// Posts the donate form choosing Stripe; returns the response.
async fn donate_stripe(app: &TestApp, amount: &str, currency: &str) -> reqwest::Response {
    donate_stripe_to(app, SLUG, amount, currency).await
}

async fn donate_stripe_to(
    app: &TestApp,
    slug: &str,
    amount: &str,
    currency: &str,
) -> reqwest::Response {
    app.donate(
        slug,
        &[
            ("amount", amount),
            ("currency", currency),
            ("name", "Ada"),
            ("email", "ada@example.org"),
            ("message", "For the books"),
            ("visibility", "public"),
            ("provider", "stripe"),
        ],
    )
    .await
}

/// Starts a Stripe checkout; returns our checkout id (from the call the fake received).
pub(crate) async fn start(
    app: &TestApp,
    fake: &FakeStripe,
    amount: &str,
    currency: &str,
) -> String {
    let res = donate_stripe(app, amount, currency).await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let to = location(&res);
    assert!(
        to.starts_with("https://checkout.stripe.com/c/pay/cs_test_"),
        "{to}"
    );
    let call = fake.calls().last().cloned().expect("a call");
    call.field("client_reference_id")
        .expect("reference")
        .to_string()
}

async fn session_status(db: &Db, id: &str) -> String {
    shelfraiser::donations::checkout::get(db, id)
        .await
        .expect("db")
        .expect("session")
        .status
        .as_str()
        .to_string()
}

#[tokio::test]
async fn a_donation_through_stripe_checkout() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;

        // The form offers both providers, labelled; the CSP lets the form's 303 go to Stripe.
        let res = app.get(&format!("/campaigns/{SLUG}")).await;
        let csp = res.headers()["content-security-policy"].to_str().expect("csp").to_string();
        assert!(csp.contains("form-action 'self' https://checkout.stripe.com;"), "{csp}");
        let page = res.text().await.expect("page");
        assert!(page.contains(r#"name="provider" value="stripe" checked"#), "{page}");
        assert!(page.contains(r#"name="provider" value="test""#));
        assert!(page.contains("Pay with"));

        let id = start(&app, &fake, "25", "GBP").await;
        let calls = fake.calls();
        assert_eq!(calls.len(), 1);
        let call = &calls[0];
        assert_eq!(call.path, "/v1/checkout/sessions");
        assert_eq!(call.authorization, format!("Bearer {SECRET_KEY}"));
        assert_eq!(call.idempotency_key, format!("shelfraiser-checkout-{id}"));
        assert_eq!(call.content_type, "application/x-www-form-urlencoded");
        let f = |k: &str| call.field(k).unwrap_or_else(|| panic!("field {k}")).to_string();
        assert_eq!(f("mode"), "payment");
        assert_eq!(f("line_items[0][price_data][currency]"), "gbp");
        assert_eq!(f("line_items[0][price_data][unit_amount]"), "2500");
        assert_eq!(f("line_items[0][price_data][product_data][name]"), "Test library");
        assert_eq!(f("line_items[0][quantity]"), "1");
        assert_eq!(f("customer_email"), "ada@example.org");
        assert_eq!(f("metadata[checkout_id]"), id);
        let session = shelfraiser::donations::checkout::get(&tdb.db, &id)
            .await
            .expect("db")
            .expect("session");
        assert_eq!(f("expires_at"), session.expires_at.timestamp().to_string());
        let ret = format!("/campaigns/{SLUG}/checkout/{id}/return");
        assert_eq!(f("success_url"), app.url(&ret));
        assert_eq!(f("cancel_url"), app.url(&format!("{ret}?canceled=1")));

        // Back before the webhook: "confirming", refreshing itself, nothing recorded.
        let waiting = app.get(&ret).await;
        assert_eq!(waiting.status().as_u16(), 200);
        let html = waiting.text().await.expect("body");
        assert!(html.contains("Confirming your payment"), "{html}");
        assert!(html.contains(r#"<meta http-equiv="refresh" content="3">"#), "{html}");
        assert_eq!(count(&tdb.db, "donations").await, 0);

        // The webhook records it once; replays (the same event, or another event for the
        // same payment) change nothing.
        let body = session_event("evt_1", "checkout.session.completed", &id, "paid", 2500, "gbp");
        let (status, out) = send(&app, &body).await;
        assert_eq!((status, out["status"].as_str()), (200, Some("recorded")), "{out}");
        let donation = out["donation_id"].as_str().expect("donation").to_string();
        assert_eq!(send(&app, &body).await.1["status"], "duplicate");
        let again = session_event("evt_2", "checkout.session.completed", &id, "paid", 2500, "gbp");
        assert_eq!(send(&app, &again).await.1["status"], "duplicate");
        assert_eq!(count(&tdb.db, "donations").await, 1);
        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (2500, 1));
        let reference = format!("pi_{id}");
        let n = on_db_count(
            &tdb.db,
            &format!("SELECT COUNT(*) FROM donations WHERE provider = 'stripe' AND provider_reference = '{reference}'"),
        )
        .await;
        assert_eq!(n, 1, "the payment intent is the donation's reference");

        // The return page now leads to the thank-you page.
        let back = app.get(&ret).await;
        assert_eq!(back.status().as_u16(), 303);
        assert_eq!(location(&back), format!("/campaigns/{SLUG}/thanks/{donation}"));
        let thanks = app.text(&location(&back)).await;
        assert!(thanks.contains("£25"), "{thanks}");
        // An expiry after payment changes nothing.
        let late = session_event("evt_3", "checkout.session.expired", &id, "unpaid", 2500, "gbp");
        assert_eq!(send(&app, &late).await.0, 200);
        assert_eq!(session_status(&tdb.db, &id).await, "succeeded");
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn asynchronous_payments_and_events_out_of_order() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;

        // Completed but unpaid (a bank debit): pending; then the money comes.
        let a = start(&app, &fake, "10", "GBP").await;
        let ev =
            |n: &str, kind: &str, id: &str, ps: &str| session_event(n, kind, id, ps, 1000, "gbp");
        let (s, out) = send(
            &app,
            &ev("evt_a1", "checkout.session.completed", &a, "unpaid"),
        )
        .await;
        assert_eq!((s, out["status"].as_str()), (200, Some("pending")), "{out}");
        // The payment is under way: the session stays payable while a bank debit settles,
        // so its success is not flagged as late.
        let session = shelfraiser::donations::checkout::get(&tdb.db, &a)
            .await
            .expect("db")
            .expect("session");
        assert!(
            session.expires_at > Utc::now() + Duration::days(13),
            "{:?}",
            session.expires_at
        );
        assert_eq!(count(&tdb.db, "donations").await, 0);
        assert!(
            app.text(&format!("/campaigns/{SLUG}/checkout/{a}/return"))
                .await
                .contains("Confirming")
        );
        let (_, out) = send(
            &app,
            &ev(
                "evt_a2",
                "checkout.session.async_payment_succeeded",
                &a,
                "paid",
            ),
        )
        .await;
        assert_eq!(out["status"], "recorded");
        assert!(out.get("review").is_none(), "{out}");

        // Unpaid, then the debit fails: declined, and the return page gives the form back.
        let b = start(&app, &fake, "11", "GBP").await;
        send(
            &app,
            &ev("evt_b1", "checkout.session.completed", &b, "unpaid"),
        )
        .await;
        let (_, out) = send(
            &app,
            &ev(
                "evt_b2",
                "checkout.session.async_payment_failed",
                &b,
                "unpaid",
            ),
        )
        .await;
        assert_eq!(out["status"], "declined");
        let back = app
            .get(&format!("/campaigns/{SLUG}/checkout/{b}/return"))
            .await;
        assert_eq!(
            location(&back),
            format!("/campaigns/{SLUG}?checkout=declined&from={b}#donate")
        );
        let form = app.text(&location(&back)).await;
        assert!(
            form.contains("For the books"),
            "the form is filled in again"
        );

        // Out of order: the success arrives before the "completed, unpaid" event.
        let c = start(&app, &fake, "12", "GBP").await;
        let ev12 = |n: &str, kind: &str, ps: &str| session_event(n, kind, &c, ps, 1200, "gbp");
        assert_eq!(
            send(
                &app,
                &ev12("evt_c2", "checkout.session.async_payment_succeeded", "paid")
            )
            .await
            .1["status"],
            "recorded"
        );
        assert_eq!(
            send(
                &app,
                &ev12("evt_c1", "checkout.session.completed", "unpaid")
            )
            .await
            .1["status"],
            "pending"
        );
        assert_eq!(session_status(&tdb.db, &c).await, "succeeded");

        // Expired unpaid: canceled; the donor who left the page gets the form back.
        let d = start(&app, &fake, "13", "GBP").await;
        assert_eq!(
            send(
                &app,
                &ev("evt_d1", "checkout.session.expired", &d, "unpaid")
            )
            .await
            .1["status"],
            "canceled"
        );
        let e = start(&app, &fake, "14", "GBP").await;
        let left = app
            .get(&format!("/campaigns/{SLUG}/checkout/{e}/return?canceled=1"))
            .await;
        assert_eq!(
            location(&left),
            format!("/campaigns/{SLUG}?checkout=canceled&from={e}#donate")
        );
        assert_eq!(session_status(&tdb.db, &e).await, "canceled");

        assert_eq!(count(&tdb.db, "donations").await, 2);
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn refunds_disputes_and_unknown_events_are_answered() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let treasurer = crate::team_harness::team_member("treasurer")
            .role(Role::Treasurer)
            .create(&tdb.db)
            .await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let id = start(&app, &fake, "25", "GBP").await;
        let paid = session_event("evt_p", "checkout.session.completed", &id, "paid", 2500, "gbp");
        assert_eq!(send(&app, &paid).await.1["status"], "recorded");

        let unknown = r#"{"id":"evt_u","object":"event","type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}"#;
        let (s, out) = send(&app, unknown).await;
        assert_eq!((s, out["status"].as_str()), (200, Some("ignored")), "{out}");
        // A checkout of something else on the same Stripe account: not ours, ignored.
        let foreign = paid.replace(&format!(r#""client_reference_id":"{id}""#), r#""client_reference_id":null"#)
            .replace(&format!(r#""metadata":{{"checkout_id":"{id}"}}"#), r#""metadata":{}"#)
            .replace("evt_p", "evt_f");
        assert_eq!(send(&app, &foreign).await.1["status"], "ignored");

        let refund = serde_json::json!({"id": "evt_r", "object": "event", "type": "charge.refunded",
            "data": {"object": {"id": "ch_1", "object": "charge", "amount": 2500, "amount_refunded": 2500,
            "currency": "gbp", "payment_intent": format!("pi_{id}")}}}).to_string();
        let (s, out) = send(&app, &refund).await;
        assert_eq!((s, out["status"].as_str()), (200, Some("refunded")), "{out}");

        let dispute = serde_json::json!({"id": "evt_d", "object": "event", "type": "charge.dispute.created",
            "data": {"object": {"id": "dp_1", "object": "dispute", "amount": 2500, "currency": "gbp",
            "charge": "ch_1", "payment_intent": format!("pi_{id}"), "reason": "fraudulent"}}}).to_string();
        let (s, out) = send(&app, &dispute).await;
        assert_eq!((s, out["status"].as_str()), (200, Some("disputed")), "{out}");
        send(&app, &dispute).await;
        // The treasurer hears of the dispute once, replays or not.
        let mails = outbox_subjects(&tdb.db, &treasurer.email).await;
        let disputes: Vec<_> = mails.iter().filter(|s| s.contains("disputed")).collect();
        assert_eq!(disputes.len(), 1, "{mails:?}");

        // Nothing of that touched the ledger.
        assert_eq!(count(&tdb.db, "donations").await, 1);
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn bad_signatures_are_refused() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let id = start(&app, &fake, "25", "GBP").await;
        let body = session_event(
            "evt_x",
            "checkout.session.completed",
            &id,
            "paid",
            2500,
            "gbp",
        );
        let now = Utc::now().timestamp();
        let sign = |secret: &str, b: &str, t: i64| {
            shelfraiser_formats::webhook::sign(secret.as_bytes(), b.as_bytes(), t)
        };
        let tampered = body.replace("2500", "250");
        for (b, sig) in [
            (tampered.as_str(), sign(WEBHOOK_SECRET, &body, now)),
            (body.as_str(), sign("whsec_other", &body, now)),
            (body.as_str(), sign(WEBHOOK_SECRET, &body, now - 600)),
            (body.as_str(), String::new()),
            (body.as_str(), format!("t={now},v1={}", "0".repeat(64))),
        ] {
            let res = webhook(&app, b, &sig).await;
            assert_eq!(res.status().as_u16(), 400, "{sig}");
        }
        assert_eq!(count(&tdb.db, "donations").await, 0);
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn provider_down_gives_the_form_back() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        // A port nothing listens on: connection refused.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            format!("http://{}", l.local_addr().expect("addr"))
        };
        let mut s = with_stripe(settings(&tdb), &closed);
        s.donations.checkouts_per_ip = 2;
        let app = TestApp::start(s).await;
        for _ in 0..3 {
            let res = donate_stripe(&app, "25", "GBP").await;
            assert_eq!(res.status().as_u16(), 503, "refused connection");
            let html = res.text().await.expect("body");
            assert!(html.contains("could not be reached"), "{html}");
            assert!(
                html.contains("For the books") && html.contains(r#"value="25""#),
                "the values typed"
            );
        }
        // Three failures and the per-address limit of two never tripped; nothing recorded,
        // every session closed and marked failed.
        assert_eq!(count(&tdb.db, "donations").await, 0);
        let open = on_db_count(
            &tdb.db,
            "SELECT COUNT(*) FROM checkout_sessions WHERE status = 'open' OR failed_at IS NULL",
        )
        .await;
        assert_eq!(open, 0);
        app.stop().await;

        // A 500 and a time-out: the same.
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        fake.set_mode(Mode::ServerError);
        assert_eq!(
            donate_stripe(&app, "25", "GBP").await.status().as_u16(),
            503
        );
        fake.set_mode(Mode::Slow(std::time::Duration::from_secs(4)));
        let t0 = std::time::Instant::now();
        assert_eq!(
            donate_stripe(&app, "25", "GBP").await.status().as_u16(),
            503
        );
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(4),
            "the time-out (2 s) holds"
        );
        fake.set_mode(Mode::Ok);
        assert_eq!(
            donate_stripe(&app, "25", "GBP").await.status().as_u16(),
            303
        );
        assert_eq!(count(&tdb.db, "donations").await, 0);
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn zero_and_three_decimal_currencies() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let kwd = CurrencyCode::parse("KWD").expect("KWD");
        let k = repo::create(
            &tdb.db,
            &NewCampaign {
                slug: Slug::parse("kuwait-library").expect("slug"),
                title: "Kuwait library".into(),
                summary: "A test campaign".into(),
                story_md: "Story.".into(),
                goal: Money::new(1_000_000, kwd),
                accepted: vec![kwd],
                starts_at: Utc::now() - Duration::days(1),
                ends_at: None,
                beneficiary_name: "Library".into(),
                beneficiary_place: "Kuwait".into(),
                cover_image_url: None,
                cover_image_alt: None,
                state: CampaignState::Live,
                keep_accepting: true,
                featured: false,
                milestones: vec![],
            },
        )
        .await
        .expect("campaign");
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;

        // JPY: zero decimals for both; ¥5,000 is unit_amount 5000.
        let j = start(&app, &fake, "5000", "JPY").await;
        let call = fake.calls().last().cloned().expect("call");
        assert_eq!(
            call.field("line_items[0][price_data][currency]"),
            Some("jpy")
        );
        assert_eq!(
            call.field("line_items[0][price_data][unit_amount]"),
            Some("5000")
        );
        let (_, out) = send(
            &app,
            &session_event(
                "evt_j",
                "checkout.session.completed",
                &j,
                "paid",
                5000,
                "jpy",
            ),
        )
        .await;
        assert_eq!(out["status"], "recorded", "{out}");
        let d = ledger::donation(&tdb.db, out["donation_id"].as_str().expect("id"))
            .await
            .expect("db")
            .expect("row");
        assert_eq!((d.amount_minor, d.currency.as_str()), (5000, "JPY"));
        assert!(
            repo::totals(&tdb.db, &c.id)
                .await
                .expect("totals")
                .raised_minor
                > 0
        );

        // KWD: three decimals, the last one 0. 12.340 KWD is unit_amount 12340.
        let res = donate_stripe_to(&app, "kuwait-library", "12.340", "KWD").await;
        assert_eq!(res.status().as_u16(), 303);
        let call = fake.calls().last().cloned().expect("call");
        assert_eq!(
            call.field("line_items[0][price_data][currency]"),
            Some("kwd")
        );
        assert_eq!(
            call.field("line_items[0][price_data][unit_amount]"),
            Some("12340")
        );
        let id = call.field("client_reference_id").expect("ref").to_string();
        let (_, out) = send(
            &app,
            &session_event(
                "evt_k",
                "checkout.session.completed",
                &id,
                "paid",
                12340,
                "kwd",
            ),
        )
        .await;
        assert_eq!(out["status"], "recorded", "{out}");
        let t = repo::totals(&tdb.db, &k.id).await.expect("totals");
        assert_eq!(t.raised_minor, 12_340);
        // 12.345 KWD cannot be charged by Stripe: refused on the form, never rounded, and
        // Stripe is not called.
        let before = fake.calls().len();
        let res = donate_stripe_to(&app, "kuwait-library", "12.345", "KWD").await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("only in steps of"), "{html}");
        assert_eq!(fake.calls().len(), before);
        // A reported amount that differs from the session's is refused.
        let other = start(&app, &fake, "25", "GBP").await;
        let (s, _) = send(
            &app,
            &session_event(
                "evt_m",
                "checkout.session.completed",
                &other,
                "paid",
                2499,
                "gbp",
            ),
        )
        .await;
        assert_eq!(s, 409);
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn an_unknown_provider_choice_gives_the_form_back() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let res = app
            .donate(
                SLUG,
                &[
                    ("amount", "25"),
                    ("currency", "GBP"),
                    ("visibility", "public"),
                    ("provider", "bitcoin"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Choose how to pay.")
        );
        // The test provider can still be chosen.
        let res = app
            .donate(
                SLUG,
                &[
                    ("amount", "25"),
                    ("currency", "GBP"),
                    ("visibility", "public"),
                    ("provider", "test"),
                ],
            )
            .await;
        assert!(location(&res).starts_with("/test-checkout/"));
        assert!(fake.calls().is_empty());
        app.stop().await;
        fake.stop();
    })
    .await;
}

async fn on_db_count(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.expect("count"),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.expect("count"),
    }
}

async fn outbox_subjects(db: &Db, to: &str) -> Vec<String> {
    let sql = "SELECT subject FROM outbox WHERE to_addr = $1";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(to)
            .fetch_all(p)
            .await
            .expect("outbox"),
        Db::Postgres(p) => sqlx::query_scalar(sql)
            .bind(to)
            .fetch_all(p)
            .await
            .expect("outbox"),
    }
}

/// The keys come from `SHELFRAISER_PROVIDERS__STRIPE__*` (nested with `__`), reach Stripe as
/// the Bearer token, and never appear in the log, even at debug level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_from_the_environment_and_never_logged() {
    each_backend(|tdb| async move {
        let fake = FakeStripe::start().await;
        let mut args = storage_args(&tdb);
        args.push("--demo".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = ServerProcess::start(
            &args,
            &[
                ("SHELFRAISER_PROVIDERS__STRIPE__SECRET_KEY", SECRET_KEY),
                (
                    "SHELFRAISER_PROVIDERS__STRIPE__WEBHOOK_SECRET",
                    WEBHOOK_SECRET,
                ),
                (
                    "SHELFRAISER_PROVIDERS__STRIPE__API_BASE",
                    fake.base.as_str(),
                ),
                ("SHELFRAISER_LOG", "debug"),
            ],
        );
        let client = http_client();
        server
            .wait_ok(&client, "/readyz", std::time::Duration::from_secs(30))
            .await;
        let slug = shelfraiser::app::demo::SLUG;
        let page = client
            .get(server.url(&format!("/campaigns/{slug}")))
            .send()
            .await
            .expect("page");
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_string();
        assert!(csp.contains("https://checkout.stripe.com"), "{csp}");
        let html = page.text().await.expect("html");
        assert!(html.contains(r#"value="stripe""#), "stripe offered");
        let token = hidden_value(&html, "csrf").expect("csrf");
        let res = client
            .post(server.url(&format!("/campaigns/{slug}/donate")))
            .form(&[
                ("amount", "25"),
                ("currency", "GBP"),
                ("visibility", "public"),
                ("provider", "stripe"),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .expect("donate");
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            fake.calls()[0].authorization,
            format!("Bearer {SECRET_KEY}")
        );
        // A webhook signed with the configured secret is taken.
        let id = fake.calls()[0]
            .field("client_reference_id")
            .expect("id")
            .to_string();
        let body = session_event(
            "evt_env",
            "checkout.session.completed",
            &id,
            "paid",
            2500,
            "gbp",
        );
        let res = client
            .post(server.url("/providers/stripe/callback"))
            .header("stripe-signature", stripe_signature(WEBHOOK_SECRET, &body))
            .body(body)
            .send()
            .await
            .expect("webhook");
        assert_eq!(res.status().as_u16(), 200);
        let log = server.log_text();
        assert!(log.contains("request"), "the log is written: {log}");
        assert!(
            !log.contains(SECRET_KEY) && !log.contains(WEBHOOK_SECRET),
            "{log}"
        );
        fake.stop();
    })
    .await;
}
