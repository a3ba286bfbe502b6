//! The monthly branch of the one callback path (`donations::callbacks::apply`): what each
//! subscription event does inside the callback's transaction (see the module above).

use chrono::{DateTime, TimeZone, Utc};

use super::MonthlyStatus;
use crate::db::Tx;
use crate::donations::Intent;
use crate::donations::callbacks::{CallbackError, CallbackOutcome, CallbackStatus, Handled};
use crate::donations::checkout::CheckoutSession;
use crate::donations::ledger::{Donor, NewDonation, Recorded};
use crate::donations::repo::{ledger as ledger_store, monthly as store, receipts as receipt_store};
use crate::email::Email;
use crate::rates::RateTable;
use crate::team::audit::{self, Actor};

pub use shelfraiser_formats::webhook::MonthlyEvent;

fn answer(status: CallbackStatus, campaign_id: &str) -> Handled {
    Handled {
        outcome: CallbackOutcome {
            status,
            donation_id: None,
            campaign_id: campaign_id.to_string(),
            review: None,
        },
        flagged: None,
        disputed: None,
    }
}

/// The checkout of a monthly gift completed and paid: the gift starts, and the first
/// payment is recorded as the checkout's donation (keyed on the first invoice).
pub(crate) async fn started_in(
    tx: &mut Tx,
    provider: &str,
    session: CheckoutSession,
    subscription: &str,
    customer: &str,
    invoice: &str,
    now: DateTime<Utc>,
) -> Result<Handled, CallbackError> {
    let gift = store::by_checkout_in(tx, &session.id)
        .await?
        .ok_or_else(|| CallbackError::Mismatch("the checkout is not a monthly gift".into()))?;
    store::start_in(tx, &gift.id, subscription, customer, now).await?;
    let handled =
        crate::donations::callbacks::captured(tx, provider, session, invoice.to_string(), now)
            .await?;
    if let Some(d) = &handled.outcome.donation_id {
        store::add_payment_in(tx, &gift.id, d, invoice, now).await?;
    }
    Ok(handled)
}

/// A subscription this site does not know: one whose metadata names a checkout of ours is
/// sent again later (its checkout's completion is still to come); any other is ignored.
fn unknown(kind: &str, checkout_id: Option<&String>) -> Result<Handled, CallbackError> {
    match checkout_id {
        Some(_) => Err(CallbackError::NotYet(format!(
            "{kind} for a monthly gift whose checkout has not completed yet"
        ))),
        None => {
            tracing::info!(kind, "subscription event about a subscription not ours");
            Ok(answer(CallbackStatus::Ignored, ""))
        }
    }
}

/// Every subscription event but the start. `rates`: the newest rates, read before the
/// transaction (a renewal is converted at them); `first`: the event is heard for the first
/// time.
pub(crate) async fn apply_in(
    tx: &mut Tx,
    provider: &str,
    ev: &MonthlyEvent,
    rates: Option<&RateTable>,
    first: bool,
    now: DateTime<Utc>,
) -> Result<Handled, CallbackError> {
    match ev {
        MonthlyEvent::Started { .. } => Err(CallbackError::Mismatch(
            "a monthly gift's start names its checkout".into(),
        )),
        MonthlyEvent::Paid {
            first: true,
            subscription,
            invoice,
            checkout_id,
            payment,
            ..
        } => {
            // The first invoice is recorded from the checkout's completion; its payment
            // intent (what refunds and disputes name) comes with this event only.
            let Some(payment) = payment else {
                return Ok(answer(CallbackStatus::Ignored, ""));
            };
            if store::by_subscription_in(tx, subscription).await?.is_none() {
                return unknown("invoice.paid", checkout_id.as_ref());
            }
            let mut h = answer(CallbackStatus::Ignored, "");
            if let Some(donation) = store::set_payment_ref_in(tx, invoice, payment).await? {
                crate::donations::refunds::claim_parked_in(tx, provider, payment, &donation)
                    .await
                    .map_err(crate::donations::callbacks::refund_error)?;
                h.outcome.donation_id = Some(donation);
            }
            Ok(h)
        }
        MonthlyEvent::Paid {
            subscription,
            invoice,
            amount,
            checkout_id,
            payment,
            ..
        } => {
            let Some(gift) = store::by_subscription_in(tx, subscription).await? else {
                return unknown("invoice.paid", checkout_id.as_ref());
            };
            let c = crate::campaigns::repo::by_id_in(tx, &gift.campaign_id)
                .await?
                .ok_or_else(|| CallbackError::UnknownSession(gift.checkout_id.clone()))?;
            let rate = rates
                .and_then(|r| r.rate(amount.currency, c.currency()))
                .ok_or_else(|| {
                    CallbackError::NotYet(format!("no rate from {} yet", amount.currency))
                })?;
            let converted = amount
                .convert(rate, c.currency())
                .map_err(|e| CallbackError::Mismatch(e.to_string()))?;
            let d = NewDonation {
                intent: Intent {
                    campaign_id: gift.campaign_id.clone(),
                    amount: *amount,
                    rate,
                    campaign_amount: converted,
                    // The gift's cover when the invoice charges the gift's amount (a changed
                    // subscription no longer says what part of it covers fees).
                    cover_minor: if *amount == gift.amount {
                        gift.cover_minor
                    } else {
                        0
                    },
                    donor_name: gift.donor_name.clone(),
                    donor_email: gift
                        .donor_email
                        .as_deref()
                        .and_then(|e| Email::parse(e).ok()),
                    message: None,
                    visibility: gift.visibility,
                },
                provider: provider.to_string(),
                provider_reference: invoice.clone(),
                received_on: None,
                rate_on: None,
                note: None,
            };
            // The donor was counted with the first month: a renewal adds money, not a donor.
            let rec = crate::donations::record_counted_in(tx, &d, Donor::AlreadyCounted).await?;
            store::add_payment_in(tx, &gift.id, rec.donation_id(), invoice, now).await?;
            if let Some(payment) = payment {
                store::set_payment_ref_in(tx, invoice, payment).await?;
                // Refunds of this payment heard of before it (parked by its intent).
                let donation = rec.donation_id().to_string();
                crate::donations::refunds::claim_parked_in(tx, provider, payment, &donation)
                    .await
                    .map_err(crate::donations::callbacks::refund_error)?;
            } else {
                tracing::warn!(
                    provider,
                    "a renewal's invoice.paid names no payment: its refunds will not find it"
                );
            }
            let mut h = answer(CallbackStatus::Duplicate, &gift.campaign_id);
            h.outcome.donation_id = Some(rec.donation_id().to_string());
            if let Recorded::New { donation_id, .. } = &rec {
                h.outcome.status = CallbackStatus::Recorded;
                receipt_store::set_lang_in(tx, donation_id, &gift.lang).await?;
                // The money was taken: recorded, but a campaign that stopped accepting
                // gifts is the treasurer's to look at (and to end the gift).
                if c.accepting(now).is_err() {
                    let why = crate::donations::checkout::Unpayable::CampaignNotAccepting;
                    ledger_store::set_review_reason_in(tx, donation_id, why.as_str()).await?;
                    let who = Actor {
                        label: format!("provider:{provider}"),
                        ..Default::default()
                    };
                    let memo = format!(
                        "campaign={} monthly={} reason={}",
                        c.slug,
                        gift.id,
                        why.as_str()
                    );
                    audit::record_in(tx, &who, "donation.needs_review", donation_id, &memo).await?;
                    h.outcome.review = Some(why.as_str());
                    h.flagged = Some(c);
                }
            }
            Ok(h)
        }
        MonthlyEvent::PaymentFailed {
            subscription,
            checkout_id,
            ..
        } => {
            let Some(gift) = store::by_subscription_in(tx, subscription).await? else {
                return unknown("invoice.payment_failed", checkout_id.as_ref());
            };
            store::set_status_in(tx, &gift.id, MonthlyStatus::PastDue, None, now).await?;
            let status = if first {
                CallbackStatus::PastDue
            } else {
                CallbackStatus::Duplicate
            };
            Ok(answer(status, &gift.campaign_id))
        }
        MonthlyEvent::Status {
            subscription,
            status,
            next_payment,
            checkout_id,
        } => {
            let next = next_payment.and_then(|t| Utc.timestamp_opt(t, 0).single());
            let ours = MonthlyStatus::of_stripe(status);
            let Some(gift) = store::by_subscription_in(tx, subscription).await? else {
                // Stripe often tells of the subscription before the checkout's completion;
                // an active one is what the completion makes anyway.
                if ours == Some(MonthlyStatus::Active) {
                    return Ok(answer(CallbackStatus::Ignored, ""));
                }
                return unknown("customer.subscription", checkout_id.as_ref());
            };
            if let Some(s) = ours {
                store::set_status_in(tx, &gift.id, s, next, now).await?;
            }
            Ok(answer(CallbackStatus::Changed, &gift.campaign_id))
        }
    }
}
