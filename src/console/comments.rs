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
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;

use super::Console;
use super::{Shell, query_string};
use crate::blog::comments::{self as c, NewComment};
use crate::blog::spam;
use crate::db::DbError;
use crate::http::AppError;
use crate::on_db;
use crate::team::Permission;
use crate::team::audit;

pub const PER_PAGE: i64 = 50;
pub const STATUSES: [&str; 4] = ["pending", "approved", "spam", "trash"];

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: String,
    post_id: String,
    parent_id: Option<String>,
    status: String,
    author_name: String,
    author_email: Option<String>,
    author_url: Option<String>,
    member_id: Option<String>,
    body: String,
    ip: Option<String>,
    created_at: DateTime<Utc>,
    post_title: String,
    post_slug: String,
    post_kind: String,
    post_published_at: Option<DateTime<Utc>>,
    campaign_id: Option<String>,
}

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

fn status_of(s: Option<&str>) -> &'static str {
    STATUSES
        .iter()
        .find(|x| Some(**x) == s)
        .copied()
        .unwrap_or("pending")
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
    status: &str,
    page: i64,
    notice: String,
    code: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let m = &cx.me.member;
    let rows: Vec<Row> = on_db!(&cx.s.db, |p| sqlx::query_as::<_, Row>(
        "SELECT c.id, c.post_id, c.parent_id, c.status, c.author_name, c.author_email, \
         c.author_url, c.member_id, c.body, c.ip, c.created_at, p.title AS post_title, \
         p.slug AS post_slug, p.kind AS post_kind, p.published_at AS post_published_at, \
         p.campaign_id FROM comments c JOIN posts p ON p.id = c.post_id \
         WHERE c.status = $1 ORDER BY c.created_at DESC, c.id LIMIT $2 OFFSET $3"
    )
    .bind(status)
    .bind(PER_PAGE + 1)
    .bind((page - 1) * PER_PAGE)
    .fetch_all(p)
    .await
    .map_err(DbError::from)?);
    let more = rows.len() as i64 > PER_PAGE;
    let counts: Vec<(String, i64)> = on_db!(&cx.s.db, |p| sqlx::query_as(
        "SELECT status, COUNT(*) FROM comments GROUP BY status"
    )
    .fetch_all(p)
    .await
    .map_err(DbError::from)?);
    let count_of = |st: &str| {
        counts
            .iter()
            .find(|(k, _)| k == st)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let items = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .filter(|row| m.can(Permission::Moderate, row.campaign_id.as_deref()))
        .map(|row| {
            let post = c::PostRef {
                id: row.post_id.clone(),
                kind: row.post_kind.clone(),
                status: String::new(),
                slug: row.post_slug.clone(),
                title: row.post_title.clone(),
                author_id: None,
                campaign_id: row.campaign_id.clone(),
                comment_status: String::new(),
                published_at: row.post_published_at,
            };
            let actions = ["approve", "spam", "trash", "restore"]
                .into_iter()
                .filter(|a| match (*a, row.status.as_str()) {
                    ("approve", st) => st != "approved",
                    ("spam", st) => st == "pending" || st == "approved",
                    ("trash", st) => st != "trash",
                    ("restore", st) => st == "spam" || st == "trash",
                    _ => false,
                })
                .map(|a| Action {
                    name: a,
                    label: tr.t(&format!("console-comments-action-{a}")),
                })
                .collect();
            Item {
                post_title: post.label(tr),
                post_href: post.permalink(&cx.s.settings.blog.permalink),
                id: row.id,
                author: row.author_name,
                email: row.author_email.unwrap_or_default(),
                url: row.author_url.unwrap_or_default(),
                ip: row.ip.unwrap_or_default(),
                by_member: row.member_id.is_some(),
                date: row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                is_reply: row.parent_id.is_some(),
                body_html: c::body_html(&row.body),
                actions,
                can_reply: row.status == "pending" || row.status == "approved",
            }
        })
        .collect();
    let link = |st: &str, n: i64| {
        let n = n.to_string();
        format!(
            "/admin/comments{}",
            query_string(&[("status", st), ("page", if n == "1" { "" } else { &n })])
        )
    };
    let can_blocklist = m.can(Permission::Moderate, None);
    let blocklist = if can_blocklist {
        cx.s.db
            .setting(spam::BLOCKLIST_SETTING)
            .await?
            .unwrap_or_default()
    } else {
        String::new()
    };
    let page_html = CommentsPage {
        shell: cx.shell("/admin/comments"),
        status: status.to_string(),
        status_label: tr.t(&format!("console-comments-status-{status}")),
        tabs: STATUSES
            .iter()
            .map(|st| Tab {
                label: tr.t(&format!("console-comments-status-{st}")),
                href: link(st, 1),
                count: tr.int(count_of(st)),
                current: *st == status,
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
) -> Result<Result<(c::Comment, c::PostRef, &'static str), Response>, AppError> {
    let (comment, post) = load(cx, id).await?;
    let from = status_of(Some(f.from.as_str()));
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return refuse(cx, from, notice).await.map(Err);
    }
    Ok(Ok((comment, post, from)))
}

/// The queue shown again at its first page with a notice, as 422: a refused form.
async fn refuse(cx: &Console, from: &str, notice: String) -> Result<Response, AppError> {
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
    let to = match f.action.as_str() {
        "approve" => "approved",
        "spam" => "spam",
        "trash" => "trash",
        "restore" => "pending",
        _ => {
            let notice = cx.r.tr.t("console-comments-bad-action");
            return refuse(&cx, from, notice).await;
        }
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
        if to == "approved" {
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
    if parent.status != "approved" && parent.status != "pending" {
        let notice = cx.r.tr.t("comments-error-parent");
        return refuse(&cx, from, notice).await;
    }
    let actor = cx.actor();
    if parent.status == "pending" {
        c::set_status(&cx.s.db, &parent.id, "approved").await?;
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
            status: "approved",
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
    if parent.status == "pending" {
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
        return refuse(&cx, "pending", notice).await;
    }
    if f.blocklist.chars().count() > spam::BLOCKLIST_MAX {
        let notice = cx.r.tr.ta(
            "comments-error-too-long",
            [("max", cx.r.tr.int(spam::BLOCKLIST_MAX as i64))],
        );
        return refuse(&cx, "pending", notice).await;
    }
    let value = f.blocklist.replace("\r\n", "\n");
    on_db!(&cx.s.db, |p| sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    .bind(spam::BLOCKLIST_SETTING)
    .bind(&value)
    .execute(p)
    .await
    .map_err(DbError::from)?
    .rows_affected());
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "settings.comment_blocklist",
        spam::BLOCKLIST_SETTING,
        &format!("{} entries", spam::parse_blocklist(&value).len()),
    )
    .await?;
    Ok(Redirect::to("/admin/comments?status=pending#blocklist").into_response())
}

/// The actions a confirmation is shown for.
const DONE: [&str; 5] = ["approve", "spam", "trash", "restore", "reply"];

/// Where a moderation form goes back to: the list, told what was done to which comment.
fn done_location(from: &str, action: &str, comment_id: &str) -> String {
    let action = DONE.iter().find(|a| **a == action).copied().unwrap_or("");
    format!(
        "/admin/comments{}",
        query_string(&[("status", from), ("done", action), ("comment", comment_id)])
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
