//! What the post writers (`blog::write`) read and change besides the row itself: slugs in
//! use (now or in `post_slug_history`), categories and tags (`terms`, `post_terms`), and the
//! console's list of posts.

use shelfraiser_formats::slug::slugify;

use super::kinds::PostStatus;
use super::posts::{COLUMNS, FROM, Post, PostRow, posts};
use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

async fn slug_taken(tx: &mut Tx, slug: &str, except: Option<&str>) -> DbResult<bool> {
    let except = except.unwrap_or("");
    let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM posts WHERE slug = $1 AND id <> $2) \
              + (SELECT COUNT(*) FROM post_slug_history WHERE old_slug = $1 AND post_id <> $2)"
    )
    .bind(slug)
    .bind(except)
    .fetch_one(&mut *c)
    .await?);
    Ok(n > 0)
}

/// `base`, or `base-2`, `base-3`, … — the first that no other post has (now or in its
/// slug history).
pub async fn unique_slug(tx: &mut Tx, base: &str, except_post: Option<&str>) -> DbResult<String> {
    if !slug_taken(tx, base, except_post).await? {
        return Ok(base.to_string());
    }
    for n in 2..10_000 {
        let cand = format!("{base}-{n}");
        if !slug_taken(tx, &cand, except_post).await? {
            return Ok(cand);
        }
    }
    Ok(format!("{base}-{}", uuid::Uuid::new_v4().simple()))
}

/// The id of the term (`category` or `tag`) with this slug, created with `name` (and
/// `parent_id`) when missing. An existing term keeps its name and parent.
pub async fn upsert_term(
    tx: &mut Tx,
    taxonomy: &str,
    slug: &str,
    name: &str,
    parent_id: Option<&str>,
) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO terms (id, taxonomy, slug, name, parent_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (taxonomy, slug) DO NOTHING"
    )
    .bind(&id)
    .bind(taxonomy)
    .bind(slug)
    .bind(name)
    .bind(parent_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM terms WHERE taxonomy = $1 AND slug = $2"
    )
    .bind(taxonomy)
    .bind(slug)
    .fetch_one(&mut *c)
    .await?))
}

/// Replaces a post's categories and tags.
pub async fn set_terms(
    tx: &mut Tx,
    post_id: &str,
    categories: &[String],
    tags: &[String],
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM post_terms WHERE post_id = $1"
    )
    .bind(post_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    for (taxonomy, names) in [("category", categories), ("tag", tags)] {
        for name in names {
            let id = upsert_term(tx, taxonomy, &slugify(name), name, None).await?;
            on_tx!(tx, |c| sqlx::query(
                "INSERT INTO post_terms (post_id, term_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
            .bind(post_id)
            .bind(&id)
            .execute(&mut *c)
            .await?
            .rows_affected());
        }
    }
    Ok(())
}

/// A post's category and tag names, each sorted: `(categories, tags)`.
pub async fn term_names_of(db: &Db, post_id: &str) -> DbResult<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT t.taxonomy, t.name FROM post_terms pt JOIN terms t ON t.id = pt.term_id \
         WHERE pt.post_id = $1 ORDER BY t.name"
    )
    .bind(post_id)
    .fetch_all(p)
    .await?);
    let mut cats = Vec::new();
    let mut tags = Vec::new();
    for (tax, name) in rows {
        if tax == "category" {
            cats.push(name);
        } else {
            tags.push(name);
        }
    }
    Ok((cats, tags))
}

pub async fn terms_of_in(tx: &mut Tx, post_id: &str) -> DbResult<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, String)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT t.taxonomy, t.name FROM post_terms pt JOIN terms t ON t.id = pt.term_id \
         WHERE pt.post_id = $1 ORDER BY t.name"
    )
    .bind(post_id)
    .fetch_all(&mut *c)
    .await?);
    let (mut cats, mut tags) = (Vec::new(), Vec::new());
    for (tax, name) in rows {
        if tax == "category" {
            cats.push(name);
        } else {
            tags.push(name);
        }
    }
    Ok((cats, tags))
}

/// Posts for the console list, newest change first; `status` filters when given; `keep`
/// (when given) keeps only the posts it accepts (the member's, by the writers' rules).
pub async fn list_for_console(
    db: &Db,
    status: Option<PostStatus>,
    keep: Option<&(dyn Fn(&Post) -> bool + Sync)>,
    limit: i64,
) -> DbResult<Vec<Post>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE ($1 = '' OR p.status = $1) ORDER BY p.updated_at DESC, p.id LIMIT $2"
    );
    let st = status.map(|s| s.as_str()).unwrap_or("");
    // A scoped editor or a contributor sees few posts; the writers' rule (`keep`) is applied
    // here rather than in SQL so one query text serves both databases.
    let limit_sql = if keep.is_some() { 10_000 } else { limit };
    let rows: Vec<PostRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(st)
        .bind(limit_sql)
        .fetch_all(p)
        .await?);
    let rows = posts(rows)?;
    Ok(match keep {
        None => rows,
        Some(keep) => rows
            .into_iter()
            .filter(|p| keep(p))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect(),
    })
}

/// A term as the WordPress importer brings it: with its own id (derived from its source) and
/// description, and its parent already written.
pub struct KeyedTerm<'a> {
    pub id: &'a str,
    /// `category` or `tag`.
    pub taxonomy: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub parent_id: Option<&'a str>,
    pub description: &'a str,
}

/// Stores `t` unless a term with its taxonomy and slug exists (that one is kept as it is).
/// Returns the term's id and whether it was created.
pub async fn insert_keyed_term(tx: &mut Tx, t: &KeyedTerm<'_>) -> DbResult<(String, bool)> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO terms (id, taxonomy, slug, name, parent_id, description) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (taxonomy, slug) DO NOTHING"
    )
    .bind(t.id)
    .bind(t.taxonomy)
    .bind(t.slug)
    .bind(t.name)
    .bind(t.parent_id)
    .bind(t.description)
    .execute(&mut *c)
    .await?
    .rows_affected());
    if n == 1 {
        return Ok((t.id.to_string(), true));
    }
    let existing: String = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM terms WHERE taxonomy = $1 AND slug = $2"
    )
    .bind(t.taxonomy)
    .bind(t.slug)
    .fetch_one(&mut *c)
    .await?);
    Ok((existing, false))
}

/// Links a term to a post (kept when already linked). True when the link is new.
pub async fn link_term(tx: &mut Tx, post_id: &str, term_id: &str) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO post_terms (post_id, term_id) VALUES ($1, $2) \
         ON CONFLICT (post_id, term_id) DO NOTHING"
    )
    .bind(post_id)
    .bind(term_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}
