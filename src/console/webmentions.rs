//! Webmentions in the console (`/admin/webmentions`, permission `Moderate`): the mentions
//! received, by status (held first), with what their source said; approve a held campaign
//! mention (it then shows on the campaign page), mark as spam or delete. A post's replies
//! and mentions are approved with the comments (`/admin/comments`), where they arrive as
//! comments of kind `webmention`. A campaign-scoped moderator sees and moderates only the
//! mentions of their campaign and of the posts linked to it. Every change is audited
//! (`webmention.moderated`) and every form carries the session-bound CSRF token.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

use super::form::ModerateForm;
use super::{Console, Shell, query_string};
use crate::http::AppError;
use crate::team::Permission;
use crate::team::audit;
use crate::webmention::{self as wm, Action, Status, Target};

pub const PER_PAGE: i64 = 50;

// The status tabs and moderation buttons are drawn like the comment queue's.
use super::comments::{Action as ActionView, Tab};

pub struct Item {
    pub id: String,
    pub author: String,
    pub author_url: String,
    pub kind: String,
    pub source: String,
    pub target: String,
    pub on_post: bool,
    pub title: String,
    pub content: String,
    pub received: String,
    pub last_error: String,
    pub actions: Vec<ActionView>,
}

#[derive(Template)]
#[template(path = "console/webmentions.html")]
pub struct WebmentionsPage {
    pub shell: Shell,
    pub status: String,
    pub status_label: String,
    pub tabs: Vec<Tab>,
    pub items: Vec<Item>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub notice: String,
    pub notice_ok: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub page: Option<String>,
    pub done: Option<String>,
}

fn status_of(s: Option<&str>) -> Status {
    s.and_then(Status::parse).unwrap_or(Status::Verified)
}

fn link(st: Status, page: i64) -> String {
    let n = page.to_string();
    format!(
        "/admin/webmentions{}",
        query_string(&[
            ("status", st.as_str()),
            ("page", if page == 1 { "" } else { &n }),
        ])
    )
}

/// `GET /admin/webmentions`.
pub async fn list(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let status = status_of(q.status.as_deref());
    let page = super::page_no(q.page.as_deref());
    let notice = match q.done.as_deref().and_then(Action::parse) {
        Some(a) => {
            cx.r.tr
                .t(&format!("console-webmentions-done-{}", a.as_str()))
        }
        None => String::new(),
    };
    render(&cx, status, page, notice, StatusCode::OK).await
}

async fn render(
    cx: &Console,
    status: Status,
    page: i64,
    notice: String,
    code: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let m = &cx.me.member;
    let db = &cx.s.db;
    let rows = wm::repo::list(db, status, PER_PAGE + 1, (page - 1) * PER_PAGE).await?;
    let more = rows.len() as i64 > PER_PAGE;
    let counts = wm::repo::counts(db).await?;
    let mut items = Vec::new();
    for w in rows.into_iter().take(PER_PAGE as usize) {
        if !m.can(Permission::Moderate, wm::scope(db, &w).await?.as_deref()) {
            continue;
        }
        let actions = Action::ALL
            .into_iter()
            .filter(|a| a.offered_for(&w))
            .map(|a| ActionView {
                name: a.as_str(),
                label: tr.t(&format!("console-webmentions-action-{}", a.as_str())),
            })
            .collect();
        items.push(Item {
            on_post: matches!(w.on, Target::Post(_)),
            kind: tr.t(&format!("console-webmentions-kind-{}", w.kind)),
            id: w.id,
            author: w.author_name,
            author_url: w.author_url,
            source: w.source,
            target: w.target,
            title: w.title,
            content: shelfraiser_formats::microformats::excerpt(&w.content, 600),
            received: w.received_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            last_error: w.last_error,
            actions,
        });
    }
    let page_html = WebmentionsPage {
        shell: cx.shell("/admin/webmentions"),
        status: status.to_string(),
        status_label: tr.t(&format!("console-webmentions-status-{status}")),
        tabs: Status::ALL
            .into_iter()
            .map(|st| Tab {
                label: tr.t(&format!("console-webmentions-status-{st}")),
                href: link(st, 1),
                count: tr.int(
                    counts
                        .iter()
                        .find(|(k, _)| *k == st)
                        .map(|(_, n)| *n)
                        .unwrap_or(0),
                ),
                current: st == status,
            })
            .collect(),
        items,
        prev: (page > 1).then(|| link(status, page - 1)),
        next: more.then(|| link(status, page + 1)),
        notice,
        notice_ok: code.is_success(),
    };
    Ok((code, Html(page_html.render()?)).into_response())
}

/// `POST /admin/webmentions/{id}/moderate`: `action` = approve | spam | delete.
pub async fn moderate(
    cx: Console,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ModerateForm>,
) -> Result<Response, AppError> {
    let db = &cx.s.db;
    let w = wm::repo::by_id(db, &id).await?.ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::Moderate, wm::scope(db, &w).await?.as_deref())
    {
        return Err(AppError::Forbidden);
    }
    let from = status_of(Some(f.from.as_str()));
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return render(&cx, from, 1, notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let done = match Action::parse(&f.action) {
        Some(a) => wm::moderate(db, &w, a)
            .await
            .map_err(AppError::Internal)?
            .then_some(a),
        None => None,
    };
    let Some(action) = done else {
        let notice = cx.r.tr.t("console-webmentions-bad-action");
        return render(&cx, from, 1, notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    audit::record(
        db,
        &cx.actor(),
        "webmention.moderated",
        &w.id,
        &format!("{} → {} ({})", w.status, action.as_str(), w.source),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/admin/webmentions{}",
        query_string(&[("status", from.as_str()), ("done", action.as_str())])
    ))
    .into_response())
}
