//! Webmention (W3C Recommendation): other sites telling us they link to a post or a campaign
//! page, and our posts telling the pages they link to.
//!
//! **Receiving** (`POST /webmention`, [`pages`]): the form's `source` and `target` are checked
//! at once ([`check`]: both `http(s)`, different, the target under our base URL and naming a
//! public post — by its permalink, an old slug or its stable `/posts/{id}` — or a public
//! campaign page, or a published event page of one, `/campaigns/{slug}/events/{event}`,
//! kept as a mention of the campaign); a refusal is
//! 400 with a short reason. Otherwise the mention is stored `pending` (a re-sent one keeps
//! its row) and a [`verify`] job is queued: 202. Senders are rate-limited per address like
//! the comment form. The endpoint is advertised on every public page by a `Link` header and
//! `<link rel="webmention">`.
//!
//! **Verifying** ([`verify::run_job`], in the background, through the guarded outbound
//! client, so private addresses are never fetched): the source must still link to the target
//! exactly (relative links resolved). Its microformats (`shelfraiser_formats::microformats`)
//! give the author, title, text, date and kind. A post's replies and mentions become blog
//! comments of kind `webmention` and its likes and reposts `post_reactions` rows, both
//! through the blog's domain API (`blog::remote`), which moderates them like comments; a
//! campaign's mentions are held for approval in the console (`/admin/webmentions`) unless
//! their author had one approved before, and approved ones appear on the campaign page under
//! "What people are writing". A mention of a published event page also becomes a pending
//! entry of the event (source `webmention`, through `promotion::events`: its link the
//! source, its title the entry's name or the page's title, its name the author's).
//! A source answering 410, or no longer linking, takes the mention down (and a still-pending
//! entry).
//!
//! **Sending** ([`send`]): after a post is published or updated, each page it links to (on
//! other hosts) is asked for its endpoint (`Link` header, then `<link>`/`<a rel=webmention>`)
//! and notified, one job per page; pages it linked to before and no longer does are notified
//! too (so they can take the mention down).

pub mod pages;
pub mod repo;
pub mod send;
pub mod verify;

use chrono::{DateTime, Utc};
use url::Url;

use crate::blog::permalink::Permalinks;
use crate::db::{Db, DbResult};

pub use repo::{Shown, Status, Webmention};

/// The longest `source` or `target` taken (characters).
pub const MAX_URL: usize = 2_000;
/// Mentions received per address within [`RATE_WINDOW`] unless the site setting says
/// otherwise.
pub const RATE_LIMIT_DEFAULT: i64 = 20;
pub const RATE_SETTING: &str = "webmention_rate_limit";
pub const RATE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);
/// Mentions shown on a campaign page.
pub const ON_CAMPAIGN_PAGE: i64 = 10;

/// What a target names on this site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Post(String),
    Campaign(String),
}

/// Why a mention was refused at once (the 400's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingSource,
    MissingTarget,
    BadSource,
    BadTarget,
    Same,
    NotOurs,
    UnknownTarget,
}

impl Refusal {
    /// A short machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::MissingSource => "missing_source",
            Refusal::MissingTarget => "missing_target",
            Refusal::BadSource => "bad_source",
            Refusal::BadTarget => "bad_target",
            Refusal::Same => "same_source_and_target",
            Refusal::NotOurs => "target_not_on_this_site",
            Refusal::UnknownTarget => "target_not_found",
        }
    }

    /// The reason in words (English: senders are programs).
    pub fn message(self) -> &'static str {
        match self {
            Refusal::MissingSource => "The source is missing.",
            Refusal::MissingTarget => "The target is missing.",
            Refusal::BadSource => "The source must be an http or https URL.",
            Refusal::BadTarget => "The target must be an http or https URL.",
            Refusal::Same => "The source and the target are the same.",
            Refusal::NotOurs => "The target is not on this site.",
            Refusal::UnknownTarget => "The target is not a public post or campaign page here.",
        }
    }
}

/// The endpoint's address under the base URL.
pub fn endpoint(base_url: &str) -> String {
    format!("{}/webmention", base_url.trim_end_matches('/'))
}

/// The `Link` header every public page carries.
pub fn link_header(base_url: &str) -> String {
    format!("<{}>; rel=\"webmention\"", endpoint(base_url))
}

/// An `http(s)` URL without credentials, at most [`MAX_URL`] characters.
pub fn web_url(s: &str) -> Option<Url> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_URL {
        return None;
    }
    let u = Url::parse(s).ok()?;
    (matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some()
        && u.username().is_empty()
        && u.password().is_none())
    .then_some(u)
}

/// The path of `target` under `base` (scheme, host and port equal, the path below the base's
/// path), or `None` when the target is not ours.
pub fn our_path(base: &Url, target: &Url) -> Option<String> {
    if base.scheme() != target.scheme()
        || base.host_str().map(str::to_ascii_lowercase)
            != target.host_str().map(str::to_ascii_lowercase)
        || base.port_or_known_default() != target.port_or_known_default()
    {
        return None;
    }
    let prefix = base.path().trim_end_matches('/');
    let rest = target.path().strip_prefix(prefix)?;
    if !rest.starts_with('/') {
        return None;
    }
    Some(rest.to_string())
}

/// Whether `u` is on our own host and port (a link our posts never notify).
pub fn on_our_host(base: &Url, u: &Url) -> bool {
    base.host_str().map(str::to_ascii_lowercase) == u.host_str().map(str::to_ascii_lowercase)
        && base.port_or_known_default() == u.port_or_known_default()
}

/// Checks a received mention: both URLs, different, the target ours and public.
pub async fn check(
    db: &Db,
    links: &Permalinks,
    base_url: &str,
    source: &str,
    target: &str,
) -> DbResult<Result<(Url, Url, Target), Refusal>> {
    if source.trim().is_empty() {
        return Ok(Err(Refusal::MissingSource));
    }
    if target.trim().is_empty() {
        return Ok(Err(Refusal::MissingTarget));
    }
    let Some(s) = web_url(source) else {
        return Ok(Err(Refusal::BadSource));
    };
    let Some(t) = web_url(target) else {
        return Ok(Err(Refusal::BadTarget));
    };
    if s == t {
        return Ok(Err(Refusal::Same));
    }
    let Some(path) = Url::parse(base_url).ok().and_then(|b| our_path(&b, &t)) else {
        return Ok(Err(Refusal::NotOurs));
    };
    Ok(match target_at(db, links, &path).await? {
        Some(found) => Ok((s, t, found)),
        None => Err(Refusal::UnknownTarget),
    })
}

/// The public post or campaign page at `path` (a path on this site, percent-encoded).
pub async fn target_at(db: &Db, links: &Permalinks, path: &str) -> DbResult<Option<Target>> {
    if let Some(rest) = path.strip_prefix("/campaigns/") {
        let rest = rest.trim_end_matches('/');
        // A published event's page of a public campaign: a mention of the campaign, which
        // the verification also offers the event as an entry.
        if let Some((slug, event)) = event_page(rest) {
            let found = crate::campaigns::repo::by_slug(db, slug).await?;
            let Some(c) = found.filter(|c| c.state != crate::campaigns::CampaignState::Draft)
            else {
                return Ok(None);
            };
            let published = crate::promotion::events::published(db, &c.id, event).await?;
            return Ok(published.map(|_| Target::Campaign(c.id)));
        }
        let slug = rest;
        if slug.is_empty() || slug.contains('/') {
            return Ok(None);
        }
        let found = crate::campaigns::repo::by_slug(db, slug).await?;
        return Ok(found
            .filter(|c| c.state != crate::campaigns::CampaignState::Draft)
            .map(|c| Target::Campaign(c.id)));
    }
    // A post's stable address (what our own notifications and federation name).
    if let Some(id) = path.strip_prefix("/posts/") {
        let id = id.trim_end_matches('/');
        if id.is_empty() || id.contains('/') {
            return Ok(None);
        }
        return Ok(crate::blog::remote::public_post(db, id)
            .await?
            .map(|p| Target::Post(p.id)));
    }
    Ok(crate::blog::remote::public_post_at(db, links, path)
        .await?
        .map(|p| Target::Post(p.id)))
}

/// `{slug}/events/{event}` (what follows `/campaigns/` in an event page's path) as the
/// campaign's and the event's slugs.
pub fn event_page(rest: &str) -> Option<(&str, &str)> {
    let mut parts = rest.trim_end_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(slug), Some("events"), Some(event), None)
            if !slug.is_empty() && !event.is_empty() =>
        {
            Some((slug, event))
        }
        _ => None,
    }
}

/// The client's address as the rate limit counts it (IPv6 by /64).
pub fn client_key(ip: Option<&str>) -> String {
    crate::team::throttle::ip_key(ip.unwrap_or(""))
}

/// Whether this address has sent as many mentions as the site allows within
/// [`RATE_WINDOW`].
pub async fn rate_limited(db: &Db, key: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let limit = db
        .setting_as::<i64>(RATE_SETTING)
        .await?
        .unwrap_or(RATE_LIMIT_DEFAULT);
    Ok(repo::received_since(db, key, now - RATE_WINDOW).await? >= limit)
}

/// Stores a checked mention (`pending`; a re-sent one keeps its row and, unless it was marked
/// spam, is verified again) and queues its verification. Returns the mention's id.
pub async fn receive(
    db: &Db,
    source: &Url,
    target: &Url,
    found: &Target,
    client: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let id =
        repo::upsert_received(db, source.as_str(), target.as_str(), found, client, now).await?;
    verify::enqueue(db, &id, now).await?;
    Ok(id)
}

/// What a moderator may do to a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Show a held campaign mention (a post's replies are approved as comments).
    Approve,
    /// Mark as spam: hidden, never shown again, its sender's re-sends ignored.
    Spam,
    /// Delete it (a re-send starts afresh).
    Delete,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Approve, Action::Spam, Action::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Spam => "spam",
            Action::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether the action applies to this mention.
    pub fn offered_for(self, w: &Webmention) -> bool {
        match self {
            Action::Approve => {
                matches!(w.on, Target::Campaign(_))
                    && matches!(w.status, Status::Verified | Status::Spam)
            }
            Action::Spam => w.status != Status::Spam,
            Action::Delete => true,
        }
    }
}

/// Applies a moderator's action; `false` when it does not apply to this mention. Spam and
/// delete also take down what the mention put on a post.
pub async fn moderate(db: &Db, w: &Webmention, action: Action) -> anyhow::Result<bool> {
    if !action.offered_for(w) {
        return Ok(false);
    }
    match action {
        Action::Approve => repo::set_status(db, &w.id, Status::Approved, "").await?,
        Action::Spam => {
            verify::take_down(db, w).await?;
            repo::set_status(db, &w.id, Status::Spam, "").await?;
        }
        Action::Delete => {
            verify::take_down(db, w).await?;
            repo::delete(db, &w.id).await?;
        }
    }
    Ok(true)
}

/// The campaign whose moderators may moderate this mention: the campaign's, or the post's
/// campaign (`None`: the site's).
pub async fn scope(db: &Db, w: &Webmention) -> DbResult<Option<String>> {
    Ok(match &w.on {
        Target::Campaign(c) => Some(c.clone()),
        Target::Post(p) => crate::blog::repo::by_id(db, p)
            .await?
            .and_then(|p| p.campaign_id),
    })
}
