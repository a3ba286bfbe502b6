//! Remote actors: their documents read (inbox, shared inbox, public key), fetched through
//! [`super::remote`] and kept in `federation_remote_actors`, and the key behind a
//! signature's `keyId` found (both `actor#main-key` and `actor/main-key` styles).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::remote::{self, RemoteError};
use super::repo::{self, RemoteActor};
use super::signatures::Signer;
use crate::db::Db;
use crate::outbound::Outbound;

/// Why a remote actor or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("the document is not a usable actor or key: {0}")]
    Document(&'static str),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn string<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    match v.get(field)? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn checked(base: &str, s: Option<&str>, what: &'static str) -> Result<String, ActorError> {
    s.and_then(|s| super::iri(base, s))
        .map(|i| i.as_str().to_string())
        .ok_or(ActorError::Document(what))
}

/// The `publicKey` of an actor document (an object, or the first of an array).
fn public_key(doc: &Value) -> Option<&Value> {
    match doc.get("publicKey")? {
        Value::Array(a) => a.first(),
        o @ Value::Object(_) => Some(o),
        _ => None,
    }
}

/// Reads an actor document fetched from `url`: its `id` must be `url` (no fragment), and it
/// needs an `inbox` and a `publicKey` with `id`, `owner` (the actor) and `publicKeyPem`.
pub fn read_actor(
    base: &str,
    url: &str,
    doc: &Value,
    now: DateTime<Utc>,
) -> Result<RemoteActor, ActorError> {
    let id = checked(base, string(doc, "id"), "id")?;
    if id != url.split('#').next().unwrap_or(url) {
        return Err(ActorError::Document("id is not the fetched URL"));
    }
    let inbox = checked(base, string(doc, "inbox"), "inbox")?;
    let shared_inbox = doc
        .get("endpoints")
        .and_then(|e| string(e, "sharedInbox"))
        .and_then(|s| super::iri(base, s))
        .map(|i| i.as_str().to_string());
    let key = public_key(doc).ok_or(ActorError::Document("publicKey"))?;
    let key_id = checked(base, string(key, "id"), "publicKey.id")?;
    let owner = checked(base, string(key, "owner"), "publicKey.owner")?;
    if owner != id {
        return Err(ActorError::Document("publicKey.owner is not the actor"));
    }
    let pem = key
        .get("publicKeyPem")
        .and_then(Value::as_str)
        .filter(|p| p.len() < 16 * 1024)
        .ok_or(ActorError::Document("publicKeyPem"))?;
    for (what, iri) in [("inbox", &inbox), ("publicKey.id", &key_id)] {
        if super::authority(iri) != super::authority(&id) {
            return Err(ActorError::Document(what));
        }
    }
    let text = |field: &str, max: usize| -> String {
        doc.get(field)
            .and_then(Value::as_str)
            .map(|s| s.trim().chars().take(max).collect())
            .unwrap_or_default()
    };
    let url = match doc.get("url") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => o.get("href").and_then(Value::as_str),
        Some(Value::Array(a)) => a.iter().find_map(|v| match v {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => o.get("href").and_then(Value::as_str),
            _ => None,
        }),
        _ => None,
    }
    .and_then(|u| super::iri(base, u))
    .map(|i| i.as_str().to_string());
    let icon = match doc.get("icon") {
        Some(Value::Object(o)) => o.get("url").and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Array(a)) => a.first().and_then(|v| v.get("url")).and_then(Value::as_str),
        _ => None,
    }
    .and_then(|u| super::iri(base, u))
    .map(|i| i.as_str().to_string());
    Ok(RemoteActor {
        id,
        inbox,
        shared_inbox,
        key_id,
        public_key_pem: pem.to_string(),
        fetched_at: now,
        name: text("name", 100),
        username: text("preferredUsername", 100),
        url,
        icon,
    })
}

/// Fetches the actor behind `key_id` and stores it. The key id's document is either the
/// actor itself (`…#main-key`) or a key whose `owner` is the actor (`…/main-key`); either
/// way the actor's own document must list this key.
pub async fn fetch_by_key(
    db: &Db,
    out: &Outbound,
    base: &str,
    key_id: &str,
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<RemoteActor, ActorError> {
    let url = key_id.split('#').next().unwrap_or(key_id);
    let doc = remote::fetch_json(out, url, signer, now).await?;
    let actor = if doc.get("inbox").is_some() {
        read_actor(base, url, &doc, now)?
    } else {
        let owner = checked(base, string(&doc, "owner"), "owner")?;
        if super::authority(&owner) != super::authority(url) {
            return Err(ActorError::Document("owner"));
        }
        let doc = remote::fetch_json(out, &owner, signer, now).await?;
        read_actor(base, &owner, &doc, now)?
    };
    if actor.key_id != key_id {
        return Err(ActorError::Document("the actor does not list this key"));
    }
    repo::save_remote(db, &actor).await?;
    Ok(actor)
}

/// The actor of `key_id`: from the store, or fetched when unknown or when `refresh`
/// (the stored key failed: the actor may have a new one).
pub async fn by_key(
    db: &Db,
    out: &Outbound,
    base: &str,
    key_id: &str,
    refresh: bool,
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<RemoteActor, ActorError> {
    if !refresh && let Some(a) = repo::remote_by_key(db, key_id).await? {
        return Ok(a);
    }
    fetch_by_key(db, out, base, key_id, signer, now).await
}

/// The actor `id`, from the store or fetched.
pub async fn by_id(
    db: &Db,
    out: &Outbound,
    base: &str,
    id: &str,
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<RemoteActor, ActorError> {
    if let Some(a) = repo::remote(db, id).await? {
        return Ok(a);
    }
    refresh(db, out, base, id, signer, now).await
}

/// Reads the actor `id` again and stores it (its `Update` arrived).
pub async fn refresh(
    db: &Db,
    out: &Outbound,
    base: &str,
    id: &str,
    signer: &Signer,
    now: DateTime<Utc>,
) -> Result<RemoteActor, ActorError> {
    let doc = remote::fetch_json(out, id, signer, now).await?;
    let actor = read_actor(base, id, &doc, now)?;
    repo::save_remote(db, &actor).await?;
    Ok(actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://library.example";

    fn doc() -> Value {
        serde_json::json!({
            "id": "https://social.example/users/ana",
            "type": "Person",
            "inbox": "https://social.example/users/ana/inbox",
            "endpoints": {"sharedInbox": "https://social.example/inbox"},
            "publicKey": {
                "id": "https://social.example/users/ana#main-key",
                "owner": "https://social.example/users/ana",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n…"
            }
        })
    }

    #[test]
    fn an_actor_is_read_with_its_key_and_shared_inbox() {
        let a = read_actor(BASE, "https://social.example/users/ana", &doc(), Utc::now())
            .expect("actor");
        assert_eq!(a.key_id, "https://social.example/users/ana#main-key");
        assert_eq!(
            a.shared_inbox.as_deref(),
            Some("https://social.example/inbox")
        );
    }

    #[test]
    fn a_document_claiming_another_id_or_key_owner_is_refused() {
        assert!(read_actor(BASE, "https://social.example/users/bob", &doc(), Utc::now()).is_err());
        let mut d = doc();
        d["publicKey"]["owner"] = "https://social.example/users/bob".into();
        assert!(read_actor(BASE, "https://social.example/users/ana", &d, Utc::now()).is_err());
        let mut d = doc();
        d["inbox"] = "https://elsewhere.example/inbox".into();
        assert!(read_actor(BASE, "https://social.example/users/ana", &d, Utc::now()).is_err());
        let mut d = doc();
        d["inbox"] = "http://social.example/inbox".into();
        assert!(read_actor(BASE, "https://social.example/users/ana", &d, Utc::now()).is_err());
    }
}
