//! The importer's writes: members, terms, media, posts, comments and redirects, each keyed
//! so that a second run finds what the first one wrote (`source_key`, `(taxonomy, slug)`,
//! e-mail address, `redirects.from_path`). Ids of imported posts and comments are derived
//! from their source keys, so a comment's parent id is known without a lookup. Posts are
//! read and written through the blog (`blog::repo::sources`, `blog::write::import`), the home
//! of the `posts` table.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::blog::write;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::on_tx;

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
/// `member`). Returns (id, created).
pub async fn ensure_member(
    w: &mut Writer,
    email: &str,
    display_name: &str,
) -> DbResult<(String, bool)> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let n = on_tx!(w.tx(), |c| {
        sqlx::query(
        "INSERT INTO members (id, email, display_name, time_zone, languages, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'UTC', 'en', 'invited', $4, $4) ON CONFLICT (email) DO NOTHING"
    )
    .bind(&id)
    .bind(email)
    .bind(display_name)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    if n == 1 {
        on_tx!(w.tx(), |c| sqlx::query(
            "INSERT INTO grants (member_id, role, scope, created_at) VALUES ($1, 'member', '', $2) \
             ON CONFLICT (member_id, role, scope) DO NOTHING"
        )
        .bind(&id)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected());
        w.wrote(2).await?;
        return Ok((id, true));
    }
    let existing: String = on_tx!(w.tx(), |c| sqlx::query_scalar(
        "SELECT id FROM members WHERE email = $1"
    )
    .bind(email)
    .fetch_one(&mut *c)
    .await?);
    Ok((existing, false))
}

/// The term's id, creating it when missing. Returns (id, created).
pub async fn ensure_term(
    w: &mut Writer,
    taxonomy: &str,
    slug: &str,
    name: &str,
    parent_id: Option<&str>,
    description: &str,
) -> DbResult<(String, bool)> {
    let id = stable_id(&format!("term:{taxonomy}:{slug}"));
    let n = on_tx!(w.tx(), |c| sqlx::query(
        "INSERT INTO terms (id, taxonomy, slug, name, parent_id, description) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (taxonomy, slug) DO NOTHING"
    )
    .bind(&id)
    .bind(taxonomy)
    .bind(slug)
    .bind(name)
    .bind(parent_id)
    .bind(description)
    .execute(&mut *c)
    .await?
    .rows_affected());
    if n == 1 {
        w.wrote(1).await?;
        return Ok((id, true));
    }
    let existing: String = on_tx!(w.tx(), |c| sqlx::query_scalar(
        "SELECT id FROM terms WHERE taxonomy = $1 AND slug = $2"
    )
    .bind(taxonomy)
    .bind(slug)
    .fetch_one(&mut *c)
    .await?);
    Ok((existing, false))
}

/// Where an old path already redirects to.
pub async fn redirect_target(w: &mut Writer, from: &str) -> DbResult<Option<String>> {
    Ok(on_tx!(w.tx(), |c| sqlx::query_scalar(
        "SELECT to_path FROM redirects WHERE from_path = $1"
    )
    .bind(from)
    .fetch_optional(&mut *c)
    .await?))
}

/// Records `from → to` unless `from` is already taken. True when a row was added.
pub async fn add_redirect(w: &mut Writer, from: &str, to: &str) -> DbResult<bool> {
    let n = on_tx!(w.tx(), |c| sqlx::query(
        "INSERT INTO redirects (from_path, to_path, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (from_path) DO NOTHING"
    )
    .bind(from)
    .bind(to)
    .bind(Utc::now())
    .execute(&mut *c)
    .await?
    .rows_affected());
    w.wrote(n as usize).await?;
    Ok(n == 1)
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
    };
    let inserted = write::import(w.tx(), &row).await?;
    w.wrote(usize::from(inserted)).await?;
    Ok(inserted)
}

pub async fn link_term(w: &mut Writer, post_id: &str, term_id: &str) -> DbResult<bool> {
    let n = on_tx!(w.tx(), |c| sqlx::query(
        "INSERT INTO post_terms (post_id, term_id) VALUES ($1, $2) \
         ON CONFLICT (post_id, term_id) DO NOTHING"
    )
    .bind(post_id)
    .bind(term_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    w.wrote(n as usize).await?;
    Ok(n == 1)
}

pub struct NewComment<'a> {
    pub id: &'a str,
    pub post_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub kind: &'a str,
    pub status: &'a str,
    pub author_name: &'a str,
    pub author_email: Option<&'a str>,
    pub author_url: Option<&'a str>,
    pub member_id: Option<&'a str>,
    pub body: &'a str,
    pub ip: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub source_key: &'a str,
}

/// Inserts a comment; false when one with the same source key exists.
pub async fn insert_comment(w: &mut Writer, c: &NewComment<'_>) -> DbResult<bool> {
    let n = on_tx!(w.tx(), |conn| {
        sqlx::query(
        "INSERT INTO comments (id, post_id, parent_id, kind, status, author_name, author_email, \
         author_url, member_id, body, ip, created_at, source_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (source_key) DO NOTHING"
    )
    .bind(c.id)
    .bind(c.post_id)
    .bind(c.parent_id)
    .bind(c.kind)
    .bind(c.status)
    .bind(c.author_name)
    .bind(c.author_email)
    .bind(c.author_url)
    .bind(c.member_id)
    .bind(c.body)
    .bind(c.ip)
    .bind(c.created_at)
    .bind(c.source_key)
    .execute(&mut *conn)
    .await?
    .rows_affected()
    });
    w.wrote(n as usize).await?;
    Ok(n == 1)
}
