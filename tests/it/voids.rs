//! Voiding a mistaken offline entry on both backends: a reversing ledger entry with the
//! reason, the totals taken back in the same transaction, the ledger check still clean, the
//! wall hiding the gift and the console showing it voided; once only, offline only,
//! treasurers only, with a confirmation; two voids at once make one.

use shelfraiser::campaigns::repo;
use shelfraiser::donations::ledger::{self, NewDonation};
use shelfraiser::donations::voids::{self, VoidError};
use shelfraiser::donations::{Intent, Visibility};
use shelfraiser::money::Money;
use shelfraiser::team::Role;
use shelfraiser::team::audit::{self, Actor};

use crate::harness::*;
use crate::treasurer::{add, entry, signed_in};

#[tokio::test]
async fn a_void_reverses_the_gift_in_the_ledger_and_hides_it() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let keep = add(db, &c, &entry("5", "GBP", "", "KEEP")).await;
        let wrong = add(db, &c, &entry("20", "GBP", "", "WRONG")).await;
        let wrong_id = wrong.recorded.donation_id().to_string();
        let online = shelfraiser::donations::record(
            db,
            &NewDonation {
                intent: Intent {
                    campaign_id: c.id.clone(),
                    amount: Money::new(300, gbp()),
                    rate: rust_decimal::Decimal::ONE,
                    campaign_amount: Money::new(300, gbp()),
                    cover_minor: 0,
                    donor_name: Some("Card giver".into()),
                    donor_email: None,
                    message: None,
                    visibility: Visibility::Public,
                },
                provider: "test".into(),
                provider_reference: "pay_1".into(),
                received_on: None,
                rate_on: None,
                note: None,
            },
        )
        .await
        .expect("online");
        let before = repo::totals(db, &c.id).await.expect("totals");
        assert_eq!((before.raised_minor, before.donor_count), (2800, 3));
        assert_eq!(ledger::wall_count(db, &c).await.expect("wall"), 3);

        // Refused: no reason, a provider's payment, an unknown id.
        let by = Actor::cli();
        let err = voids::void(db, &wrong_id, "  ", &by)
            .await
            .expect_err("reason");
        assert!(matches!(err, VoidError::NoReason));
        let err = voids::void(db, online.donation_id(), "no", &by)
            .await
            .expect_err("online");
        assert!(matches!(err, VoidError::NotOffline { .. }), "{err}");
        let err = voids::void(db, "nope", "no", &by)
            .await
            .expect_err("unknown");
        assert!(matches!(err, VoidError::NotFound(_)));

        let done = shelfraiser::donations::void(db, &wrong_id, "typed 20 for 2", &by)
            .await
            .expect("void");
        assert_eq!((done.raised_minor, done.amount_minor), (800, 2000));
        assert!(done.version > before.version);
        let after = repo::totals(db, &c.id).await.expect("totals");
        assert_eq!(
            (after.raised_minor, after.donor_count, after.entry_count),
            (800, 2, before.entry_count + 1)
        );
        // The ledger keeps both entries: the gift and the one taking it back.
        let entries = shelfraiser::donations::repo::ledger::entries_of(db, &wrong_id)
            .await
            .expect("entries");
        let kinds: Vec<(&str, i64)> = entries.iter().map(|(k, a, _)| (k.as_str(), *a)).collect();
        assert_eq!(kinds, [("donation", 2000), ("adjustment", -2000)]);
        let report = ledger::verify(db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        // Hidden from the wall, audited, refused a second time.
        let wall = ledger::wall(db, &c, 20, 0).await.expect("wall");
        assert!(wall.iter().all(|d| d.id != wrong_id));
        assert!(wall.iter().any(|d| d.id == keep.recorded.donation_id()));
        assert_eq!(ledger::wall_count(db, &c).await.expect("wall"), 2);
        let audited = audit::list(db, Some("donation.voided"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(audited.len(), 1);
        assert!(audited[0].detail.contains("reason=typed 20 for 2"));
        let err = voids::void(db, &wrong_id, "again", &by)
            .await
            .expect_err("twice");
        assert!(matches!(err, VoidError::AlreadyVoided { .. }), "{err}");
        assert_eq!(repo::totals(db, &c.id).await.expect("t").raised_minor, 800);
        // The record stays: nothing may change or remove a void.
        let tampered = match db {
            shelfraiser::db::Db::Sqlite(p) => sqlx::query("UPDATE donation_voids SET reason = 'x'")
                .execute(p)
                .await
                .is_err(),
            shelfraiser::db::Db::Postgres(p) => sqlx::query("DELETE FROM donation_voids")
                .execute(p)
                .await
                .is_err(),
        };
        assert!(tampered, "voids are append-only");

        // Two voids at once: one wins, the other is told, the ledger holds.
        let other = add(db, &c, &entry("7", "GBP", "", "RACE")).await;
        let id = other.recorded.donation_id().to_string();
        let (a, b) = tokio::join!(
            voids::void(db, &id, "first", &by),
            voids::void(db, &id, "second", &by)
        );
        assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
        assert_eq!(repo::totals(db, &c.id).await.expect("t").raised_minor, 800);
        let report = ledger::verify(db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    })
    .await;
}

#[tokio::test]
async fn the_console_voids_with_a_reason_and_a_confirmation() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let gift = add(db, &c, &entry("20", "GBP", "", "WRONG")).await;
        let id = gift.recorded.donation_id().to_string();
        let treasurer = signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let owner = signed_in(db, "owner", "UTC", Role::Owner).await;
        let app = TestApp::start(settings(&tdb)).await;
        let path = format!("/admin/donations/{id}");
        let void_path = format!("{path}/void");
        assert!(
            app.text("/campaigns/test-library")
                .await
                .contains("Giver WRONG")
        );

        let html = page_as(&app, &path, &treasurer).await;
        assert!(
            html.contains(&format!("action=\"{void_path}#void\"")),
            "the form"
        );
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        // Not confirmed, no reason, a forged token: 422, shown again, nothing voided.
        let res = post_as(
            &app,
            &void_path,
            &treasurer,
            &[("csrf", &csrf), ("reason", "dup")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"v-confirm-err\"") && html.contains(">dup</textarea>"));
        let res = post_as(
            &app,
            &void_path,
            &treasurer,
            &[("csrf", &csrf), ("reason", " "), ("confirm", "yes")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("b").contains("id=\"v-reason-err\""));
        let forged = [("csrf", "forged"), ("reason", "dup"), ("confirm", "yes")];
        let res = post_as(&app, &void_path, &treasurer, &forged).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(voids::of(db, &id).await.expect("db").is_none());

        let form = [
            ("csrf", csrf.as_str()),
            ("reason", "entered twice"),
            ("confirm", "yes"),
        ];
        let res = post_as(&app, &void_path, &treasurer, &form).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("{path}?voided=1"));
        let html = page_as(&app, &location(&res), &treasurer).await;
        assert!(html.contains("The donation was voided"));
        assert!(html.contains("entered twice") && html.contains("treasurer@example.org"));
        assert!(!html.contains("id=\"v-reason\""), "no second void form");
        let list = page_as(&app, "/admin/donations", &treasurer).await;
        assert!(list.contains("class=\"voided\""));
        assert!(
            !app.text("/campaigns/test-library")
                .await
                .contains("Giver WRONG"),
            "the wall hides it"
        );
        let csv = page_as(&app, "/admin/donations.csv", &owner).await;
        assert!(csv.contains(",entered twice\r\n"), "{csv}");
        // Again: refused, 422, the totals untouched.
        let res = post_as(&app, &void_path, &treasurer, &form).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("b").contains("already voided"));
        assert_eq!(repo::totals(db, &c.id).await.expect("t").raised_minor, 0);
        let report = ledger::verify(db).await.expect("verify");
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        app.stop().await;
    })
    .await;
}
