//! Telling visitors apart without cookies and without keeping their addresses: the day's
//! salted hash of the client's address, shared by the blog's likes and the page views of
//! insight (`promotion::insight`).
//!
//! `hash = SHA-256(salt | purpose | address key)`: the address key is [`ip_key`] (an IPv6
//! address counts by its /64, as one subscriber usually holds a whole /64), the address
//! itself only ever from the `ClientIp` extractor (trusted proxies). The salt is random, one
//! per UTC day, kept in the settings table (`like_salt:<yyyy-mm-dd>`, the name it had when
//! only likes used it) so every node agrees; salts of past days are deleted, after which a
//! day's hashes can no longer be tied to an address. The purpose (`like`, `view`) keeps one
//! use's hashes from matching another's.

use std::net::IpAddr;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::db::{Db, DbResult, random_secret};

/// The settings key of a day's salt is this and the date (`like_salt:2024-06-28`).
const SALT_PREFIX: &str = "like_salt:";

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

/// The day's salt (created on first use; older days' salts are removed then, yesterday's
/// kept for a request straddling midnight).
pub async fn daily_salt(db: &Db, day: NaiveDate) -> DbResult<String> {
    let key = format!("{SALT_PREFIX}{day}");
    if let Some(v) = db.setting(&key).await? {
        return Ok(v);
    }
    let salt = db.setting_or_init(&key, random_secret).await?;
    let yesterday = format!("{SALT_PREFIX}{}", day.pred_opt().unwrap_or(day));
    db.forget_settings(SALT_PREFIX, &[&key, &yesterday]).await?;
    Ok(salt)
}

/// The salt of `day` if it is still kept (today's or yesterday's), never made anew: a
/// past day's salt made now would replace today's.
pub async fn existing_salt(db: &Db, day: NaiveDate) -> DbResult<Option<String>> {
    db.setting(&format!("{SALT_PREFIX}{day}")).await
}

/// The day's hash of an address key (see [`ip_key`]) for `purpose`; nothing else of the
/// request.
pub fn hash_key(salt: &str, purpose: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"|");
    h.update(purpose.as_bytes());
    h.update(b"|");
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

/// The day's hash of a client address for `purpose`.
pub fn hash(salt: &str, purpose: &str, ip: &str) -> String {
    hash_key(salt, purpose, &ip_key(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_differ_by_salt_purpose_and_address_only() {
        let a = hash("s", "like", "192.0.2.1");
        assert_eq!(a.len(), 64);
        assert_eq!(a, hash("s", "like", "::ffff:192.0.2.1"));
        assert_ne!(a, hash("t", "like", "192.0.2.1"));
        assert_ne!(a, hash("s", "view", "192.0.2.1"));
        assert_ne!(a, hash("s", "like", "192.0.2.2"));
        assert_eq!(
            hash("s", "view", "2001:db8:1:2::1"),
            hash("s", "view", "2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            hash("s", "view", "2001:db8:1:2::1"),
            hash("s", "view", "2001:db8:1:3::1")
        );
    }
}
