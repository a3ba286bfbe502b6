//! The `provider_events` table: every provider event received, once.

use chrono::{DateTime, Utc};

use crate::db::{DbResult, Tx};
use crate::on_tx;

/// Notes a provider's event (a replay changes nothing); true the first time.
pub async fn note_in(
    tx: &mut Tx,
    provider: &str,
    event_id: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (provider, event_id) DO NOTHING"
    )
    .bind(provider)
    .bind(event_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(n == 1)
}
