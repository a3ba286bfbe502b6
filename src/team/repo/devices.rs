//! Devices a member has signed in from (`known_devices`), by the hash of the user agent and
//! network (`team::signin::device_hash`).

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// Remembers the device for the member; true when it was not known before.
pub async fn remember(db: &Db, member_id: &str, hash: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "INSERT INTO known_devices (member_id, device_hash, first_seen) VALUES ($1, $2, $3) \
         ON CONFLICT (member_id, device_hash) DO NOTHING"
    )
    .bind(member_id)
    .bind(hash)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}
