// SPDX-License-Identifier: AGPL-3.0-or-later
//! The card-testing defence beyond the per-address limits, and minimum amounts: the site's
//! minimum and Stripe's per currency (refused before any call to Stripe), the per-e-mail
//! limit, declined cards reported by signed Stripe events putting a campaign behind a
//! proof-of-work challenge with one alert to its treasurers, and the challenge solved,
//! refused and not reusable; `ledger verify` after each.

use shelfraiser::config::Settings;
use shelfraiser::db::Db;
use shelfraiser::donations::{challenge, ledger};
use shelfraiser::team::Role;

use crate::fake_stripe::*;
use crate::harness::*;

const SLUG: &str = "guarded-library";

async fn ledger_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

/// The donate form with `amount currency`, `email` and `provider`, plus `extra` fields.
async fn donate(
    app: &TestApp,
    amount: &str,
    currency: &str,
    email: &str,
    provider: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("amount", amount),
        ("currency", currency),
        ("name", "Ada"),
        ("email", email),
        ("message", "For the books"),
        ("visibility", "public"),
        ("provider", provider),
    ];
    form.extend_from_slice(extra);
    app.donate(SLUG, &form).await
}

fn retry_after(res: &reqwest::Response) -> i64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds")
}

#[tokio::test]
async fn minimum_amounts_the_sites_and_stripes() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let mut s = with_stripe(settings(&tdb), &fake.base);
        s.donations.min_amount_major = 2;
        let app = TestApp::start(s).await;

        // The site's minimum (£2), named in the donor's currency; what was typed is kept.
        let res = donate(&app, "1.50", "GBP", "", "test", &[]).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("page");
        assert!(
            html.contains("The smallest donation we take is £2."),
            "{html}"
        );
        assert!(html.contains(r#"value="1.50""#), "the amount is kept");
        assert!(html.contains("amount-err"), "a field error");
        // In rupees: the smallest whole amount that makes £2.
        let html = donate(&app, "100", "INR", "", "test", &[])
            .await
            .text()
            .await
            .expect("page");
        assert!(
            html.contains("The smallest donation we take is ₹"),
            "{html}"
        );
        assert_eq!(
            donate(&app, "2", "GBP", "", "test", &[])
                .await
                .status()
                .as_u16(),
            303
        );
        assert!(fake.calls().is_empty());
        app.stop().await;

        // No site minimum: Stripe's own per currency, before any call to Stripe.
        let mut s = with_stripe(settings(&tdb), &fake.base);
        s.donations.min_amount_major = 0;
        let app = TestApp::start(s).await;
        for (amount, cur, min) in [
            ("0.25", "GBP", "£0.30"),
            ("2", "DKK", "DKK\u{a0}2.50"),
            ("40", "JPY", "¥50"),
        ] {
            let res = donate(&app, amount, cur, "", "stripe", &[]).await;
            assert_eq!(res.status().as_u16(), 422, "{amount} {cur}");
            let html = res.text().await.expect("page");
            assert!(
                html.contains(&format!("(Stripe) takes at least {min};")),
                "{min}: {html}"
            );
            assert!(html.contains(&format!(r#"value="{amount}""#)));
        }
        assert!(fake.calls().is_empty(), "Stripe was never called");
        // The test checkout has no minimum of its own; at Stripe's minimum Stripe is called.
        assert_eq!(
            donate(&app, "0.25", "GBP", "", "test", &[])
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(
            donate(&app, "0.30", "GBP", "", "stripe", &[])
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(fake.calls().len(), 1);
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn checkouts_per_email_address_are_limited() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let mut s = settings(&tdb);
        s.donations.checkouts_per_email = 2;
        let app = TestApp::start(s).await;
        // One address however it is typed.
        for email in ["ada@example.org", " Ada@Example.ORG "] {
            let res = donate(&app, "5", "GBP", email, "test", &[]).await;
            assert_eq!(res.status().as_u16(), 303, "{email}");
        }
        let res = donate(&app, "7.25", "GBP", "ADA@example.org", "test", &[]).await;
        assert_eq!(res.status().as_u16(), 429);
        let retry = retry_after(&res);
        assert!((1..=3600).contains(&retry), "{retry}");
        let html = res.text().await.expect("page");
        assert!(
            html.contains("too many donation attempts with this e-mail address"),
            "{html}"
        );
        assert!(html.contains(r#"value="7.25""#), "the amount is kept");
        assert_eq!(
            count(&app.db, "checkout_sessions").await,
            2,
            "nothing stored"
        );
        // Another address, or none, goes on.
        assert_eq!(
            donate(&app, "5", "GBP", "grace@example.org", "test", &[])
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(
            donate(&app, "5", "GBP", "", "test", &[])
                .await
                .status()
                .as_u16(),
            303
        );
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains(r#"shelfraiser_checkouts_rate_limited_total{limit="email"} 1"#),
            "{metrics}"
        );
        app.stop().await;
    })
    .await;
}

/// A declined card as Stripe reports it: `payment_intent.payment_failed` (naming our
/// checkout through the payment intent's metadata) or `charge.failed` for the same attempt.
fn declined(event: &str, kind: &str, checkout: &str, charge: &str, fingerprint: &str) -> String {
    let card = serde_json::json!({"brand": "visa", "fingerprint": fingerprint, "last4": "0002"});
    let object = if kind == "charge.failed" {
        serde_json::json!({"id": charge, "object": "charge", "status": "failed",
            "payment_intent": format!("pi_{checkout}"),
            "payment_method_details": {"type": "card", "card": card}})
    } else {
        serde_json::json!({"id": format!("pi_{checkout}"), "object": "payment_intent",
            "metadata": {"checkout_id": checkout},
            "last_payment_error": {"type": "card_error", "code": "card_declined", "charge": charge,
                "payment_method": {"id": "pm_1", "type": "card", "card": card}}})
    };
    serde_json::json!({"id": event, "object": "event", "type": kind, "data": {"object": object}})
        .to_string()
}

async fn send(app: &TestApp, body: &str) -> serde_json::Value {
    let res = app
        .client
        .post(app.url("/providers/stripe/callback"))
        .header("content-type", "application/json")
        .header("stripe-signature", stripe_signature(WEBHOOK_SECRET, body))
        .body(body.to_string())
        .send()
        .await
        .expect("webhook");
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.expect("json")
}

async fn outbox_subjects(db: &Db, to: &str) -> Vec<String> {
    let sql = "SELECT subject FROM outbox WHERE to_addr = $1";
    shelfraiser::on_db!(db, |p| sqlx::query_scalar(sql)
        .bind(to)
        .fetch_all(p)
        .await
        .expect("outbox"))
}

fn guarded(s: Settings) -> Settings {
    let mut s = s;
    s.donations.challenge_after_declines = 5;
    s.donations.challenge_after_card_declines = 2;
    s.donations.challenge_bits = 6;
    s
}

#[tokio::test]
async fn declined_cards_put_the_campaign_behind_a_proof_of_work() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let treasurer = crate::team_harness::team_member("treasurer")
            .role(Role::Treasurer)
            .create(&tdb.db)
            .await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(guarded(with_stripe(settings(&tdb), &fake.base))).await;
        let res = donate(&app, "25", "GBP", "", "stripe", &[]).await;
        assert_eq!(res.status().as_u16(), 303);
        let call = fake.calls().last().cloned().expect("a call");
        let id = call
            .field("client_reference_id")
            .expect("reference")
            .to_string();
        assert_eq!(
            call.field("payment_intent_data[metadata][checkout_id]"),
            Some(id.as_str())
        );

        // Card X declined, card Y declined, then Stripe's second event of X's attempt: two
        // declines, one of each card (the same attempt counts once).
        let pi = "payment_intent.payment_failed";
        for (ev, kind, charge, fp) in [
            ("evt_1", pi, "ch_1", "fpX"),
            ("evt_2", pi, "ch_2", "fpY"),
            ("evt_3", "charge.failed", "ch_1", "fpX"),
        ] {
            let out = send(&app, &declined(ev, kind, &id, charge, fp)).await;
            assert_eq!(out["status"], "card_declined", "{out}");
        }
        assert_eq!(count(&app.db, "card_declines").await, 2);
        assert_eq!(
            donate(&app, "5", "GBP", "", "test", &[])
                .await
                .status()
                .as_u16(),
            303,
            "not yet"
        );
        assert!(outbox_subjects(&tdb.db, &treasurer.email).await.is_empty());

        // Card X again: two declines of one card trip it; the treasurer hears once.
        send(&app, &declined("evt_4", pi, &id, "ch_4", "fpX")).await;
        send(&app, &declined("evt_5", pi, &id, "ch_5", "fpZ")).await;
        let mails = outbox_subjects(&tdb.db, &treasurer.email).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert!(mails[0].contains("Many declined cards"), "{mails:?}");

        // Now the form asks for a proof of work, without storing anything; the page says
        // why, keeps what was typed and tells a donor without JavaScript when to come back.
        let sessions = count(&app.db, "checkout_sessions").await;
        let res = donate(&app, "7.25", "GBP", "", "test", &[]).await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(retry_after(&res) > 0);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let html = res.text().await.expect("page");
        assert!(html.contains("must do a short calculation"), "{html}");
        assert!(html.contains(r#"value="7.25""#));
        assert!(html.contains("/static/pow."), "the solver is loaded");
        let ch = hidden_value(&html, "pow_challenge").expect("a challenge");
        assert!(ch.contains(":6:"), "{ch}");
        assert_eq!(count(&app.db, "checkout_sessions").await, sessions);

        // A wrong counter is refused with a new challenge; a solved one passes, once.
        let counter = challenge::solve(&ch, 6);
        let wrong = (0u64..)
            .map(|n| n.to_string())
            .find(|n| !challenge::solves(&ch, n, 6))
            .expect("one");
        let res = donate(
            &app,
            "7.25",
            "GBP",
            "",
            "test",
            &[("pow_challenge", &ch), ("pow_counter", &wrong)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 429);
        let html = res.text().await.expect("page");
        assert!(html.contains("expired or was already used"), "{html}");
        assert_ne!(
            hidden_value(&html, "pow_challenge").as_deref(),
            Some(ch.as_str())
        );
        let solved = [
            ("pow_challenge", ch.as_str()),
            ("pow_counter", counter.as_str()),
        ];
        let res = donate(&app, "7.25", "GBP", "", "test", &solved).await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let res = donate(&app, "7.25", "GBP", "", "test", &solved).await;
        assert_eq!(res.status().as_u16(), 429, "a solution is good once");
        // Another campaign's challenge (or an altered one) is not accepted either.
        let tampered = ch.replacen(":6:", ":1:", 1);
        let res = donate(
            &app,
            "7.25",
            "GBP",
            "",
            "test",
            &[("pow_challenge", &tampered), ("pow_counter", "0")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 429);

        // The alert is not repeated while the state lasts.
        send(&app, &declined("evt_6", pi, &id, "ch_6", "fpW")).await;
        assert_eq!(outbox_subjects(&tdb.db, &treasurer.email).await.len(), 1);
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains(r#"shelfraiser_checkouts_rate_limited_total{limit="challenge"} 4"#),
            "{metrics}"
        );
        ledger_clean(&tdb.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}
