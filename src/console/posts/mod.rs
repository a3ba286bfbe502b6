//! Writing the blog in the console: `/admin/posts` lists posts (filter by status),
//! `/admin/posts/new` and `/admin/posts/{id}` show the editor. The editor posts multipart
//! (a featured image with its description, and an "insert image" upload whose Markdown goes
//! where the cursor was in the body — at the end without the editor's script; both stored
//! with narrower copies for responsive pages) with `action` = `preview` (server-side,
//! nothing stored), `save`, `publish` (the primary button on a post not yet published) or
//! `unpublish`; every save goes through [`blog::write`](crate::blog::write), which audits
//! `post.created` / `post.updated` / `post.published` and keeps a revision
//! (`console::revisions`). After a save the editor says where the post stands: public now,
//! a draft, or when a scheduled post will appear (in the member's zone). The text is
//! autosaved and kept over a sign-in (`console::keep`).
//!
//! The schedule time is typed and shown in the signed-in member's time zone
//! (`members.time_zone`, named beside the field) and stored in UTC. Who may do what follows
//! [`blog::write::access`](crate::blog::write::access): editors and owners write and publish
//! any post (an editor scoped to one campaign only that campaign's); members write their own
//! drafts and submit them for review — their editor shows "Save draft" and "Submit for
//! review" (`action` = `draft` / `submit`) instead of the status, time and sticky fields — and
//! a refused write answers 403 with the reason. A submission e-mails the post's editors
//! (`blog::review`).

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Console;
use super::form::Opt;
use super::keep::{self, EditorKeep};
use super::{Errors, Shell};
use crate::blog::write::access::{self, Refusal, Writer};
use crate::blog::write::{self, Post, PostKind, PostStatus};
use crate::http::AppError;
use crate::i18n::I18n;
use crate::revisions::Target;
use crate::team::Member;

mod form;
mod list;
mod save;

pub use form::PostForm;
pub use list::{ListPage, ListQuery, Row, list};
pub use save::{create, save};

/// A refused write as the 403 page's reason, in the member's language.
fn refused(tr: &I18n, r: Refusal) -> AppError {
    AppError::Refused {
        code: r.code(),
        message: tr.t(r.message_key()),
    }
}

/// Whether the member writes (only) as a contributor where `campaign` is: no publishing
/// controls in the editor. For a new post, whether they edit posts nowhere.
fn contributes_only(m: &Member, campaign: Option<&str>, is_new: bool) -> bool {
    if is_new {
        !m.can_somewhere(crate::team::Permission::PostsWrite)
    } else {
        access::writer(m, campaign) == Some(Writer::Contributor)
    }
}

#[derive(Template)]
#[template(path = "console/post.html")]
pub struct EditorPage {
    pub shell: Shell,
    pub action: String,
    pub heading: String,
    pub public_href: Option<String>,
    pub form: PostForm,
    pub errors: Errors,
    pub notice: String,
    pub saved: bool,
    pub preview_html: Option<String>,
    pub kind_opts: Vec<Opt>,
    pub status_opts: Vec<Opt>,
    pub campaign_opts: Vec<Opt>,
    pub zone: String,
    pub image_url: Option<String>,
    pub is_new: bool,
    pub published: bool,
    /// The member writes this post as a contributor: "Save draft" and "Submit for review".
    pub contributor: bool,
    /// The post waits for an editor's review.
    pub pending: bool,
    pub keep: EditorKeep,
    pub revisions_href: Option<String>,
    /// Live coverage (`console::live`), for who may edit the post.
    pub live_href: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    cx: &Console,
    post: Option<&Post>,
    form: PostForm,
    errors: Errors,
    notice: String,
    saved: bool,
    preview: bool,
    zone: &str,
    restored_at: Option<DateTime<Utc>>,
) -> Result<String, AppError> {
    let tr = &cx.r.tr;
    let kind_opts = PostKind::ALL
        .iter()
        .map(|k| Opt {
            value: k.as_str().into(),
            label: tr.t(&format!("console-post-kind-{}", k.as_str())),
            selected: form.kind == k.as_str(),
        })
        .collect();
    let status_opts = PostStatus::ALL
        .iter()
        .map(|st| Opt {
            value: st.as_str().into(),
            label: tr.t(&format!("console-post-status-{}", st.as_str())),
            selected: form.status == st.as_str(),
        })
        .collect();
    let m = &cx.me.member;
    let mut campaign_opts = Vec::new();
    if access::writer(m, None).is_some() {
        campaign_opts.push(Opt {
            value: String::new(),
            label: tr.t("console-post-no-campaign"),
            selected: form.campaign.is_empty(),
        });
    }
    for c in crate::campaigns::repo::list(&cx.s.db).await? {
        if access::writer(m, Some(&c.id)).is_some() {
            campaign_opts.push(Opt {
                selected: form.campaign == c.id,
                value: c.id,
                label: c.title,
            });
        }
    }
    let preview_html = if preview {
        Some(crate::render::preview(tr, form.body.replace("<!--more-->", "")).await)
    } else {
        None
    };
    let action = post
        .map(|p| format!("/admin/posts/{}", p.id))
        .unwrap_or_else(|| "/admin/posts/new".into());
    let target = post.map_or(Target::NewPost, |p| Target::Post(p.id.clone()));
    let page = EditorPage {
        shell: cx.shell("/admin/posts"),
        keep: EditorKeep::new(cx, &target, &action, restored_at),
        revisions_href: post.map(|p| format!("/admin/posts/{}/revisions", p.id)),
        live_href: post
            .filter(|p| {
                cx.me.member.can(
                    crate::team::Permission::PostsWrite,
                    p.campaign_id.as_deref(),
                )
            })
            .map(|p| format!("/admin/posts/{}/live", p.id)),
        action,
        heading: match post {
            Some(p) if !p.title.is_empty() => p.title.clone(),
            Some(p) => p.slug.clone(),
            None => tr.t("console-post-new"),
        },
        public_href: post
            .filter(|p| p.status == PostStatus::Published)
            .map(|p| write::permalink(p, &cx.s.settings.blog.permalink)),
        preview_html,
        form,
        errors,
        notice,
        saved,
        kind_opts,
        status_opts,
        campaign_opts,
        zone: zone.to_string(),
        image_url: post.and_then(|p| p.featured_image_url.clone()),
        is_new: post.is_none(),
        published: post.is_some_and(|p| p.status == PostStatus::Published),
        contributor: contributes_only(
            m,
            post.and_then(|p| p.campaign_id.as_deref()),
            post.is_none(),
        ),
        pending: post.is_some_and(|p| p.status == PostStatus::Pending),
    };
    Ok(page.render()?)
}

/// The zone the editor reads and shows times in: the signed-in member's, whoever wrote the
/// post (the field's hint names it), so the person typing a time types it in their own.
fn zone_of(cx: &Console) -> String {
    cx.me.member.time_zone.clone()
}

/// The post, if the member may open it (403 with the reason otherwise).
pub(in crate::console) async fn editable(cx: &Console, id: &str) -> Result<Post, AppError> {
    let p = write::by_id(&cx.s.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    access::may_open(&cx.me.member, &p).map_err(|r| refused(&cx.r.tr, r))?;
    Ok(p)
}

/// The post, if the member may open it and write as an editor for its campaign (or the
/// site): what its history and its live coverage ask (a contributor opens their own draft,
/// not those). 403 otherwise.
pub(in crate::console) async fn editable_as_editor(
    cx: &Console,
    id: &str,
) -> Result<Post, AppError> {
    let p = editable(cx, id).await?;
    if !cx.me.member.can(
        crate::team::Permission::PostsWrite,
        p.campaign_id.as_deref(),
    ) {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    pub saved: Option<String>,
    pub restored: Option<String>,
}

/// Whether an autosave holds nothing that is not stored (the upload helpers aside).
fn same_post(a: &PostForm, b: &PostForm) -> bool {
    let bare = |f: &PostForm| PostForm {
        insert_alt: String::new(),
        insert_at: String::new(),
        remove_image: false,
        ..f.clone()
    };
    bare(a) == bare(b)
}

/// What the editor says after a save: where the post stands now. A scheduled post says when
/// it will appear, in the member's own time zone.
fn saved_notice(cx: &Console, p: &Post) -> String {
    let tr = &cx.r.tr;
    let zone = &cx.me.member.time_zone;
    match (p.status, p.published_at) {
        (PostStatus::Scheduled, Some(t)) => tr.ta(
            "console-post-saved-scheduled",
            [
                ("when", tr.date_time_in(t, zone)),
                ("zone", super::local_time(zone, t).zone),
            ],
        ),
        (PostStatus::Published, Some(t)) if t <= Utc::now() => tr.t("console-saved"),
        (PostStatus::Draft, _) => tr.t("console-post-saved-draft"),
        (PostStatus::Private, _) => tr.t("console-post-saved-private"),
        (PostStatus::Pending, _) => tr.t("console-post-saved-pending"),
        _ => tr.t("console-post-saved-plain"),
    }
}

/// `GET /admin/posts/new`.
pub async fn new(cx: Console) -> Result<Response, AppError> {
    let zone = zone_of(&cx);
    let mut form = PostForm::blank();
    // A member who writes no site-wide posts starts in the first campaign they write for.
    let m = &cx.me.member;
    if access::writer(m, None).is_none()
        && let Some(first) = crate::campaigns::repo::list(&cx.s.db)
            .await?
            .into_iter()
            .find(|c| access::writer(m, Some(&c.id)).is_some())
    {
        form.campaign = first.id;
    }
    let (form, restored_at) =
        keep::restored(&cx, &Target::NewPost, form, PostForm::of_fields, same_post).await?;
    let html = render(
        &cx,
        None,
        form,
        Errors::default(),
        String::new(),
        false,
        false,
        &zone,
        restored_at,
    )
    .await?;
    Ok(Html(html).into_response())
}

/// `GET /admin/posts/{id}`.
pub async fn edit(
    cx: Console,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    let p = editable(&cx, &id).await?;
    let zone = zone_of(&cx);
    let (cats, tags) = write::terms_of(&cx.s.db, &p.id).await?;
    let (saved, notice) = if q.restored.is_some() {
        (true, cx.r.tr.t("console-revision-restored"))
    } else if q.saved.as_deref() == Some("submitted") {
        (true, cx.r.tr.t("console-post-submitted"))
    } else if q.saved.is_some() {
        (true, saved_notice(&cx, &p))
    } else {
        (false, String::new())
    };
    let stored = PostForm::of_post(&p, &cats, &tags, &zone);
    let target = Target::Post(p.id.clone());
    let (form, restored_at) =
        keep::restored(&cx, &target, stored, PostForm::of_fields, same_post).await?;
    let html = render(
        &cx,
        Some(&p),
        form,
        Errors::default(),
        notice,
        saved,
        false,
        &zone,
        restored_at,
    )
    .await?;
    Ok(Html(html).into_response())
}
