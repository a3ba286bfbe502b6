//! What archives and old links look up besides posts: terms (categories and tags), authors,
//! the `redirects` table (filled by the importer).

use shelfraiser_formats::slug::slugify;

use crate::db::{Db, DbResult};
use crate::on_db;

/// Where an old path now lives (the `redirects` table, filled by the importer).
pub async fn redirect_for(db: &Db, path: &str) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT to_path FROM redirects WHERE from_path = $1"
    )
    .bind(path)
    .fetch_optional(p)
    .await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Term {
    pub id: String,
    /// `category` or `tag`.
    pub taxonomy: String,
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl Term {
    pub fn path(&self) -> String {
        format!("/{}/{}/", self.taxonomy, self.slug)
    }
}

pub async fn term(db: &Db, taxonomy: &str, slug: &str) -> DbResult<Option<Term>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT id, taxonomy, slug, name, description FROM terms WHERE taxonomy = $1 AND slug = $2"
    )
    .bind(taxonomy)
    .bind(slug)
    .fetch_optional(p)
    .await?))
}

/// A post's categories then tags, by name.
pub async fn terms_of(db: &Db, post_id: &str) -> DbResult<Vec<Term>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT t.id, t.taxonomy, t.slug, t.name, t.description FROM terms t \
         JOIN post_terms pt ON pt.term_id = t.id WHERE pt.post_id = $1 ORDER BY t.taxonomy, t.name"
    )
    .bind(post_id)
    .fetch_all(p)
    .await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Author {
    pub id: String,
    pub display_name: String,
}

impl Author {
    pub fn path(&self) -> String {
        format!("/author/{}/", self.id)
    }
}

/// An author by member id, or by their name as a slug (the site's one rule,
/// [`slugify`]; only members who wrote a post).
pub async fn author(db: &Db, id_or_slug: &str) -> DbResult<Option<Author>> {
    let all: Vec<Author> = on_db!(db, |p| sqlx::query_as(
        "SELECT m.id, m.display_name FROM members m \
         WHERE EXISTS (SELECT 1 FROM posts p WHERE p.author_id = m.id) ORDER BY m.created_at"
    )
    .fetch_all(p)
    .await?);
    Ok(all
        .iter()
        .find(|a| a.id == id_or_slug)
        .or_else(|| all.iter().find(|a| slugify(&a.display_name) == id_or_slug))
        .cloned())
}

/// [`redirect_for`] inside a transaction (the importer's, which may have written it).
pub async fn redirect_for_in(tx: &mut crate::db::Tx, path: &str) -> DbResult<Option<String>> {
    Ok(crate::on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT to_path FROM redirects WHERE from_path = $1"
    )
    .bind(path)
    .fetch_optional(&mut *c)
    .await?))
}

/// Records that the old path `from` (path and query) now lives at `to`, unless `from`
/// already has a target (the first one stays). True when a row was added.
pub async fn add_redirect_in(tx: &mut crate::db::Tx, from: &str, to: &str) -> DbResult<bool> {
    let n = crate::on_tx!(tx, |c| sqlx::query(
        "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (from_path) DO NOTHING"
    )
    .bind(from)
    .bind(to)
    .bind(chrono::Utc::now())
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}
