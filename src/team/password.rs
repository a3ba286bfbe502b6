//! Passwords: argon2id with the OWASP parameters (m = 19 MiB, t = 2, p = 1), a random
//! 16-byte salt, stored as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Verification
//! compares in constant time (the `argon2` crate does), and an unknown account is answered
//! after verifying against a dummy hash, so both take the same time.
//!
//! Hashing is CPU work of tens of milliseconds: the async helpers run it on the blocking pool.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

/// Shortest accepted password, in characters.
pub const MIN_CHARS: usize = 10;
/// Longest accepted password, in characters (bounds the hashing work per request).
pub const MAX_CHARS: usize = 1024;

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("the password can have at most {MAX_CHARS} characters")]
    TooLong,
}

impl PasswordError {
    /// The Fluent message for this error.
    pub fn message_key(self) -> &'static str {
        match self {
            PasswordError::TooShort => "signin-password-too-short",
            PasswordError::TooLong => "signin-password-too-long",
        }
    }
}

/// Checks the length rules for a new password.
pub fn validate(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        Err(PasswordError::TooShort)
    } else if n > MAX_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .unwrap_or_else(|_| unreachable!("the OWASP parameters are valid argon2 parameters"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (blocking: call from a blocking thread or use [`hash_async`]).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored PHC string (blocking). A malformed stored hash
/// never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    // The parameters come from the stored string, so older hashes keep verifying.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Whether a stored hash was made with other parameters than today's (rehash at sign-in).
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => p.m_cost() != M_COST_KIB || p.t_cost() != T_COST || p.p_cost() != P_COST,
        Err(_) => true,
    }
}

/// A hash of a random password, made once: verifying against it costs what a real
/// verification costs, for answering unknown accounts in the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut pw = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut pw);
        hash(&hex::encode(pw)).unwrap_or_default()
    })
}

/// Hashes on the blocking pool.
pub async fn hash_async(password: &str) -> anyhow::Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// Verifies on the blocking pool. `stored: None` (unknown account, no password yet) verifies
/// against the dummy hash and answers `false`, taking the same time as a real check.
pub async fn verify_async(password: &str, stored: Option<String>) -> bool {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match stored {
        Some(h) => verify(&password, &h),
        None => {
            let _ = verify(&password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Computes the dummy hash ahead of the first sign-in, so the first unknown-account answer
/// is not slower than a known one.
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_owasp_parameters() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert!(!needs_rehash(&h));
        let weak = {
            let p = Params::new(8, 1, 1, None).expect("params");
            let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
            Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
                .hash_password(b"x", &salt)
                .expect("hash")
                .to_string()
        };
        assert!(needs_rehash(&weak));
        assert!(verify("x", &weak));
    }

    #[test]
    fn length_rules() {
        assert_eq!(validate("short"), Err(PasswordError::TooShort));
        assert_eq!(validate("ninechars"), Err(PasswordError::TooShort));
        assert_eq!(validate("tenchars!!"), Ok(()));
        // Characters, not bytes: ten Danish letters are enough.
        assert_eq!(validate("æøåæøåæøåæ"), Ok(()));
        assert_eq!(validate(&"a".repeat(1024)), Ok(()));
        assert_eq!(validate(&"a".repeat(1025)), Err(PasswordError::TooLong));
    }
}
