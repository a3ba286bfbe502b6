//! Live coverage in the console (`blog::live`): `/admin/posts/{id}/live` starts and ends a
//! post's live mode and, while it is live, takes entries from a phone-sized form (text or a
//! quote, an optional photo stored through the media store with its description) and lists
//! them newest first with a delete button each. One multipart `POST` takes every form
//! (`action` = `start`, `add`, `delete`, `end`). For a post federation publishes (published,
//! not a page, not protected: `federation::live_notes::can_federate`) the form has "Also post
//! to followers", ticked at first: the entry then goes out as a note too, and the list marks
//! the entries that did. Whoever may edit the post as an editor
//! (`PostsWrite` where its campaign is) may do all of it; every change is audited.

use askama::Template;
use axum::Extension;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;

use super::upload::{self, Posted};
use super::{Console, Shell};
use crate::blog::live::{self, EntryError, EntryKind, NewEntry};
use crate::blog::write::{Post, WriteError};
use crate::federation;
use crate::http::AppError;
use crate::http::limits::OverLimit;
use crate::media;

/// One entry in the list.
pub struct Row {
    pub id: String,
    pub when: String,
    pub kind: String,
    pub body: String,
    pub image: Option<String>,
    /// Sent to the followers (and not taken back).
    pub sent: bool,
}

#[derive(Template)]
#[template(path = "console/live.html")]
pub struct LivePage {
    pub shell: Shell,
    pub heading: String,
    pub editor_href: String,
    pub public_href: Option<String>,
    pub action: String,
    pub live: bool,
    pub notice: String,
    pub ok: bool,
    /// The entry typed, kept when it was refused.
    pub body: String,
    pub quote: bool,
    pub alt: String,
    /// Whether entries may go to the followers, and whether the box is ticked.
    pub can_federate: bool,
    pub federate: bool,
    pub max: usize,
    pub zone: String,
    pub rows: Vec<Row>,
}

struct Shown {
    notice: String,
    ok: bool,
    body: String,
    quote: bool,
    alt: String,
    federate: bool,
    status: StatusCode,
}

impl Shown {
    fn fine(notice: String) -> Shown {
        Shown {
            ok: !notice.is_empty(),
            notice,
            body: String::new(),
            quote: false,
            alt: String::new(),
            federate: true,
            status: StatusCode::OK,
        }
    }
}

async fn show(cx: &Console, p: &Post, sh: Shown) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let zone = &cx.me.member.time_zone;
    let live = live::live_since(&cx.s.db, &p.id).await?.is_some();
    let mut list = live::entries(&cx.s.db, &p.id).await?;
    list.reverse();
    let base = cx.s.base_url.trim_end_matches('/');
    let mut rows = Vec::with_capacity(list.len());
    for e in list {
        rows.push(Row {
            when: tr.date_time_in(e.created_at, zone),
            kind: tr.t(&format!("console-live-kind-{}", e.kind)),
            sent: federation::live_notes::sent(&cx.s.db, base, &p.id, &e.id).await?,
            body: e.body_md,
            image: e.image_url,
            id: e.id,
        });
    }
    let can_federate = federation::live_notes::can_federate(&cx.s.db, &p.id).await?;
    let public_href = (p.status == crate::blog::write::PostStatus::Published)
        .then(|| crate::blog::write::permalink(p, &cx.s.settings.blog.permalink));
    let page = LivePage {
        shell: cx.shell("/admin/posts"),
        heading: if p.title.is_empty() {
            p.slug.clone()
        } else {
            p.title.clone()
        },
        editor_href: format!("/admin/posts/{}", p.id),
        public_href,
        action: format!("/admin/posts/{}/live", p.id),
        live,
        notice: sh.notice,
        ok: sh.ok,
        body: sh.body,
        quote: sh.quote,
        alt: sh.alt,
        can_federate,
        federate: sh.federate,
        max: live::MAX_ENTRY,
        zone: super::local_time(zone, chrono::Utc::now()).zone,
        rows,
    };
    Ok((sh.status, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    pub added: Option<String>,
    pub started: Option<String>,
}

/// `GET /admin/posts/{id}/live`.
pub async fn page(
    cx: Console,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let p = super::posts::editable_as_editor(&cx, &id).await?;
    let notice = if q.added.is_some() {
        cx.r.tr.t("console-live-added")
    } else if q.started.is_some() {
        cx.r.tr.t("console-live-started")
    } else {
        String::new()
    };
    show(&cx, &p, Shown::fine(notice)).await
}

/// `POST /admin/posts/{id}/live`.
pub async fn act(
    cx: Console,
    Path(id): Path<String>,
    Extension(over): Extension<OverLimit>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let p = super::posts::editable_as_editor(&cx, &id).await?;
    let tr = &cx.r.tr;
    let mut posted = match upload::read(&mut mp, &["photo"], &over).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
    let photo = posted.take_file("photo");
    let Posted {
        fields,
        too_large,
        cut,
        ..
    } = posted;
    let refuse = |notice: String, status: StatusCode| Shown {
        notice,
        ok: false,
        body: fields.get("body").to_string(),
        quote: fields.get("kind") == "quote",
        alt: fields.get("alt").to_string(),
        federate: fields.get("federate") == "1",
        status,
    };
    if !cx.csrf_ok(fields.csrf()) {
        let sh = refuse(tr.t("error-csrf"), StatusCode::UNPROCESSABLE_ENTITY);
        return show(&cx, &p, sh).await;
    }
    if cut.is_some() {
        let sh = refuse(upload::cut_message(tr), StatusCode::PAYLOAD_TOO_LARGE);
        return show(&cx, &p, sh).await;
    }
    if too_large.is_some() {
        let sh = refuse(upload::too_large_message(tr), StatusCode::PAYLOAD_TOO_LARGE);
        return show(&cx, &p, sh).await;
    }
    let actor = cx.actor();
    let back = format!("/admin/posts/{}/live", p.id);
    match fields.get("action") {
        "start" => {
            live::start(&cx.s.db, &p.id, &actor).await?;
            Ok(Redirect::to(&format!("{back}?started=1")).into_response())
        }
        "delete" => {
            live::delete(&cx.s.db, &p.id, fields.get("entry"), &actor).await?;
            Ok(Redirect::to(&back).into_response())
        }
        "end" => match live::end(&cx.s.db, &p.id, &actor, &cx.me.member).await {
            Ok(_) => Ok(Redirect::to(&format!("/admin/posts/{}?saved=1", p.id)).into_response()),
            Err(WriteError::Invalid(errs)) => {
                let why: Vec<String> = errs
                    .iter()
                    .map(|(f, c)| crate::blog::write::describe(f, c))
                    .collect();
                let sh = refuse(
                    tr.ta("console-revision-invalid", [("why", why.join("; "))]),
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
                show(&cx, &p, sh).await
            }
            Err(WriteError::NotFound) => Err(AppError::NotFound),
            Err(WriteError::Refused(_)) => Err(AppError::Forbidden),
            Err(WriteError::Duplicate) => Err(AppError::Conflict("duplicate".into())),
            Err(WriteError::Db(e)) => Err(e.into()),
        },
        "add" => {
            let kind = EntryKind::parse(fields.get("kind")).unwrap_or(EntryKind::Text);
            let alt = fields.get("alt").trim().to_string();
            let image_url = match photo {
                Some(bytes) => {
                    if alt.is_empty() {
                        let sh = refuse(
                            tr.t("console-live-error-alt"),
                            StatusCode::UNPROCESSABLE_ENTITY,
                        );
                        return show(&cx, &p, sh).await;
                    }
                    match media::process_with_variants_blocking(bytes).await {
                        Ok((processed, variants)) => {
                            let mut tx = cx.s.db.begin().await?;
                            let url = media::insert_with_variants_in(
                                &mut tx,
                                &processed,
                                &variants,
                                Some(&cx.me.member.id),
                            )
                            .await?;
                            tx.commit().await?;
                            Some(url)
                        }
                        Err(err) => {
                            let (message, status) = upload::refusal(tr, &err);
                            return show(&cx, &p, refuse(message, status)).await;
                        }
                    }
                }
                None => None,
            };
            let e = NewEntry {
                kind,
                body_md: fields.get("body").to_string(),
                image_url,
                image_alt: alt,
                federate: fields.get("federate") == "1"
                    && federation::live_notes::can_federate(&cx.s.db, &p.id).await?,
            };
            match live::add(&cx.s.db, &p.id, &e, &actor).await? {
                Ok(_) => Ok(Redirect::to(&format!("{back}?added=1")).into_response()),
                Err(err) => {
                    let key = match err {
                        EntryError::Empty => "console-live-error-empty",
                        EntryError::TooLong => "console-live-error-long",
                        EntryError::NotLive => "console-live-error-not-live",
                    };
                    let sh = refuse(
                        tr.ta(key, [("max", live::MAX_ENTRY.to_string())]),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    );
                    show(&cx, &p, sh).await
                }
            }
        }
        _ => Err(AppError::BadRequest("unknown action".into())),
    }
}
