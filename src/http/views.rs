//! Page views counted in memory, off the database: each node adds a view to a small map
//! (page, UTC day, dimensions) → (views, the address keys seen), and a flush every few
//! seconds and at shutdown (`promotion::insight::flush`) takes the map and adds it to the
//! database with upserts — so several nodes sharing PostgreSQL add up, and no request waits
//! for a write. Counting is one short lock and a map entry; nothing else on the request's way.
//!
//! The addresses (IPv6 by its /64) live here only until the next flush, which hashes
//! them with the day's salt to tell new visitors from returning ones and forgets them; no
//! address is ever written. The map is bounded: past [`MAX_KEYS`] entries a new
//! combination's dimensions are dropped (counted under its page and day only), and past
//! [`MAX_ADDRESSES`] addresses per entry further ones are not kept (views still count).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::NaiveDate;

/// Distinct (day, page, dimensions) entries kept between two flushes.
pub const MAX_KEYS: usize = 20_000;
/// Addresses kept per entry between two flushes.
pub const MAX_ADDRESSES: usize = 20_000;

/// What a view is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ViewKey {
    pub day: NaiveDate,
    pub path: String,
    /// The referring site's host ('' for none or our own pages).
    pub referrer_host: String,
    /// The `ref` of the address (a referral link's code), as given.
    pub ref_code: String,
    /// The `utm_source` of the address.
    pub utm_source: String,
    /// `phone`, `tablet`, `desktop` or `other`.
    pub device: &'static str,
    /// The page's language.
    pub lang: &'static str,
}

/// A view as the request has it, borrowed: nothing is copied unless its combination is new.
#[derive(Debug, Clone, Copy, Default)]
pub struct View<'a> {
    pub day: NaiveDate,
    pub path: &'a str,
    pub referrer_host: &'a str,
    pub ref_code: &'a str,
    pub utm_source: &'a str,
    pub device: &'static str,
    pub lang: &'static str,
}

impl View<'_> {
    /// The map's key: a hash of every part (64 bits: two combinations sharing one within a
    /// few seconds' counts is not worth a thought).
    fn id(&self) -> u64 {
        let mut h = DefaultHasher::new();
        (
            self.day,
            self.path,
            self.referrer_host,
            self.ref_code,
            self.utm_source,
            self.device,
            self.lang,
        )
            .hash(&mut h);
        h.finish()
    }

    fn owned(&self) -> ViewKey {
        ViewKey {
            day: self.day,
            path: self.path.to_string(),
            referrer_host: self.referrer_host.to_string(),
            ref_code: self.ref_code.to_string(),
            utm_source: self.utm_source.to_string(),
            device: self.device,
            lang: self.lang,
        }
    }
}

/// What the views of one key add up to.
#[derive(Debug, Default)]
pub struct Counted {
    pub views: u64,
    /// Addresses seen (IPv6 by its /64 already), hashed and forgotten at the flush.
    pub addresses: HashSet<IpAddr>,
}

/// An address as it counts: IPv4 as is (mapped IPv6 made IPv4), IPv6 by its /64.
pub fn address_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Counted views by their key's id.
pub type Taken = HashMap<u64, (ViewKey, Counted)>;

/// The node's views since the last flush.
#[derive(Default)]
pub struct Views {
    map: Mutex<Taken>,
}

impl Views {
    /// Counts one view from `address` (none: unknown).
    pub fn record(&self, view: &View<'_>, address: Option<IpAddr>) {
        let mut id = view.id();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(&id) {
            let bare = View {
                day: view.day,
                path: view.path,
                ..Default::default()
            };
            id = bare.id();
            return Self::add(&mut map, id, &bare, address);
        }
        Self::add(&mut map, id, view, address);
    }

    fn add(map: &mut Taken, id: u64, view: &View<'_>, address: Option<IpAddr>) {
        let (_, c) = map
            .entry(id)
            .or_insert_with(|| (view.owned(), Counted::default()));
        c.views += 1;
        if let Some(a) = address
            && c.addresses.len() < MAX_ADDRESSES
        {
            c.addresses.insert(address_of(a));
        }
    }

    /// Everything counted so far, leaving the map empty.
    pub fn take(&self) -> Taken {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *map)
    }

    /// Puts back what a failed flush took (added to what came since).
    pub fn put_back(&self, taken: Taken) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        for (id, (k, c)) in taken {
            let (_, e) = map.entry(id).or_insert_with(|| (k, Counted::default()));
            e.views += c.views;
            e.addresses.extend(c.addresses);
        }
    }
}

/// The class of device a `User-Agent` names: `bot` (crawlers, link previews and feed
/// readers: not counted), `tablet`, `phone`, `desktop`, or `other`.
pub fn device_class(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    if ua.is_empty() {
        return "other";
    }
    const BOTS: [&str; 12] = [
        "bot",
        "crawl",
        "spider",
        "slurp",
        "preview",
        "fetch",
        "feed",
        "curl/",
        "wget/",
        "python-",
        "headless",
        "mastodon/",
    ];
    if BOTS.iter().any(|b| ua.contains(b)) {
        return "bot";
    }
    if ua.contains("ipad")
        || ua.contains("tablet")
        || (ua.contains("android") && !ua.contains("mobile"))
    {
        return "tablet";
    }
    if ua.contains("mobi") || ua.contains("iphone") || ua.contains("android") {
        return "phone";
    }
    if ua.contains("windows")
        || ua.contains("macintosh")
        || ua.contains("x11")
        || ua.contains("linux")
        || ua.contains("cros")
    {
        return "desktop";
    }
    "other"
}

/// Whether the request asks not to be tracked (`DNT: 1` or `Sec-GPC: 1`).
pub fn opted_out(headers: &http::HeaderMap) -> bool {
    ["dnt", "sec-gpc"]
        .iter()
        .any(|h| headers.get(*h).is_some_and(|v| v.as_bytes() == b"1"))
}

/// The host (with its port, if any) of the site's base URL: what [`referrer_host`] takes as
/// our own.
pub fn own_host(base_url: &str) -> &str {
    base_url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("")
}

/// The host of a `Referer` that is not our own (`own` is our host), lower case; '' for none.
pub fn referrer_host(referer: Option<&str>, own: &str) -> String {
    let Some(r) = referer else {
        return String::new();
    };
    let Some(rest) = r
        .strip_prefix("https://")
        .or_else(|| r.strip_prefix("http://"))
    else {
        return String::new();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let host = host.to_ascii_lowercase();
    let bare = host
        .split(':')
        .next()
        .unwrap_or("")
        .trim_start_matches("www.");
    let own = own
        .split(':')
        .next()
        .unwrap_or("")
        .trim_start_matches("www.");
    if host.is_empty() || bare.eq_ignore_ascii_case(own) || host.len() > 100 {
        return String::new();
    }
    let ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok { host } else { String::new() }
}

/// A query parameter's value, decoded, if it is a short token (letters, digits, `-`, `_`,
/// `.`), lower-cased when `lower`; `None` otherwise.
pub fn query_token(query: Option<&str>, name: &str, max: usize, lower: bool) -> Option<String> {
    let q = query?;
    let v = url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)?
        .1;
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= max
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| {
        if lower {
            v.to_ascii_lowercase()
        } else {
            v.to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_classed_by_their_user_agent() {
        for (ua, class) in [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
                "phone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
                "phone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/120 Safari/537.36",
                "tablet",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
                "tablet",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
                "desktop",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                "desktop",
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "bot",
            ),
            (
                "Mastodon/4.2.0 (http.rb/5.1.1; +https://social.example/)",
                "bot",
            ),
            ("curl/8.5.0", "bot"),
            ("", "other"),
            ("SomethingElse/1.0", "other"),
        ] {
            assert_eq!(device_class(ua), class, "{ua}");
        }
    }

    #[test]
    fn referrers_are_hosts_of_other_sites_only() {
        let own = "give.example.org";
        assert_eq!(
            referrer_host(Some("https://social.example/@ada/1?x=y"), own),
            "social.example"
        );
        assert_eq!(
            referrer_host(Some("https://www.give.example.org/x"), own),
            ""
        );
        assert_eq!(referrer_host(Some("https://give.example.org/x"), own), "");
        assert_eq!(referrer_host(Some("android-app://com.x"), own), "");
        assert_eq!(referrer_host(None, own), "");
        assert_eq!(referrer_host(Some("https://a\"b/"), own), "");
        assert_eq!(
            referrer_host(Some("http://user@News.Example:8080/"), own),
            "news.example:8080"
        );
    }

    #[test]
    fn query_tokens_are_short_and_plain() {
        let q = Some("ref=Ab-3_x&utm_source=Mastodon&bad=%3Cx%3E");
        assert_eq!(query_token(q, "ref", 32, false).as_deref(), Some("Ab-3_x"));
        assert_eq!(
            query_token(q, "utm_source", 40, true).as_deref(),
            Some("mastodon")
        );
        assert_eq!(query_token(q, "bad", 40, true), None);
        assert_eq!(query_token(q, "none", 40, true), None);
        assert_eq!(query_token(Some("ref=abcdef"), "ref", 3, false), None);
    }

    #[test]
    fn the_map_is_bounded_and_a_failed_flush_loses_nothing() {
        let v = Views::default();
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).expect("day");
        let view = View {
            day,
            path: "/a",
            ..Default::default()
        };
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        v.record(&view, ip("192.0.2.1"));
        v.record(&view, ip("::ffff:192.0.2.1"));
        v.record(&view, None);
        v.record(&view, ip("2001:db8:1:2::1"));
        v.record(&view, ip("2001:db8:1:2::9"));
        let taken = v.take();
        let (k, c) = taken.values().next().expect("one entry");
        assert_eq!(k.path, "/a");
        assert_eq!(c.views, 5);
        assert_eq!(c.addresses.len(), 2, "one IPv4 and one /64");
        assert!(v.take().is_empty());
        v.record(&view, ip("192.0.2.2"));
        v.put_back(taken);
        let again = v.take();
        let (_, c) = again.values().next().expect("one entry");
        assert_eq!((c.views, c.addresses.len()), (6, 3));
    }
}
