//! Checkout sessions: a donor's intent, with amount, currency and exchange rate locked,
//! waiting for the provider's answer. Sessions are mutable state (open → succeeded /
//! declined / canceled); the ledger never is.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, DbResult};
use crate::email::Email;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money, MoneyError};
use crate::on_db;
use crate::rates::RateTable;

#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub id: String,
    pub campaign_id: String,
    pub provider: String,
    pub amount: Money,
    pub rate: Decimal,
    pub campaign_amount: Money,
    pub donor_name: Option<String>,
    pub donor_email: Option<Email>,
    pub message: Option<String>,
    pub visibility: Visibility,
    pub status: String,
    pub donation_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A donation request that passed every check.
#[derive(Debug, Clone)]
pub struct ValidDonation {
    pub amount: Money,
    pub rate: Decimal,
    pub campaign_amount: Money,
    pub donor_name: Option<String>,
    pub donor_email: Option<Email>,
    pub message: Option<String>,
    pub visibility: Visibility,
}

/// The raw form, as typed.
#[derive(Debug, Clone, Default)]
pub struct DonateInput {
    pub amount: String,
    pub currency: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub visibility: String,
}

/// Field → localized message.
pub type FieldErrors = HashMap<&'static str, String>;

fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// Parses and checks a donation request against the campaign, the rates and the limit.
pub fn validate(
    tr: &I18n,
    c: &Campaign,
    rates: &RateTable,
    max_major: i64,
    input: &DonateInput,
) -> Result<ValidDonation, FieldErrors> {
    let mut errors = FieldErrors::new();
    let currency = match CurrencyCode::parse(&input.currency) {
        Ok(code) if c.accepts_currency(code) => Some(code),
        Ok(code) => {
            errors.insert(
                "currency",
                tr.ta(
                    "error-currency-not-accepted",
                    &[("currency", code.to_string())],
                ),
            );
            None
        }
        Err(_) => {
            errors.insert("currency", tr.t("error-currency-unknown"));
            None
        }
    };
    let mut valid_amount = None;
    if let Some(code) = currency {
        match Money::parse_major(&input.amount, code) {
            Ok(m) => match rates.rate(code, c.currency()) {
                Some(rate) => match m.convert(rate, c.currency()) {
                    Ok(conv) => {
                        let max_minor = max_major
                            .saturating_mul(10_i64.pow(u32::from(c.currency().exponent())));
                        if conv.amount_minor > max_minor {
                            errors.insert(
                                "amount",
                                tr.ta(
                                    "error-amount-too-large",
                                    &[("max", tr.money(Money::new(max_minor, c.currency())))],
                                ),
                            );
                        } else if conv.amount_minor <= 0 {
                            errors.insert("amount", tr.t("error-amount-too-small"));
                        } else {
                            valid_amount = Some((m, rate, conv));
                        }
                    }
                    Err(_) => {
                        errors.insert("amount", tr.t("error-amount-too-large-plain"));
                    }
                },
                None => {
                    errors.insert(
                        "currency",
                        tr.ta("error-no-rate", &[("currency", code.to_string())]),
                    );
                }
            },
            Err(e) => {
                let msg = match e {
                    MoneyError::Empty => tr.t("error-amount-empty"),
                    MoneyError::NotPositive => tr.t("error-amount-not-positive"),
                    MoneyError::TooManyDecimals { currency, exponent } => tr.ta(
                        "error-amount-decimals",
                        &[
                            ("currency", currency.to_string()),
                            ("places", exponent.to_string()),
                        ],
                    ),
                    MoneyError::TooLarge => tr.t("error-amount-too-large-plain"),
                    _ => tr.t("error-amount-not-number"),
                };
                errors.insert("amount", msg);
            }
        }
    }
    let name = clean_text(&input.name);
    if name.chars().count() > MAX_NAME_CHARS {
        errors.insert(
            "name",
            tr.ta("error-too-long", &[("max", MAX_NAME_CHARS.to_string())]),
        );
    }
    let message = clean_text(&input.message);
    if message.chars().count() > MAX_MESSAGE_CHARS {
        errors.insert(
            "message",
            tr.ta("error-too-long", &[("max", MAX_MESSAGE_CHARS.to_string())]),
        );
    }
    let email = if input.email.trim().is_empty() {
        None
    } else {
        match Email::parse(&input.email) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.insert("email", tr.t("error-email"));
                None
            }
        }
    };
    let visibility = Visibility::parse(input.visibility.trim());
    if visibility.is_none() {
        errors.insert("visibility", tr.t("error-visibility"));
    }
    match (valid_amount, visibility) {
        (Some((amount, rate, campaign_amount)), Some(visibility)) if errors.is_empty() => {
            Ok(ValidDonation {
                amount,
                rate,
                campaign_amount,
                donor_name: (!name.is_empty()).then_some(name),
                donor_email: email,
                message: (!message.is_empty()).then_some(message),
                visibility,
            })
        }
        _ => Err(errors),
    }
}

/// How long a donor has to finish a checkout.
pub const SESSION_TTL_MINUTES: i64 = 60;

pub async fn create(
    db: &Db,
    c: &Campaign,
    provider: &str,
    d: &ValidDonation,
) -> DbResult<CheckoutSession> {
    let now = Utc::now();
    let s = CheckoutSession {
        id: uuid::Uuid::new_v4().to_string(),
        campaign_id: c.id.clone(),
        provider: provider.to_string(),
        amount: d.amount,
        rate: d.rate,
        campaign_amount: d.campaign_amount,
        donor_name: d.donor_name.clone(),
        donor_email: d.donor_email.clone(),
        message: d.message.clone(),
        visibility: d.visibility,
        status: "open".into(),
        donation_id: None,
        expires_at: now + Duration::minutes(SESSION_TTL_MINUTES),
    };
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO checkout_sessions (id, campaign_id, provider, amount_minor, currency, rate, \
         campaign_amount_minor, donor_name, donor_email, message, visibility, status, donation_id, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', NULL, $12, $13)"
    )
    .bind(&s.id)
    .bind(&s.campaign_id)
    .bind(&s.provider)
    .bind(s.amount.amount_minor)
    .bind(s.amount.currency.as_str())
    .bind(s.rate.to_string())
    .bind(s.campaign_amount.amount_minor)
    .bind(&s.donor_name)
    .bind(s.donor_email.as_ref().map(|e| e.as_str()))
    .bind(&s.message)
    .bind(s.visibility.as_str())
    .bind(now)
    .bind(s.expires_at)
    .execute(p)
    .await?.rows_affected()
    });
    Ok(s)
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: String,
    campaign_id: String,
    provider: String,
    amount_minor: i64,
    currency: String,
    rate: String,
    campaign_amount_minor: i64,
    campaign_currency: String,
    donor_name: Option<String>,
    donor_email: Option<String>,
    message: Option<String>,
    visibility: String,
    status: String,
    donation_id: Option<String>,
    expires_at: DateTime<Utc>,
}

pub(crate) const SESSION_SELECT: &str = "SELECT s.id, s.campaign_id, s.provider, s.amount_minor, s.currency, s.rate, \
    s.campaign_amount_minor, c.currency AS campaign_currency, s.donor_name, s.donor_email, s.message, \
    s.visibility, s.status, s.donation_id, s.expires_at \
    FROM checkout_sessions s JOIN campaigns c ON c.id = s.campaign_id WHERE s.id = $1";

impl TryFrom<SessionRow> for CheckoutSession {
    type Error = DbError;
    fn try_from(r: SessionRow) -> Result<Self, DbError> {
        let bad = |w: &str| DbError::Corrupt(format!("checkout session {}: bad {w}", r.id));
        let cur = CurrencyCode::parse(&r.currency).map_err(|_| bad("currency"))?;
        let ccur =
            CurrencyCode::parse(&r.campaign_currency).map_err(|_| bad("campaign currency"))?;
        Ok(CheckoutSession {
            amount: Money::new(r.amount_minor, cur),
            rate: r.rate.parse().map_err(|_| bad("rate"))?,
            campaign_amount: Money::new(r.campaign_amount_minor, ccur),
            donor_email: r.donor_email.as_deref().and_then(|e| Email::parse(e).ok()),
            visibility: Visibility::parse(&r.visibility).ok_or_else(|| bad("visibility"))?,
            id: r.id,
            campaign_id: r.campaign_id,
            provider: r.provider,
            donor_name: r.donor_name,
            message: r.message,
            status: r.status,
            donation_id: r.donation_id,
            expires_at: r.expires_at,
        })
    }
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<CheckoutSession>> {
    let row: Option<SessionRow> = on_db!(db, |p| sqlx::query_as(SESSION_SELECT)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(CheckoutSession::try_from).transpose()
}
