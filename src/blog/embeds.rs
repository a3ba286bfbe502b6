//! Video links as link cards. A paragraph that holds nothing but a YouTube, Vimeo or
//! PeerTube-like URL (bare or as an autolink) becomes a card that links to the video: no
//! iframe, no third-party script or request until the reader follows the link.
//!
//! Applied to the sanitised HTML (after `markdown::to_safe_html`), so the URL it sees is
//! already escaped text; it is checked against a strict character set before reuse.

use shelfraiser_formats::html::escape;

/// Which service a URL belongs to, if it is a video link.
pub fn video_service(url: &str) -> Option<&'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let host = host.strip_prefix("m.").unwrap_or(host);
    match host {
        "youtube.com" | "youtube-nocookie.com"
            if path.starts_with("watch?")
                || path.starts_with("shorts/")
                || path.starts_with("live/")
                || path.starts_with("embed/") =>
        {
            Some("YouTube")
        }
        "youtu.be" if !path.is_empty() => Some("YouTube"),
        "vimeo.com" | "player.vimeo.com"
            if path
                .trim_start_matches("video/")
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Some("Vimeo")
        }
        _ if path.starts_with("videos/watch/") || path.starts_with("w/") && path.len() > 2 => {
            Some("PeerTube")
        }
        _ => None,
    }
}

fn safe_url(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 2000
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c))
        && !u.contains('\'')
}

/// The URL a paragraph's inner HTML consists of, if that is all it holds.
fn lone_url(inner: &str) -> Option<String> {
    let inner = inner.trim();
    if let Some(rest) = inner.strip_prefix("<a href=\"") {
        let end = rest.find('"')?;
        let href = &rest[..end];
        let after = &rest[end..];
        let close = after.find('>')?;
        let text_and_end = &after[close + 1..];
        let text = text_and_end.strip_suffix("</a>")?;
        if text.contains('<') {
            return None;
        }
        return Some(href.to_string());
    }
    if inner.contains('<') || inner.contains(char::is_whitespace) {
        return None;
    }
    Some(inner.to_string())
}

/// Replaces lone video links with link cards. `label(service)` gives the card's text.
pub fn link_cards(html: &str, label: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<p>") {
        let Some(len) = rest[start..].find("</p>") else {
            break;
        };
        let inner = &rest[start + 3..start + len];
        out.push_str(&rest[..start]);
        match lone_url(inner).filter(|u| safe_url(u)).and_then(|u| {
            // The URL is escaped HTML text (`&amp;`): fine inside an attribute as it is.
            let plain = u.replace("&amp;", "&");
            video_service(&plain).map(|svc| (u, svc))
        }) {
            Some((url, svc)) => {
                let text = escape(&label(svc));
                out.push_str(&format!(
                    "<figure class=\"embed video\"><a class=\"embed-card\" href=\"{url}\" \
                     rel=\"noopener noreferrer nofollow ugc\">▶ {text}</a>\
                     <figcaption>{url}</figcaption></figure>"
                ));
            }
            None => out.push_str(&rest[start..start + len + 4]),
        }
        rest = &rest[start + len + 4..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(md: &str) -> String {
        link_cards(&crate::markdown::to_safe_html(md), |s| {
            format!("Watch on {s}")
        })
    }

    #[test]
    fn recognises_services() {
        assert_eq!(
            video_service("https://www.youtube.com/watch?v=abc"),
            Some("YouTube")
        );
        assert_eq!(video_service("https://youtu.be/abc"), Some("YouTube"));
        assert_eq!(video_service("https://vimeo.com/12345"), Some("Vimeo"));
        assert_eq!(
            video_service("https://tube.example.org/w/9d1b"),
            Some("PeerTube")
        );
        assert_eq!(
            video_service("https://tube.example.org/videos/watch/9d1b"),
            Some("PeerTube")
        );
        assert_eq!(video_service("https://example.org/page"), None);
    }

    #[test]
    fn lone_links_become_cards() {
        let out = card("Intro.\n\nhttps://www.youtube.com/watch?v=abc&t=1\n\nAfter.");
        assert!(out.contains("class=\"embed video\""), "{out}");
        assert!(
            out.contains("href=\"https://www.youtube.com/watch?v=abc&amp;t=1\""),
            "{out}"
        );
        assert!(!out.contains("<iframe"));
        let out = card("<https://vimeo.com/123>");
        assert!(out.contains("Watch on Vimeo"), "{out}");
        // Inside a sentence: left alone.
        let out = card("See https://youtu.be/abc today");
        assert!(!out.contains("embed"), "{out}");
    }

    #[test]
    fn hostile_urls_are_left_as_text() {
        let out = card("https://youtu.be/a\"onmouseover=x");
        assert!(!out.contains("embed"), "{out}");
    }
}
