//! Page chrome every public and console page shares: the layout's context (language,
//! stylesheet, language links) and the error page.

use askama::Template;

use crate::http::AppState;
use crate::i18n::{I18n, SUPPORTED};

/// What every page's layout needs.
pub struct PageCtx {
    pub lang: &'static str,
    pub css: &'static str,
    pub live_js: String,
    /// The donate form's proof-of-work solver (loaded only when a challenge is asked).
    pub pow_js: String,
    pub langs: Vec<LangLink>,
    pub tr: I18n,
    /// The Webmention endpoint every public page advertises (`<link rel="webmention">`).
    pub webmention: String,
    /// The site's logo before its name in the header (a `/media/` path; empty: none).
    pub logo: String,
    /// The site's icon (`<link rel="icon">`; `data:,` when none, so browsers ask for none).
    pub icon: String,
}

pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

impl PageCtx {
    pub fn new(s: &AppState, i18n: &I18n, path: &str) -> PageCtx {
        let next = percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        PageCtx {
            lang: i18n.lang,
            css: crate::http::assets::CSS,
            live_js: s.assets.url("live.js").to_string(),
            pow_js: s.assets.url("pow.js").to_string(),
            webmention: format!("{}/webmention", s.base_url.trim_end_matches('/')),
            logo: i18n.site().map(|x| x.logo.clone()).unwrap_or_default(),
            icon: i18n
                .site()
                .map(|x| x.icon.clone())
                .filter(|i| !i.is_empty())
                .unwrap_or_else(|| "data:,".into()),
            langs: SUPPORTED
                .iter()
                .map(|(code, name)| LangLink {
                    code,
                    name,
                    href: format!("/lang/{code}?next={next}"),
                    current: *code == i18n.lang,
                })
                .collect(),
            tr: i18n.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: PageCtx,
    pub status: u16,
    pub message: String,
    pub request_id: String,
}

/// A page reached through a secret link (a token in its address, as the e-mailed confirm and
/// unsubscribe links are): never cached, and its address never sent on as a `Referer`.
pub fn secret_link_page(status: http::StatusCode, html: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::{HeaderValue, header};
    let mut res = (status, axum::response::Html(html)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}
