//! Pass 1, the plan: reads the channel header (site URL, authors, categories, tags) and a
//! small summary of every item, then decides, before anything is written, each post's id,
//! slug, dates, new permalink and the old paths that should redirect to it. Memory grows
//! with the number of items (a few hundred bytes each), never with their content.

use std::collections::HashMap;
use std::path::Path;

use anyhow::anyhow;
use chrono::{DateTime, NaiveDateTime, Utc};

use super::content::{Context, path_key, slugify};
use super::parser::{Author, Entry, Item, Term};
use super::report::{Report, describe};
use super::{Options, open, parse_err, store};
use crate::blog::write::{PostKind, PostStatus};
use crate::db::Db;

/// Everything read and decided before the first write.
pub(super) struct ImportPlan {
    /// The start of every source key of this site: `wp:<site url>:`.
    pub prefix: String,
    pub authors: Vec<Author>,
    /// Categories and tags, one of each `(taxonomy, slug)`.
    pub terms: Vec<Term>,
    /// The posts and pages to import, in export order.
    pub posts: Vec<PostPlan>,
    by_wp_id: HashMap<i64, usize>,
    pub attachments: Vec<Attachment>,
    /// The old site's hosts and the old → new paths of the planned posts; the writing pass
    /// adds the attachments.
    pub links: Context,
}

/// A post or page to import, as planned in the first pass.
pub(super) struct PostPlan {
    pub wp_id: i64,
    pub kind: PostKind,
    pub status: PostStatus,
    pub id: String,
    pub slug: String,
    /// Imported by an earlier run: left as it is.
    pub existing: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub permalink: Option<String>,
    /// Old paths that should answer with the new permalink.
    pub redirects: Vec<String>,
}

/// An attachment item: copied (or linked to) before the posts that show it.
pub(super) struct Attachment {
    pub id: i64,
    pub parent: i64,
    pub url: String,
    pub title: String,
}

/// A post or page as read in the first pass, before its slug and addresses are chosen.
struct Summary {
    wp_id: i64,
    kind: PostKind,
    status: PostStatus,
    /// The slugified `wp:post_name` (or title); may be empty.
    slug_base: String,
    date: String,
    date_gmt: String,
    modified_gmt: String,
    link: String,
    guid: String,
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

/// What the first pass read.
struct Scan {
    header: Header,
    items: Vec<Summary>,
    attachments: Vec<Attachment>,
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
    "privacy",
    "providers",
    "test-checkout",
    "monthly",
    "healthz",
    "metrics",
    "blog",
    "wp-admin",
    "wp-content",
    "wp-login-php",
    "admin",
    "comments",
    "invite",
    "lang",
    "posts",
    "readyz",
    "receipts",
    "reset",
    "signout-everywhere",
    "actor",
    "inbox",
    ".well-known",
    "webmention",
    "avatars",
    "oembed",
    "r",
    "setup",
];

/// Whether an imported page may not take `slug`: a path the application answers itself.
pub fn is_reserved_slug(slug: &str) -> bool {
    RESERVED_SLUGS.contains(&slug)
}

pub(super) fn parse_wp_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000") {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|d| d.and_utc())
}

fn status_of(wp: &str) -> Result<PostStatus, String> {
    Ok(match wp {
        "publish" => PostStatus::Published,
        "draft" => PostStatus::Draft,
        "future" => PostStatus::Scheduled,
        "private" => PostStatus::Private,
        "pending" => PostStatus::Pending,
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

/// Streams through the export once, keeping the header and item summaries.
fn read(file: &Path, report: &mut Report) -> anyhow::Result<Scan> {
    let mut header = Header::default();
    let mut items: Vec<Summary> = Vec::new();
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
                    Ok(status) => items.push(summary(*it, status)),
                },
                "" => report.skip(describe(&it), "no post type"),
                other => report.skip(
                    describe(&it),
                    format!("post type {other:?} is not imported"),
                ),
            },
        }
    }
    Ok(Scan {
        header,
        items,
        attachments,
    })
}

fn summary(it: Item, status: PostStatus) -> Summary {
    let kind = if it.post_type == "page" {
        PostKind::Page
    } else if it.terms.iter().any(|t| {
        t.domain == "post_format"
            && matches!(t.slug.as_str(), "post-format-status" | "post-format-aside")
    }) {
        PostKind::Note
    } else {
        PostKind::Article
    };
    let slug_base = {
        let s = slugify(&it.slug);
        if s.is_empty() { slugify(&it.title) } else { s }
    };
    Summary {
        wp_id: it.id,
        kind,
        status,
        slug_base,
        date: it.date,
        date_gmt: it.date_gmt,
        modified_gmt: it.modified_gmt,
        link: it.link,
        guid: it.guid,
    }
}

impl ImportPlan {
    /// Reads the export and decides everything the writing pass needs; the only database
    /// access is reading the slugs already taken and the posts of earlier runs.
    pub(super) async fn make(
        db: &Db,
        opts: &Options,
        report: &mut Report,
    ) -> anyhow::Result<ImportPlan> {
        let file = opts.file.as_path();
        let Scan {
            header,
            items,
            attachments,
        } = read(file, report)?;

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
        let mut links = Context::default();
        for u in [&header.blog_url, &header.channel_link, &header.site_url] {
            if let Some(h) = host_of(u)
                && !links.hosts.contains(&h)
            {
                links.hosts.push(h);
            }
        }
        // A blog in a subfolder (https://example.org/blog) has its ?p=ID links under it.
        let site_path = path_key(&site, &links.hosts)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        let prefix = format!("wp:{site}:");
        let (mut taken, existing) = store::existing_posts(db, &prefix).await?;
        taken.extend(RESERVED_SLUGS.iter().map(|s| s.to_string()));
        let now = Utc::now();
        let mut posts: Vec<PostPlan> = Vec::with_capacity(items.len());
        for s in items {
            let Summary {
                wp_id,
                kind,
                status,
                ..
            } = s;
            let key = format!("{prefix}{wp_id}");
            let when = parse_wp_date(&s.date_gmt).or_else(|| parse_wp_date(&s.date));
            let mut plan = match existing.get(&key) {
                Some(e) => PostPlan {
                    wp_id,
                    kind: if PostKind::parse(&e.kind) == Some(PostKind::Page) {
                        PostKind::Page
                    } else {
                        kind
                    },
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
                    let base = if s.slug_base.is_empty() {
                        format!("{}-{wp_id}", kind.as_str())
                    } else {
                        s.slug_base
                    };
                    let mut slug = base.clone();
                    let mut n = 2;
                    while taken.contains(&slug) {
                        slug = format!("{base}-{n}");
                        n += 1;
                    }
                    taken.insert(slug.clone());
                    let published_at = match status {
                        PostStatus::Draft | PostStatus::Pending => None,
                        _ => Some(when.unwrap_or(now)),
                    };
                    let created_at = when.unwrap_or(now);
                    PostPlan {
                        wp_id,
                        kind,
                        status,
                        id: store::stable_id(&key),
                        slug,
                        existing: false,
                        published_at,
                        created_at,
                        updated_at: parse_wp_date(&s.modified_gmt).unwrap_or(created_at),
                        permalink: None,
                        redirects: Vec::new(),
                    }
                }
            };
            // Drafts and pending posts have no public address yet: no redirects for them.
            plan.permalink =
                (plan.kind == PostKind::Page || plan.published_at.is_some()).then(|| {
                    opts.permalinks
                        .path(plan.kind.as_str(), &plan.slug, plan.published_at)
                });
            if let Some(p) = plan.permalink.clone() {
                let mut olds: Vec<String> = Vec::new();
                for u in [&s.link, &s.guid] {
                    if let Some(k) = path_key(u, &links.hosts) {
                        olds.push(k);
                    }
                }
                olds.push(format!("{site_path}/?p={wp_id}"));
                if plan.kind == PostKind::Page {
                    olds.push(format!("{site_path}/?page_id={wp_id}"));
                }
                for o in olds {
                    links.paths.insert(o.clone(), p.clone());
                    if o != p && !plan.redirects.contains(&o) {
                        plan.redirects.push(o);
                    }
                }
            }
            posts.push(plan);
        }
        let by_wp_id = posts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.wp_id, i))
            .collect();
        Ok(ImportPlan {
            prefix,
            authors: header.authors,
            terms: header.terms,
            posts,
            by_wp_id,
            attachments,
            links,
        })
    }

    /// The plan for the post or page with WordPress id `wp_id`, if it is imported.
    pub(super) fn post(&self, wp_id: i64) -> Option<&PostPlan> {
        self.by_wp_id.get(&wp_id).map(|&i| &self.posts[i])
    }
}
