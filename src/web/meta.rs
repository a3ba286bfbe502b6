//! What the `<head>` of a public page tells the sites it is shared on and the readers that
//! follow it: canonical link, description, Open Graph and Twitter-card tags, feed links and
//! JSON-LD (`templates/meta.html`). Every URL here is absolute (`http::absolute`): these
//! are read away from the site. Shared by the blog's pages, the campaign page and the front
//! page.

/// A `<link rel="alternate">` to a feed.
pub struct FeedLink {
    pub mime: &'static str,
    /// The format's name (`Atom`, `RSS`, `JSON Feed`), for a visible link.
    pub name: &'static str,
    pub title: String,
    /// Absolute.
    pub href: String,
}

/// The three feeds under `prefix` (`""` for the site, `/tag/x` for a tag, `/campaigns/x`
/// for a campaign's updates); `base` is the base URL without a trailing slash.
pub fn feed_links(base: &str, prefix: &str, title: &str) -> Vec<FeedLink> {
    [
        ("application/atom+xml", "feed.atom", "Atom"),
        ("application/rss+xml", "feed.xml", "RSS"),
        ("application/feed+json", "feed.json", "JSON Feed"),
    ]
    .iter()
    .map(|(mime, file, name)| FeedLink {
        mime,
        name,
        title: format!("{title} ({name})"),
        href: format!("{base}{prefix}/{file}"),
    })
    .collect()
}

/// What the `<head>` of a public page carries.
pub struct Meta {
    pub title: String,
    pub description: String,
    /// Absolute.
    pub canonical: String,
    /// `article` or `website`.
    pub og_type: &'static str,
    /// Absolute; with one the Twitter card is `summary_large_image`.
    pub image: Option<String>,
    /// The image's text alternative; empty for none.
    pub image_alt: String,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub site_name: String,
    pub locale: &'static str,
    pub feeds: Vec<FeedLink>,
    /// Already escaped for a `<script>` data block (`blog::meta::json_for_script`); empty
    /// for none.
    pub json_ld: String,
    /// Ask search engines not to index (search results, password forms).
    pub noindex: bool,
    /// The page's ActivityPub document (a campaign's actor), linked as
    /// `<link rel="alternate" type="application/activity+json">`; absolute.
    pub activity: Option<String>,
    /// The fediverse account behind the page (`@name@host`), as
    /// `<meta name="fediverse:creator">` (Mastodon credits it under shared links).
    pub creator: Option<String>,
    /// The page's oEmbed endpoint (a campaign's embeddable card), linked as
    /// `<link rel="alternate" type="application/json+oembed">`; absolute.
    pub oembed: Option<String>,
}

/// The key of a remote account's avatar, served from our origin at `/avatars/{key}`: the
/// first 32 hex digits of the SHA-256 of the account's id (its URL).
pub fn avatar_key(actor_url: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(actor_url.as_bytes()))[..32].to_string()
}

/// The host (and port, if any) of a base URL.
pub fn authority(base: &str) -> &str {
    let rest = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    rest.split('/').next().unwrap_or(rest)
}

/// A fediverse account's handle, `@name@host`, under the base URL `base`: a campaign's
/// (`name` its slug) or the site's (`None`: named by the host, as federation names it).
pub fn fediverse_handle(base: &str, name: Option<&str>) -> String {
    let host = authority(base);
    format!("@{}@{host}", name.unwrap_or(host))
}

impl Meta {
    /// A `website` page's head: no dates, no JSON-LD, indexed.
    pub fn website(
        title: String,
        description: String,
        canonical: String,
        site_name: String,
        lang: &str,
    ) -> Meta {
        Meta {
            title,
            description,
            canonical,
            og_type: "website",
            image: None,
            image_alt: String::new(),
            published: None,
            modified: None,
            site_name,
            locale: og_locale(lang),
            feeds: Vec::new(),
            json_ld: String::new(),
            noindex: false,
            activity: None,
            creator: None,
            oembed: None,
        }
    }
}

/// The Open Graph locale of an interface language.
pub fn og_locale(lang: &str) -> &'static str {
    match lang {
        "da" => "da_DK",
        _ => "en_GB",
    }
}
