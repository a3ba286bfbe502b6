//! The console's upkeep pages: exchange rates (`/admin/rates`: the rates in use, a file
//! imported by upload, the daily fetch from a loopback server standing in for the ECB) and
//! backups (`/admin/backups`: back up now, download, the schedule set in the console).

use std::io::Read;

use axum::routing::get;
use shelfraiser::backup;
use shelfraiser::rates;
use shelfraiser::team::Role;

use crate::editors::post_multipart;
use crate::harness::*;
use crate::team_harness::*;

/// A loopback server answering `/daily.xml` with `body` and `status`; returns its base.
async fn fake_ecb(status: u16, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/daily.xml",
        get(move || async move {
            (
                http::StatusCode::from_u16(status).expect("status"),
                [("content-type", "text/xml")],
                body,
            )
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn rates_are_shown_imported_by_upload_and_fetched() {
    let ecb = fake_ecb(200, rates::BUNDLED_ECB).await;
    let broken = fake_ecb(200, "<html>maintenance</html>").await;
    each_backend(|tdb| {
        let (ecb, broken) = (ecb.clone(), broken.clone());
        async move {
            let mut s = settings(&tdb);
            s.outbound_allow = vec!["127.0.0.1".into()];
            let app = TestApp::start(s.clone()).await;
            let treasurer = team_member("tess")
                .role(Role::Treasurer)
                .signed_in(&tdb.db)
                .await;
            let member = team_member("mo")
                .role(Role::Member)
                .signed_in(&tdb.db)
                .await;

            // Nothing yet; a member reads the page without the forms.
            let page = member.page(&app, "/admin/rates").await;
            assert!(page.contains("No rates yet"), "{page}");
            assert!(!page.contains("/admin/rates/import"));
            assert!(page.contains("The daily fetch is off"));

            // The treasurer uploads the ECB's daily file.
            let csrf = treasurer.csrf(&app, "/admin/rates").await;
            let res = post_multipart(
                &app,
                "/admin/rates/import",
                Some(&treasurer.token),
                &[("csrf", &csrf)],
                &[(
                    "file",
                    "eurofxref-daily.xml",
                    "text/xml",
                    rates::BUNDLED_ECB.as_bytes(),
                )],
            )
            .await;
            assert_eq!(res.status().as_u16(), 303);
            let to = location(&res);
            assert!(
                to.starts_with("/admin/rates?done=import&days=1&stored="),
                "{to}"
            );
            let page = treasurer.page(&app, &to).await;
            assert!(page.contains("One day read"), "{page}");
            assert!(page.contains("<th scope=\"row\">USD</th>"), "{page}");
            assert!(page.contains("uploaded, rates up to"), "{page}");
            assert_eq!(audit_count(&tdb.db, "rates.import").await, 1);
            let n = count(&tdb.db, "exchange_rates").await;
            assert!(n > 20, "{n}");

            // Not the ECB's file: said so, nothing stored; a member may not import.
            let res = post_multipart(
                &app,
                "/admin/rates/import",
                Some(&treasurer.token),
                &[("csrf", &csrf)],
                &[("file", "rates.csv", "text/csv", b"USD,1.07\n")],
            )
            .await;
            assert_eq!(res.status().as_u16(), 422);
            let body = res.text().await.expect("body");
            assert!(body.contains("not the European Central Bank"), "{body}");
            let res = post_multipart(
                &app,
                "/admin/rates/import",
                Some(&member.token),
                &[("csrf", &member.csrf(&app, "/admin/rates").await)],
                &[("file", "d.xml", "text/xml", rates::BUNDLED_ECB.as_bytes())],
            )
            .await;
            assert_eq!(res.status().as_u16(), 403);
            // The fetch is off in this configuration: refused with the reason.
            let res = treasurer
                .post(&app, "/admin/rates/fetch", &[("csrf", &csrf)])
                .await;
            assert_eq!(res.status().as_u16(), 409);
            app.stop().await;

            // Turned on: "Fetch now" asks the configured address through the guarded client.
            s.rates.fetch = true;
            s.rates.fetch_url = format!("{ecb}/daily.xml");
            let app = TestApp::start(s.clone()).await;
            let page = treasurer.page(&app, "/admin/rates").await;
            assert!(page.contains(&format!("{ecb}/daily.xml")), "{page}");
            let res = treasurer
                .post(&app, "/admin/rates/fetch", &[("csrf", &csrf)])
                .await;
            assert_eq!(res.status().as_u16(), 303);
            assert!(location(&res).contains("done=fetch"));
            assert_eq!(audit_count(&tdb.db, "rates.fetch").await, 1);
            let page = treasurer.page(&app, "/admin/rates").await;
            assert!(page.contains("fetched, rates up to"), "{page}");
            app.stop().await;

            // The schedule: one fetch per period whichever node asks; a failure is recorded,
            // shown, and retried sooner.
            let out = shelfraiser::outbound::Outbound::new(&["127.0.0.1"], "http://localhost")
                .expect("outbound");
            // (The server with the fetch on already took the current period at its start.)
            let now = chrono::Utc::now() + rates::fetch::EVERY + chrono::Duration::minutes(1);
            let url = format!("{broken}/daily.xml");
            let first = rates::fetch::scheduled(&tdb.db, &out, &url, now)
                .await
                .expect("db");
            assert!(matches!(first, Some(Err(_))), "{first:?}");
            let again = rates::fetch::scheduled(&tdb.db, &out, &url, now)
                .await
                .expect("db");
            assert!(again.is_none(), "claimed once per period");
            let later = now + rates::fetch::RETRY_AFTER + chrono::Duration::minutes(1);
            let good = format!("{ecb}/daily.xml");
            let retried = rates::fetch::scheduled(&tdb.db, &out, &good, later)
                .await
                .expect("db");
            assert!(matches!(retried, Some(Ok(_))), "{retried:?}");
            let soon = later + chrono::Duration::hours(1);
            assert!(
                rates::fetch::scheduled(&tdb.db, &out, &good, soon)
                    .await
                    .expect("db")
                    .is_none()
            );
            rates::fetch::fetch(&tdb.db, &out, &url, soon)
                .await
                .expect_err("not the rates file");
            let app = TestApp::start(s).await;
            let page = treasurer.page(&app, "/admin/rates").await;
            assert!(page.contains("failed: the answer is not the ECB"), "{page}");
            app.stop().await;
        }
    })
    .await;
}

#[tokio::test]
async fn backups_are_written_downloaded_and_scheduled_from_the_console() {
    each_backend(|tdb| async move {
        let s = settings(&tdb);
        seed_campaign(&tdb.db, "backed-up").await;
        let app = TestApp::start(s.clone()).await;
        let owner = team_member("olga")
            .role(Role::Owner)
            .signed_in(&tdb.db)
            .await;
        let editor = team_member("ed")
            .role(Role::Editor)
            .signed_in(&tdb.db)
            .await;
        assert_eq!(editor.get(&app, "/admin/backups").await.status(), 403);

        let page = owner.page(&app, "/admin/backups").await;
        assert!(page.contains("No archives yet"), "{page}");
        assert!(
            page.contains("value=\"24\""),
            "the configuration's schedule"
        );
        assert!(page.contains("From the configuration file"));
        let csrf = hidden_value(&page, "csrf").expect("csrf");

        // Back up now.
        let res = owner
            .post(&app, "/admin/backups/now", &[("csrf", &csrf)])
            .await;
        assert_eq!(res.status().as_u16(), 303);
        let page = owner.page(&app, "/admin/backups?done=now").await;
        assert!(page.contains("Backup written."), "{page}");
        assert!(page.contains("Last backup"), "{page}");
        let dir = s.backup.effective_dir(&s.data_dir);
        let files = backup::archives(&dir).expect("list");
        assert_eq!(files.len(), 1);
        let name = &files[0].name;
        assert!(name.starts_with("backup-"), "{name}");
        assert!(page.contains(&format!("href=\"/admin/backups/{name}\"")));
        assert_eq!(audit_count(&tdb.db, "backup.now").await, 1);

        // Downloaded whole, as it is (a browser asking for compression gets the archive
        // unchanged); it opens (every checksum matches).
        let res = app
            .client
            .get(app.url(&format!("/admin/backups/{name}")))
            .header("cookie", format!("sr_session={}", owner.token))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .expect("GET");
        assert!(res.headers().get("content-encoding").is_none());
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().expect("ct"),
            "application/gzip"
        );
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .expect("cd")
                .contains(name.as_str())
        );
        let bytes = res.bytes().await.expect("body");
        assert_eq!(bytes.len() as u64, files[0].bytes);
        let copy = tdb.dir.path().join("downloaded.tar.gz");
        std::fs::write(&copy, &bytes).expect("write");
        let archive = backup::open(&copy).expect("a whole archive");
        assert!(
            archive
                .manifest
                .tables
                .iter()
                .any(|t| t.name == "campaigns")
        );
        let mut gz = flate2::read::GzDecoder::new(bytes.as_ref());
        let mut raw = Vec::new();
        gz.read_to_end(&mut raw).expect("gzip");
        assert_eq!(audit_count(&tdb.db, "backup.download").await, 1);
        // Nothing but an archive in the folder can be named.
        std::fs::write(dir.join("notes.txt"), "x").expect("write");
        for bad in [
            "notes.txt",
            "..%2Fshelfraiser.db",
            "..%2F..%2Fetc%2Fpasswd",
            ".hidden.tar.gz",
            "missing.tar.gz",
        ] {
            let res = owner.get(&app, &format!("/admin/backups/{bad}")).await;
            assert_eq!(res.status().as_u16(), 404, "{bad}");
        }
        assert_eq!(
            editor
                .get(&app, &format!("/admin/backups/{name}"))
                .await
                .status(),
            403
        );

        // The schedule: mistakes shown with what was typed, nothing saved.
        let res = owner
            .post(
                &app,
                "/admin/backups/schedule",
                &[("csrf", &csrf), ("every_hours", "daily"), ("keep", "0")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let body = res.text().await.expect("body");
        assert!(body.contains("value=\"daily\""), "{body}");
        assert!(body.contains("Enter a whole number of hours"), "{body}");
        assert!(
            body.contains("Enter a whole number from 1 to 1000"),
            "{body}"
        );
        assert!(
            !backup::schedule(&tdb.db, &s)
                .await
                .expect("db")
                .from_console
        );
        // Saved: it overrides the configuration; 0 turns the schedule off.
        let res = owner
            .post(
                &app,
                "/admin/backups/schedule",
                &[("csrf", &csrf), ("every_hours", "0"), ("keep", "3")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        let sch = backup::schedule(&tdb.db, &s).await.expect("db");
        assert_eq!((sch.every_hours, sch.keep, sch.from_console), (0, 3, true));
        assert!(
            backup::scheduled(&tdb.db, &s, chrono::Utc::now())
                .await
                .expect("runs")
                .is_none(),
            "off from the console"
        );
        assert_eq!(audit_count(&tdb.db, "backup.schedule").await, 1);
        // Keep 3: a fourth "back up now" deletes the oldest.
        for i in 1..=3 {
            let at = chrono::Utc::now() + chrono::Duration::seconds(10 * i);
            backup::now(&tdb.db, &s, at).await.expect("backup");
        }
        let names: Vec<String> = backup::archives(&dir)
            .expect("list")
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(!names.contains(name), "the oldest went");
        app.stop().await;
    })
    .await;
}

/// The src of the first `<img class="logo">`, or of `<link rel="icon">`, in a page.
fn attr_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let a = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = rest[a..].find('"')? + a;
    Some(rest[a..end].to_string())
}

#[tokio::test]
async fn the_sites_logo_and_icon_are_uploaded_shown_everywhere_and_removed() {
    use crate::editors::png;
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "pictured").await;
        let app = TestApp::start(settings(&tdb)).await;
        let owner = team_member("olga")
            .role(Role::Owner)
            .signed_in(&tdb.db)
            .await;
        let editor = team_member("ed")
            .role(Role::Editor)
            .signed_in(&tdb.db)
            .await;
        // Without pictures: no logo, and the icon asks for nothing.
        let campaign = app.text("/campaigns/pictured").await;
        assert!(!campaign.contains("class=\"logo\""));
        assert!(campaign.contains("<link rel=\"icon\" href=\"data:,\">"));

        let csrf = owner.csrf(&app, "/admin/settings/site").await;
        let logo = png(600, 200);
        let res = post_multipart(
            &app,
            "/admin/settings/site/picture",
            Some(&owner.token),
            &[("csrf", &csrf), ("which", "logo")],
            &[("picture", "logo.png", "image/png", &logo)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let icon = png(400, 300);
        let res = post_multipart(
            &app,
            "/admin/settings/site/picture",
            Some(&owner.token),
            &[("csrf", &csrf), ("which", "icon")],
            &[("picture", "icon.png", "image/png", &icon)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(audit_count(&tdb.db, "site.logo_changed").await, 1);

        // On the campaign page (its kept copy dropped), the front page and the console.
        for path in ["/campaigns/pictured", "/", "/blog/"] {
            let page = app.text(path).await;
            let src = attr_after(&page, "class=\"logo\"", "src").expect("the logo");
            assert!(src.starts_with("/media/"), "{path}: {src}");
            let href = attr_after(&page, "rel=\"icon\"", "href").expect("the icon");
            assert!(href.starts_with("/media/"), "{path}: {href}");
        }
        let settings_page = owner.page(&app, "/admin/settings/site").await;
        let href = attr_after(&settings_page, "rel=\"icon\"", "href").expect("icon");
        let res = app.get(&href).await;
        assert_eq!(res.status().as_u16(), 200);
        let bytes = res.bytes().await.expect("icon bytes");
        let img = image::load_from_memory(&bytes).expect("an image");
        assert_eq!((img.width(), img.height()), (192, 192), "cut to a square");

        // Not a picture: refused with the reason, nothing changed.
        let before = app.text("/").await;
        let res = post_multipart(
            &app,
            "/admin/settings/site/picture",
            Some(&owner.token),
            &[("csrf", &csrf), ("which", "logo")],
            &[("picture", "logo.png", "image/png", b"not a picture at all")],
        )
        .await;
        assert!(res.status().is_client_error(), "{}", res.status());
        assert_eq!(
            attr_after(&app.text("/").await, "class=\"logo\"", "src"),
            attr_after(&before, "class=\"logo\"", "src")
        );
        // Only owners.
        let res = post_multipart(
            &app,
            "/admin/settings/site/picture",
            Some(&editor.token),
            &[("csrf", &csrf), ("which", "logo"), ("remove", "1")],
            &[],
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);
        // Saving the identity keeps the pictures; removing the logo takes it off the pages.
        let res = owner
            .post(
                &app,
                "/admin/settings/site",
                &[
                    ("csrf", &csrf),
                    ("site_name", "Friends of the Library"),
                    ("site_description", ""),
                    ("site_language", "en"),
                    ("site_timezone", "UTC"),
                    ("site_footer", ""),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        let page = app.text("/campaigns/pictured").await;
        assert!(page.contains("Friends of the Library"));
        assert!(page.contains("class=\"logo\""), "kept over a save");
        let res = post_multipart(
            &app,
            "/admin/settings/site/picture",
            Some(&owner.token),
            &[("csrf", &csrf), ("which", "logo"), ("remove", "1")],
            &[],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let page = app.text("/campaigns/pictured").await;
        assert!(!page.contains("class=\"logo\""));
        assert!(
            attr_after(&page, "rel=\"icon\"", "href").is_some_and(|h| h.starts_with("/media/"))
        );
        app.stop().await;
    })
    .await;
}
