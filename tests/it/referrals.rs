//! Referral links, attribution and the supporters' leaderboard (promotion::referrals,
//! donations::attribution), and cookie-less insight (promotion::insight).

use crate::harness::*;

const SLUG: &str = "test-library";

/// Makes a link on the share kit; returns its code and the page that shows it.
async fn make_link(app: &TestApp, name: &str, board: bool) -> (String, String) {
    let share = app.text(&format!("/campaigns/{SLUG}/share")).await;
    let token = hidden_value(&share, "csrf").expect("csrf on the share kit");
    let mut form = vec![("csrf", token.as_str()), ("name", name)];
    if board {
        form.push(("leaderboard", "yes"));
    }
    let res = app
        .post_form(&format!("/campaigns/{SLUG}/links"), &form)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer"),
        "the page shows a secret manage address"
    );
    let page = res.text().await.expect("page");
    let at = page.find("/r/").expect("the link on the page") + 3;
    let code: String = page[at..].chars().take(8).collect();
    (code, page)
}

/// Donates `amount` through the test checkout with the donate form posted from `from`
/// (a path of our site: the form's same-origin Referer), or from nowhere.
async fn donate_from(app: &TestApp, from: Option<&str>, amount: &str) {
    let token = app.csrf(SLUG).await;
    let mut req = app
        .client
        .post(app.url(&format!("/campaigns/{SLUG}/donate")))
        .form(&[
            ("amount", amount),
            ("currency", "GBP"),
            ("name", "Ada"),
            ("email", ""),
            ("message", ""),
            ("visibility", "public"),
            ("csrf", &token),
        ]);
    if let Some(p) = from {
        req = req.header("referer", app.url(p));
    }
    let res = req.send().await.expect("donate");
    assert_eq!(res.status(), 303);
    let session = location(&res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout")
        .to_string();
    let page = app.text(&format!("/test-checkout/{session}")).await;
    let token = hidden_value(&page, "csrf").expect("csrf");
    let res = app
        .post_form(
            &format!("/test-checkout/{session}"),
            &[("csrf", &token), ("outcome", "succeed")],
        )
        .await;
    assert_eq!(res.status(), 303);
}

async fn credited(db: &shelfraiser::db::Db) -> Vec<(Option<String>, Option<String>)> {
    let rows: Vec<(Option<String>, Option<String>)> = match db {
        shelfraiser::db::Db::Sqlite(p) => sqlx::query_as(
            "SELECT ref_code, utm_source FROM checkout_sessions WHERE status = 'succeeded' ORDER BY created_at",
        )
        .fetch_all(p)
        .await
        .expect("sessions"),
        shelfraiser::db::Db::Postgres(p) => sqlx::query_as(
            "SELECT ref_code, utm_source FROM checkout_sessions WHERE status = 'succeeded' ORDER BY created_at",
        )
        .fetch_all(p)
        .await
        .expect("sessions"),
    };
    rows
}

#[tokio::test]
async fn a_visit_through_a_referral_link_that_donates_is_credited_to_it() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let (code, page) = make_link(&app, "Ada's book club", true).await;
        assert!(
            page.contains("Ada&#x27;s book club") || page.contains("Ada&#39;s book club"),
            "{page}"
        );
        assert!(page.contains(&format!("/r/{code}/manage?key=")));

        // Following the link: to the campaign page with the code in its address.
        let res = app.get(&format!("/r/{code}")).await;
        assert_eq!(res.status(), 303);
        let landing = location(&res);
        assert_eq!(landing, format!("/campaigns/{SLUG}?ref={code}"));
        assert!(res.headers().get("set-cookie").is_none());
        assert_eq!(app.get(&landing).await.status(), 200);
        assert_eq!(app.get("/r/bcdfghjk").await.status(), 404, "unknown code");
        assert_eq!(app.get("/r/nope").await.status(), 404);

        // The donate form posted from that page: credited. One posted from the plain page
        // (or with no Referer at all): not.
        donate_from(&app, Some(&landing), "25").await;
        donate_from(&app, Some(&format!("/campaigns/{SLUG}")), "40").await;
        donate_from(&app, None, "7").await;
        donate_from(
            &app,
            Some(&format!("/campaigns/{SLUG}?utm_source=Newsletter")),
            "3",
        )
        .await;
        let rows = credited(&app.db).await;
        assert_eq!(
            rows,
            vec![
                (Some(code.clone()), None),
                (None, None),
                (None, None),
                (None, Some("newsletter".into())),
            ]
        );

        // A second link, not on the board: what it raised shows without its name.
        let (quiet, _) = make_link(&app, "Bo Quiet", false).await;
        donate_from(&app, Some(&format!("/campaigns/{SLUG}?ref={quiet}")), "10").await;
        let board = app.text(&format!("/campaigns/{SLUG}/supporters")).await;
        assert!(board.contains("book club"), "{board}");
        assert!(board.contains("£25"), "{board}");
        assert!(!board.contains("Bo Quiet"), "{board}");
        assert!(board.contains("Other supporters"), "{board}");
        assert!(board.contains("£10"), "{board}");
        assert!(
            !board.contains("£40") && !board.contains("£7"),
            "unrelated gifts: {board}"
        );

        // The manage address: rename, leave the board, delete.
        let manage = page
            .split(&format!("/r/{code}/manage?key="))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("manage key")
            .to_string();
        let path = format!("/r/{code}/manage?key={manage}");
        let form_page = app.text(&path).await;
        let token = hidden_value(&form_page, "csrf").expect("csrf");
        assert_eq!(
            app.get(&format!("/r/{code}/manage?key=wrong"))
                .await
                .status(),
            404
        );
        let res = app
            .post_form(
                &format!("/r/{code}/manage"),
                &[
                    ("csrf", &token),
                    ("key", &manage),
                    ("name", "Renamed"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let board = app.text(&format!("/campaigns/{SLUG}/supporters")).await;
        assert!(!board.contains("Renamed"), "left the board: {board}");
        assert!(
            board.contains("£35"),
            "both links' money, nameless: {board}"
        );
        let res = app
            .post_form(
                &format!("/r/{code}/manage"),
                &[("csrf", &token), ("key", &manage), ("action", "delete")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get(&format!("/r/{code}")).await.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn making_links_needs_the_form_token_and_is_limited_per_address() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let res = app
            .post_form(
                &format!("/campaigns/{SLUG}/links"),
                &[("csrf", "x"), ("name", "A")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let share = app.text(&format!("/campaigns/{SLUG}/share")).await;
        let token = hidden_value(&share, "csrf").expect("csrf");
        for _ in 0..10 {
            let res = app
                .post_form(&format!("/campaigns/{SLUG}/links"), &[("csrf", &token)])
                .await;
            assert_eq!(res.status(), 200);
        }
        let res = app
            .post_form(&format!("/campaigns/{SLUG}/links"), &[("csrf", &token)])
            .await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().get("retry-after").is_some());
        assert_eq!(count(&app.db, "referral_links").await, 10);
    })
    .await;
}
