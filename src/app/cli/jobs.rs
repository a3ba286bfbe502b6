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
            let mailer = crate::mail::Mailer::new(&s, db.clone())?;
            let base = s.effective_base_url(s.listen);
            let receipts = crate::donations::receipts::Receipts::new(&s, db.clone(), mailer, &base);
            let providers = crate::app::server::providers(&s, &db).await?;
            let outbound = crate::outbound::Outbound::new(&s.outbound_allow, &base)
                .map_err(|e| anyhow::anyhow!("outbound_allow: {e}"))?;
            let handlers = crate::app::job_handlers_full(receipts, providers, outbound);
            let n = crate::jobs::run_due(&db, &handlers, Utc::now()).await?;
            println!("{n} jobs run");
            Ok(ExitCode::SUCCESS)
        }
    }
}
