//! The WordPress export (WXR) reader, `import::wordpress::parser::WxrReader`, on any bytes,
//! and the content conversion of every item it yields.
//!
//! * no panic, no endless loop: every entry consumes input, so there are at most as many
//!   entries as input bytes;
//! * once the reader has answered `Ok(None)` (end of the channel) it keeps answering it;
//! * an error's byte position lies within the input.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use shelfraiser::import::wordpress::content;
use shelfraiser::import::wordpress::parser::{Entry, WxrReader, decode_entities};

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
                break;
            }
        }
    }
});
