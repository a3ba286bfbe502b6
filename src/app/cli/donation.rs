//! `donation add` (an offline donation), `donation void` (taking a mistaken one back) and
//! `ledger verify`.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};
use crate::campaigns::repo;
use crate::db::Db;
use crate::donations::ledger::{self, Recorded};
use crate::donations::offline::{self, OfflineError, OfflineInput};
use crate::donations::voids::VoidError;
use crate::i18n::I18n;
use crate::money::Money;
use crate::team::audit::Actor;

#[derive(Subcommand, Debug)]
pub enum DonationCmd {
    /// Record an offline donation (cash, bank transfer, cheque).
    Add(Box<DonationAdd>),
    /// Void a mistaken offline donation: a reversing ledger entry, the donation marked voided
    /// (hidden from the wall), audited. It cannot be undone; enter the gift again if needed.
    Void(DonationVoid),
}

#[derive(Args, Debug)]
pub struct DonationVoid {
    /// The donation's id (shown when it was recorded, and in the console).
    pub id: String,
    /// Why it is voided (kept with the void, the ledger entry and the audit log).
    #[arg(long)]
    pub reason: String,
}

#[derive(Args, Debug)]
pub struct DonationAdd {
    /// Campaign slug.
    #[arg(long)]
    pub campaign: String,
    /// Amount in major units, e.g. 25 or 25.50.
    #[arg(long)]
    pub amount: String,
    /// Currency of the amount (ISO 4217); converted to the campaign currency at the ECB
    /// reference rate of the day received (the newest imported rate on or before it).
    #[arg(long)]
    pub currency: String,
    /// Donor name.
    #[arg(long)]
    pub donor: Option<String>,
    /// Donor e-mail.
    #[arg(long)]
    pub email: Option<String>,
    /// Date the money was received (YYYY-MM-DD), not after today [default: today].
    #[arg(long)]
    pub date: Option<String>,
    /// Your time zone (IANA name, e.g. Europe/Copenhagen): what "today" is for --date
    /// [default: this computer's zone].
    #[arg(long)]
    pub time_zone: Option<String>,
    /// Treasurer's note.
    #[arg(long)]
    pub note: Option<String>,
    /// Donor's public message.
    #[arg(long)]
    pub message: Option<String>,
    /// public, anonymous or private.
    #[arg(long, default_value = "private")]
    pub visibility: String,
    /// Your reference (receipt or bank reference). Recording the same reference twice
    /// records one donation. [default: a new random reference]
    #[arg(long)]
    pub reference: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum LedgerCmd {
    /// Recompute every total from the ledger and compare with what pages show.
    Verify,
}

pub(super) async fn run(storage: &StorageArgs, cmd: DonationCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        DonationCmd::Add(a) => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            donation_add(&db, *a).await
        }
        DonationCmd::Void(v) => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            donation_void(&db, v).await
        }
    }
}

/// `ledger verify`: exits with failure when a shown total differs from the ledger.
pub(super) async fn ledger(storage: &StorageArgs, cmd: LedgerCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        LedgerCmd::Verify => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            let r = ledger::verify(&db).await?;
            if r.mismatches.is_empty() {
                println!(
                    "ledger ok: {} campaigns, {} entries, every total matches",
                    r.campaigns, r.entries
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &r.mismatches {
                    eprintln!("mismatch: {m}");
                }
                eprintln!(
                    "error: the ledger and the shown totals differ in {} places",
                    r.mismatches.len()
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn donation_add(db: &Db, a: DonationAdd) -> anyhow::Result<ExitCode> {
    let tr = I18n::new("en");
    let c = repo::by_slug(db, &a.campaign)
        .await?
        .ok_or_else(|| anyhow!("no campaign with the slug {:?}", a.campaign))?;
    let input = OfflineInput {
        amount: a.amount,
        amount_style: None,
        currency: a.currency,
        donor: a.donor,
        email: a.email,
        date: a.date,
        note: a.note,
        message: a.message,
        visibility: a.visibility,
        reference: a.reference,
        today: Some(match a.time_zone.as_deref().map(str::trim) {
            Some(zone) if !zone.is_empty() => {
                if zone.parse::<chrono_tz::Tz>().is_err() {
                    return Err(anyhow!(
                        "--time-zone {zone:?} is not a time zone name (e.g. Europe/Copenhagen)"
                    ));
                }
                offline::today_in(zone)
            }
            _ => chrono::Local::now().date_naive(),
        }),
    };
    let done = offline::add(db, &c, &input, &Actor::cli())
        .await
        .map_err(|errors| match errors.into_iter().next() {
            Some(OfflineError::Db(e)) => anyhow::Error::from(e),
            Some(e) => anyhow!(e.cli_message()),
            None => anyhow!("the donation was refused"),
        })?;
    let (amount, converted, rate) = (done.amount, done.converted, done.rate);
    let rate_of = done
        .rate_on
        .map(|d| format!(" (ECB reference rate of {d})"))
        .unwrap_or_default();
    match done.recorded {
        Recorded::New { donation_id, .. } => {
            let t = repo::totals(db, &c.id).await?;
            println!(
                "recorded donation {donation_id}: {} = {} at {rate}{rate_of}; {} now has {} from {} donations",
                tr.money(amount),
                tr.money(converted),
                c.slug,
                tr.money(Money::new(t.raised_minor, c.currency())),
                t.donor_count
            );
        }
        Recorded::Duplicate { donation_id } => {
            println!(
                "already recorded as donation {donation_id} (same reference); nothing changed"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `donation void ID --reason …`: exits with failure (and the reason) when refused.
async fn donation_void(db: &Db, v: DonationVoid) -> anyhow::Result<ExitCode> {
    let tr = I18n::new("en");
    let done = crate::donations::void(db, v.id.trim(), &v.reason, &Actor::cli())
        .await
        .map_err(|e| match e {
            VoidError::Db(e) => anyhow::Error::from(e),
            VoidError::NoReason | VoidError::ReasonTooLong(_) => anyhow!("--reason: {e}"),
            e => anyhow!("{e}"),
        })?;
    let c = repo::by_id(db, &done.campaign_id)
        .await?
        .ok_or_else(|| anyhow!("the donation's campaign is gone"))?;
    println!(
        "voided donation {}: {} taken back; {} now has {}",
        v.id.trim(),
        tr.money(Money::new(done.amount_minor, c.currency())),
        c.slug,
        tr.money(Money::new(done.raised_minor, c.currency())),
    );
    Ok(ExitCode::SUCCESS)
}
