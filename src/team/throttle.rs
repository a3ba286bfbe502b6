//! Sign-in throttling, per account and per client address, with growing lockouts.
//!
//! Every failed sign-in is a row in `login_failures` under two keys, `account:<e-mail>` and
//! `ip:<address>` (IPv6 by its /64), so every node sees the same history. A key is locked
//! when it has [`ACCOUNT_LIMIT`] (account) or [`IP_LIMIT`] (address) failures within
//! [`WINDOW`]: for 1 minute; each further failure of the same streak doubles the lockout
//! (2, 4, 8 … minutes, at most [`MAX_LOCK`]). A streak ends after a quiet [`WINDOW`] past its
//! lockout. While a key is locked, sign-in is refused before the password is checked, and
//! nothing is recorded. Unknown e-mail addresses are counted exactly like known ones, so the
//! throttle reveals nothing either. A successful sign-in clears the account's failures (not
//! the address's: one good account must not unlock an address guessing at others).
//!
//! The same table also counts other per-key events with their own prefix (`reset:<e-mail>`
//! for password-reset e-mails, see [`count_since`]).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// Failures are counted within this window.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failures of one account within [`WINDOW`] that lock it.
pub const ACCOUNT_LIMIT: usize = 5;
/// Failures from one address within [`WINDOW`] that lock it.
pub const IP_LIMIT: usize = 20;
/// The longest lockout.
pub const MAX_LOCK: Duration = Duration::hours(1);
/// Failures older than this are forgotten.
const HISTORY: Duration = Duration::hours(24);
/// At most this many recent failures per key are read.
const READ_LIMIT: i64 = 500;

pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

/// The address key: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64).
pub fn ip_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => format!(
            "ip:{}",
            v6.to_ipv4_mapped()
                .map(|a| a.to_string())
                .unwrap_or_default()
        ),
        _ => format!("ip:{ip}"),
    }
}

/// How long the `level`-th lockout of a streak lasts (level 0 = 1 minute).
pub fn lock_for(level: u32) -> Duration {
    let minutes = 1i64.checked_shl(level.min(30)).unwrap_or(i64::MAX);
    Duration::minutes(minutes).min(MAX_LOCK)
}

/// The state of one key after its failures (oldest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    /// Locked until then (may be in the past).
    pub until: Option<DateTime<Utc>>,
    /// The lockout level of the current streak (0 = the first lockout).
    pub level: Option<u32>,
}

/// Replays the failures (oldest first) through the lockout rules.
pub fn replay(times: &[DateTime<Utc>], limit: usize) -> KeyState {
    let mut st = KeyState {
        until: None,
        level: None,
    };
    for (i, &t) in times.iter().enumerate() {
        if let (Some(level), Some(until)) = (st.level, st.until) {
            if t > until + WINDOW {
                st = KeyState {
                    until: None,
                    level: None,
                };
            } else {
                let level = level + 1;
                st = KeyState {
                    until: Some(t + lock_for(level)),
                    level: Some(level),
                };
                continue;
            }
        }
        let in_window = times[..=i]
            .iter()
            .rev()
            .take_while(|&&x| x > t - WINDOW)
            .count();
        if in_window >= limit {
            st = KeyState {
                until: Some(t + lock_for(0)),
                level: Some(0),
            };
        }
    }
    st
}

async fn failures(db: &Db, key: &str, now: DateTime<Utc>) -> DbResult<Vec<DateTime<Utc>>> {
    let mut v: Vec<DateTime<Utc>> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3"
    )
    .bind(key)
    .bind(now - HISTORY)
    .bind(READ_LIMIT)
    .fetch_all(p)
    .await?);
    v.reverse();
    Ok(v)
}

async fn state(db: &Db, key: &str, limit: usize, now: DateTime<Utc>) -> DbResult<KeyState> {
    Ok(replay(&failures(db, key, now).await?, limit))
}

/// Until when sign-in is refused for this e-mail or address, if it is now.
pub async fn locked_until(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Option<DateTime<Utc>>> {
    let mut until = state(db, &account_key(email), ACCOUNT_LIMIT, now)
        .await?
        .until
        .filter(|u| *u > now);
    if let Some(ip) = ip {
        let ip_until = state(db, &ip_key(ip), IP_LIMIT, now)
            .await?
            .until
            .filter(|u| *u > now);
        until = until.max(ip_until);
    }
    Ok(until)
}

/// Until when sign-in from this address is refused, if it is now: for sign-ins that name
/// no account before they are checked (passkeys).
pub async fn address_locked_until(
    db: &Db,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Option<DateTime<Utc>>> {
    let Some(ip) = ip else { return Ok(None) };
    Ok(state(db, &ip_key(ip), IP_LIMIT, now)
        .await?
        .until
        .filter(|u| *u > now))
}

/// Records a failed sign-in that names no account (an unknown passkey) for the address.
pub async fn record_address_failure(db: &Db, ip: Option<&str>, now: DateTime<Utc>) -> DbResult<()> {
    if let Some(ip) = ip {
        record(db, &ip_key(ip), now).await?;
    }
    Ok(())
}

/// What recording a failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Failures of the account in the current window or streak.
    pub account_failures: usize,
    /// This failure locked the account for the first time in its streak (time to tell the
    /// member).
    pub account_just_locked: bool,
}

/// Stores one key's failure (and forgets that key's old ones).
pub async fn record(db: &Db, key: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO login_failures (key, at) VALUES ($1, $2)"
    )
    .bind(key)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    on_db!(db, |p| sqlx::query(
        "DELETE FROM login_failures WHERE key = $1 AND at < $2"
    )
    .bind(key)
    .bind(now - HISTORY)
    .execute(p)
    .await?
    .rows_affected());
    // Now and then, forget the old rows of keys that are never seen again.
    if rand::random::<u8>() < 4 {
        on_db!(db, |p| sqlx::query(
            "DELETE FROM login_failures WHERE at < $1"
        )
        .bind(now - HISTORY)
        .execute(p)
        .await?
        .rows_affected());
    }
    Ok(())
}

/// How many rows a key has since `since` (for other per-key limits, e.g. reset e-mails).
pub async fn count_since(db: &Db, key: &str, since: DateTime<Utc>) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at > $2"
    )
    .bind(key)
    .bind(since)
    .fetch_one(p)
    .await?))
}

/// Records a failed sign-in for the e-mail tried and the address.
pub async fn record_failure(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Recorded> {
    let key = account_key(email);
    record(db, &key, now).await?;
    if let Some(ip) = ip {
        record(db, &ip_key(ip), now).await?;
    }
    let times = failures(db, &key, now).await?;
    let st = replay(&times, ACCOUNT_LIMIT);
    let recent = times.iter().filter(|t| **t > now - WINDOW).count();
    Ok(Recorded {
        account_failures: recent,
        // Level 0 is reached only by the failure that starts a streak's lockout (the next
        // one raises or ends it), so this is the failure that just locked the account.
        account_just_locked: st.level == Some(0),
    })
}

/// Forgets the account's failures (after a successful sign-in or a password reset).
pub async fn clear_account(db: &Db, email: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM login_failures WHERE key = $1"
    )
    .bind(account_key(email))
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Whole seconds until `until`, at least 1.
fn seconds_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (until - now).num_seconds().max(1)
}

/// Whole minutes until `until`, at least 1.
pub fn minutes_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (seconds_left(until, now) + 59) / 60
}

/// The `Retry-After` value (seconds, at least 1) of an answer refused until `until`.
pub fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> http::HeaderValue {
    http::HeaderValue::from(seconds_left(until, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).expect("time") + Duration::minutes(min)
    }

    #[test]
    fn locks_after_the_limit_and_grows() {
        // Four failures: not locked.
        let mut t: Vec<_> = (0..4).map(at).collect();
        assert_eq!(replay(&t, 5).until, None);
        // The fifth within 15 minutes: 1 minute.
        t.push(at(4));
        assert_eq!(replay(&t, 5).until, Some(at(5)));
        assert_eq!(replay(&t, 5).level, Some(0));
        // Each further failure of the streak doubles it.
        t.push(at(6));
        assert_eq!(replay(&t, 5).until, Some(at(8)));
        t.push(at(9));
        assert_eq!(replay(&t, 5).until, Some(at(13)));
        let mut last = 13;
        for _ in 0..10 {
            t.push(at(last + 1));
            last = replay(&t, 5)
                .until
                .map(|u| (u - at(0)).num_minutes())
                .expect("locked");
        }
        // Never more than an hour.
        assert_eq!(
            replay(&t, 5).until.map(|u| u - *t.last().expect("t")),
            Some(MAX_LOCK)
        );
    }

    #[test]
    fn spread_out_failures_do_not_lock_and_streaks_end() {
        let t: Vec<_> = (0..10).map(|i| at(i * 16)).collect();
        assert_eq!(replay(&t, 5).until, None);
        // A streak, a quiet window after its lockout, then one failure: not locked.
        let mut t: Vec<_> = (0..5).map(at).collect();
        t.push(at(4 + 1 + 16));
        let st = replay(&t, 5);
        assert_eq!(st.level, None);
    }

    #[test]
    fn lock_durations() {
        assert_eq!(lock_for(0), Duration::minutes(1));
        assert_eq!(lock_for(1), Duration::minutes(2));
        assert_eq!(lock_for(5), Duration::minutes(32));
        assert_eq!(lock_for(6), Duration::hours(1));
        assert_eq!(lock_for(99), Duration::hours(1));
    }

    #[test]
    fn keys() {
        assert_eq!(account_key(" Ana@Example.org "), "account:ana@example.org");
        assert_eq!(ip_key("192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(ip_key("2001:db8:1:2:3:4:5:6"), "ip:2001:db8:1:2::/64");
        assert_eq!(ip_key("::ffff:192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(minutes_left(at(1), at(0)), 1);
        assert_eq!(minutes_left(at(0) + Duration::seconds(61), at(0)), 2);
    }
}
