//! The site-wide routes (`/healthz`, `/readyz`, `/metrics`, `/lang/{code}`) and middleware
//! (logging and metrics per request, security headers).

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use tower_http::request_id::RequestId;

use crate::http::{AppError, AppState, client_ip, redirect};
use crate::i18n::I18n;

/// `/healthz`: `ok` for load balancers and anything that matches the body (unchanged, and
/// it never touches the database); with `Accept: application/json` a JSON object with the
/// release, the commit and the database's schema version (`null` when the database does
/// not answer: this is liveness, `/readyz` is readiness), for monitors and upgrade scripts.
pub async fn healthz(State(s): State<AppState>, headers: http::HeaderMap) -> Response {
    let vary = [(header::VARY, HeaderValue::from_static("accept"))];
    let json = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"));
    if !json {
        return (vary, "ok").into_response();
    }
    let schema = s.db.schema_version().await.ok().flatten();
    (
        vary,
        axum::Json(serde_json::json!({
            "status": "ok",
            "version": super::VERSION,
            "commit": super::COMMIT,
            "schema_version": schema,
            "schema_version_latest": crate::db::dump::latest_schema_version(),
        })),
    )
        .into_response()
}

/// The lines of `/metrics` read from the database: the release with the schema version
/// (`shelfraiser_build_info`, Prometheus' convention of a constant 1 with labels) and the
/// last scheduled backup (recorded by whichever node took it, so every node reports it).
async fn site_metrics(s: &AppState) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let schema =
        s.db.schema_version()
            .await
            .ok()
            .flatten()
            .map(|v| v.to_string())
            .unwrap_or_default();
    let _ = writeln!(
        out,
        "# HELP shelfraiser_build_info The running release, its commit and the database's schema version.\n# TYPE shelfraiser_build_info gauge\nshelfraiser_build_info{{version=\"{}\",commit=\"{}\",schema=\"{schema}\"}} 1",
        super::VERSION,
        super::COMMIT
    );
    if let Ok(b) = s.db.last_backup().await {
        let _ = writeln!(
            out,
            "# HELP shelfraiser_backup_last_success_timestamp_seconds When the last scheduled backup was written (0: never).\n# TYPE shelfraiser_backup_last_success_timestamp_seconds gauge\nshelfraiser_backup_last_success_timestamp_seconds {}",
            b.success_at.map(|t| t.timestamp()).unwrap_or(0)
        );
        let _ = writeln!(
            out,
            "# HELP shelfraiser_backup_last_size_bytes The size of the last scheduled backup written.\n# TYPE shelfraiser_backup_last_size_bytes gauge\nshelfraiser_backup_last_size_bytes {}",
            b.bytes.unwrap_or(0)
        );
        let _ = writeln!(
            out,
            "# HELP shelfraiser_backup_last_attempt_failed 1 when the last scheduled backup failed.\n# TYPE shelfraiser_backup_last_attempt_failed gauge\nshelfraiser_backup_last_attempt_failed {}",
            u8::from(b.at.is_some() && !b.ok)
        );
    }
    out
}

pub async fn readyz(State(s): State<AppState>) -> Response {
    if s.db.ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// `/metrics`, for whoever may read it ([`metrics_allowed`]); a plain 404 for others, so
/// its existence is not revealed.
pub async fn metrics_text(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if !metrics_allowed(&s.settings.metrics, &parts) {
        return AppError::NotFound.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        s.metrics.render() + &site_metrics(&s).await,
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
pub struct LangQuery {
    next: Option<String>,
}

/// The visible language switcher: sets the `lang` cookie and goes back (same-site paths only).
pub async fn switch_lang(
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

/// The outermost of the site's own middleware, in one layer (each `from_fn` layer costs every
/// request a clone of the stack below it and two allocations): logs and measures the request
/// ([`Observed`]) and puts the [`SecurityHeaders`] on its response.
pub struct Edge {
    pub state: AppState,
    pub headers: SecurityHeaders,
}

/// Middleware: the site's identity on the request, the request [`Observed`] around
/// [`secure`], and its page view counted (`app::insight`).
pub async fn edge(State(e): State<std::sync::Arc<Edge>>, mut req: Request, next: Next) -> Response {
    // The site's identity for this request's pages (`http::lang_of`), from the node's copy.
    let site = e.state.site.get(&e.state.db).await;
    req.extensions_mut().insert(crate::http::SiteOf(site));
    let public = !req.uri().path().starts_with("/admin");
    let seen = Observed::of(&req);
    // A page view, counted on the way out (`promotion::insight`).
    let view = super::insight::before(&e.state, &req);
    let res = next.run(req).await;
    if let Some(v) = view {
        v.after(&e.state, &res);
    }
    let res = secure(&e.headers, public, res);
    seen.done(&e.state, &res);
    res
}

/// What the log line and the metrics need of a request, taken before it is handled.
///
/// Nothing is copied for the log line unless it will be written: the path and the request id
/// are kept as the request's own (reference-counted) URI and header value, and formatted
/// only by the event that is enabled.
struct Observed {
    start: Instant,
    method: http::Method,
    uri: http::Uri,
    id: Option<RequestId>,
}

impl Observed {
    fn of(req: &Request) -> Observed {
        Observed {
            start: Instant::now(),
            method: req.method().clone(),
            uri: req.uri().clone(),
            id: req.extensions().get::<RequestId>().cloned(),
        }
    }

    /// Logs the request with its id and feeds the metrics.
    fn done(self, s: &AppState, res: &Response) {
        let micros = self.start.elapsed().as_micros() as u64;
        let status = res.status();
        s.metrics.observe_request(status.as_u16(), micros);
        let id = self
            .id
            .as_ref()
            .and_then(|r| r.header_value().to_str().ok())
            .unwrap_or("-");
        let (method, path) = (&self.method, self.uri.path());
        // Successful reads are the bulk of the traffic (blog and campaign pages) and a line
        // each costs a hot page about a sixth of its throughput: GET/HEAD answered 2xx or 3xx
        // log at DEBUG (`SHELFRAISER_LOG=debug` shows them); every other request stays at
        // INFO.
        let routine = (method == http::Method::GET || method == http::Method::HEAD)
            && (status.is_success() || status.is_redirection());
        if routine {
            tracing::debug!(request_id = %id, %method, %path, status = status.as_u16(), micros, "request");
        } else {
            tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), micros, "request");
        }
    }
}

/// The security headers' values, made once when the router is built: none of what they say
/// (the base URL, the enabled providers' checkout hosts, the stylesheet's hash) changes while
/// the node runs, and formatting the policy for every response cost a cached page a good
/// part of its time. Cloning a [`HeaderValue`] made here is a reference count, not a copy.
#[derive(Clone)]
pub struct SecurityHeaders {
    csp: Option<HeaderValue>,
    /// The same policy for the pages other sites may frame (`frame-ancestors *`).
    csp_framable: Option<HeaderValue>,
    /// `Link: <…/webmention>; rel="webmention"` for public HTML pages.
    webmention: Option<HeaderValue>,
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(s: &AppState) -> SecurityHeaders {
        // form-action: browsers apply it to the 303 after the donate form too, so the enabled
        // providers' hosted checkouts are allowed.
        let mut form_action = String::from("'self'");
        for host in s.providers.checkout_hosts() {
            form_action.push(' ');
            form_action.push_str(host);
        }
        let csp = |ancestors: &str| {
            let v = format!(
                "default-src 'self'; script-src 'self'; style-src 'self' {}; img-src 'self' data:; \
                 connect-src 'self'; form-action {form_action}; frame-ancestors {ancestors}; base-uri 'none'; object-src 'none'",
                s.assets.css_hash
            );
            HeaderValue::from_str(&v).ok()
        };
        SecurityHeaders {
            csp: csp("'none'"),
            csp_framable: csp("*"),
            webmention: HeaderValue::from_str(&crate::webmention::link_header(&s.base_url)).ok(),
            hsts: s.base_url.starts_with("https://"),
        }
    }
}

/// Security headers on every response; `public`: the request was for a public page (not the
/// console).
fn secure(sh: &SecurityHeaders, public: bool, mut res: Response) -> Response {
    let framable = res.extensions().get::<crate::http::Framable>().is_some();
    let h = res.headers_mut();
    // Every public page advertises the Webmention endpoint (the templates' head does too).
    if public
        && h.get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
        && let Some(v) = &sh.webmention
    {
        h.append(header::LINK, v.clone());
    }
    // Frames: denied everywhere but on the pages made to be embedded (`crate::http::Framable`).
    let csp = if framable { &sh.csp_framable } else { &sh.csp };
    if let Some(v) = csp {
        h.insert(header::CONTENT_SECURITY_POLICY, v.clone());
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A page that chose a stricter policy keeps it (secret links: `no-referrer`).
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    if framable {
        h.remove(header::X_FRAME_OPTIONS);
    } else {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if sh.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
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
