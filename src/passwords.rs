//! Passwords: argon2id with the OWASP parameters (m = 19 MiB, t = 2, p = 1), a random
//! 16-byte salt, stored as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Verification
//! compares in constant time, and an unknown account is answered after verifying against a
//! dummy hash, so both take the same time.
//!
//! Hashing is CPU work of tens of milliseconds and 19 MiB of memory. Requests hash through a
//! [`Hasher`]: at most `workers` hashes run at once (default: one per core), each in memory
//! that worker keeps and reuses (so a burst of sign-ins neither allocates 19 MiB per attempt
//! nor leaves the allocator holding it afterwards), and a request that cannot get a worker
//! within a short wait, or finds the queue full, is refused with [`HashError::Busy`] (answered
//! 503 with `Retry-After`) without hashing. The command line (demo seed, importer) hashes one
//! password at a time with [`hash_async`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use tokio::sync::Semaphore;

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

fn owasp_params() -> Params {
    Params::new(M_COST_KIB, T_COST, P_COST, None)
        .unwrap_or_else(|_| unreachable!("the OWASP parameters are valid argon2 parameters"))
}

/// Working memory kept by a worker between hashes: enough for today's parameters. A stored
/// hash with more memory than this is verified in memory allocated for that one check.
const KEEP_BLOCKS: usize = M_COST_KIB as usize;

/// The argon2 working memory for `blocks` blocks: `buf` itself when it is (or may grow to
/// be) big enough, else a one-off allocation.
fn with_memory<T>(buf: &mut Vec<Block>, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    if blocks <= KEEP_BLOCKS {
        if buf.len() < blocks {
            buf.resize(blocks, Block::default());
        }
        f(&mut buf[..])
    } else {
        let mut once = vec![Block::default(); blocks];
        f(&mut once[..])
    }
}

/// Hashes a password with today's parameters in the working memory `buf` (blocking).
pub fn hash_in(buf: &mut Vec<Block>, password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let params = owasp_params();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = with_memory(buf, params.block_count(), |mem| {
        Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            argon
                .hash_password_into_with_memory(password.as_bytes(), &salt, out, mem)
                .map_err(argon2::password_hash::Error::from)
        })
    })
    .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches the stored PHC string, recomputed in the working memory `buf`
/// (blocking). The algorithm, version, parameters, salt and output length come from the
/// stored string, so older hashes keep verifying; the comparison is constant-time
/// (`Output`'s equality). A malformed stored hash never matches.
pub fn verify_in(buf: &mut Vec<Block>, password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = with_memory(buf, params.block_count(), |mem| {
        Output::init_with(expected.len(), |out| {
            argon
                .hash_password_into_with_memory(password.as_bytes(), salt, out, mem)
                .map_err(argon2::password_hash::Error::from)
        })
    });
    computed.is_ok_and(|c| c == expected)
}

/// Hashes a password (blocking, in memory of its own).
pub fn hash(password: &str) -> anyhow::Result<String> {
    hash_in(&mut Vec::new(), password)
}

/// Whether `password` matches the stored PHC string (blocking, in memory of its own).
pub fn verify(password: &str, stored: &str) -> bool {
    verify_in(&mut Vec::new(), password, stored)
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

/// A well-formed hash with today's parameters that no password matches (random salt and
/// output, made once without hashing): verifying against it costs what a real verification
/// costs, for answering unknown accounts in the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut salt = [0u8; 16];
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        rand::thread_rng().fill_bytes(&mut salt);
        rand::thread_rng().fill_bytes(&mut out);
        let salt = SaltString::encode_b64(&salt).unwrap_or_else(|_| unreachable!("16 bytes"));
        let out = Output::new(&out).unwrap_or_else(|_| unreachable!("32 bytes"));
        format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}${salt}${out}")
    })
}

/// Hashes on the blocking pool, in memory of its own: for the command line (demo seed,
/// importer), which hashes one password at a time. Request handlers use a [`Hasher`].
pub async fn hash_async(password: &str) -> anyhow::Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// Makes the dummy hash ahead of the first sign-in.
pub fn warm_up() {
    let _ = dummy_hash();
}

/// Why the [`Hasher`] did not answer.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every worker was busy for the whole wait, or the queue was full: nothing was hashed.
    #[error("too many password checks at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(#[from] anyhow::Error),
}

/// How long a refused client is asked to wait (`Retry-After`, seconds).
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// The bounded password hasher of one process (see the module comment). Cheap to clone.
#[derive(Clone)]
pub struct Hasher(Arc<HasherInner>);

struct HasherInner {
    workers: usize,
    permits: Arc<Semaphore>,
    /// Working memory of idle workers (at most `workers` buffers exist).
    buffers: Mutex<Vec<Vec<Block>>>,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("workers", &self.0.workers)
            .field("max_waiting", &self.0.max_waiting)
            .field("wait", &self.0.wait)
            .finish()
    }
}

/// Counts a request waiting for a worker; uncounts it however the wait ends (also when the
/// request is dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    /// `workers` hashes at once (0: one per available core), at most `max_waiting` requests
    /// waiting for a worker, each for at most `wait`.
    pub fn new(workers: usize, max_waiting: usize, wait: Duration) -> Hasher {
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            workers
        };
        Hasher(Arc::new(HasherInner {
            workers,
            permits: Arc::new(Semaphore::new(workers)),
            buffers: Mutex::new(Vec::with_capacity(workers)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait,
        }))
    }

    /// The hasher the settings describe.
    pub fn from_settings(s: &crate::config::PasswordSettings) -> Hasher {
        Hasher::new(
            s.hash_workers,
            s.hash_queue,
            Duration::from_millis(s.hash_wait_ms),
        )
    }

    /// How many hashes may run at once.
    pub fn workers(&self) -> usize {
        self.0.workers
    }

    /// Whether a check asked for now would be refused at once: every worker busy and the
    /// queue full. Callers ask before the throttle's database write, so a flood is answered
    /// 503 without queueing behind the writes of the attempts that are being checked.
    pub fn is_full(&self) -> bool {
        self.0.permits.available_permits() == 0
            && self.0.waiting.load(Ordering::SeqCst) >= self.0.max_waiting
    }

    /// Runs `f` on the blocking pool with a worker's memory, once a worker is free.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let inner = &self.0;
        let permit = match inner.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if inner.waiting.fetch_add(1, Ordering::SeqCst) >= inner.max_waiting {
                    inner.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(HashError::Busy);
                }
                let _waiting = Waiting(&inner.waiting);
                match tokio::time::timeout(inner.wait, inner.permits.clone().acquire_owned()).await
                {
                    Ok(Ok(p)) => p,
                    _ => return Err(HashError::Busy),
                }
            }
        };
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut buf = inner
                .buffers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .unwrap_or_default();
            let out = f(&mut buf);
            inner
                .buffers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(buf);
            out
        })
        .await
        .map_err(|e| HashError::Failed(anyhow::anyhow!("hashing task: {e}")))
    }

    /// Hashes a new password with today's parameters.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_string();
        Ok(self.run(move |buf| hash_in(buf, &password)).await??)
    }

    /// Whether `password` matches `stored`. `None` (unknown account, no password yet)
    /// verifies against the dummy hash and answers `false`, taking the same time as a real
    /// check.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, HashError> {
        let password = password.to_string();
        let stored = stored.map(str::to_string);
        self.run(move |buf| match stored {
            Some(h) => verify_in(buf, &password, &h),
            None => {
                let _ = verify_in(buf, &password, dummy_hash());
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

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

    /// A hash made by the argon2 crate's own API with the given algorithm and parameters.
    fn crate_hash(alg: Algorithm, m: u32, t: u32, p: u32, out: Option<usize>, pw: &str) -> String {
        use argon2::password_hash::PasswordHasher;
        let params = Params::new(m, t, p, out).expect("params");
        let salt = SaltString::encode_b64(&[9u8; 16]).expect("salt");
        Argon2::new(alg, Version::V0x13, params)
            .hash_password(pw.as_bytes(), &salt)
            .expect("hash")
            .to_string()
    }

    #[test]
    fn reused_memory_verifies_hashes_of_the_crates_own_api() {
        let mut buf = Vec::new();
        let today = crate_hash(
            Algorithm::Argon2id,
            M_COST_KIB,
            T_COST,
            P_COST,
            None,
            "pw one",
        );
        assert!(verify_in(&mut buf, "pw one", &today));
        assert!(!verify_in(&mut buf, "pw onE", &today));
        assert_eq!(buf.len(), KEEP_BLOCKS, "the memory is kept");
        // Older, smaller parameters, other algorithms, lanes and output lengths all verify
        // in the same (bigger, dirty) memory.
        for (alg, m, t, p, out) in [
            (Algorithm::Argon2id, 8, 1, 1, None),
            (Algorithm::Argon2id, 4096, 3, 1, Some(16)),
            (Algorithm::Argon2i, 1024, 2, 2, None),
            (Algorithm::Argon2d, 64, 1, 4, Some(64)),
        ] {
            let h = crate_hash(alg, m, t, p, out, "older");
            assert!(verify_in(&mut buf, "older", &h), "{h}");
            assert!(!verify_in(&mut buf, "Older", &h), "{h}");
            assert!(needs_rehash(&h));
        }
        assert_eq!(buf.len(), KEEP_BLOCKS);
        // More memory than kept: verified in a one-off allocation, the kept one unchanged.
        let big = crate_hash(Algorithm::Argon2id, M_COST_KIB + 1024, 1, 1, None, "big");
        assert!(verify_in(&mut buf, "big", &big));
        assert_eq!(buf.len(), KEEP_BLOCKS);
        // Malformed or foreign hashes never match.
        for h in [
            "",
            "not a hash",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
            "$pbkdf2$x",
        ] {
            assert!(!verify_in(&mut buf, "x", h), "{h}");
        }
    }

    #[test]
    fn hashes_in_reused_memory_verify_with_the_crates_own_api() {
        use argon2::password_hash::PasswordVerifier;
        let mut buf = Vec::new();
        let a = hash_in(&mut buf, "correct horse battery").expect("hash");
        let b = hash_in(&mut buf, "correct horse battery").expect("hash");
        assert_ne!(a, b, "fresh salt each time");
        for h in [&a, &b] {
            assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
            let parsed = PasswordHash::new(h).expect("PHC string");
            assert!(
                Argon2::default()
                    .verify_password(b"correct horse battery", &parsed)
                    .is_ok()
            );
            assert!(!needs_rehash(h));
        }
        // The dummy hash is well-formed, has today's parameters and matches nothing.
        assert!(!needs_rehash(dummy_hash()));
        assert!(!verify_in(&mut buf, "", dummy_hash()));
    }

    #[tokio::test]
    async fn a_saturated_hasher_refuses_at_once_without_hashing() {
        // One worker, no queue: while the worker is taken, a check is refused.
        let h = Hasher::new(1, 0, Duration::from_secs(60));
        assert!(!h.is_full());
        let held = h.0.permits.clone().try_acquire_owned().expect("permit");
        assert!(h.is_full(), "no free worker and no room in the queue");
        assert!(matches!(h.verify("pw", None).await, Err(HashError::Busy)));
        assert!(matches!(h.hash("pw").await, Err(HashError::Busy)));
        // A queue of one with no wait: refused too (the wait ends at once).
        let q = Hasher::new(1, 1, Duration::ZERO);
        let q_held = q.0.permits.clone().try_acquire_owned().expect("permit");
        assert!(!q.is_full(), "room in the queue");
        assert!(matches!(q.verify("pw", None).await, Err(HashError::Busy)));
        assert_eq!(q.0.waiting.load(Ordering::SeqCst), 0, "the waiter left");
        drop(q_held);
        // Free again: checks run, and the worker's memory is kept for the next one.
        drop(held);
        let stored = h.hash("a password").await.expect("hash");
        assert!(h.verify("a password", Some(&stored)).await.expect("check"));
        assert!(!h.verify("a passworD", Some(&stored)).await.expect("check"));
        assert!(!h.verify("a password", None).await.expect("check"));
        let kept = h.0.buffers.lock().expect("buffers");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].len(), KEEP_BLOCKS);
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
