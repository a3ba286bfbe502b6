//! The blog: articles, notes and pages — writing, reading (pages, feeds, metadata,
//! sitemap, video link cards), comments (and e-mails about replies) and likes.

pub mod api;
pub mod cache;
pub mod commenters;
pub mod comments;
pub mod embeds;
pub mod feeds;
pub mod images;
pub mod likes;
pub mod live;
pub mod lookup;
pub mod meta;
pub mod pages;
pub mod remote;
pub mod replies;
// The permalink pattern is parsed where the configuration is (the formats crate).
pub use shelfraiser_formats::permalink;
pub mod repo;
pub mod review;
pub mod sitemap;
pub mod spam;
pub mod write;

use axum::Router;

use crate::http::AppState;

/// Every blog route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .merge(feeds::routes())
        .merge(sitemap::routes())
        .merge(api::routes())
        .merge(comments::routes())
        .merge(commenters::routes())
        .merge(replies::routes())
        .merge(likes::routes())
}
