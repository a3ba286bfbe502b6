//! The importer's writes: members, terms, media, posts, comments and redirects, each keyed
//! so that a second run finds what the first one wrote (`source_key`, `(taxonomy, slug)`,
//! e-mail address, `redirects.from_path`). Ids of imported posts, terms and comments are
//! derived from their source keys, so a comment's parent id is known without a lookup.
//!
//! The importer has no table of its own: this module holds the batched transaction
//! ([`Writer`]) and counts the writes, and every row goes through the capability whose table
//! it is — posts, terms and post–term links through `blog::write` (`import`, `import_term`,
//! `link_term`), comments through `blog::comments::insert_imported`, redirects through
//! `blog::lookup`, authors through `team::repo::ensure_imported_author_in`.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub use crate::blog::comments::ImportedComment;
use crate::blog::{comments, lookup, write};
use crate::db::{Db, DbError, DbResult, Tx};
use crate::email::Email;
use crate::team;

/// A UUID-shaped id derived from `key` (SHA-256; version nibble 8, "custom").
pub fn stable_id(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// Write transactions: one for a dry run (never committed), otherwise committed every
/// [`BATCH`] writes so a large import neither holds one huge transaction nor pays a commit
/// per row.
pub struct Writer {
    db: Db,
    tx: Option<Tx>,
    dry_run: bool,
    pending: usize,
}

const BATCH: usize = 2000;

impl Writer {
    pub async fn new(db: &Db, dry_run: bool) -> DbResult<Writer> {
        Ok(Writer {
            db: db.clone(),
            tx: Some(db.begin().await?),
            dry_run,
            pending: 0,
        })
    }

    pub fn tx(&mut self) -> &mut Tx {
        self.tx
            .as_mut()
            .unwrap_or_else(|| unreachable!("the writer always holds a transaction"))
    }

    /// Counts `n` writes; commits and starts a new transaction when a batch is full.
    pub async fn wrote(&mut self, n: usize) -> DbResult<()> {
        self.pending += n;
        if !self.dry_run && self.pending >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> DbResult<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        self.tx = Some(self.db.begin().await?);
        self.pending = 0;
        Ok(())
    }

    /// Commits (or, in a dry run, rolls everything back).
    pub async fn finish(mut self) -> DbResult<()> {
        if let Some(tx) = self.tx.take()
            && !self.dry_run
        {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// An already imported post.
#[derive(Debug, Clone)]
pub struct Existing {
    pub id: String,
    pub slug: String,
    pub kind: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// Every post slug, and the imported posts of this site by source key (read through the
/// blog's store, the home of `posts`).
pub async fn existing_posts(
    db: &Db,
    prefix: &str,
) -> DbResult<(
    std::collections::HashSet<String>,
    std::collections::HashMap<String, Existing>,
)> {
    let rows = crate::blog::repo::sources(db).await?;
    let mut slugs = std::collections::HashSet::with_capacity(rows.len());
    let mut by_key = std::collections::HashMap::new();
    for r in rows {
        slugs.insert(r.slug.clone());
        if let Some(k) = r.source_key.filter(|k| k.starts_with(prefix)) {
            by_key.insert(
                k,
                Existing {
                    id: r.id,
                    slug: r.slug,
                    kind: r.kind.as_str().to_string(),
                    published_at: r.published_at,
                },
            );
        }
    }
    Ok((slugs, by_key))
}

/// The member with this e-mail, or a new `invited` one without a password (role
/// `member`), through the team's store. Returns (id, created).
pub async fn ensure_member(
    w: &mut Writer,
    email: &Email,
    display_name: &str,
) -> DbResult<(String, bool)> {
    let (id, created) = team::repo::ensure_imported_author_in(w.tx(), email, display_name).await?;
    if created {
        w.wrote(2).await?;
    }
    Ok((id, created))
}

/// The term's id (derived from its taxonomy and slug when new), creating it when missing,
/// through the blog's writer. Returns (id, created).
pub async fn ensure_term(
    w: &mut Writer,
    taxonomy: &str,
    slug: &str,
    name: &str,
    parent_id: Option<&str>,
    description: &str,
) -> DbResult<(String, bool)> {
    let id = stable_id(&format!("term:{taxonomy}:{slug}"));
    let term = write::KeyedTerm {
        id: &id,
        taxonomy,
        slug,
        name,
        parent_id,
        description,
    };
    let (id, created) = write::import_term(w.tx(), &term).await?;
    if created {
        w.wrote(1).await?;
    }
    Ok((id, created))
}

/// Where an old path already redirects to.
pub async fn redirect_target(w: &mut Writer, from: &str) -> DbResult<Option<String>> {
    lookup::redirect_for_in(w.tx(), from).await
}

/// Records `from → to` unless `from` is already taken. True when a row was added.
pub async fn add_redirect(w: &mut Writer, from: &str, to: &str) -> DbResult<bool> {
    let added = lookup::add_redirect(w.tx(), from, to).await?;
    w.wrote(usize::from(added)).await?;
    Ok(added)
}

pub struct NewPost<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub status: &'a str,
    pub slug: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub excerpt: &'a str,
    pub author_id: Option<&'a str>,
    pub sticky: bool,
    pub password_hash: Option<&'a str>,
    pub comment_status: &'a str,
    pub featured_image_url: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub source_key: &'a str,
}

/// Inserts a post through the blog's one post writer ([`write::import`]), in this run's
/// transaction, exactly as planned; false when one with the same source key exists.
pub async fn insert_post(w: &mut Writer, p: &NewPost<'_>) -> DbResult<bool> {
    let bad = |what: &str, v: &str| DbError::Corrupt(format!("import plan: bad post {what} {v:?}"));
    let row = write::NewRow {
        id: p.id,
        kind: write::PostKind::parse(p.kind).ok_or_else(|| bad("kind", p.kind))?,
        status: write::PostStatus::parse(p.status).ok_or_else(|| bad("status", p.status))?,
        slug: p.slug,
        title: p.title,
        body_md: p.body,
        excerpt: p.excerpt,
        author_id: p.author_id,
        campaign_id: None,
        sticky: p.sticky,
        password_hash: p.password_hash,
        comment_status: write::CommentStatus::parse(p.comment_status)
            .ok_or_else(|| bad("comment status", p.comment_status))?,
        featured_image_url: p.featured_image_url,
        featured_image_alt: None,
        published_at: p.published_at,
        created_at: p.created_at,
        updated_at: p.updated_at,
        source_key: Some(p.source_key),
        // Imported posts are the site's past, never mailed.
        mail_subscribers: false,
    };
    let inserted = write::import(w.tx(), &row).await?;
    w.wrote(usize::from(inserted)).await?;
    Ok(inserted)
}

pub async fn link_term(w: &mut Writer, post_id: &str, term_id: &str) -> DbResult<bool> {
    let added = write::link_term(w.tx(), post_id, term_id).await?;
    w.wrote(usize::from(added)).await?;
    Ok(added)
}

/// Inserts a comment through the blog's comments, as given; false when one with the same
/// source key exists.
pub async fn insert_comment(w: &mut Writer, c: &ImportedComment<'_>) -> DbResult<bool> {
    let added = comments::insert_imported(w.tx(), c).await?;
    w.wrote(usize::from(added)).await?;
    Ok(added)
}
