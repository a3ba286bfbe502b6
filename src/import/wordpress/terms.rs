//! Categories and tags: the export's terms written parents first (matched by taxonomy and
//! slug), and each post's terms linked to it (a term the header did not list is created
//! when a post names it).

use super::content::slugify;
use super::parser::{Item, Term};
use super::store;
use super::write::Writing;

/// The report's count for a taxonomy.
fn count_of(taxonomy: &str) -> &'static str {
    if taxonomy == "category" {
        "categories"
    } else {
        "tags"
    }
}

fn term_slug(t: &Term) -> String {
    let s = slugify(&t.slug);
    if s.is_empty() { slugify(&t.name) } else { s }
}

impl Writing<'_> {
    /// Writes the export's terms, parents first; a parent missing from the export (or a
    /// cycle of parents) leaves the term at the top level.
    pub async fn terms(&mut self, terms: &[Term]) -> anyhow::Result<()> {
        let mut pending: Vec<&Term> = Vec::new();
        for t in terms {
            if slugify(&t.slug).is_empty() && slugify(&t.name).is_empty() {
                self.report.skip(
                    format!("{} {:?}", t.taxonomy, t.name),
                    "no slug and no name",
                );
            } else {
                pending.push(t);
            }
        }
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for t in pending {
                let parent = slugify(&t.parent);
                let parent_id = if parent.is_empty() {
                    None
                } else if let Some(id) = self.term_ids.get(&(t.taxonomy, parent.clone())) {
                    Some(id.clone())
                } else if terms
                    .iter()
                    .any(|x| x.taxonomy == t.taxonomy && term_slug(x) == parent)
                {
                    rest.push(t);
                    continue;
                } else {
                    self.report.skip(
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
                    &mut self.w,
                    t.taxonomy,
                    &slug,
                    name,
                    parent_id.as_deref(),
                    &t.description,
                )
                .await?;
                self.report.add(count_of(t.taxonomy), created);
                self.term_ids.insert((t.taxonomy, slug), id);
            }
            if rest.len() == before {
                // a cycle: break it by importing the rest without parents
                for t in &rest {
                    let slug = term_slug(t);
                    let (id, created) = store::ensure_term(
                        &mut self.w,
                        t.taxonomy,
                        &slug,
                        &t.name,
                        None,
                        &t.description,
                    )
                    .await?;
                    self.report.add(count_of(t.taxonomy), created);
                    self.report.skip(
                        format!("parent of {} {:?}", t.taxonomy, t.slug),
                        "the parents form a cycle: imported at the top level",
                    );
                    self.term_ids.insert((t.taxonomy, slug), id);
                }
                break;
            }
            pending = rest;
        }
        Ok(())
    }

    /// Links the categories and tags `it` names to the post `post_id`.
    pub async fn link_terms(&mut self, it: &Item, post_id: &str) -> anyhow::Result<()> {
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
            let id = match self.term_ids.get(&(taxonomy, slug.clone())) {
                Some(id) => id.clone(),
                None => {
                    let name = if t.name.is_empty() { &slug } else { &t.name };
                    let (id, created) =
                        store::ensure_term(&mut self.w, taxonomy, &slug, name, None, "").await?;
                    self.report.add(count_of(taxonomy), created);
                    self.term_ids.insert((taxonomy, slug), id.clone());
                    id
                }
            };
            store::link_term(&mut self.w, post_id, &id).await?;
        }
        Ok(())
    }
}
