//! A local server that speaks the part of Stripe's HTTP API the site calls
//! (`POST /v1/checkout/sessions`, form-encoded, Bearer key, `Idempotency-Key`), shaped after
//! Stripe's public API reference, on an ephemeral loopback port. It records every request
//! and answers as told ([`Mode`]); a repeated `Idempotency-Key` gets the first answer again,
//! as Stripe does. Also: signing webhook bodies the way Stripe does, and building events.
//! For fees and reconciliation it keeps the payments a test tells it of
//! ([`FakeStripe::add_payment`], [`FakeStripe::add_refund`]) and answers
//! `GET /v1/payment_intents/{id}?expand[]=latest_charge.balance_transaction` and
//! `GET /v1/balance_transactions` (created range, `limit`, `starting_after`, `has_more`,
//! `expand[]=data.source`) from them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::Utc;
use shelfraiser::config::{Secret, Settings};

pub const SECRET_KEY: &str = "sk_test_fake_123";
pub const WEBHOOK_SECRET: &str = "whsec_fake_456";

/// How the fake answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Ok,
    /// 500 with Stripe's error body.
    ServerError,
    /// Answers after this long.
    Slow(Duration),
}

/// One call the site made.
#[derive(Clone, Debug)]
pub struct Call {
    pub path: String,
    pub authorization: String,
    pub idempotency_key: String,
    pub content_type: String,
    pub form: Vec<(String, String)>,
}

impl Call {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    by_key: HashMap<String, String>,
    /// Balance transactions, oldest first.
    balance: Vec<Balance>,
    /// At most this many per list page, whatever `limit` asks (0: no cap).
    page_cap: usize,
}

/// One balance transaction: a charge of a payment intent, or a refund of one.
#[derive(Clone, Debug)]
pub struct Balance {
    pub id: String,
    pub payment_intent: String,
    /// `charge` or `refund`.
    pub kind: &'static str,
    /// In the charge's currency (negative for a refund).
    pub amount: i64,
    pub currency: String,
    /// In the balance currency.
    pub fee: i64,
    pub balance_currency: String,
    pub created: i64,
    /// Not yet settled: the charge has no balance transaction yet.
    pub pending: bool,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    mode: Arc<Mutex<Mode>>,
}

pub struct FakeStripe {
    pub base: String,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let shared = Shared {
            inner: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Ok)),
        };
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/refunds", post(create_refund))
            .route("/v1/subscriptions/{id}", delete(cancel_subscription))
            .route("/v1/payment_intents/{id}", get(payment_intent))
            .route("/v1/balance_transactions", get(balance_transactions))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake stripe");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        FakeStripe {
            base,
            shared,
            stop: Some(tx),
        }
    }

    pub fn set_mode(&self, m: Mode) {
        *self.shared.mode.lock().expect("mode") = m;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.inner.lock().expect("calls").calls.clone()
    }

    /// A charge of `payment_intent` for `amount` (Stripe units) with `fee`, both in
    /// `currency`, created now; `pending`: not settled yet.
    pub fn add_payment(&self, payment_intent: &str, amount: i64, currency: &str, fee: i64) {
        self.push(Balance {
            id: format!("txn_{}", uuid::Uuid::new_v4().simple()),
            payment_intent: payment_intent.into(),
            kind: "charge",
            amount,
            currency: currency.into(),
            fee,
            balance_currency: currency.into(),
            created: Utc::now().timestamp(),
            pending: false,
        });
    }

    /// A refund of `amount` of `payment_intent`, created now.
    pub fn add_refund(&self, payment_intent: &str, amount: i64, currency: &str) {
        self.push(Balance {
            id: format!("txn_{}", uuid::Uuid::new_v4().simple()),
            payment_intent: payment_intent.into(),
            kind: "refund",
            amount: -amount,
            currency: currency.into(),
            fee: 0,
            balance_currency: currency.into(),
            created: Utc::now().timestamp(),
            pending: false,
        });
    }

    /// Lists at most `n` balance transactions a page (to see the site page through them).
    pub fn set_page_cap(&self, n: usize) {
        self.shared.inner.lock().expect("fake").page_cap = n;
    }

    pub fn push(&self, b: Balance) {
        self.shared.inner.lock().expect("fake").balance.push(b);
    }

    /// Changes the balance transactions of `payment_intent`.
    pub fn change(&self, payment_intent: &str, f: impl Fn(&mut Balance)) {
        let mut inner = self.shared.inner.lock().expect("fake");
        for b in inner
            .balance
            .iter_mut()
            .filter(|b| b.payment_intent == payment_intent)
        {
            f(b);
        }
    }

    pub fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn create_session(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let call = Call {
        path: "/v1/checkout/sessions".into(),
        authorization: h("authorization"),
        idempotency_key: h("idempotency-key"),
        content_type: h("content-type"),
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
    };
    let key = call.idempotency_key.clone();
    s.inner.lock().expect("calls").calls.push(call);
    let mode = *s.mode.lock().expect("mode");
    match mode {
        Mode::ServerError => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"type":"api_error","message":"Something went wrong"}}"#,
            )
                .into_response();
        }
        Mode::Slow(d) => tokio::time::sleep(d).await,
        Mode::Ok => {}
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {SECRET_KEY}"))
    {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}"#,
        )
            .into_response();
    }
    let id = {
        let mut inner = s.inner.lock().expect("calls");
        inner
            .by_key
            .entry(key)
            .or_insert_with(|| format!("cs_test_{}", uuid::Uuid::new_v4().simple()))
            .clone()
    };
    let mode = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "mode")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| "payment".into());
    let body = serde_json::json!({
        "id": id,
        "object": "checkout.session",
        "mode": mode,
        "status": "open",
        "payment_status": "unpaid",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// `POST /v1/refunds`: a succeeded refund (the same one again for a repeated
/// `Idempotency-Key`), shaped after Stripe's Refund object.
async fn create_refund(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let call = Call {
        path: "/v1/refunds".into(),
        authorization: h("authorization"),
        idempotency_key: h("idempotency-key"),
        content_type: h("content-type"),
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
    };
    let (key, amount, pi) = (
        call.idempotency_key.clone(),
        call.field("amount").unwrap_or("0").to_string(),
        call.field("payment_intent").unwrap_or("").to_string(),
    );
    s.inner.lock().expect("calls").calls.push(call);
    let mode = *s.mode.lock().expect("mode");
    match mode {
        Mode::ServerError => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"type":"api_error","message":"Something went wrong"}}"#,
            )
                .into_response();
        }
        Mode::Slow(d) => tokio::time::sleep(d).await,
        Mode::Ok => {}
    }
    let id = {
        let mut inner = s.inner.lock().expect("calls");
        inner
            .by_key
            .entry(key)
            .or_insert_with(|| format!("re_{}", uuid::Uuid::new_v4().simple()))
            .clone()
    };
    let body = serde_json::json!({
        "id": id, "object": "refund", "amount": amount.parse::<i64>().unwrap_or(0),
        "currency": "gbp", "payment_intent": pi, "status": "succeeded",
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A `charge.refunded` event: the charge of `payment_intent` with its cumulative
/// `amount_refunded` and its refunds (id, amount), all succeeded.
pub fn charge_refunded_event(
    event_id: &str,
    payment_intent: &str,
    amount: i64,
    refunds: &[(&str, i64)],
    currency: &str,
) -> String {
    let list: Vec<serde_json::Value> = refunds
        .iter()
        .map(|(id, a)| {
            serde_json::json!({"id": id, "object": "refund", "amount": a,
            "currency": currency, "status": "succeeded"})
        })
        .collect();
    serde_json::json!({
        "id": event_id, "object": "event", "api_version": "2024-06-20",
        "type": "charge.refunded",
        "data": {"object": {
            "id": format!("ch_{payment_intent}"), "object": "charge", "amount": amount,
            "amount_refunded": refunds.iter().map(|(_, a)| a).sum::<i64>(),
            "currency": currency, "payment_intent": payment_intent,
            "refunds": {"object": "list", "data": list},
        }},
    })
    .to_string()
}

/// `DELETE /v1/subscriptions/{id}`: cancels it (recorded as a call with an empty form);
/// answers the subscription, `canceled`, or 500 with Stripe's error body when told to fail.
async fn cancel_subscription(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    s.inner.lock().expect("calls").calls.push(Call {
        path: format!("/v1/subscriptions/{id}"),
        authorization: h("authorization"),
        idempotency_key: h("idempotency-key"),
        content_type: h("content-type"),
        form: Vec::new(),
    });
    if *s.mode.lock().expect("mode") == Mode::ServerError {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":{"type":"api_error","message":"Something went wrong"}}"#,
        )
            .into_response();
    }
    let body = serde_json::json!({"id": id, "object": "subscription", "status": "canceled"});
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A subscription-mode Checkout Session completed and paid (a monthly gift's first month).
pub fn subscription_session_event(
    event_id: &str,
    checkout_id: &str,
    subscription: &str,
    invoice: &str,
    amount_total: i64,
    currency: &str,
) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": Utc::now().timestamp(),
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": format!("cs_test_{checkout_id}"),
            "object": "checkout.session",
            "client_reference_id": checkout_id,
            "metadata": {"checkout_id": checkout_id},
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": amount_total,
            "currency": currency,
            "payment_intent": null,
            "subscription": subscription,
            "customer": "cus_test_1",
            "invoice": invoice,
        }},
    })
    .to_string()
}

/// An `invoice.paid` / `invoice.payment_failed` of `subscription` (metadata naming our
/// checkout); `reason` is Stripe's `billing_reason`, `paid` the amount paid and currency.
pub fn invoice_event(
    event_id: &str,
    kind: &str,
    subscription: &str,
    invoice: &str,
    reason: &str,
    (amount_paid, currency): (i64, &str),
    checkout_id: &str,
) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": Utc::now().timestamp(),
        "type": kind,
        "data": {"object": {
            "id": invoice,
            "object": "invoice",
            "subscription": subscription,
            "billing_reason": reason,
            "amount_paid": amount_paid,
            "currency": currency,
            "subscription_details": {"metadata": {"checkout_id": checkout_id}},
        }},
    })
    .to_string()
}

/// An `invoice.paid` of `subscription` paid by the payment intent `payment_intent`: in the
/// older shape (`subscription`, `payment_intent` on the invoice) or, `newer`, the shape of
/// API versions from 2025 (`parent.subscription_details`, the `payments` list).
#[allow(clippy::too_many_arguments)]
pub fn invoice_paid_by(
    event_id: &str,
    subscription: &str,
    invoice: &str,
    reason: &str,
    (amount_paid, currency): (i64, &str),
    checkout_id: &str,
    payment_intent: &str,
    newer: bool,
) -> String {
    let object = if newer {
        serde_json::json!({
            "id": invoice, "object": "invoice", "billing_reason": reason,
            "amount_paid": amount_paid, "currency": currency,
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": subscription, "metadata": {"checkout_id": checkout_id}}},
            "payments": {"object": "list", "data": [{"object": "invoice_payment",
                "status": "paid", "payment": {"type": "payment_intent",
                "payment_intent": payment_intent}}]},
        })
    } else {
        serde_json::json!({
            "id": invoice, "object": "invoice", "subscription": subscription,
            "billing_reason": reason, "amount_paid": amount_paid, "currency": currency,
            "payment_intent": payment_intent, "charge": format!("ch_{payment_intent}"),
            "subscription_details": {"metadata": {"checkout_id": checkout_id}},
        })
    };
    serde_json::json!({
        "id": event_id, "object": "event",
        "api_version": if newer { "2025-03-31.basil" } else { "2024-06-20" },
        "created": Utc::now().timestamp(), "type": "invoice.paid",
        "data": {"object": object},
    })
    .to_string()
}

/// A `charge.dispute.created` about the charge of `payment_intent`.
pub fn dispute_event(event_id: &str, payment_intent: &str, amount: i64, currency: &str) -> String {
    serde_json::json!({
        "id": event_id, "object": "event", "api_version": "2024-06-20",
        "type": "charge.dispute.created",
        "data": {"object": {"id": format!("dp_{payment_intent}"), "object": "dispute",
            "amount": amount, "currency": currency, "charge": format!("ch_{payment_intent}"),
            "payment_intent": payment_intent, "reason": "fraudulent", "status": "needs_response"}},
    })
    .to_string()
}

/// A `customer.subscription.updated` / `.deleted` event.
pub fn subscription_event(
    event_id: &str,
    kind: &str,
    subscription: &str,
    status: &str,
    checkout_id: &str,
) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {"object": {
            "id": subscription,
            "object": "subscription",
            "status": status,
            "current_period_end": 1_893_456_000_i64,
            "metadata": {"checkout_id": checkout_id},
        }},
    })
    .to_string()
}

/// The site's settings with Stripe enabled against `api_base` (the test provider stays on,
/// so the form offers both).
pub fn with_stripe(mut s: Settings, api_base: &str) -> Settings {
    s.providers.stripe.secret_key = Secret(SECRET_KEY.into());
    s.providers.stripe.webhook_secret = Secret(WEBHOOK_SECRET.into());
    s.providers.stripe.api_base = api_base.into();
    s.providers.stripe.timeout_secs = 2;
    s
}

/// `Stripe-Signature` for `body`, signed now with `secret`.
pub fn stripe_signature(secret: &str, body: &str) -> String {
    shelfraiser_formats::webhook::sign(secret.as_bytes(), body.as_bytes(), Utc::now().timestamp())
}

/// A Checkout Session event as Stripe sends it (the fields the site reads, and some others).
pub fn session_event(
    event_id: &str,
    kind: &str,
    checkout_id: &str,
    payment_status: &str,
    amount_total: i64,
    currency: &str,
) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": {
            "id": format!("cs_test_{checkout_id}"),
            "object": "checkout.session",
            "client_reference_id": checkout_id,
            "metadata": {"checkout_id": checkout_id},
            "mode": "payment",
            "status": if kind == "checkout.session.expired" { "expired" } else { "complete" },
            "payment_status": payment_status,
            "amount_total": amount_total,
            "currency": currency,
            "payment_intent": format!("pi_{checkout_id}"),
            "customer_details": {"email": "ada@example.org"},
        }},
    })
    .to_string()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {SECRET_KEY}"))
}

fn balance_json(b: &Balance) -> serde_json::Value {
    let source = if b.kind == "charge" {
        serde_json::json!({"id": format!("ch_{}", b.payment_intent), "object": "charge",
            "amount": b.amount, "currency": b.currency, "payment_intent": b.payment_intent})
    } else {
        serde_json::json!({"id": format!("re_{}", b.id), "object": "refund",
            "amount": -b.amount, "currency": b.currency, "payment_intent": b.payment_intent})
    };
    serde_json::json!({
        "id": b.id, "object": "balance_transaction", "amount": b.amount,
        "currency": b.balance_currency, "fee": b.fee, "net": b.amount - b.fee,
        "fee_details": [{"amount": b.fee, "currency": b.balance_currency, "type": "stripe_fee"}],
        "type": b.kind, "created": b.created, "status": "available", "source": source,
    })
}

fn record_get(s: &Shared, path: String, headers: &HeaderMap, query: &HashMap<String, String>) {
    let call = Call {
        path,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        idempotency_key: String::new(),
        content_type: String::new(),
        form: query.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    s.inner.lock().expect("calls").calls.push(call);
}

async fn payment_intent(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    record_get(&s, format!("/v1/payment_intents/{id}"), &headers, &q);
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let inner = s.inner.lock().expect("fake");
    let Some(b) = inner
        .balance
        .iter()
        .find(|b| b.payment_intent == id && b.kind == "charge")
    else {
        return (
            StatusCode::NOT_FOUND,
            r#"{"error":{"type":"invalid_request_error","code":"resource_missing"}}"#,
        )
            .into_response();
    };
    let expanded =
        q.get("expand[]").map(String::as_str) == Some("latest_charge.balance_transaction");
    let bt = if b.pending {
        serde_json::Value::Null
    } else if expanded {
        balance_json(b)
    } else {
        serde_json::Value::String(b.id.clone())
    };
    let body = serde_json::json!({
        "id": id, "object": "payment_intent", "amount": b.amount, "currency": b.currency,
        "status": "succeeded",
        "latest_charge": {"id": format!("ch_{id}"), "object": "charge", "amount": b.amount,
            "currency": b.currency, "payment_intent": id, "balance_transaction": bt},
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn balance_transactions(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    record_get(&s, "/v1/balance_transactions".into(), &headers, &q);
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let (gte, lt) = (
        n("created[gte]").unwrap_or(0),
        n("created[lt]").unwrap_or(i64::MAX),
    );
    let mut limit = n("limit").unwrap_or(10).clamp(1, 100) as usize;
    let inner = s.inner.lock().expect("fake");
    if inner.page_cap > 0 {
        limit = limit.min(inner.page_cap);
    }
    // Stripe lists newest first; `starting_after` continues after the given id.
    let all: Vec<&Balance> = inner
        .balance
        .iter()
        .rev()
        .filter(|b| !b.pending && b.created >= gte && b.created < lt)
        .collect();
    let start = match q.get("starting_after") {
        Some(id) => all
            .iter()
            .position(|b| &b.id == id)
            .map_or(all.len(), |i| i + 1),
        None => 0,
    };
    let page: Vec<serde_json::Value> = all[start..]
        .iter()
        .take(limit)
        .map(|b| {
            let mut v = balance_json(b);
            if q.get("expand[]").map(String::as_str) != Some("data.source") {
                v["source"] = v["source"]["id"].clone();
            }
            v
        })
        .collect();
    let body = serde_json::json!({
        "object": "list", "url": "/v1/balance_transactions",
        "has_more": start + page.len() < all.len(), "data": page,
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}
