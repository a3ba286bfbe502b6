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
use super::repo::{events, ledger as ledger_store, sessions};
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, Tx};
use crate::payments::{CallbackEvent, ProviderError, Providers, VerifiedCallback};
use crate::team::audit::{self, Actor};

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
    /// A genuine callback about nothing the site records (`ProviderError::Ignored`).
    Ignored,
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
        Err(ProviderError::Ignored(what)) => {
            tracing::info!(provider, what, "callback not acted on");
            return Ok(Handled {
                outcome: CallbackOutcome {
                    status: CallbackStatus::Ignored,
                    donation_id: None,
                    campaign_id: String::new(),
                    review: None,
                },
                flagged: None,
            });
        }
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
    let mut tx = db.begin().await?;
    events::note_in(&mut tx, provider, &cb.event_id, now).await?;
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
                }
            } else {
                captured(&mut tx, provider, session, payment_reference, now).await?
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
            }
        }
    };
    tx.commit().await?;
    Ok(handled)
}

/// The money was captured: record it whatever the session's state, but a session that could
/// not be paid any more is flagged for the treasurer and a declined or canceled one keeps
/// its status.
async fn captured(
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
    let new_status = if session.status == SessionStatus::Open {
        SessionStatus::Succeeded
    } else {
        session.status
    };
    sessions::settle_in(tx, &session.id, new_status, rec.donation_id()).await?;
    let is_new = matches!(rec, Recorded::New { .. });
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
    })
}
