//! The donations list (`GET /admin/donations`): the filter form, one page of matches (voided
//! ones marked), the matches' totals per month and currency, and, for members who may enter
//! them, the offline entry form.

use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use http::StatusCode;
use serde::Deserialize;

use crate::campaigns::{Campaign, repo};
use crate::console::form::Opt;
use crate::console::{Console, Errors, Shell, query_string};
use crate::donations::Visibility;
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;
use crate::team::session::CurrentMember;

use super::export::CsvStyle;
use super::{Filter, MonthTotal, PER_PAGE, count, monthly_totals, providers, search};

/// The campaigns in `all` where the member holds `p`.
pub(super) fn campaigns_with(all: &[Campaign], me: &CurrentMember, p: Permission) -> Vec<Campaign> {
    all.iter()
        .filter(|c| me.member.can(p, Some(&c.id)))
        .cloned()
        .collect()
}

/// The filter form, with its campaign (if one is chosen) checked against `allowed`: 403
/// for a campaign outside it, 404 for one that does not exist.
pub(super) async fn filter_form(
    s: &AppState,
    q: &ListQuery,
    allowed: &[Campaign],
) -> Result<FilterForm, AppError> {
    let form = FilterForm::of(q);
    if !form.campaign.is_empty() && !allowed.iter().any(|c| c.slug.as_str() == form.campaign) {
        return Err(match repo::by_slug(&s.db, &form.campaign).await? {
            Some(_) => AppError::Forbidden,
            None => AppError::NotFound,
        });
    }
    Ok(form)
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub campaign: Option<String>,
    pub provider: Option<String>,
    pub visibility: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub added: Option<String>,
}

/// The filter fields as typed, for the form and for links.
#[derive(Debug, Default, Clone)]
pub struct FilterForm {
    pub campaign: String,
    pub provider: String,
    pub visibility: String,
    pub from: String,
    pub to: String,
    pub q: String,
}

impl FilterForm {
    fn of(q: &ListQuery) -> FilterForm {
        let t = |v: &Option<String>, max: usize| {
            v.as_deref()
                .unwrap_or("")
                .trim()
                .chars()
                .take(max)
                .collect::<String>()
        };
        FilterForm {
            campaign: t(&q.campaign, 64),
            provider: t(&q.provider, 40),
            visibility: t(&q.visibility, 20),
            from: t(&q.from, 10),
            to: t(&q.to, 10),
            q: t(&q.q, 100),
        }
    }

    pub(super) fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("campaign", self.campaign.as_str()),
            ("provider", self.provider.as_str()),
            ("visibility", self.visibility.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("q", self.q.as_str()),
        ]
    }

    /// The filter for the campaigns in `allowed`, or the fields at fault. A campaign outside
    /// `allowed` that exists is refused with 403 by the caller.
    pub(super) fn to_filter(&self, tr: &I18n, allowed: &[Campaign]) -> (Filter, Errors) {
        let mut errors = Errors::default();
        let mut f = Filter {
            campaign_ids: allowed.iter().map(|c| c.id.clone()).collect(),
            ..Default::default()
        };
        if !self.campaign.is_empty() {
            f.campaign_ids = allowed
                .iter()
                .filter(|c| c.slug.as_str() == self.campaign)
                .map(|c| c.id.clone())
                .collect();
        }
        if !self.provider.is_empty() {
            if self
                .provider
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                f.provider = Some(self.provider.clone());
            } else {
                errors.add("provider", tr.t("console-error-choose"));
            }
        }
        if !self.visibility.is_empty() {
            match Visibility::parse(&self.visibility) {
                Some(v) => f.visibility = Some(v),
                None => errors.add("visibility", tr.t("console-error-choose")),
            }
        }
        let day = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        };
        if !self.from.is_empty() {
            match day(&self.from) {
                Some(t) => f.from = Some(t),
                None => errors.add("from", tr.t("console-error-date")),
            }
        }
        if !self.to.is_empty() {
            match day(&self.to) {
                Some(t) => f.until = Some(t + Duration::days(1)),
                None => errors.add("to", tr.t("console-error-date")),
            }
        }
        if let (Some(a), Some(b)) = (f.from, f.until)
            && b <= a
        {
            errors.add("to", tr.t("console-error-date-order"));
        }
        if !self.q.is_empty() {
            f.q = Some(self.q.clone());
        }
        (f, errors)
    }
}

pub struct DonationItem {
    pub id: String,
    pub date: String,
    pub campaign: String,
    pub donor: String,
    pub amount: String,
    pub converted: String,
    pub provider: String,
    pub visibility: String,
    /// Voided (`donations::voids`): shown struck through with the word "voided".
    pub voided: bool,
    /// "Refunded" / "Partly refunded" (`donations::refunds`), or empty.
    pub refund_state: String,
    /// What the campaign keeps after refunds (campaign currency), or empty.
    pub net: String,
}

/// One line of the totals table: a month and currency, or (`month` empty) a currency's
/// total over every month shown.
pub struct TotalLine {
    pub month: String,
    pub currency: String,
    pub gifts: String,
    pub amount: String,
}

/// The offline entry form's values.
#[derive(Debug, Default, Clone)]
pub struct OfflineForm {
    pub campaign: String,
    pub amount: String,
    pub currency: String,
    pub donor: String,
    pub email: String,
    pub date: String,
    pub note: String,
    pub message: String,
    pub visibility: String,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "console/donations.html")]
pub struct DonationsPage {
    pub shell: Shell,
    pub filter: FilterForm,
    pub filter_errors: Errors,
    pub campaign_opts: Vec<Opt>,
    pub provider_opts: Vec<Opt>,
    pub visibility_opts: Vec<Opt>,
    pub rows: Vec<DonationItem>,
    pub total_text: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub export_href: Option<String>,
    /// The export in the other style (label, href): comma or semicolon (`export::CsvStyle`).
    pub export_alt: Option<(String, String)>,
    /// Totals of the matches per month received and currency given (voided ones left out).
    pub totals: Vec<TotalLine>,
    /// Each filtered campaign's gross raised, processor fees and net (`ledger.rs`).
    pub gross_net: Vec<super::ledger::GrossNetLine>,
    /// The export of every ledger entry, with the same filter.
    pub ledger_export_href: Option<String>,
    /// The offline entry form, for members who may enter donations somewhere.
    pub can_add: bool,
    pub add_campaigns: Vec<Opt>,
    pub add_currencies: Vec<Opt>,
    pub add_visibilities: Vec<Opt>,
    pub add: OfflineForm,
    pub add_errors: Errors,
    pub notice: String,
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

fn visibility_opts(tr: &I18n, selected: &str) -> Vec<Opt> {
    let v: Vec<(String, String)> = ["public", "anonymous", "private"]
        .iter()
        .map(|v| (v.to_string(), tr.t(&format!("console-visibility-{v}"))))
        .collect();
    opts(&v, selected)
}

pub(super) fn money_text(tr: &I18n, minor: i64, currency: &str) -> String {
    CurrencyCode::parse(currency)
        .map(|c| tr.money(Money::new(minor, c)))
        .unwrap_or_else(|_| format!("{minor} {currency}"))
}

/// Renders the list page (also after a refused offline entry, with its values and errors).
pub(super) async fn render_list(
    cx: &Console,
    q: &ListQuery,
    add: Option<(OfflineForm, Errors)>,
    notice: String,
) -> Result<(StatusCode, String), AppError> {
    let tr = &cx.r.tr;
    let all = repo::list(&cx.s.db).await?;
    let readable = campaigns_with(&all, &cx.me, Permission::DonationsRead);
    let form = filter_form(&cx.s, q, &readable).await?;
    let (filter, filter_errors) = form.to_filter(tr, &readable);
    let page_no = crate::console::page_no(q.page.as_deref());
    let (rows, total, months) = if filter_errors.is_empty() {
        (
            search(&cx.s.db, &filter, PER_PAGE, (page_no - 1) * PER_PAGE).await?,
            count(&cx.s.db, &filter).await?,
            monthly_totals(&cx.s.db, &filter).await?,
        )
    } else {
        (Vec::new(), 0, Vec::new())
    };
    let voids = crate::donations::repo::voids::of_campaigns(&cx.s.db, &filter.campaign_ids).await?;
    let title_of = |id: &str| {
        readable
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_default()
    };
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let refunded = crate::donations::repo::refunds::refunded_of(&cx.s.db, &ids).await?;
    let items = rows
        .iter()
        .map(|d| {
            let c = readable.iter().find(|c| c.id == d.campaign_id);
            let back = refunded.get(&d.id);
            DonationItem {
                id: d.id.clone(),
                date: tr.date(d.created_at),
                campaign: title_of(&d.campaign_id),
                donor: d
                    .donor_name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| tr.t("console-no-name")),
                amount: money_text(tr, d.amount_minor, &d.currency),
                converted: c
                    .map(|c| money_text(tr, d.campaign_amount_minor, c.currency().as_str()))
                    .unwrap_or_default(),
                provider: d.provider.clone(),
                visibility: tr.t(&format!("console-visibility-{}", d.visibility)),
                voided: voids.contains_key(&d.id),
                refund_state: match back {
                    Some((_, true)) => tr.t("console-refunded"),
                    Some(_) => tr.t("console-partly-refunded"),
                    None => String::new(),
                },
                net: match (back, c) {
                    (Some((minor, _)), Some(c)) => {
                        money_text(tr, d.campaign_amount_minor - minor, c.currency().as_str())
                    }
                    _ => String::new(),
                },
            }
        })
        .collect();
    let pairs = form.pairs();
    let link = |n: i64| {
        let p = n.to_string();
        let mut v = pairs.clone();
        v.push(("page", &p));
        format!("/admin/donations{}", query_string(&v))
    };
    let prev = (page_no > 1).then(|| link(page_no - 1));
    let next = (page_no * PER_PAGE < total).then(|| link(page_no + 1));
    let export_href = cx
        .me
        .member
        .can_somewhere(Permission::Export)
        .then(|| format!("/admin/donations.csv{}", query_string(&pairs)));
    let export_alt = export_href.as_ref().map(|_| {
        let other = match CsvStyle::choose(None, tr.lang) {
            CsvStyle::Comma => CsvStyle::Semicolon,
            CsvStyle::Semicolon => CsvStyle::Comma,
        };
        let mut v = pairs.clone();
        v.push(("format", other.as_str()));
        (
            tr.t(&format!("console-export-csv-{}", other.as_str())),
            format!("/admin/donations.csv{}", query_string(&v)),
        )
    });
    let campaign_values: Vec<(String, String)> = readable
        .iter()
        .map(|c| (c.slug.to_string(), c.title.clone()))
        .collect();
    let provider_values: Vec<(String, String)> = providers(&cx.s.db)
        .await?
        .into_iter()
        .map(|p| (p.clone(), p))
        .collect();
    let writable = campaigns_with(&all, &cx.me, Permission::DonationsWrite);
    let (add, add_errors) = add.unwrap_or_else(|| {
        (
            OfflineForm {
                campaign: writable
                    .first()
                    .map(|c| c.slug.to_string())
                    .unwrap_or_default(),
                currency: writable
                    .first()
                    .map(|c| c.currency().to_string())
                    .unwrap_or_default(),
                visibility: "private".into(),
                date: crate::donations::offline::today_in(&cx.me.member.time_zone).to_string(),
                ..Default::default()
            },
            Errors::default(),
        )
    });
    let mut currencies: Vec<String> = Vec::new();
    for c in &writable {
        for code in std::iter::once(c.currency()).chain(c.accepted.iter().copied()) {
            if !currencies.iter().any(|x| x == code.as_str()) {
                currencies.push(code.to_string());
            }
        }
    }
    currencies.sort();
    let gross_net =
        super::ledger::gross_net_lines(&cx.s.db, tr, &readable, &filter.campaign_ids).await?;
    let ledger_export_href = export_href
        .as_ref()
        .map(|_| format!("/admin/ledger.csv{}", query_string(&pairs)));
    let page = DonationsPage {
        shell: cx.shell("/admin/donations"),
        campaign_opts: opts(&campaign_values, &form.campaign),
        provider_opts: opts(&provider_values, &form.provider),
        visibility_opts: visibility_opts(tr, &form.visibility),
        filter: form,
        rows: items,
        total_text: tr.tn("console-donation-count", total),
        prev,
        next,
        export_href,
        export_alt,
        totals: total_lines(tr, &months),
        gross_net,
        ledger_export_href,
        can_add: !writable.is_empty(),
        add_campaigns: opts(
            &writable
                .iter()
                .map(|c| (c.slug.to_string(), c.title.clone()))
                .collect::<Vec<_>>(),
            &add.campaign,
        ),
        add_currencies: opts(
            &currencies
                .iter()
                .map(|c| (c.clone(), c.clone()))
                .collect::<Vec<_>>(),
            &add.currency,
        ),
        add_visibilities: visibility_opts(tr, &add.visibility),
        add,
        add_errors,
        notice,
        filter_errors,
    };
    let status = if page.filter_errors.is_empty() && page.add_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page.render()?))
}

/// `GET /admin/donations`.
pub async fn list(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let notice = if q.added.is_some() {
        cx.r.tr.t("console-donation-added")
    } else {
        String::new()
    };
    let (status, html) = render_list(&cx, &q, None, notice).await?;
    Ok((status, Html(html)).into_response())
}

/// `2024-06` as the console's language names it (`June 2024`); anything else as it is.
fn month_label(tr: &I18n, ym: &str) -> String {
    let parsed = ym
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    match parsed {
        Some((y, m)) => tr.month_of(y, m),
        None => ym.to_string(),
    }
}

/// The totals table: each month and currency, newest month first, then each currency's total
/// over those months.
fn total_lines(tr: &I18n, months: &[MonthTotal]) -> Vec<TotalLine> {
    let mut sums: Vec<(String, i64, i64)> = Vec::new();
    let mut lines: Vec<TotalLine> = Vec::new();
    for m in months {
        lines.push(TotalLine {
            month: month_label(tr, &m.month),
            currency: m.currency.clone(),
            gifts: tr.int(m.gifts),
            amount: money_text(tr, m.amount_minor, &m.currency),
        });
        match sums.iter_mut().find(|(c, _, _)| *c == m.currency) {
            Some((_, n, sum)) => {
                *n += m.gifts;
                *sum = sum.saturating_add(m.amount_minor);
            }
            None => sums.push((m.currency.clone(), m.gifts, m.amount_minor)),
        }
    }
    sums.sort();
    lines.extend(sums.into_iter().map(|(currency, n, sum)| TotalLine {
        month: String::new(),
        amount: money_text(tr, sum, &currency),
        currency,
        gifts: tr.int(n),
    }));
    lines
}
