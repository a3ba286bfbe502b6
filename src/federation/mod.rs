//! Federation: the site and every campaign as ActivityPub actors that people on Mastodon and
//! other fediverse servers can find (WebFinger), read (the actor document at the campaign
//! page's own URL, chosen by `Accept`) and follow (a signed `Follow` to the inbox, answered
//! with a signed `Accept` delivered by a background job).
//!
//! * [`keys`]: each actor's RSA-2048 key pair (OpenSSL), the private key never printed.
//! * [`signatures`]: draft-cavage HTTP signatures made for our requests and checked on
//!   incoming ones (the header and the signing string come from `shelfraiser_formats`).
//! * [`remote`]: every request to another server (actor and key fetches, deliveries), in one
//!   place; [`actors`] reads and caches remote actors and their keys.
//! * [`inbox`]: what an incoming activity does (Follow, Undo of a Follow; others ignored),
//!   once per activity id.
//! * [`deliver`]: the `deliver` job, one signed POST per target inbox.
//! * [`documents`]: the JSON we serve (actor, WebFinger, collections, Accept).
//! * [`following`]: our actors following accounts elsewhere, the posts those send (the
//!   console's timeline), and our likes, boosts and replies to them.
//! * [`boosts`]: the follower count of who boosted our posts, and a campaign's boosts.
//! * [`live_notes`]: a live post's entries as notes to the followers.
//! * [`tagged`]: notes with hashtags about a campaign, handed on as `tagged_note` jobs
//!   (promotion's hashtag days take entries from them).
//! * [`pages`]: the routes. `repo`: the store.
//!
//! Ids: a campaign's actor is its page, `{base}/campaigns/{slug}` (a campaign's slug never
//! changes), the site's `{base}/actor`; the key is `{actor}#main-key`; every actor's shared
//! inbox is `{base}/inbox`.

pub mod actors;
pub mod boosts;
pub mod deliver;
pub mod documents;
pub mod following;
pub mod inbox;
pub mod keys;
pub mod live_notes;
pub mod milestones;
pub mod moderation;
pub mod outbox;
pub mod pages;
pub mod remote;
pub mod repo;
pub mod signatures;
pub mod tagged;

use chrono::{DateTime, Utc};
use shelfraiser_formats::activitypub::{Iri, ParseOptions};

use crate::campaigns::{Campaign, CampaignState};
use crate::db::{Db, DbError};

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The stored id of the site's actor.
pub const SITE: &str = "site";

/// One of our actors.
#[derive(Debug, Clone)]
pub enum Local {
    /// The site (the library's team).
    Site,
    /// A campaign (not a draft).
    Campaign(Box<Campaign>),
}

impl Local {
    /// The id of its row in `federation_actors`.
    pub fn row_id(&self) -> &str {
        match self {
            Local::Site => SITE,
            Local::Campaign(c) => &c.id,
        }
    }

    /// The actor's id (an absolute URL under `base`).
    pub fn id(&self, base: &str) -> String {
        match self {
            Local::Site => format!("{base}/actor"),
            Local::Campaign(c) => format!("{base}/campaigns/{}", c.slug),
        }
    }

    pub fn key_id(&self, base: &str) -> String {
        format!("{}#main-key", self.id(base))
    }

    pub fn inbox(&self, base: &str) -> String {
        match self {
            Local::Site => shared_inbox(base),
            Local::Campaign(_) => format!("{}/inbox", self.id(base)),
        }
    }

    pub fn outbox(&self, base: &str) -> String {
        format!("{}/outbox", self.id(base))
    }

    pub fn followers(&self, base: &str) -> String {
        format!("{}/followers", self.id(base))
    }

    /// The name in `@name@host`: the campaign's slug, or the host for the site.
    pub fn username(&self, base: &str) -> String {
        match self {
            Local::Site => authority(base).to_string(),
            Local::Campaign(c) => c.slug.to_string(),
        }
    }
}

pub fn shared_inbox(base: &str) -> String {
    format!("{base}/inbox")
}

/// The host (and port, if any) of a base URL: what follows `@` in our accounts' names.
pub fn authority(base: &str) -> &str {
    crate::web::meta::authority(base)
}

/// Reads a server's name as people type it (the follow box, the block list): `mastodon.social`, `https://mastodon.social/`,
/// `@me@mastodon.social` or `me@mastodon.social` all give `mastodon.social`.
pub fn server_name(typed: &str) -> Option<String> {
    let t = typed.trim();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let t = t.split(['/', '?', '#']).next().unwrap_or("");
    let t = t.rsplit_once('@').map(|(_, h)| h).unwrap_or(t);
    let host = t.trim_end_matches('.').to_ascii_lowercase();
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (n, Some(p)),
        Some(_) => return None,
        None => (host.as_str(), None),
    };
    let labels_ok = name.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if name.len() > 253 || !name.contains('.') || !labels_ok || port.is_some_and(|p| p.len() > 5) {
        return None;
    }
    Some(host)
}

/// How strictly IRIs from other servers are read: `http://` to loopback hosts only when our
/// own base URL is plain HTTP (a test or a machine of one's own), never in production.
pub fn parse_options(base: &str) -> ParseOptions {
    ParseOptions {
        allow_loopback_http: base.starts_with("http://"),
        ..ParseOptions::default()
    }
}

/// Reads an IRI the way [`parse_options`] allows.
pub fn iri(base: &str, s: &str) -> Option<Iri> {
    Iri::parse(s, parse_options(base).allow_loopback_http).ok()
}

/// The campaign's actor, if the campaign is public.
pub fn campaign(c: Campaign) -> Option<Local> {
    (c.state != CampaignState::Draft).then(|| Local::Campaign(Box::new(c)))
}

/// Which of our actors an IRI names (`None`: not ours, or a draft or unknown campaign).
pub async fn resolve(db: &Db, base: &str, iri: &str) -> Result<Option<Local>, DbError> {
    if iri == format!("{base}/actor") {
        return Ok(Some(Local::Site));
    }
    let Some(slug) = iri.strip_prefix(&format!("{base}/campaigns/")) else {
        return Ok(None);
    };
    if slug.is_empty() || slug.contains(['/', '?', '#']) {
        return Ok(None);
    }
    by_slug(db, slug).await
}

/// All our actors: the site's, then each public campaign's.
pub async fn locals(db: &Db) -> Result<Vec<Local>, DbError> {
    let mut out = vec![Local::Site];
    for c in crate::campaigns::repo::list(db).await? {
        if let Some(l) = campaign(c) {
            out.push(l);
        }
    }
    Ok(out)
}

/// The actor of the campaign `slug`, if it is public.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Local>, DbError> {
    Ok(crate::campaigns::repo::by_slug(db, slug)
        .await?
        .and_then(campaign))
}

/// The actor's stored row, made (with a new key pair) when it is first needed: for the
/// site, for a new campaign, and for campaigns that existed before federation.
pub async fn ensure(db: &Db, local: &Local, now: DateTime<Utc>) -> anyhow::Result<repo::ActorRow> {
    if let Some(row) = repo::actor(db, local.row_id()).await? {
        return Ok(row);
    }
    let pair = tokio::task::spawn_blocking(keys::generate).await??;
    let row = repo::ActorRow {
        id: local.row_id().to_string(),
        campaign_id: match local {
            Local::Site => None,
            Local::Campaign(c) => Some(c.id.clone()),
        },
        public_key_pem: pair.public_pem,
        private_key_pem: pair.private_pem,
        key_created_at: now,
        manually_approves: false,
    };
    repo::insert_actor(db, &row, now).await?;
    // Another request may have stored its key first: everyone uses the stored one.
    repo::actor(db, local.row_id())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the actor {} was not stored", local.row_id()))
}

/// Makes a new campaign's actor row and key pair right away (the console and the CLI call it
/// after creating a campaign), so the key exists before anyone asks for it. A failure is only
/// logged: [`ensure`] makes the key on first need anyway.
pub async fn ensure_for_new_campaign(db: &Db, campaign_id: &str) {
    let made = async {
        let c = crate::campaigns::repo::by_id(db, campaign_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no campaign {campaign_id}"))?;
        ensure(db, &Local::Campaign(Box::new(c)), chrono::Utc::now()).await
    }
    .await;
    if let Err(e) = made {
        tracing::warn!(campaign = campaign_id, error = %e, "the campaign's key pair was not made yet");
    }
}

/// The actor document of `local` (its name, summary, page, image, key), in `tr`'s language.
pub async fn actor_document(
    db: &Db,
    base: &str,
    tr: &crate::i18n::I18n,
    local: &Local,
    now: DateTime<Utc>,
) -> anyhow::Result<serde_json::Value> {
    let row = ensure(db, local, now).await?;
    let profile = match local {
        Local::Site => documents::Profile {
            name: tr.t("site-name"),
            summary: tr.t("blog-description"),
            url: format!("{base}/"),
            image: None,
            manually_approves: row.manually_approves,
        },
        Local::Campaign(c) => documents::Profile {
            name: c.title.clone(),
            summary: c.summary.clone(),
            url: local.id(base),
            image: c
                .cover_image_url
                .as_deref()
                .map(|u| crate::http::absolute::from_base(base, u)),
            manually_approves: row.manually_approves,
        },
    };
    Ok(documents::actor(
        base,
        tr,
        local,
        &profile,
        &row.public_key_pem,
    ))
}

/// Replaces an actor's key pair: the old key stops verifying at once, and the followers'
/// servers are sent an `Update` of the actor with the new key (signed with it), so they
/// need not wait for a signature to fail before fetching it. Returns the deliveries queued.
pub async fn rotate_key(
    db: &Db,
    base: &str,
    tr: &crate::i18n::I18n,
    local: &Local,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    ensure(db, local, now).await?;
    let pair = tokio::task::spawn_blocking(keys::generate).await??;
    repo::replace_key(db, local.row_id(), &pair.public_pem, &pair.private_pem, now).await?;
    let doc = actor_document(db, base, tr, local, now).await?;
    let actor = local.id(base);
    let id = format!("{actor}#updates/{}", now.timestamp_millis());
    let mut object = doc;
    if let Some(o) = object.as_object_mut() {
        o.remove("@context");
    }
    let mut body = documents::activity("Update", &id, &actor, &local.followers(base), object);
    body["@context"] = serde_json::json!([documents::AS, documents::SECURITY]);
    let inboxes = deliver::audience(db, &[local.row_id()]).await?;
    let mut tx = db.begin().await?;
    let n =
        deliver::enqueue_each_in(&mut tx, base, local, &inboxes, &body.to_string(), now).await?;
    tx.commit().await?;
    Ok(n)
}

/// Whether follow requests to this actor wait for a member's approval.
pub async fn set_manually_approves(
    db: &Db,
    local: &Local,
    on: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    ensure(db, local, now).await?;
    repo::set_manually_approves(db, local.row_id(), on).await?;
    Ok(())
}

/// The signer for requests made as `local`.
pub async fn signer(
    db: &Db,
    base: &str,
    local: &Local,
    now: DateTime<Utc>,
) -> anyhow::Result<signatures::Signer> {
    let row = ensure(db, local, now).await?;
    Ok(signatures::Signer {
        key_id: local.key_id(base),
        key: row.private_key_pem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_keeps_the_port() {
        assert_eq!(authority("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(authority("https://library.example"), "library.example");
        assert_eq!(
            Local::Site.id("https://l.example"),
            "https://l.example/actor"
        );
        assert_eq!(
            Local::Site.inbox("https://l.example"),
            "https://l.example/inbox"
        );
    }

    #[test]
    fn loopback_http_only_for_a_plain_http_base() {
        assert!(parse_options("http://127.0.0.1:1").allow_loopback_http);
        assert!(!parse_options("https://library.example").allow_loopback_http);
    }
}
