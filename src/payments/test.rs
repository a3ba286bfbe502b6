//! The `test` provider: a test-mode hosted checkout that behaves like a real provider.
//!
//! The donate form redirects to `/test-checkout/{session}`, a page clearly labelled TEST MODE
//! with three buttons (`outcome` = `succeed`, `decline`, `cancel`). Pressing one makes the
//! provider emit a signed callback, which goes through the same verification and recording
//! path as a real provider's webhook (`POST /providers/test/callback`).
//!
//! Signature header, Stripe-style: `Shelfraiser-Signature: t=<unix seconds>,v1=<hex>` where
//! the hex is HMAC-SHA256(secret, "<t>.<raw body>"). Several `v1` values may be given (secret
//! rotation); one must match. Tolerance: 300 seconds either way. Reading and checking the
//! header and the body is pure and lives in the formats crate
//! (`shelfraiser_formats::webhook`, fuzzed there); this module is the provider around it.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use http::HeaderMap;
use shelfraiser_formats::webhook;

use super::{
    FeeRule, PaymentProvider, PaymentRequest, ProviderError, ProviderFee, ProviderRefund,
    RefundRequest, RefundState, VerifiedCallback,
};
use crate::config::Secret;
use crate::money::Money;

pub use shelfraiser_formats::webhook::{SIGNATURE_HEADER, TOLERANCE_SECS, TestEvent};

pub struct TestProvider {
    secret: Secret,
    fee_rule: FeeRule,
}

impl TestProvider {
    pub fn new(secret: Secret) -> TestProvider {
        TestProvider {
            secret,
            fee_rule: FeeRule::default(),
        }
    }

    /// Charges `rule` on every payment (`[providers.test] fee_percent_bp`,
    /// `fee_fixed_minor`), so demos show fees; none by default.
    pub fn with_fee_rule(mut self, rule: FeeRule) -> TestProvider {
        self.fee_rule = rule;
        self
    }

    /// The signature header value for `body` at time `t`.
    pub fn sign(&self, body: &[u8], t: i64) -> String {
        webhook::sign(self.secret.0.as_bytes(), body, t)
    }

    /// Builds the signed callback for an outcome on a session (what the hosted page sends).
    pub fn event_for(&self, request: &PaymentRequest, outcome: Outcome) -> TestEvent {
        let (kind, reference, amount) = match outcome {
            Outcome::Succeed => (
                "checkout.succeeded",
                Some(format!("tpay_{}", uuid::Uuid::new_v4().simple())),
                Some(request.amount),
            ),
            Outcome::Decline => ("checkout.declined", None, None),
            Outcome::Cancel => ("checkout.canceled", None, None),
        };
        TestEvent {
            id: format!("evt_{}", uuid::Uuid::new_v4().simple()),
            kind: kind.into(),
            session_id: request.checkout_id.clone(),
            payment_reference: reference,
            amount_minor: amount.map(|m| m.amount_minor),
            currency: amount.map(|m| m.currency.to_string()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeed,
    Decline,
    Cancel,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "succeed" => Outcome::Succeed,
            "decline" => Outcome::Decline,
            "cancel" => Outcome::Cancel,
            _ => return None,
        })
    }
}

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    fn start_checkout<'a>(
        &'a self,
        request: &'a PaymentRequest,
        _base_url: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move { Ok(format!("/test-checkout/{}", request.checkout_id)) })
    }

    /// Test mode refunds at once: the refund's id is made from ours (so a repeated call
    /// gets the same one), and no webhook follows (the console's answer records it).
    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<ProviderRefund, ProviderError>> {
        Box::pin(std::future::ready(Ok(ProviderRefund {
            id: format!("tre_{}", request.refund_id),
            state: RefundState::Succeeded,
        })))
    }

    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedCallback, ProviderError> {
        let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        Ok(webhook::verify_and_parse(
            self.secret.0.as_bytes(),
            header,
            body,
            now.timestamp(),
        )?)
    }

    fn fee_rule(&self) -> FeeRule {
        self.fee_rule
    }

    fn fee<'a>(
        &'a self,
        _reference: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<Option<ProviderFee>, ProviderError>> {
        let fee = (!self.fee_rule.is_zero()).then(|| ProviderFee {
            fee: self.fee_rule.fee_on(amount),
        });
        Box::pin(std::future::ready(Ok(fee)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> TestProvider {
        TestProvider::new(Secret("s3cret".into()))
    }

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE_HEADER, v.parse().expect("header"));
        h
    }

    const BODY: &str = r#"{"id":"evt_1","type":"checkout.succeeded","session_id":"s1","payment_reference":"p1","amount_minor":500,"currency":"GBP"}"#;

    #[test]
    fn verifies_good_signature() {
        let p = provider();
        let now = Utc::now();
        let h = headers(&p.sign(BODY.as_bytes(), now.timestamp()));
        let v = p.verify_callback(&h, BODY.as_bytes(), now).expect("valid");
        assert_eq!(v.event_id, "evt_1");
        assert!(matches!(
            v.kind,
            super::super::CallbackEvent::Succeeded { .. }
        ));
    }

    #[test]
    fn rejects_tampering_and_age() {
        let p = provider();
        let now = Utc::now();
        let sig = p.sign(BODY.as_bytes(), now.timestamp());
        let tampered = BODY.replace("500", "50000");
        assert_eq!(
            p.verify_callback(&headers(&sig), tampered.as_bytes(), now),
            Err(ProviderError::BadSignature)
        );
        assert_eq!(
            p.verify_callback(&HeaderMap::new(), BODY.as_bytes(), now),
            Err(ProviderError::BadSignature)
        );
        let old = p.sign(BODY.as_bytes(), now.timestamp() - 301);
        assert_eq!(
            p.verify_callback(&headers(&old), BODY.as_bytes(), now),
            Err(ProviderError::Stale)
        );
        let other =
            TestProvider::new(Secret("other".into())).sign(BODY.as_bytes(), now.timestamp());
        assert_eq!(
            p.verify_callback(&headers(&other), BODY.as_bytes(), now),
            Err(ProviderError::BadSignature)
        );
    }

    #[test]
    fn rejects_malformed_bodies() {
        let p = provider();
        let now = Utc::now();
        for body in [
            "{}",
            "not json",
            r#"{"id":"e","type":"checkout.succeeded","session_id":"s"}"#,
            r#"{"id":"e","type":"weird","session_id":"s"}"#,
        ] {
            let h = headers(&p.sign(body.as_bytes(), now.timestamp()));
            assert!(
                matches!(
                    p.verify_callback(&h, body.as_bytes(), now),
                    Err(ProviderError::Malformed(_))
                ),
                "{body}"
            );
        }
    }
}
