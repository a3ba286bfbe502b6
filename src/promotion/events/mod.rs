//! Hashtag days and challenges: an awareness day's event page of a campaign,
//! `/campaigns/{slug}/events/{event}` — its date, hashtag, call to action and challenge
//! (Markdown, sanitized), and the entries supporters send (a link, its title, an optional
//! name). Entries arrive pending; the team approves, rejects or marks them favourite in the
//! console (`console::events`); approved ones show as the event page's gallery, favourites
//! first.
//!
//! * `pages`: the public event page and its entry form (CSRF, limited per client and per
//!   event); [`repo`]: the store (`campaign_events`, `event_entries`).

pub mod fediverse;
pub mod pages;
pub mod repo;

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, DbResult};

/// The longest hashtag (without '#').
pub const HASHTAG_MAX: usize = 60;
/// The longest event title and entry title.
pub const TITLE_MAX: usize = 200;
/// The longest entry name.
pub const NAME_MAX: usize = 80;
/// The longest entry link.
pub const URL_MAX: usize = 2000;
/// The longest call to action or challenge (Markdown).
pub const TEXT_MAX: usize = 20_000;
/// How near an event's day a post from elsewhere must be to enter it: from this many days
/// before the day to this many after (the post's publication day, UTC).
pub const NEAR_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    Draft,
    Published,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Draft => "draft",
            EventState::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<EventState> {
        match s {
            "draft" => Some(EventState::Draft),
            "published" => Some(EventState::Published),
            _ => None,
        }
    }
}

/// An event of a campaign.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub campaign_id: String,
    pub slug: String,
    pub title: String,
    pub day: NaiveDate,
    /// Without its '#'.
    pub hashtag: String,
    pub call_md: String,
    pub challenge_md: String,
    pub state: EventState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An event as typed in the console, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    pub slug: String,
    pub title: String,
    pub day: NaiveDate,
    pub hashtag: String,
    pub call_md: String,
    pub challenge_md: String,
    pub state: EventState,
}

/// Why a field was refused: the field and the message key.
pub type FieldError = (&'static str, &'static str);

/// A hashtag as kept: without its leading '#', 1–[`HASHTAG_MAX`] letters, digits and
/// underscores, not digits only (`#2024` is no tag on the fediverse).
pub fn hashtag(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    let ok = !t.is_empty()
        && t.chars().count() <= HASHTAG_MAX
        && t.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !t.chars().all(|c| c.is_ascii_digit());
    ok.then(|| t.to_string())
}

/// An entry's link as kept: an absolute http or https address with a host.
pub fn entry_url(s: &str) -> Result<String, &'static str> {
    let t = s.trim();
    if t.is_empty() {
        return Err("events-error-url-missing");
    }
    if t.len() > URL_MAX {
        return Err("events-error-url-long");
    }
    match url::Url::parse(t) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(u.to_string())
        }
        Ok(_) => Err("events-error-url-scheme"),
        Err(_) => Err("events-error-url-invalid"),
    }
}

/// Text as kept: trimmed, control characters out, at most `max` characters.
pub fn clean_line(s: &str, max: usize) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Checks an event as typed (`day` as `YYYY-MM-DD`).
#[allow(clippy::too_many_arguments)]
pub fn check(
    slug: &str,
    title: &str,
    day: &str,
    tag: &str,
    call_md: &str,
    challenge_md: &str,
    state: &str,
) -> Result<EventFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let slug = slug.trim();
    if crate::campaigns::Slug::parse(slug).is_err() {
        errors.push(("slug", "events-error-slug"));
    }
    let title = clean_line(title, TITLE_MAX);
    if title.is_empty() {
        errors.push(("title", "events-error-title"));
    }
    let day = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok();
    if day.is_none() {
        errors.push(("day", "events-error-day"));
    }
    let tag = hashtag(tag);
    if tag.is_none() {
        errors.push(("hashtag", "events-error-hashtag"));
    }
    for (field, text) in [("call", call_md), ("challenge", challenge_md)] {
        if text.chars().count() > TEXT_MAX {
            errors.push((field, "events-error-text-long"));
        } else if shelfraiser_formats::markdown::check(text).is_err() {
            errors.push((field, "events-error-text"));
        }
    }
    let state = EventState::parse(state);
    if state.is_none() {
        errors.push(("state", "events-error-state"));
    }
    match (day, tag, state) {
        (Some(day), Some(hashtag), Some(state)) if errors.is_empty() => Ok(EventFields {
            slug: slug.to_string(),
            title,
            day,
            hashtag,
            call_md: call_md.trim().to_string(),
            challenge_md: challenge_md.trim().to_string(),
            state,
        }),
        _ => Err(errors),
    }
}

/// Creates an event of `campaign_id`; `None` when the campaign has an event with that slug.
pub async fn create(
    db: &Db,
    campaign_id: &str,
    f: &EventFields,
    now: DateTime<Utc>,
) -> DbResult<Option<Event>> {
    let e = Event {
        id: uuid::Uuid::new_v4().simple().to_string(),
        campaign_id: campaign_id.to_string(),
        slug: f.slug.clone(),
        title: f.title.clone(),
        day: f.day,
        hashtag: f.hashtag.clone(),
        call_md: f.call_md.clone(),
        challenge_md: f.challenge_md.clone(),
        state: f.state,
        created_at: now,
        updated_at: now,
    };
    Ok(repo::insert_event(db, &e).await?.then_some(e))
}

/// Saves an event's fields; `false` when another event of its campaign has the slug.
pub async fn update(db: &Db, id: &str, f: &EventFields, now: DateTime<Utc>) -> DbResult<bool> {
    repo::update_event(db, id, f, now).await
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Event>> {
    repo::event(db, id).await
}

/// A campaign's event `slug`, whatever its state.
pub async fn of_campaign(db: &Db, campaign_id: &str, slug: &str) -> DbResult<Option<Event>> {
    repo::event_by_slug(db, campaign_id, slug).await
}

/// A campaign's published event `slug`.
pub async fn published(db: &Db, campaign_id: &str, slug: &str) -> DbResult<Option<Event>> {
    Ok(repo::event_by_slug(db, campaign_id, slug)
        .await?
        .filter(|e| e.state == EventState::Published))
}

/// Every event, newest day first.
pub async fn list(db: &Db) -> DbResult<Vec<Event>> {
    repo::events(db, None).await
}

/// The event the campaign page links to: the next published one from `today` on, else the
/// latest past one.
pub async fn featured(db: &Db, campaign_id: &str, today: NaiveDate) -> DbResult<Option<Event>> {
    let mut all: Vec<Event> = repo::events(db, Some(campaign_id))
        .await?
        .into_iter()
        .filter(|e| e.state == EventState::Published)
        .collect();
    all.sort_by_key(|e| e.day);
    let next = all.iter().find(|e| e.day >= today).cloned();
    Ok(next.or_else(|| all.pop()))
}

// ---------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    Pending,
    Approved,
    Rejected,
}

impl EntryStatus {
    pub const ALL: [EntryStatus; 3] = [
        EntryStatus::Pending,
        EntryStatus::Approved,
        EntryStatus::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "pending",
            EntryStatus::Approved => "approved",
            EntryStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<EntryStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Form,
    Fediverse,
    Webmention,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Fediverse => "fediverse",
            Source::Webmention => "webmention",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub event_id: String,
    pub source: String,
    /// What names the entry at its source (a note's id, a Webmention's source; empty for
    /// the form).
    pub source_key: String,
    pub url: String,
    pub title: String,
    pub name: String,
    pub status: EntryStatus,
    pub favourite: bool,
    pub received_at: DateTime<Utc>,
}

/// Stores a pending entry; `false` when the event has that link already (nothing changes).
/// `source_key` names it at its source (see [`Entry::source_key`]).
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &Db,
    event_id: &str,
    source: Source,
    source_key: &str,
    url: &str,
    title: &str,
    name: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let e = Entry {
        id: uuid::Uuid::new_v4().simple().to_string(),
        event_id: event_id.to_string(),
        source: source.as_str().to_string(),
        source_key: source_key.to_string(),
        url: url.to_string(),
        title: clean_line(title, TITLE_MAX),
        name: clean_line(name, NAME_MAX),
        status: EntryStatus::Pending,
        favourite: false,
        received_at: now,
    };
    repo::insert_entry(db, &e).await
}

/// Deletes the still-pending entries `key` names at `source` (of `event_id`, or of any
/// event); the number deleted. Moderated entries stay: the team decided on them.
pub async fn withdraw_pending(
    db: &Db,
    source: Source,
    key: &str,
    event_id: Option<&str>,
) -> DbResult<u64> {
    repo::delete_pending(db, source.as_str(), key, event_id).await
}

/// Whether a post published on `on` is near enough the event's `day` to enter it: at most
/// [`NEAR_DAYS`] days before or after.
pub fn is_near(day: NaiveDate, on: NaiveDate) -> bool {
    (day - on).num_days().abs() <= NEAR_DAYS
}

/// The published event of `campaign_id` whose hashtag is one of `tags` (compared without
/// regard to case, as the fediverse does) and whose day is at most [`NEAR_DAYS`] from `on`;
/// the nearest day wins.
pub async fn near(
    db: &Db,
    campaign_id: &str,
    tags: &[String],
    on: NaiveDate,
) -> DbResult<Option<Event>> {
    let tags: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
    let mut found: Vec<Event> = repo::events(db, Some(campaign_id))
        .await?
        .into_iter()
        .filter(|e| e.state == EventState::Published)
        .filter(|e| tags.contains(&e.hashtag.to_lowercase()))
        .filter(|e| is_near(e.day, on))
        .collect();
    found.sort_by_key(|e| ((e.day - on).num_days().abs(), e.day));
    Ok(found.into_iter().next())
}

/// An event's entries of one status, newest first.
pub async fn entries(db: &Db, event_id: &str, status: EntryStatus) -> DbResult<Vec<Entry>> {
    repo::entries(db, event_id, status).await
}

/// The gallery: approved entries, favourites first, then oldest first.
pub async fn gallery(db: &Db, event_id: &str) -> DbResult<Vec<Entry>> {
    let mut v = repo::entries(db, event_id, EntryStatus::Approved).await?;
    v.sort_by(|a, b| {
        b.favourite
            .cmp(&a.favourite)
            .then(a.received_at.cmp(&b.received_at))
            .then(a.id.cmp(&b.id))
    });
    Ok(v)
}

pub async fn entry(db: &Db, id: &str) -> DbResult<Option<Entry>> {
    repo::entry(db, id).await
}

/// What the team does with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
    Favourite,
    Unfavourite,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Favourite => "favourite",
            Action::Unfavourite => "unfavourite",
        }
    }
    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Approve,
            Action::Reject,
            Action::Favourite,
            Action::Unfavourite,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
    /// Whether the action makes sense for `e` (a favourite is an approved entry).
    pub fn offered_for(self, e: &Entry) -> bool {
        match self {
            Action::Approve => e.status != EntryStatus::Approved,
            Action::Reject => e.status != EntryStatus::Rejected,
            Action::Favourite => !e.favourite,
            Action::Unfavourite => e.favourite,
        }
    }
}

/// Applies `a` to `e`. Marking a favourite approves the entry too; rejecting one takes its
/// mark off.
pub async fn moderate(db: &Db, e: &Entry, a: Action) -> DbResult<()> {
    let (status, fav) = match a {
        Action::Approve => (EntryStatus::Approved, e.favourite),
        Action::Reject => (EntryStatus::Rejected, false),
        Action::Favourite => (EntryStatus::Approved, true),
        Action::Unfavourite => (e.status, false),
    };
    repo::set_entry(db, &e.id, status, fav).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_are_kept_without_their_hash() {
        assert_eq!(
            hashtag("#FollowALibrary").as_deref(),
            Some("FollowALibrary")
        );
        assert_eq!(hashtag(" bibliotek_dag ").as_deref(), Some("bibliotek_dag"));
        assert_eq!(hashtag("#BøgerTilAlle").as_deref(), Some("BøgerTilAlle"));
        for bad in ["", "#", "two words", "a-b", "#2024", "##x", &"x".repeat(61)] {
            assert_eq!(hashtag(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn posts_enter_from_a_week_before_the_day_to_a_week_after() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).expect("day");
        let on = |d: i64| day + chrono::Duration::days(d);
        for d in [-7, -1, 0, 1, 7] {
            assert!(is_near(day, on(d)), "{d}");
        }
        for d in [-8, 8, 365] {
            assert!(!is_near(day, on(d)), "{d}");
        }
    }

    #[test]
    fn entry_links_are_http_or_https_only() {
        assert_eq!(
            entry_url(" https://example.org/v ").as_deref(),
            Ok("https://example.org/v")
        );
        assert_eq!(
            entry_url("javascript:alert(1)"),
            Err("events-error-url-scheme")
        );
        assert_eq!(
            entry_url("ftp://example.org/"),
            Err("events-error-url-scheme")
        );
        assert_eq!(entry_url("example.org"), Err("events-error-url-invalid"));
        assert_eq!(entry_url(""), Err("events-error-url-missing"));
    }

    #[test]
    fn an_event_as_typed_is_checked_field_by_field() {
        let ok = check(
            "day-1",
            " Day ",
            "2026-10-01",
            "#Tag",
            "Go *now*",
            "",
            "published",
        )
        .expect("valid");
        assert_eq!((ok.title.as_str(), ok.hashtag.as_str()), ("Day", "Tag"));
        let errs = check("Bad Slug", "", "1 Oct", "#", "", "", "live").expect_err("invalid");
        let fields: Vec<&str> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["slug", "title", "day", "hashtag", "state"]);
    }
}
