//! A campaign in a box on another page — a post linked to it (a campaign update): its title
//! and summary, the progress bar and a button to the campaign page's donate form (or to the
//! campaign once it no longer takes donations).

use askama::Template;
use chrono::Utc;

use super::{MilestoneView, ProgressView};
use crate::campaigns::{Campaign, CampaignState, Progress, repo};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::web::PageCtx;

#[derive(Template)]
#[template(path = "campaign_card.html")]
pub struct Card {
    pub page: PageCtx,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub progress: ProgressView,
    /// The progress bar's marks: none in the box.
    pub milestones: Vec<MilestoneView>,
    /// Donations are taken: the button goes to the donate form.
    pub accepting: bool,
    pub funded: bool,
    /// The bar follows the campaign's live stream (the embeddable card; a post's box shows
    /// the totals it was rendered with, being part of a cached page).
    pub live: bool,
}

/// The box as HTML, with the campaign's totals as they are now.
pub async fn render(s: &AppState, tr: &I18n, c: &Campaign) -> Result<String, AppError> {
    Ok(card(s, tr, c).await?.render()?)
}

/// The box's data, with the campaign's totals as they are now (not live).
pub async fn card(s: &AppState, tr: &I18n, c: &Campaign) -> Result<Card, AppError> {
    let now = Utc::now();
    let totals = repo::totals(&s.db, &c.id).await?;
    let card = Card {
        page: PageCtx::new(s, tr, &format!("/campaigns/{}", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        progress: ProgressView::new(tr, &Progress::of(c, &totals, now)),
        milestones: Vec::new(),
        accepting: c.accepting(now).is_ok() && s.providers.default_online().is_some(),
        funded: c.state == CampaignState::Funded,
        live: false,
    };
    Ok(card)
}
