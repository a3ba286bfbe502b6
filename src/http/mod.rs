//! HTTP primitives (infrastructure): the shared state handed to every handler, the error
//! type and its status codes, client addresses, CSRF keys, body limits and timeouts, metrics,
//! static assets, absolute URLs from the base URL and the campaign page cache. The router
//! and the site-wide middleware are the application's (`app`); page chrome is the shared web
//! layer's (`web`).

pub mod absolute;
pub mod assets;
pub mod client_ip;
pub mod compress;
pub mod csrf;
pub mod error;
pub mod flight;
pub mod limits;
pub mod metrics;
pub mod page_cache;
pub mod redirect;
pub mod versioned_pages;
pub mod views;
pub mod visitor;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::header;
use http::request::Parts;

pub use client_ip::ClientIp;
pub use error::AppError;

use crate::config::Settings;
use crate::db::Db;
use crate::i18n::I18n;
use crate::live::Hub;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub settings: Settings,
    pub base_url: String,
    pub hub: Hub,
    pub providers: crate::payments::Providers,
    pub csrf: csrf::CsrfKey,
    pub assets: assets::Assets,
    pub metrics: metrics::Metrics,
    pub pages: page_cache::PageCache,
    pub mailer: crate::mail::Mailer,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Trusted reverse proxies, for the [`ClientIp`] extractor.
    pub proxies: client_ip::Proxies,
    /// The site key that hashes donors' client addresses for the donate form's rate limits
    /// (`donations::checkout::Limits`; `checkout_limit_key` in the database, shared by every
    /// node).
    pub checkout_key: crate::config::Secret,
    /// The bounded password hasher (argon2 memory and CPU per node).
    pub hasher: crate::passwords::Hasher,
    /// The guarded outbound HTTP client (`outbound_allow`; federation, Webmention, link
    /// previews).
    pub outbound: crate::outbound::Outbound,
    /// Page views counted since the last flush (`views`; `promotion::insight::flush`).
    pub views: Arc<views::Views>,
    /// The site's identity (name, description, language…), kept in memory and read again
    /// every few seconds (`i18n::site`); the application puts it on every request.
    pub site: std::sync::Arc<crate::i18n::site::SiteCache>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> AppState {
        AppState(Arc::new(inner))
    }

    /// A root-relative path (`/media/…`) as an absolute URL from the base URL; absolute URLs
    /// stay as they are ([`absolute::from_base`]).
    pub fn absolute(&self, href: &str) -> String {
        absolute::from_base(&self.base_url, href)
    }
}

/// A response extension: this page may be shown in a frame on other sites (the campaign's
/// embeddable card). The application's security headers then allow any frame ancestor
/// instead of denying all; only a handler that inserts this marker gets the exception.
#[derive(Debug, Clone, Copy)]
pub struct Framable;

/// The request's interface language (from the `lang` cookie or `Accept-Language`, else the
/// site's), speaking for the site ([`SiteOf`]).
pub struct Lang(pub I18n);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang(lang_of(parts)))
    }
}

/// A request extension: the site's identity as the node knew it when the request arrived
/// (put there by the application's middleware, from [`Inner::site`]).
#[derive(Clone)]
pub struct SiteOf(pub std::sync::Arc<crate::i18n::site::Site>);

/// The request's translator: its language and the site's identity.
pub fn lang_of(parts: &Parts) -> I18n {
    lang_with(
        &parts.headers,
        parts.extensions.get::<SiteOf>().map(|s| s.0.clone()),
    )
}

/// [`lang_of`] from the headers and the identity apart (a response's middleware keeps them).
pub fn lang_with(
    headers: &http::HeaderMap,
    site: Option<std::sync::Arc<crate::i18n::site::Site>>,
) -> I18n {
    let cookie = cookie(headers, "lang");
    let al = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    I18n::negotiate_for(cookie.as_deref(), al, site)
}

/// A cookie's value by name.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}
