//! `donor erase --email …`: erases a donor's personal data (the same path as the donor's own
//! request and the console's button: `privacy::erase`), audited as done by `cli`.

use std::process::ExitCode;

use clap::Subcommand;

use super::{StorageArgs, open, settings};
use crate::email::Email;
use crate::team::audit::Actor;

#[derive(Subcommand, Debug)]
pub enum DonorCmd {
    /// Replace a donor's name, e-mail address and messages by a pseudonym everywhere (the
    /// amounts and the ledger stay).
    Erase {
        /// The donor's e-mail address.
        #[arg(long)]
        email: String,
    },
}

pub(super) async fn run(storage: &StorageArgs, cmd: DonorCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        DonorCmd::Erase { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            let mailer = crate::mail::Mailer::new(&s, db.clone())?;
            let out =
                crate::privacy::erase(&db, &mailer, email.as_str(), "cli", &Actor::cli()).await?;
            println!(
                "erased as {}: {} donations, {} checkouts, {} e-mails, {} consents, {} pledges",
                out.pseudonym, out.donations, out.sessions, out.messages, out.consents, out.pledges
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
