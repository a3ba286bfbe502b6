// SPDX-License-Identifier: AGPL-3.0-or-later
//! A configured permalink pattern (`blog.permalink`), on both backends: posts answer at the
//! pattern's paths (two, three segments, or a shape no route has), pages stay at `/{slug}/`,
//! old default-pattern links and the importer's redirects answer 301 with the new address,
//! and links, canonical URLs, feeds, the sitemap, the campaign page and the CLI all use it.
//! A pattern without `%postname%` stops the program at start-up.

use chrono::Utc;
use shelfraiser::blog::permalink::Permalinks;
use shelfraiser::config::Settings;

use crate::blog_read::{article, day, insert, status};
use crate::harness::*;

fn with_pattern(tdb: &TestDb, pattern: &str) -> Settings {
    let mut s = settings(tdb);
    s.blog.permalink = Permalinks::parse(pattern).expect("pattern");
    s
}

#[tokio::test]
async fn month_and_name_pattern() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "test-library").await;
        let mut a = article("roof-done", "Roof done", "Tiles on.", day(2024, 3, 7));
        a.campaign = Some(c.id.to_string());
        insert(db, a).await;
        let mut page = article("about", "About us", "Who we are.", day(2024, 1, 1));
        page.kind = "page";
        insert(db, page).await;
        let mut locked = article(
            "minutes",
            "Board minutes",
            "The xylophone.",
            day(2024, 3, 9),
        );
        locked.password_hash = Some(shelfraiser::passwords::hash("sesame").expect("hash"));
        insert(db, locked).await;
        // What the WordPress importer writes: an old link to the default-pattern path.
        shelfraiser::on_db!(db, |p| sqlx::query(
            "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, $3)"
        )
        .bind("/?p=12")
        .bind("/2024/03/07/roof-done/")
        .bind(Utc::now())
        .execute(p)
        .await
        .expect("redirect")
        .rows_affected());
        let app = TestApp::start(with_pattern(&tdb, "/%year%/%monthnum%/%postname%/")).await;
        let base = app.base.clone();

        // The post at the pattern's path, with its canonical link.
        let html = app.text("/2024/03/roof-done/").await;
        assert!(html.contains("Roof done"), "{html}");
        assert!(html.contains(&format!(
            "<link rel=\"canonical\" href=\"{base}/2024/03/roof-done/\">"
        )));
        // Under the old default pattern, by slug, with the wrong month, from the importer's
        // redirect: one 301 to the new path.
        for old in [
            "/2024/03/07/roof-done/",
            "/roof-done/",
            "/2023/01/roof-done/",
            "/?p=12",
        ] {
            let res = app.get(old).await;
            assert_eq!(res.status().as_u16(), 301, "{old}");
            assert_eq!(location(&res), "/2024/03/roof-done/", "{old}");
        }
        assert_eq!(status(&app, "/2024/03/no-such-post/").await, 404);
        // Pages stay at /{slug}/; the month archive lists the new path.
        assert!(app.text("/about/").await.contains("Who we are."));
        let month = app.text("/2024/03/").await;
        assert!(month.contains("href=\"/2024/03/roof-done/\""), "{month}");
        assert!(
            app.text("/blog/")
                .await
                .contains("href=\"/2024/03/roof-done/\"")
        );
        // Feeds, sitemap, the campaign page.
        for feed in ["/feed.atom", "/feed.xml", "/feed.json"] {
            let f = app.text(feed).await;
            assert!(
                f.contains(&format!("{base}/2024/03/roof-done/")),
                "{feed}: {f}"
            );
            assert!(!f.contains("/2024/03/07/"), "{feed}");
        }
        let sm = app.text("/sitemap.xml").await;
        assert!(
            sm.contains(&format!("<loc>{base}/2024/03/roof-done/</loc>")),
            "{sm}"
        );
        let cp = app.text("/campaigns/test-library").await;
        assert!(cp.contains("href=\"/2024/03/roof-done/\""), "{cp}");

        // A protected post takes its password at its own (three-segment) path.
        let html = app.text("/2024/03/minutes/").await;
        assert!(!html.contains("xylophone"));
        assert!(html.contains("action=\"/2024/03/minutes/\""), "{html}");
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let res = app
            .post_form(
                "/2024/03/minutes/",
                &[("csrf", &csrf), ("password", "sesame")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.expect("body").contains("xylophone"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn name_only_prefix_and_suffix_patterns() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        insert(
            db,
            article("roof-done", "Roof done", "Tiles on.", day(2024, 3, 7)),
        )
        .await;
        let mut locked = article(
            "minutes",
            "Board minutes",
            "The xylophone.",
            day(2024, 3, 9),
        );
        locked.password_hash = Some(shelfraiser::passwords::hash("sesame").expect("hash"));
        insert(db, locked).await;

        // (pattern, the post's path, its protected sibling's path)
        for (pattern, path, protected) in [
            ("/%postname%/", "/roof-done/", "/minutes/"),
            ("/blog/%postname%/", "/blog/roof-done/", "/blog/minutes/"),
            (
                "/%year%/%postname%.html",
                "/2024/roof-done.html",
                "/2024/minutes.html",
            ),
        ] {
            let app = TestApp::start(with_pattern(&tdb, pattern)).await;
            let res = app.get(path).await;
            assert_eq!(res.status().as_u16(), 200, "{pattern}");
            assert!(res.text().await.expect("body").contains("Roof done"));
            let res = app.get("/2024/03/07/roof-done/").await;
            assert_eq!(res.status().as_u16(), 301, "{pattern}");
            assert_eq!(location(&res), path, "{pattern}");
            // The blog home and month archives are where they were.
            let home = app.text("/blog/").await;
            assert!(
                home.contains(&format!("href=\"{path}\"")),
                "{pattern}: {home}"
            );
            assert_eq!(status(&app, "/2024/03/").await, 200, "{pattern}");
            // The password form posts back to the post's own path.
            let html = app.text(protected).await;
            let csrf = hidden_value(&html, "csrf").expect("csrf");
            let res = app
                .post_form(protected, &[("csrf", &csrf), ("password", "sesame")])
                .await;
            assert_eq!(res.status().as_u16(), 200, "{pattern}");
            assert!(res.text().await.expect("body").contains("xylophone"));
            app.stop().await;
        }
    })
    .await;
}

#[tokio::test]
async fn the_cli_gives_the_configured_address_and_refuses_a_bad_pattern() {
    each_backend(|tdb| async move {
        let body = tdb.data_dir().join("post.md");
        std::fs::write(&body, "Hello from a script.").expect("write");
        let body = body.to_str().expect("utf8").to_string();
        let out = run_cli_async(
            tdb.dir.path(),
            &[
                storage_args(&tdb)
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                vec![
                    "post",
                    "create",
                    "--title",
                    "Hello there",
                    "--publish",
                    "--body-file",
                    &body,
                ],
            ]
            .concat(),
            &[("SHELFRAISER_BLOG__PERMALINK", "/news/%postname%/")],
        )
        .await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.trim().ends_with("/news/hello-there/"), "{out:?}");

        // A pattern without %postname% is refused when the configuration is read.
        let out = run_cli_async(
            tdb.dir.path(),
            &[
                storage_args(&tdb)
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                vec!["migrate"],
            ]
            .concat(),
            &[("SHELFRAISER_BLOG__PERMALINK", "/%year%/%monthnum%/")],
        )
        .await;
        assert!(!out.ok(), "{out:?}");
        assert!(out.stderr.contains("%postname%"), "{out:?}");
    })
    .await;
}
