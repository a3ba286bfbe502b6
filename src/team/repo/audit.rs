//! The audit log (`audit_log`): appended to, listed; never changed (database triggers
//! refuse updates and deletes).

use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Type};

use crate::db::{Db, DbResult, Tx};
use crate::team::audit::{Actor, Entry};
use crate::{on_db, on_tx};

const INSERT: &str = "INSERT INTO audit_log (at, actor_id, actor, action, target, detail, ip, user_agent) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The [`INSERT`] statement with one entry's values bound, for either backend.
fn insert_query<'q, DB>(
    who: &'q Actor,
    action: &'q str,
    target: &'q str,
    detail: &'q str,
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    &'q Option<String>: Encode<'q, DB> + Type<DB>,
    &'q String: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(INSERT)
        .bind(Utc::now())
        .bind(&who.member_id)
        .bind(&who.label)
        .bind(action)
        .bind(target)
        .bind(detail)
        .bind(&who.ip)
        .bind(&who.user_agent)
}

/// Appends an entry in its own statement.
pub async fn insert(
    db: &Db,
    who: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> DbResult<()> {
    on_db!(db, |p| insert_query(who, action, target, detail)
        .execute(p)
        .await?
        .rows_affected());
    Ok(())
}

/// Appends an entry inside a transaction.
pub async fn insert_in(
    tx: &mut Tx,
    who: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> DbResult<()> {
    on_tx!(tx, |c| insert_query(who, action, target, detail)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// Newest first; `action` (`""`: any) is an exact action name, `actor_like` (`""`: any) a
/// `LIKE` pattern on the lowercased label.
pub async fn list(
    db: &Db,
    action: &str,
    actor_like: &str,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Entry>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT seq, at, actor_id, actor, action, target, detail, ip, user_agent FROM audit_log \
         WHERE ($1 = '' OR action = $1) AND ($2 = '' OR LOWER(actor) LIKE $2) \
         ORDER BY seq DESC LIMIT $3 OFFSET $4"
    )
    .bind(action)
    .bind(actor_like)
    .bind(limit)
    .bind(offset)
    .fetch_all(p)
    .await?))
}

/// Every action name in the log, sorted.
pub async fn actions(db: &Db) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_log ORDER BY action"
    )
    .fetch_all(p)
    .await?))
}
