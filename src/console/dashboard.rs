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
    /// The scheduled backups' state, for members who manage the site's settings.
    pub backup: Option<BackupView>,
    /// The last 7 days' page views and top source, for members who see insight.
    pub insight: Option<super::insight::InsightCard>,
    /// "Getting started", for members who manage the site's settings, until every step
    /// is done.
    pub checklist: Option<Vec<ChecklistItem>>,
}

/// One step of "Getting started": what to do, where, and whether it is done.
pub struct ChecklistItem {
    pub label: String,
    /// Empty when the step is not done in the console (the settings file, the command line).
    pub href: String,
    pub done: bool,
}

/// The steps after the first run (each cheap to read): the first campaign's story and
/// cover, its currencies, a payment provider, exchange rates, a second member, a published
/// post, and a passkey on the owner's account (optional, not counted). `None` once done.
async fn checklist(cx: &Console, all: &[Campaign]) -> Result<Option<Vec<ChecklistItem>>, AppError> {
    let tr = &cx.r.tr;
    let db = &cx.s.db;
    let first = all.first();
    let editor = first
        .map(|c| format!("/admin/campaigns/{}", c.slug))
        .unwrap_or_else(|| "/admin/campaigns/new".to_string());
    let item = |key: &str, href: &str, done: bool| ChecklistItem {
        label: tr.t(key),
        href: href.to_string(),
        done,
    };
    let provider = cx.s.providers.names().iter().any(|n| *n != "test");
    let rates = !crate::rates::latest(db).await?.per_eur.is_empty();
    let team = crate::team::repo::count(db).await? > 1;
    let post = !crate::blog::repo::list(db, &Default::default(), 1, 0)
        .await?
        .is_empty();
    let passkey = !crate::team::repo::passkeys::list(db, &cx.me.member.id)
        .await?
        .is_empty();
    let mut items = Vec::new();
    match first {
        None => items.push(item("checklist-new-campaign", &editor, false)),
        Some(c) => {
            items.push(item(
                "checklist-story",
                &editor,
                !c.story_md.trim().is_empty() && c.cover_image_url.is_some(),
            ));
            items.push(item("checklist-currencies", &editor, c.accepted.len() > 1));
        }
    }
    items.push(item("checklist-provider", "", provider));
    items.push(item("checklist-rates", "/admin/rates", rates));
    items.push(item("checklist-team", "/admin/members", team));
    items.push(item("checklist-post", "/admin/posts/new", post));
    if items.iter().all(|i| i.done) {
        return Ok(None);
    }
    items.push(item("checklist-passkey", "/account", passkey));
    Ok(Some(items))
}

/// The dashboard's backup line: what the last scheduled backup did.
pub struct BackupView {
    pub line: String,
    /// The last attempt failed (shown as an alert).
    pub failed: bool,
    /// The last good backup, when the last attempt failed.
    pub last_good: String,
}

/// A size in bytes as people read it (`1.4 MB`).
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "kB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

async fn backup_view(cx: &Console) -> Result<BackupView, AppError> {
    let tr = &cx.r.tr;
    let zone = &cx.me.member.time_zone;
    let every = cx.s.settings.backup.every_hours;
    let last = cx.s.db.last_backup().await?;
    let when = |t| tr.date_time_in(t, zone);
    let (line, failed) = match last.at {
        _ if every == 0 => (tr.t("console-backup-off"), false),
        None => (
            tr.ta("console-backup-none", [("hours", every.to_string())]),
            false,
        ),
        Some(at) if last.ok => (
            tr.ta(
                "console-backup-ok",
                [
                    ("when", when(at)),
                    ("file", last.detail.clone()),
                    ("size", size(last.bytes.unwrap_or(0))),
                ],
            ),
            false,
        ),
        Some(at) => (
            tr.ta(
                "console-backup-failed",
                [("when", when(at)), ("reason", last.detail.clone())],
            ),
            true,
        ),
    };
    let last_good = match last.success_at {
        Some(t) if failed => tr.ta(
            "console-backup-last-good",
            [("when", when(t)), ("size", size(last.bytes.unwrap_or(0)))],
        ),
        _ => String::new(),
    };
    Ok(BackupView {
        line,
        failed,
        last_good,
    })
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
    let (backup, checklist) = if m.can(Permission::SettingsManage, None) {
        (Some(backup_view(&cx).await?), checklist(&cx, &all).await?)
    } else {
        (None, None)
    };
    let page = DashboardPage {
        insight: super::insight::card(&cx).await?,
        backup,
        checklist,
        shell: cx.shell("/admin"),
        campaigns,
        recent,
        moderation_count: crate::blog::comments::pending_count(&cx.s.db).await?,
        team,
    };
    Ok(Html(page.render()?).into_response())
}
