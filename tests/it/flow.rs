//! The donor's path end to end over a real socket: page → form → TEST MODE checkout →
//! callback → thank-you page → totals, API and ledger.

use shelfraiser::campaigns::repo;
use shelfraiser::donations::ledger;

use crate::harness::*;

#[tokio::test]
async fn donor_gives_through_the_test_checkout() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;

        let page = app.text("/campaigns/test-library").await;
        assert!(page.contains("Test library"));
        assert!(page.contains("name=\"amount\""));

        // A donation in USD, converted to GBP at the locked ECB cross rate.
        let to = app
            .donate_through_checkout("test-library", "25.50", "USD", "succeed")
            .await;
        assert!(to.starts_with("/campaigns/test-library/thanks/"), "{to}");
        let thanks = app.text(&to).await;
        assert!(thanks.contains("$25.50"), "{thanks}");
        // 2550 cents × (0.84638 / 1.0705) = 2016.13… → 2016 pence.
        assert!(thanks.contains("£20.16"), "{thanks}");
        // The locked rate (0.790639887902849) shown to five significant digits.
        assert!(thanks.contains("1 USD = 0.79064 GBP"), "{thanks}");

        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (2016, 1));
        let api: serde_json::Value = app
            .get("/api/v1/campaigns/test-library")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(api["raised"]["amount_minor"], 2016);
        assert_eq!(api["raised"]["currency"], "GBP");
        assert_eq!(api["donors"], 1);
        assert_eq!(api["percent"], 2);
        assert_eq!(api["state"], "live");

        // Declined and canceled checkouts record nothing.
        let to = app
            .donate_through_checkout("test-library", "10", "GBP", "decline")
            .await;
        assert!(to.contains("checkout=declined"));
        let to = app
            .donate_through_checkout("test-library", "10", "GBP", "cancel")
            .await;
        assert!(to.contains("checkout=canceled"));
        assert_eq!(count(&tdb.db, "donations").await, 1);

        let report = ledger::verify(&tdb.db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn reaching_the_goal_funds_the_campaign() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let to = app
            .donate_through_checkout("test-library", "1000", "GBP", "succeed")
            .await;
        assert!(to.contains("/thanks/"));
        let c2 = repo::by_id(&tdb.db, &c.id)
            .await
            .expect("db")
            .expect("campaign");
        assert_eq!(c2.state.as_str(), "funded");
        let page = app.text("/campaigns/test-library").await;
        assert!(
            page.contains("Follow the build"),
            "funded page changes its call to action"
        );
        assert!(
            page.contains("You can still donate"),
            "a smaller donate link stays"
        );
        app.stop().await;
    })
    .await;
}
