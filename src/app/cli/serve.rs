//! `serve`, `migrate` and `config default`: running the server and setting up its storage.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{StorageArgs, init_logging, open, settings};
use crate::app::server::{Application, shutdown_signal};
use crate::config::DEFAULT_CONFIG;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Public base URL, e.g. https://give.example.org.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Seed the demo campaign into an empty database and enable test payments.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Print the default configuration file, with every key documented.
    Default,
}

/// `serve`: runs until a shutdown signal, printing the address (and the demo's sign-ins).
pub(super) async fn serve(storage: &StorageArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let s = settings(storage, Some(&args))?;
    init_logging(&s);
    // Before the server reads its connection cap (three quarters of this limit by default).
    crate::app::open_files::raise_and_check(&s);
    let demo = s.demo;
    let app = Application::build(s).await?;
    let base = app.state().base_url.clone();
    println!("listening on http://{}", app.addr());
    // First run: a site without members is set up through a one-time link.
    if !demo && let Some(link) = crate::team::setup::issue_link(&app.state().db, &base).await? {
        println!("setup: {link}");
        println!("(open it to name the site and create its first owner; it works until then)");
    }
    if demo {
        println!("demo campaign: {base}/campaigns/{}", crate::app::demo::SLUG);
        println!("test payments are on: the donate form leads to a TEST MODE checkout");
        println!("team sign-in: {base}/signin");
        for m in crate::app::demo::TEAM {
            println!(
                "demo sign-in ({}, {}): {} / {}",
                m.role, m.country, m.email, m.password
            );
        }
    }
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `migrate`: applies the migrations (opening the database does) and says on what.
pub(super) async fn migrate(storage: &StorageArgs) -> anyhow::Result<ExitCode> {
    let s = settings(storage, None)?;
    let db = open(&s).await?;
    println!("migrations applied ({})", db.backend());
    Ok(ExitCode::SUCCESS)
}

/// `config default`: the documented default configuration file.
pub(super) fn config(cmd: ConfigCmd) -> ExitCode {
    match cmd {
        ConfigCmd::Default => {
            print!("{DEFAULT_CONFIG}");
            ExitCode::SUCCESS
        }
    }
}

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// The address to ask [default: http://<listen>/healthz, with a wildcard `listen` asked on
    /// loopback].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

/// `healthcheck`: asks a running node's `/healthz` (for a container's health check, where
/// no HTTP client is installed); exit status 0 when it answers 200 within 5 seconds.
pub(super) async fn healthcheck(
    storage: &StorageArgs,
    args: HealthcheckArgs,
) -> anyhow::Result<ExitCode> {
    let url = match args.url {
        Some(u) => u,
        None => {
            let s = settings(storage, None)?;
            let mut addr = s.listen;
            if addr.ip().is_unspecified() {
                addr.set_ip(if addr.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                });
            }
            format!("http://{addr}/healthz")
        }
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .no_proxy()
        .build()?;
    let res = client
        .get(&url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url} did not answer: {e}"))?;
    if res.status() == reqwest::StatusCode::OK {
        println!("ok: {url}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{url} answered {}", res.status());
        Ok(ExitCode::FAILURE)
    }
}
