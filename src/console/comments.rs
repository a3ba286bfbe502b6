//! The moderation queue (`/admin/comments`): comments by status (pending, approved, spam,
//! trash), approve / spam / trash / restore (back to pending), a reply from the console (an
//! approved comment by the member, as a child; replying to a held comment approves it), and
//! the comment block list (site setting `comment_blocklist`).
//!
//! After approve / spam / trash / restore or a reply, the queue says what was done to whose
//! comment (`?done=…&comment=…` after the redirect, [`done_notice`]). Approving a reply (or
//! replying) mails the parent comment's author when they asked for replies
//! (`blog::replies`).
//!
//! Everyone holding `Moderate` (owners, editors) may use it; a campaign-scoped moderator
//! sees and moderates only comments on posts linked to their campaign, the block list needs
//! the permission site-wide. Every change is audited (`comment.moderated`,
//! `comment.replied`, `settings.comment_blocklist`) and every form carries the session-bound
//! CSRF token.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

use super::Console;
use super::{Shell, query_string};
use crate::blog::comments::moderation::Action as Moderate;
use crate::blog::comments::{self as c, Moderation, NewComment};
use crate::blog::spam;
use crate::http::AppError;
use crate::team::Permission;
use crate::team::audit;

pub const PER_PAGE: i64 = 50;

pub struct Tab {
    pub label: String,
    pub href: String,
    pub count: String,
    pub current: bool,
}

pub struct Action {
    pub name: &'static str,
    pub label: String,
}

pub struct Item {
    pub id: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    pub by_member: bool,
    pub date: String,
    pub post_title: String,
    pub post_href: String,
    pub is_reply: bool,
    pub body_html: String,
    pub actions: Vec<Action>,
    pub can_reply: bool,
}

#[derive(Template)]
#[template(path = "console/comments.html")]
pub struct CommentsPage {
    pub shell: Shell,
    pub status: String,
    pub status_label: String,
    pub tabs: Vec<Tab>,
    pub items: Vec<Item>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub notice: String,
    /// The notice tells what was done (else why a form was refused).
    pub notice_ok: bool,
    pub can_blocklist: bool,
    pub blocklist: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub page: Option<String>,
    /// What was just done (`approve`, `spam`, `trash`, `restore`, `reply`) …
    pub done: Option<String>,
    /// … to which comment.
    pub comment: Option<String>,
}

/// The list a query names; the pending one when it names none.
fn status_of(s: Option<&str>) -> Moderation {
    s.and_then(Moderation::parse).unwrap_or(Moderation::Pending)
}

/// `GET /admin/comments`.
pub async fn list(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let status = status_of(q.status.as_deref());
    let page = super::page_no(q.page.as_deref());
    let notice = done_notice(&cx, &q).await?;
    render(&cx, status, page, notice, StatusCode::OK).await
}

async fn render(
    cx: &Console,
    status: Moderation,
    page: i64,
    notice: String,
    code: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let m = &cx.me.member;
    let rows = c::moderation_queue(&cx.s.db, status, PER_PAGE + 1, (page - 1) * PER_PAGE).await?;
    let more = rows.len() as i64 > PER_PAGE;
    let counts = c::moderation_counts(&cx.s.db).await?;
    let count_of = |st: Moderation| {
        counts
            .iter()
            .find(|(k, _)| *k == st)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let items = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .filter(|q| m.can(Permission::Moderate, q.post.campaign_id.as_deref()))
        .map(|c::Queued { comment, post }| {
            let actions = Moderate::ALL
                .into_iter()
                .filter(|a| a.offered_for(comment.status))
                .map(|a| Action {
                    name: a.as_str(),
                    label: tr.t(&format!("console-comments-action-{}", a.as_str())),
                })
                .collect();
            Item {
                post_title: post.label(tr),
                post_href: post.permalink(&cx.s.settings.blog.permalink),
                id: comment.id,
                author: comment.author_name,
                email: comment.author_email.unwrap_or_default(),
                url: comment.author_url.unwrap_or_default(),
                ip: comment.ip.unwrap_or_default(),
                by_member: comment.member_id.is_some(),
                date: comment.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                is_reply: comment.parent_id.is_some(),
                body_html: c::body_html(&comment.body),
                actions,
                can_reply: comment.status.takes_replies(),
            }
        })
        .collect();
    let link = |st: Moderation, n: i64| {
        let n = n.to_string();
        format!(
            "/admin/comments{}",
            query_string(&[
                ("status", st.as_str()),
                ("page", if n == "1" { "" } else { &n }),
            ])
        )
    };
    let can_blocklist = m.can(Permission::Moderate, None);
    let blocklist = if can_blocklist {
        c::blocklist(&cx.s.db).await?
    } else {
        String::new()
    };
    let page_html = CommentsPage {
        shell: cx.shell("/admin/comments"),
        status: status.to_string(),
        status_label: tr.t(&format!("console-comments-status-{status}")),
        tabs: Moderation::ALL
            .into_iter()
            .map(|st| Tab {
                label: tr.t(&format!("console-comments-status-{st}")),
                href: link(st, 1),
                count: tr.int(count_of(st)),
                current: st == status,
            })
            .collect(),
        items,
        prev: (page > 1).then(|| link(status, page - 1)),
        next: more.then(|| link(status, page + 1)),
        notice,
        notice_ok: code.is_success(),
        can_blocklist,
        blocklist,
    };
    Ok((code, Html(page_html.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModerateForm {
    pub csrf: String,
    pub action: String,
    /// The list to go back to.
    pub from: String,
    pub body: String,
    pub blocklist: String,
}

/// The comment and whether this member may moderate it (its post's campaign scope).
async fn load(cx: &Console, id: &str) -> Result<(c::Comment, c::PostRef), AppError> {
    let comment = c::by_id(&cx.s.db, id).await?.ok_or(AppError::NotFound)?;
    let post = c::post_ref(&cx.s.db, &comment.post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::Moderate, post.campaign_id.as_deref())
    {
        return Err(AppError::Forbidden);
    }
    Ok((comment, post))
}

/// What a moderation form on comment `id` starts with: the comment and its post (403
/// outside the member's scope), the list to go back to, and `Err` with the queue shown
/// again (422) when the CSRF token is refused.
async fn posted(
    cx: &Console,
    id: &str,
    f: &ModerateForm,
) -> Result<Result<(c::Comment, c::PostRef, Moderation), Response>, AppError> {
    let (comment, post) = load(cx, id).await?;
    let from = status_of(Some(f.from.as_str()));
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return refuse(cx, from, notice).await.map(Err);
    }
    Ok(Ok((comment, post, from)))
}

/// The queue shown again at its first page with a notice, as 422: a refused form.
async fn refuse(cx: &Console, from: Moderation, notice: String) -> Result<Response, AppError> {
    render(cx, from, 1, notice, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /admin/comments/{id}/moderate`: `action` = approve | spam | trash | restore.
pub async fn moderate(
    cx: Console,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ModerateForm>,
) -> Result<Response, AppError> {
    let (comment, _, from) = match posted(&cx, &id, &f).await? {
        Ok(x) => x,
        Err(refused) => return Ok(refused),
    };
    let Some(to) = Moderate::parse(&f.action).map(Moderate::target) else {
        let notice = cx.r.tr.t("console-comments-bad-action");
        return refuse(&cx, from, notice).await;
    };
    if comment.status != to {
        c::set_status(&cx.s.db, &comment.id, to).await?;
        audit::record(
            &cx.s.db,
            &cx.actor(),
            "comment.moderated",
            &comment.id,
            &format!("{} → {to}", comment.status),
        )
        .await?;
        if to == Moderation::Approved {
            crate::blog::replies::reply_approved(&cx.s, &comment.id).await;
        }
    }
    Ok(Redirect::to(&done_location(from, &f.action, &comment.id)).into_response())
}

/// `POST /admin/comments/{id}/reply`: an approved comment by the member, as a child.
pub async fn reply(
    cx: Console,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ModerateForm>,
) -> Result<Response, AppError> {
    let (parent, post, from) = match posted(&cx, &id, &f).await? {
        Ok(x) => x,
        Err(refused) => return Ok(refused),
    };
    let body = f.body.trim();
    if body.is_empty() || body.chars().count() > c::BODY_MAX {
        let notice = cx.r.tr.t("comments-error-body");
        return refuse(&cx, from, notice).await;
    }
    if !parent.status.takes_replies() {
        let notice = cx.r.tr.t("comments-error-parent");
        return refuse(&cx, from, notice).await;
    }
    let actor = cx.actor();
    if parent.status == Moderation::Pending {
        c::set_status(&cx.s.db, &parent.id, Moderation::Approved).await?;
        audit::record(
            &cx.s.db,
            &actor,
            "comment.moderated",
            &parent.id,
            "pending → approved (replied)",
        )
        .await?;
    }
    let attach = c::attach_point(&cx.s.db, &post.id, &parent.id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let m = &cx.me.member;
    let new_id = c::insert(
        &cx.s.db,
        &NewComment {
            post_id: post.id.clone(),
            parent_id: Some(attach),
            status: Moderation::Approved,
            author_name: m.display_name.clone(),
            author_email: Some(m.email.clone()),
            author_url: None,
            member_id: Some(m.id.clone()),
            body: body.to_string(),
            ip: cx.r.ip.clone(),
            user_agent: cx.r.user_agent.clone(),
        },
    )
    .await?;
    audit::record(&cx.s.db, &actor, "comment.replied", &new_id, &parent.id).await?;
    if parent.status == Moderation::Pending {
        crate::blog::replies::reply_approved(&cx.s, &parent.id).await;
    }
    crate::blog::replies::reply_approved(&cx.s, &new_id).await;
    Ok(Redirect::to(&done_location(from, "reply", &parent.id)).into_response())
}

/// `POST /admin/comments/blocklist`: the block list (one word or URL fragment a line).
pub async fn blocklist(
    cx: Console,
    axum::Form(f): axum::Form<ModerateForm>,
) -> Result<Response, AppError> {
    if !cx.me.member.can(Permission::Moderate, None) {
        return Err(AppError::Forbidden);
    }
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return refuse(&cx, Moderation::Pending, notice).await;
    }
    if f.blocklist.chars().count() > spam::BLOCKLIST_MAX {
        let notice = cx.r.tr.ta(
            "comments-error-too-long",
            [("max", cx.r.tr.int(spam::BLOCKLIST_MAX as i64))],
        );
        return refuse(&cx, Moderation::Pending, notice).await;
    }
    let entries = c::set_blocklist(&cx.s.db, &f.blocklist).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "settings.comment_blocklist",
        spam::BLOCKLIST_SETTING,
        &format!("{entries} entries"),
    )
    .await?;
    Ok(Redirect::to("/admin/comments?status=pending#blocklist").into_response())
}

/// The actions a confirmation is shown for.
const DONE: [&str; 5] = ["approve", "spam", "trash", "restore", "reply"];

/// Where a moderation form goes back to: the list, told what was done to which comment.
fn done_location(from: Moderation, action: &str, comment_id: &str) -> String {
    let action = DONE.iter().find(|a| **a == action).copied().unwrap_or("");
    format!(
        "/admin/comments{}",
        query_string(&[
            ("status", from.as_str()),
            ("done", action),
            ("comment", comment_id)
        ])
    )
}

/// "Approved the comment by Ada on “Post”." — the confirmation after a redirect, naming the
/// comment (nothing for an unknown action or comment, or one outside the member's scope).
pub async fn done_notice(cx: &Console, q: &ListQuery) -> Result<String, AppError> {
    let Some(action) = DONE.iter().find(|a| Some(**a) == q.done.as_deref()) else {
        return Ok(String::new());
    };
    let Some(id) = q.comment.as_deref().filter(|id| id.len() <= 64) else {
        return Ok(String::new());
    };
    let Some(comment) = c::by_id(&cx.s.db, id).await? else {
        return Ok(String::new());
    };
    let Some(post) = c::post_ref(&cx.s.db, &comment.post_id).await? else {
        return Ok(String::new());
    };
    if !cx
        .me
        .member
        .can(Permission::Moderate, post.campaign_id.as_deref())
    {
        return Ok(String::new());
    }
    let tr = &cx.r.tr;
    Ok(tr.ta(
        &format!("console-comments-done-{action}"),
        [("author", comment.author_name), ("post", post.label(tr))],
    ))
}
