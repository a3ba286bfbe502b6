//! Posts and pages, the last step of the writing pass: a second stream through the export
//! writes each planned item (body converted, links rewritten), its terms, the redirects
//! from its old addresses and its comments (parents before replies).

use std::collections::HashSet;
use std::path::Path;

use chrono::Utc;

use super::content;
use super::parser::{Comment, Entry, Item};
use super::plan::{ImportPlan, PostPlan, parse_wp_date};
use super::report::describe;
use super::store;
use super::write::Writing;
use super::{open, parse_err};
use crate::blog::write::PostKind;

impl Writing<'_> {
    /// Streams through `file` again, writing every post and page `plan` kept.
    pub async fn posts(&mut self, file: &Path, plan: &ImportPlan) -> anyhow::Result<()> {
        let mut rd = open(file)?;
        while let Some(entry) = rd.next_entry().map_err(|e| parse_err(file, e))? {
            let Entry::Item(it) = entry else { continue };
            let Some(post) = plan.post(it.id) else {
                continue;
            };
            if !matches!(it.post_type.as_str(), "post" | "page") {
                continue;
            }
            self.post(&it, post).await?;
        }
        Ok(())
    }

    /// One post or page (unless an earlier run wrote it), its terms, redirects and comments.
    async fn post(&mut self, it: &Item, plan: &PostPlan) -> anyhow::Result<()> {
        let kind_count = match plan.kind {
            PostKind::Page => "pages",
            PostKind::Note => "notes",
            PostKind::Article => "articles",
        };
        let source_key = format!("{}{}", self.prefix, it.id);
        if plan.existing {
            self.report.add(kind_count, false);
        } else {
            let converted = content::convert(&it.content, it.id, &self.links);
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
                let u = self.links.attachments.get(&id).cloned();
                if u.is_none() {
                    self.report.skip(
                        describe(it),
                        format!("featured image (attachment {id}) is not in the export"),
                    );
                }
                u
            });
            let author = self.members_by_login.get(&it.creator).map(String::as_str);
            let title = if plan.kind == PostKind::Note && it.title.is_empty() {
                ""
            } else {
                it.title.as_str()
            };
            let created = store::insert_post(
                &mut self.w,
                &store::NewPost {
                    id: &plan.id,
                    kind: plan.kind.as_str(),
                    status: plan.status.as_str(),
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
            self.report.add(kind_count, created);
        }
        let post_id = plan.id.as_str();

        self.link_terms(it, post_id).await?;

        if let Some(to) = &plan.permalink {
            for from in &plan.redirects {
                let added = store::add_redirect(&mut self.w, from, to).await?;
                self.report.add("redirects", added);
            }
        }

        self.comments(it, post_id).await
    }

    /// The comments of `it`: parents before replies (ids are derived from source keys).
    async fn comments(&mut self, it: &Item, post_id: &str) -> anyhow::Result<()> {
        let mut ok: HashSet<i64> = HashSet::new();
        let mut todo: Vec<&Comment> = Vec::new();
        for c in &it.comments {
            match c.kind.as_str() {
                "" | "comment" | "pingback" | "trackback" | "webmention" => todo.push(c),
                other => self.report.skip(
                    format!("comment {} on {}", c.id, describe(it)),
                    format!("comment type {other:?} is not imported"),
                ),
            }
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
                self.comment(it, c, post_id, &ok).await?;
                ok.insert(c.id);
            }
            if rest.len() == before {
                for c in &rest {
                    self.report.skip(
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

    /// One comment; `ok` holds the comments of `it` already written (its parent, if any).
    async fn comment(
        &mut self,
        it: &Item,
        c: &Comment,
        post_id: &str,
        ok: &HashSet<i64>,
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
                self.report.skip(
                    format!("comment {} on {}", c.id, describe(it)),
                    format!("unknown comment status {other:?}"),
                );
                return Ok(());
            }
        };
        let prefix = self.prefix;
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
            &mut self.w,
            &store::ImportedComment {
                id: &id,
                post_id,
                parent_id: parent_id.as_deref(),
                kind,
                status,
                author_name: &author_name,
                author_email: opt(&c.author_email).as_deref(),
                author_url: opt(&c.author_url).as_deref(),
                member_id: (c.user_id != 0)
                    .then(|| self.members_by_wp_id.get(&c.user_id))
                    .flatten()
                    .map(String::as_str),
                body: &c.content,
                ip: opt(&c.author_ip).as_deref(),
                created_at,
                source_key: &key,
            },
        )
        .await?;
        self.report.add(count, added);
        Ok(())
    }
}
