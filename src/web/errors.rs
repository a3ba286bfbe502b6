//! Error bodies for every response: JSON for the API, a localized page otherwise.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tower_http::request_id::RequestId;

use crate::http::{AppState, SiteOf, error, lang_with};

/// Writes the body of error responses: JSON for API and provider routes (or when the client
/// asks for JSON), a small localized HTML page otherwise. Internal details never reach it.
pub async fn render_errors(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let wants_json = req.uri().path().starts_with("/api/")
        || req.uri().path().starts_with("/providers/")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("application/json"));
    // Only what choosing the language needs is kept (cheap clones); the language itself and
    // the request id are worked out on the error path alone, not for every response.
    let mut lang_headers = http::HeaderMap::new();
    for name in [header::ACCEPT_LANGUAGE, header::COOKIE] {
        for v in req.headers().get_all(&name) {
            lang_headers.append(name.clone(), v.clone());
        }
    }
    let request_id = req.extensions().get::<RequestId>().cloned();
    let site = req.extensions().get::<SiteOf>().map(|s| s.0.clone());
    let res = next.run(req).await;
    let info = match res.extensions().get::<error::ErrorInfo>().cloned() {
        Some(info) => info,
        // Rejections from extractors and layers (413, 415, 405…) arrive as plain text:
        // give them the same body as every other error.
        None if (res.status().is_client_error() || res.status().is_server_error())
            && res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| v.as_bytes().starts_with(b"text/plain")) =>
        {
            error::ErrorInfo {
                code: error::code_for(res.status()),
                message: None,
            }
        }
        None => return res,
    };
    let i18n = lang_with(&lang_headers, site);
    let request_id = request_id
        .as_ref()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = res.status();
    // 503 and 429 say when to come back; the rewritten response keeps it.
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let message = info.message.clone().unwrap_or_else(|| match status {
        StatusCode::NOT_FOUND => i18n.t("error-not-found"),
        StatusCode::UNAUTHORIZED => i18n.t("error-unauthorized"),
        StatusCode::FORBIDDEN => i18n.t("error-forbidden"),
        StatusCode::TOO_MANY_REQUESTS => i18n.t("error-rate-limited"),
        StatusCode::PAYLOAD_TOO_LARGE => i18n.t("error-too-large"),
        StatusCode::REQUEST_TIMEOUT => i18n.t("error-request-timeout"),
        StatusCode::SERVICE_UNAVAILABLE => i18n.t("error-busy"),
        s if s.is_client_error() => i18n.t("error-bad-request"),
        _ => i18n.t("error-internal"),
    });
    if wants_json {
        let body = serde_json::json!({
            "error": { "code": info.code, "message": message, "request_id": request_id }
        });
        let mut res = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(v) = retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let page = super::page::ErrorPage {
        page: super::page::PageCtx::new(&s, &i18n, "/"),
        status: status.as_u16(),
        message,
        request_id: if status.is_server_error() {
            request_id
        } else {
            String::new()
        },
    };
    let mut res = match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Body::from("error")).into_response(),
    };
    if let Some(v) = retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}
