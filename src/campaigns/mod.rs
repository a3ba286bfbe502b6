//! Campaigns: the goal, the story, the state machine and the totals kept beside the ledger.
//!
//! * `draft → live → funded → closed`; `funded` is entered automatically, in the same
//!   transaction as the ledger entry that reaches the goal (`repo::mark_funded_if_reached_in`,
//!   called by the donation flow).
//! * A new campaign as typed is checked by [`create`] (the command line and the console's
//!   "New campaign" form share it).
//! * Pages and the JSON API for campaigns live in [`pages`] and [`api`].

pub mod api;
pub mod create;
pub mod pages;
pub mod repo;
pub mod view;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{CurrencyCode, Money};

/// A URL-safe campaign name: lowercase ASCII letters, digits and single hyphens, 1–64 long.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid slug: use 1–64 lowercase letters, digits and hyphens")]
pub struct SlugError(pub String);

impl Slug {
    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Slug(s.to_string()))
        } else {
            Err(SlugError(s.chars().take(80).collect()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slug({})", self.0)
    }
}
impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, SlugError> {
        Slug::parse(&s)
    }
}
impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignState {
    Draft,
    Live,
    Funded,
    Closed,
}

impl CampaignState {
    /// Every state, in the order of the state machine.
    pub const ALL: [CampaignState; 4] = [
        CampaignState::Draft,
        CampaignState::Live,
        CampaignState::Funded,
        CampaignState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Live => "live",
            CampaignState::Funded => "funded",
            CampaignState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<CampaignState> {
        Some(match s {
            "draft" => CampaignState::Draft,
            "live" => CampaignState::Live,
            "funded" => CampaignState::Funded,
            "closed" => CampaignState::Closed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub amount: Money,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: String,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub story_md: String,
    pub goal: Money,
    pub accepted: Vec<CurrencyCode>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub beneficiary_name: String,
    pub beneficiary_place: String,
    pub cover_image_url: Option<String>,
    pub cover_image_alt: Option<String>,
    pub state: CampaignState,
    pub keep_accepting: bool,
    pub featured: bool,
}

/// Why a campaign does not take a donation right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAccepting {
    Draft,
    Closed,
    Ended,
    NotStarted,
    FundedAndStopped,
}

impl Campaign {
    pub fn currency(&self) -> CurrencyCode {
        self.goal.currency
    }

    /// Whether the public donate form takes donations now.
    pub fn accepting(&self, now: DateTime<Utc>) -> Result<(), NotAccepting> {
        match self.state {
            CampaignState::Draft => return Err(NotAccepting::Draft),
            CampaignState::Closed => return Err(NotAccepting::Closed),
            CampaignState::Funded if !self.keep_accepting => {
                return Err(NotAccepting::FundedAndStopped);
            }
            _ => {}
        }
        if now < self.starts_at {
            return Err(NotAccepting::NotStarted);
        }
        if self.ends_at.is_some_and(|e| now >= e) {
            return Err(NotAccepting::Ended);
        }
        Ok(())
    }

    pub fn accepts_currency(&self, c: CurrencyCode) -> bool {
        c == self.currency() || self.accepted.contains(&c)
    }

    /// The currencies the donate form offers: the campaign's own first, then the others it
    /// accepts.
    pub fn currencies(&self) -> Vec<CurrencyCode> {
        let mut out = vec![self.currency()];
        for x in &self.accepted {
            if !out.contains(x) {
                out.push(*x);
            }
        }
        out
    }
}

/// Totals kept in the same transaction as each ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub raised_minor: i64,
    pub donor_count: i64,
    pub entry_count: i64,
    pub version: i64,
}

/// What a page or the API shows of a campaign's progress; derived from [`Totals`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub raised: Money,
    pub goal: Money,
    pub donors: i64,
    /// Whole percent reached, rounded down (can exceed 100).
    pub percent: i64,
    /// Whole days left (rounded up), `None` without an end date.
    pub days_left: Option<i64>,
}

impl Progress {
    pub fn of(c: &Campaign, t: &Totals, now: DateTime<Utc>) -> Progress {
        let percent = if c.goal.amount_minor > 0 {
            (i128::from(t.raised_minor.max(0)) * 100 / i128::from(c.goal.amount_minor)) as i64
        } else {
            0
        };
        let days_left = c.ends_at.map(|e| {
            let secs = (e - now).num_seconds().max(0);
            (secs + 86_399) / 86_400
        });
        Progress {
            raised: Money::new(t.raised_minor, c.currency()),
            goal: c.goal,
            donors: t.donor_count,
            percent,
            days_left,
        }
    }

    /// The bar's fill, 0–100.
    pub fn bar_percent(&self) -> i64 {
        self.percent.clamp(0, 100)
    }
}

/// Everything needed to create a campaign.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub story_md: String,
    pub goal: Money,
    pub accepted: Vec<CurrencyCode>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub beneficiary_name: String,
    pub beneficiary_place: String,
    pub cover_image_url: Option<String>,
    pub cover_image_alt: Option<String>,
    pub state: CampaignState,
    pub keep_accepting: bool,
    pub featured: bool,
    pub milestones: Vec<Milestone>,
}

/// Everything the editor may change: the fields a campaign is created with, except that
/// the slug stays (`slug` is not written). The cover in `cover_image_url` is the one to keep
/// (`None` removes it); a new upload given to [`repo::update_in`] wins.
pub type CampaignUpdate = NewCampaign;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("library-for-kalpakkam").is_ok());
        for bad in ["", "-a", "a-", "a--b", "Ab", "a b", "a/b", "ä"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert!(Slug::parse(&"a".repeat(65)).is_err());
    }
}
