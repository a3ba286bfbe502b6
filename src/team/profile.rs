//! A member's time zone and language: the choices offered (every IANA zone chrono-tz knows,
//! grouped by region for a plain `<select>`; the site's languages), their checks, and the
//! account page's profile form (`POST /account/profile`, audited `member.profile_changed`).
//!
//! The zone is the member's local time in the console ("who is around") and the zone the
//! post editor reads and shows their times in; the first language is the one the site's
//! e-mails to them use. An owner chooses both when inviting (console members page); the
//! member changes them here. `static/zone.js` suggests the browser's zone in a select marked
//! `data-zone-suggest` while the member has not touched it; without it the server's default
//! stays.

use std::sync::OnceLock;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use chrono_tz::{TZ_VARIANTS, Tz};
use http::HeaderMap;
use serde::Deserialize;

use super::account::{AccountPage, actor, csrf_ok};
use super::audit;
use super::session::CurrentMember;
use super::{Member, repo};
use crate::http::{AppError, AppState, Lang};
use crate::i18n::{I18n, SUPPORTED};

pub fn routes() -> Router<AppState> {
    Router::new().route("/account/profile", post(save_profile))
}

/// The zone stored when none is known.
pub const DEFAULT_ZONE: &str = "UTC";

/// `name` as chrono-tz spells it, if it is an IANA zone (exact spelling).
pub fn zone(name: &str) -> Option<&'static str> {
    name.trim().parse::<Tz>().ok().map(|tz| tz.name())
}

/// A site language by its code (`en`, `da`).
pub fn language(code: &str) -> Option<&'static str> {
    let code = code.trim();
    SUPPORTED.iter().map(|(c, _)| *c).find(|c| *c == code)
}

/// The first of a member's languages (`"da, en"` → `da`), `en` when none is given.
pub fn primary_language(languages: &str) -> &str {
    languages
        .split([',', ' '])
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("en")
}

/// `typed`, or `default` when nothing was typed (the invitation form's zone and language
/// default to the inviter's, also for a form sent without them).
pub fn or_default<'a>(typed: &'a str, default: &'a str) -> &'a str {
    match typed.trim() {
        "" => default,
        t => t,
    }
}

/// `first`, then the member's other languages in their order (`("da,en", "en")` →
/// `en,da`), so choosing a language keeps the rest of the preferences.
pub fn with_first(languages: &str, first: &str) -> String {
    let mut out = vec![first];
    for l in languages.split([',', ' ']).map(str::trim) {
        if !l.is_empty() && !out.contains(&l) {
            out.push(l);
        }
    }
    out.join(",")
}

/// The zones by region (`Africa`, `America`, …, sorted), each sorted by name; names without
/// a region (`GMT`, `EST5EDT`, …) come last under an empty region. `UTC` is left out (the
/// select offers it first, on its own).
fn regions() -> &'static [(&'static str, Vec<&'static str>)] {
    static REGIONS: OnceLock<Vec<(&'static str, Vec<&'static str>)>> = OnceLock::new();
    REGIONS.get_or_init(|| {
        let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
        let mut names: Vec<&'static str> = TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        names.sort_unstable();
        for name in names.into_iter().filter(|n| *n != DEFAULT_ZONE) {
            let region = name.split_once('/').map(|(r, _)| r).unwrap_or("");
            match out.iter_mut().find(|(r, _)| *r == region) {
                Some((_, zones)) => zones.push(name),
                None => out.push((region, vec![name])),
            }
        }
        out.sort_by_key(|(r, _)| (r.is_empty(), *r));
        out
    })
}

/// One `<option>` of the zone select.
pub struct ZoneOpt {
    pub name: &'static str,
    pub selected: bool,
}

/// One `<optgroup>` of the zone select.
pub struct ZoneGroup {
    pub label: String,
    pub zones: Vec<ZoneOpt>,
}

/// The zone select's options with `selected` chosen (`templates/team/fields.html`).
pub struct ZoneSelect {
    /// `UTC`, offered first on its own.
    pub utc_selected: bool,
    pub groups: Vec<ZoneGroup>,
}

impl ZoneSelect {
    pub fn new(tr: &I18n, selected: &str) -> ZoneSelect {
        ZoneSelect {
            utc_selected: selected == DEFAULT_ZONE,
            groups: regions()
                .iter()
                .map(|(region, zones)| ZoneGroup {
                    label: if region.is_empty() {
                        tr.t("profile-zone-other")
                    } else {
                        region.to_string()
                    },
                    zones: zones
                        .iter()
                        .map(|z| ZoneOpt {
                            name: z,
                            selected: *z == selected,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// One `<option>` of the language select.
pub struct LanguageOpt {
    pub code: &'static str,
    /// The language's own name (`Dansk`).
    pub name: &'static str,
    pub selected: bool,
}

/// The site's languages, `selected` chosen.
pub fn language_opts(selected: &str) -> Vec<LanguageOpt> {
    SUPPORTED
        .iter()
        .map(|(code, name)| LanguageOpt {
            code,
            name,
            selected: *code == selected,
        })
        .collect()
}

/// The account page's profile form as typed, with its errors.
#[derive(Default)]
pub struct ProfileForm {
    pub time_zone: String,
    pub language: String,
    pub zone_error: String,
    pub language_error: String,
}

impl ProfileForm {
    /// The member's profile as stored.
    pub fn of(m: &Member) -> ProfileForm {
        ProfileForm {
            time_zone: m.time_zone.clone(),
            language: primary_language(&m.languages).to_string(),
            ..Default::default()
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileFields {
    csrf: Option<String>,
    time_zone: String,
    language: String,
}

/// `POST /account/profile`: the member's time zone and language.
async fn save_profile(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: super::account::Client,
    headers: HeaderMap,
    Form(f): Form<ProfileFields>,
) -> Result<Response, AppError> {
    let mut page = AccountPage::new(&s, &tr, &cur).await?;
    page.profile.time_zone = f.time_zone.chars().take(64).collect();
    page.profile.language = f.language.chars().take(16).collect();
    page.zones = ZoneSelect::new(&tr, &page.profile.time_zone);
    page.languages = language_opts(&page.profile.language);
    // What the member sent stays as sent.
    page.zone_suggest = false;
    if !csrf_ok(&s, &headers, f.csrf.as_deref(), &cur) {
        return page.refused(tr.t("error-csrf"));
    }
    let zone = zone(&f.time_zone);
    let lang = language(&f.language);
    if zone.is_none() {
        page.profile.zone_error = tr.t("profile-zone-invalid");
    }
    if lang.is_none() {
        page.profile.language_error = tr.t("console-error-choose");
    }
    let (Some(zone), Some(lang)) = (zone, lang) else {
        return page.refused(tr.t("error-form"));
    };
    let m = &cur.member;
    let languages = with_first(&m.languages, lang);
    if zone != m.time_zone || languages != m.languages {
        repo::set_profile(&s.db, &m.id, zone, &languages).await?;
        audit::record(
            &s.db,
            &actor(m, &client),
            "member.profile_changed",
            &m.id,
            &format!("time_zone={zone} languages={languages}"),
        )
        .await?;
    }
    Ok(Redirect::to("/account?notice=profile-saved").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_checked_against_chrono_tz() {
        assert_eq!(zone("Europe/Copenhagen"), Some("Europe/Copenhagen"));
        assert_eq!(zone(" Asia/Kolkata "), Some("Asia/Kolkata"));
        assert_eq!(zone("UTC"), Some("UTC"));
        for bad in ["", "Mars/Olympus", "europe/copenhagen", "Europe/", "+02:00"] {
            assert_eq!(zone(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_zone_is_offered_once_by_region() {
        let tr = I18n::new("en");
        let select = ZoneSelect::new(&tr, "Europe/Copenhagen");
        let offered: Vec<&str> = select
            .groups
            .iter()
            .flat_map(|g| g.zones.iter().map(|z| z.name))
            .collect();
        // UTC is offered first, outside the groups.
        assert_eq!(offered.len() + 1, TZ_VARIANTS.len());
        assert!(offered.iter().all(|z| zone(z).is_some()));
        let chosen: Vec<&str> = select
            .groups
            .iter()
            .flat_map(|g| g.zones.iter().filter(|z| z.selected).map(|z| z.name))
            .collect();
        assert_eq!(chosen, ["Europe/Copenhagen"]);
        assert!(!select.utc_selected);
        let labels: Vec<&str> = select.groups.iter().map(|g| g.label.as_str()).collect();
        assert!(labels.contains(&"Europe") && labels.contains(&"America"));
        assert_eq!(labels.last(), Some(&"Other"), "names without a region last");
        assert!(ZoneSelect::new(&tr, "UTC").utc_selected);
    }

    #[test]
    fn languages() {
        assert_eq!(language("da"), Some("da"));
        assert_eq!(language("fr"), None);
        assert_eq!(primary_language("da, en"), "da");
        assert_eq!(primary_language(""), "en");
        assert_eq!(with_first("da,en", "en"), "en,da");
        assert_eq!(with_first("en", "da"), "da,en");
        assert_eq!(with_first("", "da"), "da");
        assert_eq!(or_default(" ", "en"), "en");
        assert_eq!(or_default("da", "en"), "da");
        let opts = language_opts("da");
        assert_eq!(
            opts.iter()
                .map(|o| (o.code, o.selected))
                .collect::<Vec<_>>(),
            [("en", false), ("da", true)]
        );
    }
}
