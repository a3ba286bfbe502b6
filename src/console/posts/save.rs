//! Saving from the post editor (`POST /admin/posts/new`, `POST /admin/posts/{id}`): the
//! multipart body, image uploads (featured and inserted, stored with narrower copies),
//! preview, and the write through `blog::write`.

use axum::Extension;
use axum::extract::Path;
use axum::extract::multipart::Multipart;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::blog::write::access::{self, Writer};
use crate::blog::write::{self, WriteError};
use crate::console::upload::{self, Posted};
use crate::console::{Console, Errors};
use crate::http::AppError;
use crate::http::limits::OverLimit;
use crate::media::{self, MediaError};
use crate::revisions::{self, Target};

use super::form::{PostForm, field_message, to_new_post};
use super::{editable, refused, render, zone_of};

/// `POST /admin/posts/new`.
pub async fn create(
    cx: Console,
    Extension(over): Extension<OverLimit>,
    mp: Multipart,
) -> Result<Response, AppError> {
    save_any(cx, None, mp, over).await
}

/// `POST /admin/posts/{id}`.
pub async fn save(
    cx: Console,
    Path(id): Path<String>,
    Extension(over): Extension<OverLimit>,
    mp: Multipart,
) -> Result<Response, AppError> {
    save_any(cx, Some(id), mp, over).await
}

/// The editor's file inputs.
const FILE_FIELDS: [&str; 2] = ["image", "insert_image"];

/// Stores an uploaded post image with its narrower copies; its public path, or why the
/// file was refused.
async fn store_image(cx: &Console, bytes: Vec<u8>) -> Result<Result<String, MediaError>, AppError> {
    let (processed, variants) = match media::process_with_variants_blocking(bytes).await {
        Ok(x) => x,
        Err(err) => return Ok(Err(err)),
    };
    let mut tx = cx.s.db.begin().await?;
    let url =
        media::insert_with_variants_in(&mut tx, &processed, &variants, Some(&cx.me.member.id))
            .await?;
    tx.commit().await?;
    Ok(Ok(url))
}

/// The byte offset in `text` of a browser's cursor position `units`: a textarea counts UTF-16
/// code units, with each line break (`\r\n` as posted) as one. `None` past the end.
fn byte_offset(text: &str, units: usize) -> Option<usize> {
    let mut seen = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if seen >= units {
            return Some(i);
        }
        if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            chars.next();
        }
        seen += c.len_utf16();
    }
    (seen >= units).then_some(text.len())
}

/// `body` with `block` as a paragraph of its own at the cursor position `at` (see
/// [`byte_offset`]; a line that the cursor is in is split there), or at the end when `at`
/// is `None` or past the end.
fn insert_paragraph(body: &str, at: Option<usize>, block: &str) -> String {
    let at = at.and_then(|u| byte_offset(body, u)).unwrap_or(body.len());
    let (before, after) = body.split_at(at);
    let before = before.trim_end_matches([' ', '\t']);
    let lead =
        if before.trim().is_empty() || before.ends_with("\n\n") || before.ends_with("\r\n\r\n") {
            ""
        } else if before.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
    let after = after.trim_start_matches([' ', '\t']);
    let trail = if after.trim().is_empty() {
        "\n"
    } else if after.starts_with("\n\n") || after.starts_with("\r\n\r\n") {
        ""
    } else if after.starts_with('\n') || after.starts_with("\r\n") {
        "\n"
    } else {
        "\n\n"
    };
    let before = if before.trim().is_empty() { "" } else { before };
    let after = if after.trim().is_empty() { "" } else { after };
    format!("{before}{lead}{block}{trail}{after}")
}

async fn save_any(
    cx: Console,
    id: Option<String>,
    mut mp: Multipart,
    over: OverLimit,
) -> Result<Response, AppError> {
    let post = match &id {
        Some(id) => Some(editable(&cx, id).await?),
        None => None,
    };
    let zone = zone_of(&cx);
    let tr = &cx.r.tr;
    let mut posted = match upload::read(&mut mp, &FILE_FIELDS, &over).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
    let (image, insert) = (posted.take_file("image"), posted.take_file("insert_image"));
    let Posted {
        fields,
        too_large,
        cut,
        ..
    } = posted;
    let mut form = PostForm::of_fields(&fields);
    let action = fields.get("action").to_string();
    match action.as_str() {
        "publish" => form.status = "published".into(),
        "unpublish" | "draft" => form.status = "draft".into(),
        "submit" => form.status = "pending".into(),
        _ => {}
    }
    let show =
        |form: PostForm, errors: Errors, notice: String, status: StatusCode, preview: bool| {
            let (cx, post, zone) = (&cx, post.as_ref(), zone.as_str());
            async move {
                let html =
                    render(cx, post, form, errors, notice, false, preview, zone, None).await?;
                Ok::<Response, AppError>((status, Html(html)).into_response())
            }
        };
    if !cx.csrf_ok(fields.csrf()) {
        return show(
            form,
            Errors::default(),
            tr.t("error-csrf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
        )
        .await;
    }
    if let Some(which) = cut {
        // The body went over the limit: what was read is shown again, with the reason.
        let mut e = Errors::default();
        e.add(which, upload::cut_message(tr));
        return show(
            form,
            e,
            tr.t("error-form"),
            StatusCode::PAYLOAD_TOO_LARGE,
            false,
        )
        .await;
    }
    if let Some(which) = too_large {
        let mut e = Errors::default();
        e.add(which, upload::too_large_message(tr));
        return show(
            form,
            e,
            tr.t("error-form"),
            StatusCode::PAYLOAD_TOO_LARGE,
            false,
        )
        .await;
    }
    if action == "preview" {
        return show(form, Errors::default(), String::new(), StatusCode::OK, true).await;
    }
    // "Insert image": stored (with its narrower copies) and put into the body as Markdown
    // where the cursor was (the editor's script sends it), else at the end; the alt text is
    // required.
    if let Some(bytes) = insert {
        let alt = write::markdown_alt(&form.insert_alt);
        if alt.is_empty() {
            let mut e = Errors::default();
            e.add("insert_alt", tr.t("console-post-error-insert-alt"));
            return show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await;
        }
        match store_image(&cx, bytes).await? {
            Ok(url) => {
                let at = form.insert_at.trim().parse::<usize>().ok();
                form.body = insert_paragraph(&form.body, at, &format!("![{alt}]({url})"));
                form.insert_alt.clear();
                form.insert_at.clear();
            }
            Err(err) => {
                let (message, status) = upload::refusal(tr, &err);
                let mut e = Errors::default();
                e.add("insert_image", message);
                return show(form, e, tr.t("error-form"), status, false).await;
            }
        }
    }
    let author_id = match &post {
        Some(p) => p
            .author_id
            .clone()
            .or_else(|| Some(cx.me.member.id.clone())),
        None => Some(cx.me.member.id.clone()),
    };
    let keep_image = if form.remove_image {
        None
    } else {
        post.as_ref().and_then(|p| p.featured_image_url.clone())
    };
    let mut new = match to_new_post(tr, &cx.me, &form, author_id, &zone, keep_image) {
        Ok(n) => n,
        Err(e) => {
            return show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await;
        }
    };
    if let Some(bytes) = image {
        match store_image(&cx, bytes).await? {
            Ok(url) => {
                new.featured_image_url = Some(url);
            }
            Err(err) => {
                let (message, status) = upload::refusal(tr, &err);
                let mut e = Errors::default();
                e.add("image", message);
                return show(form, e, tr.t("error-form"), status, false).await;
            }
        }
    }
    // A contributor's editor has no time or sticky fields: theirs stay as they were (the
    // write refuses any change to them).
    if access::writer(&cx.me.member, new.campaign_id.as_deref()) == Some(Writer::Contributor) {
        new.published_at = post.as_ref().and_then(|p| p.published_at);
        new.sticky = post.as_ref().is_some_and(|p| p.sticky);
    }
    let actor = cx.actor();
    let me = &cx.me.member;
    let result = match &post {
        Some(p) => write::update_as(&cx.s.db, &p.id, &new, &actor, me).await,
        None => write::create_as(&cx.s.db, &new, &actor, me).await,
    };
    match result {
        Ok(p) => {
            // What was autosaved is in the post now.
            let target = match &post {
                Some(_) => Target::Post(p.id.clone()),
                None => Target::NewPost,
            };
            revisions::drop_autosave(&cx.s.db, &target, &cx.me.member.id).await?;
            let before = post.as_ref().map(|p| p.status);
            let mut to = format!("/admin/posts/{}?saved=1", p.id);
            if crate::blog::review::submitted(before, &p) {
                to = format!("/admin/posts/{}?saved=submitted", p.id);
                // The editors' e-mails go out in the background (the outbox keeps them).
                let (s, me) = (cx.s.clone(), me.clone());
                tokio::spawn(async move { crate::blog::review::tell_editors(&s, &p, &me).await });
            }
            Ok(Redirect::to(&to).into_response())
        }
        Err(WriteError::Invalid(errs)) => {
            let mut e = Errors::default();
            for (field, code) in errs {
                e.add(field, field_message(tr, field, code));
            }
            show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await
        }
        Err(WriteError::Refused(r)) => Err(refused(tr, r)),
        Err(WriteError::NotFound) => Err(AppError::NotFound),
        Err(WriteError::Duplicate) => Err(AppError::Conflict("duplicate".into())),
        Err(WriteError::Db(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_positions_count_like_a_textarea() {
        assert_eq!(byte_offset("abc", 0), Some(0));
        assert_eq!(byte_offset("abc", 3), Some(3));
        assert_eq!(byte_offset("abc", 4), None);
        // "é" is one unit, "😀" two; "\r\n" one.
        assert_eq!(byte_offset("é😀x", 3), Some(6));
        assert_eq!(byte_offset("a\r\nb", 2), Some(3));
        // A position inside a surrogate pair moves on to the next character.
        assert_eq!(byte_offset("😀x", 1), Some(4));
    }

    #[test]
    fn images_go_in_at_the_cursor_as_their_own_paragraph() {
        let img = "![A](/media/x.jpg)";
        assert_eq!(
            insert_paragraph("One.\n\nTwo.", None, img),
            "One.\n\nTwo.\n\n![A](/media/x.jpg)\n"
        );
        assert_eq!(
            insert_paragraph("One.\n\nTwo.", Some(4), img),
            "One.\n\n![A](/media/x.jpg)\n\nTwo."
        );
        assert_eq!(
            insert_paragraph("One.\n\nTwo.", Some(6), img),
            "One.\n\n![A](/media/x.jpg)\n\nTwo."
        );
        assert_eq!(
            insert_paragraph("Half way", Some(4), img),
            "Half\n\n![A](/media/x.jpg)\n\nway"
        );
        assert_eq!(insert_paragraph("", Some(0), img), "![A](/media/x.jpg)\n");
        assert_eq!(
            insert_paragraph("Text", Some(0), img),
            "![A](/media/x.jpg)\n\nText"
        );
        assert_eq!(
            insert_paragraph("Text", Some(99), img),
            "Text\n\n![A](/media/x.jpg)\n"
        );
    }
}
