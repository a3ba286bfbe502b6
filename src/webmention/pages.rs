//! `POST /webmention`: the receiving endpoint. Answers are JSON (the senders are programs):
//! 202 `{"status":"accepted"}` once queued, 400 `{"error":{"code","message"}}` for a bad
//! source or target, 429 with `Retry-After` past the rate limit.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use http::{StatusCode, header};
use serde_json::json;

use crate::http::{AppError, AppState};
use crate::web::request::Req;

/// The largest form taken (two URLs of at most [`super::MAX_URL`] characters, encoded).
const MAX_BODY: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/webmention",
        post(receive).layer(DefaultBodyLimit::max(MAX_BODY)),
    )
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn receive(State(s): State<AppState>, r: Req, body: Bytes) -> Result<Response, AppError> {
    let (mut source, mut target) = (String::new(), String::new());
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "source" if source.is_empty() => source = v.into_owned(),
            "target" if target.is_empty() => target = v.into_owned(),
            _ => {}
        }
    }
    let checked = super::check(
        &s.db,
        &s.settings.blog.permalink,
        &s.base_url,
        &source,
        &target,
    )
    .await?;
    let (source, target, found) = match checked {
        Ok(x) => x,
        Err(refusal) => {
            return Ok(answer(
                StatusCode::BAD_REQUEST,
                json!({"error": {"code": refusal.code(), "message": refusal.message()}}),
            ));
        }
    };
    let now = Utc::now();
    let client = super::client_key(r.ip.as_deref());
    if super::rate_limited(&s.db, &client, now).await? {
        let mut res = answer(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": {"code": "rate_limited", "message": "Too many Webmentions from this address; try again later."}}),
        );
        res.headers_mut().insert(
            header::RETRY_AFTER,
            http::HeaderValue::from(super::RATE_WINDOW.num_seconds()),
        );
        return Ok(res);
    }
    super::receive(&s.db, &source, &target, &found, &client, now)
        .await
        .map_err(AppError::Internal)?;
    Ok(answer(
        StatusCode::ACCEPTED,
        json!({"status": "accepted", "message": "The source will be checked and the mention moderated."}),
    ))
}
