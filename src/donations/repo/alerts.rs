//! The treasurer alerts' claims: a `settings` row per claim key holding the last time it was
//! claimed (seconds since the epoch), so a cluster sends one alert.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult};
use crate::on_db;

/// Claims `key` at `now` unless it was last claimed after `not_since`; true when claimed.
pub async fn claim(
    db: &Db,
    key: &str,
    now: DateTime<Utc>,
    not_since: DateTime<Utc>,
) -> DbResult<bool> {
    let claimed: Option<String> = on_db!(db, |p| sqlx::query_scalar(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
         SET value = excluded.value WHERE CAST(settings.value AS BIGINT) <= $3 RETURNING key"
    )
    .bind(key)
    .bind(now.timestamp().to_string())
    .bind(not_since.timestamp())
    .fetch_optional(p)
    .await?);
    Ok(claimed.is_some())
}
