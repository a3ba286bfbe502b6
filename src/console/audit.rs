//! For owners: the audit log (`GET /admin/audit`, filter by action and actor) and the mail
//! outbox (`GET /admin/outbox`: every message kept, sent or failed).

use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Console;
use super::form::Opt;
use super::{Shell, page_no, query_string};
use crate::http::AppError;
use crate::team::Permission;
use crate::team::audit;

pub const PER_PAGE: i64 = 50;

pub struct EntryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct AuditPage {
    pub shell: Shell,
    pub action: String,
    pub actor: String,
    pub action_opts: Vec<Opt>,
    pub entries: Vec<EntryView>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub page: Option<String>,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `GET /admin/audit`.
pub async fn list(cx: Console, Query(q): Query<AuditQuery>) -> Result<Response, AppError> {
    if !cx.me.member.can(Permission::AuditRead, None) {
        return Err(AppError::Forbidden);
    }
    let action: String = q
        .action
        .as_deref()
        .unwrap_or("")
        .trim()
        .chars()
        .take(80)
        .collect();
    let actor: String = q
        .actor
        .as_deref()
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect();
    let page = page_no(q.page.as_deref());
    // One more than a page, to know whether there is a next one.
    let mut rows = audit::list(
        &cx.s.db,
        Some(&action),
        Some(&actor),
        PER_PAGE + 1,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let actions = audit::actions(&cx.s.db).await?;
    let link = |n: i64| {
        let n = n.to_string();
        format!(
            "/admin/audit{}",
            query_string(&[("action", &action), ("actor", &actor), ("page", &n)])
        )
    };
    let page_html = AuditPage {
        shell: cx.shell("/admin/audit"),
        action_opts: actions
            .iter()
            .map(|a| Opt {
                value: a.clone(),
                label: a.clone(),
                selected: *a == action,
            })
            .collect(),
        entries: rows
            .into_iter()
            .map(|e| EntryView {
                at: when(e.at),
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
        prev: (page > 1).then(|| link(page - 1)),
        next: more.then(|| link(page + 1)),
        action,
        actor,
    };
    Ok(Html(page_html.render()?).into_response())
}

pub struct OutboxView {
    pub to: String,
    pub subject: String,
    pub created: String,
    pub sent: String,
    pub error: String,
    /// `name (type, N bytes)` per line; empty when none.
    pub attachments: String,
}

#[derive(Template)]
#[template(path = "console/outbox.html")]
pub struct OutboxPage {
    pub shell: Shell,
    pub messages: Vec<OutboxView>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    pub page: Option<String>,
}

/// `GET /admin/outbox`.
pub async fn outbox(cx: Console, Query(q): Query<OutboxQuery>) -> Result<Response, AppError> {
    if !cx.me.member.can(Permission::SettingsManage, None) {
        return Err(AppError::Forbidden);
    }
    let page = page_no(q.page.as_deref());
    let mut rows = crate::mail::kept(&cx.s.db, PER_PAGE + 1, (page - 1) * PER_PAGE).await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let p = OutboxPage {
        shell: cx.shell("/admin/outbox"),
        messages: rows
            .into_iter()
            .map(|m| OutboxView {
                to: m.to_addr,
                subject: m.subject,
                created: when(m.created_at),
                sent: m.sent_at.map(when).unwrap_or_default(),
                error: m.error.unwrap_or_default(),
                attachments: m.attachments,
            })
            .collect(),
        prev: (page > 1).then(|| format!("/admin/outbox?page={}", page - 1)),
        next: more.then(|| format!("/admin/outbox?page={}", page + 1)),
    };
    Ok(Html(p.render()?).into_response())
}
