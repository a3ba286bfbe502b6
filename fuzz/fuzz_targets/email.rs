// SPDX-License-Identifier: AGPL-3.0-or-later

//! `Email::parse` on any text: never a panic; on `Ok` the address is at most 254 bytes, has no
//! whitespace or control characters, and parsing it again gives the same address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::email::Email;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(e) = Email::parse(s) else {
        return;
    };
    let out = e.as_str();
    assert!(out.len() <= 254, "{s:?} parsed to {} bytes", out.len());
    assert!(
        !out.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{s:?} parsed to {out:?}"
    );
    assert!(out.contains('@'));
    assert_eq!(
        Email::parse(out).as_ref().map(Email::as_str),
        Ok(out),
        "{s:?} parsed to {out:?}, which does not parse to itself"
    );
});
