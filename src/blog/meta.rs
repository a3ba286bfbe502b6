//! Page metadata for blog pages: canonical link, Open Graph and Twitter-card tags, feed
//! links, and JSON-LD (`BlogPosting`) safe to place inside `<script type="application/ld+json">`.

use chrono::{DateTime, SecondsFormat, Utc};

/// A `<link rel="alternate">` to a feed.
pub struct FeedLink {
    pub mime: &'static str,
    pub title: String,
    pub href: String,
}

/// The three feeds under `prefix` (`""` for the site, `/tag/x` for a tag…).
pub fn feed_links(base: &str, prefix: &str, title: &str) -> Vec<FeedLink> {
    [
        ("application/atom+xml", "feed.atom", "Atom"),
        ("application/rss+xml", "feed.xml", "RSS"),
        ("application/feed+json", "feed.json", "JSON Feed"),
    ]
    .iter()
    .map(|(mime, file, name)| FeedLink {
        mime,
        title: format!("{title} ({name})"),
        href: format!("{base}{prefix}/{file}"),
    })
    .collect()
}

/// What the `<head>` of a blog page carries.
pub struct Meta {
    pub title: String,
    pub description: String,
    /// Absolute.
    pub canonical: String,
    /// `article` or `website`.
    pub og_type: &'static str,
    pub image: Option<String>,
    /// What the image shows (`og:image:alt`); `None` when it only decorates.
    pub image_alt: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub site_name: String,
    pub locale: &'static str,
    pub feeds: Vec<FeedLink>,
    /// Already escaped for a `<script>` data block (see [`json_for_script`]); empty for none.
    pub json_ld: String,
    /// Ask search engines not to index (search results, password forms).
    pub noindex: bool,
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// JSON that cannot end its `<script>` element or open a comment: `<`, `>` and `&` are
/// written as `\u003c`, `\u003e`, `\u0026` (still the same JSON value), as are U+2028/9.
pub fn json_for_script(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A schema.org `BlogPosting`.
#[allow(clippy::too_many_arguments)]
pub fn blog_posting(
    headline: &str,
    url: &str,
    description: &str,
    published: Option<DateTime<Utc>>,
    modified: DateTime<Utc>,
    author: Option<(&str, &str)>,
    image: Option<&str>,
    lang: &str,
    site_name: &str,
) -> String {
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": headline,
        "url": url,
        "mainEntityOfPage": url,
        "description": description,
        "dateModified": rfc3339(modified),
        "inLanguage": lang,
        "publisher": { "@type": "Organization", "name": site_name },
    });
    if let Some(p) = published {
        v["datePublished"] = rfc3339(p).into();
    }
    if let Some((name, url)) = author {
        v["author"] = serde_json::json!({ "@type": "Person", "name": name, "url": url });
    }
    if let Some(i) = image {
        v["image"] = i.into();
    }
    json_for_script(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json() {
        let s = json_for_script(&serde_json::json!({"h": "</script><!-- & x"}));
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(back["h"], "</script><!-- & x");
    }
}
