// SPDX-License-Identifier: AGPL-3.0-or-later

//! `microformats::Page::parse` and `read_mention` on any bytes, as a Webmention source could
//! serve them.
//!
//! Invariants: never a panic (deep nesting and misnested markup included); parsing is
//! deterministic; every link a page yields is absolute; a mention's URLs (entry, author,
//! photo) are empty or `http(s)`; the `Link` header reader never panics on the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::microformats::{Page, link_header_endpoint, read_mention};
use url::Url;

fn web_or_empty(s: &str) {
    assert!(
        s.is_empty() || s.starts_with("http://") || s.starts_with("https://"),
        "{s:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(base) = Url::parse("https://source.example/notes/1") else {
        return;
    };
    let Ok(target) = Url::parse("https://our.example/campaigns/books") else {
        return;
    };
    let page = Page::parse(data, &base);
    for u in page.links() {
        // Resolved against an absolute base: absolute, and reading it again gives itself.
        assert_eq!(Url::parse(u.as_str()).ok().as_ref(), Some(&u));
    }
    let m = read_mention(&page, &base, &target);
    assert_eq!(m, read_mention(&Page::parse(data, &base), &base, &target));
    web_or_empty(&m.url);
    web_or_empty(&m.author.url);
    web_or_empty(&m.author.photo);
    let _ = page.webmention_endpoint();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = link_header_endpoint([text], &base);
    }
});
