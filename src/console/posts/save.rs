//! Saving from the post editor (`POST /admin/posts/new`, `POST /admin/posts/{id}`): the
//! multipart body, image uploads (featured and inserted, stored with narrower copies),
//! preview, and the write through `blog::write`.

use axum::extract::Path;
use axum::extract::multipart::Multipart;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::blog::write::access::{self, Writer};
use crate::blog::write::{self, WriteError};
use crate::console::{Console, Errors, Fields};
use crate::http::AppError;
use crate::media::{self, MediaError, multipart_error};

use super::form::{PostForm, field_message, to_new_post};
use super::{editable, refused, render, zone_of};

/// `POST /admin/posts/new`.
pub async fn create(cx: Console, mp: Multipart) -> Result<Response, AppError> {
    save_any(cx, None, mp).await
}

/// `POST /admin/posts/{id}`.
pub async fn save(
    cx: Console,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    save_any(cx, Some(id), mp).await
}

/// What the editor posted.
struct Posted {
    fields: Fields,
    /// The featured `image` file (`None` when none was chosen).
    image: Option<Vec<u8>>,
    /// The `insert_image` file, to add to the body.
    insert: Option<Vec<u8>>,
    /// The file field that was over [`media::MAX_UPLOAD_BYTES`] (the rest of the body is still
    /// read).
    too_large: Option<&'static str>,
}

async fn read_multipart(mp: &mut Multipart) -> Result<Posted, Response> {
    let mut fields = Vec::new();
    let mut image: Option<Vec<u8>> = None;
    let mut insert: Option<Vec<u8>> = None;
    let mut too_large = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        let file_field = match name.as_str() {
            "image" => Some("image"),
            "insert_image" => Some("insert_image"),
            _ => None,
        };
        if let Some(which) = file_field {
            let (buf, over) = media::read_upload(&mut field).await?;
            if over {
                too_large.get_or_insert(which);
            } else if !buf.is_empty() {
                if which == "image" {
                    image = Some(buf);
                } else {
                    insert = Some(buf);
                }
            }
        } else if fields.len() < 500 {
            let text = field.text().await.map_err(multipart_error)?;
            fields.push((name, text));
        }
    }
    Ok(Posted {
        fields: Fields(fields),
        image,
        insert,
        too_large,
    })
}

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

/// Alt text made safe inside Markdown's `![…]` (one line, no brackets).
fn markdown_alt(alt: &str) -> String {
    alt.chars()
        .map(|c| match c {
            '[' | ']' | '\\' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn save_any(
    cx: Console,
    id: Option<String>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let post = match &id {
        Some(id) => Some(editable(&cx, id).await?),
        None => None,
    };
    let zone = zone_of(&cx);
    let tr = &cx.r.tr;
    let Posted {
        fields,
        image,
        insert,
        too_large,
    } = match read_multipart(&mut mp).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
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
                let html = render(cx, post, form, errors, notice, false, preview, zone).await?;
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
    if let Some(which) = too_large {
        let mut e = Errors::default();
        e.add(which, tr.t("console-error-image-too-large"));
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
    // "Insert image": stored (with its narrower copies) and appended to the body as
    // Markdown; the alt text is required.
    if let Some(bytes) = insert {
        let alt = markdown_alt(&form.insert_alt);
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
                let body = form.body.trim_end();
                let sep = if body.is_empty() { "" } else { "\n\n" };
                form.body = format!("{body}{sep}![{alt}]({url})\n");
                form.insert_alt.clear();
            }
            Err(err) => {
                let (key, status) = err.refusal();
                let mut e = Errors::default();
                e.add("insert_image", tr.t(key));
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
                let (key, status) = err.refusal();
                let mut e = Errors::default();
                e.add("image", tr.t(key));
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
