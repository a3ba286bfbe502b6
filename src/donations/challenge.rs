//! The proof-of-work challenge the donate form asks for while card testing is suspected
//! (`card_testing::challenged`): self-hosted, no third party, no cookie.
//!
//! A challenge is a text the server signs (`signing`, HMAC-SHA256 under the site's checkout
//! key, label `pow|`): `v1:<campaign id>:<expires, unix seconds>:<bits>:<nonce>:<signature>`,
//! the nonce 16 random bytes in hex. The browser (`static/pow.js`, in a Web Worker) finds a
//! counter such that SHA-256(challenge ‖ counter in decimal) starts with `bits` zero bits,
//! and posts both back with the form. The server checks the signature in constant time,
//! the campaign, the expiry and the difficulty, recomputes one hash, and marks the nonce
//! used (`pow_spent`, across nodes) so a solution is good once.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::db::{Db, DbResult};
use crate::donations::repo::card_testing as store;

/// How long a challenge may be solved and used.
pub const LIFETIME: Duration = Duration::minutes(10);

/// Why a solution was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a challenge of ours, for another campaign, or altered.
    Invalid,
    Expired,
    /// Asked at a lower difficulty than the site asks now.
    TooEasy,
    /// The counter does not give enough zero bits.
    Unsolved,
    /// Used already.
    Reused,
}

/// A checked challenge: its nonce and expiry, to be spent ([`spend`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    pub nonce: String,
    pub expires_at: DateTime<Utc>,
}

fn signed_part(campaign_id: &str, expires: i64, bits: u8, nonce: &str) -> String {
    format!("v1:{campaign_id}:{expires}:{bits}:{nonce}")
}

/// A new challenge for `campaign_id` at `bits` of difficulty, valid for [`LIFETIME`].
pub fn issue(key: &str, campaign_id: &str, bits: u8, now: DateTime<Utc>) -> String {
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let body = signed_part(campaign_id, (now + LIFETIME).timestamp(), bits, &nonce);
    let sig = crate::signing::sign(key, &[b"pow|", body.as_bytes()]);
    format!("{body}:{sig}")
}

/// The number of leading zero bits of `hash`.
pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut n = 0;
    for b in hash {
        if *b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

/// Whether `counter` solves `challenge` at `bits`: SHA-256(challenge ‖ counter) has at
/// least `bits` leading zero bits.
pub fn solves(challenge: &str, counter: &str, bits: u8) -> bool {
    let hash = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(counter.as_bytes())
        .finalize();
    leading_zero_bits(&hash) >= u32::from(bits)
}

/// Checks a posted challenge and counter for `campaign_id` at no less than `min_bits`
/// (nothing stored: see [`spend`]).
pub fn check(
    key: &str,
    campaign_id: &str,
    min_bits: u8,
    challenge: &str,
    counter: &str,
    now: DateTime<Utc>,
) -> Result<Solved, Refused> {
    if challenge.len() > 300 || counter.is_empty() || counter.len() > 20 {
        return Err(Refused::Invalid);
    }
    let parts: Vec<&str> = challenge.split(':').collect();
    let [version, campaign, expires, bits, nonce, sig] = parts.as_slice() else {
        return Err(Refused::Invalid);
    };
    let body = challenge
        .rsplit_once(':')
        .map(|(b, _)| b)
        .ok_or(Refused::Invalid)?;
    if *version != "v1" || !crate::signing::verify(key, &[b"pow|", body.as_bytes()], sig) {
        return Err(Refused::Invalid);
    }
    if *campaign != campaign_id || !counter.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refused::Invalid);
    }
    let expires: i64 = expires.parse().map_err(|_| Refused::Invalid)?;
    let bits: u8 = bits.parse().map_err(|_| Refused::Invalid)?;
    let expires_at = DateTime::from_timestamp(expires, 0).ok_or(Refused::Invalid)?;
    if expires_at <= now {
        return Err(Refused::Expired);
    }
    if bits < min_bits {
        return Err(Refused::TooEasy);
    }
    if !solves(challenge, counter, bits) {
        return Err(Refused::Unsolved);
    }
    Ok(Solved {
        nonce: (*nonce).to_string(),
        expires_at,
    })
}

/// Uses a checked solution up: `Err(Reused)` when it was used before (on any node).
pub async fn spend(db: &Db, solved: &Solved) -> DbResult<Result<(), Refused>> {
    Ok(
        if store::spend_nonce(db, &solved.nonce, solved.expires_at).await? {
            Ok(())
        } else {
            Err(Refused::Reused)
        },
    )
}

/// Solves `challenge` at `bits` by counting from 0 (for tests and the documentation's
/// timing; the browser does the same in `static/pow.js`).
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| solves(challenge, n, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    #[test]
    fn zero_bits_are_counted_from_the_left() {
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0x00, 0x80]), 8);
        assert_eq!(leading_zero_bits(&[0x00, 0x00, 0x01]), 23);
        assert_eq!(leading_zero_bits(&[0x0f, 0x00]), 4);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn a_solved_challenge_passes_and_everything_else_is_refused() {
        let c = issue("key", "camp-1", 8, now());
        let n = solve(&c, 8);
        let ok = check("key", "camp-1", 8, &c, &n, now()).expect("solved");
        assert_eq!(ok.expires_at, now() + LIFETIME);
        assert_eq!(ok.nonce.len(), 32);
        // The hash really has the zero bits (an independent computation).
        let h = Sha256::digest(format!("{c}{n}").as_bytes());
        assert_eq!(h[0], 0);

        // A counter that does not solve it (the first that fails).
        let bad = (0u64..)
            .map(|i| i.to_string())
            .find(|i| !solves(&c, i, 8))
            .expect("some counter fails");
        assert_eq!(
            check("key", "camp-1", 8, &c, &bad, now()),
            Err(Refused::Unsolved)
        );
        // Another campaign, another key, an altered difficulty, a stale one, a harder site.
        assert_eq!(
            check("key", "camp-2", 8, &c, &n, now()),
            Err(Refused::Invalid)
        );
        assert_eq!(
            check("other", "camp-1", 8, &c, &n, now()),
            Err(Refused::Invalid)
        );
        let easier = c.replacen(":8:", ":1:", 1);
        assert_eq!(
            check("key", "camp-1", 1, &easier, &n, now()),
            Err(Refused::Invalid)
        );
        assert_eq!(
            check("key", "camp-1", 8, &c, &n, now() + LIFETIME),
            Err(Refused::Expired)
        );
        assert_eq!(
            check("key", "camp-1", 9, &c, &n, now()),
            Err(Refused::TooEasy)
        );
        // Junk.
        for (ch, ctr) in [
            ("", "1"),
            ("v1:a:b", "1"),
            (c.as_str(), ""),
            (c.as_str(), "-1"),
        ] {
            assert_eq!(
                check("key", "camp-1", 8, ch, ctr, now()),
                Err(Refused::Invalid),
                "{ch} {ctr}"
            );
        }
        // Two challenges differ (a fresh nonce each).
        assert_ne!(issue("key", "camp-1", 8, now()), c);
    }
}
