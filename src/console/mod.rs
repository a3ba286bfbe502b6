//! The team console under `/admin`: dashboard, campaign editor, donations (list, detail,
//! offline entry, CSV export), members, the audit log and the mail outbox; plus the public
//! `/media/{file}` route that serves uploaded images.
//!
//! Every route also has its rule in `http::authz::RULES` (the layer checks that the member
//! holds the permission somewhere); each handler then checks the campaign scope with
//! [`Member::can`](crate::team::Member::can) wherever a campaign is involved. Every form
//! carries a CSRF token bound to the session ([`Req::csrf_ok`]); a refused token re-shows the
//! form with 422 and changes nothing.

pub mod audit;
pub mod campaign_store;
pub mod campaigns;
pub mod comments;
pub mod dashboard;
pub mod donations;
pub mod media;
pub mod members;
pub mod posts;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::routing::{get, post};
use chrono::Utc;
use http::HeaderMap;
use http::request::Parts;

use crate::campaigns::pages::PageCtx;
use crate::http::{AppState, client_ip, csrf, lang_of};
use crate::i18n::I18n;
use crate::team::Permission;
use crate::team::audit::Actor;
use crate::team::session::CurrentMember;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::show))
        .route(
            "/admin/campaigns/{slug}",
            get(campaigns::edit).post(campaigns::save),
        )
        .route(
            "/admin/donations",
            get(donations::list).post(donations::add_offline),
        )
        .route("/admin/donations.csv", get(donations::export))
        .route("/admin/donations/{id}", get(donations::detail))
        .route("/admin/members", get(members::list).post(members::invite))
        .route("/admin/members/{id}/roles", post(members::roles))
        .route("/admin/members/{id}/remove", post(members::remove))
        .route("/admin/settings/require-2fa", post(members::require_2fa))
        .route("/admin/comments", get(comments::list))
        .route("/admin/comments/blocklist", post(comments::blocklist))
        .route("/admin/comments/{id}/moderate", post(comments::moderate))
        .route("/admin/comments/{id}/reply", post(comments::reply))
        .route("/admin/audit", get(audit::list))
        .route("/admin/outbox", get(audit::outbox))
        .route("/admin/posts", get(posts::list))
        .route("/admin/posts/new", get(posts::new).post(posts::create))
        .route("/admin/posts/{id}", get(posts::edit).post(posts::save))
        .route("/media/{file}", get(media::serve))
        // Room for one cover image plus the editor's text fields; the image itself is
        // checked against `media::MAX_UPLOAD_BYTES` (413) when it is read.
        .layer(DefaultBodyLimit::max(media::MAX_UPLOAD_BYTES + 512 * 1024))
}

/// What every console handler needs from the request besides the member: the language,
/// the headers (for the CSRF origin check) and where the request came from (for the audit
/// log).
pub struct Req {
    pub tr: I18n,
    pub headers: HeaderMap,
    pub path: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Req {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        // The client's address: the peer, or what a trusted proxy forwarded.
        let ip = client_ip::client_ip(parts, &s.proxies).text();
        Ok(Req {
            tr: lang_of(&parts.headers),
            headers: parts.headers.clone(),
            path: parts.uri.path().to_string(),
            ip,
            user_agent: client_ip::user_agent(&parts.headers),
        })
    }
}

impl Req {
    /// The audit log's "who and from where" for this member's request.
    pub fn actor(&self, me: &CurrentMember) -> Actor {
        Actor {
            member_id: Some(me.member.id.clone()),
            label: me.member.email.clone(),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }

    /// Both CSRF checks for a console form: same origin, and a token bound to this session.
    pub fn csrf_ok(&self, s: &AppState, me: &CurrentMember, token: Option<&str>) -> bool {
        csrf::check_bound(
            &s.csrf,
            &self.headers,
            token,
            &me.session.id_hash,
            Utc::now(),
        )
    }
}

/// The answer for a member who must set up two-factor before using the console (the site
/// requires it of owners and treasurers): a redirect to `/account/2fa`. `None` lets them in.
pub async fn enrollment_gate(s: &AppState, me: &CurrentMember) -> Option<axum::response::Response> {
    if crate::team::totp::must_enroll(&me.member, &s.db).await {
        Some(crate::team::totp::enroll_redirect())
    } else {
        None
    }
}

/// A link in the console's navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The console layout's context (`templates/console/layout.html`).
pub struct Shell {
    pub page: PageCtx,
    pub console_css: String,
    pub nav: Vec<NavLink>,
    pub member_name: String,
    /// A fresh token bound to the session, for every form on the page.
    pub csrf: String,
}

impl Shell {
    /// `section` is the navigation entry to mark as current (its href).
    pub fn new(s: &AppState, r: &Req, me: &CurrentMember, section: &str) -> Shell {
        let m = &me.member;
        let tr = &r.tr;
        let nav = [
            (
                "/admin",
                "console-nav-dashboard",
                m.can_somewhere(Permission::ConsoleRead),
            ),
            (
                "/admin/donations",
                "console-nav-donations",
                m.can_somewhere(Permission::DonationsRead),
            ),
            (
                "/admin/comments",
                "console-nav-comments",
                m.can_somewhere(Permission::Moderate),
            ),
            (
                "/admin/posts",
                "console-nav-posts",
                m.can_somewhere(Permission::PostsWrite),
            ),
            (
                "/admin/members",
                "console-nav-members",
                m.can_somewhere(Permission::ConsoleRead),
            ),
            (
                "/admin/audit",
                "console-nav-audit",
                m.can(Permission::AuditRead, None),
            ),
            (
                "/admin/outbox",
                "console-nav-outbox",
                m.can(Permission::SettingsManage, None),
            ),
        ];
        Shell {
            page: PageCtx::new(s, tr, back_path(&r.path)),
            console_css: s.assets.url("console.css").to_string(),
            nav: nav
                .into_iter()
                .filter(|(_, _, shown)| *shown)
                .map(|(href, label, _)| NavLink {
                    href,
                    label: tr.t(label),
                    current: href == section,
                })
                .collect(),
            member_name: m.display_name.clone(),
            csrf: s.csrf.token_bound(&me.session.id_hash, Utc::now()),
        }
    }
}

/// Where the language switcher returns to: the page itself, or for the member actions
/// (which answer only POST) the members page.
fn back_path(path: &str) -> &str {
    if path.starts_with("/admin/members/") || path.starts_with("/admin/settings/") {
        "/admin/members"
    } else {
        path
    }
}

/// Field → message, for marking form fields.
#[derive(Debug, Default, Clone)]
pub struct Errors(pub HashMap<&'static str, String>);

impl Errors {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.entry(field).or_insert(message);
    }
}

/// A posted form's fields, in order (repeated names kept, for checkboxes).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The last value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// `get` cut to `max` characters (what is shown again in a re-rendered form).
    pub fn text(&self, name: &str, max: usize) -> String {
        self.get(name).chars().take(max).collect()
    }
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
    pub fn csrf(&self) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
    }
}

/// The `page` query parameter of a paged list: 1 when missing or not a number, at most
/// 100 000.
pub fn page_no(p: Option<&str>) -> i64 {
    p.and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000)
}

/// `?a=b&c=d` for links that keep a list's filters (values percent-encoded).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let enc = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A member's local time, for "who is around now".
pub struct LocalTime {
    /// `14:05`.
    pub time: String,
    /// The IANA zone as stored (or `UTC` when it is not a known zone).
    pub zone: String,
    /// Between 07:00 and 21:59 local time.
    pub day: bool,
}

pub fn local_time(zone: &str, now: chrono::DateTime<Utc>) -> LocalTime {
    use chrono::Timelike;
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let t = now.with_timezone(&tz);
    LocalTime {
        time: t.format("%H:%M").to_string(),
        zone: tz.name().to_string(),
        day: (7..22).contains(&t.hour()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_times() {
        let now = Utc
            .with_ymd_and_hms(2024, 6, 28, 12, 0, 0)
            .single()
            .expect("t");
        let cph = local_time("Europe/Copenhagen", now);
        assert_eq!((cph.time.as_str(), cph.day), ("14:00", true));
        let la = local_time("America/Los_Angeles", now);
        assert_eq!((la.time.as_str(), la.day), ("05:00", false));
        let bad = local_time("Mars/Olympus", now);
        assert_eq!((bad.zone.as_str(), bad.time.as_str()), ("UTC", "12:00"));
    }

    #[test]
    fn query_strings() {
        assert_eq!(query_string(&[("a", ""), ("b", "")]), "");
        assert_eq!(query_string(&[("q", "a b&c"), ("x", "")]), "?q=a%20b%26c");
    }
}
