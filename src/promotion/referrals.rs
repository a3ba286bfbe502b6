//! Referral links: any supporter (no account, an optional public name) or team member makes
//! their own link to a campaign, `/r/{code}`. Following it answers 303 to the campaign page
//! with `?ref={code}`; the page is counted as a view with that code (`insight`), and a
//! donation whose form was posted from that address is credited to the link
//! (`donations::attribution`: the code travels in the address and the form's same-origin
//! `Referer`, never in a cookie).
//!
//! Codes are 8 characters from a 33-letter alphabet without look-alikes (about 40 bits):
//! short, URL-safe and not worth guessing (a guessed code only credits someone else's link).
//! Whoever made a link gets a secret manage address (its token's SHA-256 is stored) to
//! rename it, take it off the leaderboard or delete it.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::repo;
use crate::db::{Db, DbResult};
use crate::donations::attribution::CreditedEntry;

/// The 33 letters of a code: no `0/O`, `1/l/I`, no vowels (no words spelt by chance).
const ALPHABET: &[u8] = b"23456789bcdfghjkmnpqrstvwxyzBCDFG";
pub const CODE_LEN: usize = 8;
/// The longest public name.
pub const NAME_MAX: usize = 60;

/// A referral link.
#[derive(Debug, Clone)]
pub struct Link {
    pub code: String,
    pub campaign_id: String,
    /// As its maker gave it ('' for none).
    pub public_name: String,
    /// Shown by name on the supporters' leaderboard.
    pub on_leaderboard: bool,
    /// Made by this team member from the console (none: a supporter's).
    pub member_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new random code.
pub fn new_code() -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    (0..CODE_LEN)
        .map(|_| ALPHABET[r.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Whether `code` could be a code at all (checked before any database read).
pub fn plausible(code: &str) -> bool {
    code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// A public name as kept: trimmed, control characters out, at most [`NAME_MAX`] characters.
pub fn clean_name(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect::<String>()
        .trim()
        .to_string()
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes a link for `campaign_id`; returns it and its secret manage token.
pub async fn create(
    db: &Db,
    campaign_id: &str,
    name: &str,
    on_leaderboard: bool,
    member_id: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<(Link, String)> {
    let token = crate::db::random_secret();
    loop {
        let l = Link {
            code: new_code(),
            campaign_id: campaign_id.to_string(),
            public_name: clean_name(name),
            on_leaderboard,
            member_id: member_id.map(str::to_string),
            created_at: now,
        };
        if repo::insert_link(db, &l, Some(&token_hash(&token))).await? {
            return Ok((l, token));
        }
    }
}

/// The link `code`, if any.
pub async fn get(db: &Db, code: &str) -> DbResult<Option<Link>> {
    if !plausible(code) {
        return Ok(None);
    }
    repo::link(db, code).await
}

/// The link `code` when `token` is its manage token.
pub async fn managed(db: &Db, code: &str, token: &str) -> DbResult<Option<Link>> {
    if !plausible(code) || token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    repo::link_managed(db, code, &token_hash(token)).await
}

pub async fn update(db: &Db, code: &str, name: &str, on_leaderboard: bool) -> DbResult<()> {
    repo::update_link(db, code, &clean_name(name), on_leaderboard).await
}

pub async fn delete(db: &Db, code: &str) -> DbResult<()> {
    repo::delete_link(db, code).await
}

/// The links team member `member_id` made in the console, oldest first.
pub async fn of_member(db: &Db, member_id: &str) -> DbResult<Vec<Link>> {
    repo::links_of_member(db, member_id).await
}

/// A campaign's links, oldest first.
pub async fn of_campaign(db: &Db, campaign_id: &str) -> DbResult<Vec<Link>> {
    repo::links_of(db, campaign_id).await
}

/// What one link brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub code: String,
    /// The link's public name when it is on the leaderboard (or `all` was asked), else ''.
    pub name: String,
    pub on_leaderboard: bool,
    /// In the campaign's currency's minor units, refunds taken off.
    pub raised_minor: i64,
    pub donations: i64,
    /// Campaign page views that came with the code.
    pub visits: i64,
}

/// What each of `links` brought, from the campaign's credited `entries` (entries with a
/// code no link has are credited to none), most raised first. `visits` by code.
pub fn raised(
    links: &[Link],
    entries: &[CreditedEntry],
    visits: &[(String, i64)],
    all_names: bool,
) -> Vec<Raised> {
    let mut out: Vec<Raised> = links
        .iter()
        .map(|l| Raised {
            code: l.code.clone(),
            name: if l.on_leaderboard || all_names {
                l.public_name.clone()
            } else {
                String::new()
            },
            on_leaderboard: l.on_leaderboard,
            raised_minor: 0,
            donations: 0,
            visits: visits
                .iter()
                .find(|(c, _)| *c == l.code)
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    for e in entries {
        let Some(code) = &e.ref_code else { continue };
        if let Some(r) = out.iter_mut().find(|r| &r.code == code) {
            r.raised_minor += e.amount_minor;
            r.donations += i64::from(e.is_gift);
        }
    }
    out.sort_by(|a, b| {
        b.raised_minor
            .cmp(&a.raised_minor)
            .then(b.donations.cmp(&a.donations))
            .then(a.code.cmp(&b.code))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_url_safe_and_checked_before_any_read() {
        let c = new_code();
        assert_eq!(c.len(), CODE_LEN);
        assert!(plausible(&c));
        assert_ne!(c, new_code());
        assert!(!plausible("abc"));
        assert!(!plausible("0000OOOO"));
        assert!(!plausible("bcdfghj/"));
        assert_eq!(clean_name("  Ada\u{7}  Lovelace  "), "Ada  Lovelace");
        assert_eq!(clean_name(&"x".repeat(200)).len(), NAME_MAX);
    }

    #[test]
    fn a_link_is_credited_with_its_own_donations_only() {
        let now = Utc::now();
        let link = |code: &str, name: &str, on: bool| Link {
            code: code.into(),
            campaign_id: "c".into(),
            public_name: name.into(),
            on_leaderboard: on,
            member_id: None,
            created_at: now,
        };
        let entry = |minor: i64, gift: bool, code: Option<&str>| CreditedEntry {
            at: now,
            amount_minor: minor,
            is_gift: gift,
            donation_id: None,
            ref_code: code.map(str::to_string),
            utm_source: None,
            referrer_host: None,
        };
        let links = [link("aaaaaaaa", "Ada", true), link("bbbbbbbb", "Bo", false)];
        let entries = [
            entry(2500, true, Some("aaaaaaaa")),
            entry(1000, true, Some("aaaaaaaa")),
            entry(-1000, false, Some("aaaaaaaa")),
            entry(9000, true, None),
            entry(4000, true, Some("zzzzzzzz")),
        ];
        let r = raised(&links, &entries, &[("bbbbbbbb".into(), 7)], false);
        assert_eq!(r[0].code, "aaaaaaaa");
        assert_eq!((r[0].raised_minor, r[0].donations), (2500, 2));
        assert_eq!(r[0].name, "Ada");
        assert_eq!((r[1].raised_minor, r[1].donations, r[1].visits), (0, 0, 7));
        assert_eq!(r[1].name, "", "not on the leaderboard: no name");
        assert_eq!(raised(&links, &entries, &[], true)[1].name, "Bo");
    }
}
