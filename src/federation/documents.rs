//! The JSON documents we serve and send: actors, WebFinger answers, collections and the
//! `Accept` of a follow.

use serde_json::{Value, json};

use super::Local;
use crate::i18n::I18n;
use shelfraiser_formats::html::escape;

pub const AS: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY: &str = "https://w3id.org/security/v1";

fn context() -> Value {
    json!([
        AS,
        SECURITY,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// A link as a profile field's value (Mastodon shows it; `rel="me"` for verification).
fn field_link(href: &str, text: &str) -> String {
    format!(
        "<a href=\"{}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
        escape(href),
        escape(text)
    )
}

/// What an actor document shows besides its ids and key.
pub struct Profile {
    pub name: String,
    /// Plain text; escaped into a paragraph.
    pub summary: String,
    /// The human-readable page.
    pub url: String,
    /// An absolute image URL (avatar and header), if any.
    pub image: Option<String>,
    pub manually_approves: bool,
}

/// The actor document of `local`, with its public key. Both our actors are `Organization`s:
/// a campaign speaks for the library; `Group` would promise what group servers do (members
/// posting through it, boosted by the group), which a campaign does not.
pub fn actor(base: &str, tr: &I18n, local: &Local, profile: &Profile, public_pem: &str) -> Value {
    let id = local.id(base);
    let mut attachment = vec![json!({
        "type": "PropertyValue",
        "name": tr.t("federation-field-website"),
        "value": field_link(&format!("{base}/"), super::authority(base)),
    })];
    if let Local::Campaign(_) = local {
        attachment.push(json!({
            "type": "PropertyValue",
            "name": tr.t("federation-field-donate"),
            "value": field_link(&format!("{id}#donate"), &tr.t("federation-donate-link")),
        }));
    }
    let mut doc = json!({
        "@context": context(),
        "id": id,
        "type": "Organization",
        "preferredUsername": local.username(base),
        "name": profile.name,
        "summary": format!("<p>{}</p>", escape(&profile.summary)),
        "url": profile.url,
        "inbox": local.inbox(base),
        "outbox": local.outbox(base),
        "followers": local.followers(base),
        "endpoints": {"sharedInbox": super::shared_inbox(base)},
        "manuallyApprovesFollowers": profile.manually_approves,
        "discoverable": true,
        "attachment": attachment,
        "publicKey": {
            "id": local.key_id(base),
            "owner": id,
            "publicKeyPem": public_pem,
        },
    });
    if let Some(img) = &profile.image {
        doc["icon"] = json!({"type": "Image", "url": img});
        doc["image"] = json!({"type": "Image", "url": img});
    }
    doc
}

/// The WebFinger answer (JRD) for `local`.
pub fn webfinger(base: &str, local: &Local, page: &str) -> Value {
    let id = local.id(base);
    json!({
        "subject": format!("acct:{}@{}", local.username(base), super::authority(base)),
        "aliases": [id, page],
        "links": [
            {"rel": "self", "type": super::ACTIVITY_JSON, "href": id},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
        ],
    })
}

/// An ordered collection with its size (the outbox adds its first page; the followers
/// collection shows its size only: who follows is not public).
pub fn collection(id: &str, total: i64) -> Value {
    json!({
        "@context": AS,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    })
}

/// The `Accept` of a follow: the Follow embedded (its id, actor and object), as Mastodon
/// expects.
pub fn accept(actor: &str, accept_id: &str, follow_id: &str, follower: &str) -> Value {
    json!({
        "@context": AS,
        "id": accept_id,
        "type": "Accept",
        "actor": actor,
        "object": {
            "id": follow_id,
            "type": "Follow",
            "actor": follower,
            "object": actor,
        },
    })
}

/// A post as an ActivityPub object. Notes go out as `Note`s, shown in full in Mastodon's
/// timelines; articles as `Article`s with their title (`name`), excerpt (`summary`) and
/// whole text (`content`): Mastodon shows an Article's title and a link to it, other
/// servers (Friendica, Misskey's forks, WordPress) the whole text.
pub struct PostObject<'a> {
    /// `{base}/posts/{id}`: stable across slug and permalink changes.
    pub id: &'a str,
    pub note: bool,
    pub attributed_to: &'a str,
    pub followers: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    /// Sanitised HTML, URLs absolute.
    pub content_html: &'a str,
    /// The human-readable page.
    pub url: &'a str,
    pub published: chrono::DateTime<chrono::Utc>,
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
    pub image: Option<(&'a str, &'a str)>,
    /// Hashtags: the name (without `#`) and the tag's page.
    pub tags: &'a [(String, String)],
}

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

pub fn post_object(o: &PostObject<'_>) -> Value {
    let mut doc = json!({
        "id": o.id,
        "type": if o.note { "Note" } else { "Article" },
        "attributedTo": o.attributed_to,
        "to": [PUBLIC],
        "cc": [o.followers],
        "content": o.content_html,
        "url": o.url,
        "published": o.published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "sensitive": false,
    });
    if !o.note {
        doc["name"] = json!(o.title);
        if !o.summary.trim().is_empty() {
            doc["summary"] = json!(o.summary);
        }
    }
    if let Some(t) = o.updated {
        doc["updated"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    if let Some((url, alt)) = o.image {
        doc["attachment"] = json!([{ "type": "Image", "url": url, "name": alt }]);
    }
    if !o.tags.is_empty() {
        doc["tag"] = o
            .tags
            .iter()
            .map(|(name, href)| json!({ "type": "Hashtag", "name": format!("#{name}"), "href": href }))
            .collect();
    }
    doc
}

/// `Create`, `Update` (with the object embedded) or `Delete` (with a `Tombstone`) by
/// `actor`, addressed like the object.
pub fn activity(kind: &str, id: &str, actor: &str, followers: &str, object: Value) -> Value {
    json!({
        "@context": AS,
        "id": id,
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "cc": [followers],
        "object": object,
    })
}

pub fn tombstone(object_id: &str) -> Value {
    json!({ "id": object_id, "type": "Tombstone" })
}

/// The site's boost of a campaign's post, for the site's followers.
pub fn announce(id: &str, actor: &str, followers: &str, author: &str, object_id: &str) -> Value {
    json!({
        "@context": AS,
        "id": id,
        "type": "Announce",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [followers, author],
        "object": object_id,
    })
}

/// One page of an outbox: `items` are the activities as published.
pub fn outbox_page(id: &str, total: i64, items: Vec<Value>, page: i64, next: bool) -> Value {
    let mut doc = json!({
        "@context": AS,
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if next {
        doc["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        doc["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    doc
}
