//! Pledges: money promised to a campaign but not yet received, recorded by a treasurer
//! (`DonationsWrite` on the campaign: the console's Pledges page, `shelfraiser pledge`).
//!
//! A pledge is in one of the campaign's accepted currencies. It is never part of "raised"
//! (the ledger's); the campaign page shows the open pledges apart, as "pledged", each
//! converted to the campaign currency at the newest ECB rate (the same rounding as a donation:
//! half-even, once, to the minor unit), plus what open matching gifts have accrued
//! ([`super::matching`]). When the money arrives the treasurer fulfils the pledge: one
//! transaction records it as an offline donation ([`super::offline`], the rate of the day
//! received, reference `pledge-<id>`, the pledge's visibility) and ends the pledge, so it
//! leaves "pledged" as it enters "raised". A pledge can also be cancelled with a reason. Every
//! change is audited (`pledge.added`, `pledge.fulfilled`, `pledge.cancelled`) and bumps the
//! campaign's live version, so cached pages and open live pages follow.

use chrono::{DateTime, NaiveDate, Utc};

use super::offline::{self, OfflineError, OfflineInput};
use super::repo::pledges::{self as store, PledgeRow, Table};
use super::{MAX_NAME_CHARS, MAX_NOTE_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, DbResult};
use crate::money::{CurrencyCode, Money, MoneyError, NumberFormat};
use crate::team::audit::{self, Actor};

pub use store::PledgeRow as Pledge;

/// Longest cancellation reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a pledge (or a matching gift, [`super::matching`]) was refused.
/// [`PledgeError::field`] names the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum PledgeError {
    #[error("give a name")]
    NoName(&'static str),
    #[error("{0}")]
    CurrencyUnknown(MoneyError),
    #[error("the campaign does not accept {0}")]
    CurrencyNotAccepted(CurrencyCode),
    #[error("no exchange rate from {0} (run `shelfraiser rates import`)")]
    NoRate(CurrencyCode),
    #[error("{1}")]
    Amount(&'static str, MoneyError),
    #[error("must be YYYY-MM-DD")]
    Date(&'static str),
    #[error("must be a date and time (YYYY-MM-DDTHH:MM)")]
    Time(&'static str),
    #[error("the end must be after the start")]
    Window,
    #[error("must be a whole percentage from 1 to 1000 (100 = 1:1)")]
    Ratio,
    #[error("must be public, anonymous or private")]
    Visibility,
    #[error("is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("give a reason")]
    NoReason,
    #[error("no such pledge or matching gift")]
    NotFound,
    #[error("it was already fulfilled, settled or cancelled")]
    Closed,
    #[error("nothing has been matched yet")]
    NothingMatched,
    #[error("{}", .0.iter().map(|e| e.cli_message()).collect::<Vec<_>>().join("; "))]
    Offline(Vec<OfflineError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl PledgeError {
    /// The input the error is about, or `""` when it is about the whole form.
    pub fn field(&self) -> &'static str {
        match self {
            PledgeError::NoName(f) | PledgeError::Amount(f, _) => f,
            PledgeError::Date(f) | PledgeError::Time(f) => f,
            PledgeError::TooLong { field, .. } => field,
            PledgeError::CurrencyUnknown(_)
            | PledgeError::CurrencyNotAccepted(_)
            | PledgeError::NoRate(_) => "currency",
            PledgeError::Window => "ends",
            PledgeError::Ratio => "ratio",
            PledgeError::Visibility => "visibility",
            PledgeError::NoReason => "reason",
            PledgeError::Offline(e) => e.first().map_or("", |e| e.field()),
            _ => "",
        }
    }
}

/// A pledge as typed (form fields or command-line flags); empty strings mean "not given".
#[derive(Debug, Clone, Default)]
pub struct PledgeInput {
    pub pledger: String,
    pub amount: String,
    /// Typed by a person in a language (`Money::parse_localized`), or `None` for the command
    /// line's machine rule (`Money::parse_major`).
    pub amount_style: Option<NumberFormat>,
    pub currency: String,
    /// `YYYY-MM-DD`, optional.
    pub expected_on: String,
    pub note: String,
    /// `public`, `anonymous` or `private`: the donation it becomes is shown so on the wall.
    pub visibility: String,
}

/// Checks a name-like field: trimmed, required, at most `max` characters.
pub(super) fn name_field(
    errors: &mut Vec<PledgeError>,
    field: &'static str,
    v: &str,
    max: usize,
) -> String {
    let v = v.trim().to_string();
    if v.is_empty() {
        errors.push(PledgeError::NoName(field));
    } else if v.chars().count() > max {
        errors.push(PledgeError::TooLong { field, max });
    }
    v
}

/// An optional note: trimmed, `None` when empty.
pub(super) fn note_field(errors: &mut Vec<PledgeError>, v: &str) -> Option<String> {
    let v = v.trim();
    if v.chars().count() > MAX_NOTE_CHARS {
        errors.push(PledgeError::TooLong {
            field: "note",
            max: MAX_NOTE_CHARS,
        });
    }
    (!v.is_empty()).then(|| v.to_string())
}

/// Records a pledge for `c` (its `pledge.added` audit entry and the live version's bump in
/// the same transaction). Every problem found is returned, in input order.
pub async fn add(
    db: &Db,
    c: &Campaign,
    input: &PledgeInput,
    by: &Actor,
) -> Result<(Pledge, i64), Vec<PledgeError>> {
    let mut errors = Vec::new();
    let pledger = name_field(&mut errors, "pledger", &input.pledger, MAX_NAME_CHARS);
    let rates = crate::rates::latest(db)
        .await
        .map_err(|e| vec![PledgeError::Db(e)])?;
    let mut amount = None;
    match CurrencyCode::parse(input.currency.trim()) {
        Err(e) => errors.push(PledgeError::CurrencyUnknown(e)),
        Ok(cur) if !c.accepts_currency(cur) => errors.push(PledgeError::CurrencyNotAccepted(cur)),
        Ok(cur) if rates.rate(cur, c.currency()).is_none() => errors.push(PledgeError::NoRate(cur)),
        Ok(cur) => match match input.amount_style {
            Some(style) => Money::parse_localized(&input.amount, cur, style),
            None => Money::parse_major(&input.amount, cur),
        } {
            Ok(m) => amount = Some(m),
            Err(e) => errors.push(PledgeError::Amount("amount", e)),
        },
    }
    let expected_on = match input.expected_on.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(PledgeError::Date("expected"));
                None
            }
        },
    };
    let visibility = Visibility::parse(input.visibility.trim());
    if visibility.is_none() {
        errors.push(PledgeError::Visibility);
    }
    let note = note_field(&mut errors, &input.note);
    let (Some(amount), Some(visibility), true) = (amount, visibility, errors.is_empty()) else {
        return Err(errors);
    };
    let row = PledgeRow {
        id: uuid::Uuid::new_v4().to_string(),
        campaign_id: c.id.clone(),
        pledger,
        amount_minor: amount.amount_minor,
        currency: amount.currency.to_string(),
        expected_on,
        note,
        visibility: visibility.as_str().into(),
        status: "open".into(),
        donation_id: None,
        cancel_reason: None,
        created_by: by.label.clone(),
        created_at: Utc::now(),
        closed_at: None,
    };
    let write = async {
        let mut tx = db.begin().await?;
        store::insert_pledge_in(&mut tx, &row).await?;
        audit::record_in(
            &mut tx,
            by,
            "pledge.added",
            &row.id,
            &format!(
                "campaign={} amount={} {} pledger={}",
                c.slug,
                amount.major_string(),
                amount.currency,
                row.pledger
            ),
        )
        .await?;
        let version = crate::live::bump_version(&mut tx, &c.id).await?;
        tx.commit().await?;
        Ok::<_, DbError>(version)
    };
    let version = write.await.map_err(|e| vec![PledgeError::Db(e)])?;
    Ok((row, version))
}

/// What fulfilling or settling did: the donation recorded and the campaign's new version.
#[derive(Debug, Clone)]
pub struct Converted {
    pub donation_id: String,
    pub version: i64,
    pub converted: Money,
}

/// Fulfils the open pledge `id` of campaign `c`: records it as an offline donation received
/// on `date` (`YYYY-MM-DD`, today in the treasurer's zone when empty; not after `today`) and
/// ends the pledge, in one transaction.
pub async fn fulfil(
    db: &Db,
    c: &Campaign,
    id: &str,
    date: &str,
    today: NaiveDate,
    by: &Actor,
) -> Result<Converted, PledgeError> {
    let p = store::pledge(db, id).await?.ok_or(PledgeError::NotFound)?;
    if p.campaign_id != c.id {
        return Err(PledgeError::NotFound);
    }
    if p.status != "open" {
        return Err(PledgeError::Closed);
    }
    let amount = CurrencyCode::parse(&p.currency)
        .map(|cur| Money::new(p.amount_minor, cur))
        .map_err(PledgeError::CurrencyUnknown)?;
    let input = OfflineInput {
        amount: amount.major_string(),
        amount_style: None,
        currency: p.currency.clone(),
        donor: Some(p.pledger.clone()),
        date: (!date.trim().is_empty()).then(|| date.trim().to_string()),
        note: Some(format!("pledge {}", p.id)),
        visibility: p.visibility.clone(),
        reference: Some(format!("pledge-{}", p.id)),
        today: Some(today),
        ..Default::default()
    };
    let detail = format!("campaign={} pledger={}", c.slug, p.pledger);
    convert(
        db,
        c,
        &input,
        Table::Pledges,
        &p.id,
        "pledge.fulfilled",
        detail,
        by,
    )
    .await
}

/// Records `input` as an offline donation and ends the open row `id` of `table` with it, in
/// one transaction (audited as `action`). Shared by pledges and matching gifts.
#[allow(clippy::too_many_arguments)]
pub(super) async fn convert(
    db: &Db,
    c: &Campaign,
    input: &OfflineInput,
    table: Table,
    id: &str,
    action: &str,
    detail: String,
    by: &Actor,
) -> Result<Converted, PledgeError> {
    let day = input
        .date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(input.today.unwrap_or_else(|| Utc::now().date_naive()));
    let rates = crate::rates::on(db, day.min(input.today.unwrap_or(day))).await?;
    let d = offline::validate(c, &rates, input).map_err(PledgeError::Offline)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let done = offline::record_in(&mut tx, c, &d, by).await?;
    let super::ledger::Recorded::New { donation_id, .. } = &done.recorded else {
        // The reference exists already: this pledge was converted by someone else.
        return Err(PledgeError::Closed);
    };
    if !store::close_in(
        &mut tx,
        table,
        id,
        closed(table),
        Some(donation_id),
        None,
        now,
    )
    .await?
    {
        return Err(PledgeError::Closed);
    }
    audit::record_in(
        &mut tx,
        by,
        action,
        id,
        &format!("{detail} donation={donation_id}"),
    )
    .await?;
    let version = crate::live::bump_version(&mut tx, &c.id).await?;
    tx.commit().await?;
    Ok(Converted {
        donation_id: donation_id.clone(),
        version,
        converted: done.converted,
    })
}

fn closed(table: Table) -> &'static str {
    match table {
        Table::Pledges => "fulfilled",
        Table::MatchingGifts => "settled",
    }
}

/// Cancels the open pledge (or, with `Table::MatchingGifts`, matching gift) `id` of `c` for
/// `reason`; audited, the live version bumped. Returns the new version.
pub async fn cancel(
    db: &Db,
    c: &Campaign,
    table: Table,
    id: &str,
    reason: &str,
    by: &Actor,
) -> Result<i64, PledgeError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(PledgeError::NoReason);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(PledgeError::TooLong {
            field: "reason",
            max: MAX_REASON_CHARS,
        });
    }
    let campaign_id = match table {
        Table::Pledges => store::pledge(db, id).await?.map(|p| p.campaign_id),
        Table::MatchingGifts => store::matching_gift(db, id).await?.map(|m| m.campaign_id),
    };
    if campaign_id.as_deref() != Some(c.id.as_str()) {
        return Err(PledgeError::NotFound);
    }
    let mut tx = db.begin().await?;
    if !store::close_in(
        &mut tx,
        table,
        id,
        "cancelled",
        None,
        Some(reason),
        Utc::now(),
    )
    .await?
    {
        return Err(PledgeError::Closed);
    }
    let action = match table {
        Table::Pledges => "pledge.cancelled",
        Table::MatchingGifts => "match.cancelled",
    };
    audit::record_in(
        &mut tx,
        by,
        action,
        id,
        &format!("campaign={} reason={reason}", c.slug),
    )
    .await?;
    let version = crate::live::bump_version(&mut tx, &c.id).await?;
    tx.commit().await?;
    Ok(version)
}

/// The pledges of these campaigns, open ones first.
pub async fn list(db: &Db, campaign_ids: &[String]) -> DbResult<Vec<Pledge>> {
    store::pledges_of(db, campaign_ids, false).await
}

/// One pledge.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<Pledge>> {
    store::pledge(db, id).await
}

/// What the campaign page shows apart from "raised": the open pledges converted at the
/// newest rates plus what open matching gifts have accrued (campaign currency), and the
/// matching gifts running at `now`.
#[derive(Debug, Clone)]
pub struct Pledged {
    pub total: Money,
    pub running: Vec<super::matching::MatchState>,
}

/// [`Pledged`] for campaign `c` at `now`.
pub async fn pledged(db: &Db, c: &Campaign, now: DateTime<Utc>) -> DbResult<Pledged> {
    let ids = [c.id.clone()];
    let rates = crate::rates::latest(db).await?;
    let mut total = 0i64;
    for p in store::pledges_of(db, &ids, true).await? {
        let Ok(cur) = CurrencyCode::parse(&p.currency) else {
            continue;
        };
        // A pledge is accepted only with a rate; one without (rates removed) counts nothing.
        if let Some(rate) = rates.rate(cur, c.currency())
            && let Ok(m) = Money::new(p.amount_minor, cur).convert(rate, c.currency())
        {
            total = total.saturating_add(m.amount_minor);
        }
    }
    let mut running = Vec::new();
    for m in store::matches_of(db, &ids, true).await? {
        let state = super::matching::state(db, c, &m, now).await?;
        total = total.saturating_add(state.matched.amount_minor);
        if state.running {
            running.push(state);
        }
    }
    Ok(Pledged {
        total: Money::new(total, c.currency()),
        running,
    })
}
