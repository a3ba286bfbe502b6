//! The blog's store: the one home of its tables' SQL, written once for both backends
//! except full-text search.
//!
//! * `kinds`: the stored states as enums ([`PostKind`], [`PostStatus`], [`CommentStatus`],
//!   [`Moderation`]), each parsed strictly from its column;
//! * [`edits`]: a stored post's changes (fields, status, the scheduled publication) and the
//!   old slugs a change leaves (`post_slug_history`);
//! * `posts`: the `posts` rows ([`Post`], its enums parsed strictly), the one insert, single
//!   posts, the importer's sources and campaign updates;
//! * `listing`: public listings and search;
//! * `post_terms`: slugs in use, categories and tags, the console's post list (the writers'),
//!   the importer's terms and links;
//! * `terms`: terms, authors and redirects as archives and old links read them (and the
//!   importer's redirects);
//! * [`comments`], [`commenters`], [`likes`], [`replies`] (used through `blog::comments`,
//!   `::commenters`, `::likes`, `::replies`) and the blog's [`version`] (the page cache's key).
//!
//! Callers use the re-exported names (`blog::repo::Post`, `blog::repo::list`, …).

pub mod commenters;
pub mod comments;
pub mod edits;
mod kinds;
pub mod likes;
mod listing;
pub mod live;
mod post_terms;
mod posts;
pub mod reactions;
pub mod replies;
mod terms;
mod version;

pub use kinds::*;
pub use listing::*;
pub use post_terms::*;
pub use posts::*;
pub use terms::*;
pub use version::version;
