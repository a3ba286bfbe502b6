//! What an import did (or, in a dry run, would do): counts by kind, in a fixed order, and
//! the things skipped with their reasons; [`Report::render`] is the table the CLI prints.

use super::parser::Item;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Written by this run.
    pub new: u64,
    /// Found from an earlier run (or already on the site) and left as it was.
    pub existing: u64,
}

#[derive(Debug, Clone)]
pub struct Skipped {
    pub what: String,
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub site: String,
    pub wxr_version: String,
    pub dry_run: bool,
    counts: Vec<(&'static str, Count)>,
    pub skipped: Vec<Skipped>,
}

/// The kinds counted, in report order.
pub const KINDS: [&str; 12] = [
    "authors",
    "categories",
    "tags",
    "articles",
    "notes",
    "pages",
    "comments",
    "pingbacks",
    "trackbacks",
    "media copied",
    "attachment URLs kept",
    "redirects",
];

impl Report {
    /// An empty report with every kind at zero.
    pub(super) fn new(dry_run: bool) -> Report {
        Report {
            dry_run,
            counts: KINDS.iter().map(|k| (*k, Count::default())).collect(),
            ..Report::default()
        }
    }

    pub(super) fn add(&mut self, kind: &'static str, new: bool) {
        if let Some((_, c)) = self.counts.iter_mut().find(|(k, _)| *k == kind) {
            if new {
                c.new += 1;
            } else {
                c.existing += 1;
            }
        }
    }

    pub(super) fn skip(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            what: what.into(),
            reason: reason.into(),
        });
    }

    pub fn count(&self, kind: &str) -> Count {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    /// Rows written by this run, over all kinds ("attachment URLs kept" writes nothing).
    pub fn total_written(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(k, _)| *k != "attachment URLs kept")
            .map(|(_, c)| c.new)
            .sum()
    }

    /// The report as printed by the CLI.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "WordPress import from {} (WXR {}){}",
            self.site,
            if self.wxr_version.is_empty() {
                "?"
            } else {
                &self.wxr_version
            },
            if self.dry_run {
                " — dry run: nothing was written"
            } else {
                ""
            }
        );
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        let _ = writeln!(s, "{:<22} {:>10} {:>16}", "kind", verb, "already there");
        for (k, c) in &self.counts {
            let _ = writeln!(s, "{k:<22} {:>10} {:>16}", c.new, c.existing);
        }
        if self.skipped.is_empty() {
            let _ = writeln!(s, "skipped: nothing");
        } else {
            let _ = writeln!(s, "skipped ({}):", self.skipped.len());
            for k in &self.skipped {
                let _ = writeln!(s, "  {}: {}", k.what, k.reason);
            }
        }
        s
    }
}

/// How a skipped item is named in the report: its type, WordPress id and title.
pub(super) fn describe(item: &Item) -> String {
    let title = if item.title.is_empty() {
        "(no title)"
    } else {
        &item.title
    };
    let kind = if item.post_type.is_empty() {
        "item"
    } else {
        &item.post_type
    };
    format!("{kind} {} {title:?}", item.id)
}
