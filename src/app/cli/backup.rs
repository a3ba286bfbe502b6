//! `backup`, `restore` and `move-to`: a whole site into one archive and back, and from
//! SQLite to PostgreSQL (the archive and its checks: `backup`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use super::{StorageArgs, open, settings};
use crate::backup::{self, Targets, database_files, site_sources, sqlite_file};
use crate::db::Db;
use crate::donations::ledger::VerifyReport;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The archive to write (a .tar.gz); refused when it exists.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The archive `shelfraiser backup` wrote.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also write the configuration file the archive holds here (refused when it exists).
    #[arg(long, value_name = "FILE")]
    pub settings_to: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MoveToArgs {
    /// The empty PostgreSQL database: postgres://USER:PASS@HOST/DB.
    #[arg(value_name = "URL")]
    pub url: String,
}

/// `backup --to FILE`: the archive of the site, taken while it serves.
pub(super) async fn backup(storage: &StorageArgs, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let s = settings(storage, None)?;
    if args.to.exists() {
        bail!("{} already exists: choose a new name", args.to.display());
    }
    let db = open(&s).await?;
    let sources = site_sources(&s, std::slice::from_ref(&args.to));
    let r = backup::backup(&db, &sources, &args.to).await?;
    println!(
        "backup written to {}: {} tables, {} rows, {} files{}, {} bytes (schema version {}, {})",
        args.to.display(),
        r.manifest.tables.len(),
        r.rows(),
        r.files,
        if sources.settings_file.is_some() {
            " and the settings file"
        } else {
            ""
        },
        r.archive_bytes,
        r.manifest.schema_version,
        r.manifest.backend
    );
    Ok(ExitCode::SUCCESS)
}

/// Whether a folder is missing or holds nothing but `allowed` (the SQLite database about to
/// be restored into, left by a restore that failed: the database's own check decides).
fn is_empty_dir(dir: &Path, allowed: &[PathBuf]) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries {
                let path = e?.path();
                if !allowed
                    .iter()
                    .any(|a| a.file_name() == path.file_name() && a.parent() == path.parent())
                {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}

fn print_ledger(r: &VerifyReport) -> ExitCode {
    if r.mismatches.is_empty() {
        println!(
            "ledger ok: {} campaigns, {} entries, every total matches",
            r.campaigns, r.entries
        );
        ExitCode::SUCCESS
    } else {
        for m in &r.mismatches {
            eprintln!("mismatch: {m}");
        }
        eprintln!(
            "error: the ledger and the shown totals differ in {} places",
            r.mismatches.len()
        );
        ExitCode::FAILURE
    }
}

/// `restore FILE`: into an empty data folder and an empty database.
pub(super) async fn restore(storage: &StorageArgs, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let s = settings(storage, None)?;
    let database_files: Vec<PathBuf> = sqlite_file(&s)
        .map(|f| database_files(&f))
        .unwrap_or_default();
    if !is_empty_dir(&s.data_dir, &database_files)? {
        bail!(
            "the data folder {} is not empty: restore into an empty folder (--data-dir)",
            s.data_dir.display()
        );
    }
    if let Some(to) = &args.settings_to
        && to.exists()
    {
        bail!(
            "{} already exists: choose another --settings-to",
            to.display()
        );
    }
    // Every checksum before anything is created.
    let archive = backup::open(&args.file)?;
    let db = Db::connect(&s.effective_database_url())
        .await
        .context("cannot open the database")?;
    let targets = Targets {
        data_dir: Some(s.data_dir.clone()),
        settings_to: args.settings_to.clone(),
    };
    let r = backup::restore(&archive, &db, &targets).await?;
    let m = &archive.manifest;
    println!(
        "restored {} tables, {} rows and {} files from {} (schema version {}, taken {} on {})",
        r.tables,
        r.rows,
        r.files,
        args.file.display(),
        m.schema_version,
        m.created_at.format("%Y-%m-%d %H:%M UTC"),
        m.backend
    );
    match &r.settings {
        Some(p) => println!("settings file written to {}", p.display()),
        None if r.has_settings => {
            println!(
                "the archive holds a settings file: restore again with --settings-to FILE to write it, or keep your own"
            )
        }
        None => {}
    }
    Ok(print_ledger(&r.ledger))
}

/// `move-to postgres://…`: the SQLite site copied into an empty PostgreSQL database.
pub(super) async fn move_to(storage: &StorageArgs, args: MoveToArgs) -> anyhow::Result<ExitCode> {
    let s = settings(storage, None)?;
    if sqlite_file(&s).is_none() {
        bail!("move-to copies a site from SQLite, and this site's database is not SQLite");
    }
    if !(args.url.starts_with("postgres://") || args.url.starts_with("postgresql://")) {
        bail!("move-to takes a postgres:// URL of an empty database");
    }
    let from = open(&s).await?;
    let to = Db::connect(&args.url)
        .await
        .context("cannot open the PostgreSQL database")?;
    std::fs::create_dir_all(&s.data_dir)
        .with_context(|| format!("cannot create {}", s.data_dir.display()))?;
    let scratch = s
        .data_dir
        .join(format!("move-to-{}.tar.gz", uuid::Uuid::new_v4().simple()));
    let r = backup::move_to(&from, &to, &scratch).await?;
    for (table, source, copy) in &r.differing {
        eprintln!("differs: {table} has {source} rows in SQLite and {copy} in PostgreSQL");
    }
    if !r.differing.is_empty() {
        bail!("{} tables differ after the copy", r.differing.len());
    }
    println!(
        "copied {} tables and {} rows to PostgreSQL; every table's row count matches",
        r.restore.tables, r.restore.rows
    );
    let code = print_ledger(&r.restore.ledger);
    if code == ExitCode::SUCCESS {
        println!(
            "the files stay in {}; to run on PostgreSQL, set in the config file:",
            s.data_dir.display()
        );
        println!("database_url = {:?}", args.url);
        println!(
            "(or the environment: SHELFRAISER_DATABASE_URL={})",
            args.url
        );
    }
    Ok(code)
}
