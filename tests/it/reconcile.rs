//! `ledger reconcile` (issue 12) against the local Stripe and PayPal, on both backends: a
//! period where the ledger and the provider agree reconciles clean (Stripe's list read page
//! by page); then a payment we never recorded, one they do not list, a fee that differs and
//! a refund we have no entry for are each named, and the command exits non-zero with the
//! same differences as JSON.

use chrono::{Duration, Utc};
use shelfraiser::donations::reconcile::{DiffKind, reconcile};
use shelfraiser::payments::PaymentProvider;
use std::sync::Arc;

use crate::fake_paypal::FakePaypal;
use crate::fake_stripe::*;
use crate::fees::{ledger_clean, run_fee_job, stripe_donation};
use crate::harness::*;

const SLUG: &str = "test-library";

fn provider(app: &TestApp, name: &str) -> Arc<dyn PaymentProvider> {
    app.state.providers.get(name).expect("provider").clone()
}

fn kinds(r: &shelfraiser::donations::reconcile::Report) -> Vec<(DiffKind, String)> {
    let mut v: Vec<(DiffKind, String)> = r
        .differences
        .iter()
        .map(|d| (d.kind, d.reference.clone()))
        .collect();
    v.sort_by_key(|(k, r)| (format!("{k:?}"), r.clone()));
    v
}

#[tokio::test]
async fn stripe_reconciles_clean_then_names_every_difference() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let mut ids = Vec::new();
        for (major, minor, fee) in [("25", 2500, 58), ("10", 1000, 35), ("12", 1200, 38)] {
            let (id, donation) = stripe_donation(&app, &fake, major, minor, fee, false).await;
            run_fee_job(&app, &donation).await.expect("fee");
            ids.push((format!("pi_{id}"), donation));
        }
        let (from, to) = (
            Utc::now() - Duration::days(1),
            Utc::now() + Duration::days(1),
        );
        fake.set_page_cap(2);
        let stripe = provider(&app, "stripe");
        let r = reconcile(&app.db, stripe.as_ref(), from, to)
            .await
            .expect("reconcile");
        assert!(r.differences.is_empty(), "{:?}", r.differences);
        assert_eq!((r.ours, r.theirs), (3, 3));
        let pages: Vec<Call> = fake
            .calls()
            .into_iter()
            .filter(|c| c.path == "/v1/balance_transactions")
            .collect();
        assert_eq!(pages.len(), 2, "three transactions, two a page");
        assert_eq!(pages[0].field("expand[]"), Some("data.source"));
        assert_eq!(pages[0].field("limit"), Some("100"));
        assert!(pages[1].field("starting_after").is_some());

        // Theirs only, ours only, another fee, a refund we have no entry for.
        fake.add_payment("pi_stranger", 700, "gbp", 30);
        fake.change(&ids[0].0, |b| b.created = 0);
        fake.change(&ids[1].0, |b| b.fee = 40);
        fake.add_refund(&ids[2].0, 1200, "gbp");
        let r = reconcile(&app.db, stripe.as_ref(), from, to)
            .await
            .expect("reconcile");
        assert_eq!(
            kinds(&r),
            vec![
                (DiffKind::Fee, ids[1].0.clone()),
                (DiffKind::MissingOurs, "pi_stranger".into()),
                (DiffKind::MissingTheirs, ids[0].0.clone()),
                (DiffKind::Refund, ids[2].0.clone()),
            ],
            "{:?}",
            r.differences
        );
        let fee = r
            .differences
            .iter()
            .find(|d| d.kind == DiffKind::Fee)
            .expect("fee");
        assert_eq!(
            (fee.ours.as_deref(), fee.theirs.as_deref()),
            (Some("0.35 GBP"), Some("0.40 GBP"))
        );

        // The command: the same, as JSON, exiting non-zero.
        let day = Utc::now().date_naive().to_string();
        let mut args: Vec<String> = storage_args(&tdb);
        for a in [
            "ledger",
            "reconcile",
            "--provider",
            "stripe",
            "--from",
            &day,
            "--to",
            &day,
            "--json",
        ] {
            args.push(a.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cli_async(
            &tdb.data_dir(),
            &args,
            &[
                ("SHELFRAISER_PROVIDERS__STRIPE__SECRET_KEY", SECRET_KEY),
                (
                    "SHELFRAISER_PROVIDERS__STRIPE__WEBHOOK_SECRET",
                    WEBHOOK_SECRET,
                ),
                ("SHELFRAISER_PROVIDERS__STRIPE__API_BASE", &fake.base),
            ],
        )
        .await;
        assert_eq!(out.code, Some(1), "{out:?}");
        let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(json["provider"], "stripe");
        assert_eq!(
            json["differences"].as_array().map(Vec::len),
            Some(4),
            "{json}"
        );
        ledger_clean(&app.db).await;
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn paypal_reconciles_its_transaction_search() {
    each_backend(|tdb| async move {
        let fake = FakePaypal::start().await;
        seed_campaign(&tdb.db, "paypal-library").await;
        fake.with(|f| f.fee_value = Some("0.64".into()));
        let app = TestApp::start(crate::paypal::paypal_settings(&tdb, &fake)).await;
        let (checkout, order) = crate::paypal::to_paypal(&app, &fake, "10", "GBP").await;
        let res = crate::paypal::back_from_paypal(&app, &checkout, &order).await;
        let donation = location(&res).rsplit('/').next().expect("id").to_string();
        run_fee_job(&app, &donation).await.expect("fee");
        let capture = fake
            .with(|f| f.orders[&order].capture.clone())
            .expect("captured");
        let (from, to) = (
            Utc::now() - Duration::days(1),
            Utc::now() + Duration::days(1),
        );
        let paypal = provider(&app, "paypal");
        let r = reconcile(&app.db, paypal.as_ref(), from, to)
            .await
            .expect("reconcile");
        assert!(r.differences.is_empty(), "{:?}", r.differences);
        assert_eq!((r.ours, r.theirs), (1, 1));
        let q = fake
            .with(|f| f.search_queries.last().cloned())
            .expect("searched");
        assert_eq!(q.get("fields").map(String::as_str), Some("all"));
        assert!(q.contains_key("start_date") && q.contains_key("page_size"));

        // A capture we never heard of, and a refund of ours we have no entry for.
        fake.with(|f| {
            f.extra_transactions
                .push(serde_json::json!({"transaction_info": {
                "transaction_id": "9XSTRANGER", "transaction_event_code": "T0006",
                "transaction_initiation_date": Utc::now().format("%Y-%m-%dT%H:%M:%S%z").to_string(),
                "transaction_amount": {"currency_code": "GBP", "value": "5.00"},
                "fee_amount": {"currency_code": "GBP", "value": "-0.47"}}}));
            f.extra_transactions
                .push(serde_json::json!({"transaction_info": {
                "transaction_id": "9XREFUND", "paypal_reference_id": capture.id,
                "transaction_event_code": "T1107",
                "transaction_initiation_date": Utc::now().format("%Y-%m-%dT%H:%M:%S%z").to_string(),
                "transaction_amount": {"currency_code": "GBP", "value": "-10.00"}}}));
        });
        let r = reconcile(&app.db, paypal.as_ref(), from, to)
            .await
            .expect("reconcile");
        assert_eq!(
            kinds(&r),
            vec![
                (DiffKind::MissingOurs, "9XSTRANGER".into()),
                (DiffKind::Refund, capture.id.clone()),
            ],
            "{:?}",
            r.differences
        );
        ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}
