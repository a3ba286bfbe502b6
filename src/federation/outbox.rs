//! Publishing: a post made public, changed or taken down goes to the followers of its
//! author actor as `Create`, `Update` or `Delete` ([`on_post_changed`], the handler of the
//! blog's `POST_CHANGED` job). A campaign's post (`posts.campaign_id`) is the campaign
//! actor's, delivered to the campaign's followers; the site's actor boosts it (`Announce`)
//! to its own followers, and publishes every other post itself. Pages (kind `page`) and
//! password-protected posts are not published.
//!
//! What was sent is kept in `federation_outbox` (the outbox collection, and whether an
//! object is out there). Each activity is delivered once per inbox: a follower's shared
//! inbox when it has one (one POST for every follower on that server), its own otherwise,
//! skipping blocked servers and actors. The job's `event` is part of each activity's id,
//! so a job run again sends nothing twice.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::deliver;
use super::repo::{self, Published};
use super::{Local, documents};
use crate::blog::write::PostChanged;
use crate::db::Db;

/// The id of a post's object: stable across slug, title and permalink changes.
pub fn object_id(base: &str, post_id: &str) -> String {
    format!("{base}/posts/{post_id}")
}

/// Whether a post is published to the fediverse when public.
pub fn federable(p: &crate::blog::repo::Post, now: DateTime<Utc>) -> bool {
    p.is_public(now) && !p.is_protected() && !p.is_page()
}

/// The local actor with this row id (`site` or a campaign's id), if it still exists.
pub async fn local_of_row(db: &Db, row_id: &str) -> anyhow::Result<Option<Local>> {
    if row_id == super::SITE {
        return Ok(Some(Local::Site));
    }
    Ok(crate::campaigns::repo::by_id(db, row_id)
        .await?
        .and_then(super::campaign))
}

/// The author actor of a post: its campaign's, or the site's.
pub async fn author_of(db: &Db, p: &crate::blog::repo::Post) -> anyhow::Result<Local> {
    if let Some(id) = &p.campaign_id
        && let Some(local) = local_of_row(db, id).await?
    {
        return Ok(local);
    }
    Ok(Local::Site)
}

/// The object of a public post as we publish it.
pub async fn post_document(
    db: &Db,
    base: &str,
    p: &crate::blog::repo::Post,
    author: &Local,
    updated: Option<DateTime<Utc>>,
) -> anyhow::Result<Value> {
    let id = object_id(base, &p.id);
    let html = shelfraiser_formats::markdown::to_safe_html(&p.body_md);
    let html = crate::http::absolute::html(base, &id, &html);
    let tags: Vec<(String, String)> = crate::blog::repo::terms_of(db, &p.id)
        .await?
        .into_iter()
        .filter(|t| t.taxonomy == "tag")
        .map(|t| {
            let name: String = t
                .name
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (name, format!("{base}{}", t.path()))
        })
        .filter(|(n, _)| !n.is_empty())
        .collect();
    let image = p
        .featured_image_url
        .as_deref()
        .map(|u| crate::http::absolute::url(base, &id, u));
    let actor = author.id(base);
    let followers = author.followers(base);
    Ok(documents::post_object(&documents::PostObject {
        id: &id,
        note: p.is_note(),
        attributed_to: &actor,
        followers: &followers,
        title: &p.title,
        summary: &p.excerpt,
        content_html: &html,
        url: &id,
        published: p.published_at.unwrap_or(p.created_at),
        updated,
        image: image
            .as_deref()
            .map(|u| (u, p.featured_image_alt.as_deref().unwrap_or(""))),
        tags: &tags,
    }))
}

/// What [`on_post_changed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// `Create`, `Update`, `Delete`, or empty when nothing was published.
    pub kind: &'static str,
    /// Deliveries enqueued (one per inbox, boosts included).
    pub deliveries: usize,
}

/// Publishes a post's change to the followers (see the module notes).
pub async fn on_post_changed(
    db: &Db,
    base: &str,
    change: &PostChanged,
    now: DateTime<Utc>,
) -> anyhow::Result<Sent> {
    let nothing = Sent {
        kind: "",
        deliveries: 0,
    };
    let Some(post) = crate::blog::repo::by_id(db, &change.post_id).await? else {
        return Ok(nothing);
    };
    let object = object_id(base, &post.id);
    let last = repo::last_about(db, &object).await?;
    let out_there = last
        .as_ref()
        .is_some_and(|l| l.kind == "Create" || l.kind == "Update");
    let kind = match (federable(&post, now), out_there) {
        (true, false) => "Create",
        (true, true) => "Update",
        (false, true) => "Delete",
        (false, false) => return Ok(nothing),
    };
    // An object keeps the author it was created by.
    let author = match last.as_ref().filter(|_| out_there) {
        Some(l) => match local_of_row(db, &l.actor_id).await? {
            Some(a) => a,
            None => return Ok(nothing),
        },
        None => author_of(db, &post).await?,
    };
    let row = super::ensure(db, &author, now).await?;
    let actor = author.id(base);
    let followers = author.followers(base);
    let doc = match kind {
        "Delete" => documents::tombstone(&object),
        "Update" => post_document(db, base, &post, &author, Some(now)).await?,
        _ => post_document(db, base, &post, &author, None).await?,
    };
    let id = format!("{object}#{}-{}", kind.to_ascii_lowercase(), change.event);
    let body = documents::activity(kind, &id, &actor, &followers, doc);
    // Who hears of it: the author's followers; a campaign post's Update and Delete also
    // reach the site's followers, who saw it through the site's boost.
    let mut audience = vec![row.id.as_str()];
    let boosts = matches!(author, Local::Campaign(_));
    if boosts && kind != "Create" {
        audience.push(super::SITE);
    }
    let inboxes = deliver::audience(db, &audience).await?;
    let mut boost = None;
    if boosts && kind == "Create" {
        let site = super::ensure(db, &Local::Site, now).await?;
        let site_actor = Local::Site.id(base);
        let announce_id = format!("{site_actor}#announces/{}", change.event);
        let body = documents::announce(
            &announce_id,
            &site_actor,
            &Local::Site.followers(base),
            &actor,
            &object,
        );
        let to = deliver::audience(db, &[super::SITE]).await?;
        boost = Some((site, announce_id, body, to));
    }
    let mut tx = db.begin().await?;
    let published = Published {
        id: id.clone(),
        actor_id: row.id.clone(),
        kind: kind.to_string(),
        object_id: object.clone(),
        body: body.to_string(),
        published_at: now,
    };
    let Some(mut n) = deliver::publish_in(&mut tx, base, &author, &published, &inboxes).await?
    else {
        // This change was published before (the job ran again after a failure later on).
        return Ok(Sent {
            kind,
            deliveries: 0,
        });
    };
    if let Some((site, announce_id, body, to)) = boost {
        let announce = Published {
            id: announce_id,
            actor_id: site.id.clone(),
            kind: "Announce".into(),
            object_id: object.clone(),
            body: body.to_string(),
            published_at: now,
        };
        n += deliver::publish_in(&mut tx, base, &Local::Site, &announce, &to)
            .await?
            .unwrap_or(0);
    }
    tx.commit().await?;
    Ok(Sent {
        kind,
        deliveries: n,
    })
}
