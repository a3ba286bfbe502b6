//! The blog's version (`blog_version`, one row bumped by triggers on every change that can
//! alter a public blog page; `migrations/*/0009_blog_page_cache.sql`).

use crate::db::{Db, DbResult};
use crate::on_db;

/// The blog's version: changes whenever a public blog page may have changed.
pub async fn version(db: &Db) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT version FROM blog_version WHERE id = 1"
    )
    .fetch_one(p)
    .await?))
}
