// SPDX-License-Identifier: AGPL-3.0-or-later

//! Signed, time-limited CSRF form tokens: `<unix time>.<hex HMAC-SHA256(site key,
//! "csrf|<time>|<binding>")>`, valid from 5 minutes ahead (clock skew between nodes) to
//! [`MAX_AGE_SECS`] old. A public form's token has an empty binding, so it is not tied to a
//! visitor and public pages stay cacheable; a signed-in form's is bound to the session.
//!
//! The server's `http::csrf` adds the origin checks on the request headers and keeps the
//! site key in the database.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a token stays valid, in seconds (24 hours).
pub const MAX_AGE_SECS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(<redacted>)")
    }
}

impl CsrfKey {
    pub fn new(key: &str) -> CsrfKey {
        CsrfKey(key.as_bytes().to_vec())
    }

    fn mac(&self, t: i64, binding: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(format!("csrf|{t}|{binding}").as_bytes());
        m
    }

    /// A token for public forms (not tied to a visitor).
    pub fn token(&self, now: DateTime<Utc>) -> String {
        self.token_bound("", now)
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.verify_bound(token, "", now)
    }

    /// A token bound to something only this visitor has (the session id hash): valid only
    /// with that same binding. Used on every signed-in form.
    pub fn token_bound(&self, binding: &str, now: DateTime<Utc>) -> String {
        let t = now.timestamp();
        format!(
            "{t}.{}",
            hex::encode(self.mac(t, binding).finalize().into_bytes())
        )
    }

    pub fn verify_bound(&self, token: &str, binding: &str, now: DateTime<Utc>) -> bool {
        let Some((t, sig)) = token.split_once('.') else {
            return false;
        };
        let (Ok(t), Ok(sig)) = (t.parse::<i64>(), hex::decode(sig)) else {
            return false;
        };
        let Some(age) = now.timestamp().checked_sub(t) else {
            return false;
        };
        if !(-300..=MAX_AGE_SECS).contains(&age) {
            return false;
        }
        self.mac(t, binding).verify_slice(&sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_719_561_600, 0).expect("time")
    }

    #[test]
    fn tokens() {
        let k = CsrfKey::new("k");
        let now = now();
        let t = k.token(now);
        assert!(k.verify(&t, now));
        assert!(!CsrfKey::new("other").verify(&t, now));
        assert!(!k.verify(&t, now + chrono::Duration::seconds(MAX_AGE_SECS + 1)));
        assert!(!k.verify("", now));
        assert!(!k.verify("123.zz", now));
        assert!(!k.verify(&t.replace('.', ""), now));
    }

    #[test]
    fn bound_tokens() {
        let k = CsrfKey::new("k");
        let now = now();
        let t = k.token_bound("session-a", now);
        assert!(k.verify_bound(&t, "session-a", now));
        assert!(!k.verify_bound(&t, "session-b", now));
        assert!(!k.verify(&t, now));
        // A little ahead (another node's clock) is fine; far ahead is not.
        let ahead = k.token(now + chrono::Duration::seconds(200));
        assert!(k.verify(&ahead, now));
        let far = k.token(now + chrono::Duration::seconds(400));
        assert!(!k.verify(&far, now));
        assert!(!k.verify("-9223372036854775808.00", now));
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,120}", t in any::<i64>()) {
            let k = CsrfKey::new("k");
            let _ = k.verify(&s, now());
            if let Some(at) = DateTime::from_timestamp(t, 0) {
                let _ = k.verify(&s, at);
            }
        }
    }
}
