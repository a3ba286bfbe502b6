//! Donations in the console: the filterable, paginated list (`GET /admin/donations`), the
//! detail view, offline entry (`POST /admin/donations`, the same path as `shelfraiser
//! donation add`) and the CSV export for accountants.
//!
//! A member sees the donations of the campaigns where their roles allow `DonationsRead`,
//! enters offline donations where they allow `DonationsWrite` and exports where they allow
//! `Export`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, Utc};
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::{Errors, Fields, Req, Shell, query_string};
use crate::campaigns::{Campaign, repo};
use crate::donations::Visibility;
use crate::donations::ledger::Recorded;
use crate::donations::offline::{self, OfflineError, OfflineInput};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money, MoneyError};
use crate::team::Permission;
use crate::team::audit;
use crate::team::session::CurrentMember;

pub use crate::donations::repo::search::{DonationFull, Filter, by_id, count, providers, search};

pub const PER_PAGE: i64 = 50;

/// Localized text for a money parsing error.
pub fn money_error(tr: &I18n, e: &MoneyError) -> String {
    match e {
        MoneyError::Empty => tr.t("error-amount-empty"),
        MoneyError::NotPositive => tr.t("error-amount-not-positive"),
        MoneyError::TooManyDecimals { currency, exponent } if *exponent == 0 => tr.ta(
            "error-amount-no-decimals",
            &[("currency", currency.to_string())],
        ),
        MoneyError::TooManyDecimals { currency, exponent } => tr.ta(
            "error-amount-decimals",
            &[
                ("currency", currency.to_string()),
                ("places", exponent.to_string()),
            ],
        ),
        MoneyError::TooLarge => tr.t("error-amount-too-large-plain"),
        MoneyError::UnknownCurrency(_) => tr.t("error-currency-unknown"),
        _ => tr.t("error-amount-not-number"),
    }
}

fn offline_message(tr: &I18n, e: &OfflineError) -> String {
    match e {
        OfflineError::CurrencyUnknown(_) => tr.t("error-currency-unknown"),
        OfflineError::CurrencyNotAccepted { currency, .. } => tr.ta(
            "error-currency-not-accepted",
            &[("currency", currency.to_string())],
        ),
        OfflineError::Amount(m) => money_error(tr, m),
        OfflineError::ConvertedToZero(_) => tr.t("error-amount-too-small"),
        OfflineError::NoRate { from, .. } => {
            tr.ta("error-no-rate", &[("currency", from.to_string())])
        }
        OfflineError::Visibility => tr.t("console-error-visibility"),
        OfflineError::Date => tr.t("console-error-date"),
        OfflineError::Email(_) => tr.t("error-email"),
        OfflineError::TooLong { max, .. } => tr.ta("error-too-long", &[("max", max.to_string())]),
        OfflineError::Db(_) => tr.t("error-internal"),
    }
}

/// The campaigns in `all` where the member holds `p`.
fn campaigns_with(all: &[Campaign], me: &CurrentMember, p: Permission) -> Vec<Campaign> {
    all.iter()
        .filter(|c| me.member.can(p, Some(&c.id)))
        .cloned()
        .collect()
}

/// The filter form, with its campaign (if one is chosen) checked against `allowed`: 403
/// for a campaign outside it, 404 for one that does not exist.
async fn filter_form(
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

    fn pairs(&self) -> Vec<(&'static str, &str)> {
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
    fn to_filter(&self, tr: &I18n, allowed: &[Campaign]) -> (Filter, Errors) {
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

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
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

fn money_text(tr: &I18n, minor: i64, currency: &str) -> String {
    CurrencyCode::parse(currency)
        .map(|c| tr.money(Money::new(minor, c)))
        .unwrap_or_else(|_| format!("{minor} {currency}"))
}

/// Renders the list page (also after a refused offline entry, with its values and errors).
async fn render_list(
    s: &AppState,
    r: &Req,
    me: &CurrentMember,
    q: &ListQuery,
    add: Option<(OfflineForm, Errors)>,
    notice: String,
) -> Result<(StatusCode, String), AppError> {
    let tr = &r.tr;
    let all = repo::list(&s.db).await?;
    let readable = campaigns_with(&all, me, Permission::DonationsRead);
    let form = filter_form(s, q, &readable).await?;
    let (filter, filter_errors) = form.to_filter(tr, &readable);
    let page_no = super::page_no(q.page.as_deref());
    let (rows, total) = if filter_errors.is_empty() {
        (
            search(&s.db, &filter, PER_PAGE, (page_no - 1) * PER_PAGE).await?,
            count(&s.db, &filter).await?,
        )
    } else {
        (Vec::new(), 0)
    };
    let title_of = |id: &str| {
        readable
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_default()
    };
    let items = rows
        .iter()
        .map(|d| {
            let c = readable.iter().find(|c| c.id == d.campaign_id);
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
    let export_href = me
        .member
        .can_somewhere(Permission::Export)
        .then(|| format!("/admin/donations.csv{}", query_string(&pairs)));
    let campaign_values: Vec<(String, String)> = readable
        .iter()
        .map(|c| (c.slug.to_string(), c.title.clone()))
        .collect();
    let provider_values: Vec<(String, String)> = providers(&s.db)
        .await?
        .into_iter()
        .map(|p| (p.clone(), p))
        .collect();
    let writable = campaigns_with(&all, me, Permission::DonationsWrite);
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
                date: Utc::now().date_naive().to_string(),
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
    let page = DonationsPage {
        shell: Shell::new(s, r, me, "/admin/donations"),
        campaign_opts: opts(&campaign_values, &form.campaign),
        provider_opts: opts(&provider_values, &form.provider),
        visibility_opts: visibility_opts(tr, &form.visibility),
        filter: form,
        rows: items,
        total_text: tr.tn("console-donation-count", total),
        prev,
        next,
        export_href,
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
pub async fn list(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let notice = if q.added.is_some() {
        r.tr.t("console-donation-added")
    } else {
        String::new()
    };
    let (status, html) = render_list(&s, &r, &me, &q, None, notice).await?;
    Ok((status, Html(html)).into_response())
}

/// `POST /admin/donations`: an offline donation.
pub async fn add_offline(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let f = Fields(fields);
    let tr = &r.tr;
    let form = OfflineForm {
        campaign: f.text("campaign", 64),
        amount: f.text("amount", 40),
        currency: f.text("currency", 8),
        donor: f.text("donor", 200),
        email: f.text("email", 300),
        date: f.text("date", 20),
        note: f.text("note", 2000),
        message: f.text("message", 1000),
        visibility: f.text("visibility", 20),
        reference: f.text("reference", 300),
    };
    let c = repo::by_slug(&s.db, f.get("campaign")).await?;
    if let Some(c) = &c
        && !me.member.can(Permission::DonationsWrite, Some(&c.id))
    {
        return Err(AppError::Forbidden);
    }
    let refuse = |form: OfflineForm, errors: Errors, notice: String| {
        let (s, r, me) = (&s, &r, &me);
        async move {
            let (_, html) = render_list(
                s,
                r,
                me,
                &ListQuery::default(),
                Some((form, errors)),
                notice,
            )
            .await?;
            Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    };
    if !me.csrf_ok(&s, &r, f.csrf()) {
        return refuse(form, Errors::default(), tr.t("error-csrf")).await;
    }
    let Some(c) = c else {
        let mut e = Errors::default();
        e.add("campaign", tr.t("console-error-choose"));
        return refuse(form, e, tr.t("error-form")).await;
    };
    let opt = |v: &str| (!v.trim().is_empty()).then(|| v.to_string());
    let input = OfflineInput {
        amount: form.amount.clone(),
        currency: form.currency.clone(),
        donor: opt(f.get("donor")),
        email: opt(f.get("email")),
        date: opt(f.get("date")),
        note: opt(f.get("note")),
        message: opt(f.get("message")),
        visibility: form.visibility.clone(),
        reference: opt(f.get("reference")),
    };
    match offline::add(&s.db, &c, &input, &me.actor(&r)).await {
        Ok(done) => {
            let id = done.recorded.donation_id().to_string();
            if let Recorded::New { version, .. } = done.recorded {
                s.hub.observe(&c.id, version);
                Ok(Redirect::to(&format!("/admin/donations/{id}?added=1")).into_response())
            } else {
                Ok(Redirect::to(&format!("/admin/donations/{id}?duplicate=1")).into_response())
            }
        }
        Err(errors) => {
            let mut e = Errors::default();
            for err in &errors {
                if let OfflineError::Db(db) = err {
                    return Err(AppError::Internal(anyhow::anyhow!("{db}")));
                }
                e.add(err.field(), offline_message(tr, err));
            }
            refuse(form, e, tr.t("error-form")).await
        }
    }
}

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
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let tr = &r.tr;
    let d = by_id(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    if !me
        .member
        .can(Permission::DonationsRead, Some(&d.campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    let c = repo::by_id(&s.db, &d.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entries = crate::donations::repo::ledger::entries_of(&s.db, &d.id).await?;
    let notice = if q.added.is_some() {
        tr.t("console-donation-added")
    } else if q.duplicate.is_some() {
        tr.t("console-donation-duplicate")
    } else {
        String::new()
    };
    let page = DetailPage {
        shell: Shell::new(&s, &r, &me, "/admin/donations"),
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
        status: d.status.clone(),
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

/// One CSV cell: a formula guard (a leading `=`, `+`, `-`, `@`, tab or carriage return gets
/// a `'` in front, so a spreadsheet shows text instead of running it), then RFC 4180 quoting.
pub fn csv_cell(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

pub const CSV_HEADER: &[&str] = &[
    "donation_id",
    "campaign",
    "created_at",
    "received_on",
    "amount",
    "currency",
    "amount_minor",
    "rate",
    "campaign_amount",
    "campaign_currency",
    "campaign_amount_minor",
    "donor_name",
    "donor_email",
    "message",
    "visibility",
    "provider",
    "provider_reference",
    "status",
    "note",
];

/// `GET /admin/donations.csv`: every field of the filtered donations, for accountants.
pub async fn export(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let all = repo::list(&s.db).await?;
    let exportable = campaigns_with(&all, &me, Permission::Export);
    let form = filter_form(&s, &q, &exportable).await?;
    let (filter, errors) = form.to_filter(&r.tr, &exportable);
    if !errors.is_empty() {
        let msg: Vec<&str> = errors.0.values().map(String::as_str).collect();
        return Err(AppError::Unprocessable(msg.join(" ")));
    }
    let rows = search(&s.db, &filter, 0, 0).await?;
    let mut out = String::with_capacity(256 + rows.len() * 200);
    out.push_str(&CSV_HEADER.join(","));
    out.push_str("\r\n");
    for d in &rows {
        let c = exportable.iter().find(|c| c.id == d.campaign_id);
        let cur = CurrencyCode::parse(&d.currency).ok();
        let ccur = c.map(|c| c.currency());
        let cells: Vec<String> = vec![
            d.id.clone(),
            c.map(|c| c.slug.to_string()).unwrap_or_default(),
            d.created_at.to_rfc3339(),
            d.received_on.map(|x| x.to_string()).unwrap_or_default(),
            cur.map(|c| Money::new(d.amount_minor, c).major_string())
                .unwrap_or_default(),
            d.currency.clone(),
            d.amount_minor.to_string(),
            d.rate.clone(),
            ccur.map(|c| Money::new(d.campaign_amount_minor, c).major_string())
                .unwrap_or_default(),
            ccur.map(|c| c.to_string()).unwrap_or_default(),
            d.campaign_amount_minor.to_string(),
            d.donor_name.clone().unwrap_or_default(),
            d.donor_email.clone().unwrap_or_default(),
            d.message.clone().unwrap_or_default(),
            d.visibility.to_string(),
            d.provider.clone(),
            offline::shown_reference(&d.provider, &d.campaign_id, &d.provider_reference)
                .to_string(),
            d.status.clone(),
            d.note.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    audit::record(
        &s.db,
        &me.actor(&r),
        "export.downloaded",
        "donations.csv",
        &format!(
            "rows={}{}",
            rows.len(),
            query_string(&form.pairs()).replacen('?', " filter=", 1)
        ),
    )
    .await?;
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"donations-{}.csv\"",
        Utc::now().format("%Y-%m-%d")
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@cmd"), "'@cmd");
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_cell(""), "");
    }
}
