// SPDX-License-Identifier: AGPL-3.0-or-later

//! The WordPress export (WXR) reader, `wordpress::parser::WxrReader`, on any bytes, and the
//! content conversion and slugs of every item it yields.
//!
//! * no panic, no endless loop: every entry consumes input, so there are at most as many
//!   entries as input bytes;
//! * once the reader has answered `Ok(None)` (end of the channel) it keeps answering it;
//! * an error's byte position lies within the input, and its line (`line_at`) is at most the
//!   number of lines;
//! * an item's slug is URL-safe (`a-z`, `0-9`, single inner hyphens) and at most `MAX_SLUG`.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use shelfraiser_formats::slug::MAX_SLUG;
use shelfraiser_formats::wordpress::content;
use shelfraiser_formats::wordpress::parser::{Entry, WxrReader, decode_entities, line_at};

fn check_slug(from: &str) {
    let s = content::slugify(from);
    assert!(s.len() <= MAX_SLUG, "{from:?} → {s:?}: too long");
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--"),
        "{from:?} → {s:?}: not a slug"
    );
}

fuzz_target!(|data: &[u8]| {
    let cx = content::Context {
        paths: HashMap::from([("/?p=1".to_string(), "/2024/01/01/hello/".to_string())]),
        attachments: HashMap::from([(2, "/media/a.jpg".to_string())]),
        children: HashMap::from([(7, vec![2])]),
        hosts: vec!["example.org".to_string(), "www.example.org".to_string()],
    };
    let mut reader = WxrReader::new(data);
    let mut entries = 0usize;
    loop {
        match reader.next_entry() {
            Ok(Some(entry)) => {
                entries += 1;
                assert!(
                    entries <= data.len(),
                    "{entries} entries from {} bytes: the reader does not advance",
                    data.len()
                );
                if let Entry::Item(item) = entry {
                    let _ = content::convert(&item.content, item.id, &cx);
                    let _ = content::plain_text(&item.excerpt);
                    let _ = decode_entities(&item.title);
                    check_slug(&item.slug);
                    check_slug(&item.title);
                    for c in &item.comments {
                        let _ = content::plain_text(&c.content);
                    }
                }
            }
            Ok(None) => {
                assert!(
                    matches!(reader.next_entry(), Ok(None)),
                    "the reader went on after the end of the channel"
                );
                break;
            }
            Err(e) => {
                assert!(
                    e.position <= data.len() as u64,
                    "error position {} past the end of {} bytes: {e}",
                    e.position,
                    data.len()
                );
                let lines = data.iter().filter(|b| **b == b'\n').count() as u64 + 1;
                let line = line_at(data, e.position).expect("reading a slice never fails");
                assert!((1..=lines).contains(&line), "line {line} of {lines}");
                break;
            }
        }
    }
});
