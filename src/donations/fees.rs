//! Processor fees as ledger entries. Every donation through an online provider gets the
//! [`RECORD_FEE`] job in its recording transaction (dedupe key `fee:<donation id>`); the
//! job, on any node's worker and never inside a webhook's transaction, asks the provider what
//! it took (`PaymentProvider::fee`: Stripe's balance transaction, PayPal's capture, the test
//! provider's configured rule) and appends one `fee` entry: negative, in the campaign
//! currency, with the fee as taken (`original_amount_minor`, `original_currency`) and the
//! rate used. A provider that cannot say yet (Stripe before the charge settles) fails the
//! job, which is retried with backoff; a second run finds the entry and does nothing, and
//! the unique index `ledger_one_fee` keeps two racing runs to one entry.
//!
//! Conversion: a fee in the campaign currency is kept as is; in the donation's currency it
//! is converted at the donation's locked rate; in a third currency (a Stripe account whose
//! balance is in another currency than both) at the ECB cross rate of the donation's day
//! (`rates::on`), each rounded half-even once to a minor unit, like the donation itself.
//! Fees never change `campaign_totals`: raised stays gross; the console shows fees and net
//! beside it.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::repo::fees as store;
use super::repo::search;
use crate::db::{Db, DbError, DbResult, Tx};
use crate::jobs::{self, Job};
use crate::money::{CurrencyCode, Money};
use crate::payments::Providers;

pub use super::repo::fees::{EntryRow, NewFee};

/// The job that records a donation's processor fee.
pub const RECORD_FEE: &str = "record_fee";

/// The [`RECORD_FEE`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordFee {
    pub donation_id: String,
}

/// Inside the recording transaction: the fee job of a donation made through a provider
/// (not `offline`: a treasurer's entry has no processor).
pub async fn on_recorded_in(tx: &mut Tx, donation_id: &str, provider: &str) -> DbResult<()> {
    if provider == crate::donations::offline::PROVIDER {
        return Ok(());
    }
    let job = Job::new(
        RECORD_FEE,
        &RecordFee {
            donation_id: donation_id.to_string(),
        },
    )
    .map_err(|e| DbError::Corrupt(format!("fee job: {e}")))?;
    jobs::enqueue_in(tx, &job, Utc::now(), Some(&format!("fee:{donation_id}"))).await?;
    Ok(())
}

/// What `shelfraiser ledger backfill-fees` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backfill {
    /// Provider donations without a fee entry.
    pub missing: usize,
    /// Fee jobs queued now.
    pub queued: usize,
    /// Donations whose fee job is already waiting (or was queued by an earlier backfill).
    pub already: usize,
}

/// Queues the [`RECORD_FEE`] job for every donation through `stripe`, `paypal` or `test`
/// (of `campaign_id`, or all) that has no fee entry: donations recorded before fees were,
/// or whose job ran while its provider was not configured or gave up. A donation whose own
/// `fee:<id>` job still waits is left to it; any other gets one job keyed
/// `fee-backfill:<id>`, at most once ever, so running the backfill again queues nothing
/// twice.
pub async fn backfill(db: &Db, campaign_id: Option<&str>) -> DbResult<Backfill> {
    let ids = store::without_fee(db, campaign_id).await?;
    let mut out = Backfill {
        missing: ids.len(),
        ..Default::default()
    };
    let now = Utc::now();
    for id in ids {
        if jobs::waiting_with_key(db, &format!("fee:{id}")).await? == Some(true) {
            out.already += 1;
            continue;
        }
        let job = Job::new(
            RECORD_FEE,
            &RecordFee {
                donation_id: id.clone(),
            },
        )
        .map_err(|e| DbError::Corrupt(format!("fee job: {e}")))?;
        if jobs::enqueue(db, &job, now, Some(&format!("fee-backfill:{id}"))).await? {
            out.queued += 1;
        } else {
            out.already += 1;
        }
    }
    Ok(out)
}

/// What a run of the job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeeOutcome {
    /// A fee entry appended: the amount in the campaign currency (negative).
    Recorded(i64),
    /// The donation already has its fee entry.
    Already,
    /// The provider took nothing (or is no longer enabled, or the donation is gone).
    None,
}

/// Runs the [`RECORD_FEE`] job: asks the donation's provider for its fee and appends it.
pub async fn run_job(
    db: &Db,
    providers: &Providers,
    p: &RecordFee,
    now: DateTime<Utc>,
) -> anyhow::Result<FeeOutcome> {
    if store::has_fee(db, &p.donation_id).await? {
        return Ok(FeeOutcome::Already);
    }
    let Some(d) = search::by_id(db, &p.donation_id).await? else {
        tracing::warn!(donation = %p.donation_id, "fee job for a donation that does not exist");
        return Ok(FeeOutcome::None);
    };
    let Some(provider) = providers.get(&d.provider) else {
        tracing::warn!(donation = %d.id, provider = %d.provider, "fee job: the provider is not enabled");
        return Ok(FeeOutcome::None);
    };
    let currency = CurrencyCode::parse(&d.currency)?;
    let charged = Money::new(d.amount_minor, currency);
    let reference = match store::payment_of(db, &d.id).await? {
        Some(paid_by) => paid_by,
        None => d.provider_reference.clone(),
    };
    let Some(fee) = provider
        .fee(&reference, charged)
        .await
        .map_err(|e| anyhow::anyhow!("{} fee of donation {}: {e}", d.provider, d.id))?
    else {
        return Ok(FeeOutcome::None);
    };
    let fee = fee.fee;
    if fee.amount_minor == 0 {
        return Ok(FeeOutcome::None);
    }
    let campaign = crate::campaigns::repo::by_id(db, &d.campaign_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("donation {} has no campaign", d.id))?;
    let target = campaign.currency();
    let rate = Decimal::from_str(&d.rate)?;
    let (converted, used) =
        match shelfraiser_formats::fees::fee_in_campaign_currency(fee, currency, rate, target) {
            Some(x) => x,
            None => {
                let day = d.created_at.date_naive();
                let r = crate::rates::on(db, day)
                    .await?
                    .rate(fee.currency, target)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "no ECB rate from {} to {target} on {day} for the fee of donation {}",
                            fee.currency,
                            d.id
                        )
                    })?;
                (fee.convert(r, target)?, Some(r))
            }
        };
    let memo = format!("{} fee", d.provider);
    let appended = store::insert(
        db,
        &NewFee {
            campaign_id: &d.campaign_id,
            donation_id: &d.id,
            amount_minor: -converted.amount_minor,
            original_minor: -fee.amount_minor,
            original_currency: fee.currency.as_str(),
            rate: used.map(|r| r.to_string()),
            memo: &memo,
        },
        now,
    )
    .await?;
    Ok(if appended {
        FeeOutcome::Recorded(-converted.amount_minor)
    } else {
        FeeOutcome::Already
    })
}

/// Gross, fees and net of a campaign in its currency (fees negative, net = gross + fees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrossNet {
    pub gross: Money,
    pub fees: Money,
    pub net: Money,
}

/// [`GrossNet`] from a campaign's raised amount (gross) and its fee entries.
pub async fn gross_net(db: &Db, campaign_id: &str, raised: Money) -> DbResult<GrossNet> {
    let fees = store::totals(db, &[campaign_id.to_string()])
        .await?
        .first()
        .map_or(0, |(_, s)| *s);
    Ok(GrossNet {
        gross: raised,
        fees: Money::new(fees, raised.currency),
        net: Money::new(raised.amount_minor + fees, raised.currency),
    })
}

/// The donation's fee in the campaign currency (negative), when recorded.
pub async fn fee_of(db: &Db, donation_id: &str) -> DbResult<Option<i64>> {
    store::fee_of(db, donation_id).await
}

/// Every ledger entry of `campaign_ids` in `[from, to)`, for the accountants' export.
pub async fn entries(
    db: &Db,
    campaign_ids: &[String],
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> DbResult<Vec<EntryRow>> {
    store::entries(db, campaign_ids, from, to).await
}
