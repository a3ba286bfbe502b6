//! Moderating comments, as the console offers it: the actions a moderator may take on a
//! comment in each [`Moderation`] state, and the spam block list (the site setting
//! `comment_blocklist`, see `blog::spam`). The queue itself and its counts are read from the
//! store ([`moderation_queue`](super::moderation_queue),
//! [`moderation_counts`](super::moderation_counts)).

use super::Moderation;
use crate::blog::spam::{BLOCKLIST_SETTING, parse_blocklist};
use crate::db::{Db, DbResult};

/// A moderator's action on one comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Spam,
    Trash,
    /// Back to pending (from spam or trash).
    Restore,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::Approve,
        Action::Spam,
        Action::Trash,
        Action::Restore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Spam => "spam",
            Action::Trash => "trash",
            Action::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The state a comment is moved to.
    pub fn target(self) -> Moderation {
        match self {
            Action::Approve => Moderation::Approved,
            Action::Spam => Moderation::Spam,
            Action::Trash => Moderation::Trash,
            Action::Restore => Moderation::Pending,
        }
    }

    /// Whether the action is offered for a comment in state `from`.
    pub fn offered_for(self, from: Moderation) -> bool {
        use Moderation::*;
        match self {
            Action::Approve => from != Approved,
            Action::Spam => matches!(from, Pending | Approved),
            Action::Trash => from != Trash,
            Action::Restore => matches!(from, Spam | Trash),
        }
    }
}

/// The block list as typed (empty when none was set).
pub async fn blocklist(db: &Db) -> DbResult<String> {
    Ok(db.setting(BLOCKLIST_SETTING).await?.unwrap_or_default())
}

/// The block list's entries (see `blog::spam::parse_blocklist`).
pub async fn blocklist_entries(db: &Db) -> DbResult<Vec<String>> {
    Ok(parse_blocklist(&blocklist(db).await?))
}

/// Replaces the block list (line ends made `\n`); returns how many entries it has.
pub async fn set_blocklist(db: &Db, text: &str) -> DbResult<usize> {
    let value = text.replace("\r\n", "\n");
    db.set_setting(BLOCKLIST_SETTING, &value).await?;
    Ok(parse_blocklist(&value).len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_offered_per_state() {
        let offered = |m: Moderation| -> Vec<&str> {
            Action::ALL
                .into_iter()
                .filter(|a| a.offered_for(m))
                .map(Action::as_str)
                .collect()
        };
        assert_eq!(offered(Moderation::Pending), ["approve", "spam", "trash"]);
        assert_eq!(offered(Moderation::Approved), ["spam", "trash"]);
        assert_eq!(offered(Moderation::Spam), ["approve", "trash", "restore"]);
        assert_eq!(offered(Moderation::Trash), ["approve", "restore"]);
        assert_eq!(
            Action::parse("restore").map(Action::target),
            Some(Moderation::Pending)
        );
        assert_eq!(Action::parse("delete"), None);
    }
}
