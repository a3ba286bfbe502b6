//! `import wordpress`: runs the WordPress importer and prints its report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Import a WordPress export (WXR 1.1/1.2 from Tools → Export): authors, categories,
    /// tags, posts, pages, comments and attachments; old permalinks keep working. Running it
    /// again changes nothing.
    Wordpress(WordpressImport),
}

#[derive(Args, Debug)]
pub struct WordpressImport {
    /// The export file (.xml).
    pub file: PathBuf,
    /// Folder with the site's uploads (wp-content/uploads): images found there are copied.
    /// Without it, attachments keep their original URLs.
    #[arg(long, value_name = "DIR")]
    pub media_dir: Option<PathBuf>,
    /// Show what would be imported without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the time taken and the peak memory (VmHWM) at the end.
    #[arg(long)]
    pub stats: bool,
}

pub(super) async fn run(storage: &StorageArgs, cmd: ImportCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ImportCmd::Wordpress(a) => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            let started = std::time::Instant::now();
            let opts = crate::import::wordpress::Options {
                file: a.file,
                media_dir: a.media_dir,
                dry_run: a.dry_run,
                permalinks: s.blog.permalink.clone(),
            };
            let report = crate::import::wordpress::import(&db, &opts).await?;
            print!("{}", report.render());
            if a.stats {
                println!("time: {:.2} s", started.elapsed().as_secs_f64());
                let hwm = std::fs::read_to_string("/proc/self/status")
                    .ok()
                    .and_then(|t| {
                        t.lines()
                            .find(|l| l.starts_with("VmHWM:"))
                            .map(|l| l["VmHWM:".len()..].trim().to_string())
                    })
                    .unwrap_or_else(|| "unknown".into());
                println!("peak memory (VmHWM): {hwm}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
