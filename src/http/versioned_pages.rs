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
//! * **One render at a time per key** (`http::flight`): when a page has only expired (the
//!   version is unchanged, it is past [`MAX_AGE`] by less than [`STALE_FOR`]), the requests
//!   for it answer with it at once while one of them renders the new one. After a version
//!   change nothing older is served (a writer reads its own writes): the requests that find
//!   no current page wait, and then for the one render (a like invalidates every page at
//!   once), never behind a queue of renders.
//! * gzip and brotli encodings are made the first time a client asks for them, once per
//!   entry (the others asking meanwhile wait for that one), on the blocking pool at fast
//!   levels (`http::compress`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use crate::db::DbResult;
use crate::http::assets::Encoding;
use crate::http::compress::{self, Codec};
use crate::http::flight::Flights;
use crate::http::{AppError, AppState};

pub use crate::http::page_cache::STALE_FOR;

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
    /// The version it was rendered at.
    version: i64,
    built: Instant,
    /// `None` for an HTML page; a feed's media type and `Cache-Control` otherwise.
    doc: Option<(&'static str, &'static str)>,
    identity: Bytes,
    gzip: tokio::sync::OnceCell<Bytes>,
    br: tokio::sync::OnceCell<Bytes>,
}

impl Entry {
    pub fn new(version: i64, html: String) -> Entry {
        Entry::typed(version, html, None)
    }

    fn typed(version: i64, body: String, doc: Option<(&'static str, &'static str)>) -> Entry {
        Entry {
            version,
            built: Instant::now(),
            doc,
            identity: Bytes::from(body),
            gzip: tokio::sync::OnceCell::new(),
            br: tokio::sync::OnceCell::new(),
        }
    }

    fn cost(&self) -> usize {
        self.identity.len() * 2 + 256
    }

    pub async fn response(&self, headers: &HeaderMap) -> Response {
        let enc = Encoding::negotiate(headers);
        let id = &self.identity;
        let body = match enc {
            Encoding::Br => self
                .br
                .get_or_init(|| compress::off_thread(id.clone(), Codec::Brotli))
                .await
                .clone(),
            Encoding::Gzip => self
                .gzip
                .get_or_init(|| compress::off_thread(id.clone(), Codec::Gzip))
                .await
                .clone(),
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
    /// The newest version a kept entry was rendered at.
    version: i64,
    entries: HashMap<Key, Arc<Entry>>,
    bytes: usize,
}

/// What is kept for a key at the version a request read.
enum Lookup {
    Fresh(Arc<Entry>),
    /// Rendered at the current version but past [`MAX_AGE`]: answered with while the one
    /// render of its replacement runs.
    Stale(Arc<Entry>),
    Missing,
}

#[derive(Default)]
pub struct VersionedPages {
    versions: VersionReads,
    state: RwLock<State>,
    flights: Flights<Key>,
}

impl VersionedPages {
    fn lookup(&self, key: &Key, version: i64) -> Lookup {
        let Ok(st) = self.state.read() else {
            return Lookup::Missing;
        };
        let Some(e) = st.entries.get(key) else {
            return Lookup::Missing;
        };
        let age = e.built.elapsed();
        if e.version != version {
            Lookup::Missing
        } else if age < MAX_AGE {
            Lookup::Fresh(e.clone())
        } else if age < MAX_AGE + STALE_FOR {
            Lookup::Stale(e.clone())
        } else {
            Lookup::Missing
        }
    }

    fn get(&self, key: &Key, version: i64) -> Option<Arc<Entry>> {
        match self.lookup(key, version) {
            Lookup::Fresh(e) => Some(e),
            _ => None,
        }
    }

    fn put(&self, key: Key, e: Arc<Entry>) {
        let Ok(mut st) = self.state.write() else {
            return;
        };
        if st
            .entries
            .get(&key)
            .is_some_and(|old| old.version > e.version)
        {
            return; // rendered from data older than what is already kept
        }
        if e.version < st.version {
            return; // rendered from data older than what is already kept
        }
        if e.version > st.version {
            // A new version: nothing older is served again.
            st.entries.clear();
            st.bytes = 0;
            st.version = e.version;
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
                .min_by_key(|(_, e)| (e.version, e.built))
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

    /// Answers from the cache when the kept page is current; otherwise renders (one
    /// request per key at a time, the others answered with the page being replaced while
    /// there is one), keeps a [`Rendered::Page`] and answers.
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
        let _flight = match self.lookup(&key, v) {
            Lookup::Fresh(hit) => {
                s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit.response(headers).await);
            }
            Lookup::Stale(old) => match self.flights.try_lead(key.clone()) {
                Some(f) => f,
                None => {
                    s.metrics.page_cache_stale.fetch_add(1, Ordering::Relaxed);
                    return Ok(old.response(headers).await);
                }
            },
            Lookup::Missing => self.flights.lead(key.clone()).await,
        };
        if let Some(hit) = self.get(&key, v) {
            s.metrics.page_cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit.response(headers).await);
        }
        s.metrics.page_cache_misses.fetch_add(1, Ordering::Relaxed);
        s.metrics.page_renders_blog.fetch_add(1, Ordering::Relaxed);
        match render().await? {
            Rendered::Page(html) => {
                let e = Arc::new(Entry::new(v, html));
                self.put(key, e.clone());
                Ok(e.response(headers).await)
            }
            Rendered::Doc {
                body,
                content_type,
                cache_control,
            } => {
                let e = Arc::new(Entry::typed(v, body, Some((content_type, cache_control))));
                self.put(key, e.clone());
                Ok(e.response(headers).await)
            }
            Rendered::Other(r) => Ok(r),
        }
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

    fn aged(version: i64, age: Duration) -> Arc<Entry> {
        let mut e = Entry::new(version, "p".into());
        e.built = Instant::now().checked_sub(age).expect("a past instant");
        Arc::new(e)
    }

    #[test]
    fn entries_are_fresh_at_their_version_and_stale_for_a_bounded_time() {
        let c = VersionedPages::default();
        c.put(key("/a/"), Arc::new(Entry::new(5, "a".into())));
        assert!(c.get(&key("/a/"), 5).is_some());
        // Another version: nothing is served from before it (a writer sees its write).
        assert!(matches!(c.lookup(&key("/a/"), 6), Lookup::Missing));
        assert!(c.get(&key("/b/"), 5).is_none());
        // A page rendered at an older version than what is kept for its key is not stored.
        c.put(key("/a/"), Arc::new(Entry::new(4, "a".into())));
        assert!(c.get(&key("/a/"), 5).is_some());
        // Past MAX_AGE: stale; past MAX_AGE + STALE_FOR: nothing.
        c.put(key("/b/"), aged(5, MAX_AGE));
        assert!(matches!(c.lookup(&key("/b/"), 5), Lookup::Stale(_)));
        c.put(key("/c/"), aged(5, MAX_AGE + STALE_FOR));
        assert!(matches!(c.lookup(&key("/c/"), 5), Lookup::Missing));
        // A newer version drops everything older.
        c.put(key("/d/"), Arc::new(Entry::new(7, "d".into())));
        assert_eq!(c.len(), 1);
        assert!(matches!(c.lookup(&key("/a/"), 7), Lookup::Missing));
        c.put(key("/a/"), Arc::new(Entry::new(6, "a".into())));
        assert!(matches!(c.lookup(&key("/a/"), 7), Lookup::Missing));
    }

    #[test]
    fn memory_is_bounded_oldest_first() {
        let c = VersionedPages::default();
        let page = "x".repeat(MAX_BYTES / 16);
        for i in 0..20 {
            c.put(
                key(&format!("/{i}/")),
                Arc::new(Entry::new(1, page.clone())),
            );
        }
        let st = c.state.read().expect("lock");
        assert!(st.bytes <= MAX_BYTES);
        assert!(st.entries.len() < 20);
        assert!(!st.entries.contains_key(&key("/0/")));
        assert!(st.entries.contains_key(&key("/19/")));
    }

    #[tokio::test]
    async fn encodings_are_made_on_demand() {
        let e = Entry::new(1, "<p>hello hello hello hello</p>".repeat(50));
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let r = e.response(&h).await;
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert!(e.gzip.get().is_some() && e.br.get().is_none());
        let r = e.response(&HeaderMap::new()).await;
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
    }
}
