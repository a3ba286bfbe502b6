//! The donor wall's moderation: what the public wall shows of a donor's name and message.
//!
//! The ledger and the donation row are not touched: the amount, the totals and what the
//! donor typed stay as recorded (the console's donation page still shows the words). The
//! decision is its own row (`donation_moderation`, no row = shown) that the wall's reads join:
//!
//! * the team (editors, treasurers, owners: `Permission::WallModerate`) may hide a donor's
//!   name (the wall shows "Anonymous") and hide a message, and show them again ([`moderate`]);
//!   each change is an audit entry (`wall.*`, with the member and the reason) in the same
//!   transaction, which also bumps the campaign's live version, so every node's cached page
//!   and every open live page drop the hidden words at once;
//! * when the site holds messages with links ([`HOLD_LINKS_SETTING`], set by owners), a new
//!   donation whose message contains a link ([`contains_link`]) is recorded with its message
//!   held ([`hold_if_linked_in`], inside the recording transaction): the name and amount show
//!   at once, the message only once someone approves it.
//!
//! Donor text is never rendered as HTML: the templates escape it and nothing links it.

use chrono::Utc;

use super::UnknownValue;
use super::ledger::DonationRow;
use super::repo::moderation as store;
use crate::db::{Db, DbResult, Tx};
use crate::team::audit::{self, Actor};

/// The site setting: `true` holds new messages that contain a link until approved.
pub const HOLD_LINKS_SETTING: &str = "donations.hold_link_messages";

/// Longest reason kept with a moderation change, in characters.
pub const MAX_REASON_CHARS: usize = 300;

/// What the wall does with a donor's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageState {
    /// Shown (never held, or approved).
    #[default]
    Shown,
    /// Waiting for review: not shown until approved.
    Held,
    /// Hidden by the team.
    Hidden,
}

impl MessageState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Shown => "shown",
            MessageState::Held => "held",
            MessageState::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> Option<MessageState> {
        Some(match s {
            "shown" => MessageState::Shown,
            "held" => MessageState::Held,
            "hidden" => MessageState::Hidden,
            _ => return None,
        })
    }
}

/// The store's edge: a stored `message_state` column.
impl TryFrom<String> for MessageState {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<MessageState, UnknownValue> {
        MessageState::parse(&value).ok_or(UnknownValue {
            what: "message state",
            value,
        })
    }
}

/// A donation's wall moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wall {
    pub name_hidden: bool,
    pub message: MessageState,
}

impl DonationRow {
    /// The name the wall shows, or `None` for "Anonymous" (given anonymously, no name, or
    /// hidden by the team).
    pub fn wall_name(&self) -> Option<&str> {
        if self.visibility != super::Visibility::Public || self.name_hidden {
            return None;
        }
        self.donor_name.as_deref().filter(|n| !n.trim().is_empty())
    }

    /// The message the wall shows, if any (not held, not hidden).
    pub fn wall_message(&self) -> Option<&str> {
        if self.message_state != MessageState::Shown {
            return None;
        }
        self.message.as_deref().filter(|m| !m.trim().is_empty())
    }
}

/// Whether `text` contains a link: a URL with a scheme, `www.`, or a bare domain
/// (`example.com/offer`), as a reader's software would make it clickable.
pub fn contains_link(text: &str) -> bool {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    finder.url_must_have_scheme(false);
    finder.links(text).next().is_some()
}

/// Whether the site holds messages with links for review (off unless an owner turned it on;
/// when the setting cannot be read, off, with the error logged).
pub async fn holds_links(db: &Db) -> bool {
    match db.setting(HOLD_LINKS_SETTING).await {
        Ok(v) => v.as_deref() == Some("true"),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the hold-links setting; treating it as off");
            false
        }
    }
}

/// Turns holding on or off, audited as `settings.hold_link_messages` (detail `on`/`off`).
pub async fn set_holds_links(db: &Db, on: bool, by: &Actor) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.set_setting(HOLD_LINKS_SETTING, if on { "true" } else { "false" })
        .await?;
    audit::record_in(
        &mut tx,
        by,
        "settings.hold_link_messages",
        HOLD_LINKS_SETTING,
        if on { "on" } else { "off" },
    )
    .await?;
    tx.commit().await
}

/// Inside a new donation's recording transaction: holds its message for review when it
/// contains a link and the site holds such messages. True when held.
pub async fn hold_if_linked_in(
    tx: &mut Tx,
    donation_id: &str,
    campaign_id: &str,
    message: Option<&str>,
) -> DbResult<bool> {
    if !message.is_some_and(contains_link) {
        return Ok(false);
    }
    if tx.setting(HOLD_LINKS_SETTING).await?.as_deref() != Some("true") {
        return Ok(false);
    }
    store::put_in(
        tx,
        donation_id,
        campaign_id,
        false,
        MessageState::Held.as_str(),
        Utc::now(),
    )
    .await?;
    Ok(true)
}

/// A donation's current wall moderation.
pub async fn wall_of(db: &Db, donation_id: &str) -> DbResult<Wall> {
    Ok(match store::get(db, donation_id).await? {
        Some((name_hidden, state)) => Wall {
            name_hidden,
            message: MessageState::parse(&state).unwrap_or_default(),
        },
        None => Wall::default(),
    })
}

/// The campaign's donations whose message waits for review, oldest first.
pub async fn held(db: &Db, campaign_id: &str, limit: i64) -> DbResult<Vec<DonationRow>> {
    super::repo::ledger::held(db, campaign_id, limit).await
}

/// How many of the campaign's messages wait for review.
pub async fn held_count(db: &Db, campaign_id: &str) -> DbResult<i64> {
    store::held_count(db, campaign_id).await
}

/// The audit action of a change from `from` to `to`, if it is one.
fn message_action(from: MessageState, to: MessageState) -> Option<&'static str> {
    match (from, to) {
        (a, b) if a == b => None,
        (_, MessageState::Hidden) => Some("wall.message_hidden"),
        (MessageState::Held, MessageState::Shown) => Some("wall.message_approved"),
        (_, MessageState::Shown) => Some("wall.message_shown"),
        (_, MessageState::Held) => Some("wall.message_held"),
    }
}

/// Sets the wall moderation of the donation `donation_id` (of `campaign_id`) to `to`: one
/// audit entry per change (`wall.name_hidden`, `wall.name_shown`, `wall.message_hidden`,
/// `wall.message_shown`, `wall.message_approved`; detail = the reason) and a bump of the
/// campaign's live version, all in one transaction. The ledger and the donation row are not
/// touched. Returns the campaign's new version, or `None` when nothing changed.
pub async fn moderate(
    db: &Db,
    donation_id: &str,
    campaign_id: &str,
    to: Wall,
    reason: &str,
    by: &Actor,
) -> DbResult<Option<i64>> {
    let mut tx = db.begin().await?;
    let from = match store::get_in(&mut tx, donation_id).await? {
        Some((name_hidden, state)) => Wall {
            name_hidden,
            message: MessageState::parse(&state).unwrap_or_default(),
        },
        None => Wall::default(),
    };
    if from == to {
        return Ok(None); // nothing written; the transaction rolls back when dropped
    }
    store::put_in(
        &mut tx,
        donation_id,
        campaign_id,
        to.name_hidden,
        to.message.as_str(),
        Utc::now(),
    )
    .await?;
    let reason: String = reason.trim().chars().take(MAX_REASON_CHARS).collect();
    if from.name_hidden != to.name_hidden {
        let action = if to.name_hidden {
            "wall.name_hidden"
        } else {
            "wall.name_shown"
        };
        audit::record_in(&mut tx, by, action, donation_id, &reason).await?;
    }
    if let Some(action) = message_action(from.message, to.message) {
        audit::record_in(&mut tx, by, action, donation_id, &reason).await?;
    }
    let version = crate::live::bump_version(&mut tx, campaign_id).await?;
    tx.commit().await?;
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_with_and_without_a_scheme() {
        for text in [
            "Cheap pills at https://spam.example/buy",
            "see http://spam.example",
            "visit www.spam.example today",
            "go to spam-shop.com/offer now",
            "<a href=\"https://spam.example\">win</a>",
        ] {
            assert!(contains_link(text), "{text:?} has a link");
        }
        for text in [
            "For the reading corner!",
            "Bøger forandrer liv.",
            "From one library lover to another.",
            "Good luck, and thanks.",
            "",
        ] {
            assert!(!contains_link(text), "{text:?} has no link");
        }
    }

    #[test]
    fn message_states_round_trip_their_stored_text() {
        for s in [
            MessageState::Shown,
            MessageState::Held,
            MessageState::Hidden,
        ] {
            assert_eq!(MessageState::try_from(s.as_str().to_string()).ok(), Some(s));
        }
        assert!(MessageState::try_from("gone".to_string()).is_err());
    }

    #[test]
    fn each_message_change_has_its_audit_action() {
        use MessageState::*;
        assert_eq!(message_action(Shown, Shown), None);
        assert_eq!(message_action(Shown, Hidden), Some("wall.message_hidden"));
        assert_eq!(message_action(Held, Hidden), Some("wall.message_hidden"));
        assert_eq!(message_action(Held, Shown), Some("wall.message_approved"));
        assert_eq!(message_action(Hidden, Shown), Some("wall.message_shown"));
    }
}
