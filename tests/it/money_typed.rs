//! Money typed by people, over HTTP on both backends: amounts read in the page's language
//! (a Dane's "1.000" is 1,000 kr.), ambiguous ones refused with both readings, the donate
//! form opening in the visitor's currency with that currency's presets and limit (and the
//! cached page kept per currency), presets that cannot be paid in another currency, the
//! thank-you page's rate line in the page's language with its sheet's day, and the
//! console's amounts read in the member's language.

use rust_decimal::Decimal;
use shelfraiser::campaigns::repo;
use shelfraiser::donations::ledger;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::rates;
use shelfraiser::team::Role;

use crate::console::{editor_fields, multipart};
use crate::harness::*;
use crate::team_harness::*;

const SLUG: &str = "test-library";

/// GET `path` with an `Accept-Language` header.
async fn page_in(app: &TestApp, path: &str, accept_language: &str) -> String {
    let res = app
        .client
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status().as_u16(), 200, "GET {path}");
    res.text().await.expect("body")
}

/// Posts the donate form as a visitor whose browser asks for `accept_language`.
async fn donate_in(
    app: &TestApp,
    accept_language: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = page_in(app, &format!("/campaigns/{SLUG}"), accept_language).await;
    let token = hidden_value(&html, "csrf").expect("csrf");
    let mut form = vec![("csrf", token.as_str()), ("visibility", "public")];
    form.extend_from_slice(fields);
    app.client
        .post(app.url(&format!("/campaigns/{SLUG}/donate")))
        .header("accept-language", accept_language)
        .form(&form)
        .send()
        .await
        .expect("POST")
}

/// The amount line of the test checkout a donate answer sent the donor to.
async fn checkout_amount(app: &TestApp, res: reqwest::Response, accept_language: &str) -> String {
    assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
    let html = page_in(app, &location(&res), accept_language).await;
    let start = html.find("class=\"big\">").expect("amount line") + 12;
    html[start..start + html[start..].find('<').expect("end")].to_string()
}

/// The text of the donate form's amount error.
fn amount_error(html: &str) -> String {
    let start = html.find("id=\"amount-err\">").expect("amount error") + 16;
    html[start..start + html[start..].find('<').expect("end")].to_string()
}

/// The `<option>` chosen in the currency select.
fn selected_currency(html: &str) -> String {
    let at = html.find("<option selected>").expect("a selected currency") + 17;
    html[at..at + 3].to_string()
}

/// The labels of the presets shown (the group not `hidden`).
fn shown_presets(html: &str) -> Vec<String> {
    let Some(at) = html.find("<div class=\"presets\" data-currency=\"") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in html[at..].split("<div class=\"presets\"").skip(1) {
        let group = &group[..group.find("</div>").expect("group end")];
        if group.contains(" hidden>") {
            continue;
        }
        for label in group.split("</label>") {
            if let Some(i) = label.rfind("> ") {
                out.push(label[i + 2..].to_string());
            }
        }
    }
    out
}

/// The limit line shown (the one not `hidden`).
fn shown_hint(html: &str) -> String {
    html.split("<p class=\"hint\" data-currency=")
        .skip(1)
        .find(|h| !h[..h.find('>').expect("tag end")].contains("hidden"))
        .map(|h| {
            let h = &h[h.find('>').expect("tag end") + 1..];
            h[..h.find('<').expect("end")].to_string()
        })
        .expect("a limit line")
}

#[tokio::test]
async fn amounts_are_read_in_the_pages_language() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        // A Dane's one thousand (was 1 kr.), and one thousand two hundred and fifty and a
        // half (was refused).
        for (typed, shown) in [
            ("1.000", "1.000\u{a0}kr."),
            ("1.250,50", "1.250,50\u{a0}kr."),
        ] {
            let res = donate_in(&app, "da-DK", &[("amount", typed), ("currency", "DKK")]).await;
            let line = checkout_amount(&app, res, "da-DK").await;
            assert!(line.contains(shown), "{typed:?}: {line}");
        }
        // An English page: "10,000" yen is ten thousand (was 10).
        let res = donate_in(&app, "en-GB", &[("amount", "10,000"), ("currency", "JPY")]).await;
        let line = checkout_amount(&app, res, "en-GB").await;
        assert!(line.contains("¥10,000"), "{line}");
        // The other convention where it is the only reading.
        let res = donate_in(
            &app,
            "en-GB",
            &[("amount", "1.250,50"), ("currency", "GBP")],
        )
        .await;
        let line = checkout_amount(&app, res, "en-GB").await;
        assert!(line.contains("£1,250.50"), "{line}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn ambiguous_amounts_are_refused_with_both_readings() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let sessions = count(&tdb.db, "checkout_sessions").await;
        let res = donate_in(&app, "en-GB", &[("amount", "1.000"), ("currency", "DKK")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let err = amount_error(&res.text().await.expect("body"));
        assert_eq!(
            err,
            "Is that DKK\u{a0}1.00 or DKK\u{a0}1,000? Please type 1 or 1000."
        );
        let res = donate_in(&app, "da-DK", &[("amount", "1,000"), ("currency", "GBP")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let err = amount_error(&res.text().await.expect("body"));
        assert_eq!(
            err,
            "Mener du 1,00\u{a0}£ eller 1.000\u{a0}£? Skriv 1 eller 1000."
        );
        assert_eq!(count(&tdb.db, "checkout_sessions").await, sessions);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_form_opens_in_the_visitors_currency() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let path = format!("/campaigns/{SLUG}");
        // Each twice: the second answer comes from the page cache, kept per currency.
        for _ in 0..2 {
            let india = page_in(&app, &path, "en-IN,en;q=0.9").await;
            assert_eq!(selected_currency(&india), "INR");
            assert_eq!(
                shown_presets(&india),
                ["₹500", "₹1,000", "₹2,500", "₹5,000"]
            );
            assert!(shown_hint(&india).starts_with("Up to ₹"), "{india}");

            let denmark = page_in(&app, &path, "da-DK,da;q=0.9,en;q=0.8").await;
            assert_eq!(selected_currency(&denmark), "DKK");
            assert_eq!(
                shown_presets(&denmark),
                [
                    "100\u{a0}kr.",
                    "250\u{a0}kr.",
                    "500\u{a0}kr.",
                    "1.000\u{a0}kr."
                ]
            );
            assert!(shown_hint(&denmark).starts_with("Højst "), "{denmark}");

            let japan = page_in(&app, &path, "ja-JP").await;
            assert_eq!(selected_currency(&japan), "JPY");
            assert_eq!(
                shown_presets(&japan),
                ["¥1,000", "¥3,000", "¥5,000", "¥10,000"]
            );

            // A Danish browser that sends only "da" is in Denmark too.
            let danish = page_in(&app, &path, "da").await;
            assert_eq!(selected_currency(&danish), "DKK");

            // Not accepted (CAD), or a language of many countries: the campaign's own currency.
            for al in ["en-CA", "en", "es"] {
                let html = page_in(&app, &path, al).await;
                assert_eq!(selected_currency(&html), "GBP", "{al}");
            }
            let uk = page_in(&app, &path, "en-GB").await;
            assert_eq!(shown_presets(&uk), ["£10", "£25", "£50", "£100"]);
            assert_eq!(shown_hint(&uk), "Up to £100,000 per donation.");
        }
        // The limit shown in rupees is the largest whole amount within £100,000.
        let india = page_in(&app, &path, "en-IN").await;
        let hint = shown_hint(&india);
        let digits: String = hint.chars().filter(char::is_ascii_digit).collect();
        let shown: i64 = digits.parse().expect("a number");
        let inr = CurrencyCode::parse("INR").expect("INR");
        let rate = rates::latest(&tdb.db)
            .await
            .expect("rates")
            .rate(inr, gbp())
            .expect("rate");
        let in_gbp = |units: i64| {
            Money::new(units * 100, inr)
                .convert(rate, gbp())
                .expect("converts")
                .amount_minor
        };
        assert!(in_gbp(shown) <= 10_000_000, "{hint}");
        assert!(in_gbp(shown + 1) > 10_000_000, "{hint}");
        // Over it, the error names the limit in rupees too.
        let over = (shown + 1).to_string();
        let res = donate_in(&app, "en-IN", &[("amount", &over), ("currency", "INR")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let err = amount_error(&res.text().await.expect("body"));
        let max_text = hint.split_whitespace().nth(2).expect("the limit");
        assert!(max_text.starts_with('₹'), "{hint}");
        assert!(err.contains(max_text), "{err} names {max_text}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_preset_is_paid_only_in_its_own_currency() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        // Without JavaScript the rupee presets stay on screen when the select says GBP: the
        // ₹500 preset is refused, not paid as £500, and the pound presets come back.
        let sessions = count(&tdb.db, "checkout_sessions").await;
        let res = donate_in(
            &app,
            "en-IN",
            &[("preset", "500 INR"), ("amount", ""), ("currency", "GBP")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert_eq!(
            amount_error(&html),
            "The amounts to pick from were in INR, but you chose GBP. Pick an amount in GBP, or type one."
        );
        assert_eq!(selected_currency(&html), "GBP");
        assert_eq!(shown_presets(&html), ["£10", "£25", "£50", "£100"]);
        assert_eq!(count(&tdb.db, "checkout_sessions").await, sessions);
        // In its own currency it is paid; a typed amount wins over a preset.
        let res = donate_in(&app, "en-IN", &[("preset", "500 INR"), ("currency", "INR")]).await;
        assert!(checkout_amount(&app, res, "en-IN").await.contains("₹500"));
        let res = donate_in(
            &app,
            "en-IN",
            &[("preset", "500 INR"), ("amount", "750"), ("currency", "INR")],
        )
        .await;
        assert!(checkout_amount(&app, res, "en-IN").await.contains("₹750"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_rate_line_speaks_the_pages_language_and_names_its_day() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let thanks = app.donate_through_checkout(SLUG, "1000", "INR", "succeed").await;
        // 0.84638 GBP / 89.2495 INR per euro (the bundled sheet of 28 June 2024), to five
        // significant digits.
        let da = page_in(&app, &thanks, "da-DK").await;
        assert!(
            da.contains(
                "Anvendt kurs: 1 INR = 0,0094833 GBP, Den Europæiske Centralbanks referencekurs fra 28. juni 2024"
            ),
            "{da}"
        );
        let en = page_in(&app, &thanks, "en-GB").await;
        assert!(
            en.contains(
                "Rate used: 1 INR = 0.0094833 GBP, the European Central Bank&#39;s reference rate of 28 June 2024"
            ),
            "{en}"
        );
        // The donation keeps the full rate the conversion used.
        let id = thanks.rsplit('/').next().expect("id");
        let d = ledger::donation(&tdb.db, id).await.expect("db").expect("donation");
        assert_eq!(d.rate.parse::<Decimal>().ok(), Some(Decimal::new(948330242746458, 17)));
        app.stop().await;
    })
    .await;
}

/// A member's request with the Danish interface.
async fn post_danish(
    app: &TestApp,
    who: &Who,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("cookie", format!("sr_session={}; lang=da", who.token))
        .form(form)
        .send()
        .await
        .expect("POST")
}

async fn page_danish(app: &TestApp, who: &Who, path: &str) -> String {
    app.client
        .get(app.url(path))
        .header("cookie", format!("sr_session={}; lang=da", who.token))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body")
}

/// The campaign editor's form posted with the Danish interface.
async fn post_editor_danish(
    app: &TestApp,
    who: &Who,
    fields: &[(String, String)],
) -> reqwest::Response {
    let (ct, body) = multipart(fields, None);
    app.client
        .post(app.url(&format!("/admin/campaigns/{SLUG}")))
        .header("cookie", format!("sr_session={}; lang=da", who.token))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("POST multipart")
}

#[tokio::test]
async fn the_console_reads_amounts_in_the_members_language() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, SLUG).await;
        let owner = team_member("owner")
            .zone("Europe/Copenhagen")
            .role(Role::Owner)
            .signed_in(db)
            .await;
        let app = TestApp::start(settings(&tdb)).await;

        // The editor: a goal of "2.500" is 2,500 pounds (was £2.50), a milestone of
        // "1.250,50" is 1,250.50 (was refused).
        let form = page_danish(&app, &owner, &format!("/admin/campaigns/{SLUG}")).await;
        let token = hidden_value(&form, "csrf").expect("csrf");
        let fields = editor_fields(
            &token,
            &[("goal", "2.500"), ("milestones", "1.250,50: Hylder")],
        );
        let res = post_editor_danish(&app, &owner, &fields).await;
        assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
        let saved = repo::by_id(db, &c.id).await.expect("db").expect("campaign");
        assert_eq!(saved.goal.amount_minor, 250_000);
        let ms = repo::milestones(db, &saved).await.expect("milestones");
        assert_eq!(ms[0].amount.amount_minor, 125_050);
        // Shown again as the member reads them, so saving unchanged changes nothing.
        let form = page_danish(&app, &owner, &format!("/admin/campaigns/{SLUG}")).await;
        assert!(form.contains("value=\"2.500\""), "{form}");
        assert!(form.contains("1.250,50: Hylder"), "{form}");

        // An offline gift of "1.000" kroner is 1,000 kr. (was 1 kr.).
        let token = hidden_value(&page_danish(&app, &owner, "/admin/donations").await, "csrf")
            .expect("csrf");
        let res = post_danish(
            &app,
            &owner,
            "/admin/donations",
            &[
                ("csrf", &token),
                ("campaign", SLUG),
                ("amount", "1.000"),
                ("currency", "DKK"),
                ("visibility", "private"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
        let id = location(&res)
            .strip_prefix("/admin/donations/")
            .and_then(|r| r.split('?').next())
            .expect("donation id")
            .to_string();
        let d = ledger::donation(db, &id)
            .await
            .expect("db")
            .expect("donation");
        assert_eq!((d.amount_minor, d.currency.as_str()), (100_000, "DKK"));
        app.stop().await;
    })
    .await;
}
