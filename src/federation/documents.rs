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

/// An ordered collection with its size and, for the outbox, a first (empty) page; the
/// followers collection shows its size only (who follows is not public).
pub fn collection(id: &str, total: i64, first_page: bool) -> Value {
    let mut doc = json!({
        "@context": AS,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if first_page {
        doc["first"] = json!({
            "id": format!("{id}?page=1"),
            "type": "OrderedCollectionPage",
            "partOf": id,
            "orderedItems": [],
        });
    }
    doc
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
