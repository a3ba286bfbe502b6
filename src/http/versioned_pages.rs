// SPDX-License-Identifier: AGPL-3.0-or-later
//! Rendered pages kept per (path, page number, language) while a version in the database is
//! unchanged, and for at most [`MAX_AGE`]. The blog keeps its public pages and feeds here
//! (`blog::cache` reads its version); the machinery knows no capability.
//!
//! * **The version** is one row, `blog_version`, bumped by database triggers
//!   (`migrations/*/0009_blog_page_cache.sql`) on every change that can alter a public page:
//!   posts that are or were published, comments that are or were approved, likes, terms and
//!   their links to posts, authors' names, campaigns' titles and slugs, media, site settings.
//!   The bump is part of the writing transaction, so whoever writes (the console, the CLI
//!   from another process, the importer, another node, a test poking SQL) invalidates; a
//!   reader that sees the new version also sees the new rows.
//! * **Each request** gets the version from a read of that row that *began after the request
//!   arrived*, before anything else: a page is served from memory only when it was rendered at
//!   the version now in the database, so every node of a cluster answers with what is
//!   committed, never with what it last heard, and a writer reads its own writes. Requests
//!   arriving together share one read ([`VersionReads`]): one query per batch, not per hit.
//! * **Time**: entries expire after [`MAX_AGE`] whatever the version (a post published for
//!   a future time by hand, the form token's age).
//! * **Bounded**: at most [`MAX_BYTES`] of pages; the oldest go first. Only 200 HTML pages
//!   are kept; redirects and errors are computed each time.
//! * **One render at a time per key**: requests that miss together wait for the first one
//!   instead of rendering the same page in parallel (a like invalidates every page at once).
//! * gzip and brotli encodings are made the first time a client asks for them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use crate::db::DbResult;
use crate::http::assets::Encoding;
use crate::http::{AppError, AppState};

pub const MAX_AGE: Duration = Duration::from_secs(10);
/// Memory for kept pages (their uncompressed size counts twice, for the encodings).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Reads of the version, shared by the requests that arrive while one is under way: a
/// request takes the result of the first read that *started* after it arrived (so it sees
/// every commit that finished before it came), running that read itself if no one else has.
/// One read runs at a time; everyone who arrived during it shares the next one.
#[derive(Default)]
pub struct VersionReads {
    /// Reads started so far (each read's sequence number is its place in this count).
    started: AtomicU64,
    /// The last completed read: (its sequence number, the version it saw).
    last: tokio::sync::Mutex<(u64, i64)>,
}

impl VersionReads {
    /// The version from a read (`read`) that began after this call, sharing one with others.
    pub async fn current<F, Fut>(&self, read: F) -> DbResult<i64>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = DbResult<i64>>,
    {
        let arrived = self.started.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        if last.0 > arrived {
            return Ok(last.1); // began after this request arrived, and is done
        }
        let seq = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let v = read().await?;
        *last = (seq, v);
        Ok(v)
    }
}

/// What a cached page is kept under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub path: String,
    /// The `?page=` of a listing (1 when absent).
    pub page: i64,
    pub lang: &'static str,
}

/// One rendered page and its encodings.
pub struct Entry {
    built: Instant,
    /// `None` for an HTML page; a feed's media type and `Cache-Control` otherwise.
    doc: Option<(&'static str, &'static str)>,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
}

impl Entry {
    pub fn new(html: String) -> Entry {
        Entry::typed(html, None)
    }

    fn typed(body: String, doc: Option<(&'static str, &'static str)>) -> Entry {
        Entry {
            built: Instant::now(),
            doc,
            identity: Bytes::from(body),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    fn cost(&self) -> usize {
        self.identity.len() * 2 + 256
    }

    pub fn response(&self, headers: &HeaderMap) -> Response {
        let enc = Encoding::negotiate(headers);
        let body = match enc {
            Encoding::Br => self.br.get_or_init(|| brotli(&self.identity)).clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.identity)).clone(),
            Encoding::Identity => self.identity.clone(),
        };
        let mut res = crate::http::page_cache::html_response(enc, body);
        if let Some((content_type, cache_control)) = self.doc {
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            );
            h.insert(
                header::VARY,
                HeaderValue::from_static("Accept-Encoding, Accept-Language"),
            );
        }
        res
    }
}

/// Fast settings: pages are compressed while a visitor waits (the static assets, made once
/// at start-up, use the slow, small ones).
fn gzip(data: &[u8]) -> Bytes {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    let _ = e.write_all(data);
    Bytes::from(e.finish().unwrap_or_default())
}

fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    Bytes::from(out)
}

/// What rendering a request gave: a page to keep, or a response to send as it is.
pub enum Rendered {
    Page(String),
    /// A document other than HTML (a feed): its body, media type and `Cache-Control`.
    Doc {
        body: String,
        content_type: &'static str,
        cache_control: &'static str,
    },
    Other(Response),
}

#[derive(Default)]
struct State {
    /// The version every kept entry was rendered at.
    version: i64,
    entries: HashMap<Key, Arc<Entry>>,
    bytes: usize,
}

#[derive(Default)]
pub struct VersionedPages {
    versions: VersionReads,
    state: RwLock<State>,
    inflight: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl VersionedPages {
    fn get(&self, key: &Key, version: i64) -> Option<Arc<Entry>> {
        let st = self.state.read().ok()?;
        if st.version != version {
            return None;
        }
        st.entries
            .get(key)
            .filter(|e| e.built.elapsed() < MAX_AGE)
            .cloned()
    }

    fn put(&self, key: Key, version: i64, e: Arc<Entry>) {
        let Ok(mut st) = self.state.write() else {
            return;
        };
        if version < st.version {
            return; // rendered from data older than what is already kept
        }
        if version > st.version {
            st.entries.clear();
            st.bytes = 0;
            st.version = version;
        }
        let cost = e.cost();
        if cost > MAX_BYTES / 4 {
            return;
        }
        if let Some(old) = st.entries.insert(key, e) {
            st.bytes -= old.cost();
        }
        st.bytes += cost;
        while st.bytes > MAX_BYTES {
            let oldest = st
                .entries
                .iter()
                .min_by_key(|(_, e)| e.built)
                .map(|(k, _)| k.clone());
            match oldest.and_then(|k| st.entries.remove(&k)) {
                Some(gone) => st.bytes -= gone.cost(),
                None => break,
            }
        }
    }

    /// How many pages are kept (for tests).
    pub fn len(&self) -> usize {
        self.state.read().map(|s| s.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock_for(&self, key: &Key) -> Arc<tokio::sync::Mutex<()>> {
        match self.inflight.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    fn release(&self, key: &Key) {
        if let Ok(mut m) = self.inflight.lock() {
            m.remove(key);
        }
    }

    /// Answers from the cache when the kept page is current, otherwise renders (one
    /// request per key at a time), keeps a [`Rendered::Page`] and answers.
    pub async fn serve<V, VFut, F, Fut>(
        &self,
        s: &AppState,
        key: Key,
        headers: &HeaderMap,
        read_version: V,
        render: F,
    ) -> Result<Response, AppError>
    where
        V: FnOnce() -> VFut,
        VFut: Future<Output = DbResult<i64>>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Rendered, AppError>>,
    {
        let v = self.versions.current(read_version).await?;
        if let Some(hit) = self.get(&key, v) {
            s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit.response(headers));
        }
        let lock = self.lock_for(&key);
        let guard = lock.lock().await;
        if let Some(hit) = self.get(&key, v) {
            s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit.response(headers));
        }
        s.metrics.page_cache_misses.fetch_add(1, Ordering::Relaxed);
        let out = render().await;
        let res = match out {
            Ok(Rendered::Page(html)) => {
                let e = Arc::new(Entry::new(html));
                self.put(key.clone(), v, e.clone());
                Ok(e.response(headers))
            }
            Ok(Rendered::Doc {
                body,
                content_type,
                cache_control,
            }) => {
                let e = Arc::new(Entry::typed(body, Some((content_type, cache_control))));
                self.put(key.clone(), v, e.clone());
                Ok(e.response(headers))
            }
            Ok(Rendered::Other(r)) => Ok(r),
            Err(e) => Err(e),
        };
        drop(guard);
        self.release(&key);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> Key {
        Key {
            path: p.into(),
            page: 1,
            lang: "en",
        }
    }

    #[test]
    fn entries_hold_only_for_their_version() {
        let c = VersionedPages::default();
        c.put(key("/a/"), 5, Arc::new(Entry::new("a".into())));
        assert!(c.get(&key("/a/"), 5).is_some());
        assert!(c.get(&key("/a/"), 6).is_none());
        assert!(c.get(&key("/b/"), 5).is_none());
        // A page rendered at an older version than what is kept is not stored.
        c.put(key("/b/"), 4, Arc::new(Entry::new("b".into())));
        assert!(c.get(&key("/b/"), 5).is_none());
        // A newer version drops everything older.
        c.put(key("/b/"), 7, Arc::new(Entry::new("b".into())));
        assert_eq!(c.len(), 1);
        assert!(c.get(&key("/a/"), 5).is_none());
    }

    #[test]
    fn memory_is_bounded_oldest_first() {
        let c = VersionedPages::default();
        let page = "x".repeat(MAX_BYTES / 16);
        for i in 0..20 {
            c.put(
                key(&format!("/{i}/")),
                1,
                Arc::new(Entry::new(page.clone())),
            );
        }
        let st = c.state.read().expect("lock");
        assert!(st.bytes <= MAX_BYTES);
        assert!(st.entries.len() < 20);
        assert!(!st.entries.contains_key(&key("/0/")));
        assert!(st.entries.contains_key(&key("/19/")));
    }

    #[test]
    fn encodings_are_made_on_demand() {
        let e = Entry::new("<p>hello hello hello hello</p>".repeat(50));
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let r = e.response(&h);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert!(e.gzip.get().is_some() && e.br.get().is_none());
        let r = e.response(&HeaderMap::new());
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
    }
}
