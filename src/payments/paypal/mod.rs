//! PayPal Checkout through the Orders v2 API (`[providers.paypal]`).
//!
//! * **Start** ([`PaymentProvider::start_checkout`]): `POST /v2/checkout/orders` with intent
//!   `CAPTURE`, one purchase unit whose `custom_id` and `invoice_id` are our checkout id and
//!   whose amount is written in PayPal's decimals (HUF, JPY, TWD whole), the return and
//!   cancel URLs in `payment_source.paypal.experience_context`, and `PayPal-Request-Id:
//!   order-{checkout}` so a retried call makes no second order. The donor is sent to the
//!   order's `payer-action` link.
//! * **Return** ([`PaypalProvider::capture`], called by `donations::pages::paypal`):
//!   `POST /v2/checkout/orders/{order}/capture` with `PayPal-Request-Id:
//!   capture-{checkout}-{order}` (a reload or a second tab gets PayPal's first answer, never
//!   a second capture); an order already captured is read back with
//!   `GET /v2/checkout/orders/{order}`.
//! * **Webhook** ([`PaymentProvider::verify_callback_async`]): the body is read first
//!   (`shelfraiser_formats::paypal`; garbage never costs a call), then PayPal is asked
//!   (`POST /v1/notifications/verify-webhook-signature` with the five `PAYPAL-*` headers,
//!   our `webhook_id` and the event exactly as received) and must answer `SUCCESS`.
//!   `PAYMENT.CAPTURE.COMPLETED` is a success for the checkout in `custom_id` (the capture
//!   id is the payment reference, as on the return, so the donation is recorded once
//!   whichever comes first); `PAYMENT.CAPTURE.DENIED` a decline; a refund is a
//!   `CallbackEvent::Refunded` of the capture with the one refund it names (recorded into
//!   the ledger once per refund id, `donations::refunds`); every other event type is
//!   `CallbackEvent::Ignored` (200).
//! * **Refund** ([`PaymentProvider::refund`]): `POST /v2/payments/captures/{capture}/refund`
//!   (see there). The order carries the campaign's title as its `description`.

mod api;
mod fees;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use http::{HeaderMap, StatusCode};
use serde_json::json;
use shelfraiser_formats::paypal::{self as format, Capture};

use super::{
    PaymentProvider, PaymentRequest, ProviderError, ProviderFee, ProviderRefund, ProviderTxn,
    RefundRequest, RefundState, VerifiedCallback,
};
use crate::config::PaypalSettings;
use crate::money::Money;

/// The webhook headers PayPal signs with, all required.
pub const WEBHOOK_HEADERS: [(&str, &str); 5] = [
    ("paypal-auth-algo", "auth_algo"),
    ("paypal-cert-url", "cert_url"),
    ("paypal-transmission-id", "transmission_id"),
    ("paypal-transmission-sig", "transmission_sig"),
    ("paypal-transmission-time", "transmission_time"),
];

pub struct PaypalProvider {
    api: api::Api,
    webhook_id: String,
    sandbox: bool,
    /// `[providers.paypal] fee_percent_bp`, `fee_fixed_minor`: the estimate the donate
    /// form's "cover the fees" box adds.
    fee_rule: super::FeeRule,
}

/// What the capture call says about an approved order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// A capture exists; its `status` says whether the money is taken (`COMPLETED`), on its
    /// way (`PENDING`: the webhook will tell) or refused (`DECLINED`, `FAILED`).
    Captured(Capture),
    /// PayPal refused to capture (the payer's funding source was declined, the order was
    /// not approved): PayPal's error name.
    Refused(String),
}

/// Whether `s` can be an order id in a URL path (PayPal's are 17 letters and digits).
pub fn valid_order_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn failed(what: &str, a: &api::Answer) -> ProviderError {
    let text: String = String::from_utf8_lossy(&a.body).chars().take(300).collect();
    ProviderError::Unavailable(format!("{what}: {} {text}", a.status))
}

impl PaypalProvider {
    pub fn new(s: &PaypalSettings) -> anyhow::Result<PaypalProvider> {
        Ok(PaypalProvider {
            api: api::Api::new(&s.api_base, &s.client_id, s.client_secret.clone())?,
            webhook_id: s.webhook_id.clone(),
            sandbox: s.api_base.contains("sandbox.paypal.com"),
            fee_rule: super::FeeRule {
                percent_bp: s.fee_percent_bp,
                fixed_minor: s.fee_fixed_minor,
            },
        })
    }

    /// Captures the approved order `order_id` of our checkout `checkout_id`.
    pub async fn capture(
        &self,
        order_id: &str,
        checkout_id: &str,
    ) -> Result<CaptureOutcome, ProviderError> {
        if !valid_order_id(order_id) {
            return Err(ProviderError::Malformed("not an order id".into()));
        }
        let a = self
            .api
            .post(
                &format!("/v2/checkout/orders/{order_id}/capture"),
                "{}".into(),
                Some(&format!("capture-{checkout_id}-{order_id}")),
            )
            .await?;
        if a.status.is_success() {
            return format::parse_capture(&a.body)
                .map(CaptureOutcome::Captured)
                .map_err(|e| ProviderError::Unavailable(format!("capture: {e}")));
        }
        if a.status.is_server_error() || a.status == StatusCode::TOO_MANY_REQUESTS {
            return Err(failed("capture", &a));
        }
        let issue = error_issue(&a.body);
        if issue == "ORDER_ALREADY_CAPTURED" {
            let o = self
                .api
                .get(&format!("/v2/checkout/orders/{order_id}"))
                .await?;
            if !o.status.is_success() {
                return Err(failed("order", &o));
            }
            return format::parse_capture(&o.body)
                .map(CaptureOutcome::Captured)
                .map_err(|e| ProviderError::Unavailable(format!("order: {e}")));
        }
        tracing::info!(status = %a.status, issue, "PayPal refused the capture");
        Ok(CaptureOutcome::Refused(issue))
    }

    /// Asks PayPal whether the webhook delivery is genuine.
    async fn verify_signature(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), ProviderError> {
        let mut fields = serde_json::Map::new();
        for (header, field) in WEBHOOK_HEADERS {
            let v = headers
                .get(header)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty() && v.len() <= 2048)
                .ok_or(ProviderError::BadSignature)?;
            fields.insert(field.into(), v.into());
        }
        fields.insert("webhook_id".into(), self.webhook_id.clone().into());
        // The event goes back exactly as it came (PayPal checks a CRC32 of it).
        let event = std::str::from_utf8(body)
            .map_err(|_| ProviderError::Malformed("the body is not UTF-8".into()))?;
        let mut request = serde_json::Value::Object(fields).to_string();
        request.pop();
        request.push_str(",\"webhook_event\":");
        request.push_str(event);
        request.push('}');
        let a = self
            .api
            .post("/v1/notifications/verify-webhook-signature", request, None)
            .await?;
        if a.status.is_server_error() || a.status == StatusCode::TOO_MANY_REQUESTS {
            return Err(failed("verify-webhook-signature", &a));
        }
        if a.status.is_success() && format::verification_succeeded(&a.body) {
            Ok(())
        } else {
            Err(ProviderError::BadSignature)
        }
    }
}

/// The `name` of a PayPal error answer (`{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":
/// "ORDER_ALREADY_CAPTURED"}]}`): the first detail's issue, else the name.
fn error_issue(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v.pointer("/details/0/issue")
        .or_else(|| v.get("name"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("UNKNOWN")
        .chars()
        .take(64)
        .collect()
}

impl PaymentProvider for PaypalProvider {
    fn name(&self) -> &'static str {
        "paypal"
    }

    fn fee_rule(&self) -> super::FeeRule {
        self.fee_rule
    }

    /// Where PayPal's approval pages live: the live site, or the sandbox's when the API is
    /// the sandbox (the donate form's 303 goes there, so the `form-action` CSP names it).
    fn checkout_hosts(&self) -> &[&'static str] {
        if self.sandbox {
            &["https://www.sandbox.paypal.com"]
        } else {
            &["https://www.paypal.com"]
        }
    }

    fn start_checkout<'a>(
        &'a self,
        request: &'a PaymentRequest,
        base_url: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let value = format::amount_value(request.amount)
                .map_err(|e| ProviderError::Unsupported(e.to_string()))?;
            let id = &request.checkout_id;
            let base = base_url.trim_end_matches('/');
            let mut paypal = json!({
                "experience_context": {
                    "return_url": format!("{base}/providers/paypal/return?checkout={id}"),
                    "cancel_url": format!("{base}/providers/paypal/cancel?checkout={id}"),
                    "user_action": "PAY_NOW",
                    "shipping_preference": "NO_SHIPPING",
                }
            });
            if let Some(e) = &request.donor_email {
                paypal["email_address"] = e.as_str().into();
            }
            // What the donor sees they pay for (PayPal takes 127 characters). Orders v2 has
            // no expiry of its own: the return captures only while our session is payable
            // (`checkout::payable`), so an order approved after it expired takes nothing.
            let description: String = if request.item_name.trim().is_empty() {
                "Donation".into()
            } else {
                request.item_name.chars().take(127).collect()
            };
            let body = json!({
                "intent": "CAPTURE",
                "purchase_units": [{
                    "custom_id": id,
                    "invoice_id": id,
                    "description": description,
                    "amount": {
                        "currency_code": request.amount.currency.as_str(),
                        "value": value,
                    },
                }],
                "payment_source": { "paypal": paypal },
            });
            let a = self
                .api
                .post(
                    "/v2/checkout/orders",
                    body.to_string(),
                    Some(&format!("order-{id}")),
                )
                .await?;
            if !a.status.is_success() {
                return Err(failed("create order", &a));
            }
            let order = format::parse_created_order(&a.body)
                .map_err(|e| ProviderError::Unavailable(format!("create order: {e}")))?;
            Ok(order.approve_url)
        })
    }

    /// `POST /v2/payments/captures/{capture}/refund` with the amount in PayPal's decimals,
    /// our refund id as `custom_id` and `PayPal-Request-Id: refund-{ours}` (a repeated call
    /// gets PayPal's first answer, never a second refund).
    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<ProviderRefund, ProviderError>> {
        Box::pin(async move {
            let capture = &request.payment_reference;
            if !valid_order_id(capture) {
                return Err(ProviderError::Unsupported("not a PayPal capture".into()));
            }
            let value = format::amount_value(request.amount)
                .map_err(|e| ProviderError::Unsupported(e.to_string()))?;
            let body = json!({
                "amount": {
                    "currency_code": request.amount.currency.as_str(),
                    "value": value,
                },
                "custom_id": request.refund_id,
            });
            let a = self
                .api
                .post(
                    &format!("/v2/payments/captures/{capture}/refund"),
                    body.to_string(),
                    Some(&format!("refund-{}", request.refund_id)),
                )
                .await?;
            if a.status.is_server_error() || a.status == StatusCode::TOO_MANY_REQUESTS {
                return Err(failed("refund", &a));
            }
            if !a.status.is_success() {
                return Err(ProviderError::Unsupported(format!(
                    "PayPal refused the refund: {}",
                    error_issue(&a.body)
                )));
            }
            let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_default();
            let id = v
                .get("id")
                .and_then(serde_json::Value::as_str)
                .filter(|id| valid_order_id(id))
                .ok_or_else(|| ProviderError::Unavailable("refund: no id in the answer".into()))?;
            let state = match v.get("status").and_then(serde_json::Value::as_str) {
                Some("COMPLETED") => RefundState::Succeeded,
                Some("CANCELLED") | Some("FAILED") => RefundState::Failed,
                _ => RefundState::Pending,
            };
            Ok(ProviderRefund {
                id: id.to_string(),
                state,
            })
        })
    }

    fn verify_callback(
        &self,
        _headers: &HeaderMap,
        _body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<VerifiedCallback, ProviderError> {
        // PayPal's signature is checked by PayPal: see verify_callback_async.
        Err(ProviderError::BadSignature)
    }

    fn verify_callback_async<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<VerifiedCallback, ProviderError>> {
        Box::pin(async move {
            let event = format::parse_webhook(body)?;
            self.verify_signature(headers, body).await?;
            Ok(event.to_parsed())
        })
    }

    fn fee<'a>(
        &'a self,
        reference: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Option<ProviderFee>, ProviderError>> {
        Box::pin(fees::capture_fee(self, reference))
    }

    fn transactions<'a>(
        &'a self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Vec<ProviderTxn>>, ProviderError>> {
        Box::pin(async move { fees::transactions(self, from, to).await.map(Some) })
    }
}
