//! Post images in responsive sizes, over real HTTP on both backends: a wide featured image
//! and an "insert image" upload through the console post editor (session cookie + bound
//! CSRF token) are stored with 480 and 960 px copies linked to the original, served with a
//! year-long cache and no EXIF; the published page's `<img>` tags carry `srcset`, `sizes`,
//! `width`/`height` and lazy loading (not the featured image); external images are left
//! alone; an image narrower than 480 px gets no copies; the alt text is required.

use std::io::Cursor;

use shelfraiser::blog::permalink::Permalinks;
use shelfraiser::blog::write;
use shelfraiser::db::Db;
use shelfraiser::email::Email;
use shelfraiser::team::{Role, repo as team_repo, session};

use crate::harness::*;

const SIZES: &str = "sizes=\"(max-width: 44rem) 100vw, 44rem\"";

struct Who {
    token: String,
}

async fn editor(db: &Db) -> Who {
    let m = team_repo::create(
        db,
        &team_repo::NewMember {
            email: Email::parse("writer@example.org").expect("email"),
            display_name: "Writer tester".into(),
            time_zone: "UTC".into(),
            languages: "en".into(),
            status: shelfraiser::team::MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    team_repo::add_grant(db, &m.id, Role::Editor, None)
        .await
        .expect("grant");
    let token = session::create(db, &m.id, false, None, None)
        .await
        .expect("session");
    Who { token }
}

async fn csrf(app: &TestApp, who: &Who, path: &str) -> String {
    let res = app
        .client
        .get(app.url(path))
        .header("cookie", format!("sr_session={}", who.token))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status().as_u16(), 200, "GET {path}");
    hidden_value(&res.text().await.expect("body"), "csrf").expect("csrf")
}

/// (field, file name, content type, bytes)
type File<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

async fn submit(
    app: &TestApp,
    who: &Who,
    path: &str,
    fields: &[(&str, &str)],
    files: &[File<'_>],
) -> reqwest::Response {
    let boundary = format!("----images-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, filename, ct, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    app.client
        .post(app.url(path))
        .header("cookie", format!("sr_session={}", who.token))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST")
}

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// A JPEG with an EXIF block (APP1) that carries a recognisable marker.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([200, (x % 256) as u8, 40]));
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPS 55.6761N 12.5683E SECRET-CAMERA-SERIAL");
    let len = u16::try_from(exif.len() + 2).expect("len");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The id in a `/media/<id>.<ext>` path.
fn media_id(url: &str) -> &str {
    url.trim_start_matches("/media/")
        .split('.')
        .next()
        .expect("id")
}

/// The widths of the stored copies of one original.
async fn variant_widths(db: &Db, parent: &str) -> Vec<i64> {
    let sql = "SELECT variant_width FROM media WHERE parent_id = $1 ORDER BY variant_width";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(parent)
            .fetch_all(p)
            .await
            .expect("variants"),
        Db::Postgres(p) => sqlx::query_scalar(sql)
            .bind(parent)
            .fetch_all(p)
            .await
            .expect("variants"),
    }
}

/// The `<img …>` tag whose `src` is `src`.
fn img_tag<'a>(html: &'a str, src: &str) -> &'a str {
    let start = html
        .find(&format!("<img src=\"{src}\""))
        .or_else(|| {
            html.find(&format!("src=\"{src}\""))
                .map(|i| html[..i].rfind("<img").expect("tag"))
        })
        .unwrap_or_else(|| panic!("no <img> for {src} in {html}"));
    let end = start + html[start..].find('>').expect("end");
    &html[start..=end]
}

/// Fetches a stored image: 200, the type, the long cache, no EXIF; returns (width, height).
async fn fetch(app: &TestApp, path: &str, content_type: &str) -> (u32, u32) {
    let res = app.get(path).await;
    assert_eq!(res.status().as_u16(), 200, "GET {path}");
    assert_eq!(res.headers()["content-type"], content_type);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = res.bytes().await.expect("bytes");
    assert!(
        !contains(&bytes, b"SECRET-CAMERA-SERIAL") && !contains(&bytes, b"Exif"),
        "{path} carries no metadata"
    );
    let img = image::load_from_memory(&bytes).expect("decodes");
    (img.width(), img.height())
}

#[tokio::test]
async fn post_images_are_stored_and_served_in_responsive_sizes() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let ed = editor(db).await;
        let token = csrf(&app, &ed, "/admin/posts/new").await;
        let body = "Some words.\n\n![A remote photo](https://example.org/remote.jpg)";
        let fields = |alt: &'static str, token: &str| -> Vec<(&'static str, String)> {
            vec![
                ("kind", "article".into()),
                ("title", "New shelves".into()),
                ("body", body.into()),
                ("status", "draft".into()),
                ("comments_open", "1".into()),
                ("campaign", String::new()),
                ("insert_alt", alt.into()),
                ("csrf", token.into()),
                ("action", "publish".into()),
            ]
        };
        let jpeg = jpeg_with_exif(2000, 1000);
        assert!(contains(&jpeg, b"SECRET-CAMERA-SERIAL"));
        let png = png_bytes(2000, 600);

        // An inserted image without alt text is refused; nothing is stored.
        let f = fields("", &token);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = submit(
            &app,
            &ed,
            "/admin/posts/new",
            &f,
            &[("insert_image", "shelves.png", "image/png", &png)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("b")
                .contains("id=\"insert_alt-err\"")
        );
        assert_eq!(count(db, "media").await, 0);
        assert_eq!(count(db, "posts").await, 0);

        // A 2000 px featured JPEG (with EXIF) and a 2000 px inserted PNG.
        let f = fields("Children at the new shelves", &token);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = submit(
            &app,
            &ed,
            "/admin/posts/new",
            &f,
            &[
                ("image", "photo.jpg", "image/jpeg", &jpeg),
                ("insert_image", "shelves.png", "image/png", &png),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let id = location(&res)
            .trim_start_matches("/admin/posts/")
            .trim_end_matches("?saved=1")
            .to_string();
        let p = write::by_id(db, &id).await.expect("db").expect("post");
        assert_eq!(p.status, write::PostStatus::Published);
        let featured = p.featured_image_url.clone().expect("featured image");
        assert!(featured.ends_with(".jpg"), "{featured}");
        let fid = media_id(&featured).to_string();
        let start = p
            .body_md
            .find("![Children at the new shelves](/media/")
            .unwrap_or_else(|| panic!("inserted markdown in {}", p.body_md));
        let inserted = p.body_md[start..]
            .trim_start_matches("![Children at the new shelves](")
            .split(')')
            .next()
            .expect("url")
            .to_string();
        assert!(inserted.ends_with(".png"), "{inserted}");
        let iid = media_id(&inserted).to_string();
        assert!(p.body_md.starts_with("Some words."));

        // Copies at 480 and 960 px, linked to their originals.
        assert_eq!(variant_widths(db, &fid).await, vec![480, 960]);
        assert_eq!(variant_widths(db, &iid).await, vec![480, 960]);
        assert_eq!(count(db, "media").await, 6);

        // Served with the long cache, resized, without metadata.
        assert_eq!(fetch(&app, &featured, "image/jpeg").await, (1600, 800));
        assert_eq!(
            fetch(&app, &format!("/media/{fid}-480.jpg"), "image/jpeg").await,
            (480, 240)
        );
        assert_eq!(
            fetch(&app, &format!("/media/{fid}-960.jpg"), "image/jpeg").await,
            (960, 480)
        );
        assert_eq!(fetch(&app, &inserted, "image/png").await, (1600, 480));
        assert_eq!(
            fetch(&app, &format!("/media/{iid}-480.png"), "image/png").await,
            (480, 144)
        );
        assert_eq!(
            fetch(&app, &format!("/media/{iid}-960.png"), "image/png").await,
            (960, 288)
        );
        // No other widths, no wrong extensions.
        for bad in [
            format!("/media/{fid}-700.jpg"),
            format!("/media/{fid}-480.png"),
            format!("/media/{fid}-0480.jpg"),
            format!("/media/{fid}-.jpg"),
        ] {
            assert_eq!(app.get(&bad).await.status().as_u16(), 404, "{bad}");
        }

        // The published page.
        let html = app
            .text(&write::permalink(&p, &Permalinks::default()))
            .await;
        let tag = img_tag(&html, &inserted);
        assert!(
            tag.contains(&format!(
                "srcset=\"/media/{iid}-480.png 480w, /media/{iid}-960.png 960w, {inserted} 1600w\""
            )),
            "{tag}"
        );
        assert!(tag.contains(SIZES), "{tag}");
        assert!(tag.contains("width=\"1600\" height=\"480\""), "{tag}");
        assert!(tag.contains("loading=\"lazy\""), "{tag}");
        assert!(tag.contains("alt=\"Children at the new shelves\""), "{tag}");
        let tag = img_tag(&html, &featured);
        assert!(
            tag.contains(&format!(
                "srcset=\"/media/{fid}-480.jpg 480w, /media/{fid}-960.jpg 960w, {featured} 1600w\""
            )),
            "{tag}"
        );
        assert!(tag.contains(SIZES), "{tag}");
        assert!(tag.contains("width=\"1600\" height=\"800\""), "{tag}");
        assert!(
            !tag.contains("loading="),
            "the featured image is not lazy: {tag}"
        );
        // The external image is left alone.
        let tag = img_tag(&html, "https://example.org/remote.jpg");
        assert!(
            !tag.contains("srcset") && !tag.contains("loading") && !tag.contains("width"),
            "{tag}"
        );

        // A 300 px image: stored and shown with its size, but no copies and no srcset.
        let small = png_bytes(300, 200);
        let token = csrf(&app, &ed, &format!("/admin/posts/{id}")).await;
        let mut f = fields("A small badge", &token);
        f.retain(|(k, _)| *k != "body");
        f.push(("body", p.body_md.clone()));
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = submit(
            &app,
            &ed,
            &format!("/admin/posts/{id}"),
            &f,
            &[("insert_image", "badge.png", "image/png", &small)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let p = write::by_id(db, &id).await.expect("db").expect("post");
        let start = p.body_md.find("![A small badge](").expect("second image");
        let badge = p.body_md[start..]
            .trim_start_matches("![A small badge](")
            .split(')')
            .next()
            .expect("url")
            .to_string();
        let bid = media_id(&badge).to_string();
        assert!(variant_widths(db, &bid).await.is_empty());
        assert_eq!(count(db, "media").await, 7);
        assert_eq!(fetch(&app, &badge, "image/png").await, (300, 200));
        assert_eq!(
            app.get(&format!("/media/{bid}-480.png"))
                .await
                .status()
                .as_u16(),
            404
        );
        // The featured image was kept.
        assert_eq!(p.featured_image_url.as_deref(), Some(featured.as_str()));
        let html = app
            .text(&write::permalink(&p, &Permalinks::default()))
            .await;
        let tag = img_tag(&html, &badge);
        assert!(!tag.contains("srcset"), "{tag}");
        assert!(tag.contains("width=\"300\" height=\"200\""), "{tag}");
        assert!(tag.contains("loading=\"lazy\""), "{tag}");
        // The first inserted image still has its srcset.
        assert!(img_tag(&html, &inserted).contains("480w"));
        app.stop().await;
    })
    .await;
}
