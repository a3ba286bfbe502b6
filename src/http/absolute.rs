//! Absolute URLs for what is read away from the site — share previews (Open Graph, Twitter
//! cards, canonical links, JSON-LD), feeds and e-mails — where a root-relative `/media/…`
//! means nothing.
//!
//! * [`url`]: one address. A root-relative path (`/x`, not `//x`) gets the base URL in front
//!   (so a site under a sub-path keeps it); anything with a scheme is left as it is; any
//!   other relative reference is resolved against the page it appears on.
//! * [`html`]: every `href`, `src`, `poster`, `cite` and each `srcset` candidate in an HTML
//!   fragment made absolute the same way, with an HTML rewriter (lol_html), not string edits.

use lol_html::{RewriteStrSettings, element, rewrite_str};

/// Attributes that hold one URL.
const URL_ATTRS: &[&str] = &["href", "src", "poster", "cite"];

/// Whether `v` starts with a URL scheme (`https:`, `mailto:`, `data:`…).
fn has_scheme(v: &str) -> bool {
    let Some((scheme, _)) = v.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `href` made absolute: root-relative paths from `base` (no trailing slash), other relative
/// references against `page` (an absolute URL; when it is not one they stay as they are).
pub fn url(base: &str, page: &str, href: &str) -> String {
    let v = href.trim();
    let base = base.trim_end_matches('/');
    if v.starts_with('/') && !v.starts_with("//") && !v.starts_with("/\\") {
        return format!("{base}{v}");
    }
    if has_scheme(v) {
        return v.to_string();
    }
    let page = if page.is_empty() { base } else { page };
    match ::url::Url::parse(page).and_then(|p| p.join(v)) {
        Ok(u) => u.to_string(),
        Err(_) => v.to_string(),
    }
}

/// A root-relative path or an absolute URL made absolute from `base` alone.
pub fn from_base(base: &str, href: &str) -> String {
    url(base, "", href)
}

/// Each candidate's URL in a `srcset` made absolute, descriptors kept (the candidate list of
/// the HTML standard: URLs end at white space, candidates at a comma outside them).
pub fn srcset(base: &str, page: &str, set: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut rest = set;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (raw, after) = rest.split_at(end);
        // A URL that ends in commas ends its candidate (no descriptors).
        let trimmed = raw.trim_end_matches(',');
        if trimmed.len() < raw.len() {
            out.push(url(base, page, trimmed));
            rest = after;
            continue;
        }
        let desc_end = after.find(',').unwrap_or(after.len());
        let desc = after[..desc_end].trim();
        let abs = url(base, page, raw);
        out.push(if desc.is_empty() {
            abs
        } else {
            format!("{abs} {desc}")
        });
        rest = &after[desc_end..];
    }
    out.join(", ")
}

/// An HTML fragment with every link, image, media and citation URL made absolute (see the
/// module notes). `page` is the fragment's own address, for page-relative references. Input
/// the rewriter cannot read is returned unchanged (our input is the sanitiser's output).
pub fn html(base: &str, page: &str, fragment: &str) -> String {
    // The base goes into attribute values as written: escape what HTML would read.
    let base_attr = base.replace('&', "&amp;");
    let base_attr = base_attr.as_str();
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("[href], [src], [poster], [cite]", |el| {
            for name in URL_ATTRS {
                if let Some(v) = el.get_attribute(name) {
                    el.set_attribute(name, &url(base_attr, page, &v))?;
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("[srcset]", |el| {
            if let Some(v) = el.get_attribute("srcset") {
                el.set_attribute("srcset", &srcset(base_attr, page, &v))?;
            }
            Ok(())
        }));
    rewrite_str(fragment, settings).unwrap_or_else(|_| fragment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://give.example.org";
    const PAGE: &str = "https://give.example.org/2024/05/01/hello/";

    #[test]
    fn one_url() {
        assert_eq!(
            from_base(BASE, "/media/a.jpg"),
            "https://give.example.org/media/a.jpg"
        );
        assert_eq!(
            from_base("https://x.org/give/", "/media/a.jpg"),
            "https://x.org/give/media/a.jpg"
        );
        assert_eq!(
            from_base(BASE, "https://cdn.example.net/x.png"),
            "https://cdn.example.net/x.png"
        );
        assert_eq!(url(BASE, PAGE, "mailto:a@b.org"), "mailto:a@b.org");
        assert_eq!(url(BASE, PAGE, "#c-1"), format!("{PAGE}#c-1"));
        assert_eq!(
            url(BASE, PAGE, "pic.jpg"),
            "https://give.example.org/2024/05/01/hello/pic.jpg"
        );
        assert_eq!(
            url(BASE, PAGE, "//cdn.example.net/x"),
            "https://cdn.example.net/x"
        );
        assert!(!has_scheme("/a:b") && !has_scheme("1x:y") && has_scheme("web+x:y"));
    }

    #[test]
    fn srcset_candidates() {
        assert_eq!(
            srcset(BASE, PAGE, "/m/a-480.jpg 480w, /m/a.jpg 1600w"),
            "https://give.example.org/m/a-480.jpg 480w, https://give.example.org/m/a.jpg 1600w"
        );
        assert_eq!(
            srcset(BASE, PAGE, " /a.jpg,, /b.jpg 2x ,https://c.org/c.jpg"),
            "https://give.example.org/a.jpg, https://give.example.org/b.jpg 2x, https://c.org/c.jpg"
        );
        // A comma inside a URL (not at its end) belongs to the URL, as the standard reads it.
        assert_eq!(
            srcset(BASE, PAGE, "/a,b.jpg 1x"),
            "https://give.example.org/a,b.jpg 1x"
        );
    }

    #[test]
    fn html_fragment() {
        let input = r#"<p><a href="/tag/books/">books</a> <img src="/media/a.jpg" srcset="/media/a-480.jpg 480w, /media/a.jpg 1200w" alt="a &quot;b&quot;"> <a href="https://example.net/?a=1&amp;b=2">x</a> <a href="/search?q=a&amp;b">s</a></p><pre><code>&lt;img src="/not/a/tag"&gt;</code></pre>"#;
        let out = html(BASE, PAGE, input);
        assert_eq!(
            out,
            r#"<p><a href="https://give.example.org/tag/books/">books</a> <img src="https://give.example.org/media/a.jpg" srcset="https://give.example.org/media/a-480.jpg 480w, https://give.example.org/media/a.jpg 1200w" alt="a &quot;b&quot;"> <a href="https://example.net/?a=1&amp;b=2">x</a> <a href="https://give.example.org/search?q=a&amp;b">s</a></p><pre><code>&lt;img src="/not/a/tag"&gt;</code></pre>"#
        );
        // A base with a query-like character stays well-formed in the attribute.
        let odd = html("https://x.org/a&b", PAGE, r#"<a href="/p">p</a>"#);
        assert_eq!(odd, r#"<a href="https://x.org/a&amp;b/p">p</a>"#);
    }
}
