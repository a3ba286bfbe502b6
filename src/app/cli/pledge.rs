//! `pledge add|list|fulfil|cancel`: the console's Pledges page on the command line (the same
//! rules, `donations::pledges`). Matching gifts are recorded in the console.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};
use crate::campaigns::{Campaign, repo};
use crate::db::Db;
use crate::donations::pledges::{self, PledgeError, PledgeInput};
use crate::donations::repo::pledges::Table;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::team::audit::Actor;

#[derive(Subcommand, Debug)]
pub enum PledgeCmd {
    /// Record money promised but not yet received (shown apart from raised, as pledged).
    Add(PledgeAdd),
    /// List a campaign's pledges (open ones first).
    List {
        /// Campaign slug.
        #[arg(long)]
        campaign: String,
    },
    /// The money arrived: record the pledge as an offline donation and end it, in one step.
    Fulfil {
        /// The pledge's id (shown when it was recorded, and by `pledge list`).
        id: String,
        /// Date the money was received (YYYY-MM-DD), not after today [default: today].
        #[arg(long)]
        date: Option<String>,
        /// Your time zone (IANA name): what "today" is [default: this computer's zone].
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Cancel a pledge that will not be paid.
    Cancel {
        /// The pledge's id.
        id: String,
        /// Why (kept with the pledge and in the audit log).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Args, Debug)]
pub struct PledgeAdd {
    /// Campaign slug.
    #[arg(long)]
    pub campaign: String,
    /// Who promised the money.
    #[arg(long)]
    pub pledger: String,
    /// Amount in major units, e.g. 500 or 12.50.
    #[arg(long)]
    pub amount: String,
    /// Currency (ISO 4217), one the campaign accepts.
    #[arg(long)]
    pub currency: String,
    /// When the money is expected (YYYY-MM-DD).
    #[arg(long)]
    pub expected: Option<String>,
    /// Treasurer's note.
    #[arg(long)]
    pub note: Option<String>,
    /// public, anonymous or private: how the donation it becomes shows on the wall.
    #[arg(long, default_value = "public")]
    pub visibility: String,
}

fn cli_error(e: PledgeError) -> anyhow::Error {
    match e {
        PledgeError::Db(e) => anyhow::Error::from(e),
        e if e.field().is_empty() => anyhow!("{e}"),
        e => anyhow!("--{} {e}", e.field()),
    }
}

async fn campaign_of(db: &Db, pledge_id: &str) -> anyhow::Result<Campaign> {
    let p = pledges::get(db, pledge_id)
        .await?
        .ok_or_else(|| anyhow!("no pledge {pledge_id}"))?;
    repo::by_id(db, &p.campaign_id)
        .await?
        .ok_or_else(|| anyhow!("the pledge's campaign is gone"))
}

async fn by_slug(db: &Db, slug: &str) -> anyhow::Result<Campaign> {
    repo::by_slug(db, slug)
        .await?
        .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))
}

pub(super) async fn run(storage: &StorageArgs, cmd: PledgeCmd) -> anyhow::Result<ExitCode> {
    let s = settings(storage, None)?;
    let db = open(&s).await?;
    let tr = I18n::new("en");
    let by = Actor::cli();
    match cmd {
        PledgeCmd::Add(a) => {
            let c = by_slug(&db, &a.campaign).await?;
            let input = PledgeInput {
                pledger: a.pledger,
                amount: a.amount,
                amount_style: None,
                currency: a.currency,
                expected_on: a.expected.unwrap_or_default(),
                note: a.note.unwrap_or_default(),
                visibility: a.visibility,
            };
            let (p, _) = pledges::add(&db, &c, &input, &by)
                .await
                .map_err(|errors| match errors.into_iter().next() {
                    Some(e) => cli_error(e),
                    None => anyhow!("the pledge was refused"),
                })?;
            println!(
                "recorded pledge {}: {} from {}",
                p.id,
                shown(&tr, &p),
                p.pledger
            );
        }
        PledgeCmd::List { campaign } => {
            let c = by_slug(&db, &campaign).await?;
            for p in pledges::list(&db, std::slice::from_ref(&c.id)).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.status,
                    shown(&tr, &p),
                    p.pledger,
                    p.expected_on.map(|d| d.to_string()).unwrap_or_default()
                );
            }
        }
        PledgeCmd::Fulfil {
            id,
            date,
            time_zone,
        } => {
            let c = campaign_of(&db, id.trim()).await?;
            let today = match time_zone.as_deref().map(str::trim) {
                Some(zone) if !zone.is_empty() => {
                    if zone.parse::<chrono_tz::Tz>().is_err() {
                        return Err(anyhow!("--time-zone {zone:?} is not a time zone name"));
                    }
                    crate::donations::offline::today_in(zone)
                }
                _ => chrono::Local::now().date_naive(),
            };
            let done = pledges::fulfil(&db, &c, id.trim(), &date.unwrap_or_default(), today, &by)
                .await
                .map_err(cli_error)?;
            let t = repo::totals(&db, &c.id).await?;
            println!(
                "pledge {} is now donation {} ({}); {} now has {}",
                id.trim(),
                done.donation_id,
                tr.money(done.converted),
                c.slug,
                tr.money(Money::new(t.raised_minor, c.currency()))
            );
        }
        PledgeCmd::Cancel { id, reason } => {
            let c = campaign_of(&db, id.trim()).await?;
            pledges::cancel(&db, &c, Table::Pledges, id.trim(), &reason, &by)
                .await
                .map_err(cli_error)?;
            println!("cancelled pledge {}", id.trim());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn shown(tr: &I18n, p: &pledges::Pledge) -> String {
    CurrencyCode::parse(&p.currency)
        .map(|c| tr.money(Money::new(p.amount_minor, c)))
        .unwrap_or_else(|_| format!("{} {}", p.amount_minor, p.currency))
}
