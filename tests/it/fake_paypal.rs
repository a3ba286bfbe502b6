//! A local PayPal: the REST calls the site makes, in the shapes of PayPal's public API
//! reference (OAuth2 client-credentials token, Orders v2 create / capture / show,
//! verify-webhook-signature), on a loopback port. It keeps orders and captures in memory,
//! answers a repeated `PayPal-Request-Id` with its first answer, and has switches for the
//! failures the tests need (down, another captured amount, a failed verification). For fees
//! and reconciliation: a fee on every capture (`fee_value`: the capture's
//! `seller_receivable_breakdown`), `GET /v2/payments/captures/{id}`, and the transaction
//! search `GET /v1/reporting/transactions` (dates, `page_size`, `page`) listing the
//! captures and whatever a test adds (`extra_transactions`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "fake-client";
pub const CLIENT_SECRET: &str = "fake-secret";
pub const WEBHOOK_ID: &str = "WH-FAKE-1";
const TOKEN: &str = "A21AAFakeToken";

#[derive(Clone, Debug)]
pub struct Order {
    pub custom_id: String,
    pub invoice_id: String,
    pub currency: String,
    pub value: String,
    pub return_url: String,
    pub cancel_url: String,
    pub capture: Option<Capture>,
    /// The purchase unit's `description`.
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct Capture {
    pub id: String,
    pub currency: String,
    pub value: String,
    /// PayPal's fee on it (`fee_value` when captured).
    pub fee: Option<String>,
    pub created: chrono::DateTime<chrono::Utc>,
}

#[derive(Default)]
pub struct Fake {
    pub orders: HashMap<String, Order>,
    /// First answer per `PayPal-Request-Id`.
    answered: HashMap<String, (u16, Value)>,
    pub token_calls: usize,
    pub create_calls: usize,
    pub capture_calls: usize,
    /// Every verify-webhook-signature request body, as received.
    pub verify_requests: Vec<String>,
    /// Switches.
    pub down: bool,
    /// Capture this value instead of the order's.
    pub capture_value: Option<String>,
    /// The verification answer (`SUCCESS` unless set).
    pub verification: Option<&'static str>,
    /// Bumped to revoke every token handed out so far (PayPal then answers 401).
    pub token_generation: usize,
    /// Every capture refund asked for: (capture id, `PayPal-Request-Id`, the body).
    pub refund_calls: Vec<(String, String, Value)>,
    /// The fee PayPal takes on each capture (`"0.64"`); none when unset.
    pub fee_value: Option<String>,
    /// More `transaction_details` entries for the transaction search.
    pub extra_transactions: Vec<Value>,
    /// Every transaction search query, as received.
    pub search_queries: Vec<HashMap<String, String>>,
    next: usize,
}

#[derive(Clone)]
pub struct FakePaypal {
    pub base: String,
    pub state: Arc<Mutex<Fake>>,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

type S = Arc<Mutex<Fake>>;

fn json_answer(status: u16, v: &Value) -> Response {
    (
        StatusCode::from_u16(status).expect("status"),
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn authorized(h: &HeaderMap, f: &Fake) -> bool {
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}{}", f.token_generation))
}

fn error(status: u16, name: &str, issue: &str) -> Response {
    json_answer(
        status,
        &json!({"name": name, "message": issue, "debug_id": "fake",
                "details": [{"issue": issue}]}),
    )
}

async fn token(State(s): State<S>, h: HeaderMap, body: Bytes) -> Response {
    use base64::Engine;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str())
        || body.as_ref() != b"grant_type=client_credentials"
    {
        return error(401, "invalid_client", "Client Authentication failed");
    }
    let mut f = s.lock().expect("fake");
    f.token_calls += 1;
    json_answer(
        200,
        &json!({"scope": "https://uri.paypal.com/services/payments/payment",
                "access_token": format!("{TOKEN}{}", f.token_generation), "token_type": "Bearer",
                "app_id": "APP-FAKE", "expires_in": 32400, "nonce": "fake"}),
    )
}

fn order_json(id: &str, o: &Order) -> Value {
    let mut unit = json!({
        "reference_id": "default",
        "custom_id": o.custom_id,
        "invoice_id": o.invoice_id,
        "amount": {"currency_code": o.currency, "value": o.value},
    });
    let status = if let Some(c) = &o.capture {
        unit["payments"] = json!({"captures": [capture_json(c, o)]});
        "COMPLETED"
    } else {
        "PAYER_ACTION_REQUIRED"
    };
    json!({
        "id": id, "status": status, "intent": "CAPTURE",
        "purchase_units": [unit],
        "links": [
            {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{id}"),
             "rel": "self", "method": "GET"},
            {"href": format!("https://www.sandbox.paypal.com/checkoutnow?token={id}"),
             "rel": "payer-action", "method": "GET"},
        ],
    })
}

async fn create_order(State(s): State<S>, h: HeaderMap, body: Bytes) -> Response {
    let mut f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    f.create_calls += 1;
    if f.down {
        return error(503, "SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE");
    }
    let rid = h
        .get("paypal-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some((st, v)) = rid.as_ref().and_then(|r| f.answered.get(r)) {
        return json_answer(*st, v);
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    let unit = &v["purchase_units"][0];
    let ctx = &v["payment_source"]["paypal"]["experience_context"];
    if v["intent"] != "CAPTURE" || unit["amount"]["value"].as_str().is_none() {
        return error(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER");
    }
    f.next += 1;
    let id = format!("5O1901{:011}", f.next);
    let o = Order {
        custom_id: unit["custom_id"].as_str().unwrap_or("").into(),
        invoice_id: unit["invoice_id"].as_str().unwrap_or("").into(),
        currency: unit["amount"]["currency_code"]
            .as_str()
            .unwrap_or("")
            .into(),
        value: unit["amount"]["value"].as_str().unwrap_or("").into(),
        return_url: ctx["return_url"].as_str().unwrap_or("").into(),
        cancel_url: ctx["cancel_url"].as_str().unwrap_or("").into(),
        capture: None,
        description: unit["description"].as_str().unwrap_or("").into(),
    };
    let answer = order_json(&id, &o);
    let answer = json!({"id": id, "status": "PAYER_ACTION_REQUIRED",
                        "payment_source": {"paypal": {}}, "links": answer["links"]});
    f.orders.insert(id, o);
    if let Some(r) = rid {
        f.answered.insert(r, (200, answer.clone()));
    }
    json_answer(200, &answer)
}

impl Fake {
    /// Captures `order` as PayPal would (the switch `capture_value` applies).
    pub fn capture_now(&mut self, order: &str) -> Option<Capture> {
        self.next += 1;
        let n = self.next;
        let value = self.capture_value.clone();
        let o = self.orders.get_mut(order)?;
        let c = Capture {
            id: format!("3C6793{n:011}"),
            currency: o.currency.clone(),
            value: value.unwrap_or_else(|| o.value.clone()),
            fee: self.fee_value.clone(),
            created: chrono::Utc::now(),
        };
        o.capture = Some(c.clone());
        Some(c)
    }
}

async fn capture(State(s): State<S>, Path(id): Path<String>, h: HeaderMap) -> Response {
    let mut f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    f.capture_calls += 1;
    if f.down {
        return error(503, "SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE");
    }
    let rid = h
        .get("paypal-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some((st, v)) = rid.as_ref().and_then(|r| f.answered.get(r)) {
        return json_answer(*st, v);
    }
    let Some(o) = f.orders.get(&id) else {
        return error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
    };
    if o.capture.is_some() {
        return error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED");
    }
    f.capture_now(&id);
    let answer = order_json(&id, &f.orders[&id]);
    if let Some(r) = rid {
        f.answered.insert(r, (201, answer.clone()));
    }
    json_answer(201, &answer)
}

/// `POST /v2/payments/captures/{id}/refund`: a completed refund of the capture (the
/// `PayPal-Request-Id` answered once, as PayPal does).
async fn refund(State(s): State<S>, Path(id): Path<String>, h: HeaderMap, body: Bytes) -> Response {
    let mut f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    let rid = h
        .get("paypal-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    f.refund_calls.push((id.clone(), rid.clone(), v.clone()));
    if f.down {
        return error(503, "SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE");
    }
    if let Some((st, a)) = f.answered.get(&rid) {
        return json_answer(*st, a);
    }
    if !f
        .orders
        .values()
        .any(|o| o.capture.as_ref().is_some_and(|c| c.id == id))
    {
        return error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
    }
    f.next += 1;
    let answer = json!({"id": format!("1JU08902{:09}", f.next), "status": "COMPLETED",
        "amount": v["amount"].clone(),
        "links": [{"rel": "up", "href": format!("https://api.sandbox.paypal.com/v2/payments/captures/{id}")}]});
    f.answered.insert(rid, (201, answer.clone()));
    json_answer(201, &answer)
}

/// A `PAYMENT.CAPTURE.REFUNDED` event body as PayPal sends it.
pub fn refunded_event(
    event_id: &str,
    refund_id: &str,
    capture_id: &str,
    currency: &str,
    value: &str,
) -> String {
    json!({
        "id": event_id,
        "event_type": "PAYMENT.CAPTURE.REFUNDED",
        "resource_type": "refund",
        "resource": {
            "id": refund_id,
            "status": "COMPLETED",
            "amount": {"currency_code": currency, "value": value},
            "links": [
                {"rel": "self", "href": format!("https://api.sandbox.paypal.com/v2/payments/refunds/{refund_id}")},
                {"rel": "up", "href": format!("https://api.sandbox.paypal.com/v2/payments/captures/{capture_id}")},
            ],
        },
    })
    .to_string()
}

async fn show_order(State(s): State<S>, Path(id): Path<String>, h: HeaderMap) -> Response {
    let f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    match f.orders.get(&id) {
        Some(o) => json_answer(200, &order_json(&id, o)),
        None => error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID"),
    }
}

async fn verify(State(s): State<S>, h: HeaderMap, body: Bytes) -> Response {
    let mut f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    f.verify_requests
        .push(String::from_utf8_lossy(&body).into_owned());
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return error(400, "VALIDATION_ERROR", "INVALID_REQUEST"),
    };
    let fields = [
        "auth_algo",
        "cert_url",
        "transmission_id",
        "transmission_sig",
        "transmission_time",
        "webhook_id",
    ];
    if fields.iter().any(|k| v[k].as_str().is_none()) || !v["webhook_event"].is_object() {
        return error(400, "VALIDATION_ERROR", "INVALID_REQUEST");
    }
    let ok = v["webhook_id"] == WEBHOOK_ID && f.verification.unwrap_or("SUCCESS") == "SUCCESS";
    let status = if ok { "SUCCESS" } else { "FAILURE" };
    json_answer(200, &json!({"verification_status": status}))
}

/// A capture as PayPal shows it, with the breakdown when it took a fee.
fn capture_json(c: &Capture, o: &Order) -> Value {
    let mut v = json!({
        "id": c.id, "status": "COMPLETED",
        "amount": {"currency_code": c.currency, "value": c.value},
        "final_capture": true, "custom_id": o.custom_id, "invoice_id": o.invoice_id,
    });
    if let Some(fee) = &c.fee {
        let (gross, f) = (minor(&c.value), minor(fee));
        v["seller_receivable_breakdown"] = json!({
            "gross_amount": {"currency_code": c.currency, "value": c.value},
            "paypal_fee": {"currency_code": c.currency, "value": fee},
            "net_amount": {"currency_code": c.currency, "value": major(gross - f)},
        });
    }
    v
}

/// `"10.50"` as 1050 (two decimals; what the tests use).
fn minor(v: &str) -> i64 {
    let (i, f) = v.split_once('.').unwrap_or((v, "00"));
    i.parse::<i64>().unwrap_or(0) * 100 + format!("{f:0<2}").parse::<i64>().unwrap_or(0)
}

fn major(m: i64) -> String {
    format!(
        "{}{}.{:02}",
        if m < 0 { "-" } else { "" },
        m.abs() / 100,
        m.abs() % 100
    )
}

async fn show_capture(State(s): State<S>, Path(id): Path<String>, h: HeaderMap) -> Response {
    let f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    for o in f.orders.values() {
        if let Some(c) = o.capture.as_ref().filter(|c| c.id == id) {
            return json_answer(200, &capture_json(c, o));
        }
    }
    error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
}

async fn search_transactions(
    State(s): State<S>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    let mut f = s.lock().expect("fake");
    if !authorized(&h, &f) {
        return error(401, "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILURE");
    }
    f.search_queries.push(q.clone());
    let at = |k: &str| {
        q.get(k)
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let (Some(start), Some(end)) = (at("start_date"), at("end_date")) else {
        return error(400, "INVALID_REQUEST", "INVALID_REQUEST");
    };
    let mut all: Vec<Value> = Vec::new();
    let mut caps: Vec<&Capture> = f
        .orders
        .values()
        .filter_map(|o| o.capture.as_ref())
        .collect();
    caps.sort_by_key(|c| c.created);
    for c in caps
        .into_iter()
        .filter(|c| c.created >= start && c.created < end)
    {
        let fee = c.fee.as_deref().map_or(0, minor);
        all.push(json!({"transaction_info": {
            "transaction_id": c.id, "transaction_event_code": "T0006",
            "transaction_initiation_date": c.created.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
            "transaction_amount": {"currency_code": c.currency, "value": c.value},
            "fee_amount": {"currency_code": c.currency, "value": major(-fee)},
            "transaction_status": "S",
        }}));
    }
    all.extend(f.extra_transactions.iter().cloned());
    let size = q
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100)
        .max(1);
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let pages = all.len().div_ceil(size).max(1);
    let details: Vec<Value> = all.into_iter().skip((page - 1) * size).take(size).collect();
    json_answer(
        200,
        &json!({"transaction_details": details, "account_number": "FAKE",
                "start_date": q["start_date"], "end_date": q["end_date"],
                "page": page, "total_items": details.len(), "total_pages": pages}),
    )
}

impl FakePaypal {
    pub async fn start() -> FakePaypal {
        let state: S = Arc::default();
        let app = Router::new()
            .route("/v1/oauth2/token", post(token))
            .route("/v2/checkout/orders", post(create_order))
            .route("/v2/checkout/orders/{id}", get(show_order))
            .route("/v2/checkout/orders/{id}/capture", post(capture))
            .route("/v2/payments/captures/{id}/refund", post(refund))
            .route("/v1/notifications/verify-webhook-signature", post(verify))
            .route("/v2/payments/captures/{id}", get(show_capture))
            .route("/v1/reporting/transactions", get(search_transactions))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        FakePaypal {
            base,
            state,
            _stop: Arc::new(tx),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Fake) -> T) -> T {
        f(&mut self.state.lock().expect("fake"))
    }

    /// The order made for our checkout `checkout_id`.
    pub fn order_of(&self, checkout_id: &str) -> (String, Order) {
        self.with(|f| {
            f.orders
                .iter()
                .find(|(_, o)| o.custom_id == checkout_id)
                .map(|(id, o)| (id.clone(), o.clone()))
                .expect("an order for the checkout")
        })
    }
}

/// A `PAYMENT.CAPTURE.COMPLETED` event body as PayPal sends it.
pub fn completed_event(
    event_id: &str,
    capture: &Capture,
    checkout_id: &str,
    order: &str,
) -> String {
    json!({
        "id": event_id,
        "create_time": "2026-12-06T14:00:00.000Z",
        "resource_type": "capture",
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "summary": format!("Payment completed for {} {}", capture.currency, capture.value),
        "resource": {
            "id": capture.id,
            "status": "COMPLETED",
            "amount": {"currency_code": capture.currency, "value": capture.value},
            "final_capture": true,
            "custom_id": checkout_id,
            "invoice_id": checkout_id,
            "supplementary_data": {"related_ids": {"order_id": order}},
            "links": [{"href": format!("https://api.sandbox.paypal.com/v2/payments/captures/{}", capture.id), "rel": "self", "method": "GET"}],
        },
        "event_version": "1.0",
        "resource_version": "2.0",
    })
    .to_string()
}
