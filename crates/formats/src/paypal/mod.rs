// SPDX-License-Identifier: AGPL-3.0-or-later

//! PayPal's REST shapes, read as hostile input: the webhook events the server acts on, the
//! answers of the Orders v2 API (create, capture) and the verify-webhook-signature call, and
//! PayPal's amounts (`{"currency_code":"USD","value":"10.00"}`).
//!
//! Amounts: PayPal writes a decimal string in the currency's own number of decimals, which
//! is ISO 4217's except that HUF and TWD (two decimals in ISO) and JPY take none at PayPal
//! ("decimal amounts cause an error"). [`amount_value`] writes a [`Money`] so, refusing a
//! HUF or TWD amount with fillér or cents; [`parse_amount`] reads one back into ISO minor
//! units. Only the currencies PayPal takes are written ([`SUPPORTED`]).
//!
//! Webhook events ([`parse_webhook`]): `PAYMENT.CAPTURE.COMPLETED` (the capture's id, our
//! checkout id from `custom_id`, the amount), `PAYMENT.CAPTURE.DENIED` (the checkout id),
//! `PAYMENT.CAPTURE.REFUNDED` (the refund's id and amount, the refunded capture's id from its
//! `up` link), any other type as [`PaypalEventKind::Other`]. The signature is not checked
//! here: PayPal's is checked by PayPal (the server calls verify-webhook-signature).

use serde::Deserialize;
use serde_json::Value;

use crate::money::{CurrencyCode, Money};
use crate::webhook::{EventKind, ParsedEvent, RefundItem, WebhookError};

/// The currencies PayPal takes payments in (its REST API's currency codes).
pub const SUPPORTED: &[&str] = &[
    "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "ILS", "INR",
    "JPY", "MXN", "MYR", "NOK", "NZD", "PHP", "PLN", "SEK", "SGD", "THB", "TWD", "USD",
];

/// Currencies PayPal takes in whole units only.
pub const NO_DECIMALS: &[&str] = &["HUF", "JPY", "TWD"];

/// Largest body read (PayPal's events are a few kilobytes).
pub const MAX_BODY: usize = 64 * 1024;

/// Longest id accepted (events, orders, captures, refunds; PayPal's are about 20–40).
pub const MAX_ID: usize = 255;

/// Longest checkout id (ours are UUIDs).
pub const MAX_CHECKOUT_ID: usize = 64;

/// Why an amount cannot go to PayPal or did not come back readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("PayPal does not take {0}")]
    Unsupported(String),
    #[error("PayPal takes {0} in whole units only")]
    NotWhole(String),
    #[error("not an amount: {0}")]
    Invalid(String),
}

/// The decimals PayPal writes `c` with.
pub fn paypal_exponent(c: CurrencyCode) -> u8 {
    if NO_DECIMALS.contains(&c.as_str()) {
        0
    } else {
        c.exponent()
    }
}

/// `m` as PayPal's `value`: `"10.00"`, `"1000"` (JPY), `"1500"` (HUF 1,500.00).
pub fn amount_value(m: Money) -> Result<String, AmountError> {
    let code = m.currency.as_str();
    if !SUPPORTED.contains(&code) {
        return Err(AmountError::Unsupported(code.to_string()));
    }
    if m.amount_minor <= 0 {
        return Err(AmountError::Invalid(m.amount_minor.to_string()));
    }
    let drop = m.currency.exponent() - paypal_exponent(m.currency);
    let unit = 10_i64.pow(u32::from(drop));
    if m.amount_minor % unit != 0 {
        return Err(AmountError::NotWhole(code.to_string()));
    }
    if drop > 0 {
        return Ok((m.amount_minor / unit).to_string());
    }
    Ok(m.major_string())
}

/// PayPal's `{currency_code, value}` as [`Money`] in ISO minor units. The value is ASCII
/// digits with at most PayPal's decimals for the currency (`"10"`, `"10.5"`, `"10.50"`).
pub fn parse_amount(currency_code: &str, value: &str) -> Result<Money, AmountError> {
    let currency = CurrencyCode::parse(currency_code)
        .map_err(|_| AmountError::Unsupported(clip(currency_code, 8)))?;
    let bad = || AmountError::Invalid(clip(value, 32));
    if value.is_empty() || value.len() > 32 {
        return Err(bad());
    }
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let exp = usize::from(currency.exponent());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > exp {
        return Err(bad());
    }
    if value.contains('.') && frac.is_empty() {
        return Err(bad());
    }
    let mut minor: i64 = int.parse().map_err(|_| bad())?;
    for i in 0..exp {
        let d = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        minor = minor
            .checked_mul(10)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(bad)?;
    }
    if minor <= 0 || minor > crate::money::MAX_MINOR {
        return Err(bad());
    }
    Ok(Money::new(minor, currency))
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A webhook event the server may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaypalEvent {
    /// The event's id (`WH-…`), the same on every retry, 1–255 bytes.
    pub id: String,
    pub kind: PaypalEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaypalEventKind {
    /// `PAYMENT.CAPTURE.COMPLETED`: the money is taken.
    CaptureCompleted {
        capture_id: String,
        checkout_id: String,
        amount: Money,
    },
    /// `PAYMENT.CAPTURE.DENIED`.
    CaptureDenied {
        capture_id: String,
        checkout_id: String,
    },
    /// `PAYMENT.CAPTURE.REFUNDED`: `amount` went back to the donor.
    CaptureRefunded {
        refund_id: String,
        capture_id: Option<String>,
        checkout_id: Option<String>,
        amount: Money,
    },
    /// Any other event type (at most 64 characters of it kept).
    Other { event_type: String },
}

impl PaypalEvent {
    /// The event as the shared callback path takes it: a completed capture is a success
    /// (the capture id is the payment reference), a denied one a decline, a refund of a
    /// capture [`EventKind::Refunded`] (the capture id the payment reference, the refund id
    /// the charge); every other event is [`EventKind::Ignored`] (names no checkout).
    pub fn to_parsed(&self) -> ParsedEvent {
        let (session_id, kind) = match &self.kind {
            PaypalEventKind::CaptureCompleted {
                capture_id,
                checkout_id,
                amount,
            } => (
                checkout_id.clone(),
                EventKind::Succeeded {
                    payment_reference: capture_id.clone(),
                    amount: *amount,
                },
            ),
            PaypalEventKind::CaptureDenied { checkout_id, .. } => {
                (checkout_id.clone(), EventKind::Declined)
            }
            PaypalEventKind::CaptureRefunded {
                refund_id,
                capture_id: Some(capture_id),
                amount,
                ..
            } => (
                String::new(),
                EventKind::Refunded {
                    payment_reference: capture_id.clone(),
                    charge: refund_id.clone(),
                    amount: *amount,
                    refunds: vec![RefundItem {
                        id: refund_id.clone(),
                        amount: *amount,
                    }],
                },
            ),
            PaypalEventKind::CaptureRefunded { .. } => (
                String::new(),
                EventKind::Ignored {
                    kind: "PAYMENT.CAPTURE.REFUNDED".into(),
                },
            ),
            PaypalEventKind::Other { event_type } => (
                String::new(),
                EventKind::Ignored {
                    kind: event_type.clone(),
                },
            ),
        };
        ParsedEvent {
            event_id: self.id.clone(),
            session_id,
            kind,
        }
    }
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    event_type: String,
    #[serde(default)]
    resource: Value,
}

#[derive(Deserialize)]
struct RawAmount {
    currency_code: String,
    value: String,
}

#[derive(Deserialize)]
struct RawLink {
    #[serde(default)]
    rel: String,
    #[serde(default)]
    href: String,
}

/// A capture or refund resource: the fields read.
#[derive(Deserialize)]
struct RawPayment {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount: Option<RawAmount>,
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    links: Vec<RawLink>,
}

fn malformed(m: impl Into<String>) -> WebhookError {
    WebhookError::Malformed(m.into())
}

fn id_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

fn checkout_of(p: &RawPayment) -> Result<String, WebhookError> {
    p.custom_id
        .clone()
        .filter(|c| id_ok(c, MAX_CHECKOUT_ID))
        .ok_or_else(|| malformed("custom_id (the checkout) is required"))
}

fn amount_of(p: &RawPayment) -> Result<Money, WebhookError> {
    let a = p
        .amount
        .as_ref()
        .ok_or_else(|| malformed("amount is required"))?;
    parse_amount(&a.currency_code, &a.value).map_err(|e| malformed(e.to_string()))
}

fn payment(resource: Value) -> Result<RawPayment, WebhookError> {
    let p: RawPayment =
        serde_json::from_value(resource).map_err(|e| malformed(format!("resource: {e}")))?;
    if !id_ok(&p.id, MAX_ID) {
        return Err(malformed(
            "resource.id is required (at most 255 characters)",
        ));
    }
    Ok(p)
}

/// Reads a webhook body (see the module's notes). Anything not shaped as PayPal sends it is
/// [`WebhookError::Malformed`]; an event type the server does not act on is
/// [`PaypalEventKind::Other`] once its id is read.
pub fn parse_webhook(body: &[u8]) -> Result<PaypalEvent, WebhookError> {
    if body.len() > MAX_BODY {
        return Err(malformed("body too large"));
    }
    let ev: RawEvent = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    if !id_ok(&ev.id, MAX_ID) {
        return Err(malformed("id is required (at most 255 characters)"));
    }
    let kind = match ev.event_type.as_str() {
        "PAYMENT.CAPTURE.COMPLETED" => {
            let p = payment(ev.resource)?;
            if p.status.as_deref().is_some_and(|s| s != "COMPLETED") {
                return Err(malformed("a completed capture's status is not COMPLETED"));
            }
            PaypalEventKind::CaptureCompleted {
                checkout_id: checkout_of(&p)?,
                amount: amount_of(&p)?,
                capture_id: p.id,
            }
        }
        "PAYMENT.CAPTURE.DENIED" => {
            let p = payment(ev.resource)?;
            PaypalEventKind::CaptureDenied {
                checkout_id: checkout_of(&p)?,
                capture_id: p.id,
            }
        }
        "PAYMENT.CAPTURE.REFUNDED" => {
            let p = payment(ev.resource)?;
            let capture_id = p
                .links
                .iter()
                .find(|l| l.rel == "up")
                .and_then(|l| l.href.rsplit_once("/captures/"))
                .map(|(_, id)| id.to_string())
                .filter(|id| id_ok(id, MAX_ID));
            PaypalEventKind::CaptureRefunded {
                amount: amount_of(&p)?,
                checkout_id: p.custom_id.clone().filter(|c| id_ok(c, MAX_CHECKOUT_ID)),
                capture_id,
                refund_id: p.id,
            }
        }
        other => PaypalEventKind::Other {
            event_type: clip(other, 64),
        },
    };
    Ok(PaypalEvent { id: ev.id, kind })
}

/// The answer to `POST /v2/checkout/orders`: the order's id and where the donor approves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedOrder {
    pub id: String,
    /// The `payer-action` link (with `payment_source.paypal`) or the `approve` link.
    pub approve_url: String,
}

#[derive(Deserialize)]
struct RawOrder {
    id: String,
    #[serde(default)]
    links: Vec<RawLink>,
}

/// Reads a created order; the approval link must be an `https` URL (or `http` on a loopback
/// address, for a local test server).
pub fn parse_created_order(body: &[u8]) -> Result<CreatedOrder, String> {
    let o: RawOrder = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if !id_ok(&o.id, MAX_ID) {
        return Err("the order has no id".into());
    }
    let link = o
        .links
        .iter()
        .find(|l| l.rel == "payer-action")
        .or_else(|| o.links.iter().find(|l| l.rel == "approve"))
        .ok_or("the order has no approve link")?;
    let ok = link.href.len() <= 2048
        && (link.href.starts_with("https://")
            || link.href.starts_with("http://127.0.0.1:")
            || link.href.starts_with("http://localhost:"));
    if !ok {
        return Err("the approve link is not an https URL".into());
    }
    Ok(CreatedOrder {
        id: o.id,
        approve_url: link.href.clone(),
    })
}

/// A capture as the capture call reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub id: String,
    /// `COMPLETED`, `PENDING`, `DECLINED`, … (at most 32 characters kept).
    pub status: String,
    pub amount: Money,
    /// Our checkout id, as the order was created with it.
    pub checkout_id: Option<String>,
}

/// Reads the answer to `POST /v2/checkout/orders/{id}/capture`: the first capture of the
/// first purchase unit.
pub fn parse_capture(body: &[u8]) -> Result<Capture, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let c = v
        .pointer("/purchase_units/0/payments/captures/0")
        .cloned()
        .ok_or("the answer has no capture")?;
    let unit_custom = v
        .pointer("/purchase_units/0/custom_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let p = payment(c).map_err(|e| e.to_string())?;
    let amount = amount_of(&p).map_err(|e| e.to_string())?;
    Ok(Capture {
        status: clip(p.status.as_deref().unwrap_or(""), 32),
        amount,
        checkout_id: p
            .custom_id
            .clone()
            .or(unit_custom)
            .filter(|c| id_ok(c, MAX_CHECKOUT_ID)),
        id: p.id,
    })
}

/// Whether the verify-webhook-signature answer says `SUCCESS`.
pub fn verification_succeeded(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Answer {
        verification_status: String,
    }
    serde_json::from_slice::<Answer>(body).is_ok_and(|a| a.verification_status == "SUCCESS")
}

/// The OAuth2 token answer: the access token and its lifetime in seconds.
pub fn parse_token(body: &[u8]) -> Result<(String, i64), String> {
    #[derive(Deserialize)]
    struct Token {
        access_token: String,
        #[serde(default)]
        expires_in: i64,
    }
    let t: Token = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if t.access_token.is_empty() || t.access_token.len() > 4096 {
        return Err("no access token".into());
    }
    Ok((t.access_token, t.expires_in))
}

#[cfg(test)]
mod tests;
