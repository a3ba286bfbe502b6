//! Pledges and matching gifts in the console (`/admin/pledges`, linked from the donations
//! page): the list of both for the campaigns where the member may read donations, and, where
//! they may enter them (`DonationsWrite`), the forms to record a pledge or a matching gift and
//! each open one's actions: fulfil a pledge or settle a match into an offline donation, or
//! cancel it with a reason ([`actions`]). The rules are `donations::pledges` and
//! `donations::matching`'s; a refused form shows the page again (422) with its values and
//! errors.

mod actions;

pub use actions::{add_match, add_pledge, cancel_match, cancel_pledge, fulfil, settle};

use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use http::StatusCode;
use serde::Deserialize;

use crate::campaigns::{Campaign, repo};
use crate::console::form::Opt;
use crate::console::{Console, Errors, Shell};
use crate::donations::{matching, pledges};
use crate::http::AppError;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;

/// The pledge form as typed.
#[derive(Debug, Default, Clone)]
pub struct PledgeForm {
    pub campaign: String,
    pub pledger: String,
    pub amount: String,
    pub currency: String,
    pub expected: String,
    pub note: String,
    pub visibility: String,
}

/// The matching gift form as typed (times in the member's zone).
#[derive(Debug, Default, Clone)]
pub struct MatchForm {
    pub campaign: String,
    pub sponsor: String,
    pub ratio: String,
    pub cap: String,
    pub starts: String,
    pub ends: String,
    pub note: String,
}

/// An open row's action form shown again: the row, what was typed, the errors.
#[derive(Debug, Default)]
pub struct RowForm {
    pub id: String,
    pub date: String,
    pub reason: String,
    pub errors: Errors,
}

pub struct PledgeItem {
    pub id: String,
    pub campaign: String,
    pub pledger: String,
    pub amount: String,
    pub expected: String,
    pub visibility: String,
    pub note: String,
    pub open: bool,
    pub can_write: bool,
    pub status: String,
    pub donation_id: String,
    pub reason: String,
}

pub struct MatchItem {
    pub id: String,
    pub campaign: String,
    pub sponsor: String,
    pub ratio: String,
    pub cap: String,
    pub matched: String,
    pub left: String,
    pub window: String,
    pub note: String,
    pub open: bool,
    pub can_write: bool,
    pub status: String,
    pub donation_id: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "console/pledges.html")]
pub struct PledgesPage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub pledges: Vec<PledgeItem>,
    pub matches: Vec<MatchItem>,
    pub can_add: bool,
    pub campaigns: Vec<Opt>,
    pub match_campaigns: Vec<Opt>,
    pub currencies: Vec<Opt>,
    pub visibilities: Vec<Opt>,
    pub pledge: PledgeForm,
    pub pledge_errors: Errors,
    pub matching: MatchForm,
    pub match_errors: Errors,
    pub row: RowForm,
    pub today: String,
    pub zone: String,
}

/// What a refused form brings back to the page.
#[derive(Default)]
pub struct Shown {
    pub pledge: Option<(PledgeForm, Errors)>,
    pub matching: Option<(MatchForm, Errors)>,
    pub row: Option<RowForm>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PledgesQuery {
    pub done: Option<String>,
}

fn opts(values: &[(String, String)], selected: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|(v, l)| Opt {
            value: v.clone(),
            label: l.clone(),
            selected: v == selected,
        })
        .collect()
}

fn money_text(tr: &I18n, minor: i64, currency: &str) -> String {
    CurrencyCode::parse(currency)
        .map(|c| tr.money(Money::new(minor, c)))
        .unwrap_or_else(|_| format!("{minor} {currency}"))
}

/// A time in the member's zone: the day in the language's form and the hour.
fn local_time(tr: &I18n, t: DateTime<Utc>, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let l = t.with_timezone(&tz);
    format!("{} {}", tr.day(l.date_naive()), l.format("%H:%M"))
}

/// The page, with `shown` (a refused form) and `notice`.
pub(super) async fn render(
    cx: &Console,
    shown: Shown,
    notice: String,
    notice_ok: bool,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let db = &cx.s.db;
    let zone = cx.me.member.time_zone.clone();
    let all = repo::list(db).await?;
    let can = |c: &Campaign, p| cx.me.member.can(p, Some(&c.id));
    let readable: Vec<&Campaign> = all
        .iter()
        .filter(|c| can(c, Permission::DonationsRead))
        .collect();
    let writable: Vec<&Campaign> = all
        .iter()
        .filter(|c| can(c, Permission::DonationsWrite))
        .collect();
    let ids: Vec<String> = readable.iter().map(|c| c.id.clone()).collect();
    let campaign_of = |id: &str| readable.iter().find(|c| c.id == id).copied();
    let title = |id: &str| campaign_of(id).map(|c| c.title.clone()).unwrap_or_default();
    let writes = |id: &str| writable.iter().any(|c| c.id == id);
    let status = |s: &str| tr.t(&format!("console-pledge-status-{s}"));
    let pledge_items = pledges::list(db, &ids)
        .await?
        .into_iter()
        .map(|p| PledgeItem {
            campaign: title(&p.campaign_id),
            amount: money_text(tr, p.amount_minor, &p.currency),
            expected: p.expected_on.map(|d| tr.day(d)).unwrap_or_default(),
            visibility: tr.t(&format!("console-visibility-{}", p.visibility)),
            note: p.note.clone().unwrap_or_default(),
            open: p.status == "open",
            can_write: writes(&p.campaign_id),
            status: status(&p.status),
            donation_id: p.donation_id.clone().unwrap_or_default(),
            reason: p.cancel_reason.clone().unwrap_or_default(),
            pledger: p.pledger,
            id: p.id,
        })
        .collect();
    let now = Utc::now();
    let mut match_items = Vec::new();
    for m in matching::list(db, &ids).await? {
        let Some(c) = campaign_of(&m.campaign_id) else {
            continue;
        };
        let st = matching::state(db, c, &m, now).await?;
        match_items.push(MatchItem {
            campaign: c.title.clone(),
            ratio: tr.ta(
                "console-match-ratio-text",
                [("percent", m.ratio_percent.to_string())],
            ),
            cap: tr.money(st.cap),
            matched: tr.money(st.matched),
            left: tr.money(st.left),
            window: format!(
                "{} – {}",
                local_time(tr, m.starts_at, &zone),
                local_time(tr, m.ends_at, &zone)
            ),
            note: m.note.clone().unwrap_or_default(),
            open: m.status == "open",
            can_write: writes(&m.campaign_id),
            status: status(&m.status),
            donation_id: m.donation_id.clone().unwrap_or_default(),
            reason: m.cancel_reason.clone().unwrap_or_default(),
            sponsor: m.sponsor,
            id: m.id,
        });
    }
    let first = writable.first();
    let (pledge, pledge_errors) = shown.pledge.unwrap_or_else(|| {
        (
            PledgeForm {
                campaign: first.map(|c| c.slug.to_string()).unwrap_or_default(),
                currency: first.map(|c| c.currency().to_string()).unwrap_or_default(),
                visibility: "public".into(),
                ..Default::default()
            },
            Errors::default(),
        )
    });
    let (matching, match_errors) = shown.matching.unwrap_or_else(|| {
        (
            MatchForm {
                campaign: first.map(|c| c.slug.to_string()).unwrap_or_default(),
                ratio: matching::DEFAULT_RATIO_PERCENT.to_string(),
                ..Default::default()
            },
            Errors::default(),
        )
    });
    let campaign_values: Vec<(String, String)> = writable
        .iter()
        .map(|c| {
            (
                c.slug.to_string(),
                format!("{} ({})", c.title, c.currency()),
            )
        })
        .collect();
    let mut currency_values: Vec<(String, String)> = Vec::new();
    for c in &writable {
        for x in c.currencies() {
            let x = x.to_string();
            if !currency_values.iter().any(|(v, _)| *v == x) {
                currency_values.push((x.clone(), x));
            }
        }
    }
    let visibility_values: Vec<(String, String)> = ["public", "anonymous", "private"]
        .iter()
        .map(|v| (v.to_string(), tr.t(&format!("console-visibility-{v}"))))
        .collect();
    let row = shown.row.unwrap_or_default();
    let refused = !pledge_errors.is_empty() || !match_errors.is_empty() || !row.errors.is_empty();
    let page = PledgesPage {
        shell: cx.shell("/admin/donations"),
        notice,
        notice_ok,
        pledges: pledge_items,
        matches: match_items,
        can_add: !writable.is_empty(),
        campaigns: opts(&campaign_values, &pledge.campaign),
        match_campaigns: opts(&campaign_values, &matching.campaign),
        currencies: opts(&currency_values, &pledge.currency),
        visibilities: opts(&visibility_values, &pledge.visibility),
        pledge,
        pledge_errors,
        matching,
        match_errors,
        row,
        today: pledges_today(&zone).to_string(),
        zone,
    };
    let status = if refused || (!notice_ok && !page.notice.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn pledges_today(zone: &str) -> chrono::NaiveDate {
    crate::donations::offline::today_in(zone)
}

/// `GET /admin/pledges`.
pub async fn list(cx: Console, Query(q): Query<PledgesQuery>) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some(d @ ("added" | "match-added" | "fulfilled" | "settled" | "cancelled")) => {
            cx.r.tr.t(&format!("console-pledge-done-{d}"))
        }
        _ => String::new(),
    };
    render(&cx, Shown::default(), notice, true).await
}
