//! The donor's return from a hosted payment page (`GET
//! /campaigns/{slug}/checkout/{checkout_id}/return`), keyed by our checkout session: the
//! donation is recorded from the provider's webhook, never from here, so until the webhook
//! has come the page says "Confirming your payment…" and refreshes itself every
//! [`REFRESH_SECS`] seconds (`<meta http-equiv=refresh>`, no script). Then:
//!
//! * paid → 303 to the thank-you page of its donation;
//! * declined or canceled → 303 to the donate form filled in again (`?checkout=…&from=…`);
//! * still open past its expiry → the page stops refreshing and says the payment is not
//!   confirmed yet (a late webhook still records it).
//!
//! `?canceled=1` is the provider's cancel URL (the donor left the payment page unpaid): an
//! open session is closed as canceled (nothing is recorded; a payment that still came would
//! be recorded and flagged for review, see `checkout::payable`) and the donor gets the form
//! back.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::campaigns::repo;
use crate::donations::checkout::{self, SessionStatus};
use crate::http::{AppError, AppState, Lang};
use crate::web::PageCtx;

/// How often the waiting page reloads itself, in seconds.
pub const REFRESH_SECS: u32 = 3;

#[derive(Template)]
#[template(path = "checkout_return.html")]
struct ReturnPage {
    page: PageCtx,
    slug: String,
    title: String,
    here: String,
    refresh: bool,
    refresh_secs: u32,
}

#[derive(Deserialize)]
pub(super) struct ReturnQuery {
    #[serde(default)]
    canceled: Option<String>,
}

/// The path of the return page of checkout `id` of campaign `slug`.
pub fn return_path(slug: &str, id: &str) -> String {
    format!("/campaigns/{slug}/checkout/{id}/return")
}

/// The path the donor comes back to after leaving the payment page unpaid.
pub fn cancel_path(slug: &str, id: &str) -> String {
    format!("{}?canceled=1", return_path(slug, id))
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    res
}

pub(super) async fn checkout_return(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<ReturnQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    if id.len() > 64 {
        return Err(AppError::NotFound);
    }
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut session = checkout::get(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    if session.campaign_id() != c.id {
        return Err(AppError::NotFound);
    }
    if q.canceled.is_some() && session.status == SessionStatus::Open {
        checkout::cancel_open(&s.db, &session.id).await?;
        session = checkout::get(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    }
    let form_again = |how: &str| {
        format!(
            "/campaigns/{}?checkout={how}&from={}#donate",
            c.slug, session.id
        )
    };
    let to = match (session.status, &session.donation_id) {
        (SessionStatus::Succeeded, Some(d)) => Some(format!("/campaigns/{}/thanks/{d}", c.slug)),
        (SessionStatus::Declined, _) => Some(form_again("declined")),
        (SessionStatus::Canceled, _) => Some(form_again("canceled")),
        _ => None,
    };
    if let Some(to) = to {
        return Ok(no_store(Redirect::to(&to).into_response()));
    }
    let path = return_path(c.slug.as_str(), &session.id);
    let page = ReturnPage {
        page: PageCtx::new(&s, &tr, &path),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        refresh: Utc::now() < session.expires_at,
        refresh_secs: REFRESH_SECS,
        here: path,
    };
    Ok(no_store(Html(page.render()?).into_response()))
}
