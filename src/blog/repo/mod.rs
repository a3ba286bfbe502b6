//! The blog's store: the one home of its tables' SQL — `posts` (`posts`: rows, the one
//! insert, single posts), public listings (`listing`), terms, authors and redirects
//! (`terms`), comments ([`comments`], used through `blog::comments`), confirmed commenters
//! ([`commenters`]), likes ([`likes`]) and the blog's [`version`] (the page cache's key). Written once for both backends except full-text search. Callers use the
//! re-exported names (`blog::repo::Post`, `blog::repo::list`, …).

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
