//! One donation with every stored field (`GET /admin/donations/{id}`) and its ledger lines.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::campaigns::repo;
use crate::console::{Console, Shell};
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
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    pub added: Option<String>,
    pub duplicate: Option<String>,
}

/// `GET /admin/donations/{id}`: every stored field.
pub async fn detail(
    cx: Console,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let d = by_id(&cx.s.db, &id).await?.ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::DonationsRead, Some(&d.campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    let c = repo::by_id(&cx.s.db, &d.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entries = crate::donations::repo::ledger::entries_of(&cx.s.db, &d.id).await?;
    let notice = if q.added.is_some() {
        tr.t("console-donation-added")
    } else if q.duplicate.is_some() {
        tr.t("console-donation-duplicate")
    } else {
        String::new()
    };
    let page = DetailPage {
        shell: cx.shell("/admin/donations"),
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
        donor_name: d.donor_name.clone().unwrap_or_default(),
        donor_email: d.donor_email.clone().unwrap_or_default(),
        message: d.message.clone().unwrap_or_default(),
        visibility: tr.t(&format!("console-visibility-{}", d.visibility)),
        provider: d.provider.clone(),
        provider_reference: offline::shown_reference(
            &d.provider,
            &d.campaign_id,
            &d.provider_reference,
        )
        .to_string(),
        status: d.status.to_string(),
        note: d.note.clone().unwrap_or_default(),
        ledger: entries
            .into_iter()
            .map(|(kind, amount, at)| LedgerLine {
                kind,
                amount: money_text(tr, amount, c.currency().as_str()),
                date: tr.date(at),
            })
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}
