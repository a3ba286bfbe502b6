//! Backups: one archive holds a whole site, and restores into either backend.
//!
//! The archive is a gzip-compressed tar of
//!
//! * `tables/<table>.jsonl`: every row of each table of the migrated schema, one JSON array
//!   per line, in the column order the manifest lists (read through `db::dump`, the same
//!   connection code the site uses: no `pg_dump`, so no server version to match);
//! * `files/…`: the files under the data folder (the mail outbox's `.eml` files and anything
//!   else kept there), the SQLite database itself left out — its rows are in `tables/`;
//! * `settings/<name>`: the configuration file, when there is one;
//! * `manifest.json`, last: the format, the application's version, the schema version (the
//!   last applied migration), each table's columns with their types and row count, and the
//!   size and SHA-256 of every other member.
//!
//! JSON Lines rather than a database file, so the same archive restores into SQLite or
//! PostgreSQL, and `move-to` is a backup restored into PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::dump::{self, BACKUP_CLAIM, Column};
use crate::db::{Db, DbResult};
use crate::donations::ledger::{self, VerifyReport};

/// What `manifest.json` says the archive is.
pub const FORMAT: &str = "shelfraiser-backup";
/// Raised when the layout changes in a way an older `restore` would misread.
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
/// Rows inserted per call while restoring a table.
const BATCH: usize = 500;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The release that wrote it.
    pub app_version: String,
    pub created_at: DateTime<Utc>,
    /// `sqlite` or `postgres`: where the rows came from (their column types are that
    /// backend's).
    pub backend: String,
    /// The last migration applied to the database the rows came from.
    pub schema_version: i64,
    /// In dependency order: each table after the tables its foreign keys name.
    pub tables: Vec<TableEntry>,
    /// Every member but the manifest.
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub rows: u64,
    pub columns: Vec<Column>,
    pub member: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Member {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What goes into an archive besides the database.
#[derive(Debug, Default)]
pub struct Sources {
    /// The data folder whose files are kept (`None`: no files, as `move-to` copies).
    pub data_dir: Option<PathBuf>,
    /// Files under the data folder left out: the SQLite database and its journals, the
    /// archive being written.
    pub skip: Vec<PathBuf>,
    /// The configuration file, when there is one.
    pub settings_file: Option<PathBuf>,
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub manifest: Manifest,
    pub files: usize,
    pub archive_bytes: u64,
}

impl BackupReport {
    pub fn rows(&self) -> u64 {
        self.manifest.tables.iter().map(|t| t.rows).sum()
    }
}

/// A writer that hashes and counts what passes through.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn append(
    tar: &mut tar::Builder<impl Write>,
    path: &str,
    bytes: u64,
    data: impl Read,
) -> anyhow::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes);
    h.set_mode(0o600);
    h.set_mtime(Utc::now().timestamp().max(0) as u64);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, path, data)
        .with_context(|| format!("cannot add {path} to the archive"))
}

/// The files under `dir`, sorted, as (path, path inside the archive).
fn files_under(dir: &Path, skip: &[PathBuf]) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let skip: BTreeSet<PathBuf> = skip
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .collect();
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for e in entries {
            let e = e?;
            let path = e.path();
            let kind = e.file_type()?;
            let real = path.canonicalize().unwrap_or_else(|_| path.clone());
            if skip.contains(&real) {
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let name: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((path.clone(), format!("files/{}", name.join("/"))));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Writes the archive of the whole site to `to` (through `to.partial`, renamed when
/// complete, so a cut-off backup never looks like one). The database is read in one
/// snapshot while the site keeps serving.
pub async fn backup(db: &Db, sources: &Sources, to: &Path) -> anyhow::Result<BackupReport> {
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let scratch = PathBuf::from(format!("{}.table", to.display()));
    let result = write_archive(db, sources, &partial, &scratch).await;
    let _ = std::fs::remove_file(&scratch);
    match result {
        Ok(mut report) => {
            std::fs::rename(&partial, to)
                .with_context(|| format!("cannot move the archive to {}", to.display()))?;
            report.archive_bytes = std::fs::metadata(to)?.len();
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

async fn write_archive(
    db: &Db,
    sources: &Sources,
    partial: &Path,
    scratch: &Path,
) -> anyhow::Result<BackupReport> {
    let out =
        File::create(partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut members = Vec::new();
    let mut tables = Vec::new();

    let mut snap = db.snapshot().await?;
    let schema_version = snap.schema_version().await?;
    let backend = snap.backend().to_string();
    for t in snap.tables().await? {
        // Each table goes to a scratch file first: a tar member's size comes before it.
        let file = File::create(scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
        let mut w = Hashing {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
            bytes: 0,
        };
        let rows = snap
            .rows(&t, |vals| -> anyhow::Result<()> {
                serde_json::to_writer(&mut w, &vals)?;
                w.write_all(b"\n")?;
                Ok(())
            })
            .await
            .with_context(|| format!("cannot read the table {}", t.name))?;
        w.flush()?;
        let member = format!("tables/{}.jsonl", t.name);
        append(&mut tar, &member, w.bytes, File::open(scratch)?)?;
        members.push(Member {
            path: member.clone(),
            bytes: w.bytes,
            sha256: hex::encode(w.hash.finalize()),
        });
        tables.push(TableEntry {
            name: t.name,
            rows,
            columns: t.columns,
            member,
        });
    }
    snap.finish().await?;

    let mut files = 0;
    if let Some(dir) = sources.data_dir.as_deref().filter(|d| d.is_dir()) {
        let mut skip = sources.skip.clone();
        skip.push(partial.to_path_buf());
        skip.push(scratch.to_path_buf());
        for (path, member) in files_under(dir, &skip)? {
            let data =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            append(&mut tar, &member, data.len() as u64, data.as_slice())?;
            members.push(Member {
                path: member,
                bytes: data.len() as u64,
                sha256: hex::encode(Sha256::digest(&data)),
            });
            files += 1;
        }
    }
    if let Some(path) = &sources.settings_file {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "shelfraiser.toml".into());
        let member = format!("settings/{name}");
        append(&mut tar, &member, data.len() as u64, data.as_slice())?;
        members.push(Member {
            path: member,
            bytes: data.len() as u64,
            sha256: hex::encode(Sha256::digest(&data)),
        });
    }

    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        app_version: env!("CARGO_PKG_VERSION").into(),
        created_at: Utc::now(),
        backend,
        schema_version,
        tables,
        members,
    };
    let json = serde_json::to_vec_pretty(&manifest)?;
    append(&mut tar, MANIFEST, json.len() as u64, json.as_slice())?;
    let gz = tar.into_inner().context("cannot finish the archive")?;
    let file = gz
        .finish()
        .context("cannot finish the archive")?
        .into_inner()
        .map_err(|e| anyhow!("cannot write the archive: {}", e.error()))?;
    file.sync_all().context("cannot write the archive")?;
    Ok(BackupReport {
        manifest,
        files,
        archive_bytes: 0,
    })
}

/// An archive whose every member matched its checksum when opened.
#[derive(Debug)]
pub struct Archive {
    path: PathBuf,
    pub manifest: Manifest,
}

fn entries(path: &Path) -> anyhow::Result<tar::Archive<flate2::read::GzDecoder<BufReader<File>>>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(tar::Archive::new(flate2::read::GzDecoder::new(
        BufReader::new(f),
    )))
}

fn entry_path(e: &tar::Entry<impl Read>) -> anyhow::Result<String> {
    let p = e.path().context("the archive is damaged")?;
    if !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!(
            "the archive names a file outside its folders: {}",
            p.display()
        );
    }
    Ok(p.to_string_lossy().into_owned())
}

/// Opens an archive and checks it whole before anything is written: every member's size
/// and SHA-256 as the manifest lists them, no member missing or unlisted, a format this
/// release reads, a schema no newer than this release's migrations.
pub fn open(path: &Path) -> anyhow::Result<Archive> {
    let damaged = |why: String| {
        anyhow!(
            "the archive {} is damaged or was changed: {why}",
            path.display()
        )
    };
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest = None;
    let mut tar = entries(path)?;
    for e in tar.entries().map_err(|e| damaged(e.to_string()))? {
        let mut e = e.map_err(|e| damaged(e.to_string()))?;
        let name = entry_path(&e)?;
        if name == MANIFEST {
            let mut buf = Vec::new();
            e.read_to_end(&mut buf)
                .map_err(|e| damaged(e.to_string()))?;
            manifest = Some(
                serde_json::from_slice::<Manifest>(&buf)
                    .map_err(|e| damaged(format!("its manifest does not read: {e}")))?,
            );
        } else {
            let mut h = Hashing {
                inner: std::io::sink(),
                hash: Sha256::new(),
                bytes: 0,
            };
            std::io::copy(&mut e, &mut h).map_err(|e| damaged(e.to_string()))?;
            seen.insert(name, (h.bytes, hex::encode(h.hash.finalize())));
        }
    }
    let manifest = manifest.ok_or_else(|| damaged("it has no manifest".into()))?;
    if manifest.format != FORMAT {
        bail!("{} is not a Shelfraiser backup", path.display());
    }
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            "{} was written in backup format {}, newer than this release reads ({FORMAT_VERSION}): restore it with a newer shelfraiser",
            path.display(),
            manifest.format_version
        );
    }
    for m in &manifest.members {
        match seen.remove(&m.path) {
            None => return Err(damaged(format!("{} is missing", m.path))),
            Some((bytes, sha)) if bytes != m.bytes || sha != m.sha256 => {
                return Err(damaged(format!("{} does not match its checksum", m.path)));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = seen.keys().next() {
        return Err(damaged(format!("{extra} is not in its manifest")));
    }
    let ours = dump::latest_schema_version();
    if manifest.schema_version > ours {
        bail!(
            "the archive's schema (version {}) is newer than this shelfraiser's ({ours}): restore it with release {} or newer",
            manifest.schema_version,
            manifest.app_version
        );
    }
    let listed: BTreeSet<&str> = manifest.members.iter().map(|m| m.path.as_str()).collect();
    if let Some(t) = manifest
        .tables
        .iter()
        .find(|t| !listed.contains(t.member.as_str()))
    {
        return Err(damaged(format!("the rows of {} are missing", t.name)));
    }
    Ok(Archive {
        path: path.to_path_buf(),
        manifest,
    })
}

/// Where a restore puts what is not in the database.
#[derive(Debug, Default)]
pub struct Targets {
    /// The data folder for the archive's files (`None`: left out, as `move-to` does).
    pub data_dir: Option<PathBuf>,
    /// Where the archive's configuration file is written (`None`: not written).
    pub settings_to: Option<PathBuf>,
}

#[derive(Debug)]
pub struct RestoreReport {
    pub tables: usize,
    pub rows: u64,
    pub files: usize,
    /// The configuration file the archive held and where it went, if it was written.
    pub settings: Option<PathBuf>,
    /// Whether the archive holds a configuration file.
    pub has_settings: bool,
    pub ledger: VerifyReport,
}

/// Restores `archive` into `db`, which must be empty: no tables at all, or migrated to the
/// archive's schema with no rows but those the migrations seed. The archive's tables go
/// in, in dependency order, in one transaction; the migrations after the archive's schema
/// run next; then its files and configuration; last, the ledger check.
pub async fn restore(
    archive: &Archive,
    db: &Db,
    targets: &Targets,
) -> anyhow::Result<RestoreReport> {
    let m = &archive.manifest;
    let seeds = dump::seed_counts(m.schema_version).await?;
    match db.schema_version().await? {
        None if db.has_tables().await? => {
            bail!(
                "the database is not empty (it holds tables of something else): restore into a new, empty database"
            )
        }
        None => db.migrate_to(m.schema_version).await?,
        Some(v) if v != m.schema_version => bail!(
            "the database is already at schema version {v} and the archive at {}: restore into a new, empty database",
            m.schema_version
        ),
        Some(_) => {
            for (table, n) in db.table_counts().await? {
                if n > seeds.get(&table).copied().unwrap_or(0) {
                    bail!(
                        "the database is not empty (the table {table} holds {n} rows): restore into a new, empty database"
                    );
                }
            }
        }
    }

    let mut loader = db.loader().await?;
    let archived: BTreeSet<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
    if let Some(t) = loader
        .table_names()
        .find(|t| !archived.contains(t.as_str()))
    {
        bail!("the archive has no rows for the table {t}, which this database has");
    }
    let by_member: BTreeMap<&str, &TableEntry> =
        m.tables.iter().map(|t| (t.member.as_str(), t)).collect();
    let mut rows = 0u64;
    let mut tar = entries(&archive.path)?;
    for e in tar.entries()? {
        let e = e?;
        let name = entry_path(&e)?;
        let Some(t) = by_member.get(name.as_str()) else {
            continue;
        };
        let target = loader
            .table(&t.name)
            .ok_or_else(|| {
                anyhow!(
                    "this database has no table {}, which the archive has",
                    t.name
                )
            })?
            .clone();
        if seeds.contains_key(&t.name) {
            loader.clear(&t.name).await?;
        }
        let names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        let whole = !target.self_refs.is_empty();
        let mut batch: Vec<Vec<Value>> = Vec::new();
        let mut n = 0u64;
        for line in BufReader::new(e).lines() {
            let line = line?;
            let vals: Vec<Value> = serde_json::from_str(&line)
                .with_context(|| format!("a row of {} does not read", t.name))?;
            batch.push(vals);
            if !whole && batch.len() >= BATCH {
                n += loader.insert(&t.name, &t.columns, &batch).await?;
                batch.clear();
            }
        }
        if whole {
            batch = dump::parents_first(&target, &names, batch);
        }
        n += loader
            .insert(&t.name, &t.columns, &batch)
            .await
            .with_context(|| format!("cannot restore the table {}", t.name))?;
        if n != t.rows {
            bail!(
                "the table {} has {n} rows in the archive but its manifest says {}",
                t.name,
                t.rows
            );
        }
        rows += n;
    }
    loader
        .finish()
        .await
        .context("cannot complete the restore")?;
    // The migrations the archive's schema did not have yet.
    db.migrate().await?;

    let mut files = 0;
    let mut settings = None;
    let has_settings = m.members.iter().any(|x| x.path.starts_with("settings/"));
    if targets.data_dir.is_some() || targets.settings_to.is_some() {
        let mut tar = entries(&archive.path)?;
        for e in tar.entries()? {
            let mut e = e?;
            let name = entry_path(&e)?;
            let dest = if let Some(rel) = name.strip_prefix("files/") {
                targets.data_dir.as_ref().map(|d| d.join(rel))
            } else if name.starts_with("settings/") {
                targets.settings_to.clone()
            } else {
                None
            };
            let Some(dest) = dest else { continue };
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dest)
                .with_context(|| format!("cannot create {}", dest.display()))?;
            std::io::copy(&mut e, &mut out)?;
            out.sync_all()?;
            if name.starts_with("settings/") {
                settings = Some(dest);
            } else {
                files += 1;
            }
        }
    }
    let ledger = ledger::verify(db).await?;
    Ok(RestoreReport {
        tables: m.tables.len(),
        rows,
        files,
        settings,
        has_settings,
        ledger,
    })
}

/// What `move-to` found after copying.
#[derive(Debug)]
pub struct MoveReport {
    pub restore: RestoreReport,
    /// Tables whose row count differs between the copy and the source: (table, source,
    /// copy). Empty when the copy is whole.
    pub differing: Vec<(String, u64, i64)>,
}

/// Copies the whole database `from` into the empty `to`: a backup without files (they stay
/// in the data folder) written to `scratch`, restored, each table's rows counted again.
pub async fn move_to(from: &Db, to: &Db, scratch: &Path) -> anyhow::Result<MoveReport> {
    let written = backup(from, &Sources::default(), scratch).await;
    let result = async {
        let report = written?;
        let archive = open(scratch)?;
        let restore = restore(&archive, to, &Targets::default()).await?;
        let counts = to.table_counts().await?;
        let differing = report
            .manifest
            .tables
            .iter()
            .filter_map(|t| {
                let copied = counts.get(&t.name).copied().unwrap_or(-1);
                (u64::try_from(copied).ok() != Some(t.rows))
                    .then(|| (t.name.clone(), t.rows, copied))
            })
            .collect();
        Ok(MoveReport { restore, differing })
    }
    .await;
    let _ = std::fs::remove_file(scratch);
    result
}

/// The SQLite database file of a `sqlite://` URL (`None` on PostgreSQL).
pub fn sqlite_file(s: &Settings) -> Option<PathBuf> {
    let url = s.effective_database_url();
    let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    Some(PathBuf::from(path))
}

/// The SQLite database file and its journals.
pub fn database_files(file: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", file.display())))
        .collect()
}

/// What a site's archive holds besides the database: the data folder without the SQLite
/// database (its rows are in the archive), the backup folder (or every archive would hold
/// the ones before it) and `extra_skip`; and the configuration file the settings came from.
pub fn site_sources(s: &Settings, extra_skip: &[PathBuf]) -> Sources {
    let mut skip = extra_skip.to_vec();
    if let Some(file) = sqlite_file(s) {
        skip.extend(database_files(&file));
    }
    skip.push(s.backup.effective_dir(&s.data_dir));
    Sources {
        data_dir: Some(s.data_dir.clone()),
        skip,
        settings_file: s.config_file.clone(),
    }
}

/// How often each node asks whether a scheduled backup is due (the first time this long
/// after start, so a server started for a moment, as in tests, writes none).
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// After a failed scheduled backup, the next try comes this long later instead of a whole
/// period.
pub const RETRY_AFTER: Duration = Duration::hours(1);
const SCHEDULED_PREFIX: &str = "backup-";
const ARCHIVE_SUFFIX: &str = ".tar.gz";

/// What one scheduled run did.
#[derive(Debug)]
pub struct Scheduled {
    pub path: PathBuf,
    /// The archive's size, or why there is none.
    pub result: Result<u64, String>,
    /// Older archives deleted to keep `backup.keep`.
    pub deleted: Vec<PathBuf>,
}

/// The scheduled backup at `now`, when it is due and this node claims it (the `backup.claim`
/// settings row: of several nodes sharing PostgreSQL one wins each period). Writes
/// `backup-YYYYMMDD-HHMMSS.tar.gz` into the backup folder through [`backup`], as the CLI
/// does, deletes the oldest beyond `keep` and records the outcome ([`Db::record_backup`])
/// for the console and `/metrics`. `Ok(None)`: off, not due, or another node's turn. A
/// failed backup is an `Ok` with its reason: it is recorded and retried after
/// [`RETRY_AFTER`], never raised to the server.
pub async fn scheduled(
    db: &Db,
    s: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Scheduled>> {
    let schedule = schedule(db, s).await?;
    if schedule.every_hours == 0 {
        return Ok(None);
    }
    let every = Duration::hours(i64::try_from(schedule.every_hours).unwrap_or(i64::MAX / 7200));
    if !db.claim_setting(BACKUP_CLAIM, now, now - every).await? {
        return Ok(None);
    }
    let done = write_into_folder(db, s, now, schedule.keep).await?;
    if done.result.is_err() {
        // Due again after RETRY_AFTER rather than a whole period.
        let retry = (now - every + RETRY_AFTER).min(now);
        db.set_setting(BACKUP_CLAIM, retry.timestamp()).await?;
    }
    Ok(Some(done))
}

/// A backup now, outside the schedule (the console's "Back up now"): the same archive and
/// name as a scheduled one, recorded the same way and counted in `keep`.
pub async fn now(db: &Db, s: &Settings, now: DateTime<Utc>) -> anyhow::Result<Scheduled> {
    let keep = schedule(db, s).await?.keep;
    write_into_folder(db, s, now, keep).await
}

/// Writes `backup-YYYYMMDD-HHMMSS.tar.gz` into the backup folder through [`backup`], records
/// the outcome ([`Db::record_backup`]) and, when it was written, deletes the oldest beyond
/// `keep`. A failed backup is an `Ok` with its reason.
async fn write_into_folder(
    db: &Db,
    s: &Settings,
    now: DateTime<Utc>,
    keep: usize,
) -> anyhow::Result<Scheduled> {
    let dir = s.backup.effective_dir(&s.data_dir);
    let path = dir.join(format!(
        "{SCHEDULED_PREFIX}{}{ARCHIVE_SUFFIX}",
        now.format("%Y%m%d-%H%M%S")
    ));
    let written = async {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        if path.exists() {
            bail!("{} already exists", path.display());
        }
        backup(db, &site_sources(s, &[]), &path).await
    }
    .await;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match written {
        Ok(report) => {
            db.record_backup(now, Ok(report.archive_bytes), &name)
                .await?;
            let deleted = prune(&dir, keep)?;
            Ok(Scheduled {
                path,
                result: Ok(report.archive_bytes),
                deleted,
            })
        }
        Err(e) => {
            let why = format!("{e:#}");
            db.record_backup(now, Err(&why), &name).await?;
            Ok(Scheduled {
                path,
                result: Err(why),
                deleted: Vec::new(),
            })
        }
    }
}

const SCHEDULE_EVERY: &str = "backup.schedule.every_hours";
const SCHEDULE_KEEP: &str = "backup.schedule.keep";

/// The schedule in force: the console's (settings rows), else the configuration's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub every_hours: u64,
    pub keep: usize,
    /// Set in the console (overriding the configuration file).
    pub from_console: bool,
}

pub async fn schedule(db: &Db, s: &Settings) -> DbResult<Schedule> {
    let every = db.setting_as::<u64>(SCHEDULE_EVERY).await?;
    let keep = db.setting_as::<usize>(SCHEDULE_KEEP).await?;
    Ok(Schedule {
        every_hours: every.unwrap_or(s.backup.every_hours),
        keep: keep.unwrap_or(s.backup.keep).max(1),
        from_console: every.is_some() || keep.is_some(),
    })
}

/// Sets the schedule from the console (`keep` at least 1).
pub async fn set_schedule(db: &Db, every_hours: u64, keep: usize) -> DbResult<()> {
    db.set_setting(SCHEDULE_EVERY, every_hours).await?;
    db.set_setting(SCHEDULE_KEEP, keep.max(1)).await
}

/// An archive in the backup folder.
#[derive(Debug, Clone)]
pub struct ArchiveFile {
    pub name: String,
    pub bytes: u64,
    pub modified: Option<DateTime<Utc>>,
    /// Written before an upgrade (not counted in `keep`).
    pub before_upgrade: bool,
}

/// The archives in `dir`, newest first (an absent folder has none).
pub fn archives(dir: &Path) -> anyhow::Result<Vec<ArchiveFile>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<ArchiveFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            archive_name_ok(&name).then(|| ArchiveFile {
                before_upgrade: name.starts_with("before-upgrade-"),
                bytes: meta.len(),
                modified: meta.modified().ok().map(DateTime::<Utc>::from),
                name,
            })
        })
        .collect();
    out.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.name.cmp(&a.name)));
    Ok(out)
}

/// A name an archive of ours can have: letters, digits, `.`, `_`, `-`, ending `.tar.gz`, not
/// hidden (so a name from a URL can name nothing outside the folder).
fn archive_name_ok(name: &str) -> bool {
    name.ends_with(ARCHIVE_SUFFIX)
        && !name.starts_with('.')
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The archive called `name` in `dir`, if it is one.
pub fn archive_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    (archive_name_ok(name) && path.is_file()).then_some(path)
}

impl Scheduled {
    /// The archive's file name.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Deletes the oldest scheduled archives in `dir` beyond `keep` (their names sort by time;
/// other files, the before-upgrade archives among them, are left alone).
fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut archives: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(SCHEDULED_PREFIX) && n.ends_with(ARCHIVE_SUFFIX) && p.is_file()
            })
        })
        .collect();
    archives.sort();
    let extra = archives.len().saturating_sub(keep.max(1));
    let old: Vec<PathBuf> = archives.drain(..extra).collect();
    for p in &old {
        std::fs::remove_file(p).with_context(|| format!("cannot delete {}", p.display()))?;
    }
    Ok(old)
}

/// Runs the pending migrations, first writing `before-upgrade-YYYYMMDD-HHMMSS.tar.gz` into
/// the backup folder when `backup.before_upgrade` is on and the database has a schema older
/// than this release's (a database never migrated has nothing to keep). The archive is the
/// one `backup` writes, with the old schema, so `restore` with the previous release (or this
/// one) brings the site back as it was. Returns the archive written, if any.
pub async fn migrate(db: &Db, s: &Settings, now: DateTime<Utc>) -> anyhow::Result<Option<PathBuf>> {
    let mut written = None;
    if s.backup.before_upgrade
        && let Some(v) = db.schema_version().await?
        && v < dump::latest_schema_version()
    {
        let dir = s.backup.effective_dir(&s.data_dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!(
            "before-upgrade-{}{ARCHIVE_SUFFIX}",
            now.format("%Y%m%d-%H%M%S")
        ));
        let r = backup(db, &site_sources(s, &[]), &path)
            .await
            .with_context(|| {
                format!(
                    "cannot write the backup before the upgrade to {} (backup.before_upgrade)",
                    path.display()
                )
            })?;
        tracing::info!(
            archive = %path.display(),
            bytes = r.archive_bytes,
            schema_version = v,
            "backup written before the upgrade"
        );
        written = Some(path);
    }
    db.migrate().await?;
    Ok(written)
}
