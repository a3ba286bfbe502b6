//! Pieces the console's forms share: select options and the messages for money input.

use crate::i18n::I18n;
use crate::money::MoneyError;

/// One choice of a select, radio group or checkbox list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Localized text for a money parsing error.
pub fn money_error(tr: &I18n, e: &MoneyError) -> String {
    match e {
        MoneyError::Empty => tr.t("error-amount-empty"),
        MoneyError::NotPositive => tr.t("error-amount-not-positive"),
        MoneyError::TooManyDecimals { currency, exponent } if *exponent == 0 => tr.ta(
            "error-amount-no-decimals",
            &[("currency", currency.to_string())],
        ),
        MoneyError::TooManyDecimals { currency, exponent } => tr.ta(
            "error-amount-decimals",
            &[
                ("currency", currency.to_string()),
                ("places", exponent.to_string()),
            ],
        ),
        MoneyError::TooLarge => tr.t("error-amount-too-large-plain"),
        MoneyError::UnknownCurrency(_) => tr.t("error-currency-unknown"),
        _ => tr.t("error-amount-not-number"),
    }
}
