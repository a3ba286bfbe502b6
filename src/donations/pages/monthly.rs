//! `/monthly/{id}?t=<HMAC>`: a donor's monthly gift, opened from the signed link on the
//! thank-you page and in every receipt e-mail of the gift, without an account. It shows the
//! gift (amount, campaign, status, months paid, the next payment when known) and a button
//! that cancels it (a POST with a CSRF token bound to the gift, and the link's token). A
//! wrong or missing token answers 404 like an unknown gift. Never cached, never indexed, no
//! `Referer` sent on.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::campaigns::repo;
use crate::donations::monthly::{self, MonthlyGift, MonthlyStatus};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::team::audit::Actor;
use crate::web::PageCtx;

#[derive(Debug, Deserialize)]
pub struct ManageQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    canceled: Option<String>,
}

#[derive(Template)]
#[template(path = "monthly.html")]
struct ManagePage {
    page: PageCtx,
    id: String,
    campaign: String,
    slug: String,
    amount: String,
    status: String,
    active: bool,
    started: String,
    next_payment: String,
    months: i64,
    token: String,
    csrf: String,
    notice: String,
}

/// The `frequency` field of the donate form (`monthly` or empty), bounded.
pub(super) fn chosen_frequency(body: &[u8]) -> String {
    super::form_urlencoded(body)
        .into_iter()
        .find(|(k, _)| k == "frequency")
        .map(|(_, v)| v.chars().take(10).collect::<String>())
        .filter(|v| v == "monthly")
        .unwrap_or_default()
}

/// The gift named by a signed link, or 404.
async fn gift_of(s: &AppState, id: &str, token: &str) -> Result<MonthlyGift, AppError> {
    if id.len() > 64 || !monthly::check_link(&s.db, id, token).await? {
        return Err(AppError::NotFound);
    }
    match monthly::get(&s.db, id).await? {
        Some(g) if g.status != MonthlyStatus::Pending => Ok(g),
        _ => Err(AppError::NotFound),
    }
}

fn binding(id: &str) -> String {
    format!("monthly|{id}")
}

async fn render(
    s: &AppState,
    tr: &I18n,
    g: &MonthlyGift,
    token: &str,
    notice: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let c = repo::by_id(&s.db, &g.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = ManagePage {
        page: PageCtx::new(s, tr, &format!("/monthly/{}", g.id)),
        id: g.id.clone(),
        campaign: c.title.clone(),
        slug: c.slug.to_string(),
        amount: tr.money(g.amount),
        status: tr.t(&format!("monthly-status-{}", g.status.as_str())),
        active: g.status != MonthlyStatus::Canceled,
        started: g.started_at.map(|d| tr.date(d)).unwrap_or_default(),
        next_payment: g
            .next_payment_at
            .filter(|_| g.status != MonthlyStatus::Canceled)
            .map(|d| tr.date(d))
            .unwrap_or_default(),
        months: monthly::payments(&s.db, &g.id).await?,
        token: token.to_string(),
        csrf: s.csrf.token_bound(&binding(&g.id), Utc::now()),
        notice,
    };
    let mut res = (status, Html(page.render()?)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}

/// `GET /monthly/{id}?t=…`
pub async fn manage(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ManageQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let g = gift_of(&s, &id, &q.t).await?;
    let notice = if q.canceled.is_some() && g.status == MonthlyStatus::Canceled {
        tr.t("monthly-canceled-notice")
    } else {
        String::new()
    };
    render(&s, &tr, &g, &q.t, notice, StatusCode::OK).await
}

/// `POST /monthly/{id}` (fields `t`, `csrf`): cancels the gift at Stripe.
pub async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Lang(tr): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let fields = super::form_urlencoded(&body);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let token = get("t");
    let g = gift_of(&s, &id, &token).await?;
    let csrf_token = get("csrf");
    if !csrf::check_bound(
        &s.csrf,
        &headers,
        Some(csrf_token.as_str()),
        &binding(&g.id),
        Utc::now(),
    ) {
        return render(
            &s,
            &tr,
            &g,
            &token,
            tr.t("error-csrf"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let who = Actor {
        label: "donor".into(),
        ..Default::default()
    };
    match monthly::cancel(&s.db, &s.providers, &g, &who).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/monthly/{}?t={token}&canceled=1", g.id)).into_response())
        }
        Err(monthly::CancelError::Db(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "monthly gift not cancelled");
            render(
                &s,
                &tr,
                &g,
                &token,
                tr.t("monthly-cancel-failed"),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await
        }
    }
}
