//! Reading the blog: the blog home, permalinks, pages, archives (tag, category, author,
//! month), search, password-protected posts, slug history and old-path redirects.
//!
//! Only published posts whose time has come are public; everything else answers 404.
//!
//! Posts live at the configured permalink pattern (`settings.blog.permalink`, see
//! [`super::permalink`]), pages at `/{slug}/`. Whatever a path's shape, `resolve` works out
//! what it is: a post under the pattern, a page (or a post asked for by its slug alone, 301),
//! a post under the default pattern after the pattern changed (301), a month archive
//! (`/{yyyy}/{mm}/`), an old slug (301) or a `redirects` row (301).
//!
//! Public pages (not search) are kept rendered by [`super::cache`] while the blog's version
//! in the database is unchanged.

use axum::Router;
use axum::routing::get;

use crate::http::AppState;

mod entries;
mod lists;
mod post;
mod resolve;

pub use entries::{EntryView, PER_PAGE, body_html, display_title, entry_views, moved, summary};
use lists::search;
pub use lists::{ListPage, ListQuery, month_range};
pub use post::{PostPage, TermLink};
pub use resolve::{UnlockForm, fallback};
use resolve::{author_archive, blog_home, category_archive, public_get, public_post, tag_archive};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/blog", get(|| async { moved("/blog/") }))
        .route("/blog/", get(blog_home))
        .route("/search", get(search))
        .route("/tag/{p1}/", get(tag_archive))
        .route("/category/{p1}/", get(category_archive))
        .route("/author/{p1}/", get(author_archive))
        // Posts (wherever the pattern puts them), pages and month archives: `resolve` tells
        // them apart. Other shapes (`/%postname%.html`, deeper patterns) reach `fallback`.
        .route("/{p1}/", get(public_get).post(public_post))
        .route("/{p1}/{p2}/", get(public_get).post(public_post))
        .route("/{p1}/{p2}/{p3}/", get(public_get).post(public_post))
        .route("/{p1}/{p2}/{p3}/{p4}/", get(public_get).post(public_post))
}
