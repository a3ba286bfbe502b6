//! Reading the blog over a real socket, on both backends: visibility, permalinks, slug
//! history and old-path redirects, archives, pagination, sticky posts, search, feeds,
//! metadata, sitemap, robots.txt and password-protected posts. Posts are inserted with SQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shelfraiser::db::Db;
use shelfraiser::on_db;

use crate::harness::*;

/// A post to insert directly.
pub(crate) struct P {
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) at: Option<DateTime<Utc>>,
    pub(crate) sticky: bool,
    pub(crate) author: Option<String>,
    pub(crate) campaign: Option<String>,
    pub(crate) password_hash: Option<String>,
}

pub(crate) fn article(slug: &str, title: &str, body: &str, at: DateTime<Utc>) -> P {
    P {
        kind: "article",
        status: "published",
        slug: slug.into(),
        title: title.into(),
        body: body.into(),
        at: Some(at),
        sticky: false,
        author: None,
        campaign: None,
        password_hash: None,
    }
}

pub(crate) async fn insert(db: &Db, p: P) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO posts (id, kind, status, slug, title, body_md, excerpt, author_id, campaign_id, \
         sticky, password_hash, published_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10, $11, $12, $12)"
    )
    .bind(&id)
    .bind(p.kind)
    .bind(p.status)
    .bind(&p.slug)
    .bind(&p.title)
    .bind(&p.body)
    .bind(&p.author)
    .bind(&p.campaign)
    .bind(p.sticky)
    .bind(&p.password_hash)
    .bind(p.at)
    .bind(now)
    .execute(pool)
    .await
    .expect("insert post")
    .rows_affected()
    });
    id
}

pub(crate) async fn exec(db: &Db, sql: &str, args: &[&str]) {
    on_db!(db, |pool| {
        let mut q = sqlx::query(sql);
        for a in args {
            q = q.bind(*a);
        }
        q.execute(pool).await.expect(sql);
    });
}

pub(crate) async fn member(db: &Db, name: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO members (id, email, display_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)"
    )
    .bind(&id)
    .bind(format!("{}@example.org", id))
    .bind(name)
    .bind(now)
    .execute(pool)
    .await
    .expect("insert member")
    .rows_affected()
    });
    id
}

pub(crate) async fn term(db: &Db, taxonomy: &str, slug: &str, name: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    exec(
        db,
        "INSERT INTO terms (id, taxonomy, slug, name) VALUES ($1, $2, $3, $4)",
        &[&id, taxonomy, slug, name],
    )
    .await;
    id
}

pub(crate) async fn tag_post(db: &Db, post: &str, term: &str) {
    exec(
        db,
        "INSERT INTO post_terms (post_id, term_id) VALUES ($1, $2)",
        &[post, term],
    )
    .await;
}

pub(crate) fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("date")
}

pub(crate) async fn status(app: &TestApp, path: &str) -> u16 {
    app.get(path).await.status().as_u16()
}

#[tokio::test]
async fn visibility_permalinks_slug_history_and_redirects() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let mut a = article("roof-done", "The roof is done", "Tiles *on*.", day(2024, 3, 7));
        a.campaign = Some(c.id.clone());
        let a_id = insert(db, a).await;
        insert(
            db,
            P {
                status: "draft",
                at: None,
                ..article("draft-one", "Draft", "secret draft", day(2024, 3, 7))
            },
        )
        .await;
        insert(
            db,
            P {
                status: "scheduled",
                ..article("later", "Later", "not yet", Utc::now() + Duration::days(2))
            },
        )
        .await;
        // Published but in the future: still hidden.
        insert(
            db,
            article("future", "Future", "not yet", Utc::now() + Duration::days(2)),
        )
        .await;
        insert(
            db,
            P {
                status: "private",
                ..article("private-one", "Private", "members only", day(2024, 3, 8))
            },
        )
        .await;
        insert(
            db,
            P {
                kind: "page",
                ..article("about", "About us", "We build libraries.", day(2024, 1, 1))
            },
        )
        .await;
        insert(
            db,
            P {
                kind: "note",
                title: String::new(),
                ..article("n-1", "", "Live from the hall: the **doors** are open", day(2024, 3, 9))
            },
        )
        .await;
        let app = TestApp::start(settings(&tdb)).await;

        let page = app.text("/2024/03/07/roof-done/").await;
        assert!(page.contains("The roof is done"), "{page}");
        assert!(page.contains("<em>on</em>"));
        assert_eq!(status(&app, "/about/").await, 200);
        assert!(app.text("/about/").await.contains("We build libraries."));
        // A note: no title, the date and first words stand in.
        let note = app.text("/2024/03/09/n-1/").await;
        assert!(
            note.contains("<title>9 March 2024: Live from the hall"),
            "{note}"
        );
        for hidden in [
            "/draft-one/",
            "/2024/03/07/draft-one/",
            "/later/",
            "/future/",
            "/private-one/",
            "/2024/03/08/private-one/",
        ] {
            assert_eq!(status(&app, hidden).await, 404, "{hidden}");
        }
        // An article asked for by slug or with the wrong date: 301 to its permalink.
        let res = app.get("/roof-done/").await;
        assert_eq!(res.status().as_u16(), 301);
        assert_eq!(location(&res), "/2024/03/07/roof-done/");
        let res = app.get("/2023/01/01/roof-done/").await;
        assert_eq!(res.status().as_u16(), 301);
        assert_eq!(location(&res), "/2024/03/07/roof-done/");

        // Slug history: the old slug answers 301 to the current URL.
        exec(
            db,
            "INSERT INTO post_slug_history (old_slug, post_id, changed_at) VALUES ($1, $2, '2024-03-08T00:00:00Z')",
            &["roof-almost", &a_id],
        )
        .await;
        for old in ["/2024/03/07/roof-almost/", "/roof-almost/"] {
            let res = app.get(old).await;
            assert_eq!(res.status().as_u16(), 301, "{old}");
            assert_eq!(location(&res), "/2024/03/07/roof-done/");
        }

        // The redirects table: from the router's fallback and from blog routes.
        exec(
            db,
            "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, '2024-03-08T00:00:00Z')",
            &["/old/archive.html", "/about/"],
        )
        .await;
        exec(
            db,
            "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, '2024-03-08T00:00:00Z')",
            &["/2019/05/12/wp-post/", "/2024/03/07/roof-done/"],
        )
        .await;
        let res = app.get("/old/archive.html").await;
        assert_eq!(res.status().as_u16(), 301);
        assert_eq!(location(&res), "/about/");
        let res = app.get("/2019/05/12/wp-post/").await;
        assert_eq!(res.status().as_u16(), 301);
        assert_eq!(location(&res), "/2024/03/07/roof-done/");
        assert_eq!(status(&app, "/no/such/thing.html").await, 404);

        // The campaign page links its update to the permalink.
        let cp = app.text("/campaigns/test-library").await;
        assert!(cp.contains("href=\"/2024/03/07/roof-done/\""), "{cp}");
        assert!(cp.contains("/campaigns/test-library/feed.atom"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn archives_pagination_sticky_and_search() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let author = member(db, "Test Writer").await;
        let tag = term(db, "tag", "roofs", "Roofs").await;
        let cat = term(db, "category", "building", "Building").await;
        for i in 0..12u32 {
            let mut p = article(
                &format!("post-{i}"),
                &format!("Post number {i}"),
                &format!("Body of post {i}."),
                day(2024, 4, 1 + i),
            );
            p.author = Some(author.clone());
            let id = insert(db, p).await;
            if i % 2 == 0 {
                tag_post(db, &id, &tag).await;
            }
            if i < 3 {
                tag_post(db, &id, &cat).await;
            }
        }
        let mut old = article(
            "pinned",
            "Pinned welcome",
            "We found the word zanzibarian here.",
            day(2023, 5, 1),
        );
        old.sticky = true;
        insert(db, old).await;
        insert(
            db,
            P {
                status: "draft",
                ..article("d", "Draft", "zanzibarian draft", day(2023, 5, 2))
            },
        )
        .await;
        let app = TestApp::start(settings(&tdb)).await;

        let home = app.text("/blog/").await;
        let first = home.find("Pinned welcome").expect("sticky on page 1");
        let newest = home.find("Post number 11").expect("newest");
        assert!(first < newest, "sticky first");
        assert!(home.contains("class=\"h-feed"));
        assert!(
            home.contains("rel=\"next\" href=\"/blog/?page=2\""),
            "{home}"
        );
        assert!(!home.contains("Post number 2<"));
        let p2 = app.text("/blog/?page=2").await;
        assert!(p2.contains("Post number 2<") && p2.contains("Post number 0<"));
        assert!(!p2.contains("Pinned welcome"));
        assert_eq!(status(&app, "/blog/?page=9").await, 404);
        assert_eq!(status(&app, "/blog/?page=x").await, 404);

        let t = app.text("/tag/roofs/").await;
        assert!(t.contains("Post number 10") && !t.contains("Post number 11"));
        assert!(t.contains("/tag/roofs/feed.atom"));
        let c = app.text("/category/building/").await;
        assert!(c.contains("Post number 2<") && !c.contains("Post number 3<"));
        assert_eq!(status(&app, "/tag/nope/").await, 404);
        let a = app.text(&format!("/author/{author}/")).await;
        assert!(a.contains("Posts by Test Writer") && a.contains("Post number 11"));
        assert_eq!(status(&app, "/author/test-writer/").await, 200);
        let m = app.text("/2023/05/").await;
        assert!(m.contains("Pinned welcome") && !m.contains("Post number"));
        assert_eq!(status(&app, "/2023/13/").await, 404);

        let s = app.text("/search?q=zanzibarian").await;
        assert!(s.contains("Pinned welcome"), "{s}");
        assert!(!s.contains("zanzibarian draft"));
        assert!(s.contains("<label for=\"q\""));
        let s = app.text("/search?q=%22unbalanced%20OR%20(").await;
        assert!(s.contains("No posts match"), "{s}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn feeds_metadata_sitemap_and_robots() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let tag = term(db, "tag", "news", "News").await;
        let mut p = article(
            "markup",
            "Tom & \"Jerry\" <b>bold</b>",
            "Hello <script>alert(1)</script> **world** </script>\n\nhttps://www.youtube.com/watch?v=abc123",
            day(2024, 6, 1),
        );
        p.campaign = Some(c.id.clone());
        let id = insert(db, p).await;
        tag_post(db, &id, &tag).await;
        insert(
            db,
            P {
                kind: "note",
                title: String::new(),
                ..article("n", "", "A short note", day(2024, 6, 2))
            },
        )
        .await;
        let app = TestApp::start(settings(&tdb)).await;

        for prefix in ["", "/tag/news", "/campaigns/test-library"] {
            let res = app.get(&format!("{prefix}/feed.atom")).await;
            assert_eq!(res.status().as_u16(), 200, "{prefix}");
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .expect("ct")
                    .starts_with("application/atom+xml")
            );
            let body = res.text().await.expect("atom");
            let feed: atom_syndication::Feed = body.parse().expect("atom parses");
            let e = feed
                .entries
                .iter()
                .find(|e| e.title.value.contains("Jerry"))
                .expect("entry");
            assert_eq!(e.title.value, "Tom & \"Jerry\" <b>bold</b>");
            assert!(e.links[0].href.starts_with(&app.base));
            let html = e.content.as_ref().and_then(|c| c.value.clone()).unwrap_or_default();
            assert!(html.contains("<strong>world</strong>"), "{html}");
            assert!(!html.contains("<script"), "{html}");

            let res = app.get(&format!("{prefix}/feed.xml")).await;
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .expect("ct")
                    .starts_with("application/rss+xml")
            );
            let ch: rss::Channel = res.text().await.expect("rss").parse().expect("rss parses");
            let item = ch
                .items
                .iter()
                .find(|i| i.title.as_deref().is_some_and(|t| t.contains("Jerry")))
                .expect("item");
            assert!(!item.description.clone().unwrap_or_default().contains("<script"));
            assert_eq!(
                item.link.as_deref(),
                Some(format!("{}/2024/06/01/markup/", app.base).as_str())
            );

            let res = app.get(&format!("{prefix}/feed.json")).await;
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .expect("ct")
                    .starts_with("application/feed+json")
            );
            let j: serde_json::Value = res.json().await.expect("json feed");
            assert_eq!(j["version"], "https://jsonfeed.org/version/1.1");
            assert!(j["items"].as_array().is_some_and(|a| !a.is_empty()));
        }
        assert_eq!(status(&app, "/tag/none/feed.atom").await, 404);
        // The site feed carries the note too, without a title in JSON Feed.
        let j: serde_json::Value = app.get("/feed.json").await.json().await.expect("json");
        assert!(
            j["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|i| i.get("title").is_none())
        );

        let page = app.text("/2024/06/01/markup/").await;
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("class=\"h-entry"));
        assert!(page.contains("class=\"dt-published\""));
        assert!(page.contains("p-author h-card"));
        assert!(page.contains("<meta property=\"og:title\""));
        assert!(page.contains("<meta name=\"twitter:card\""));
        assert!(page.contains(&format!(
            "<link rel=\"canonical\" href=\"{}/2024/06/01/markup/\">",
            app.base
        )));
        assert!(page.contains("type=\"application/atom+xml\""));
        // The video link is a card, no iframe.
        assert!(page.contains("class=\"embed video\""));
        assert!(!page.contains("<iframe"));
        let start = page
            .find("<script type=\"application/ld+json\">")
            .expect("json-ld")
            + "<script type=\"application/ld+json\">".len();
        let end = start + page[start..].find("</script>").expect("end");
        let ld: serde_json::Value = serde_json::from_str(&page[start..end]).expect("json-ld parses");
        assert_eq!(ld["@type"], "BlogPosting");
        assert_eq!(ld["headline"], "Tom & \"Jerry\" <b>bold</b>");
        assert!(!page[start..end].contains('<'));

        let sm = app.get("/sitemap.xml").await;
        assert!(
            sm.headers()["content-type"]
                .to_str()
                .expect("ct")
                .contains("xml")
        );
        let sm = sm.text().await.expect("sitemap");
        assert!(sm.contains(&format!("<loc>{}/2024/06/01/markup/</loc>", app.base)));
        assert!(sm.contains("/campaigns/test-library</loc>"));
        let mut r = quick_xml::Reader::from_str(&sm);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("sitemap XML: {e}"),
            }
        }
        let robots = app.text("/robots.txt").await;
        assert!(robots.contains("Disallow: /admin"));
        assert!(robots.contains("Disallow: /account"));
        assert!(robots.contains("Disallow: /test-checkout"));
        assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", app.base)));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn password_protected_post_hides_its_body_until_unlocked() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let mut p = article(
            "secret",
            "Board minutes",
            "The hidden sentence xylophone.",
            day(2024, 2, 2),
        );
        p.password_hash = Some(shelfraiser::passwords::hash("open sesame").expect("hash"));
        insert(db, p).await;
        let app = TestApp::start(settings(&tdb)).await;

        let page = app.text("/2024/02/02/secret/").await;
        assert!(page.contains("Board minutes"));
        assert!(!page.contains("xylophone"), "{page}");
        assert!(page.contains("<label for=\"post-password\""));
        for path in ["/feed.atom", "/feed.json"] {
            assert!(!app.text(path).await.contains("xylophone"), "{path}");
        }
        assert!(
            !app.text("/search?q=xylophone")
                .await
                .contains("Board minutes")
        );
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let res = app
            .post_form(
                "/2024/02/02/secret/",
                &[("csrf", &csrf), ("password", "wrong")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 403);
        assert!(!res.text().await.expect("body").contains("xylophone"));
        let res = app
            .post_form(
                "/2024/02/02/secret/",
                &[("csrf", &csrf), ("password", "open sesame")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.expect("body").contains("xylophone"));
        app.stop().await;
    })
    .await;
}
