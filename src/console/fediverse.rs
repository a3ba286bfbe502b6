//! The fediverse page (`/admin/fediverse`): for the site's actor and each public campaign's,
//! its address, followers, the follow requests held for approval (approve or refuse) and
//! whether requests are held at all, and replacing its key (a leaked key; followers' servers
//! are sent an `Update` with the new one); the block list of servers and actors; and the servers
//! whose deliveries wait after repeated failures. Needs `Moderate` site-wide. Every change is
//! audited (`fediverse.approval`, `fediverse.follow_approved`, `fediverse.follow_refused`,
//! `fediverse.key_replaced`, `settings.fediverse_blocks`) and every form carries the session-bound CSRF token.

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::{Console, Shell};
use crate::federation::repo::{self, FollowState};
use crate::federation::{self, Local, moderation};
use crate::http::AppError;
use crate::team::Permission;
use crate::team::audit;

pub struct Request {
    pub follower: String,
    pub date: String,
}

pub struct ActorView {
    /// `site`, or the campaign's id (what the forms name).
    pub row: String,
    pub name: String,
    pub handle: String,
    pub followers: String,
    pub manual: bool,
    pub pending: Vec<Request>,
}

pub struct Waiting {
    pub host: String,
    pub failures: i64,
    pub until: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "console/fediverse.html")]
pub struct FediversePage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub actors: Vec<ActorView>,
    pub blocks: String,
    pub waiting: Vec<Waiting>,
}

fn base(cx: &Console) -> String {
    cx.s.base_url.trim_end_matches('/').to_string()
}

/// Our actors: the site's, then each public campaign's.
async fn locals(cx: &Console) -> Result<Vec<Local>, AppError> {
    Ok(federation::locals(&cx.s.db).await?)
}

fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::Moderate, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn render(
    cx: &Console,
    notice: String,
    code: StatusCode,
    blocks_text: Option<String>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let base = base(cx);
    let now = Utc::now();
    let mut actors = Vec::new();
    for local in locals(cx).await? {
        let row = federation::ensure(&cx.s.db, &local, now).await?;
        let all = repo::followers(&cx.s.db, &row.id).await?;
        let accepted = all
            .iter()
            .filter(|f| f.state == FollowState::Accepted)
            .count() as i64;
        actors.push(ActorView {
            row: row.id.clone(),
            name: match &local {
                Local::Site => tr.t("console-fediverse-site"),
                Local::Campaign(c) => c.title.clone(),
            },
            handle: format!(
                "@{}@{}",
                local.username(&base),
                federation::authority(&base)
            ),
            followers: tr.tn("console-fediverse-followers", accepted),
            manual: row.manually_approves,
            pending: all
                .into_iter()
                .filter(|f| f.state == FollowState::Pending)
                .map(|f| Request {
                    date: f.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    follower: f.follower,
                })
                .collect(),
        });
    }
    let blocks = match blocks_text {
        Some(t) => t,
        None => repo::blocks(&cx.s.db).await?.join("\n"),
    };
    let waiting = repo::open_breakers(&cx.s.db, now)
        .await?
        .into_iter()
        .map(|b| Waiting {
            host: b.host,
            failures: b.failures,
            until: b
                .open_until
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            error: b.last_error,
        })
        .collect();
    let page = FediversePage {
        shell: cx.shell("/admin/fediverse"),
        notice_ok: code.is_success(),
        notice,
        actors,
        blocks,
        waiting,
    };
    Ok((code, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: Option<String>,
}

/// `GET /admin/fediverse`.
pub async fn show(
    cx: Console,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let notice = match q.done.as_deref() {
        Some(d @ ("approved" | "refused" | "approval" | "blocks" | "key")) => {
            cx.r.tr.t(&format!("console-fediverse-done-{d}"))
        }
        _ => String::new(),
    };
    render(&cx, notice, StatusCode::OK, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FediverseForm {
    pub csrf: String,
    /// The actor's row: `site` or a campaign's id.
    pub actor: String,
    pub follower: String,
    /// `approve` or `refuse` (a request); `on` or `off` (the approval flag).
    pub action: String,
    pub blocks: String,
}

/// The CSRF check; `Err` with the page shown again (422) when refused.
async fn checked(cx: &Console, f: &FediverseForm) -> Result<Option<Response>, AppError> {
    allowed(cx)?;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return render(cx, notice, StatusCode::UNPROCESSABLE_ENTITY, None)
            .await
            .map(Some);
    }
    Ok(None)
}

/// Our actor with this row (`site` or a public campaign's id).
async fn local_of(cx: &Console, row: &str) -> Result<Local, AppError> {
    federation::outbox::local_of_row(&cx.s.db, row)
        .await?
        .ok_or(AppError::NotFound)
}

/// `POST /admin/fediverse/approval`: hold follow requests for approval (`on`) or not.
pub async fn approval(
    cx: Console,
    axum::Form(f): axum::Form<FediverseForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    let on = f.action == "on";
    federation::set_manually_approves(&cx.s.db, &local, on, Utc::now()).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "fediverse.approval",
        local.row_id(),
        if on { "on" } else { "off" },
    )
    .await?;
    Ok(Redirect::to("/admin/fediverse?done=approval").into_response())
}

/// `POST /admin/fediverse/requests`: approve or refuse a held follow request.
pub async fn request(
    cx: Console,
    axum::Form(f): axum::Form<FediverseForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    let base = base(&cx);
    let now = Utc::now();
    let (done, action) = match f.action.as_str() {
        "approve" => (
            moderation::approve(&cx.s.db, &base, &local, &f.follower, now).await?,
            "approved",
        ),
        "refuse" => (
            moderation::reject(&cx.s.db, &base, &local, &f.follower, now).await?,
            "refused",
        ),
        _ => return Err(AppError::BadRequest("action: approve or refuse".into())),
    };
    if !done {
        return Err(AppError::NotFound);
    }
    audit::record(
        &cx.s.db,
        &cx.actor(),
        &format!("fediverse.follow_{action}"),
        local.row_id(),
        &f.follower,
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/fediverse?done={action}")).into_response())
}

/// `POST /admin/fediverse/key`: replaces the actor's key pair and sends its followers an
/// `Update` with the new key.
pub async fn key(
    cx: Console,
    axum::Form(f): axum::Form<FediverseForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    let sent = federation::rotate_key(&cx.s.db, &base(&cx), &cx.r.tr, &local, Utc::now()).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "fediverse.key_replaced",
        local.row_id(),
        &format!("update sent to {sent} inboxes"),
    )
    .await?;
    Ok(Redirect::to("/admin/fediverse?done=key").into_response())
}

/// `POST /admin/fediverse/blocks`: the block list (servers and actors, one a line).
pub async fn blocks(
    cx: Console,
    axum::Form(f): axum::Form<FediverseForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let list = match moderation::parse_blocks(&f.blocks) {
        Ok(l) => l,
        Err(e) => {
            let notice = match e {
                moderation::BlockError::Line(n) => cx.r.tr.ta(
                    "console-fediverse-blocks-bad-line",
                    [("line", cx.r.tr.int(n as i64))],
                ),
                moderation::BlockError::TooMany => cx.r.tr.ta(
                    "console-fediverse-blocks-too-many",
                    [("max", cx.r.tr.int(moderation::MAX_BLOCKS as i64))],
                ),
            };
            return render(
                &cx,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(f.blocks),
            )
            .await;
        }
    };
    let ended = moderation::set_blocks(&cx.s.db, &list, Utc::now()).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "settings.fediverse_blocks",
        "federation_blocks",
        &format!("{} entries, {ended} follows ended", list.len()),
    )
    .await?;
    Ok(Redirect::to("/admin/fediverse?done=blocks#blocks").into_response())
}
