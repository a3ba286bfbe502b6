//! The events' store: `campaign_events` and `event_entries`.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Entry, EntryStatus, Event, EventFields, EventState};
use crate::db::{Db, DbResult};
use crate::on_db;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    campaign_id: String,
    slug: String,
    title: String,
    day: String,
    hashtag: String,
    call_md: String,
    challenge_md: String,
    state: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Event {
        Event {
            id: r.id,
            campaign_id: r.campaign_id,
            slug: r.slug,
            title: r.title,
            day: NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").unwrap_or_default(),
            hashtag: r.hashtag,
            call_md: r.call_md,
            challenge_md: r.challenge_md,
            state: EventState::parse(&r.state).unwrap_or(EventState::Draft),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const EVENT_SELECT: &str = "SELECT id, campaign_id, slug, title, day, hashtag, call_md, \
     challenge_md, state, created_at, updated_at FROM campaign_events";

/// Stores a new event; `false` when its campaign has an event with its slug.
pub async fn insert_event(db: &Db, e: &Event) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO campaign_events (id, campaign_id, slug, title, day, hashtag, call_md, \
         challenge_md, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (campaign_id, slug) DO NOTHING"
    )
    .bind(&e.id)
    .bind(&e.campaign_id)
    .bind(&e.slug)
    .bind(&e.title)
    .bind(e.day.to_string())
    .bind(&e.hashtag)
    .bind(&e.call_md)
    .bind(&e.challenge_md)
    .bind(e.state.as_str())
    .bind(e.created_at)
    .bind(e.updated_at)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Saves an event's fields; `false` when another event of its campaign has the slug.
pub async fn update_event(
    db: &Db,
    id: &str,
    f: &EventFields,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let taken: Option<(String,)> = on_db!(db, |p| sqlx::query_as(
        "SELECT o.id FROM campaign_events o JOIN campaign_events e \
         ON e.campaign_id = o.campaign_id WHERE e.id = $1 AND o.slug = $2 AND o.id <> $1"
    )
    .bind(id)
    .bind(&f.slug)
    .fetch_optional(p)
    .await?);
    if taken.is_some() {
        return Ok(false);
    }
    on_db!(db, |p| sqlx::query(
        "UPDATE campaign_events SET slug = $2, title = $3, day = $4, hashtag = $5, \
         call_md = $6, challenge_md = $7, state = $8, updated_at = $9 WHERE id = $1"
    )
    .bind(id)
    .bind(&f.slug)
    .bind(&f.title)
    .bind(f.day.to_string())
    .bind(&f.hashtag)
    .bind(&f.call_md)
    .bind(&f.challenge_md)
    .bind(f.state.as_str())
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(true)
}

pub async fn event(db: &Db, id: &str) -> DbResult<Option<Event>> {
    let sql = format!("{EVENT_SELECT} WHERE id = $1");
    let r = on_db!(db, |p| sqlx::query_as::<_, EventRow>(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    Ok(r.map(Event::from))
}

pub async fn event_by_slug(db: &Db, campaign_id: &str, slug: &str) -> DbResult<Option<Event>> {
    let sql = format!("{EVENT_SELECT} WHERE campaign_id = $1 AND slug = $2");
    let r = on_db!(db, |p| sqlx::query_as::<_, EventRow>(&sql)
        .bind(campaign_id)
        .bind(slug)
        .fetch_optional(p)
        .await?);
    Ok(r.map(Event::from))
}

/// Every event, or a campaign's, newest day first.
pub async fn events(db: &Db, campaign_id: Option<&str>) -> DbResult<Vec<Event>> {
    let sql = format!(
        "{EVENT_SELECT} WHERE ($1 = '' OR campaign_id = $1) ORDER BY day DESC, created_at DESC"
    );
    let r = on_db!(db, |p| sqlx::query_as::<_, EventRow>(&sql)
        .bind(campaign_id.unwrap_or(""))
        .fetch_all(p)
        .await?);
    Ok(r.into_iter().map(Event::from).collect())
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    event_id: String,
    source: String,
    source_key: String,
    url: String,
    title: String,
    name: String,
    status: String,
    favourite: bool,
    received_at: DateTime<Utc>,
}

impl From<EntryRow> for Entry {
    fn from(r: EntryRow) -> Entry {
        Entry {
            id: r.id,
            event_id: r.event_id,
            source: r.source,
            source_key: r.source_key,
            url: r.url,
            title: r.title,
            name: r.name,
            status: EntryStatus::parse(&r.status).unwrap_or(EntryStatus::Pending),
            favourite: r.favourite,
            received_at: r.received_at,
        }
    }
}

const ENTRY_SELECT: &str = "SELECT id, event_id, source, source_key, url, title, name, status, \
     favourite, received_at FROM event_entries";

/// Stores an entry; `false` when its event has its link already.
pub async fn insert_entry(db: &Db, e: &Entry) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO event_entries (id, event_id, source, url, title, name, status, favourite, \
         received_at, source_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (event_id, url) DO NOTHING"
    )
    .bind(&e.id)
    .bind(&e.event_id)
    .bind(&e.source)
    .bind(&e.url)
    .bind(&e.title)
    .bind(&e.name)
    .bind(e.status.as_str())
    .bind(e.favourite)
    .bind(e.received_at)
    .bind(&e.source_key)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// An event's entries of one status, newest first.
pub async fn entries(db: &Db, event_id: &str, status: EntryStatus) -> DbResult<Vec<Entry>> {
    let sql =
        format!("{ENTRY_SELECT} WHERE event_id = $1 AND status = $2 ORDER BY received_at DESC, id");
    let r = on_db!(db, |p| sqlx::query_as::<_, EntryRow>(&sql)
        .bind(event_id)
        .bind(status.as_str())
        .fetch_all(p)
        .await?);
    Ok(r.into_iter().map(Entry::from).collect())
}

pub async fn entry(db: &Db, id: &str) -> DbResult<Option<Entry>> {
    let sql = format!("{ENTRY_SELECT} WHERE id = $1");
    let r = on_db!(db, |p| sqlx::query_as::<_, EntryRow>(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    Ok(r.map(Entry::from))
}

pub async fn set_entry(db: &Db, id: &str, status: EntryStatus, favourite: bool) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE event_entries SET status = $2, favourite = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(status.as_str())
    .bind(favourite)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Sets the title of the still-pending entries a source names; the number changed.
pub async fn retitle_pending(db: &Db, source: &str, key: &str, title: &str) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "UPDATE event_entries SET title = $3 \
         WHERE source = $1 AND source_key = $2 AND status = 'pending'"
    )
    .bind(source)
    .bind(key)
    .bind(title)
    .execute(p)
    .await?
    .rows_affected()))
}

/// Deletes the still-pending entries a source names (of one event, or of any); the number
/// deleted.
pub async fn delete_pending(
    db: &Db,
    source: &str,
    key: &str,
    event_id: Option<&str>,
) -> DbResult<u64> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM event_entries WHERE source = $1 AND source_key = $2 \
         AND status = 'pending' AND ($3 = '' OR event_id = $3)"
    )
    .bind(source)
    .bind(key)
    .bind(event_id.unwrap_or(""))
    .execute(p)
    .await?
    .rows_affected()))
}
