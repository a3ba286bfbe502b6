//! The one path every provider callback takes: verify → claim the session → record the
//! donation (idempotent) → commit → tell the live hub.
//!
//! A capture for a session that could not be paid any more (`checkout::payable`: expired,
//! declined, canceled, or the campaign stopped accepting) is recorded — the money was taken
//! — with `review_reason` set, a `donation.needs_review` audit entry in the same transaction
//! and an e-mail to the campaign's treasurers after commit; a declined or canceled session
//! keeps its status. A decline or cancel only ever changes an `open` session. Used by `POST
//! /providers/{name}/callback` and by the test provider's hosted page.

use std::sync::atomic::Ordering;

use chrono::Utc;
use http::HeaderMap;
use serde::Serialize;

use super::checkout::{self, CheckoutSession, SESSION_SELECT, SessionRow};
use super::ledger::{self, NewDonation, Recorded};
use crate::db::DbError;
use crate::http::AppState;
use crate::on_tx;
use crate::payments::{CallbackEvent, ProviderError};
use crate::team::audit::{self, Actor};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackOutcome {
    /// `recorded`, `duplicate`, `declined` or `canceled`.
    pub status: &'static str,
    pub donation_id: Option<String>,
    #[serde(skip)]
    pub campaign_id: String,
    /// Why a recorded donation needs the treasurer's review (the session could not be paid
    /// any more: `session-expired`, `session-declined`, `session-canceled`,
    /// `campaign-not-accepting`); absent when all is well.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("unknown payment provider")]
    UnknownProvider,
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("no checkout session {0}")]
    UnknownSession(String),
    #[error("the callback does not match its checkout session: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for CallbackError {
    fn from(e: sqlx::Error) -> Self {
        CallbackError::Db(e.into())
    }
}

pub async fn handle(
    s: &AppState,
    provider: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<CallbackOutcome, CallbackError> {
    let p = s
        .providers
        .get(provider)
        .ok_or(CallbackError::UnknownProvider)?;
    let cb = match p.verify_callback(headers, body, Utc::now()) {
        Ok(cb) => cb,
        Err(e) => {
            s.metrics.callbacks_rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(provider, error = %e, "callback refused");
            return Err(e.into());
        }
    };
    let now = Utc::now();
    let mut txo = s.db.begin().await?;
    let tx = &mut txo;
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (provider, event_id) DO NOTHING"
    )
    .bind(provider)
    .bind(&cb.event_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    // Claim the session: take its row lock before reading it, so callbacks for one session
    // are decided one after the other and each sees the outcome of the one before. (SQLite's
    // `BEGIN IMMEDIATE` already serializes writers; on PostgreSQL at READ COMMITTED, two
    // callbacks with different payment references would otherwise both read `open` and
    // both record a donation.)
    on_tx!(tx, |c| sqlx::query(
        "UPDATE checkout_sessions SET status = status WHERE id = $1"
    )
    .bind(&cb.session_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    let row: Option<SessionRow> = on_tx!(tx, |c| sqlx::query_as(SESSION_SELECT)
        .bind(&cb.session_id)
        .fetch_optional(&mut *c)
        .await?);
    let session = CheckoutSession::try_from(
        row.ok_or_else(|| CallbackError::UnknownSession(cb.session_id.clone()))?,
    )?;
    if session.provider != provider {
        return Err(CallbackError::Mismatch(
            "the session belongs to another provider".into(),
        ));
    }
    // The campaign of a donation flagged for review (its treasurers are told after commit).
    let mut flagged: Option<crate::campaigns::Campaign> = None;
    let outcome = match cb.kind {
        CallbackEvent::Succeeded {
            payment_reference,
            amount,
        } => {
            if amount != session.amount {
                s.metrics.callbacks_rejected.fetch_add(1, Ordering::Relaxed);
                return Err(CallbackError::Mismatch(format!(
                    "paid {:?} but the session asked for {:?}",
                    amount, session.amount
                )));
            }
            if session.status == "succeeded" {
                CallbackOutcome {
                    status: "duplicate",
                    donation_id: session.donation_id.clone(),
                    campaign_id: session.campaign_id.clone(),
                    review: None,
                }
            } else {
                // The money was captured: record it whatever the session's state, but a
                // session that could not be paid any more is flagged for the treasurer and
                // a declined or canceled one keeps its status.
                let campaign = crate::campaigns::repo::by_id_in(tx, &session.campaign_id)
                    .await?
                    .ok_or_else(|| CallbackError::UnknownSession(session.id.clone()))?;
                let review = checkout::payable(&session, &campaign, now).err();
                let d = NewDonation {
                    campaign_id: session.campaign_id.clone(),
                    amount: session.amount,
                    rate: session.rate,
                    campaign_amount: session.campaign_amount,
                    donor_name: session.donor_name.clone(),
                    donor_email: session.donor_email.clone(),
                    message: session.message.clone(),
                    visibility: session.visibility,
                    provider: provider.to_string(),
                    provider_reference: payment_reference,
                    received_on: None,
                    note: None,
                };
                let rec = ledger::record_in(tx, &d).await?;
                let new_status = if session.status == "open" {
                    "succeeded"
                } else {
                    session.status.as_str()
                };
                on_tx!(tx, |c| {
                    sqlx::query(
                    "UPDATE checkout_sessions SET status = $2, donation_id = COALESCE(donation_id, $3) \
                     WHERE id = $1"
                )
                .bind(&session.id)
                .bind(new_status)
                .bind(rec.donation_id())
                .execute(&mut *c)
                .await?.rows_affected()
                });
                let is_new = matches!(rec, Recorded::New { .. });
                let review = review.filter(|_| is_new);
                if let Some(why) = review {
                    flagged = Some(campaign.clone());
                    on_tx!(tx, |c| sqlx::query(
                        "UPDATE donations SET review_reason = $2 WHERE id = $1"
                    )
                    .bind(rec.donation_id())
                    .bind(why.as_str())
                    .execute(&mut *c)
                    .await?
                    .rows_affected());
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
                }
                CallbackOutcome {
                    status: if is_new { "recorded" } else { "duplicate" },
                    donation_id: Some(rec.donation_id().to_string()),
                    campaign_id: session.campaign_id.clone(),
                    review: review.map(checkout::Unpayable::as_str),
                }
            }
        }
        CallbackEvent::Declined | CallbackEvent::Canceled => {
            let (new_status, label) = if cb.kind == CallbackEvent::Declined {
                ("declined", "declined")
            } else {
                ("canceled", "canceled")
            };
            on_tx!(tx, |c| sqlx::query(
                "UPDATE checkout_sessions SET status = $2 WHERE id = $1 AND status = 'open'"
            )
            .bind(&session.id)
            .bind(new_status)
            .execute(&mut *c)
            .await?
            .rows_affected());
            CallbackOutcome {
                status: label,
                donation_id: session.donation_id.clone(),
                campaign_id: session.campaign_id.clone(),
                review: None,
            }
        }
    };
    txo.commit().await?;
    if let (Some(c), Some(reason), Some(id)) = (&flagged, outcome.review, &outcome.donation_id) {
        tracing::warn!(campaign = %c.slug, reason, "late payment recorded and flagged for review");
        let alert = super::alerts::Alert::NeedsReview {
            donation_id: id.clone(),
            reason,
        };
        super::alerts::tell_treasurers(s, c, &alert).await;
    }
    if outcome.status == "recorded" {
        s.metrics.donations_recorded.fetch_add(1, Ordering::Relaxed);
        // Other nodes learn through NOTIFY or their poll; this one learns now.
        if let Ok(t) = crate::campaigns::repo::totals(&s.db, &outcome.campaign_id).await {
            s.hub.observe(&outcome.campaign_id, t.version);
        }
    } else if outcome.status == "duplicate" {
        s.metrics
            .callbacks_duplicate
            .fetch_add(1, Ordering::Relaxed);
    }
    Ok(outcome)
}
