//! The donor wall in the console (`GET /admin/wall`): per campaign, the messages held for
//! review and the newest wall entries with what the wall shows of each, every entry linked
//! to its donation's page, where the moderation form is. Owners turn holding messages with
//! links on and off here (`POST /admin/settings/hold-links`).

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

use super::form::Opt;
use super::{Console, Fields, Shell, query_string};
use crate::campaigns::{Campaign, repo};
use crate::donations::Visibility;
use crate::donations::ledger::{self, DonationRow};
use crate::donations::moderation::{self, MessageState};
use crate::http::AppError;
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;

const PER_PAGE: i64 = 50;
const HELD_SHOWN: i64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct WallQuery {
    pub campaign: Option<String>,
    pub page: Option<String>,
    pub done: Option<String>,
}

/// One wall entry as the team sees it: the donor's own words and what the wall shows.
pub struct WallRow {
    pub id: String,
    pub date: String,
    pub name: String,
    pub amount: String,
    pub message: String,
    /// What the wall shows of it, in words (empty: all of it).
    pub state: String,
}

#[derive(Template)]
#[template(path = "console/wall.html")]
pub struct WallPage {
    pub shell: Shell,
    pub notice: String,
    pub campaign_opts: Vec<Opt>,
    pub held: Vec<WallRow>,
    pub held_more: bool,
    pub rows: Vec<WallRow>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub can_settings: bool,
    pub holds_links: bool,
}

/// `full`: the member may read the campaign's donations (else an anonymous donor's name is
/// not shown, as on the public wall).
fn row(tr: &crate::i18n::I18n, d: &DonationRow, full: bool) -> WallRow {
    let mut state = Vec::new();
    if d.name_hidden {
        state.push(tr.t("console-wall-tag-name-hidden"));
    }
    match d.message_state {
        MessageState::Held => state.push(tr.t("console-wall-tag-held")),
        MessageState::Hidden => state.push(tr.t("console-wall-tag-message-hidden")),
        MessageState::Shown => {}
    }
    WallRow {
        id: d.id.clone(),
        date: tr.date(d.created_at),
        name: if full || d.visibility == Visibility::Public {
            d.donor_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| tr.t("console-no-name"))
        } else {
            tr.t("donor-anonymous")
        },
        amount: CurrencyCode::parse(&d.currency)
            .map(|c| tr.money(Money::new(d.amount_minor, c)))
            .unwrap_or_default(),
        message: d.message.clone().unwrap_or_default(),
        state: state.join(" · "),
    }
}

/// `GET /admin/wall`.
pub async fn show(cx: Console, Query(q): Query<WallQuery>) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("hold-on") => cx.r.tr.t("console-wall-hold-turned-on"),
        Some("hold-off") => cx.r.tr.t("console-wall-hold-turned-off"),
        _ => String::new(),
    };
    render(&cx, &q, notice, StatusCode::OK).await
}

/// The page for the campaign `q` names (else the first the member moderates).
async fn render(
    cx: &Console,
    q: &WallQuery,
    notice: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let all = repo::list(&cx.s.db).await?;
    let mine: Vec<Campaign> = all
        .into_iter()
        .filter(|c| cx.me.member.can(Permission::WallModerate, Some(&c.id)))
        .collect();
    let chosen = q.campaign.as_deref().unwrap_or("");
    let c = if chosen.is_empty() {
        mine.first()
    } else {
        match mine.iter().find(|c| c.slug.as_str() == chosen) {
            Some(c) => Some(c),
            None if repo::by_slug(&cx.s.db, chosen).await?.is_some() => {
                return Err(AppError::Forbidden);
            }
            None => return Err(AppError::NotFound),
        }
    };
    let page_no = super::page_no(q.page.as_deref());
    let (mut held, rows, total) = match c {
        Some(c) => (
            moderation::held(&cx.s.db, &c.id, HELD_SHOWN + 1).await?,
            ledger::wall(&cx.s.db, c, PER_PAGE, (page_no - 1) * PER_PAGE).await?,
            ledger::wall_count(&cx.s.db, c).await?,
        ),
        None => (Vec::new(), Vec::new(), 0),
    };
    let held_more = held.len() as i64 > HELD_SHOWN;
    held.truncate(HELD_SHOWN as usize);
    let slug = c.map(|c| c.slug.to_string()).unwrap_or_default();
    let full = c.is_some_and(|c| cx.me.member.can(Permission::DonationsRead, Some(&c.id)));
    let link = |n: i64| {
        let p = n.to_string();
        format!(
            "/admin/wall{}",
            query_string(&[("campaign", slug.as_str()), ("page", &p)])
        )
    };
    let can_settings = cx.me.member.can(Permission::SettingsManage, None);
    let page = WallPage {
        shell: cx.shell("/admin/wall"),
        notice,
        campaign_opts: mine
            .iter()
            .map(|m| Opt {
                value: m.slug.to_string(),
                label: m.title.clone(),
                selected: m.slug.as_str() == slug,
            })
            .collect(),
        held: held.iter().map(|d| row(tr, d, full)).collect(),
        held_more,
        rows: rows.iter().map(|d| row(tr, d, full)).collect(),
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no * PER_PAGE < total).then(|| link(page_no + 1)),
        can_settings,
        holds_links: can_settings && moderation::holds_links(&cx.s.db).await,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `POST /admin/settings/hold-links`: `on=1` holds new donor messages that contain a link
/// until someone approves them, `on=0` shows them at once.
pub async fn hold_links(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    if !cx.me.member.can(Permission::SettingsManage, None) {
        return Err(AppError::Forbidden);
    }
    let refused = if !cx.csrf_ok(f.csrf()) {
        Some("error-csrf")
    } else if !matches!(f.get("on"), "1" | "0") {
        Some("console-error-choose")
    } else {
        None
    };
    if let Some(key) = refused {
        let notice = cx.r.tr.t(key);
        let q = WallQuery::default();
        return render(&cx, &q, notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let on = f.get("on") == "1";
    moderation::set_holds_links(&cx.s.db, on, &cx.actor()).await?;
    let done = if on { "hold-on" } else { "hold-off" };
    Ok(Redirect::to(&format!("/admin/wall?done={done}")).into_response())
}
