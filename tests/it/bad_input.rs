//! Hostile and mistaken input to the donate form (`POST /campaigns/{slug}/donate`), error
//! pages, security headers and the operational endpoints. Every refused form stores
//! nothing: no checkout session, no donation.

use shelfraiser::campaigns::{CampaignState, repo};

use crate::donations::contains_escaped;
use crate::harness::*;

const SLUG: &str = "test-library";

/// Words that must never reach a visitor.
fn assert_no_internals(body: &str, what: &str) {
    let lower = body.to_lowercase();
    for leak in [
        "sqlx",
        "panicked",
        "database error",
        "stack backtrace",
        "src/",
        ".rs:",
        "rust_backtrace",
    ] {
        assert!(!lower.contains(leak), "{what}: the page contains {leak:?}");
    }
}

/// The opening tag of the form control for `field` (`id="FIELD"`; for the visibility radio
/// buttons, the first of them).
fn field_tag<'a>(html: &'a str, field: &str) -> &'a str {
    let needle = if field == "visibility" {
        "name=\"visibility\" value=\"public\"".to_string()
    } else {
        format!("id=\"{field}\"")
    };
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no element with {needle}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = at + html[at..].find('>').expect("tag end");
    &html[start..=end]
}

async fn assert_nothing_stored(app: &TestApp, what: &str) {
    assert_eq!(
        count(&app.db, "checkout_sessions").await,
        0,
        "{what}: a checkout session was stored"
    );
    assert_eq!(
        count(&app.db, "donations").await,
        0,
        "{what}: a donation was stored"
    );
}

/// A valid form, with `over` replacing fields.
fn form<'a>(over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f: Vec<(&str, &str)> = vec![
        ("amount", "25"),
        ("currency", "GBP"),
        ("name", "Ada"),
        ("email", ""),
        ("message", ""),
        ("visibility", "public"),
    ];
    for (k, v) in over {
        match f.iter_mut().find(|(fk, _)| fk == k) {
            Some(slot) => slot.1 = v,
            None => f.push((k, v)),
        }
    }
    f
}

/// What is sent, the field that must be marked, the message shown and the text that must
/// come back in the form.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str, &'a str);

#[tokio::test]
async fn field_errors_show_the_form_again_and_store_nothing() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let mut s = settings(&tdb);
        s.donations.max_amount_major = 500;
        let app = TestApp::start(s).await;

        let long_name = "N".repeat(81);
        let long_message = "m".repeat(501);
        let cases: Vec<Case> = vec![
            (
                "zero",
                vec![("amount", "0")],
                "amount",
                "The amount must be more than zero.",
                "value=\"0\"",
            ),
            (
                "negative",
                vec![("amount", "-5")],
                "amount",
                "The amount must be more than zero.",
                "value=\"-5\"",
            ),
            (
                "letters",
                vec![("amount", "abc")],
                "amount",
                "Enter the amount as a number, like 25 or 25.50.",
                "value=\"abc\"",
            ),
            (
                "exponent",
                vec![("amount", "1e5")],
                "amount",
                "Enter the amount as a number, like 25 or 25.50.",
                "value=\"1e5\"",
            ),
            (
                "empty",
                vec![("amount", "")],
                "amount",
                "Enter an amount, like 25 or 25.50.",
                "",
            ),
            (
                "three decimals in GBP",
                vec![("amount", "25.555")],
                "amount",
                "GBP has at most 2 decimal places.",
                "value=\"25.555\"",
            ),
            (
                "decimals in JPY",
                vec![("amount", "1.5"), ("currency", "JPY")],
                "amount",
                "JPY has no decimal places; enter a whole amount.",
                "<option selected>JPY</option>",
            ),
            (
                "above the maximum",
                vec![("amount", "600")],
                "amount",
                "The most we take in one donation is £500.",
                "value=\"600\"",
            ),
            (
                // 640 USD × 0.7906398879 = £506.01; the limit is shown in dollars: $632 is
                // £499.68, $633 would be £500.47.
                "converts above the maximum",
                vec![("amount", "640"), ("currency", "USD")],
                "amount",
                "The most we take in one donation is $632.",
                "<option selected>USD</option>",
            ),
            (
                "unknown currency",
                vec![("currency", "XYZ")],
                "currency",
                "Choose a currency from the list.",
                "value=\"25\"",
            ),
            (
                "currency the campaign does not take",
                vec![("currency", "SEK")],
                "currency",
                "This campaign does not take SEK.",
                "value=\"25\"",
            ),
            (
                "long name",
                vec![("name", long_name.as_str())],
                "name",
                "At most 80 characters, please.",
                long_name.as_str(),
            ),
            (
                "long message",
                vec![("message", long_message.as_str())],
                "message",
                "At most 500 characters, please.",
                long_message.as_str(),
            ),
            (
                "bad e-mail",
                vec![("email", "not-an-email")],
                "email",
                "That does not look like an e-mail address",
                "value=\"not-an-email\"",
            ),
            (
                "bad visibility",
                vec![("visibility", "everyone")],
                "visibility",
                "Choose how to show your donation.",
                "value=\"25\"",
            ),
        ];
        for (what, over, field, message, shown) in cases {
            let res = app.donate(SLUG, &form(&over)).await;
            assert_eq!(res.status().as_u16(), 422, "{what}");
            let html = res.text().await.expect("body");
            assert!(html.contains("Please check the marked fields."), "{what}");
            assert!(
                field_tag(&html, field).contains("aria-invalid=\"true\""),
                "{what}: {field} is not marked: {}",
                field_tag(&html, field)
            );
            assert!(
                html.contains(message),
                "{what}: no message {message:?} in the page"
            );
            assert!(html.contains(shown), "{what}: {shown:?} not shown again");
            assert_eq!(
                html.matches("aria-invalid=\"true\"").count(),
                if field == "visibility" { 3 } else { 1 },
                "{what}: only the wrong field is marked"
            );
            assert!(html.contains("name=\"csrf\""), "{what}: the form is back");
            assert_no_internals(&html, what);
            assert_nothing_stored(&app, what).await;
        }

        // What was typed comes back, escaped, next to the error.
        let res = app
            .donate(
                SLUG,
                &form(&[
                    ("amount", "abc"),
                    ("name", "<b>Ada & \"Bob\"</b>"),
                    ("message", "</textarea><script>alert(1)</script>"),
                    ("email", "ada@example.org"),
                    ("visibility", "anonymous"),
                ]),
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            contains_escaped(&html, "<b>Ada & \"Bob\"</b>"),
            "name shown again"
        );
        assert!(!html.contains("<b>Ada"), "name not escaped");
        assert!(contains_escaped(
            &html,
            "</textarea><script>alert(1)</script>"
        ));
        assert!(!html.contains("<script>alert"), "message not escaped");
        assert!(html.contains("value=\"ada@example.org\""));
        assert!(html.contains("value=\"anonymous\" checked"));
        assert_nothing_stored(&app, "escaping").await;

        // A donation just under the limit still goes through.
        let res = app.donate(SLUG, &form(&[("amount", "500")])).await;
        assert_eq!(res.status().as_u16(), 303);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn forged_forms_are_refused() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let path = format!("/campaigns/{SLUG}/donate");
        let expired = "The form expired or did not come from this site.";

        // No token.
        let res = app.post_form(&path, &form(&[("name", "No Token")])).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains(expired));
        assert!(
            html.contains("value=\"No Token\""),
            "typed values come back"
        );
        assert!(html.contains("name=\"csrf\""), "with a fresh token");
        assert_nothing_stored(&app, "missing csrf").await;

        // A made-up token, and an empty one.
        for token in ["123.abc", "", "1.2.3"] {
            let res = app.post_form(&path, &form(&[("csrf", token)])).await;
            assert_eq!(res.status().as_u16(), 422, "{token:?}");
            assert!(res.text().await.expect("body").contains(expired));
        }
        assert_nothing_stored(&app, "wrong csrf").await;

        // A real token, posted from another site.
        let token = app.csrf(SLUG).await;
        let res = app
            .client
            .post(app.url(&path))
            .header("origin", "https://evil.example")
            .form(&form(&[("csrf", token.as_str())]))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("body").contains(expired));
        let res = app
            .client
            .post(app.url(&path))
            .header("sec-fetch-site", "cross-site")
            .form(&form(&[("csrf", token.as_str())]))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);
        assert_nothing_stored(&app, "cross-site").await;

        // The same token from our own origin works.
        let res = app
            .client
            .post(app.url(&path))
            .header("origin", app.base.as_str())
            .form(&form(&[("csrf", token.as_str())]))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 303);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn closed_draft_and_missing_campaigns_take_nothing() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let draft = seed_campaign(&tdb.db, "draft-library").await;
        repo::set_state(&tdb.db, &draft.id, CampaignState::Draft)
            .await
            .expect("draft");
        let app = TestApp::start(settings(&tdb)).await;
        let token = app.csrf(SLUG).await;
        let mut fields = form(&[]);
        fields.push(("csrf", token.as_str()));

        // Closed: the page says so, and nothing is stored.
        repo::set_state(&tdb.db, &c.id, CampaignState::Closed)
            .await
            .expect("close");
        let res = app
            .post_form(&format!("/campaigns/{SLUG}/donate"), &fields)
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("This campaign is closed and no longer takes donations."));
        assert!(
            !html.contains("name=\"amount\""),
            "no form on a closed campaign"
        );
        assert_no_internals(&html, "closed");
        assert_nothing_stored(&app, "closed").await;

        // Draft: as if it did not exist.
        let res = app.get("/campaigns/draft-library").await;
        assert_eq!(res.status().as_u16(), 404);
        let res = app
            .post_form("/campaigns/draft-library/donate", &fields)
            .await;
        assert_eq!(res.status().as_u16(), 404);
        let html = res.text().await.expect("body");
        assert!(html.contains("We could not find that page."));
        assert!(!html.contains("Test library"), "the draft's content leaked");
        let res = app.get("/api/v1/campaigns/draft-library").await;
        assert_eq!(res.status().as_u16(), 404);

        // Missing.
        let res = app
            .post_form("/campaigns/does-not-exist/donate", &fields)
            .await;
        assert_eq!(res.status().as_u16(), 404);
        assert_nothing_stored(&app, "draft and missing").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn oversized_forms_are_refused() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let token = app.csrf(SLUG).await;
        let path = format!("/campaigns/{SLUG}/donate");

        // Over the form's own 16 KB limit.
        let padding = "x".repeat(17 * 1024);
        let mut fields = form(&[("padding", padding.as_str())]);
        fields.push(("csrf", token.as_str()));
        let res = app.post_form(&path, &fields).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            html.contains("That is more than we accept in one request."),
            "{html}"
        );
        assert_no_internals(&html, "16 KB");

        // Far over the router's body limit.
        let huge = "x".repeat(200 * 1024);
        let mut fields = form(&[("padding", huge.as_str())]);
        fields.push(("csrf", token.as_str()));
        let res = app.post_form(&path, &fields).await;
        assert_eq!(res.status().as_u16(), 413);
        assert_no_internals(&res.text().await.expect("body"), "200 KB");
        assert_nothing_stored(&app, "oversized").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn error_pages_are_friendly() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;

        for path in [
            "/campaigns/does-not-exist",
            "/no/such/page",
            "/campaigns/x/thanks/y",
        ] {
            let res = app.get(path).await;
            assert_eq!(res.status().as_u16(), 404, "{path}");
            let ct = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            assert!(ct.starts_with("text/html"), "{path}: {ct}");
            let html = res.text().await.expect("body");
            assert!(html.contains("We could not find that page."), "{path}");
            assert!(html.contains("href=\"/\""), "{path}: a way home");
            assert_no_internals(&html, path);
        }

        let res = app.get("/api/v1/campaigns/nope").await;
        assert_eq!(res.status().as_u16(), 404);
        let request_id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("x-request-id")
            .to_string();
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["error"]["code"], "not_found", "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(v["error"]["request_id"].as_str(), Some(request_id.as_str()));
        assert_no_internals(&v.to_string(), "API 404");

        // A thank-you page for a donation that does not exist, or a test checkout for a
        // session that does not exist.
        let res = app.get("/test-checkout/no-such-session").await;
        assert_eq!(res.status().as_u16(), 404);
        assert_no_internals(&res.text().await.expect("body"), "checkout 404");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn security_headers_and_operations_endpoints() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;

        for path in [format!("/campaigns/{SLUG}"), "/".into(), "/nope".into()] {
            let res = app.get(&path).await;
            let h = res.headers();
            let header = |name: &str| {
                h.get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_else(|| panic!("{path}: no {name}"))
                    .to_string()
            };
            let csp = header("content-security-policy");
            let script_src = csp
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with("script-src"))
                .unwrap_or_else(|| panic!("{path}: no script-src in {csp}"));
            assert!(!script_src.contains("'unsafe-inline'"), "{csp}");
            assert!(!script_src.contains("'unsafe-eval'"), "{csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            assert!(csp.contains("object-src 'none'"), "{csp}");
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert!(!header("referrer-policy").is_empty());
            assert!(!header("x-request-id").is_empty());
        }

        // The page itself has no inline script for the CSP to refuse.
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        for (i, _) in page.match_indices("<script") {
            let tag = &page[i..i + page[i..].find('>').expect("tag end")];
            assert!(tag.contains(" src="), "inline script: {tag}");
        }

        let res = app.get("/healthz").await;
        assert_eq!(res.status().as_u16(), 200);
        let res = app.get("/readyz").await;
        assert_eq!(res.status().as_u16(), 200);
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains("shelfraiser_http_requests_total"),
            "{metrics}"
        );
        assert!(metrics.contains("shelfraiser_http_requests_total{class=\"2xx\"}"));

        let res = app.get("/api/openapi.json").await;
        assert_eq!(res.status().as_u16(), 200);
        let doc: serde_json::Value = res.json().await.expect("json");
        assert!(
            doc["paths"]["/api/v1/campaigns/{slug}"].is_object(),
            "{}",
            doc["paths"]
        );
        assert!(doc["paths"]["/api/v1/campaigns"].is_object());
        app.stop().await;
    })
    .await;
}
