//! What a donor asks to give ([`Intent`]), and the donate form's checks that produce it.
//!
//! One intent is carried from the form through the checkout session (which adds its id,
//! provider and status) to the ledger (which adds the provider's reference): the amount,
//! the exchange rate and the converted amount are locked once, here.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::email::Email;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::payments::FeeRule;
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
    /// What the donor added to cover the processing fees, in minor units of
    /// `amount.currency`: part of `amount` (and so of `campaign_amount`), 0 when nothing.
    pub cover_minor: i64,
    pub donor_name: Option<String>,
    pub donor_email: Option<Email>,
    pub message: Option<String>,
    pub visibility: Visibility,
}

/// The raw form, as typed.
#[derive(Debug, Clone, Default)]
pub struct DonateInput {
    /// The amount typed in the free field, in the page's language; it wins over a preset.
    pub amount: String,
    /// The preset chosen, as its radio button's value: `<whole amount> <currency>` (`500 INR`).
    pub preset: String,
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

/// The amount asked for in `currency`: the typed one (read in the page's language), else
/// the chosen preset, which must be in `currency` (without JavaScript the presets shown do
/// not follow the currency select); or the localized message saying what is wrong.
fn amount_of(tr: &I18n, input: &DonateInput, currency: CurrencyCode) -> Result<Money, String> {
    let preset = input.preset.trim();
    if !input.amount.trim().is_empty() || preset.is_empty() {
        return Money::parse_localized(&input.amount, currency, tr.number_format())
            .map_err(|e| tr.money_error(&e));
    }
    let (amount, code) = preset.split_once(' ').unwrap_or((preset, ""));
    match CurrencyCode::parse(code) {
        Ok(code) if code == currency => {
            Money::parse_major(amount, currency).map_err(|e| tr.money_error(&e))
        }
        Ok(code) => Err(tr.ta(
            "error-preset-currency",
            &[
                ("preset", code.to_string()),
                ("currency", currency.to_string()),
            ],
        )),
        Err(_) => Err(tr.t("error-amount-not-number")),
    }
}

/// The donation limit, `max_major` whole units of the campaign currency `campaign`, in
/// `currency` at `rate` (units of `campaign` per unit of `currency`): the largest whole
/// amount the form accepts (converted and rounded as [`validate`] does, within the limit),
/// so the amount shown is always accepted and one unit more never is. `None` when there is
/// no such amount or it does not fit.
pub fn max_in(
    max_major: i64,
    campaign: CurrencyCode,
    currency: CurrencyCode,
    rate: Decimal,
) -> Option<Money> {
    let scale = |c: CurrencyCode| 10_i64.checked_pow(u32::from(c.exponent()));
    let limit = max_major.checked_mul(scale(campaign)?)?;
    if currency == campaign {
        return Some(Money::new(limit, campaign));
    }
    if rate <= Decimal::ZERO {
        return None;
    }
    let unit = scale(currency)?;
    let converted = |n: i64| -> Option<i64> {
        let m = Money::new(n.checked_mul(unit)?, currency);
        m.convert(rate, campaign).ok().map(|c| c.amount_minor)
    };
    // The exact quotient, with the half minor unit that rounding allows, is within a unit or
    // two of the answer; step to it.
    let room = Decimal::from(limit) + Decimal::new(5, 1);
    let mut n = (room / Decimal::from(scale(campaign)?))
        .checked_div(rate)?
        .floor()
        .to_i64()?;
    for _ in 0..4 {
        if n > 0 && converted(n)? > limit {
            n -= 1;
        }
    }
    for _ in 0..4 {
        if converted(n + 1)? <= limit {
            n += 1;
        }
    }
    if n <= 0 || converted(n)? > limit {
        return None;
    }
    Some(Money::new(n.checked_mul(unit)?, currency))
}

/// The smallest amount of `currency` in steps of `step` minor units whose conversion to
/// `target` at `rate` (units of `target` per unit of `currency`) is at least `limit_minor`
/// minor units of `target`, converted and rounded as [`validate`] does. `None` when it does
/// not fit.
pub fn least_in(
    limit_minor: i64,
    target: CurrencyCode,
    currency: CurrencyCode,
    rate: Decimal,
    step: i64,
) -> Option<Money> {
    if limit_minor <= 0 || step <= 0 {
        return Some(Money::new(step.max(1), currency));
    }
    if currency == target {
        let n = limit_minor.div_euclid(step) + i64::from(limit_minor % step != 0);
        return Some(Money::new(n.checked_mul(step)?, currency));
    }
    if rate <= Decimal::ZERO {
        return None;
    }
    let scale = |c: CurrencyCode| 10_i64.checked_pow(u32::from(c.exponent()));
    let converted = |n: i64| -> Option<i64> {
        let m = Money::new(n.checked_mul(step)?, currency);
        m.convert(rate, target).ok().map(|c| c.amount_minor)
    };
    // The exact quotient (less the half minor unit rounding allows) is within a step or two
    // of the answer; step to it.
    let room = Decimal::from(limit_minor) - Decimal::new(5, 1);
    let step_major = Decimal::from(step) / Decimal::from(scale(currency)?);
    let mut n = (room / Decimal::from(scale(target)?))
        .checked_div(rate)?
        .checked_div(step_major)?
        .ceil()
        .to_i64()?
        .max(1);
    for _ in 0..4 {
        if n > 1 && converted(n - 1)? >= limit_minor {
            n -= 1;
        }
    }
    for _ in 0..4 {
        if converted(n)? < limit_minor {
            n += 1;
        }
    }
    if converted(n)? < limit_minor {
        return None;
    }
    Some(Money::new(n.checked_mul(step)?, currency))
}

/// The donation minimum, `min_major` whole units of the campaign currency, in the
/// currency the donor chose: the smallest whole amount that converts to at least it.
pub fn min_in(
    min_major: i64,
    campaign: CurrencyCode,
    currency: CurrencyCode,
    rate: Decimal,
) -> Option<Money> {
    let limit = min_major.checked_mul(10_i64.checked_pow(u32::from(campaign.exponent()))?)?;
    let unit = 10_i64.checked_pow(u32::from(currency.exponent()))?;
    least_in(limit, campaign, currency, rate, unit)
}

/// The site's minimum (`donations.min_amount_major`, whole units of the campaign currency)
/// for a checked intent: `Err` with the form's message naming the minimum in the donor's
/// currency when the converted amount is below it.
pub fn check_minimum(
    tr: &I18n,
    campaign: CurrencyCode,
    min_major: i64,
    intent: &Intent,
) -> Result<(), String> {
    let limit = min_major
        .saturating_mul(10_i64.pow(u32::from(campaign.exponent())))
        .max(0);
    if intent.campaign_amount.amount_minor >= limit {
        return Ok(());
    }
    let min = min_in(min_major, campaign, intent.amount.currency, intent.rate)
        .unwrap_or(Money::new(limit, campaign));
    Err(tr.ta("error-amount-below-minimum", &[("min", tr.money(min))]))
}

/// `i` with what covers the fee of `rule` added on top ("Add N to cover the processing
/// fees"): the smallest sum after which the gift arrives whole ([`FeeRule::cover`]), raised
/// to the provider's step (`step_of`: Stripe charges KWD in steps of 10 fils) so that the
/// total can be charged exactly; the total converted again at the locked rate. Computed
/// here from the gift alone: the form sends only whether the box was ticked. A zero rule
/// adds nothing; `None` when the total does not fit.
pub fn with_cover(
    mut i: Intent,
    rule: FeeRule,
    step_of: impl Fn(Money) -> Option<Money>,
) -> Option<Intent> {
    if rule.is_zero() {
        return Some(i);
    }
    let currency = i.amount.currency;
    let mut cover = rule.cover(i.amount).amount_minor;
    let mut total = i.amount.amount_minor.checked_add(cover)?;
    if let Some(step) = step_of(Money::new(total, currency)) {
        let step = step.amount_minor.max(1);
        let up = (step - total.rem_euclid(step)) % step;
        cover = cover.checked_add(up)?;
        total = total.checked_add(up)?;
    }
    let total = Money::new(total, currency);
    i.campaign_amount = total.convert(i.rate, i.campaign_amount.currency).ok()?;
    i.amount = total;
    i.cover_minor = cover;
    Some(i)
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
        match amount_of(tr, input, code) {
            Ok(m) => match rates.rate(code, c.currency()) {
                Some(rate) => match m.convert(rate, c.currency()) {
                    Ok(conv) => {
                        let max_minor = max_major
                            .saturating_mul(10_i64.pow(u32::from(c.currency().exponent())));
                        if conv.amount_minor > max_minor {
                            let max = max_in(max_major, c.currency(), code, rate)
                                .unwrap_or(Money::new(max_minor, c.currency()));
                            errors.insert(
                                "amount",
                                tr.ta("error-amount-too-large", &[("max", tr.money(max))]),
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
            Err(msg) => {
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
                cover_minor: 0,
                donor_name: (!name.is_empty()).then_some(name),
                donor_email: email,
                message: (!message.is_empty()).then_some(message),
                visibility,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn c(s: &str) -> CurrencyCode {
        CurrencyCode::parse(s).expect("known currency")
    }

    proptest! {
        /// The limit shown in another currency is the largest whole amount the form accepts:
        /// it converts to within the limit and one unit more does not.
        #[test]
        fn the_limit_in_another_currency_is_exact(
            max_major in 1i64..10_000_000,
            rate_units in 1i64..10_000_000_000,
            to in prop::sample::select(vec!["INR", "JPY", "KWD", "IDR", "EUR"]),
        ) {
            let (gbp, to) = (c("GBP"), c(to));
            // Units of GBP per unit of `to`, like a cross rate: 0.00000001 to 100.
            let rate = Decimal::new(rate_units, 8);
            let limit = max_major * 100;
            let unit = 10_i64.pow(u32::from(to.exponent()));
            let conv = |minor: i64| Money::new(minor, to).convert(rate, gbp).expect("fits").amount_minor;
            match max_in(max_major, gbp, to, rate) {
                Some(max) => {
                    prop_assert!(conv(max.amount_minor) <= limit);
                    prop_assert!(conv(max.amount_minor + unit) > limit);
                }
                // Only when one unit is already over the limit.
                None => prop_assert!(conv(unit) > limit),
            }
        }
    }

    proptest! {
        /// The minimum shown in another currency is the smallest whole amount the form
        /// accepts: it converts to at least the minimum and one unit less does not.
        #[test]
        fn the_minimum_in_another_currency_is_exact(
            min_major in 1i64..10_000,
            rate_units in 1i64..10_000_000_000,
            to in prop::sample::select(vec!["INR", "JPY", "KWD", "IDR", "EUR"]),
        ) {
            let (gbp, to) = (c("GBP"), c(to));
            let rate = Decimal::new(rate_units, 8);
            let limit = min_major * 100;
            let unit = 10_i64.pow(u32::from(to.exponent()));
            let conv = |minor: i64| Money::new(minor, to).convert(rate, gbp).expect("fits").amount_minor;
            let min = min_in(min_major, gbp, to, rate).expect("fits");
            prop_assert_eq!(min.amount_minor % unit, 0);
            prop_assert!(conv(min.amount_minor) >= limit);
            if min.amount_minor > unit {
                prop_assert!(conv(min.amount_minor - unit) < limit);
            }
        }
    }

    #[test]
    fn the_minimum_in_the_campaign_currency_and_in_steps() {
        assert_eq!(
            min_in(1, c("GBP"), c("GBP"), Decimal::ONE),
            Some(Money::new(100, c("GBP")))
        );
        // 30 pence in DKK at 8.6 kroner a pound: 2.54 kr. is 29.53p, rounded to 30p; 2.53
        // kr. is 29.42p.
        let rate = Decimal::new(1, 0) / Decimal::new(86, 1);
        let m = least_in(30, c("GBP"), c("DKK"), rate, 1).expect("fits");
        assert_eq!(m, Money::new(254, c("DKK")));
        assert_eq!(
            least_in(250, c("DKK"), c("DKK"), Decimal::ONE, 1),
            Some(Money::new(250, c("DKK")))
        );
    }

    #[test]
    fn the_cover_is_added_on_top_converted_and_raised_to_the_step() {
        let intent = |minor: i64, cur: &str, rate: Decimal| Intent {
            campaign_id: "c".into(),
            amount: Money::new(minor, c(cur)),
            rate,
            campaign_amount: Money::new(minor, c(cur))
                .convert(rate, c("GBP"))
                .expect("fits"),
            cover_minor: 0,
            donor_name: None,
            donor_email: None,
            message: None,
            visibility: super::Visibility::Public,
        };
        let rule = FeeRule {
            percent_bp: 140,
            fixed_minor: 20,
        };
        // £25 at 1.4 % + 20p: 56p more, and £25.56 less its fee (36p + 20p) is £25.
        let i = with_cover(intent(2500, "GBP", Decimal::ONE), rule, |_| None).expect("fits");
        assert_eq!((i.amount.amount_minor, i.cover_minor), (2556, 56));
        assert_eq!(i.campaign_amount, Money::new(2556, c("GBP")));
        assert!(i.amount.amount_minor - rule.fee_on(i.amount).amount_minor >= 2500);
        // No rule: nothing added.
        let same = with_cover(
            intent(2500, "GBP", Decimal::ONE),
            FeeRule::default(),
            |_| None,
        )
        .expect("fits");
        assert_eq!((same.amount.amount_minor, same.cover_minor), (2500, 0));
        // Another currency: the total converted at the locked rate.
        let rate = Decimal::new(1, 0) / Decimal::new(86, 1);
        let dkk = with_cover(intent(10_000, "DKK", rate), rule, |_| None).expect("fits");
        assert_eq!(dkk.amount.amount_minor, 10_000 + dkk.cover_minor);
        assert_eq!(
            dkk.campaign_amount,
            dkk.amount.convert(rate, c("GBP")).expect("fits")
        );
        // A provider that charges in steps of 10 minor units: the cover rounds up to one.
        let step = |m: Money| (m.amount_minor % 10 != 0).then(|| Money::new(10, m.currency));
        let kwd = with_cover(intent(5_000, "KWD", Decimal::ONE), rule, step).expect("fits");
        assert_eq!(kwd.amount.amount_minor % 10, 0);
        assert!(kwd.cover_minor >= rule.cover(Money::new(5_000, c("KWD"))).amount_minor);
    }

    #[test]
    fn the_limit_in_the_campaign_currency() {
        assert_eq!(
            max_in(500, c("GBP"), c("GBP"), Decimal::ONE),
            Some(Money::new(50_000, c("GBP")))
        );
        // £500 at 0.00948330242746458 GBP per rupee.
        let rate = Decimal::new(948_330_242_746_458, 17);
        let max = max_in(500, c("GBP"), c("INR"), rate).expect("fits");
        assert_eq!(max.amount_minor % 100, 0);
        assert!(max.amount_minor > 5_000_000);
    }
}
