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

pub mod parser;
pub mod store;

/// The conversion of post bodies is pure and lives in the formats crate (fuzzed there).
pub use shelfraiser_formats::wordpress::content;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::db::Db;
use content::{Context, path_key, slugify};
use parser::{Author, Entry, Item, Term, WxrReader};
use store::Writer;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub file: PathBuf,
    pub media_dir: Option<PathBuf>,
    pub dry_run: bool,
    /// The site's permalink pattern (`blog.permalink`): imported posts get their paths,
    /// and links between them are rewritten, under it.
    pub permalinks: crate::blog::permalink::Permalinks,
}

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
    fn add(&mut self, kind: &'static str, new: bool) {
        if let Some((_, c)) = self.counts.iter_mut().find(|(k, _)| *k == kind) {
            if new {
                c.new += 1;
            } else {
                c.existing += 1;
            }
        }
    }

    fn skip(&mut self, what: impl Into<String>, reason: impl Into<String>) {
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

/// A post or page to import, as planned in the first pass.
struct Plan {
    wp_id: i64,
    kind: &'static str,
    status: &'static str,
    id: String,
    slug: String,
    existing: bool,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    permalink: Option<String>,
    /// Old paths that should answer with the new permalink.
    redirects: Vec<String>,
}

struct Attachment {
    id: i64,
    parent: i64,
    url: String,
    title: String,
}

#[derive(Default)]
struct Header {
    channel_link: String,
    blog_url: String,
    site_url: String,
    wxr_version: String,
    authors: Vec<Author>,
    terms: Vec<Term>,
}

/// Paths the application answers itself: never given to an imported page.
const RESERVED_SLUGS: &[&str] = &[
    "campaigns",
    "console",
    "signin",
    "signout",
    "account",
    "api",
    "media",
    "static",
    "assets",
    "feed",
    "feeds",
    "tag",
    "category",
    "author",
    "search",
    "page",
    "providers",
    "test-checkout",
    "healthz",
    "metrics",
    "blog",
    "wp-admin",
    "wp-content",
    "wp-login-php",
];

fn parse_wp_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000") {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|d| d.and_utc())
}

fn status_of(wp: &str) -> Result<&'static str, String> {
    Ok(match wp {
        "publish" => "published",
        "draft" => "draft",
        "future" => "scheduled",
        "private" => "private",
        "pending" => "pending",
        "trash" => return Err("in the trash".into()),
        "auto-draft" => return Err("an unsaved auto-draft".into()),
        other => return Err(format!("unknown status {other:?}")),
    })
}

fn host_of(url: &str) -> Option<String> {
    let r = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?;
    let host = r.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

fn describe(item: &Item) -> String {
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
    let file = opts.file.as_path();
    let mut report = Report {
        dry_run: opts.dry_run,
        counts: KINDS.iter().map(|k| (*k, Count::default())).collect(),
        ..Report::default()
    };

    // ---- pass 1: plan -------------------------------------------------------------------
    let mut header = Header::default();
    let mut items: Vec<(
        i64,
        &'static str,
        &'static str,
        String,
        String,
        String,
        String,
    )> = Vec::new(); // (id, kind, status, slug base, date, date_gmt+modified, link|guid)
    let mut attachments: Vec<Attachment> = Vec::new();
    let mut seen_terms: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut rd = open(file)?;
    while let Some(entry) = rd.next_entry().map_err(|e| parse_err(file, e))? {
        match entry {
            Entry::Channel(name, value) => match name.as_str() {
                "link" => header.channel_link = value,
                "wp:base_blog_url" => header.blog_url = value,
                "wp:base_site_url" => header.site_url = value,
                "wp:wxr_version" => header.wxr_version = value,
                _ => {}
            },
            Entry::Author(a) => {
                if !header.authors.iter().any(|x| x.login == a.login) {
                    header.authors.push(a);
                }
            }
            Entry::Term(t) => {
                // Full exports write each term twice (wp:category and wp:term): keep one,
                // filling in what the first lacked.
                match seen_terms.get(&(t.taxonomy, t.slug.clone())) {
                    Some(&i) => {
                        let old = &mut header.terms[i];
                        if old.parent.is_empty() {
                            old.parent = t.parent;
                        }
                        if old.description.is_empty() {
                            old.description = t.description;
                        }
                        if old.name.is_empty() {
                            old.name = t.name;
                        }
                    }
                    None => {
                        seen_terms.insert((t.taxonomy, t.slug.clone()), header.terms.len());
                        header.terms.push(t);
                    }
                }
            }
            Entry::OtherTerm { taxonomy, slug } => {
                if taxonomy != "post_format" {
                    report.skip(
                        format!("term {slug:?} ({taxonomy})"),
                        "this taxonomy is not imported",
                    );
                }
            }
            Entry::Item(it) => match it.post_type.as_str() {
                "attachment" => attachments.push(Attachment {
                    id: it.id,
                    parent: it.parent,
                    url: if it.attachment_url.is_empty() {
                        it.guid.clone()
                    } else {
                        it.attachment_url.clone()
                    },
                    title: it.title.clone(),
                }),
                "post" | "page" => match status_of(&it.status) {
                    Err(reason) => report.skip(describe(&it), reason),
                    Ok(status) => {
                        let kind = if it.post_type == "page" {
                            "page"
                        } else if it.terms.iter().any(|t| {
                            t.domain == "post_format"
                                && matches!(
                                    t.slug.as_str(),
                                    "post-format-status" | "post-format-aside"
                                )
                        }) {
                            "note"
                        } else {
                            "article"
                        };
                        let base = {
                            let s = slugify(&it.slug);
                            if s.is_empty() { slugify(&it.title) } else { s }
                        };
                        items.push((
                            it.id,
                            kind,
                            status,
                            base,
                            it.date.clone(),
                            format!("{}\n{}", it.date_gmt, it.modified_gmt),
                            format!("{}\n{}", it.link, it.guid),
                        ));
                    }
                },
                "" => report.skip(describe(&it), "no post type"),
                other => report.skip(
                    describe(&it),
                    format!("post type {other:?} is not imported"),
                ),
            },
        }
    }
    drop(rd);

    let site = [&header.blog_url, &header.channel_link, &header.site_url]
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .ok_or_else(|| {
            anyhow!(
                "{}: the export names no site (<link> or <wp:base_blog_url>): is it a WordPress export?",
                file.display()
            )
        })?;
    report.site = site.clone();
    report.wxr_version = header.wxr_version.clone();
    let mut cx = Context::default();
    for u in [&header.blog_url, &header.channel_link, &header.site_url] {
        if let Some(h) = host_of(u)
            && !cx.hosts.contains(&h)
        {
            cx.hosts.push(h);
        }
    }
    // A blog in a subfolder (https://example.org/blog) has its ?p=ID links under it.
    let site_path = path_key(&site, &cx.hosts)
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    let prefix = format!("wp:{site}:");
    let (mut taken, existing) = store::existing_posts(db, &prefix).await?;
    taken.extend(RESERVED_SLUGS.iter().map(|s| s.to_string()));
    let now = Utc::now();
    let mut plans: Vec<Plan> = Vec::with_capacity(items.len());
    for (wp_id, kind, status, base, date, gmt, links) in items {
        let key = format!("{prefix}{wp_id}");
        let (gmt, modified) = gmt.split_once('\n').unwrap_or((&gmt, ""));
        let when = parse_wp_date(gmt).or_else(|| parse_wp_date(&date));
        let mut plan = match existing.get(&key) {
            Some(e) => Plan {
                wp_id,
                kind: if e.kind == "page" { "page" } else { kind },
                status,
                id: e.id.clone(),
                slug: e.slug.clone(),
                existing: true,
                published_at: e.published_at,
                created_at: now,
                updated_at: now,
                permalink: None,
                redirects: Vec::new(),
            },
            None => {
                let base = if base.is_empty() {
                    format!("{kind}-{wp_id}")
                } else {
                    base
                };
                let mut slug = base.clone();
                let mut n = 2;
                while taken.contains(&slug) {
                    slug = format!("{base}-{n}");
                    n += 1;
                }
                taken.insert(slug.clone());
                let published_at = match status {
                    "draft" | "pending" => None,
                    _ => Some(when.unwrap_or(now)),
                };
                let created_at = when.unwrap_or(now);
                Plan {
                    wp_id,
                    kind,
                    status,
                    id: store::stable_id(&key),
                    slug,
                    existing: false,
                    published_at,
                    created_at,
                    updated_at: parse_wp_date(modified).unwrap_or(created_at),
                    permalink: None,
                    redirects: Vec::new(),
                }
            }
        };
        // Drafts and pending posts have no public address yet: no redirects for them.
        plan.permalink = (plan.kind == "page" || plan.published_at.is_some()).then(|| {
            opts.permalinks
                .path(plan.kind, &plan.slug, plan.published_at)
        });
        if let Some(p) = plan.permalink.clone() {
            let (link, guid) = links.split_once('\n').unwrap_or((&links, ""));
            let mut olds: Vec<String> = Vec::new();
            for u in [link, guid] {
                if let Some(k) = path_key(u, &cx.hosts) {
                    olds.push(k);
                }
            }
            olds.push(format!("{site_path}/?p={wp_id}"));
            if plan.kind == "page" {
                olds.push(format!("{site_path}/?page_id={wp_id}"));
            }
            for o in olds {
                cx.paths.insert(o.clone(), p.clone());
                if o != p && !plan.redirects.contains(&o) {
                    plan.redirects.push(o);
                }
            }
        }
        plans.push(plan);
    }
    let by_wp_id: HashMap<i64, usize> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| (p.wp_id, i))
        .collect();

    // ---- write: authors, terms, media ---------------------------------------------------
    let mut w = Writer::new(db, opts.dry_run).await?;
    let mut members_by_login: HashMap<String, String> = HashMap::new();
    let mut members_by_wp_id: HashMap<i64, String> = HashMap::new();
    let mut seen_emails: HashSet<String> = HashSet::new();
    for a in &header.authors {
        let who = format!("author {:?}", a.login);
        let Ok(email) = crate::email::Email::parse(&a.email) else {
            report.skip(
                who,
                "no valid e-mail address: their posts are imported without an author",
            );
            continue;
        };
        let email = email.as_str().to_lowercase();
        let name = if a.display_name.is_empty() {
            a.login.clone()
        } else {
            a.display_name.clone()
        };
        let (id, created) = store::ensure_member(&mut w, &email, &name).await?;
        if seen_emails.insert(email) {
            report.add("authors", created);
        }
        members_by_login.insert(a.login.clone(), id.clone());
        members_by_wp_id.insert(a.id, id);
    }

    let mut term_ids: HashMap<(&'static str, String), String> = HashMap::new();
    let mut pending: Vec<&Term> = Vec::new();
    for t in &header.terms {
        if slugify(&t.slug).is_empty() && slugify(&t.name).is_empty() {
            report.skip(
                format!("{} {:?}", t.taxonomy, t.name),
                "no slug and no name",
            );
        } else {
            pending.push(t);
        }
    }
    let term_slug = |t: &Term| {
        let s = slugify(&t.slug);
        if s.is_empty() { slugify(&t.name) } else { s }
    };
    // Parents first; a parent missing from the export leaves the term at the top.
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for t in pending {
            let parent = slugify(&t.parent);
            let parent_id = if parent.is_empty() {
                None
            } else if let Some(id) = term_ids.get(&(t.taxonomy, parent.clone())) {
                Some(id.clone())
            } else if header
                .terms
                .iter()
                .any(|x| x.taxonomy == t.taxonomy && term_slug(x) == parent)
            {
                rest.push(t);
                continue;
            } else {
                report.skip(
                    format!("parent of {} {:?}", t.taxonomy, t.slug),
                    format!(
                        "the parent {parent:?} is not in the export: imported at the top level"
                    ),
                );
                None
            };
            let slug = term_slug(t);
            let name = if t.name.is_empty() { &slug } else { &t.name };
            let (id, created) = store::ensure_term(
                &mut w,
                t.taxonomy,
                &slug,
                name,
                parent_id.as_deref(),
                &t.description,
            )
            .await?;
            report.add(
                if t.taxonomy == "category" {
                    "categories"
                } else {
                    "tags"
                },
                created,
            );
            term_ids.insert((t.taxonomy, slug), id);
        }
        if rest.len() == before {
            // a cycle: break it by importing the rest without parents
            for t in &rest {
                let slug = term_slug(t);
                let (id, created) =
                    store::ensure_term(&mut w, t.taxonomy, &slug, &t.name, None, &t.description)
                        .await?;
                report.add(
                    if t.taxonomy == "category" {
                        "categories"
                    } else {
                        "tags"
                    },
                    created,
                );
                report.skip(
                    format!("parent of {} {:?}", t.taxonomy, t.slug),
                    "the parents form a cycle: imported at the top level",
                );
                term_ids.insert((t.taxonomy, slug), id);
            }
            break;
        }
        pending = rest;
    }

    for a in &attachments {
        let new_url = media(&mut w, &mut report, a, opts.media_dir.as_deref(), &cx.hosts).await?;
        if new_url != a.url
            && let Some(k) = path_key(&a.url, &cx.hosts)
        {
            cx.paths.insert(k, new_url.clone());
        }
        cx.attachments.insert(a.id, new_url);
        if a.parent != 0 {
            cx.children.entry(a.parent).or_default().push(a.id);
        }
    }
    drop(attachments);

    // ---- pass 2: posts, pages and their comments ----------------------------------------
    let mut rd = open(file)?;
    while let Some(entry) = rd.next_entry().map_err(|e| parse_err(file, e))? {
        let Entry::Item(it) = entry else { continue };
        let Some(&i) = by_wp_id.get(&it.id) else {
            continue;
        };
        if !matches!(it.post_type.as_str(), "post" | "page") {
            continue;
        }
        let plan = &plans[i];
        import_item(
            &mut w,
            &mut report,
            &it,
            plan,
            &prefix,
            &cx,
            &members_by_login,
            &members_by_wp_id,
            &mut term_ids,
        )
        .await?;
    }
    w.finish().await?;
    Ok(report)
}

/// Copies one attachment when it can; returns the URL posts should use for it.
async fn media(
    w: &mut Writer,
    report: &mut Report,
    a: &Attachment,
    media_dir: Option<&Path>,
    hosts: &[String],
) -> anyhow::Result<String> {
    let what = format!("attachment {} {:?}", a.id, a.title);
    let Some(dir) = media_dir else {
        report.add("attachment URLs kept", true);
        return Ok(a.url.clone());
    };
    let old_path = path_key(&a.url, hosts).unwrap_or_else(|| {
        a.url
            .split_once("://")
            .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_string()))
            .unwrap_or_default()
    });
    if !old_path.is_empty()
        && let Some(t) = store::redirect_target(w, &old_path).await?
        && t.starts_with("/media/")
    {
        report.add("media copied", false);
        return Ok(t);
    }
    let rel = match old_path.find("/wp-content/uploads/") {
        Some(i) => old_path[i + "/wp-content/uploads/".len()..].to_string(),
        None => old_path.trim_start_matches('/').to_string(),
    };
    let rel = percent_encoding::percent_decode_str(&rel)
        .decode_utf8_lossy()
        .into_owned();
    let base = rel.rsplit('/').next().unwrap_or("").to_string();
    let mut candidates = Vec::new();
    if !rel.split('/').any(|p| p == ".." || p.is_empty()) {
        candidates.push(dir.join(&rel));
        candidates.push(dir.join("wp-content/uploads").join(&rel));
    }
    if !base.is_empty() && base != ".." {
        candidates.push(dir.join(&base));
    }
    let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
        report.add("attachment URLs kept", true);
        report.skip(
            what,
            format!("not found in {}: the original URL is kept", dir.display()),
        );
        return Ok(a.url.clone());
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if size > crate::media::MAX_UPLOAD_BYTES as u64 {
        report.add("attachment URLs kept", true);
        report.skip(what, "larger than 5 MB: the original URL is kept");
        return Ok(a.url.clone());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if crate::media::sniff(&bytes).is_none() {
        report.add("attachment URLs kept", true);
        report.skip(
            what,
            "not a JPEG, PNG or WebP image (only images are stored): the original URL is kept",
        );
        return Ok(a.url.clone());
    }
    match crate::media::process_blocking(bytes).await {
        Ok(p) => {
            let new = crate::media::insert_in(w.tx(), &p, None).await?;
            w.wrote(1).await?;
            if !old_path.is_empty() && store::add_redirect(w, &old_path, &new).await? {
                report.add("redirects", true);
            }
            report.add("media copied", true);
            Ok(new)
        }
        Err(e) => {
            report.add("attachment URLs kept", true);
            report.skip(what, format!("{e}: the original URL is kept"));
            Ok(a.url.clone())
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn import_item(
    w: &mut Writer,
    report: &mut Report,
    it: &Item,
    plan: &Plan,
    prefix: &str,
    cx: &Context,
    members_by_login: &HashMap<String, String>,
    members_by_wp_id: &HashMap<i64, String>,
    term_ids: &mut HashMap<(&'static str, String), String>,
) -> anyhow::Result<()> {
    let kind_count = match plan.kind {
        "page" => "pages",
        "note" => "notes",
        _ => "articles",
    };
    let source_key = format!("{prefix}{}", it.id);
    if plan.existing {
        report.add(kind_count, false);
    } else {
        let converted = content::convert(&it.content, it.id, cx);
        let excerpt = {
            let e = content::plain_text(&it.excerpt);
            if e.is_empty() {
                converted.teaser.clone().unwrap_or_default()
            } else {
                e
            }
        };
        let password_hash = if it.password.is_empty() {
            None
        } else {
            Some(crate::passwords::hash_async(&it.password).await?)
        };
        let featured = it.meta("_thumbnail_id").and_then(|id| {
            let id: i64 = id.trim().parse().ok()?;
            let u = cx.attachments.get(&id).cloned();
            if u.is_none() {
                report.skip(
                    describe(it),
                    format!("featured image (attachment {id}) is not in the export"),
                );
            }
            u
        });
        let author = members_by_login.get(&it.creator).map(String::as_str);
        let title = if plan.kind == "note" && it.title.is_empty() {
            ""
        } else {
            it.title.as_str()
        };
        let created = store::insert_post(
            w,
            &store::NewPost {
                id: &plan.id,
                kind: plan.kind,
                status: plan.status,
                slug: &plan.slug,
                title,
                body: &converted.body,
                excerpt: &excerpt,
                author_id: author,
                sticky: it.sticky,
                password_hash: password_hash.as_deref(),
                comment_status: if it.comment_status == "closed" {
                    "closed"
                } else {
                    "open"
                },
                featured_image_url: featured.as_deref(),
                published_at: plan.published_at,
                created_at: plan.created_at,
                updated_at: plan.updated_at,
                source_key: &source_key,
            },
        )
        .await?;
        report.add(kind_count, created);
    }
    let post_id = plan.id.as_str();

    for t in &it.terms {
        let taxonomy: &'static str = match t.domain.as_str() {
            "category" => "category",
            "post_tag" => "tag",
            _ => continue,
        };
        let slug = {
            let s = slugify(&t.slug);
            if s.is_empty() { slugify(&t.name) } else { s }
        };
        if slug.is_empty() {
            continue;
        }
        let id = match term_ids.get(&(taxonomy, slug.clone())) {
            Some(id) => id.clone(),
            None => {
                let name = if t.name.is_empty() { &slug } else { &t.name };
                let (id, created) = store::ensure_term(w, taxonomy, &slug, name, None, "").await?;
                report.add(
                    if taxonomy == "category" {
                        "categories"
                    } else {
                        "tags"
                    },
                    created,
                );
                term_ids.insert((taxonomy, slug), id.clone());
                id
            }
        };
        store::link_term(w, post_id, &id).await?;
    }

    if let Some(to) = &plan.permalink {
        for from in &plan.redirects {
            let added = store::add_redirect(w, from, to).await?;
            report.add("redirects", added);
        }
    }

    // Comments: parents before replies (ids are derived from source keys).
    let mut ok: HashSet<i64> = HashSet::new();
    let mut todo: Vec<&parser::Comment> = Vec::new();
    for c in &it.comments {
        let kind = match c.kind.as_str() {
            "" | "comment" => "comment",
            "pingback" => "pingback",
            "trackback" => "trackback",
            "webmention" => "webmention",
            other => {
                report.skip(
                    format!("comment {} on {}", c.id, describe(it)),
                    format!("comment type {other:?} is not imported"),
                );
                continue;
            }
        };
        let _ = kind;
        todo.push(c);
    }
    let ids_in_item: HashSet<i64> = todo.iter().map(|c| c.id).collect();
    while !todo.is_empty() {
        let before = todo.len();
        let mut rest = Vec::new();
        for c in todo {
            let parent_ok =
                c.parent == 0 || ok.contains(&c.parent) || !ids_in_item.contains(&c.parent);
            if !parent_ok {
                rest.push(c);
                continue;
            }
            import_comment(w, report, it, c, post_id, prefix, &ok, members_by_wp_id).await?;
            ok.insert(c.id);
        }
        if rest.len() == before {
            for c in &rest {
                report.skip(
                    format!("comment {} on {}", c.id, describe(it)),
                    "its replies form a cycle",
                );
            }
            break;
        }
        todo = rest;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn import_comment(
    w: &mut Writer,
    report: &mut Report,
    it: &Item,
    c: &parser::Comment,
    post_id: &str,
    prefix: &str,
    ok: &HashSet<i64>,
    members_by_wp_id: &HashMap<i64, String>,
) -> anyhow::Result<()> {
    let (kind, count) = match c.kind.as_str() {
        "pingback" => ("pingback", "pingbacks"),
        "trackback" => ("trackback", "trackbacks"),
        "webmention" => ("webmention", "pingbacks"),
        _ => ("comment", "comments"),
    };
    let status = match c.approved.as_str() {
        "1" | "approve" | "approved" => "approved",
        "0" | "hold" | "" => "pending",
        "spam" => "spam",
        "trash" | "post-trashed" => "trash",
        other => {
            report.skip(
                format!("comment {} on {}", c.id, describe(it)),
                format!("unknown comment status {other:?}"),
            );
            return Ok(());
        }
    };
    let key = format!("{prefix}c{}", c.id);
    let id = store::stable_id(&key);
    let parent_id = if c.parent != 0 && ok.contains(&c.parent) {
        Some(store::stable_id(&format!("{prefix}c{}", c.parent)))
    } else {
        None
    };
    let created_at = parse_wp_date(&c.date_gmt)
        .or_else(|| parse_wp_date(&c.date))
        .or_else(|| parse_wp_date(&it.date_gmt))
        .unwrap_or_else(Utc::now);
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let author_name = if c.author.is_empty() {
        "Anonymous".to_string()
    } else {
        c.author.clone()
    };
    let added = store::insert_comment(
        w,
        &store::NewComment {
            id: &id,
            post_id,
            parent_id: parent_id.as_deref(),
            kind,
            status,
            author_name: &author_name,
            author_email: opt(&c.author_email).as_deref(),
            author_url: opt(&c.author_url).as_deref(),
            member_id: (c.user_id != 0)
                .then(|| members_by_wp_id.get(&c.user_id))
                .flatten()
                .map(String::as_str),
            body: &c.content,
            ip: opt(&c.author_ip).as_deref(),
            created_at,
            source_key: &key,
        },
    )
    .await?;
    report.add(count, added);
    Ok(())
}
