//! The `donation_moderation` table (what the donor wall shows of a donor's name and message)
//! and the "hold messages with links" setting's row. The wall's reads join the table in
//! [`super::ledger`]; the rules are in `donations::moderation`.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// A donation's stored moderation: (name hidden, message state), if it has a row.
pub async fn get_in(tx: &mut Tx, donation_id: &str) -> DbResult<Option<(bool, String)>> {
    Ok(on_tx!(tx, |c| sqlx::query_as(
        "SELECT name_hidden, message_state FROM donation_moderation WHERE donation_id = $1"
    )
    .bind(donation_id)
    .fetch_optional(&mut *c)
    .await?))
}

/// The same, outside a transaction.
pub async fn get(db: &Db, donation_id: &str) -> DbResult<Option<(bool, String)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT name_hidden, message_state FROM donation_moderation WHERE donation_id = $1"
    )
    .bind(donation_id)
    .fetch_optional(p)
    .await?))
}

/// Stores a donation's moderation (inserted, or replacing what was there).
pub async fn put_in(
    tx: &mut Tx,
    donation_id: &str,
    campaign_id: &str,
    name_hidden: bool,
    message_state: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO donation_moderation \
         (donation_id, campaign_id, name_hidden, message_state, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (donation_id) DO UPDATE SET \
         name_hidden = excluded.name_hidden, message_state = excluded.message_state, \
         updated_at = excluded.updated_at"
    )
    .bind(donation_id)
    .bind(campaign_id)
    .bind(name_hidden)
    .bind(message_state)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// How many messages of the campaign wait for review.
pub async fn held_count(db: &Db, campaign_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM donation_moderation \
         WHERE campaign_id = $1 AND message_state = 'held'"
    )
    .bind(campaign_id)
    .fetch_one(p)
    .await?))
}
