//! `campaign create | list | show | state`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};
use crate::campaigns::create::{CampaignInput, Fault, MAX_MILESTONES, Problem};
use crate::campaigns::{CampaignState, Progress, SlugError, repo};
use crate::db::Db;
use crate::i18n::I18n;
use crate::money::MoneyError;

#[derive(Subcommand, Debug)]
pub enum CampaignCmd {
    /// Create a campaign.
    Create(Box<CampaignCreate>),
    /// List campaigns.
    List,
    /// Show one campaign and its progress.
    Show {
        /// The campaign's slug.
        slug: String,
    },
    /// Change a campaign's state: draft, live, funded or closed.
    State {
        /// The campaign's slug.
        slug: String,
        /// The new state.
        state: String,
    },
}

#[derive(Args, Debug)]
pub struct CampaignCreate {
    /// URL name: lowercase letters, digits and hyphens.
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// Markdown file with the story.
    #[arg(long, value_name = "FILE")]
    pub story_file: Option<PathBuf>,
    /// Goal in major units of the currency, e.g. 12000 or 12000.50.
    #[arg(long)]
    pub goal: String,
    /// Campaign currency (ISO 4217).
    #[arg(long)]
    pub currency: String,
    /// Other accepted currencies, comma-separated (e.g. USD,EUR,DKK).
    #[arg(long, value_delimiter = ',')]
    pub accept: Vec<String>,
    /// Start (RFC 3339 or YYYY-MM-DD) [default: now].
    #[arg(long)]
    pub starts: Option<String>,
    /// End (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub ends: Option<String>,
    #[arg(long, default_value = "")]
    pub beneficiary_name: String,
    #[arg(long, default_value = "")]
    pub beneficiary_place: String,
    /// A milestone as AMOUNT:LABEL, repeatable (e.g. --milestone "2500:Roof and walls").
    #[arg(long = "milestone", value_name = "AMOUNT:LABEL")]
    pub milestones: Vec<String>,
    /// draft or live.
    #[arg(long, default_value = "draft")]
    pub state: String,
    /// Stop taking donations once the goal is reached.
    #[arg(long)]
    pub stop_when_funded: bool,
    /// Show this campaign on the front page.
    #[arg(long)]
    pub featured: bool,
}

pub(super) async fn run(storage: &StorageArgs, cmd: CampaignCmd) -> anyhow::Result<ExitCode> {
    let s = settings(storage, None)?;
    let db = open(&s).await?;
    campaign(&db, cmd).await
}

/// What the command line says about a field at fault, naming its option.
fn problem_text(input: &CampaignInput, p: &Problem) -> String {
    let flag = match p.field {
        "accept" => "--accept".to_string(),
        "milestones" => "--milestone".to_string(),
        other => format!("--{}", other.replace('_', "-")),
    };
    match &p.fault {
        Fault::Slug => SlugError(input.slug.clone()).to_string(),
        Fault::SlugReserved => format!("the slug {:?} is reserved; choose another", input.slug),
        Fault::Required => format!("{flag} must not be empty"),
        Fault::TooLong(max) => format!("{flag} is longer than {max} characters"),
        Fault::Currency(code) => MoneyError::UnknownCurrency(code.clone()).to_string(),
        Fault::Amount(e) if p.field == "goal" => format!("bad --goal: {e}"),
        Fault::Amount(e) => format!("bad {flag} {}: {e}", p.line.unwrap_or(0)),
        Fault::Date(s) => format!("{s:?} is not a date (use YYYY-MM-DD or RFC 3339)"),
        Fault::DateOrder => "--ends must be after --starts".into(),
        Fault::MilestoneShape => {
            "--milestone must look like 2500:Label (a label of at most 120 characters)".into()
        }
        Fault::TooManyMilestones => format!("at most {MAX_MILESTONES} milestones"),
        Fault::State(s) => format!("--state must be draft or live, not {s:?}"),
        Fault::Markdown(e) => format!("--story-file: {e}"),
    }
}

async fn campaign(db: &Db, cmd: CampaignCmd) -> anyhow::Result<ExitCode> {
    let tr = I18n::new("en");
    match cmd {
        CampaignCmd::Create(a) => {
            let story = match &a.story_file {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
                None => String::new(),
            };
            let input = CampaignInput {
                slug: a.slug,
                title: a.title,
                summary: a.summary,
                story,
                goal: a.goal,
                currency: a.currency,
                accept: a.accept,
                starts: a.starts.unwrap_or_default(),
                ends: a.ends.unwrap_or_default(),
                beneficiary_name: a.beneficiary_name,
                beneficiary_place: a.beneficiary_place,
                milestones: a.milestones,
                state: a.state,
                keep_accepting: !a.stop_when_funded,
                featured: a.featured,
            };
            let n = match input.check(Utc::now()) {
                Ok(n) => n,
                Err(problems) => {
                    let first = problems
                        .first()
                        .map(|p| problem_text(&input, p))
                        .unwrap_or_default();
                    bail!("{first}");
                }
            };
            let c = repo::create(db, &n).await?;
            crate::federation::ensure_for_new_campaign(db, &c.id).await;
            println!(
                "created campaign {} ({}), goal {}",
                c.slug,
                c.state.as_str(),
                tr.money(c.goal)
            );
            Ok(ExitCode::SUCCESS)
        }
        CampaignCmd::List => {
            for c in repo::list(db).await? {
                let t = repo::totals(db, &c.id).await?;
                let p = Progress::of(&c, &t, Utc::now());
                println!(
                    "{}\t{}\t{} of {}\t{}%\t{}",
                    c.slug,
                    c.state.as_str(),
                    tr.money(p.raised),
                    tr.money(p.goal),
                    p.percent,
                    c.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CampaignCmd::State { slug, state } => {
            let c = repo::by_slug(db, &slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?;
            let new = CampaignState::parse(&state).ok_or_else(|| {
                anyhow!("the state must be draft, live, funded or closed, not {state:?}")
            })?;
            repo::set_state(db, &c.id, new).await?;
            println!("{} is now {}", c.slug, new.as_str());
            Ok(ExitCode::SUCCESS)
        }
        CampaignCmd::Show { slug } => {
            let c = repo::by_slug(db, &slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?;
            let t = repo::totals(db, &c.id).await?;
            let p = Progress::of(&c, &t, Utc::now());
            println!("slug:        {}", c.slug);
            println!("title:       {}", c.title);
            println!("state:       {}", c.state.as_str());
            println!(
                "raised:      {} of {} ({}%)",
                tr.money(p.raised),
                tr.money(p.goal),
                p.percent
            );
            println!("donations:   {}", p.donors);
            println!(
                "currencies:  {}",
                c.accepted
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("starts:      {}", c.starts_at.to_rfc3339());
            println!(
                "ends:        {}",
                c.ends_at
                    .map(|e| e.to_rfc3339())
                    .unwrap_or_else(|| "-".into())
            );
            for m in repo::milestones(db, &c).await? {
                println!(
                    "milestone:   {} {}{}",
                    tr.money(m.amount),
                    m.label,
                    if t.raised_minor >= m.amount.amount_minor {
                        " (reached)"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
