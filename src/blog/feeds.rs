//! Feeds: Atom, RSS 2.0 and JSON Feed 1.1 for the site, each tag and category, and each
//! campaign's updates. Absolute URLs from the base URL, inside the content too (links,
//! images and `srcset` candidates, rewritten by `http::absolute::html`: a feed reader has no
//! page to resolve `/media/…` against); content is the sanitised HTML.
//!
//! Feeds are kept in the blog's page cache ([`super::cache`]) per (path, language), so each
//! is rendered once per blog version (and at most every [`super::cache::MAX_AGE`]), on the
//! blocking pool ([`crate::render`]).

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use http::HeaderMap;
use shelfraiser_formats::html::escape;

use super::cache::{Key, Rendered};
use super::lookup::{base, links};
use super::pages::{body_html, display_title, summary};
use super::repo::{self, Filter, Post};
use crate::campaigns::CampaignState;
use crate::http::{AppError, AppState, Lang, absolute};
use crate::i18n::I18n;

pub const FEED_ITEMS: i64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
    pub fn file(self) -> &'static str {
        match self {
            Format::Atom => "feed.atom",
            Format::Rss => "feed.xml",
            Format::Json => "feed.json",
        }
    }
}

/// What a feed covers.
enum Scope {
    Site,
    Term(&'static str, String),
    Campaign(String),
}

macro_rules! feed_routes {
    ($router:expr, $($fmt:expr),*) => {{
        let mut r = $router;
        $(
            let fmt: Format = $fmt;
            r = r
                .route(&format!("/{}", fmt.file()), get(move |State(s): State<AppState>, Lang(tr): Lang, OriginalUri(uri): OriginalUri, headers: HeaderMap| async move {
                    feed(s, tr, &uri, &headers, Scope::Site, fmt).await
                }))
                .route(&format!("/tag/{{p1}}/{}", fmt.file()), get(move |State(s): State<AppState>, Lang(tr): Lang, OriginalUri(uri): OriginalUri, headers: HeaderMap, Path(slug): Path<String>| async move {
                    feed(s, tr, &uri, &headers, Scope::Term("tag", slug), fmt).await
                }))
                .route(&format!("/category/{{p1}}/{}", fmt.file()), get(move |State(s): State<AppState>, Lang(tr): Lang, OriginalUri(uri): OriginalUri, headers: HeaderMap, Path(slug): Path<String>| async move {
                    feed(s, tr, &uri, &headers, Scope::Term("category", slug), fmt).await
                }))
                .route(&format!("/campaigns/{{slug}}/{}", fmt.file()), get(move |State(s): State<AppState>, Lang(tr): Lang, OriginalUri(uri): OriginalUri, headers: HeaderMap, Path(slug): Path<String>| async move {
                    feed(s, tr, &uri, &headers, Scope::Campaign(slug), fmt).await
                }));
        )*
        r
    }};
}

pub fn routes() -> Router<AppState> {
    feed_routes!(Router::new(), Format::Atom, Format::Rss, Format::Json)
}

/// One feed entry, with everything each format needs.
pub struct Item {
    pub id: String,
    pub url: String,
    pub title: String,
    pub has_title: bool,
    pub content_html: String,
    pub summary: String,
    pub published: chrono::DateTime<Utc>,
    pub updated: chrono::DateTime<Utc>,
    pub author: Option<(String, String)>,
    /// The featured image, absolute (JSON Feed's `image`).
    pub image: Option<String>,
}

pub struct FeedDoc {
    pub title: String,
    pub description: String,
    pub home_url: String,
    pub feed_url: String,
    pub lang: &'static str,
    pub items: Vec<Item>,
}

fn item(s: &AppState, tr: &I18n, p: &Post) -> Item {
    let url = format!("{}{}", base(s), p.path(links(s)));
    let published = p.published_at.unwrap_or(p.created_at);
    Item {
        id: url.clone(),
        title: display_title(tr, p),
        has_title: !p.title.trim().is_empty(),
        content_html: if p.is_protected() {
            format!("<p>{}</p>", escape(&tr.t("blog-protected-summary")))
        } else {
            absolute::html(base(s), &url, &body_html(tr, &p.body_md))
        },
        summary: summary(tr, p),
        url,
        published,
        updated: p.updated_at.max(published),
        author: match (&p.author_name, p.author_path()) {
            (Some(n), Some(a)) => Some((n.clone(), format!("{}{a}", base(s)))),
            _ => None,
        },
        image: p
            .featured_image_url
            .as_deref()
            .filter(|_| !p.is_protected())
            .map(|u| s.absolute(u)),
    }
}

/// Serves a feed from the blog's cache, or renders it.
async fn feed(
    s: AppState,
    tr: I18n,
    uri: &http::Uri,
    headers: &HeaderMap,
    scope: Scope,
    fmt: Format,
) -> Result<Response, AppError> {
    let key = Key {
        path: uri.path().to_string(),
        page: 0,
        lang: tr.lang,
    };
    super::cache::serve(&s, key, headers, || {
        render(s.clone(), tr.clone(), scope, fmt)
    })
    .await
}

async fn render(s: AppState, tr: I18n, scope: Scope, fmt: Format) -> Result<Rendered, AppError> {
    let site = tr.t("site-name");
    let (title, home, prefix, filter) = match scope {
        Scope::Site => (
            site.clone(),
            "/blog/".to_string(),
            String::new(),
            Filter::default(),
        ),
        Scope::Term(taxonomy, slug) => {
            let t = repo::term(&s.db, taxonomy, &slug)
                .await?
                .ok_or(AppError::NotFound)?;
            (
                format!("{} · {site}", t.name),
                t.path(),
                t.path().trim_end_matches('/').to_string(),
                Filter {
                    term_id: Some(t.id.clone()),
                    ..Default::default()
                },
            )
        }
        Scope::Campaign(slug) => {
            let c = crate::campaigns::repo::by_slug(&s.db, &slug)
                .await?
                .filter(|c| c.state != CampaignState::Draft)
                .ok_or(AppError::NotFound)?;
            (
                format!("{} · {site}", c.title),
                format!("/campaigns/{}", c.slug),
                format!("/campaigns/{}", c.slug),
                Filter {
                    campaign_id: Some(c.id.clone()),
                    ..Default::default()
                },
            )
        }
    };
    let posts = repo::list(&s.db, &filter, FEED_ITEMS, 0).await?;
    // Markdown of up to twenty bodies, then the document: on the blocking pool.
    let body = crate::render::off_workers(move || {
        let doc = FeedDoc {
            title,
            description: tr.t("blog-description"),
            home_url: format!("{}{home}", base(&s)),
            feed_url: format!("{}{prefix}/{}", base(&s), fmt.file()),
            lang: tr.lang,
            items: posts.iter().map(|p| item(&s, &tr, p)).collect(),
        };
        match fmt {
            Format::Atom => atom(&doc),
            Format::Rss => rss(&doc),
            Format::Json => Ok(json_feed(&doc).to_string()),
        }
    })
    .await??;
    Ok(Rendered::Doc {
        body,
        content_type: fmt.content_type(),
        cache_control: "public, max-age=300",
    })
}

pub fn atom(doc: &FeedDoc) -> Result<String, AppError> {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let link = |href: &str, rel: &str, mime: &str| Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Default::default()
    };
    let updated = doc
        .items
        .iter()
        .map(|i| i.updated)
        .max()
        .unwrap_or_else(Utc::now);
    let feed = Feed {
        title: Text::plain(doc.title.clone()),
        id: doc.feed_url.clone(),
        updated: updated.into(),
        subtitle: Some(Text::plain(doc.description.clone())),
        lang: Some(doc.lang.to_string()),
        links: vec![
            link(&doc.home_url, "alternate", "text/html"),
            link(&doc.feed_url, "self", "application/atom+xml"),
        ],
        authors: vec![Person {
            name: doc.title.clone(),
            uri: Some(doc.home_url.clone()),
            ..Default::default()
        }],
        entries: doc
            .items
            .iter()
            .map(|i| Entry {
                title: Text::plain(i.title.clone()),
                id: i.id.clone(),
                updated: i.updated.into(),
                published: Some(i.published.into()),
                links: vec![link(&i.url, "alternate", "text/html")],
                authors: i
                    .author
                    .iter()
                    .map(|(n, u)| Person {
                        name: n.clone(),
                        uri: Some(u.clone()),
                        ..Default::default()
                    })
                    .collect(),
                summary: Some(Text::plain(i.summary.clone())),
                content: Some(Content {
                    content_type: Some("html".into()),
                    value: Some(i.content_html.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let out = feed
        .write_to(Vec::new())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("atom feed: {e}")))?;
    String::from_utf8(out).map_err(|e| AppError::Internal(anyhow::anyhow!("atom feed: {e}")))
}

pub fn rss(doc: &FeedDoc) -> Result<String, AppError> {
    use rss::{Channel, Guid, Item as RssItem};
    let channel = Channel {
        title: doc.title.clone(),
        link: doc.home_url.clone(),
        description: doc.description.clone(),
        language: Some(doc.lang.to_string()),
        last_build_date: doc
            .items
            .iter()
            .map(|i| i.updated)
            .max()
            .map(|t| t.to_rfc2822()),
        generator: Some("Shelfraiser".into()),
        items: doc
            .items
            .iter()
            .map(|i| RssItem {
                title: i.has_title.then(|| i.title.clone()),
                link: Some(i.url.clone()),
                guid: Some(Guid {
                    value: i.id.clone(),
                    permalink: true,
                }),
                pub_date: Some(i.published.to_rfc2822()),
                description: Some(i.content_html.clone()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let out = channel
        .write_to(Vec::new())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rss feed: {e}")))?;
    let xml =
        String::from_utf8(out).map_err(|e| AppError::Internal(anyhow::anyhow!("rss feed: {e}")))?;
    Ok(if xml.starts_with("<?xml") {
        xml
    } else {
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{xml}")
    })
}

pub fn json_feed(doc: &FeedDoc) -> serde_json::Value {
    let items: Vec<serde_json::Value> = doc
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::json!({
                "id": i.id,
                "url": i.url,
                "content_html": i.content_html,
                "summary": i.summary,
                "date_published": super::meta::rfc3339(i.published),
                "date_modified": super::meta::rfc3339(i.updated),
            });
            if i.has_title {
                v["title"] = i.title.clone().into();
            }
            if let Some((n, u)) = &i.author {
                v["authors"] = serde_json::json!([{ "name": n, "url": u }]);
            }
            if let Some(img) = &i.image {
                v["image"] = img.clone().into();
            }
            v
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": doc.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.feed_url,
        "description": doc.description,
        "language": doc.lang,
        "items": items,
    })
}
