//! The following page (`/admin/following`): the site's and the campaigns' accounts follow
//! accounts elsewhere on the fediverse (a sister library, an association, a supporter), and
//! the team reads what those accounts post here, likes and boosts it, and replies. Each
//! reaction and reply is made as the actor that follows the post's author (the site's when
//! none does any more). Needs `PostsWrite` site-wide (it speaks for the library). Every
//! change is audited (`fediverse.follow`, `fediverse.unfollow`, `fediverse.like`,
//! `fediverse.boost`, `fediverse.reply`) and every form carries the session-bound CSRF token.

use std::collections::HashMap;

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::{Console, Shell};
use crate::federation::following::{self, FollowError, Reaction};
use crate::federation::repo::{self, FollowState, RemoteActor};
use crate::federation::{self, Local};
use crate::http::AppError;
use crate::team::Permission;
use crate::team::audit;

/// Posts on one page of the timeline.
const PAGE: i64 = 30;

pub struct ActorOption {
    pub row: String,
    pub name: String,
}

pub struct FollowView {
    pub actor_row: String,
    pub actor_name: String,
    pub target: String,
    pub label: String,
    pub page: String,
    pub pending: bool,
}

pub struct ItemView {
    pub object_id: String,
    pub author: String,
    pub author_page: String,
    pub ours: bool,
    pub name: String,
    pub text: String,
    pub link: String,
    pub date: String,
    pub edited: bool,
    pub reply_to: String,
    /// The actor reactions and replies are made as.
    pub as_row: String,
    pub as_name: String,
    pub liked: bool,
    pub boosted: bool,
}

#[derive(Template)]
#[template(path = "console/following.html")]
pub struct FollowingPage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub actors: Vec<ActorOption>,
    pub address: String,
    pub chosen: String,
    pub follows: Vec<FollowView>,
    pub items: Vec<ItemView>,
    pub max_reply: usize,
    pub page: i64,
    pub more: bool,
}

fn base(cx: &Console) -> String {
    cx.s.base_url.trim_end_matches('/').to_string()
}

fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::PostsWrite, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Our actors: the site's, then each public campaign's.
async fn locals(cx: &Console) -> Result<Vec<Local>, AppError> {
    Ok(federation::locals(&cx.s.db).await?)
}

fn name_of(cx: &Console, local: &Local) -> String {
    match local {
        Local::Site => cx.r.tr.t("console-fediverse-site"),
        Local::Campaign(c) => c.title.clone(),
    }
}

/// The remote actor `id`, from `known` or the store (remembered either way).
async fn remote_once(
    db: &crate::db::Db,
    known: &mut HashMap<String, Option<RemoteActor>>,
    id: &str,
) -> Result<Option<RemoteActor>, AppError> {
    if let Some(r) = known.get(id) {
        return Ok(r.clone());
    }
    let r = repo::remote(db, id).await?;
    known.insert(id.to_string(), r.clone());
    Ok(r)
}

async fn render(
    cx: &Console,
    notice: String,
    code: StatusCode,
    page: i64,
    typed: Option<(&str, &str)>,
) -> Result<Response, AppError> {
    let db = &cx.s.db;
    let base = base(cx);
    let locals = locals(cx).await?;
    let name_of_row = |row: &str| {
        locals
            .iter()
            .find(|l| l.row_id() == row)
            .map(|l| name_of(cx, l))
            .unwrap_or_default()
    };
    let all = repo::all_following(db).await?;
    // Each remote account read once, however many follows and posts name it.
    let mut known: HashMap<String, Option<RemoteActor>> = HashMap::new();
    let mut follows = Vec::new();
    for f in &all {
        let remote = remote_once(db, &mut known, &f.target).await?;
        follows.push(FollowView {
            actor_row: f.actor_id.clone(),
            actor_name: name_of_row(&f.actor_id),
            target: f.target.clone(),
            label: remote
                .as_ref()
                .map(|r| r.label())
                .unwrap_or(f.target.clone()),
            page: remote
                .as_ref()
                .map(|r| r.page().to_string())
                .unwrap_or(f.target.clone()),
            pending: f.state == FollowState::Pending,
        });
    }
    let offset = (page - 1) * PAGE;
    let rows = repo::timeline(db, PAGE + 1, offset).await?;
    let more = rows.len() as i64 > PAGE;
    let reactions = repo::sent_reactions_on_page(db, PAGE, offset).await?;
    let ours_by_id: Vec<(String, String)> = locals
        .iter()
        .map(|l| (l.id(&base), l.row_id().to_string()))
        .collect();
    let mut items = Vec::new();
    for i in rows.into_iter().take(PAGE as usize) {
        let own = ours_by_id.iter().find(|(id, _)| *id == i.author);
        let (author, author_page) = match own {
            Some((id, row)) => (name_of_row(row), id.clone()),
            None => match remote_once(db, &mut known, &i.author).await? {
                Some(r) => (r.label(), r.page().to_string()),
                None => (i.author.clone(), i.author.clone()),
            },
        };
        // As the actor that follows the author (accepted first), else the site.
        let follower = all
            .iter()
            .filter(|f| f.target == i.author)
            .min_by_key(|f| f.state != FollowState::Accepted)
            .map(|f| f.actor_id.clone())
            .unwrap_or_else(|| federation::SITE.to_string());
        let given = |kind: &str| {
            reactions
                .iter()
                .any(|r| r.object_id == i.object_id && r.actor_id == follower && r.kind == kind)
        };
        items.push(ItemView {
            liked: given("Like"),
            boosted: given("Announce"),
            as_name: name_of_row(&follower),
            as_row: follower,
            ours: own.is_some(),
            author,
            author_page,
            name: i.name,
            text: i.text,
            link: i.url.unwrap_or(i.object_id.clone()),
            date: i.published_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            edited: i.updated_at.is_some(),
            reply_to: i.in_reply_to.unwrap_or_default(),
            object_id: i.object_id,
        });
    }
    let (chosen, address) = typed.unwrap_or((federation::SITE, ""));
    let page = FollowingPage {
        shell: cx.shell("/admin/following"),
        notice_ok: code.is_success(),
        notice,
        actors: locals
            .iter()
            .map(|l| ActorOption {
                row: l.row_id().to_string(),
                name: name_of(cx, l),
            })
            .collect(),
        address: address.chars().take(300).collect(),
        chosen: chosen.to_string(),
        follows,
        items,
        max_reply: following::MAX_REPLY,
        page,
        more,
    };
    Ok((code, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: Option<String>,
    pub page: Option<i64>,
}

/// `GET /admin/following`.
pub async fn show(
    cx: Console,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let notice = match q.done.as_deref() {
        Some(d @ ("follow" | "unfollow" | "like" | "unlike" | "boost" | "unboost" | "reply")) => {
            cx.r.tr.t(&format!("console-following-done-{d}"))
        }
        _ => String::new(),
    };
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    render(&cx, notice, StatusCode::OK, page, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowingForm {
    pub csrf: String,
    /// Our actor's row: `site` or a campaign's id.
    pub actor: String,
    /// What was typed into "Follow an account".
    pub address: String,
    /// The followed account (unfollow).
    pub target: String,
    /// The post (react, reply).
    pub object: String,
    /// `like` or `boost`.
    pub kind: String,
    pub text: String,
}

async fn checked(cx: &Console, f: &FollowingForm) -> Result<Option<Response>, AppError> {
    allowed(cx)?;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let notice = cx.r.tr.t("error-csrf");
        return render(cx, notice, StatusCode::UNPROCESSABLE_ENTITY, 1, None)
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

/// What to tell the member about a refused follow, reaction or reply (422), or the error.
fn refusal(cx: &Console, e: FollowError) -> Result<String, AppError> {
    let key = match e {
        FollowError::Unreadable => "console-following-error-address",
        FollowError::NotFound(why) => {
            tracing::info!(error = %why, "following: the account was not found");
            "console-following-error-not-found"
        }
        FollowError::Ours => "console-following-error-ours",
        FollowError::Blocked => "console-following-error-blocked",
        FollowError::NoPost => return Err(AppError::NotFound),
        FollowError::BadReply => {
            return Ok(cx.r.tr.ta(
                "console-following-error-reply",
                [("max", cx.r.tr.int(following::MAX_REPLY as i64))],
            ));
        }
        FollowError::Other(e) => return Err(e.into()),
    };
    Ok(cx.r.tr.t(key))
}

/// `POST /admin/following/follow`: our actor follows the account typed.
pub async fn follow(
    cx: Console,
    axum::Form(f): axum::Form<FollowingForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    let now = Utc::now();
    match following::follow(
        &cx.s.db,
        &cx.s.outbound,
        &base(&cx),
        &local,
        &f.address,
        now,
    )
    .await
    {
        Ok(target) => {
            audit::record(
                &cx.s.db,
                &cx.actor(),
                "fediverse.follow",
                local.row_id(),
                &target.id,
            )
            .await?;
            Ok(Redirect::to("/admin/following?done=follow").into_response())
        }
        Err(e) => {
            let notice = refusal(&cx, e)?;
            let typed = (f.actor.as_str(), f.address.as_str());
            render(
                &cx,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
                1,
                Some(typed),
            )
            .await
        }
    }
}

/// `POST /admin/following/unfollow`.
pub async fn unfollow(
    cx: Console,
    axum::Form(f): axum::Form<FollowingForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    if !following::unfollow(&cx.s.db, &base(&cx), &local, &f.target, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "fediverse.unfollow",
        local.row_id(),
        &f.target,
    )
    .await?;
    Ok(Redirect::to("/admin/following?done=unfollow").into_response())
}

/// `POST /admin/following/react`: like or boost a post, or take it back.
pub async fn react(
    cx: Console,
    axum::Form(f): axum::Form<FollowingForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    let reaction = match f.kind.as_str() {
        "like" => Reaction::Like,
        "boost" => Reaction::Boost,
        _ => return Err(AppError::BadRequest("kind: like or boost".into())),
    };
    let on = match following::toggle(
        &cx.s.db,
        &base(&cx),
        &local,
        &f.object,
        reaction,
        Utc::now(),
    )
    .await
    {
        Ok(on) => on,
        Err(e) => {
            let notice = refusal(&cx, e)?;
            return render(&cx, notice, StatusCode::UNPROCESSABLE_ENTITY, 1, None).await;
        }
    };
    let done = match (reaction, on) {
        (Reaction::Like, true) => "like",
        (Reaction::Like, false) => "unlike",
        (Reaction::Boost, true) => "boost",
        (Reaction::Boost, false) => "unboost",
    };
    audit::record(
        &cx.s.db,
        &cx.actor(),
        &format!("fediverse.{}", f.kind),
        local.row_id(),
        &format!("{} {}", if on { "on" } else { "off" }, f.object),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/following?done={done}")).into_response())
}

/// `POST /admin/following/reply`.
pub async fn reply(
    cx: Console,
    axum::Form(f): axum::Form<FollowingForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = checked(&cx, &f).await? {
        return Ok(refused);
    }
    let local = local_of(&cx, &f.actor).await?;
    match following::reply(&cx.s.db, &base(&cx), &local, &f.object, &f.text, Utc::now()).await {
        Ok(id) => {
            audit::record(
                &cx.s.db,
                &cx.actor(),
                "fediverse.reply",
                local.row_id(),
                &id,
            )
            .await?;
            Ok(Redirect::to("/admin/following?done=reply").into_response())
        }
        Err(e) => {
            let notice = refusal(&cx, e)?;
            render(&cx, notice, StatusCode::UNPROCESSABLE_ENTITY, 1, None).await
        }
    }
}
