//! Offline donations (cash, cheques, bank transfers): the one path that both
//! `shelfraiser donation add` and the console's offline entry take.
//!
//! The date received may not be after today in the treasurer's time zone. The amount is
//! converted to the campaign currency at the ECB cross rate of the day it was received (for
//! each currency the newest reference rate on or before that day, [`crate::rates::on`]; an
//! entry older than every imported rate is refused rather than converted at today's rate),
//! with the same rounding as online donations; the rate's day is stored with the donation and
//! shown on the wall and in the console. It is recorded with provider `offline`, the date
//! received and a treasurer's note, and written with its audit entry in one transaction. A
//! reference makes
//! re-entry idempotent: the same reference for the same campaign records one donation (the
//! second entry answers "already recorded" with the first one's id).
//!
//! References are scoped to their campaign: the stored `provider_reference` is
//! `<campaign id>:<reference>` ([`stored_reference`]), so the ledger's one-donation-per-
//! (provider, reference) rule never lets an entry for one campaign meet (or reveal) a
//! donation of another. The console and the CSV export show the reference as typed
//! ([`shown_reference`]).

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::Intent;
use super::ledger::{NewDonation, Recorded};
use super::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_NOTE_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, Tx};
use crate::email::Email;
use crate::money::{CurrencyCode, Money, MoneyError, NumberFormat};
use crate::rates::RateTable;
use crate::team::audit::{self, Actor};

/// The provider name offline donations are recorded with.
pub const PROVIDER: &str = "offline";

/// Longest reference accepted, in characters.
pub const MAX_REFERENCE_CHARS: usize = 200;

/// The entry as typed (command-line flags or form fields); empty strings mean "not given".
#[derive(Debug, Clone, Default)]
pub struct OfflineInput {
    pub amount: String,
    /// How the amount is written: typed by a person in a language (the console: read with
    /// `Money::parse_localized`), or `None` for the machine rule of the command line
    /// (`Money::parse_major`: digits and a decimal point).
    pub amount_style: Option<NumberFormat>,
    pub currency: String,
    pub donor: Option<String>,
    pub email: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
    pub note: Option<String>,
    pub message: Option<String>,
    /// `public`, `anonymous` or `private`.
    pub visibility: String,
    /// The treasurer's reference (receipt or bank reference); a random one when absent.
    pub reference: Option<String>,
    /// Today in the treasurer's time zone ([`today_in`]); today in UTC when absent.
    pub today: Option<NaiveDate>,
}

/// Why an entry was refused. [`OfflineError::field`] names the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("{0}")]
    CurrencyUnknown(MoneyError),
    #[error("the campaign {campaign} does not accept {currency}")]
    CurrencyNotAccepted {
        campaign: String,
        currency: CurrencyCode,
    },
    #[error("{0}")]
    Amount(MoneyError),
    #[error("the amount is less than one minor unit of {0} after conversion")]
    ConvertedToZero(CurrencyCode),
    #[error("no exchange rate from {from} to {to} (run `shelfraiser rates import`)")]
    NoRate {
        from: CurrencyCode,
        to: CurrencyCode,
    },
    #[error("must be public, anonymous or private")]
    Visibility,
    #[error("must be YYYY-MM-DD")]
    Date,
    #[error("{date} is after today ({today}): a donation cannot be received in the future")]
    DateInFuture { date: NaiveDate, today: NaiveDate },
    #[error(
        "no ECB reference rate from {from} to {to} on or before {on}, the day received \
         (import the ECB's 90-day or history file with `shelfraiser rates import`)"
    )]
    NoRateOn {
        from: CurrencyCode,
        to: CurrencyCode,
        on: NaiveDate,
    },
    #[error("{0}")]
    Email(String),
    #[error("is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl OfflineError {
    /// The input the error is about (`amount`, `currency`, `donor`, `email`, `date`, `note`,
    /// `message`, `visibility`, `reference`), or `""` for storage errors.
    pub fn field(&self) -> &'static str {
        match self {
            OfflineError::CurrencyUnknown(_)
            | OfflineError::CurrencyNotAccepted { .. }
            | OfflineError::NoRate { .. }
            | OfflineError::NoRateOn { .. } => "currency",
            OfflineError::Amount(_) | OfflineError::ConvertedToZero(_) => "amount",
            OfflineError::Visibility => "visibility",
            OfflineError::Date | OfflineError::DateInFuture { .. } => "date",
            OfflineError::Email(_) => "email",
            OfflineError::TooLong { field, .. } => field,
            OfflineError::Db(_) => "",
        }
    }

    /// One sentence for the command line, naming the flag at fault.
    pub fn cli_message(&self) -> String {
        match self {
            OfflineError::Amount(e) => format!("bad --amount: {e}"),
            OfflineError::Visibility
            | OfflineError::Date
            | OfflineError::DateInFuture { .. }
            | OfflineError::TooLong { .. } => {
                format!("--{} {self}", self.field())
            }
            _ => self.to_string(),
        }
    }
}

/// The outcome of an entry.
#[derive(Debug, Clone)]
pub struct Offline {
    /// `Recorded::Duplicate`: this campaign already has a donation with the reference
    /// ("already recorded"; nothing changed).
    pub recorded: Recorded,
    pub amount: Money,
    pub rate: Decimal,
    pub converted: Money,
    /// The day of the ECB reference rate used (`None`: no conversion).
    pub rate_on: Option<NaiveDate>,
}

/// The `provider_reference` stored for an offline reference of a campaign.
pub fn stored_reference(campaign_id: &str, reference: &str) -> String {
    format!("{campaign_id}:{reference}")
}

/// The reference as the treasurer typed it (offline donations; others unchanged).
pub fn shown_reference<'a>(provider: &str, campaign_id: &str, stored: &'a str) -> &'a str {
    if provider != PROVIDER {
        return stored;
    }
    stored
        .strip_prefix(campaign_id)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or(stored)
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Checks an entry against the campaign and the rates (those of the day received, see
/// [`add`]); every problem found, in input order (amount and currency first).
pub fn validate(
    c: &Campaign,
    rates: &RateTable,
    input: &OfflineInput,
) -> Result<NewDonation, Vec<OfflineError>> {
    let mut errors = Vec::new();
    let mut money = None;
    match CurrencyCode::parse(&input.currency) {
        Err(e) => errors.push(OfflineError::CurrencyUnknown(e)),
        Ok(currency) if !c.accepts_currency(currency) => {
            errors.push(OfflineError::CurrencyNotAccepted {
                campaign: c.slug.to_string(),
                currency,
            })
        }
        Ok(currency) => match match input.amount_style {
            Some(style) => Money::parse_localized(&input.amount, currency, style),
            None => Money::parse_major(&input.amount, currency),
        } {
            Err(e) => errors.push(OfflineError::Amount(e)),
            Ok(amount) => match rates.rate(currency, c.currency()) {
                None => errors.push(match rates.on {
                    Some(on) => OfflineError::NoRateOn {
                        from: currency,
                        to: c.currency(),
                        on,
                    },
                    None => OfflineError::NoRate {
                        from: currency,
                        to: c.currency(),
                    },
                }),
                Some(rate) => match amount.convert(rate, c.currency()) {
                    Err(e) => errors.push(OfflineError::Amount(e)),
                    Ok(conv) if conv.amount_minor <= 0 => {
                        errors.push(OfflineError::ConvertedToZero(c.currency()))
                    }
                    Ok(conv) => money = Some((amount, rate, conv)),
                },
            },
        },
    }
    let visibility = Visibility::parse(input.visibility.trim());
    if visibility.is_none() {
        errors.push(OfflineError::Visibility);
    }
    let today = input.today.unwrap_or_else(|| Utc::now().date_naive());
    let received_on = match given(&input.date) {
        Some(d) => match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(date) if date > today => {
                errors.push(OfflineError::DateInFuture { date, today });
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(OfflineError::Date);
                None
            }
        },
        None => Some(today),
    };
    let email = match given(&input.email) {
        Some(e) => match Email::parse(&e) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(OfflineError::Email(e.to_string()));
                None
            }
        },
        None => None,
    };
    let donor = given(&input.donor);
    let message = given(&input.message);
    let note = given(&input.note);
    let reference = given(&input.reference);
    for (field, value, max) in [
        ("donor", &donor, MAX_NAME_CHARS),
        ("message", &message, MAX_MESSAGE_CHARS),
        ("note", &note, MAX_NOTE_CHARS),
        ("reference", &reference, MAX_REFERENCE_CHARS),
    ] {
        if value.as_ref().is_some_and(|s| s.chars().count() > max) {
            errors.push(OfflineError::TooLong { field, max });
        }
    }
    match (money, visibility, received_on) {
        (Some((amount, rate, campaign_amount)), Some(visibility), Some(received_on))
            if errors.is_empty() =>
        {
            let rate_on = rates.rate_date(amount.currency, c.currency());
            Ok(NewDonation {
                intent: Intent {
                    campaign_id: c.id.clone(),
                    amount,
                    rate,
                    campaign_amount,
                    cover_minor: 0,
                    donor_name: donor,
                    donor_email: email,
                    message,
                    visibility,
                },
                provider: PROVIDER.into(),
                provider_reference: stored_reference(
                    &c.id,
                    &reference.unwrap_or_else(|| format!("offline-{}", uuid::Uuid::new_v4())),
                ),
                received_on: Some(received_on),
                rate_on,
                note,
            })
        }
        _ => Err(errors),
    }
}

/// Validates and records an offline donation with its `donation.added` audit entry, in one
/// transaction. A repeated reference records nothing (and audits nothing).
pub async fn add(
    db: &Db,
    c: &Campaign,
    input: &OfflineInput,
    by: &Actor,
) -> Result<Offline, Vec<OfflineError>> {
    let rates = crate::rates::on(db, rates_day(input))
        .await
        .map_err(|e| vec![OfflineError::Db(e)])?;
    let d = validate(c, &rates, input)?;
    record(db, c, &d, by)
        .await
        .map_err(|e| vec![OfflineError::Db(e)])
}

/// The language of an offline gift's receipt: the recording treasurer's own (the first of
/// their profile's languages); the command line, which has no member: English, the site's
/// default.
async fn receipt_lang(db: &Db, by: &Actor) -> Result<&'static str, DbError> {
    let Some(id) = &by.member_id else {
        return Ok("en");
    };
    Ok(crate::team::repo::by_id(db, id)
        .await?
        .map_or("en", |m| crate::team::mailers::language_of(&m).lang))
}

async fn record(db: &Db, c: &Campaign, d: &NewDonation, by: &Actor) -> Result<Offline, DbError> {
    let lang = receipt_lang(db, by).await?;
    let mut tx = db.begin().await?;
    let done = record_in(&mut tx, c, d, by).await?;
    if let Recorded::New { donation_id, .. } = &done.recorded {
        super::repo::receipts::set_lang_in(&mut tx, donation_id, lang).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Records a validated offline donation ([`validate`]) with its `donation.added` audit entry
/// inside `tx`: what a pledge's fulfilment and a matching gift's settlement take, so the
/// donation and the end of the promise are one transaction.
pub async fn record_in(
    tx: &mut Tx,
    c: &Campaign,
    d: &NewDonation,
    by: &Actor,
) -> Result<Offline, DbError> {
    let i = &d.intent;
    let recorded = super::record_in(tx, d).await?;
    if let Recorded::New { donation_id, .. } = &recorded {
        audit::record_in(
            tx,
            by,
            "donation.added",
            donation_id,
            &format!(
                "campaign={} amount={} {} converted={} {} provider=offline reference={}{}",
                c.slug,
                i.amount.major_string(),
                i.amount.currency,
                i.campaign_amount.major_string(),
                i.campaign_amount.currency,
                shown_reference(PROVIDER, &c.id, &d.provider_reference),
                d.rate_on
                    .map(|day| format!(" rate_of={day}"))
                    .unwrap_or_default()
            ),
        )
        .await?;
    }
    Ok(Offline {
        recorded,
        amount: i.amount,
        rate: i.rate,
        converted: i.campaign_amount,
        rate_on: d.rate_on,
    })
}

/// The day whose rates convert the entry: the date received, or today when it is absent,
/// unreadable or after today (those are refused by [`validate`] anyway).
fn rates_day(input: &OfflineInput) -> NaiveDate {
    let today = input.today.unwrap_or_else(|| Utc::now().date_naive());
    given(&input.date)
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .map_or(today, |d| d.min(today))
}

/// Today in the time zone named `zone` (an IANA name such as `Europe/Copenhagen`; UTC when
/// it is not one): the last day a donation may have been received.
pub fn today_in(zone: &str) -> NaiveDate {
    let tz: Tz = zone.trim().parse().unwrap_or(chrono_tz::UTC);
    Utc::now().with_timezone(&tz).date_naive()
}
