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

/// Posts the donate form (GBP, public, `fields` added: the amount at least) with the form
/// token `token`, as sent from `from` (a path of our site: the form's same-origin
/// Referer), or from nowhere.
async fn post_donate(
    app: &TestApp,
    from: Option<&str>,
    token: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("currency", "GBP"),
        ("visibility", "public"),
        ("csrf", token),
    ];
    form.extend_from_slice(fields);
    let mut req = app
        .client
        .post(app.url(&format!("/campaigns/{SLUG}/donate")))
        .form(&form);
    if let Some(p) = from {
        req = req.header("referer", app.url(p));
    }
    req.send().await.expect("donate")
}

/// The test checkout session a donate post went on to.
fn session_of(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 303);
    location(res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout")
        .to_string()
}

/// Presses `outcome` (succeed, decline…) on the test checkout page of `session`.
async fn press(app: &TestApp, session: &str, outcome: &str) -> reqwest::Response {
    let page = app.text(&format!("/test-checkout/{session}")).await;
    let token = hidden_value(&page, "csrf").expect("csrf");
    let res = app
        .post_form(
            &format!("/test-checkout/{session}"),
            &[("csrf", &token), ("outcome", outcome)],
        )
        .await;
    assert_eq!(res.status(), 303);
    res
}

/// Donates `amount` through the test checkout with the donate form posted from `from`
/// (a path of our site: the form's same-origin Referer), or from nowhere.
async fn donate_from(app: &TestApp, from: Option<&str>, amount: &str) {
    let token = app.csrf(SLUG).await;
    let res = post_donate(
        app,
        from,
        &token,
        &[
            ("amount", amount),
            ("name", "Ada"),
            ("email", ""),
            ("message", ""),
        ],
    )
    .await;
    press(app, &session_of(&res), "succeed").await;
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

/// The address a declined payment of `session` gives the form back at.
fn location_of_back(session: &str) -> String {
    format!("/campaigns/{SLUG}?checkout=declined&from={session}")
}

#[tokio::test]
async fn a_form_shown_again_keeps_the_link_that_brought_the_donor() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let (code, _) = make_link(&app, "Ada's book club", true).await;
        let landing = format!("/campaigns/{SLUG}?ref={code}&utm_source=Mastodon");
        let carried = |html: &str| (hidden_value(html, "ref"), hidden_value(html, "utm_source"));
        let both = (Some(code.clone()), Some("mastodon".to_string()));

        // A field to mend: the form comes back from the donate address, the link's code
        // and the source in hidden fields.
        let token = app.csrf(SLUG).await;
        let res = post_donate(&app, Some(&landing), &token, &[("amount", "-3")]).await;
        assert_eq!(res.status(), 422);
        let again = res.text().await.expect("page");
        assert_eq!(carried(&again), both);

        // Posted again from there (the donate address has no code), then declined: the
        // form given back still carries them.
        let token = hidden_value(&again, "csrf").expect("csrf");
        let fields = [
            ("amount", "30"),
            ("ref", code.as_str()),
            ("utm_source", "mastodon"),
        ];
        let donate_path = format!("/campaigns/{SLUG}/donate");
        let res = post_donate(&app, Some(&donate_path), &token, &fields).await;
        let session = session_of(&res);
        let back = app
            .text(&location(&press(&app, &session, "decline").await))
            .await;
        assert_eq!(carried(&back), both);

        // A plain page's form carries none.
        let plain = app.text(&format!("/campaigns/{SLUG}")).await;
        assert_eq!(carried(&plain), (None, None));

        // Posted again from the given-back form (its address has no code) and paid:
        // credited to the link.
        let token = hidden_value(&back, "csrf").expect("csrf");
        let res = post_donate(&app, Some(&location_of_back(&session)), &token, &fields).await;
        press(&app, &session_of(&res), "succeed").await;
        let rows = credited(&app.db).await;
        assert_eq!(rows, vec![(Some(code.clone()), Some("mastodon".into()))]);
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

async fn rows<T>(db: &shelfraiser::db::Db, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    match db {
        shelfraiser::db::Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.expect("rows"),
        shelfraiser::db::Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.expect("rows"),
    }
}

/// A `page_views` row: path, referrer, code, source, device, language, views, visitors.
type ViewRow = (String, String, String, String, String, String, i64, i64);

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";

async fn visit(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut req = app.client.get(app.url(path)).header("user-agent", PHONE);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("GET").status().as_u16()
}

#[tokio::test]
async fn page_views_are_counted_off_the_request_without_cookies_or_addresses() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let landing = "/campaigns/test-library?ref=bcdfghjk&utm_source=Mastodon";
        let from = [("referer", "https://social.example/@ada/1")];
        assert_eq!(visit(&app, landing, &from).await, 200);
        assert_eq!(visit(&app, landing, &from).await, 200);
        assert_eq!(visit(&app, "/campaigns/test-library/share", &[]).await, 200);
        // Not counted: asked not to be, crawlers, the console, missing pages.
        visit(&app, landing, &[("dnt", "1")]).await;
        visit(&app, landing, &[("sec-gpc", "1")]).await;
        app.client
            .get(app.url(landing))
            .header("user-agent", "Mozilla/5.0 (compatible; Googlebot/2.1)")
            .send()
            .await
            .expect("GET");
        visit(&app, "/admin", &[]).await;
        visit(&app, "/campaigns/nope", &[]).await;
        // Nothing reached the database on the request's way.
        assert_eq!(count(&app.db, "page_views").await, 0);
        let f = shelfraiser::promotion::insight::flush(&app.db, &app.state.views, chrono::Utc::now())
            .await
            .expect("flush");
        assert_eq!((f.views, f.new_visitors), (3, 2), "{f:?}");
        let got: Vec<ViewRow> = rows(
            &app.db,
            "SELECT path, referrer_host, ref_code, utm_source, device, lang, \
             CAST(views AS BIGINT), CAST(visitors AS BIGINT) FROM page_views ORDER BY path",
        )
        .await;
        assert_eq!(
            got,
            vec![
                (
                    "/campaigns/test-library".into(),
                    "social.example".into(),
                    "bcdfghjk".into(),
                    "mastodon".into(),
                    "phone".into(),
                    "en".into(),
                    2,
                    1
                ),
                (
                    "/campaigns/test-library/share".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    "phone".into(),
                    "en".into(),
                    1,
                    1
                ),
            ]
        );
        let days: Vec<(i64,)> = rows(&app.db, "SELECT CAST(visitors AS BIGINT) FROM visitor_days").await;
        assert_eq!(days, vec![(1,)], "one visitor on the whole site");
        // The same visitor again after a flush is not new; the views add up.
        visit(&app, landing, &from).await;
        let f = shelfraiser::promotion::insight::flush(&app.db, &app.state.views, chrono::Utc::now())
            .await
            .expect("flush");
        assert_eq!((f.views, f.new_visitors), (1, 0));
        let views: Vec<(i64,)> =
            rows(&app.db, "SELECT CAST(SUM(views) AS BIGINT) FROM page_views").await;
        assert_eq!(views, vec![(4,)]);
        // No address is stored: the visitor table holds 64-hex-digit hashes only, and no
        // column anywhere in insight's tables holds the address.
        let hashes: Vec<(String,)> = rows(&app.db, "SELECT visitor_hash FROM page_visitors").await;
        assert_eq!(hashes.len(), 3, "the page's, the share kit's and the site's");
        assert!(hashes.iter().all(|(h,)| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit())));
        let text: Vec<(String,)> = rows(
            &app.db,
            "SELECT path || referrer_host || ref_code || utm_source || device || lang FROM page_views",
        )
        .await;
        assert!(text.iter().all(|(t,)| !t.contains("127.0.0.1")));
        // Past days' hashes go with their salts; rows past the retention go too.
        let later = chrono::Utc::now() + chrono::Duration::days(2);
        shelfraiser::promotion::insight::prune(&app.db, 400, later)
            .await
            .expect("prune");
        assert_eq!(count(&app.db, "page_visitors").await, 0);
        assert_eq!(count(&app.db, "page_views").await, 2);
        shelfraiser::promotion::insight::prune(&app.db, 1, later)
            .await
            .expect("prune");
        assert_eq!(count(&app.db, "page_views").await, 0);
    })
    .await;
}

#[tokio::test]
async fn public_pages_set_no_cookies() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let (code, _) = make_link(&app, "", false).await;
        let id = uuid::Uuid::new_v4().to_string();
        let now = chrono::Utc::now();
        let sql = "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, \
                   comment_status, published_at, created_at, updated_at) \
                   VALUES ($1, 'article', 'published', 'hello', 'Post hello', 'Body', '', NULL, \
                   'open', $2, $2, $2)";
        match &app.db {
            shelfraiser::db::Db::Sqlite(p) => sqlx::query(sql)
                .bind(&id)
                .bind(now)
                .execute(p)
                .await
                .map(|_| ()),
            shelfraiser::db::Db::Postgres(p) => sqlx::query(sql)
                .bind(&id)
                .bind(now)
                .execute(p)
                .await
                .map(|_| ()),
        }
        .expect("post");
        let blog = app.text("/blog/").await;
        let at = blog.find("/hello").expect("the post on the blog's index");
        let start = blog[..at].rfind('"').expect("href") + 1;
        let end = at + blog[at..].find('"').expect("href end");
        let post = blog[start..end].to_string();
        for path in [
            "/".to_string(),
            format!("/campaigns/{SLUG}"),
            format!("/campaigns/{SLUG}?ref={code}&utm_source=x"),
            "/blog/".to_string(),
            post,
            format!("/r/{code}"),
            format!("/campaigns/{SLUG}/badge.svg"),
            format!("/campaigns/{SLUG}/share"),
            format!("/campaigns/{SLUG}/supporters"),
        ] {
            let res = app
                .client
                .get(app.url(&path))
                .header("user-agent", PHONE)
                .send()
                .await
                .expect("GET");
            assert!(res.status().as_u16() < 400, "{path}: {}", res.status());
            assert!(
                res.headers().get("set-cookie").is_none(),
                "{path} set a cookie"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_insight_report_says_what_brought_the_money() {
    use shelfraiser::team::Role;
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;
        let (code, _) = make_link(&app, "Ada's book club", false).await;
        visit(
            &app,
            &format!("/campaigns/{SLUG}?ref={code}"),
            &[("referer", "https://social.example/@ada/1")],
        )
        .await;
        donate_from(&app, Some(&format!("/campaigns/{SLUG}?ref={code}")), "25").await;
        donate_from(
            &app,
            Some(&format!("/campaigns/{SLUG}?utm_source=newsletter")),
            "12",
        )
        .await;
        donate_from(&app, None, "7").await;
        // The page's script sent the other site that brought the visitor (`via`).
        let token = app.csrf(SLUG).await;
        let res = post_donate(
            &app,
            Some(&format!("/campaigns/{SLUG}")),
            &token,
            &[("amount", "9"), ("via", "Supporter.Blog.example")],
        )
        .await;
        press(&app, &session_of(&res), "succeed").await;
        shelfraiser::promotion::insight::flush(&app.db, &app.state.views, chrono::Utc::now())
            .await
            .expect("flush");

        let owner = crate::treasurer::signed_in(&app.db, "olga", "UTC", Role::Owner).await;
        let res = get_as(&app, "/admin/insight", &owner).await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.expect("page");
        assert!(page.contains("social.example"), "referring site");
        assert!(page.contains(&code), "the link's code");
        assert!(
            page.contains("Link: Ada&#x27;s book club")
                || page.contains("Link: Ada&#39;s book club"),
            "{page}"
        );
        assert!(page.contains("£25"));
        assert!(page.contains("Source: newsletter"));
        assert!(page.contains("Direct or not known"));
        assert!(page.contains("Site: supporter.blog.example"), "{page}");
        assert!(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\""));
        assert!(page.contains("£53"), "the running total in the table");
        // The dashboard's card.
        let dash = page_as(&app, "/admin", &owner).await;
        assert!(dash.contains("page views in the last 7 days"), "{dash}");
        assert!(dash.contains("most from social.example"), "{dash}");
        // The CSV.
        let res = get_as(&app, &format!("/admin/insight.csv?campaign={SLUG}"), &owner).await;
        assert_eq!(res.status(), 200);
        let csv = res.text().await.expect("csv");
        let today = chrono::Utc::now().date_naive();
        assert!(csv.starts_with(
            "day,views,visitors,donations,amount_minor,cumulative_minor,currency\r\n"
        ));
        // The share kit, the landing and the four donate forms.
        assert!(
            csv.contains(&format!("{today},6,1,4,5300,5300,GBP\r\n")),
            "{csv}"
        );
        // Not for an editor.
        let editor = crate::treasurer::signed_in(&app.db, "eddie", "UTC", Role::Editor).await;
        assert_eq!(get_as(&app, "/admin/insight", &editor).await.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn team_members_make_and_delete_their_own_links_in_the_console() {
    use crate::team_harness::{audit_count, team_member};
    use shelfraiser::team::Role;
    each_backend(|tdb| async move {
        let db = &tdb.db;
        seed_campaign(db, SLUG).await;
        let wendy = team_member("wendy").role(Role::Member).signed_in(db).await;
        let other = team_member("otto").role(Role::Member).signed_in(db).await;
        let app = TestApp::start(settings(&tdb)).await;

        // Without a session: the sign-in page, not the list.
        let res = app.get("/admin/links").await;
        assert_ne!(res.status(), 200);

        let page = wendy.page(&app, "/admin/links").await;
        assert!(page.contains("You have no links yet"), "{page}");
        let res = submit(
            &app,
            "/admin/links",
            "/admin/links",
            &wendy.token,
            &[
                ("campaign", SLUG),
                ("name", "Wendy at the library"),
                ("board", "yes"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/admin/links?done=created");
        assert_eq!(audit_count(db, "referral.created").await, 1);
        let page = wendy.page(&app, "/admin/links").await;
        let code = page
            .split("/r/")
            .nth(1)
            .and_then(|r| r.split(['"', '<']).next())
            .expect("the link's address")
            .to_string();
        assert!(page.contains("Wendy at the library"), "{page}");

        // A gift through it shows on the list and on the board.
        donate_from(&app, Some(&format!("/campaigns/{SLUG}?ref={code}")), "12").await;
        let page = wendy.page(&app, "/admin/links").await;
        assert!(page.contains("£12"), "{page}");
        let board = app.text(&format!("/campaigns/{SLUG}/supporters")).await;
        assert!(board.contains("Wendy at the library"), "{board}");

        // A campaign that is not there: the form again, with why.
        let res = submit(
            &app,
            "/admin/links",
            "/admin/links",
            &wendy.token,
            &[("campaign", "nowhere"), ("name", "x")],
        )
        .await;
        assert_eq!(res.status(), 422);

        // Another member neither sees nor deletes it; its maker does.
        let theirs = other.page(&app, "/admin/links").await;
        assert!(!theirs.contains(&code), "{theirs}");
        let token = bound_csrf(&app, "/admin/links", &other.token).await;
        let res = other
            .post(&app, &format!("/admin/links/{code}"), &[("csrf", &token)])
            .await;
        assert_eq!(res.status(), 404);
        let token = bound_csrf(&app, "/admin/links", &wendy.token).await;
        let res = wendy
            .post(&app, &format!("/admin/links/{code}"), &[("csrf", "wrong")])
            .await;
        assert_eq!(res.status(), 422, "no token, no deletion");
        let res = wendy
            .post(&app, &format!("/admin/links/{code}"), &[("csrf", &token)])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(audit_count(db, "referral.deleted").await, 1);
        assert_eq!(app.get(&format!("/r/{code}")).await.status(), 404);
    })
    .await;
}
