//! Static assets: embedded in the binary, fingerprinted (`/static/live.3f2a9c1d.js`),
//! compressed once at start-up (gzip and brotli) and cached for a year. The critical CSS is
//! inlined into every page instead; its hash goes into the Content-Security-Policy.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

use super::AppState;

/// The stylesheet inlined into every page.
pub const CSS: &str = include_str!("../../static/app.css");

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/live.js"),
    ),
    (
        "pow.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pow.js"),
    ),
    (
        "passkeys.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/passkeys.js"),
    ),
    (
        "zone.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/zone.js"),
    ),
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/editor.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/console.css"),
    ),
    (
        "cover.svg",
        "image/svg+xml",
        include_bytes!("../../static/cover.svg"),
    ),
    // The default cover as a 1200 px PNG: the share image (`og:image`) of a campaign without
    // a cover of its own; previews on social sites show raster images only.
    (
        "share.png",
        "image/png",
        include_bytes!("../../static/share.png"),
    ),
];

pub struct Asset {
    pub content_type: &'static str,
    pub identity: Vec<u8>,
    pub gzip: Vec<u8>,
    pub br: Vec<u8>,
}

pub struct Assets {
    /// Fingerprinted name → asset.
    by_path: HashMap<String, Asset>,
    /// Logical name (`live.js`) → URL path (`/static/live.<hash>.js`).
    urls: HashMap<&'static str, String>,
    /// `'sha256-…'` of [`CSS`], for the CSP.
    pub css_hash: String,
}

/// Fingerprinted assets are compressed once, at start-up: the strongest levels.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    super::compress::gzip_at(data, 9)
}

pub fn brotli(data: &[u8]) -> Vec<u8> {
    super::compress::brotli_at(data, 11)
}

impl Assets {
    pub fn build() -> Assets {
        let mut by_path = HashMap::new();
        let mut urls = HashMap::new();
        for (name, ct, data) in FILES {
            let hash = hex::encode(&Sha256::digest(data)[..5]);
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            let file = format!("{stem}.{hash}.{ext}");
            urls.insert(*name, format!("/static/{file}"));
            by_path.insert(
                file,
                Asset {
                    content_type: ct,
                    identity: data.to_vec(),
                    gzip: gzip(data),
                    br: brotli(data),
                },
            );
        }
        let css_hash = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()))
        );
        Assets {
            by_path,
            urls,
            css_hash,
        }
    }

    /// The fingerprinted URL of a logical asset name.
    pub fn url(&self, name: &str) -> &str {
        self.urls
            .get(name)
            .map(String::as_str)
            .unwrap_or("/static/missing")
    }
}

/// Which encoding to send, from `Accept-Encoding`: brotli, then gzip, then none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Br,
    Gzip,
    Identity,
}

impl Encoding {
    pub fn negotiate(headers: &HeaderMap) -> Encoding {
        let accept = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let has = |name: &str| {
            accept.split(',').any(|p| {
                let mut it = p.trim().split(';');
                it.next().map(str::trim) == Some(name)
                    && !it.any(|q| matches!(q.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
            })
        };
        if has("br") {
            Encoding::Br
        } else if has("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Br => Some(HeaderValue::from_static("br")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Identity => None,
        }
    }
}

pub async fn serve(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(a) = state.assets.by_path.get(&file) else {
        return crate::http::AppError::NotFound.into_response();
    };
    let enc = Encoding::negotiate(&headers);
    let body = match enc {
        Encoding::Br => a.br.clone(),
        Encoding::Gzip => a.gzip.clone(),
        Encoding::Identity => a.identity.clone(),
    };
    let mut res = Response::new(Body::from(body));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(v) = enc.header() {
        h.insert(header::CONTENT_ENCODING, v);
    }
    *res.status_mut() = StatusCode::OK;
    res
}
