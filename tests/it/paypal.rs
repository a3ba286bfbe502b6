//! PayPal (issue 12) against a local PayPal (`fake_paypal`), on both backends: the donor's
//! whole way (donate → PayPal's approval link → return → capture → thank-you page) records
//! one donation, and the webhook afterwards changes nothing; the webhook alone records it
//! when the donor never comes back; a delivery PayPal does not vouch for is refused; a
//! capture of another amount is not recorded and the treasurers are told; PayPal down when
//! the checkout starts gives the form back with nothing charged (the session closed with
//! `failed_at`, as for Stripe); with Stripe configured too, the form offers both; the ledger
//! verifies after each.

use shelfraiser::config::{Secret, Settings};
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::on_db;
use shelfraiser::team::Role;

use crate::fake_paypal::{self, FakePaypal, completed_event};
use crate::harness::*;
use crate::team_harness::*;

const SLUG: &str = "paypal-library";

/// PayPal as the site's only online provider, talking to `fake`.
pub(crate) fn paypal_settings(tdb: &TestDb, fake: &FakePaypal) -> Settings {
    let mut s = settings(tdb);
    s.providers.test.enabled = false;
    s.providers.paypal.client_id = fake_paypal::CLIENT_ID.into();
    s.providers.paypal.client_secret = Secret(fake_paypal::CLIENT_SECRET.into());
    s.providers.paypal.webhook_id = fake_paypal::WEBHOOK_ID.into();
    s.providers.paypal.api_base = fake.base.clone();
    s
}

pub(crate) async fn start(tdb: &TestDb) -> (TestApp, FakePaypal) {
    let fake = FakePaypal::start().await;
    seed_campaign(&tdb.db, SLUG).await;
    let app = TestApp::start(paypal_settings(tdb, &fake)).await;
    (app, fake)
}

async fn assert_ledger_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

/// Posts the donate form; returns the response.
async fn donate(app: &TestApp, amount: &str, currency: &str) -> reqwest::Response {
    app.donate(
        SLUG,
        &[
            ("amount", amount),
            ("currency", currency),
            ("name", "Ada"),
            ("email", "ada@example.org"),
            ("message", "For the books"),
            ("visibility", "public"),
        ],
    )
    .await
}

/// Donates and follows the redirect to PayPal: (our checkout id, PayPal's order id).
pub(crate) async fn to_paypal(
    app: &TestApp,
    fake: &FakePaypal,
    amount: &str,
    currency: &str,
) -> (String, String) {
    let res = donate(app, amount, currency).await;
    assert_eq!(res.status().as_u16(), 303, "donate goes to PayPal");
    let to = location(&res);
    let order = to
        .strip_prefix("https://www.sandbox.paypal.com/checkoutnow?token=")
        .unwrap_or_else(|| panic!("PayPal's approval link, not {to}"))
        .to_string();
    let checkout = one(
        &app.db,
        "SELECT id FROM checkout_sessions WHERE provider = 'paypal' AND failed_at IS NULL \
         ORDER BY created_at DESC",
    )
    .await;
    assert_eq!(fake.order_of(&checkout).0, order);
    (checkout, order)
}

async fn one(db: &Db, sql: &str) -> String {
    on_db!(db, |p| sqlx::query_scalar::<_, String>(sql)
        .fetch_one(p)
        .await
        .expect("one row"))
}

/// Text without Fluent's bidi isolation marks around placeables.
fn plain(t: &str) -> String {
    t.replace(['\u{2068}', '\u{2069}'], "")
}

async fn donations(db: &Db) -> i64 {
    count(db, "donations").await
}

/// The five headers PayPal signs a delivery with.
fn signed(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.header("paypal-auth-algo", "SHA256withRSA")
        .header(
            "paypal-cert-url",
            "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42",
        )
        .header("paypal-transmission-id", "69cd13f0-d67a-11e5-baa3-778b53f4ae55")
        .header("paypal-transmission-sig", "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh3s3boXB07VXCXUZy/UFzUlnGJn0wDugt7FlSvdKeIJenLRemUxYCPVoEZzg9VFNqOa48gMkvF+XTpxBeUx/kWy6B5cp7GkT2+pOowfRK7OaynuxUoKW3JcMWw272VKjLTtTAShncla7tGF+55rxyt2KNZIIqxNMJ48RDZheGU5w1npu9dZHnPgTXB9iomeVRoD8O/jhRpnKsGrDschyNdkeh81BJJMH4Ctc6lnCCquoP/GzCzz33MMsNdid7vL/NIWaCsekQpW26FpWPi/tfj8nLA==")
        .header("paypal-transmission-time", "2026-12-06T14:00:00Z")
}

pub(crate) async fn webhook(app: &TestApp, body: &str) -> reqwest::Response {
    signed(app.client.post(app.url("/providers/paypal/callback")))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("webhook")
}

pub(crate) async fn back_from_paypal(
    app: &TestApp,
    checkout: &str,
    order: &str,
) -> reqwest::Response {
    app.get(&format!(
        "/providers/paypal/return?checkout={checkout}&token={order}&PayerID=FAKEPAYER"
    ))
    .await
}

#[tokio::test]
async fn the_donor_pays_at_paypal_and_the_webhook_changes_nothing() {
    each_backend(|tdb| async move {
        let (app, fake) = start(&tdb).await;
        let (checkout, order) = to_paypal(&app, &fake, "25", "GBP").await;
        let (_, o) = fake.order_of(&checkout);
        assert_eq!((o.currency.as_str(), o.value.as_str()), ("GBP", "25.00"));
        assert_eq!(o.invoice_id, checkout);
        assert!(
            o.return_url
                .ends_with(&format!("/providers/paypal/return?checkout={checkout}")),
            "{}",
            o.return_url
        );
        assert!(
            o.cancel_url
                .ends_with(&format!("/providers/paypal/cancel?checkout={checkout}")),
            "{}",
            o.cancel_url
        );
        assert_eq!(donations(&app.db).await, 0, "nothing before the capture");

        let res = back_from_paypal(&app, &checkout, &order).await;
        assert_eq!(res.status().as_u16(), 303);
        let thanks = location(&res);
        assert!(
            thanks.starts_with(&format!("/campaigns/{SLUG}/thanks/")),
            "{thanks}"
        );
        assert_eq!(donations(&app.db).await, 1);
        let page = app.text(&thanks).await;
        assert!(
            plain(&page).contains("£25"),
            "the thank-you page shows the amount"
        );
        let reference = one(&app.db, "SELECT provider_reference FROM donations").await;
        let capture = fake
            .with(|f| f.orders[&order].capture.clone())
            .expect("captured");
        assert_eq!(reference, capture.id, "the capture id is the reference");

        // A reload finds the donation; PayPal is not asked again.
        let again = back_from_paypal(&app, &checkout, &order).await;
        assert_eq!(location(&again), thanks);
        assert_eq!(fake.with(|f| f.capture_calls), 1);

        // PayPal's webhook for the same capture: verified, answered 200, nothing new.
        let event = completed_event("WH-1", &capture, &checkout, &order);
        let res = webhook(&app, &event).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(donations(&app.db).await, 1);
        let asked = fake.with(|f| f.verify_requests.clone());
        assert_eq!(asked.len(), 1);
        assert!(
            asked[0].contains(&format!("\"webhook_event\":{event}")),
            "the event goes back to PayPal exactly as received"
        );
        assert_eq!(fake.with(|f| f.token_calls), 1, "the token is kept");
        assert_ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_webhook_alone_records_a_donor_who_never_came_back() {
    each_backend(|tdb| async move {
        let (app, fake) = start(&tdb).await;
        let (checkout, order) = to_paypal(&app, &fake, "5000", "JPY").await;
        assert_eq!(
            fake.order_of(&checkout).1.value,
            "5000",
            "JPY has no decimals"
        );
        let capture = fake.with(|f| f.capture_now(&order)).expect("captured");
        let event = completed_event("WH-2", &capture, &checkout, &order);
        let res = webhook(&app, &event).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(donations(&app.db).await, 1);
        // A retry of the delivery, and the donor coming back after all: still one.
        assert_eq!(webhook(&app, &event).await.status().as_u16(), 200);
        let res = back_from_paypal(&app, &checkout, &order).await;
        assert!(location(&res).starts_with(&format!("/campaigns/{SLUG}/thanks/")));
        assert_eq!(donations(&app.db).await, 1);
        assert_eq!(fake.with(|f| f.capture_calls), 0);
        assert_ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_delivery_paypal_does_not_vouch_for_is_refused() {
    each_backend(|tdb| async move {
        let (app, fake) = start(&tdb).await;
        let (checkout, order) = to_paypal(&app, &fake, "25", "GBP").await;
        let capture = fake.with(|f| f.capture_now(&order)).expect("captured");
        let event = completed_event("WH-3", &capture, &checkout, &order);
        fake.with(|f| f.verification = Some("FAILURE"));
        assert_eq!(webhook(&app, &event).await.status().as_u16(), 400);
        // Without PayPal's headers PayPal is not even asked.
        let res = app
            .client
            .post(app.url("/providers/paypal/callback"))
            .header("content-type", "application/json")
            .body(event.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(res.status().as_u16(), 400);
        assert_eq!(fake.with(|f| f.verify_requests.len()), 1);
        // Garbage is refused before PayPal is asked.
        assert_eq!(webhook(&app, "not json").await.status().as_u16(), 400);
        assert_eq!(fake.with(|f| f.verify_requests.len()), 1);
        assert_eq!(donations(&app.db).await, 0);
        // Events the site does not act on are answered 200 once genuine.
        fake.with(|f| f.verification = None);
        let other = r#"{"id":"WH-9","event_type":"CHECKOUT.ORDER.APPROVED","resource":{"id":"X"}}"#;
        let res = webhook(&app, other).await;
        assert_eq!(res.status().as_u16(), 200);
        let out: serde_json::Value = res.json().await.expect("json");
        assert_eq!(out["status"], "ignored");
        let refund = format!(
            r#"{{"id":"WH-10","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{{"id":"R1","status":"COMPLETED","amount":{{"currency_code":"GBP","value":"5.00"}},"links":[{{"rel":"up","href":"https://api.sandbox.paypal.com/v2/payments/captures/{}"}}]}}}}"#,
            capture.id
        );
        // A refund takes the shared refund branch (logged against its donation, as Stripe's).
        let res = webhook(&app, &refund).await;
        assert_eq!(res.status().as_u16(), 200);
        let out: serde_json::Value = res.json().await.expect("json");
        assert_eq!(out["status"], "refunded");
        assert_eq!(donations(&app.db).await, 0);
        assert_ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_capture_of_another_amount_is_not_recorded_and_the_treasurers_are_told() {
    each_backend(|tdb| async move {
        let (app, fake) = start(&tdb).await;
        let treasurer = team_member("Tess")
            .role(Role::Treasurer)
            .create(&app.db)
            .await;
        let (checkout, order) = to_paypal(&app, &fake, "25", "GBP").await;
        fake.with(|f| f.capture_value = Some("20.00".into()));
        let res = back_from_paypal(&app, &checkout, &order).await;
        assert_eq!(res.status().as_u16(), 409);
        let page = res.text().await.expect("page");
        assert!(page.contains("different amount"), "{page}");
        assert_eq!(donations(&app.db).await, 0, "no wrong total");
        let mail: Vec<(String, String)> = on_db!(&app.db, |p| sqlx::query_as(
            "SELECT subject, text_body FROM outbox WHERE to_addr = $1"
        )
        .bind(&treasurer.email)
        .fetch_all(p)
        .await
        .expect("outbox"));
        assert_eq!(mail.len(), 1, "one alert");
        assert!(
            plain(&mail[0].1).contains("PayPal captured £20")
                && plain(&mail[0].1).contains("chose £25"),
            "{}",
            mail[0].1
        );
        // The webhook for it is refused the same way (409, PayPal retries; nothing recorded).
        let capture = fake
            .with(|f| f.orders[&order].capture.clone())
            .expect("captured");
        let event = completed_event("WH-4", &capture, &checkout, &order);
        assert_eq!(webhook(&app, &event).await.status().as_u16(), 409);
        assert_eq!(donations(&app.db).await, 0);
        assert_ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn paypal_down_gives_the_form_back_with_nothing_charged() {
    each_backend(|tdb| async move {
        let (app, fake) = start(&tdb).await;
        fake.with(|f| f.down = true);
        let res = donate(&app, "25", "GBP").await;
        assert_eq!(res.status().as_u16(), 503);
        let page = res.text().await.expect("page");
        assert!(
            page.contains("The payment service could not be reached"),
            "{page}"
        );
        assert!(
            page.contains("For the books"),
            "the form is filled in again"
        );
        // The one provider-down mechanism (shared with Stripe): the session is closed as
        // canceled with `failed_at` set, so it counts against no checkout limit.
        assert_eq!(
            one(
                &app.db,
                "SELECT status FROM checkout_sessions WHERE provider = 'paypal' \
                 AND failed_at IS NOT NULL AND donation_id IS NULL"
            )
            .await,
            "canceled",
            "nothing half-recorded"
        );
        assert_eq!(count(&app.db, "checkout_sessions").await, 1);
        // Back up: the donor tries again and gets to PayPal.
        fake.with(|f| f.down = false);
        to_paypal(&app, &fake, "25", "GBP").await;
        assert_eq!(count(&app.db, "checkout_sessions").await, 2);
        // PayPal revokes the kept token: it is fetched again once and the call goes through.
        fake.with(|f| f.token_generation += 1);
        to_paypal(&app, &fake, "30", "GBP").await;
        assert_eq!(fake.with(|f| f.token_calls), 2);
        assert_ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn leaving_paypal_without_paying_gives_the_form_back() {
    each_backend(|tdb| async move {
        let (app, fake) = start(&tdb).await;
        let (checkout, _) = to_paypal(&app, &fake, "25", "GBP").await;
        let res = app
            .get(&format!(
                "/providers/paypal/cancel?checkout={checkout}&token=X"
            ))
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            location(&res),
            format!("/campaigns/{SLUG}?checkout=canceled&from={checkout}#donate")
        );
        let status = one(
            &app.db,
            &format!("SELECT status FROM checkout_sessions WHERE id = '{checkout}'"),
        )
        .await;
        assert_eq!(status, "canceled");
        // A checkout that can no longer be paid takes no money on the return.
        let (late, order) = to_paypal(&app, &fake, "30", "GBP").await;
        exec(
            &app.db,
            &format!("UPDATE checkout_sessions SET expires_at = created_at WHERE id = '{late}'"),
        )
        .await;
        let res = back_from_paypal(&app, &late, &order).await;
        assert_eq!(res.status().as_u16(), 409);
        assert!(res.text().await.expect("page").contains("has expired"));
        assert_eq!(fake.with(|f| f.capture_calls), 0, "nothing captured");
        // A return for an unknown checkout or with a foreign order is nothing.
        let res = app
            .get("/providers/paypal/return?checkout=nope&token=ABC")
            .await;
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(donations(&app.db).await, 0);
        assert_ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

/// `[providers.paypal]` from the environment (nested with `__`): half a configuration is
/// refused by name, and the API base must be a URL.
#[test]
fn paypal_is_configured_from_the_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |env: &[(&str, &str)]| run_cli(dir.path(), &["campaign", "list"], env);
    let half = run(&[("SHELFRAISER_PROVIDERS__PAYPAL__CLIENT_ID", "cid")]).one_line_error();
    assert!(
        half.contains("providers.paypal needs client_id, client_secret and webhook_id"),
        "{half}"
    );
    let mut full = vec![
        ("SHELFRAISER_PROVIDERS__PAYPAL__CLIENT_ID", "cid"),
        (
            "SHELFRAISER_PROVIDERS__PAYPAL__CLIENT_SECRET",
            "s3cret-value",
        ),
        ("SHELFRAISER_PROVIDERS__PAYPAL__WEBHOOK_ID", "WH-1"),
    ];
    let no_hook = run(&full[..2]).one_line_error();
    assert!(no_hook.contains("providers.paypal needs"), "{no_hook}");
    let ok = run(&full);
    assert!(ok.ok(), "{ok:?}");
    full.push((
        "SHELFRAISER_PROVIDERS__PAYPAL__API_BASE",
        "ftp://paypal.example",
    ));
    let bad = run(&full);
    let line = bad.one_line_error();
    assert!(line.contains("providers.paypal.api_base"), "{line}");
    assert!(
        !format!("{bad:?}").contains("s3cret-value"),
        "the secret never prints"
    );
}

/// Stripe and PayPal both configured (and the test checkout, as in demo mode): the donate form
/// offers all three, each choice goes to its own provider's page, and the CSP's form-action
/// names both hosted checkouts.
#[tokio::test]
async fn with_stripe_and_paypal_the_form_offers_both() {
    each_backend(|tdb| async move {
        let fake = FakePaypal::start().await;
        let stripe = crate::fake_stripe::FakeStripe::start().await;
        seed_campaign(&tdb.db, SLUG).await;
        let mut s = crate::fake_stripe::with_stripe(paypal_settings(&tdb, &fake), &stripe.base);
        s.providers.test.enabled = true;
        let app = TestApp::start(s).await;

        let res = app.get(&format!("/campaigns/{SLUG}")).await;
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_string();
        assert!(
            csp.contains("form-action 'self' https://checkout.stripe.com https://www.paypal.com;"),
            "{csp}"
        );
        let page = res.text().await.expect("page");
        assert!(page.contains("Pay with"), "{page}");
        assert!(
            page.contains(r#"name="provider" value="stripe" checked"#),
            "{page}"
        );
        assert!(page.contains(r#"name="provider" value="paypal""#), "{page}");
        assert!(page.contains(r#"name="provider" value="test""#), "{page}");

        let choose = |provider: &'static str| {
            let app = &app;
            async move {
                app.donate(
                    SLUG,
                    &[
                        ("amount", "25"),
                        ("currency", "GBP"),
                        ("name", "Ada"),
                        ("email", "ada@example.org"),
                        ("message", "For the books"),
                        ("visibility", "public"),
                        ("provider", provider),
                    ],
                )
                .await
            }
        };
        let res = choose("paypal").await;
        assert_eq!(res.status().as_u16(), 303);
        let to = location(&res);
        assert!(
            to.starts_with("https://www.sandbox.paypal.com/checkoutnow?token="),
            "PayPal's approval link, not {to}"
        );
        let checkout = one(
            &app.db,
            "SELECT id FROM checkout_sessions WHERE provider = 'paypal'",
        )
        .await;
        assert!(to.ends_with(&fake.order_of(&checkout).0), "{to}");
        assert!(stripe.calls().is_empty(), "Stripe is not asked");

        let res = choose("stripe").await;
        assert_eq!(res.status().as_u16(), 303);
        let to = location(&res);
        assert!(
            to.starts_with("https://checkout.stripe.com/c/pay/cs_test_"),
            "Stripe's checkout URL, not {to}"
        );
        assert_eq!(stripe.calls().len(), 1);
        assert_eq!(
            count(&app.db, "checkout_sessions").await,
            2,
            "one checkout per provider chosen"
        );
        assert_eq!(
            one(
                &app.db,
                "SELECT provider FROM checkout_sessions WHERE provider <> 'paypal'"
            )
            .await,
            "stripe"
        );
        app.stop().await;
        stripe.stop();
    })
    .await;
}
