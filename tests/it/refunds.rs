//! Refunds (issue 12) on both backends: started from the console's donation page against the
//! local Stripe and PayPal (`fake_stripe`, `fake_paypal`), confirmed by their webhooks into one
//! `refund` ledger entry per provider refund id whatever the order or repetition; a refund
//! heard of before its payment waits for it; offline refunds recorded with a memo; the
//! refusals (too much, zero, bad amount, no confirmation, provider down, no permission, another
//! campaign's treasurer); `ledger verify` after each step.

use shelfraiser::campaigns::repo;
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::on_db;
use shelfraiser::team::Role;

use crate::fake_stripe::*;
use crate::harness::*;
use crate::team_harness::team_member;

async fn clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

async fn refund_entries(db: &Db) -> Vec<i64> {
    on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT amount_minor FROM ledger_entries WHERE kind = 'refund' ORDER BY seq"
    )
    .fetch_all(p)
    .await
    .expect("entries"))
}

/// (raised, donors) of the campaign.
async fn totals(db: &Db, campaign_id: &str) -> (i64, i64) {
    let t = repo::totals(db, campaign_id).await.expect("totals");
    (t.raised_minor, t.donor_count)
}

pub(crate) async fn refund(
    app: &TestApp,
    token: &str,
    id: &str,
    amount: &str,
    reason: &str,
) -> reqwest::Response {
    let path = format!("/admin/donations/{id}");
    let csrf = bound_csrf(app, &path, token).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("amount", amount),
        ("reason", reason),
        ("confirm", "yes"),
    ];
    post_as(app, &format!("{path}/refund"), token, &form).await
}

fn refund_calls(fake: &FakeStripe) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path == "/v1/refunds")
        .collect()
}

#[tokio::test]
async fn stripe_refunds_from_the_console_and_its_webhooks_make_one_entry_each() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = crate::treasurer::signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let checkout = crate::stripe::start(&app, &fake, "25", "GBP").await;
        let paid = session_event("evt_p", "checkout.session.completed", &checkout, "paid", 2500, "gbp");
        let out = crate::stripe::send(&app, &paid).await.1;
        let id = out["donation_id"].as_str().expect("donation").to_string();
        let path = format!("/admin/donations/{id}");
        let html = page_as(&app, &path, &treasurer).await;
        assert!(html.contains(&format!("action=\"{path}/refund#refund\"")), "the form");
        assert!(html.contains("id=\"r-amount\" name=\"amount\" type=\"text\" inputmode=\"decimal\" maxlength=\"40\" value=\"25\""), "{html}");

        // Refused: more than given, zero, negative, not a number, unconfirmed, a forged token.
        for (amount, field) in [("30", "r-amount-err"), ("0", "r-amount-err"), ("-5", "r-amount-err"), ("ten", "r-amount-err")] {
            let res = refund(&app, &treasurer, &id, amount, "").await;
            assert_eq!(res.status().as_u16(), 422, "{amount}");
            let html = res.text().await.expect("body");
            assert!(html.contains(field) && html.contains(&format!("value=\"{amount}\"")), "{amount}: {html}");
        }
        let csrf = bound_csrf(&app, &path, &treasurer).await;
        let res = post_as(&app, &format!("{path}/refund"), &treasurer, &[("csrf", &csrf), ("amount", "10")]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("b").contains("id=\"r-confirm-err\""));
        let res = post_as(&app, &format!("{path}/refund"), &treasurer,
            &[("csrf", "forged"), ("amount", "10"), ("confirm", "yes")]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(refund_calls(&fake).is_empty(), "Stripe was not asked");

        // Stripe down: a clear message, nothing recorded, and asking again works.
        fake.set_mode(Mode::ServerError);
        let res = refund(&app, &treasurer, &id, "10", "asked by the donor").await;
        assert_eq!(res.status().as_u16(), 503);
        assert!(res.text().await.expect("b").contains("could not be reached"));
        assert_eq!(totals(db, &c.id).await, (2500, 1));
        clean(db).await;
        fake.set_mode(Mode::Ok);
        let res = refund(&app, &treasurer, &id, "10", "asked by the donor").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("{path}?refunded=1"));
        let calls = refund_calls(&fake);
        let call = calls.last().expect("a refund call");
        assert_eq!(call.field("payment_intent"), Some(format!("pi_{checkout}").as_str()));
        assert_eq!(call.field("amount"), Some("1000"));
        let ours = call.field("metadata[refund_id]").expect("our id").to_string();
        assert_eq!(call.idempotency_key, format!("shelfraiser-refund-{ours}"));
        assert_ne!(calls[0].idempotency_key, call.idempotency_key, "a retry is a new request");
        assert_eq!(totals(db, &c.id).await, (1500, 1), "partly refunded: still a donor");
        assert_eq!(refund_entries(db).await, vec![-1000]);
        clean(db).await;

        // Stripe's webhook about the same refund, twice and under two event ids: nothing new.
        let re1 = on_db!(db, |p| sqlx::query_scalar::<_, String>(
            "SELECT provider_refund_id FROM donation_refunds WHERE status = 'succeeded'")
            .fetch_one(p).await.expect("refund"));
        let pi = format!("pi_{checkout}");
        let ev = charge_refunded_event("evt_r1", &pi, 2500, &[(&re1, 1000)], "gbp");
        assert_eq!(crate::stripe::send(&app, &ev).await.1["status"], "refunded");
        crate::stripe::send(&app, &ev).await;
        let ev2 = charge_refunded_event("evt_r2", &pi, 2500, &[(&re1, 1000)], "gbp");
        crate::stripe::send(&app, &ev2).await;
        assert_eq!(refund_entries(db).await, vec![-1000]);
        // A refund made in Stripe's dashboard arrives listed beside it: entered once.
        let ev3 = charge_refunded_event("evt_r3", &pi, 2500, &[(&re1, 1000), ("re_dash", 500)], "gbp");
        crate::stripe::send(&app, &ev3).await;
        crate::stripe::send(&app, &ev3.replace("evt_r3", "evt_r4")).await;
        assert_eq!(refund_entries(db).await, vec![-1000, -500]);
        assert_eq!(totals(db, &c.id).await, (1000, 1));
        let html = page_as(&app, &path, &treasurer).await;
        assert!(html.contains("Partly refunded") && html.contains("re_dash"), "{html}");
        assert!(html.contains("value=\"10\" required"), "the form opens with what is left");
        clean(db).await;

        // The rest: the donation is refunded, the donor leaves the count and the wall.
        let res = refund(&app, &treasurer, &id, "10.00", "").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(totals(db, &c.id).await, (0, 0));
        let html = page_as(&app, &path, &treasurer).await;
        assert!(html.contains(">Refunded<") && !html.contains("id=\"r-amount\""), "{html}");
        let list = page_as(&app, "/admin/donations", &treasurer).await;
        assert!(list.contains("Refunded"), "the list says so");
        assert!(!app.text("/campaigns/test-library").await.contains("For the books"));
        let res = refund(&app, &treasurer, &id, "1", "").await;
        assert_eq!(res.status().as_u16(), 422, "nothing left");
        clean(db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn a_refund_heard_before_its_payment_waits_for_it() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let owner = team_member("owner").role(Role::Owner).create(db).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let checkout = crate::stripe::start(&app, &fake, "25", "GBP").await;
        let pi = format!("pi_{checkout}");
        let refunded = charge_refunded_event("evt_r", &pi, 2500, &[("re_early", 2500)], "gbp");
        let (status, out) = crate::stripe::send(&app, &refunded).await;
        assert_eq!(
            (status, out["status"].as_str()),
            (200, Some("refunded")),
            "{out}"
        );
        assert!(refund_entries(db).await.is_empty(), "no donation yet");
        let mails = crate::stripe::outbox_subjects(db, &owner.email).await;
        assert!(
            mails.iter().any(|s| s.contains("not recorded here")),
            "{mails:?}"
        );
        let paid = session_event(
            "evt_p",
            "checkout.session.completed",
            &checkout,
            "paid",
            2500,
            "gbp",
        );
        assert_eq!(
            crate::stripe::send(&app, &paid).await.1["status"],
            "recorded"
        );
        assert_eq!(refund_entries(db).await, vec![-2500]);
        assert_eq!(totals(db, &c.id).await, (0, 0));
        // Replays of both change nothing.
        crate::stripe::send(&app, &refunded.replace("evt_r", "evt_r2")).await;
        crate::stripe::send(&app, &paid).await;
        assert_eq!(refund_entries(db).await, vec![-2500]);
        clean(db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn paypal_refunds_from_the_console_and_its_webhook_make_one_entry() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let (app, fake) = crate::paypal::start(&tdb).await;
        let treasurer = crate::treasurer::signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let (checkout, order) = crate::paypal::to_paypal(&app, &fake, "25", "GBP").await;
        let (_, o) = fake.order_of(&checkout);
        assert_eq!(
            o.description, "Test library",
            "the order names what is paid for"
        );
        let res = crate::paypal::back_from_paypal(&app, &checkout, &order).await;
        assert_eq!(res.status().as_u16(), 303);
        let id = on_db!(db, |p| sqlx::query_scalar::<_, String>(
            "SELECT id FROM donations"
        )
        .fetch_one(p)
        .await
        .expect("donation"));
        let capture = fake
            .with(|f| f.orders[&order].capture.clone())
            .expect("captured");
        let res = refund(&app, &treasurer, &id, "5", "duplicate gift").await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let (cap, rid, body) = fake
            .with(|f| f.refund_calls.last().cloned())
            .expect("a call");
        assert_eq!(cap, capture.id);
        assert!(rid.starts_with("refund-"), "{rid}");
        assert_eq!(body["amount"]["value"], "5.00");
        assert_eq!(body["amount"]["currency_code"], "GBP");
        assert_eq!(refund_entries(db).await, vec![-500]);
        let refund_id = on_db!(db, |p| sqlx::query_scalar::<_, String>(
            "SELECT provider_refund_id FROM donation_refunds"
        )
        .fetch_one(p)
        .await
        .expect("refund"));
        let ev =
            crate::fake_paypal::refunded_event("WH-R1", &refund_id, &capture.id, "GBP", "5.00");
        let res = crate::paypal::webhook(&app, &ev).await;
        assert_eq!(res.status().as_u16(), 200);
        crate::paypal::webhook(&app, &ev.replace("WH-R1", "WH-R2")).await;
        assert_eq!(
            refund_entries(db).await,
            vec![-500],
            "one entry per refund id"
        );
        clean(db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn offline_refunds_and_who_may_refund() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        seed_campaign(db, "other-library").await;
        let gift =
            crate::treasurer::add(db, &c, &crate::treasurer::entry("20", "GBP", "", "R1")).await;
        let id = gift.recorded.donation_id().to_string();
        let treasurer = crate::treasurer::signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let editor = team_member("editor").role(Role::Editor).signed_in(db).await;
        let elsewhere = team_member("elsewhere")
            .role_on(Role::Treasurer, "other-library")
            .signed_in(db)
            .await;
        let app = TestApp::start(settings(&tdb)).await;
        let path = format!("/admin/donations/{id}");
        let csrf = bound_csrf(&app, &path, &treasurer).await;
        let form = [
            ("csrf", csrf.as_str()),
            ("amount", "5"),
            ("reason", "sent back"),
            ("confirm", "yes"),
        ];
        for token in [&editor.token, &elsewhere.token] {
            let res = post_as(&app, &format!("{path}/refund"), token, &form).await;
            assert_eq!(res.status().as_u16(), 403);
        }
        // An offline refund needs its memo.
        let res = refund(&app, &treasurer, &id, "5", " ").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("b").contains("id=\"r-reason-err\""));
        let res = refund(
            &app,
            &treasurer,
            &id,
            "5",
            "bank transfer back, gift withdrawn",
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(totals(db, &c.id).await, (1500, 1));
        let memo = on_db!(db, |p| sqlx::query_scalar::<_, String>(
            "SELECT memo FROM ledger_entries WHERE kind = 'refund'"
        )
        .fetch_one(p)
        .await
        .expect("memo"));
        assert!(memo.contains("bank transfer back"), "{memo}");
        // Money went back: the gift was real, so it can no longer be voided.
        let html = page_as(&app, &path, &treasurer).await;
        assert!(!html.contains("id=\"v-reason\"") && html.contains("Partly refunded"));
        let err = shelfraiser::donations::void(
            db,
            &id,
            "mistake",
            &shelfraiser::team::audit::Actor::cli(),
        )
        .await;
        assert!(
            matches!(err, Err(shelfraiser::donations::voids::VoidError::Refunded)),
            "{err:?}"
        );
        clean(db).await;
        app.stop().await;
    })
    .await;
}

/// The test provider refunds at once (demos and the browser walk use it): a part, then the
/// rest, each one entry; nothing is left to refund after that.
#[tokio::test]
async fn the_test_provider_refunds_at_once() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = crate::treasurer::signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let app = TestApp::start(settings(&tdb)).await;
        app.donate_through_checkout("test-library", "20", "GBP", "succeed")
            .await;
        let id = on_db!(db, |p| sqlx::query_scalar::<_, String>(
            "SELECT id FROM donations WHERE provider = 'test'"
        )
        .fetch_one(p)
        .await
        .expect("donation"));
        assert_eq!(totals(db, &c.id).await, (2000, 1));
        let res = refund(&app, &treasurer, &id, "5", "asked by the donor").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(totals(db, &c.id).await, (1500, 1));
        let res = refund(&app, &treasurer, &id, "15", "the rest").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(totals(db, &c.id).await, (0, 0));
        assert_eq!(refund_entries(db).await, vec![-500, -1500]);
        let res = refund(&app, &treasurer, &id, "1", "one more").await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(refund_entries(db).await.len(), 2);
        let html = page_as(&app, &format!("/admin/donations/{id}"), &treasurer).await;
        assert!(html.contains("Refunded"), "{html}");
        clean(db).await;
        app.stop().await;
    })
    .await;
}

/// Adds a refund request left `requested` (its node stopped during the provider call),
/// stored `age` ago.
async fn stuck_request(
    db: &Db,
    donation_id: &str,
    campaign_id: &str,
    minor: i64,
    age: chrono::Duration,
) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let at = chrono::Utc::now() - age;
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO donation_refunds (id, donation_id, campaign_id, provider, amount_minor, currency, \
         status, reason, requested_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'stripe', $4, 'GBP', 'requested', 'asked', 'member:x', $5, $5)")
        .bind(&id).bind(donation_id).bind(campaign_id).bind(minor).bind(at)
        .execute(p).await.expect("stuck request").rows_affected()
    });
    id
}

#[tokio::test]
async fn a_refund_left_requested_is_checked_with_the_provider_or_given_up() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = crate::treasurer::signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let checkout = crate::stripe::start(&app, &fake, "25", "GBP").await;
        let paid = session_event(
            "evt_p",
            "checkout.session.completed",
            &checkout,
            "paid",
            2500,
            "gbp",
        );
        let id = crate::stripe::send(&app, &paid).await.1["donation_id"]
            .as_str()
            .expect("donation")
            .to_string();
        let now = chrono::Utc::now();

        // A request just made is left alone; one stuck for 20 minutes is asked about again
        // with the same idempotency key, and entered when the provider says it is done.
        let young = stuck_request(db, &id, &c.id, 100, chrono::Duration::minutes(1)).await;
        let stuck = stuck_request(db, &id, &c.id, 500, chrono::Duration::minutes(20)).await;
        shelfraiser::donations::sweep(db, now).await.expect("sweep");
        fake.set_mode(Mode::ServerError);
        crate::monthly::run_all(&app, now).await;
        assert_eq!(
            totals(db, &c.id).await,
            (2500, 1),
            "Stripe down: still asked for"
        );
        fake.set_mode(Mode::Ok);
        crate::monthly::run_all(&app, now + chrono::Duration::minutes(5)).await;
        let calls = refund_calls(&fake);
        assert_eq!(calls.len(), 2, "the failed check and its retry");
        let call = calls.last().expect("call");
        assert_eq!(call.idempotency_key, format!("shelfraiser-refund-{stuck}"));
        assert_eq!(
            call.field("payment_intent"),
            Some(format!("pi_{checkout}").as_str())
        );
        assert_eq!(call.field("amount"), Some("500"));
        assert_eq!(totals(db, &c.id).await, (2000, 1));
        assert_eq!(refund_entries(db).await, vec![-500]);
        let status = |rid: String| async move {
            on_db!(db, |p| sqlx::query_scalar::<_, String>(
                "SELECT status FROM donation_refunds WHERE id = $1"
            )
            .bind(&rid)
            .fetch_one(p)
            .await
            .expect("status"))
        };
        assert_eq!(status(stuck.clone()).await, "succeeded");
        assert_eq!(status(young.clone()).await, "requested");
        clean(db).await;

        // Past twelve hours without an answer: marked failed, never sent again; the console
        // says so and the treasurer may ask again.
        let old = stuck_request(db, &id, &c.id, 300, chrono::Duration::hours(13)).await;
        shelfraiser::donations::sweep(db, now).await.expect("sweep");
        crate::monthly::run_all(&app, now + chrono::Duration::minutes(10)).await;
        assert_eq!(status(old.clone()).await, "failed");
        assert_eq!(refund_calls(&fake).len(), 2, "not sent again");
        let html = page_as(&app, &format!("/admin/donations/{id}"), &treasurer).await;
        assert!(
            html.contains("not made")
                && html.contains("no answer from the provider within 12 hours"),
            "{html}"
        );
        clean(db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}
