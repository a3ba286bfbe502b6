//! `rates import`: the European Central Bank's reference rates from a file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::{StorageArgs, open, settings};
use crate::rates;

#[derive(Subcommand, Debug)]
pub enum RatesCmd {
    /// Import the European Central Bank's reference rates (eurofxref-daily.xml format).
    Import {
        /// The XML file.
        file: PathBuf,
    },
}

pub(super) async fn run(storage: &StorageArgs, cmd: RatesCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        RatesCmd::Import { file } => {
            let s = settings(storage, None)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let sheets = rates::parse_ecb(&text)?;
            let db = open(&s).await?;
            let n = rates::import(&db, &sheets).await?;
            for sh in &sheets {
                println!(
                    "{}: {} rates{}",
                    sh.as_of,
                    sh.per_eur.len(),
                    if sh.skipped.is_empty() {
                        String::new()
                    } else {
                        format!(" (skipped unknown: {})", sh.skipped.join(", "))
                    }
                );
            }
            println!("{n} new rates stored");
            Ok(ExitCode::SUCCESS)
        }
    }
}
