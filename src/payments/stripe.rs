//! Stripe Checkout: the hosted payment page, created server-side, and Stripe's signed
//! webhooks.
//!
//! `start_checkout` sends `POST {api_base}/v1/checkout/sessions` (form-encoded, as Stripe's
//! API takes it) with one line item of `price_data` (the amount in Stripe's units:
//! `shelfraiser_formats::stripe::to_stripe_amount`), our checkout id as
//! `client_reference_id` and `metadata[checkout_id]`, and an `Idempotency-Key` made from our
//! checkout id, so a retried call returns the same Stripe session. The donor is sent to the
//! session's `url`. A refused connection, a time-out (`timeout_secs`), a 4xx or 5xx or an
//! answer without `url` is [`ProviderError::Unavailable`]; the donate form shows it.
//!
//! Refunds (`refund`): `POST {api_base}/v1/refunds` with the payment intent (or charge) we
//! stored as the donation's reference, the amount in Stripe's units, `metadata[refund_id]`
//! and `Idempotency-Key: shelfraiser-refund-{our refund id}`, so a repeated call makes no
//! second refund. A 4xx is Stripe's refusal (`Unsupported`, with its message), a 5xx, 429
//! or no answer `Unavailable`.
//!
//! Webhooks: `Stripe-Signature` is checked by `shelfraiser_formats::webhook::verify` (the
//! same `t=…,v1=…` HMAC-SHA256 scheme, 300 s tolerance) with the endpoint's signing secret,
//! and the body read by `shelfraiser_formats::stripe::parse_event`.
//!
//! The secret key is only ever put in the `Authorization` header; this type has no `Debug`
//! and errors never carry a request.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use http::HeaderMap;
use serde::Deserialize;
use shelfraiser_formats::{stripe as format, webhook};

use super::{
    PaymentProvider, PaymentRequest, ProviderError, ProviderFee, ProviderRefund, ProviderTxn,
    RefundRequest, RefundState, VerifiedCallback,
};
use crate::config::{Secret, StripeProviderSettings};
use crate::money::Money;

pub use shelfraiser_formats::stripe::SIGNATURE_HEADER;

/// The host of Stripe's hosted checkout page.
pub const CHECKOUT_HOSTS: &[&str] = &["https://checkout.stripe.com"];

pub struct StripeProvider {
    secret_key: Secret,
    webhook_secret: Secret,
    api_base: String,
    client: reqwest::Client,
    /// `[providers.stripe] fee_percent_bp`, `fee_fixed_minor`: the estimate the donate
    /// form's "cover the fees" box adds.
    fee_rule: super::FeeRule,
}

#[derive(Deserialize)]
struct CreatedSession {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct CreatedRefund {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl StripeProvider {
    pub fn new(s: &StripeProviderSettings) -> anyhow::Result<StripeProvider> {
        let timeout = Duration::from_secs(s.timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Shelfraiser/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(StripeProvider {
            secret_key: s.secret_key.clone(),
            webhook_secret: s.webhook_secret.clone(),
            api_base: s.api_base.trim_end_matches('/').to_string(),
            client,
            fee_rule: super::FeeRule {
                percent_bp: s.fee_percent_bp,
                fixed_minor: s.fee_fixed_minor,
            },
        })
    }

    /// The form fields of the Checkout Session for `r` (public for the tests' sake).
    pub fn session_form(
        r: &PaymentRequest,
        base_url: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        let amount = format::to_stripe_amount(r.amount)
            .map_err(|e| ProviderError::Malformed(e.to_string()))?;
        let base = base_url.trim_end_matches('/');
        let name = if r.item_name.trim().is_empty() {
            "Donation".to_string()
        } else {
            r.item_name.chars().take(250).collect()
        };
        let mut f: Vec<(String, String)> = vec![
            ("mode".into(), "payment".into()),
            (
                "line_items[0][price_data][currency]".into(),
                r.amount.currency.as_str().to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]".into(),
                amount.to_string(),
            ),
            ("line_items[0][price_data][product_data][name]".into(), name),
            ("line_items[0][quantity]".into(), "1".into()),
            ("success_url".into(), format!("{base}{}", r.return_path)),
            ("cancel_url".into(), format!("{base}{}", r.cancel_path)),
            ("client_reference_id".into(), r.checkout_id.clone()),
            // Stripe's page stops taking payment when our session expires (Stripe accepts
            // 30 minutes to 24 hours from now; ours are an hour).
            ("expires_at".into(), r.expires_at.timestamp().to_string()),
            ("metadata[checkout_id]".into(), r.checkout_id.clone()),
            // On the payment intent too, so a declined card's event names the checkout
            // (`donations::card_testing`).
            (
                "payment_intent_data[metadata][checkout_id]".into(),
                r.checkout_id.clone(),
            ),
        ];
        if let Some(e) = &r.donor_email {
            f.push(("customer_email".into(), e.as_str().to_string()));
        }
        if let Some(gift) = &r.monthly {
            // A subscription: the same line item, charged every month; our ids ride on the
            // subscription (its invoices and events carry them back).
            f[0].1 = "subscription".into();
            f.push((
                "line_items[0][price_data][recurring][interval]".into(),
                "month".into(),
            ));
            f.push((
                "subscription_data[metadata][checkout_id]".into(),
                r.checkout_id.clone(),
            ));
            f.push((
                "subscription_data[metadata][monthly_gift]".into(),
                gift.clone(),
            ));
        }
        Ok(f)
    }

    /// Cancels the subscription `id` at once (`DELETE /v1/subscriptions/{id}`); Stripe's
    /// `customer.subscription.deleted` webhook then confirms it. An unknown subscription
    /// (already gone) is not an error.
    pub async fn cancel_subscription(&self, id: &str) -> Result<(), ProviderError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ProviderError::Malformed("not a subscription id".into()));
        }
        let res = self
            .client
            .delete(format!("{}/v1/subscriptions/{id}", self.api_base))
            .bearer_auth(&self.secret_key.0)
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(describe(e)))?;
        let status = res.status();
        if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(ProviderError::Unavailable(format!(
                "Stripe answered {status}"
            )))
        }
    }

    /// A form POST to Stripe's API (`path`) under `idempotency_key`: the answer's status and
    /// body; a call that does not get an answer is `Unavailable`.
    async fn post_form(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(String, String)],
    ) -> Result<(reqwest::StatusCode, Vec<u8>), ProviderError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let res = self
            .client
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key.0)
            .header("Idempotency-Key", idempotency_key)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(describe(e)))?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| ProviderError::Unavailable(describe(e)))?;
        Ok((status, bytes.to_vec()))
    }

    /// The `Idempotency-Key` of the call that creates the session for our checkout `id`.
    pub fn idempotency_key(checkout_id: &str) -> String {
        format!("shelfraiser-checkout-{checkout_id}")
    }

    async fn create_session(
        &self,
        r: &PaymentRequest,
        base_url: &str,
    ) -> Result<String, ProviderError> {
        let form = Self::session_form(r, base_url)?;
        let (status, bytes) = self
            .post_form(
                "/v1/checkout/sessions",
                &Self::idempotency_key(&r.checkout_id),
                &form,
            )
            .await?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| format!("{} {}", b.error.kind, b.error.code.unwrap_or_default()))
                .unwrap_or_default();
            return Err(ProviderError::Unavailable(format!(
                "Stripe answered {status} {}",
                detail.trim()
            )));
        }
        let created: CreatedSession = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Unavailable(format!("Stripe's answer: {e}")))?;
        created
            .url
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| ProviderError::Unavailable("Stripe's answer has no url".into()))
    }
}

impl StripeProvider {
    /// The form fields of the refund of `r`: the payment intent (`pi_…`) or charge (`ch_…`)
    /// we stored, the amount in Stripe's units, our refund id as metadata.
    pub fn refund_form(r: &RefundRequest) -> Result<Vec<(String, String)>, ProviderError> {
        let amount = format::to_stripe_amount(r.amount)
            .map_err(|e| ProviderError::Unsupported(e.to_string()))?;
        let what = if r.payment_reference.starts_with("pi_") {
            "payment_intent"
        } else if r.payment_reference.starts_with("ch_") {
            "charge"
        } else {
            return Err(ProviderError::Unsupported(
                "the payment has no payment intent or charge to refund".into(),
            ));
        };
        Ok(vec![
            (what.into(), r.payment_reference.clone()),
            ("amount".into(), amount.to_string()),
            ("metadata[refund_id]".into(), r.refund_id.clone()),
        ])
    }

    /// `POST /v1/refunds` with `Idempotency-Key: shelfraiser-refund-{ours}`.
    async fn create_refund(&self, r: &RefundRequest) -> Result<ProviderRefund, ProviderError> {
        let form = Self::refund_form(r)?;
        let key = format!("shelfraiser-refund-{}", r.refund_id);
        let (status, bytes) = self.post_form("/v1/refunds", &key, &form).await?;
        if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
            return Err(ProviderError::Unavailable(format!(
                "Stripe answered {status}"
            )));
        }
        if !status.is_success() {
            // A refusal: already refunded, more than is left, … (Stripe's message says which).
            let detail = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| {
                    let m: String = b
                        .error
                        .message
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect();
                    format!("{} {}", b.error.code.unwrap_or(b.error.kind), m)
                })
                .unwrap_or_default();
            return Err(ProviderError::Unsupported(format!(
                "Stripe refused the refund: {}",
                detail.trim()
            )));
        }
        let created: CreatedRefund = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Unavailable(format!("Stripe's answer: {e}")))?;
        if created.id.is_empty() || created.id.len() > 255 {
            return Err(ProviderError::Unavailable(
                "Stripe's answer has no id".into(),
            ));
        }
        let state = match created.status.as_deref() {
            Some("succeeded") => RefundState::Succeeded,
            Some("failed") | Some("canceled") => RefundState::Failed,
            _ => RefundState::Pending,
        };
        Ok(ProviderRefund {
            id: created.id,
            state,
        })
    }
}

/// A transport error without its URL (which holds nothing secret, but is noise).
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "Stripe did not answer in time".into()
    } else if e.is_connect() {
        "cannot connect to Stripe".into()
    } else {
        format!("calling Stripe failed: {}", e.without_url())
    }
}

impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn fee_rule(&self) -> super::FeeRule {
        self.fee_rule
    }

    fn start_checkout<'a>(
        &'a self,
        request: &'a PaymentRequest,
        base_url: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(self.create_session(request, base_url))
    }

    fn checkout_hosts(&self) -> &[&'static str] {
        CHECKOUT_HOSTS
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<ProviderRefund, ProviderError>> {
        Box::pin(self.create_refund(request))
    }

    fn amount_step(&self, amount: Money) -> Option<Money> {
        match format::to_stripe_amount(amount) {
            Err(format::AmountError::Step { currency, step }) => Some(Money::new(step, currency)),
            _ => None,
        }
    }

    fn min_amount(&self, currency: crate::money::CurrencyCode) -> Option<Money> {
        Some(format::min_charge(currency))
    }

    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedCallback, ProviderError> {
        let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        webhook::verify(
            self.webhook_secret.0.as_bytes(),
            header,
            body,
            now.timestamp(),
            webhook::TOLERANCE_SECS,
        )?;
        Ok(format::parse_event(body)?)
    }

    fn fee<'a>(
        &'a self,
        reference: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Option<ProviderFee>, ProviderError>> {
        Box::pin(self.intent_fee(reference))
    }

    fn transactions<'a>(
        &'a self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Vec<ProviderTxn>>, ProviderError>> {
        Box::pin(async move { self.balance_transactions(from, to).await.map(Some) })
    }
}

/// Balance transactions asked for per page (Stripe's most).
pub const BALANCE_PAGE: usize = 100;
/// Pages read at most in one reconciliation.
const MAX_BALANCE_PAGES: usize = 10_000;

fn unreadable(what: &str, e: shelfraiser_formats::fees::FeeError) -> ProviderError {
    ProviderError::Unavailable(format!("{what}: {e}"))
}

impl StripeProvider {
    /// A GET of Stripe's API (`path` with its query), its body when the answer is 2xx.
    async fn get(&self, path: &str) -> Result<Vec<u8>, ProviderError> {
        let res = self
            .client
            .get(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key.0)
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(describe(e)))?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| ProviderError::Unavailable(describe(e)))?;
        if !status.is_success() {
            return Err(ProviderError::Unavailable(format!(
                "Stripe answered {status}"
            )));
        }
        Ok(bytes.to_vec())
    }

    /// The fee of the payment intent `reference` from its charge's balance transaction
    /// (`fee`, in the balance currency). A donation recorded under its Checkout Session's
    /// id (no payment intent) has no fee to ask for.
    async fn intent_fee(&self, reference: &str) -> Result<Option<ProviderFee>, ProviderError> {
        if !reference.starts_with("pi_")
            || !reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Ok(None);
        }
        let body = self
            .get(&format!(
                "/v1/payment_intents/{reference}?expand%5B%5D=latest_charge.balance_transaction"
            ))
            .await?;
        shelfraiser_formats::fees::stripe_intent_fee(&body)
            .map(Some)
            .map_err(|e| unreadable("payment intent", e))
    }

    /// Every balance transaction created in `[from, to)`, page after page
    /// (`has_more`, `starting_after`), each with its source (charge or refund) expanded.
    async fn balance_transactions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ProviderTxn>, ProviderError> {
        let mut out: Vec<ProviderTxn> = Vec::new();
        for _ in 0..MAX_BALANCE_PAGES {
            let mut path = format!(
                "/v1/balance_transactions?created%5Bgte%5D={}&created%5Blt%5D={}&limit={BALANCE_PAGE}&expand%5B%5D=data.source",
                from.timestamp(),
                to.timestamp()
            );
            if let Some(last) = out.last() {
                path.push_str(&format!("&starting_after={}", last.id));
            }
            let body = self.get(&path).await?;
            let (txns, more) = shelfraiser_formats::fees::stripe_balance_page(&body)
                .map_err(|e| unreadable("balance transactions", e))?;
            let empty = txns.is_empty();
            out.extend(txns);
            if !more || empty {
                break;
            }
        }
        Ok(out)
    }
}
