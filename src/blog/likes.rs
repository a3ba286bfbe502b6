//! Likes without an account and without cookies: "12 people like this".
//!
//! `POST /posts/{id}/like` (a small form, no JavaScript needed) records one row per client
//! address per post per UTC day: `visitor_hash = SHA-256(daily salt | address key)`, the
//! address key being `http::visitor::ip_key` (an IPv6 address counts by its /64, as one
//! subscriber usually holds a whole /64). The User-Agent is not part of it: changing it
//! does not make another like. Visitors behind one address (a library's own network) share
//! one like per post per day; that is the price of counting without cookies. The salt is random,
//! one per UTC day, kept in the settings table (`like_salt:<yyyy-mm-dd>`) so every node
//! agrees; salts of past days are deleted, after which a day's hashes can no longer be tied
//! to an address. A repeated like the same day changes nothing (primary key); the answer is
//! always 303 back to the post's `#likes`. The count is the number of rows, whatever their
//! source (`site` now, `fediverse` later).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::comments::{local_path, post_ref};
use super::repo::likes as store;
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState, csrf};
use crate::web::request::Req;

pub fn routes() -> Router<AppState> {
    Router::new().route("/posts/{id}/like", post(like))
}

pub use super::repo::likes::count;

pub use crate::http::visitor::daily_salt;

/// The day's hash of a client address (IPv6 by its /64); nothing else of the request
/// (`http::visitor`, shared with the page views).
pub fn visitor_hash(salt: &str, ip: &str) -> String {
    crate::http::visitor::hash(salt, "like", ip)
}

/// Records a like; `false` when this address already liked the post today.
pub async fn record(db: &Db, post_id: &str, ip: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let day = now.date_naive();
    let salt = daily_salt(db, day).await?;
    let hash = visitor_hash(&salt, ip);
    store::insert(db, post_id, &hash, day, now).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LikeInput {
    pub back: String,
    pub csrf: String,
}

/// `POST /posts/{id}/like`.
async fn like(
    State(s): State<AppState>,
    Path(id): Path<String>,
    r: Req,
    axum::Form(input): axum::Form<LikeInput>,
) -> Result<Response, AppError> {
    let post = post_ref(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    if !post.is_public() {
        return Err(AppError::NotFound);
    }
    let now = Utc::now();
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), now) {
        return Err(AppError::Unprocessable(r.tr.t("error-csrf")));
    }
    record(&s.db, &post.id, r.ip.as_deref().unwrap_or(""), now).await?;
    let back =
        local_path(&input.back).unwrap_or_else(|| post.permalink(&s.settings.blog.permalink));
    Ok(Redirect::to(&format!("{back}#likes")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_differ_by_salt_and_address_only() {
        let a = visitor_hash("s", "192.0.2.1");
        assert_eq!(a.len(), 64);
        assert_eq!(a, visitor_hash("s", "192.0.2.1"));
        assert_eq!(a, visitor_hash("s", "::ffff:192.0.2.1"));
        assert_ne!(a, visitor_hash("t", "192.0.2.1"));
        assert_ne!(a, visitor_hash("s", "192.0.2.2"));
        // One IPv6 subscriber (/64) is one visitor.
        assert_eq!(
            visitor_hash("s", "2001:db8:1:2::1"),
            visitor_hash("s", "2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            visitor_hash("s", "2001:db8:1:2::1"),
            visitor_hash("s", "2001:db8:1:3::1")
        );
    }
}
