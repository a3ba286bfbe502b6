//! The `erasures` table: one row per erasure, holding no personal data (the keyed hash of the
//! address, the pseudonym used, who asked and how many rows of each kind were changed).

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// An erasure as recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Erasure {
    pub id: String,
    pub address_hash: String,
    pub pseudonym: String,
    pub requested_by: String,
    pub donations: i64,
    pub sessions: i64,
    pub messages: i64,
    pub consents: i64,
    pub pledges: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_in(tx: &mut Tx, e: &Erasure) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO erasures (id, address_hash, pseudonym, requested_by, donations, sessions, \
         messages, consents, pledges, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(&e.id)
    .bind(&e.address_hash)
    .bind(&e.pseudonym)
    .bind(&e.requested_by)
    .bind(e.donations)
    .bind(e.sessions)
    .bind(e.messages)
    .bind(e.consents)
    .bind(e.pledges)
    .bind(e.created_at)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The erasures of one address hash, oldest first.
pub async fn of_hash(db: &Db, address_hash: &str) -> DbResult<Vec<Erasure>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT id, address_hash, pseudonym, requested_by, donations, sessions, messages, \
         consents, pledges, created_at FROM erasures WHERE address_hash = $1 \
         ORDER BY created_at, id"
    )
    .bind(address_hash)
    .fetch_all(p)
    .await?))
}
