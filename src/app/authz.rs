//! Authorization for every route, in one table.
//!
//! [`RULES`] names each route (method + axum path template) and who may use it. The
//! [`enforce`] layer looks the matched route up before the handler runs: a public route
//! passes, a member route needs a complete session whose grants allow the permission
//! (somewhere — handlers then check the campaign scope with `Member::can`), and a route
//! with no rule is refused (fail closed, logged). `tests/it/authz.rs` walks this table for
//! every role.
//!
//! A form posted to an editor without a live session is not lost: before the way to sign in
//! is answered, `console::keep::signed_out` keeps its text for the member it was made for.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::Method;

use crate::http::{AppError, AppState};
use crate::team::Permission;
use crate::team::session::{CurrentMember, NoSession};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in member whose roles grant this permission (on the site or a campaign).
    Member(Permission),
    /// Any signed-in member, whatever the role (their own account pages).
    SignedIn,
}

pub struct Rule {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

const fn rule(method: Method, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

use Access::{Member as M, Public as P, SignedIn as S};
use Permission::*;

/// Every route of the application. Keep grouped by capability.
pub static RULES: &[Rule] = &[
    // Public site
    rule(Method::GET, "/", P),
    rule(Method::GET, "/campaigns/{slug}", P),
    rule(Method::GET, "/campaigns/{slug}/donors", P),
    rule(Method::GET, "/campaigns/{slug}/live", P),
    // Promotion (promotion/pages.rs): the live badge, the embeddable card, oEmbed.
    rule(Method::GET, "/campaigns/{slug}/badge.svg", P),
    rule(Method::GET, "/campaigns/{slug}/embed", P),
    rule(Method::GET, "/oembed", P),
    rule(Method::GET, "/campaigns/{slug}/share", P),
    rule(Method::GET, "/campaigns/{slug}/poster", P),
    // E-mail updates (promotion/newsletter): the form; the one-click unsubscribe is
    // privacy's, beside the consent links.
    rule(Method::GET, "/campaigns/{slug}/updates", P),
    rule(Method::POST, "/campaigns/{slug}/updates", P),
    // Referral links (anyone may make one; CSRF and a per-address limit) and the
    // supporters' leaderboard; the manage address checks its own secret.
    rule(Method::POST, "/campaigns/{slug}/links", P),
    rule(Method::GET, "/campaigns/{slug}/supporters", P),
    // Hashtag days (promotion/events): the event page and its entry form (CSRF, limited per
    // client and per event; entries wait for the team).
    rule(Method::GET, "/campaigns/{slug}/events/{event}", P),
    rule(Method::POST, "/campaigns/{slug}/events/{event}", P),
    rule(Method::GET, "/r/{code}", P),
    rule(Method::GET, "/r/{code}/manage", P),
    rule(Method::POST, "/r/{code}/manage", P),
    // Federation (federation/pages.rs): discovery, actors, collections; inboxes check the
    // request's HTTP signature themselves.
    rule(Method::GET, "/.well-known/webfinger", P),
    rule(Method::GET, "/actor", P),
    rule(Method::GET, "/actor/outbox", P),
    rule(Method::GET, "/actor/followers", P),
    rule(Method::GET, "/campaigns/{slug}/outbox", P),
    rule(Method::GET, "/campaigns/{slug}/followers", P),
    // Our actors' replies to posts elsewhere.
    rule(Method::GET, "/actor/notes/{id}", P),
    rule(Method::GET, "/campaigns/{slug}/notes/{id}", P),
    rule(Method::POST, "/campaigns/{slug}/inbox", P),
    rule(Method::POST, "/inbox", P),
    // A post's ActivityPub object (or a redirect to its page).
    rule(Method::GET, "/posts/{id}", P),
    // A live entry sent to the followers: its note (or a redirect to it on the post's page).
    rule(Method::GET, "/posts/{id}/live/{entry}", P),
    // Webmention (webmention/pages.rs): anyone may send one; rate-limited per address.
    rule(Method::POST, "/webmention", P),
    rule(Method::GET, "/webmention", P),
    rule(Method::GET, "/campaigns/{slug}/follow", P),
    rule(Method::GET, "/avatars/{key}", P),
    rule(Method::POST, "/campaigns/{slug}/donate", P),
    rule(Method::GET, "/campaigns/{slug}/thanks/{donation_id}", P),
    rule(
        Method::GET,
        "/campaigns/{slug}/checkout/{checkout_id}/return",
        P,
    ),
    // A receipt's PDF: public, but only with its signed link (donations/pages/receipt.rs).
    rule(Method::GET, "/receipts/{donation_id}", P),
    // Donor privacy (privacy/pages.rs): the data and consent pages need their signed links.
    rule(Method::GET, "/privacy/request", P),
    rule(Method::POST, "/privacy/request", P),
    rule(Method::GET, "/privacy/data", P),
    rule(Method::GET, "/privacy/data.json", P),
    rule(Method::POST, "/privacy/erase", P),
    rule(Method::GET, "/privacy/consent/confirm", P),
    rule(Method::POST, "/privacy/consent/confirm", P),
    rule(Method::GET, "/privacy/consent/withdraw", P),
    rule(Method::POST, "/privacy/consent/withdraw", P),
    rule(Method::GET, "/privacy/consent/unsubscribe", P),
    rule(Method::POST, "/privacy/consent/unsubscribe", P),
    // A monthly gift's page and its cancel button: public, but only with its signed link
    // (donations/pages/monthly.rs).
    rule(Method::GET, "/monthly/{gift_id}", P),
    rule(Method::POST, "/monthly/{gift_id}", P),
    rule(Method::GET, "/test-checkout/{session_id}", P),
    rule(Method::POST, "/test-checkout/{session_id}", P),
    rule(Method::POST, "/providers/{provider}/callback", P),
    rule(Method::GET, "/providers/paypal/return", P),
    rule(Method::GET, "/providers/paypal/cancel", P),
    rule(Method::GET, "/api/v1/campaigns", P),
    rule(Method::GET, "/api/v1/campaigns/{slug}", P),
    rule(Method::GET, "/api/openapi.json", P),
    rule(Method::GET, "/static/{file}", P),
    rule(Method::GET, "/healthz", P),
    rule(Method::GET, "/readyz", P),
    rule(Method::GET, "/metrics", P),
    rule(Method::GET, "/lang/{code}", P),
    // Team: signing in and out, invitations, password resets (team/signin.rs)
    rule(Method::GET, "/signin", P),
    rule(Method::POST, "/signin", P),
    rule(Method::GET, "/signin/link/{token}", P),
    rule(Method::GET, "/invite/{token}", P),
    rule(Method::POST, "/invite/{token}", P),
    rule(Method::GET, "/reset", P),
    rule(Method::POST, "/reset", P),
    rule(Method::GET, "/reset/{token}", P),
    rule(Method::POST, "/reset/{token}", P),
    // First run: refused without the printed token, gone once the site has members
    // (team/signin/setup.rs)
    rule(Method::GET, "/setup", P),
    rule(Method::POST, "/setup", P),
    rule(Method::POST, "/signout", S),
    rule(Method::POST, "/signout-everywhere", S),
    // Team: the second step of signing in holds only a pending session (team/totp.rs)
    rule(Method::GET, "/signin/2fa", P),
    rule(Method::POST, "/signin/2fa", P),
    rule(Method::POST, "/signin/passkey/start", P),
    rule(Method::POST, "/signin/passkey/finish", P),
    // Team: the member's own account (team/account.rs, team/profile.rs, team/totp.rs,
    // team/tokens.rs)
    rule(Method::GET, "/account", S),
    rule(Method::POST, "/account/password", S),
    rule(Method::POST, "/account/profile", S),
    rule(Method::GET, "/account/2fa", S),
    rule(Method::POST, "/account/2fa", S),
    rule(Method::POST, "/account/2fa/disable", S),
    rule(Method::POST, "/account/recovery-codes", S),
    rule(Method::POST, "/account/tokens", S),
    rule(Method::POST, "/account/tokens/{id}/revoke", S),
    rule(Method::POST, "/account/passkeys/register/start", S),
    rule(Method::POST, "/account/passkeys/register/finish", S),
    rule(Method::POST, "/account/passkeys/{id}/delete", S),
    // Team: JSON API for a token holder (team/api.rs)
    rule(Method::GET, "/api/v1/me", S),
    // Console (console/)
    rule(Method::GET, "/admin", M(ConsoleRead)),
    rule(Method::GET, "/admin/campaigns/new", M(CampaignCreate)),
    rule(Method::POST, "/admin/campaigns/new", M(CampaignCreate)),
    rule(Method::GET, "/admin/campaigns/{slug}", M(CampaignEdit)),
    rule(Method::POST, "/admin/campaigns/{slug}", M(CampaignEdit)),
    rule(
        Method::POST,
        "/admin/campaigns/{slug}/autosave",
        M(CampaignEdit),
    ),
    rule(
        Method::GET,
        "/admin/campaigns/{slug}/revisions",
        M(CampaignEdit),
    ),
    rule(
        Method::GET,
        "/admin/campaigns/{slug}/revisions/{rev}",
        M(CampaignEdit),
    ),
    rule(
        Method::POST,
        "/admin/campaigns/{slug}/revisions/{rev}/restore",
        M(CampaignEdit),
    ),
    rule(Method::GET, "/admin/donations", M(DonationsRead)),
    rule(Method::POST, "/admin/donations", M(DonationsWrite)),
    rule(Method::GET, "/admin/donations.csv", M(Export)),
    rule(Method::GET, "/admin/ledger.csv", M(Export)),
    // A donation's page: in full for DonationsRead, the wall's fields for wall moderators
    // (editors); every role that reads donations also moderates the wall.
    rule(Method::GET, "/admin/donations/{id}", M(WallModerate)),
    rule(
        Method::POST,
        "/admin/donations/{id}/void",
        M(DonationsWrite),
    ),
    rule(
        Method::POST,
        "/admin/donations/{id}/refund",
        M(DonationsWrite),
    ),
    rule(Method::POST, "/admin/donations/{id}/wall", M(WallModerate)),
    // Pledges and matching gifts: read with the donations, changed by who enters them.
    rule(Method::GET, "/admin/pledges", M(DonationsRead)),
    rule(Method::POST, "/admin/pledges", M(DonationsWrite)),
    rule(
        Method::POST,
        "/admin/pledges/{id}/fulfil",
        M(DonationsWrite),
    ),
    rule(
        Method::POST,
        "/admin/pledges/{id}/cancel",
        M(DonationsWrite),
    ),
    // Monthly gifts: read with the donations, cancelled by who enters them.
    rule(Method::GET, "/admin/monthly", M(DonationsRead)),
    rule(
        Method::POST,
        "/admin/monthly/{id}/cancel",
        M(DonationsWrite),
    ),
    rule(Method::POST, "/admin/matches", M(DonationsWrite)),
    rule(
        Method::POST,
        "/admin/matches/{id}/settle",
        M(DonationsWrite),
    ),
    rule(
        Method::POST,
        "/admin/matches/{id}/cancel",
        M(DonationsWrite),
    ),
    rule(
        Method::POST,
        "/admin/donations/{id}/receipt",
        M(DonationsWrite),
    ),
    rule(
        Method::POST,
        "/admin/donations/{id}/erase",
        M(DonationsWrite),
    ),
    rule(Method::GET, "/admin/consents.csv", M(Export)),
    // Insight: page views and what brought the money (site-wide donation readers).
    rule(Method::GET, "/admin/insight", M(DonationsRead)),
    rule(Method::GET, "/admin/insight.csv", M(Export)),
    rule(Method::GET, "/admin/wall", M(WallModerate)),
    rule(
        Method::POST,
        "/admin/settings/hold-links",
        M(SettingsManage),
    ),
    // Exchange rates (console/rates.rs): anyone in the console reads them; importing or
    // fetching is recording money's worth.
    rule(Method::GET, "/admin/rates", M(ConsoleRead)),
    rule(Method::POST, "/admin/rates/import", M(DonationsWrite)),
    rule(Method::POST, "/admin/rates/fetch", M(DonationsWrite)),
    // Backups (console/backups.rs): owners; an archive holds every donor's details and the
    // site's secrets.
    rule(Method::GET, "/admin/backups", M(SettingsManage)),
    rule(Method::POST, "/admin/backups/now", M(SettingsManage)),
    rule(Method::POST, "/admin/backups/schedule", M(SettingsManage)),
    rule(Method::GET, "/admin/backups/{name}", M(SettingsManage)),
    rule(Method::GET, "/admin/members", M(ConsoleRead)),
    rule(Method::POST, "/admin/members", M(MembersManage)),
    rule(Method::POST, "/admin/members/{id}/roles", M(MembersManage)),
    rule(Method::POST, "/admin/members/{id}/remove", M(MembersManage)),
    rule(
        Method::POST,
        "/admin/settings/require-2fa",
        M(SettingsManage),
    ),
    rule(Method::GET, "/admin/settings/site", M(SettingsManage)),
    rule(Method::POST, "/admin/settings/site", M(SettingsManage)),
    rule(
        Method::POST,
        "/admin/settings/site/picture",
        M(SettingsManage),
    ),
    // Blog: comments and likes (blog/comments.rs, blog/likes.rs, console/comments.rs)
    rule(Method::POST, "/comments", P),
    rule(Method::GET, "/comments/confirm", P),
    rule(Method::POST, "/comments/confirm", P),
    rule(Method::GET, "/posts/{id}/comments", P),
    rule(Method::GET, "/comments/unsubscribe", P),
    rule(Method::POST, "/comments/unsubscribe", P),
    rule(Method::POST, "/posts/{id}/like", P),
    rule(Method::GET, "/admin/comments", M(Moderate)),
    rule(Method::POST, "/admin/comments/blocklist", M(Moderate)),
    rule(Method::POST, "/admin/comments/{id}/moderate", M(Moderate)),
    rule(Method::POST, "/admin/comments/{id}/reply", M(Moderate)),
    // A member's own referral links (console/links.rs): any signed-in member, their own only.
    rule(Method::GET, "/admin/links", S),
    rule(Method::POST, "/admin/links", S),
    rule(Method::POST, "/admin/links/{code}", S),
    // Hashtag days (console/events.rs): events and their entries' moderation.
    rule(Method::GET, "/admin/events", M(PostsWrite)),
    rule(Method::POST, "/admin/events", M(PostsWrite)),
    rule(Method::GET, "/admin/events/{id}", M(PostsWrite)),
    rule(Method::POST, "/admin/events/{id}", M(PostsWrite)),
    rule(
        Method::POST,
        "/admin/events/{id}/entries/{entry}",
        M(PostsWrite),
    ),
    rule(Method::GET, "/admin/webmentions", M(Moderate)),
    rule(
        Method::POST,
        "/admin/webmentions/{id}/moderate",
        M(Moderate),
    ),
    rule(Method::GET, "/admin/fediverse", M(Moderate)),
    rule(Method::POST, "/admin/fediverse/approval", M(Moderate)),
    rule(Method::POST, "/admin/fediverse/requests", M(Moderate)),
    rule(Method::POST, "/admin/fediverse/blocks", M(Moderate)),
    rule(Method::POST, "/admin/fediverse/key", M(Moderate)),
    // Following accounts elsewhere and answering them speaks for the library: writers.
    rule(Method::GET, "/admin/following", M(PostsWrite)),
    rule(Method::POST, "/admin/following/follow", M(PostsWrite)),
    rule(Method::POST, "/admin/following/unfollow", M(PostsWrite)),
    rule(Method::POST, "/admin/following/react", M(PostsWrite)),
    rule(Method::POST, "/admin/following/reply", M(PostsWrite)),
    rule(Method::GET, "/admin/audit", M(AuditRead)),
    rule(Method::GET, "/admin/outbox", M(SettingsManage)),
    rule(Method::GET, "/media/{file}", P),
    // Blog (blog/): reading — pages.rs, feeds.rs, sitemap.rs
    rule(Method::GET, "/blog", P),
    rule(Method::GET, "/blog/", P),
    rule(Method::GET, "/search", P),
    rule(Method::GET, "/tag/{p1}/", P),
    rule(Method::GET, "/category/{p1}/", P),
    rule(Method::GET, "/author/{p1}/", P),
    rule(Method::GET, "/{p1}/", P),
    rule(Method::POST, "/{p1}/", P),
    rule(Method::GET, "/{p1}/{p2}/", P),
    // Posts under a configurable permalink pattern (blog/permalink.rs) may have two or three
    // segments too, and a protected one takes its password form at its own path.
    rule(Method::POST, "/{p1}/{p2}/", P),
    rule(Method::GET, "/{p1}/{p2}/{p3}/", P),
    rule(Method::POST, "/{p1}/{p2}/{p3}/", P),
    rule(Method::GET, "/{p1}/{p2}/{p3}/{p4}/", P),
    rule(Method::POST, "/{p1}/{p2}/{p3}/{p4}/", P),
    rule(Method::GET, "/feed.atom", P),
    rule(Method::GET, "/feed.xml", P),
    rule(Method::GET, "/feed.json", P),
    rule(Method::GET, "/tag/{p1}/feed.atom", P),
    rule(Method::GET, "/tag/{p1}/feed.xml", P),
    rule(Method::GET, "/tag/{p1}/feed.json", P),
    rule(Method::GET, "/category/{p1}/feed.atom", P),
    rule(Method::GET, "/category/{p1}/feed.xml", P),
    rule(Method::GET, "/category/{p1}/feed.json", P),
    rule(Method::GET, "/campaigns/{slug}/feed.atom", P),
    rule(Method::GET, "/campaigns/{slug}/feed.xml", P),
    rule(Method::GET, "/campaigns/{slug}/feed.json", P),
    rule(Method::GET, "/sitemap.xml", P),
    rule(Method::GET, "/robots.txt", P),
    // Blog: writing (console/posts/, blog/api.rs). Editors and members (contributors) alike;
    // handlers apply `blog::write::access` (campaign scope, author, status: members write
    // their own drafts and submit them for review, editors publish). Revisions are the
    // editors' (PostsWrite on the post's campaign).
    rule(Method::GET, "/admin/posts", M(WriteOwnDrafts)),
    rule(Method::GET, "/admin/posts/new", M(WriteOwnDrafts)),
    rule(Method::POST, "/admin/posts/new", M(WriteOwnDrafts)),
    rule(Method::GET, "/admin/posts/{id}", M(WriteOwnDrafts)),
    rule(Method::POST, "/admin/posts/{id}", M(WriteOwnDrafts)),
    rule(Method::POST, "/admin/posts/new/autosave", M(WriteOwnDrafts)),
    rule(
        Method::POST,
        "/admin/posts/{id}/autosave",
        M(WriteOwnDrafts),
    ),
    // Live coverage of an event (console/live.rs): editors of the post.
    rule(Method::GET, "/admin/posts/{id}/live", M(PostsWrite)),
    rule(Method::POST, "/admin/posts/{id}/live", M(PostsWrite)),
    rule(Method::GET, "/admin/posts/{id}/revisions", M(PostsWrite)),
    rule(
        Method::GET,
        "/admin/posts/{id}/revisions/{rev}",
        M(PostsWrite),
    ),
    rule(
        Method::POST,
        "/admin/posts/{id}/revisions/{rev}/restore",
        M(PostsWrite),
    ),
    rule(Method::POST, "/api/v1/posts", M(WriteOwnDrafts)),
    rule(Method::GET, "/api/v1/posts/{id}", M(WriteOwnDrafts)),
];

/// The rule for a route, if it has one.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    RULES.iter().find(|r| r.method == *method && r.path == path)
}

pub async fn enforce(State(s): State<AppState>, req: Request, next: Next) -> Response {
    // The route's template, shared (a reference count), not copied.
    let Some(matched) = req.extensions().get::<MatchedPath>().cloned() else {
        return next.run(req).await;
    };
    let path = matched.as_str();
    let Some(rule) = rule_for(req.method(), path) else {
        // A method the route does not serve: the router answers 405 with `Allow`.
        if RULES.iter().any(|r| r.path == path) {
            return next.run(req).await;
        }
        tracing::error!(method = %req.method(), %path, "route has no access rule; refused");
        return AppError::Internal(anyhow::anyhow!("route {path} has no access rule"))
            .into_response();
    };
    match rule.access {
        Access::Public => next.run(req).await,
        Access::SignedIn | Access::Member(_) => {
            let (mut parts, body) = req.into_parts();
            let current = match CurrentMember::from_request_parts(&mut parts, &s).await {
                Ok(c) => c,
                Err(NoSession::SignIn(_))
                    if parts.method == Method::POST && crate::console::keep::keeps(path) =>
                {
                    return crate::console::keep::signed_out(&s, path, parts, body).await;
                }
                Err(rejection) => return rejection.into_response(),
            };
            if let Access::Member(p) = rule.access
                && !current.member.can_somewhere(p)
            {
                return AppError::Forbidden.into_response();
            }
            next.run(Request::from_parts(parts, body)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULES;

    /// Every first path segment a route uses is kept from imported pages' slugs and from the
    /// blog's permalink patterns (the blog's own `/blog` excepted: posts may live under it),
    /// so neither can shadow a page of the application. Files (`robots.txt`) and the
    /// permalinks' own `{p1}` are not segments a slug or pattern can take.
    #[test]
    fn every_first_segment_is_reserved_for_imports_and_permalinks() {
        let mut missing = Vec::new();
        for r in RULES {
            let first = r
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            if first.is_empty() || first.contains('.') || first.starts_with('{') {
                continue;
            }
            if !crate::import::wordpress::is_reserved_slug(first) {
                missing.push(format!("importer: {first}"));
            }
            if first != "blog" && !shelfraiser_formats::permalink::is_reserved(first) {
                missing.push(format!("permalinks: {first}"));
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "not reserved: {missing:?}");
    }
}
