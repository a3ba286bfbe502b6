//! Languages: every user-facing string is a Project Fluent message in `locales/<lang>/*.ftl`.
//!
//! Adding a language is adding one folder of `.ftl` files and its name to [`SUPPORTED`]
//! and to the formats crate's `money::LANGUAGES`, with its number style there
//! (`money::NumberFormat::of`); a test checks that every language has one.
//! The language is chosen from the `lang` cookie (set by the visible switcher), then from
//! `Accept-Language`, then the site's default language ([`site::Site`]), then English.
//!
//! A request's translator carries the site's identity ([`I18n::with_site`]): the message
//! `site-name` is then the configured name, and the footer says it.

pub mod site;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use unic_langid::LanguageIdentifier;

use rust_decimal::Decimal;

use crate::money::{
    Money, MoneyError, NumberFormat, format_decimal, format_money, format_money_full, format_number,
};

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
    /// The site's identity, when this translator is a request's (or a message's that knows
    /// the site); without it the product's own name is used.
    site: Option<Arc<site::Site>>,
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
            site: None,
        }
    }

    /// The same language, speaking for `site`.
    pub fn with_site(mut self, site: Arc<site::Site>) -> I18n {
        self.site = Some(site);
        self
    }

    /// The site's identity this translator carries, if any.
    pub fn site(&self) -> Option<&site::Site> {
        self.site.as_deref()
    }

    /// The site's name: the configured one, else the product's (`site-name`).
    pub fn site_name(&self) -> String {
        match self.site.as_deref().and_then(site::Site::name) {
            Some(n) => n.to_string(),
            None => LOCALES.lookup(&self.id, "site-name"),
        }
    }

    /// The footer's line: the name and the site's description when one is configured, else
    /// the name and the product's own words.
    pub fn footer_text(&self) -> String {
        let name = self.site_name();
        match self.site.as_deref() {
            Some(s) if !s.description.is_empty() => format!("{name} — {}", s.description),
            _ => self.ta("footer-text", [("site", name)]),
        }
    }

    /// The address the footer shows (empty when none is configured).
    pub fn footer_address(&self) -> &str {
        self.site.as_deref().map_or("", |s| s.footer.as_str())
    }

    /// [`I18n::negotiate`] for a request to `site`: the site's default language when the
    /// visitor asks for none we have, and the translator carries the identity.
    pub fn negotiate_for(
        cookie: Option<&str>,
        accept_language: Option<&str>,
        site: Option<Arc<site::Site>>,
    ) -> I18n {
        let fallback = site.as_deref().and_then(|s| s.language).unwrap_or("en");
        let tr = I18n::negotiate_or(cookie, accept_language, fallback);
        match site {
            Some(s) => tr.with_site(s),
            None => tr,
        }
    }

    /// Chooses from a `lang` cookie value and an `Accept-Language` header.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> I18n {
        I18n::negotiate_or(cookie, accept_language, "en")
    }

    /// Chooses from the cookie and the header, else `fallback`.
    fn negotiate_or(cookie: Option<&str>, accept_language: Option<&str>, fallback: &str) -> I18n {
        if let Some(c) = cookie
            && SUPPORTED.iter().any(|(s, _)| *s == c)
        {
            return I18n::new(c);
        }
        for tag in preferences(accept_language.unwrap_or("")) {
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            if let Some((c, _)) = SUPPORTED.iter().find(|(s, _)| *s == primary) {
                return I18n::new(c);
            }
        }
        I18n::new(fallback)
    }

    /// The message `key` (`site-name`: the site's configured name, [`I18n::site_name`]).
    pub fn t(&self, key: &str) -> String {
        if key == "site-name" {
            return self.site_name();
        }
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

    /// The amount as a number without a symbol, as a form field shows it (`1,000.50` /
    /// `1.000,50`); it reads back as the same amount.
    pub fn amount(&self, m: Money) -> String {
        format_number(m, self.lang)
    }

    /// How this language writes numbers: what typed amounts are read with
    /// (`Money::parse_localized`).
    pub fn number_format(&self) -> NumberFormat {
        NumberFormat::of(self.lang)
    }

    /// An exchange rate with five significant digits in the language's style
    /// (`0.0094833` / `0,0094833`).
    pub fn rate(&self, r: Decimal) -> String {
        format_decimal(r, self.lang, 5)
    }

    /// The localized message for an amount that could not be read.
    pub fn money_error(&self, e: &MoneyError) -> String {
        match e {
            MoneyError::Empty => self.t("error-amount-empty"),
            MoneyError::NotPositive => self.t("error-amount-not-positive"),
            MoneyError::TooManyDecimals { currency, exponent } if *exponent == 0 => self.ta(
                "error-amount-no-decimals",
                &[("currency", currency.to_string())],
            ),
            MoneyError::TooManyDecimals { currency, exponent } => self.ta(
                "error-amount-decimals",
                &[
                    ("currency", currency.to_string()),
                    ("places", exponent.to_string()),
                ],
            ),
            MoneyError::Ambiguous { small, large } => {
                let p = 10_i64.pow(u32::from(large.currency.exponent()));
                self.ta(
                    "error-amount-ambiguous",
                    &[
                        ("small", format_money_full(*small, self.lang)),
                        ("large", self.money(*large)),
                        ("small_typed", self.amount(*small)),
                        ("large_typed", (large.amount_minor / p).to_string()),
                    ],
                )
            }
            MoneyError::TooLarge => self.t("error-amount-too-large-plain"),
            MoneyError::UnknownCurrency(_) => self.t("error-currency-unknown"),
            _ => self.t("error-amount-not-number"),
        }
    }

    /// A date in the language's usual form: `28 June 2024` / `28. juni 2024`.
    pub fn date(&self, d: DateTime<Utc>) -> String {
        self.day(d.date_naive())
    }

    /// A calendar day in the language's usual form (as [`I18n::date`]).
    pub fn day(&self, d: NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.t(&format!("month-{}", d.month()));
        match self.lang {
            "da" => format!("{}. {} {}", d.day(), month, d.year()),
            _ => format!("{} {} {}", d.day(), month, d.year()),
        }
    }

    /// A month of a year: `June 2024` / `juni 2024`.
    pub fn month_of(&self, year: i32, month: u32) -> String {
        format!("{} {year}", self.t(&format!("month-{month}")))
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
        let sep = self.number_format().group;
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

/// The language tags of an `Accept-Language` header, most wanted first (`q=0` left out).
fn preferences(header: &str) -> Vec<&str> {
    let mut prefs: Vec<(f32, &str)> = header
        .split(',')
        .filter_map(|part| {
            let mut it = part.trim().split(';');
            let tag = it.next()?.trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0 && !tag.is_empty()).then_some((q, tag))
        })
        .collect();
    // A stable sort: equal weights keep the header's order.
    prefs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    prefs.into_iter().map(|(_, t)| t).collect()
}

/// Languages spoken mainly in one country that has its own currency: a tag without a
/// region (`da`, which many browsers in Denmark send) stands for that country. Languages of
/// many countries (`en`, `es`, `fr`, `de`, `pt`, `ar`…) stand for none.
const LANGUAGE_REGIONS: &[(&str, &str)] = &[
    ("cs", "CZ"),
    ("da", "DK"),
    ("hu", "HU"),
    ("is", "IS"),
    ("ja", "JP"),
    ("ko", "KR"),
    ("nb", "NO"),
    ("nn", "NO"),
    ("no", "NO"),
    ("pl", "PL"),
    ("sv", "SE"),
    ("th", "TH"),
];

/// The visitor's region: the two-letter region subtag of the most wanted language tag in
/// an `Accept-Language` header (`en-IN` → `IN`, `zh-Hant-TW` → `TW`), upper-cased; for a tag
/// without one, the country of a language spoken mainly there (`da` → `DK`, see
/// `LANGUAGE_REGIONS`). `None` otherwise (`en`, `es-419`): later tags are fallbacks for
/// reading, not where the visitor is.
pub fn region(accept_language: Option<&str>) -> Option<String> {
    let tag = *preferences(accept_language?).first()?;
    let mut subtags = tag.split(['-', '_']);
    let language = subtags.next()?;
    if !(2..=3).contains(&language.len()) {
        return None;
    }
    let mut rest = subtags.take_while(|s| s.len() != 1).peekable();
    if rest.peek().is_none() {
        let language = language.to_ascii_lowercase();
        return LANGUAGE_REGIONS
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, r)| (*r).to_string());
    }
    rest.find(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
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
    fn the_site_speaks_through_the_translator() {
        let site = Arc::new(site::Site {
            name: "Friends of Kalpakkam Library".into(),
            description: "Books for the village".into(),
            language: Some("da"),
            timezone: "UTC".into(),
            footer: "Main Road 1".into(),
            ..Default::default()
        });
        // No language asked for that we have: the site's.
        let tr = I18n::negotiate_for(None, Some("fr"), Some(site.clone()));
        assert_eq!(tr.lang, "da");
        assert_eq!(tr.t("site-name"), "Friends of Kalpakkam Library");
        assert_eq!(
            tr.footer_text(),
            "Friends of Kalpakkam Library — Books for the village"
        );
        assert_eq!(tr.footer_address(), "Main Road 1");
        assert_eq!(
            I18n::negotiate_for(None, Some("en-GB"), Some(site)).lang,
            "en"
        );
        let plain = I18n::new("en");
        assert_eq!(plain.t("site-name"), "Shelfraiser");
        assert!(plain.footer_text().starts_with("Shelfraiser — "));
    }

    #[test]
    fn regions() {
        assert_eq!(region(Some("en-IN,en;q=0.9")).as_deref(), Some("IN"));
        assert_eq!(
            region(Some("da-DK,da;q=0.9,en-US;q=0.8")).as_deref(),
            Some("DK")
        );
        assert_eq!(region(Some("en;q=0.5, de-de")).as_deref(), Some("DE"));
        assert_eq!(region(Some("zh-Hant-TW")).as_deref(), Some("TW"));
        assert_eq!(region(Some("da, en-US;q=0.7")).as_deref(), Some("DK"));
        assert_eq!(region(Some("SV")).as_deref(), Some("SE"));
        assert_eq!(region(Some("en, en-IN;q=0.7")), None);
        assert_eq!(region(Some("es")), None);
        assert_eq!(region(Some("es-419")), None);
        assert_eq!(region(Some("x-IN")), None);
        assert_eq!(region(None), None);
    }

    /// Every interface language has its own number style in the formats crate.
    #[test]
    fn every_language_has_a_number_style() {
        for (lang, _) in SUPPORTED {
            assert!(crate::money::LANGUAGES.contains(lang), "{lang}");
        }
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
