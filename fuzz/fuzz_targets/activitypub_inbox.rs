// SPDX-License-Identifier: AGPL-3.0-or-later

//! `activitypub::parse_activity` on any bytes, as an inbox would receive them.
//!
//! Invariants: never a panic (deep nesting included); parsing is deterministic; on `Ok`
//! every IRI in the result is `https` (or, with `allow_loopback_http`, `http` to a loopback
//! host) and parses to itself again; what the strict options accept, the loopback ones
//! accept with the same id, actor and audience; a `Note` is attributed to the actor;
//! unsupported type names are cut to 64 characters; a smaller body limit refuses exactly the
//! longer bodies and changes nothing else.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::activitypub::{
    Activity, ActivityKind, ApError, Iri, ParseOptions, parse_activity,
};

fn check(a: &Activity, loopback: bool) {
    for iri in a.iris() {
        let s = iri.as_str();
        if s.starts_with("http://") {
            assert!(loopback, "http IRI {s:?} accepted without allow_loopback_http");
            let host = iri.host();
            let ip = host.trim_start_matches('[').trim_end_matches(']');
            assert!(
                host.eq_ignore_ascii_case("localhost")
                    || ip.parse::<IpAddr>().is_ok_and(|a| a.is_loopback()),
                "http IRI {s:?} to a host that is not loopback"
            );
        } else {
            assert!(s.starts_with("https://"), "IRI {s:?} is not https");
        }
        assert_eq!(
            Iri::parse(s, loopback).as_ref(),
            Ok(iri),
            "IRI {s:?} does not parse to itself"
        );
    }
    match &a.kind {
        ActivityKind::Create(n) | ActivityKind::Update(n) => {
            assert_eq!(n.attributed_to, a.actor, "a note in someone else's name");
        }
        ActivityKind::Unsupported { activity, object } => {
            assert!(activity.chars().count() <= 64);
            assert!(object.as_ref().is_none_or(|o| o.chars().count() <= 64));
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let strict = ParseOptions::default();
    let loose = ParseOptions {
        allow_loopback_http: true,
        ..strict
    };
    let small = ParseOptions {
        max_body: 512,
        ..strict
    };
    let a = parse_activity(data, &strict);
    assert_eq!(parse_activity(data, &strict), a, "not deterministic");
    let b = parse_activity(data, &loose);
    if let Ok(a) = &a {
        check(a, false);
        let b = b.as_ref().expect("the loopback options refused a strict activity");
        assert_eq!((&a.id, &a.actor, &a.to, &a.cc), (&b.id, &b.actor, &b.to, &b.cc));
    }
    if let Ok(b) = &b {
        check(b, true);
    }
    let s = parse_activity(data, &small);
    if data.len() > 512 {
        assert_eq!(s, Err(ApError::TooLarge { limit: 512 }));
    } else {
        assert_eq!(s, a);
    }
});
