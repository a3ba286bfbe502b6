//! Recovery codes: ten at a time, shown once, stored as SHA-256, each usable once.

use chrono::Utc;
use rand::Rng;
use sha2::{Digest, Sha256};

use super::RECOVERY_CODES;
use crate::db::{Db, DbResult, Tx};
use crate::team::repo;

/// Crockford's base32 alphabet: no i, l, o, u.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A fresh recovery code: 10 symbols (50 bits) shown as `xxxxx-xxxxx`.
pub fn new_recovery_code() -> String {
    let mut rng = rand::thread_rng();
    let s: String = (0..10)
        .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..32)] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

/// The canonical form of a typed recovery code: lowercase, no separators, look-alikes mapped
/// (o → 0, i and l → 1); `None` unless it is 10 symbols of the alphabet.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect();
    (s.len() == 10 && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

fn hash_recovery_code(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Replaces the member's recovery codes with fresh ones inside `tx`; returns them for
/// showing once.
pub(super) async fn replace_recovery_codes(tx: &mut Tx, member_id: &str) -> DbResult<Vec<String>> {
    repo::totp::delete_recovery_codes_in(tx, member_id).await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = new_recovery_code();
        if codes.contains(&code) {
            continue;
        }
        let hash = hash_recovery_code(&normalize_recovery_code(&code).unwrap_or_default());
        repo::totp::insert_recovery_code_in(tx, member_id, &hash).await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Uses a recovery code: `true` once per code.
pub async fn use_recovery_code(db: &Db, member_id: &str, input: &str) -> DbResult<bool> {
    let Some(code) = normalize_recovery_code(input) else {
        return Ok(false);
    };
    repo::totp::use_recovery_code(db, member_id, &hash_recovery_code(&code), Utc::now()).await
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(db: &Db, member_id: &str) -> DbResult<i64> {
    repo::totp::recovery_codes_left(db, member_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        let n = normalize_recovery_code(&c).expect("valid");
        assert_eq!(normalize_recovery_code(&c.to_uppercase()), Some(n.clone()));
        assert_eq!(normalize_recovery_code(&n), Some(n));
        assert_eq!(
            normalize_recovery_code("ABCDE-FGHOL"),
            Some("abcdefgh01".into())
        );
        assert_eq!(normalize_recovery_code("abc"), None);
        assert_eq!(normalize_recovery_code("abcde-fghu1"), None);
    }
}
