//! Matching gifts on both backends: they accrue from the donations in their window, never
//! past the cap, show a banner in the page's language (and in the live event), and are
//! settled into a donation from the sponsor; the console's form reads times in the member's
//! zone and keeps a refused form.

use chrono::{Duration, Utc};
use shelfraiser::campaigns::repo;
use shelfraiser::donations::ledger;
use shelfraiser::donations::matching::{self, MatchInput};
use shelfraiser::donations::pledges::{self, PledgeError};
use shelfraiser::i18n::I18n;
use shelfraiser::team::Role;
use shelfraiser::team::audit::{self, Actor};

use crate::harness::*;
use crate::pledges::{money, pledged_text, verify_clean};
use crate::treasurer::{add, entry, signed_in};

fn local(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

fn window(sponsor: &str, ratio: &str, cap: &str, from: Duration, to: Duration) -> MatchInput {
    let now = Utc::now();
    MatchInput {
        sponsor: sponsor.into(),
        ratio: ratio.into(),
        cap: cap.into(),
        starts: local(now + from),
        ends: local(now + to),
        time_zone: "UTC".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn matching_gifts_accrue_in_their_window_up_to_the_cap() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let by = Actor::cli();
        let app = TestApp::start(settings(&tdb)).await;
        let observe = |v: i64| app.state.hub.observe(&c.id, v);
        // Over before today's gifts, running now (1:1 up to £30), and not yet begun.
        let (past, _) = matching::add(
            db,
            &c,
            &window(
                "Past Ltd",
                "100",
                "1000",
                Duration::days(-3),
                Duration::days(-2),
            ),
            &by,
        )
        .await
        .expect("past");
        let (now_match, _) = matching::add(
            db,
            &c,
            &window(
                "Northbank Books",
                "",
                "30",
                Duration::hours(-1),
                Duration::days(3),
            ),
            &by,
        )
        .await
        .expect("running");
        let (_, v) = matching::add(
            db,
            &c,
            &window(
                "Later plc",
                "50",
                "100",
                Duration::days(1),
                Duration::days(2),
            ),
            &by,
        )
        .await
        .expect("later");
        observe(v);
        add(db, &c, &entry("5", "GBP", "", "A")).await;
        add(db, &c, &entry("10", "GBP", "", "B")).await;
        let at = Utc::now();
        let st = matching::state(db, &c, &now_match, at)
            .await
            .expect("state");
        assert_eq!(
            (st.matched.amount_minor, st.left.amount_minor),
            (1_500, 1_500)
        );
        assert!(st.running);
        let st = matching::state(db, &c, &past, at).await.expect("state");
        assert_eq!((st.matched.amount_minor, st.running), (0, false));

        let html = app.text("/campaigns/test-library").await;
        let until = shelfraiser::campaigns::view::pledged::weekday_day(
            &I18n::new("en"),
            now_match.ends_at,
            "UTC",
        );
        let banner = format!(
            "Every {} is doubled until {until} — {} of {} left",
            money("en", 100, "GBP"),
            money("en", 1_500, "GBP"),
            money("en", 3_000, "GBP")
        );
        assert!(html.contains(&banner), "{banner} in {html}");
        assert!(
            !html.contains("Later plc") && !html.contains("brings"),
            "one banner"
        );
        assert!(html.contains(&pledged_text(1_500)));
        // The Danish page says the same in Danish.
        let da = app
            .client
            .get(app.url("/campaigns/test-library"))
            .header("accept-language", "da")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        let until_da = shelfraiser::campaigns::view::pledged::weekday_day(
            &I18n::new("da"),
            now_match.ends_at,
            "UTC",
        );
        assert!(
            da.contains(&format!("fordobles til og med {until_da}")),
            "{da}"
        );

        // The cap is reached: £35 given, £30 matched, none left.
        let last = add(db, &c, &entry("20", "GBP", "", "C")).await;
        if let ledger::Recorded::New { version, .. } = last.recorded {
            observe(version);
        }
        let html = app.text("/campaigns/test-library").await;
        assert!(html.contains(&format!(
            "Northbank Books has matched {}",
            money("en", 3_000, "GBP")
        )));
        assert!(html.contains(&pledged_text(3_000)));
        // The live event carries the pledged amount and the banner too.
        let tr = I18n::new("en");
        let live = shelfraiser::campaigns::pages::live_payload(&app.state, &tr, &c.id)
            .await
            .expect("payload");
        assert_eq!(live["pledged_minor"].as_i64(), Some(3_000));
        assert_eq!(live["pledged"].as_str(), Some(pledged_text(3_000).as_str()));
        assert_eq!(live["matches"].as_array().map(Vec::len), Some(1));

        // Settled: the sponsor's donation of what was matched; raised grows, pledged is gone,
        // and the settlement is not matched by another running match.
        let (overlap, _) = matching::add(
            db,
            &c,
            &window(
                "Overlap Co",
                "100",
                "1000",
                Duration::hours(-1),
                Duration::days(3),
            ),
            &by,
        )
        .await
        .expect("overlap");
        let before = matching::state(db, &c, &overlap, Utc::now())
            .await
            .expect("s");
        assert_eq!(before.matched.amount_minor, 3_500);
        let today = Utc::now().date_naive();
        let done = matching::settle(db, &c, &now_match.id, "", today, &by)
            .await
            .expect("settle");
        observe(done.version);
        assert_eq!(done.converted.amount_minor, 3_000);
        let t = repo::totals(db, &c.id).await.expect("totals");
        assert_eq!(t.raised_minor, 3_500 + 3_000);
        let after = matching::state(db, &c, &overlap, Utc::now())
            .await
            .expect("s");
        assert_eq!(
            after.matched.amount_minor, 3_500,
            "a settlement is not matched"
        );
        let html = app.text("/campaigns/test-library").await;
        assert!(
            html.contains(&pledged_text(3_500)),
            "only the overlapping match is pledged"
        );
        verify_clean(db).await;
        let err = matching::settle(db, &c, &now_match.id, "", today, &by)
            .await
            .expect_err("twice");
        assert!(matches!(err, PledgeError::Closed), "{err}");
        // Nothing matched yet cannot be settled; a match can be cancelled with a reason.
        let later = matching::list(db, std::slice::from_ref(&c.id))
            .await
            .expect("list")
            .into_iter()
            .find(|m| m.sponsor == "Later plc")
            .expect("later");
        let err = matching::settle(db, &c, &later.id, "", today, &by)
            .await
            .expect_err("nothing");
        assert!(matches!(err, PledgeError::NothingMatched), "{err}");
        let table = shelfraiser::donations::repo::pledges::Table::MatchingGifts;
        let err = pledges::cancel(db, &c, table, &later.id, "", &by)
            .await
            .expect_err("reason");
        assert!(matches!(err, PledgeError::NoReason));
        pledges::cancel(db, &c, table, &later.id, "sponsor withdrew", &by)
            .await
            .expect("cancel");
        assert_eq!(
            matching::get(db, &later.id)
                .await
                .expect("db")
                .expect("m")
                .status,
            "cancelled"
        );
        for (action, n) in [
            ("match.added", 4),
            ("match.settled", 1),
            ("match.cancelled", 1),
        ] {
            let got = audit::list(db, Some(action), None, 10, 0)
                .await
                .expect("audit");
            assert_eq!(got.len(), n, "{action}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_console_records_a_matching_gift_and_keeps_a_refused_form() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = signed_in(db, "treasurer", "Europe/Copenhagen", Role::Treasurer).await;
        let app = TestApp::start(settings(&tdb)).await;
        let page = "/admin/pledges";
        let now = Utc::now();
        let mut form = vec![
            ("campaign", "test-library"),
            ("sponsor", "Kept Sponsor"),
            ("ratio", "half"),
            ("cap", "1,000"),
            ("starts", "2026-12-01T09:00"),
            ("ends", "2026-11-01T09:00"),
        ];
        let res = submit(&app, page, "/admin/matches", &treasurer, &form).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("value=\"Kept Sponsor\"") && html.contains("value=\"half\""));
        assert!(html.contains("id=\"m-ratio-err\"") && html.contains("id=\"m-ends-err\""));
        let starts = (now - Duration::hours(2)).with_timezone(&chrono_tz::Europe::Copenhagen);
        let ends = (now + Duration::days(2)).with_timezone(&chrono_tz::Europe::Copenhagen);
        let (s, e) = (
            starts.format("%Y-%m-%dT%H:%M").to_string(),
            ends.format("%Y-%m-%dT%H:%M").to_string(),
        );
        form[2] = ("ratio", "50");
        form[4] = ("starts", &s);
        form[5] = ("ends", &e);
        let res = submit(&app, page, "/admin/matches", &treasurer, &form).await;
        assert_eq!(res.status().as_u16(), 303);
        let m = matching::list(db, std::slice::from_ref(&c.id))
            .await
            .expect("list")
            .pop()
            .expect("match");
        assert_eq!((m.ratio_percent, m.cap_minor), (50, 100_000));
        assert_eq!(m.time_zone, "Europe/Copenhagen");
        // The times were read in the member's zone (to the minute).
        assert!(
            (m.starts_at - (now - Duration::hours(2)))
                .num_seconds()
                .abs()
                < 60
        );
        add(db, &c, &entry("3.01", "GBP", "", "A")).await;
        let html = app.text("/campaigns/test-library").await;
        // 50p per pound: 301p → 150.5p → 150p (half to even).
        assert!(
            html.contains(&format!(
                "Every {} given brings {} more",
                money("en", 100, "GBP"),
                money("en", 50, "GBP")
            )),
            "{html}"
        );
        assert!(html.contains(&pledged_text(150)));
        let res = submit(
            &app,
            page,
            &format!("/admin/matches/{}/settle", m.id),
            &treasurer,
            &[("date", "")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            repo::totals(db, &c.id).await.expect("t").raised_minor,
            301 + 150
        );
        verify_clean(db).await;
        app.stop().await;
    })
    .await;
}
