//! The `media` table: the one home of its SQL (storing processed images and their copies,
//! reading a file to serve, an original's dimensions).

use chrono::Utc;

use super::Processed;
use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// Stores a processed image inside `tx`; returns its public path (`/media/<id>.<ext>`).
pub async fn insert_in(tx: &mut Tx, p: &Processed, created_by: Option<&str>) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    insert_row(tx, &id, p, created_by, None).await?;
    Ok(format!("/media/{id}.{}", p.ext))
}

/// Stores an image and its narrower copies inside `tx`; returns the original's public path.
pub async fn insert_with_variants_in(
    tx: &mut Tx,
    p: &Processed,
    variants: &[Processed],
    created_by: Option<&str>,
) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    insert_row(tx, &id, p, created_by, None).await?;
    for v in variants {
        let vid = uuid::Uuid::new_v4().simple().to_string();
        insert_row(tx, &vid, v, created_by, Some((&id, v.width))).await?;
    }
    Ok(format!("/media/{id}.{}", p.ext))
}

async fn insert_row(
    tx: &mut Tx,
    id: &str,
    p: &Processed,
    created_by: Option<&str>,
    parent: Option<(&str, u32)>,
) -> DbResult<()> {
    let parent_id = parent.map(|(id, _)| id);
    let variant_width = parent.map(|(_, w)| i64::from(w));
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO media (id, content_type, bytes, width, height, created_by, created_at, \
         parent_id, variant_width) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(id)
    .bind(p.content_type)
    .bind(&p.bytes)
    .bind(i64::from(p.width))
    .bind(i64::from(p.height))
    .bind(created_by)
    .bind(Utc::now())
    .bind(parent_id)
    .bind(variant_width)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The content type and bytes of an original (`width` `None`) or of its copy `width` pixels
/// wide.
pub(super) async fn file(
    db: &Db,
    id: &str,
    width: Option<u32>,
) -> DbResult<Option<(String, Vec<u8>)>> {
    Ok(match width {
        None => on_db!(db, |p| sqlx::query_as(
            "SELECT content_type, bytes FROM media WHERE id = $1 AND parent_id IS NULL"
        )
        .bind(id)
        .fetch_optional(p)
        .await?),
        Some(w) => on_db!(db, |p| sqlx::query_as(
            "SELECT content_type, bytes FROM media WHERE parent_id = $1 AND variant_width = $2"
        )
        .bind(id)
        .bind(i64::from(w))
        .fetch_optional(p)
        .await?),
    })
}

/// What is known of a stored original image's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimensions {
    pub width: i64,
    pub height: i64,
    /// Widths of its narrower copies, ascending.
    pub variants: Vec<i64>,
}

/// `(id, parent_id, variant_width, width, height)`.
type SizeRow = (String, Option<String>, Option<i64>, i64, i64);

/// The size of the stored original `id` and the widths of its copies; `None` when `id` is
/// no stored original.
pub async fn dimensions(db: &Db, id: &str) -> DbResult<Option<Dimensions>> {
    let rows: Vec<SizeRow> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, parent_id, variant_width, width, height FROM media \
         WHERE id = $1 OR parent_id = $1"
    )
    .bind(id)
    .fetch_all(p)
    .await?);
    let Some(orig) = rows.iter().find(|r| r.0 == id && r.1.is_none()) else {
        return Ok(None);
    };
    let mut variants: Vec<i64> = rows
        .iter()
        .filter(|r| r.1.as_deref() == Some(id))
        .filter_map(|r| r.2)
        .collect();
    variants.sort_unstable();
    Ok(Some(Dimensions {
        width: orig.3,
        height: orig.4,
        variants,
    }))
}
