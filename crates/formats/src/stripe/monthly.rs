// SPDX-License-Identifier: AGPL-3.0-or-later

//! Stripe's subscription events (monthly giving): a subscription-mode checkout completed,
//! `invoice.paid`, `invoice.payment_failed`, `customer.subscription.updated|deleted`, read
//! into [`MonthlyEvent`]s.

use serde::Deserialize;

use super::{Session, bounded, id_of, malformed, money};
use crate::webhook::{EventKind, MonthlyEvent, WebhookError};

/// The fields of an Invoice that matter (the subscription and its metadata where older and
/// newer API versions put them).
#[derive(Deserialize)]
struct Invoice {
    id: String,
    #[serde(default)]
    subscription: Option<serde_json::Value>,
    #[serde(default)]
    subscription_details: Option<serde_json::Value>,
    #[serde(default)]
    parent: Option<serde_json::Value>,
    #[serde(default)]
    billing_reason: Option<String>,
    #[serde(default)]
    amount_paid: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    /// Older API versions: the payment intent and the charge that paid it.
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
    #[serde(default)]
    charge: Option<serde_json::Value>,
    /// Newer API versions: the invoice's payments (`payments.data[].payment`), when the
    /// event includes them.
    #[serde(default)]
    payments: Option<serde_json::Value>,
}

impl Invoice {
    /// The payment intent that paid the invoice, else its charge, in either shape: at most
    /// the first 16 payments are looked at, a paid one first.
    fn payment(&self) -> Option<String> {
        let listed: Vec<&serde_json::Value> = self
            .payments
            .as_ref()
            .and_then(|p| p.get("data"))
            .and_then(|d| d.as_array())
            .map(|a| a.iter().take(16).collect())
            .unwrap_or_default();
        let paid = listed
            .iter()
            .filter(|p| p.get("status").and_then(|s| s.as_str()) == Some("paid"))
            .chain(listed.iter());
        let mut intent = None;
        let mut charge = None;
        for p in paid {
            let payment = p.get("payment");
            let field = |k: &str| id_of(&payment.and_then(|v| v.get(k)).cloned());
            intent = intent.or_else(|| field("payment_intent"));
            charge = charge.or_else(|| field("charge"));
        }
        id_of(&self.payment_intent)
            .or(intent)
            .or_else(|| id_of(&self.charge))
            .or(charge)
    }
}

/// The fields of a Subscription that matter.
#[derive(Deserialize)]
struct Subscription {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    current_period_end: Option<i64>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A subscription-mode checkout, paid: the subscription, customer and first invoice.
pub(super) fn started(s: &Session) -> Result<EventKind, WebhookError> {
    let need = |v: &Option<serde_json::Value>, what: &str| {
        id_of(v).ok_or_else(|| malformed(&format!("the session's {what} is required")))
    };
    let amount = money(s.amount_total, s.currency.as_deref())?;
    if amount.amount_minor <= 0 {
        return Err(malformed("amount_total must be positive"));
    }
    Ok(EventKind::Monthly(MonthlyEvent::Started {
        subscription: need(&s.subscription, "subscription")?,
        customer: need(&s.customer, "customer")?,
        invoice: need(&s.invoice, "invoice")?,
        amount,
    }))
}

/// `metadata.checkout_id` of a metadata object, when it is one of ours (1–64 bytes).
fn checkout_in(metadata: Option<&serde_json::Value>) -> Option<String> {
    metadata?
        .get("checkout_id")?
        .as_str()
        .and_then(|s| bounded(s, 64))
}

/// `invoice.paid` / `invoice.payment_failed`: an invoice of a subscription (older API
/// versions name it in `subscription` and its metadata in `subscription_details`, newer ones
/// under `parent.subscription_details`). An invoice of no subscription is ignored.
pub(super) fn invoice(kind: &str, object: serde_json::Value) -> Result<EventKind, WebhookError> {
    let i: Invoice =
        serde_json::from_value(object).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let details = i.subscription_details.as_ref().or_else(|| {
        i.parent
            .as_ref()
            .and_then(|p| p.get("subscription_details"))
    });
    let subscription = id_of(&i.subscription)
        .or_else(|| id_of(&details.and_then(|d| d.get("subscription")).cloned()));
    let Some(subscription) = subscription else {
        return Ok(EventKind::Ignored {
            kind: kind.to_string(),
        });
    };
    let checkout_id = checkout_in(details.and_then(|d| d.get("metadata")));
    let invoice = bounded(&i.id, 255).ok_or_else(|| malformed("the invoice id is required"))?;
    if kind == "invoice.payment_failed" {
        return Ok(EventKind::Monthly(MonthlyEvent::PaymentFailed {
            subscription,
            invoice,
            checkout_id,
        }));
    }
    let amount = money(i.amount_paid, i.currency.as_deref())?;
    if amount.amount_minor <= 0 {
        // Nothing was paid (a free period): no donation.
        return Ok(EventKind::Ignored {
            kind: kind.to_string(),
        });
    }
    Ok(EventKind::Monthly(MonthlyEvent::Paid {
        subscription,
        invoice,
        amount,
        first: i.billing_reason.as_deref() == Some("subscription_create"),
        checkout_id,
        payment: i.payment(),
    }))
}

/// `customer.subscription.updated` / `.deleted`: its status (deleted: `canceled`).
pub(super) fn subscription(
    kind: &str,
    object: serde_json::Value,
) -> Result<EventKind, WebhookError> {
    let s: Subscription =
        serde_json::from_value(object).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let status = if kind == "customer.subscription.deleted" {
        "canceled".to_string()
    } else {
        s.status
            .as_deref()
            .and_then(|v| bounded(v, 32))
            .ok_or_else(|| malformed("the subscription's status is required"))?
    };
    let checkout_id = s
        .metadata
        .as_ref()
        .and_then(|m| m.get("checkout_id"))
        .and_then(|v| v.as_str())
        .and_then(|v| bounded(v, 64));
    Ok(EventKind::Monthly(MonthlyEvent::Status {
        subscription: bounded(&s.id, 255)
            .ok_or_else(|| malformed("the subscription id is required"))?,
        status,
        next_payment: s.current_period_end.filter(|t| *t > 0),
        checkout_id,
    }))
}

#[cfg(test)]
mod tests {
    use crate::money::{CurrencyCode, Money};
    use crate::stripe::parse_event;
    use crate::webhook::{EventKind, MonthlyEvent, WebhookError};

    fn event(kind: &str, object: &str) -> String {
        format!(r#"{{"id":"evt_m","object":"event","type":"{kind}","data":{{"object":{object}}}}}"#)
    }

    fn gbp(minor: i64) -> Money {
        Money::new(minor, CurrencyCode::parse("GBP").expect("gbp"))
    }

    const SESSION: &str = r#"{"id":"cs_1","mode":"subscription","client_reference_id":"ours-1","payment_status":"paid","amount_total":500,"currency":"gbp","payment_intent":null,"subscription":"sub_1","customer":{"id":"cus_1"},"invoice":"in_1"}"#;

    #[test]
    fn a_subscription_checkout_starts_a_monthly_gift() {
        let ev = parse_event(event("checkout.session.completed", SESSION).as_bytes()).expect("ok");
        assert_eq!(ev.session_id, "ours-1");
        assert_eq!(
            ev.kind,
            EventKind::Monthly(MonthlyEvent::Started {
                subscription: "sub_1".into(),
                customer: "cus_1".into(),
                invoice: "in_1".into(),
                amount: gbp(500),
            })
        );
        let no_invoice = SESSION.replace(r#","invoice":"in_1""#, "");
        assert!(matches!(
            parse_event(event("checkout.session.completed", &no_invoice).as_bytes()),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn invoices_old_and_new_shapes() {
        let old = r#"{"id":"in_2","subscription":"sub_1","billing_reason":"subscription_cycle","amount_paid":500,"currency":"gbp","subscription_details":{"metadata":{"checkout_id":"ours-1"}}}"#;
        let new = r#"{"id":"in_2","parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_1","metadata":{"checkout_id":"ours-1"}}},"billing_reason":"subscription_cycle","amount_paid":500,"currency":"gbp"}"#;
        for body in [old, new] {
            let ev = parse_event(event("invoice.paid", body).as_bytes()).expect("ok");
            assert_eq!(ev.session_id, "");
            assert_eq!(
                ev.kind,
                EventKind::Monthly(MonthlyEvent::Paid {
                    subscription: "sub_1".into(),
                    invoice: "in_2".into(),
                    amount: gbp(500),
                    first: false,
                    checkout_id: Some("ours-1".into()),
                    payment: None,
                })
            );
        }
        // The payment that paid it: the older `payment_intent` (or `charge`), the newer
        // `payments` list (a paid one first), an expanded object or an id.
        let paid_by = |body: &str| match parse_event(event("invoice.paid", body).as_bytes())
            .map(|e| e.kind)
        {
            Ok(EventKind::Monthly(MonthlyEvent::Paid { payment, .. })) => payment,
            other => panic!("{other:?}"),
        };
        let with_pi = old.replace(
            r#""id":"in_2","#,
            r#""id":"in_2","payment_intent":"pi_9","charge":"ch_9","#,
        );
        assert_eq!(paid_by(&with_pi).as_deref(), Some("pi_9"));
        let expanded = old.replace(
            r#""id":"in_2","#,
            r#""id":"in_2","payment_intent":{"id":"pi_8"},"#,
        );
        assert_eq!(paid_by(&expanded).as_deref(), Some("pi_8"));
        let charge_only = old.replace(r#""id":"in_2","#, r#""id":"in_2","charge":"ch_7","#);
        assert_eq!(paid_by(&charge_only).as_deref(), Some("ch_7"));
        let listed = new.replace(
            r#""id":"in_2","#,
            r#""id":"in_2","payments":{"object":"list","data":[{"status":"open","payment":{"type":"payment_intent","payment_intent":"pi_open"}},{"status":"paid","payment":{"type":"payment_intent","payment_intent":{"id":"pi_6"}}}]},"#,
        );
        assert_eq!(paid_by(&listed).as_deref(), Some("pi_6"));
        let first = old.replace("subscription_cycle", "subscription_create");
        assert!(matches!(
            parse_event(event("invoice.paid", &first).as_bytes()).map(|e| e.kind),
            Ok(EventKind::Monthly(MonthlyEvent::Paid { first: true, .. }))
        ));
        let failed = parse_event(event("invoice.payment_failed", old).as_bytes()).expect("ok");
        assert!(matches!(
            failed.kind,
            EventKind::Monthly(MonthlyEvent::PaymentFailed { .. })
        ));
        // An invoice of no subscription, or of nothing paid, is not a monthly gift's.
        let one_off = r#"{"id":"in_3","amount_paid":500,"currency":"gbp"}"#;
        let free = old.replace(r#""amount_paid":500"#, r#""amount_paid":0"#);
        for body in [one_off, free.as_str()] {
            assert!(matches!(
                parse_event(event("invoice.paid", body).as_bytes()).map(|e| e.kind),
                Ok(EventKind::Ignored { .. })
            ));
        }
        let no_currency = old.replace(r#""currency":"gbp""#, r#""currency":"zzz""#);
        assert!(parse_event(event("invoice.paid", &no_currency).as_bytes()).is_err());
    }

    #[test]
    fn subscription_status_changes() {
        let sub = r#"{"id":"sub_1","status":"past_due","current_period_end":1767225600,"metadata":{"checkout_id":"ours-1"}}"#;
        let ev = parse_event(event("customer.subscription.updated", sub).as_bytes()).expect("ok");
        assert_eq!(
            ev.kind,
            EventKind::Monthly(MonthlyEvent::Status {
                subscription: "sub_1".into(),
                status: "past_due".into(),
                next_payment: Some(1_767_225_600),
                checkout_id: Some("ours-1".into()),
            })
        );
        let gone = parse_event(event("customer.subscription.deleted", sub).as_bytes()).expect("ok");
        assert!(matches!(
            gone.kind,
            EventKind::Monthly(MonthlyEvent::Status { ref status, .. }) if status == "canceled"
        ));
        let no_status = r#"{"id":"sub_1"}"#;
        assert!(parse_event(event("customer.subscription.updated", no_status).as_bytes()).is_err());
    }
}
