//! Monthly gifts in the console (`/admin/monthly`, linked from the donations page): every
//! started monthly gift of the campaigns where the member may read donations, per campaign
//! (donor, amount a month, status, months paid, started, next payment), and a cancel button
//! where they may enter donations (`DonationsWrite`): the gift ends at Stripe as when the
//! donor cancels it, audited `monthly.canceled`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::campaigns::repo;
use crate::console::{Console, Shell};
use crate::donations::monthly::{self, MonthlyStatus};
use crate::http::AppError;
use crate::team::Permission;

pub struct GiftItem {
    pub id: String,
    pub donor: String,
    pub email: String,
    pub amount: String,
    pub status: String,
    pub months: i64,
    pub started: String,
    pub next: String,
    pub can_cancel: bool,
}

pub struct CampaignGifts {
    pub title: String,
    pub gifts: Vec<GiftItem>,
}

#[derive(Template)]
#[template(path = "console/monthly.html")]
pub struct MonthlyPage {
    pub shell: Shell,
    pub notice: String,
    pub campaigns: Vec<CampaignGifts>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MonthlyQuery {
    pub done: Option<String>,
}

async fn render(cx: &Console, notice: String) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let db = &cx.s.db;
    let mut campaigns = Vec::new();
    for c in repo::list(db).await? {
        if !cx.me.member.can(Permission::DonationsRead, Some(&c.id)) {
            continue;
        }
        let writes = cx.me.member.can(Permission::DonationsWrite, Some(&c.id));
        let mut gifts = Vec::new();
        for g in monthly::of_campaign(db, &c.id).await? {
            gifts.push(GiftItem {
                donor: g
                    .donor_name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| tr.t("donor-anonymous")),
                email: g.donor_email.clone().unwrap_or_default(),
                amount: tr.money(g.amount),
                status: tr.t(&format!("monthly-status-{}", g.status.as_str())),
                months: monthly::payments(db, &g.id).await?,
                started: g.started_at.map(|d| tr.date(d)).unwrap_or_default(),
                next: g
                    .next_payment_at
                    .filter(|_| g.status != MonthlyStatus::Canceled)
                    .map(|d| tr.date(d))
                    .unwrap_or_default(),
                can_cancel: writes && g.status != MonthlyStatus::Canceled,
                id: g.id,
            });
        }
        if !gifts.is_empty() {
            campaigns.push(CampaignGifts {
                title: c.title.clone(),
                gifts,
            });
        }
    }
    let page = MonthlyPage {
        shell: cx.shell("donations"),
        notice,
        campaigns,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /admin/monthly`
pub async fn list(cx: Console, Query(q): Query<MonthlyQuery>) -> Result<Response, AppError> {
    let notice = if q.done.as_deref() == Some("canceled") {
        cx.r.tr.t("console-monthly-canceled")
    } else {
        String::new()
    };
    render(&cx, notice).await
}

/// `POST /admin/monthly/{id}/cancel`
pub async fn cancel(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    let g = monthly::get(&cx.s.db, &id)
        .await?
        .filter(|g| g.status != MonthlyStatus::Pending)
        .ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::DonationsWrite, Some(&g.campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    if !cx.csrf_ok(token) {
        return render(&cx, cx.r.tr.t("error-csrf")).await;
    }
    match monthly::cancel(&cx.s.db, &cx.s.providers, &g, &cx.actor()).await {
        Ok(()) => Ok(Redirect::to("/admin/monthly?done=canceled").into_response()),
        Err(monthly::CancelError::Db(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "monthly gift not cancelled");
            render(&cx, cx.r.tr.t("monthly-cancel-failed")).await
        }
    }
}
