//! Keeping what a member types in the editors (posts and campaigns):
//!
//! * **Autosave**: the editor's script (`static/editor.js`) posts the form's text fields every
//!   few seconds when they changed to `POST <editor>/autosave` (session-bound CSRF token;
//!   JSON answer with fresh tokens). It is kept as the member's autosave of that editor
//!   (`crate::revisions`: one per member and editor, each replacing the last).
//! * **Restoring**: opening the editor shows the member's autosave instead of what is stored,
//!   with a notice, the time and a button to discard it, until it is saved or discarded
//!   (an autosave equal to what is stored is dropped quietly).
//! * **After the session ended**: every editor form carries a *keep token* — a CSRF token
//!   bound to `keep|<member id>|<editor>` — with the member's id. A form (or autosave) posted
//!   without a live session is handed here by the access layer ([`signed_out`]): when the
//!   token checks out (same origin, signed by this site for that member and editor within
//!   24 hours) the text is kept as that member's autosave, and the answer is the sign-in page
//!   (`/signin?next=<editor>&kept=1`), which brings the member back to the editor with it.
//!   Nobody else can read it; a token cannot write into another member's or editor's autosave.

use axum::Json;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::multipart::Multipart;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use http::StatusCode;
use http::request::Parts;

use super::Console;
use super::upload;
use crate::http::limits::{CappedBody, OverLimit};
use crate::http::{AppError, AppState};
use crate::revisions::{self, Target};
use crate::web::form::Fields;

/// The fields of an editor form that are not its content (never kept).
const NOT_KEPT: &[&str] = &["csrf", "keep_member", "keep_token", "action", "discard"];

/// Most bytes kept of one text field posted without a session.
const MAX_TEXT: usize = 1024 * 1024;

/// What every editor page carries for keeping the text.
pub struct EditorKeep {
    /// Where the script posts the form, and where "discard" goes.
    pub autosave_action: String,
    /// Sign in again and come back to the editor (shown by the script once signed out).
    pub signin_href: String,
    pub member: String,
    pub token: String,
    /// When the editor shows a restored autosave: its time in the member's zone.
    pub restored_at: Option<String>,
    /// The editor's script.
    pub js: String,
}

fn binding(member_id: &str, target: &Target) -> String {
    format!("keep|{member_id}|{}", target.key())
}

fn signin_href(editor: &str, kept: bool) -> String {
    let next = percent_encoding::utf8_percent_encode(editor, percent_encoding::NON_ALPHANUMERIC);
    if kept {
        format!("/signin?next={next}&kept=1")
    } else {
        format!("/signin?next={next}")
    }
}

impl EditorKeep {
    /// For the editor at `editor` (its path) of `target`.
    pub fn new(
        cx: &Console,
        target: &Target,
        editor: &str,
        restored_at: Option<DateTime<Utc>>,
    ) -> EditorKeep {
        let member = cx.me.member.id.clone();
        EditorKeep {
            autosave_action: format!("{editor}/autosave"),
            signin_href: signin_href(editor, true),
            token: cx.s.csrf.token_bound(&binding(&member, target), Utc::now()),
            member,
            restored_at: restored_at.map(|t| cx.r.tr.date_time_in(t, &cx.me.member.time_zone)),
            js: cx.s.assets.url("editor.js").to_string(),
        }
    }
}

/// What the editor shows: the member's autosave of `target` read with `of_fields`, when there
/// is one that `same` does not find equal to `stored` (one that is, is dropped); else
/// `stored`. With the autosave's time.
pub async fn restored<F>(
    cx: &Console,
    target: &Target,
    stored: F,
    of_fields: fn(&Fields) -> F,
    same: fn(&F, &F) -> bool,
) -> Result<(F, Option<DateTime<Utc>>), AppError> {
    let me = &cx.me.member.id;
    let Some(a) = revisions::autosave_of(&cx.s.db, target, me).await? else {
        return Ok((stored, None));
    };
    let kept = of_fields(&Fields(a.fields));
    if same(&kept, &stored) {
        revisions::drop_autosave(&cx.s.db, target, me).await?;
        return Ok((stored, None));
    }
    Ok((kept, Some(a.saved_at)))
}

/// The content fields of a posted form, line breaks as `\n` (as stored texts have them).
fn content(fields: Fields) -> Vec<(String, String)> {
    fields
        .0
        .into_iter()
        .filter(|(k, _)| !NOT_KEPT.contains(&k.as_str()))
        .map(|(k, v)| (k, v.replace("\r\n", "\n")))
        .collect()
}

/// The text of a kept form: its title and its body (`body`, or a campaign's `story`).
fn text_of(target: &Target, fields: &[(String, String)]) -> (String, String) {
    let body_field = match target {
        Target::Campaign(_) => "story",
        _ => "body",
    };
    let get = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    (get("title"), get(body_field))
}

async fn store(
    cx: Console,
    target: Target,
    editor: &str,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let files = ["image", "insert_image", "cover"];
    let posted = match upload::read(&mut mp, &files, &OverLimit::default()).await {
        Ok(p) => p,
        Err(res) => return Ok(res),
    };
    if !cx.csrf_ok(posted.fields.csrf()) {
        let body = serde_json::json!({
            "error": { "code": "csrf", "message": cx.r.tr.t("error-csrf") }
        });
        return Ok((StatusCode::FORBIDDEN, Json(body)).into_response());
    }
    let me = &cx.me.member;
    if posted.fields.checked("discard") {
        revisions::drop_autosave(&cx.s.db, &target, &me.id).await?;
        return Ok(Redirect::to(editor).into_response());
    }
    let fields = content(posted.fields);
    let (title, body) = text_of(&target, &fields);
    revisions::autosave(&cx.s.db, &target, &me.id, &fields, &title, &body).await?;
    let now = Utc::now();
    let local = super::local_time(&me.time_zone, now);
    Ok(Json(serde_json::json!({
        "saved_at": now.to_rfc3339(),
        "message": cx.r.tr.ta("console-autosaved", [("time", local.time)]),
        "csrf": cx.s.csrf.token_bound(&cx.me.session.id_hash, now),
        "keep_token": cx.s.csrf.token_bound(&binding(&me.id, &target), now),
    }))
    .into_response())
}

/// `POST /admin/posts/new/autosave`.
pub async fn new_post(cx: Console, mp: Multipart) -> Result<Response, AppError> {
    store(cx, Target::NewPost, "/admin/posts/new", mp).await
}

/// `POST /admin/posts/{id}/autosave`.
pub async fn post(
    cx: Console,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let p = super::posts::editable(&cx, &id).await?;
    let editor = format!("/admin/posts/{}", p.id);
    store(cx, Target::Post(p.id), &editor, mp).await
}

/// `POST /admin/campaigns/{slug}/autosave`.
pub async fn campaign(
    cx: Console,
    Path(slug): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let c = super::campaigns::editable(&cx, &slug).await?;
    let editor = format!("/admin/campaigns/{}", c.slug);
    store(cx, Target::Campaign(c.id), &editor, mp).await
}

/// Whether a form posted to the route `path` (its template) without a live session is kept
/// ([`signed_out`]): the editors and their autosave endpoints.
pub fn keeps(path: &str) -> bool {
    matches!(
        path,
        "/admin/posts/new"
            | "/admin/posts/{id}"
            | "/admin/campaigns/{slug}"
            | "/admin/posts/new/autosave"
            | "/admin/posts/{id}/autosave"
            | "/admin/campaigns/{slug}/autosave"
    )
}

/// The text fields of a multipart body (files skipped), read to the end of the body (at
/// most [`upload::EDITOR_BODY_MAX`]; past it, what came before).
async fn text_fields(parts: &Parts, body: Body) -> Vec<(String, String)> {
    let ct = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Ok(boundary) = multer::parse_boundary(ct) else {
        return Vec::new();
    };
    let body = Body::new(CappedBody::new(
        body,
        upload::EDITOR_BODY_MAX,
        OverLimit::default(),
    ));
    let mut mp = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut out = Vec::new();
    while let Ok(Some(mut field)) = mp.next_field().await {
        if field.file_name().is_some() {
            continue;
        }
        let name = field.name().unwrap_or("").to_string();
        let mut text = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(c)) if text.len() < MAX_TEXT => text.extend_from_slice(&c),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return out,
            }
        }
        if out.len() < 500 {
            out.push((name, String::from_utf8_lossy(&text).into_owned()));
        }
    }
    out
}

/// A form posted to an editor route (`path`, its template; see [`keeps`]) without a live
/// session: kept as its member's autosave when its keep token checks out; either way the
/// answer is the way to sign in and come back to the editor.
pub async fn signed_out(s: &AppState, path: &str, parts: Parts, body: Body) -> Response {
    let uri_path = parts.uri.path().to_string();
    let editor = uri_path
        .strip_suffix("/autosave")
        .unwrap_or(&uri_path)
        .to_string();
    let fields = Fields(text_fields(&parts, body).await);
    let kept = keep_for_member(s, path, &editor, &parts, fields)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not keep a form posted after the session ended");
            false
        });
    Redirect::to(&signin_href(&editor, kept)).into_response()
}

async fn keep_for_member(
    s: &AppState,
    path: &str,
    editor: &str,
    parts: &Parts,
    fields: Fields,
) -> Result<bool, AppError> {
    let segment = editor.rsplit('/').next().unwrap_or("");
    let target = if path.starts_with("/admin/posts/new") {
        Target::NewPost
    } else if path.starts_with("/admin/posts/") {
        Target::Post(segment.to_string())
    } else {
        match crate::campaigns::repo::by_slug(&s.db, segment).await? {
            Some(c) => Target::Campaign(c.id),
            None => return Ok(false),
        }
    };
    let member_id = fields.get("keep_member").to_string();
    let token = fields.get("keep_token");
    let ok = crate::http::csrf::check_bound(
        &s.csrf,
        &parts.headers,
        Some(token),
        &binding(&member_id, &target),
        Utc::now(),
    );
    if !ok {
        return Ok(false);
    }
    let member = crate::team::repo::by_id(&s.db, &member_id).await?;
    if !member.is_some_and(|m| m.is_active()) {
        return Ok(false);
    }
    let fields = content(fields);
    let (title, body) = text_of(&target, &fields);
    revisions::autosave(&s.db, &target, &member_id, &fields, &title, &body).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_fields_and_texts() {
        let f = Fields(vec![
            ("csrf".into(), "t".into()),
            ("title".into(), "Roof".into()),
            ("body".into(), "a\r\nb".into()),
            ("keep_token".into(), "k".into()),
            ("action".into(), "save".into()),
        ]);
        let kept = content(f);
        assert_eq!(
            kept,
            vec![
                ("title".to_string(), "Roof".to_string()),
                ("body".to_string(), "a\nb".to_string())
            ]
        );
        assert_eq!(
            text_of(&Target::NewPost, &kept),
            ("Roof".into(), "a\nb".into())
        );
        assert_eq!(
            text_of(&Target::Campaign("c".into()), &kept),
            ("Roof".into(), String::new())
        );
        assert!(keeps("/admin/posts/{id}") && keeps("/admin/campaigns/{slug}/autosave"));
        assert!(!keeps("/admin/members") && !keeps("/admin/posts/{id}/revisions/{rev}/restore"));
        assert_eq!(
            signin_href("/admin/posts/new", true),
            "/signin?next=%2Fadmin%2Fposts%2Fnew&kept=1"
        );
    }
}
