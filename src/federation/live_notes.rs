//! Live coverage to the fediverse: an entry of a live post, added with "Also post to
//! followers", goes to the followers of the post's author actor (the campaign's for a
//! campaign's post, else the site's; [`super::outbox::author_of`]) as a `Create` of a `Note`
//! ([`on_entry_changed`], the handler of the blog's `LIVE_ENTRY_CHANGED` job); deleting an
//! entry that was sent delivers a `Delete` with a `Tombstone`. The site does not boost them
//! (a post's boost is enough; an event's dozens of entries would flood its followers).
//!
//! The note's id is `{base}/posts/{post}/live/{entry}` (served by [`super::pages`]: the note
//! as JSON-LD, else a redirect to the entry on the post's page); its `url` the post's
//! stable address with the entry's fragment (`#live-{entry}`). What was sent is kept in
//! `federation_outbox` like every other object (its Create is what the id serves, also
//! after the coverage ended and the entry became part of the post's text: ending live
//! coverage leaves the notes as they are).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::outbox::{Sent, author_of, federable, local_of_row};
use super::repo::{self, Published};
use super::{Local, deliver, documents};
use crate::blog::live::{EntryKind, LiveEntry, LiveEntryChanged};
use crate::db::Db;

/// The id of an entry's note.
pub fn note_id(base: &str, post_id: &str, entry_id: &str) -> String {
    format!("{base}/posts/{post_id}/live/{entry_id}")
}

/// Whether an id is one a live entry may have (what the blog makes: hex of a UUID).
pub fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Whether entries of this post may go to the followers now: it is published, public and
/// federation publishes it (not a page, not password-protected).
pub async fn can_federate(db: &Db, post_id: &str) -> anyhow::Result<bool> {
    Ok(crate::blog::repo::by_id(db, post_id)
        .await?
        .is_some_and(|p| federable(&p, Utc::now())))
}

/// Whether the entry's note is out there (sent and not taken back).
pub async fn sent(db: &Db, base: &str, post_id: &str, entry_id: &str) -> anyhow::Result<bool> {
    Ok(repo::last_about(db, &note_id(base, post_id, entry_id))
        .await?
        .is_some_and(|l| l.kind == "Create"))
}

/// The note of an entry as we send it.
pub fn note_document(base: &str, author: &Local, e: &LiveEntry) -> Value {
    let id = note_id(base, &e.post_id, &e.id);
    let md = if e.kind == EntryKind::Quote.as_str() {
        e.body_md
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        e.body_md.clone()
    };
    let html = shelfraiser_formats::markdown::to_safe_html(&md);
    let html = crate::http::absolute::html(base, &id, &html);
    let url = format!(
        "{}#live-{}",
        super::outbox::object_id(base, &e.post_id),
        e.id
    );
    let image = e
        .image_url
        .as_deref()
        .map(|u| crate::http::absolute::url(base, &id, u));
    let actor = author.id(base);
    let followers = author.followers(base);
    documents::post_object(&documents::PostObject {
        id: &id,
        note: true,
        attributed_to: &actor,
        followers: &followers,
        title: "",
        summary: "",
        content_html: &html,
        url: &url,
        published: e.created_at,
        updated: None,
        image: image.as_deref().map(|u| (u, e.image_alt.as_str())),
        tags: &[],
    })
}

/// Sends an added entry (once) or takes back a deleted one that was sent.
pub async fn on_entry_changed(
    db: &Db,
    base: &str,
    change: &LiveEntryChanged,
    now: DateTime<Utc>,
) -> anyhow::Result<Sent> {
    let nothing = Sent {
        kind: "",
        deliveries: 0,
    };
    let object = note_id(base, &change.post_id, &change.entry_id);
    let last = repo::last_about(db, &object).await?;
    let (kind, author, doc) = if change.deleted {
        let Some(last) = last.filter(|l| l.kind == "Create") else {
            return Ok(nothing);
        };
        let Some(author) = local_of_row(db, &last.actor_id).await? else {
            return Ok(nothing);
        };
        ("Delete", author, documents::tombstone(&object))
    } else {
        if last.is_some() {
            return Ok(nothing);
        }
        let Some(post) = crate::blog::repo::by_id(db, &change.post_id).await? else {
            return Ok(nothing);
        };
        if !federable(&post, now) {
            return Ok(nothing);
        }
        let Some(entry) = crate::blog::live::entries(db, &post.id)
            .await?
            .into_iter()
            .find(|e| e.id == change.entry_id)
        else {
            return Ok(nothing);
        };
        let author = author_of(db, &post).await?;
        let doc = note_document(base, &author, &entry);
        ("Create", author, doc)
    };
    let row = super::ensure(db, &author, now).await?;
    let actor = author.id(base);
    let id = format!("{object}#{}-{}", kind.to_ascii_lowercase(), change.event);
    let body = documents::activity(kind, &id, &actor, &author.followers(base), doc);
    let inboxes = deliver::audience(db, &[row.id.as_str()]).await?;
    let mut tx = db.begin().await?;
    let published = Published {
        id,
        actor_id: row.id.clone(),
        kind: kind.to_string(),
        object_id: object,
        body: body.to_string(),
        published_at: now,
    };
    let Some(n) = deliver::publish_in(&mut tx, base, &author, &published, &inboxes).await? else {
        return Ok(Sent {
            kind,
            deliveries: 0,
        });
    };
    tx.commit().await?;
    Ok(Sent {
        kind,
        deliveries: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_with_a_photo_is_a_public_note_linking_to_its_entry() {
        let e = LiveEntry {
            id: "e1".into(),
            post_id: "p1".into(),
            author_id: None,
            kind: "quote".into(),
            body_md: "Books <script>x()</script>for\nall".into(),
            image_url: Some("/media/ab/cd.jpg".into()),
            image_alt: "The hall".into(),
            created_at: DateTime::parse_from_rfc3339("2026-12-07T09:00:00Z")
                .expect("t")
                .into(),
        };
        let base = "https://library.example";
        let n = note_document(base, &Local::Site, &e);
        assert_eq!(n["id"], "https://library.example/posts/p1/live/e1");
        assert_eq!(n["type"], "Note");
        assert_eq!(n["url"], "https://library.example/posts/p1#live-e1");
        assert_eq!(n["attributedTo"], "https://library.example/actor");
        assert_eq!(n["to"][0], documents::PUBLIC);
        assert_eq!(n["cc"][0], "https://library.example/actor/followers");
        assert_eq!(n["published"], "2026-12-07T09:00:00Z");
        assert!(n.get("inReplyTo").is_none());
        let content = n["content"].as_str().expect("content");
        assert!(content.contains("<blockquote>"), "{content}");
        assert!(!content.contains("<script"), "{content}");
        assert_eq!(
            n["attachment"][0]["url"],
            "https://library.example/media/ab/cd.jpg"
        );
        assert_eq!(n["attachment"][0]["name"], "The hall");
        assert!(plausible_id("0af3"));
        assert!(!plausible_id("a/b") && !plausible_id(""));
    }
}
