//! Promotion: the live badge (an accessible SVG with the totals as they are now, in the
//! reader's language, cached a minute), the embeddable card (the only page other sites may
//! frame) and the oEmbed endpoint the campaign page advertises.

use serde_json::Value;

use crate::harness::*;

const SLUG: &str = "test-library";

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn get_lang(app: &TestApp, path: &str, lang: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept-language", lang)
        .send()
        .await
        .expect("GET")
}

#[tokio::test]
async fn the_badge_shows_the_totals_as_they_are_now() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let res = get_lang(&app, "/campaigns/test-library/badge.svg", "en").await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "image/svg+xml");
        assert_eq!(header(&res, "cache-control"), "public, max-age=60");
        let svg = res.text().await.expect("svg");
        assert!(svg.contains("role=\"img\""));
        assert!(
            svg.contains("<title id=\"t\">Test library: £0 raised of £1,000 (0% of the goal)"),
            "{svg}"
        );

        app.donate_through_checkout(SLUG, "250", "GBP", "succeed")
            .await;
        let svg = app.text("/campaigns/test-library/badge.svg").await;
        assert!(svg.contains("£250 raised of £1,000"), "{svg}");
        assert!(svg.contains("25% of the goal"));
        assert!(
            svg.contains("width=\"74\" height=\"10\""),
            "a quarter of the bar: {svg}"
        );
        // In the reader's language.
        let da = get_lang(&app, "/campaigns/test-library/badge.svg", "da")
            .await
            .text()
            .await
            .expect("svg");
        assert!(da.contains("indsamlet af"), "{da}");
        // Drafts and unknown campaigns have none.
        exec(&app.db, "UPDATE campaigns SET state = 'draft'").await;
        assert_eq!(
            app.get("/campaigns/test-library/badge.svg").await.status(),
            404
        );
        assert_eq!(app.get("/campaigns/nope/badge.svg").await.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn only_the_card_may_be_framed_and_oembed_describes_it() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;

        // The campaign page: framing denied; it advertises its oEmbed description.
        let res = app.get("/campaigns/test-library").await;
        assert_eq!(header(&res, "x-frame-options"), "DENY");
        assert!(header(&res, "content-security-policy").contains("frame-ancestors 'none'"));
        let page = res.text().await.expect("page");
        let campaign_url = app.url("/campaigns/test-library");
        let (_, after) = page
            .split_once("<link rel=\"alternate\" type=\"application/json+oembed\" href=\"")
            .expect("the oEmbed link");
        let href = after.split('"').next().expect("href").replace("&amp;", "&");
        assert!(href.starts_with(&app.url("/oembed?url=")), "{href}");
        let advertised: Value = app
            .client
            .get(&href)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("json");
        assert_eq!(advertised["title"], "Test library");

        // The card: framable by anyone, live, its links opening a new tab.
        let res = app.get("/campaigns/test-library/embed").await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "x-frame-options"), "");
        let csp = header(&res, "content-security-policy");
        assert!(csp.contains("frame-ancestors *"), "{csp}");
        assert!(
            csp.contains("script-src 'self'"),
            "the rest of the policy stays: {csp}"
        );
        let card = res.text().await.expect("card");
        assert!(card.contains("<base target=\"_blank\">"));
        assert!(card.contains("data-live=\"/campaigns/test-library/live\""));
        assert!(card.contains("Test library"));

        // oEmbed: the card's frame, within the size asked.
        let res = app
            .client
            .get(app.url("/oembed"))
            .query(&[
                ("url", format!("{campaign_url}/")),
                ("format", "json".into()),
                ("maxwidth", "300".into()),
            ])
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "application/json");
        let doc: Value = res.json().await.expect("json");
        assert_eq!(doc["type"], "rich");
        assert_eq!(doc["width"], 300);
        let html = doc["html"].as_str().expect("html");
        assert!(html.starts_with(&format!(
            "<iframe src=\"{}/embed\" width=\"300\"",
            campaign_url
        )));
        assert_eq!(doc["provider_url"], app.url("/"));
        for (query, status) in [
            (
                vec![("url", campaign_url.clone()), ("format", "xml".into())],
                501,
            ),
            (vec![("url", app.url("/campaigns/nope"))], 404),
            (
                vec![(
                    "url",
                    "https://elsewhere.example/campaigns/test-library".into(),
                )],
                404,
            ),
            (vec![("format", "json".into())], 400),
        ] {
            let res = app
                .client
                .get(app.url("/oembed"))
                .query(&query)
                .send()
                .await
                .expect("GET");
            assert_eq!(res.status(), status, "{query:?}");
        }
        // Every other page still refuses frames.
        let res = app.get("/oembed").await;
        assert_eq!(header(&res, "x-frame-options"), "DENY");
    })
    .await;
}

#[tokio::test]
async fn the_share_kit_and_the_poster_need_no_third_party_script() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let campaign = app.text("/campaigns/test-library").await;
        assert!(campaign.contains("href=\"/campaigns/test-library/share\""));

        let res = app.get("/campaigns/test-library/share").await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.expect("html");
        let url = app.url("/campaigns/test-library");
        assert!(
            html.contains(&format!(
                "Help Test library: £0 raised of £1,000 so far. {url}</textarea>"
            )),
            "{html}"
        );
        for network in [
            "https://bsky.app/intent/compose?text=Help%20Test%20library",
            "https://x.com/intent/post?text=",
            "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2F127%2E0%2E0%2E1",
            "https://wa.me/?text=",
            "mailto:?subject=Help%20Test%20library",
        ] {
            assert!(html.contains(network), "{network}");
        }
        // Nothing loads from another site: links only.
        assert!(!html.contains("<script src=\"http"));
        assert!(
            !html.contains("<iframe"),
            "the card's code is text, escaped"
        );
        assert!(html.contains("&#60;iframe src="));
        assert!(html.contains("badge.svg"));

        // Mastodon: the reader's server, then a link to its share page.
        let res = app
            .get("/campaigns/test-library/share?server=%40me%40Social.example")
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.expect("html");
        assert!(
            html.contains("href=\"https://social.example/share?text=Help%20Test%20library"),
            "{html}"
        );
        let res = app
            .get("/campaigns/test-library/share?server=not%20a%20server")
            .await;
        assert_eq!(res.status(), 400);
        assert!(
            res.text()
                .await
                .expect("html")
                .contains("aria-invalid=\"true\"")
        );

        // In Danish.
        let da = app
            .client
            .get(app.url("/campaigns/test-library/share"))
            .header("accept-language", "da")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("html");
        assert!(da.contains("Støt Test library"), "{da}");

        // The poster: the campaign's address as text and as a QR code.
        let poster = app.text("/campaigns/test-library/poster").await;
        assert!(poster.contains("<svg role=\"img\" aria-label=\"Test library\" class=\"qr\""));
        assert!(poster.contains(&format!("<strong>{url}</strong>")));
        assert_eq!(app.get("/campaigns/nope/share").await.status(), 404);
        assert_eq!(app.get("/campaigns/nope/poster").await.status(), 404);
    })
    .await;
}
