//! Our actors as readers of the fediverse: the site and each campaign can follow accounts
//! elsewhere (a sister library's campaign, a library association, a supporter), and the team
//! reads what those accounts post in the console, likes and boosts it, and replies — as the
//! actor that follows the account.
//!
//! * [`lookup`] reads what people type (`@name@server`, `name@server`, or the account's
//!   address) through WebFinger and the actor document; [`follow`] sends a signed `Follow`
//!   to the account's inbox, kept `pending` until its server answers `Accept` ([`accepted`];
//!   a `Reject` removes it); [`unfollow`] sends the `Undo`.
//! * [`received`]: a `Create` or `Update` of a post (a Note or an Article) from an account one
//!   of our actors follows is kept in the timeline as plain text (its HTML read into text, so
//!   no markup from another server reaches a page); a `Delete` removes it.
//! * [`toggle`] likes or boosts a post (`Like`, `Announce`), or takes it back (`Undo`);
//!   [`reply`] sends a public Note in reply, mentioning the author (to the author's inbox and
//!   our actor's followers), served at `{actor}/notes/{id}` and kept in the outbox.
//!
//! Posts are kept [`KEEP_DAYS`] days. Posts that followed accounts boost (`Announce` of someone else's post) are not fetched:
//! the timeline holds what the followed accounts write themselves.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::deliver::{self, Deliver};
use super::documents::{self, AS, PUBLIC};
use super::remote;
use super::repo::{self, FollowState, Following, Published, RemoteActor, SentReaction};
use super::{Local, actors};
use crate::db::Db;
use crate::outbound::Outbound;
use shelfraiser_formats::activitypub::{Note, NoteKind, ObjectRef};
use shelfraiser_formats::html::escape;

/// The longest reply the console sends (Mastodon's default limit is 500 characters).
pub const MAX_REPLY: usize = 500;
/// How much of a post's text is kept (the link leads to the whole post).
const MAX_TEXT: usize = 5000;

/// Why an account cannot be followed, or a post reacted to.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// Not an address we can read.
    #[error("not an account's address")]
    Unreadable,
    /// The server answered, but not with a usable account.
    #[error("no such account: {0}")]
    NotFound(String),
    /// One of this site's own accounts.
    #[error("one of this site's own accounts")]
    Ours,
    #[error("the account or its server is blocked")]
    Blocked,
    /// Not in the timeline (reactions and replies are to posts we received).
    #[error("no such post")]
    NoPost,
    #[error("a reply needs text, at most {MAX_REPLY} characters")]
    BadReply,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::db::DbError> for FollowError {
    fn from(e: crate::db::DbError) -> FollowError {
        FollowError::Other(e.into())
    }
}

/// An account's address as typed: `@name@host`, `name@host`, or an `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Handle { user: String, host: String },
    Url(String),
}

/// Reads what someone typed into "Follow an account".
pub fn parse_address(base: &str, typed: &str) -> Option<Address> {
    let t = typed.trim();
    if t.starts_with("https://") || t.starts_with("http://") {
        return super::iri(base, t).map(|i| Address::Url(i.as_str().to_string()));
    }
    let t = t.strip_prefix('@').unwrap_or(t);
    let (user, host) = t.split_once('@')?;
    let user_ok = !user.is_empty()
        && user.len() <= 100
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let host = super::server_name(host).filter(|h| h == &host.to_ascii_lowercase())?;
    user_ok.then(|| Address::Handle {
        user: user.to_string(),
        host,
    })
}

/// The actor id WebFinger gives for `acct:{user}@{host}`.
async fn webfinger(
    out: &Outbound,
    base: &str,
    user: &str,
    host: &str,
) -> Result<String, FollowError> {
    // Over plain HTTP only where our own base is (a test or a machine of one's own).
    let scheme = if base.starts_with("http://") {
        "http"
    } else {
        "https"
    };
    let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}");
    let res = out
        .get(&url)
        .header(
            http::header::ACCEPT,
            "application/jrd+json, application/json",
        )
        .max_bytes(64 * 1024)
        .timeout(remote::TIMEOUT)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| FollowError::NotFound(e.to_string()))?;
    let jrd: Value =
        serde_json::from_slice(&res.body).map_err(|e| FollowError::NotFound(e.to_string()))?;
    let links = jrd["links"].as_array().cloned().unwrap_or_default();
    links
        .iter()
        .find(|l| {
            l["rel"] == "self"
                && l["type"].as_str().is_some_and(|t| {
                    t == super::ACTIVITY_JSON || t.starts_with("application/ld+json")
                })
        })
        .and_then(|l| l["href"].as_str())
        .and_then(|h| super::iri(base, h))
        .map(|i| i.as_str().to_string())
        .ok_or_else(|| FollowError::NotFound(format!("no actor for {user}@{host}")))
}

/// Finds the account behind what was typed, fetched (signed as the site) and stored.
pub async fn lookup(
    db: &Db,
    out: &Outbound,
    base: &str,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<RemoteActor, FollowError> {
    let address = parse_address(base, typed).ok_or(FollowError::Unreadable)?;
    let id = match address {
        Address::Handle { user, host } => webfinger(out, base, &user, &host).await?,
        Address::Url(u) => u,
    };
    // Every id of ours is under the base URL (campaigns, the site).
    if id.starts_with(&format!("{base}/")) {
        return Err(FollowError::Ours);
    }
    let signer = super::signer(db, base, &Local::Site, now).await?;
    match actors::refresh(db, out, base, &id, &signer, now).await {
        Ok(a) => Ok(a),
        // A profile page's address: its document names the actor's id (same server).
        Err(actors::ActorError::Document(_)) => {
            let doc = remote::fetch_json(out, &id, &signer, now)
                .await
                .map_err(|e| FollowError::NotFound(e.to_string()))?;
            let real = doc["id"]
                .as_str()
                .and_then(|s| super::iri(base, s))
                .filter(|i| super::authority(i.as_str()) == super::authority(&id))
                .ok_or_else(|| FollowError::NotFound(format!("{id} is not an account")))?;
            actors::refresh(db, out, base, real.as_str(), &signer, now)
                .await
                .map_err(|e| FollowError::NotFound(e.to_string()))
        }
        Err(e) => Err(FollowError::NotFound(e.to_string())),
    }
}

/// `local` follows the account typed: a signed `Follow` to its inbox, the follow kept
/// pending until its server accepts. Following again sends a new request.
pub async fn follow(
    db: &Db,
    out: &Outbound,
    base: &str,
    local: &Local,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<RemoteActor, FollowError> {
    let target = lookup(db, out, base, typed, now).await?;
    let blocks = repo::blocks(db).await?;
    if super::moderation::is_blocked(&blocks, &target.id) {
        return Err(FollowError::Blocked);
    }
    let row = super::ensure(db, local, now).await?;
    let actor = local.id(base);
    let follow_id = format!("{actor}#follows/{}", uuid::Uuid::new_v4().simple());
    let body = json!({
        "@context": AS,
        "id": follow_id,
        "type": "Follow",
        "actor": actor,
        "object": target.id,
    });
    let mut tx = db.begin().await?;
    repo::save_following_in(
        &mut tx,
        &Following {
            actor_id: row.id.clone(),
            target: target.id.clone(),
            follow_id,
            inbox: target.inbox.clone(),
            state: FollowState::Pending,
            created_at: now,
        },
    )
    .await?;
    deliver::enqueue_in(&mut tx, &deliver_as(base, local, &target.inbox, &body), now).await?;
    tx.commit().await?;
    Ok(target)
}

fn deliver_as(base: &str, local: &Local, inbox: &str, body: &Value) -> Deliver {
    Deliver {
        actor: local.row_id().to_string(),
        key_id: local.key_id(base),
        inbox: inbox.to_string(),
        body: body.to_string(),
    }
}

/// `local` stops following `target`: the row goes and an `Undo` of the Follow is sent.
/// Returns whether it followed.
pub async fn unfollow(
    db: &Db,
    base: &str,
    local: &Local,
    target: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Some(f) = repo::following(db, local.row_id(), target).await? else {
        return Ok(false);
    };
    let actor = local.id(base);
    let body = json!({
        "@context": AS,
        "id": format!("{}/undo", f.follow_id),
        "type": "Undo",
        "actor": actor,
        "object": {"id": f.follow_id, "type": "Follow", "actor": actor, "object": f.target},
    });
    let mut tx = db.begin().await?;
    let removed = repo::remove_following_in(&mut tx, local.row_id(), target).await?;
    if removed {
        deliver::enqueue_in(&mut tx, &deliver_as(base, local, &f.inbox, &body), now).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// The account `sender` accepted one of our follow requests. Returns whether it was ours.
pub async fn accepted(db: &Db, sender: &RemoteActor, object: &ObjectRef) -> anyhow::Result<bool> {
    Ok(repo::accept_following(db, &sender.id, object.id.as_str()).await?)
}

/// The account `sender` refused one of our follow requests (or ended our follow).
pub async fn refused(db: &Db, sender: &RemoteActor, object: &ObjectRef) -> anyhow::Result<bool> {
    Ok(repo::remove_following_by_id(db, &sender.id, object.id.as_str()).await?)
}

/// A post from `sender` (`creating`: a `Create`, else an `Update`): kept when one of our
/// actors follows the sender (an `Update` also when we kept the post). Returns whether it
/// was kept.
pub async fn received(
    db: &Db,
    sender: &RemoteActor,
    note: &Note,
    creating: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let known = !creating && repo::timeline_item(db, note.id.as_str()).await?.is_some();
    if !known && !repo::is_followed(db, &sender.id).await? {
        return Ok(false);
    }
    let mut text = crate::blog::remote::text_from_html(&note.content);
    let kind = match note.kind {
        NoteKind::Note => {
            if let Some(cw) = note.summary.as_deref().map(str::trim)
                && !cw.is_empty()
            {
                text = format!("[{cw}]\n\n{text}");
            }
            "note"
        }
        NoteKind::Article => "article",
    };
    if text.chars().count() > MAX_TEXT {
        text = text.chars().take(MAX_TEXT).collect::<String>() + "…";
    }
    let name: String = note
        .name
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(300)
        .collect();
    if text.trim().is_empty() && name.trim().is_empty() {
        return Ok(false);
    }
    Ok(repo::save_timeline_item(
        db,
        &repo::TimelineItem {
            object_id: note.id.as_str().to_string(),
            author: sender.id.clone(),
            kind: kind.into(),
            name,
            text,
            url: note.url.as_ref().map(|u| u.as_str().to_string()),
            in_reply_to: note.in_reply_to.as_ref().map(|u| u.as_str().to_string()),
            published_at: note.published.unwrap_or(now),
            updated_at: (!creating).then_some(now),
            received_at: now,
        },
    )
    .await?)
}

/// How long posts stay in the timeline (the console's reading list, not an archive).
pub const KEEP_DAYS: i64 = 90;

/// Forgets the timeline's posts older than [`KEEP_DAYS`] (run with the milestone sweep).
pub async fn prune(db: &Db, now: DateTime<Utc>) -> anyhow::Result<u64> {
    Ok(repo::prune_timeline(db, now - chrono::Duration::days(KEEP_DAYS)).await?)
}

/// `sender` deleted its post `object`.
pub async fn deleted(db: &Db, sender: &RemoteActor, object: &str) -> anyhow::Result<bool> {
    Ok(repo::remove_timeline_item(db, object, &sender.id).await?)
}

/// `sender`'s account is gone: its posts and our follows of it go too.
pub async fn account_deleted(db: &Db, sender: &RemoteActor) -> anyhow::Result<()> {
    repo::remove_timeline_of(db, &sender.id).await?;
    repo::remove_following_of(db, &sender.id).await?;
    Ok(())
}

/// A like or a boost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    Like,
    Boost,
}

impl Reaction {
    /// The activity's type, as stored.
    pub fn activity(self) -> &'static str {
        match self {
            Reaction::Like => "Like",
            Reaction::Boost => "Announce",
        }
    }
}

/// The post `object_id` from the timeline and its author (stored when the post arrived).
async fn post_and_author(
    db: &Db,
    object_id: &str,
) -> Result<(repo::TimelineItem, RemoteActor), FollowError> {
    let item = repo::timeline_item(db, object_id)
        .await?
        .ok_or(FollowError::NoPost)?;
    let author = repo::remote(db, &item.author)
        .await?
        .ok_or(FollowError::NoPost)?;
    Ok((item, author))
}

/// Where an activity about `author`'s post goes: the author's server, and (for public
/// ones) our actor's followers; each inbox once, blocked ones left out.
async fn recipients(
    db: &Db,
    local: &Local,
    author: &RemoteActor,
    followers_too: bool,
) -> anyhow::Result<Vec<String>> {
    let mut to = if followers_too {
        deliver::audience(db, &[local.row_id()]).await?
    } else {
        Vec::new()
    };
    to.push(
        author
            .shared_inbox
            .clone()
            .unwrap_or_else(|| author.inbox.clone()),
    );
    to.sort();
    to.dedup();
    Ok(to)
}

/// Likes or boosts the post as `local`, or takes the like or boost back when it was given.
/// Returns whether the reaction is now on.
pub async fn toggle(
    db: &Db,
    base: &str,
    local: &Local,
    object_id: &str,
    reaction: Reaction,
    now: DateTime<Utc>,
) -> Result<bool, FollowError> {
    let (item, author) = post_and_author(db, object_id).await?;
    let row = super::ensure(db, local, now).await?;
    let actor = local.id(base);
    let kind = reaction.activity();
    let boost = reaction == Reaction::Boost;
    let to = recipients(db, local, &author, boost).await?;
    let given = repo::sent_reaction(db, &row.id, &item.object_id, kind).await?;
    let mut tx = db.begin().await?;
    let (body, on) = match given {
        Some(r) => {
            repo::remove_sent_reaction_in(&mut tx, &row.id, &item.object_id, kind).await?;
            let body = json!({
                "@context": AS,
                "id": format!("{}/undo", r.activity_id),
                "type": "Undo",
                "actor": actor,
                "object": {"id": r.activity_id, "type": kind, "actor": actor, "object": item.object_id},
            });
            (body, false)
        }
        None => {
            let suffix = if boost { "announces" } else { "likes" };
            let id = format!("{actor}#{suffix}/{}", uuid::Uuid::new_v4().simple());
            repo::save_sent_reaction_in(
                &mut tx,
                &SentReaction {
                    actor_id: row.id.clone(),
                    object_id: item.object_id.clone(),
                    kind: kind.into(),
                    activity_id: id.clone(),
                    created_at: now,
                },
            )
            .await?;
            let body = if boost {
                documents::announce(
                    &id,
                    &actor,
                    &local.followers(base),
                    &author.id,
                    &item.object_id,
                )
            } else {
                json!({
                    "@context": AS,
                    "id": id,
                    "type": "Like",
                    "actor": actor,
                    "object": item.object_id,
                })
            };
            (body, true)
        }
    };
    deliver::enqueue_each_in(&mut tx, base, local, &to, &body.to_string(), now).await?;
    tx.commit().await?;
    Ok(on)
}

/// The Note of a reply: the text as paragraphs, the author mentioned (so their server
/// tells them), addressed to everyone with the author and our followers in copy.
fn reply_note(
    id: &str,
    actor: &str,
    followers: &str,
    author: &RemoteActor,
    in_reply_to: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Value {
    let handle = if author.username.is_empty() {
        String::new()
    } else {
        format!("@{}@{}", author.username, super::authority(&author.id))
    };
    let mut html = String::new();
    for (i, para) in text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        html.push_str("<p>");
        if i == 0 && !handle.is_empty() {
            html.push_str(&format!(
                "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@{}</a></span> ",
                escape(author.page()),
                escape(&author.username)
            ));
        }
        html.push_str(&escape(para).replace('\n', "<br>"));
        html.push_str("</p>");
    }
    let mut note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": in_reply_to,
        "to": [PUBLIC],
        "cc": [followers, author.id],
        "content": html,
        "published": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "sensitive": false,
    });
    if !handle.is_empty() {
        note["tag"] = json!([{"type": "Mention", "href": author.id, "name": handle}]);
    }
    note
}

/// Replies to the post as `local`: a public Note to the author's server and our actor's
/// followers, kept in the outbox (served at its id) and shown in the timeline. Returns the
/// reply's id.
pub async fn reply(
    db: &Db,
    base: &str,
    local: &Local,
    object_id: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<String, FollowError> {
    let text = text.trim().replace("\r\n", "\n");
    if text.is_empty() || text.chars().count() > MAX_REPLY {
        return Err(FollowError::BadReply);
    }
    let (item, author) = post_and_author(db, object_id).await?;
    let row = super::ensure(db, local, now).await?;
    let actor = local.id(base);
    let id = format!("{actor}/notes/{}", uuid::Uuid::new_v4().simple());
    let note = reply_note(
        &id,
        &actor,
        &local.followers(base),
        &author,
        &item.object_id,
        &text,
        now,
    );
    let mut body = json!({
        "@context": AS,
        "id": format!("{id}#create"),
        "type": "Create",
        "actor": actor,
        "to": note["to"].clone(),
        "cc": note["cc"].clone(),
        "object": note,
    });
    body["published"] = body["object"]["published"].clone();
    let to = recipients(db, local, &author, true).await?;
    let mut tx = db.begin().await?;
    repo::insert_published_in(
        &mut tx,
        &Published {
            id: format!("{id}#create"),
            actor_id: row.id.clone(),
            kind: "Create".into(),
            object_id: id.clone(),
            body: body.to_string(),
            published_at: now,
        },
    )
    .await?;
    deliver::enqueue_each_in(&mut tx, base, local, &to, &body.to_string(), now).await?;
    tx.commit().await?;
    repo::save_timeline_item(
        db,
        &repo::TimelineItem {
            object_id: id.clone(),
            author: actor,
            kind: "note".into(),
            name: String::new(),
            text,
            url: None,
            in_reply_to: Some(item.object_id),
            published_at: now,
            updated_at: None,
            received_at: now,
        },
    )
    .await?;
    Ok(id)
}

/// One of our replies as served at its id (`{actor}/notes/{id}`), while it is out there.
pub async fn note_document(db: &Db, note_id: &str) -> anyhow::Result<Option<Value>> {
    let Some(last) = repo::last_about(db, note_id).await? else {
        return Ok(None);
    };
    if last.kind == "Delete" {
        return Ok(None);
    }
    let body: Value = serde_json::from_str(&last.body)?;
    let mut note = body["object"].clone();
    if !note.is_object() {
        return Ok(None);
    }
    note["@context"] = json!(AS);
    Ok(Some(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://library.example";

    #[test]
    fn addresses_are_read_as_people_type_them() {
        let h = |u: &str, h: &str| Address::Handle {
            user: u.into(),
            host: h.into(),
        };
        assert_eq!(
            parse_address(BASE, "@ana@mastodon.example"),
            Some(h("ana", "mastodon.example"))
        );
        assert_eq!(
            parse_address(BASE, " ana@Mastodon.example "),
            Some(h("ana", "mastodon.example"))
        );
        assert_eq!(
            parse_address(BASE, "https://mastodon.example/users/ana"),
            Some(Address::Url("https://mastodon.example/users/ana".into()))
        );
        for bad in [
            "ana",
            "@ana",
            "ana@",
            "a na@m.example",
            "ana@m.example/x",
            "http://mastodon.example/users/ana",
            "javascript:alert(1)",
        ] {
            assert_eq!(parse_address(BASE, bad), None, "{bad}");
        }
    }

    #[test]
    fn a_reply_mentions_the_author_and_escapes_the_text() {
        let author = RemoteActor {
            id: "https://m.example/users/ana".into(),
            inbox: "https://m.example/users/ana/inbox".into(),
            shared_inbox: None,
            key_id: "https://m.example/users/ana#main-key".into(),
            public_key_pem: String::new(),
            fetched_at: Utc::now(),
            name: "Ana".into(),
            username: "ana".into(),
            url: Some("https://m.example/@ana".into()),
            icon: None,
        };
        let n = reply_note(
            "https://l.example/actor/notes/1",
            "https://l.example/actor",
            "https://l.example/actor/followers",
            &author,
            "https://m.example/users/ana/statuses/9",
            "Thanks <b>all</b>!\n\nSee you",
            Utc::now(),
        );
        let html = n["content"].as_str().expect("content");
        assert!(html.starts_with("<p><span class=\"h-card\"><a href=\"https://m.example/@ana\""));
        assert!(html.contains("Thanks &lt;b&gt;all&lt;/b&gt;!</p><p>See you</p>"));
        assert_eq!(n["tag"][0]["name"], "@ana@m.example");
        assert_eq!(n["cc"][1], "https://m.example/users/ana");
        assert_eq!(n["inReplyTo"], "https://m.example/users/ana/statuses/9");
    }
}
