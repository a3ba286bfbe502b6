//! E-mail updates: a campaign's updates (its posts) go by e-mail to the people who asked for
//! them. Asking is the news consent donations already keep (double opt-in, `consents`): the
//! donate form's box, or the updates form (`/campaigns/{slug}/updates`, [`pages`]) for anyone,
//! donor or not; both send the same confirm mail, and only confirmed, not withdrawn consents
//! receive anything.
//!
//! When a campaign's post is published (the blog's `POST_CHANGED` job, from not public to
//! public — a scheduled post when its time comes), [`on_post_changed`] queues one
//! [`SEND_UPDATE`] job per confirmed consent of that campaign; [`run_job`] sends it in the
//! subscriber's language with the post, a link to it, and the consent's withdraw link, also as
//! `List-Unsubscribe` with `List-Unsubscribe-Post` (one click in the mail program: a POST to
//! `/privacy/consent/unsubscribe`). Each (post, subscriber) goes once, ever: the job and the
//! outbox row are keyed on both, so an edit, an unpublish and a publish again, or a retried job
//! send nothing more. Protected posts and pages are never sent, nor a post whose editor
//! unticked "E-mail it to the campaign's subscribers" (`posts.mail_subscribers`, read again
//! when each mail's job runs); an update withdrawn, or a consent withdrawn, before its job
//! runs is not sent.

pub mod pages;

use askama::Template;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::blog::write::PostChanged;
use crate::db::{Db, DbError};
use crate::donations::consents::{self, Action};
use crate::email::Email;
use crate::i18n::I18n;
use crate::jobs::{self, Job};
use crate::mail::{Mailer, Message};

/// The job that mails one update to one subscriber.
pub const SEND_UPDATE: &str = "send_update";

/// The [`SEND_UPDATE`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendUpdate {
    pub post_id: String,
    pub consent_id: String,
}

fn key(post_id: &str, consent_id: &str) -> String {
    format!("update:{post_id}:{consent_id}")
}

/// A post that may go by e-mail: public, not behind a password, not a page, a campaign's,
/// and not published without e-mail ("E-mail it to the campaign's subscribers" unticked).
fn sendable(p: &crate::blog::repo::Post, now: DateTime<Utc>) -> Option<&str> {
    (p.is_public(now) && !p.is_protected() && !p.is_page() && p.mail_subscribers)
        .then_some(p.campaign_id.as_deref())
        .flatten()
}

/// A post's change: on its first publication (not public → public), one [`SEND_UPDATE`] job
/// per confirmed subscriber of its campaign. The number queued.
pub async fn on_post_changed(
    db: &Db,
    change: &PostChanged,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    if change.was_public || !change.is_public {
        return Ok(0);
    }
    let Some(post) = crate::blog::repo::by_id(db, &change.post_id).await? else {
        return Ok(0);
    };
    let Some(campaign_id) = sendable(&post, now) else {
        return Ok(0);
    };
    let mut queued = 0;
    for c in consents::confirmed_for(db, campaign_id).await? {
        let job = Job::new(
            SEND_UPDATE,
            &SendUpdate {
                post_id: post.id.clone(),
                consent_id: c.id.clone(),
            },
        )
        .map_err(|e| DbError::Corrupt(format!("update job: {e}")))?;
        if jobs::enqueue(db, &job, now, Some(&key(&post.id, &c.id))).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The address of a consent's one-click unsubscribe (the withdraw link's token).
pub async fn unsubscribe_url(db: &Db, base: &str, consent_id: &str) -> anyhow::Result<String> {
    Ok(format!(
        "{}/privacy/consent/unsubscribe?t={}",
        base.trim_end_matches('/'),
        consents::token(db, consent_id, Action::Withdraw).await?
    ))
}

#[derive(Template)]
#[template(path = "mail/update.txt")]
struct UpdateText<'a> {
    tr: &'a I18n,
    campaign: &'a str,
    title: &'a str,
    body: &'a str,
    url: &'a str,
    why: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "mail/update.html")]
struct UpdateHtml<'a> {
    tr: &'a I18n,
    subject: &'a str,
    campaign: &'a str,
    title: &'a str,
    content_html: &'a str,
    url: &'a str,
    why: &'a str,
    unsubscribe: &'a str,
}

/// Runs a [`SEND_UPDATE`] job: the update, if it is still public and the consent still
/// confirmed and not withdrawn.
pub async fn run_job(
    db: &Db,
    mailer: &Mailer,
    base: &str,
    p: &SendUpdate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let base = base.trim_end_matches('/');
    let Some(c) = consents::by_id(db, &p.consent_id).await? else {
        return Ok(());
    };
    if c.confirmed_at.is_none() || c.withdrawn_at.is_some() {
        return Ok(());
    }
    let Some(post) = crate::blog::repo::by_id(db, &p.post_id).await? else {
        return Ok(());
    };
    if sendable(&post, now) != Some(c.campaign_id.as_str()) {
        return Ok(());
    }
    let Ok(to) = Email::parse(&c.email) else {
        return Ok(());
    };
    let campaign = crate::campaigns::repo::by_id(db, &c.campaign_id)
        .await?
        .map(|c| c.title)
        .unwrap_or_default();
    let tr = mailer.tr(&c.lang).await;
    let url = format!("{base}/posts/{}", post.id);
    let unsubscribe = unsubscribe_url(db, base, &c.id).await?;
    let headline = if post.title.trim().is_empty() {
        first_words(&post.excerpt, 60)
    } else {
        post.title.clone()
    };
    let subject = tr.ta(
        "updates-mail-subject",
        [("campaign", campaign.clone()), ("title", headline)],
    );
    let why = tr.ta("updates-mail-why", [("campaign", campaign.clone())]);
    let html = shelfraiser_formats::markdown::to_safe_html(&post.body_md);
    let html = crate::http::absolute::html(base, &url, &html);
    let text = UpdateText {
        tr: &tr,
        campaign: &campaign,
        title: &post.title,
        body: post.body_md.trim(),
        url: &url,
        why: &why,
        unsubscribe: &unsubscribe,
    }
    .render()?;
    let html = UpdateHtml {
        tr: &tr,
        subject: &subject,
        campaign: &campaign,
        title: &post.title,
        content_html: &html,
        url: &url,
        why: &why,
        unsubscribe: &unsubscribe,
    }
    .render()?;
    let m = Message {
        to,
        subject,
        text,
        html,
        attachments: Vec::new(),
    };
    mailer
        .send_to_list(&m, &key(&post.id, &c.id), &unsubscribe)
        .await?;
    Ok(())
}

/// At most `max` characters of `text`, cut at a word, with an ellipsis when cut.
fn first_words(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) if i > max / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::first_words;

    #[test]
    fn a_notes_subject_is_its_first_words() {
        assert_eq!(first_words("Roof is on!", 60), "Roof is on!");
        assert_eq!(
            first_words(
                "The roof went on today and the shelves arrive next week",
                30
            ),
            "The roof went on today and…"
        );
        assert_eq!(
            first_words("Averyveryverylongwordwithoutspaces", 10),
            "Averyveryv…"
        );
    }
}
