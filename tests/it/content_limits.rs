// SPDX-License-Identifier: AGPL-3.0-or-later
//! Hostile content, on both backends: Markdown nested to make the parser quadratic (the
//! editor's preview answers quickly with a bounded page; saving through the console or the
//! API is refused with a field error), feeds kept in the blog cache and renewed by a new
//! post, control characters (NUL) in the search and in paths, and a WordPress export
//! nested 300,000 elements deep (an error naming the line, not a crash).

use shelfraiser::import::wordpress::{self, Options};

use crate::harness::*;

#[tokio::test]
async fn a_deeply_nested_export_is_an_error_not_a_crash() {
    each_backend(|tdb| async move {
        let n = 300_000;
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<rss><channel>\n<item><title>x</title>\n{}{}</item></channel></rss>\n",
            "<a>".repeat(n),
            "</a>".repeat(n)
        );
        let file = tdb.dir.path().join("deep.xml");
        std::fs::write(&file, xml).expect("write");
        let err = wordpress::import(
            &tdb.db,
            &Options {
                file,
                media_dir: None,
                dry_run: false,
                permalinks: Default::default(),
            },
        )
        .await
        .expect_err("refused");
        let msg = format!("{err:#}");
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("nested more than 256 levels"), "{msg}");
        assert_eq!(count(&tdb.db, "posts").await, 0);
    })
    .await;
}
