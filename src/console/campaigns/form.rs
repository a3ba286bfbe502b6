//! The campaign editor's form: the fields as typed, their checks (the update to write, or
//! the fields at fault) and the names of the fields a save changes, for the audit entry.

use chrono::{DateTime, NaiveDate, Utc};

use crate::campaigns::{Campaign, CampaignState, CampaignUpdate, Milestone};
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::web::form::{Errors, Fields};

pub use crate::campaigns::create::{
    MAX_ALT, MAX_BENEFICIARY, MAX_MILESTONE_LABEL, MAX_MILESTONES, MAX_STORY, MAX_SUMMARY,
    MAX_TITLE,
};

/// The editor's fields as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EditorForm {
    pub title: String,
    pub summary: String,
    pub story: String,
    pub goal: String,
    pub currency: String,
    pub accepted: Vec<String>,
    pub starts: String,
    pub ends: String,
    pub beneficiary_name: String,
    pub beneficiary_place: String,
    pub milestones: String,
    pub keep_accepting: bool,
    pub featured: bool,
    pub state: String,
    pub cover_alt: String,
    pub remove_cover: bool,
}

impl EditorForm {
    /// The campaign's values; amounts in the member's language, as they are read back.
    pub(super) fn of_campaign(tr: &I18n, c: &Campaign, milestones: &[Milestone]) -> EditorForm {
        EditorForm {
            title: c.title.clone(),
            summary: c.summary.clone(),
            story: c.story_md.clone(),
            goal: tr.amount(c.goal),
            currency: c.currency().to_string(),
            accepted: c.accepted.iter().map(|x| x.to_string()).collect(),
            starts: c.starts_at.date_naive().to_string(),
            ends: c
                .ends_at
                .map(|e| e.date_naive().to_string())
                .unwrap_or_default(),
            beneficiary_name: c.beneficiary_name.clone(),
            beneficiary_place: c.beneficiary_place.clone(),
            milestones: milestones
                .iter()
                .map(|m| format!("{}: {}", tr.amount(m.amount), m.label))
                .collect::<Vec<_>>()
                .join("\n"),
            keep_accepting: c.keep_accepting,
            featured: c.featured,
            state: c.state.as_str().into(),
            cover_alt: c.cover_image_alt.clone().unwrap_or_default(),
            remove_cover: false,
        }
    }

    pub(super) fn of_fields(f: &Fields) -> EditorForm {
        // Kept a little longer than the limits, so an over-long value is shown (and marked)
        // rather than silently cut.
        EditorForm {
            title: f.text("title", MAX_TITLE + 50),
            summary: f.text("summary", MAX_SUMMARY + 50),
            story: f.text("story", MAX_STORY + 1000),
            goal: f.text("goal", 40),
            currency: f.text("currency", 8),
            accepted: f
                .all("accept")
                .into_iter()
                .take(200)
                .map(|v| v.chars().take(8).collect())
                .collect(),
            starts: f.text("starts", 20),
            ends: f.text("ends", 20),
            beneficiary_name: f.text("beneficiary_name", MAX_BENEFICIARY + 50),
            beneficiary_place: f.text("beneficiary_place", MAX_BENEFICIARY + 50),
            milestones: f.text("milestones", 10_000),
            keep_accepting: f.checked("keep_accepting"),
            featured: f.checked("featured"),
            state: f.text("state", 20),
            cover_alt: f.text("cover_alt", MAX_ALT + 50),
            remove_cover: f.checked("remove_cover"),
        }
    }
}

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// A date field: the same day as `keep` keeps its exact time, another day is midnight UTC
/// (as `shelfraiser campaign create --starts` reads it).
fn parse_day(s: &str, keep: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    if let Some(k) = keep
        && k.date_naive() == d
    {
        return Some(k);
    }
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

/// Checks the form; the update to write, or the fields at fault.
pub(super) fn validate(
    tr: &I18n,
    c: &Campaign,
    f: &EditorForm,
    locked: bool,
    new_cover: bool,
) -> Result<CampaignUpdate, Errors> {
    let mut e = Errors::default();
    let too_long = |max: usize| tr.ta("error-too-long", &[("max", max.to_string())]);
    let title = clean(&f.title);
    if title.is_empty() {
        e.add("title", tr.t("console-error-required"));
    } else if title.chars().count() > MAX_TITLE {
        e.add("title", too_long(MAX_TITLE));
    }
    let summary = clean(&f.summary);
    if summary.chars().count() > MAX_SUMMARY {
        e.add("summary", too_long(MAX_SUMMARY));
    }
    let story = f.story.replace("\r\n", "\n").replace('\0', "");
    if story.chars().count() > MAX_STORY {
        e.add("story", too_long(MAX_STORY));
    } else if let Err(fault) = crate::markdown::check(&story) {
        e.add("story", crate::render::body_error_message(tr, &fault));
    }
    let currency = match CurrencyCode::parse(&f.currency) {
        Ok(code) if locked && code != c.currency() => {
            e.add("currency", tr.t("console-error-currency-locked"));
            c.currency()
        }
        Ok(code) => code,
        Err(_) => {
            e.add("currency", tr.t("error-currency-unknown"));
            c.currency()
        }
    };
    let goal = match Money::parse_localized(&f.goal, currency, tr.number_format()) {
        Ok(m) => Some(m),
        Err(err) => {
            e.add("goal", tr.money_error(&err));
            None
        }
    };
    let mut accepted = vec![currency];
    for a in &f.accepted {
        match CurrencyCode::parse(a) {
            Ok(code) if !accepted.contains(&code) => accepted.push(code),
            Ok(_) => {}
            Err(_) => e.add("accept", tr.t("error-currency-unknown")),
        }
    }
    accepted[1..].sort();
    let starts_at = match parse_day(&f.starts, Some(c.starts_at)) {
        Some(t) => Some(t),
        None => {
            e.add("starts", tr.t("console-error-date"));
            None
        }
    };
    let ends_at = if f.ends.trim().is_empty() {
        None
    } else {
        match parse_day(&f.ends, c.ends_at) {
            Some(t) => Some(t),
            None => {
                e.add("ends", tr.t("console-error-date"));
                None
            }
        }
    };
    if let (Some(s), Some(end)) = (starts_at, ends_at)
        && end <= s
    {
        e.add("ends", tr.t("console-error-date-order"));
    }
    let beneficiary_name = clean(&f.beneficiary_name);
    if beneficiary_name.is_empty() {
        e.add("beneficiary_name", tr.t("console-error-required"));
    } else if beneficiary_name.chars().count() > MAX_BENEFICIARY {
        e.add("beneficiary_name", too_long(MAX_BENEFICIARY));
    }
    let beneficiary_place = clean(&f.beneficiary_place);
    if beneficiary_place.chars().count() > MAX_BENEFICIARY {
        e.add("beneficiary_place", too_long(MAX_BENEFICIARY));
    }
    let mut milestones = Vec::new();
    for (i, line) in f
        .milestones
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i >= MAX_MILESTONES {
            e.add(
                "milestones",
                tr.ta(
                    "console-error-milestones-count",
                    &[("max", MAX_MILESTONES.to_string())],
                ),
            );
            break;
        }
        let line_no = (i + 1).to_string();
        let Some((amount, label)) = line.split_once(':') else {
            e.add(
                "milestones",
                tr.ta("console-error-milestone-line", &[("line", line_no)]),
            );
            continue;
        };
        let label = clean(label);
        if label.is_empty() || label.chars().count() > MAX_MILESTONE_LABEL {
            e.add(
                "milestones",
                tr.ta("console-error-milestone-line", &[("line", line_no)]),
            );
            continue;
        }
        match Money::parse_localized(amount, currency, tr.number_format()) {
            Ok(amount) => milestones.push(Milestone { amount, label }),
            Err(err) => e.add(
                "milestones",
                format!(
                    "{} {}",
                    tr.ta("console-error-milestone-line", &[("line", line_no)]),
                    tr.money_error(&err)
                ),
            ),
        }
    }
    milestones.sort_by_key(|m| m.amount.amount_minor);
    let state = CampaignState::parse(&f.state);
    if state.is_none() {
        e.add("state", tr.t("console-error-choose"));
    }
    let cover_alt = clean(&f.cover_alt);
    let cover_image_url = if f.remove_cover {
        None
    } else {
        c.cover_image_url.clone()
    };
    if cover_alt.chars().count() > MAX_ALT {
        e.add("cover_alt", too_long(MAX_ALT));
    } else if cover_alt.is_empty() && (new_cover || cover_image_url.is_some()) {
        e.add("cover_alt", tr.t("console-error-alt-required"));
    }
    match (goal, starts_at, state) {
        (Some(goal), Some(starts_at), Some(state)) if e.is_empty() => Ok(CampaignUpdate {
            slug: c.slug.clone(),
            title,
            summary,
            story_md: story,
            goal,
            accepted,
            starts_at,
            ends_at,
            beneficiary_name,
            beneficiary_place,
            // The description also serves the default cover when there is no upload; a
            // removed picture takes its description with it.
            cover_image_alt: (!f.remove_cover && !cover_alt.is_empty()).then_some(cover_alt),
            cover_image_url,
            state,
            keep_accepting: f.keep_accepting,
            featured: f.featured,
            milestones,
        }),
        _ => Err(e),
    }
}

/// The names of the fields that differ (for the audit entry).
pub(super) fn changed_fields(
    c: &Campaign,
    old_ms: &[Milestone],
    u: &CampaignUpdate,
    new_cover: bool,
) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            v.push(name);
        }
    };
    check("title", c.title != u.title);
    check("summary", c.summary != u.summary);
    check("story", c.story_md != u.story_md);
    check("goal", c.goal != u.goal);
    check("currency", c.currency() != u.goal.currency);
    check("accepted_currencies", c.accepted != u.accepted);
    check("starts_at", c.starts_at != u.starts_at);
    check("ends_at", c.ends_at != u.ends_at);
    check("beneficiary_name", c.beneficiary_name != u.beneficiary_name);
    check(
        "beneficiary_place",
        c.beneficiary_place != u.beneficiary_place,
    );
    check("milestones", old_ms != u.milestones.as_slice());
    check("keep_accepting", c.keep_accepting != u.keep_accepting);
    check("featured", c.featured != u.featured);
    check("cover", new_cover || c.cover_image_url != u.cover_image_url);
    check("cover_alt", c.cover_image_alt != u.cover_image_alt);
    v
}
