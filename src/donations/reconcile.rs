//! `shelfraiser ledger reconcile`: our ledger against a provider's own record of a period
//! (`PaymentProvider::transactions`: Stripe's balance transactions, PayPal's transaction
//! search). Every payment the provider lists is matched to our donation by its payment
//! reference (Stripe's payment intent, PayPal's capture id); what is left over on either side,
//! and every amount, currency or fee that differs, is a [`Difference`]. A refund the provider
//! lists must be in our ledger as a `refund` entry of its donation. Transfers, payouts and
//! the provider's other entries are not ours to compare.
//!
//! The period is `[from, to)` in UTC on both sides; a payment the provider lists whose
//! donation we recorded just outside it (a webhook a few seconds after midnight) is matched
//! all the same, and only ours inside the period must be on the provider's list.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::repo::fees as store;
use crate::db::Db;
use crate::money::Money;
use crate::payments::{PaymentProvider, ProviderTxn, TxnKind};

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// The provider has a payment (or refund) our ledger does not.
    MissingOurs,
    /// We recorded a payment the provider does not list.
    MissingTheirs,
    /// Both have it, for different amounts.
    Amount,
    /// Both have it, in different currencies.
    Currency,
    /// The provider's fee is not the one our fee entry keeps (or one side has none).
    Fee,
    /// The provider refunded a payment whose donation has no refund entry.
    Refund,
}

/// One difference, with what each side says (amounts as `12.34 GBP`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub kind: DiffKind,
    /// The payment reference (Stripe: `pi_…`; PayPal: the capture id).
    pub reference: String,
    pub donation_id: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            DiffKind::MissingOurs => "not in our ledger",
            DiffKind::MissingTheirs => "not in the provider's records",
            DiffKind::Amount => "amounts differ",
            DiffKind::Currency => "currencies differ",
            DiffKind::Fee => "fees differ",
            DiffKind::Refund => "refunded by the provider, no refund in our ledger",
        };
        write!(f, "{}: {what}", self.reference)?;
        if let Some(d) = &self.donation_id {
            write!(f, " (donation {d})")?;
        }
        write!(
            f,
            "; ours {}, theirs {}",
            self.ours.as_deref().unwrap_or("none"),
            self.theirs.as_deref().unwrap_or("none")
        )
    }
}

/// What a reconciliation found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub provider: String,
    pub from: String,
    pub to: String,
    /// Payments we recorded in the period.
    pub ours: usize,
    /// Payments and refunds the provider listed.
    pub theirs: usize,
    pub differences: Vec<Difference>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("the {0} provider keeps no records to compare with")]
    NoRecords(String),
    #[error("the provider could not be asked: {0}")]
    Provider(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn shown(m: Money) -> String {
    format!("{} {}", m.major_string(), m.currency)
}

/// Compares our ledger with `provider`'s records of `[from, to)`.
pub async fn reconcile(
    db: &Db,
    provider: &dyn PaymentProvider,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report, ReconcileError> {
    let name = provider.name();
    let theirs: Vec<ProviderTxn> = provider
        .transactions(from, to)
        .await
        .map_err(|e| ReconcileError::Provider(e.to_string()))?
        .ok_or_else(|| ReconcileError::NoRecords(name.to_string()))?;
    let ours = store::payments_between(db, name, from, to).await?;
    let mut report = Report {
        provider: name.to_string(),
        from: from.to_rfc3339(),
        to: to.to_rfc3339(),
        ours: ours.len(),
        theirs: theirs.iter().filter(|t| t.kind != TxnKind::Other).count(),
        differences: Vec::new(),
    };
    let mut unmatched: HashMap<&str, usize> = ours
        .iter()
        .enumerate()
        .map(|(i, o)| (o.0.as_str(), i))
        .collect();
    let diff =
        |kind, t: &ProviderTxn, id: Option<String>, o: Option<String>, th: Option<String>| {
            Difference {
                kind,
                reference: if t.reference.is_empty() {
                    t.id.clone()
                } else {
                    t.reference.clone()
                },
                donation_id: id,
                ours: o,
                theirs: th,
            }
        };
    for t in &theirs {
        match t.kind {
            TxnKind::Other => {}
            TxnKind::Payment => {
                let found = unmatched.remove(t.reference.as_str());
                let Some(i) = found else {
                    // Recorded outside the period (or matched already): not a difference.
                    let elsewhere = !t.reference.is_empty()
                        && store::donation_by_reference(db, name, &t.reference)
                            .await?
                            .is_some();
                    if !elsewhere {
                        report.differences.push(diff(
                            DiffKind::MissingOurs,
                            t,
                            None,
                            None,
                            Some(shown(t.amount)),
                        ));
                    }
                    continue;
                };
                let (_, id, amount, currency, fee_minor, fee_currency) = &ours[i];
                let ours_amount = format!(
                    "{} {currency}",
                    crate::money::CurrencyCode::parse(currency)
                        .map(|c| Money::new(*amount, c).major_string())
                        .unwrap_or_else(|_| amount.to_string())
                );
                if currency != t.amount.currency.as_str() {
                    report.differences.push(diff(
                        DiffKind::Currency,
                        t,
                        Some(id.clone()),
                        Some(ours_amount),
                        Some(shown(t.amount)),
                    ));
                } else if *amount != t.amount.amount_minor {
                    report.differences.push(diff(
                        DiffKind::Amount,
                        t,
                        Some(id.clone()),
                        Some(ours_amount),
                        Some(shown(t.amount)),
                    ));
                }
                let our_fee = match (fee_minor, fee_currency) {
                    (Some(m), Some(c)) => crate::money::CurrencyCode::parse(c)
                        .ok()
                        .map(|c| Money::new(-m, c)),
                    _ => None,
                };
                if our_fee != t.fee {
                    report.differences.push(diff(
                        DiffKind::Fee,
                        t,
                        Some(id.clone()),
                        our_fee.map(shown),
                        t.fee.map(shown),
                    ));
                }
            }
            TxnKind::Refund => {
                let donation = if t.reference.is_empty() {
                    None
                } else {
                    store::donation_by_reference(db, name, &t.reference).await?
                };
                match donation {
                    None => report.differences.push(diff(
                        DiffKind::MissingOurs,
                        t,
                        None,
                        None,
                        Some(shown(t.amount)),
                    )),
                    Some(id) => {
                        if store::refunded(db, &id).await? == 0 {
                            report.differences.push(diff(
                                DiffKind::Refund,
                                t,
                                Some(id),
                                None,
                                Some(shown(t.amount)),
                            ));
                        }
                    }
                }
            }
        }
    }
    let mut left: Vec<usize> = unmatched.into_values().collect();
    left.sort_unstable();
    for i in left {
        let (reference, id, amount, currency, _, _) = &ours[i];
        let amount = crate::money::CurrencyCode::parse(currency)
            .map(|c| shown(Money::new(*amount, c)))
            .unwrap_or_else(|_| format!("{amount} {currency}"));
        report.differences.push(Difference {
            kind: DiffKind::MissingTheirs,
            reference: reference.clone(),
            donation_id: Some(id.clone()),
            ours: Some(amount),
            theirs: None,
        });
    }
    Ok(report)
}
