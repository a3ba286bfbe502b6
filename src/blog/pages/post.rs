//! One post or page rendered with its terms, metadata and comment section.

use askama::Template;
use chrono::Utc;

use crate::blog::lookup::base;
use crate::blog::meta::{self, Meta};
use crate::blog::repo::{self, Post, Term};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::web::PageCtx;

use super::entries::*;

pub struct TermLink {
    pub name: String,
    pub path: String,
    pub is_tag: bool,
}

#[derive(Template)]
#[template(path = "blog/post.html")]
pub struct PostPage {
    pub page: PageCtx,
    pub meta: Meta,
    pub e: EntryView,
    pub terms: Vec<TermLink>,
    pub locked: bool,
    pub csrf: String,
    pub password_error: String,
    pub campaign: Option<(String, String)>,
    /// The linked campaign in a box: progress bar and donate button
    /// (`campaigns::view::card`), or empty.
    pub campaign_card: String,
    /// The featured image's `<img>` (`blog::images::featured`), or empty.
    pub featured_html: String,
    /// The comment thread, form and like button (`blog::comments::comments_section`).
    pub comments: String,
    /// Live coverage: the entries newest first (`blog::live`), when the post is live.
    pub live: Option<Vec<LiveItem>>,
}

/// One live entry as the page shows it.
pub struct LiveItem {
    pub id: String,
    /// RFC 3339, for `<time datetime>` (and the script that shows it in the reader's zone).
    pub datetime: String,
    /// The time in UTC, as shown without the script.
    pub when: String,
    pub is_quote: bool,
    pub body_html: String,
    pub image: Option<(String, String)>,
}

/// The entries of a live post, newest first; `None` when the post is not live.
async fn live_items(
    s: &AppState,
    tr: &I18n,
    post_id: &str,
) -> Result<Option<Vec<LiveItem>>, AppError> {
    if crate::blog::live::live_since(&s.db, post_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let mut list = crate::blog::live::entries(&s.db, post_id).await?;
    list.reverse();
    Ok(Some(
        list.into_iter()
            .map(|e| LiveItem {
                datetime: meta::rfc3339(e.created_at),
                when: tr.ta(
                    "blog-live-when-utc",
                    [("time", tr.date_time_in(e.created_at, "UTC"))],
                ),
                is_quote: e.kind == "quote",
                body_html: if e.body_md.is_empty() {
                    String::new()
                } else {
                    crate::render::for_page(&body_html(tr, &e.body_md))
                },
                image: e.image_url.map(|u| (u, e.image_alt)),
                id: e.id,
            })
            .collect(),
    ))
}

pub(super) async fn render_post(
    s: &AppState,
    tr: &I18n,
    p: &Post,
    unlocked: bool,
    password_error: String,
) -> Result<String, AppError> {
    let locked = p.is_protected() && !unlocked;
    let mut e = entry_view_of(s, tr, p.clone(), !locked).await?;
    // Uploaded images in responsive sizes (blog/images.rs).
    if !e.body_html.is_empty() {
        e.body_html = crate::blog::images::responsive(&s.db, &e.body_html).await?;
    }
    let featured_html = match p.featured_image_url.as_deref() {
        Some(url) if !locked => {
            crate::blog::images::featured(&s.db, url, p.featured_image_alt.as_deref()).await?
        }
        _ => String::new(),
    };
    let terms: Vec<Term> = repo::terms_of(&s.db, &p.id).await?;
    let linked = match &p.campaign_id {
        Some(id) => crate::campaigns::repo::by_id(&s.db, id)
            .await?
            .filter(|c| c.state != crate::campaigns::CampaignState::Draft),
        None => None,
    };
    let campaign = linked
        .as_ref()
        .map(|c| (format!("/campaigns/{}", c.slug), c.title.clone()));
    // From an update to giving: the campaign's progress and its donate button.
    let campaign_card = match &linked {
        Some(c) => crate::campaigns::view::card::render(s, tr, c).await?,
        None => String::new(),
    };
    let site = tr.t("site-name");
    let description = e.summary.clone();
    let author = p
        .author_name
        .as_ref()
        .map(|n| (n.as_str(), e.author_url.as_str()));
    // Shared previews and feed readers fetch the image from elsewhere: absolute. Without a
    // featured image, a post shares its campaign's image (the cover, or the site's default),
    // and a post of no campaign the site's default: a link preview always has a picture.
    let image = Some(match (p.featured_image_url.as_deref(), &linked) {
        (Some(u), _) => s.absolute(u),
        (None, Some(c)) => crate::campaigns::view::head::share_image(s, c),
        (None, None) => s.absolute(s.assets.url("share.png")),
    });
    let json_ld = meta::blog_posting(
        &e.title,
        &e.url,
        &description,
        p.published_at,
        p.updated_at,
        author,
        image.as_deref(),
        tr.lang,
        &site,
    );
    let mut feeds = meta::feed_links(base(s), "", &site);
    for t in terms.iter().filter(|t| t.taxonomy == "category") {
        feeds.extend(meta::feed_links(
            base(s),
            t.path().trim_end_matches('/'),
            &t.name,
        ));
    }
    // Comments and likes (blog/comments.rs); none behind a password.
    let comments = if locked {
        String::new()
    } else {
        crate::blog::comments::comments_section(s, tr, &p.id, &e.path).await?
    };
    let live = if locked {
        None
    } else {
        live_items(s, tr, &p.id).await?
    };
    let page = PostPage {
        live,
        featured_html,
        comments,
        page: PageCtx::new(s, tr, &e.path),
        meta: Meta {
            title: e.title.clone(),
            description,
            canonical: e.url.clone(),
            og_type: if p.is_page() { "website" } else { "article" },
            image,
            image_alt: p.featured_image_alt.clone().unwrap_or_default(),
            published: p.published_at.map(meta::rfc3339),
            modified: Some(meta::rfc3339(p.updated_at)),
            site_name: site,
            locale: meta::og_locale(tr.lang),
            feeds,
            json_ld,
            noindex: false,
            // A post published to the fediverse: its object, and the account it came from
            // (its campaign's, or the site's).
            activity: (!p.is_page() && !p.is_protected())
                .then(|| s.absolute(&format!("/posts/{}", p.id))),
            creator: (!p.is_page()).then(|| {
                let slug = linked.as_ref().map(|c| c.slug.to_string());
                crate::web::meta::fediverse_handle(&s.base_url, slug.as_deref())
            }),
            oembed: None,
        },
        terms: terms
            .iter()
            .map(|t| TermLink {
                name: t.name.clone(),
                path: t.path(),
                is_tag: t.taxonomy == "tag",
            })
            .collect(),
        e,
        locked,
        csrf: s.csrf.token(Utc::now()),
        password_error,
        campaign,
        campaign_card,
    };
    Ok(page.render()?)
}
