//! The one path every provider callback takes: verify → claim the session → record the
//! donation (idempotent) → commit. What follows the commit (metrics, the treasurers' e-mail
//! about a flagged donation, telling this node's live hub) is the caller's: see
//! `donations::pages::provider`.
//!
//! A capture for a session that could not be paid any more (`checkout::payable`: expired,
//! declined, canceled, or the campaign stopped accepting) is recorded — the money was taken
//! — with `review_reason` set and a `donation.needs_review` audit entry in the same
//! transaction ([`Handled::flagged`] names the campaign whose treasurers are to be told); a
//! declined or canceled session keeps its status. A decline or cancel only ever changes an
//! `open` session. Used by `POST /providers/{name}/callback` and by the test provider's
//! hosted page.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Serialize;

use super::checkout::{self, SessionStatus, Unpayable};
use super::ledger::{NewDonation, Recorded};
use super::monthly::events::{self as monthly_events, MonthlyEvent};
use super::repo::{events, ledger as ledger_store, sessions};
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, Tx};
use crate::payments::{CallbackEvent, ProviderError, Providers, VerifiedCallback};
use crate::team::audit::{self, Actor};

/// How long a checkout completed with its payment under way (an asynchronous method such as
/// a bank debit) stays payable: longer than such payments take to settle.
pub const PAYMENT_UNDER_WAY: chrono::Duration = chrono::Duration::days(14);

/// What a callback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackStatus {
    /// A new donation was recorded.
    Recorded,
    /// The payment was already recorded.
    Duplicate,
    Declined,
    Canceled,
    /// The checkout is complete, its payment not yet (an asynchronous method).
    Pending,
    /// A refund made at the provider: each refund it names recorded once as a `refund`
    /// ledger entry (`donations::refunds`), or parked until its payment is recorded.
    Refunded,
    /// A dispute (chargeback) opened at the provider; the treasurers are told.
    Disputed,
    /// An event type this site does not act on.
    Ignored,
    /// A card attempt declined (its fingerprint noted for the card-testing defence); the
    /// checkout stays open.
    #[serde(rename = "card_declined")]
    CardDeclined,
    /// A monthly gift's payment failed (first heard of now); the treasurers are told.
    PastDue,
    /// A monthly gift's status followed the provider's.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackOutcome {
    pub status: CallbackStatus,
    pub donation_id: Option<String>,
    #[serde(skip)]
    pub campaign_id: String,
    /// Why a recorded donation needs the treasurer's review (the session could not be paid
    /// any more: `session-expired`, `session-declined`, `session-canceled`,
    /// `campaign-not-accepting`); absent when all is well.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<&'static str>,
}

/// A committed callback: its outcome and, when a donation was flagged for review, its
/// campaign (whose treasurers are to be told).
#[derive(Debug, Clone)]
pub struct Handled {
    pub outcome: CallbackOutcome,
    pub flagged: Option<Campaign>,
    /// A dispute opened on a donation of this campaign, first heard of now (its reason).
    pub disputed: Option<(Campaign, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("unknown payment provider")]
    UnknownProvider,
    /// The callback failed verification (signature, age, body).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("no checkout session {0}")]
    UnknownSession(String),
    #[error("the callback does not match its checkout session: {0}")]
    Mismatch(String),
    /// The provider reports another amount than the session asked for.
    #[error("the callback does not match its checkout session: {0}")]
    AmountMismatch(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The event can be applied only after one still to come (a monthly gift's completion):
    /// answered so that the provider sends it again later.
    #[error("not yet: {0}")]
    NotYet(String),
}

impl CallbackError {
    /// Whether the callback was refused as not genuine or not matching (counted by the
    /// `callbacks_rejected` metric).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            CallbackError::Provider(_) | CallbackError::AmountMismatch(_)
        )
    }
}

/// Verifies a provider's callback and applies it in one transaction.
pub async fn handle(
    db: &Db,
    providers: &Providers,
    provider: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Handled, CallbackError> {
    let p = providers
        .get(provider)
        .ok_or(CallbackError::UnknownProvider)?;
    let cb = match p.verify_callback_async(headers, body, Utc::now()).await {
        Ok(cb) => cb,
        Err(e) => {
            tracing::warn!(provider, error = %e, "callback refused");
            return Err(e.into());
        }
    };
    apply(db, provider, cb).await
}

/// Applies a verified callback in one transaction: what a webhook does once verified, and
/// what a provider's return route does with the capture it made itself (PayPal).
pub async fn apply(
    db: &Db,
    provider: &str,
    cb: VerifiedCallback,
) -> Result<Handled, CallbackError> {
    let now = Utc::now();
    // A monthly renewal is converted at the newest rates (read before the transaction).
    let rates = match &cb.kind {
        CallbackEvent::Monthly(MonthlyEvent::Paid { first: false, .. }) => {
            Some(crate::rates::latest(db).await?)
        }
        _ => None,
    };
    let mut tx = db.begin().await?;
    let first = events::note_in(&mut tx, provider, &cb.event_id, now).await?;
    if let CallbackEvent::CardDeclined {
        fingerprint,
        attempt,
    } = &cb.kind
    {
        let handled =
            card_declined(&mut tx, provider, &cb.session_id, fingerprint, attempt, now).await?;
        tx.commit().await?;
        return Ok(handled);
    }
    if let CallbackEvent::Monthly(m) = &cb.kind
        && !matches!(m, MonthlyEvent::Started { .. })
    {
        let handled =
            monthly_events::apply_in(&mut tx, provider, m, rates.as_ref(), first, now).await?;
        tx.commit().await?;
        return Ok(handled);
    }
    // A monthly gift's start is its checkout's success, with the subscription beside it.
    let (kind, start) = match cb.kind {
        CallbackEvent::Monthly(MonthlyEvent::Started {
            subscription,
            customer,
            invoice,
            amount,
        }) => (
            CallbackEvent::Succeeded {
                payment_reference: invoice.clone(),
                amount,
            },
            Some((subscription, customer, invoice)),
        ),
        k => (k, None),
    };
    let cb = VerifiedCallback { kind, ..cb };
    if let Some(status) = without_session(&cb.kind) {
        let handled = about_payment(&mut tx, provider, &cb.kind, status, first).await?;
        tx.commit().await?;
        return Ok(handled);
    }
    let session = sessions::claim_in(&mut tx, &cb.session_id)
        .await?
        .ok_or_else(|| CallbackError::UnknownSession(cb.session_id.clone()))?;
    if session.provider != provider {
        return Err(CallbackError::Mismatch(
            "the session belongs to another provider".into(),
        ));
    }
    let handled = match cb.kind {
        CallbackEvent::Succeeded {
            payment_reference,
            amount,
        } => {
            if amount != session.intent.amount {
                return Err(CallbackError::AmountMismatch(format!(
                    "paid {:?} but the session asked for {:?}",
                    amount, session.intent.amount
                )));
            }
            if session.status == SessionStatus::Succeeded {
                Handled {
                    outcome: CallbackOutcome {
                        status: CallbackStatus::Duplicate,
                        donation_id: session.donation_id.clone(),
                        campaign_id: session.campaign_id().to_string(),
                        review: None,
                    },
                    flagged: None,
                    disputed: None,
                }
            } else if let Some((subscription, customer, invoice)) = start {
                monthly_events::started_in(
                    &mut tx,
                    provider,
                    session,
                    &subscription,
                    &customer,
                    &invoice,
                    now,
                )
                .await?
            } else {
                captured(&mut tx, provider, session, payment_reference, now).await?
            }
        }
        CallbackEvent::Pending
        | CallbackEvent::Refunded { .. }
        | CallbackEvent::Disputed { .. }
        | CallbackEvent::CardDeclined { .. }
        | CallbackEvent::Ignored { .. }
        | CallbackEvent::Monthly(_) => {
            // The donor finished the checkout in time and the payment is under way (a bank
            // debit takes days): the session stays payable for as long as that may take, so
            // its success is not flagged as late.
            if cb.kind == CallbackEvent::Pending {
                sessions::extend_open_in(&mut tx, &session.id, now + PAYMENT_UNDER_WAY).await?;
            }
            Handled {
                outcome: CallbackOutcome {
                    status: CallbackStatus::Pending,
                    donation_id: session.donation_id.clone(),
                    campaign_id: session.campaign_id().to_string(),
                    review: None,
                },
                flagged: None,
                disputed: None,
            }
        }
        CallbackEvent::Declined | CallbackEvent::Canceled => {
            let (new_status, label) = if cb.kind == CallbackEvent::Declined {
                (SessionStatus::Declined, CallbackStatus::Declined)
            } else {
                (SessionStatus::Canceled, CallbackStatus::Canceled)
            };
            sessions::close_open_in(&mut tx, &session.id, new_status).await?;
            Handled {
                outcome: CallbackOutcome {
                    status: label,
                    donation_id: session.donation_id.clone(),
                    campaign_id: session.campaign_id().to_string(),
                    review: None,
                },
                flagged: None,
                disputed: None,
            }
        }
    };
    tx.commit().await?;
    Ok(handled)
}

/// The money was captured: record it whatever the session's state, but a session that could
/// not be paid any more is flagged for the treasurer and a declined or canceled one keeps
/// its status.
pub(super) async fn captured(
    tx: &mut Tx,
    provider: &str,
    session: checkout::CheckoutSession,
    payment_reference: String,
    now: DateTime<Utc>,
) -> Result<Handled, CallbackError> {
    let campaign = crate::campaigns::repo::by_id_in(tx, session.campaign_id())
        .await?
        .ok_or_else(|| CallbackError::UnknownSession(session.id.clone()))?;
    let review = checkout::payable(&session, &campaign, now).err();
    let d = NewDonation {
        intent: session.intent.clone(),
        provider: provider.to_string(),
        provider_reference: payment_reference,
        received_on: None,
        rate_on: None,
        note: None,
    };
    let rec = super::record_in(tx, &d).await?;
    if let Recorded::New { donation_id, .. } = &rec {
        // Refunds of this payment heard of before it (webhooks come in any order).
        super::refunds::claim_parked_in(tx, provider, &d.provider_reference, donation_id)
            .await
            .map_err(refund_error)?;
    }
    let new_status = if session.status == SessionStatus::Open {
        SessionStatus::Succeeded
    } else {
        session.status
    };
    sessions::settle_in(tx, &session.id, new_status, rec.donation_id()).await?;
    let is_new = matches!(rec, Recorded::New { .. });
    if is_new {
        super::consents::on_captured_in(tx, &session.id, now).await?;
    }
    let review = review.filter(|_| is_new);
    let mut flagged = None;
    if let Some(why) = review {
        ledger_store::set_review_reason_in(tx, rec.donation_id(), why.as_str()).await?;
        let who = Actor {
            label: format!("provider:{provider}"),
            ..Default::default()
        };
        audit::record_in(
            tx,
            &who,
            "donation.needs_review",
            rec.donation_id(),
            &format!(
                "campaign={} session={} reason={}",
                campaign.slug,
                session.id,
                why.as_str()
            ),
        )
        .await?;
        flagged = Some(campaign);
    }
    Ok(Handled {
        outcome: CallbackOutcome {
            status: if is_new {
                CallbackStatus::Recorded
            } else {
                CallbackStatus::Duplicate
            },
            donation_id: Some(rec.donation_id().to_string()),
            campaign_id: session.campaign_id().to_string(),
            review: review.map(Unpayable::as_str),
        },
        flagged,
        disputed: None,
    })
}

/// The review reason of a refund of a payment not recorded here: the refund is parked until
/// the payment is, and the site's treasurers are told.
pub const UNKNOWN_PAYMENT: &str = "refund-unknown-payment";
/// The review reason of a refund in another currency than its donation: not recorded.
pub const REFUND_CURRENCY: &str = "refund-currency";

/// A refund's store error as the callback's (its other refusals cannot happen here).
pub(crate) fn refund_error(e: super::refunds::RefundError) -> CallbackError {
    match e {
        super::refunds::RefundError::Db(e) => CallbackError::Db(e),
        other => CallbackError::Db(DbError::Corrupt(other.to_string())),
    }
}

/// A declined card attempt: noted with its fingerprint and, when it names a checkout of
/// this provider, that checkout's campaign (`card_testing`); the checkout stays open (the
/// donor may try another card). Answered `card_declined` naming the campaign (or none).
async fn card_declined(
    tx: &mut Tx,
    provider: &str,
    session_id: &str,
    fingerprint: &str,
    attempt: &str,
    now: DateTime<Utc>,
) -> Result<Handled, CallbackError> {
    let session = if session_id.is_empty() {
        None
    } else {
        sessions::claim_in(tx, session_id)
            .await?
            .filter(|s| s.provider == provider)
    };
    let campaign_id = session.as_ref().map(|s| s.campaign_id().to_string());
    let new = super::card_testing::note_decline_in(
        tx,
        provider,
        attempt,
        campaign_id.as_deref(),
        fingerprint,
        now,
    )
    .await?;
    tracing::info!(provider, new, "card declined");
    Ok(Handled {
        outcome: CallbackOutcome {
            status: CallbackStatus::CardDeclined,
            donation_id: None,
            campaign_id: campaign_id.filter(|_| new).unwrap_or_default(),
            review: None,
        },
        flagged: None,
        disputed: None,
    })
}

/// The events that name no checkout session of ours, and what they are answered as.
fn without_session(kind: &CallbackEvent) -> Option<CallbackStatus> {
    match kind {
        CallbackEvent::Refunded { .. } => Some(CallbackStatus::Refunded),
        CallbackEvent::Disputed { .. } => Some(CallbackStatus::Disputed),
        CallbackEvent::Ignored { .. } => Some(CallbackStatus::Ignored),
        _ => None,
    }
}

/// A refund, a dispute or an ignored event. A refund or dispute is matched to its donation
/// by the payment reference and logged; each refund the event names is entered once
/// (`refunds::confirm_in`), or parked when the payment is not recorded (yet); a dispute heard
/// of for the first time (`first`) names its campaign, whose treasurers are to be told. An
/// event about a payment this site never recorded is logged and answered all the same (it
/// may be another use of the same provider account).
async fn about_payment(
    tx: &mut Tx,
    provider: &str,
    kind: &CallbackEvent,
    status: CallbackStatus,
    first: bool,
) -> Result<Handled, CallbackError> {
    let mut handled = Handled {
        outcome: CallbackOutcome {
            status,
            donation_id: None,
            campaign_id: String::new(),
            review: None,
        },
        flagged: None,
        disputed: None,
    };
    let (reference, amount, reason) = match kind {
        CallbackEvent::Refunded {
            payment_reference,
            amount,
            ..
        } => (payment_reference, amount, None),
        CallbackEvent::Disputed {
            payment_reference,
            amount,
            reason,
        } => (payment_reference, amount, Some(reason.as_str())),
        CallbackEvent::Ignored { kind } => {
            tracing::info!(provider, kind = %kind, "provider event ignored");
            return Ok(handled);
        }
        _ => return Ok(handled),
    };
    let Some((donation_id, campaign_id)) =
        ledger_store::find_by_reference_in(tx, provider, reference).await?
    else {
        tracing::warn!(
            provider,
            ?status,
            "provider event about a payment not recorded here"
        );
        if let CallbackEvent::Refunded { refunds, .. } = kind {
            // Parked until the payment is recorded (its event may come later); the
            // treasurers hear of it once (`settle`: a refund without a donation).
            let mut new = false;
            for r in refunds {
                new |= super::refunds::park_in(tx, provider, reference, &r.id, r.amount)
                    .await
                    .map_err(refund_error)?;
            }
            if new && first {
                handled.outcome.review = Some(UNKNOWN_PAYMENT);
            }
        }
        return Ok(handled);
    };
    if super::repo::privacy::is_erased_in(tx, &donation_id).await? {
        tracing::info!(provider, donation = %donation_id, "provider event about an erased donation");
    }
    if let CallbackEvent::Refunded { refunds, .. } = kind {
        let by = Actor {
            label: format!("provider:{provider}"),
            ..Default::default()
        };
        for r in refunds {
            let done = super::refunds::confirm_in(tx, provider, &donation_id, &r.id, r.amount, &by)
                .await
                .map_err(refund_error)?;
            if let super::refunds::Confirmed::Refused(why) = done {
                tracing::warn!(provider, donation = %donation_id, why, "refund not recorded");
                handled.outcome.review = Some(REFUND_CURRENCY);
                handled.flagged = crate::campaigns::repo::by_id_in(tx, &campaign_id).await?;
            }
        }
    }
    tracing::warn!(
        provider,
        ?status,
        donation = %donation_id,
        amount_minor = amount.amount_minor,
        currency = %amount.currency,
        "provider reports a refund or dispute"
    );
    handled.outcome.donation_id = Some(donation_id);
    handled.outcome.campaign_id = campaign_id.clone();
    if let (Some(reason), true) = (reason, first)
        && let Some(c) = crate::campaigns::repo::by_id_in(tx, &campaign_id).await?
    {
        handled.disputed = Some((c, reason.to_string()));
    }
    Ok(handled)
}
