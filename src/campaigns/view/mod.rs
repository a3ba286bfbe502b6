//! The campaign page as a view: its template data, the donate form's state ([`donate`]) and
//! the progress bar. Shared by the campaign's own pages, the donate handler (which shows the page again
//! with the form's errors) and the console's dashboard. A view, not a handler: other
//! capabilities' pages may use it (`tests/layers.rs`). [`head`]: the page's share preview
//! and feed links; [`card`]: the campaign in a box on a post linked to it.

//! Public campaign pages: the front page, the campaign page (story, progress bar with
//! milestones, donor wall, donate form), the full donor list and the live progress stream.

pub mod card;
mod donate;
pub mod head;
pub mod pledged;

pub use donate::{
    CurrencyGroup, CurrencyOption, FormState, PresetView, currency_groups, presets,
    visitor_currency,
};
pub use donate::{ProviderOption, provider_options};

use askama::Template;
use chrono::Utc;

use super::{Campaign, CampaignState, Progress, Totals, repo};
use crate::blog;
use crate::donations::ledger::{self, DonationRow};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::markdown;
use crate::money::{CurrencyCode, Money};
use crate::web::PageCtx;
use crate::web::meta::Meta;

pub struct MilestoneView {
    pub label: String,
    pub amount: String,
    /// The amount in the campaign currency's minor units (names the milestone on the page
    /// for the live script).
    pub amount_minor: i64,
    /// Position on the bar, 0–100.
    pub pos: i64,
    pub reached: bool,
}

/// A donor-wall entry as shown (also the live event's `wall` items): plain text, which the
/// templates escape and the live script sets as text; donor text is never made a link.
#[derive(serde::Serialize)]
pub struct WallItem {
    pub name: String,
    pub amount: String,
    pub message: String,
    pub date: String,
    /// "rate of 28 June 2024" for a converted offline gift (the day of the rate used), else
    /// empty.
    pub rate_note: String,
}

pub struct UpdateView {
    /// The update's permalink.
    pub url: String,
    pub title: String,
    pub date: String,
    pub excerpt: String,
}

pub struct ProgressView {
    pub raised: String,
    pub goal: String,
    pub donors: String,
    pub percent: i64,
    pub bar: i64,
    pub percent_text: String,
    pub days_left: String,
    /// "£500 pledged" (open pledges and accrued matches, apart from raised); empty for none.
    pub pledged: String,
    pub pledged_minor: i64,
    /// The pledged segment's width after the raised one, 0–100 (`pledged::with_pledged`).
    pub pledged_bar: i64,
    /// The bar's accessible label: the percentage, and the pledged amount when there is one.
    pub bar_label: String,
}

impl ProgressView {
    pub fn new(tr: &I18n, p: &Progress) -> ProgressView {
        ProgressView {
            raised: tr.money(p.raised),
            goal: tr.money(p.goal),
            donors: tr.tn("donor-count", p.donors),
            percent: p.percent,
            bar: p.bar_percent(),
            percent_text: tr.ta("percent-of-goal", &[("percent", tr.int(p.percent))]),
            days_left: match p.days_left {
                Some(0) => tr.t("campaign-ended"),
                Some(d) => tr.tn("days-left", d),
                None => String::new(),
            },
            pledged: String::new(),
            pledged_minor: 0,
            pledged_bar: 0,
            bar_label: tr.ta("percent-of-goal", &[("percent", tr.int(p.percent))]),
        }
    }
}

/// A post elsewhere that mentions the campaign ("What people are writing": approved
/// Webmentions, newest first).
pub struct WritingView {
    pub author: String,
    /// The link's text: the post's title, else the start of its text, else its site.
    pub title: String,
    pub excerpt: String,
    pub url: String,
    pub date: String,
    pub datetime: String,
}

/// The campaign's approved mentions as the page shows them.
pub async fn writing_views(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
) -> Result<Vec<WritingView>, AppError> {
    use shelfraiser_formats::microformats::excerpt;
    let shown =
        crate::webmention::repo::shown(&s.db, &c.id, crate::webmention::ON_CAMPAIGN_PAGE).await?;
    Ok(shown
        .into_iter()
        .map(|w| {
            let at = w.published_at.unwrap_or(w.received_at);
            let host = url::Url::parse(&w.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            // A note has no title: its start is the link, and no excerpt repeats it.
            let (title, text) = if !w.title.trim().is_empty() {
                (excerpt(&w.title, 120), excerpt(&w.content, 240))
            } else if !w.content.trim().is_empty() {
                (excerpt(&w.content, 120), String::new())
            } else {
                (tr.ta("writing-untitled", &[("host", host)]), String::new())
            };
            WritingView {
                author: w.author_name,
                excerpt: text,
                title,
                url: w.url,
                date: tr.date(at),
                datetime: at.to_rfc3339(),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "campaign.html")]
pub struct CampaignPage {
    pub page: PageCtx,
    /// Share preview and feed links (`templates/meta.html`).
    pub meta: Meta,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub story_html: String,
    pub beneficiary: String,
    pub cover_url: String,
    pub cover_alt: String,
    pub progress: ProgressView,
    pub funded: bool,
    pub closed: bool,
    pub accepting: bool,
    pub milestones: Vec<MilestoneView>,
    pub wall: Vec<WallItem>,
    pub wall_more: bool,
    pub currencies: Vec<CurrencyOption>,
    /// Presets and limit per accepted currency; the chosen one's shown.
    pub currency_groups: Vec<CurrencyGroup>,
    pub updates: Vec<UpdateView>,
    /// "What people are writing": approved Webmentions of the campaign page.
    pub writing: Vec<WritingView>,
    /// The hashtag day the page links to (its address and title): the next published one,
    /// else the latest.
    pub event: Option<(String, String)>,
    pub csrf: String,
    pub form: FormState,
    pub notice: String,
    pub test_mode: bool,
    /// The running matching gifts' banners (`pledged::match_banner`).
    pub matches: Vec<String>,
    /// The payment providers to choose from (shown when there are several).
    pub providers: Vec<donate::ProviderOption>,
    /// "Give once / Give monthly" is offered (monthly gifts need Stripe).
    pub monthly_offered: bool,
    /// The label of the "cover the processing fees" box; empty: no box (no provider the
    /// donor may use has a fee rule).
    pub fee_cover: String,
}

/// An update in a list, linked to its permalink (a note's title is its first words).
pub fn update_view(s: &AppState, tr: &I18n, u: &blog::repo::Update) -> UpdateView {
    let title = if u.title.trim().is_empty() {
        markdown::excerpt(&u.body_md, 60)
    } else {
        u.title.clone()
    };
    UpdateView {
        url: s
            .settings
            .blog
            .permalink
            .path(u.kind.as_str(), &u.slug, Some(u.published_at)),
        title,
        date: tr.date(u.published_at),
        excerpt: markdown::excerpt(&u.body_md, 240),
    }
}

/// Donor-wall entry for display (the page, the donor list and the live event): the amount
/// net of succeeded refunds, the name and message as the wall's moderation allows
/// (`donations::moderation`: anonymous or hidden names show as "Anonymous", held or hidden
/// messages not at all).
pub fn wall_item(tr: &I18n, d: &DonationRow) -> WallItem {
    // A partly refunded gift shows what the donor's gift came to after its refunds.
    let net = (d.amount_minor - d.refunded_minor).max(0);
    let amount = CurrencyCode::parse(&d.currency)
        .map(|c| tr.money(Money::new(net, c)))
        .unwrap_or_default();
    WallItem {
        name: d
            .wall_name()
            .map(str::to_string)
            .unwrap_or_else(|| tr.t("donor-anonymous")),
        amount,
        message: d.wall_message().unwrap_or_default().to_string(),
        date: tr.date(d.created_at),
        rate_note: match d.rate_on {
            Some(day) if d.provider == crate::donations::offline::PROVIDER => {
                tr.ta("wall-rate-of", [("date", tr.day(day))])
            }
            _ => String::new(),
        },
    }
}

/// How many entries the campaign page's wall shows (and the live event carries).
pub const WALL_ON_PAGE: i64 = 20;

/// The campaign page's wall: its newest entries, and whether there are more.
pub async fn wall_view(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
) -> Result<(Vec<WallItem>, bool), AppError> {
    let wall = ledger::wall(&s.db, c, WALL_ON_PAGE, 0).await?;
    let more = if (wall.len() as i64) < WALL_ON_PAGE {
        false
    } else {
        ledger::wall_count(&s.db, c).await? > WALL_ON_PAGE
    };
    Ok((wall.iter().map(|d| wall_item(tr, d)).collect(), more))
}

/// The campaign's milestones as shown, reached or not at `raised_minor`.
pub async fn milestone_views(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
    raised_minor: i64,
) -> Result<Vec<MilestoneView>, AppError> {
    let goal = c.goal.amount_minor.max(1);
    Ok(repo::milestones(&s.db, c)
        .await?
        .iter()
        .map(|m| MilestoneView {
            label: m.label.clone(),
            amount: tr.money(m.amount),
            amount_minor: m.amount.amount_minor,
            pos: (i128::from(m.amount.amount_minor) * 100 / i128::from(goal)).clamp(0, 100) as i64,
            reached: raised_minor >= m.amount.amount_minor,
        })
        .collect())
}

/// Renders the campaign page. `form` is a fresh form opening with the visitor's currency
/// ([`FormState::fresh`], [`visitor_currency`]) or the values and errors of one shown again;
/// `None` opens with the campaign's currency.
pub async fn render_campaign(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
    totals: &Totals,
    form: Option<FormState>,
    notice: String,
) -> Result<String, AppError> {
    let now = Utc::now();
    let progress = Progress::of(c, totals, now);
    let pledged = crate::donations::pledges::pledged(&s.db, c, now).await?;
    let (progress_view, matches) =
        pledged::pledged_parts(tr, ProgressView::new(tr, &progress), c.goal, &pledged);
    let milestones = milestone_views(s, tr, c, totals.raised_minor).await?;
    let (wall, wall_more) = wall_view(s, tr, c).await?;
    let updates = blog::repo::updates(&s.db, Some(&c.id), 3).await?;
    let writing = writing_views(s, tr, c).await?;
    let event = crate::promotion::events::featured(&s.db, &c.id, now.date_naive())
        .await?
        .map(|e| (format!("/campaigns/{}/events/{}", c.slug, e.slug), e.title));
    let rates = crate::rates::latest(&s.db).await?;
    let form = form.unwrap_or_else(|| FormState::fresh(c.currency()));
    let currencies = c.currencies();
    // The presets shown: the form's currency, or the campaign's if it offers no such one.
    let shown = currencies
        .iter()
        .copied()
        .find(|x| x.as_str() == form.currency)
        .unwrap_or(c.currency());
    let form_provider = form.provider.clone();
    let page = CampaignPage {
        page: PageCtx::new(s, tr, &format!("/campaigns/{}", c.slug)),
        meta: head::meta(s, tr, c),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        story_html: crate::render::markdown(c.story_md.clone()).await?,
        beneficiary: format!("{}, {}", c.beneficiary_name, c.beneficiary_place),
        cover_url: c
            .cover_image_url
            .clone()
            .unwrap_or_else(|| s.assets.url("cover.svg").to_string()),
        cover_alt: c.cover_image_alt.clone().unwrap_or_default(),
        progress: progress_view,
        funded: c.state == CampaignState::Funded,
        closed: c.state == CampaignState::Closed,
        accepting: c.accepting(now).is_ok() && s.providers.default_online().is_some(),
        milestones,
        wall,
        wall_more,
        currencies: currencies
            .iter()
            .map(|code| CurrencyOption {
                code: code.to_string(),
                selected: *code == shown,
            })
            .collect(),
        currency_groups: currency_groups(
            tr,
            c,
            &rates,
            s.settings.donations.max_amount_major,
            shown,
        ),
        updates: updates.iter().map(|u| update_view(s, tr, u)).collect(),
        writing,
        event,
        csrf: s.csrf.token(now),
        form,
        notice,
        test_mode: s.providers.test().is_some(),
        matches,
        providers: donate::provider_options(tr, &s.providers.names(), &form_provider),
        monthly_offered: s.providers.stripe().is_some(),
        fee_cover: donate::fee_cover_label(tr, &s.providers.fee_rules(), s.providers.names().len()),
    };
    Ok(page.render()?)
}
