//! Sign-in throttling, per account and per client address, with growing lockouts.
//!
//! Every failed sign-in is a row in `login_failures` under two keys, `account:<e-mail>` and
//! `ip:<address>` (IPv6 by its /64), so every node sees the same history. A key is locked
//! when it has [`ACCOUNT_LIMIT`] (account) or [`IP_LIMIT`] (address) failures within
//! [`WINDOW`]: for 1 minute; each further failure of the same streak doubles the lockout
//! (2, 4, 8 … minutes, at most [`MAX_LOCK`]). A streak ends after a quiet [`WINDOW`] past its
//! lockout. Unknown e-mail addresses are counted exactly like known ones, so the throttle
//! reveals nothing either.
//!
//! An attempt is counted *before* it is checked ([`reserve`]): in one write transaction the
//! keys are locked (a row each in `throttle_keys`), their failures read, and, unless a key is
//! locked, the attempt is stored as a failure. A locked key refuses the attempt before the
//! password is checked, and nothing is recorded. After the check a success takes its rows
//! back ([`release`]) and clears the account's failures (not the address's: one good account
//! must not unlock an address guessing at others); a failure leaves them. So a burst of
//! simultaneous guesses, on one node or many, gets at most the limit checked.
//!
//! The same reservation counts the second factor (`2fa:<member>`, [`Rule::Count`]),
//! protected posts ([`post_keys`]), passkey sign-ins and password-reset e-mails
//! (`reset:<e-mail>`).

use chrono::{DateTime, Duration, Utc};

use crate::db::{Db, DbResult};
use crate::{on_db, on_tx};

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

/// The address key: IPv4 as is, IPv6 by its /64 (`http::visitor`, shared with likes and
/// page views).
pub use crate::http::visitor::ip_key;

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

/// What counting a failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Failures of the account in the current window or streak.
    pub account_failures: usize,
    /// This failure locked the account for the first time in its streak (time to tell the
    /// member).
    pub account_just_locked: bool,
}

/// Stores one key's failure (and forgets that key's old ones): for counts outside
/// [`reserve`], and for tests that set up a history.
pub async fn record(db: &Db, key: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "INSERT INTO login_failures (key, at) VALUES ($1, $2)"
    )
    .bind(key)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    forget_history(db, &[key], now).await
}

/// Forgets the keys' rows older than [`HISTORY`], and now and then the old rows of keys that
/// are never seen again.
async fn forget_history(db: &Db, keys: &[&str], now: DateTime<Utc>) -> DbResult<()> {
    for key in keys {
        on_db!(db, |p| sqlx::query(
            "DELETE FROM login_failures WHERE key = $1 AND at < $2"
        )
        .bind(key)
        .bind(now - HISTORY)
        .execute(p)
        .await?
        .rows_affected());
    }
    if rand::random::<u8>() < 4 {
        forget_old(db, now).await?;
    }
    Ok(())
}

/// Forgets the account's failures (after a successful sign-in or a password reset).
pub async fn clear_account(db: &Db, email: &str) -> DbResult<()> {
    clear_key(db, &account_key(email)).await
}

/// Forgets every failure of one key.
pub async fn clear_key(db: &Db, key: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM login_failures WHERE key = $1"
    )
    .bind(key)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reservations: count an attempt before checking it, atomically
// ---------------------------------------------------------------------------------------

/// How one key is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The sign-in rules: locked after `limit` failures within [`WINDOW`], with growing
    /// lockouts (see [`replay`]).
    Lockout(usize),
    /// At most `limit` attempts within `window`.
    Count { limit: usize, window: Duration },
}

/// The keys of a password sign-in: the account tried and the client's address.
pub fn signin_keys(email: &str, ip: Option<&str>) -> Vec<(String, Rule)> {
    let mut keys = vec![(account_key(email), Rule::Lockout(ACCOUNT_LIMIT))];
    if let Some(ip) = ip {
        keys.push((ip_key(ip), Rule::Lockout(IP_LIMIT)));
    }
    keys
}

/// The key of a sign-in that names no account before it is checked (an unknown passkey):
/// the client's address.
pub fn address_keys(ip: Option<&str>) -> Vec<(String, Rule)> {
    ip.map(|ip| vec![(ip_key(ip), Rule::Lockout(IP_LIMIT))])
        .unwrap_or_default()
}

/// The keys of a public form that mails an address it is given (a data request, the
/// updates form): at most `per_address` an hour for that address, however written, and
/// `per_client` an hour from the client's address. `form` names the form in the keys.
pub fn form_keys(
    form: &str,
    email: &str,
    per_address: usize,
    ip: Option<&str>,
    per_client: usize,
) -> Vec<(String, Rule)> {
    let window = Duration::hours(1);
    let mut keys = vec![(
        format!("{form}:{}", email.to_lowercase()),
        Rule::Count {
            limit: per_address,
            window,
        },
    )];
    if let Some(ip) = ip {
        keys.push((
            format!("{form}-{}", ip_key(ip)),
            Rule::Count {
                limit: per_client,
                window,
            },
        ));
    }
    keys
}

/// Wrong passwords of one protected post from one address that lock it there.
pub const POST_LIMIT: usize = 5;

/// The keys of a protected post's password form: the post from this address (growing
/// lockouts after [`POST_LIMIT`] failures) and the address over all posts ([`IP_LIMIT`]).
/// A client without a known address is counted per post only.
pub fn post_keys(post_id: &str, ip: Option<&str>) -> Vec<(String, Rule)> {
    let addr = ip.map_or_else(|| "ip:unknown".to_string(), ip_key);
    let mut keys = vec![(format!("post:{post_id}:{addr}"), Rule::Lockout(POST_LIMIT))];
    if ip.is_some() {
        keys.push((format!("post:{addr}"), Rule::Lockout(IP_LIMIT)));
    }
    keys
}

/// An attempt counted as a failure under each of its keys, before it was checked.
#[derive(Debug, Clone)]
pub struct Reservation {
    attempt: String,
    keys: Vec<String>,
    /// What the first key's history is with this attempt counted as a failure.
    pub first: Recorded,
}

/// The answer of [`reserve`].
#[derive(Debug, Clone)]
pub enum Reserve {
    /// The attempt may be checked; it already counts as a failure.
    Granted(Reservation),
    /// A key is locked until then; nothing was recorded.
    Refused(DateTime<Utc>),
}

/// When a key's history refuses an attempt at `now`, until when.
fn refused_until(times: &[DateTime<Utc>], rule: Rule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match rule {
        Rule::Lockout(limit) => replay(times, limit).until.filter(|u| *u > now),
        Rule::Count { limit, window } => {
            let recent: Vec<_> = times.iter().filter(|t| **t > now - window).collect();
            if limit == 0 {
                return Some(now + window);
            }
            (recent.len() >= limit).then(|| *recent[recent.len() - limit] + window)
        }
    }
}

/// Reserves one attempt under every key, atomically: in one write transaction the keys'
/// rows in `throttle_keys` are locked (upserted, in sorted order, so two reservations never
/// wait on each other crosswise; SQLite's `BEGIN IMMEDIATE` serialises anyway), their
/// failures are read, and unless one of them is locked the attempt is inserted as a failure
/// under each key. Simultaneous attempts are thereby counted one after another, on every
/// node: a burst gets at most the allowed number of checks. After the check, a success calls
/// [`release`]; a failure keeps the rows.
pub async fn reserve(db: &Db, keys: &[(String, Rule)], now: DateTime<Utc>) -> DbResult<Reserve> {
    let mut sorted: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut tx = db.begin().await?;
    for key in &sorted {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO throttle_keys (key, touched_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET touched_at = EXCLUDED.touched_at"
        )
        .bind(*key)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected());
    }
    let mut refused: Option<DateTime<Utc>> = None;
    let mut first = None;
    for (key, rule) in keys {
        let mut times: Vec<DateTime<Utc>> = on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3"
        )
        .bind(key)
        .bind(now - HISTORY)
        .bind(READ_LIMIT)
        .fetch_all(&mut *c)
        .await?);
        times.reverse();
        if let Some(until) = refused_until(&times, *rule, now) {
            refused = refused.max(Some(until));
            continue;
        }
        if first.is_none() {
            times.push(now);
            let st = match rule {
                Rule::Lockout(limit) => replay(&times, *limit),
                Rule::Count { .. } => KeyState {
                    until: None,
                    level: None,
                },
            };
            first = Some(Recorded {
                account_failures: times.iter().filter(|t| **t > now - WINDOW).count(),
                account_just_locked: st.level == Some(0),
            });
        }
    }
    if let Some(until) = refused {
        // Dropping the transaction rolls it back: a refused attempt records nothing.
        return Ok(Reserve::Refused(until));
    }
    let attempt = uuid::Uuid::new_v4().simple().to_string();
    for (key, _) in keys {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO login_failures (key, at, attempt) VALUES ($1, $2, $3)"
        )
        .bind(key)
        .bind(now)
        .bind(&attempt)
        .execute(&mut *c)
        .await?
        .rows_affected());
    }
    tx.commit().await?;
    // Forgetting old rows runs after the commit, outside the keys' locks.
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    forget_history(db, &names, now).await?;
    Ok(Reserve::Granted(Reservation {
        attempt,
        keys: keys.iter().map(|(k, _)| k.clone()).collect(),
        first: first.unwrap_or(Recorded {
            account_failures: 0,
            account_just_locked: false,
        }),
    }))
}

/// Takes back a reservation: the attempt succeeded (or was never checked).
pub async fn release(db: &Db, r: &Reservation) -> DbResult<()> {
    for key in &r.keys {
        on_db!(db, |p| sqlx::query(
            "DELETE FROM login_failures WHERE key = $1 AND attempt = $2"
        )
        .bind(key)
        .bind(&r.attempt)
        .execute(p)
        .await?
        .rows_affected());
    }
    Ok(())
}

/// Forgets failures and key rows older than a day.
async fn forget_old(db: &Db, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM login_failures WHERE at < $1"
    )
    .bind(now - HISTORY)
    .execute(p)
    .await?
    .rows_affected());
    on_db!(db, |p| sqlx::query(
        "DELETE FROM throttle_keys WHERE touched_at < $1"
    )
    .bind(now - HISTORY)
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
