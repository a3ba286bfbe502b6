// SPDX-License-Identifier: AGPL-3.0-or-later

//! `http_signature`: the `Signature` header, the signing string, `Date` and `Digest`. The
//! input is text (invalid UTF-8 replaced), laid out like a request:
//!
//! ```text
//! SIGNATURE-HEADER-VALUE \n
//! METHOD SP TARGET \n
//! Name: value \n          (any number of header lines)
//! \n
//! BODY
//! ```
//!
//! Invariants: never a panic. A parsed header has a non-empty `keyId` without control
//! characters, 1..=MAX_SIGNATURE_LEN signature bytes, 1..=MAX_HEADERS lower-case covered
//! headers, and its `Display` parses back to the same header. A signing string has exactly
//! one line per covered header, each starting `name: `, and no carriage return (no header
//! value can add a line). An accepted `Date` lies within the skew of now. `digest_header`
//! of the body always checks against it; a `Digest` that checks against the body fails
//! against any other body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::http_signature::{
    MAX_HEADERS, MAX_KEY_ID_LEN, MAX_SIGNATURE_LEN, SignatureHeader, check_date, check_digest,
    digest_header,
};

const NOW: i64 = 1_719_561_600;
const SKEW: i64 = 300;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes()),
        None => (&*text, &[][..]),
    };
    let mut lines = head.split('\n');
    let sig = lines.next().unwrap_or("");
    let (method, target) = lines
        .next()
        .and_then(|l| l.split_once(' '))
        .unwrap_or(("POST", "/inbox"));
    let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(": ")).collect();

    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("date")
            && let Ok(t) = check_date(value, NOW, SKEW)
        {
            assert!((t - NOW).abs() <= SKEW, "date {value:?} accepted at {t}");
        }
        if name.eq_ignore_ascii_case("digest") && check_digest(value, body).is_ok() {
            let mut other = body.to_vec();
            other.push(b'x');
            assert!(
                check_digest(value, &other).is_err(),
                "digest {value:?} matches two bodies"
            );
        }
    }
    assert_eq!(check_digest(&digest_header(body), body), Ok(()));

    if let Some(rest) = sig.strip_prefix("Signature ") {
        assert_eq!(
            SignatureHeader::parse_authorization(sig),
            SignatureHeader::parse(rest)
        );
    }
    let Ok(h) = SignatureHeader::parse(sig) else {
        return;
    };
    assert!(!h.key_id.is_empty() && h.key_id.len() <= MAX_KEY_ID_LEN);
    assert!(!h.key_id.chars().any(char::is_control));
    assert!((1..=MAX_SIGNATURE_LEN).contains(&h.signature.len()));
    assert!((1..=MAX_HEADERS).contains(&h.headers.len()));
    assert!(h.headers.iter().all(|n| *n == n.to_ascii_lowercase()));
    let shown = h.to_string();
    assert_eq!(
        SignatureHeader::parse(&shown).as_ref(),
        Ok(&h),
        "{sig:?} → {shown:?} does not read back"
    );
    let _ = h.check_time(NOW, SKEW);

    if let Ok(s) = h.signing_string(method, target, &headers) {
        assert!(!s.contains('\r'), "carriage return in {s:?}");
        let got: Vec<&str> = s.split('\n').collect();
        assert_eq!(got.len(), h.headers.len(), "signing string {s:?}");
        for (line, name) in got.iter().zip(&h.headers) {
            assert!(
                line.starts_with(&format!("{name}: ")),
                "line {line:?} for {name:?}"
            );
        }
    }
});
