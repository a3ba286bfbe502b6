//! Every table at once, read and written generically: what `backup`, `restore` and `move-to`
//! (`backup`) carry between databases of either backend.
//!
//! This is the one place whose SQL names tables it does not own, and it names none in its
//! literals: the tables and their columns come from each backend's catalogue (SQLite
//! `pragma_table_list` / `pragma_table_info`, PostgreSQL `information_schema`), so a new
//! migration's table is carried without a change here, and the tables' homes
//! (ARCHITECTURE.md, "Tables and their homes") stay the only code that knows their meaning.
//!
//! Values travel as JSON: numbers, booleans and text as themselves, bytes as
//! `{"base64": "…"}`. Each column keeps the type its source catalogue gave it; a value is
//! converted on the way in by the target column's type (SQLite keeps timestamps as text and
//! booleans as integers, PostgreSQL has `TIMESTAMPTZ`, `BOOLEAN`, `BYTEA`), and a timestamp
//! written into SQLite is bound as a `DateTime<Utc>`, so it is the same text the application
//! itself writes and compares.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Row, TypeInfo, ValueRef};

use super::{Db, DbError, DbResult, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Tx};

/// sqlx's own bookkeeping: not data, but its last version is the archive's schema version.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// A column as its backend's catalogue describes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The catalogue's type: SQLite's declared type (`TEXT`, `INTEGER`, `BOOLEAN`, `BLOB`),
    /// PostgreSQL's `data_type` (`timestamp with time zone`, `boolean`, `bytea`, …).
    #[serde(rename = "type")]
    pub kind: String,
}

/// A table of the migrated schema.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// The columns written and read (PostgreSQL's generated columns left out).
    pub columns: Vec<Column>,
    /// Foreign keys to the table itself, (column, referenced column): such rows are written
    /// parents first.
    pub self_refs: Vec<(String, String)>,
}

/// `"name"`, quoted for either backend.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The highest migration version this binary carries (the same on both backends).
pub fn latest_schema_version() -> i64 {
    SQLITE_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .chain(POSTGRES_MIGRATIONS.iter().map(|m| m.version))
        .max()
        .unwrap_or(0)
}

/// The tables in an order where every table comes after those its foreign keys name.
fn dependency_order(
    names: Vec<String>,
    refs: &BTreeMap<String, BTreeSet<String>>,
) -> DbResult<Vec<String>> {
    let mut left: BTreeSet<String> = names.into_iter().collect();
    let mut out = Vec::new();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                refs.get(*t)
                    .is_none_or(|r| r.iter().all(|p| p == *t || !left.contains(p)))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(DbError::Corrupt(format!(
                "the foreign keys of these tables form a circle: {}",
                left.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        for t in ready {
            left.remove(&t);
            out.push(t);
        }
    }
    Ok(out)
}

async fn sqlite_tables(c: &mut sqlx::SqliteConnection) -> DbResult<Vec<Table>> {
    // `pragma_table_list` tells full-text indexes (virtual tables and their shadow tables)
    // apart: they are rebuilt from their content table, not carried.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> $1 ORDER BY name",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *c)
    .await?;
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut tables = BTreeMap::new();
    for name in &names {
        let cols: Vec<(String, String)> =
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(name)
                .fetch_all(&mut *c)
                .await?;
        let fks: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1)")
                .bind(name)
                .fetch_all(&mut *c)
                .await?;
        let mut self_refs = Vec::new();
        for (parent, from, to) in fks {
            if parent == *name {
                self_refs.push((from, to.unwrap_or_else(|| "rowid".into())));
            }
            refs.entry(name.clone()).or_default().insert(parent);
        }
        let columns = cols
            .into_iter()
            .map(|(name, kind)| Column {
                name,
                kind: kind.to_uppercase(),
            })
            .collect();
        tables.insert(
            name.clone(),
            Table {
                name: name.clone(),
                columns,
                self_refs,
            },
        );
    }
    let order = dependency_order(names, &refs)?;
    Ok(order
        .into_iter()
        .filter_map(|n| tables.remove(&n))
        .collect())
}

async fn pg_tables(c: &mut sqlx::PgConnection) -> DbResult<Vec<Table>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> $1 ORDER BY table_name",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *c)
    .await?;
    let cols: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_generated = 'NEVER' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *c)
    .await?;
    let fks: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, a.attname::text, pcl.relname::text, pa.attname::text \
         FROM pg_constraint k \
         JOIN pg_class cl ON cl.oid = k.conrelid \
         JOIN pg_class pcl ON pcl.oid = k.confrelid \
         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
         JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1] \
         WHERE k.contype = 'f' \
         AND k.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
    )
    .fetch_all(&mut *c)
    .await?;
    let mut tables: BTreeMap<String, Table> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                Table {
                    name: n.clone(),
                    columns: Vec::new(),
                    self_refs: Vec::new(),
                },
            )
        })
        .collect();
    for (table, name, kind) in cols {
        if let Some(t) = tables.get_mut(&table) {
            t.columns.push(Column { name, kind });
        }
    }
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, from, parent, to) in fks {
        if table == parent
            && let Some(t) = tables.get_mut(&table)
        {
            t.self_refs.push((from, to));
        }
        refs.entry(table).or_default().insert(parent);
    }
    let order = dependency_order(names, &refs)?;
    Ok(order
        .into_iter()
        .filter_map(|n| tables.remove(&n))
        .collect())
}

/// A consistent, read-only view of the whole database, taken while the site keeps
/// serving: on SQLite one read transaction (WAL: the writer goes on, this reader sees the
/// database as of its first read); on PostgreSQL a `REPEATABLE READ READ ONLY` transaction
/// (one snapshot for every table).
pub enum Snapshot {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    /// Starts a [`Snapshot`].
    pub async fn snapshot(&self) -> DbResult<Snapshot> {
        Ok(match self {
            Db::Sqlite(p) => {
                let mut t = p.begin().await?;
                // The snapshot begins with the first read: take it now.
                sqlx::query("SELECT COUNT(*) FROM sqlite_master")
                    .execute(&mut *t)
                    .await?;
                Snapshot::Sqlite(t)
            }
            Db::Postgres(p) => {
                let mut t = p.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *t)
                    .await?;
                Snapshot::Postgres(t)
            }
        })
    }

    /// The tables of the schema as migrated, in dependency order.
    pub async fn tables(&self) -> DbResult<Vec<Table>> {
        match self {
            Db::Sqlite(p) => sqlite_tables(&mut *p.acquire().await?).await,
            Db::Postgres(p) => pg_tables(&mut *p.acquire().await?).await,
        }
    }

    /// The last applied migration, `None` when nothing was ever migrated here.
    pub async fn schema_version(&self) -> DbResult<Option<i64>> {
        match self {
            Db::Sqlite(p) => schema_version_sqlite(&mut *p.acquire().await?).await,
            Db::Postgres(p) => schema_version_pg(&mut *p.acquire().await?).await,
        }
    }

    /// Whether the database holds any table at all (ours or anyone's).
    pub async fn has_tables(&self) -> DbResult<bool> {
        let n: i64 = match self {
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
                    .fetch_one(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema()",
                )
                .fetch_one(p)
                .await?
            }
        };
        Ok(n > 0)
    }

    /// Applies the migrations up to `version` and no further: an archive is loaded into
    /// the schema it was taken from, and the later migrations then run over its rows as
    /// they would have on the original site.
    pub async fn migrate_to(&self, version: i64) -> DbResult<()> {
        fn upto(m: &sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
            // The fields are sqlx's (doc-hidden, pinned by Cargo.lock): there is no
            // constructor that takes a list of embedded migrations.
            sqlx::migrate::Migrator {
                migrations: m
                    .iter()
                    .filter(|x| x.version <= version)
                    .cloned()
                    .collect::<Vec<_>>()
                    .into(),
                ignore_missing: m.ignore_missing,
                locking: m.locking,
                no_tx: m.no_tx,
            }
        }
        match self {
            Db::Sqlite(p) => upto(&SQLITE_MIGRATIONS, version).run(p).await?,
            Db::Postgres(p) => upto(&POSTGRES_MIGRATIONS, version).run(p).await?,
        }
        Ok(())
    }

    /// Rows per table.
    pub async fn table_counts(&self) -> DbResult<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for t in self.tables().await? {
            let sql = format!("SELECT COUNT(*) FROM {}", quote(&t.name));
            let n: i64 = crate::on_db!(self, |p| sqlx::query_scalar(&sql).fetch_one(p).await?);
            out.insert(t.name, n);
        }
        Ok(out)
    }
}

/// The rows the migrations themselves insert, per table (a fresh in-memory SQLite migrated
/// to `version`; the migrations of both backends seed the same rows). A database holding
/// no more than these is as good as empty.
pub async fn seed_counts(version: i64) -> DbResult<BTreeMap<String, i64>> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .in_memory(true)
        .foreign_keys(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    let db = Db::Sqlite(pool);
    db.migrate_to(version).await?;
    let counts = db.table_counts().await?;
    db.close().await;
    Ok(counts.into_iter().filter(|(_, n)| *n > 0).collect())
}

async fn schema_version_sqlite(c: &mut sqlx::SqliteConnection) -> DbResult<Option<i64>> {
    let has: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1")
            .bind(MIGRATIONS_TABLE)
            .fetch_one(&mut *c)
            .await?;
    if has == 0 {
        return Ok(None);
    }
    let sql = format!(
        "SELECT MAX(version) FROM {} WHERE success",
        quote(MIGRATIONS_TABLE)
    );
    Ok(sqlx::query_scalar(&sql).fetch_one(&mut *c).await?)
}

async fn schema_version_pg(c: &mut sqlx::PgConnection) -> DbResult<Option<i64>> {
    let has: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(MIGRATIONS_TABLE)
        .fetch_one(&mut *c)
        .await?;
    if !has {
        return Ok(None);
    }
    let sql = format!(
        "SELECT MAX(version) FROM {} WHERE success",
        quote(MIGRATIONS_TABLE)
    );
    Ok(sqlx::query_scalar(&sql).fetch_one(&mut *c).await?)
}

fn bytes_value(b: &[u8]) -> Value {
    serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> DbResult<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    // The value's storage class, not the column's declared type: SQLite keeps what was
    // written.
    let class = raw.type_info().name().to_string();
    Ok(match class.as_str() {
        "INTEGER" => Value::from(row.try_get_unchecked::<i64, _>(i)?),
        "REAL" => Value::from(row.try_get_unchecked::<f64, _>(i)?),
        "BLOB" => bytes_value(&row.try_get_unchecked::<Vec<u8>, _>(i)?),
        _ => Value::from(row.try_get_unchecked::<String, _>(i)?),
    })
}

/// PostgreSQL types read as themselves; anything else is read as text (and written back
/// with a cast).
fn pg_select_expr(c: &Column) -> String {
    match c.kind.as_str() {
        "bigint"
        | "integer"
        | "smallint"
        | "boolean"
        | "timestamp with time zone"
        | "timestamp without time zone"
        | "date"
        | "bytea"
        | "text"
        | "character varying"
        | "character"
        | "double precision"
        | "real" => quote(&c.name),
        _ => format!("{}::text", quote(&c.name)),
    }
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize, c: &Column) -> DbResult<Value> {
    fn opt<T: Into<Value>>(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
    Ok(match c.kind.as_str() {
        "bigint" => opt(row.try_get::<Option<i64>, _>(i)?),
        "integer" => opt(row.try_get::<Option<i32>, _>(i)?),
        "smallint" => opt(row.try_get::<Option<i16>, _>(i)?),
        "boolean" => opt(row.try_get::<Option<bool>, _>(i)?),
        "double precision" => opt(row.try_get::<Option<f64>, _>(i)?),
        "real" => opt(row.try_get::<Option<f32>, _>(i)?.map(f64::from)),
        "timestamp with time zone" => opt(row
            .try_get::<Option<DateTime<Utc>>, _>(i)?
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
        "timestamp without time zone" => opt(row
            .try_get::<Option<NaiveDateTime>, _>(i)?
            .map(|t| t.format("%F %T%.f").to_string())),
        "date" => opt(row
            .try_get::<Option<NaiveDate>, _>(i)?
            .map(|d| d.format("%F").to_string())),
        "bytea" => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Value::Null, |b| bytes_value(&b)),
        _ => opt(row.try_get::<Option<String>, _>(i)?),
    })
}

impl Snapshot {
    /// The last applied migration as of the snapshot.
    pub async fn schema_version(&mut self) -> DbResult<i64> {
        let v = match self {
            Snapshot::Sqlite(t) => schema_version_sqlite(t).await?,
            Snapshot::Postgres(t) => schema_version_pg(t).await?,
        };
        v.ok_or_else(|| DbError::Corrupt("the database has never been migrated".into()))
    }

    /// The tables, in dependency order.
    pub async fn tables(&mut self) -> DbResult<Vec<Table>> {
        match self {
            Snapshot::Sqlite(t) => sqlite_tables(t).await,
            Snapshot::Postgres(t) => pg_tables(t).await,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Snapshot::Sqlite(_) => "sqlite",
            Snapshot::Postgres(_) => "postgres",
        }
    }

    /// Streams every row of `table` to `each`, values in the order of `table.columns`;
    /// returns how many.
    pub async fn rows<E>(
        &mut self,
        table: &Table,
        mut each: impl FnMut(Vec<Value>) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<DbError>,
    {
        let mut n = 0u64;
        match self {
            Snapshot::Sqlite(t) => {
                let cols: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
                let sql = format!("SELECT {} FROM {}", cols.join(", "), quote(&table.name));
                let mut rows = sqlx::query(&sql).fetch(&mut **t);
                while let Some(row) = rows.try_next().await.map_err(DbError::from)? {
                    let vals = (0..table.columns.len())
                        .map(|i| sqlite_value(&row, i))
                        .collect::<DbResult<Vec<_>>>()?;
                    each(vals)?;
                    n += 1;
                }
            }
            Snapshot::Postgres(t) => {
                let cols: Vec<String> = table.columns.iter().map(pg_select_expr).collect();
                let sql = format!("SELECT {} FROM {}", cols.join(", "), quote(&table.name));
                let mut rows = sqlx::query(&sql).fetch(&mut **t);
                while let Some(row) = rows.try_next().await.map_err(DbError::from)? {
                    let vals = table
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| pg_value(&row, i, c))
                        .collect::<DbResult<Vec<_>>>()?;
                    each(vals)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Ends the snapshot (it changed nothing).
    pub async fn finish(self) -> DbResult<()> {
        match self {
            Snapshot::Sqlite(t) => t.rollback().await?,
            Snapshot::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Orders the rows of a table with foreign keys to itself (a reply after the comment it
/// answers, a picture's narrower copies after the picture) so each row's parent is written
/// first: PostgreSQL checks a foreign key at each insert.
pub fn parents_first(table: &Table, columns: &[String], rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    let pos = |name: &str| columns.iter().position(|c| c == name);
    let links: Vec<(usize, usize)> = table
        .self_refs
        .iter()
        .filter_map(|(from, to)| Some((pos(from)?, pos(to)?)))
        .collect();
    if links.is_empty() {
        return rows;
    }
    let key = |v: &Value| v.to_string();
    let mut written: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut left = rows;
    let mut out = Vec::with_capacity(left.len());
    loop {
        let before = left.len();
        let (ready, rest): (Vec<_>, Vec<_>) = left.into_iter().partition(|r| {
            links.iter().all(|(from, to)| {
                r[*from].is_null() || r[*from] == r[*to] || written.contains(&(*to, key(&r[*from])))
            })
        });
        for r in &ready {
            for (_, to) in &links {
                written.insert((*to, key(&r[*to])));
            }
        }
        out.extend(ready);
        left = rest;
        if left.is_empty() || left.len() == before {
            // Rows whose parent is missing go last; the foreign key check names them.
            out.extend(left);
            return out;
        }
    }
}

/// The archive's value for one column, ready to bind for the target column.
#[derive(Debug)]
enum Bound {
    Null(Kind),
    I64(i64),
    I32(i32),
    I16(i16),
    Bool(bool),
    F64(f64),
    Text(String),
    Bytes(Vec<u8>),
    Time(DateTime<Utc>),
    Naive(NaiveDateTime),
    Date(NaiveDate),
}

/// What a target column takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    I64,
    I32,
    I16,
    Bool,
    F64,
    Text,
    Bytes,
    Time,
    Naive,
    Date,
    /// SQLite: whatever the value is (its storage class follows the value).
    Any,
    /// A PostgreSQL type without a Rust counterpart here: text, cast by the server.
    Cast,
}

fn pg_kind(kind: &str) -> Kind {
    match kind {
        "bigint" => Kind::I64,
        "integer" => Kind::I32,
        "smallint" => Kind::I16,
        "boolean" => Kind::Bool,
        "double precision" | "real" => Kind::F64,
        "timestamp with time zone" => Kind::Time,
        "timestamp without time zone" => Kind::Naive,
        "date" => Kind::Date,
        "bytea" => Kind::Bytes,
        "text" | "character varying" | "character" => Kind::Text,
        _ => Kind::Cast,
    }
}

/// Timestamps as either backend or SQLite's own `CURRENT_TIMESTAMP` writes them.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%F %T%.f%:z", "%F %T%.f%#z", "%FT%T%.f%:z"] {
        if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for f in [
        "%F %T%.f",
        "%FT%T%.f",
        "%F %TZ",
        "%F %T%.fZ",
        "%F %R",
        "%FT%R",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    None
}

fn to_bound(v: &Value, target: Kind, source_kind: &str) -> Option<Bound> {
    let b64 = |v: &Value| -> Option<Vec<u8>> {
        let s = v.get("base64")?.as_str()?;
        base64::engine::general_purpose::STANDARD.decode(s).ok()
    };
    if v.is_null() {
        return Some(Bound::Null(target));
    }
    Some(match target {
        Kind::I64 | Kind::I32 | Kind::I16 => {
            let n = match v {
                Value::Number(n) => n.as_i64()?,
                Value::Bool(b) => i64::from(*b),
                Value::String(s) => s.trim().parse().ok()?,
                _ => return None,
            };
            match target {
                Kind::I32 => Bound::I32(i32::try_from(n).ok()?),
                Kind::I16 => Bound::I16(i16::try_from(n).ok()?),
                _ => Bound::I64(n),
            }
        }
        Kind::Bool => Bound::Bool(match v {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_i64()? != 0,
            Value::String(s) => match s.as_str() {
                "1" | "true" | "t" => true,
                "0" | "false" | "f" => false,
                _ => return None,
            },
            _ => return None,
        }),
        Kind::F64 => Bound::F64(v.as_f64()?),
        Kind::Time => Bound::Time(parse_timestamp(v.as_str()?)?),
        Kind::Naive => Bound::Naive(parse_timestamp(v.as_str()?)?.naive_utc()),
        Kind::Date => Bound::Date(NaiveDate::parse_from_str(v.as_str()?.get(..10)?, "%F").ok()?),
        Kind::Bytes => match v {
            Value::String(s) => Bound::Bytes(s.clone().into_bytes()),
            _ => Bound::Bytes(b64(v)?),
        },
        Kind::Text | Kind::Cast => Bound::Text(match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        }),
        // SQLite: the value as it was; a PostgreSQL timestamp as the text the application
        // writes (sqlx's encoding of `DateTime<Utc>`), so comparisons keep working.
        Kind::Any => match v {
            Value::Bool(b) => Bound::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Bound::I64(i),
                None => Bound::F64(n.as_f64()?),
            },
            Value::String(s) => match source_kind {
                "timestamp with time zone" => Bound::Time(parse_timestamp(s)?),
                "timestamp without time zone" => Bound::Naive(parse_timestamp(s)?.naive_utc()),
                _ => Bound::Text(s.clone()),
            },
            Value::Object(_) => Bound::Bytes(b64(v)?),
            Value::Array(_) => return None,
            Value::Null => Bound::Null(Kind::Any),
        },
    })
}

macro_rules! bind_value {
    ($q:expr, $b:expr) => {
        match $b {
            Bound::Null(k) => match k {
                Kind::I64 => $q.bind(None::<i64>),
                Kind::I32 => $q.bind(None::<i32>),
                Kind::I16 => $q.bind(None::<i16>),
                Kind::Bool => $q.bind(None::<bool>),
                Kind::F64 => $q.bind(None::<f64>),
                Kind::Bytes => $q.bind(None::<Vec<u8>>),
                Kind::Time => $q.bind(None::<DateTime<Utc>>),
                Kind::Naive => $q.bind(None::<NaiveDateTime>),
                Kind::Date => $q.bind(None::<NaiveDate>),
                Kind::Text | Kind::Any | Kind::Cast => $q.bind(None::<String>),
            },
            Bound::I64(v) => $q.bind(v),
            Bound::I32(v) => $q.bind(v),
            Bound::I16(v) => $q.bind(v),
            Bound::Bool(v) => $q.bind(v),
            Bound::F64(v) => $q.bind(v),
            Bound::Text(v) => $q.bind(v),
            Bound::Bytes(v) => $q.bind(v),
            Bound::Time(v) => $q.bind(v),
            Bound::Naive(v) => $q.bind(v),
            Bound::Date(v) => $q.bind(v),
        }
    };
}

/// Writes whole tables into an empty database in one transaction: triggers are off while
/// the rows go in (the rows already hold what the triggers would compute, and the
/// append-only guards must not see them), then back on; SQLite's full-text indexes are
/// rebuilt and PostgreSQL's sequences set past the highest key.
pub struct Loader {
    tx: Tx,
    tables: BTreeMap<String, Table>,
    /// SQLite: the triggers taken off, (name, CREATE statement), put back at the end.
    triggers: Vec<(String, String)>,
}

impl Db {
    /// Starts loading into this (migrated, empty) database.
    pub async fn loader(&self) -> DbResult<Loader> {
        let tables: BTreeMap<String, Table> = self
            .tables()
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        let mut tx = self.begin().await?;
        let mut triggers: Vec<(String, String)> = Vec::new();
        match &mut tx {
            Tx::Sqlite(t) => {
                // Foreign keys are checked at commit, not per row.
                sqlx::query("PRAGMA defer_foreign_keys = ON")
                    .execute(&mut **t)
                    .await?;
                triggers = sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
                )
                .fetch_all(&mut **t)
                .await?;
                for (name, _) in &triggers {
                    sqlx::query(&format!("DROP TRIGGER {}", quote(name)))
                        .execute(&mut **t)
                        .await?;
                }
            }
            Tx::Postgres(t) => {
                // `USER` triggers only: the foreign keys' own triggers stay on. Our own
                // tables, so no superuser is needed.
                for name in tables.keys() {
                    sqlx::query(&format!("ALTER TABLE {} DISABLE TRIGGER USER", quote(name)))
                        .execute(&mut **t)
                        .await?;
                }
            }
        }
        Ok(Loader {
            tx,
            tables,
            triggers,
        })
    }
}

impl Loader {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn table_names(&self) -> impl Iterator<Item = &String> {
        self.tables.keys()
    }

    /// Empties a table before its rows go in (the rows the migrations seeded).
    pub async fn clear(&mut self, table: &str) -> DbResult<()> {
        let sql = format!("DELETE FROM {}", quote(table));
        crate::on_tx!(&mut self.tx, |c| sqlx::query(&sql)
            .execute(&mut *c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Inserts rows (values in the order of `columns`, typed as `columns` say the source
    /// had them) into `table`; returns how many.
    pub async fn insert(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: &[Vec<Value>],
    ) -> DbResult<u64> {
        let t = self
            .tables
            .get(table)
            .ok_or_else(|| DbError::Corrupt(format!("this database has no table {table}")))?;
        let postgres = matches!(self.tx, Tx::Postgres(_));
        let mut kinds = Vec::with_capacity(columns.len());
        for c in columns {
            let target = t.columns.iter().find(|x| x.name == c.name).ok_or_else(|| {
                DbError::Corrupt(format!(
                    "this database's table {table} has no column {}",
                    c.name
                ))
            })?;
            kinds.push(if postgres {
                (pg_kind(&target.kind), target.kind.clone())
            } else {
                (Kind::Any, target.kind.clone())
            });
        }
        if columns.is_empty() || rows.is_empty() {
            return Ok(0);
        }
        let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        // Both backends take 32,766 parameters; stay well below.
        let per_batch = (4000 / columns.len()).max(1);
        let mut n = 0u64;
        for batch in rows.chunks(per_batch) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                quote(table),
                names.join(", ")
            );
            let mut bound = Vec::with_capacity(batch.len() * columns.len());
            let mut p = 0usize;
            for (ri, row) in batch.iter().enumerate() {
                if row.len() != columns.len() {
                    return Err(DbError::Corrupt(format!(
                        "a row of {table} has {} values for {} columns",
                        row.len(),
                        columns.len()
                    )));
                }
                sql.push_str(if ri == 0 { "(" } else { ", (" });
                for (ci, v) in row.iter().enumerate() {
                    p += 1;
                    let (kind, type_name) = &kinds[ci];
                    if ci > 0 {
                        sql.push_str(", ");
                    }
                    if *kind == Kind::Cast {
                        sql.push_str(&format!("CAST(${p} AS {type_name})"));
                    } else {
                        sql.push_str(&format!("${p}"));
                    }
                    let b = to_bound(v, *kind, &columns[ci].kind).ok_or_else(|| {
                        DbError::Corrupt(format!(
                            "{table}.{}: {v} cannot be stored as {type_name}",
                            columns[ci].name
                        ))
                    })?;
                    bound.push(b);
                }
                sql.push(')');
            }
            let done = match &mut self.tx {
                Tx::Sqlite(t) => {
                    let mut q = sqlx::query(&sql);
                    for b in bound {
                        q = bind_value!(q, b);
                    }
                    q.execute(&mut **t).await?.rows_affected()
                }
                Tx::Postgres(t) => {
                    let mut q = sqlx::query(&sql);
                    for b in bound {
                        q = bind_value!(q, b);
                    }
                    q.execute(&mut **t).await?.rows_affected()
                }
            };
            n += done;
        }
        Ok(n)
    }

    /// Puts the triggers back, rebuilds what they would have kept (SQLite's full-text
    /// indexes), sets PostgreSQL's sequences past the highest key, and commits (SQLite
    /// checks the foreign keys here).
    pub async fn finish(mut self) -> DbResult<()> {
        match &mut self.tx {
            Tx::Sqlite(t) => {
                for (_, sql) in &self.triggers {
                    sqlx::query(sql).execute(&mut **t).await?;
                }
                let fts: Vec<(String, String)> = sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
                     AND sql LIKE 'CREATE VIRTUAL TABLE%'",
                )
                .fetch_all(&mut **t)
                .await?;
                for (name, sql) in fts {
                    let sql = sql.to_lowercase();
                    if sql.contains("fts5") && sql.contains("content=") {
                        let q = quote(&name);
                        sqlx::query(&format!("INSERT INTO {q}({q}) VALUES ('rebuild')"))
                            .execute(&mut **t)
                            .await?;
                    }
                }
                let broken: Vec<(String,)> =
                    sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                        .fetch_all(&mut **t)
                        .await?;
                if let Some((table,)) = broken.first() {
                    return Err(DbError::Corrupt(format!(
                        "{} rows name a missing row through a foreign key (first in {table})",
                        broken.len()
                    )));
                }
            }
            Tx::Postgres(t) => {
                for name in self.tables.keys() {
                    sqlx::query(&format!("ALTER TABLE {} ENABLE TRIGGER USER", quote(name)))
                        .execute(&mut **t)
                        .await?;
                }
                let keyed: Vec<(String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() \
                     AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
                )
                .fetch_all(&mut **t)
                .await?;
                for (table, column) in keyed {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence($1, $2), \
                         COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
                        c = quote(&column),
                        t = quote(&table)
                    );
                    sqlx::query(&sql)
                        .bind(quote(&table))
                        .bind(&column)
                        .execute(&mut **t)
                        .await?;
                }
            }
        }
        self.tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_both_backends_parse_alike() {
        let want = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).single();
        for s in [
            "2025-03-04T05:06:07+00:00",
            "2025-03-04T05:06:07Z",
            "2025-03-04 05:06:07",
            "2025-03-04 06:06:07+01:00",
        ] {
            assert_eq!(parse_timestamp(s), want, "{s}");
        }
    }

    #[test]
    fn the_dependency_order_puts_parents_first() {
        let mut refs = BTreeMap::new();
        refs.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
        refs.insert(
            "c".to_string(),
            BTreeSet::from(["b".to_string(), "c".to_string()]),
        );
        let order =
            dependency_order(vec!["c".into(), "b".into(), "a".into()], &refs).expect("no circle");
        assert_eq!(order, ["a", "b", "c"]);
    }
}

/// The last scheduled backup as recorded in `backup.*` settings rows (a row per field, so
/// the console and `/metrics` of every node read what the node that wrote it recorded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastBackup {
    /// When the last attempt ended.
    pub at: Option<DateTime<Utc>>,
    /// Whether it wrote an archive.
    pub ok: bool,
    /// The archive's file name (success) or the reason (failure).
    pub detail: String,
    /// The size of the last archive written.
    pub bytes: Option<u64>,
    /// When the last archive was written (the last success).
    pub success_at: Option<DateTime<Utc>>,
}

const LAST_AT: &str = "backup.last_at";
const LAST_OK: &str = "backup.last_ok";
const LAST_DETAIL: &str = "backup.last_detail";
const LAST_BYTES: &str = "backup.last_bytes";
const LAST_SUCCESS_AT: &str = "backup.last_success_at";
/// The claim that makes one node of several take each scheduled backup.
pub const BACKUP_CLAIM: &str = "backup.claim";

impl Db {
    /// The last scheduled backup, as [`Db::record_backup`] left it.
    pub async fn last_backup(&self) -> DbResult<LastBackup> {
        let at = |v: Option<i64>| v.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0));
        Ok(LastBackup {
            at: at(self.setting_as(LAST_AT).await?),
            ok: self.setting(LAST_OK).await?.as_deref() == Some("true"),
            detail: self.setting(LAST_DETAIL).await?.unwrap_or_default(),
            bytes: self.setting_as(LAST_BYTES).await?,
            success_at: at(self.setting_as(LAST_SUCCESS_AT).await?),
        })
    }

    /// Records a backup attempt's outcome: on success `bytes` is the archive's size and
    /// `detail` its name; on failure the size and time of the last success stay.
    pub async fn record_backup(
        &self,
        at: DateTime<Utc>,
        result: Result<u64, &str>,
        detail: &str,
    ) -> DbResult<()> {
        self.set_setting(LAST_AT, at.timestamp()).await?;
        self.set_setting(LAST_OK, result.is_ok()).await?;
        match result {
            Ok(bytes) => {
                self.set_setting(LAST_DETAIL, detail).await?;
                self.set_setting(LAST_BYTES, bytes).await?;
                self.set_setting(LAST_SUCCESS_AT, at.timestamp()).await?;
            }
            Err(why) => self.set_setting(LAST_DETAIL, why).await?,
        }
        Ok(())
    }
}
