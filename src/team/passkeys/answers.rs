//! The JSON answers of the passkey endpoints (`{"error":{code,message}}` for refusals),
//! never cached.

use axum::Json;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use super::CSRF_HEADER;
use crate::http::AppError;
use crate::i18n::I18n;
use crate::team::throttle;

pub(super) fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(super) fn json_ok(v: serde_json::Value) -> Response {
    no_store(Json(v).into_response())
}

/// An error answer in the API's shape (`{"error":{code,message}}`), already localized.
pub(super) fn json_error(status: StatusCode, code: &'static str, message: String) -> Response {
    no_store(
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response(),
    )
}

pub(super) fn csrf_refused(tr: &I18n) -> Response {
    json_error(StatusCode::UNPROCESSABLE_ENTITY, "csrf", tr.t("error-csrf"))
}

pub(super) fn unavailable(tr: &I18n) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "passkeys_unavailable",
        tr.t("passkey-unavailable"),
    )
}

pub(super) fn expired(tr: &I18n) -> Response {
    json_error(
        StatusCode::BAD_REQUEST,
        "challenge_expired",
        tr.t("passkey-expired"),
    )
}

pub(super) fn throttled(tr: &I18n, until: DateTime<Utc>, now: DateTime<Utc>) -> Response {
    let mut res = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        tr.tn("signin-throttled", throttle::minutes_left(until, now)),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, throttle::retry_after(until, now));
    res
}

pub(super) fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

pub(super) fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{what}: {e}"))
}
