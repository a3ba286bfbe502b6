//! Ending what a member's old credentials could still use. A completed password reset, a
//! password change on the account page and "sign out everywhere" all call [`end_all`]: in one
//! transaction it ends the member's sessions (all, or all but the one making the change), uses
//! up their unused one-time links (sign-in, invitation, reset), revokes their personal API
//! tokens (each recorded as `token.revoked`) and records the action itself with the counts.
//! A stolen session, a leaked token or a link still sitting in a mailbox stops working.

use super::audit::{self, Actor};
use super::{links, repo, tokens};
use crate::db::{Db, DbResult};

/// What [`end_all`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ended {
    pub sessions: u64,
    pub tokens: u64,
    pub links: u64,
}

impl Ended {
    /// The audit detail: `2 other sessions ended; 1 API tokens revoked; 0 unused links used up`
    /// (`other` when the current session was kept).
    pub fn detail(&self, kept_one: bool) -> String {
        format!(
            "{} {}sessions ended; {} API tokens revoked; {} unused links used up",
            self.sessions,
            if kept_one { "other " } else { "" },
            self.tokens,
            self.links
        )
    }
}

/// Ends the member's sessions except `keep` (a session's `id_hash`; `None` ends them all),
/// uses up their unused links, revokes their API tokens and records `action` on the member
/// (detail: [`Ended::detail`] followed by `note`), all in one transaction.
pub async fn end_all(
    db: &Db,
    member_id: &str,
    keep: Option<&str>,
    by: &Actor,
    action: &str,
    note: &str,
) -> DbResult<Ended> {
    let mut tx = db.begin().await?;
    // No stored hash is empty, so `""` keeps nothing.
    let keep_hash = keep.unwrap_or("");
    let sessions = repo::sessions::delete_all_but_in(&mut tx, member_id, keep_hash).await?;
    let links = links::use_up_all_in(&mut tx, member_id).await?;
    let tokens = tokens::revoke_all_in(&mut tx, member_id, by, action).await?;
    let ended = Ended {
        sessions,
        tokens,
        links,
    };
    let detail = format!("{}{note}", ended.detail(keep.is_some()));
    audit::record_in(&mut tx, by, action, member_id, &detail).await?;
    tx.commit().await?;
    tracing::info!(
        member = %member_id,
        action,
        sessions,
        tokens,
        links,
        "credentials ended"
    );
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details() {
        let e = Ended {
            sessions: 2,
            tokens: 1,
            links: 0,
        };
        assert_eq!(
            e.detail(true),
            "2 other sessions ended; 1 API tokens revoked; 0 unused links used up"
        );
        assert_eq!(
            e.detail(false),
            "2 sessions ended; 1 API tokens revoked; 0 unused links used up"
        );
    }
}
