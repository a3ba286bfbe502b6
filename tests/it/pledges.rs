//! Pledges on both backends: a pledge shows apart from what was raised (converted at the
//! newest rate), fulfilling it moves it into "raised" in one step with a clean ledger,
//! cancelling takes it off; the forms keep their values and show errors; only members who
//! enter donations for the campaign may change them (403); the command line's side.
//! Matching gifts: `matching.rs`.

use shelfraiser::campaigns::{Campaign, repo};
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::donations::pledges;
use shelfraiser::i18n::I18n;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::rates;
use shelfraiser::team::audit::{self, Actor};
use shelfraiser::team::{Role, repo as team_repo};

use crate::harness::*;
use crate::treasurer::signed_in;

pub fn money(lang: &str, minor: i64, code: &str) -> String {
    I18n::new(lang).money(Money::new(minor, CurrencyCode::parse(code).expect("code")))
}

/// The pledged text the English page shows for `minor` pence.
pub fn pledged_text(minor: i64) -> String {
    format!("{} pledged", money("en", minor, "GBP"))
}

pub async fn verify_clean(db: &Db) {
    let report = ledger::verify(db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}

async fn ids(db: &Db, c: &Campaign) -> Vec<(String, String)> {
    pledges::list(db, std::slice::from_ref(&c.id))
        .await
        .expect("list")
        .into_iter()
        .map(|p| (p.pledger, p.id))
        .collect()
}

#[tokio::test]
async fn a_pledge_shows_apart_and_becomes_a_donation_in_one_step() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let app = TestApp::start(settings(&tdb)).await;
        let page = "/admin/pledges";
        let res = submit(
            &app,
            page,
            page,
            &treasurer,
            &[
                ("campaign", "test-library"),
                ("pledger", "Northbank Books"),
                ("amount", "500"),
                ("currency", "GBP"),
                ("expected", "2026-12-24"),
                ("visibility", "public"),
                ("note", "promised at the fair"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin/pledges?done=added");
        let res = submit(
            &app,
            page,
            page,
            &treasurer,
            &[
                ("campaign", "test-library"),
                ("pledger", "A cousin"),
                ("amount", "100"),
                ("currency", "USD"),
                ("visibility", "private"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        // The dollars count at the newest rate, converted like a donation.
        let latest = rates::latest(db).await.expect("rates");
        let usd = CurrencyCode::parse("USD").expect("usd");
        let dollars = Money::new(10_000, usd)
            .convert(latest.rate(usd, gbp()).expect("rate"), gbp())
            .expect("convert")
            .amount_minor;
        assert!(dollars > 0 && dollars != 10_000);

        let html = app.text("/campaigns/test-library").await;
        assert!(html.contains(&pledged_text(50_000 + dollars)), "{html}");
        let raised = repo::totals(db, &c.id).await.expect("totals");
        assert_eq!(raised.raised_minor, 0, "a pledge is never raised");
        assert!(html.contains(&format!(
            "<strong class=\"raised\" data-raised>{}</strong>",
            money("en", 0, "GBP")
        )));
        // The lighter segment after the raised one: (500 + dollars) of 1,000 pounds.
        let width = (50_000 + dollars) * 100 / 100_000;
        assert!(
            html.contains(&format!(
                "class=\"pledged\" x=\"0\" y=\"0\" width=\"{width}\""
            )),
            "{html}"
        );
        let list = page_as(&app, page, &treasurer).await;
        assert!(list.contains("Northbank Books") && list.contains("promised at the fair"));

        // Fulfilled: an offline donation of the pledge, raised grows, pledged shrinks.
        let all = ids(db, &c).await;
        let books = &all
            .iter()
            .find(|(n, _)| n == "Northbank Books")
            .expect("p")
            .1;
        let cousin = &all.iter().find(|(n, _)| n == "A cousin").expect("p").1;
        let fulfil = format!("/admin/pledges/{books}/fulfil");
        let res = submit(&app, page, &fulfil, &treasurer, &[("date", "")]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin/pledges?done=fulfilled");
        let t = repo::totals(db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (50_000, 1));
        let html = app.text("/campaigns/test-library").await;
        assert!(html.contains(&pledged_text(dollars)), "{html}");
        assert!(html.contains("Northbank Books"), "on the wall, as public");
        verify_clean(db).await;
        let p = pledges::get(db, books).await.expect("db").expect("pledge");
        assert_eq!(p.status, "fulfilled");
        let d = ledger::donation(db, p.donation_id.as_deref().expect("linked"))
            .await
            .expect("db")
            .expect("donation");
        assert_eq!(
            (d.provider.as_str(), d.campaign_amount_minor),
            ("offline", 50_000)
        );
        // Again: refused, nothing recorded twice.
        let res = submit(&app, page, &fulfil, &treasurer, &[("date", "")]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("b").contains("already fulfilled"));
        assert_eq!(
            repo::totals(db, &c.id).await.expect("t").raised_minor,
            50_000
        );

        // Cancelled: a reason is needed (the form says so), then pledged is empty.
        let cancel = format!("/admin/pledges/{cousin}/cancel");
        let res = submit(&app, page, &cancel, &treasurer, &[("reason", " ")]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("b")
                .contains(&format!("id=\"c-reason-{cousin}-err\""))
        );
        let res = submit(&app, page, &cancel, &treasurer, &[("reason", "moved away")]).await;
        assert_eq!(res.status().as_u16(), 303);
        let html = app.text("/campaigns/test-library").await;
        assert!(html.contains("data-pledged-wrap hidden"), "{html}");
        assert!(html.contains("class=\"pledged\" x=\"50\" y=\"0\" width=\"0\""));
        assert_eq!(
            repo::totals(db, &c.id).await.expect("t").raised_minor,
            50_000
        );
        verify_clean(db).await;
        for (action, n) in [
            ("pledge.added", 2),
            ("pledge.fulfilled", 1),
            ("pledge.cancelled", 1),
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
async fn pledge_forms_keep_their_values_and_only_treasurers_of_the_campaign_change_them() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let treasurer = signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let editor = signed_in(db, "editor", "UTC", Role::Editor).await;
        // A treasurer of another campaign only.
        let other = seed_campaign(db, "other-library").await;
        let elsewhere = signed_in(db, "elsewhere", "UTC", Role::Member).await;
        let m = team_repo::by_email(db, "elsewhere@example.org")
            .await
            .expect("db")
            .expect("member");
        team_repo::add_grant(db, &m.id, Role::Treasurer, Some(&other.id))
            .await
            .expect("grant");
        let app = TestApp::start(settings(&tdb)).await;
        let page = "/admin/pledges";

        let res = submit(
            &app,
            page,
            page,
            &treasurer,
            &[
                ("campaign", "test-library"),
                ("pledger", "Kept Name"),
                ("amount", "lots"),
                ("currency", "GBP"),
                ("expected", "soon"),
                ("visibility", "public"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("value=\"Kept Name\""), "{html}");
        assert!(html.contains("value=\"lots\"") && html.contains("id=\"p-amount-err\""));
        assert!(html.contains("id=\"p-expected-err\""));
        // A currency the campaign does not take, and a nameless pledge.
        let res = submit(
            &app,
            page,
            page,
            &treasurer,
            &[
                ("campaign", "test-library"),
                ("pledger", ""),
                ("amount", "5"),
                ("currency", "CHF"),
                ("visibility", "public"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"p-pledger-err\"") && html.contains("id=\"p-currency-err\""));
        // A forged token changes nothing.
        let forged = [
            ("csrf", "forged"),
            ("campaign", "test-library"),
            ("pledger", "Forged"),
            ("amount", "5"),
            ("currency", "GBP"),
            ("visibility", "public"),
        ];
        assert_eq!(
            post_as(&app, page, &treasurer, &forged)
                .await
                .status()
                .as_u16(),
            422
        );
        assert!(ids(db, &c).await.is_empty());

        // Without DonationsWrite: 403 (an editor); on another campaign's pledges: 403.
        assert_eq!(get_as(&app, page, &editor).await.status().as_u16(), 403);
        let ok = [
            ("campaign", "test-library"),
            ("pledger", "X"),
            ("amount", "5"),
            ("currency", "GBP"),
            ("visibility", "public"),
        ];
        assert_eq!(
            post_as(&app, page, &editor, &ok).await.status().as_u16(),
            403
        );
        let res = submit(&app, page, page, &elsewhere, &ok).await;
        assert_eq!(res.status().as_u16(), 403);
        let (p, _) = pledges::add(
            db,
            &c,
            &pledges::PledgeInput {
                pledger: "Someone".into(),
                amount: "5".into(),
                currency: "GBP".into(),
                visibility: "public".into(),
                ..Default::default()
            },
            &Actor::cli(),
        )
        .await
        .expect("pledge");
        let listed = page_as(&app, page, &elsewhere).await;
        assert!(!listed.contains("Someone"), "not their campaign");
        for action in ["fulfil", "cancel"] {
            let path = format!("/admin/pledges/{}/{action}", p.id);
            let res = submit(&app, page, &path, &elsewhere, &[("reason", "x")]).await;
            assert_eq!(res.status().as_u16(), 403, "{action}");
        }
        assert_eq!(
            pledges::get(db, &p.id)
                .await
                .expect("db")
                .expect("p")
                .status,
            "open"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_command_line_adds_lists_fulfils_and_cancels_pledges() {
    each_backend(|tdb| async move {
        let cli = |args: &[&str]| {
            let mut all = storage_args(&tdb);
            all.extend(args.iter().map(|s| s.to_string()));
            let dir = tdb.dir.clone();
            async move {
                let all: Vec<&str> = all.iter().map(String::as_str).collect();
                run_cli_async(dir.path(), &all, &[]).await
            }
        };
        let c = seed_campaign(&tdb.db, "s").await;
        let add = |pledger: &'static str, amount: &'static str| {
            let cli = &cli;
            async move {
                cli(&[
                    "pledge",
                    "add",
                    "--campaign",
                    "s",
                    "--pledger",
                    pledger,
                    "--amount",
                    amount,
                    "--currency",
                    "GBP",
                ])
                .await
            }
        };
        let out = add("Town council", "25,000").await;
        assert!(!out.ok());
        assert!(out.one_line_error().contains("--amount"), "{out:?}");
        let out = add("Town council", "250").await;
        assert!(out.ok(), "{out:?}");
        let first = out
            .stdout
            .split_whitespace()
            .nth(2)
            .expect("id")
            .trim_end_matches(':')
            .to_string();
        let out = add("A neighbour", "20").await;
        assert!(out.ok(), "{out:?}");
        let second = out
            .stdout
            .split_whitespace()
            .nth(2)
            .expect("id")
            .trim_end_matches(':')
            .to_string();
        let out = cli(&["pledge", "list", "--campaign", "s"]).await;
        assert!(out.stdout.contains(&format!("{first}\topen\t")), "{out:?}");

        let out = cli(&["pledge", "fulfil", &first, "--time-zone", "UTC"]).await;
        assert!(out.ok(), "{out:?}");
        assert_eq!(
            repo::totals(&tdb.db, &c.id).await.expect("t").raised_minor,
            25_000
        );
        let out = cli(&["pledge", "cancel", &second, "--reason", " "]).await;
        assert!(
            !out.ok() && out.one_line_error().contains("--reason"),
            "{out:?}"
        );
        let out = cli(&["pledge", "cancel", &second, "--reason", "moved"]).await;
        assert!(out.ok(), "{out:?}");
        let out = cli(&["pledge", "list", "--campaign", "s"]).await;
        assert!(
            out.stdout.contains(&format!("{first}\tfulfilled\t")),
            "{out:?}"
        );
        assert!(
            out.stdout.contains(&format!("{second}\tcancelled\t")),
            "{out:?}"
        );
        verify_clean(&tdb.db).await;
    })
    .await;
}
