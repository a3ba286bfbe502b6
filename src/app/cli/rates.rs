//! `rates import`: the European Central Bank's reference rates from a file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::{StorageArgs, open, settings};
use crate::rates;

#[derive(Subcommand, Debug)]
pub enum RatesCmd {
    /// Import the European Central Bank's reference rates: the daily file
    /// (eurofxref-daily.xml), the 90-day one (eurofxref-hist-90d.xml) or the full history
    /// (eurofxref-hist.xml). Every day is kept; days already imported are left as they are.
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
            for line in summary(&sheets) {
                println!("{line}");
            }
            println!("{n} new rates stored");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What an import read: a line per day for a short file, one line for a long one (the
/// 90-day and history files), and the currencies skipped as unknown.
fn summary(sheets: &[rates::RateSheet]) -> Vec<String> {
    let mut skipped: Vec<&str> = sheets
        .iter()
        .flat_map(|s| s.skipped.iter().map(String::as_str))
        .collect();
    skipped.sort_unstable();
    skipped.dedup();
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!(" (skipped unknown: {})", skipped.join(", "))
    };
    if sheets.len() <= 5 {
        return sheets
            .iter()
            .map(|sh| format!("{}: {} rates{skipped}", sh.as_of, sh.per_eur.len()))
            .collect();
    }
    let first = sheets.iter().map(|s| s.as_of).min();
    let last = sheets.iter().map(|s| s.as_of).max();
    let n: usize = sheets.iter().map(|s| s.per_eur.len()).sum();
    match (first, last) {
        (Some(a), Some(b)) => vec![format!(
            "{} days from {a} to {b}: {n} rates{skipped}",
            sheets.len()
        )],
        _ => Vec::new(),
    }
}
