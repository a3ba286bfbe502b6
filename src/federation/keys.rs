//! Actor key pairs: RSA-2048 made with OpenSSL, kept as PEM (the private key in a wrapper
//! that never prints), and RSASSA-PKCS1-v1_5 with SHA-256 signatures over a signing string
//! (`rsa-sha256`, and Mastodon's `hs2019` with an RSA key).

use std::fmt;

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};

/// The size of the keys we make.
pub const KEY_BITS: u32 = 2048;
/// The smallest remote key accepted.
pub const MIN_REMOTE_BITS: u32 = 2048;
/// The largest remote key accepted (verifying with a huge key is expensive).
pub const MAX_REMOTE_BITS: u32 = 8192;

/// A private key in PEM (PKCS#8). Its `Debug` says nothing of the key, and it has no
/// `Display` or `Serialize`: it cannot reach a log or a page by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    pub fn new(pem: String) -> PrivateKeyPem {
        PrivateKeyPem(pem)
    }

    /// The PEM text, for the store only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn key(&self) -> anyhow::Result<PKey<Private>> {
        PKey::private_key_from_pem(self.0.as_bytes())
            .map_err(|_| anyhow::anyhow!("the stored private key is not readable"))
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKeyPem(redacted)")
    }
}

/// A new key pair: the public key as SPKI PEM (`BEGIN PUBLIC KEY`, what actor documents
/// carry) and the private key.
pub struct KeyPair {
    pub public_pem: String,
    pub private_pem: PrivateKeyPem,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_pem", &self.public_pem)
            .field("private_pem", &self.private_pem)
            .finish()
    }
}

/// Makes an RSA-2048 key pair.
pub fn generate() -> anyhow::Result<KeyPair> {
    let rsa = Rsa::generate(KEY_BITS)?;
    let key = PKey::from_rsa(rsa)?;
    let public_pem = String::from_utf8(key.public_key_to_pem()?)?;
    let private_pem = PrivateKeyPem(String::from_utf8(key.private_key_to_pem_pkcs8()?)?);
    Ok(KeyPair {
        public_pem,
        private_pem,
    })
}

/// Signs `data` with the private key: RSASSA-PKCS1-v1_5 over SHA-256.
pub fn sign(key: &PrivateKeyPem, data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let key = key.key()?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
    signer.update(data)?;
    Ok(signer.sign_to_vec()?)
}

/// Why a remote public key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the public key is not a PEM RSA key")]
    Unreadable,
    #[error("the RSA key has {0} bits")]
    Size(u32),
}

/// Reads a remote actor's `publicKeyPem`: an RSA key (SPKI `BEGIN PUBLIC KEY`, or PKCS#1
/// `BEGIN RSA PUBLIC KEY`) of 2,048 to 8,192 bits.
pub fn public_key(pem: &str) -> Result<PKey<Public>, KeyError> {
    let key = PKey::public_key_from_pem(pem.as_bytes())
        .or_else(|_| Rsa::public_key_from_pem_pkcs1(pem.as_bytes()).and_then(PKey::from_rsa))
        .map_err(|_| KeyError::Unreadable)?;
    let rsa = key.rsa().map_err(|_| KeyError::Unreadable)?;
    let bits = rsa.size() * 8;
    if !(MIN_REMOTE_BITS..=MAX_REMOTE_BITS).contains(&bits) {
        return Err(KeyError::Size(bits));
    }
    Ok(key)
}

/// Whether `signature` is `data` signed by `key` (RSASSA-PKCS1-v1_5, SHA-256).
pub fn verify(key: &PKey<Public>, data: &[u8], signature: &[u8]) -> bool {
    Verifier::new(MessageDigest::sha256(), key)
        .and_then(|mut v| v.verify_oneshot(signature, data))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_public_key_only() {
        let a = generate().expect("key a");
        let b = generate().expect("key b");
        let sig = sign(&a.private_pem, b"(request-target): post /inbox").expect("sign");
        let pa = public_key(&a.public_pem).expect("public a");
        let pb = public_key(&b.public_pem).expect("public b");
        assert!(verify(&pa, b"(request-target): post /inbox", &sig));
        assert!(!verify(&pa, b"(request-target): post /inbox2", &sig));
        assert!(!verify(&pb, b"(request-target): post /inbox", &sig));
        assert!(a.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    }

    #[test]
    fn the_private_key_never_prints() {
        let a = generate().expect("key");
        let shown = format!("{a:?} {:?}", a.private_pem);
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn small_and_unreadable_keys_are_refused() {
        let small = Rsa::generate(1024).expect("rsa");
        let pem = String::from_utf8(
            PKey::from_rsa(small)
                .expect("pkey")
                .public_key_to_pem()
                .expect("pem"),
        )
        .expect("utf8");
        assert_eq!(public_key(&pem).err(), Some(KeyError::Size(1024)));
        assert_eq!(public_key("not a key").err(), Some(KeyError::Unreadable));
    }
}
