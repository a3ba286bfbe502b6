//! The command line. Storage options (`--config`, `--data-dir`, `--database-url`) are global,
//! so every subcommand reads and writes the same data a running `serve` does.
//!
//! This file holds the top-level definitions, the dispatch and what every command shares
//! (settings, logging, opening the database); each command group has its own module with
//! its arguments and what it does.

mod backup;
mod campaign;
mod donation;
mod donor;
mod import;
mod jobs;
mod pledge;
mod post;
mod rates;
mod serve;
mod setup;
mod team;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::Db;

pub use backup::{BackupArgs, MoveToArgs, RestoreArgs};
pub use campaign::{CampaignCmd, CampaignCreate};
pub use donation::{DonationAdd, DonationCmd, LedgerCmd};
pub use import::{ImportCmd, WordpressImport};
pub use jobs::JobsCmd;
pub use post::{PostCmd, PostCreate};
pub use rates::RatesCmd;
pub use serve::{ConfigCmd, HealthcheckArgs, ServeArgs};
pub use team::{TokenCmd, UserAdd, UserCmd};

#[derive(Parser, Debug)]
#[command(
    name = "shelfraiser",
    version = crate::app::LONG_VERSION,
    about = "A self-hosted home for a library cause."
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct StorageArgs {
    /// Configuration file (TOML). Default: ./shelfraiser.toml when present.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite database and local files [default: ./shelfraiser-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the data dir].
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Create, list and show campaigns.
    #[command(subcommand)]
    Campaign(CampaignCmd),
    /// Record donations.
    #[command(subcommand)]
    Donation(DonationCmd),
    /// Donors' personal data (erasure).
    #[command(subcommand)]
    Donor(donor::DonorCmd),
    /// Pledges: money promised but not yet received.
    #[command(subcommand)]
    Pledge(pledge::PledgeCmd),
    /// Exchange rates.
    #[command(subcommand)]
    Rates(RatesCmd),
    /// The donation ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Team members.
    #[command(subcommand)]
    User(UserCmd),
    /// First run for scripted installs: the site's identity and its first owner, then a
    /// one-time sign-in link (idempotent).
    Setup(setup::SetupArgs),
    /// Blog posts.
    #[command(subcommand)]
    Post(PostCmd),
    /// The background job queue.
    #[command(subcommand)]
    Jobs(JobsCmd),
    /// Bring content in from elsewhere.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Write the whole site (database, files, settings) to one archive while it serves.
    Backup(BackupArgs),
    /// Restore an archive into an empty data folder and database.
    Restore(RestoreArgs),
    /// Copy the site from SQLite to an empty PostgreSQL database.
    MoveTo(MoveToArgs),
    /// Ask a running node's /healthz (exit status 0 when healthy): for container health checks.
    Healthcheck(HealthcheckArgs),
}

/// Entry point: parses arguments, runs, prints one clear sentence on error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
            }
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn overrides(storage: &StorageArgs, serve: Option<&ServeArgs>) -> Overrides {
    Overrides {
        config: storage.config.clone(),
        data_dir: storage.data_dir.clone(),
        database_url: storage.database_url.clone(),
        listen: serve.and_then(|s| s.listen),
        base_url: serve.and_then(|s| s.base_url.clone()),
        demo: serve.is_some_and(|s| s.demo),
    }
}

fn settings(storage: &StorageArgs, serve: Option<&ServeArgs>) -> anyhow::Result<Settings> {
    let s = Settings::load(&overrides(storage, serve))?;
    // The forwarding settings are the HTTP layer's to read: checked here, before anything starts.
    s.client_ip_header
        .parse::<crate::http::client_ip::ForwardedHeader>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::http::client_ip::Proxies::parse(&s.trusted_proxies, &s.client_ip_header)
        .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
    Ok(s)
}

fn init_logging(s: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHELFRAISER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal (a journal, a container's log or a file gets plain text),
    // and never with NO_COLOR set.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if s.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

async fn open(s: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&s.effective_database_url())
        .await
        .context("cannot open the database")?;
    crate::backup::migrate(&db, s, chrono::Utc::now()).await?;
    Ok(db)
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let storage = &cli.storage;
    match cli.command {
        Command::Serve(args) => serve::serve(storage, args).await,
        Command::Migrate => serve::migrate(storage).await,
        Command::Healthcheck(args) => serve::healthcheck(storage, args).await,
        Command::Config(cmd) => Ok(serve::config(cmd)),
        Command::Campaign(cmd) => campaign::run(storage, cmd).await,
        Command::Donation(cmd) => donation::run(storage, cmd).await,
        Command::Pledge(cmd) => pledge::run(storage, cmd).await,
        Command::Rates(cmd) => rates::run(storage, cmd).await,
        Command::Token(cmd) => team::token(storage, cmd).await,
        Command::User(cmd) => team::user(storage, cmd).await,
        Command::Setup(args) => setup::setup(storage, args).await,
        Command::Import(cmd) => import::run(storage, cmd).await,
        Command::Post(cmd) => post::run(storage, cmd).await,
        Command::Jobs(cmd) => jobs::run(storage, cmd).await,
        Command::Ledger(cmd) => donation::ledger(storage, cmd).await,
        Command::Donor(cmd) => donor::run(storage, cmd).await,
        Command::Backup(args) => backup::backup(storage, args).await,
        Command::Restore(args) => backup::restore(storage, args).await,
        Command::MoveTo(args) => backup::move_to(storage, args).await,
    }
}
