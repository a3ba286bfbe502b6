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
//! refund (`charge.refunded` with the charge's `refunds` list; `refund.created`,
//! `refund.updated` and `charge.refund.updated` with one refund: only refunds whose
//! `status` is `succeeded` are itemised), a dispute (`charge.dispute.created`), a declined card
//! (`payment_intent.payment_failed`, `charge.failed`: the card's fingerprint), and any other type as
//! [`EventKind::Ignored`] (answered 200, as Stripe expects). Unknown fields are ignored
//! (Stripe adds fields without notice); what is read is bounded.

use serde::Deserialize;

use crate::money::{CurrencyCode, Money};
use crate::webhook::{EventKind, ParsedEvent, RefundItem, WebhookError};

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

/// Stripe's minimum charge per presentment currency, in our minor units (Stripe's
/// published table, "Minimum and maximum charge amounts"); other currencies: the
/// equivalent of [`MIN_CHARGE_ELSEWHERE`].
const MIN_CHARGE: &[(&str, i64)] = &[
    ("USD", 50),
    ("AED", 200),
    ("AUD", 50),
    ("BGN", 100),
    ("BRL", 50),
    ("CAD", 50),
    ("CHF", 50),
    ("CZK", 1500),
    ("DKK", 250),
    ("EUR", 50),
    ("GBP", 30),
    ("HKD", 400),
    ("HUF", 17500),
    ("INR", 50),
    ("JPY", 50),
    ("MXN", 1000),
    ("MYR", 200),
    ("NOK", 300),
    ("NZD", 50),
    ("PLN", 200),
    ("RON", 200),
    ("SEK", 300),
    ("SGD", 50),
    ("THB", 1000),
];

/// What Stripe asks at least in a currency its table does not list: 0.50 USD, converted.
pub const MIN_CHARGE_ELSEWHERE: (&str, i64) = ("USD", 50);

/// The smallest amount Stripe charges in `c`: in `c` itself when Stripe lists it, else
/// 0.50 USD (to be converted by the caller at the day's rate).
pub fn min_charge(c: CurrencyCode) -> Money {
    let listed = MIN_CHARGE.iter().find(|(code, _)| *code == c.as_str());
    match listed {
        Some((_, minor)) => Money::new(*minor, c),
        None => {
            let (code, minor) = MIN_CHARGE_ELSEWHERE;
            Money::new(
                minor,
                CurrencyCode::parse(code).unwrap_or_else(|_| unreachable!("USD is known")),
            )
        }
    }
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
    /// A charge's refunds (`charge.refunded`; an expandable list Stripe sends with the
    /// charge).
    #[serde(default)]
    refunds: Option<RefundList>,
    /// A refund's own status (`refund.*` events: the object is the refund).
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct RefundList {
    #[serde(default)]
    data: Vec<StripeRefund>,
}

#[derive(Deserialize)]
struct StripeRefund {
    id: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// At most this many refunds of one charge are read (a charge is refunded a few times).
const MAX_REFUNDS: usize = 100;

/// A refund that has gone through (`succeeded`), as a [`RefundItem`]; a pending, failed or
/// canceled one is `None` (a later event brings it when it succeeds).
fn succeeded_refund(
    id: &str,
    amount: Option<i64>,
    currency: Option<&str>,
    status: Option<&str>,
) -> Result<Option<RefundItem>, WebhookError> {
    if status != Some("succeeded") {
        return Ok(None);
    }
    let id = bounded(id, 255).ok_or_else(|| malformed("the refund id is required"))?;
    let amount = money(amount, currency)?;
    if amount.amount_minor <= 0 {
        return Err(malformed("a refund's amount must be positive"));
    }
    Ok(Some(RefundItem { id, amount }))
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
            let mut refunds = Vec::new();
            for r in c
                .refunds
                .iter()
                .flat_map(|l| l.data.iter())
                .take(MAX_REFUNDS)
            {
                let currency = r.currency.as_deref().or(c.currency.as_deref());
                if let Some(item) =
                    succeeded_refund(&r.id, r.amount, currency, r.status.as_deref())?
                {
                    refunds.push(item);
                }
            }
            (
                String::new(),
                EventKind::Refunded {
                    payment_reference,
                    charge: bounded(&c.id, 255).unwrap_or_default(),
                    amount: refunded,
                    refunds,
                },
            )
        }
        "refund.created" | "refund.updated" | "charge.refund.updated" => {
            let r: ChargeLike = serde_json::from_value(ev.data.object)
                .map_err(|e| WebhookError::Malformed(e.to_string()))?;
            let payment_reference = id_of(&r.payment_intent)
                .or_else(|| id_of(&r.charge))
                .ok_or_else(|| malformed("the refunded payment is required"))?;
            let amount = money(r.amount, r.currency.as_deref())?;
            let refunds =
                succeeded_refund(&r.id, r.amount, r.currency.as_deref(), r.status.as_deref())?
                    .into_iter()
                    .collect();
            (
                String::new(),
                EventKind::Refunded {
                    payment_reference,
                    charge: id_of(&r.charge).unwrap_or_default(),
                    amount,
                    refunds,
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
        "payment_intent.payment_failed" | "charge.failed" => declined(&ev.kind, &ev.data.object),
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

/// A declined card attempt (`payment_intent.payment_failed`: the fingerprint under
/// `last_payment_error.payment_method.card`; `charge.failed`: under
/// `payment_method_details.card`), with our checkout id from `metadata.checkout_id` when
/// the object carries it. Without a card fingerprint (another method, or a failure that is
/// not a decline) it is ignored.
fn declined(kind: &str, object: &serde_json::Value) -> (String, EventKind) {
    let text = |v: Option<&serde_json::Value>, max: usize| {
        v.and_then(|v| v.as_str()).and_then(|s| bounded(s, max))
    };
    let (fingerprint, attempt) = if kind == "charge.failed" {
        (
            object.pointer("/payment_method_details/card/fingerprint"),
            object.get("id"),
        )
    } else {
        (
            object.pointer("/last_payment_error/payment_method/card/fingerprint"),
            object
                .pointer("/last_payment_error/charge")
                .or_else(|| object.get("latest_charge")),
        )
    };
    let ours = text(object.pointer("/metadata/checkout_id"), 64).unwrap_or_default();
    match (text(fingerprint, 64), text(attempt, 255)) {
        (Some(fingerprint), Some(attempt)) => (
            ours,
            EventKind::CardDeclined {
                fingerprint,
                attempt,
            },
        ),
        _ => (
            String::new(),
            EventKind::Ignored {
                kind: kind.to_string(),
            },
        ),
    }
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
    fn minimum_charges_per_currency() {
        let m = |minor, cur| Money::new(minor, c(cur));
        assert_eq!(min_charge(c("USD")), m(50, "USD"));
        assert_eq!(min_charge(c("GBP")), m(30, "GBP"));
        assert_eq!(min_charge(c("DKK")), m(250, "DKK"));
        assert_eq!(min_charge(c("JPY")), m(50, "JPY"));
        assert_eq!(min_charge(c("HUF")), m(17_500, "HUF"));
        // Not in the table: 0.50 USD, for the caller to convert.
        assert_eq!(min_charge(c("KWD")), m(50, "USD"));
        // Every listed minimum is an amount Stripe can take.
        for (code, _) in MIN_CHARGE {
            assert!(to_stripe_amount(min_charge(c(code))).is_ok(), "{code}");
        }
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
                amount: Money::new(1000, c("GBP")),
                refunds: vec![],
            })
        );
        // The charge's refunds, each by its id; a pending one is not itemised yet.
        let listed = r#"{"id":"ch_1","object":"charge","amount":2500,"amount_refunded":1500,"currency":"gbp","payment_intent":"pi_1","refunds":{"object":"list","data":[{"id":"re_2","amount":500,"currency":"gbp","status":"pending"},{"id":"re_1","amount":1000,"currency":"gbp","status":"succeeded"}]}}"#;
        let item = |id: &str, minor| RefundItem {
            id: id.into(),
            amount: Money::new(minor, c("GBP")),
        };
        assert!(matches!(
            parse_event(event("charge.refunded", listed).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Refunded { refunds, .. }) if refunds == vec![item("re_1", 1000)]
        ));
        let one = r#"{"id":"re_3","object":"refund","amount":700,"currency":"gbp","charge":"ch_1","payment_intent":"pi_1","status":"succeeded"}"#;
        assert_eq!(
            parse_event(event("refund.created", one).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Refunded {
                payment_reference: "pi_1".into(),
                charge: "ch_1".into(),
                amount: Money::new(700, c("GBP")),
                refunds: vec![item("re_3", 700)],
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
    fn declined_cards_carry_their_fingerprint() {
        let pi = r#"{"id":"pi_1","object":"payment_intent","metadata":{"checkout_id":"ours-1"},"latest_charge":"ch_2","last_payment_error":{"type":"card_error","code":"card_declined","charge":"ch_1","payment_method":{"id":"pm_1","type":"card","card":{"brand":"visa","fingerprint":"Xt5EWLLDS7FJjR1c","last4":"0002"}}}}"#;
        let e = parse_event(event("payment_intent.payment_failed", pi).as_bytes()).expect("ok");
        assert_eq!(e.session_id, "ours-1");
        assert_eq!(
            e.kind,
            EventKind::CardDeclined {
                fingerprint: "Xt5EWLLDS7FJjR1c".into(),
                attempt: "ch_1".into()
            }
        );
        let charge = r#"{"id":"ch_1","object":"charge","status":"failed","payment_intent":"pi_1","payment_method_details":{"type":"card","card":{"fingerprint":"Xt5EWLLDS7FJjR1c"}}}"#;
        let e = parse_event(event("charge.failed", charge).as_bytes()).expect("ok");
        assert_eq!(e.session_id, "", "no metadata: no checkout named");
        assert_eq!(
            e.kind,
            EventKind::CardDeclined {
                fingerprint: "Xt5EWLLDS7FJjR1c".into(),
                attempt: "ch_1".into()
            }
        );
        // Not a card (or no fingerprint): ignored; an over-long fingerprint is not read.
        let no_card = r#"{"id":"pi_2","object":"payment_intent","last_payment_error":{"type":"invalid_request_error"}}"#;
        let long = charge.replace("Xt5EWLLDS7FJjR1c", &"x".repeat(65));
        for (kind, body) in [
            ("payment_intent.payment_failed", no_card),
            ("charge.failed", &long),
        ] {
            assert_eq!(
                parse_event(event(kind, body).as_bytes()).map(|e| e.kind),
                Ok(EventKind::Ignored { kind: kind.into() })
            );
        }
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
            event(
                "refund.created",
                r#"{"id":"re_1","amount":0,"currency":"gbp","charge":"ch_1","status":"succeeded"}"#,
            ),
            event(
                "refund.updated",
                r#"{"id":"re_1","amount":100,"currency":"gbp"}"#,
            ),
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
