//! Storage: one code path over SQLite (default) and PostgreSQL (to grow).
//!
//! Queries are written once, with `$1`-style parameters that both sqlx drivers accept, and run
//! over typed pools: [`Db`] is an enum of the two pools and the [`on_db!`] /
//! [`on_tx!`] macros expand the same query code once per backend. Column types differ
//! per backend only in the migrations (`migrations/sqlite`, `migrations/postgres`); the Rust
//! types (`i64`, `String`, `bool`, `DateTime<Utc>`, `NaiveDate`) round-trip on both.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub mod dump;
mod settings;

/// A database error. Unique-constraint violations are told apart so callers can turn them
/// into domain outcomes (idempotency), everything else is an internal failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl DbError {
    /// The name of the violated unique constraint, if this is one.
    pub fn unique_violation(&self) -> Option<String> {
        if let DbError::Sqlx(sqlx::Error::Database(e)) = self
            && e.is_unique_violation()
        {
            return Some(e.constraint().unwrap_or_else(|| e.message()).to_string());
        }
        None
    }

    /// Whether no pool connection came free within the acquire time-out (the database is
    /// slow or every connection is busy): answered 503 with `Retry-After`, not 500.
    pub fn is_pool_timeout(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::PoolTimedOut))
    }

    /// Whether the database refused a text value it cannot store: PostgreSQL answers a NUL
    /// character (U+0000) in text with SQLSTATE 22021 (`character_not_in_repertoire`). That
    /// is the client's input, not a fault of the server.
    pub fn is_unstorable_text(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("22021" | "22P05")))
    }
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool `$db` holds, binding it to `$pool`.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// A write transaction on either backend. SQLite transactions start with `BEGIN IMMEDIATE`
/// (the write lock is taken up front, so a read-then-write never fails to upgrade);
/// PostgreSQL ones run at `READ COMMITTED` and take row locks through conditional `UPDATE`s.
/// Dropping a `Tx` without [`Tx::commit`] rolls it back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same block on the connection inside a [`Tx`], binding it to `$conn`
/// (`&mut SqliteConnection` or `&mut PgConnection`).
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

impl Tx {
    pub async fn commit(self) -> DbResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "sqlite",
            Tx::Postgres(_) => "postgres",
        }
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens a pool for the URL with the default pool settings.
    pub async fn connect(url: &str) -> DbResult<Db> {
        Db::connect_with(url, &crate::config::PoolSettings::default()).await
    }

    /// Opens a pool for the URL. SQLite files are created when missing, in WAL mode with
    /// `synchronous=FULL` (a committed donation survives power loss).
    ///
    /// A request waits at most `pool.acquire_timeout_ms` for a connection (3 s by default):
    /// when the database is slow or every connection is busy, requests fail fast with 503
    /// and `Retry-After` (`AppError::from(DbError)`) instead of piling up behind the pool.
    pub async fn connect_with(url: &str, pool: &crate::config::PoolSettings) -> DbResult<Db> {
        let acquire = Duration::from_millis(pool.acquire_timeout_ms);
        let max = |default: u32| {
            if pool.max_connections > 0 {
                pool.max_connections
            } else {
                default
            }
        };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbError::Corrupt(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(max(8))
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max(16))
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> DbResult<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn migrate(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        on_db!(self, |p| sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    pub async fn close(&self) {
        on_db!(self, |p| p.close().await)
    }
}

/// A fresh random secret, hex-encoded (256 bits).
pub fn random_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}
