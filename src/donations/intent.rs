//! What a donor asks to give ([`Intent`]), and the donate form's checks that produce it.
//!
//! One intent is carried from the form through the checkout session (which adds its id,
//! provider and status) to the ledger (which adds the provider's reference): the amount,
//! the exchange rate and the converted amount are locked once, here.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::email::Email;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money, MoneyError};
use crate::rates::RateTable;

/// What the donor asked to give, for which campaign, under which name and visibility.
#[derive(Debug, Clone)]
pub struct Intent {
    pub campaign_id: String,
    /// What the donor pays, in the currency they chose.
    pub amount: Money,
    /// Units of the campaign currency per unit of `amount.currency`, locked at checkout.
    pub rate: Decimal,
    /// `amount` converted at `rate`: what the campaign's totals count.
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
) -> Result<Intent, FieldErrors> {
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
            Ok(Intent {
                campaign_id: c.id.clone(),
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
