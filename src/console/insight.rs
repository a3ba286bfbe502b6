//! Insight (`GET /admin/insight`, `GET /admin/insight.csv`): the site's page views and
//! visitors of the last 30 days with their breakdowns (pages, referring sites, referral
//! codes, campaign sources, devices, languages), and for one campaign "what brought the
//! money" (by channel and by supporter's link) and its timeline — daily and cumulative money
//! as a server-drawn SVG with posts, milestones, fediverse boosts and spikes (labelled with
//! their likely cause) marked, and the same numbers as a table; and the accounts that boosted
//! the campaign's posts (`federation::boosts`) with their followers and the money given in
//! the 24 h after their boosts. For members who may see donations on the
//! whole site. The numbers come from `promotion::insight` and `donations::attribution`.

use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::form::Opt;
use super::{Console, Shell};
use crate::campaigns::Campaign;
use crate::donations::attribution::{self, CreditedEntry};
use crate::http::AppError;
use crate::i18n::I18n;
use crate::money::Money;
use crate::promotion::insight::{self, Cause, Channel, Dimension, MoneyDay, Row, Traffic};
use crate::promotion::{chart, referrals};
use crate::team::Permission;

/// Days of traffic shown.
pub const TRAFFIC_DAYS: i64 = 30;
/// Days of a campaign's timeline shown at most (the latest).
pub const TIMELINE_DAYS: i64 = 180;

#[derive(Debug, Default, Deserialize)]
pub struct InsightQuery {
    pub campaign: Option<String>,
}

pub struct Breakdown {
    pub id: &'static str,
    pub heading: String,
    pub rows: Vec<Row>,
}

pub struct ChannelView {
    pub name: String,
    pub raised: String,
    pub donations: i64,
}

pub struct LinkView {
    pub name: String,
    pub code: String,
    pub visits: i64,
    pub raised: String,
    pub donations: i64,
}

pub struct DayView {
    pub day: String,
    pub amount: String,
    pub cumulative: String,
    pub donations: i64,
}

/// One account that boosted the campaign's posts.
pub struct BoosterView {
    pub account: String,
    pub profile: String,
    pub boosts: i64,
    pub followers: String,
    pub given: String,
}

pub struct MarkView {
    pub number: usize,
    pub day: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "console/insight.html")]
pub struct InsightPage {
    pub shell: Shell,
    pub traffic: Traffic,
    pub total_views: i64,
    pub breakdowns: Vec<Breakdown>,
    pub campaign_opts: Vec<Opt>,
    pub campaign_title: String,
    pub campaign_slug: String,
    pub channels: Vec<ChannelView>,
    pub links: Vec<LinkView>,
    pub boosters: Vec<BoosterView>,
    pub chart: String,
    pub marks: Vec<MarkView>,
    pub days: Vec<DayView>,
}

/// The campaign asked for (by slug), or the first one.
fn chosen(all: &[Campaign], q: &InsightQuery) -> Option<Campaign> {
    q.campaign
        .as_deref()
        .and_then(|s| all.iter().find(|c| c.slug.as_str() == s))
        .or_else(|| all.first())
        .cloned()
}

fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::DonationsRead, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A campaign's numbers for the report.
struct CampaignNumbers {
    entries: Vec<CreditedEntry>,
    links: Vec<referrals::Link>,
    codes: Vec<String>,
    days: Vec<MoneyDay>,
}

async fn numbers(
    cx: &Console,
    c: &Campaign,
    today: NaiveDate,
) -> Result<CampaignNumbers, AppError> {
    let db = &cx.s.db;
    let entries = attribution::entries(db, &c.id).await?;
    let links = referrals::of_campaign(db, &c.id).await?;
    let codes = links.iter().map(|l| l.code.clone()).collect();
    let first = entries
        .first()
        .map(|e| e.at.date_naive())
        .unwrap_or(today)
        .min(c.starts_at.date_naive())
        .max(today - Duration::days(TIMELINE_DAYS - 1));
    let days = insight::money_days(&entries, first, today);
    Ok(CampaignNumbers {
        entries,
        links,
        codes,
        days,
    })
}

fn money(tr: &I18n, c: &Campaign, minor: i64) -> String {
    tr.money(Money::new(minor, c.currency()))
}

/// `GET /admin/insight`.
pub async fn show(cx: Console, Query(q): Query<InsightQuery>) -> Result<Response, AppError> {
    allowed(&cx)?;
    let tr = cx.r.tr.clone();
    let today = Utc::now().date_naive();
    let since = today - Duration::days(TRAFFIC_DAYS - 1);
    let traffic = insight::traffic(&cx.s.db, since, today, 10).await?;
    let all = crate::campaigns::repo::list(&cx.s.db).await?;
    let campaign = chosen(&all, &q);
    let mut page = InsightPage {
        shell: cx.shell("/admin/insight"),
        total_views: traffic.views(),
        breakdowns: Vec::new(),
        campaign_opts: all
            .iter()
            .map(|c| Opt {
                value: c.slug.to_string(),
                label: c.title.clone(),
                selected: campaign.as_ref().is_some_and(|x| x.id == c.id),
            })
            .collect(),
        campaign_title: String::new(),
        campaign_slug: String::new(),
        channels: Vec::new(),
        links: Vec::new(),
        boosters: Vec::new(),
        chart: String::new(),
        marks: Vec::new(),
        days: Vec::new(),
        traffic: Traffic::default(),
    };
    for (id, key, rows) in [
        ("pages", "insight-top-pages", &traffic.pages),
        ("referrers", "insight-referrers", &traffic.referrers),
        ("codes", "insight-codes", &traffic.codes),
        ("sources", "insight-sources", &traffic.sources),
        ("devices", "insight-devices", &traffic.devices),
        ("langs", "insight-langs", &traffic.langs),
    ] {
        page.breakdowns.push(Breakdown {
            id,
            heading: tr.t(key),
            rows: rows
                .iter()
                .map(|r| Row {
                    value: if r.value.is_empty() {
                        tr.t("insight-none")
                    } else {
                        r.value.clone()
                    },
                    ..r.clone()
                })
                .collect(),
        });
    }
    page.traffic = traffic;
    if let Some(c) = campaign {
        let n = numbers(&cx, &c, today).await?;
        let path = format!("/campaigns/{}", c.slug);
        let visits = insight::visits_by_code(&cx.s.db, &path).await?;
        let name_of = |code: &str| {
            n.links
                .iter()
                .find(|l| l.code == code)
                .map(|l| l.public_name.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| tr.t("referral-no-name"))
        };
        page.channels = insight::by_channel(&n.entries, &n.codes)
            .into_iter()
            .map(|b| ChannelView {
                name: match &b.channel {
                    Channel::Referral(code) => {
                        tr.ta("insight-channel-link", [("name", name_of(code))])
                    }
                    Channel::Source(s) => tr.ta("insight-channel-source", [("source", s.clone())]),
                    Channel::Referrer(h) => tr.ta("insight-channel-site", [("host", h.clone())]),
                    Channel::Unknown => tr.t("insight-channel-unknown"),
                },
                raised: money(&tr, &c, b.raised_minor),
                donations: b.donations,
            })
            .collect();
        page.links = referrals::raised(&n.links, &n.entries, &visits, true)
            .into_iter()
            .map(|r| LinkView {
                name: if r.name.is_empty() {
                    tr.t("referral-no-name")
                } else {
                    r.name
                },
                code: r.code,
                visits: r.visits,
                raised: money(&tr, &c, r.raised_minor),
                donations: r.donations,
            })
            .collect();
        // The timeline's marks: posts, milestones passed, spikes with their likely cause.
        let first = n.days.first().map_or(today, |d| d.day);
        let posts: Vec<(NaiveDate, String)> =
            crate::blog::repo::updates(&cx.s.db, Some(&c.id), 200)
                .await?
                .into_iter()
                .map(|u| (u.published_at.date_naive(), u.title))
                .filter(|(d, _)| *d >= first)
                .collect();
        let referrers = insight::page_referrers(&cx.s.db, &path, first).await?;
        // Boosts from the day before the timeline (a boost late that day may explain its
        // first day).
        let boosts: Vec<insight::BoostSeen> = crate::federation::boosts::of_campaign(
            &cx.s.db,
            &c.id,
            (first - Duration::days(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        )
        .await
        .map_err(AppError::Internal)?
        .into_iter()
        .map(|b| insight::BoostSeen {
            at: b.at,
            account: b.account,
            profile: b.profile,
            followers: b.followers,
        })
        .collect();
        let followers_text = |n: Option<i64>| match n {
            Some(n) => tr.ta("insight-followers", [("count", tr.int(n))]),
            None => tr.t("insight-followers-unknown"),
        };
        page.boosters = insight::by_booster(&n.entries, &boosts)
            .into_iter()
            .map(|b| BoosterView {
                account: b.account,
                profile: b.profile,
                boosts: b.boosts,
                followers: b
                    .followers
                    .map_or_else(|| tr.t("insight-unknown"), |n| tr.int(n)),
                given: money(&tr, &c, b.given_minor),
            })
            .collect();
        let mut marks: Vec<(usize, &'static str, String)> = Vec::new();
        let index = |d: NaiveDate| n.days.iter().position(|x| x.day == d);
        for (d, title) in &posts {
            if let Some(i) = index(*d) {
                marks.push((
                    i,
                    "post",
                    tr.ta("insight-mark-post", [("title", title.clone())]),
                ));
            }
        }
        // One mark a day for boosts: the account with the most followers, and how many more.
        let mut boost_days: Vec<(NaiveDate, Vec<&insight::BoostSeen>)> = Vec::new();
        for b in &boosts {
            let d = b.at.date_naive();
            match boost_days.iter_mut().find(|(x, _)| *x == d) {
                Some((_, v)) => v.push(b),
                None => boost_days.push((d, vec![b])),
            }
        }
        for (d, list) in &boost_days {
            let (Some(i), Some(top)) = (index(*d), list.iter().max_by_key(|b| b.followers)) else {
                continue;
            };
            let mut text = tr.ta(
                "insight-mark-boost",
                [
                    ("account", top.account.clone()),
                    ("followers", followers_text(top.followers)),
                ],
            );
            let others = list.len() as i64 - 1;
            if others > 0 {
                text.push(' ');
                text.push_str(&tr.tn("insight-mark-boost-more", others));
            }
            marks.push((i, "boost", text));
        }
        let milestones = crate::campaigns::repo::milestones(&cx.s.db, &c).await?;
        let mut prev = n
            .days
            .first()
            .map_or(0, |d| d.cumulative_minor - d.amount_minor);
        for (i, d) in n.days.iter().enumerate() {
            for m in &milestones {
                if prev < m.amount.amount_minor && d.cumulative_minor >= m.amount.amount_minor {
                    marks.push((
                        i,
                        "milestone",
                        tr.ta("insight-mark-milestone", [("label", m.label.clone())]),
                    ));
                }
            }
            prev = d.cumulative_minor;
        }
        let series: Vec<i64> = n.days.iter().map(|d| d.amount_minor).collect();
        let unit = 10_i64.pow(u32::from(c.currency().exponent()));
        for i in chart::spikes(&series, unit) {
            let d = &n.days[i];
            let why = match insight::cause(d.day, &n.entries, &n.codes, &boosts, &referrers, &posts)
            {
                Cause::Referral(code) => tr.ta("insight-cause-link", [("name", name_of(&code))]),
                Cause::Source(s) => tr.ta("insight-cause-source", [("source", s)]),
                Cause::Boost { account, followers } => tr.ta(
                    "insight-cause-boost",
                    [
                        ("account", account),
                        ("followers", followers_text(followers)),
                    ],
                ),
                Cause::Referrer(h) => tr.ta("insight-cause-referrer", [("host", h)]),
                Cause::Post(t) => tr.ta("insight-cause-post", [("title", t)]),
                Cause::Unknown => tr.t("insight-cause-unknown"),
            };
            marks.push((
                i,
                "spike",
                tr.ta(
                    "insight-mark-spike",
                    [("cause", why), ("amount", money(&tr, &c, d.amount_minor))],
                ),
            ));
        }
        marks.sort_by_key(|m| m.0);
        let chart_marks: Vec<chart::Mark> = marks
            .into_iter()
            .enumerate()
            .map(|(k, (day, kind, text))| chart::Mark {
                day,
                number: k + 1,
                kind,
                text,
            })
            .collect();
        let chart_days: Vec<chart::Day> = n
            .days
            .iter()
            .map(|d| chart::Day {
                label: d.day.to_string(),
                amount_minor: d.amount_minor,
                cumulative_minor: d.cumulative_minor,
            })
            .collect();
        page.chart = chart::svg(
            &tr.ta("insight-chart-title", [("title", c.title.clone())]),
            &chart_days,
            &chart_marks,
        );
        page.marks = chart_marks
            .iter()
            .map(|m| MarkView {
                number: m.number,
                day: n.days[m.day].day.to_string(),
                text: m.text.clone(),
            })
            .collect();
        page.days = n
            .days
            .iter()
            .rev()
            .map(|d| DayView {
                day: d.day.to_string(),
                amount: money(&tr, &c, d.amount_minor),
                cumulative: money(&tr, &c, d.cumulative_minor),
                donations: d.donations,
            })
            .collect();
        page.campaign_title = c.title.clone();
        page.campaign_slug = c.slug.to_string();
    }
    Ok(Html(page.render()?).into_response())
}

/// `GET /admin/insight.csv?campaign=slug`: the numbers under the report, one row per day of
/// the last [`TIMELINE_DAYS`]: page views and visitors of the site, and the campaign's gifts,
/// money (minor units, with the currency) and running total.
pub async fn export(cx: Console, Query(q): Query<InsightQuery>) -> Result<Response, AppError> {
    allowed(&cx)?;
    let today = Utc::now().date_naive();
    let all = crate::campaigns::repo::list(&cx.s.db).await?;
    let campaign = chosen(&all, &q);
    let since = today - Duration::days(TIMELINE_DAYS - 1);
    let traffic = insight::traffic(&cx.s.db, since, today, 1).await?;
    let money_days: Vec<MoneyDay> = match &campaign {
        Some(c) => {
            let entries = attribution::entries(&cx.s.db, &c.id).await?;
            insight::money_days(&entries, since, today)
        }
        None => Vec::new(),
    };
    let currency = campaign
        .as_ref()
        .map(|c| c.currency().to_string())
        .unwrap_or_default();
    let mut out =
        String::from("day,views,visitors,donations,amount_minor,cumulative_minor,currency\r\n");
    for (day, views, visitors) in &traffic.days {
        let m = money_days.iter().find(|m| m.day == *day);
        out.push_str(&format!(
            "{day},{views},{visitors},{},{},{},{currency}\r\n",
            m.map_or(0, |m| m.donations),
            m.map_or(0, |m| m.amount_minor),
            m.map_or(0, |m| m.cumulative_minor),
        ));
    }
    let name = format!(
        "insight-{}-{today}.csv",
        campaign.as_ref().map_or("site", |c| c.slug.as_str())
    );
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(http::header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// The dashboard's card: the last 7 days' page views and the referring site or campaign
/// source that sent the most.
pub struct InsightCard {
    pub views: String,
    pub top: String,
}

pub async fn card(cx: &Console) -> Result<Option<InsightCard>, AppError> {
    if !cx.me.member.can(Permission::DonationsRead, None) {
        return Ok(None);
    }
    let tr = &cx.r.tr;
    let today = Utc::now().date_naive();
    let since = today - Duration::days(6);
    let views: i64 = insight::rows_by(&cx.s.db, Dimension::Day, since, 7)
        .await?
        .iter()
        .map(|r| r.views)
        .sum();
    let mut top: Vec<Row> = insight::rows_by(&cx.s.db, Dimension::ReferrerHost, since, 2)
        .await?
        .into_iter()
        .chain(insight::rows_by(&cx.s.db, Dimension::UtmSource, since, 2).await?)
        .filter(|r| !r.value.is_empty())
        .collect();
    top.sort_by_key(|b| std::cmp::Reverse(b.views));
    Ok(Some(InsightCard {
        views: tr.tn("insight-card-views", views),
        top: top.first().map_or_else(
            || tr.t("insight-card-no-source"),
            |r| tr.ta("insight-card-top", [("source", r.value.clone())]),
        ),
    }))
}
