//! Reactions to our posts from other sites — replies, likes and reposts from the fediverse
//! (`Create` of a Note in reply, `Like`, `Announce`) and from Webmention — as the blog keeps
//! them: replies are comments of kind `fediverse` or `webmention`, moderated like any
//! comment (held unless their author had a reply approved before; the comment block list
//! applies; too many links hold or mark as spam); likes and reposts are rows of
//! `post_reactions`. Everything is keyed by its source (the activity's or the object's id,
//! the Webmention source URL): a repeat changes nothing, an edit replaces the text, a delete
//! takes it down. Public pages are kept by `blog_version`, which these writes bump.
//!
//! Callers (federation, webmention) hand over plain text: [`text_from_html`] turns another
//! server's HTML into the text a comment stores.

use chrono::{DateTime, Utc};

use super::repo::comments::{self, RemoteRow};
use super::repo::reactions::{self, Reaction};
use super::repo::{self, Moderation, Post};
use super::spam;
use crate::db::{Db, DbResult};

/// Where a reaction came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Fediverse,
    Webmention,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Fediverse => "fediverse",
            Source::Webmention => "webmention",
        }
    }
}

/// A like or a repost (a boost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionKind {
    Like,
    Repost,
}

impl ReactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Like => "like",
            ReactionKind::Repost => "repost",
        }
    }
}

/// Longest stored reply text (characters); longer replies are cut with an ellipsis.
pub const MAX_REPLY_CHARS: usize = 5_000;
/// Longest stored author name (characters).
pub const MAX_NAME_CHARS: usize = 100;

/// A reply from another site.
pub struct Reply<'a> {
    pub post_id: &'a str,
    pub source: Source,
    /// The reply's id at its source (a fediverse object's id, a Webmention source URL).
    pub source_key: &'a str,
    pub author_name: &'a str,
    /// The author's profile or site.
    pub author_url: &'a str,
    /// Plain text ([`text_from_html`] for HTML).
    pub text: &'a str,
    pub published: DateTime<Utc>,
}

/// What became of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub comment_id: String,
    /// A new comment (`false`: an edit of one we had).
    pub new: bool,
    pub status: Moderation,
}

fn cut(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The public post (published, not in the future) with this id.
pub async fn public_post(db: &Db, post_id: &str) -> DbResult<Option<Post>> {
    Ok(repo::by_id(db, post_id)
        .await?
        .filter(|p| p.is_public(Utc::now())))
}

/// The public post at this path under the permalink pattern (a Webmention's target, a link
/// in a reply), following old slugs.
pub async fn public_post_at(
    db: &Db,
    links: &super::permalink::Permalinks,
    path: &str,
) -> DbResult<Option<Post>> {
    let Some(m) = links.matches(path) else {
        return Ok(None);
    };
    let now = Utc::now();
    let found = match repo::by_slug(db, &m.slug).await? {
        Some(p) => Some(p),
        None => repo::by_old_slug(db, &m.slug).await?,
    };
    Ok(found.filter(|p| p.is_public(now)))
}

/// Stores a reply as a comment, or updates the text of the one from the same source (its
/// moderation state stays). A new reply is approved when its author had a reply of the same
/// kind approved before and nothing about it is suspicious; held otherwise; spam when the
/// block list or the link count says so.
pub async fn save_reply(db: &Db, r: &Reply<'_>) -> DbResult<Saved> {
    let text = cut(r.text, MAX_REPLY_CHARS);
    let name = match cut(r.author_name, MAX_NAME_CHARS) {
        n if n.is_empty() => cut(r.author_url, MAX_NAME_CHARS),
        n => n,
    };
    let list = super::comments::moderation::blocklist_entries(db).await?;
    let links = spam::count_links(&text);
    let status = if spam::blocklisted(&list, &[&name, r.author_url, &text]).is_some()
        || links > spam::SPAM_LINKS
    {
        Moderation::Spam
    } else if links <= spam::MAX_LINKS
        && comments::remote_author_approved(db, r.source.as_str(), r.author_url).await?
    {
        Moderation::Approved
    } else {
        Moderation::Pending
    };
    let (id, new) = comments::upsert_remote(
        db,
        &RemoteRow {
            post_id: r.post_id,
            parent_id: None,
            kind: r.source.as_str(),
            status,
            author_name: &name,
            author_url: r.author_url,
            body: &text,
            created_at: r.published,
            source_key: r.source_key,
        },
    )
    .await?;
    let status = if new {
        status
    } else {
        comments::by_id(db, &id)
            .await?
            .map(|c| c.status)
            .unwrap_or(status)
    };
    Ok(Saved {
        comment_id: id,
        new,
        status,
    })
}

/// Takes down the reply from this source, if its author is `author_url` (a fediverse
/// `Delete`, a Webmention source gone). Returns whether there was one.
pub async fn remove_reply(db: &Db, source_key: &str, author_url: &str) -> DbResult<bool> {
    match comments::by_source_key(db, source_key).await? {
        Some(c) if c.author_url.as_deref() == Some(author_url) => {
            Ok(comments::trash_remote(db, Some(source_key), None).await? > 0)
        }
        _ => Ok(false),
    }
}

/// Whether a reply from this source is kept (not taken down).
pub async fn has_reply(db: &Db, source_key: &str) -> DbResult<bool> {
    Ok(comments::by_source_key(db, source_key)
        .await?
        .is_some_and(|c| c.status != Moderation::Trash))
}

/// The post under the reply from this source (a reply to a reply joins the same post).
pub async fn post_of_reply(db: &Db, source_key: &str) -> DbResult<Option<String>> {
    Ok(comments::by_source_key(db, source_key)
        .await?
        .filter(|c| c.status != Moderation::Trash)
        .map(|c| c.post_id))
}

/// A like or repost from another site.
pub struct NewReaction<'a> {
    pub post_id: &'a str,
    pub kind: ReactionKind,
    pub source: Source,
    /// The activity's id, or the Webmention source URL.
    pub source_key: &'a str,
    pub actor_url: &'a str,
    pub actor_name: &'a str,
    pub at: DateTime<Utc>,
}

/// Records a like or repost; `false` when this source key was recorded before.
pub async fn add_reaction(db: &Db, r: &NewReaction<'_>) -> DbResult<bool> {
    reactions::insert(
        db,
        &Reaction {
            source_key: r.source_key.to_string(),
            post_id: r.post_id.to_string(),
            kind: r.kind.as_str().to_string(),
            source: r.source.as_str().to_string(),
            actor_url: r.actor_url.to_string(),
            actor_name: cut(r.actor_name, MAX_NAME_CHARS),
            created_at: r.at,
        },
    )
    .await
}

/// Takes back a like or repost: the one with this source key if `actor_url` made it, or
/// (when the source key is unknown) `actor_url`'s reaction of `kind` on `post_id`.
pub async fn remove_reaction(
    db: &Db,
    source_key: &str,
    actor_url: &str,
    fallback: Option<(&str, ReactionKind)>,
) -> DbResult<bool> {
    if reactions::remove(db, source_key, actor_url).await? {
        return Ok(true);
    }
    match fallback {
        Some((post_id, kind)) => {
            Ok(reactions::remove_by_actor_on(db, post_id, kind.as_str(), actor_url).await? > 0)
        }
        None => Ok(false),
    }
}

/// Removes everything one remote author left: reactions and (to the bin) replies of this
/// source. For a deleted account or a blocked one.
pub async fn remove_author(db: &Db, source: Source, author_url: &str) -> DbResult<u64> {
    let n = reactions::remove_by_actor(db, author_url).await?;
    let m = comments::trash_remote(db, None, Some((source.as_str(), author_url))).await?;
    Ok(n + m)
}

/// A post's likes and reposts from other sites: the first few of each (for names on the
/// page) and their counts.
#[derive(Debug, Clone, Default)]
pub struct Reactions {
    pub likes: Vec<Reaction>,
    pub like_count: i64,
    pub reposts: Vec<Reaction>,
    pub repost_count: i64,
}

/// How many names of each kind a post page lists.
pub const NAMES_SHOWN: i64 = 20;

pub async fn reactions_of(db: &Db, post_id: &str) -> DbResult<Reactions> {
    let (likes, like_count) = reactions::of_post(db, post_id, "like", NAMES_SHOWN).await?;
    let (reposts, repost_count) = reactions::of_post(db, post_id, "repost", NAMES_SHOWN).await?;
    Ok(Reactions {
        likes,
        like_count,
        reposts,
        repost_count,
    })
}

/// The text of another server's HTML: tags dropped, paragraphs and line breaks kept as
/// line breaks, entities decoded, runs of blank lines folded. Links keep only their text
/// (Mastodon writes the URL as the link's text, so it stays readable and is linked again
/// when shown).
pub fn text_from_html(html: &str) -> String {
    use lol_html::html_content::ContentType;
    use lol_html::{RewriteStrSettings, element, rewrite_str};
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("br", |el| {
            el.after("\n", ContentType::Text);
            Ok(())
        }))
        .append_element_content_handler(element!(
            "p, div, li, blockquote, h1, h2, h3, h4, h5, h6, pre",
            |el| {
                el.before("\n\n", ContentType::Text);
                el.after("\n\n", ContentType::Text);
                Ok(())
            }
        ))
        .append_element_content_handler(element!("script, style", |el| {
            el.remove();
            Ok(())
        }))
        .append_element_content_handler(element!("*", |el| {
            el.remove_and_keep_content();
            Ok(())
        }))
        .append_document_content_handler(lol_html::doc_comments!(|c| {
            c.remove();
            Ok(())
        }));
    let stripped = rewrite_str(html, settings).unwrap_or_default();
    let decoded = decode_entities(&stripped);
    let mut out = String::new();
    let mut blank = 0;
    for line in decoded.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// Decodes the character references HTML text may hold (named ones of the common set,
/// decimal and hexadecimal); unknown ones stay as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail[1..].find(';').map(|i| i + 1).filter(|&i| i <= 10);
        let decoded = end.and_then(|end| {
            let name = &tail[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub use super::repo::reactions::CampaignRepost;

/// The fediverse boosts of a campaign's posts made from `since` on, oldest first (who boosted
/// is the actor's URL; federation knows the rest of the account).
pub async fn reposts_of_campaign(
    db: &Db,
    campaign_id: &str,
    since: DateTime<Utc>,
) -> DbResult<Vec<CampaignRepost>> {
    reactions::reposts_of_campaign(db, campaign_id, since).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_from_mastodon_becomes_text() {
        let html = r#"<p><span class="h-card"><a href="https://l.example/campaigns/x" class="u-url mention">@<span>x</span></a></span> Great work &amp; good luck!</p><p>Line one<br>line two <a href="https://example.org/a" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">example.org/a</span></a></p><script>alert(1)</script>"#;
        assert_eq!(
            text_from_html(html),
            "@x Great work & good luck!\n\nLine one\nline two https://example.org/a"
        );
    }

    #[test]
    fn entities_and_oddities() {
        assert_eq!(
            decode_entities("a &lt;b&gt; &#233;&#xE9; &bogus; &"),
            "a <b> éé &bogus; &"
        );
        assert_eq!(text_from_html("plain"), "plain");
        assert_eq!(text_from_html("<p></p><p>  </p>"), "");
        assert_eq!(cut("abcdef", 4), "abc…");
    }
}
