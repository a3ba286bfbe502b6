//! The updates form, `/campaigns/{slug}/updates`: anyone leaves an address to get the
//! campaign's updates by e-mail (a consent confirmed by mail, as the donate form's box). The
//! answer is the same whether the address was new, waiting for confirmation or subscribed
//! already, so the form tells no one who is on the list. Limited per address and per client.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use http::{StatusCode, header};
use serde::Deserialize;

use crate::campaigns::Campaign;
use crate::donations::consents;
use crate::email::Email;
use crate::http::{AppError, AppState, csrf};
use crate::team::throttle;
use crate::web::PageCtx;
use crate::web::form::Errors;
use crate::web::request::Req;

/// Subscriptions asked for one address in an hour (each may send a confirm mail).
pub const PER_ADDRESS: usize = 3;
/// Subscriptions asked from one client in an hour.
pub const PER_CLIENT: usize = 10;

pub fn routes() -> axum::Router<AppState> {
    Router::new().route("/campaigns/{slug}/updates", get(form).post(submit))
}

#[derive(Template)]
#[template(path = "updates.html")]
struct UpdatesPage {
    page: PageCtx,
    csrf: String,
    slug: String,
    title: String,
    email: String,
    notice: String,
    errors: Errors,
    sent: bool,
}

fn view(s: &AppState, r: &Req, c: &Campaign) -> UpdatesPage {
    UpdatesPage {
        page: PageCtx::new(s, &r.tr, &r.path),
        csrf: s.csrf.token(Utc::now()),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        email: String::new(),
        notice: String::new(),
        errors: Errors::default(),
        sent: false,
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// `GET /campaigns/{slug}/updates`.
async fn form(
    State(s): State<AppState>,
    r: Req,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let c = crate::promotion::pages::public_campaign(&s, &slug).await?;
    Ok(html(StatusCode::OK, view(&s, &r, &c).render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubscribeForm {
    csrf: String,
    email: String,
}

/// `POST /campaigns/{slug}/updates`.
async fn submit(
    State(s): State<AppState>,
    r: Req,
    Path(slug): Path<String>,
    Form(f): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    let c = crate::promotion::pages::public_campaign(&s, &slug).await?;
    let tr = &r.tr;
    let now = Utc::now();
    let mut page = view(&s, &r, &c);
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
        "updates",
        email.as_str(),
        PER_ADDRESS,
        r.ip.as_deref(),
        PER_CLIENT,
    );
    if let throttle::Reserve::Refused(until) = throttle::reserve(&s.db, &keys, now).await? {
        page.notice = tr.tn("updates-limited", throttle::minutes_left(until, now));
        let mut res = html(StatusCode::TOO_MANY_REQUESTS, page.render()?);
        res.headers_mut()
            .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
        return Ok(res);
    }
    consents::subscribe(&s.db, &c.id, &email, tr.lang, now).await?;
    page.sent = true;
    page.email.clear();
    Ok(html(StatusCode::OK, page.render()?))
}
