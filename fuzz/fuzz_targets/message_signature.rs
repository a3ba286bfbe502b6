// SPDX-License-Identifier: AGPL-3.0-or-later

//! `message_signature`: RFC 9421's `Signature-Input` and `Signature`, the signature base, the
//! time window and `Content-Digest`. The input is text (invalid UTF-8 replaced), laid out
//! like a request:
//!
//! ```text
//! SIGNATURE-INPUT-VALUE \n
//! SIGNATURE-VALUE \n
//! METHOD SP TARGET \n
//! Name: value \n          (any number of header lines; `host` is the authority)
//! \n
//! BODY
//! ```
//!
//! Invariants: never a panic. Each parsed signature has a label named in both headers (each
//! once), 1..=MAX_SIGNATURE_LEN signature bytes, at most MAX_COMPONENTS components with
//! distinct identifiers and a `keyid` of at most MAX_KEY_ID_LEN; its `@signature-params`
//! line parses back to the same signature. A base has exactly one line per component plus
//! the `@signature-params` line, each starting with its identifier and `: `, and no
//! carriage return or other control character. `content_digest_header` of the body always
//! checks against it; a `Content-Digest` that checks against the body fails against any
//! other body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::message_signature::{
    MAX_COMPONENTS, MAX_KEY_ID_LEN, MAX_SIGNATURE_LEN, Request, check_content_digest,
    content_digest_header, parse,
};

const NOW: i64 = 1_719_561_600;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes()),
        None => (&*text, &[][..]),
    };
    let mut lines = head.split('\n');
    let input = lines.next().unwrap_or("");
    let sig = lines.next().unwrap_or("");
    let (method, target) = lines
        .next()
        .and_then(|l| l.split_once(' '))
        .unwrap_or(("POST", "/inbox"));
    let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(": ")).collect();
    let authority = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map_or("give.example.org", |(_, v)| *v);

    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("content-digest") && check_content_digest(value, body).is_ok()
        {
            let mut other = body.to_vec();
            other.push(b'x');
            assert!(
                check_content_digest(value, &other).is_err(),
                "digest {value:?} matches two bodies"
            );
        }
    }
    assert_eq!(
        check_content_digest(&content_digest_header(body), body),
        Ok(())
    );

    let Ok(all) = parse(input, sig) else {
        return;
    };
    for (i, s) in all.iter().enumerate() {
        assert!(all[..i].iter().all(|o| o.label != s.label));
        assert!((1..=MAX_SIGNATURE_LEN).contains(&s.signature.len()));
        assert!(s.components.len() <= MAX_COMPONENTS);
        assert!(
            s.params
                .keyid
                .as_ref()
                .is_none_or(|k| !k.is_empty() && k.len() <= MAX_KEY_ID_LEN)
        );
        for (j, (_, id)) in s.components.iter().enumerate() {
            assert!(s.components[..j].iter().all(|(_, o)| o != id), "{id} twice");
        }
        // The parameters line is what was signed: it reads back to the same signature.
        let again = parse(
            &format!("{}={}", s.label, s.params_line),
            &format!("{}=:AQ==:", s.label),
        )
        .expect("the parameters line parses again");
        assert_eq!(again[0].components, s.components);
        assert_eq!(again[0].params, s.params);
        assert_eq!(again[0].params_line, s.params_line);
        let _ = s.check_time(NOW, 3900, 300);

        let req = Request {
            method,
            scheme: "https",
            authority,
            target,
            headers: &headers,
        };
        if let Ok(base) = s.signature_base(&req) {
            assert!(
                !base
                    .chars()
                    .any(|c| c != '\t' && c.is_control() && c != '\n')
            );
            let got: Vec<&str> = base.split('\n').collect();
            assert_eq!(got.len(), s.components.len() + 1, "base {base:?}");
            for (line, (_, id)) in got.iter().zip(&s.components) {
                assert!(
                    line.starts_with(&format!("{id}: ")),
                    "line {line:?} for {id}"
                );
            }
            assert_eq!(
                got.last().copied(),
                Some(format!("\"@signature-params\": {}", s.params_line).as_str())
            );
        }
    }
});
