//! Revisions of a post or a campaign story (`crate::revisions`): the list (times in the
//! member's zone, who, how long), one revision's title and text, and restoring it — written
//! as a new revision, audited (`post.restored`, `campaign.restored`) — then back to the
//! editor. Whoever may edit the post or campaign may see and restore its revisions.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

use super::{Console, Shell};
use crate::blog::write::{self, WriteError};
use crate::http::AppError;
use crate::revisions::{self, Revision, Target};

/// How many revisions the list shows (the newest).
const LIST_MAX: i64 = 200;

/// One row of the list.
pub struct Row {
    pub href: String,
    pub when: String,
    pub author: String,
    pub title: String,
    pub kind: String,
    pub chars: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/revisions.html")]
pub struct ListPage {
    pub shell: Shell,
    pub heading: String,
    pub editor_href: String,
    pub zone: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "console/revision.html")]
pub struct OnePage {
    pub shell: Shell,
    pub heading: String,
    pub editor_href: String,
    pub list_href: String,
    pub when: String,
    pub author: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub restore_action: String,
    pub notice: String,
}

/// What the revisions belong to, as the pages need it.
struct Owner {
    target: Target,
    /// The post's or campaign's title.
    name: String,
    /// The editor's path (the revisions are under it).
    editor: String,
    section: &'static str,
}

async fn post_owner(cx: &Console, id: &str) -> Result<Owner, AppError> {
    // Revisions are the editors' (a contributor opens their own draft, not its history).
    let p = super::posts::editable_as_editor(cx, id).await?;
    Ok(Owner {
        name: if p.title.is_empty() {
            p.slug.clone()
        } else {
            p.title.clone()
        },
        editor: format!("/admin/posts/{}", p.id),
        target: Target::Post(p.id),
        section: "/admin/posts",
    })
}

async fn campaign_owner(cx: &Console, slug: &str) -> Result<Owner, AppError> {
    let c = super::campaigns::editable(cx, slug).await?;
    Ok(Owner {
        name: c.title.clone(),
        editor: format!("/admin/campaigns/{}", c.slug),
        target: Target::Campaign(c.id),
        section: "/admin",
    })
}

fn kind_label(cx: &Console, r: &Revision) -> String {
    cx.r.tr
        .t(&format!("console-revision-kind-{}", r.kind.as_str()))
}

async fn list(cx: Console, o: Owner) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let zone = &cx.me.member.time_zone;
    let revs = revisions::list(&cx.s.db, &o.target, LIST_MAX).await?;
    let rows = revs
        .iter()
        .enumerate()
        .map(|(i, r)| Row {
            href: format!("{}/revisions/{}", o.editor, r.id),
            when: tr.date_time_in(r.created_at, zone),
            author: if r.author.is_empty() {
                tr.t("console-revision-unknown-author")
            } else {
                r.author.clone()
            },
            title: r.title.clone(),
            kind: kind_label(&cx, r),
            chars: tr.int(r.chars),
            current: i == 0,
        })
        .collect();
    let page = ListPage {
        shell: cx.shell(o.section),
        heading: o.name,
        editor_href: o.editor,
        zone: super::local_time(zone, chrono::Utc::now()).zone,
        rows,
    };
    Ok(Html(page.render()?).into_response())
}

async fn show(cx: Console, o: Owner, rev: &str, notice: String) -> Result<Response, AppError> {
    let r = revisions::get(&cx.s.db, &o.target, rev)
        .await?
        .ok_or(AppError::NotFound)?;
    let tr = &cx.r.tr;
    let status = if notice.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = OnePage {
        heading: o.name.clone(),
        list_href: format!("{}/revisions", o.editor),
        restore_action: format!("{}/revisions/{}/restore", o.editor, r.id),
        when: tr.date_time_in(r.created_at, &cx.me.member.time_zone),
        author: r.author.clone(),
        kind: kind_label(&cx, &r),
        title: r.title,
        body: r.body,
        editor_href: o.editor,
        notice,
        shell: cx.shell(o.section),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /admin/posts/{id}/revisions`.
pub async fn post_list(cx: Console, Path(id): Path<String>) -> Result<Response, AppError> {
    let o = post_owner(&cx, &id).await?;
    list(cx, o).await
}

/// `GET /admin/posts/{id}/revisions/{rev}`.
pub async fn post_show(
    cx: Console,
    Path((id, rev)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let o = post_owner(&cx, &id).await?;
    show(cx, o, &rev, String::new()).await
}

/// `GET /admin/campaigns/{slug}/revisions`.
pub async fn campaign_list(cx: Console, Path(slug): Path<String>) -> Result<Response, AppError> {
    let o = campaign_owner(&cx, &slug).await?;
    list(cx, o).await
}

/// `GET /admin/campaigns/{slug}/revisions/{rev}`.
pub async fn campaign_show(
    cx: Console,
    Path((slug, rev)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let o = campaign_owner(&cx, &slug).await?;
    show(cx, o, &rev, String::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RestoreForm {
    pub csrf: String,
}

/// `POST /admin/posts/{id}/revisions/{rev}/restore`.
pub async fn post_restore(
    cx: Console,
    Path((id, rev)): Path<(String, String)>,
    Form(f): Form<RestoreForm>,
) -> Result<Response, AppError> {
    let o = post_owner(&cx, &id).await?;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return show(cx, o, &rev, notice).await;
    }
    let r = revisions::get(&cx.s.db, &o.target, &rev)
        .await?
        .ok_or(AppError::NotFound)?;
    match write::restore(&cx.s.db, o.target.id(), &r, &cx.actor()).await {
        Ok(_) => {}
        Err(WriteError::Invalid(errs)) => {
            let fields: Vec<String> = errs.iter().map(|(f, c)| write::describe(f, c)).collect();
            let notice =
                cx.r.tr
                    .ta("console-revision-invalid", [("why", fields.join("; "))]);
            return show(cx, o, &rev, notice).await;
        }
        Err(WriteError::NotFound) => return Err(AppError::NotFound),
        Err(WriteError::Refused(_)) => return Err(AppError::Forbidden),
        Err(WriteError::Duplicate) => return Err(AppError::Conflict("duplicate".into())),
        Err(WriteError::Db(e)) => return Err(e.into()),
    }
    revisions::drop_autosave(&cx.s.db, &o.target, &cx.me.member.id).await?;
    Ok(Redirect::to(&format!("{}?restored=1", o.editor)).into_response())
}

/// `POST /admin/campaigns/{slug}/revisions/{rev}/restore`.
pub async fn campaign_restore(
    cx: Console,
    Path((slug, rev)): Path<(String, String)>,
    Form(f): Form<RestoreForm>,
) -> Result<Response, AppError> {
    let o = campaign_owner(&cx, &slug).await?;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return show(cx, o, &rev, notice).await;
    }
    let r = revisions::get(&cx.s.db, &o.target, &rev)
        .await?
        .ok_or(AppError::NotFound)?;
    super::campaigns::restore(&cx, &slug, &r).await?;
    revisions::drop_autosave(&cx.s.db, &o.target, &cx.me.member.id).await?;
    Ok(Redirect::to(&format!("{}?restored=1", o.editor)).into_response())
}
