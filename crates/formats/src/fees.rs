//! Processor fees: the fee rule a site configures per provider (an estimate, integer maths),
//! and the providers' answers that carry fees and the transactions a reconciliation lists —
//! Stripe's payment intent with its charge's balance transaction, Stripe's balance
//! transaction list, PayPal's capture and PayPal's transaction search (reporting API).
//!
//! The rule: `fee(a) = round_half_even(a × percent_bp / 10,000) + fixed_minor`, in the
//! currency of `a` (basis points: 150 = 1.5 %; the fixed part is in the minor units of the
//! charged currency). "Cover the fees" asks for the smallest `x` with
//! `a + x − fee(a + x) ≥ a`: the gift arrives whole after the provider's cut.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::money::{CurrencyCode, Money};
use crate::paypal::parse_amount;
use crate::stripe::from_stripe_amount;

/// The largest percentage a rule may take: 50 % (a typo of 15000 for 150 is refused).
pub const MAX_PERCENT_BP: u32 = 5_000;

/// A provider's fee rule: basis points of the amount plus a fixed part in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeRule {
    pub percent_bp: u32,
    pub fixed_minor: i64,
}

impl FeeRule {
    /// Whether the rule takes anything at all.
    pub fn is_zero(&self) -> bool {
        self.percent_bp == 0 && self.fixed_minor == 0
    }

    /// The fee on `amount` by this rule, in its currency: the percentage rounded half-even
    /// to a whole minor unit, plus the fixed part.
    pub fn fee_on(&self, amount: Money) -> Money {
        let a = i128::from(amount.amount_minor.max(0));
        let pct = div_half_even(a * i128::from(self.percent_bp), 10_000);
        let minor = i64::try_from(pct).unwrap_or(i64::MAX) + self.fixed_minor.max(0);
        Money::new(minor, amount.currency)
    }

    /// What to add to `amount` so that, after this rule's fee on the whole, `amount` arrives:
    /// the smallest `x ≥ 0` with `amount + x − fee(amount + x) ≥ amount`.
    pub fn cover(&self, amount: Money) -> Money {
        let bp = i128::from(self.percent_bp.min(MAX_PERCENT_BP));
        let a = i128::from(amount.amount_minor.max(0));
        let fixed = i128::from(self.fixed_minor.max(0));
        // First guess from x = (a·bp/10⁴ + fixed) / (1 − bp/10⁴), rounded up, then stepped
        // down while a smaller x still covers (rounding half-even can make one unit spare).
        let num = a * bp + fixed * 10_000;
        let den = 10_000 - bp;
        let mut x = (num + den - 1) / den;
        let covers = |x: i128| {
            let total = a + x;
            total - (div_half_even(total * bp, 10_000) + fixed) >= a
        };
        while x > 0 && covers(x - 1) {
            x -= 1;
        }
        while !covers(x) {
            x += 1;
        }
        Money::new(i64::try_from(x).unwrap_or(i64::MAX), amount.currency)
    }
}

/// `n / d` rounded half to even (`d > 0`, `n ≥ 0`).
fn div_half_even(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// A fee as the provider took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFee {
    /// The fee, positive, in the currency the provider took it in (Stripe: the account's
    /// balance currency, which may differ from the charge's).
    pub fee: Money,
}

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// The provider has not settled the payment yet (no balance transaction): ask again later.
    #[error("the provider has not settled the payment yet")]
    NotYet,
    #[error("the provider's answer is malformed: {0}")]
    Malformed(String),
}

fn malformed(m: impl Into<String>) -> FeeError {
    FeeError::Malformed(m.into())
}

fn currency_of(v: &str) -> Result<CurrencyCode, FeeError> {
    CurrencyCode::parse(&v.to_ascii_uppercase()).map_err(|_| malformed("currency"))
}

fn stripe_money(amount: i64, currency: &str) -> Result<Money, FeeError> {
    let c = currency_of(currency)?;
    let m = from_stripe_amount(amount.abs(), c).ok_or_else(|| malformed("amount"))?;
    Ok(Money::new(
        if amount < 0 {
            -m.amount_minor
        } else {
            m.amount_minor
        },
        c,
    ))
}

#[derive(Deserialize)]
struct StripeBalance {
    #[serde(default)]
    id: String,
    amount: i64,
    currency: String,
    fee: i64,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    source: Value,
}

/// The fee of a Stripe payment intent read with
/// `expand[]=latest_charge.balance_transaction`: its charge's balance transaction's `fee`
/// in the balance transaction's `currency`.
pub fn stripe_intent_fee(body: &[u8]) -> Result<ProviderFee, FeeError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let bt = match v.get("latest_charge") {
        Some(Value::Object(charge)) => charge.get("balance_transaction"),
        Some(Value::Null) | None => return Err(FeeError::NotYet),
        Some(_) => return Err(malformed("latest_charge is not expanded")),
    };
    let bt = match bt {
        Some(o @ Value::Object(_)) => o.clone(),
        Some(Value::Null) | None => return Err(FeeError::NotYet),
        Some(_) => return Err(malformed("balance_transaction is not expanded")),
    };
    let bt: StripeBalance = serde_json::from_value(bt).map_err(|e| malformed(e.to_string()))?;
    if bt.fee < 0 {
        return Err(malformed("a negative fee"));
    }
    Ok(ProviderFee {
        fee: stripe_money(bt.fee, &bt.currency)?,
    })
}

/// What a reconciliation compares: one transaction as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderTxn {
    /// The provider's id of the transaction itself (Stripe `txn_…`, PayPal's).
    pub id: String,
    /// The payment it is about, as our donations keep it (Stripe: the payment intent,
    /// PayPal: the capture id); empty when unknown.
    pub reference: String,
    pub kind: TxnKind,
    /// Unix time of the transaction.
    pub created: i64,
    /// The amount charged or refunded (negative), in the charge's currency when known.
    pub amount: Money,
    /// The fee, positive, in its own currency (`None`: none listed).
    pub fee: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnKind {
    Payment,
    Refund,
    Other,
}

/// One page of Stripe's balance transaction list (asked with `expand[]=data.source`, so a
/// charge's or refund's `payment_intent` is there): the transactions and `has_more`.
pub fn stripe_balance_page(body: &[u8]) -> Result<(Vec<ProviderTxn>, bool), FeeError> {
    #[derive(Deserialize)]
    struct Page {
        data: Vec<StripeBalance>,
        #[serde(default)]
        has_more: bool,
    }
    let page: Page = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let mut out = Vec::with_capacity(page.data.len());
    for bt in page.data {
        let kind = match bt.kind.as_str() {
            "charge" | "payment" => TxnKind::Payment,
            "refund" | "payment_refund" => TxnKind::Refund,
            _ => TxnKind::Other,
        };
        let src = bt.source.as_object();
        let reference = src
            .and_then(|s| s.get("payment_intent"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // The charge's own amount and currency (what the donor paid), else the balance's.
        let amount = match (
            src.and_then(|s| s.get("amount")).and_then(Value::as_i64),
            src.and_then(|s| s.get("currency")).and_then(Value::as_str),
        ) {
            (Some(a), Some(c)) if kind != TxnKind::Other => {
                stripe_money(if kind == TxnKind::Refund { -a } else { a }, c)?
            }
            _ => stripe_money(bt.amount, &bt.currency)?,
        };
        let fee = (bt.fee != 0)
            .then(|| stripe_money(bt.fee, &bt.currency))
            .transpose()?;
        out.push(ProviderTxn {
            id: bt.id,
            reference,
            kind,
            created: bt.created,
            amount,
            fee,
        });
    }
    Ok((out, page.has_more))
}

#[derive(Deserialize)]
struct PaypalMoney {
    currency_code: String,
    value: String,
}

/// PayPal's signed amount (`"-0.59"`, `"0.00"`) as [`Money`].
fn paypal_signed(m: &PaypalMoney) -> Result<Money, FeeError> {
    let (neg, v) = match m.value.strip_prefix('-') {
        Some(v) => (true, v),
        None => (false, m.value.as_str()),
    };
    if !v.is_empty() && v.bytes().all(|b| b == b'0' || b == b'.') {
        return Ok(Money::zero(currency_of(&m.currency_code)?));
    }
    let p = parse_amount(&m.currency_code, v).map_err(|e| malformed(e.to_string()))?;
    Ok(Money::new(
        if neg { -p.amount_minor } else { p.amount_minor },
        p.currency,
    ))
}

/// The fee of a PayPal capture (`GET /v2/payments/captures/{id}`, or the capture in an
/// order's capture answer): `seller_receivable_breakdown.paypal_fee`. A capture still
/// pending has no breakdown yet.
pub fn paypal_capture_fee(body: &[u8]) -> Result<ProviderFee, FeeError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let Some(b) = v.get("seller_receivable_breakdown") else {
        return Err(FeeError::NotYet);
    };
    let Some(fee) = b.get("paypal_fee") else {
        return Ok(ProviderFee {
            fee: Money::zero(currency_of(
                b.pointer("/gross_amount/currency_code")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed("gross_amount"))?,
            )?),
        });
    };
    let fee: PaypalMoney =
        serde_json::from_value(fee.clone()).map_err(|e| malformed(e.to_string()))?;
    let fee = paypal_signed(&fee)?;
    Ok(ProviderFee {
        fee: Money::new(fee.amount_minor.abs(), fee.currency),
    })
}

/// One page of PayPal's transaction search (`GET /v1/reporting/transactions`): the
/// transactions and the number of pages. Event codes T00xx are payments, T11xx refunds.
pub fn paypal_transactions_page(body: &[u8]) -> Result<(Vec<ProviderTxn>, i64), FeeError> {
    #[derive(Deserialize)]
    struct Info {
        transaction_id: String,
        #[serde(default)]
        paypal_reference_id: Option<String>,
        #[serde(default)]
        transaction_event_code: String,
        #[serde(default)]
        transaction_initiation_date: String,
        transaction_amount: PaypalMoney,
        #[serde(default)]
        fee_amount: Option<PaypalMoney>,
    }
    #[derive(Deserialize)]
    struct Detail {
        transaction_info: Info,
    }
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        transaction_details: Vec<Detail>,
        #[serde(default)]
        total_pages: i64,
    }
    let page: Page = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let mut out = Vec::with_capacity(page.transaction_details.len());
    for d in page.transaction_details {
        let i = d.transaction_info;
        let kind = if i.transaction_event_code.starts_with("T00") {
            TxnKind::Payment
        } else if i.transaction_event_code.starts_with("T11") {
            TxnKind::Refund
        } else {
            TxnKind::Other
        };
        let reference = match kind {
            TxnKind::Refund => i.paypal_reference_id.clone().unwrap_or_default(),
            _ => i.transaction_id.clone(),
        };
        let created =
            chrono::DateTime::parse_from_str(&i.transaction_initiation_date, "%Y-%m-%dT%H:%M:%S%z")
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(&i.transaction_initiation_date))
                .map(|t| t.timestamp())
                .unwrap_or_default();
        let fee = match &i.fee_amount {
            Some(f) => {
                let f = paypal_signed(f)?;
                (f.amount_minor != 0).then(|| Money::new(f.amount_minor.abs(), f.currency))
            }
            None => None,
        };
        out.push(ProviderTxn {
            id: i.transaction_id,
            reference,
            kind,
            created,
            amount: paypal_signed(&i.transaction_amount)?,
            fee,
        });
    }
    Ok((out, page.total_pages))
}

/// A fee in the currency it was taken in, as an amount in the campaign currency: the same
/// currency as is; the donation's currency at the donation's locked `rate` (the rate from
/// the donation's currency to the campaign's), rounded half-even once like the donation.
/// Another currency needs a rate from outside (`None` here).
pub fn fee_in_campaign_currency(
    fee: Money,
    donation_currency: CurrencyCode,
    rate: Decimal,
    campaign_currency: CurrencyCode,
) -> Option<(Money, Option<Decimal>)> {
    if fee.currency == campaign_currency {
        return Some((fee, None));
    }
    if fee.currency == donation_currency {
        return fee
            .convert(rate, campaign_currency)
            .ok()
            .map(|m| (m, Some(rate)));
    }
    None
}

#[cfg(test)]
mod tests;
