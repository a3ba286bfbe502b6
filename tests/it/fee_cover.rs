//! "Add N to cover the processing fees" (issue 12), on both backends: no box without a fee
//! rule; with one, a box never ticked for a fresh form; ticked, the checkout charges the gift
//! plus the server's cover sum (whatever the form claims), the donation, thank-you page,
//! receipt e-mail and PDF say so, raised counts the whole, the fee entry leaves the gift
//! whole and `ledger verify` passes; Stripe's setting adds it to the Checkout Session's
//! amount; `ledger backfill-fees` queues the fee job of provider donations without a fee
//! entry once, however often it runs.

use shelfraiser::campaigns::repo;
use shelfraiser::config::Settings;
use shelfraiser::donations::fees;
use shelfraiser::donations::receipts::Receipts;

use crate::fake_stripe::*;
use crate::fees::ledger_clean;
use crate::harness::*;
use crate::receipts::{attached_pdfs, outbox, pdf_text};

const SLUG: &str = "cover-library";

/// The test provider charging 1.4 % + 20 minor units.
fn with_fee_rule(mut s: Settings) -> Settings {
    s.providers.test.fee_percent_bp = 140;
    s.providers.test.fee_fixed_minor = 20;
    s
}

const BOX: &str = r#"name="cover_fees" value="yes""#;

/// Posts the donate form (with an address, so a receipt is mailed) plus `extra` fields.
async fn donate(app: &TestApp, amount: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = vec![
        ("amount", amount),
        ("currency", "GBP"),
        ("name", "Ada Lovelace"),
        ("email", "ada@example.org"),
        ("message", ""),
        ("visibility", "public"),
    ];
    fields.extend_from_slice(extra);
    app.donate(SLUG, &fields).await
}

/// The checkout session id of a donate answer (303 to the test checkout).
fn session_of(res: &reqwest::Response) -> String {
    assert_eq!(
        res.status().as_u16(),
        303,
        "donate redirects to the checkout"
    );
    location(res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout")
        .to_string()
}

/// Pays a session on the hosted test page; returns the donation id.
async fn pay(app: &TestApp, session: &str) -> String {
    let page = app.text(&format!("/test-checkout/{session}")).await;
    let token = hidden_value(&page, "csrf").expect("csrf on the checkout page");
    let res = app
        .post_form(
            &format!("/test-checkout/{session}"),
            &[("csrf", &token), ("outcome", "succeed")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    shelfraiser::donations::checkout::get(&app.db, session)
        .await
        .expect("db")
        .expect("session")
        .donation_id
        .expect("paid")
}

/// Runs every due job with every handler (receipts and fees) until none is left undone:
/// the node's own worker may have claimed one first.
async fn settle_jobs(app: &TestApp) {
    let s = &app.state;
    let rc = Receipts::new(&s.settings, app.db.clone(), s.mailer.clone(), &app.base);
    let handlers = shelfraiser::app::job_handlers_full(
        rc,
        s.providers.clone(),
        shelfraiser::outbound::Outbound::new(&[] as &[&str], "http://localhost").expect("outbound"),
    );
    crate::receipts::settle_with(app, &handlers).await;
}

async fn cover_of(db: &shelfraiser::db::Db, table: &str, id: &str) -> (i64, i64) {
    let sql = format!("SELECT amount_minor, cover_minor FROM {table} WHERE id = $1");
    shelfraiser::on_db!(db, |p| sqlx::query_as::<_, (i64, i64)>(&sql)
        .bind(id)
        .fetch_one(p)
        .await
        .expect("row"))
}

#[tokio::test]
async fn without_a_fee_rule_there_is_no_box_and_a_forged_one_adds_nothing() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(!page.contains("cover_fees"), "no box without a fee rule");
        assert!(!page.contains("processing fee"), "{page}");

        let session = session_of(&donate(&app, "25", &[("cover_fees", "yes")]).await);
        assert_eq!(
            cover_of(&app.db, "checkout_sessions", &session).await,
            (2500, 0)
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_ticked_box_adds_the_servers_cover_to_the_charge_the_donation_and_the_receipt() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(with_fee_rule(settings(&tdb))).await;

        // Offered, labelled with the rule, and not ticked.
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(page.contains(BOX), "the box is offered");
        assert!(
            !page.contains(&format!("{BOX} checked")),
            "never pre-ticked"
        );
        assert!(
            page.contains("Add the processing fee (about 1.4% plus a small fixed amount)"),
            "{page}"
        );
        let da = app
            .client
            .get(app.url(&format!("/campaigns/{SLUG}")))
            .header("cookie", "lang=da")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(da.contains("ca. 1,4 % plus et lille fast beløb"), "{da}");

        // A form sent back with an error keeps the box as the donor left it.
        let res = donate(&app, "twenty", &[("cover_fees", "yes")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let again = res.text().await.expect("body");
        assert!(again.contains(&format!("{BOX} checked")), "kept ticked");
        let res = donate(&app, "twenty", &[]).await;
        assert!(
            !res.text()
                .await
                .expect("body")
                .contains(&format!("{BOX} checked"))
        );

        // Ticked: £25 + 56p (£25.56 less 1.4 % and 20p is £25). Sums the form names
        // itself are not read: the server works the cover out.
        let forged = [
            ("cover_fees", "yes"),
            ("cover_minor", "1"),
            ("cover", "0.01"),
            ("cover_amount", "9999"),
        ];
        let session = session_of(&donate(&app, "25", &forged).await);
        assert_eq!(
            cover_of(&app.db, "checkout_sessions", &session).await,
            (2556, 56)
        );
        let checkout = app.text(&format!("/test-checkout/{session}")).await;
        assert!(checkout.contains("£25.56"), "the charge: {checkout}");

        // The provider must charge the whole: a payment of the gift alone is refused.
        let short = succeeded_body(&session, "short-1", 2500, "GBP");
        let res = post_callback(&app, &short, &sign(&short)).await;
        assert_eq!(res.status().as_u16(), 409, "amount mismatch");

        let donation = pay(&app, &session).await;
        assert_eq!(cover_of(&app.db, "donations", &donation).await, (2556, 56));
        let t = repo::totals(&app.db, &c.id).await.expect("totals");
        assert_eq!(
            (t.raised_minor, t.donor_count),
            (2556, 1),
            "raised is gross"
        );

        let thanks = app
            .text(&format!("/campaigns/{SLUG}/thanks/{donation}"))
            .await;
        assert!(thanks.contains("£25.56"), "{thanks}");
        assert!(
            thanks.contains("That includes £0.56 you added to cover the processing fees"),
            "{thanks}"
        );

        // The receipt: the e-mail's text and HTML and the PDF say what was added.
        settle_jobs(&app).await;
        let mails = outbox(&app.db).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        let line = "including £0.56 you added to cover the processing fees";
        assert!(mails[0].2.contains(line), "{}", mails[0].2);
        let html: String = shelfraiser::on_db!(&app.db, |p| sqlx::query_scalar(
            "SELECT html_body FROM outbox"
        )
        .fetch_one(p)
        .await
        .expect("html"));
        assert!(html.contains(line), "{html}");
        let pdfs = attached_pdfs(&app);
        assert_eq!(pdfs.len(), 1);
        let words = pdf_text(&pdfs[0]);
        assert!(words.contains("£25.56"), "{words}");
        assert!(words.contains("£0.56"), "{words}");
        let link = format!("/receipts/{donation}");
        let thanks_link = thanks
            .split('"')
            .find(|s| s.starts_with(&link))
            .expect("receipt link")
            .replace("&amp;", "&");
        let res = app.get(&thanks_link).await;
        assert_eq!(res.status().as_u16(), 200);
        let pdf = res.bytes().await.expect("pdf");
        assert!(pdf_text(&pdf).contains("£0.56"));

        // The provider's fee on the whole leaves the gift whole; the ledger agrees.
        assert_eq!(
            fees::fee_of(&app.db, &donation).await.expect("fee"),
            Some(-56)
        );
        let net = fees::gross_net(&app.db, &c.id, shelfraiser::money::Money::new(2556, gbp()))
            .await
            .expect("net");
        assert_eq!(net.net.amount_minor, 2500, "the gift arrives whole");
        ledger_clean(&app.db).await;

        // Unticked: nothing added.
        let plain = session_of(&donate(&app, "25", &[]).await);
        assert_eq!(
            cover_of(&app.db, "checkout_sessions", &plain).await,
            (2500, 0)
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn stripes_fee_setting_offers_the_box_and_charges_the_cover() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let mut s = with_stripe(settings(&tdb), &fake.base);
        s.providers.test.enabled = false;
        s.providers.stripe.fee_percent_bp = 150;
        s.providers.stripe.fee_fixed_minor = 20;
        let app = TestApp::start(s).await;
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(page.contains(BOX), "Stripe's rule offers the box");
        assert!(!page.contains(&format!("{BOX} checked")));

        let res = app
            .donate(
                SLUG,
                &[
                    ("amount", "10"),
                    ("currency", "GBP"),
                    ("name", "Ada"),
                    ("email", ""),
                    ("message", ""),
                    ("visibility", "public"),
                    ("cover_fees", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        let call = fake.calls().last().cloned().expect("a call to Stripe");
        // £10 at 1.5 % + 20p: 36p (£10.36 less 16p and 20p is £10).
        assert_eq!(
            call.field("line_items[0][price_data][unit_amount]"),
            Some("1036")
        );
        let id = call.field("client_reference_id").expect("ours").to_string();
        assert_eq!(
            cover_of(&app.db, "checkout_sessions", &id).await,
            (1036, 36)
        );
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn backfill_fees_queues_each_missing_fee_once() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        // Donations through the test provider while it charged nothing: their fee jobs run
        // and record nothing.
        let app = TestApp::start(settings(&tdb)).await;
        let first = pay(&app, &session_of(&donate(&app, "25", &[]).await)).await;
        let second = pay(&app, &session_of(&donate(&app, "10", &[]).await)).await;
        settle_jobs(&app).await;
        assert_eq!(fees::fee_of(&app.db, &first).await.expect("fee"), None);
        // The second as if recorded before fees were: no fee job at all.
        exec(
            &app.db,
            &format!("DELETE FROM jobs WHERE dedupe_key = 'fee:{second}'"),
        )
        .await;
        // An offline gift has no processor: never counted.
        crate::treasurer::add(&app.db, &c, &crate::treasurer::entry("5", "GBP", "", "B1")).await;
        app.stop().await;

        let dir = tempfile::tempdir().expect("dir");
        let backfill = |campaign: &'static str| {
            let mut args = storage_args(&tdb);
            args.extend(["ledger", "backfill-fees", "--campaign", campaign].map(String::from));
            let out = run_cli(
                dir.path(),
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
                &[],
            );
            assert!(out.ok(), "{out:?}");
            out.stdout
        };
        assert_eq!(
            backfill(SLUG),
            "queued 2 fee jobs (2 provider donations without a fee entry, 0 already queued)\n"
        );
        assert_eq!(
            backfill(SLUG),
            "queued 0 fee jobs (2 provider donations without a fee entry, 2 already queued)\n",
            "nothing queued twice"
        );
        let err = {
            let mut args = storage_args(&tdb);
            args.extend(["ledger", "backfill-fees", "--campaign", "nope"].map(String::from));
            run_cli(
                dir.path(),
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
                &[],
            )
        };
        assert!(!err.ok(), "{err:?}");

        // Now the provider charges: the queued jobs record one fee each.
        let app = TestApp::start(with_fee_rule(settings(&tdb))).await;
        settle_jobs(&app).await;
        // 1.4 % of £25 is 35p, of £10 14p; plus 20p each.
        assert_eq!(fees::fee_of(&app.db, &first).await.expect("fee"), Some(-55));
        assert_eq!(
            fees::fee_of(&app.db, &second).await.expect("fee"),
            Some(-34)
        );
        let r = fees::backfill(&app.db, None).await.expect("backfill");
        assert_eq!(r, fees::Backfill::default(), "nothing missing any more");
        ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_monthly_gift_charges_the_cover_every_month_and_each_donation_records_it() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let mut s = with_stripe(settings(&tdb), &fake.base);
        s.providers.stripe.fee_percent_bp = 150;
        s.providers.stripe.fee_fixed_minor = 20;
        let app = TestApp::start(s).await;
        let res = app
            .donate(
                SLUG,
                &[
                    ("amount", "5"),
                    ("currency", "GBP"),
                    ("name", "Ada"),
                    ("email", "ada@example.org"),
                    ("message", ""),
                    ("visibility", "public"),
                    ("provider", "stripe"),
                    ("frequency", "monthly"),
                    ("cover_fees", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        let call = fake.calls().last().cloned().expect("a call to Stripe");
        // £5 at 1.5 % + 20p: 28p (£5.28 less 8p and 20p is £5), every month.
        assert_eq!(call.field("mode"), Some("subscription"));
        assert_eq!(
            call.field("line_items[0][price_data][unit_amount]"),
            Some("528")
        );
        let id = call.field("client_reference_id").expect("ours").to_string();

        let done = subscription_session_event("evt_c1", &id, "sub_1", "in_1", 528, "gbp");
        let (status, out) = crate::stripe::send(&app, &done).await;
        assert_eq!(
            (status, out["status"].as_str()),
            (200, Some("recorded")),
            "{out}"
        );
        let first = out["donation_id"].as_str().expect("donation").to_string();
        let renewal = invoice_event(
            "evt_r1",
            "invoice.paid",
            "sub_1",
            "in_2",
            "subscription_cycle",
            (528, "gbp"),
            &id,
        );
        let (status, out) = crate::stripe::send(&app, &renewal).await;
        assert_eq!(
            (status, out["status"].as_str()),
            (200, Some("recorded")),
            "{out}"
        );
        let second = out["donation_id"].as_str().expect("donation").to_string();
        for d in [&first, &second] {
            assert_eq!(cover_of(&app.db, "donations", d).await, (528, 28));
        }
        let thanks = app
            .text(&format!("/campaigns/{SLUG}/thanks/{second}"))
            .await;
        assert!(thanks.contains("£0.28 you added"), "{thanks}");
        let t = repo::totals(&app.db, &c.id).await.expect("totals");
        assert_eq!(t.raised_minor, 1056);
        ledger_clean(&app.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}
