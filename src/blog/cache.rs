// SPDX-License-Identifier: AGPL-3.0-or-later
//! The blog's public pages and feeds in the node's page cache
//! (`http::versioned_pages`, where the rules are): kept while the blog's version in the
//! database — one row, `blog_version`, bumped by triggers
//! (`migrations/*/0009_blog_page_cache.sql`) — is unchanged.

use axum::response::Response;
use http::HeaderMap;
use std::future::Future;

use crate::http::{AppError, AppState};

pub use crate::http::versioned_pages::{Key, MAX_AGE, MAX_BYTES, Rendered};

pub use super::repo::version;

/// Answers from the cache when the kept page is current, otherwise renders it (one request
/// per key at a time) and keeps it.
pub async fn serve<F, Fut>(
    s: &AppState,
    key: Key,
    headers: &HeaderMap,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, AppError>>,
{
    s.pages
        .blog
        .serve(s, key, headers, || version(&s.db), render)
        .await
}
