//! HTTP: the router, shared state, middleware (request id, security headers, metrics, error
//! bodies, compression) and small extractors. Each capability exposes `routes()`.

pub mod assets;
pub mod authz;
pub mod client_ip;
pub mod csrf;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod page_cache;
pub mod redirect;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

pub use client_ip::ClientIp;
pub use error::AppError;

use crate::config::Settings;
use crate::db::Db;
use crate::donations::providers::Providers;
use crate::i18n::I18n;
use crate::live::Hub;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub settings: Settings,
    pub base_url: String,
    pub hub: Hub,
    pub providers: Providers,
    pub csrf: csrf::CsrfKey,
    pub assets: assets::Assets,
    pub metrics: metrics::Metrics,
    pub pages: page_cache::PageCache,
    pub mailer: crate::mail::Mailer,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Trusted reverse proxies, for the [`ClientIp`] extractor.
    pub proxies: client_ip::Proxies,
    /// The donate form's rate limits (card-testing defence).
    pub checkout_limits: crate::donations::checkout::Limits,
    /// The bounded password hasher (argon2 memory and CPU per node).
    pub hasher: crate::team::password::Hasher,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> AppState {
        AppState(Arc::new(inner))
    }
}

/// The request's interface language (from the `lang` cookie or `Accept-Language`).
pub struct Lang(pub I18n);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang(lang_of(&parts.headers)))
    }
}

pub fn lang_of(headers: &http::HeaderMap) -> I18n {
    let cookie = cookie(headers, "lang");
    let al = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    I18n::negotiate(cookie.as_deref(), al)
}

/// A cookie's value by name.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::campaigns::pages::routes())
        .merge(crate::campaigns::api::routes())
        .merge(crate::donations::pages::routes())
        .route("/static/{file}", get(assets::serve))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/lang/{code}", get(switch_lang))
        .merge(crate::team::routes())
        .merge(crate::console::routes())
        .merge(crate::blog::routes())
        .fallback(crate::blog::pages::fallback)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            authz::enforce,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::body_timeouts,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn readyz(State(s): State<AppState>) -> Response {
    if s.db.ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// `/metrics`, for whoever may read it ([`metrics_allowed`]); a plain 404 for others, so
/// its existence is not revealed.
async fn metrics_text(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if !metrics_allowed(&s.settings.metrics, &parts) {
        return AppError::NotFound.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        s.metrics.render(),
    )
        .into_response()
}

/// Who may read `/metrics`: everyone with `metrics.public`; otherwise a request with the
/// configured bearer token, or one whose connection comes from a loopback address and that
/// carries no forwarding header (a proxy on the same host relays public requests from a
/// loopback address, but adds such a header). Forwarded addresses are never believed here.
fn metrics_allowed(m: &crate::config::MetricsSettings, parts: &Parts) -> bool {
    if m.public {
        return true;
    }
    if m.token.is_set()
        && let Some(given) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
    {
        use sha2::Digest;
        // Compare digests, so the time taken says nothing about the token.
        return sha2::Sha256::digest(given.trim().as_bytes())
            == sha2::Sha256::digest(m.token.0.as_bytes());
    }
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| parts.headers.contains_key(*h));
    !forwarded && client_ip::peer(parts).is_some_and(|ip| ip.is_loopback())
}

#[derive(serde::Deserialize)]
struct LangQuery {
    next: Option<String>,
}

/// The visible language switcher: sets the `lang` cookie and goes back (same-site paths only).
async fn switch_lang(
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Response {
    let code = I18n::new(&code).lang;
    let next = q
        .next
        .as_deref()
        .and_then(redirect::local_target)
        .unwrap_or_else(|| "/".into());
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "lang={code}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Logs each request with its id and feeds the metrics.
async fn observe(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string();
    let res = next.run(req).await;
    let micros = start.elapsed().as_micros() as u64;
    s.metrics.observe_request(res.status().as_u16(), micros);
    let status = res.status();
    // Successful reads are the bulk of the traffic (blog and campaign pages) and a line each
    // costs a hot page about a sixth of its throughput: GET/HEAD answered 2xx or 3xx log at
    // DEBUG (`SHELFRAISER_LOG=debug` shows them); every other request stays at INFO.
    let routine = (method == http::Method::GET || method == http::Method::HEAD)
        && (status.is_success() || status.is_redirection());
    if routine {
        tracing::debug!(request_id = %id, %method, %path, status = status.as_u16(), micros, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), micros, "request");
    }
    res
}

/// Security headers on every response.
async fn security_headers(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' {}; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        s.assets.css_hash
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if s.base_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// Writes the body of error responses: JSON for API and provider routes (or when the client
/// asks for JSON), a small localized HTML page otherwise. Internal details never reach it.
async fn render_errors(State(s): State<AppState>, req: Request, next: Next) -> Response {
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
    let i18n = lang_of(&lang_headers);
    let request_id = request_id
        .as_ref()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = res.status();
    let message = info.message.clone().unwrap_or_else(|| match status {
        StatusCode::NOT_FOUND => i18n.t("error-not-found"),
        StatusCode::UNAUTHORIZED => i18n.t("error-unauthorized"),
        StatusCode::FORBIDDEN => i18n.t("error-forbidden"),
        StatusCode::TOO_MANY_REQUESTS => i18n.t("error-rate-limited"),
        StatusCode::PAYLOAD_TOO_LARGE => i18n.t("error-too-large"),
        StatusCode::REQUEST_TIMEOUT => i18n.t("error-request-timeout"),
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
        return res;
    }
    let page = crate::campaigns::pages::ErrorPage {
        page: crate::campaigns::pages::PageCtx::new(&s, &i18n, "/"),
        status: status.as_u16(),
        message,
        request_id: if status.is_server_error() {
            request_id
        } else {
            String::new()
        },
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Body::from("error")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MetricsSettings, Secret};
    use axum::extract::ConnectInfo;

    fn parts(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::builder().uri("/metrics");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, _) = req.body(()).expect("request").into_parts();
        let peer: std::net::SocketAddr = peer.parse().expect("peer");
        parts.extensions.insert(ConnectInfo(peer));
        parts
    }

    #[test]
    fn metrics_are_for_loopback_and_the_token_only() {
        let closed = MetricsSettings::default();
        assert!(metrics_allowed(&closed, &parts("127.0.0.1:5000", &[])));
        assert!(metrics_allowed(&closed, &parts("[::1]:5000", &[])));
        assert!(metrics_allowed(
            &closed,
            &parts("[::ffff:127.0.0.1]:5000", &[])
        ));
        assert!(!metrics_allowed(&closed, &parts("192.0.2.1:5000", &[])));
        // Forwarded addresses are never believed, and a relayed request is not local.
        assert!(!metrics_allowed(
            &closed,
            &parts("192.0.2.1:5000", &[("x-forwarded-for", "127.0.0.1")])
        ));
        assert!(!metrics_allowed(
            &closed,
            &parts("127.0.0.1:5000", &[("x-real-ip", "192.0.2.1")])
        ));
        let token = MetricsSettings {
            public: false,
            token: Secret("s3cret".into()),
        };
        let bearer = |t: &'static str| [("authorization", t)];
        assert!(metrics_allowed(
            &token,
            &parts("192.0.2.1:5000", &bearer("Bearer s3cret"))
        ));
        assert!(!metrics_allowed(
            &token,
            &parts("192.0.2.1:5000", &bearer("Bearer s3cre"))
        ));
        assert!(!metrics_allowed(
            &closed,
            &parts("192.0.2.1:5000", &bearer("Bearer "))
        ));
        let public = MetricsSettings {
            public: true,
            token: Secret::default(),
        };
        assert!(metrics_allowed(&public, &parts("192.0.2.1:5000", &[])));
    }
}
