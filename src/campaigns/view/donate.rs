//! The donate form on the campaign page: its values and errors when shown again, the
//! currency a visitor's page opens with, and each accepted currency's presets and limit.
//!
//! Every accepted currency gets its group of presets and its limit line; the chosen one is
//! shown, the others are `hidden` and `live.js` shows the group of the currency the select
//! switches to. A preset's value names its currency (`500 INR`), so without JavaScript a
//! preset picked under another currency is refused (`donations::intent`), never paid in the
//! select's currency; the form then comes back with that currency's presets.

use std::collections::HashMap;

use crate::campaigns::Campaign;
use crate::donations::intent::max_in;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money, currency_of_region};
use crate::payments::FeeRule;
use crate::rates::RateTable;

/// Values and errors of the donate form, for showing it again.
#[derive(Default, Clone)]
pub struct FormState {
    /// The free amount field.
    pub amount: String,
    /// The preset radio button's value (`25 GBP`).
    pub preset: String,
    pub currency: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub visibility: String,
    /// The payment provider chosen (`stripe`, `paypal`, `test`); empty: the first offered.
    pub provider: String,
    /// "Send me news about this campaign" was ticked (never ticked for a fresh form).
    pub news: bool,
    /// `monthly` for a monthly gift (Stripe); anything else gives once.
    pub frequency: String,
    /// "Add N to cover the processing fees" was ticked (never ticked for a fresh form).
    pub fee_cover: bool,
    pub errors: HashMap<&'static str, String>,
    /// A proof-of-work challenge the form must carry back solved (card testing suspected,
    /// `donations::challenge`); empty: none asked.
    pub challenge: String,
    /// The referral code and campaign source the form was first posted with, carried in
    /// hidden fields by a form shown again (`donations::attribution`); empty: none.
    pub ref_code: String,
    pub utm_source: String,
    /// The other site that sent the visitor (`via`, set by the page's script), carried on.
    pub via: String,
}

impl FormState {
    /// An empty form opening with `currency`.
    pub fn fresh(currency: CurrencyCode) -> FormState {
        FormState {
            currency: currency.to_string(),
            visibility: "public".into(),
            ..Default::default()
        }
    }
    /// The form a failed checkout gives back: a whole amount that is one of the currency's
    /// presets chooses that preset again, any other fills the free field.
    pub fn given_back(
        amount: String,
        currency: String,
        name: String,
        message: String,
        visibility: String,
    ) -> FormState {
        let preset = CurrencyCode::parse(&currency)
            .ok()
            .zip(amount.parse::<i64>().ok())
            .filter(|(c, a)| presets(*c).contains(a))
            .map(|(c, a)| format!("{a} {c}"));
        FormState {
            amount: if preset.is_some() {
                String::new()
            } else {
                amount
            },
            preset: preset.unwrap_or_default(),
            currency,
            name,
            message,
            visibility,
            ..Default::default()
        }
    }
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }
}

/// A payment provider offered on the donate form (a radio button when there are several).
pub struct ProviderOption {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

/// The enabled providers as the form offers them, `chosen` (or the first) checked.
pub fn provider_options(tr: &I18n, names: &[&'static str], chosen: &str) -> Vec<ProviderOption> {
    let chosen = if names.contains(&chosen) {
        chosen
    } else {
        names.first().copied().unwrap_or("")
    };
    names
        .iter()
        .map(|n| ProviderOption {
            value: n,
            label: tr.t(&format!("provider-{n}")),
            checked: *n == chosen,
        })
        .collect()
}

/// The label of the donate form's "cover the processing fees" box, from the fee rules of the
/// enabled providers that have one (`Providers::fee_rules`) out of `offered` providers:
/// empty when none has (no box); "about 1.4 %" (and "plus a small fixed amount") when every
/// provider charges alike; else the largest percentage, "depending on how you pay". The sum
/// itself is worked out when the form is sent, from the amount and the provider chosen.
pub fn fee_cover_label(tr: &I18n, rules: &[(&'static str, FeeRule)], offered: usize) -> String {
    let Some(max_bp) = rules.iter().map(|(_, r)| r.percent_bp).max() else {
        return String::new();
    };
    let percent = tr.rate(rust_decimal::Decimal::new(i64::from(max_bp), 2));
    let alike = rules.len() == offered && rules.windows(2).all(|w| w[0].1 == w[1].1);
    let fee = if !alike {
        tr.ta("donate-cover-fee-varies", [("percent", percent)])
    } else if rules.iter().any(|(_, r)| r.fixed_minor > 0) {
        tr.ta("donate-cover-fee-fixed", [("percent", percent)])
    } else {
        tr.ta("donate-cover-fee", [("percent", percent)])
    };
    tr.ta("donate-cover", [("fee", fee)])
}

pub struct CurrencyOption {
    pub code: String,
    pub selected: bool,
}

/// One preset: its radio button's value (`500 INR`) and label (`₹500`).
pub struct PresetView {
    pub value: String,
    pub label: String,
}

/// One accepted currency's presets and limit line.
pub struct CurrencyGroup {
    pub code: String,
    pub shown: bool,
    pub presets: Vec<PresetView>,
    /// "Up to ₹1,054,485 per donation."
    pub hint: String,
}

/// Preset amounts in whole units: round sums people give in each currency (not
/// conversions of one another). A currency not listed gets [`DEFAULT_PRESETS`].
const PRESETS: &[(&str, [i64; 4])] = &[
    ("AED", [50, 100, 200, 500]),
    ("AUD", [10, 25, 50, 100]),
    ("BGN", [20, 50, 100, 200]),
    ("BHD", [5, 10, 20, 50]),
    ("BRL", [50, 100, 250, 500]),
    ("CAD", [10, 25, 50, 100]),
    ("CHF", [10, 25, 50, 100]),
    ("CLP", [5_000, 10_000, 25_000, 50_000]),
    ("CNY", [50, 100, 200, 500]),
    ("CZK", [250, 500, 1_000, 2_500]),
    ("DKK", [100, 250, 500, 1_000]),
    ("EUR", [10, 25, 50, 100]),
    ("GBP", [10, 25, 50, 100]),
    ("HKD", [100, 200, 500, 1_000]),
    ("HUF", [2_500, 5_000, 10_000, 25_000]),
    ("IDR", [100_000, 250_000, 500_000, 1_000_000]),
    ("ILS", [50, 100, 200, 500]),
    ("INR", [500, 1_000, 2_500, 5_000]),
    ("ISK", [1_500, 3_000, 7_500, 15_000]),
    ("JOD", [5, 10, 25, 50]),
    ("JPY", [1_000, 3_000, 5_000, 10_000]),
    ("KES", [1_000, 2_500, 5_000, 10_000]),
    ("KRW", [10_000, 30_000, 50_000, 100_000]),
    ("KWD", [5, 10, 20, 50]),
    ("MXN", [200, 500, 1_000, 2_000]),
    ("MYR", [50, 100, 200, 500]),
    ("NGN", [5_000, 10_000, 25_000, 50_000]),
    ("NOK", [100, 250, 500, 1_000]),
    ("NZD", [10, 25, 50, 100]),
    ("OMR", [5, 10, 20, 50]),
    ("PHP", [500, 1_000, 2_500, 5_000]),
    ("PLN", [50, 100, 200, 500]),
    ("RON", [50, 100, 200, 500]),
    ("SEK", [100, 250, 500, 1_000]),
    ("SGD", [10, 25, 50, 100]),
    ("THB", [300, 500, 1_000, 2_000]),
    ("TND", [20, 50, 100, 200]),
    ("TRY", [250, 500, 1_000, 2_500]),
    ("UGX", [20_000, 50_000, 100_000, 200_000]),
    ("USD", [10, 25, 50, 100]),
    ("VND", [200_000, 500_000, 1_000_000, 2_000_000]),
    ("ZAR", [100, 250, 500, 1_000]),
];

const DEFAULT_PRESETS: [i64; 4] = [10, 25, 50, 100];

/// The preset amounts of `c`, in whole units.
pub fn presets(c: CurrencyCode) -> [i64; 4] {
    PRESETS
        .iter()
        .find(|(code, _)| *code == c.as_str())
        .map_or(DEFAULT_PRESETS, |(_, p)| *p)
}

/// The currency a visitor's page opens with: their region's (the `Accept-Language` region,
/// `en-IN` → INR) when the campaign accepts it, else the campaign's own.
pub fn visitor_currency(c: &Campaign, region: Option<&str>) -> CurrencyCode {
    region
        .and_then(currency_of_region)
        .filter(|x| c.accepts_currency(*x))
        .unwrap_or(c.currency())
}

/// The presets and limit of every currency `c` offers, `shown` visible: presets above the
/// limit are left out, and a currency without a rate yet shows neither.
pub fn currency_groups(
    tr: &I18n,
    c: &Campaign,
    rates: &RateTable,
    max_major: i64,
    shown: CurrencyCode,
) -> Vec<CurrencyGroup> {
    c.currencies()
        .into_iter()
        .map(|code| {
            let max = rates
                .rate(code, c.currency())
                .and_then(|rate| max_in(max_major, c.currency(), code, rate));
            let unit = 10_i64.pow(u32::from(code.exponent()));
            let presets = match max {
                Some(max) => presets(code)
                    .into_iter()
                    .filter(|p| p.saturating_mul(unit) <= max.amount_minor)
                    .map(|p| PresetView {
                        value: format!("{p} {code}"),
                        label: tr.money(Money::new(p * unit, code)),
                    })
                    .collect(),
                None => Vec::new(),
            };
            CurrencyGroup {
                code: code.to_string(),
                shown: code == shown,
                presets,
                hint: max
                    .map(|m| tr.ta("amount-hint", &[("max", tr.money(m))]))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every currency has its own presets, in rising order.
    #[test]
    fn every_currency_has_presets() {
        for c in CurrencyCode::all() {
            assert!(
                PRESETS.iter().any(|(code, _)| *code == c.as_str()),
                "{c} has no presets"
            );
            let p = presets(c);
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{c}: {p:?}");
        }
    }
}
