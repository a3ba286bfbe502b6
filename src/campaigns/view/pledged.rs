//! What the campaign page shows apart from "raised": the pledged segment of the progress bar
//! (open pledges and what matching gifts have accrued, `donations::pledges::pledged`) and the
//! banner of each matching gift that is running ("Every £1 is doubled until Friday
//! 12 December — £340 of £1,000 left"), in the page's language.

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;

use super::ProgressView;
use crate::donations::matching::MatchState;
use crate::donations::pledges::Pledged;
use crate::i18n::I18n;
use crate::money::Money;

impl ProgressView {
    /// Adds the pledged amount (campaign currency): its text ("£500 pledged"; empty for
    /// none), its segment after the raised one (never past the bar's end) and the bar's
    /// accessible label naming both.
    pub fn with_pledged(mut self, tr: &I18n, pledged: Money, goal: Money) -> ProgressView {
        self.pledged_minor = pledged.amount_minor.max(0);
        if self.pledged_minor > 0 {
            self.pledged = tr.ta("pledged-amount", [("amount", tr.money(pledged))]);
            let pct = i128::from(self.pledged_minor) * 100 / i128::from(goal.amount_minor.max(1));
            self.pledged_bar = (pct.clamp(0, 100) as i64).min(100 - self.bar).max(0);
            self.bar_label = format!("{}, {}", self.percent_text, self.pledged);
        }
        self
    }
}

/// The campaign page's parts that come from pledges: the progress view with its pledged
/// segment, and the running matches' banners.
pub fn pledged_parts(
    tr: &I18n,
    p: ProgressView,
    goal: Money,
    pledged: &Pledged,
) -> (ProgressView, Vec<String>) {
    let banners = pledged
        .running
        .iter()
        .map(|m| match_banner(tr, m))
        .collect();
    (p.with_pledged(tr, pledged.total, goal), banners)
}

/// The banner of a running matching gift, in `tr`'s language.
pub fn match_banner(tr: &I18n, m: &MatchState) -> String {
    let cur = m.cap.currency;
    if m.left.amount_minor <= 0 {
        return tr.ta(
            "match-banner-full",
            [
                ("sponsor", m.gift.sponsor.clone()),
                ("cap", tr.money(m.cap)),
            ],
        );
    }
    // One pound (or a hundred of a currency without minor units): a whole number of minor
    // units that the ratio (a percentage) divides exactly.
    let unit_minor = 10_i64.pow(u32::from(cur.exponent())).max(100);
    let unit = Money::new(unit_minor, cur);
    let extra = Money::new(unit_minor / 100 * m.gift.ratio_percent, cur);
    let until = weekday_day(tr, m.gift.ends_at, &m.gift.time_zone);
    let args = vec![
        ("unit", tr.money(unit)),
        ("extra", tr.money(extra)),
        ("until", until),
        ("left", tr.money(m.left)),
        ("cap", tr.money(m.cap)),
        ("sponsor", m.gift.sponsor.clone()),
    ];
    let key = if m.gift.ratio_percent == 100 {
        "match-banner-doubled"
    } else {
        "match-banner-ratio"
    };
    tr.ta(key, args)
}

/// The last day of a window ending (exclusively) at `end`, in `zone`, with its weekday:
/// "Friday 12 December" / "fredag d. 12. december" (the year added when it is not this one).
pub fn weekday_day(tr: &I18n, end: DateTime<Utc>, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let day = (end - Duration::seconds(1)).with_timezone(&tz).date_naive();
    let weekday = tr.t(&format!("weekday-{}", day.weekday().number_from_monday()));
    let month = tr.t(&format!("month-{}", day.month()));
    let mut out = match tr.lang {
        "da" => format!("{weekday} d. {}. {month}", day.day()),
        _ => format!("{weekday} {} {month}", day.day()),
    };
    if day.year() != Utc::now().with_timezone(&tz).year() {
        out.push_str(&format!(" {}", day.year()));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::weekday_day;
    use crate::i18n::I18n;

    #[test]
    fn a_window_ending_at_midnight_names_the_day_before_in_its_zone() {
        // Midnight in Copenhagen is 23:00 UTC the day before.
        let end = Utc.with_ymd_and_hms(2026, 12, 12, 23, 0, 0).unwrap();
        let en = weekday_day(&I18n::new("en"), end, "Europe/Copenhagen");
        assert!(en.starts_with("Saturday 12 December"), "{en}");
        let da = weekday_day(&I18n::new("da"), end, "Europe/Copenhagen");
        assert!(da.starts_with("lørdag d. 12. december"), "{da}");
        // In UTC the same instant is still the 12th, an hour before its end.
        let utc = weekday_day(&I18n::new("en"), end, "UTC");
        assert!(utc.starts_with("Saturday 12 December"), "{utc}");
        let next = Utc.with_ymd_and_hms(2026, 12, 13, 0, 0, 1).unwrap();
        let utc = weekday_day(&I18n::new("en"), next, "UTC");
        assert!(utc.starts_with("Sunday 13 December"), "{utc}");
    }
}
