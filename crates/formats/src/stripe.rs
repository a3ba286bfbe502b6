// SPDX-License-Identifier: AGPL-3.0-or-later

//! Stripe: amounts in Stripe's own units, and webhook events (hostile input).
//!
//! **Amounts.** Stripe takes integers in a currency's smallest unit, with its own table
//! rather than ISO 4217's ([`stripe_decimals`]): zero-decimal currencies (JPY, KRW, …) in
//! whole units; three-decimal ones (BHD, JOD, KWD, OMR, TND) in thousandths whose last digit
//! must be 0; ISK, HUF and TWD as two-decimal amounts that must be whole units. An amount
//! Stripe cannot take exactly is refused ([`AmountError`]), never rounded: what the donor
//! typed is what is charged and what the webhook must report back.
//!
//! **Events.** The signature is the `Stripe-Signature` header, checked by
//! [`crate::webhook::verify`] (the same `t=…,v1=…` scheme). [`parse_event`] reads the event
//! body into a [`ParsedEvent`]: a checkout session's outcome (`checkout.session.*`), a
//! refund (`charge.refunded`), a dispute (`charge.dispute.created`), and any other type as
//! [`EventKind::Ignored`] (answered 200, as Stripe expects). Unknown fields are ignored
//! (Stripe adds fields without notice); what is read is bounded.

use serde::Deserialize;

use crate::money::{CurrencyCode, Money};
use crate::webhook::{EventKind, ParsedEvent, WebhookError};

mod monthly;
use monthly::{invoice, started, subscription};

/// The header Stripe signs its webhooks in (lower case).
pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// A longer body is refused unread (Stripe's events are a few KiB).
pub const MAX_BODY: usize = 256 * 1024;

/// Stripe's zero-decimal currencies.
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
/// Stripe's three-decimal currencies: amounts in thousandths, the last digit 0.
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];
/// Sent as two-decimal amounts, charged in whole units: the amount must be divisible by 100.
const WHOLE_IN_TWO_DECIMALS: &[&str] = &["ISK", "HUF", "TWD"];

/// Why an amount cannot be sent to Stripe as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The currency takes amounts only in steps of `step` of our minor unit (KWD: 10 fils,
    /// HUF: 100 fillér).
    #[error("Stripe takes {currency} only in steps of {step} minor units")]
    Step { currency: CurrencyCode, step: i64 },
    #[error("the amount is out of range")]
    Range,
}

/// The number of decimals Stripe's `amount` fields have for `c`.
pub fn stripe_decimals(c: CurrencyCode) -> u8 {
    let code = c.as_str();
    if ZERO_DECIMAL.contains(&code) {
        0
    } else if THREE_DECIMAL.contains(&code) {
        3
    } else {
        2
    }
}

/// The step Stripe's amount must be a multiple of, in Stripe's units.
fn stripe_step(c: CurrencyCode) -> i64 {
    let code = c.as_str();
    if THREE_DECIMAL.contains(&code) {
        10
    } else if WHOLE_IN_TWO_DECIMALS.contains(&code) {
        100
    } else {
        1
    }
}

/// Our `Money` as Stripe's integer `amount`/`unit_amount`. Refuses an amount Stripe cannot
/// charge exactly (a KWD amount not ending in 0 fils, HUF with fillér, a negative amount).
pub fn to_stripe_amount(m: Money) -> Result<i64, AmountError> {
    if m.amount_minor < 0 {
        return Err(AmountError::Range);
    }
    let ours = i32::from(m.currency.exponent());
    let theirs = i32::from(stripe_decimals(m.currency));
    let stripe = if theirs >= ours {
        let f = 10_i64.pow((theirs - ours).unsigned_abs());
        m.amount_minor.checked_mul(f).ok_or(AmountError::Range)?
    } else {
        let f = 10_i64.pow((ours - theirs).unsigned_abs());
        if m.amount_minor % f != 0 {
            return Err(AmountError::Step {
                currency: m.currency,
                step: f,
            });
        }
        m.amount_minor / f
    };
    let step = stripe_step(m.currency);
    if stripe % step != 0 {
        // The step in our minor units: Stripe's step scaled back to our exponent.
        let ours_step = if theirs >= ours {
            (step / 10_i64.pow((theirs - ours).unsigned_abs())).max(1)
        } else {
            step * 10_i64.pow((ours - theirs).unsigned_abs())
        };
        return Err(AmountError::Step {
            currency: m.currency,
            step: ours_step,
        });
    }
    Ok(stripe)
}

/// Stripe's integer amount in `currency` as our `Money`; `None` when it is not one Stripe
/// makes (off its step: a KWD amount not ending in 0), not a whole number of our minor
/// units, or out of range. What this gives goes back through [`to_stripe_amount`] as itself.
pub fn from_stripe_amount(amount: i64, currency: CurrencyCode) -> Option<Money> {
    if amount < 0 || amount % stripe_step(currency) != 0 {
        return None;
    }
    let ours = i32::from(currency.exponent());
    let theirs = i32::from(stripe_decimals(currency));
    let minor = if theirs >= ours {
        let f = 10_i64.pow((theirs - ours).unsigned_abs());
        if amount % f != 0 {
            return None;
        }
        amount / f
    } else {
        amount.checked_mul(10_i64.pow((ours - theirs).unsigned_abs()))?
    };
    Some(Money::new(minor, currency))
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: serde_json::Value,
}

/// The fields of a Checkout Session that matter.
#[derive(Deserialize)]
struct Session {
    id: String,
    #[serde(default)]
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    payment_status: Option<String>,
    #[serde(default)]
    amount_total: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    subscription: Option<serde_json::Value>,
    #[serde(default)]
    customer: Option<serde_json::Value>,
    #[serde(default)]
    invoice: Option<serde_json::Value>,
}

/// The fields of a Charge or a Dispute that matter.
#[derive(Deserialize)]
struct ChargeLike {
    id: String,
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
    #[serde(default)]
    charge: Option<serde_json::Value>,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    amount_refunded: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn malformed(m: &str) -> WebhookError {
    WebhookError::Malformed(m.to_string())
}

/// An id of Stripe's or ours: 1–255 bytes (our checkout ids: 1–64).
fn bounded(s: &str, max: usize) -> Option<String> {
    (!s.is_empty() && s.len() <= max).then(|| s.to_string())
}

/// An expandable field: the id as a string, or an expanded object's `id`.
fn id_of(v: &Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) => bounded(s, 255),
        Some(serde_json::Value::Object(o)) => o.get("id")?.as_str().and_then(|s| bounded(s, 255)),
        _ => None,
    }
}

fn money(amount: Option<i64>, currency: Option<&str>) -> Result<Money, WebhookError> {
    let code = CurrencyCode::parse(&currency.unwrap_or("").to_ascii_uppercase())
        .map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let amount = amount.ok_or_else(|| malformed("the amount is missing"))?;
    from_stripe_amount(amount, code).ok_or_else(|| malformed("the amount is out of range"))
}

/// Reads a Stripe event body (see the module's documentation). A body over [`MAX_BODY`],
/// not JSON, without `id`, `type` and `data.object`, or a handled type whose object lacks
/// what it needs, is [`WebhookError::Malformed`].
pub fn parse_event(body: &[u8]) -> Result<ParsedEvent, WebhookError> {
    if body.len() > MAX_BODY {
        return Err(malformed("the body is too large"));
    }
    let ev: Event =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let event_id = bounded(&ev.id, 255).ok_or_else(|| malformed("the event id is required"))?;
    let (session_id, kind) = match ev.kind.as_str() {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => checkout(&ev.kind, ev.data.object)?,
        "charge.refunded" => {
            let c: ChargeLike = serde_json::from_value(ev.data.object)
                .map_err(|e| WebhookError::Malformed(e.to_string()))?;
            let payment_reference = id_of(&c.payment_intent)
                .or_else(|| bounded(&c.id, 255))
                .ok_or_else(|| malformed("the charge id is required"))?;
            let refunded = money(c.amount_refunded, c.currency.as_deref())?;
            (
                String::new(),
                EventKind::Refunded {
                    payment_reference,
                    charge: bounded(&c.id, 255).unwrap_or_default(),
                    amount: refunded,
                },
            )
        }
        "charge.dispute.created" => {
            let d: ChargeLike = serde_json::from_value(ev.data.object)
                .map_err(|e| WebhookError::Malformed(e.to_string()))?;
            let payment_reference = id_of(&d.payment_intent)
                .or_else(|| id_of(&d.charge))
                .ok_or_else(|| malformed("the disputed charge is required"))?;
            let amount = money(d.amount, d.currency.as_deref())?;
            let reason: String = d.reason.unwrap_or_default().chars().take(64).collect();
            (
                String::new(),
                EventKind::Disputed {
                    payment_reference,
                    amount,
                    reason,
                },
            )
        }
        "invoice.paid" | "invoice.payment_failed" => {
            (String::new(), invoice(&ev.kind, ev.data.object)?)
        }
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            (String::new(), subscription(&ev.kind, ev.data.object)?)
        }
        other => (
            String::new(),
            EventKind::Ignored {
                kind: other.chars().take(64).collect(),
            },
        ),
    };
    Ok(ParsedEvent {
        event_id,
        session_id,
        kind,
    })
}

/// A `checkout.session.*` event: our checkout id (`client_reference_id`, else
/// `metadata.checkout_id`) and what happened.
/// A session that names no checkout of ours (made by something else on the same Stripe
/// account) is [`EventKind::Ignored`]; one whose reference is longer than our ids is
/// malformed.
fn checkout(kind: &str, object: serde_json::Value) -> Result<(String, EventKind), WebhookError> {
    let s: Session =
        serde_json::from_value(object).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let reference = s.client_reference_id.clone().or_else(|| {
        s.metadata
            .as_ref()?
            .get("checkout_id")?
            .as_str()
            .map(str::to_string)
    });
    let Some(reference) = reference else {
        return Ok((
            String::new(),
            EventKind::Ignored {
                kind: kind.to_string(),
            },
        ));
    };
    let ours = bounded(&reference, 64)
        .ok_or_else(|| malformed("the session's reference is not a checkout of ours"))?;
    let paid = || -> Result<EventKind, WebhookError> {
        let payment_reference = id_of(&s.payment_intent)
            .or_else(|| bounded(&s.id, 255))
            .ok_or_else(|| malformed("the session id is required"))?;
        let amount = money(s.amount_total, s.currency.as_deref())?;
        if amount.amount_minor <= 0 {
            return Err(malformed("amount_total must be positive"));
        }
        Ok(EventKind::Succeeded {
            payment_reference,
            amount,
        })
    };
    let k = match kind {
        "checkout.session.completed" if s.mode.as_deref() == Some("subscription") => {
            match s.payment_status.as_deref() {
                Some("paid") => started(&s)?,
                Some("unpaid") => EventKind::Pending,
                _ => {
                    return Ok((
                        String::new(),
                        EventKind::Ignored {
                            kind: "checkout.session.completed".into(),
                        },
                    ));
                }
            }
        }
        "checkout.session.completed" => match s.payment_status.as_deref() {
            Some("paid") => paid()?,
            // `unpaid`: an asynchronous method (a bank debit); its outcome comes later.
            Some("unpaid") => EventKind::Pending,
            // `no_payment_required` never happens for a donation, and a status Stripe may
            // add later is not a payment: ignored, naming no checkout (as every ignored event).
            _ => {
                return Ok((
                    String::new(),
                    EventKind::Ignored {
                        kind: "checkout.session.completed".into(),
                    },
                ));
            }
        },
        "checkout.session.async_payment_succeeded" => paid()?,
        "checkout.session.async_payment_failed" => EventKind::Declined,
        _ => EventKind::Canceled,
    };
    Ok((ours, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> CurrencyCode {
        CurrencyCode::parse(s).expect("currency")
    }

    #[test]
    fn amounts_follow_stripes_table() {
        let m = |minor, cur| Money::new(minor, c(cur));
        assert_eq!(to_stripe_amount(m(2500, "GBP")), Ok(2500));
        assert_eq!(to_stripe_amount(m(5000, "JPY")), Ok(5000));
        assert_eq!(to_stripe_amount(m(12_340, "KWD")), Ok(12_340));
        assert_eq!(
            to_stripe_amount(m(12_345, "KWD")),
            Err(AmountError::Step {
                currency: c("KWD"),
                step: 10
            })
        );
        // ISK: zero decimals for us, two for Stripe (whole krónur × 100).
        assert_eq!(to_stripe_amount(m(500, "ISK")), Ok(50_000));
        assert_eq!(to_stripe_amount(m(100_000, "HUF")), Ok(100_000));
        assert_eq!(
            to_stripe_amount(m(100_050, "HUF")),
            Err(AmountError::Step {
                currency: c("HUF"),
                step: 100
            })
        );
        assert_eq!(to_stripe_amount(m(-1, "GBP")), Err(AmountError::Range));
        assert_eq!(
            to_stripe_amount(m(i64::MAX, "ISK")),
            Err(AmountError::Range)
        );
    }

    #[test]
    fn amounts_read_back_as_themselves() {
        for cur in CurrencyCode::all() {
            for minor in [0_i64, 1, 10, 100, 2500, 12_340, 1_000_000] {
                let m = Money::new(minor, cur);
                if let Ok(s) = to_stripe_amount(m) {
                    assert_eq!(from_stripe_amount(s, cur), Some(m), "{cur} {minor}");
                }
            }
        }
        assert_eq!(from_stripe_amount(50_050, c("ISK")), None);
        assert_eq!(from_stripe_amount(12_345, c("KWD")), None);
        assert_eq!(from_stripe_amount(-5, c("GBP")), None);
    }

    fn event(kind: &str, object: &str) -> String {
        format!(r#"{{"id":"evt_1","object":"event","type":"{kind}","data":{{"object":{object}}}}}"#)
    }

    const SESSION: &str = r#"{"id":"cs_test_1","object":"checkout.session","client_reference_id":"ours-1","payment_status":"paid","amount_total":2500,"currency":"gbp","payment_intent":"pi_1","extra":{"nested":[1,2]}}"#;

    #[test]
    fn checkout_events() {
        let ev =
            parse_event(event("checkout.session.completed", SESSION).as_bytes()).expect("parses");
        assert_eq!(ev.session_id, "ours-1");
        assert_eq!(
            ev.kind,
            EventKind::Succeeded {
                payment_reference: "pi_1".into(),
                amount: Money::new(2500, c("GBP"))
            }
        );
        let unpaid = SESSION.replace(r#""paid""#, r#""unpaid""#);
        assert_eq!(
            parse_event(event("checkout.session.completed", &unpaid).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Pending)
        );
        assert_eq!(
            parse_event(event("checkout.session.async_payment_failed", &unpaid).as_bytes())
                .map(|e| e.kind),
            Ok(EventKind::Declined)
        );
        assert_eq!(
            parse_event(event("checkout.session.expired", &unpaid).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Canceled)
        );
        let by_metadata = SESSION.replace(
            r#""client_reference_id":"ours-1""#,
            r#""metadata":{"checkout_id":"ours-2"}"#,
        );
        assert_eq!(
            parse_event(event("checkout.session.completed", &by_metadata).as_bytes())
                .map(|e| e.session_id),
            Ok("ours-2".into())
        );
    }

    #[test]
    fn other_events() {
        let refund = r#"{"id":"ch_1","object":"charge","amount":2500,"amount_refunded":1000,"currency":"gbp","payment_intent":"pi_1"}"#;
        assert_eq!(
            parse_event(event("charge.refunded", refund).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Refunded {
                payment_reference: "pi_1".into(),
                charge: "ch_1".into(),
                amount: Money::new(1000, c("GBP"))
            })
        );
        let dispute = r#"{"id":"dp_1","object":"dispute","amount":2500,"currency":"jpy","charge":"ch_1","payment_intent":null,"reason":"fraudulent"}"#;
        assert_eq!(
            parse_event(event("charge.dispute.created", dispute).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Disputed {
                payment_reference: "ch_1".into(),
                amount: Money::new(2500, c("JPY")),
                reason: "fraudulent".into()
            })
        );
        assert_eq!(
            parse_event(event("customer.created", "{}").as_bytes()).map(|e| e.kind),
            Ok(EventKind::Ignored {
                kind: "customer.created".into()
            })
        );
    }

    #[test]
    fn malformed_events() {
        let no_ref = SESSION.replace(r#""client_reference_id":"ours-1","#, "");
        assert!(matches!(
            parse_event(event("checkout.session.completed", &no_ref).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Ignored { .. })
        ));
        let long_ref = SESSION.replace("ours-1", &"x".repeat(65));
        let no_amount = SESSION.replace(r#""amount_total":2500,"#, "");
        let bad_currency = SESSION.replace("gbp", "xyz");
        let zero = SESSION.replace("2500", "0");
        for body in [
            "not json".to_string(),
            "{}".to_string(),
            r#"{"id":"","type":"x","data":{"object":{}}}"#.to_string(),
            event("checkout.session.completed", &long_ref),
            event("checkout.session.completed", &no_amount),
            event("checkout.session.completed", &bad_currency),
            event("checkout.session.completed", &zero),
            event("checkout.session.completed", "[]"),
            event("charge.refunded", r#"{"id":"ch_1"}"#),
        ] {
            assert!(
                matches!(
                    parse_event(body.as_bytes()),
                    Err(WebhookError::Malformed(_))
                ),
                "{body}"
            );
        }
        assert!(parse_event(&vec![b' '; MAX_BODY + 1]).is_err());
    }
}
