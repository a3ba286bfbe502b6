//! Helpers for the editor tests (`writing_uploads`, `writing_keep`): members with sessions,
//! multipart bodies as browsers send them, a phone-sized photo, the post editor's fields.

use std::io::Cursor;
use std::sync::OnceLock;

use shelfraiser::db::Db;
use shelfraiser::email::Email;
use shelfraiser::team::{Member, Role, repo as team_repo, session};

use crate::harness::*;

/// A member with a live session.
pub struct Who {
    pub member: Member,
    pub token: String,
}

/// An active member named `name` in time zone `zone` with a site-wide `role`.
pub async fn member(db: &Db, name: &str, zone: &str, role: Role) -> Who {
    let m = team_repo::create(
        db,
        &team_repo::NewMember {
            email: Email::parse(&format!("{name}@example.org")).expect("email"),
            display_name: format!("{name} tester"),
            time_zone: zone.into(),
            languages: "en".into(),
            status: shelfraiser::team::MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    team_repo::add_grant(db, &m.id, role, None)
        .await
        .expect("grant");
    let token = session::create(db, &m.id, false, None, None)
        .await
        .expect("session");
    let member = team_repo::by_id(db, &m.id).await.expect("db").expect("m");
    Who { member, token }
}

/// A file part: (field, file name, content type, bytes).
pub type FilePart<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

/// A `multipart/form-data` body with the text `fields` first, then the `files`.
pub fn multipart(fields: &[(&str, &str)], files: &[FilePart<'_>]) -> (String, Vec<u8>) {
    let boundary = format!("----editor-test-{}", uuid::Uuid::new_v4().simple());
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
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs a multipart body to `path`, with the session `token` when given.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
    files: &[FilePart<'_>],
) -> reqwest::Response {
    let (ct, body) = multipart(fields, files);
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", ct)
        .body(body);
    if let Some(t) = token {
        req = req.header("cookie", format!("sr_session={t}"));
    }
    req.send().await.expect("POST multipart")
}

/// A 4032 × 3024 JPEG of 6 to 20 MB, like a phone camera's (made once per test run).
pub fn phone_photo() -> &'static [u8] {
    static PHOTO: OnceLock<Vec<u8>> = OnceLock::new();
    PHOTO.get_or_init(|| {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let img = image::RgbImage::from_fn(4032, 3024, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed & 0x3f) as u8;
            image::Rgb([
                (x / 16) as u8 / 2 + n,
                (y / 12) as u8 / 2 + n,
                96u8.wrapping_add(n),
            ])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut Cursor::new(&mut out),
                92,
            ))
            .expect("jpeg");
        out
    })
}

/// A small real PNG.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 80]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// The post editor's fields for an article, with `extra` added (later values win).
pub fn post_fields<'a>(csrf: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("csrf", csrf),
        ("kind", "article"),
        ("title", "A typed title"),
        ("body", "A typed body."),
        ("status", "draft"),
        ("publish_at", ""),
        ("campaign", ""),
        ("comments_open", "1"),
        ("action", "save"),
    ];
    v.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    v.extend_from_slice(extra);
    v
}

/// The id in a `/admin/posts/{id}?saved=1` redirect.
pub fn post_id_of(res: &reqwest::Response) -> String {
    let loc = location(res);
    let rest = loc
        .strip_prefix("/admin/posts/")
        .unwrap_or_else(|| panic!("not a post editor: {loc}"));
    rest.split('?').next().unwrap_or("").to_string()
}
