//! Matching gifts: a sponsor promises to match the donations that arrive in a time window,
//! at a ratio, up to a cap.
//!
//! * The ratio is an integer percentage of each pound given (`ratio_percent`): 100 is 1:1
//!   ("every £1 is doubled"), 50 is 50p per pound, 200 is £2 per pound; 1 to 1000.
//! * The cap is an amount in the campaign currency.
//! * What is matched is computed from the ledger, never stored while the match runs:
//!   Σ campaign-currency amounts of the campaign's donations recorded in
//!   `[starts_at, ends_at)` (voided gifts and match settlements left out) × ratio / 100,
//!   rounded half-even to a whole minor unit once (on the sum, not per gift), then capped
//!   ([`matched_minor`]).
//! * Until the sponsor pays, what is matched counts as pledged (the page's "pledged"
//!   segment). The treasurer settles the match: one transaction records what it matched as
//!   an offline donation from the sponsor (reference `match-<id>`) and ends the match, which
//!   stops counting. A match can also be cancelled with a reason. Audited (`match.added`,
//!   `match.settled`, `match.cancelled`); each change bumps the campaign's live version.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::offline::OfflineInput;
use super::pledges::{Converted, PledgeError, convert, name_field, note_field};
use super::repo::pledges::{self as store, MatchRow, Table};
use super::{MAX_NAME_CHARS, Visibility};
use crate::campaigns::Campaign;
use crate::db::{Db, DbError, DbResult};
use crate::money::{Money, NumberFormat};
use crate::team::audit::{self, Actor};

pub use store::MatchRow as MatchingGift;

/// The ratio when none is given: 1:1.
pub const DEFAULT_RATIO_PERCENT: i64 = 100;

/// What a match of `ratio_percent` with a cap of `cap_minor` owes for `given_minor` given in
/// its window (all campaign-currency minor units): `given × ratio / 100`, rounded half to
/// even to a whole minor unit, at most the cap; 0 for nothing given.
pub fn matched_minor(given_minor: i64, ratio_percent: i64, cap_minor: i64) -> i64 {
    if given_minor <= 0 || ratio_percent <= 0 || cap_minor <= 0 {
        return 0;
    }
    let product = i128::from(given_minor) * i128::from(ratio_percent);
    let (q, r) = (product / 100, product % 100);
    let rounded = if r > 50 || (r == 50 && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    rounded.min(i128::from(cap_minor)) as i64
}

/// A matching gift as it stands.
#[derive(Debug, Clone)]
pub struct MatchState {
    pub gift: MatchingGift,
    pub cap: Money,
    pub matched: Money,
    /// What is left of the cap.
    pub left: Money,
    /// `starts_at <= now < ends_at` and still open.
    pub running: bool,
}

/// The state of match `m` of campaign `c` at `now`.
pub async fn state(
    db: &Db,
    c: &Campaign,
    m: &MatchingGift,
    now: DateTime<Utc>,
) -> DbResult<MatchState> {
    let given = if now < m.starts_at {
        0
    } else {
        store::window_sum(db, &c.id, m.starts_at, m.ends_at).await?
    };
    let matched = matched_minor(given, m.ratio_percent, m.cap_minor);
    Ok(MatchState {
        gift: m.clone(),
        cap: Money::new(m.cap_minor, c.currency()),
        matched: Money::new(matched, c.currency()),
        left: Money::new(m.cap_minor - matched, c.currency()),
        running: m.status == "open" && m.starts_at <= now && now < m.ends_at,
    })
}

/// A matching gift as typed; times are `YYYY-MM-DDTHH:MM` in `time_zone`.
#[derive(Debug, Clone, Default)]
pub struct MatchInput {
    pub sponsor: String,
    /// A whole percentage (`100` = 1:1); [`DEFAULT_RATIO_PERCENT`] when empty.
    pub ratio: String,
    /// In the campaign currency.
    pub cap: String,
    pub amount_style: Option<NumberFormat>,
    pub starts: String,
    pub ends: String,
    /// The IANA zone the times are in (the member's); UTC when it is not one.
    pub time_zone: String,
    pub note: String,
}

/// A local time typed in `zone`, as an instant (the earlier one in a repeated hour; a time
/// that does not exist in the zone is refused).
fn instant(v: &str, zone: Tz) -> Option<DateTime<Utc>> {
    let v = v.trim();
    let local = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M"))
        .ok()?;
    Some(
        zone.from_local_datetime(&local)
            .earliest()?
            .with_timezone(&Utc),
    )
}

/// Records a matching gift for `c` (audited, the live version bumped).
pub async fn add(
    db: &Db,
    c: &Campaign,
    input: &MatchInput,
    by: &Actor,
) -> Result<(MatchingGift, i64), Vec<PledgeError>> {
    let mut errors = Vec::new();
    let sponsor = name_field(&mut errors, "sponsor", &input.sponsor, MAX_NAME_CHARS);
    let ratio = match input.ratio.trim().trim_end_matches('%').trim() {
        "" => Some(DEFAULT_RATIO_PERCENT),
        r => r.parse::<i64>().ok().filter(|r| (1..=1000).contains(r)),
    };
    if ratio.is_none() {
        errors.push(PledgeError::Ratio);
    }
    let cap = match input.amount_style {
        Some(style) => Money::parse_localized(&input.cap, c.currency(), style),
        None => Money::parse_major(&input.cap, c.currency()),
    }
    .map_err(|e| errors.push(PledgeError::Amount("cap", e)))
    .ok();
    let zone: Tz = input.time_zone.trim().parse().unwrap_or(chrono_tz::UTC);
    let starts = instant(&input.starts, zone);
    if starts.is_none() {
        errors.push(PledgeError::Time("starts"));
    }
    let ends = instant(&input.ends, zone);
    if ends.is_none() {
        errors.push(PledgeError::Time("ends"));
    }
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        errors.push(PledgeError::Window);
    }
    let note = note_field(&mut errors, &input.note);
    let (Some(ratio), Some(cap), Some(starts), Some(ends), true) =
        (ratio, cap, starts, ends, errors.is_empty())
    else {
        return Err(errors);
    };
    let row = MatchRow {
        id: uuid::Uuid::new_v4().to_string(),
        campaign_id: c.id.clone(),
        sponsor,
        ratio_percent: ratio,
        cap_minor: cap.amount_minor,
        starts_at: starts,
        ends_at: ends,
        time_zone: zone.name().to_string(),
        note,
        status: "open".into(),
        donation_id: None,
        cancel_reason: None,
        created_by: by.label.clone(),
        created_at: Utc::now(),
        closed_at: None,
    };
    let write = async {
        let mut tx = db.begin().await?;
        store::insert_match_in(&mut tx, &row).await?;
        audit::record_in(
            &mut tx,
            by,
            "match.added",
            &row.id,
            &format!(
                "campaign={} sponsor={} ratio_percent={ratio} cap={} {} from={} to={}",
                c.slug,
                row.sponsor,
                cap.major_string(),
                cap.currency,
                starts.to_rfc3339(),
                ends.to_rfc3339()
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

/// Settles the open match `id` of `c`: what it has matched becomes an offline donation from
/// the sponsor received on `date` (today when empty), and the match ends; one transaction.
pub async fn settle(
    db: &Db,
    c: &Campaign,
    id: &str,
    date: &str,
    today: chrono::NaiveDate,
    by: &Actor,
) -> Result<Converted, PledgeError> {
    let m = store::matching_gift(db, id)
        .await?
        .filter(|m| m.campaign_id == c.id)
        .ok_or(PledgeError::NotFound)?;
    if m.status != "open" {
        return Err(PledgeError::Closed);
    }
    let st = state(db, c, &m, Utc::now()).await?;
    if st.matched.amount_minor <= 0 {
        return Err(PledgeError::NothingMatched);
    }
    let input = OfflineInput {
        amount: st.matched.major_string(),
        amount_style: None,
        currency: c.currency().to_string(),
        donor: Some(m.sponsor.clone()),
        date: (!date.trim().is_empty()).then(|| date.trim().to_string()),
        note: Some(format!("matching gift {}", m.id)),
        visibility: Visibility::Public.as_str().into(),
        reference: Some(format!("match-{}", m.id)),
        today: Some(today),
        ..Default::default()
    };
    let detail = format!(
        "campaign={} sponsor={} matched={}",
        c.slug,
        m.sponsor,
        st.matched.major_string()
    );
    convert(
        db,
        c,
        &input,
        Table::MatchingGifts,
        &m.id,
        "match.settled",
        detail,
        by,
    )
    .await
}

/// The matching gifts of these campaigns, open ones first.
pub async fn list(db: &Db, campaign_ids: &[String]) -> DbResult<Vec<MatchingGift>> {
    store::matches_of(db, campaign_ids, false).await
}

/// One matching gift.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<MatchingGift>> {
    store::matching_gift(db, id).await
}

#[cfg(test)]
mod tests {
    use super::matched_minor;

    #[test]
    fn one_to_one_doubles_what_is_given() {
        assert_eq!(matched_minor(34_000, 100, 100_000), 34_000);
        assert_eq!(matched_minor(0, 100, 100_000), 0);
        assert_eq!(matched_minor(-500, 100, 100_000), 0);
    }

    #[test]
    fn other_ratios_round_half_to_even_once_on_the_sum() {
        // 50p per pound: 3p given → 1.5p → 2p (even); 1p → 0.5p → 0p (even).
        assert_eq!(matched_minor(3, 50, 1_000), 2);
        assert_eq!(matched_minor(1, 50, 1_000), 0);
        assert_eq!(matched_minor(5, 50, 1_000), 2);
        assert_eq!(matched_minor(7, 50, 1_000), 4);
        // 1:3 (33%): 1,001p → 330.33p → 330p; 150p at 1% → 1.5p → 2p.
        assert_eq!(matched_minor(1_001, 33, 100_000), 330);
        assert_eq!(matched_minor(150, 1, 100_000), 2);
        assert_eq!(matched_minor(250, 1, 100_000), 2);
        // 2:1 and 10:1.
        assert_eq!(matched_minor(1_234, 200, 100_000), 2_468);
        assert_eq!(matched_minor(1_234, 1000, 100_000), 12_340);
    }

    #[test]
    fn the_cap_is_never_passed() {
        assert_eq!(matched_minor(150_000, 100, 100_000), 100_000);
        assert_eq!(matched_minor(100_000, 100, 100_000), 100_000);
        assert_eq!(matched_minor(99_999, 100, 100_000), 99_999);
        assert_eq!(matched_minor(i64::MAX, 1000, 5), 5);
        assert_eq!(matched_minor(10, 100, 0), 0);
    }
}
