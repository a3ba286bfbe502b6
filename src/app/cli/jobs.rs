//! `jobs run`: every background job that is due, once.

use std::process::ExitCode;

use chrono::Utc;
use clap::Subcommand;

use super::{StorageArgs, open, settings};

#[derive(Subcommand, Debug)]
pub enum JobsCmd {
    /// Run every background job that is due now, once, and exit.
    Run,
}

pub(super) async fn run(storage: &StorageArgs, cmd: JobsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        JobsCmd::Run => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            let n = crate::jobs::run_due(&db, &crate::app::job_handlers(), Utc::now()).await?;
            println!("{n} jobs run");
            Ok(ExitCode::SUCCESS)
        }
    }
}
