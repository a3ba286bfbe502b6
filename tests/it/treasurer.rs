//! The treasurer's week on both backends: an offline gift received in the future is refused,
//! one received on a past day is converted at that day's ECB rate (the 90-day and history
//! files keep every day) and shows the rate's day; the CSV export in the Danish spreadsheet
//! style; the donations page's totals per month and currency; the command line's side.

use chrono::{Duration, NaiveDate, Utc};
use shelfraiser::campaigns::{Campaign, repo};
use shelfraiser::db::Db;
use shelfraiser::donations::offline::{self, OfflineError, OfflineInput};
use shelfraiser::email::Email;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::rates;
use shelfraiser::team::audit::Actor;
use shelfraiser::team::{Role, repo as team_repo, session};

use crate::harness::*;

pub const HIST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/eurofxref-hist-sample.xml"
);

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn code(s: &str) -> CurrencyCode {
    CurrencyCode::parse(s).expect("currency")
}

/// Imports the sample history file (the days before the bundled daily file).
pub async fn import_history(db: &Db) {
    let text = std::fs::read_to_string(HIST).expect("fixture");
    rates::import(db, &rates::parse_ecb(&text).expect("parses"))
        .await
        .expect("import");
}

/// A signed-in member with one site-wide role; returns the session token.
pub async fn signed_in(db: &Db, name: &str, zone: &str, role: Role) -> String {
    let m = team_repo::create(
        db,
        &team_repo::NewMember {
            email: Email::parse(&format!("{name}@example.org")).expect("email"),
            display_name: format!("{name} tester"),
            time_zone: zone.into(),
            languages: "en".into(),
            status: shelfraiser::team::MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    team_repo::add_grant(db, &m.id, role, None)
        .await
        .expect("grant");
    session::create(db, &m.id, false, None, None)
        .await
        .expect("session")
}

pub fn entry(amount: &str, currency: &str, date: &str, reference: &str) -> OfflineInput {
    OfflineInput {
        amount: amount.into(),
        currency: currency.into(),
        donor: Some(format!("Giver {reference}")),
        date: (!date.is_empty()).then(|| date.to_string()),
        visibility: "public".into(),
        reference: Some(reference.into()),
        ..Default::default()
    }
}

pub async fn add(db: &Db, c: &Campaign, input: &OfflineInput) -> offline::Offline {
    offline::add(db, c, input, &Actor::cli())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Ten dollars times the rate of `on`, in pence.
async fn expected_pence(db: &Db, on: &str, dollars: i64) -> i64 {
    let t = rates::on(db, day(on)).await.expect("rates");
    let rate = t.rate(code("USD"), code("GBP")).expect("rate");
    Money::new(dollars * 100, code("USD"))
        .convert(rate, code("GBP"))
        .expect("convert")
        .amount_minor
}

#[tokio::test]
async fn offline_gifts_use_the_rate_of_the_day_received_and_never_a_future_day() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        import_history(db).await;

        // The newest rate on or before a day: a Sunday takes the Friday's.
        let sunday = rates::on(db, day("2024-06-23")).await.expect("rates");
        assert_eq!(sunday.dates.get(&code("USD")), Some(&day("2024-06-21")));
        assert_eq!(
            sunday.rate_date(code("USD"), code("GBP")),
            Some(day("2024-06-21"))
        );
        assert_eq!(sunday.rate_date(code("GBP"), code("GBP")), None);

        // $100 received on Sunday 23 June: converted at Friday's rate, not the newest one.
        let done = add(db, &c, &entry("100", "USD", "2024-06-23", "R-SUN")).await;
        let friday = expected_pence(db, "2024-06-21", 100).await;
        let newest = expected_pence(db, "2024-07-31", 100).await;
        assert_ne!(friday, newest, "the sample's rates differ from the newest");
        assert_eq!(done.converted.amount_minor, friday);
        assert_eq!(done.rate_on, Some(day("2024-06-21")));
        let done = add(db, &c, &entry("100", "USD", "2024-06-26", "R-WED")).await;
        assert_eq!(
            done.converted.amount_minor,
            expected_pence(db, "2024-06-26", 100).await
        );
        assert_eq!(done.rate_on, Some(day("2024-06-26")));
        // Today: the newest rate (the bundled 28 June).
        let done = add(db, &c, &entry("100", "USD", "", "R-NOW")).await;
        assert_eq!(done.converted.amount_minor, newest);
        assert_eq!(done.rate_on, Some(day("2024-06-28")));
        // In the campaign's own currency nothing is converted, on any day.
        let done = add(db, &c, &entry("5", "GBP", "2020-01-02", "R-GBP")).await;
        assert_eq!((done.converted.amount_minor, done.rate_on), (500, None));

        // Older than every rate: refused with the day, not converted at today's rate.
        let err = offline::add(
            db,
            &c,
            &entry("10", "USD", "2024-06-20", "R-OLD"),
            &Actor::cli(),
        )
        .await
        .expect_err("no rate that old");
        assert!(
            matches!(err[0], OfflineError::NoRateOn { on, .. } if on == day("2024-06-20")),
            "{err:?}"
        );
        assert!(err[0].cli_message().contains("on or before 2024-06-20"));

        // After today (the treasurer's): refused, with the field named.
        let today = Utc::now().date_naive();
        let later = (today + Duration::days(2)).to_string();
        let err = offline::add(db, &c, &entry("10", "GBP", &later, "R-FUT"), &Actor::cli())
            .await
            .expect_err("future");
        assert!(
            matches!(err[0], OfflineError::DateInFuture { .. }),
            "{err:?}"
        );
        assert_eq!(err[0].field(), "date");
        // "Today" is the treasurer's: a day that is tomorrow in UTC is today further east.
        let mut east = entry("10", "GBP", &(today + Duration::days(1)).to_string(), "R-E");
        east.today = Some(today + Duration::days(1));
        add(db, &c, &east).await;
        let mut west = entry("10", "GBP", &today.to_string(), "R-W");
        west.today = Some(today - Duration::days(1));
        let err = offline::add(db, &c, &west, &Actor::cli())
            .await
            .expect_err("tomorrow out west");
        assert!(matches!(err[0], OfflineError::DateInFuture { .. }));
        assert_eq!(count(db, "donations").await, 5);

        // The wall and the console show the rate's day of a converted offline gift.
        let app = TestApp::start(settings(&tdb)).await;
        let html = app.text("/campaigns/test-library").await;
        assert!(html.contains("rate of 21 June 2024"), "wall");
        assert!(html.contains("rate of 26 June 2024"), "wall");
        let token = signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let id = offline::add(
            db,
            &c,
            &entry("1", "USD", "2024-06-25", "R-D"),
            &Actor::cli(),
        )
        .await
        .expect("added")
        .recorded
        .donation_id()
        .to_string();
        let detail = page_as(&app, &format!("/admin/donations/{id}"), &token).await;
        assert!(
            detail.contains("ECB reference rate of 25 June 2024"),
            "{detail}"
        );
        // The rate reads as people write it (five significant digits at most), the stored
        // one beside it for checking sums.
        let at = detail.find("1 USD = ").expect("rate line") + "1 USD = ".len();
        let shown: String = detail[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        let digits = shown
            .trim_start_matches(['0', '.', ','])
            .replace([',', '.'], "");
        assert!(
            !digits.is_empty() && digits.len() <= 5,
            "{shown} in {detail}"
        );
        assert!(detail.contains("Stored rate used:"), "{detail}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_console_form_refuses_a_future_date_and_keeps_the_values() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, "test-library").await;
        // Far to the west: today there is yesterday in UTC, or the same day.
        let token = signed_in(db, "treasurer", "Pacific/Pago_Pago", Role::Treasurer).await;
        let app = TestApp::start(settings(&tdb)).await;
        let csrf = bound_csrf(&app, "/admin/donations", &token).await;
        let tomorrow = (offline::today_in("Pacific/Pago_Pago") + Duration::days(1)).to_string();
        let form = [
            ("csrf", csrf.as_str()),
            ("campaign", "test-library"),
            ("amount", "12.50"),
            ("currency", "GBP"),
            ("donor", "Book club"),
            ("date", tomorrow.as_str()),
            ("visibility", "public"),
        ];
        let res = post_as(&app, "/admin/donations", &token, &form).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"o-date-err\""), "the date is marked");
        assert!(html.contains("cannot be after today"), "{html}");
        assert!(html.contains(&format!("value=\"{tomorrow}\"")), "kept");
        assert!(html.contains("value=\"12.50\"") && html.contains("value=\"Book club\""));
        assert_eq!(count(db, "donations").await, 0);
        // The form's default date is the treasurer's today.
        let html = page_as(&app, "/admin/donations", &token).await;
        let today = offline::today_in("Pacific/Pago_Pago").to_string();
        assert!(html.contains(&format!("name=\"date\" type=\"date\" value=\"{today}\"")));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn danish_csv_and_totals_per_month_and_currency() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        for (amount, currency, date, r) in [
            ("12.50", "GBP", "2024-07-03", "A"),
            ("7.25", "GBP", "2024-07-20", "B"),
            ("10", "USD", "2024-07-21", "C"),
            ("3", "GBP", "2024-08-01", "D"),
        ] {
            add(db, &c, &entry(amount, currency, date, r)).await;
        }
        let mut evil = entry("1", "GBP", "2024-08-02", "E");
        evil.donor = Some("=SUM(A1:A2)".into());
        add(db, &c, &evil).await;
        let token = signed_in(db, "treasurer", "UTC", Role::Treasurer).await;
        let app = TestApp::start(settings(&tdb)).await;

        // The console in Danish: semicolons, decimal commas, a byte-order mark.
        let res = app
            .client
            .get(app.url("/admin/donations.csv"))
            .header("cookie", format!("sr_session={token}; lang=da"))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 200);
        let bytes = res.bytes().await.expect("csv");
        assert!(
            bytes.starts_with("\u{feff}".as_bytes()),
            "UTF-8 byte-order mark"
        );
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&bytes[3..]);
        let header = reader.headers().expect("header").clone();
        let col = |name: &str| header.iter().position(|h| h == name).expect(name);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
        assert_eq!(rows.len(), 5);
        let row = |r: &str| {
            rows.iter()
                .find(|x| x[col("provider_reference")] == *r)
                .expect("row")
        };
        assert_eq!(&row("A")[col("amount")], "12,50");
        assert_eq!(&row("A")[col("campaign_amount")], "12,50");
        assert_eq!(&row("B")[col("amount")], "7,25");
        assert!(
            row("C")[col("rate")].starts_with("0,79"),
            "decimal comma rate"
        );
        assert_eq!(&row("C")[col("rate_date")], "2024-06-28");
        assert_eq!(
            &row("E")[col("donor_name")],
            "'=SUM(A1:A2)",
            "formula guard"
        );
        assert!(!row("A")[col("amount")].contains('.'));

        // In English, or chosen explicitly: commas and decimal points, no mark.
        let text = get_as(&app, "/admin/donations.csv", &token)
            .await
            .text()
            .await
            .expect("csv");
        assert!(text.starts_with("donation_id,campaign,"));
        assert!(text.contains(",12.50,GBP,1250,"), "{text}");
        let res = app
            .client
            .get(app.url("/admin/donations.csv?format=comma"))
            .header("cookie", format!("sr_session={token}; lang=da"))
            .send()
            .await
            .expect("GET");
        assert!(res.text().await.expect("csv").starts_with("donation_id,"));
        let text = get_as(&app, "/admin/donations.csv?format=semicolon", &token)
            .await
            .text()
            .await
            .expect("csv");
        assert!(text.starts_with("\u{feff}donation_id;campaign;"));

        // The page: a link to the other style, and the totals per month and currency.
        let html = page_as(&app, "/admin/donations", &token).await;
        assert!(
            html.contains("format=semicolon"),
            "the other style is offered"
        );
        let totals = &html[html.find("class=\"totals\"").expect("totals table")..];
        for want in [
            "<td>August 2024</td><td>GBP</td><td class=\"num\">2</td><td class=\"num\">£4</td>",
            "<td>July 2024</td><td>GBP</td><td class=\"num\">2</td><td class=\"num\">£19.75</td>",
            "<td>July 2024</td><td>USD</td><td class=\"num\">1</td><td class=\"num\">$10</td>",
            "<td>GBP</td><td class=\"num\">4</td><td class=\"num\">£23.75</td>",
        ] {
            assert!(totals.contains(want), "{want} in {totals}");
        }
        assert!(
            totals.find("August 2024").expect("aug") < totals.find("July 2024").expect("jul"),
            "newest month first"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_command_line_imports_history_refuses_the_future_and_voids() {
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
        let out = cli(&["rates", "import", HIST]).await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("2024-06-21: 5 rates"), "{out:?}");
        assert!(out.stdout.contains("25 new rates stored"), "{out:?}");
        let again = cli(&["rates", "import", HIST]).await;
        assert!(again.stdout.contains("0 new rates stored"), "{again:?}");

        let gift = |date: String| {
            let cli = &cli;
            async move {
                cli(&[
                    "donation",
                    "add",
                    "--campaign",
                    "s",
                    "--amount",
                    "100",
                    "--currency",
                    "USD",
                    "--date",
                    &date,
                    "--time-zone",
                    "UTC",
                ])
                .await
            }
        };
        let future = (Utc::now().date_naive() + Duration::days(2)).to_string();
        let out = gift(future.clone()).await;
        assert!(!out.ok());
        assert!(
            out.one_line_error()
                .contains(&format!("--date {future} is after today")),
            "{out:?}"
        );
        let out = gift("2024-06-20".into()).await;
        assert!(!out.ok());
        assert!(
            out.one_line_error().contains("on or before 2024-06-20"),
            "{out:?}"
        );
        let out = cli(&[
            "donation",
            "add",
            "--campaign",
            "s",
            "--amount",
            "1",
            "--currency",
            "GBP",
            "--time-zone",
            "Mars/Olympus",
        ])
        .await;
        assert!(out.one_line_error().contains("not a time zone"), "{out:?}");
        assert_eq!(count(&tdb.db, "donations").await, 0);

        let out = gift("2024-06-23".into()).await;
        assert!(out.ok(), "{out:?}");
        assert!(
            out.stdout.contains("(ECB reference rate of 2024-06-21)"),
            "{out:?}"
        );
        let id = out
            .stdout
            .split_whitespace()
            .nth(2)
            .expect("id")
            .trim_end_matches(':')
            .to_string();

        // Void it: the totals go back, the ledger check holds, twice is refused.
        let out = cli(&["donation", "void", &id, "--reason", "entered twice"]).await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("voided donation"), "{out:?}");
        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (0, 0));
        let out = cli(&["donation", "void", &id, "--reason", "again"]).await;
        assert!(!out.ok());
        assert!(out.one_line_error().contains("already voided"), "{out:?}");
        let out = cli(&["donation", "void", &id, "--reason", "  "]).await;
        assert!(
            out.one_line_error().contains("--reason: give a reason"),
            "{out:?}"
        );
        let out = cli(&["ledger", "verify"]).await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("2 entries"), "{out:?}");
    })
    .await;
}
