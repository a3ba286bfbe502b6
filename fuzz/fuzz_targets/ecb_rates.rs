// SPDX-License-Identifier: AGPL-3.0-or-later

//! `ecb::parse_ecb` on any text: never a panic; on `Ok` every sheet has at least one rate,
//! every rate is positive, and any two rates give a cross rate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use shelfraiser_formats::money::cross_rate;
use shelfraiser_formats::ecb::parse_ecb;

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sheets) = parse_ecb(xml) else {
        return;
    };
    assert!(!sheets.is_empty());
    for sheet in &sheets {
        assert!(!sheet.per_eur.is_empty(), "empty sheet for {}", sheet.as_of);
        for (code, rate) in &sheet.per_eur {
            assert!(*rate > Decimal::ZERO, "{code} rate {rate} is not positive");
        }
        if let (Some((_, a)), Some((_, b))) = (sheet.per_eur.first(), sheet.per_eur.last()) {
            let _ = cross_rate(*a, *b);
            let _ = cross_rate(*b, *a);
        }
    }
});
