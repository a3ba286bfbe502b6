//! The site's identity: its name, short description, default language, time zone and the
//! address its footer shows. Kept in the `settings` table (keys `site.*`, written by the
//! first-run setup, `shelfraiser setup` and the console's site settings) and read by every
//! page through the per-request [`I18n`](super::I18n): `tr.t("site-name")` is the configured
//! name, the footer says the name and description, and a visitor whose browser asks for no
//! language we have gets the site's.
//!
//! Each node keeps the identity in memory ([`SiteCache`], one per `AppState`, never a process
//! global) and reads it again when it is older than [`SiteCache::TTL`], so a change made on
//! one node (or by the command line) reaches every node within seconds; the node that made
//! the change takes it at once ([`SiteCache::put`]).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{Db, DbResult};

/// The settings keys.
pub const NAME: &str = "site.name";
pub const DESCRIPTION: &str = "site.description";
pub const LANGUAGE: &str = "site.language";
pub const TIMEZONE: &str = "site.timezone";
pub const FOOTER: &str = "site.footer";
pub const LOGO: &str = "site.logo";
pub const ICON: &str = "site.icon";

/// The longest name, description and footer address.
pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 300;
pub const MAX_FOOTER: usize = 300;

/// The site's identity as configured; empty texts mean "not set" (the product's own name
/// and footer text are shown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub name: String,
    pub description: String,
    /// One of [`super::SUPPORTED`], or `None`: English.
    pub language: Option<&'static str>,
    /// An IANA zone name (chrono-tz), `UTC` when not set.
    pub timezone: String,
    /// The address (or any short line) the footer shows.
    pub footer: String,
    /// The logo shown in the header before the name: an uploaded picture's path
    /// (`/media/…`), empty when there is none. Set apart from the other fields
    /// ([`Site::set_picture`]).
    pub logo: String,
    /// The icon browsers show in tabs and bookmarks (a 192 px square), likewise.
    pub icon: String,
}

/// A stored picture path, if it is one of ours (`/media/<file>`).
fn media_path(v: &str) -> String {
    let v = v.trim();
    let ok = v.strip_prefix("/media/").is_some_and(|f| {
        !f.is_empty()
            && f.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    });
    if ok { v.to_string() } else { String::new() }
}

/// What is wrong with a typed identity: the field and the message key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteProblem {
    pub field: &'static str,
    pub key: &'static str,
}

/// Text on one line: control characters (line breaks too) dropped, trimmed.
pub fn one_line(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// A supported interface language by code.
pub fn language(code: &str) -> Option<&'static str> {
    let code = code.trim();
    super::SUPPORTED
        .iter()
        .map(|(c, _)| *c)
        .find(|c| *c == code)
}

/// An IANA time zone by name, as chrono-tz spells it.
pub fn zone(name: &str) -> Option<&'static str> {
    name.trim()
        .parse::<chrono_tz::Tz>()
        .ok()
        .map(|tz| tz.name())
}

impl Site {
    /// A site from typed values, checked: the name is required (at most [`MAX_NAME`]
    /// characters), the description and footer are optional and bounded, the language one
    /// we speak, the zone a known IANA zone. Every field at fault, in the form's order.
    pub fn checked(
        name: &str,
        description: &str,
        lang: &str,
        timezone: &str,
        footer: &str,
    ) -> Result<Site, Vec<SiteProblem>> {
        let mut problems = Vec::new();
        let mut fault = |field, key| problems.push(SiteProblem { field, key });
        let name = one_line(name);
        if name.is_empty() {
            fault("site_name", "site-error-name-required");
        } else if name.chars().count() > MAX_NAME {
            fault("site_name", "site-error-name-long");
        }
        let description = one_line(description);
        if description.chars().count() > MAX_DESCRIPTION {
            fault("site_description", "site-error-description-long");
        }
        let language = language(lang);
        if language.is_none() {
            fault("site_language", "site-error-language");
        }
        let tz = if timezone.trim().is_empty() {
            Some("UTC")
        } else {
            zone(timezone)
        };
        if tz.is_none() {
            fault("site_timezone", "site-error-timezone");
        }
        let footer = one_line(footer);
        if footer.chars().count() > MAX_FOOTER {
            fault("site_footer", "site-error-footer-long");
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Site {
            name,
            description,
            language,
            timezone: tz.unwrap_or("UTC").to_string(),
            footer,
            ..Default::default()
        })
    }

    /// The identity as stored (absent keys: not set).
    pub async fn load(db: &Db) -> DbResult<Site> {
        let get = |k| async move { db.setting(k).await.map(Option::unwrap_or_default) };
        Ok(Site {
            name: one_line(&get(NAME).await?),
            description: one_line(&get(DESCRIPTION).await?),
            language: language(&get(LANGUAGE).await?),
            timezone: zone(&get(TIMEZONE).await?).unwrap_or("UTC").to_string(),
            footer: one_line(&get(FOOTER).await?),
            logo: media_path(&get(LOGO).await?),
            icon: media_path(&get(ICON).await?),
        })
    }

    /// Sets or clears (`None`) the logo ([`LOGO`]) or the icon ([`ICON`]).
    pub async fn set_picture(db: &Db, key: &str, path: Option<&str>) -> DbResult<()> {
        db.set_setting(key, path.map(media_path).unwrap_or_default())
            .await
    }

    /// Stores every field (one row each; each write also bumps the blog's cache version,
    /// migration 0009, so every node's kept blog pages and feeds are rendered again).
    pub async fn save(&self, db: &Db) -> DbResult<()> {
        db.set_setting(NAME, &self.name).await?;
        db.set_setting(DESCRIPTION, &self.description).await?;
        db.set_setting(LANGUAGE, self.language.unwrap_or("en"))
            .await?;
        db.set_setting(TIMEZONE, &self.timezone).await?;
        db.set_setting(FOOTER, &self.footer).await?;
        Ok(())
    }

    /// The name shown, if one is configured.
    pub fn name(&self) -> Option<&str> {
        (!self.name.is_empty()).then_some(self.name.as_str())
    }
}

/// A node's copy of the identity, read again after [`SiteCache::TTL`].
#[derive(Default)]
pub struct SiteCache {
    kept: RwLock<Option<(Arc<Site>, Instant)>>,
    /// One re-read at a time; the others answer with what is kept meanwhile.
    reading: tokio::sync::Mutex<()>,
}

impl SiteCache {
    /// How long a node answers with its copy before reading the settings again: what it
    /// takes a change made elsewhere to show everywhere.
    pub const TTL: Duration = Duration::from_secs(2);

    fn kept(&self) -> Option<(Arc<Site>, Instant)> {
        self.kept.read().ok().and_then(|k| k.clone())
    }

    /// The identity, from memory while fresh. A failed read keeps the old copy (or the
    /// default one) and is logged: pages are still served.
    pub async fn get(&self, db: &Db) -> Arc<Site> {
        let kept = self.kept();
        if let Some((site, at)) = &kept
            && at.elapsed() < Self::TTL
        {
            return site.clone();
        }
        let _guard = match (&kept, self.reading.try_lock()) {
            (_, Ok(g)) => g,
            // Someone is reading it now: the kept copy meanwhile.
            (Some((site, _)), Err(_)) => return site.clone(),
            (None, Err(_)) => self.reading.lock().await,
        };
        if let Some((site, at)) = self.kept()
            && at.elapsed() < Self::TTL
        {
            return site;
        }
        match Site::load(db).await {
            Ok(site) => self.put(site),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the site's identity");
                let site = kept.map(|(s, _)| s).unwrap_or_default();
                if let Ok(mut k) = self.kept.write() {
                    *k = Some((site.clone(), Instant::now()));
                }
                site
            }
        }
    }

    /// Takes `site` as the identity now (after this node changed it).
    pub fn put(&self, site: Site) -> Arc<Site> {
        let site = Arc::new(site);
        if let Ok(mut k) = self.kept.write() {
            *k = Some((site.clone(), Instant::now()));
        }
        site
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_every_field() {
        let ok = Site::checked(
            " Friends of the Library ",
            "Books for all",
            "da",
            "Europe/Copenhagen",
            "Main St 1",
        )
        .expect("valid");
        assert_eq!(ok.name, "Friends of the Library");
        assert_eq!(ok.language, Some("da"));
        assert_eq!(ok.timezone, "Europe/Copenhagen");
        let bad = Site::checked("", &"x".repeat(301), "xx", "Mars/Base", "").expect_err("invalid");
        let fields: Vec<_> = bad.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "site_name",
                "site_description",
                "site_language",
                "site_timezone"
            ]
        );
        assert_eq!(
            Site::checked("A\nB", "", "en", "", "")
                .expect("valid")
                .timezone,
            "UTC"
        );
    }
}
