//! The TOTP codes themselves (RFC 6238 with the `totp-rs` crate), the `otpauth://` URL and
//! its QR code: no storage here.

use rand::Rng;
use subtle::ConstantTimeEq;

use super::{DIGITS, ISSUER, STEP_SECS};

/// A fresh 160-bit secret, base32 (RFC 4648, no padding: 32 characters).
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::thread_rng().fill(&mut b);
    totp_rs::Secret::new_stack(b).to_base32()
}

fn totp_for(secret_b32: &str, account: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).ok()?;
    let account: String = account
        .chars()
        .map(|c| if c == ':' { '_' } else { c })
        .collect();
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP_SECS)
        .with_skew(1)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The `otpauth://totp/…` URL an authenticator app reads (also encoded in the QR code).
pub fn otpauth_url(secret_b32: &str, account: &str) -> Option<String> {
    totp_for(secret_b32, account)?.to_url().ok()
}

/// The code for the step containing `unix` (for tests and tools).
pub fn code_at(secret_b32: &str, unix: u64) -> Option<String> {
    Some(totp_for(secret_b32, "x")?.generate(unix).to_string())
}

/// The time step a code belongs to, if it is right for `unix` ± one step. When (rarely) it
/// matches several steps, the latest. Codes are compared in constant time (`subtle`).
pub fn matching_step(secret_b32: &str, code: &str, unix: u64) -> Option<u64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp_for(secret_b32, "x")?;
    let origin = unix / STEP_SECS;
    (origin.saturating_sub(1)..=origin + 1).rev().find(|step| {
        bool::from(
            t.generate(step * STEP_SECS)
                .to_string()
                .as_bytes()
                .ct_eq(code.as_bytes()),
        )
    })
}

/// Puts a base32 secret into groups of four for reading and typing.
pub fn group4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (8 digits there; the last 6 here).
    #[test]
    fn rfc6238_vectors() {
        let secret = totp_rs::Secret::new_stack(*b"12345678901234567890").to_base32();
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, t).as_deref(), Some(code), "t = {t}");
        }
    }

    #[test]
    fn skew_of_one_step() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let t = 1_700_000_000u64;
        let code = code_at(&secret, t).expect("code");
        assert_eq!(matching_step(&secret, &code, t), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t + 30), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t - 30), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t + 90), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "+12345", t), None);
    }

    #[test]
    fn qr_is_inline_svg() {
        let url = otpauth_url(&new_secret(), "a@b.org").expect("url");
        assert!(
            url.starts_with("otpauth://totp/Shelfraiser:a%40b.org?"),
            "{url}"
        );
        let svg = crate::web::qr::qr_svg(&url, "QR \"code\"").expect("svg");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"QR code\" class=\"qr\" xmlns="));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<script"));
        assert_eq!(group4("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
