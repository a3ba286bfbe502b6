//! A small cache of rendered public pages (campaign pages), per language and variant, with
//! their gzip and brotli encodings made once.
//!
//! A page has a few variants (a campaign page: one per accepted currency, the donate form
//! opening with it). The variants a page has are kept from its last render, so a request
//! picks its variant without reading the database, and the entries stay bounded by what
//! the pages really offer, whatever visitors send.
//!
//! An entry is fresh while the campaign's version on this node's live hub equals the
//! version it was rendered at, and for at most [`MAX_AGE`] (days left, rates and a rotated
//! form token change without a version bump). Every node keeps its own entries; the
//! version comes from the database through the hub, so two nodes never disagree for longer
//! than a notification takes.
//!
//! **Single flight** (`http::flight`): one render per (page, language, variant) at a time.
//! While it is made, the other requests get the entry being replaced, stale by at most one
//! render's time and never older than [`MAX_AGE`] + [`STALE_FOR`] since it was built; only a
//! request that finds no usable entry waits, and then for the one render under way. The
//! encodings are made on the blocking pool at fast levels (`http::compress`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use super::assets::Encoding;
use super::compress;
use super::flight::Flights;

pub const MAX_AGE: Duration = Duration::from_secs(10);
/// How long past [`MAX_AGE`] an entry may still be served while its replacement is being
/// rendered. A render takes milliseconds; this bounds what a visitor sees when one is slow
/// (a busy database): past it, requests wait for the render instead.
pub const STALE_FOR: Duration = Duration::from_secs(5);

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
    /// The page and its encodings, compressed on the blocking pool.
    pub async fn build(campaign_id: &str, version: i64, html: String) -> Rendered {
        let identity = Bytes::from(html);
        let (gzip, br) = compress::both(identity.clone()).await;
        Rendered {
            campaign_id: campaign_id.to_string(),
            version,
            built: Instant::now(),
            gzip,
            br,
            identity,
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

/// The `Vary` of every cached page: what picks the encoding, the language and a signed-in
/// member.
pub const VARY: &str = "Accept-Encoding, Accept-Language, Cookie";

/// Headers a cached page's response ends up with (its own four, the security headers, the
/// request id, `Link`, `Date` and `Content-Length` are added on the way out): room for them
/// from the start, so the map is not grown and rehashed twice on every hit.
const RESPONSE_HEADERS: usize = 20;

/// A cached HTML page in the encoding `enc`: revalidated on every visit (`no-cache`), and
/// varying by what picks the encoding, the language and a signed-in member ([`VARY`]).
pub fn html_response(enc: Encoding, body: Bytes) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = HeaderMap::with_capacity(RESPONSE_HEADERS);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::VARY, HeaderValue::from_static(VARY));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(v) = enc.header() {
        h.insert(header::CONTENT_ENCODING, v);
    }
    res
}

/// A kept page's key: the page (a campaign's slug), the language and the variant.
pub type Key = (String, &'static str, String);

/// What the cache holds for a key.
pub enum Lookup {
    /// Rendered at the campaign's current version, less than [`MAX_AGE`] ago.
    Fresh(Arc<Rendered>),
    /// Out of date, but young enough to answer with while its replacement is rendered.
    Stale(Arc<Rendered>),
    /// Nothing usable: render (or wait for the render under way).
    Missing,
}

/// The variants a page offers, as of its last render (the first is its default).
struct Variants {
    version: i64,
    names: Arc<[String]>,
}

/// One kept page of a slug: its language and variant, and the page.
struct Kept {
    lang: &'static str,
    variant: String,
    page: Arc<Rendered>,
}

#[derive(Default)]
pub struct PageCache {
    /// By slug, then (a few of them) by language and variant: a hit is looked up with the
    /// request's borrowed slug and variant, without making a [`Key`].
    entries: RwLock<HashMap<String, Vec<Kept>>>,
    variants: RwLock<HashMap<String, Variants>>,
    /// The renders under way, one per key.
    pub flights: Flights<Key>,
    /// Public blog pages, kept by the blog's version in the database (`blog::cache`).
    pub blog: super::versioned_pages::VersionedPages,
    /// The newest live event per campaign and language, shared by this node's open streams.
    pub live: LiveEvents,
}

/// One live event's data, built at a campaign's `version`.
pub struct LiveEvent {
    pub version: i64,
    pub data: String,
}

/// The newest live event per (campaign, language) on this node. When a campaign changes,
/// every open stream of it wants the same event: the first builds it (one at a time, under
/// a lock) and the others take it, so a node reads the database once per change and
/// language, not once per open page.
#[derive(Default)]
pub struct LiveEvents {
    latest: RwLock<HashMap<(String, &'static str), Arc<LiveEvent>>>,
    build: tokio::sync::Mutex<()>,
}

impl LiveEvents {
    /// The kept event for the campaign in `lang`, if it was built at `at_least` or later.
    pub fn get(
        &self,
        campaign_id: &str,
        lang: &'static str,
        at_least: i64,
    ) -> Option<Arc<LiveEvent>> {
        let map = self.latest.read().ok()?;
        map.get(&(campaign_id.to_string(), lang))
            .filter(|e| e.version >= at_least)
            .cloned()
    }

    /// The kept event if it is at `at_least` or later, else one built now by `build` (and
    /// kept unless a newer one was kept meanwhile).
    pub async fn get_or_build<E, F>(
        &self,
        campaign_id: &str,
        lang: &'static str,
        at_least: i64,
        build: impl FnOnce() -> F,
    ) -> Result<Arc<LiveEvent>, E>
    where
        F: std::future::Future<Output = Result<LiveEvent, E>>,
    {
        if let Some(e) = self.get(campaign_id, lang, at_least) {
            return Ok(e);
        }
        let _one_at_a_time = self.build.lock().await;
        if let Some(e) = self.get(campaign_id, lang, at_least) {
            return Ok(e);
        }
        let e = Arc::new(build().await?);
        if let Ok(mut map) = self.latest.write() {
            let slot = map
                .entry((campaign_id.to_string(), lang))
                .or_insert_with(|| e.clone());
            if slot.version < e.version {
                *slot = e.clone();
            }
        }
        Ok(e)
    }
}

impl PageCache {
    /// The variants the page `key` offers (the first is its default), as of its last
    /// render. They may be out of date by one render, like the entries themselves: a render
    /// keeps the variants it found.
    pub fn variants(&self, key: &str) -> Option<Arc<[String]>> {
        let map = self.variants.read().ok()?;
        map.get(key).map(|v| v.names.clone())
    }

    /// What is kept for `key`, given a way to read a campaign's current version.
    pub fn lookup(&self, key: &Key, version_of: impl Fn(&str) -> Option<i64>) -> Lookup {
        self.lookup_in(&key.0, key.1, &key.2, version_of)
    }

    /// [`Self::lookup`] by the key's parts, borrowed (the hot path: nothing allocated).
    pub fn lookup_in(
        &self,
        slug: &str,
        lang: &'static str,
        variant: &str,
        version_of: impl Fn(&str) -> Option<i64>,
    ) -> Lookup {
        let Ok(map) = self.entries.read() else {
            return Lookup::Missing;
        };
        let Some(e) = map
            .get(slug)
            .and_then(|kept| kept.iter().find(|k| k.lang == lang && k.variant == variant))
            .map(|k| &k.page)
        else {
            return Lookup::Missing;
        };
        let age = e.built.elapsed();
        match version_of(&e.campaign_id) {
            Some(v) if v == e.version && age < MAX_AGE => Lookup::Fresh(e.clone()),
            _ if age < MAX_AGE + STALE_FOR => Lookup::Stale(e.clone()),
            _ => Lookup::Missing,
        }
    }

    /// A fresh entry for `key`, if there is one.
    pub fn get(
        &self,
        key: &Key,
        version_of: impl Fn(&str) -> Option<i64>,
    ) -> Option<Arc<Rendered>> {
        match self.lookup(key, version_of) {
            Lookup::Fresh(e) => Some(e),
            _ => None,
        }
    }

    /// Keeps `r`, the page `key` in `lang` and `variant`, one of the `variants` the page
    /// offers (taken from what was rendered, never from the request). A render older than
    /// what is kept (two renders that crossed) is not kept.
    pub fn put(
        &self,
        key: &str,
        lang: &'static str,
        variant: &str,
        variants: &[String],
        r: Arc<Rendered>,
    ) {
        if let Ok(mut m) = self.variants.write()
            && m.get(key).is_none_or(|v| v.version <= r.version)
        {
            m.insert(
                key.to_string(),
                Variants {
                    version: r.version,
                    names: variants.into(),
                },
            );
        }
        if let Ok(mut m) = self.entries.write() {
            let kept = m.entry(key.to_string()).or_default();
            match kept
                .iter_mut()
                .find(|k| k.lang == lang && k.variant == variant)
            {
                Some(old) if old.page.version <= r.version => old.page = r,
                Some(_) => {}
                None => kept.push(Kept {
                    lang,
                    variant: variant.to_string(),
                    page: r,
                }),
            }
        }
    }

    /// Drops every kept page (the site's identity changed: every page names the site).
    /// Other nodes render theirs again within [`MAX_AGE`].
    pub fn forget_all(&self) {
        if let Ok(mut m) = self.variants.write() {
            m.clear();
        }
        if let Ok(mut m) = self.entries.write() {
            m.clear();
        }
    }

    /// Drops every entry of the page `key` (a campaign gone back to draft or renamed).
    pub fn forget(&self, key: &str) {
        if let Ok(mut m) = self.variants.write() {
            m.remove(key);
        }
        if let Ok(mut m) = self.entries.write() {
            m.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn page(version: i64, age: Duration) -> Arc<Rendered> {
        Arc::new(Rendered {
            campaign_id: "c1".into(),
            version,
            built: Instant::now().checked_sub(age).expect("a past instant"),
            identity: Bytes::from_static(b"<p>page</p>"),
            gzip: Bytes::new(),
            br: Bytes::new(),
        })
    }

    #[test]
    fn an_entry_is_fresh_then_stale_for_a_bounded_time_then_gone() {
        let c = PageCache::default();
        let key: Key = ("lib".into(), "en", "GBP".into());
        let at = |v: i64| move |_: &str| Some(v);
        let names = vec!["GBP".to_string(), "USD".to_string()];
        assert!(matches!(c.lookup(&key, at(3)), Lookup::Missing));
        c.put("lib", "en", "GBP", &names, page(3, Duration::ZERO));
        assert!(matches!(c.lookup(&key, at(3)), Lookup::Fresh(_)));
        assert_eq!(c.variants("lib").as_deref(), Some(&names[..]));
        // A newer version on the hub: the kept page is stale (served while one render runs).
        assert!(matches!(c.lookup(&key, at(4)), Lookup::Stale(_)));
        assert!(c.get(&key, at(4)).is_none());
        // Past MAX_AGE at the same version: stale; past MAX_AGE + STALE_FOR: gone.
        c.put(
            "lib",
            "en",
            "GBP",
            &names,
            page(3, MAX_AGE + Duration::from_secs(1)),
        );
        assert!(matches!(c.lookup(&key, at(3)), Lookup::Stale(_)));
        c.put("lib", "en", "GBP", &names, page(3, MAX_AGE + STALE_FOR));
        assert!(matches!(c.lookup(&key, at(3)), Lookup::Missing));
        // A render older than what is kept does not replace it.
        c.put("lib", "en", "GBP", &names, page(5, Duration::ZERO));
        c.put("lib", "en", "GBP", &names, page(4, Duration::ZERO));
        assert!(matches!(c.lookup(&key, at(5)), Lookup::Fresh(_)));
        c.forget("lib");
        assert!(matches!(c.lookup(&key, at(5)), Lookup::Missing));
        assert!(c.variants("lib").is_none());
    }

    #[tokio::test]
    async fn streams_waiting_for_one_version_share_one_build() {
        let events = Arc::new(LiveEvents::default());
        let builds = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (events, builds) = (events.clone(), builds.clone());
            tasks.push(tokio::spawn(async move {
                events
                    .get_or_build::<(), _>("c1", "en", 7, || async move {
                        builds.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(LiveEvent {
                            version: 7,
                            data: "seven".into(),
                        })
                    })
                    .await
                    .map(|e| e.data.clone())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("task").as_deref(), Ok("seven"));
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // An older version is served from what is kept; a newer one is built; another
        // language has its own event.
        assert!(events.get("c1", "en", 6).is_some());
        assert!(events.get("c1", "en", 8).is_none());
        assert!(events.get("c1", "da", 7).is_none());
    }
}
