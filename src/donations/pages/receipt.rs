//! `GET /receipts/{donation_id}?t=<HMAC>`: a donor downloads their receipt again, without an
//! account, from the link in the receipt e-mail or on the thank-you page. A wrong or missing
//! token answers 404 exactly as an unknown donation does, so the link tells nobody which
//! donations exist. The PDF is an attachment, never cached or sent on as a `Referer`.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::donations::receipts;
use crate::http::{AppError, AppState};

#[derive(Debug, Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    t: String,
}

pub async fn download(
    State(s): State<AppState>,
    Path(donation_id): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, AppError> {
    if donation_id.len() > 100 || !receipts::check_link(&s.db, &donation_id, &q.t).await? {
        return Err(AppError::NotFound);
    }
    let organisation = receipts::Receipts::new(&s.settings, s.db.clone(), s.mailer.clone(), "")
        .issuer()
        .await;
    let r = receipts::load(&s.db, &organisation, &donation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (r, bytes) = receipts::pdf_of(r).await.map_err(AppError::Internal)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    // The number is the campaign's slug (ASCII letters, digits, dashes) and digits.
    let disposition = format!("attachment; filename=\"{}\"", r.file_name());
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| AppError::Internal(e.into()))?,
    );
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
