//! The `verify_webmention` job: fetch a mention's source through the guarded outbound
//! client, check that it links to the target, read its microformats and decide.
//!
//! * 2xx and linking: kept. A post's reply or mention goes to the blog as a comment of kind
//!   `webmention` (the blog moderates it), a like or repost as a `post_reactions` row; a
//!   campaign's mention is approved when its author had one approved before, held
//!   (`verified`) otherwise, spam when the comment block list names it.
//! * 410 or 404, or a page that no longer links: `gone` if it was shown, `invalid` if it never
//!   was; whatever it had put on a page is taken down.
//! * The address refused by the guard (a private address …), another 4xx, or a page that is
//!   not HTML or text: `invalid`, for good.
//! * A 5xx, a time-out or a connection failure: tried again (with the queue's backoff, at most
//!   [`ATTEMPTS`] times).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::Target;
use super::repo::{self, Status, Verified, Webmention};
use crate::blog::remote::{self, NewReaction, ReactionKind, Reply, Source};
use crate::db::Db;
use crate::jobs::{self, Final, Job};
use crate::outbound::{Outbound, OutboundError};
use crate::promotion::events;
use shelfraiser_formats::microformats::{self, MentionKind, Page};

pub const VERIFY_WEBMENTION: &str = "verify_webmention";
/// Attempts at fetching a source that does not answer.
pub const ATTEMPTS: i64 = 5;
/// The longest text kept of a mention (characters).
pub const MAX_TEXT: usize = 5_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyWebmention {
    pub id: String,
}

pub async fn enqueue(db: &Db, id: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let job = Job::new(VERIFY_WEBMENTION, &VerifyWebmention { id: id.to_string() })?
        .with_max_attempts(ATTEMPTS);
    jobs::enqueue(db, &job, now, None).await?;
    Ok(())
}

/// The key a mention's comment or reaction has in the blog: the source and the target, so a
/// page mentioning two of our posts leaves one on each.
pub fn source_key(w: &Webmention) -> String {
    format!("{} {}", w.source, w.target)
}

/// What the fetch came to.
enum Read {
    Links(Box<Page>, String),
    NotLinking(String),
    Gone(String),
    Invalid(String),
}

async fn read(out: &Outbound, source: &Url, target: &Url) -> anyhow::Result<Read> {
    let fetched = match out
        .get(source.as_str())
        .header(
            http::header::ACCEPT,
            "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5",
        )
        .send()
        .await
    {
        Ok(f) => f,
        Err(e @ (OutboundError::Refused { .. } | OutboundError::Url(_))) => {
            return Ok(Read::Invalid(e.to_string()));
        }
        Err(OutboundError::TooLarge { limit }) => {
            return Ok(Read::Invalid(format!("larger than {limit} bytes")));
        }
        Err(e) => return Err(e.into()),
    };
    let status = fetched.status;
    if status.as_u16() == 410 || status.as_u16() == 404 {
        return Ok(Read::Gone(format!("the source answered {status}")));
    }
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        anyhow::bail!("the source answered {status}");
    }
    if !status.is_success() {
        return Ok(Read::Invalid(format!("the source answered {status}")));
    }
    let ctype = fetched
        .header("content-type")
        .unwrap_or("text/html")
        .to_ascii_lowercase();
    if ctype.starts_with("text/html") || ctype.starts_with("application/xhtml+xml") {
        let page = Page::parse(&fetched.body, &fetched.url);
        if page.links_to(target) {
            let title = page.title();
            return Ok(Read::Links(Box::new(page), title));
        }
        return Ok(Read::NotLinking(
            "the source does not link to the target".into(),
        ));
    }
    if ctype.starts_with("text/plain") {
        let text = String::from_utf8_lossy(&fetched.body);
        if text.contains(target.as_str()) {
            let page = Page::parse(b"", &fetched.url);
            return Ok(Read::Links(Box::new(page), String::new()));
        }
        return Ok(Read::NotLinking(
            "the source does not name the target".into(),
        ));
    }
    Ok(Read::Invalid(format!("not a page: {ctype}")))
}

/// The event whose page a campaign mention's target is (any state).
async fn event_of(db: &Db, w: &Webmention) -> anyhow::Result<Option<events::Event>> {
    let Target::Campaign(campaign_id) = &w.on else {
        return Ok(None);
    };
    let Some(target) = super::web_url(&w.target) else {
        return Ok(None);
    };
    let path = target.path();
    let Some(i) = path.rfind("/campaigns/") else {
        return Ok(None);
    };
    let Some((_, event)) = super::event_page(&path[i + "/campaigns/".len()..]) else {
        return Ok(None);
    };
    Ok(events::of_campaign(db, campaign_id, event).await?)
}

/// Takes down whatever the mention put on a post (its comment or reaction), or its event
/// entry while that is still pending.
pub async fn take_down(db: &Db, w: &Webmention) -> anyhow::Result<()> {
    if let Some(e) = event_of(db, w).await? {
        events::withdraw_pending(db, events::Source::Webmention, &w.source, Some(&e.id)).await?;
    }
    if let Target::Post(post_id) = &w.on {
        let key = source_key(w);
        remote::remove_reply(db, &key, &w.author_url).await?;
        let kind = match w.kind.as_str() {
            "repost" => ReactionKind::Repost,
            _ => ReactionKind::Like,
        };
        remote::remove_reaction(db, &key, &w.author_url, Some((post_id, kind))).await?;
    }
    Ok(())
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Runs one verification.
pub async fn run_job(
    db: &Db,
    out: &Outbound,
    p: &VerifyWebmention,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(w) = repo::by_id(db, &p.id).await? else {
        return Ok(());
    };
    if w.status == Status::Spam {
        return Ok(());
    }
    let (Some(source), Some(target)) = (super::web_url(&w.source), super::web_url(&w.target))
    else {
        repo::set_status(db, &w.id, Status::Invalid, "not a URL").await?;
        return Ok(());
    };
    let shown_before = matches!(w.status, Status::Verified | Status::Approved);
    let (page, title) = match read(out, &source, &target).await? {
        Read::Links(page, title) => (page, title),
        Read::Gone(why) | Read::NotLinking(why) => {
            take_down(db, &w).await?;
            let to = if shown_before || w.status == Status::Gone {
                Status::Gone
            } else {
                Status::Invalid
            };
            repo::set_status(db, &w.id, to, &why).await?;
            return Ok(());
        }
        Read::Invalid(why) => {
            take_down(db, &w).await?;
            repo::set_status(db, &w.id, Status::Invalid, &why).await?;
            return Err(Final(why).into());
        }
    };
    let m = microformats::read_mention(&page, &source, &target);
    let text = cut(m.text.trim(), MAX_TEXT);
    let title = if m.title.is_empty() && m.text.is_empty() {
        title
    } else {
        m.title.clone()
    };
    let kind = m.kind.as_str();
    let published = m.published.filter(|t| *t <= now).unwrap_or(now);
    // A mention that changed kind (a reply edited into a like) leaves its old form first.
    if shown_before && w.kind != kind {
        take_down(db, &w).await?;
    }
    let status = match &w.on {
        Target::Post(post_id) => {
            let key = source_key(&w);
            match m.kind {
                MentionKind::Like | MentionKind::Repost => {
                    let rk = if m.kind == MentionKind::Like {
                        ReactionKind::Like
                    } else {
                        ReactionKind::Repost
                    };
                    remote::add_reaction(
                        db,
                        &NewReaction {
                            post_id,
                            kind: rk,
                            source: Source::Webmention,
                            source_key: &key,
                            actor_url: &m.author.url,
                            actor_name: &m.author.name,
                            at: published,
                        },
                    )
                    .await?;
                }
                MentionKind::Reply | MentionKind::Mention => {
                    let body = match (text.is_empty(), title.is_empty()) {
                        (false, _) => text.clone(),
                        (true, false) => title.clone(),
                        (true, true) => m.url.clone(),
                    };
                    remote::save_reply(
                        db,
                        &Reply {
                            post_id,
                            source: Source::Webmention,
                            source_key: &key,
                            author_name: &m.author.name,
                            author_url: &m.author.url,
                            text: &body,
                            published,
                        },
                    )
                    .await?;
                }
            }
            Status::Verified
        }
        Target::Campaign(_) => {
            let list = crate::blog::comments::moderation::blocklist_entries(db).await?;
            if crate::blog::spam::blocklisted(
                &list,
                &[&m.author.name, &m.author.url, &title, &text, &w.source],
            )
            .is_some()
            {
                Status::Spam
            } else if w.status == Status::Approved
                || repo::author_approved(db, &m.author.url).await?
            {
                Status::Approved
            } else {
                Status::Verified
            }
        }
    };
    // A published event's page: the mention is offered as a pending entry (once per link).
    if status != Status::Spam
        && let Some(e) = event_of(db, &w).await?
        && e.state == events::EventState::Published
    {
        let entry_title = match (title.trim().is_empty(), text.is_empty()) {
            (false, _) => title.clone(),
            (true, false) => text.clone(),
            (true, true) => w.source.clone(),
        };
        events::submit(
            db,
            &e.id,
            events::Source::Webmention,
            &w.source,
            &w.source,
            &events::clean_line(&entry_title, events::TITLE_MAX),
            &events::clean_line(&m.author.name, events::NAME_MAX),
            now,
        )
        .await?;
    }
    repo::set_verified(
        db,
        &w.id,
        &Verified {
            status,
            kind,
            author_name: &m.author.name,
            author_url: &m.author.url,
            author_photo: &m.author.photo,
            title: &cut(&title, 300),
            content: &text,
            url: &m.url,
            published_at: Some(published),
        },
        now,
    )
    .await?;
    Ok(())
}
