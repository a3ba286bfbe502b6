//! Writing without losing work, the uploads and forms part (issue 11), over HTTP on both
//! backends: a phone's full-size photo is taken and stored scaled down; a refused upload or
//! a body over the editors' limit shows the form again with what was typed and why (never a
//! bare 413); a comment far too long comes back whole with the reason; the featured image
//! has a description on the page and in its metadata; an inserted image goes where the
//! cursor was.

use shelfraiser::blog::permalink::Permalinks;
use shelfraiser::blog::write;
use shelfraiser::campaigns::repo;
use shelfraiser::team::Role;

use crate::editors::*;
use crate::harness::*;

const TITLE_MARK: &str = "Shelves for the reading room";
const BODY_MARK: &str = "Forty children came on Saturday";

#[tokio::test]
async fn phone_photos_are_taken_and_stored_scaled_down() {
    let photo = phone_photo();
    assert!(
        (6 * 1024 * 1024..20 * 1024 * 1024).contains(&photo.len()),
        "the test photo is {} bytes",
        photo.len()
    );
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let editor = member(&app.db, "photo", "UTC", Role::Editor).await;

        // The campaign cover.
        let csrf = bound_csrf(&app, "/admin/campaigns/test-library", &editor.token).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("title", "Test library"),
            ("summary", "A test campaign"),
            ("story", "The **story**."),
            ("goal", "1000.00"),
            ("currency", "GBP"),
            ("starts", "2020-01-01"),
            ("beneficiary_name", "Village library"),
            ("state", "live"),
            ("cover_alt", "Children reading"),
            ("action", "save"),
        ];
        let res = post_multipart(
            &app,
            "/admin/campaigns/test-library",
            Some(&editor.token),
            &fields,
            &[("cover", "IMG_0001.jpg", "image/jpeg", photo)],
        )
        .await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let url = repo::by_id(&app.db, &c.id)
            .await
            .expect("db")
            .expect("campaign")
            .cover_image_url
            .expect("cover stored");
        let bytes = app.get(&url).await.bytes().await.expect("cover");
        let img = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((img.width(), img.height()), (1600, 1200));
        assert!(bytes.len() < photo.len() / 2, "{} bytes kept", bytes.len());

        // A post's featured image, with its description.
        let csrf = bound_csrf(&app, "/admin/posts/new", &editor.token).await;
        let fields = post_fields(
            &csrf,
            &[
                ("title", TITLE_MARK),
                ("status", "published"),
                ("image_alt", "Kids & the new shelves"),
            ],
        );
        let res = post_multipart(
            &app,
            "/admin/posts/new",
            Some(&editor.token),
            &fields,
            &[("image", "IMG_0002.jpg", "image/jpeg", photo)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let post = write::by_id(&app.db, &post_id_of(&res))
            .await
            .expect("db")
            .expect("post");
        assert_eq!(
            post.featured_image_alt.as_deref(),
            Some("Kids & the new shelves")
        );
        let page = app
            .text(&write::permalink(&post, &Permalinks::default()))
            .await;
        assert!(
            page.contains("class=\"featured\"")
                && page.contains("alt=\"Kids &amp; the new shelves\""),
            "{page}"
        );
        // (The templates write `&` as `&#38;`, the image rewriter as `&amp;`.)
        assert!(
            page.contains(
                "<meta property=\"og:image:alt\" content=\"Kids &#38; the new shelves\">"
            ),
            "{page}"
        );
        app.stop().await;
    })
    .await;
}

/// The editor page shows `mark` as typed (in a field or the text area).
fn shows(html: &str, mark: &str) -> bool {
    html.contains(mark)
}

#[tokio::test]
async fn refused_uploads_show_the_form_with_what_was_typed() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let editor = member(&app.db, "refused", "UTC", Role::Editor).await;
        let csrf = bound_csrf(&app, "/admin/posts/new", &editor.token).await;
        let fields = post_fields(&csrf, &[("title", TITLE_MARK), ("body", BODY_MARK)]);

        // Over the per-file limit (20 MB): 413, the form with the text, the reason by the file.
        let mut big = png(4, 4);
        big.resize(21 * 1024 * 1024, 0);
        let res = post_multipart(
            &app,
            "/admin/posts/new",
            Some(&editor.token),
            &fields,
            &[("image", "big.png", "image/png", &big)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 413);
        let html = res.text().await.expect("body");
        assert!(
            shows(&html, TITLE_MARK) && shows(&html, BODY_MARK),
            "{html}"
        );
        assert!(html.contains("id=\"image-err\""), "{html}");
        assert!(html.contains("larger than 20 MB"), "{html}");

        // Over the whole body's limit (41 MB): read to its end, then the same form.
        let mut huge = png(4, 4);
        huge.resize(45 * 1024 * 1024, 0);
        let res = post_multipart(
            &app,
            "/admin/posts/new",
            Some(&editor.token),
            &fields,
            &[("image", "huge.png", "image/png", &huge)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 413);
        let html = res.text().await.expect("body");
        assert!(
            shows(&html, TITLE_MARK) && shows(&html, BODY_MARK),
            "{html}"
        );
        assert!(html.contains("more than 41 MB"), "{html}");

        // Not an image: 422, the same.
        let res = post_multipart(
            &app,
            "/admin/posts/new",
            Some(&editor.token),
            &fields,
            &[(
                "image",
                "notes.png",
                "image/png",
                b"<svg>not an image</svg>",
            )],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            shows(&html, TITLE_MARK) && shows(&html, BODY_MARK),
            "{html}"
        );
        assert!(html.contains("id=\"image-err\""), "{html}");
        assert_eq!(count(&app.db, "posts").await, 0);

        // The campaign editor likewise.
        let csrf = bound_csrf(&app, "/admin/campaigns/test-library", &editor.token).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("title", TITLE_MARK),
            ("story", BODY_MARK),
            ("goal", "1000"),
            ("currency", "GBP"),
            ("state", "live"),
            ("action", "save"),
        ];
        let res = post_multipart(
            &app,
            "/admin/campaigns/test-library",
            Some(&editor.token),
            &fields,
            &[("cover", "huge.png", "image/png", &huge)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 413);
        let html = res.text().await.expect("body");
        assert!(
            shows(&html, TITLE_MARK) && shows(&html, BODY_MARK),
            "{html}"
        );
        assert!(html.contains("id=\"cover-err\""), "{html}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn long_comments_come_back_with_the_text_and_the_reason() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let editor = member(&app.db, "host", "UTC", Role::Editor).await;
        let csrf = bound_csrf(&app, "/admin/posts/new", &editor.token).await;
        let fields = post_fields(&csrf, &[("title", TITLE_MARK), ("status", "published")]);
        let res = post_multipart(&app, "/admin/posts/new", Some(&editor.token), &fields, &[]).await;
        assert_eq!(res.status().as_u16(), 303);
        let id = post_id_of(&res);
        let post = write::by_id(&app.db, &id).await.expect("db").expect("post");
        let path = write::permalink(&post, &Permalinks::default());
        let page = app.text(&path).await;
        assert!(
            page.contains(&format!("action=\"/comments?post={id}\"")),
            "{page}"
        );
        let token = hidden_value(&page, "csrf").expect("form token");

        // 100 KB: the form again, with the whole text and the reason.
        let long = format!("{}THE-END-OF-A-LONG-COMMENT", "word ".repeat(20_000));
        let send = |body: String| {
            let (app, id, token, path) = (&app, &id, &token, &path);
            async move {
                let form = [
                    ("post_id", id.as_str()),
                    ("back", path.as_str()),
                    ("csrf", token.as_str()),
                    ("name", "Reader"),
                    ("email", "reader@example.net"),
                    ("body", body.as_str()),
                ];
                app.client
                    .post(app.url(&format!("/comments?post={id}")))
                    .form(&form)
                    .send()
                    .await
                    .expect("POST /comments")
            }
        };
        let res = send(long).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            html.contains("THE-END-OF-A-LONG-COMMENT"),
            "the text is kept"
        );
        assert!(html.contains("At most 5,000 characters."), "{html}");
        assert!(html.contains("id=\"c-body-err\""));

        // Past the form's limit (1 MB): the post's comment page says why, not a bare 413.
        let res = send("x".repeat(2 * 1024 * 1024)).await;
        assert_eq!(res.status().as_u16(), 413);
        let html = res.text().await.expect("body");
        assert!(html.contains("far too long to receive"), "{html}");
        assert!(html.contains(TITLE_MARK), "the post's comment page");
        assert_eq!(count(&app.db, "comments").await, 0);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn inserted_images_go_where_the_cursor_was() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let editor = member(&app.db, "inserter", "UTC", Role::Editor).await;
        let csrf = bound_csrf(&app, "/admin/posts/new", &editor.token).await;
        let picture = png(40, 20);
        let body = "Før.\r\n\r\nAfter.";
        for (at, expect_before) in [("4", true), ("", false)] {
            let fields = post_fields(
                &csrf,
                &[
                    ("body", body),
                    ("insert_alt", "A picture"),
                    ("insert_at", at),
                ],
            );
            let res = post_multipart(
                &app,
                "/admin/posts/new",
                Some(&editor.token),
                &fields,
                &[("insert_image", "p.png", "image/png", &picture)],
            )
            .await;
            assert_eq!(res.status().as_u16(), 303, "insert_at {at:?}");
            let p = write::by_id(&app.db, &post_id_of(&res))
                .await
                .expect("db")
                .expect("post");
            let img = p.body_md.find("![A picture](/media/").expect("inserted");
            let after = p.body_md.find("After.").expect("text kept");
            assert_eq!(img < after, expect_before, "{:?}", p.body_md);
            assert!(p.body_md.starts_with("Før.\n\n"), "{:?}", p.body_md);
        }
        app.stop().await;
    })
    .await;
}
