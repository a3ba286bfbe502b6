//! `donation add` (an offline donation), `donation void` (taking a mistaken one back) and
//! `ledger verify` and `ledger reconcile`.

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
    /// Compare the ledger with a provider's own records of a period (Stripe's balance
    /// transactions, PayPal's transaction search) and list every difference; exits with
    /// failure when there is one.
    Reconcile(Reconcile),
    /// Queue the fee job for every Stripe, PayPal and test donation without a fee entry
    /// (recorded before fees were, or whose provider was not configured when its job ran);
    /// the server's worker or `shelfraiser jobs run` records them. Running it again queues
    /// nothing twice.
    BackfillFees(BackfillFees),
}

#[derive(Args, Debug)]
pub struct BackfillFees {
    /// Only this campaign's donations (its slug).
    #[arg(long)]
    pub campaign: Option<String>,
}

#[derive(Args, Debug)]
pub struct Reconcile {
    /// `stripe` or `paypal`.
    #[arg(long)]
    pub provider: String,
    /// The first day (UTC), YYYY-MM-DD.
    #[arg(long)]
    pub from: chrono::NaiveDate,
    /// The last day (UTC, included), YYYY-MM-DD.
    #[arg(long)]
    pub to: chrono::NaiveDate,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
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
        LedgerCmd::Reconcile(r) => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            reconcile(&s, &db, r).await
        }
        LedgerCmd::BackfillFees(b) => {
            let s = settings(storage, None)?;
            let db = open(&s).await?;
            let campaign = match &b.campaign {
                Some(slug) => Some(
                    repo::by_slug(&db, slug)
                        .await?
                        .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?
                        .id,
                ),
                None => None,
            };
            let r = crate::donations::fees::backfill(&db, campaign.as_deref()).await?;
            println!(
                "queued {} fee jobs ({} provider donations without a fee entry, {} already queued)",
                r.queued, r.missing, r.already
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `ledger reconcile`: the report, readable or JSON; failure when anything differs.
async fn reconcile(s: &crate::config::Settings, db: &Db, r: Reconcile) -> anyhow::Result<ExitCode> {
    if r.to < r.from {
        anyhow::bail!("--to is before --from");
    }
    let providers = crate::app::server::providers(s, db).await?;
    let provider = providers
        .get(&r.provider)
        .filter(|p| ["stripe", "paypal"].contains(&p.name()))
        .ok_or_else(|| {
            anyhow!(
                "{:?} is not an enabled provider with records (stripe, paypal)",
                r.provider
            )
        })?;
    let from = r.from.and_time(chrono::NaiveTime::MIN).and_utc();
    let to = (r.to + chrono::Days::new(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let report = crate::donations::reconcile::reconcile(db, provider.as_ref(), from, to).await?;
    if r.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} from {} to {} (included): {} payments in our ledger, {} payments and refunds at {}",
            report.provider, r.from, r.to, report.ours, report.theirs, report.provider
        );
        for d in &report.differences {
            println!("difference: {d}");
        }
        if report.differences.is_empty() {
            println!("reconciled: no differences");
        } else {
            eprintln!("error: {} differences", report.differences.len());
        }
    }
    Ok(if report.differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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
