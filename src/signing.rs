//! Keyed signatures for the links the site mails out and the hashes it keeps instead of
//! addresses: HMAC-SHA256 under a site key (kept in the settings), in hex. The commenter
//! confirmation and its address hashes (`blog::commenters`), the reply unsubscribe link
//! (`blog::replies`) and the receipt download link (`donations::receipts`) use it; each
//! starts its message with its own label, so one purpose's signature never passes as
//! another's.

use hmac::{Hmac, Mac};

fn mac(key: &str, parts: &[&[u8]]) -> Hmac<sha2::Sha256> {
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for p in parts {
        m.update(p);
    }
    m
}

/// The signature of `parts` (fed in order, nothing between them) under `key`, in hex.
pub fn sign(key: &str, parts: &[&[u8]]) -> String {
    hex::encode(mac(key, parts).finalize().into_bytes())
}

/// Whether `sig` (hex) is the signature of `parts` under `key`, compared in constant time;
/// false for anything that is not hex.
pub fn verify(key: &str, parts: &[&[u8]], sig: &str) -> bool {
    hex::decode(sig.trim()).is_ok_and(|s| mac(key, parts).verify_slice(&s).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_check_and_differ_by_key_and_message() {
        let s = sign("k", &[b"receipt|", b"d1"]);
        assert_eq!(s.len(), 64);
        assert!(verify("k", &[b"receipt|", b"d1"], &s));
        assert!(
            verify("k", &[b"receipt|d1"], &s),
            "parts are fed as one message"
        );
        assert!(!verify("k", &[b"receipt|", b"d2"], &s));
        assert!(!verify("other", &[b"receipt|", b"d1"], &s));
        assert!(!verify("k", &[b"receipt|", b"d1"], "not hex"));
        assert!(!verify("k", &[b"receipt|", b"d1"], &s[..62]));
    }
}
