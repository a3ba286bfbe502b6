//! Payment providers behind one interface (infrastructure: clients of outside services, like
//! `mail`; what a donation is lives in `donations`).
//!
//! A provider (1) starts a hosted checkout for a [`PaymentRequest`] and says where to
//! send the donor, and (2) verifies and parses its signed callbacks (webhooks) into a
//! [`VerifiedCallback`]. Everything after that — idempotency, the ledger, totals, live
//! updates — is shared (see `donations::callbacks`). `offline` donations are entered by a
//! treasurer and never pass through a provider. Stripe and PayPal implement the same trait.

pub mod paypal;
pub mod stripe;
pub mod test;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use http::HeaderMap;
use shelfraiser_formats::webhook::WebhookError;

use crate::email::Email;
use crate::money::Money;

/// A provider's fee rule, the fee it took and its transactions as a reconciliation lists
/// them (`shelfraiser_formats::fees`).
pub use shelfraiser_formats::fees::{FeeRule, ProviderFee, ProviderTxn, TxnKind};

/// What a provider is asked to collect: one of our checkout sessions
/// (`donations::checkout::CheckoutSession::payment_request`).
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    /// Our checkout session's id; the provider's callbacks carry it back.
    pub checkout_id: String,
    /// What the donor pays, in the currency they chose.
    pub amount: Money,
    pub donor_email: Option<Email>,
    /// Where the donor comes back to after paying (site-relative; a provider with a hosted
    /// page makes it absolute with the base URL). Empty: the provider's own choice.
    pub return_path: String,
    /// Where the donor comes back to after leaving the payment page unpaid.
    pub cancel_path: String,
    /// What the donor sees they pay for (the campaign's title).
    pub item_name: String,
    /// When our checkout session expires: the provider's page should not take money after.
    pub expires_at: DateTime<Utc>,
    /// A monthly gift (Stripe only: a subscription); `None` for a one-off donation. The
    /// value is our monthly gift's id, kept in the subscription's metadata.
    pub monthly: Option<String>,
}

/// A refund to ask a provider for (started from the console): our refund's id (the call's
/// idempotency key, and the provider's metadata where it takes some), the payment as we
/// stored it (`donations.provider_reference`) and the amount, in the payment's currency.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub refund_id: String,
    pub payment_reference: String,
    pub amount: Money,
}

/// Where a refund stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    /// The money went back.
    Succeeded,
    /// Under way: the webhook will say when it is done.
    Pending,
    /// The provider could not return the money.
    Failed,
}

/// The provider's answer to a refund: its id for it (the same in its webhooks) and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub id: String,
    pub state: RefundState,
}

/// What the provider says happened to a checkout: succeeded (with the provider's payment
/// reference and the amount), declined or canceled. One type for every provider, defined
/// beside the callback parsers in `shelfraiser_formats::webhook`.
pub use shelfraiser_formats::webhook::EventKind as CallbackEvent;

/// A verified callback: the provider's id for the event (the same on every retry), our
/// checkout session's id, and what happened ([`CallbackEvent`]).
pub use shelfraiser_formats::webhook::ParsedEvent as VerifiedCallback;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the callback signature is missing or does not match")]
    BadSignature,
    #[error("the callback is too old or from the future")]
    Stale,
    #[error("the callback is malformed: {0}")]
    Malformed(String),
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider cannot take this payment (its currency, or decimals it does not take).
    #[error("the payment provider cannot take this payment: {0}")]
    Unsupported(String),
}

/// A signed callback refused by the formats crate's check (`shelfraiser_formats::webhook`).
impl From<WebhookError> for ProviderError {
    fn from(e: WebhookError) -> ProviderError {
        match e {
            WebhookError::BadSignature => ProviderError::BadSignature,
            WebhookError::Stale => ProviderError::Stale,
            WebhookError::Malformed(m) => ProviderError::Malformed(m),
        }
    }
}

pub trait PaymentProvider: Send + Sync {
    /// The name used in URLs (`/providers/{name}/callback`) and stored on donations.
    fn name(&self) -> &'static str;

    /// Starts the hosted checkout; returns the URL (absolute or site-relative) to send the
    /// donor to.
    fn start_checkout<'a>(
        &'a self,
        request: &'a PaymentRequest,
        base_url: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;

    /// The hosts of its hosted checkout (`https://checkout.stripe.com`), which the site's
    /// `form-action` CSP must allow: browsers apply it to the 303 after the donate form.
    fn checkout_hosts(&self) -> &[&'static str] {
        &[]
    }

    /// When the provider cannot charge `amount` exactly, the step it takes amounts of in
    /// that currency (Stripe: KWD in steps of 10 fils); the donate form refuses the amount.
    fn amount_step(&self, _amount: Money) -> Option<Money> {
        None
    }

    /// The smallest amount the provider charges in `currency`, possibly named in another
    /// currency (Stripe: 0.50 USD where its table lists none), for the donate form to refuse
    /// smaller amounts before any call. `None`: no minimum of its own.
    fn min_amount(&self, _currency: crate::money::CurrencyCode) -> Option<Money> {
        None
    }

    /// Verifies a callback's signature over the raw body and parses it.
    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedCallback, ProviderError>;

    /// The check `donations::callbacks` runs: [`Self::verify_callback`] unless the
    /// provider must ask its own service (PayPal's verify-webhook-signature call).
    fn verify_callback_async<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<VerifiedCallback, ProviderError>> {
        Box::pin(std::future::ready(self.verify_callback(headers, body, now)))
    }

    /// Refunds `request` (all or part of a payment). A provider that cannot refund answers
    /// [`ProviderError::Unsupported`]; a refusal (the payment already refunded, too much)
    /// is `Unsupported` with the provider's reason; a provider down or slow `Unavailable`,
    /// and the same call may be made again (the refund id is its idempotency key).
    fn refund<'a>(
        &'a self,
        _request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<ProviderRefund, ProviderError>> {
        Box::pin(std::future::ready(Err(ProviderError::Unsupported(
            format!("{} payments cannot be refunded here", self.name()),
        ))))
    }

    /// Its configured fee rule (`[providers.*] fee_percent_bp`, `fee_fixed_minor`): what the
    /// test provider charges, and for every provider the estimate the donate form's "cover
    /// the fees" box adds (none: no box). Stripe and PayPal report the fee they took, which
    /// is what the ledger records.
    fn fee_rule(&self) -> FeeRule {
        FeeRule::default()
    }

    /// The fee the provider took on the payment `reference` (which charged `amount`):
    /// `None` when it takes none; `Unavailable` when it cannot say yet (ask again later).
    fn fee<'a>(
        &'a self,
        _reference: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Option<ProviderFee>, ProviderError>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    /// Its own record of the payments and refunds made in `[from, to)`, for
    /// `shelfraiser ledger reconcile`; `None` when it keeps none to compare with.
    fn transactions<'a>(
        &'a self,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Vec<ProviderTxn>>, ProviderError>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

/// The providers this site has enabled, in the order the donate form offers them.
#[derive(Clone, Default)]
pub struct Providers {
    list: Vec<Arc<dyn PaymentProvider>>,
    test: Option<Arc<test::TestProvider>>,
    paypal: Option<Arc<paypal::PaypalProvider>>,
    stripe: Option<Arc<stripe::StripeProvider>>,
}

impl Providers {
    pub fn with_test(mut self, p: test::TestProvider) -> Self {
        let p = Arc::new(p);
        self.list.push(p.clone());
        self.test = Some(p);
        self
    }

    pub fn with_paypal(mut self, p: paypal::PaypalProvider) -> Self {
        let p = Arc::new(p);
        self.list.push(p.clone());
        self.paypal = Some(p);
        self
    }

    /// PayPal, when configured (its return route captures through the concrete type).
    pub fn paypal(&self) -> Option<&Arc<paypal::PaypalProvider>> {
        self.paypal.as_ref()
    }

    pub fn with_stripe(mut self, p: stripe::StripeProvider) -> Self {
        let p = Arc::new(p);
        self.list.push(p.clone());
        self.stripe = Some(p);
        self
    }

    /// Stripe, when configured (monthly gifts are cancelled through the concrete type).
    pub fn stripe(&self) -> Option<&Arc<stripe::StripeProvider>> {
        self.stripe.as_ref()
    }

    /// The fee rules of the enabled providers that have one (the donate form offers its
    /// "cover the fees" box when there is any).
    pub fn fee_rules(&self) -> Vec<(&'static str, FeeRule)> {
        self.list
            .iter()
            .map(|p| (p.name(), p.fee_rule()))
            .filter(|(_, r)| !r.is_zero())
            .collect()
    }

    /// The enabled providers' names, in the order the donate form offers them.
    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|p| p.name()).collect()
    }

    /// Every enabled provider's checkout hosts (for the `form-action` CSP).
    pub fn checkout_hosts(&self) -> Vec<&'static str> {
        let mut hosts: Vec<&'static str> = Vec::new();
        for h in self.list.iter().flat_map(|p| p.checkout_hosts().iter()) {
            if !hosts.contains(h) {
                hosts.push(h);
            }
        }
        hosts
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn PaymentProvider>> {
        self.list.iter().find(|p| p.name() == name)
    }

    /// The provider the donate form uses.
    pub fn default_online(&self) -> Option<&Arc<dyn PaymentProvider>> {
        self.list.first()
    }

    /// The test provider, when enabled (its checkout page needs the concrete type).
    pub fn test(&self) -> Option<&Arc<test::TestProvider>> {
        self.test.as_ref()
    }
}
