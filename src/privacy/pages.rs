//! The donor's privacy pages: `/privacy/request` (ask for one's data by e-mail),
//! `/privacy/data?t=` (the signed link: every record, `/privacy/data.json?t=` the same as
//! JSON, and the erasure form posted to `/privacy/erase`), and the consent links
//! (`/privacy/consent/confirm|withdraw?t=`, each a page with one button: a mail scanner
//! following the link changes nothing).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::{SEND_LINK, SendLink};
use crate::donations::consents::{self, Action};
use crate::donations::privacy::{DonorRecords, records_of};
use crate::email::Email;
use crate::http::{AppError, AppState, csrf};
use crate::i18n::I18n;
use crate::jobs::{self, Job};
use crate::money::{CurrencyCode, Money};
use crate::team::audit::Actor;
use crate::team::throttle;
use crate::web::PageCtx;
use crate::web::form::Errors;
use crate::web::page::secret_link_page;
use crate::web::request::Req;

/// Data requests per address and hour.
pub const REQUESTS_PER_ADDRESS: usize = 3;
/// Data requests per client address and hour.
pub const REQUESTS_PER_CLIENT: usize = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/privacy/request", get(request_page).post(request_submit))
        .route("/privacy/data", get(data_page))
        .route("/privacy/data.json", get(data_json))
        .route("/privacy/erase", axum::routing::post(erase_submit))
        .route(
            "/privacy/consent/confirm",
            get(consent_confirm_page).post(consent_confirm),
        )
        .route(
            "/privacy/consent/withdraw",
            get(consent_withdraw_page).post(consent_withdraw),
        )
        .route(
            "/privacy/consent/unsubscribe",
            get(consent_withdraw_page).post(one_click_unsubscribe),
        )
}

/// `POST /privacy/consent/unsubscribe?t=…`: the one-click unsubscribe of the updates' mails
/// (RFC 8058: `List-Unsubscribe-Post: List-Unsubscribe=One-Click`). The mail program posts it
/// without a cookie or a form token, so the signed withdraw token in the address is the whole
/// authority; it withdraws the consent (again: no change) and answers in a line of text. A
/// token that does not check is 404. A person opening the address gets the withdraw page.
async fn one_click_unsubscribe(
    State(s): State<AppState>,
    r: Req,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let Some(consent) = consents::check(&s.db, &q.t, Action::Withdraw).await? else {
        return Err(AppError::NotFound);
    };
    consents::withdraw(&s.db, &consent.id).await?;
    let mut res = (StatusCode::OK, r.tr.t("updates-unsubscribed")).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "privacy/request.html")]
struct RequestPage {
    page: PageCtx,
    csrf: String,
    email: String,
    notice: String,
    errors: Errors,
    sent: bool,
}

fn request_view(s: &AppState, tr: &I18n) -> RequestPage {
    RequestPage {
        page: PageCtx::new(s, tr, "/privacy/request"),
        csrf: s.csrf.token(Utc::now()),
        email: String::new(),
        notice: String::new(),
        errors: Errors::default(),
        sent: false,
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, axum::response::Html(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn request_page(State(s): State<AppState>, r: Req) -> Result<Response, AppError> {
    Ok(html(StatusCode::OK, request_view(&s, &r.tr).render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RequestForm {
    csrf: String,
    email: String,
}

/// `POST /privacy/request`: the same answer whether or not anything names the address; the
/// job decides, later, whether to mail.
async fn request_submit(
    State(s): State<AppState>,
    r: Req,
    Form(f): Form<RequestForm>,
) -> Result<Response, AppError> {
    let tr = &r.tr;
    let now = Utc::now();
    let mut page = request_view(&s, tr);
    page.email = f.email.trim().chars().take(254).collect();
    if !csrf::check(&s.csrf, &r.headers, Some(&f.csrf), now) {
        page.notice = tr.t("error-csrf");
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
    }
    let Ok(email) = Email::parse(&page.email) else {
        page.errors.add("email", tr.t("error-email"));
        page.notice = tr.t("error-form");
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
    };
    let keys = throttle::form_keys(
        "privacy",
        email.as_str(),
        REQUESTS_PER_ADDRESS,
        r.ip.as_deref(),
        REQUESTS_PER_CLIENT,
    );
    if let throttle::Reserve::Refused(until) = throttle::reserve(&s.db, &keys, now).await? {
        page.notice = tr.tn(
            "privacy-request-limited",
            throttle::minutes_left(until, now),
        );
        let mut res = html(StatusCode::TOO_MANY_REQUESTS, page.render()?);
        res.headers_mut()
            .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
        return Ok(res);
    }
    let job = Job::new(
        SEND_LINK,
        &SendLink {
            email: email.as_str().to_string(),
            lang: tr.lang.to_string(),
        },
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("privacy job: {e}")))?;
    jobs::enqueue(&s.db, &job, now, None).await?;
    page.sent = true;
    page.email.clear();
    Ok(html(StatusCode::OK, page.render()?))
}

/// One section of the data page: its heading and one line per record.
struct Section {
    title: String,
    lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "privacy/data.html")]
struct DataPage {
    page: PageCtx,
    csrf: String,
    token: String,
    email: String,
    sections: Vec<Section>,
    notice: String,
    errors: Errors,
    erased: bool,
}

async fn sections(s: &AppState, tr: &I18n, d: &DonorRecords) -> Result<Vec<Section>, AppError> {
    let mut titles: HashMap<String, String> = HashMap::new();
    let mut ids: Vec<&str> = d.donations.iter().map(|x| x.campaign_id.as_str()).collect();
    ids.extend(d.checkouts.iter().map(|x| x.campaign_id.as_str()));
    ids.extend(d.consents.iter().map(|x| x.campaign_id.as_str()));
    ids.extend(d.pledges.iter().map(|x| x.campaign_id.as_str()));
    ids.extend(d.receipts.iter().map(|x| x.campaign_id.as_str()));
    for id in ids {
        if !titles.contains_key(id)
            && let Some(c) = crate::campaigns::repo::by_id(&s.db, id).await?
        {
            titles.insert(id.to_string(), c.title);
        }
    }
    let title = |id: &str| titles.get(id).cloned().unwrap_or_default();
    let money = |minor: i64, cur: &str| match CurrencyCode::parse(cur) {
        Ok(c) => tr.money(Money::new(minor, c)),
        Err(_) => format!("{minor} {cur}"),
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let donations = d
        .donations
        .iter()
        .map(|x| {
            format!(
                "{} · {} · {} · {} · {} · {}",
                tr.date(x.created_at),
                title(&x.campaign_id),
                money(x.amount_minor, &x.currency),
                opt(&x.donor_name),
                opt(&x.message),
                x.visibility
            )
        })
        .collect();
    let checkouts = d
        .checkouts
        .iter()
        .map(|x| {
            format!(
                "{} · {} · {} · {} · {}",
                tr.date(x.created_at),
                title(&x.campaign_id),
                money(x.amount_minor, &x.currency),
                x.provider,
                x.status
            )
        })
        .collect();
    let receipts = d
        .receipts
        .iter()
        .map(|x| {
            format!(
                "{} · {} · #{}",
                tr.date(x.created_at),
                title(&x.campaign_id),
                x.number
            )
        })
        .collect();
    let pledges = d
        .pledges
        .iter()
        .map(|x| {
            format!(
                "{} · {} · {} · {}",
                tr.date(x.created_at),
                title(&x.campaign_id),
                money(x.amount_minor, &x.currency),
                x.pledger
            )
        })
        .collect();
    let consents = d
        .consents
        .iter()
        .map(|x| {
            let state = if x.withdrawn_at.is_some() {
                tr.t("privacy-consent-withdrawn")
            } else if x.confirmed_at.is_some() {
                tr.t("privacy-consent-confirmed")
            } else {
                tr.t("privacy-consent-asked")
            };
            format!(
                "{} · {} · {state}",
                tr.date(x.asked_at),
                title(&x.campaign_id)
            )
        })
        .collect();
    Ok(vec![
        Section {
            title: tr.t("privacy-donations"),
            lines: donations,
        },
        Section {
            title: tr.t("privacy-checkouts"),
            lines: checkouts,
        },
        Section {
            title: tr.t("privacy-receipts"),
            lines: receipts,
        },
        Section {
            title: tr.t("privacy-pledges"),
            lines: pledges,
        },
        Section {
            title: tr.t("privacy-consents"),
            lines: consents,
        },
    ])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    t: String,
}

async fn address_of(s: &AppState, token: &str) -> Result<String, AppError> {
    super::check_link(&s.db, token, Utc::now())
        .await?
        .ok_or(AppError::NotFound)
}

async fn data_view(
    s: &AppState,
    tr: &I18n,
    token: &str,
    email: &str,
) -> Result<DataPage, AppError> {
    let d = records_of(&s.db, email).await?;
    Ok(DataPage {
        page: PageCtx::new(s, tr, "/privacy/data"),
        csrf: s.csrf.token(Utc::now()),
        token: token.trim().chars().take(1200).collect(),
        email: email.to_string(),
        sections: sections(s, tr, &d).await?,
        notice: String::new(),
        errors: Errors::default(),
        erased: false,
    })
}

/// `GET /privacy/data?t=`: everything that names the address (404 for a bad or old link).
async fn data_page(
    State(s): State<AppState>,
    r: Req,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let email = address_of(&s, &q.t).await?;
    let p = data_view(&s, &r.tr, &q.t, &email).await?;
    Ok(secret_link_page(StatusCode::OK, p.render()?))
}

/// `GET /privacy/data.json?t=`: the same records as JSON, as a download.
async fn data_json(
    State(s): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let email = address_of(&s, &q.t).await?;
    let d = records_of(&s.db, &email).await?;
    let body = serde_json::to_vec_pretty(&serde_json::json!({
        "email": email,
        "records": d,
    }))
    .map_err(|e| AppError::Internal(anyhow::anyhow!("json: {e}")))?;
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"my-data.json\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EraseForm {
    csrf: String,
    t: String,
    confirm: String,
}

/// `POST /privacy/erase`: the donor's own erasure, confirmed by the box.
async fn erase_submit(
    State(s): State<AppState>,
    r: Req,
    Form(f): Form<EraseForm>,
) -> Result<Response, AppError> {
    let tr = &r.tr;
    let email = address_of(&s, &f.t).await?;
    let mut p = data_view(&s, tr, &f.t, &email).await?;
    if !csrf::check(&s.csrf, &r.headers, Some(&f.csrf), Utc::now()) {
        p.notice = tr.t("error-csrf");
        return Ok(secret_link_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            p.render()?,
        ));
    }
    if f.confirm != "yes" {
        p.errors
            .add("confirm", tr.t("privacy-erase-confirm-missing"));
        p.notice = tr.t("error-form");
        return Ok(secret_link_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            p.render()?,
        ));
    }
    let who = Actor {
        label: "donor".into(),
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
        ..Default::default()
    };
    super::erase(&s.db, &s.mailer, &email, "donor", &who)
        .await
        .map_err(AppError::Internal)?;
    let mut p = data_view(&s, tr, "", "").await?;
    p.erased = true;
    p.sections.clear();
    Ok(secret_link_page(StatusCode::OK, p.render()?))
}

#[derive(Template)]
#[template(path = "privacy/consent.html")]
struct ConsentPage {
    page: PageCtx,
    title: String,
    notice: String,
    action: &'static str,
    button: String,
    /// The token for the button; empty when there is nothing to do.
    token: String,
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConsentForm {
    t: String,
    csrf: String,
}

async fn consent_page(
    s: &AppState,
    tr: &I18n,
    action: Action,
    token: &str,
    post: Option<()>,
) -> Result<Response, AppError> {
    let (path, title, button) = match action {
        Action::Confirm => (
            "/privacy/consent/confirm",
            "privacy-consent-confirm-title",
            "privacy-consent-confirm-button",
        ),
        Action::Withdraw => (
            "/privacy/consent/withdraw",
            "privacy-consent-withdraw-title",
            "privacy-consent-withdraw-button",
        ),
    };
    let consent = consents::check(&s.db, token, action)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut view = ConsentPage {
        page: PageCtx::new(s, tr, path),
        title: tr.t(title),
        notice: String::new(),
        action: path,
        button: tr.t(button),
        token: token.trim().chars().take(200).collect(),
        csrf: s.csrf.token(Utc::now()),
    };
    match post {
        None => {
            view.notice = match action {
                Action::Confirm if consent.withdrawn_at.is_some() => {
                    view.token.clear();
                    tr.t("privacy-consent-gone")
                }
                Action::Confirm => tr.t("privacy-consent-confirm-ask"),
                Action::Withdraw => tr.t("privacy-consent-withdraw-ask"),
            };
        }
        Some(()) => {
            view.token.clear();
            view.notice = match action {
                Action::Confirm => {
                    if consents::confirm(&s.db, &consent.id).await?
                        || consent.confirmed_at.is_some() && consent.withdrawn_at.is_none()
                    {
                        tr.t("privacy-consent-confirmed-done")
                    } else {
                        tr.t("privacy-consent-gone")
                    }
                }
                Action::Withdraw => {
                    consents::withdraw(&s.db, &consent.id).await?;
                    tr.t("privacy-consent-withdrawn-done")
                }
            };
        }
    }
    Ok(secret_link_page(StatusCode::OK, view.render()?))
}

async fn consent_confirm_page(
    State(s): State<AppState>,
    r: Req,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    consent_page(&s, &r.tr, Action::Confirm, &q.t, None).await
}

async fn consent_confirm(
    State(s): State<AppState>,
    r: Req,
    Form(f): Form<ConsentForm>,
) -> Result<Response, AppError> {
    consent_post(&s, &r, Action::Confirm, &f).await
}

async fn consent_withdraw_page(
    State(s): State<AppState>,
    r: Req,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    consent_page(&s, &r.tr, Action::Withdraw, &q.t, None).await
}

async fn consent_withdraw(
    State(s): State<AppState>,
    r: Req,
    Form(f): Form<ConsentForm>,
) -> Result<Response, AppError> {
    consent_post(&s, &r, Action::Withdraw, &f).await
}

async fn consent_post(
    s: &AppState,
    r: &Req,
    action: Action,
    f: &ConsentForm,
) -> Result<Response, AppError> {
    if !csrf::check(&s.csrf, &r.headers, Some(&f.csrf), Utc::now()) {
        return Err(AppError::Unprocessable(r.tr.t("error-csrf")));
    }
    consent_page(s, &r.tr, action, &f.t, Some(())).await
}
