//! `setup`: the first-run setup for scripted installs (`team::setup::cli_setup`): the site's
//! identity and its first owner, then a one-time sign-in link. Idempotent: run again with an
//! owner's address it updates the identity and prints a fresh link.

use std::io::Read;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use super::{StorageArgs, open, settings};
use crate::i18n::site::Site;

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The site's name (header, page titles, feeds, e-mails).
    #[arg(long)]
    pub site_name: String,
    /// The site's short description (the footer) [default: as stored].
    #[arg(long)]
    pub site_description: Option<String>,
    /// The address the footer shows [default: as stored].
    #[arg(long)]
    pub footer: Option<String>,
    /// The first owner's e-mail address (or an existing owner's, to update the identity).
    #[arg(long)]
    pub owner_email: String,
    /// The first owner's name [default: the part of the address before the @].
    #[arg(long)]
    pub owner_name: Option<String>,
    /// The site's default language (en, da) [default: as stored, else en].
    #[arg(long)]
    pub language: Option<String>,
    /// The site's IANA time zone, e.g. Europe/Copenhagen [default: as stored, else UTC].
    #[arg(long)]
    pub timezone: Option<String>,
    /// Read the owner's password from standard input (else sign in with the printed link and
    /// choose one on the account page).
    #[arg(long)]
    pub password_stdin: bool,
    /// Public base URL for the link [default: the configured base_url, or http://LISTEN].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

pub(super) async fn setup(storage: &StorageArgs, a: SetupArgs) -> anyhow::Result<ExitCode> {
    let mut s = settings(storage, None)?;
    if let Some(b) = &a.base_url {
        s.base_url = b.clone();
    }
    let email =
        crate::email::Email::parse(&a.owner_email).map_err(|e| anyhow!("--owner-email: {e}"))?;
    let password = if a.password_stdin {
        let mut p = String::new();
        std::io::stdin().read_to_string(&mut p)?;
        Some(p.trim_end_matches(['\r', '\n']).to_string())
    } else {
        None
    };
    let db = open(&s).await?;
    let stored = Site::load(&db).await?;
    let lang = a
        .language
        .clone()
        .unwrap_or_else(|| stored.language.unwrap_or("en").to_string());
    let site = Site::checked(
        &a.site_name,
        a.site_description.as_deref().unwrap_or(&stored.description),
        &lang,
        a.timezone.as_deref().unwrap_or(&stored.timezone),
        a.footer.as_deref().unwrap_or(&stored.footer),
    )
    .map_err(|problems| {
        let what: Vec<String> = problems
            .iter()
            .map(|p| match p.field {
                "site_name" => "--site-name must have 1 to 100 characters".to_string(),
                "site_description" => "--site-description can have at most 300 characters".into(),
                "site_language" => format!(
                    "--language must be one of {}",
                    crate::i18n::SUPPORTED
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "site_timezone" => {
                    "--timezone must be an IANA time zone such as Europe/Copenhagen".into()
                }
                _ => "--footer can have at most 300 characters".into(),
            })
            .collect();
        anyhow!("{}", what.join("; "))
    })?;
    let owner_name = a.owner_name.clone().unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("owner")
            .to_string()
    });
    let out = crate::team::setup::cli_setup(
        &db,
        &s.effective_base_url(s.listen),
        &crate::team::setup::CliSetup {
            site,
            owner_email: email.clone(),
            owner_name,
            password,
        },
    )
    .await?;
    if out.created {
        println!(
            "set up {:?} with the owner {}",
            a.site_name.trim(),
            email.as_str()
        );
    } else {
        println!(
            "updated the site's identity ({:?}); {} is its owner",
            a.site_name.trim(),
            email.as_str()
        );
    }
    println!("one-time sign-in link (works once, within 24 hours):");
    println!("{}", out.link);
    Ok(ExitCode::SUCCESS)
}
