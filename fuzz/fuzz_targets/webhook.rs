//! `TestProvider::verify_callback`, the signed payment-provider callback. The input is text:
//!
//! ```text
//! HEADER-LINE \n BODY
//! ```
//!
//! HEADER-LINE is one of
//! * `sign`: the body signed correctly at "now" (2024-06-28T08:00:00Z);
//! * `sign:T`: the body signed correctly at unix time T (any i64);
//! * anything else: sent as the `Shelfraiser-Signature` header value as it is.
//!
//! Invariants: never a panic; a correctly signed body within the time tolerance is never
//! refused as `BadSignature` or `Stale`; and if that body is not JSON it is `Err(Malformed)`.
#![no_main]

use chrono::DateTime;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use shelfraiser::config::Secret;
use shelfraiser::donations::providers::test::{SIGNATURE_HEADER, TOLERANCE_SECS, TestProvider};
use shelfraiser::donations::providers::{PaymentProvider, ProviderError};

const NOW: i64 = 1_719_561_600;

fuzz_target!(|data: &[u8]| {
    let p = TestProvider::new(Secret("fuzz-secret".into()));
    let now = DateTime::from_timestamp(NOW, 0).expect("valid time");
    let (line, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let signed_at = match line {
        b"sign" => Some(NOW),
        _ => line
            .strip_prefix(b"sign:")
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.trim().parse::<i64>().ok()),
    };
    let mut headers = HeaderMap::new();
    match signed_at {
        None => {
            if let Ok(v) = HeaderValue::from_bytes(line) {
                headers.insert(SIGNATURE_HEADER, v);
            }
            let _ = p.verify_callback(&headers, body, now);
        }
        Some(t) => {
            let sig = p.sign(body, t);
            headers.insert(
                SIGNATURE_HEADER,
                HeaderValue::from_str(&sig).expect("signature is ASCII"),
            );
            let r = p.verify_callback(&headers, body, now);
            let fresh = t
                .checked_sub(NOW)
                .is_some_and(|d| d.abs() <= TOLERANCE_SECS);
            if fresh {
                assert!(
                    !matches!(r, Err(ProviderError::BadSignature | ProviderError::Stale)),
                    "a correctly signed, fresh callback was refused: {r:?}"
                );
                if serde_json::from_slice::<serde_json::Value>(body).is_err() {
                    assert!(
                        matches!(r, Err(ProviderError::Malformed(_))),
                        "a signed body that is not JSON gave {r:?}"
                    );
                }
            } else {
                assert!(
                    r.is_err(),
                    "a callback signed at {t} (now {NOW}) was accepted"
                );
            }
        }
    }
});
