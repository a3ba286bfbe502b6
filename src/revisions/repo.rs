//! The `revisions` table's statements, written once for both backends.

use chrono::{DateTime, Utc};

use super::{Author, Autosave, Kind, Revision, Snapshot, Target};
use crate::db::{Db, DbError, DbResult, Tx};
use crate::{on_db, on_tx};

type Row = (
    String,
    String,
    Option<String>,
    String,
    DateTime<Utc>,
    String,
    String,
    Option<String>,
    i64,
);

const COLUMNS: &str = "r.id, r.kind, r.member_id, COALESCE(m.display_name, r.author), \
    r.created_at, r.title, r.body, r.restored_from, CAST(LENGTH(r.body) AS BIGINT)";

fn revision(r: Row) -> DbResult<Revision> {
    let (id, kind, member_id, author, created_at, title, body, restored_from, chars) = r;
    let kind =
        Kind::parse(&kind).ok_or_else(|| DbError::Corrupt(format!("revision {id}: bad kind")))?;
    Ok(Revision {
        id,
        kind,
        member_id,
        author,
        created_at,
        title,
        body,
        restored_from,
        chars,
    })
}

pub(super) async fn insert_in(
    tx: &mut Tx,
    target: &Target,
    who: Author<'_>,
    snap: Snapshot<'_>,
    at: DateTime<Utc>,
) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO revisions (id, target_kind, target_id, kind, member_id, author, created_at, \
         title, body, restored_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(&id)
    .bind(target.kind())
    .bind(target.id())
    .bind(snap.kind.as_str())
    .bind(who.member_id)
    .bind(who.label)
    .bind(at)
    .bind(snap.title)
    .bind(snap.body)
    .bind(snap.restored_from)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(id)
}

/// Whether `target` has a saved or restored revision.
pub(super) async fn any_in(tx: &mut Tx, target: &Target) -> DbResult<bool> {
    let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM revisions WHERE target_kind = $1 AND target_id = $2 \
         AND kind <> 'autosave'"
    )
    .bind(target.kind())
    .bind(target.id())
    .fetch_one(&mut *c)
    .await?);
    Ok(n > 0)
}

/// The newest `limit` saved and restored revisions of `target`, newest first; `body` is
/// left empty (`chars` says how long it is).
pub async fn list(db: &Db, target: &Target, limit: i64) -> DbResult<Vec<Revision>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM revisions r LEFT JOIN members m ON m.id = r.member_id \
         WHERE r.target_kind = $1 AND r.target_id = $2 AND r.kind <> 'autosave' \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $3"
    )
    .replace("r.body, r.restored_from", "'', r.restored_from");
    let rows: Vec<Row> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(target.kind())
        .bind(target.id())
        .bind(limit)
        .fetch_all(p)
        .await?);
    rows.into_iter().map(revision).collect()
}

/// One saved or restored revision of `target`.
pub async fn get(db: &Db, target: &Target, id: &str) -> DbResult<Option<Revision>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM revisions r LEFT JOIN members m ON m.id = r.member_id \
         WHERE r.id = $1 AND r.target_kind = $2 AND r.target_id = $3 AND r.kind <> 'autosave'"
    );
    let row: Option<Row> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .bind(target.kind())
        .bind(target.id())
        .fetch_optional(p)
        .await?);
    row.map(revision).transpose()
}

/// Keeps `fields` (the whole form; `title` and `body` its text) as `member_id`'s autosave of
/// `target`, replacing the one before.
pub async fn autosave(
    db: &Db,
    target: &Target,
    member_id: &str,
    fields: &[(String, String)],
    title: &str,
    body: &str,
) -> DbResult<()> {
    let json = serde_json::to_string(fields)
        .map_err(|e| DbError::Corrupt(format!("autosave fields: {e}")))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    on_db!(db, |p| sqlx::query(
        "INSERT INTO revisions (id, target_kind, target_id, kind, member_id, author, created_at, \
         title, body, fields) VALUES ($1, $2, $3, 'autosave', $4, '', $5, $6, $7, $8) \
         ON CONFLICT (target_kind, target_id, member_id) WHERE kind = 'autosave' \
         DO UPDATE SET created_at = excluded.created_at, title = excluded.title, \
         body = excluded.body, fields = excluded.fields"
    )
    .bind(&id)
    .bind(target.kind())
    .bind(target.id())
    .bind(member_id)
    .bind(Utc::now())
    .bind(title)
    .bind(body)
    .bind(&json)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// `member_id`'s autosave of `target`, if any.
pub async fn autosave_of(db: &Db, target: &Target, member_id: &str) -> DbResult<Option<Autosave>> {
    let row: Option<(Option<String>, DateTime<Utc>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT fields, created_at FROM revisions WHERE target_kind = $1 AND target_id = $2 \
         AND member_id = $3 AND kind = 'autosave'"
    )
    .bind(target.kind())
    .bind(target.id())
    .bind(member_id)
    .fetch_optional(p)
    .await?);
    let Some((fields, saved_at)) = row else {
        return Ok(None);
    };
    let fields: Vec<(String, String)> = serde_json::from_str(fields.as_deref().unwrap_or("[]"))
        .map_err(|e| DbError::Corrupt(format!("autosave fields: {e}")))?;
    Ok(Some(Autosave { fields, saved_at }))
}

/// Drops `member_id`'s autosave of `target` (saved, restored or discarded).
pub async fn drop_autosave(db: &Db, target: &Target, member_id: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM revisions WHERE target_kind = $1 AND target_id = $2 AND member_id = $3 \
         AND kind = 'autosave'"
    )
    .bind(target.kind())
    .bind(target.id())
    .bind(member_id)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// [`drop_autosave`] inside a save's transaction.
pub async fn drop_autosave_in(tx: &mut Tx, target: &Target, member_id: &str) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM revisions WHERE target_kind = $1 AND target_id = $2 AND member_id = $3 \
         AND kind = 'autosave'"
    )
    .bind(target.kind())
    .bind(target.id())
    .bind(member_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}
