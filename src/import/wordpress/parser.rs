// SPDX-License-Identifier: AGPL-3.0-or-later

//! The WXR reader: the streaming parser itself is pure and lives in the formats crate
//! (`shelfraiser_formats::wordpress::parser`, fuzzed there); this adds [`line_of`], which
//! reads the export file again to turn an error's byte position into a line number.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

pub use shelfraiser_formats::wordpress::parser::*;

/// The 1-based line of byte `position` in `file` (counted by streaming through it).
pub fn line_of(file: &Path, position: u64) -> Option<u64> {
    let f = File::open(file).ok()?;
    line_at(BufReader::new(f), position)
}
