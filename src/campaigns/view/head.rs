//! The campaign page's head: what a shared link previews (title, summary, the cover — or the
//! site's default share image — absolute, a large-image card) and its updates' feeds.

use crate::campaigns::Campaign;
use crate::http::AppState;
use crate::i18n::I18n;
use crate::web::meta::{Meta, feed_links};

/// The campaign's share image, absolute: its cover, else the site's default (a PNG: share
/// previews show no SVG).
pub fn share_image(s: &AppState, c: &Campaign) -> String {
    s.absolute(
        c.cover_image_url
            .as_deref()
            .unwrap_or_else(|| s.assets.url("share.png")),
    )
}

pub fn meta(s: &AppState, tr: &I18n, c: &Campaign) -> Meta {
    let path = format!("/campaigns/{}", c.slug);
    let mut m = Meta::website(
        c.title.clone(),
        c.summary.clone(),
        s.absolute(&path),
        tr.t("site-name"),
        tr.lang,
    );
    m.image = Some(share_image(s, c));
    m.image_alt = c.cover_image_alt.clone().unwrap_or_default();
    m.feeds = feed_links(s.base_url.trim_end_matches('/'), &path, &c.title);
    // The campaign's actor is its page, served as JSON for `Accept: application/activity+json`.
    m.activity = Some(s.absolute(&path));
    // Pasting the campaign's address into WordPress (or any oEmbed consumer) embeds its card.
    let url = s.absolute(&path);
    let q = percent_encoding::utf8_percent_encode(&url, percent_encoding::NON_ALPHANUMERIC);
    m.oembed = Some(s.absolute(&format!("/oembed?url={q}&format=json")));
    m.creator = Some(crate::web::meta::fediverse_handle(
        &s.base_url,
        Some(c.slug.as_str()),
    ));
    m
}
