// SPDX-License-Identifier: AGPL-3.0-or-later
//! The permalink pattern of articles and notes, written with WordPress's structure tags:
//! `%year%`, `%monthnum%`, `%day%` (the UTC date of publication) and `%postname%` (the
//! slug). The default is WordPress's "day and name", `/%year%/%monthnum%/%day%/%postname%/`;
//! `/%year%/%monthnum%/%postname%/`, `/%postname%/`, `/blog/%postname%/` or
//! `/%year%/%postname%.html` work too. Pages (and posts without a date) are always at
//! `/{slug}/`.
//!
//! The pattern is the `blog.permalink` setting (`SHELFRAISER_BLOG__PERMALINK`); it is parsed
//! and checked when the configuration is read, so a bad one stops the server at start-up
//! with a message saying what is wrong. The reading side (the server's `blog::pages`) matches request
//! paths against it; a post asked for under the default pattern after the pattern changed
//! answers 301 with its new address.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// WordPress's "day and name" structure, the default.
pub const DEFAULT: &str = "/%year%/%monthnum%/%day%/%postname%/";

/// First path segments the site itself uses: a pattern may not start with one of them.
const RESERVED: &[&str] = &[
    ".well-known",
    "account",
    "actor",
    "admin",
    "api",
    "author",
    "avatars",
    "campaigns",
    "category",
    "comments",
    "healthz",
    "inbox",
    "invite",
    "lang",
    "media",
    "metrics",
    "monthly",
    "oembed",
    "posts",
    "privacy",
    "providers",
    "r",
    "readyz",
    "receipts",
    "reset",
    "search",
    "setup",
    "signin",
    "signout",
    "signout-everywhere",
    "static",
    "tag",
    "test-checkout",
    "webmention",
];

/// Whether `segment` is a first path segment the site itself uses (any case). The blog's
/// own `/blog` and `/blog/` are exact paths, so a pattern may start with `blog/`.
pub fn is_reserved(segment: &str) -> bool {
    RESERVED.contains(&segment.to_ascii_lowercase().as_str())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Year,
    Month,
    Day,
    Slug,
}

impl Part {
    /// Digits a fixed-width tag takes; `None` for literals and the slug.
    fn digits(&self) -> Option<usize> {
        match self {
            Part::Year => Some(4),
            Part::Month | Part::Day => Some(2),
            _ => None,
        }
    }
}

/// A parsed permalink pattern (see the module documentation).
#[derive(Clone, PartialEq, Eq)]
pub struct Permalinks {
    text: String,
    /// Path segments (between slashes), each a sequence of parts.
    segments: Vec<Vec<Part>>,
    trailing_slash: bool,
}

impl fmt::Debug for Permalinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permalinks({:?})", self.text)
    }
}

impl Default for Permalinks {
    fn default() -> Self {
        Permalinks::parse(DEFAULT).expect("the default permalink pattern parses")
    }
}

impl fmt::Display for Permalinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for Permalinks {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Permalinks::parse(&s)
    }
}

impl From<Permalinks> for String {
    fn from(p: Permalinks) -> String {
        p.text
    }
}

impl Serialize for Permalinks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Permalinks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Permalinks::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a request path matched: the slug and the date parts the pattern holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub slug: String,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl Permalinks {
    /// Parses and checks a pattern: it starts with `/`, holds `%postname%` exactly once,
    /// only the tags `%year%`, `%monthnum%`, `%day%` and `%postname%`, and otherwise only
    /// letters, digits, `-`, `_`, `.` and `~`; no empty segment; not under one of the site's
    /// own paths (`/tag/`, `/admin/`…).
    pub fn parse(text: &str) -> Result<Permalinks, String> {
        let text = text.trim();
        let err = |why: String| {
            Err(format!(
                "permalink pattern {text:?}: {why} (for example {DEFAULT:?} or \"/%postname%/\")"
            ))
        };
        let Some(rest) = text.strip_prefix('/') else {
            return err("must start with /".into());
        };
        let (body, trailing_slash) = match rest.strip_suffix('/') {
            Some(b) => (b, true),
            None => (rest, false),
        };
        if body.is_empty() {
            return err("must contain %postname%".into());
        }
        let mut segments = Vec::new();
        let mut slugs = 0;
        for seg in body.split('/') {
            if seg.is_empty() {
                return err("has an empty path segment (//)".into());
            }
            let mut parts = Vec::new();
            let mut s = seg;
            while !s.is_empty() {
                if let Some(after) = s.strip_prefix('%') {
                    let Some(end) = after.find('%') else {
                        return err("has a % without its closing %".into());
                    };
                    let part = match &after[..end] {
                        "year" => Part::Year,
                        "monthnum" => Part::Month,
                        "day" => Part::Day,
                        "postname" => {
                            slugs += 1;
                            Part::Slug
                        }
                        other => {
                            return err(format!(
                                "the tag %{other}% is not supported (only %year%, %monthnum%, %day% and %postname%)"
                            ));
                        }
                    };
                    parts.push(part);
                    s = &after[end + 1..];
                } else {
                    let end = s.find('%').unwrap_or(s.len());
                    let lit = &s[..end];
                    if let Some(c) = lit.chars().find(|c| {
                        !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
                    }) {
                        return err(format!("the character {c:?} is not allowed"));
                    }
                    parts.push(Part::Lit(lit.to_string()));
                    s = &s[end..];
                }
            }
            segments.push(parts);
        }
        if slugs != 1 {
            return err("must contain %postname% exactly once".into());
        }
        if let Some(Part::Lit(first)) = segments.first().and_then(|s| s.first())
            && segments[0].len() == 1
            && is_reserved(first)
        {
            return err(format!("/{first}/ is one of the site's own paths"));
        }
        Ok(Permalinks {
            text: text.to_string(),
            segments,
            trailing_slash,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_default(&self) -> bool {
        self.text == DEFAULT
    }

    /// A post's path: the pattern for dated articles and notes, `/{slug}/` for pages and
    /// for posts without a date.
    pub fn path(&self, kind: &str, slug: &str, published_at: Option<DateTime<Utc>>) -> String {
        let t = match (kind, published_at) {
            ("page", _) | (_, None) => return format!("/{slug}/"),
            (_, Some(t)) => t,
        };
        let mut out = String::with_capacity(self.text.len() + slug.len() + 8);
        for seg in &self.segments {
            out.push('/');
            for part in seg {
                match part {
                    Part::Lit(l) => out.push_str(l),
                    Part::Year => out.push_str(&format!("{:04}", t.year())),
                    Part::Month => out.push_str(&format!("{:02}", t.month())),
                    Part::Day => out.push_str(&format!("{:02}", t.day())),
                    Part::Slug => out.push_str(slug),
                }
            }
        }
        if self.trailing_slash {
            out.push('/');
        }
        out
    }

    /// The slug and date parts of a request path of this pattern's shape, or `None`. Only
    /// the shape is checked (digits where the date goes); whether a post lives there is
    /// the caller's question.
    pub fn matches(&self, path: &str) -> Option<Matched> {
        let rest = path.strip_prefix('/')?;
        let body = if self.trailing_slash {
            rest.strip_suffix('/')?
        } else {
            rest
        };
        let mut m = Matched {
            slug: String::new(),
            year: None,
            month: None,
            day: None,
        };
        let mut segs = body.split('/');
        for parts in &self.segments {
            let seg = segs.next()?;
            match_segment(parts, seg, &mut m)?;
        }
        if segs.next().is_some() || m.slug.is_empty() {
            return None;
        }
        Some(m)
    }
}

/// Matches one path segment against its parts: fixed-width tags and literals from the left
/// up to the slug, then from the right after it.
fn match_segment(parts: &[Part], seg: &str, m: &mut Matched) -> Option<()> {
    let slug_at = parts.iter().position(|p| *p == Part::Slug);
    let (head, tail) = match slug_at {
        Some(i) => (&parts[..i], &parts[i + 1..]),
        None => (parts, &[][..]),
    };
    let mut s = seg;
    for p in head {
        s = take_front(p, s, m)?;
    }
    for p in tail.iter().rev() {
        s = take_back(p, s, m)?;
    }
    match slug_at {
        Some(_) => {
            let slug = percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()?
                .into_owned();
            if slug.is_empty() || slug.contains('/') {
                return None;
            }
            m.slug = slug;
            Some(())
        }
        None => s.is_empty().then_some(()),
    }
}

fn take_front<'a>(p: &Part, s: &'a str, m: &mut Matched) -> Option<&'a str> {
    match p {
        Part::Lit(l) => s.strip_prefix(l.as_str()),
        _ => {
            let n = p.digits()?;
            let (d, rest) = (s.get(..n)?, s.get(n..)?);
            record(p, d, m)?;
            Some(rest)
        }
    }
}

fn take_back<'a>(p: &Part, s: &'a str, m: &mut Matched) -> Option<&'a str> {
    match p {
        Part::Lit(l) => s.strip_suffix(l.as_str()),
        _ => {
            let n = p.digits()?;
            let at = s.len().checked_sub(n)?;
            let (rest, d) = (s.get(..at)?, s.get(at..)?);
            record(p, d, m)?;
            Some(rest)
        }
    }
}

fn record(p: &Part, digits: &str, m: &mut Matched) -> Option<()> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    match p {
        Part::Year => m.year = Some(i32::try_from(n).ok()?),
        Part::Month => m.month = Some(n),
        Part::Day => m.day = Some(n),
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(2024, 3, 7, 23, 30, 0).single()
    }

    #[test]
    fn the_default_is_day_and_name() {
        let p = Permalinks::default();
        assert!(p.is_default());
        assert_eq!(p.as_str(), DEFAULT);
        assert_eq!(p.path("article", "hi", at()), "/2024/03/07/hi/");
        assert_eq!(p.path("note", "n1", at()), "/2024/03/07/n1/");
        assert_eq!(p.path("page", "about", at()), "/about/");
        assert_eq!(p.path("article", "d", None), "/d/");
        assert_eq!(
            p.matches("/2024/03/07/hi/"),
            Some(Matched {
                slug: "hi".into(),
                year: Some(2024),
                month: Some(3),
                day: Some(7)
            })
        );
        for no in [
            "/2024/03/07/hi",
            "/2024/03/hi/",
            "/2024/3/07/hi/",
            "/2024/03/07/hi/x/",
            "/abcd/03/07/hi/",
            "/2024/03/07//",
            "2024/03/07/hi/",
        ] {
            assert_eq!(p.matches(no), None, "{no}");
        }
    }

    #[test]
    fn other_patterns_build_and_match_their_paths() {
        let cases = [
            ("/%year%/%monthnum%/%postname%/", "/2024/03/hi/"),
            ("/%postname%/", "/hi/"),
            ("/blog/%postname%/", "/blog/hi/"),
            ("/%year%/%postname%.html", "/2024/hi.html"),
            (
                "/archives/%year%-%monthnum%-%day%-%postname%",
                "/archives/2024-03-07-hi",
            ),
            ("/%postname%-%year%/", "/hi-2024/"),
        ];
        for (pattern, path) in cases {
            let p = Permalinks::parse(pattern).expect(pattern);
            assert!(!p.is_default());
            assert_eq!(p.path("article", "hi", at()), path, "{pattern}");
            let m = p.matches(path).expect(path);
            assert_eq!(m.slug, "hi", "{pattern}");
            // Pages stay at /{slug}/ whatever the pattern.
            assert_eq!(p.path("page", "about", at()), "/about/");
            // Hyphenated slugs next to literals and tags.
            let long = p.path("article", "a-b-c", at());
            assert_eq!(
                p.matches(&long).map(|m| m.slug),
                Some("a-b-c".into()),
                "{long}"
            );
        }
        let p = Permalinks::parse("/%year%/%monthnum%/%postname%/").expect("pattern");
        assert_eq!(p.matches("/2024/03/07/hi/"), None);
        assert_eq!(p.matches("/2024/03/"), None);
        let m = p
            .matches("/2024/03/hi%2Dthere/")
            .expect("percent-encoded slug");
        assert_eq!(m.slug, "hi-there");
        assert_eq!((m.year, m.month, m.day), (Some(2024), Some(3), None));
    }

    #[test]
    fn bad_patterns_are_refused_with_a_reason() {
        for (bad, why) in [
            ("", "must start with /"),
            ("%postname%/", "must start with /"),
            ("/", "must contain %postname%"),
            ("/%year%/%monthnum%/", "exactly once"),
            ("/%postname%/%postname%/", "exactly once"),
            ("/%post_id%/", "%post_id% is not supported"),
            ("/%year%//%postname%/", "empty path segment"),
            ("/%year%/%postname", "without its closing %"),
            ("/news?/%postname%/", "not allowed"),
            ("/tag/%postname%/", "site's own paths"),
            ("/admin/%postname%/", "site's own paths"),
        ] {
            let e = Permalinks::parse(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
            assert!(e.contains("for example"), "{e}");
        }
    }

    #[test]
    fn serde_round_trips_and_refuses_bad_patterns() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct S {
            permalink: Permalinks,
        }
        let s: S = serde_json::from_str(r#"{"permalink":"/%postname%/"}"#).expect("parses");
        assert_eq!(s.permalink.as_str(), "/%postname%/");
        assert_eq!(
            serde_json::to_string(&s).expect("json"),
            r#"{"permalink":"/%postname%/"}"#
        );
        let e = serde_json::from_str::<S>(r#"{"permalink":"/%year%/"}"#).expect_err("no slug");
        assert!(e.to_string().contains("%postname%"), "{e}");
    }
}
