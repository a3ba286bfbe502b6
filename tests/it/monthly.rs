//! Monthly giving end to end against the local Stripe (`fake_stripe`): the donate form's
//! "Give monthly" → a subscription-mode Checkout Session → the completion records the first
//! month once (the first invoice's `invoice.paid` changes nothing, whichever comes first) →
//! renewals record one donation per invoice (replays and early deliveries too) → a failed
//! payment tells the treasurers → the donor cancels from the signed link (a bad token is
//! 404) → Stripe's deletion confirms; the console lists the gift; `ledger verify` after each.

use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::team::Role;

use crate::fake_stripe::*;
use crate::harness::*;
use crate::receipts::run_jobs;
use crate::team_harness::team_member;

const SLUG: &str = "test-library";

async fn ledger_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

/// Sends a correctly signed event; returns (status, JSON answer).
async fn send(app: &TestApp, body: &str) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(app.url("/providers/stripe/callback"))
        .header("content-type", "application/json")
        .header("stripe-signature", stripe_signature(WEBHOOK_SECRET, body))
        .body(body.to_string())
        .send()
        .await
        .expect("webhook");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn scalar(db: &Db, sql: &str) -> String {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.expect("scalar"),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.expect("scalar"),
    }
}

/// The `/monthly/…?t=…` link in a text.
fn manage_link(text: &str) -> String {
    let at = text.find("/monthly/").expect("a manage link");
    let end = text[at..]
        .find(|c: char| c.is_whitespace() || c == '"')
        .map_or(text.len(), |e| at + e);
    text[at..end].replace("&amp;", "&")
}

#[tokio::test]
async fn a_monthly_gift_from_checkout_to_renewals_and_cancel() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let treasurer = team_member("t").role(Role::Treasurer).signed_in(&app.db).await;

        // The form offers it (without JavaScript: two radio buttons, once checked).
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(page.contains(r#"name="frequency" value="once" checked"#), "{page}");
        assert!(page.contains(r#"name="frequency" value="monthly""#));
        let fields = |provider: &'static str| {
            vec![
                ("amount", "5"),
                ("currency", "GBP"),
                ("name", "Ada"),
                ("email", "ada@example.org"),
                ("message", "Every month"),
                ("visibility", "public"),
                ("provider", provider),
                ("frequency", "monthly"),
            ]
        };
        // Monthly with another provider: refused, the form kept as typed.
        let res = app.donate(SLUG, &fields("test")).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("Monthly gifts are paid by card through Stripe"), "{html}");
        assert!(html.contains(r#"name="frequency" value="monthly" checked"#));
        assert!(fake.calls().is_empty());

        let res = app.donate(SLUG, &fields("stripe")).await;
        assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap_or_default());
        let call = fake.calls().last().cloned().expect("a call");
        let f = |k: &str| call.field(k).unwrap_or_else(|| panic!("field {k}")).to_string();
        let id = f("client_reference_id");
        assert_eq!(f("mode"), "subscription");
        assert_eq!(f("line_items[0][price_data][recurring][interval]"), "month");
        assert_eq!(f("line_items[0][price_data][unit_amount]"), "500");
        assert_eq!(f("line_items[0][price_data][currency]"), "gbp");
        assert_eq!(f("line_items[0][price_data][product_data][name]"), "Test library");
        assert_eq!(f("subscription_data[metadata][checkout_id]"), id);
        assert_eq!(call.idempotency_key, format!("shelfraiser-checkout-{id}"));
        let gift = f("subscription_data[metadata][monthly_gift]");

        // Early deliveries: the first invoice changes nothing; a renewal or a failure of a
        // subscription not yet known is answered 503 (Stripe sends it again).
        let first_invoice =
            invoice_event("evt_i1", "invoice.paid", "sub_1", "in_1", "subscription_create", (500, "gbp"), &id);
        assert_eq!(send(&app, &first_invoice).await.1["status"], "ignored");
        let early = invoice_event("evt_i0", "invoice.payment_failed", "sub_1", "in_0", "subscription_cycle", (0, "gbp"), &id);
        assert_eq!(send(&app, &early).await.0, 503);
        assert_eq!(count(&tdb.db, "donations").await, 0);

        // The completion starts the gift and records the first month, once.
        let done = subscription_session_event("evt_c1", &id, "sub_1", "in_1", 500, "gbp");
        let (status, out) = send(&app, &done).await;
        assert_eq!((status, out["status"].as_str()), (200, Some("recorded")), "{out}");
        let first = out["donation_id"].as_str().expect("donation").to_string();
        assert_eq!(send(&app, &done).await.1["status"], "duplicate");
        let again = invoice_event("evt_i2", "invoice.paid", "sub_1", "in_1", "subscription_create", (500, "gbp"), &id);
        assert_eq!(send(&app, &again).await.0, 200);
        assert_eq!(count(&tdb.db, "donations").await, 1);
        assert_eq!(
            scalar(&tdb.db, "SELECT provider_reference FROM donations").await,
            "in_1",
            "the first invoice is the first month's reference"
        );
        ledger_clean(&tdb.db).await;

        // A renewal records a second donation; its replays (the same or another event id)
        // record nothing more.
        let renewal = invoice_event("evt_r1", "invoice.paid", "sub_1", "in_2", "subscription_cycle", (500, "gbp"), &id);
        let (status, out) = send(&app, &renewal).await;
        assert_eq!((status, out["status"].as_str()), (200, Some("recorded")), "{out}");
        assert_eq!(send(&app, &renewal).await.1["status"], "duplicate");
        let replay = invoice_event("evt_r2", "invoice.paid", "sub_1", "in_2", "subscription_cycle", (500, "gbp"), &id);
        assert_eq!(send(&app, &replay).await.1["status"], "duplicate");
        assert_eq!(count(&tdb.db, "donations").await, 2);
        let t = shelfraiser::campaigns::repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!(t.raised_minor, 1000);
        ledger_clean(&tdb.db).await;

        // Every receipt carries the manage link; so does the thank-you page.
        run_jobs(&app).await;
        let texts: Vec<String> = match &tdb.db {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_addr = 'ada@example.org'").fetch_all(p).await,
            Db::Postgres(p) => sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_addr = 'ada@example.org'").fetch_all(p).await,
        }
        .expect("outbox");
        assert_eq!(texts.len(), 2);
        assert!(texts.iter().all(|t| t.contains(&format!("/monthly/{gift}?t="))), "{texts:?}");
        let thanks = app.text(&format!("/campaigns/{SLUG}/thanks/{first}")).await;
        let link = manage_link(&thanks);
        assert!(link.starts_with(&format!("/monthly/{gift}?t=")), "{link}");

        // A failed payment: past due, the treasurers told once.
        let failed = invoice_event("evt_f1", "invoice.payment_failed", "sub_1", "in_3", "subscription_cycle", (0, "gbp"), &id);
        assert_eq!(send(&app, &failed).await.1["status"], "pastdue");
        assert_eq!(send(&app, &failed).await.1["status"], "duplicate");
        let alerts = scalar(&tdb.db, &format!("SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE to_addr = '{}' AND subject LIKE '%could not be charged%'", treasurer.member.email)).await;
        assert_eq!(alerts, "1");
        let mine = app.text(&link).await;
        assert!(mine.contains("£5") && mine.contains("Payment failed"), "{mine}");

        // The console lists it for the treasurer, with a cancel button.
        let console = treasurer.page(&app, "/admin/monthly").await;
        assert!(console.contains("Ada") && console.contains(&format!("/admin/monthly/{gift}/cancel")), "{console}");

        // A wrong token is an unknown gift; a cancel without the form's token changes nothing.
        assert_eq!(app.get(&format!("/monthly/{gift}?t=00")).await.status().as_u16(), 404);
        assert_eq!(app.get(&format!("/monthly/{gift}")).await.status().as_u16(), 404);
        let t = link.split("?t=").nth(1).expect("token").to_string();
        let path = format!("/monthly/{gift}");
        let res = app.post_form(&path, &[("t", "00"), ("csrf", "x")]).await;
        assert_eq!(res.status().as_u16(), 404);
        let res = app.post_form(&path, &[("t", &t), ("csrf", "x")]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(!fake.calls().iter().any(|c| c.path.starts_with("/v1/subscriptions/")));

        // Cancelled from the link: Stripe is asked, the gift ends, the webhook confirms.
        let csrf = hidden_value(&mine, "csrf").expect("csrf");
        let res = app.post_form(&path, &[("t", &t), ("csrf", &csrf)]).await;
        assert_eq!(res.status().as_u16(), 303);
        let cancel = fake.calls().last().cloned().expect("cancel call");
        assert_eq!(cancel.path, "/v1/subscriptions/sub_1");
        assert_eq!(cancel.authorization, format!("Bearer {SECRET_KEY}"));
        let after = app.text(&location(&res)).await;
        assert!(after.contains("Your monthly gift is cancelled"), "{after}");
        assert!(!after.contains("Cancel the monthly gift"));
        let deleted = subscription_event("evt_d1", "customer.subscription.deleted", "sub_1", "canceled", &id);
        assert_eq!(send(&app, &deleted).await.1["status"], "changed");
        let active_again = subscription_event("evt_u1", "customer.subscription.updated", "sub_1", "active", &id);
        assert_eq!(send(&app, &active_again).await.0, 200);
        assert_eq!(scalar(&tdb.db, "SELECT status FROM monthly_gifts").await, "canceled", "final");
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

/// (raised, donors) of the campaign.
async fn totals(db: &Db, campaign_id: &str) -> (i64, i64) {
    let t = shelfraiser::campaigns::repo::totals(db, campaign_id)
        .await
        .expect("totals");
    (t.raised_minor, t.donor_count)
}

/// Starts a monthly gift of £5 through the donate form; the checkout's id.
async fn start_monthly(app: &TestApp, fake: &FakeStripe) -> String {
    let fields = [
        ("amount", "5"),
        ("currency", "GBP"),
        ("name", "Ada"),
        ("email", "ada@example.org"),
        ("message", "Every month"),
        ("visibility", "public"),
        ("provider", "stripe"),
        ("frequency", "monthly"),
    ];
    let res = app.donate(SLUG, &fields).await;
    assert_eq!(res.status().as_u16(), 303);
    let call = fake.calls().last().cloned().expect("a call");
    call.field("client_reference_id").expect("id").to_string()
}

#[tokio::test]
async fn renewals_are_refunded_and_disputed_by_their_payment_and_count_one_donor() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        let treasurer = crate::treasurer::signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let id = start_monthly(&app, &fake).await;

        // The first month: one donor. Its invoice.paid (older shape) names the payment intent.
        let done = subscription_session_event("evt_c1", &id, "sub_1", "in_1", 500, "gbp");
        let first = send(&app, &done).await.1["donation_id"]
            .as_str()
            .expect("first")
            .to_string();
        let paid1 = invoice_paid_by(
            "evt_i1",
            "sub_1",
            "in_1",
            "subscription_create",
            (500, "gbp"),
            &id,
            "pi_1",
            false,
        );
        let (status, out) = send(&app, &paid1).await;
        assert_eq!(
            (status, out["donation_id"].as_str()),
            (200, Some(first.as_str())),
            "{out}"
        );
        assert_eq!(totals(db, &c.id).await, (500, 1));

        // Two renewals (the newer shape): money, but no new donor.
        let paid2 = invoice_paid_by(
            "evt_i2",
            "sub_1",
            "in_2",
            "subscription_cycle",
            (500, "gbp"),
            &id,
            "pi_2",
            true,
        );
        let out = send(&app, &paid2).await.1;
        assert_eq!(out["status"], "recorded", "{out}");
        let second = out["donation_id"].as_str().expect("second").to_string();
        assert_eq!(
            totals(db, &c.id).await,
            (1000, 1),
            "a monthly donor counts once"
        );
        ledger_clean(db).await;

        // Stripe's refund of the renewal names its payment intent: the renewal is found.
        let ev = charge_refunded_event("evt_r1", "pi_2", 500, &[("re_dash", 200)], "gbp");
        let out = send(&app, &ev).await.1;
        assert_eq!(
            (out["status"].as_str(), out["donation_id"].as_str()),
            (Some("refunded"), Some(second.as_str())),
            "{out}"
        );
        assert_eq!(totals(db, &c.id).await, (800, 1));
        ledger_clean(db).await;

        // The wall (page, donor list, live event) shows the partly refunded gift net: £3.
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        let wall = &page[page.find("class=\"wall\"").expect("the wall")..];
        assert!(wall.contains(">£3<") && wall.contains(">£5<"), "{wall}");
        let donors = app.text(&format!("/campaigns/{SLUG}/donors")).await;
        assert!(
            donors.contains(">£3<") && !donors.contains(">£2<"),
            "{donors}"
        );
        let ev = live_event(&app).await;
        let amounts: Vec<&str> = ev["wall"]
            .as_array()
            .expect("wall")
            .iter()
            .filter_map(|w| w["amount"].as_str())
            .collect();
        assert!(amounts.contains(&"£3") && amounts.contains(&"£5"), "{ev}");

        // The treasurer refunds the rest from the console: Stripe is asked with the payment
        // intent, not the invoice; the renewal leaves the wall, the donor stays counted.
        let res = crate::refunds::refund(&app, &treasurer, &second, "3", "asked").await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let call = fake
            .calls()
            .into_iter()
            .rfind(|c| c.path == "/v1/refunds")
            .expect("refund call");
        assert_eq!(call.field("payment_intent"), Some("pi_2"));
        assert_eq!(
            totals(db, &c.id).await,
            (500, 1),
            "the first month's donor stays"
        );
        let ev = live_event(&app).await;
        assert_eq!(ev["wall"].as_array().map(Vec::len), Some(1), "{ev}");
        ledger_clean(db).await;

        // The first month refunded in full from the console: Stripe is asked with pi_1; the
        // donor leaves the count.
        let res = crate::refunds::refund(&app, &treasurer, &first, "5", "").await;
        assert_eq!(res.status().as_u16(), 303);
        let call = fake
            .calls()
            .into_iter()
            .rfind(|c| c.path == "/v1/refunds")
            .expect("refund call");
        assert_eq!(call.field("payment_intent"), Some("pi_1"));
        assert_eq!(totals(db, &c.id).await, (0, 0));
        ledger_clean(db).await;

        // A dispute about a renewal names it too (the treasurers are told).
        let paid3 = invoice_paid_by(
            "evt_i3",
            "sub_1",
            "in_3",
            "subscription_cycle",
            (500, "gbp"),
            &id,
            "pi_3",
            false,
        );
        let third = send(&app, &paid3).await.1["donation_id"]
            .as_str()
            .expect("third")
            .to_string();
        let out = send(&app, &dispute_event("evt_d1", "pi_3", 500, "gbp"))
            .await
            .1;
        assert_eq!(
            (out["status"].as_str(), out["donation_id"].as_str()),
            (Some("disputed"), Some(third.as_str())),
            "{out}"
        );

        // A refund heard before its renewal waits for it and is entered with it.
        let early = charge_refunded_event("evt_r9", "pi_4", 500, &[("re_early", 500)], "gbp");
        assert_eq!(
            send(&app, &early).await.1["donation_id"],
            serde_json::Value::Null
        );
        let paid4 = invoice_paid_by(
            "evt_i4",
            "sub_1",
            "in_4",
            "subscription_cycle",
            (500, "gbp"),
            &id,
            "pi_4",
            true,
        );
        assert_eq!(send(&app, &paid4).await.1["status"], "recorded");
        assert_eq!(
            totals(db, &c.id).await,
            (500, 0),
            "the early refund entered; renewals add no donor"
        );
        ledger_clean(db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

/// The first event of the campaign's live stream.
async fn live_event(app: &TestApp) -> serde_json::Value {
    let url = app.url(&format!("/campaigns/{SLUG}/live"));
    let mut sse = crate::live::Sse::open(&app.client, &url).await;
    sse.next_progress(std::time::Duration::from_secs(10)).await
}

/// Runs every job due at `at` with the node's handlers (providers and mailer included).
pub(crate) async fn run_all(app: &TestApp, at: chrono::DateTime<chrono::Utc>) {
    let s = &app.state;
    let rc = shelfraiser::donations::receipts::Receipts::new(
        &s.settings,
        app.db.clone(),
        s.mailer.clone(),
        &app.base,
    );
    let handlers = shelfraiser::app::job_handlers_full(
        rc,
        s.providers.clone(),
        shelfraiser::outbound::Outbound::new(&[] as &[&str], "http://localhost").expect("outbound"),
    );
    shelfraiser::jobs::run_due(&app.db, &handlers, at)
        .await
        .expect("run jobs");
}

#[tokio::test]
async fn a_closed_campaign_ends_its_monthly_gifts_at_stripe_and_tells_the_donor() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let id = start_monthly(&app, &fake).await;
        let done = subscription_session_event("evt_c1", &id, "sub_1", "in_1", 500, "gbp");
        assert_eq!(send(&app, &done).await.1["status"], "recorded");
        run_jobs(&app).await; // the receipt
        let now = chrono::Utc::now();
        let ended = "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE to_addr = 'ada@example.org' AND subject LIKE '%has ended%'";

        // A live campaign keeps its gifts.
        shelfraiser::donations::sweep(db, now).await.expect("sweep");
        assert_eq!(scalar(db, "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'end_monthly_gift'").await, "0");

        // Closed: one job however many sweeps; Stripe down fails it and nothing changes.
        shelfraiser::campaigns::repo::set_state(db, &c.id, shelfraiser::campaigns::CampaignState::Closed)
            .await
            .expect("close");
        shelfraiser::donations::sweep(db, now).await.expect("sweep");
        shelfraiser::donations::sweep(db, now).await.expect("sweep again");
        assert_eq!(scalar(db, "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'end_monthly_gift'").await, "1");
        fake.set_mode(Mode::ServerError);
        run_all(&app, now).await;
        assert_eq!(scalar(db, "SELECT status FROM monthly_gifts").await, "active");
        assert_eq!(scalar(db, ended).await, "0");
        assert!(!scalar(db, "SELECT COALESCE(last_error, '') FROM jobs WHERE kind = 'end_monthly_gift'").await.is_empty());

        // Retried once Stripe answers: the subscription is cancelled, audited, the donor told once.
        fake.set_mode(Mode::Ok);
        run_all(&app, now + chrono::Duration::hours(1)).await;
        let calls: Vec<_> = fake.calls().into_iter().filter(|c| c.path == "/v1/subscriptions/sub_1").collect();
        assert_eq!(calls.len(), 2, "the failed call and the retry");
        assert_eq!(scalar(db, "SELECT status FROM monthly_gifts").await, "canceled");
        assert_eq!(crate::team_harness::audit_count(db, "monthly.canceled").await, 1);
        assert_eq!(scalar(db, ended).await, "1");
        let body = scalar(db, "SELECT text_body FROM outbox WHERE subject LIKE '%has ended%'").await;
        assert!(body.contains("gift of £5 is cancelled") && body.contains(&format!("/campaigns/{SLUG}")), "{body}");
        shelfraiser::donations::sweep(db, now + chrono::Duration::hours(2)).await.expect("sweep");
        run_all(&app, now + chrono::Duration::hours(3)).await;
        assert_eq!(scalar(db, ended).await, "1", "told once");
        ledger_clean(db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}
