//! The team console under `/admin`: dashboard, campaign editor and "New campaign", posts,
//! revisions, donations (list, detail, offline entry, void, CSV export), the donor wall's
//! moderation, members, the audit log and the mail outbox; plus the public `/media/{file}`
//! route that serves uploaded images.
//!
//! Body limits: the editors (multipart, with image uploads) take up to
//! [`upload::EDITOR_BODY_MAX`]; a bigger body is read to its end and the form shown again with
//! what was typed and why (`http::limits::soft_cap`). Their autosave endpoints take
//! [`AUTOSAVE_BODY_MAX`], every other console form [`FORM_BODY_MAX`].
//!
//! Every route also has its rule in `app::authz::RULES` (the layer checks that the member
//! holds the permission somewhere); each handler takes a [`Console`] (signed in, two-factor
//! set up where required) and then checks the campaign scope with
//! [`Member::can`](crate::team::Member::can) wherever a campaign is involved. Every form
//! carries a CSRF token bound to the session ([`Console::csrf_ok`]); a refused token re-shows
//! the form with 422 and changes nothing.

pub mod audit;
pub mod backups;
pub mod campaigns;
pub mod comments;
pub mod consents;
pub mod dashboard;
pub mod donations;
pub mod events;
pub mod fediverse;
pub mod following;
pub mod form;
pub mod insight;
pub mod keep;
pub mod links;
pub mod live;
pub mod members;
pub mod monthly;
pub mod pledges;
pub mod posts;
pub mod rates;
pub mod revisions;
pub mod site;
pub mod upload;
pub mod wall;
pub mod webmentions;

pub use crate::web::form::{Errors, Fields, page_no, query_string};
pub use crate::web::request::Req;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use http::request::Parts;

use crate::http::{AppState, limits};
use crate::team::Permission;
use crate::team::audit::Actor;
use crate::team::session::CurrentMember;
use crate::web::PageCtx;

/// The largest body of an editor's autosave (text only: the longest post body is 200,000
/// characters).
pub const AUTOSAVE_BODY_MAX: usize = 2 * 1024 * 1024;
/// The largest body of any other console form.
pub const FORM_BODY_MAX: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    let editors = Router::new()
        .route(
            "/admin/campaigns/{slug}",
            get(campaigns::edit).post(campaigns::save),
        )
        .route("/admin/posts/new", get(posts::new).post(posts::create))
        .route("/admin/posts/{id}", get(posts::edit).post(posts::save))
        .route("/admin/posts/{id}/live", get(live::page).post(live::act))
        .route("/admin/rates/import", post(rates::import))
        .route("/admin/settings/site/picture", post(site::picture))
        .layer(middleware::from_fn_with_state(
            upload::EDITOR_BODY_MAX,
            limits::soft_cap,
        ))
        .layer(DefaultBodyLimit::disable());
    let autosaves = Router::new()
        .route("/admin/posts/new/autosave", post(keep::new_post))
        .route("/admin/posts/{id}/autosave", post(keep::post))
        .route("/admin/campaigns/{slug}/autosave", post(keep::campaign))
        .layer(DefaultBodyLimit::max(AUTOSAVE_BODY_MAX));
    Router::new()
        .route("/admin", get(dashboard::show))
        .route(
            "/admin/campaigns/new",
            get(campaigns::new::form).post(campaigns::new::create),
        )
        .route(
            "/admin/campaigns/{slug}/revisions",
            get(revisions::campaign_list),
        )
        .route(
            "/admin/campaigns/{slug}/revisions/{rev}",
            get(revisions::campaign_show),
        )
        .route(
            "/admin/campaigns/{slug}/revisions/{rev}/restore",
            post(revisions::campaign_restore),
        )
        .route("/admin/posts/{id}/revisions", get(revisions::post_list))
        .route(
            "/admin/posts/{id}/revisions/{rev}",
            get(revisions::post_show),
        )
        .route(
            "/admin/posts/{id}/revisions/{rev}/restore",
            post(revisions::post_restore),
        )
        .route(
            "/admin/donations",
            get(donations::list).post(donations::add_offline),
        )
        .route("/admin/donations.csv", get(donations::export))
        .route("/admin/ledger.csv", get(donations::export_ledger))
        .route("/admin/donations/{id}", get(donations::detail))
        .route("/admin/donations/{id}/void", post(donations::void))
        .route("/admin/donations/{id}/refund", post(donations::refund))
        .route("/admin/donations/{id}/wall", post(donations::moderate_wall))
        .route(
            "/admin/pledges",
            get(pledges::list).post(pledges::add_pledge),
        )
        .route("/admin/pledges/{id}/fulfil", post(pledges::fulfil))
        .route("/admin/pledges/{id}/cancel", post(pledges::cancel_pledge))
        .route("/admin/matches", post(pledges::add_match))
        .route("/admin/matches/{id}/settle", post(pledges::settle))
        .route("/admin/matches/{id}/cancel", post(pledges::cancel_match))
        .route("/admin/monthly", get(monthly::list))
        .route("/admin/monthly/{id}/cancel", post(monthly::cancel))
        .route(
            "/admin/donations/{id}/receipt",
            post(donations::resend_receipt),
        )
        .route("/admin/donations/{id}/erase", post(donations::erase_donor))
        .route("/admin/consents.csv", get(consents::export))
        .route("/admin/insight", get(insight::show))
        .route("/admin/insight.csv", get(insight::export))
        .route("/admin/wall", get(wall::show))
        .route("/admin/settings/hold-links", post(wall::hold_links))
        .route("/admin/members", get(members::list).post(members::invite))
        .route("/admin/members/{id}/roles", post(members::roles))
        .route("/admin/members/{id}/remove", post(members::remove))
        .route("/admin/settings/require-2fa", post(members::require_2fa))
        .route("/admin/settings/site", get(site::show).post(site::save))
        .route("/admin/comments", get(comments::list))
        .route("/admin/fediverse", get(fediverse::show))
        .route("/admin/fediverse/approval", post(fediverse::approval))
        .route("/admin/fediverse/requests", post(fediverse::request))
        .route("/admin/fediverse/blocks", post(fediverse::blocks))
        .route("/admin/fediverse/key", post(fediverse::key))
        .route("/admin/following", get(following::show))
        .route("/admin/following/follow", post(following::follow))
        .route("/admin/following/unfollow", post(following::unfollow))
        .route("/admin/following/react", post(following::react))
        .route("/admin/following/reply", post(following::reply))
        .route("/admin/comments/blocklist", post(comments::blocklist))
        .route("/admin/comments/{id}/moderate", post(comments::moderate))
        .route("/admin/comments/{id}/reply", post(comments::reply))
        .route("/admin/events", get(events::list).post(events::create))
        .route("/admin/events/{id}", get(events::edit).post(events::save))
        .route("/admin/events/{id}/entries/{entry}", post(events::moderate))
        .route("/admin/links", get(links::list).post(links::create))
        .route("/admin/links/{code}", post(links::delete))
        .route("/admin/webmentions", get(webmentions::list))
        .route(
            "/admin/webmentions/{id}/moderate",
            post(webmentions::moderate),
        )
        .route("/admin/audit", get(audit::list))
        .route("/admin/outbox", get(audit::outbox))
        .route("/admin/rates", get(rates::show))
        .route("/admin/backups", get(backups::show))
        .route("/admin/backups/now", post(backups::now))
        .route("/admin/backups/schedule", post(backups::set_schedule))
        .route("/admin/backups/{name}", get(backups::download))
        .route("/admin/rates/fetch", post(rates::fetch_now))
        .route("/admin/posts", get(posts::list))
        .route("/media/{file}", get(crate::media::serve))
        .layer(DefaultBodyLimit::max(FORM_BODY_MAX))
        .merge(editors)
        .merge(autosaves)
}

/// What every console handler starts from: a signed-in member (else the sign-in redirect)
/// who has set up two-factor where the site requires it of their roles (else the redirect to
/// `/account/2fa`), with the request and the state.
pub struct Console {
    pub s: AppState,
    pub me: CurrentMember,
    pub r: Req,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let me = CurrentMember::from_request_parts(parts, s)
            .await
            .map_err(IntoResponse::into_response)?;
        let Ok(r) = Req::from_request_parts(parts, s).await;
        if crate::team::totp::must_enroll(&me.member, &s.db).await {
            return Err(crate::team::totp::enroll_redirect());
        }
        Ok(Console {
            s: s.clone(),
            me,
            r,
        })
    }
}

impl Console {
    /// Both CSRF checks for a posted form: same origin, and `token` bound to this session.
    /// A refused form is shown again with 422 and changes nothing.
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        crate::http::csrf::check_bound(
            &self.s.csrf,
            &self.r.headers,
            token,
            &self.me.session.id_hash,
            Utc::now(),
        )
    }

    /// The layout's context, with `section` (a navigation href) marked as current.
    pub fn shell(&self, section: &str) -> Shell {
        Shell::new(&self.s, &self.r, &self.me, section)
    }

    /// The audit log's "who and from where" for this request.
    pub fn actor(&self) -> Actor {
        Actor {
            member_id: Some(self.me.member.id.clone()),
            label: self.me.member.email.clone(),
            ip: self.r.ip.clone(),
            user_agent: self.r.user_agent.clone(),
        }
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
    /// "New campaign" in the dashboard (owners).
    pub can_create_campaigns: bool,
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
                "/admin/insight",
                "console-nav-insight",
                m.can(Permission::DonationsRead, None),
            ),
            (
                "/admin/wall",
                "console-nav-wall",
                m.can_somewhere(Permission::WallModerate),
            ),
            (
                "/admin/comments",
                "console-nav-comments",
                m.can_somewhere(Permission::Moderate),
            ),
            (
                "/admin/fediverse",
                "console-nav-fediverse",
                m.can(Permission::Moderate, None),
            ),
            (
                "/admin/following",
                "console-nav-following",
                m.can(Permission::PostsWrite, None),
            ),
            (
                "/admin/webmentions",
                "console-nav-webmentions",
                m.can_somewhere(Permission::Moderate),
            ),
            (
                "/admin/events",
                "console-nav-events",
                m.can_somewhere(Permission::PostsWrite),
            ),
            ("/admin/links", "console-nav-links", true),
            (
                "/admin/posts",
                "console-nav-posts",
                m.can_somewhere(Permission::WriteOwnDrafts),
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
                "/admin/rates",
                "console-nav-rates",
                m.can_somewhere(Permission::ConsoleRead),
            ),
            (
                "/admin/backups",
                "console-nav-backups",
                m.can(Permission::SettingsManage, None),
            ),
            (
                "/admin/outbox",
                "console-nav-outbox",
                m.can(Permission::SettingsManage, None),
            ),
            (
                "/admin/settings/site",
                "console-nav-site-settings",
                m.can(Permission::SettingsManage, None),
            ),
        ];
        Shell {
            page: PageCtx::new(s, tr, back_path(&r.path)),
            console_css: s.assets.url("console.css").to_string(),
            can_create_campaigns: m.can(Permission::CampaignCreate, None),
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

/// Where the language switcher returns to: the page itself, or for the actions that answer
/// only POST the page they belong to (a donation's wall form: the donation; the hold-links
/// setting: the wall; the member actions and other settings: the members page).
fn back_path(path: &str) -> &str {
    if path.starts_with("/admin/donations/")
        && let Some(donation) = path.strip_suffix("/wall")
    {
        donation
    } else if path.starts_with("/admin/donations/")
        && let Some(donation) = path.strip_suffix("/refund")
    {
        donation
    } else if path == "/admin/settings/hold-links" {
        "/admin/wall"
    } else if path == "/admin/settings/site" {
        path
    } else if path.starts_with("/admin/members/") || path.starts_with("/admin/settings/") {
        "/admin/members"
    } else {
        path
    }
}

/// The part of a member's day, by the hour on their clock (decided for "who is around"):
/// night 22:00–05:59, morning 06:00–11:59, afternoon 12:00–16:59, evening 17:00–21:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOfDay {
    Night,
    Morning,
    Afternoon,
    Evening,
}

impl PartOfDay {
    pub fn of_hour(hour: u32) -> PartOfDay {
        match hour {
            6..=11 => PartOfDay::Morning,
            12..=16 => PartOfDay::Afternoon,
            17..=21 => PartOfDay::Evening,
            _ => PartOfDay::Night,
        }
    }

    /// `morning`, … (the CSS class `part-…`).
    pub fn as_str(self) -> &'static str {
        match self {
            PartOfDay::Night => "night",
            PartOfDay::Morning => "morning",
            PartOfDay::Afternoon => "afternoon",
            PartOfDay::Evening => "evening",
        }
    }

    /// The message key of its name.
    pub fn key(self) -> &'static str {
        match self {
            PartOfDay::Night => "console-part-night",
            PartOfDay::Morning => "console-part-morning",
            PartOfDay::Afternoon => "console-part-afternoon",
            PartOfDay::Evening => "console-part-evening",
        }
    }

    /// A sun while it is light-ish, a moon in the evening and at night (shown beside the
    /// name, hidden from screen readers).
    pub fn icon(self) -> &'static str {
        match self {
            PartOfDay::Morning | PartOfDay::Afternoon => "☀",
            PartOfDay::Evening | PartOfDay::Night => "☾",
        }
    }
}

/// A member's local time, for "who is around now".
pub struct LocalTime {
    /// `14:05`.
    pub time: String,
    /// The zone's abbreviation at that moment (`CET` in winter, `CEST` in summer), or its
    /// offset where it has none (`+0545`).
    pub abbr: String,
    /// The IANA zone as stored (or `UTC` when it is not a known zone).
    pub zone: String,
    pub part: PartOfDay,
}

/// The time on the clock of someone in `zone` at `now` (chrono-tz: daylight saving time
/// included).
pub fn local_time(zone: &str, now: chrono::DateTime<Utc>) -> LocalTime {
    use chrono::Timelike;
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let t = now.with_timezone(&tz);
    LocalTime {
        time: t.format("%H:%M").to_string(),
        abbr: t.format("%Z").to_string(),
        zone: tz.name().to_string(),
        part: PartOfDay::of_hour(t.hour()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(rfc3339: &str) -> chrono::DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn seen(zone: &str, utc: &str) -> (String, String, PartOfDay) {
        let l = local_time(zone, at(utc));
        (l.time, l.abbr, l.part)
    }

    #[test]
    fn local_times() {
        let now = Utc
            .with_ymd_and_hms(2024, 6, 28, 12, 0, 0)
            .single()
            .expect("t");
        let cph = local_time("Europe/Copenhagen", now);
        assert_eq!(
            (cph.time.as_str(), cph.part),
            ("14:00", PartOfDay::Afternoon)
        );
        let la = local_time("America/Los_Angeles", now);
        assert_eq!((la.time.as_str(), la.part), ("05:00", PartOfDay::Night));
        let bad = local_time("Mars/Olympus", now);
        assert_eq!((bad.zone.as_str(), bad.time.as_str()), ("UTC", "12:00"));
    }

    #[test]
    fn twenty_hundred_is_evening_in_summer_and_winter() {
        use PartOfDay::*;
        let e = |t: &str, a: &str| (t.to_string(), a.to_string(), Evening);
        // 18:00 UTC is 20:00 in Copenhagen in summer (UTC+2), 19:00 in winter (UTC+1).
        assert_eq!(
            seen("Europe/Copenhagen", "2024-07-01T18:00:00Z"),
            e("20:00", "CEST")
        );
        assert_eq!(
            seen("Europe/Copenhagen", "2024-01-15T19:00:00Z"),
            e("20:00", "CET")
        );
        assert_eq!(
            seen("America/New_York", "2024-07-02T00:00:00Z"),
            e("20:00", "EDT")
        );
        assert_eq!(
            seen("Asia/Kolkata", "2024-07-01T14:30:00Z"),
            e("20:00", "IST")
        );
    }

    #[test]
    fn clocks_changing_move_the_local_time() {
        use PartOfDay::*;
        let s = |t: &str, a: &str, p| (t.to_string(), a.to_string(), p);
        // Copenhagen springs forward at 01:00 UTC on 31 March 2024: 01:59 CET, then 03:00 CEST.
        let cph = "Europe/Copenhagen";
        assert_eq!(seen(cph, "2024-03-31T00:59:00Z"), s("01:59", "CET", Night));
        assert_eq!(seen(cph, "2024-03-31T01:00:00Z"), s("03:00", "CEST", Night));
        assert_eq!(
            seen(cph, "2024-03-31T04:00:00Z"),
            s("06:00", "CEST", Morning)
        );
        // … and falls back at 01:00 UTC on 27 October 2024: 02:59 CEST, then 02:00 CET.
        assert_eq!(seen(cph, "2024-10-27T00:59:00Z"), s("02:59", "CEST", Night));
        assert_eq!(seen(cph, "2024-10-27T01:00:00Z"), s("02:00", "CET", Night));
        assert_eq!(
            seen(cph, "2024-10-27T16:00:00Z"),
            s("17:00", "CET", Evening)
        );
        // New York springs forward at 07:00 UTC on 10 March 2024 (a week before Europe):
        // 16:00 UTC is noon on one side of it and 11:00 on the other.
        let ny = "America/New_York";
        assert_eq!(seen(ny, "2024-03-09T16:00:00Z"), s("11:00", "EST", Morning));
        assert_eq!(
            seen(ny, "2024-03-10T16:00:00Z"),
            s("12:00", "EDT", Afternoon)
        );
        // A zone with no daylight saving time keeps its offset.
        let ktm = "Asia/Kathmandu";
        assert_eq!(
            seen(ktm, "2024-01-15T06:15:00Z"),
            s("12:00", "+0545", Afternoon)
        );
    }

    #[test]
    fn parts_of_the_day_by_the_hour() {
        use PartOfDay::*;
        let parts: Vec<PartOfDay> = (0..24).map(PartOfDay::of_hour).collect();
        let mut want = vec![Night; 6];
        want.extend([Morning; 6]);
        want.extend([Afternoon; 5]);
        want.extend([Evening; 5]);
        want.extend([Night; 2]);
        assert_eq!(parts, want);
    }

    #[test]
    fn the_language_switcher_returns_to_a_page_that_answers_get() {
        assert_eq!(back_path("/admin/donations/d1/wall"), "/admin/donations/d1");
        assert_eq!(back_path("/admin/donations/d1"), "/admin/donations/d1");
        assert_eq!(back_path("/admin/settings/hold-links"), "/admin/wall");
        assert_eq!(back_path("/admin/settings/require-2fa"), "/admin/members");
        assert_eq!(back_path("/admin/members/m1/roles"), "/admin/members");
    }
}
