//! The donor's path after the hosted checkout (issue 11): a finished checkout's page leads
//! on (to the donation's thank-you page, back to the filled-in form, or to the campaign),
//! and a declined or canceled payment comes back to the donate form as the donor typed it —
//! without the e-mail address, on a page that is neither cached nor stored, and only for
//! that campaign's failed checkout while it would still have been open.

use crate::harness::*;

/// Posts the donate form with `fields` and returns the checkout session's id.
async fn checkout(app: &TestApp, slug: &str, fields: &[(&str, &str)]) -> String {
    let res = app.donate(slug, fields).await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "donate redirects to the checkout"
    );
    location(&res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout URL")
        .to_string()
}

/// Presses `outcome` on the hosted test page of `session`; the Location it answers.
async fn press(app: &TestApp, session: &str, outcome: &str) -> String {
    let page = app.text(&format!("/test-checkout/{session}")).await;
    let token = hidden_value(&page, "csrf").expect("csrf on the checkout page");
    let res = app
        .post_form(
            &format!("/test-checkout/{session}"),
            &[("csrf", &token), ("outcome", outcome)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    location(&res)
}

const ADA: &[(&str, &str)] = &[
    ("amount", "12.5"),
    ("currency", "EUR"),
    ("name", "Ada Lovelace"),
    ("email", "ada@example.org"),
    ("message", "Keep the lights on"),
    ("visibility", "anonymous"),
];

/// The `<input id="ID" …>` tag of `html`.
fn input_tag<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<input id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} input"));
    let end = html[start..].find('>').expect("end of the tag") + start;
    &html[start..=end]
}

/// The donate form's textarea content.
fn message_field(html: &str) -> &str {
    let start = html
        .find("<textarea id=\"message\"")
        .expect("message field");
    let open = html[start..].find('>').expect("tag end") + start + 1;
    let close = html[open..].find("</textarea>").expect("textarea end") + open;
    &html[open..close]
}

#[tokio::test]
async fn a_declined_or_canceled_payment_returns_the_form_as_typed() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "path-library").await;
        let app = TestApp::start(settings(&tdb)).await;

        let session = checkout(&app, "path-library", ADA).await;
        let to = press(&app, &session, "decline").await;
        assert!(
            to.starts_with("/campaigns/path-library?checkout=declined&from=")
                && to.contains(&session)
                && to.ends_with("#donate"),
            "{to}"
        );
        let res = app.get(&to).await;
        assert_eq!(res.status().as_u16(), 200);
        let cache = res
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(cache.contains("no-store"), "not kept anywhere: {cache:?}");
        let html = res.text().await.expect("body");
        assert!(html.contains("payment was declined"), "the notice is shown");
        assert!(
            input_tag(&html, "amount").contains("value=\"12.50\""),
            "{}",
            input_tag(&html, "amount")
        );
        assert!(
            html.contains("<option selected>EUR</option>"),
            "EUR chosen again"
        );
        assert!(input_tag(&html, "name").contains("value=\"Ada Lovelace\""));
        assert_eq!(message_field(&html), "Keep the lights on");
        assert!(
            html.contains("value=\"anonymous\" checked"),
            "the visibility chosen is chosen again"
        );
        assert!(
            !html.contains("ada@example.org"),
            "the e-mail address is not shown again"
        );

        // The campaign page itself is unchanged and still cached for everyone else.
        let plain = app.text("/campaigns/path-library").await;
        assert!(!plain.contains("Keep the lights on"));
        assert!(input_tag(&plain, "name").contains("value=\"\""));

        // A canceled payment with a preset amount comes back with the preset chosen.
        let session2 = checkout(
            &app,
            "path-library",
            &[
                ("amount", "25"),
                ("currency", "GBP"),
                ("name", "Grace"),
                ("email", ""),
                ("message", ""),
                ("visibility", "public"),
            ],
        )
        .await;
        let to = press(&app, &session2, "cancel").await;
        assert!(to.contains("checkout=canceled&from="), "{to}");
        let html = app.text(&to).await;
        assert!(
            html.contains("value=\"25 GBP\" checked"),
            "the preset is chosen again"
        );
        assert!(input_tag(&html, "name").contains("value=\"Grace\""));

        // Nothing is filled in from a session of another campaign, a paid one, or one past
        // the time it would have been open.
        seed_campaign(&tdb.db, "other-path").await;
        let html = app
            .text(&format!(
                "/campaigns/other-path?checkout=declined&from={session}"
            ))
            .await;
        assert!(!html.contains("Ada Lovelace"), "another campaign's session");
        let paid = checkout(&app, "path-library", ADA).await;
        let thanks = press(&app, &paid, "succeed").await;
        assert!(thanks.contains("/thanks/"), "{thanks}");
        let html = app
            .text(&format!(
                "/campaigns/path-library?checkout=declined&from={paid}"
            ))
            .await;
        assert!(!html.contains("Ada Lovelace"), "a paid session");
        exec(
            &tdb.db,
            &format!("UPDATE checkout_sessions SET expires_at = created_at WHERE id = '{session}'"),
        )
        .await;
        let html = app
            .text(&format!(
                "/campaigns/path-library?checkout=declined&from={session}"
            ))
            .await;
        assert!(!html.contains("Ada Lovelace"), "an expired session");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_finished_checkout_leads_on() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "finished-library").await;
        let app = TestApp::start(settings(&tdb)).await;

        // Paid: the page says so and links to the donation's thank-you page.
        let session = checkout(&app, "finished-library", ADA).await;
        let thanks = press(&app, &session, "succeed").await;
        assert!(
            thanks.starts_with("/campaigns/finished-library/thanks/"),
            "{thanks}"
        );
        let html = app.text(&format!("/test-checkout/{session}")).await;
        assert!(html.contains("This checkout is finished."));
        assert!(
            html.contains(&format!(
                "<a class=\"cta\" href=\"{thanks}\">See your thank-you page</a>"
            )),
            "{html}"
        );
        assert_eq!(app.get(&thanks).await.status().as_u16(), 200);

        // Declined: back to the form, filled in.
        let session = checkout(&app, "finished-library", ADA).await;
        press(&app, &session, "decline").await;
        let html = app.text(&format!("/test-checkout/{session}")).await;
        // (askama writes the `&` as `&#38;`)
        let href = format!(
            "href=\"/campaigns/finished-library?checkout=declined&#38;from={session}#donate\""
        );
        assert!(html.contains(&href), "{html}");
        assert!(html.contains("Back to the form, filled in as before"));

        // Expired before paying: to the campaign page.
        let session = checkout(&app, "finished-library", ADA).await;
        exec(
            &tdb.db,
            &format!("UPDATE checkout_sessions SET expires_at = created_at WHERE id = '{session}'"),
        )
        .await;
        let html = app.text(&format!("/test-checkout/{session}")).await;
        assert!(html.contains("has expired"));
        assert!(
            html.contains("href=\"/campaigns/finished-library\""),
            "{html}"
        );
        app.stop().await;
    })
    .await;
}
