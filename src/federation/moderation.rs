//! What the team decides about the fediverse (the console's `/admin/fediverse`): follow
//! requests held for approval accepted or refused (with a signed `Accept` or `Reject`), the
//! approval flag per actor, and the block list of servers and actors. A block also ends the
//! blocked side's follows; their activities are ignored from then on (`pages::receive`) and
//! nothing is delivered to them (`outbox`, `deliver`).

use chrono::{DateTime, Utc};

use super::deliver::{self, Deliver};
use super::repo::{self, FollowState};
use super::{Local, documents};
use crate::db::Db;

/// Longest block list (entries).
pub const MAX_BLOCKS: usize = 2_000;

/// Why a block list line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("line {0}: not a server name or an actor's address")]
    Line(usize),
    #[error("at most {MAX_BLOCKS} entries")]
    TooMany,
}

/// Reads a block list: one server (`spam.example`, which covers its subdomains) or actor
/// (`https://server.example/users/name`) a line; blank lines and `#` comments skipped,
/// server names lower-cased, duplicates dropped.
pub fn parse_blocks(text: &str) -> Result<Vec<String>, BlockError> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let entry = if line.starts_with("https://") || line.starts_with("http://") {
            let ok = url::Url::parse(line)
                .ok()
                .filter(|u| u.host_str().is_some() && u.username().is_empty())
                .is_some();
            if !ok || line.len() > 2048 {
                return Err(BlockError::Line(i + 1));
            }
            line.to_string()
        } else {
            // `@name@server` blocks the server's account by name: keep the server.
            super::server_name(line).ok_or(BlockError::Line(i + 1))?
        };
        if !out.contains(&entry) {
            out.push(entry);
        }
        if out.len() > MAX_BLOCKS {
            return Err(BlockError::TooMany);
        }
    }
    Ok(out)
}

/// Replaces the block list and ends the blocked side's follows. Returns the follows ended.
pub async fn set_blocks(db: &Db, blocks: &[String], now: DateTime<Utc>) -> anyhow::Result<u64> {
    repo::set_blocks(db, blocks, now).await?;
    let mut ended = 0;
    for f in repo::all_followers(db).await? {
        if is_blocked(blocks, &f) {
            ended += repo::remove_follows_by(db, &f).await?;
        }
    }
    Ok(ended)
}

/// Whether `iri` (an inbox, an actor or a key id) is blocked: its host (or a parent domain
/// of it) is listed, or the account itself (a key id's `#fragment` ignored).
pub fn is_blocked(blocks: &[String], iri: &str) -> bool {
    let iri = iri.split('#').next().unwrap_or(iri);
    let host = super::authority(iri).to_ascii_lowercase();
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(&host);
    let bare = host.split(':').next().unwrap_or(host);
    blocks.iter().any(|b| {
        b == iri
            || b.eq_ignore_ascii_case(host)
            || b.eq_ignore_ascii_case(bare)
            || bare
                .strip_suffix(b.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Accepts a held follow request: the follow takes effect and the follower's server is
/// sent an `Accept`. `false` when there was no such request.
pub async fn approve(
    db: &Db,
    base: &str,
    local: &Local,
    follower: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    answer(db, base, local, follower, true, now).await
}

/// Refuses a held follow request (or ends a follow): removed, and a `Reject` sent.
pub async fn reject(
    db: &Db,
    base: &str,
    local: &Local,
    follower: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    answer(db, base, local, follower, false, now).await
}

async fn answer(
    db: &Db,
    base: &str,
    local: &Local,
    follower: &str,
    accept: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let row = super::ensure(db, local, now).await?;
    let Some(f) = repo::followers(db, &row.id)
        .await?
        .into_iter()
        .find(|f| f.follower == follower)
    else {
        return Ok(false);
    };
    if accept && f.state == FollowState::Accepted {
        return Ok(false);
    }
    let actor = local.id(base);
    let id = format!(
        "{actor}#{}/{}",
        if accept { "accepts" } else { "rejects" },
        uuid::Uuid::new_v4().simple()
    );
    let mut body = documents::accept(&actor, &id, &f.follow_id, &f.follower);
    if !accept {
        body["type"] = "Reject".into();
    }
    let mut tx = db.begin().await?;
    if accept {
        repo::save_follower_in(
            &mut tx,
            &repo::Follower {
                state: FollowState::Accepted,
                ..f.clone()
            },
        )
        .await?;
    } else {
        repo::remove_follower_in(&mut tx, &row.id, &f.follower).await?;
    }
    deliver::enqueue_in(
        &mut tx,
        &Deliver {
            actor: row.id.clone(),
            key_id: local.key_id(base),
            inbox: f.inbox.clone(),
            body: body.to_string(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_match_hosts_their_subdomains_and_actors() {
        let blocks = vec![
            "spam.example".to_string(),
            "https://ok.example/users/troll".to_string(),
        ];
        assert!(is_blocked(&blocks, "https://spam.example/inbox"));
        assert!(is_blocked(&blocks, "https://a.spam.example/inbox"));
        assert!(is_blocked(&blocks, "https://spam.example:8443/inbox"));
        assert!(!is_blocked(&blocks, "https://notspam.example/inbox"));
        assert!(is_blocked(&blocks, "https://ok.example/users/troll"));
        assert!(is_blocked(
            &blocks,
            "https://ok.example/users/troll#main-key"
        ));
        assert!(!is_blocked(&blocks, "https://ok.example/users/ana"));
    }

    #[test]
    fn block_lists_are_read_line_by_line() {
        let text = "# servers\nSpam.Example\n\n@troll@bad.example\nhttps://ok.example/users/x\nspam.example\n";
        assert_eq!(
            parse_blocks(text).expect("list"),
            ["spam.example", "bad.example", "https://ok.example/users/x"]
        );
        assert_eq!(parse_blocks("localhost"), Err(BlockError::Line(1)));
        assert_eq!(
            parse_blocks("ok.example\nnot a host"),
            Err(BlockError::Line(2))
        );
        assert_eq!(parse_blocks("https://"), Err(BlockError::Line(1)));
    }
}
