//! The `settings` table: site-wide key/value pairs, the one home of its SQL. Each capability
//! reads and writes its own keys through these functions (the comment block list and rate
//! limit, the daily like salts, the two-factor requirement, the treasurer alerts' claims,
//! the site's secrets); values are text, read as any `FromStr` type and written from any
//! `Display` one.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{Db, DbError, DbResult, Tx};
use crate::{on_db, on_tx};

const UPSERT: &str = "INSERT INTO settings (key, value) VALUES ($1, $2) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

impl Db {
    /// Reads a site setting.
    pub async fn setting(&self, key: &str) -> DbResult<Option<String>> {
        Ok(on_db!(self, |p| sqlx::query_scalar::<_, String>(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(p)
        .await?))
    }

    /// Reads a site setting as a `T` (surrounding white space ignored); `None` when it is
    /// absent or does not parse, so the caller's default applies.
    pub async fn setting_as<T: FromStr>(&self, key: &str) -> DbResult<Option<T>> {
        Ok(self
            .setting(key)
            .await?
            .and_then(|v| v.trim().parse::<T>().ok()))
    }

    /// Stores a site setting, replacing its value.
    pub async fn set_setting(&self, key: &str, value: impl Display) -> DbResult<()> {
        on_db!(self, |p| sqlx::query(UPSERT)
            .bind(key)
            .bind(value.to_string())
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Returns the setting, creating it with `make()` first if absent. Safe when several
    /// nodes race: the first insert wins and everyone reads the same value.
    pub async fn setting_or_init(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> DbResult<String> {
        if let Some(v) = self.setting(key).await? {
            return Ok(v);
        }
        let value = make();
        on_db!(self, |p| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
        )
        .bind(key)
        .bind(&value)
        .execute(p)
        .await?
        .rows_affected());
        self.setting(key)
            .await?
            .ok_or_else(|| DbError::Corrupt(format!("setting {key} vanished")))
    }

    /// Stores the setting only if it is absent; true when this call stored it (of several
    /// nodes racing, exactly one).
    pub async fn add_setting(&self, key: &str, value: impl Display) -> DbResult<bool> {
        let n = on_db!(self, |p| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
        )
        .bind(key)
        .bind(value.to_string())
        .execute(p)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Deletes the setting; true when it was there (of several nodes racing, exactly one
    /// takes it: a single-use token).
    pub async fn take_setting(&self, key: &str) -> DbResult<bool> {
        let n = on_db!(self, |p| sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Claims `key` at `now` unless it was last claimed after `not_since`: the setting holds
    /// the last claim's time (seconds since the epoch) and one statement reads and writes
    /// it, so of several nodes claiming at once one wins. True when claimed.
    pub async fn claim_setting(
        &self,
        key: &str,
        now: DateTime<Utc>,
        not_since: DateTime<Utc>,
    ) -> DbResult<bool> {
        let claimed: Option<String> = on_db!(self, |p| sqlx::query_scalar(
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

    /// Deletes every setting whose key starts with `prefix`, except the keys in `keep`.
    pub async fn forget_settings(&self, prefix: &str, keep: &[&str]) -> DbResult<()> {
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut sql = String::from("DELETE FROM settings WHERE key LIKE $1 ESCAPE '\\'");
        for i in 0..keep.len() {
            sql.push_str(&format!(" AND key <> ${}", i + 2));
        }
        on_db!(self, |p| {
            let mut q = sqlx::query(&sql).bind(&pattern);
            for k in keep {
                q = q.bind(*k);
            }
            q.execute(p).await?.rows_affected()
        });
        Ok(())
    }
}

impl Tx {
    /// [`Db::setting`] inside the transaction (a decision taken with it).
    pub async fn setting(&mut self, key: &str) -> DbResult<Option<String>> {
        Ok(on_tx!(self, |c| sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(&mut *c)
        .await?))
    }

    /// [`Db::set_setting`] inside the transaction (with the audit entry that describes it).
    pub async fn set_setting(&mut self, key: &str, value: impl Display) -> DbResult<()> {
        on_tx!(self, |c| sqlx::query(UPSERT)
            .bind(key)
            .bind(value.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected());
        Ok(())
    }
}
