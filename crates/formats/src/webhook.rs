// SPDX-License-Identifier: AGPL-3.0-or-later

//! Signed payment-provider callbacks (webhooks), as the `test` provider sends them.
//!
//! Signature header, Stripe-style: `Shelfraiser-Signature: t=<unix seconds>,v1=<hex>` where
//! the hex is HMAC-SHA256(secret, "<t>.<raw body>"). Several `v1` values may be given (secret
//! rotation); one must match, compared in constant time. Unknown parts are ignored. The
//! signature is checked first, then the time: at most [`TOLERANCE_SECS`] either way.
//!
//! The body is a [`TestEvent`] (JSON, unknown fields refused), checked by [`parse_event`] into
//! a [`ParsedEvent`]. The server's `donations::providers::test` puts the two together behind
//! its `PaymentProvider` interface.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::money::{CurrencyCode, Money};

/// The header the signature comes in (lower case, as HTTP/2 sends it).
pub const SIGNATURE_HEADER: &str = "shelfraiser-signature";
/// How far the signing time may lie from now, either way, in seconds.
pub const TOLERANCE_SECS: i64 = 300;
/// A longer header value is refused unread (a few rotated signatures fit many times over).
pub const MAX_HEADER_LEN: usize = 4096;
/// At most this many `v1` signatures are tried.
pub const MAX_SIGNATURES: usize = 8;

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the callback signature is missing or does not match")]
    BadSignature,
    #[error("the callback is too old or from the future")]
    Stale,
    #[error("the callback is malformed: {0}")]
    Malformed(String),
}

/// The parts of a signature header that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signing time, unix seconds.
    pub t: i64,
    /// Every well-formed `v1` value, decoded (at most [`MAX_SIGNATURES`]).
    pub v1: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Reads `t=…,v1=…[,v1=…]`. Parts are trimmed; a later `t` replaces an earlier one; a
    /// `v1` that is not hex is skipped. No (valid) `t`, or a header longer than
    /// [`MAX_HEADER_LEN`], is [`WebhookError::BadSignature`].
    pub fn parse(value: &str) -> Result<SignatureHeader, WebhookError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(WebhookError::BadSignature);
        }
        let mut t: Option<i64> = None;
        let mut v1: Vec<Vec<u8>> = Vec::new();
        for part in value.split(',') {
            match part.trim().split_once('=') {
                Some(("t", v)) => t = v.parse().ok(),
                Some(("v1", v)) if v1.len() < MAX_SIGNATURES => {
                    if let Ok(b) = hex::decode(v) {
                        v1.push(b);
                    }
                }
                _ => {}
            }
        }
        let t = t.ok_or(WebhookError::BadSignature)?;
        Ok(SignatureHeader { t, v1 })
    }
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header value for `body` signed at unix time `t`.
pub fn sign(secret: &[u8], body: &[u8], t: i64) -> String {
    let sig = hex::encode(mac(secret, t, body).finalize().into_bytes());
    format!("t={t},v1={sig}")
}

/// Checks the signature header (`None` when the request had none, or it was not text) over
/// the raw `body` at unix time `now`, then the time tolerance.
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    let h = SignatureHeader::parse(header.ok_or(WebhookError::BadSignature)?)?;
    let ok =
        h.v1.iter()
            .any(|s| mac(secret, h.t, body).verify_slice(s).is_ok());
    if !ok {
        return Err(WebhookError::BadSignature);
    }
    if now
        .checked_sub(h.t)
        .is_none_or(|d| d.unsigned_abs() > tolerance_secs.unsigned_abs())
    {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// The callback body of the `test` provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TestEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub session_id: String,
    #[serde(default)]
    pub payment_reference: Option<String>,
    #[serde(default)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// What a callback says happened to a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The payment went through; `payment_reference` is the provider's id for it.
    Succeeded {
        payment_reference: String,
        amount: Money,
    },
    Declined,
    Canceled,
    /// The checkout is complete but its payment is not yet (an asynchronous method): its
    /// outcome comes in a later event. Nothing changes.
    Pending,
    /// A payment was refunded at the provider (`amount`: the total refunded so far). No
    /// checkout session is named.
    Refunded {
        payment_reference: String,
        charge: String,
        amount: Money,
        /// The provider's refunds the event names, each once with its own id (a Stripe
        /// charge lists every refund so far; a PayPal event is one refund). Empty when the
        /// event itemises none (the ledger records refunds by these ids).
        refunds: Vec<RefundItem>,
    },
    /// The payer disputed a payment (a chargeback). No checkout session is named.
    Disputed {
        payment_reference: String,
        amount: Money,
        reason: String,
    },
    /// A card payment attempt was declined (Stripe's `payment_intent.payment_failed`,
    /// `charge.failed`): many of them, from many cards, are what card testing looks like.
    /// `fingerprint` is the provider's fingerprint of the card (the same card, the same
    /// value); `attempt` names the attempt (the charge), so the two events of one decline
    /// count once. The checkout it was for (`session_id`) may be empty; the session itself
    /// stays open (the donor may try another card).
    CardDeclined {
        fingerprint: String,
        attempt: String,
    },
    /// An event of a type this site does not act on; answered 2xx so it is not sent again.
    Ignored {
        kind: String,
    },
    /// A monthly gift's event (Stripe subscriptions). Only [`MonthlyEvent::Started`] names a
    /// checkout session of ours.
    Monthly(MonthlyEvent),
}

/// What a subscription event says (Stripe: `checkout.session.completed` in subscription
/// mode, `invoice.paid`, `invoice.payment_failed`, `customer.subscription.updated|deleted`).
/// Ids are 1–255 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonthlyEvent {
    /// The checkout of a monthly gift is complete and its first payment made: the
    /// subscription exists; `invoice` is its first invoice (the first donation's reference).
    Started {
        subscription: String,
        customer: String,
        invoice: String,
        amount: Money,
    },
    /// An invoice of the subscription was paid; `first`: the subscription's first invoice
    /// (already recorded from [`MonthlyEvent::Started`]).
    Paid {
        subscription: String,
        invoice: String,
        amount: Money,
        first: bool,
        /// Our checkout id from the subscription's metadata, when the invoice carries it.
        checkout_id: Option<String>,
        /// The payment intent (`pi_…`, else the charge `ch_…`) that paid the invoice, when
        /// the event names it: what the payment's refunds and disputes name.
        payment: Option<String>,
    },
    /// A payment of the subscription failed (the provider retries it).
    PaymentFailed {
        subscription: String,
        invoice: String,
        checkout_id: Option<String>,
    },
    /// The subscription's status changed (`active`, `past_due`, `canceled`, `unpaid`, …,
    /// at most 32 bytes); `next_payment`: the end of the current period (Unix seconds).
    Status {
        subscription: String,
        status: String,
        next_payment: Option<i64>,
        checkout_id: Option<String>,
    },
}

/// One refund at the provider: its id (the same in the refund call's answer and in every
/// event about it) and the amount that went back, in the payment's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundItem {
    pub id: String,
    pub amount: Money,
}

/// A checked callback body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEvent {
    /// The provider's id for this event (the same on every retry), 1–255 bytes.
    pub event_id: String,
    /// Our checkout session's id, 1–64 bytes; empty for events that name none
    /// ([`EventKind::Refunded`], [`EventKind::Disputed`], [`EventKind::Ignored`]).
    pub session_id: String,
    pub kind: EventKind,
}

/// Parses and checks a [`TestEvent`] body: ids present and bounded; a success names its
/// payment reference (1–255 bytes), a known currency and a positive amount; the type is one
/// of `checkout.succeeded`, `checkout.declined`, `checkout.canceled`. Anything else is
/// [`WebhookError::Malformed`].
pub fn parse_event(body: &[u8]) -> Result<ParsedEvent, WebhookError> {
    let ev: TestEvent =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let malformed = |m: &str| WebhookError::Malformed(m.to_string());
    if ev.id.is_empty() || ev.id.len() > 255 || ev.session_id.is_empty() || ev.session_id.len() > 64
    {
        return Err(malformed(
            "id and session_id are required (at most 255/64 characters)",
        ));
    }
    let kind = match ev.kind.as_str() {
        "checkout.succeeded" => {
            let reference = ev
                .payment_reference
                .filter(|r| !r.is_empty() && r.len() <= 255)
                .ok_or_else(|| malformed("payment_reference is required"))?;
            let currency = CurrencyCode::parse(ev.currency.as_deref().unwrap_or(""))
                .map_err(|e| WebhookError::Malformed(e.to_string()))?;
            let minor = ev
                .amount_minor
                .filter(|m| *m > 0)
                .ok_or_else(|| malformed("amount_minor must be positive"))?;
            EventKind::Succeeded {
                payment_reference: reference,
                amount: Money::new(minor, currency),
            }
        }
        "checkout.declined" => EventKind::Declined,
        "checkout.canceled" => EventKind::Canceled,
        other => {
            return Err(WebhookError::Malformed(format!(
                "unknown event type {:?}",
                other.chars().take(64).collect::<String>()
            )));
        }
    };
    Ok(ParsedEvent {
        event_id: ev.id,
        session_id: ev.session_id,
        kind,
    })
}

/// [`verify`] then [`parse_event`]: the whole check of one delivery.
pub fn verify_and_parse(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<ParsedEvent, WebhookError> {
    verify(secret, header, body, now, TOLERANCE_SECS)?;
    parse_event(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"s3cret";
    const NOW: i64 = 1_719_561_600;
    const BODY: &str = r#"{"id":"evt_1","type":"checkout.succeeded","session_id":"s1","payment_reference":"p1","amount_minor":500,"currency":"GBP"}"#;

    #[test]
    fn verifies_good_signature() {
        let h = sign(SECRET, BODY.as_bytes(), NOW);
        let ev = verify_and_parse(SECRET, Some(&h), BODY.as_bytes(), NOW).expect("valid");
        assert_eq!(ev.event_id, "evt_1");
        assert_eq!(ev.session_id, "s1");
        assert!(
            matches!(ev.kind, EventKind::Succeeded { ref amount, .. } if amount.amount_minor == 500)
        );
    }

    #[test]
    fn rotated_secrets_and_unknown_parts() {
        let good = sign(SECRET, BODY.as_bytes(), NOW);
        let sig = good.split_once("v1=").expect("v1").1;
        let h = format!("t={NOW}, v0=abc, v1=00ff, v1=zz, v1={sig}, x");
        assert_eq!(verify(SECRET, Some(&h), BODY.as_bytes(), NOW, 300), Ok(()));
    }

    #[test]
    fn rejects_tampering_and_age() {
        let sig = sign(SECRET, BODY.as_bytes(), NOW);
        let tampered = BODY.replace("500", "50000");
        assert_eq!(
            verify(SECRET, Some(&sig), tampered.as_bytes(), NOW, 300),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(SECRET, None, BODY.as_bytes(), NOW, 300),
            Err(WebhookError::BadSignature)
        );
        let old = sign(SECRET, BODY.as_bytes(), NOW - 301);
        assert_eq!(
            verify(SECRET, Some(&old), BODY.as_bytes(), NOW, 300),
            Err(WebhookError::Stale)
        );
        let other = sign(b"other", BODY.as_bytes(), NOW);
        assert_eq!(
            verify(SECRET, Some(&other), BODY.as_bytes(), NOW, 300),
            Err(WebhookError::BadSignature)
        );
        let extreme = sign(SECRET, BODY.as_bytes(), i64::MIN);
        assert_eq!(
            verify(SECRET, Some(&extreme), BODY.as_bytes(), NOW, 300),
            Err(WebhookError::Stale)
        );
        let long = format!("{sig},{}", "x".repeat(MAX_HEADER_LEN));
        assert_eq!(
            verify(SECRET, Some(&long), BODY.as_bytes(), NOW, 300),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn rejects_malformed_bodies() {
        for body in [
            "{}",
            "not json",
            r#"{"id":"e","type":"checkout.succeeded","session_id":"s"}"#,
            r#"{"id":"e","type":"weird","session_id":"s"}"#,
            r#"{"id":"","type":"checkout.declined","session_id":"s"}"#,
            r#"{"id":"e","type":"checkout.declined","session_id":"s","extra":1}"#,
            r#"{"id":"e","type":"checkout.succeeded","session_id":"s","payment_reference":"p","amount_minor":0,"currency":"GBP"}"#,
            r#"{"id":"e","type":"checkout.succeeded","session_id":"s","payment_reference":"p","amount_minor":5,"currency":"XYZ"}"#,
        ] {
            assert!(
                matches!(
                    parse_event(body.as_bytes()),
                    Err(WebhookError::Malformed(_))
                ),
                "{body}"
            );
        }
        assert_eq!(
            parse_event(br#"{"id":"e","type":"checkout.canceled","session_id":"s"}"#)
                .map(|e| e.kind),
            Ok(EventKind::Canceled)
        );
    }

    proptest! {
        #[test]
        fn headers_never_panic(h in ".{0,200}", body in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = verify(SECRET, Some(&h), &body, NOW, TOLERANCE_SECS);
        }

        #[test]
        fn own_signatures_verify(body in prop::collection::vec(any::<u8>(), 0..64), d in -300i64..=300) {
            let h = sign(SECRET, &body, NOW + d);
            prop_assert_eq!(verify(SECRET, Some(&h), &body, NOW, TOLERANCE_SECS), Ok(()));
        }
    }
}
