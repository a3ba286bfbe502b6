//! A small cache of rendered public pages (campaign pages), per language, with their gzip
//! and brotli encodings made once.
//!
//! An entry is valid while the campaign's version on this node's live hub equals the
//! version it was rendered at, and for at most [`MAX_AGE`] (days left, rates and a rotated
//! form token change without a version bump). Every node keeps its own entries; the
//! version comes from the database through the hub, so two nodes never disagree for longer
//! than a notification takes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use super::assets::{Encoding, brotli, gzip};

pub const MAX_AGE: Duration = Duration::from_secs(10);

pub struct Rendered {
    /// The campaign this page shows; its version on the hub decides freshness.
    pub campaign_id: String,
    pub version: i64,
    pub built: Instant,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
}

impl Rendered {
    pub fn new(campaign_id: &str, version: i64, html: String) -> Rendered {
        let identity = html.into_bytes();
        Rendered {
            campaign_id: campaign_id.to_string(),
            version,
            built: Instant::now(),
            gzip: Bytes::from(gzip(&identity)),
            br: Bytes::from(brotli(&identity)),
            identity: Bytes::from(identity),
        }
    }

    pub fn response(&self, headers: &HeaderMap) -> Response {
        let enc = Encoding::negotiate(headers);
        let body = match enc {
            Encoding::Br => self.br.clone(),
            Encoding::Gzip => self.gzip.clone(),
            Encoding::Identity => self.identity.clone(),
        };
        html_response(enc, body)
    }
}

/// A cached HTML page in the encoding `enc`: revalidated on every visit (`no-cache`), and
/// varying by what picks the encoding, the language and a signed-in member.
pub fn html_response(enc: Encoding, body: Bytes) -> Response {
    let mut res = Response::new(Body::from(body));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Encoding, Accept-Language, Cookie"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(v) = enc.header() {
        h.insert(header::CONTENT_ENCODING, v);
    }
    res
}

#[derive(Default)]
pub struct PageCache {
    entries: RwLock<HashMap<(String, &'static str), Arc<Rendered>>>,
    /// Public blog pages, kept by the blog's version in the database (`blog::cache`).
    pub blog: super::versioned_pages::VersionedPages,
}

impl PageCache {
    /// A still-valid entry for `key`, given a way to read a campaign's current version.
    pub fn get(
        &self,
        key: &str,
        lang: &'static str,
        version_of: impl Fn(&str) -> Option<i64>,
    ) -> Option<Arc<Rendered>> {
        let map = self.entries.read().ok()?;
        let e = map.get(&(key.to_string(), lang))?;
        (version_of(&e.campaign_id) == Some(e.version) && e.built.elapsed() < MAX_AGE)
            .then(|| e.clone())
    }

    pub fn put(&self, key: &str, lang: &'static str, r: Arc<Rendered>) {
        if let Ok(mut m) = self.entries.write() {
            m.insert((key.to_string(), lang), r);
        }
    }
}
