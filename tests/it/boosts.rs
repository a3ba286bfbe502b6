//! Fediverse boosts in "what brought the money", over real HTTP on both backends: a signed
//! `Announce` of a campaign's post from a loopback server's actor is kept as the post's
//! boost and asks for the booster's follower count; the job reads the actor's `followers`
//! collection through the guarded outbound client and keeps `totalItems` on the remote actor
//! (a hidden collection: unknown, not 0); the console's insight page lists the account with
//! its followers and the money given in the 24 h after, and names the boost as the cause of
//! the day's spike.

use chrono::{Duration, Utc};
use serde_json::json;
use shelfraiser::blog::repo::PostKind;
use shelfraiser::federation::{boosts, repo};
use shelfraiser::on_db;
use shelfraiser::team::Role;

use crate::fake_fediverse::FakeFediverse;
use crate::federation::{allowing, outbound, published, seeded_id, send};
use crate::harness::*;

async fn ledger(db: &shelfraiser::db::Db, campaign: &str, minor: i64, at: chrono::DateTime<Utc>) {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO ledger_entries (id, campaign_id, donation_id, kind, amount_minor, \
         donor_delta, memo, created_at) VALUES ($1, $2, NULL, 'adjustment', $3, 0, NULL, $4)"
    )
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(campaign)
    .bind(minor)
    .bind(at)
    .execute(p)
    .await
    .expect("ledger")
    .rows_affected());
}

#[tokio::test]
async fn a_boost_with_many_followers_is_named_as_the_cause_of_a_spike() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        remote.set_followers(Some(17_000));
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            outbound(&remote),
            &app.base,
        );
        let campaign = seeded_id(&app).await;
        let id = published(&app, PostKind::Article, "Halfway", Some(campaign.clone())).await;
        // Quiet days before.
        let now = Utc::now();
        for d in (2..6).rev() {
            ledger(&app.db, &campaign, 500, now - Duration::days(d)).await;
        }

        // The boost, signed by the remote actor.
        let actor = remote.actor();
        let boost = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/statuses/7/activity"), "type": "Announce",
            "actor": actor, "object": app.url(&format!("/posts/{id}")),
            "to": ["https://www.w3.org/ns/activitystreams#Public"]});
        assert_eq!(send(&app, &remote, &boost).await, 202);
        // The count is read by the job (here, or by the node's own worker).
        let mut reach = (None, None);
        for _ in 0..100 {
            shelfraiser::jobs::run_due(&app.db, &handlers, Utc::now())
                .await
                .expect("run");
            reach = repo::remote_followers(&app.db, &actor)
                .await
                .expect("reach");
            if reach.1.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(reach.0, Some(17_000));
        // £640 given after the boost.
        ledger(&app.db, &campaign, 30_000, Utc::now()).await;
        ledger(&app.db, &campaign, 34_000, Utc::now()).await;

        let host = remote.authority();
        let account = format!("@ana@{host}");
        let list = boosts::of_campaign(&app.db, &campaign, now - Duration::days(7))
            .await
            .expect("boosts");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].account, account);
        assert_eq!(list[0].followers, Some(17_000));
        assert_eq!(list[0].post_id, id);
        assert_eq!(list[0].profile, format!("{}/@ana", remote.base));

        let owner = crate::treasurer::signed_in(&app.db, "olga", "UTC", Role::Owner).await;
        let page = page_as(&app, "/admin/insight?campaign=test-library", &owner).await;
        assert!(page.contains("Fediverse boosts"), "{page}");
        assert!(page.contains(&format!("{account}</a>")), "{page}");
        assert!(page.contains("17,000"), "{page}");
        assert!(page.contains("Given in the 24 h after"));
        assert!(
            page.contains(&format!(
                "Boost by {account} (17,000 followers): +£640 in 24 h"
            )),
            "the spike's cause: {page}"
        );
        assert!(
            page.contains(&format!("Boosted by {account} (17,000 followers)")),
            "the boost's mark on the timeline"
        );

        // Read again two days later, the collection hidden: unknown, not 0.
        remote.set_followers(None);
        let later = Utc::now() + Duration::days(2);
        boosts::run_job(
            &app.db,
            &outbound(&remote),
            &app.base,
            &boosts::FetchReach {
                actor: actor.clone(),
            },
            later,
        )
        .await
        .expect("job");
        let (count, at) = repo::remote_followers(&app.db, &actor)
            .await
            .expect("reach");
        assert_eq!(count, None);
        assert_eq!(at.map(|t| t.timestamp()), Some(later.timestamp()));
        let page = page_as(&app, "/admin/insight?campaign=test-library", &owner).await;
        assert!(
            page.contains(&format!("Boost by {account} (followers not known)")),
            "{page}"
        );
    })
    .await;
}
