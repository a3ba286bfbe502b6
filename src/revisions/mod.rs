//! What the team writes in the editors, kept (table `revisions`, its store in [`repo`]):
//!
//! * **Revisions** of posts and campaign stories: the title and text as they were after each
//!   save that changed them (kind `save`, written by `blog::write` and the campaign editor in
//!   the transaction of the save) and after each restore of an older one (kind `restore`),
//!   with who and when. Before the first revision of a text written before revisions were
//!   kept, its state then is kept too ([`record_in`] with a baseline), so it can be restored.
//! * **Autosaves**: the editor's whole form as typed (kind `autosave`, its fields as JSON), at
//!   most one per member and editor (each replaces the last), written every few seconds by the
//!   editor's script and — when the session has ended — by `console::keep` from the form that
//!   was posted. The editor shows it again to that member until it is saved or discarded.
//!
//! This capability uses only the infrastructure; `blog::write` and the console use it.

mod repo;

use chrono::{DateTime, Utc};

pub use repo::{autosave, autosave_of, drop_autosave, drop_autosave_in, get, list};

use crate::db::{DbResult, Tx};

/// Whose text: a post, a post not yet created (the member's "new post" editor), a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Post(String),
    NewPost,
    Campaign(String),
}

impl Target {
    /// `post` or `campaign` (`revisions.target_kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Post(_) | Target::NewPost => "post",
            Target::Campaign(_) => "campaign",
        }
    }

    /// The post's or campaign's id; empty for a new post (`revisions.target_id`).
    pub fn id(&self) -> &str {
        match self {
            Target::Post(id) | Target::Campaign(id) => id,
            Target::NewPost => "",
        }
    }

    /// `post:<id>`, `post:new` or `campaign:<id>`.
    pub fn key(&self) -> String {
        match self {
            Target::NewPost => "post:new".into(),
            t => format!("{}:{}", t.kind(), t.id()),
        }
    }
}

/// What wrote a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Save,
    Restore,
    Autosave,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Save => "save",
            Kind::Restore => "restore",
            Kind::Autosave => "autosave",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Save, Kind::Restore, Kind::Autosave]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One kept state of a title and text.
#[derive(Debug, Clone)]
pub struct Revision {
    pub id: String,
    pub kind: Kind,
    pub member_id: Option<String>,
    /// The member's display name (or the label stored when there is no member).
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub title: String,
    pub body: String,
    /// For a restore: the revision it brought back.
    pub restored_from: Option<String>,
    /// The text's length in characters.
    pub chars: i64,
}

/// A member's autosaved form.
#[derive(Debug, Clone)]
pub struct Autosave {
    /// Every field as typed, in order.
    pub fields: Vec<(String, String)>,
    pub saved_at: DateTime<Utc>,
}

/// Who wrote: a member, or a label for writers without one (the command line).
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub member_id: Option<&'a str>,
    pub label: &'a str,
}

/// A revision to write.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub kind: Kind,
    pub title: &'a str,
    pub body: &'a str,
    pub restored_from: Option<&'a str>,
}

/// The state a text had before this save, for [`record_in`]: kept first when the text has
/// no revision yet.
#[derive(Debug, Clone, Copy)]
pub struct Before<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub member_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// Writes a revision of `target` inside `tx` (the save's transaction); when `before` is
/// given and the target has no revision yet, that earlier state is written first. Returns
/// the new revision's id.
pub async fn record_in(
    tx: &mut Tx,
    target: &Target,
    who: Author<'_>,
    snap: Snapshot<'_>,
    before: Option<Before<'_>>,
) -> DbResult<String> {
    if let Some(b) = before
        && !repo::any_in(tx, target).await?
    {
        repo::insert_in(
            tx,
            target,
            Author {
                member_id: b.member_id,
                label: "",
            },
            Snapshot {
                kind: Kind::Save,
                title: b.title,
                body: b.body,
                restored_from: None,
            },
            b.at,
        )
        .await?;
    }
    repo::insert_in(tx, target, who, snap, Utc::now()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_kinds() {
        assert_eq!(Target::Post("p1".into()).key(), "post:p1");
        assert_eq!(Target::NewPost.key(), "post:new");
        assert_eq!(Target::NewPost.id(), "");
        assert_eq!(Target::Campaign("c".into()).kind(), "campaign");
        for k in [Kind::Save, Kind::Restore, Kind::Autosave] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("draft"), None);
    }
}
