//! `user add` and `token create`: team members and their personal API tokens.

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};
use crate::campaigns::repo;
use crate::db::Db;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a team member (or give an existing one more roles) and print a one-time
    /// sign-in link.
    Add(UserAdd),
}

#[derive(Args, Debug)]
pub struct UserAdd {
    /// The member's e-mail address.
    #[arg(long)]
    pub email: String,
    /// The member's display name.
    #[arg(long)]
    pub name: String,
    /// owner, editor, treasurer or member; repeatable.
    #[arg(long = "role", required = true, value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Give the roles for this campaign only (its slug) instead of the whole site.
    #[arg(long, value_name = "SLUG")]
    pub campaign: Option<String>,
    /// IANA time zone, e.g. Europe/Copenhagen.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// Languages in order of preference, e.g. da or da,en.
    #[arg(long, default_value = "en")]
    pub language: String,
    /// Public base URL for the link [default: the configured base_url, or http://LISTEN].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a personal API token for a member and print it (shown only this once).
    Create {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

pub(super) async fn user(storage: &StorageArgs, cmd: UserCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCmd::Add(a) => {
            let mut s = settings(storage, None)?;
            if let Some(b) = &a.base_url {
                s.base_url = b.clone();
            }
            let db = open(&s).await?;
            user_add(&db, &s.effective_base_url(s.listen), a).await
        }
    }
}

pub(super) async fn token(storage: &StorageArgs, cmd: TokenCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCmd::Create { email, label } => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            token_create(&db, &email, &label).await
        }
    }
}

/// `token create`: prints the new token alone on stdout (for scripts).
async fn token_create(db: &Db, email: &str, label: &str) -> anyhow::Result<ExitCode> {
    let m = crate::team::repo::by_email(db, email)
        .await?
        .ok_or_else(|| anyhow!("no member with the e-mail address {email:?}"))?;
    if !m.is_active() {
        bail!("the member {email} is {}, not active", m.status);
    }
    let label = crate::team::tokens::clean_label(label).ok_or_else(|| {
        anyhow!(
            "--label must be 1 to {} characters",
            crate::team::tokens::MAX_LABEL
        )
    })?;
    let (_, token) =
        crate::team::tokens::create(db, &m.id, &label, &crate::team::audit::Actor::cli()).await?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

async fn user_add(db: &Db, base_url: &str, a: UserAdd) -> anyhow::Result<ExitCode> {
    let mut roles = Vec::new();
    let scope = match &a.campaign {
        Some(slug) => Some(
            repo::by_slug(db, slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?
                .id,
        ),
        None => None,
    };
    for r in &a.roles {
        let role = crate::team::Role::parse(r.trim())
            .ok_or_else(|| anyhow!("unknown role {r:?}: use owner, editor, treasurer or member"))?;
        roles.push((role, scope.clone()));
    }
    let tz = a.time_zone.trim();
    if tz.parse::<chrono_tz::Tz>().is_err() {
        bail!("--time-zone must be an IANA time zone such as Europe/Copenhagen, not {tz:?}");
    }
    let new = crate::team::repo::NewMember {
        email: crate::email::Email::parse(&a.email)?,
        display_name: a.name.trim().to_string(),
        time_zone: tz.to_string(),
        languages: a.language.trim().to_string(),
        status: crate::team::MemberStatus::Active,
    };
    let added = crate::team::signin::add_member_with_link(db, base_url, &new, &roles).await?;
    let roles_text = a.roles.join(", ");
    let scope_text = a
        .campaign
        .as_ref()
        .map(|c| format!(" on the campaign {c}"))
        .unwrap_or_default();
    if added.created {
        println!(
            "added {} ({}) as {roles_text}{scope_text}",
            added.member.email, added.member.display_name
        );
    } else {
        println!(
            "{} already exists: gave them {roles_text}{scope_text}",
            added.member.email
        );
    }
    println!("one-time sign-in link (works once, within 24 hours):");
    println!("{}", added.link);
    Ok(ExitCode::SUCCESS)
}
