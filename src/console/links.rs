//! A team member's own referral links (`/admin/links`, any signed-in member): the links
//! they made, each with its address, the visits and the money that came through it, and a
//! form to make one more for any public campaign (`promotion::referrals`, the same links
//! supporters make on the share kit, marked as the member's). A member deletes only their
//! own links. Making and deleting are audited (`referral.created`, `referral.deleted`);
//! every form carries the session-bound CSRF token.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::form::Opt;
use super::{Console, Errors, Shell};
use crate::campaigns::{Campaign, CampaignState};
use crate::http::AppError;
use crate::i18n::I18n;
use crate::money::Money;
use crate::promotion::{insight, referrals};
use crate::team::audit;

/// The form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub csrf: String,
    pub campaign: String,
    pub name: String,
    pub board: Option<String>,
}

/// One of the member's links, as listed.
pub struct LinkItem {
    pub code: String,
    pub url: String,
    pub campaign: String,
    pub name: String,
    pub on_board: bool,
    pub visits: i64,
    pub donations: i64,
    pub raised: String,
}

#[derive(Template)]
#[template(path = "console/links.html")]
struct LinksPage {
    shell: Shell,
    notice: String,
    notice_ok: bool,
    links: Vec<LinkItem>,
    campaigns: Vec<Opt>,
    form: LinkForm,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// Whether a link can be made for `c`: every campaign that is not a draft.
fn linkable(c: &Campaign) -> bool {
    c.state != CampaignState::Draft
}

fn money(tr: &I18n, c: &Campaign, minor: i64) -> String {
    tr.money(Money::new(minor, c.currency()))
}

async fn render(
    cx: &Console,
    form: LinkForm,
    errors: Errors,
    notice: String,
    code: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let db = &cx.s.db;
    let all = crate::campaigns::repo::list(db).await?;
    let mine = referrals::of_member(db, &cx.me.member.id).await?;
    let base = cx.s.base_url.trim_end_matches('/');
    let mut links = Vec::new();
    // What each link brought, read once per campaign that has one of them.
    for c in &all {
        let of_c: Vec<referrals::Link> = mine
            .iter()
            .filter(|l| l.campaign_id == c.id)
            .cloned()
            .collect();
        if of_c.is_empty() {
            continue;
        }
        let entries = crate::donations::attribution::entries(db, &c.id).await?;
        let visits = insight::visits_by_code(db, &format!("/campaigns/{}", c.slug)).await?;
        for r in referrals::raised(&of_c, &entries, &visits, true) {
            let on_board = of_c.iter().any(|l| l.code == r.code && l.on_leaderboard);
            links.push(LinkItem {
                url: format!("{base}/r/{}", r.code),
                campaign: c.title.clone(),
                name: r.name,
                on_board,
                visits: r.visits,
                donations: r.donations,
                raised: money(tr, c, r.raised_minor),
                code: r.code,
            });
        }
    }
    let page = LinksPage {
        shell: cx.shell("/admin/links"),
        notice,
        notice_ok: code.is_success(),
        links,
        campaigns: all
            .iter()
            .filter(|c| linkable(c))
            .map(|c| Opt {
                value: c.slug.to_string(),
                label: c.title.clone(),
                selected: c.slug.as_str() == form.campaign,
            })
            .collect(),
        form,
        errors,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /admin/links`.
pub async fn list(cx: Console, Query(q): Query<DoneQuery>) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("created") => cx.r.tr.t("console-links-created"),
        Some("deleted") => cx.r.tr.t("referral-deleted"),
        _ => String::new(),
    };
    let form = LinkForm {
        name: cx.me.member.display_name.clone(),
        board: Some("yes".into()),
        ..LinkForm::default()
    };
    render(&cx, form, Errors::default(), notice, StatusCode::OK).await
}

/// `POST /admin/links`: a new link of the member's.
pub async fn create(
    cx: Console,
    axum::Form(f): axum::Form<LinkForm>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let n = tr.t("error-csrf");
        return render(
            &cx,
            f,
            Errors::default(),
            n,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let c = crate::campaigns::repo::by_slug(&cx.s.db, &f.campaign)
        .await?
        .filter(linkable);
    let Some(c) = c else {
        let mut errors = Errors::default();
        errors.add("campaign", tr.t("console-links-error-campaign"));
        let n = tr.t("error-form");
        return render(&cx, f, errors, n, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (link, _token) = referrals::create(
        &cx.s.db,
        &c.id,
        &f.name,
        f.board.is_some(),
        Some(&cx.me.member.id),
        Utc::now(),
    )
    .await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "referral.created",
        &link.code,
        &format!("{} ({})", link.public_name, c.slug),
    )
    .await?;
    Ok(Redirect::to("/admin/links?done=created").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    pub csrf: String,
}

/// `POST /admin/links/{code}`: deletes one of the member's own links (another's: 404).
pub async fn delete(
    cx: Console,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<DeleteForm>,
) -> Result<Response, AppError> {
    let link = referrals::get(&cx.s.db, &code)
        .await?
        .filter(|l| l.member_id.as_deref() == Some(cx.me.member.id.as_str()))
        .ok_or(AppError::NotFound)?;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let n = cx.r.tr.t("error-csrf");
        return render(
            &cx,
            LinkForm::default(),
            Errors::default(),
            n,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    referrals::delete(&cx.s.db, &link.code).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "referral.deleted",
        &link.code,
        &link.public_name,
    )
    .await?;
    Ok(Redirect::to("/admin/links?done=deleted").into_response())
}
