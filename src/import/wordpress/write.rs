//! Pass 2, the writes: [`Writing`] is what the writing pass carries from step to step (the
//! batched transaction, the report, the links known so far, the members and terms already
//! matched); this file holds it and its first step, the authors. Terms, attachments and
//! posts have their own files.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::content::Context;
use super::parser::Author;
use super::report::Report;
use super::store::{self, Writer};
use crate::db::Db;

/// The writing pass's state.
pub(super) struct Writing<'a> {
    pub w: Writer,
    pub report: Report,
    /// The start of every source key of this site: `wp:<site url>:`.
    pub prefix: &'a str,
    /// Where attachments are looked for (`--media-dir`); without it their URLs are kept.
    pub media_dir: Option<&'a Path>,
    /// Old → new paths, attachment URLs and the old site's hosts, for rewriting bodies.
    pub links: Context,
    /// Member id by WordPress login (post authors).
    pub members_by_login: HashMap<String, String>,
    /// Member id by WordPress user id (comment authors).
    pub members_by_wp_id: HashMap<i64, String>,
    /// Term id by `(taxonomy, slug)`, as written or found.
    pub term_ids: HashMap<(&'static str, String), String>,
}

impl<'a> Writing<'a> {
    /// Starts the writes (a transaction that a dry run never commits).
    pub async fn new(
        db: &Db,
        dry_run: bool,
        report: Report,
        prefix: &'a str,
        media_dir: Option<&'a Path>,
        links: Context,
    ) -> anyhow::Result<Writing<'a>> {
        Ok(Writing {
            w: Writer::new(db, dry_run).await?,
            report,
            prefix,
            media_dir,
            links,
            members_by_login: HashMap::new(),
            members_by_wp_id: HashMap::new(),
            term_ids: HashMap::new(),
        })
    }

    /// Commits what is left (or rolls back a dry run) and hands back the report.
    pub async fn finish(self) -> anyhow::Result<Report> {
        self.w.finish().await?;
        Ok(self.report)
    }

    /// Authors become invited members without passwords, matched by e-mail address.
    pub async fn authors(&mut self, authors: &[Author]) -> anyhow::Result<()> {
        let mut seen_emails: HashSet<String> = HashSet::new();
        for a in authors {
            let who = format!("author {:?}", a.login);
            let Ok(email) = crate::email::Email::parse(&a.email) else {
                self.report.skip(
                    who,
                    "no valid e-mail address: their posts are imported without an author",
                );
                continue;
            };
            let name = if a.display_name.is_empty() {
                a.login.clone()
            } else {
                a.display_name.clone()
            };
            let (id, created) = store::ensure_member(&mut self.w, &email, &name).await?;
            if seen_emails.insert(email.as_str().to_lowercase()) {
                self.report.add("authors", created);
            }
            self.members_by_login.insert(a.login.clone(), id.clone());
            self.members_by_wp_id.insert(a.id, id);
        }
        Ok(())
    }
}
