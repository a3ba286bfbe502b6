//! One donation with every stored field (`GET /admin/donations/{id}`) and its ledger lines,
//! and the donor wall's moderation form (`POST /admin/donations/{id}/wall`, [`super::wall`]).
//! Members who may read donations see everything; wall moderators who may not (editors) see
//! what the wall could show — no e-mail address, provider reference or note.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;

use crate::campaigns::repo;
use crate::console::{Console, Errors, Shell};
use crate::donations::Visibility;
use crate::donations::moderation::{self, MessageState};
use crate::donations::offline::{self};
use crate::http::AppError;
use crate::team::Permission;

use super::by_id;
use super::list::money_text;

pub struct LedgerLine {
    pub kind: String,
    pub amount: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "console/donation.html")]
pub struct DetailPage {
    pub shell: Shell,
    pub notice: String,
    pub id: String,
    pub campaign_slug: String,
    pub campaign_title: String,
    pub created: String,
    pub received_on: String,
    pub amount: String,
    pub rate: String,
    pub converted: String,
    pub donor_name: String,
    pub donor_email: String,
    pub message: String,
    pub visibility: String,
    pub provider: String,
    pub provider_reference: String,
    pub status: String,
    pub note: String,
    pub ledger: Vec<LedgerLine>,
    /// The member may read donations here (else only the wall's fields are shown).
    pub full: bool,
    pub wall: WallForm,
}

/// The wall moderation form: the current decision, or what was posted when it is shown
/// again with its errors.
pub struct WallForm {
    pub name_hidden: bool,
    /// `shown`, `held` or `hidden`.
    pub message_state: &'static str,
    /// What the public wall shows now, in words.
    pub status: String,
    pub reason: String,
    pub errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    pub added: Option<String>,
    pub duplicate: Option<String>,
    /// The wall moderation was saved.
    pub wall: Option<String>,
}

/// `GET /admin/donations/{id}`: every stored field (for wall moderators who may not read
/// donations, the wall's fields only).
pub async fn detail(
    cx: Console,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let notice = if q.added.is_some() {
        tr.t("console-donation-added")
    } else if q.duplicate.is_some() {
        tr.t("console-donation-duplicate")
    } else if q.wall.is_some() {
        tr.t("console-wall-saved")
    } else {
        String::new()
    };
    let (status, html) = render_detail(&cx, &id, notice, None).await?;
    Ok((status, Html(html)).into_response())
}

/// Renders the donation page; `posted` is a refused wall form (its values and errors),
/// shown again with 422.
pub(super) async fn render_detail(
    cx: &Console,
    id: &str,
    notice: String,
    posted: Option<WallForm>,
) -> Result<(StatusCode, String), AppError> {
    let tr = &cx.r.tr;
    let d = by_id(&cx.s.db, id).await?.ok_or(AppError::NotFound)?;
    let m = &cx.me.member;
    let full = m.can(Permission::DonationsRead, Some(&d.campaign_id));
    // Wall moderators who may not read donations see what the wall could show: nothing of a
    // private donation, no name of an anonymous one.
    if !full
        && (!m.can(Permission::WallModerate, Some(&d.campaign_id))
            || d.visibility == Visibility::Private)
    {
        return Err(AppError::Forbidden);
    }
    let c = repo::by_id(&cx.s.db, &d.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entries = crate::donations::repo::ledger::entries_of(&cx.s.db, &d.id).await?;
    let now = moderation::wall_of(&cx.s.db, &d.id).await?;
    let status_key = match (d.visibility, now.name_hidden, now.message) {
        (Visibility::Private, _, _) => "console-wall-status-private",
        (_, _, MessageState::Held) => "console-wall-status-held",
        (_, true, MessageState::Hidden) => "console-wall-status-both-hidden",
        (_, true, _) => "console-wall-status-name-hidden",
        (_, false, MessageState::Hidden) => "console-wall-status-message-hidden",
        _ => "console-wall-status-shown",
    };
    let status = if posted.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let wall = posted.unwrap_or_else(|| WallForm {
        name_hidden: now.name_hidden,
        message_state: now.message.as_str(),
        status: String::new(),
        reason: String::new(),
        errors: Errors::default(),
    });
    let wall = WallForm {
        status: tr.t(status_key),
        ..wall
    };
    let page = DetailPage {
        shell: cx.shell(if full {
            "/admin/donations"
        } else {
            "/admin/wall"
        }),
        notice,
        id: d.id.clone(),
        campaign_slug: c.slug.to_string(),
        campaign_title: c.title.clone(),
        created: format!(
            "{} ({} UTC)",
            tr.date(d.created_at),
            d.created_at.format("%H:%M")
        ),
        received_on: d.received_on.map(|x| x.to_string()).unwrap_or_default(),
        amount: money_text(tr, d.amount_minor, &d.currency),
        rate: format!("1 {} = {} {}", d.currency, d.rate, c.currency()),
        converted: money_text(tr, d.campaign_amount_minor, c.currency().as_str()),
        donor_name: if full || d.visibility == Visibility::Public {
            d.donor_name.clone().unwrap_or_default()
        } else {
            tr.t("donor-anonymous")
        },
        donor_email: if full {
            d.donor_email.clone().unwrap_or_default()
        } else {
            String::new()
        },
        message: d.message.clone().unwrap_or_default(),
        visibility: tr.t(&format!("console-visibility-{}", d.visibility)),
        provider: d.provider.clone(),
        provider_reference: if full {
            offline::shown_reference(&d.provider, &d.campaign_id, &d.provider_reference).to_string()
        } else {
            String::new()
        },
        status: d.status.clone(),
        note: if full {
            d.note.clone().unwrap_or_default()
        } else {
            String::new()
        },
        full,
        wall,
        ledger: entries
            .into_iter()
            .map(|(kind, amount, at)| LedgerLine {
                kind,
                amount: money_text(tr, amount, c.currency().as_str()),
                date: tr.date(at),
            })
            .collect(),
    };
    Ok((status, page.render()?))
}
