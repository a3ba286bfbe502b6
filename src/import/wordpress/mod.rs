//! `shelfraiser import wordpress FILE.xml [--media-dir DIR] [--dry-run]`: brings a WordPress
//! export (WXR 1.1/1.2, as Tools → Export writes it) into the blog.
//!
//! Two streaming passes over the file, one `<item>` in memory at a time:
//!
//! 1. **Plan**: the channel header (site URL, authors, categories, tags) and a small summary
//!    of every item (id, type, status, slug, date, link) — memory grows with the number of
//!    items (a few hundred bytes each), never with their content. Slugs and permalinks are
//!    chosen here, so links between posts can be rewritten whichever comes first.
//! 2. **Write**: authors (invited members without passwords, matched by e-mail), terms
//!    (parents first, matched by taxonomy and slug), attachments (copied from `--media-dir`
//!    into `media` when they are JPEG/PNG/WebP images, otherwise the original URL is kept),
//!    then each post or page with its terms, redirects and comments.
//!
//! Post bodies are stored as cleaned HTML in `body_md` (see [`content`]): Markdown allows
//! inline HTML and every rendered body is sanitised by ammonia.
//!
//! Re-running changes nothing: posts are keyed `wp:<site url>:<post id>`, comments
//! `wp:<site url>:c<comment id>`, terms by `(taxonomy, slug)`, members by e-mail, copied
//! media by the redirect from its old upload path. A dry run does all the work inside one
//! transaction that is rolled back.
//!
//! Old permalinks: every imported post's old `<link>` path (and `/?p=ID`, `/?page_id=ID`
//! for pages), when it differs from the new permalink, is recorded in `redirects` as
//! `from_path` (path plus query string) → new path.

//!
//! The pieces: [`plan`] (pass 1), [`write`] (the writing pass's state and the authors),
//! [`terms`], [`attachments`], [`posts`] (pass 2's items and comments), [`report`], and
//! [`store`], every write the importer makes.

mod attachments;
pub mod parser;
mod plan;
pub use plan::is_reserved_slug;
mod posts;
mod report;
pub mod store;
mod terms;
mod write;

/// The conversion of post bodies is pure and lives in the formats crate (fuzzed there).
pub use shelfraiser_formats::wordpress::content;

pub use report::{Count, KINDS, Report, Skipped};

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};

use crate::db::Db;
use parser::WxrReader;
use plan::ImportPlan;
use write::Writing;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub file: PathBuf,
    pub media_dir: Option<PathBuf>,
    pub dry_run: bool,
    /// The site's permalink pattern (`blog.permalink`): imported posts get their paths,
    /// and links between them are rewritten, under it.
    pub permalinks: crate::blog::permalink::Permalinks,
}

fn open(file: &Path) -> anyhow::Result<WxrReader<BufReader<File>>> {
    let f = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(WxrReader::new(BufReader::with_capacity(256 * 1024, f)))
}

fn parse_err(file: &Path, e: parser::ParseError) -> anyhow::Error {
    match parser::line_of(file, e.position) {
        Some(line) => anyhow!("{}: line {line}: {}", file.display(), e.message),
        None => anyhow!("{}: {}", file.display(), e.message),
    }
}

/// Runs the import; see the module documentation.
pub async fn import(db: &Db, opts: &Options) -> anyhow::Result<Report> {
    let mut report = Report::new(opts.dry_run);
    let mut plan = ImportPlan::make(db, opts, &mut report).await?;
    let links = std::mem::take(&mut plan.links);
    let mut writing = Writing::new(
        db,
        opts.dry_run,
        report,
        &plan.prefix,
        opts.media_dir.as_deref(),
        links,
    )
    .await?;
    writing.authors(&plan.authors).await?;
    writing.terms(&plan.terms).await?;
    writing
        .attachments(std::mem::take(&mut plan.attachments))
        .await?;
    writing.posts(&opts.file, &plan).await?;
    writing.finish().await
}
