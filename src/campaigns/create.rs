//! A new campaign as typed, checked into a [`NewCampaign`]: the one set of rules that
//! `shelfraiser campaign create` and the console's "New campaign" form share. Each says what
//! is wrong in its own words ([`Problem`] names the field and the fault); the store then
//! refuses a slug that is taken (`repo::CreateError::SlugTaken`).

use chrono::{DateTime, NaiveDate, Utc};

use super::{CampaignState, Milestone, NewCampaign, Slug};
use crate::money::{CurrencyCode, Money, MoneyError};

/// The longest title, summary, story, beneficiary name or place, and cover description;
/// the most milestones and the longest milestone label. The editor holds campaigns to the
/// same limits.
pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 500;
pub const MAX_STORY: usize = 50_000;
pub const MAX_BENEFICIARY: usize = 200;
pub const MAX_ALT: usize = 300;
pub const MAX_MILESTONES: usize = 20;
pub const MAX_MILESTONE_LABEL: usize = 120;

/// Slugs that name the console's own pages (`/admin/campaigns/new`), never a campaign.
pub const RESERVED_SLUGS: &[&str] = &["new"];

/// What was typed for a new campaign.
#[derive(Debug, Clone, Default)]
pub struct CampaignInput {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub story: String,
    /// In major units of `currency`, e.g. `12000` or `12000.50`.
    pub goal: String,
    pub currency: String,
    /// Other accepted currencies (the campaign's own is always accepted).
    pub accept: Vec<String>,
    /// `YYYY-MM-DD` (midnight UTC) or RFC 3339; empty: now.
    pub starts: String,
    /// The same forms; empty: no end.
    pub ends: String,
    pub beneficiary_name: String,
    pub beneficiary_place: String,
    /// `AMOUNT:LABEL` each.
    pub milestones: Vec<String>,
    /// `draft` or `live`.
    pub state: String,
    pub keep_accepting: bool,
    pub featured: bool,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Not 1–64 lowercase letters, digits and single hyphens.
    Slug,
    /// One of [`RESERVED_SLUGS`].
    SlugReserved,
    Required,
    TooLong(usize),
    /// Not a currency code (as typed).
    Currency(String),
    /// An amount that does not parse in the campaign's currency.
    Amount(MoneyError),
    /// Not a date (as typed).
    Date(String),
    /// The end is not after the start.
    DateOrder,
    /// A milestone that is not `AMOUNT:LABEL` with a label of at most
    /// [`MAX_MILESTONE_LABEL`] characters.
    MilestoneShape,
    TooManyMilestones,
    /// Neither `draft` nor `live` (as typed).
    State(String),
    /// Markdown that would not render as written.
    Markdown(crate::markdown::BodyError),
}

/// A field at fault: `field` is the input's name (`slug`, `title`, `goal`, `currency`,
/// `accept`, `starts`, `ends`, `milestones`, `state`, …); `line` counts milestones from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub fault: Fault,
    pub line: Option<usize>,
}

/// Text without control characters (line breaks kept), trimmed.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// A start or end as typed: RFC 3339, or `YYYY-MM-DD` for midnight UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

impl CampaignInput {
    /// Checks everything; the campaign to create (starting `now` when no start was typed),
    /// or every field at fault, in the form's order.
    pub fn check(&self, now: DateTime<Utc>) -> Result<NewCampaign, Vec<Problem>> {
        let mut e = Vec::new();
        let mut fault = |field: &'static str, fault: Fault| {
            e.push(Problem {
                field,
                fault,
                line: None,
            })
        };
        let slug = self.slug.trim();
        let parsed_slug = match Slug::parse(slug) {
            Ok(_) if RESERVED_SLUGS.contains(&slug) => {
                fault("slug", Fault::SlugReserved);
                None
            }
            Ok(s) => Some(s),
            Err(_) => {
                fault("slug", Fault::Slug);
                None
            }
        };
        let title = clean(&self.title);
        if title.is_empty() {
            fault("title", Fault::Required);
        } else if title.chars().count() > MAX_TITLE {
            fault("title", Fault::TooLong(MAX_TITLE));
        }
        let summary = clean(&self.summary);
        if summary.chars().count() > MAX_SUMMARY {
            fault("summary", Fault::TooLong(MAX_SUMMARY));
        }
        let story = self.story.replace("\r\n", "\n").replace('\0', "");
        if story.chars().count() > MAX_STORY {
            fault("story", Fault::TooLong(MAX_STORY));
        } else if let Err(f) = crate::markdown::check(&story) {
            fault("story", Fault::Markdown(f));
        }
        let currency = match CurrencyCode::parse(self.currency.trim()) {
            Ok(c) => Some(c),
            Err(_) => {
                fault("currency", Fault::Currency(self.currency.trim().into()));
                None
            }
        };
        let goal = currency.and_then(|c| match Money::parse_major(&self.goal, c) {
            Ok(m) => Some(m),
            Err(err) => {
                fault("goal", Fault::Amount(err));
                None
            }
        });
        let mut accepted: Vec<CurrencyCode> = currency.into_iter().collect();
        for a in self
            .accept
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
        {
            match CurrencyCode::parse(a) {
                Ok(code) if !accepted.contains(&code) => accepted.push(code),
                Ok(_) => {}
                Err(_) => fault("accept", Fault::Currency(a.into())),
            }
        }
        let starts_at = if self.starts.trim().is_empty() {
            Some(now)
        } else {
            parse_time(&self.starts).or_else(|| {
                fault("starts", Fault::Date(self.starts.trim().into()));
                None
            })
        };
        let ends_at = if self.ends.trim().is_empty() {
            None
        } else {
            parse_time(&self.ends).or_else(|| {
                fault("ends", Fault::Date(self.ends.trim().into()));
                None
            })
        };
        if let (Some(s), Some(end)) = (starts_at, ends_at)
            && end <= s
        {
            fault("ends", Fault::DateOrder);
        }
        let beneficiary_name = clean(&self.beneficiary_name);
        if beneficiary_name.chars().count() > MAX_BENEFICIARY {
            fault("beneficiary_name", Fault::TooLong(MAX_BENEFICIARY));
        }
        let beneficiary_place = clean(&self.beneficiary_place);
        if beneficiary_place.chars().count() > MAX_BENEFICIARY {
            fault("beneficiary_place", Fault::TooLong(MAX_BENEFICIARY));
        }
        let state = match self.state.trim() {
            "draft" => Some(CampaignState::Draft),
            "live" => Some(CampaignState::Live),
            other => {
                fault("state", Fault::State(other.into()));
                None
            }
        };
        let milestones = self.milestones(currency, &mut e);
        match (parsed_slug, goal, starts_at, state) {
            (Some(slug), Some(goal), Some(starts_at), Some(state)) if e.is_empty() => {
                Ok(NewCampaign {
                    slug,
                    title,
                    summary,
                    story_md: story,
                    goal,
                    accepted,
                    starts_at,
                    ends_at,
                    beneficiary_name,
                    beneficiary_place,
                    cover_image_url: None,
                    cover_image_alt: None,
                    state,
                    keep_accepting: self.keep_accepting,
                    featured: self.featured,
                    milestones,
                })
            }
            _ => Err(e),
        }
    }

    /// The milestones, sorted by amount (faults added to `e`).
    fn milestones(&self, currency: Option<CurrencyCode>, e: &mut Vec<Problem>) -> Vec<Milestone> {
        let mut out = Vec::new();
        let lines = self
            .milestones
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty());
        for (i, line) in lines.enumerate() {
            let at = |fault| Problem {
                field: "milestones",
                fault,
                line: Some(i + 1),
            };
            if i >= MAX_MILESTONES {
                e.push(at(Fault::TooManyMilestones));
                break;
            }
            let Some((amount, label)) = line.split_once(':') else {
                e.push(at(Fault::MilestoneShape));
                continue;
            };
            let label = clean(label);
            if label.is_empty() || label.chars().count() > MAX_MILESTONE_LABEL {
                e.push(at(Fault::MilestoneShape));
                continue;
            }
            let Some(currency) = currency else { continue };
            match Money::parse_major(amount.trim(), currency) {
                Ok(amount) => out.push(Milestone { amount, label }),
                Err(err) => e.push(at(Fault::Amount(err))),
            }
        }
        out.sort_by_key(|m| m.amount.amount_minor);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CampaignInput {
        CampaignInput {
            slug: "roof".into(),
            title: "A roof".into(),
            goal: "1000".into(),
            currency: "GBP".into(),
            accept: vec!["EUR".into(), "GBP".into()],
            state: "draft".into(),
            ..Default::default()
        }
    }

    fn fields(i: &CampaignInput) -> Vec<(&'static str, Fault)> {
        i.check(Utc::now())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.field, p.fault))
            .collect()
    }

    #[test]
    fn a_good_campaign_passes() {
        let now = Utc::now();
        let mut i = input();
        i.milestones = vec!["500:Walls".into(), "250: Floor ".into()];
        let n = i.check(now).expect("valid");
        assert_eq!(n.slug.as_str(), "roof");
        assert_eq!(n.goal.amount_minor, 100_000);
        assert_eq!(n.accepted.len(), 2);
        assert_eq!(n.starts_at, now);
        assert_eq!(n.milestones[0].label, "Floor");
        assert_eq!(n.state, CampaignState::Draft);
    }

    #[test]
    fn each_fault_names_its_field() {
        let mut i = input();
        i.slug = "new".into();
        assert_eq!(fields(&i), vec![("slug", Fault::SlugReserved)]);
        i.slug = "Not A Slug".into();
        i.title = "  ".into();
        i.currency = "QQQ".into();
        i.accept = vec!["XX".into()];
        i.starts = "soon".into();
        i.state = "funded".into();
        let got: Vec<&str> = fields(&i).iter().map(|(f, _)| *f).collect();
        assert_eq!(
            got,
            vec!["slug", "title", "currency", "accept", "starts", "state"]
        );
        let mut i = input();
        i.goal = "10.001".into();
        i.starts = "2030-01-02".into();
        i.ends = "2030-01-01".into();
        i.milestones = vec!["Roof".into()];
        let got = fields(&i);
        assert!(matches!(got[0], ("goal", Fault::Amount(_))), "{got:?}");
        assert_eq!(got[1], ("ends", Fault::DateOrder));
        assert_eq!(got[2], ("milestones", Fault::MilestoneShape));
        let mut i = input();
        i.title = "x".repeat(MAX_TITLE + 1);
        assert_eq!(fields(&i), vec![("title", Fault::TooLong(MAX_TITLE))]);
    }
}
