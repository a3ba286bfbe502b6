//! `campaign create | list | show | state`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};
use crate::campaigns::{CampaignState, Milestone, NewCampaign, Progress, Slug, repo};
use crate::db::Db;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};

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

fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow!("{s:?} is not a date (use YYYY-MM-DD or RFC 3339)"))?;
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(|| anyhow!("bad date {s}"))
}

async fn campaign(db: &Db, cmd: CampaignCmd) -> anyhow::Result<ExitCode> {
    let tr = I18n::new("en");
    match cmd {
        CampaignCmd::Create(a) => {
            let currency = CurrencyCode::parse(&a.currency)?;
            let goal = Money::parse_major(&a.goal, currency).context("bad --goal")?;
            let mut accepted = vec![currency];
            for c in &a.accept {
                let c = CurrencyCode::parse(c)?;
                if !accepted.contains(&c) {
                    accepted.push(c);
                }
            }
            let mut milestones = Vec::new();
            for m in &a.milestones {
                let (amt, label) = m
                    .split_once(':')
                    .ok_or_else(|| anyhow!("--milestone must look like 2500:Label"))?;
                milestones.push(Milestone {
                    amount: Money::parse_major(amt, currency)?,
                    label: label.trim().to_string(),
                });
            }
            let state = match a.state.as_str() {
                "draft" => CampaignState::Draft,
                "live" => CampaignState::Live,
                other => bail!("--state must be draft or live, not {other:?}"),
            };
            let story = match &a.story_file {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
                None => String::new(),
            };
            let n = NewCampaign {
                slug: Slug::parse(&a.slug)?,
                title: a.title.trim().to_string(),
                summary: a.summary,
                story_md: story,
                goal,
                accepted,
                starts_at: a
                    .starts
                    .as_deref()
                    .map(parse_time)
                    .transpose()?
                    .unwrap_or_else(Utc::now),
                ends_at: a.ends.as_deref().map(parse_time).transpose()?,
                beneficiary_name: a.beneficiary_name,
                beneficiary_place: a.beneficiary_place,
                cover_image_url: None,
                cover_image_alt: None,
                state,
                keep_accepting: !a.stop_when_funded,
                featured: a.featured,
                milestones,
            };
            if n.title.is_empty() {
                bail!("--title must not be empty");
            }
            let c = repo::create(db, &n).await?;
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
