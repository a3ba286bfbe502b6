//! The shared web layer: what every capability's pages and forms use — the layout's context
//! and the error page ([`page`]), error bodies for every response ([`errors`]), form field
//! errors and posted fields ([`form`]), the request as a form handler sees it ([`request`]),
//! the API's error body ([`api`]), the site's identity as a form shows it ([`site`]) and a public page's head for sharing and feeds
//! ([`meta`]). It sits on the infrastructure (`http`, `i18n`) and knows no capability.

pub mod api;
pub mod errors;
pub mod form;
pub mod meta;
pub mod page;
pub mod qr;
pub mod request;
pub mod site;

pub use errors::render_errors;
pub use page::{ErrorPage, LangLink, PageCtx};
