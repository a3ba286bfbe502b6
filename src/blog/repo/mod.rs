//! The blog's store: the one home of its tables' SQL, written once for both backends
//! except full-text search.
//!
//! * `posts`: the `posts` rows ([`Post`], its enums parsed strictly), the one insert, single
//!   posts, the importer's sources and campaign updates;
//! * `listing`: public listings and search;
//! * `post_terms`: slugs in use, categories and tags, the console's post list (the writers'),
//!   the importer's terms and links;
//! * `terms`: terms, authors and redirects as archives and old links read them (and the
//!   importer's redirects);
//! * [`comments`], [`commenters`], [`likes`] (used through `blog::comments`, `::commenters`,
//!   `::likes`) and the blog's [`version`] (the page cache's key).
//!
//! Callers use the re-exported names (`blog::repo::Post`, `blog::repo::list`, …).

pub mod commenters;
pub mod comments;
pub mod likes;
mod listing;
mod post_terms;
mod posts;
mod terms;
mod version;

pub use listing::*;
pub use post_terms::*;
pub use posts::*;
pub use terms::*;
pub use version::version;
