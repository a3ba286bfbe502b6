// SPDX-License-Identifier: AGPL-3.0-or-later

//! `webhook::verify_and_parse`, the signed payment-provider callback (what the server's test
//! provider runs on every `POST /providers/test/callback`). The input is text:
//!
//! ```text
//! HEADER-LINE \n BODY
//! ```
//!
//! HEADER-LINE is one of
//! * `sign`: the body signed correctly at "now" (2024-06-28T08:00:00Z);
//! * `sign:T`: the body signed correctly at unix time T (any i64);
//! * anything else: sent as the `Shelfraiser-Signature` header value as it is (no header when
//!   it is not UTF-8).
//!
//! Invariants: never a panic; a correctly signed body within the time tolerance is never
//! refused as `BadSignature` or `Stale`, and if that body is not JSON it is `Malformed`; one
//! signed outside the tolerance is refused; a changed body never passes with the old signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::webhook::{TOLERANCE_SECS, WebhookError, sign, verify_and_parse};

const NOW: i64 = 1_719_561_600;
const SECRET: &[u8] = b"fuzz-secret";

fuzz_target!(|data: &[u8]| {
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
    match signed_at {
        None => {
            let header = std::str::from_utf8(line).ok();
            if let Ok(ev) = verify_and_parse(SECRET, header, body, NOW) {
                assert!(!ev.event_id.is_empty() && ev.event_id.len() <= 255);
                assert!(!ev.session_id.is_empty() && ev.session_id.len() <= 64);
            }
        }
        Some(t) => {
            let header = sign(SECRET, body, t);
            let r = verify_and_parse(SECRET, Some(&header), body, NOW);
            let fresh = t
                .checked_sub(NOW)
                .is_some_and(|d| d.abs() <= TOLERANCE_SECS);
            if fresh {
                assert!(
                    !matches!(r, Err(WebhookError::BadSignature | WebhookError::Stale)),
                    "a correctly signed, fresh callback was refused: {r:?}"
                );
                if serde_json::from_slice::<serde_json::Value>(body).is_err() {
                    assert!(
                        matches!(r, Err(WebhookError::Malformed(_))),
                        "a signed body that is not JSON gave {r:?}"
                    );
                }
                let mut other = body.to_vec();
                other.push(b' ');
                assert_eq!(
                    verify_and_parse(SECRET, Some(&header), &other, NOW),
                    Err(WebhookError::BadSignature),
                    "a changed body passed with the old signature"
                );
            } else {
                assert!(
                    r.is_err(),
                    "a callback signed at {t} (now {NOW}) was accepted"
                );
            }
        }
    }
});
