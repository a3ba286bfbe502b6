//! The campaign's card for other sites: the page other sites frame
//! (`/campaigns/{slug}/embed`) and its oEmbed description (`/oembed?url=…`), which the
//! campaign page advertises with `<link rel="alternate" type="application/json+oembed">`.
//!
//! WordPress (and other oEmbed consumers) fetch that description when someone pastes the
//! campaign's address into a post and show its `html`: an `<iframe>` of the card. WordPress
//! frames a provider it does not know in a sandbox without scripts' navigation, so the card
//! works without JavaScript (its links open a new tab); with scripts, the bar follows the
//! campaign's live stream like the campaign page's.

use serde_json::{Value, json};

/// The card's frame size, in CSS pixels (shrunk to the consumer's `maxwidth`).
pub const WIDTH: u32 = 420;
pub const HEIGHT: u32 = 380;
/// How long a consumer may keep the description (seconds); the card itself is live.
pub const CACHE_AGE: u32 = 86_400;

/// The campaign slug an address names: `{base}/campaigns/{slug}`, with or without a
/// trailing slash, query or fragment; `None` for anything else.
pub fn slug_of(base: &str, url: &str) -> Option<String> {
    let rest = url.trim().strip_prefix(base)?.strip_prefix("/campaigns/")?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let slug = rest.strip_suffix('/').unwrap_or(rest);
    let ok = !slug.is_empty()
        && slug.len() <= 100
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then(|| slug.to_string())
}

/// The frame's size for a consumer that asked for at most `max_width` × `max_height`.
pub fn size(max_width: Option<u32>, max_height: Option<u32>) -> (u32, u32) {
    let w = max_width.map_or(WIDTH, |m| m.clamp(200, WIDTH));
    let h = max_height.map_or(HEIGHT, |m| m.clamp(200, HEIGHT));
    (w, h)
}

/// What the oEmbed description says about the campaign.
pub struct Described<'a> {
    pub base: &'a str,
    pub slug: &'a str,
    pub title: &'a str,
    pub site_name: &'a str,
    /// Absolute.
    pub thumbnail: Option<&'a str>,
    pub width: u32,
    pub height: u32,
}

/// The oEmbed 1.0 description (`type: rich`), its `html` the card's frame.
pub fn oembed(d: &Described<'_>) -> Value {
    use shelfraiser_formats::html::escape;
    let src = format!("{}/campaigns/{}/embed", d.base, d.slug);
    let html = format!(
        "<iframe src=\"{}\" width=\"{}\" height=\"{}\" title=\"{}\" loading=\"lazy\" \
         style=\"border:0;max-width:100%\"></iframe>",
        escape(&src),
        d.width,
        d.height,
        escape(d.title)
    );
    let mut doc = json!({
        "version": "1.0",
        "type": "rich",
        "title": d.title,
        "provider_name": d.site_name,
        "provider_url": format!("{}/", d.base),
        "html": html,
        "width": d.width,
        "height": d.height,
        "cache_age": CACHE_AGE,
    });
    if let Some(t) = d.thumbnail {
        doc["thumbnail_url"] = json!(t);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://give.example.org";

    #[test]
    fn only_our_campaign_addresses_name_a_slug() {
        for (url, slug) in [
            ("https://give.example.org/campaigns/roof", Some("roof")),
            ("https://give.example.org/campaigns/roof/", Some("roof")),
            (
                "https://give.example.org/campaigns/roof?ref=x#donate",
                Some("roof"),
            ),
            ("https://give.example.org/campaigns/roof/donors", None),
            ("https://give.example.org/campaigns/", None),
            ("https://elsewhere.example/campaigns/roof", None),
            ("https://give.example.org.evil.example/campaigns/roof", None),
            ("https://give.example.org/campaigns/Ro%6Ff", None),
        ] {
            assert_eq!(slug_of(BASE, url).as_deref(), slug, "{url}");
        }
    }

    #[test]
    fn the_description_frames_the_card_within_the_size_asked() {
        assert_eq!(size(None, None), (WIDTH, HEIGHT));
        assert_eq!(size(Some(300), Some(5000)), (300, HEIGHT));
        assert_eq!(size(Some(10), None), (200, HEIGHT));
        let d = oembed(&Described {
            base: BASE,
            slug: "roof",
            title: "A \"roof\" <now>",
            site_name: "Give",
            thumbnail: None,
            width: 300,
            height: 300,
        });
        assert_eq!(d["type"], "rich");
        assert_eq!(d["version"], "1.0");
        let html = d["html"].as_str().expect("html");
        assert!(html.starts_with(
            "<iframe src=\"https://give.example.org/campaigns/roof/embed\" width=\"300\""
        ));
        assert!(html.contains("title=\"A &quot;roof&quot; &lt;now&gt;\""));
        assert!(d.get("thumbnail_url").is_none());
    }
}
