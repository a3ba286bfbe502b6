//! `GET /admin`: campaign progress, recent donations, what waits for moderation and who on
//! the team is around now.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::Console;
use super::donations::{self, Filter};
use super::{LocalTime, Shell, local_time};
use crate::campaigns::view::ProgressView;
use crate::campaigns::{Campaign, Progress, repo};
use crate::donations::Visibility;
use crate::http::AppError;
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;

pub struct CampaignCard {
    pub slug: String,
    pub title: String,
    pub state: String,
    pub progress: ProgressView,
    pub can_edit: bool,
    pub is_public: bool,
}

pub struct RecentDonation {
    pub id: String,
    pub date: String,
    pub campaign: String,
    pub name: String,
    pub amount: String,
    /// Link to the detail view (members who may read donor details).
    pub can_open: bool,
}

pub struct TeamMate {
    pub name: String,
    pub local: LocalTime,
    pub invited: bool,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub struct DashboardPage {
    pub shell: Shell,
    pub campaigns: Vec<CampaignCard>,
    pub recent: Vec<RecentDonation>,
    pub moderation_count: i64,
    pub team: Vec<TeamMate>,
}

pub async fn show(cx: Console) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let m = &cx.me.member;
    let now = Utc::now();
    let mut campaigns = Vec::new();
    let all = repo::list(&cx.s.db).await?;
    let visible: Vec<&Campaign> = all
        .iter()
        .filter(|c| m.can(Permission::ConsoleRead, Some(&c.id)))
        .collect();
    for c in visible.iter().copied() {
        let t = repo::totals(&cx.s.db, &c.id).await?;
        let p = Progress::of(c, &t, now);
        campaigns.push(CampaignCard {
            slug: c.slug.to_string(),
            title: c.title.clone(),
            state: tr.t(&format!("console-state-{}", c.state.as_str())),
            progress: ProgressView::new(tr, &p),
            can_edit: m.can(Permission::CampaignEdit, Some(&c.id)),
            is_public: c.state != crate::campaigns::CampaignState::Draft,
        });
    }
    let rows = donations::search(
        &cx.s.db,
        &Filter {
            campaign_ids: visible.iter().map(|c| c.id.clone()).collect(),
            ..Default::default()
        },
        10,
        0,
    )
    .await?;
    let recent = rows
        .iter()
        .map(|d| {
            let details = m.can(Permission::DonationsRead, Some(&d.campaign_id));
            let name = match (&d.donor_name, d.visibility) {
                (Some(n), _) if details && !n.trim().is_empty() => n.clone(),
                (Some(n), Visibility::Public) if !n.trim().is_empty() => n.clone(),
                _ if details => tr.t("console-no-name"),
                _ => tr.t("donor-anonymous"),
            };
            RecentDonation {
                id: d.id.clone(),
                date: tr.date(d.created_at),
                campaign: all
                    .iter()
                    .find(|c| c.id == d.campaign_id)
                    .map(|c| c.title.clone())
                    .unwrap_or_default(),
                name,
                amount: CurrencyCode::parse(&d.currency)
                    .map(|c| tr.money(Money::new(d.amount_minor, c)))
                    .unwrap_or_default(),
                can_open: details,
            }
        })
        .collect();
    let team = crate::team::repo::list(&cx.s.db)
        .await?
        .into_iter()
        .map(|t| TeamMate {
            local: local_time(&t.time_zone, now),
            invited: t.status == crate::team::MemberStatus::Invited,
            name: t.display_name,
        })
        .collect();
    let page = DashboardPage {
        shell: cx.shell("/admin"),
        campaigns,
        recent,
        moderation_count: crate::blog::comments::pending_count(&cx.s.db).await?,
        team,
    };
    Ok(Html(page.render()?).into_response())
}
