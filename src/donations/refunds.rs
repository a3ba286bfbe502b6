//! Refunds: money that went back to a donor, all or part of a donation, each a `refund`
//! ledger entry (the ledger stays append-only) and a `donation_refunds` row.
//!
//! * **From the console** ([`request`], treasurers): a card or PayPal donation is refunded
//!   through its provider (`PaymentProvider::refund`). One transaction stores the request
//!   (`requested`, the member and reason; audited `donation.refund_requested`) after checking
//!   the amount against what is left (the donation less every refund succeeded or under
//!   way); then the provider is called with our refund id as its idempotency key; then a
//!   second transaction keeps the provider's refund id and, when the provider says the money
//!   went back, writes the entry ([`confirm_in`]). A provider down, slow or refusing marks the
//!   request `failed` with the reason: no entry, and the treasurer may ask again.
//! * **From the provider** (the webhook's refund branch of `callbacks::apply`, Stripe's
//!   `charge.refunded` / `refund.*`, PayPal's `PAYMENT.CAPTURE.REFUNDED`): each refund the
//!   event itemises is recorded once by its provider id ([`confirm_in`]): the console's
//!   answer and the webhook, in either order, duplicated, make one entry.
//! * **Offline** ([`record_offline`]): a treasurer records money sent back for an offline
//!   gift, with a memo. A void is for an entry made in error (the gift never was); a refund
//!   is money that went back (the gift was, and is shown refunded).
//!
//! **Conversion** ([`campaign_share`]): a refund is in the donation's currency and is
//! converted at the donation's locked rate, rounded half-even like a donation; the refund
//! that brings the donation's refunds to its whole amount takes the remainder of its
//! campaign-currency amount, so a fully refunded donation counts exactly zero, and only that
//! one takes the donor from the count (`donor_delta` -1; 0 for a monthly renewal, which never
//! counted one). A donation is fully refunded when its succeeded refunds reach its amount in
//! its own currency (`donation_refunds`), which is what the wall and the lists read. Every entry takes the same out of
//! `campaign_totals` in its transaction and bumps the live version; `ledger verify` checks
//! that refund entries never take back more than their donation and that each succeeded
//! refund has its entry.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::offline::PROVIDER as OFFLINE;
use super::repo::ledger as ledger_store;
use super::repo::refunds as store;
use crate::db::{Db, DbError, Tx};
use crate::money::{CurrencyCode, Money};
use crate::payments::{ProviderError, Providers, RefundRequest, RefundState};
use crate::team::audit::{self, Actor};

pub use store::RefundRow;

/// Longest reason or memo accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("no donation {0}")]
    NotFound(String),
    #[error("a voided donation cannot be refunded")]
    Voided,
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("the amount is in {given}, the donation in {donation}")]
    WrongCurrency {
        given: CurrencyCode,
        donation: CurrencyCode,
    },
    /// More than is left to refund (`left`: what may still be refunded).
    #[error("at most {} can be refunded", left.major_string())]
    TooMuch { left: Money },
    #[error("give a reason")]
    NoReason,
    #[error("the reason is longer than {0} characters")]
    ReasonTooLong(usize),
    /// An offline gift is refunded by recording it ([`record_offline`]); a provider's
    /// payment only through its provider.
    #[error("an offline donation is refunded by recording the money sent back")]
    Offline,
    #[error("a {0} payment is refunded through its provider")]
    NotOffline(String),
    /// The provider cannot refund, refused, or could not be reached (the request is kept
    /// as failed with this reason; asking again is safe).
    #[error(transparent)]
    Provider(ProviderError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The campaign-currency amount a refund takes back, and whether it completes the donation's
/// refund. `donation` and `converted` are the donation's amounts (its currency, the
/// campaign's) and `rate` its locked rate; `before` and `converted_before` what its earlier
/// refunds took back (in the same two currencies); `refund` this refund (the donation's
/// currency). The refund that reaches the whole amount takes the remainder; one before it
/// is converted like a donation (half-even), never more than the remainder.
pub fn campaign_share(
    donation: Money,
    converted: Money,
    rate: Decimal,
    before: i64,
    converted_before: i64,
    refund: Money,
) -> Result<(i64, bool), crate::money::MoneyError> {
    let rest = (converted.amount_minor - converted_before).max(0);
    if before.saturating_add(refund.amount_minor) >= donation.amount_minor {
        return Ok((rest, true));
    }
    let share = if refund.currency == converted.currency {
        refund.amount_minor
    } else {
        refund.convert(rate, converted.currency)?.amount_minor
    };
    Ok((share.min(rest), false))
}

/// What a donation's refunds come to, in its own currency.
#[derive(Debug, Clone)]
pub struct Summary {
    pub donation: Money,
    /// Gone back (succeeded refunds).
    pub refunded: Money,
    /// Asked for and not yet done.
    pub under_way: Money,
    /// What may still be refunded.
    pub left: Money,
    pub refunds: Vec<RefundRow>,
}

impl Summary {
    pub fn fully_refunded(&self) -> bool {
        self.refunded.amount_minor >= self.donation.amount_minor
    }
    pub fn partly_refunded(&self) -> bool {
        self.refunded.amount_minor > 0 && !self.fully_refunded()
    }
}

fn summarise(d: &store::Target, refunds: Vec<RefundRow>) -> Result<Summary, RefundError> {
    let currency = CurrencyCode::parse(&d.currency)
        .map_err(|e| DbError::Corrupt(format!("donation currency: {e}")))?;
    let sum = |f: &dyn Fn(&RefundRow) -> bool| -> i64 {
        refunds
            .iter()
            .filter(|r| f(r))
            .map(|r| r.amount_minor)
            .sum()
    };
    let refunded = sum(&|r| r.status == "succeeded");
    let under_way = sum(&|r| r.status == "requested" || r.status == "pending");
    Ok(Summary {
        donation: Money::new(d.amount_minor, currency),
        refunded: Money::new(refunded, currency),
        under_way: Money::new(under_way, currency),
        left: Money::new((d.amount_minor - refunded - under_way).max(0), currency),
        refunds,
    })
}

/// The refunds of a donation and what is left to refund.
pub async fn summary(db: &Db, donation_id: &str) -> Result<Summary, RefundError> {
    let mut tx = db.begin().await?;
    let d = store::target_in(&mut tx, donation_id)
        .await?
        .ok_or_else(|| RefundError::NotFound(donation_id.to_string()))?;
    let refunds = store::of_donation_in(&mut tx, donation_id).await?;
    tx.commit().await?;
    summarise(&d, refunds)
}

/// A refund written into the ledger: the campaign's raised amount and version after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    pub campaign_id: String,
    pub raised_minor: i64,
    pub version: i64,
    /// The campaign-currency amount taken back.
    pub amount_minor: i64,
    pub full: bool,
}

/// Checks a reason (trimmed, at most [`MAX_REASON_CHARS`]); `required` for offline refunds.
fn reason_of(reason: &str, required: bool) -> Result<String, RefundError> {
    let reason = reason.trim();
    if required && reason.is_empty() {
        return Err(RefundError::NoReason);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(RefundError::ReasonTooLong(MAX_REASON_CHARS));
    }
    Ok(reason.to_string())
}

/// Locks the campaign's totals, loads the donation and checks `amount` against what is left.
async fn checked_in(
    tx: &mut Tx,
    donation_id: &str,
    amount: Money,
) -> Result<store::Target, RefundError> {
    let d = store::target_in(tx, donation_id)
        .await?
        .ok_or_else(|| RefundError::NotFound(donation_id.to_string()))?;
    ledger_store::lock_totals_in(tx, &d.campaign_id).await?;
    if super::repo::voids::of_in(tx, &d.id).await?.is_some() {
        return Err(RefundError::Voided);
    }
    let refunds = store::of_donation_in(tx, &d.id).await?;
    let s = summarise(&d, refunds)?;
    if amount.currency != s.donation.currency {
        return Err(RefundError::WrongCurrency {
            given: amount.currency,
            donation: s.donation.currency,
        });
    }
    if amount.amount_minor <= 0 {
        return Err(RefundError::NotPositive);
    }
    if amount.amount_minor > s.left.amount_minor {
        return Err(RefundError::TooMuch { left: s.left });
    }
    Ok(d)
}

fn new_row(
    d: &store::Target,
    amount: Money,
    reason: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> RefundRow {
    RefundRow {
        id: uuid::Uuid::new_v4().to_string(),
        donation_id: d.id.clone(),
        campaign_id: d.campaign_id.clone(),
        provider: d.provider.clone(),
        provider_refund_id: None,
        amount_minor: amount.amount_minor,
        currency: amount.currency.as_str().to_string(),
        campaign_amount_minor: None,
        status: "requested".into(),
        reason: (!reason.is_empty()).then(|| reason.to_string()),
        requested_by: Some(by.label.clone()),
        error: None,
        entry_id: None,
        created_at: now,
        updated_at: now,
    }
}

/// Writes the entry of refund `row` (not yet entered) inside `tx`, which holds the totals
/// lock: converts it ([`campaign_share`]), appends the `refund` entry, takes it out of the
/// totals, marks the row succeeded, notifies the live hub and audits `donation.refunded`.
async fn enter_in(
    tx: &mut Tx,
    d: &store::Target,
    row: &RefundRow,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Entered, RefundError> {
    let corrupt = |what: &str| RefundError::Db(DbError::Corrupt(what.to_string()));
    let currency = CurrencyCode::parse(&d.currency).map_err(|_| corrupt("donation currency"))?;
    let campaign = crate::campaigns::repo::by_id_in(tx, &d.campaign_id)
        .await?
        .ok_or_else(|| corrupt("the donation's campaign"))?;
    let rate: Decimal = d.rate.parse().map_err(|_| corrupt("donation rate"))?;
    let earlier: Vec<RefundRow> = store::of_donation_in(tx, &d.id)
        .await?
        .into_iter()
        .filter(|r| r.status == "succeeded" && r.id != row.id)
        .collect();
    let before: i64 = earlier.iter().map(|r| r.amount_minor).sum();
    let converted_before: i64 = earlier
        .iter()
        .map(|r| r.campaign_amount_minor.unwrap_or(0))
        .sum();
    let (share, full) = campaign_share(
        Money::new(d.amount_minor, currency),
        Money::new(d.campaign_amount_minor, campaign.currency()),
        rate,
        before,
        converted_before,
        Money::new(row.amount_minor, currency),
    )
    .map_err(|e| corrupt(&format!("refund conversion: {e}")))?;
    // The refund that completes takes back the donor its donation counted (none for a
    // monthly renewal, whose donor the first month counted).
    let donor_delta = if full {
        -ledger_store::donor_delta_of_in(tx, &d.id).await?
    } else {
        0
    };
    let memo = match (&row.provider_refund_id, &row.reason) {
        (Some(p), Some(r)) => format!("refund {p}: {r}"),
        (Some(p), None) => format!("refund {p}"),
        (None, Some(r)) => format!("refund: {r}"),
        (None, None) => "refund".into(),
    };
    let entry =
        store::insert_entry_in(tx, &d.campaign_id, &d.id, share, donor_delta, &memo, now).await?;
    let (raised_minor, version) =
        ledger_store::refund_from_totals_in(tx, &d.campaign_id, share, donor_delta, now).await?;
    store::succeeded_in(tx, &row.id, share, &entry, now).await?;
    crate::live::notify(tx, &d.campaign_id).await?;
    audit::record_in(
        tx,
        by,
        "donation.refunded",
        &d.id,
        &format!(
            "campaign={} refund={} amount_minor={} currency={} reversed_minor={share} full={full}",
            campaign.slug, row.id, row.amount_minor, row.currency
        ),
    )
    .await?;
    Ok(Entered {
        campaign_id: d.campaign_id.clone(),
        raised_minor,
        version,
        amount_minor: share,
        full,
    })
}

/// What recording a provider's refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    New(Entered),
    /// Already in the ledger (the console's answer or an earlier delivery).
    Duplicate,
    /// Not recorded: a refund in another currency than the donation's (the treasurers are
    /// told; the ledger keeps no wrong total).
    Refused(String),
}

/// Records the provider's refund `refund_id` of `amount` against donation `donation_id`,
/// once (see the module's documentation), inside `tx`.
pub async fn confirm_in(
    tx: &mut Tx,
    provider: &str,
    donation_id: &str,
    refund_id: &str,
    amount: Money,
    by: &Actor,
) -> Result<Confirmed, RefundError> {
    let now = Utc::now();
    let d = store::target_in(tx, donation_id)
        .await?
        .ok_or_else(|| RefundError::NotFound(donation_id.to_string()))?;
    ledger_store::lock_totals_in(tx, &d.campaign_id).await?;
    if amount.currency.as_str() != d.currency {
        return Ok(Confirmed::Refused(format!(
            "a refund in {} of a donation in {}",
            amount.currency, d.currency
        )));
    }
    let row = match store::by_provider_id_in(tx, provider, refund_id).await? {
        Some(r) if r.entry_id.is_some() || r.status == "succeeded" => {
            return Ok(Confirmed::Duplicate);
        }
        Some(r) if r.donation_id.is_empty() => {
            // Parked before the payment was recorded: it is this donation's now.
            store::claim_in(tx, &r.id, &d.id, &d.campaign_id).await?;
            RefundRow {
                donation_id: d.id.clone(),
                campaign_id: d.campaign_id.clone(),
                ..r
            }
        }
        Some(r) => r,
        None => {
            let mut r = new_row(&d, amount, "", by, now);
            r.requested_by = None;
            r.status = "pending".into();
            r.provider_refund_id = Some(refund_id.to_string());
            if !store::insert_in(tx, &r).await? {
                return Ok(Confirmed::Duplicate);
            }
            r
        }
    };
    if row.amount_minor != amount.amount_minor {
        tracing::warn!(
            provider,
            refund = %row.id,
            asked = row.amount_minor,
            refunded = amount.amount_minor,
            "the provider refunded another amount than asked: its amount is recorded"
        );
    }
    let row = RefundRow {
        amount_minor: amount.amount_minor,
        ..row
    };
    Ok(Confirmed::New(enter_in(tx, &d, &row, by, now).await?))
}

/// Parks a provider's refund of a payment not recorded here (yet), inside `tx`; `true` when
/// first heard of. Recording the payment later ([`claim_parked_in`]) enters it.
pub async fn park_in(
    tx: &mut Tx,
    provider: &str,
    payment_reference: &str,
    refund_id: &str,
    amount: Money,
) -> Result<bool, RefundError> {
    let id = uuid::Uuid::new_v4().to_string();
    Ok(store::park_in(
        tx,
        &id,
        provider,
        refund_id,
        payment_reference,
        amount.amount_minor,
        amount.currency.as_str(),
        Utc::now(),
    )
    .await?)
}

/// A payment was just recorded as `donation_id`: the refunds of it heard of before are
/// entered now, in the recording transaction. The number entered.
pub async fn claim_parked_in(
    tx: &mut Tx,
    provider: &str,
    payment_reference: &str,
    donation_id: &str,
) -> Result<usize, RefundError> {
    let parked = store::parked_in(tx, provider, payment_reference).await?;
    let by = Actor {
        label: format!("provider:{provider}"),
        ..Default::default()
    };
    let mut n = 0;
    for (refund_id, minor, currency) in parked {
        let currency = CurrencyCode::parse(&currency)
            .map_err(|e| DbError::Corrupt(format!("refund currency: {e}")))?;
        let amount = Money::new(minor, currency);
        if let Confirmed::New(_) =
            confirm_in(tx, provider, donation_id, &refund_id, amount, &by).await?
        {
            n += 1;
        }
    }
    Ok(n)
}

/// A console refund done: whether the money is back (entered) or under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    Entered(Entered),
    /// The provider took it and will confirm by webhook (or a webhook already did).
    UnderWay,
}

/// The console's refund of `amount` (the donation's currency) of a provider's payment.
pub async fn request(
    db: &Db,
    providers: &Providers,
    donation_id: &str,
    amount: Money,
    reason: &str,
    by: &Actor,
) -> Result<Requested, RefundError> {
    let reason = reason_of(reason, false)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let d = checked_in(&mut tx, donation_id, amount).await?;
    if d.provider == OFFLINE {
        return Err(RefundError::Offline);
    }
    let provider = providers.get(&d.provider).ok_or_else(|| {
        RefundError::Provider(ProviderError::Unsupported(format!(
            "the {} provider is not enabled",
            d.provider
        )))
    })?;
    let row = new_row(&d, amount, &reason, by, now);
    store::insert_in(&mut tx, &row).await?;
    audit::record_in(
        &mut tx,
        by,
        "donation.refund_requested",
        &d.id,
        &format!(
            "refund={} amount_minor={} currency={} reason={reason}",
            row.id, row.amount_minor, row.currency
        ),
    )
    .await?;
    tx.commit().await?;

    let asked = RefundRequest {
        refund_id: row.id.clone(),
        payment_reference: d.provider_reference.clone(),
        amount,
    };
    let answer = provider.refund(&asked).await;
    settle_answer(db, &d, &row.id, answer, by).await
}

/// What follows the provider's answer to refund request `row_id` (the console's, or the
/// sweep's check of a request left `requested`): transaction two of [`request`].
async fn settle_answer(
    db: &Db,
    d: &store::Target,
    row_id: &str,
    answer: Result<crate::payments::ProviderRefund, ProviderError>,
    by: &Actor,
) -> Result<Requested, RefundError> {
    let mut tx = db.begin().await?;
    ledger_store::lock_totals_in(&mut tx, &d.campaign_id).await?;
    let done = match answer {
        Err(e) => {
            tracing::warn!(provider = %d.provider, refund = %row_id, error = %e, "refund not made");
            store::failed_in(&mut tx, row_id, &e.to_string(), Utc::now()).await?;
            tx.commit().await?;
            return Err(RefundError::Provider(e));
        }
        Ok(p) => p,
    };
    if let Some(other) = store::by_provider_id_in(&mut tx, &d.provider, &done.id).await?
        && other.id != row_id
    {
        // The webhook came first and recorded it: one row, one entry.
        store::merge_request_in(&mut tx, row_id, &other.id).await?;
        tx.commit().await?;
        return Ok(Requested::UnderWay);
    }
    let status = match done.state {
        RefundState::Succeeded | RefundState::Pending => "pending",
        RefundState::Failed => "failed",
    };
    store::set_provider_id_in(&mut tx, row_id, &done.id, status, Utc::now()).await?;
    let out = match done.state {
        RefundState::Succeeded => {
            let row = store::by_id_in(&mut tx, row_id)
                .await?
                .ok_or_else(|| RefundError::NotFound(row_id.to_string()))?;
            Requested::Entered(enter_in(&mut tx, d, &row, by, Utc::now()).await?)
        }
        RefundState::Pending => Requested::UnderWay,
        RefundState::Failed => {
            tx.commit().await?;
            return Err(RefundError::Provider(ProviderError::Unsupported(
                "the provider could not return the money".into(),
            )));
        }
    };
    tx.commit().await?;
    Ok(out)
}

/// A refund request still `requested` this long after it was stored had its provider call
/// cut short (the node stopped or crashed between the two transactions): [`sweep`] checks it.
pub const STUCK_AFTER: chrono::Duration = chrono::Duration::minutes(10);
/// Past this age a stuck request is no longer sent again (the provider keeps an idempotency
/// key for 24 hours, so a repeat could then make a second refund): it is marked failed, and
/// the treasurer checks the provider's dashboard (a refund made there still arrives by
/// webhook) before asking again.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(12);
/// The reason a stuck request is given when it is marked failed.
pub const GAVE_UP: &str = "no answer from the provider within 12 hours: check its dashboard \
     before asking again (a refund made there is recorded when its webhook arrives)";

/// The job that asks the provider about one stuck refund request.
pub const CHECK_REFUND: &str = "check_refund";

/// The [`CHECK_REFUND`] job's payload.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CheckRefund {
    pub refund_id: String,
}

/// Requests stuck as `requested` (see [`STUCK_AFTER`]): one [`CHECK_REFUND`] job each (dedupe
/// key `refund-check:<id>`), or, past [`GIVE_UP_AFTER`], marked failed with [`GAVE_UP`] so the
/// treasurer may ask again. The number of stuck requests found.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<usize, DbError> {
    let stuck = store::stuck(db, now - STUCK_AFTER).await?;
    for r in &stuck {
        if r.created_at <= now - GIVE_UP_AFTER {
            let mut tx = db.begin().await?;
            store::failed_in(&mut tx, &r.id, GAVE_UP, now).await?;
            tx.commit().await?;
            tracing::warn!(refund = %r.id, "refund request without an answer marked failed");
            continue;
        }
        let job = crate::jobs::Job::new(
            CHECK_REFUND,
            &CheckRefund {
                refund_id: r.id.clone(),
            },
        )
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
        crate::jobs::enqueue(db, &job, now, Some(&format!("refund-check:{}", r.id))).await?;
    }
    Ok(stuck.len())
}

/// Runs a [`CHECK_REFUND`] job: sends the stuck request again with the same idempotency key
/// (our refund id), so the provider answers with the refund it made, or makes it now, as the
/// treasurer asked; the answer is settled like the console's. A provider that cannot be
/// reached fails the job (retried with backoff until the sweep gives up on the request).
pub async fn run_check(
    db: &Db,
    providers: &Providers,
    p: &CheckRefund,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    let row = store::by_id_in(&mut tx, &p.refund_id).await?;
    let d = match &row {
        Some(r) if r.status == "requested" && !r.donation_id.is_empty() => {
            store::target_in(&mut tx, &r.donation_id).await?
        }
        _ => None,
    };
    tx.commit().await?;
    let (Some(row), Some(d)) = (row, d) else {
        return Ok(());
    };
    if row.created_at <= now - GIVE_UP_AFTER {
        return Ok(()); // the sweep marks it failed
    }
    let by = Actor {
        label: "system:refund-check".into(),
        ..Default::default()
    };
    let Some(provider) = providers.get(&d.provider) else {
        let mut tx = db.begin().await?;
        store::failed_in(&mut tx, &row.id, "the provider is not enabled", now).await?;
        tx.commit().await?;
        return Ok(());
    };
    let currency = CurrencyCode::parse(&row.currency)?;
    let asked = RefundRequest {
        refund_id: row.id.clone(),
        payment_reference: d.provider_reference.clone(),
        amount: Money::new(row.amount_minor, currency),
    };
    let answer = provider.refund(&asked).await;
    if let Err(ProviderError::Unavailable(e)) = &answer {
        anyhow::bail!("refund {} still without an answer: {e}", row.id);
    }
    match settle_answer(db, &d, &row.id, answer, &by).await {
        Ok(_) | Err(RefundError::Provider(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Records money sent back for an offline gift (`memo`: how and why), in one transaction.
pub async fn record_offline(
    db: &Db,
    donation_id: &str,
    amount: Money,
    memo: &str,
    by: &Actor,
) -> Result<Entered, RefundError> {
    let memo = reason_of(memo, true)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let d = checked_in(&mut tx, donation_id, amount).await?;
    if d.provider != OFFLINE {
        return Err(RefundError::NotOffline(d.provider));
    }
    let row = new_row(&d, amount, &memo, by, now);
    store::insert_in(&mut tx, &row).await?;
    let entered = enter_in(&mut tx, &d, &row, by, now).await?;
    tx.commit().await?;
    Ok(entered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minor: i64, c: &str) -> Money {
        Money::new(minor, CurrencyCode::parse(c).expect("currency"))
    }

    #[test]
    fn partial_refunds_round_like_donations_and_the_last_takes_the_rest() {
        // 10.00 USD at 0.78915 → 7.89 GBP (789.15 pence, half-even).
        let rate: Decimal = "0.78915".parse().expect("rate");
        let (d, c) = (m(1000, "USD"), m(789, "GBP"));
        // 3.33 USD → 262.78… → 263 pence.
        assert_eq!(
            campaign_share(d, c, rate, 0, 0, m(333, "USD")),
            Ok((263, false))
        );
        // 3.33 more: 263 again.
        assert_eq!(
            campaign_share(d, c, rate, 333, 263, m(333, "USD")),
            Ok((263, false))
        );
        // The last 3.34 takes the rest (789 - 526 = 263), not its own 263.58 → 264.
        assert_eq!(
            campaign_share(d, c, rate, 666, 526, m(334, "USD")),
            Ok((263, true))
        );
        // A full refund at once is the donation's campaign amount exactly.
        assert_eq!(
            campaign_share(d, c, rate, 0, 0, m(1000, "USD")),
            Ok((789, true))
        );
        // Half-even: 0.50 USD at 0.01 → 0.5 pence → 0 (to even); 1.50 → 1.5 → 2.
        let tiny: Decimal = "0.01".parse().expect("rate");
        let (d2, c2) = (m(100_000, "USD"), m(1000, "GBP"));
        assert_eq!(
            campaign_share(d2, c2, tiny, 0, 0, m(50, "USD")),
            Ok((0, false))
        );
        assert_eq!(
            campaign_share(d2, c2, tiny, 0, 0, m(150, "USD")),
            Ok((2, false))
        );
        // Never more than what is left in the campaign currency.
        assert_eq!(
            campaign_share(d, c, rate, 500, 788, m(100, "USD")),
            Ok((1, false))
        );
        // The same currency: the amount itself.
        let one: Decimal = Decimal::ONE;
        assert_eq!(
            campaign_share(m(2500, "GBP"), m(2500, "GBP"), one, 0, 0, m(1000, "GBP")),
            Ok((1000, false))
        );
    }
}
