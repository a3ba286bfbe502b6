//! Languages: every user-facing string is a Project Fluent message in `locales/<lang>/*.ftl`.
//!
//! Adding a language is adding one folder of `.ftl` files and its name to [`SUPPORTED`]
//! (plus a number style in `money::format` if its grouping differs from English).
//! The language is chosen from the `lang` cookie (set by the visible switcher), then from
//! `Accept-Language`, then English.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use unic_langid::LanguageIdentifier;

use crate::money::{Money, format_money};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Interface languages, with their own names for the switcher.
pub const SUPPORTED: &[(&str, &str)] = &[("en", "English"), ("da", "Dansk")];

/// The language of one request.
#[derive(Clone, Debug)]
pub struct I18n {
    pub lang: &'static str,
    id: LanguageIdentifier,
}

impl Default for I18n {
    fn default() -> Self {
        I18n::new("en")
    }
}

impl I18n {
    /// A supported language by code; anything else falls back to English.
    pub fn new(lang: &str) -> I18n {
        let code = SUPPORTED
            .iter()
            .map(|(c, _)| *c)
            .find(|c| *c == lang)
            .unwrap_or("en");
        I18n {
            lang: code,
            id: code.parse().unwrap_or_default(),
        }
    }

    /// Chooses from a `lang` cookie value and an `Accept-Language` header.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> I18n {
        if let Some(c) = cookie
            && SUPPORTED.iter().any(|(s, _)| *s == c)
        {
            return I18n::new(c);
        }
        if let Some(h) = accept_language {
            let mut prefs: Vec<(f32, &str)> = h
                .split(',')
                .filter_map(|part| {
                    let mut it = part.trim().split(';');
                    let tag = it.next()?.trim();
                    let q = it
                        .find_map(|p| p.trim().strip_prefix("q="))
                        .and_then(|q| q.parse::<f32>().ok())
                        .unwrap_or(1.0);
                    Some((q, tag))
                })
                .collect();
            prefs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
            for (q, tag) in prefs {
                if q <= 0.0 {
                    continue;
                }
                let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
                if let Some((c, _)) = SUPPORTED.iter().find(|(s, _)| *s == primary) {
                    return I18n::new(c);
                }
            }
        }
        I18n::new("en")
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.id, key)
    }

    /// The message `key` with named arguments.
    pub fn ta<A: AsRef<[(&'static str, String)]>>(&self, key: &str, args: A) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .as_ref()
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_string()), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(&self.id, key, &map)
    }

    /// The message `key` with a number argument `count` (for plurals).
    pub fn tn(&self, key: &str, count: i64) -> String {
        let mut map: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        map.insert(Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES.lookup_with_args(&self.id, key, &map)
    }

    pub fn money(&self, m: Money) -> String {
        format_money(m, self.lang)
    }

    /// A date in the language's usual form: `28 June 2024` / `28. juni 2024`.
    pub fn date(&self, d: DateTime<Utc>) -> String {
        use chrono::Datelike;
        let month = self.t(&format!("month-{}", d.month()));
        match self.lang {
            "da" => format!("{}. {} {}", d.day(), month, d.year()),
            _ => format!("{} {} {}", d.day(), month, d.year()),
        }
    }

    /// A moment as the clock in time zone `zone` (an IANA name; UTC when unknown) shows it:
    /// `3 July 2030, 09:00` / `3. juli 2030 kl. 09:00`.
    pub fn date_time_in(&self, t: DateTime<Utc>, zone: &str) -> String {
        let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
        let local = t.with_timezone(&tz);
        self.ta(
            "date-time",
            [
                ("date", self.date(local.naive_local().and_utc())),
                ("time", local.format("%H:%M").to_string()),
            ],
        )
    }

    /// A whole integer with the language's grouping (`1,234` / `1.234`).
    pub fn int(&self, n: i64) -> String {
        let sep = if self.lang == "da" { '.' } else { ',' };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        if n < 0 {
            out.push('-');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(ch);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(
            I18n::negotiate(None, Some("da-DK,da;q=0.9,en;q=0.8")).lang,
            "da"
        );
        assert_eq!(I18n::negotiate(None, Some("fr-FR, en-GB;q=0.5")).lang, "en");
        assert_eq!(I18n::negotiate(None, Some("en;q=0.4, da;q=0.8")).lang, "da");
        assert_eq!(I18n::negotiate(Some("en"), Some("da")).lang, "en");
        assert_eq!(I18n::negotiate(Some("xx"), None).lang, "en");
        assert_eq!(I18n::negotiate(None, Some("da;q=0")).lang, "en");
    }

    #[test]
    fn moments_in_a_zone() {
        let t = DateTime::parse_from_rfc3339("2030-07-03T07:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        assert_eq!(
            I18n::new("en").date_time_in(t, "Europe/Copenhagen"),
            "3 July 2030, 09:00"
        );
        assert_eq!(
            I18n::new("da").date_time_in(t, "America/New_York"),
            "3. juli 2030 kl. 03:00"
        );
        assert_eq!(
            I18n::new("en").date_time_in(t, "Nowhere/Else"),
            "3 July 2030, 07:00"
        );
    }

    /// Every message in English exists in every other language, and none is empty.
    #[test]
    fn languages_are_complete() {
        fn keys(lang: &str) -> Vec<String> {
            let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
            let mut out = Vec::new();
            for e in std::fs::read_dir(dir).expect("locale dir") {
                let text = std::fs::read_to_string(e.expect("entry").path()).expect("ftl");
                for line in text.lines() {
                    if let Some((k, _)) = line.split_once(" =")
                        && !k.starts_with(['#', ' ', '.', '*', '['])
                        && !k.is_empty()
                    {
                        out.push(k.trim().to_string());
                    }
                }
            }
            out.sort();
            out
        }
        let en = keys("en");
        assert!(en.len() > 50);
        for (lang, _) in SUPPORTED {
            assert_eq!(keys(lang), en, "{lang} differs from en");
            let i = I18n::new(lang);
            for k in &en {
                assert!(!i.t(k).is_empty(), "{lang}:{k} empty");
            }
        }
    }
}
