//! The blog's stored states as enums, each parsed strictly where a row is read (an unknown
//! text is [`Unknown`], which the store reports as corrupt data): what a post is
//! ([`PostKind`]), where it is in its life ([`PostStatus`]), whether it takes comments
//! ([`CommentStatus`]), and where a comment is in moderation ([`Moderation`]). Each matches
//! its column's `CHECK` constraint in `migrations/{sqlite,postgres}`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stored text that names no value of its enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct Unknown {
    pub what: &'static str,
    pub value: String,
}

/// `TryFrom<String>` through the enum's `parse`, for `#[sqlx(try_from = "String")]` fields.
macro_rules! from_text {
    ($t:ty, $what:literal) => {
        impl TryFrom<String> for $t {
            type Error = Unknown;
            fn try_from(value: String) -> Result<$t, Unknown> {
                <$t>::parse(&value).ok_or(Unknown { what: $what, value })
            }
        }
    };
}

/// What a post is (`posts.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// A title and a body.
    Article,
    /// Short, no title (live-blogging from a phone).
    Note,
    /// A standing page (About, Contact…), at `/{slug}/`.
    Page,
}

impl PostKind {
    pub const ALL: [PostKind; 3] = [PostKind::Article, PostKind::Note, PostKind::Page];
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Article => "article",
            PostKind::Note => "note",
            PostKind::Page => "page",
        }
    }
    pub fn parse(s: &str) -> Option<PostKind> {
        PostKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for PostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a post is in its life (`posts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    /// Waiting for an editor's review.
    Pending,
    /// Published by a job at `published_at`.
    Scheduled,
    Published,
    /// Visible to the team only.
    Private,
}

impl PostStatus {
    pub const ALL: [PostStatus; 5] = [
        PostStatus::Draft,
        PostStatus::Pending,
        PostStatus::Scheduled,
        PostStatus::Published,
        PostStatus::Private,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Pending => "pending",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
            PostStatus::Private => "private",
        }
    }
    pub fn parse(s: &str) -> Option<PostStatus> {
        PostStatus::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for PostStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a post takes comments (`posts.comment_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentStatus {
    Open,
    Closed,
}

impl CommentStatus {
    pub fn from_open(open: bool) -> CommentStatus {
        if open {
            CommentStatus::Open
        } else {
            CommentStatus::Closed
        }
    }
    pub fn is_open(self) -> bool {
        self == CommentStatus::Open
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Open => "open",
            CommentStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<CommentStatus> {
        [CommentStatus::Open, CommentStatus::Closed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Where a comment is in moderation (`comments.status`). Only approved comments are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moderation {
    /// Held for a moderator.
    Pending,
    Approved,
    /// Never shown; kept so the address's attempts count.
    Spam,
    Trash,
}

impl Moderation {
    /// In the moderation queue's order (its tabs).
    pub const ALL: [Moderation; 4] = [
        Moderation::Pending,
        Moderation::Approved,
        Moderation::Spam,
        Moderation::Trash,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Pending => "pending",
            Moderation::Approved => "approved",
            Moderation::Spam => "spam",
            Moderation::Trash => "trash",
        }
    }
    pub fn parse(s: &str) -> Option<Moderation> {
        Moderation::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Whether a reply may hang under a comment in this state (pending or approved; a
    /// moderator's reply approves a pending one).
    pub fn takes_replies(self) -> bool {
        matches!(self, Moderation::Pending | Moderation::Approved)
    }
}

impl fmt::Display for Moderation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

from_text!(PostKind, "post kind");
from_text!(PostStatus, "post status");
from_text!(CommentStatus, "comment status");
from_text!(Moderation, "comment moderation state");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_and_unknown_ones_are_refused() {
        for m in Moderation::ALL {
            assert_eq!(Moderation::try_from(m.as_str().to_string()), Ok(m));
        }
        for k in PostKind::ALL {
            assert_eq!(PostKind::try_from(k.to_string()), Ok(k));
        }
        for s in PostStatus::ALL {
            assert_eq!(PostStatus::try_from(s.to_string()), Ok(s));
        }
        assert_eq!(
            CommentStatus::try_from("closed".to_string()),
            Ok(CommentStatus::Closed)
        );
        assert_eq!(
            Moderation::try_from("Approved".to_string()),
            Err(Unknown {
                what: "comment moderation state",
                value: "Approved".into()
            })
        );
        assert!(PostKind::try_from("essay".to_string()).is_err());
        assert!(CommentStatus::try_from(String::new()).is_err());
    }
}
