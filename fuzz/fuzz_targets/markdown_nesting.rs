// SPDX-License-Identifier: AGPL-3.0-or-later

//! `markdown::to_safe_html` on texts built for time, not for content: `markdown::stress_text`
//! turns each pair of input bytes into a piece (`"> "`, `"- "`, `"1. "`, indentation, `[`,
//! `*`, backticks, table cells, `<div>`, …) repeated up to 65,536 times, so a few bytes make
//! the deep nesting and long runs that a 4 KiB input cannot (up to a little over
//! `markdown::MAX_BYTES`). Run with libFuzzer's `-timeout`: a slow input is a finding.
//!
//! * the output nests at most `MAX_DEPTH` block quotes (as opened tags);
//! * a text that `check` accepts is rendered as written (`guard` leaves it unchanged);
//! * the output has no `<script`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::markdown::{MAX_DEPTH, check, guard, stress_text, to_safe_html};

fuzz_target!(|data: &[u8]| {
    let md = stress_text(data);
    let html = to_safe_html(&md);
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for (i, _) in html.match_indices("blockquote>") {
        if html[..i].ends_with("</") {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    assert!(deepest <= MAX_DEPTH, "{deepest} nested block quotes");
    if check(&md).is_ok() {
        assert_eq!(guard(&md), md.as_str());
    }
    assert!(!html.to_ascii_lowercase().contains("<script"));
});
