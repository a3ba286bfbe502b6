//! Processor fees as ledger entries (issue 12), on both backends: a Stripe donation's fee is
//! recorded by the `record_fee` job from the charge's balance transaction (nothing while the
//! charge is unsettled, one entry however often it runs), a PayPal donation's from the
//! capture's breakdown; raised stays gross, the console shows gross, fees and net, the public
//! page gross only; the ledger export lists every entry (treasurers yes, editors no); the
//! fee migration keeps every entry, its seq and the voids that name them; `ledger verify`
//! stays clean after each and catches a fee of another campaign.

use chrono::Utc;
use shelfraiser::campaigns::repo;
use shelfraiser::db::Db;
use shelfraiser::donations::fees::{self, FeeOutcome, RecordFee};
use shelfraiser::donations::ledger;
use shelfraiser::team::Role;

use crate::fake_paypal::FakePaypal;
use crate::fake_stripe::*;
use crate::harness::*;
use crate::team_harness::*;

const SLUG: &str = "test-library";

pub(crate) async fn ledger_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

/// Runs the fee job of `donation` now, as any node's worker would.
pub(crate) async fn run_fee_job(app: &TestApp, donation: &str) -> anyhow::Result<FeeOutcome> {
    let job = RecordFee {
        donation_id: donation.to_string(),
    };
    fees::run_job(&app.db, &app.state.providers, &job, Utc::now()).await
}

/// A Stripe donation of `minor` pence, whose charge the fake knows with `fee`; returns
/// (checkout id, donation id). `pending`: the charge is not settled yet.
pub(crate) async fn stripe_donation(
    app: &TestApp,
    fake: &FakeStripe,
    major: &str,
    minor: i64,
    fee: i64,
    pending: bool,
) -> (String, String) {
    let id = crate::stripe::start(app, fake, major, "GBP").await;
    fake.add_payment(&format!("pi_{id}"), minor, "gbp", fee);
    fake.change(&format!("pi_{id}"), |b| b.pending = pending);
    let body = session_event(
        &format!("evt_{id}"),
        "checkout.session.completed",
        &id,
        "paid",
        minor,
        "gbp",
    );
    let (status, out) = crate::stripe::send(app, &body).await;
    assert_eq!(
        (status, out["status"].as_str()),
        (200, Some("recorded")),
        "{out}"
    );
    let donation = out["donation_id"].as_str().expect("donation").to_string();
    (id, donation)
}

async fn fee_entries(db: &Db) -> i64 {
    shelfraiser::on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'fee'"
    )
    .fetch_one(p)
    .await
    .expect("count"))
}

#[tokio::test]
async fn a_stripe_fee_is_recorded_once_and_the_console_shows_gross_fees_and_net() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let fake = FakeStripe::start().await;
        let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
        let (id, donation) = stripe_donation(&app, &fake, "25", 2500, 58, true).await;

        // Not settled yet: the job fails (to be retried) and records nothing.
        let err = run_fee_job(&app, &donation).await.expect_err("not yet");
        assert!(err.to_string().contains("stripe fee"), "{err}");
        assert_eq!(fees::fee_of(&app.db, &donation).await.expect("fee"), None);

        // Settled: the fee from the balance transaction, once however often the job runs.
        fake.change(&format!("pi_{id}"), |b| b.pending = false);
        let first = run_fee_job(&app, &donation).await.expect("fee");
        assert!(
            matches!(first, FeeOutcome::Recorded(-58) | FeeOutcome::Already),
            "{first:?}"
        );
        assert_eq!(run_fee_job(&app, &donation).await.expect("again"), FeeOutcome::Already);
        assert_eq!(fees::fee_of(&app.db, &donation).await.expect("fee"), Some(-58));
        assert_eq!(fee_entries(&app.db).await, 1);
        let call = fake
            .calls()
            .into_iter()
            .find(|c| c.path == format!("/v1/payment_intents/pi_{id}"))
            .expect("the payment intent was asked for");
        assert_eq!(call.authorization, format!("Bearer {SECRET_KEY}"));
        assert_eq!(
            call.field("expand[]"),
            Some("latest_charge.balance_transaction")
        );

        // Raised stays gross; the ledger check sums fees apart.
        let t = repo::totals(&app.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count, t.entry_count), (2500, 1, 1));
        ledger_clean(&app.db).await;

        // The console: gross, fees and net; the public page: gross only.
        let treasurer = team_member("tess").role(Role::Treasurer).signed_in(&app.db).await;
        let page = treasurer.page(&app, "/admin/donations").await;
        assert!(page.contains("Gross, fees and net"), "{page}");
        for shown in ["-£0.58", "£24.42"] {
            assert!(page.contains(shown), "{shown} in {page}");
        }
        assert!(page.contains("/admin/ledger.csv"), "the export is linked");
        let public = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(public.contains("£25"), "{public}");
        assert!(!public.contains("24.42") && !public.contains("0.58"), "{public}");

        // The export: every entry, amounts with the currency's decimals, the fee's original.
        let res = treasurer.get(&app, "/admin/ledger.csv?format=comma").await;
        assert_eq!(res.status().as_u16(), 200);
        let csv = res.text().await.expect("csv");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "seq,created_at_utc,campaign,donation_id,kind,amount,currency,original_amount,original_currency,rate,memo"
        );
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(
            lines[1].contains(&format!(",{SLUG},{donation},donation,25.00,GBP,25.00,GBP,1,")),
            "{csv}"
        );
        assert!(
            lines[2].contains(&format!(",{SLUG},{donation},fee,-0.58,GBP,-0.58,GBP,,stripe fee")),
            "{csv}"
        );
        // A date range that ends before today lists nothing; editors may not export.
        let old = treasurer
            .get(&app, "/admin/ledger.csv?format=comma&to=2020-01-01")
            .await;
        assert_eq!(old.text().await.expect("csv").lines().count(), 1);
        let editor = team_member("eddie").role(Role::Editor).signed_in(&app.db).await;
        assert_eq!(editor.get(&app, "/admin/ledger.csv").await.status().as_u16(), 403);
        app.stop().await;
        fake.stop();
    })
    .await;
}

#[tokio::test]
async fn a_paypal_fee_comes_from_the_capture() {
    each_backend(|tdb| async move {
        let fake = FakePaypal::start().await;
        seed_campaign(&tdb.db, "paypal-library").await;
        fake.with(|f| f.fee_value = Some("0.64".into()));
        let app = TestApp::start(crate::paypal::paypal_settings(&tdb, &fake)).await;
        let (checkout, order) = crate::paypal::to_paypal(&app, &fake, "10", "GBP").await;
        let res = crate::paypal::back_from_paypal(&app, &checkout, &order).await;
        assert_eq!(res.status().as_u16(), 303);
        let donation = location(&res)
            .rsplit('/')
            .next()
            .expect("donation id")
            .to_string();
        let out = run_fee_job(&app, &donation).await.expect("fee");
        assert!(
            matches!(out, FeeOutcome::Recorded(-64) | FeeOutcome::Already),
            "{out:?}"
        );
        assert_eq!(
            fees::fee_of(&app.db, &donation).await.expect("fee"),
            Some(-64)
        );
        assert_eq!(
            run_fee_job(&app, &donation).await.expect("again"),
            FeeOutcome::Already
        );
        assert_eq!(fee_entries(&app.db).await, 1);
        ledger_clean(&app.db).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn verify_names_a_fee_of_another_campaign() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        let other = seed_campaign(db, "other-library").await;
        let keep =
            crate::treasurer::add(db, &c, &crate::treasurer::entry("5", "GBP", "", "K")).await;
        let keep_id = keep.recorded.donation_id().to_string();
        let stray = fees::NewFee {
            campaign_id: &other.id,
            donation_id: &keep_id,
            amount_minor: -3,
            original_minor: -3,
            original_currency: "GBP",
            rate: None,
            memo: "stray",
        };
        assert!(
            shelfraiser::donations::repo::fees::insert(db, &stray, Utc::now())
                .await
                .expect("insert")
        );
        let report = ledger::verify(db).await.expect("verify");
        assert_eq!(report.mismatches.len(), 1, "{:?}", report.mismatches);
        assert!(
            report.mismatches[0]
                .what
                .contains("names a donation of another campaign"),
            "{:?}",
            report.mismatches
        );
        // One fee per donation: a second is not appended.
        let mut again = stray.clone();
        again.campaign_id = &c.id;
        assert!(
            !shelfraiser::donations::repo::fees::insert(db, &again, Utc::now())
                .await
                .expect("insert")
        );
        let err = exec_err(db, "DELETE FROM ledger_entries WHERE kind = 'fee'").await;
        assert!(err.contains("append-only"), "{err}");
    })
    .await;
}

/// SQLite rebuilds `ledger_entries` to widen its CHECK: a database with entries and a void
/// from before migration 0021 keeps every row with its seq, the void still names its entry,
/// new entries continue the sequence, and the table is still append-only. Every other
/// migration is applied first (the entries are made by today's code, which needs the later
/// columns); 0021 then runs on the filled table.
#[tokio::test]
async fn the_sqlite_rebuild_keeps_every_entry_its_seq_and_the_voids() {
    if !backends().iter().any(|b| matches!(b, Backend::Sqlite)) {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let db = Db::connect(&url).await.expect("connect");
    let mut before = sqlx::migrate!("./migrations/sqlite");
    before.migrations = std::borrow::Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version != 21)
            .cloned()
            .collect(),
    );
    let Db::Sqlite(pool) = &db else {
        panic!("sqlite")
    };
    before.run(pool).await.expect("every migration but 0021");
    let c = seed_campaign(&db, SLUG).await;
    for (amount, r) in [("5", "A"), ("20", "B"), ("7", "C")] {
        crate::treasurer::add(&db, &c, &crate::treasurer::entry(amount, "GBP", "", r)).await;
    }
    let b = one_id(
        &db,
        "SELECT id FROM donations WHERE campaign_amount_minor = 2000",
    )
    .await;
    let actor = shelfraiser::team::audit::Actor::cli();
    shelfraiser::donations::voids::void(&db, &b, "typo", &actor)
        .await
        .expect("void");
    let rows = |db: Db| async move {
        shelfraiser::on_db!(&db, |p| sqlx::query_as::<_, (i64, String, String, i64)>(
            "SELECT seq, id, kind, amount_minor FROM ledger_entries ORDER BY seq"
        )
        .fetch_all(p)
        .await
        .expect("rows"))
    };
    let old = rows(db.clone()).await;
    assert_eq!(old.len(), 4);

    db.migrate().await.expect("migrate to 0021");
    assert_eq!(rows(db.clone()).await, old, "every entry with its seq");
    let fk: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .expect("fk check");
    assert!(fk.is_empty(), "{fk:?}");
    let void_entry = one_id(&db, "SELECT entry_id FROM donation_voids").await;
    assert!(
        old.iter()
            .any(|(_, id, kind, _)| id == &void_entry && kind == "adjustment")
    );
    crate::treasurer::add(&db, &c, &crate::treasurer::entry("1", "GBP", "", "D")).await;
    let new = rows(db.clone()).await;
    assert_eq!(new.len(), 5);
    assert!(new[4].0 > old[3].0, "the sequence continues");
    let err = exec_err(&db, "UPDATE ledger_entries SET amount_minor = 0").await;
    assert!(err.contains("append-only"), "{err}");
    ledger_clean(&db).await;
    db.close().await;
}

async fn one_id(db: &Db, sql: &str) -> String {
    shelfraiser::on_db!(db, |p| sqlx::query_scalar::<_, String>(sql)
        .fetch_one(p)
        .await
        .expect("one row"))
}

/// The error text of a statement that must fail.
async fn exec_err(db: &Db, sql: &str) -> String {
    let r = shelfraiser::on_db!(db, |p| sqlx::query(sql).execute(p).await.map(|_| ()));
    r.expect_err("refused").to_string()
}
