// SPDX-License-Identifier: AGPL-3.0-or-later

//! Markdown to safe HTML: CommonMark (+ tables, footnotes, strikethrough) rendered by
//! pulldown-cmark, then sanitised by ammonia (no scripts, no event handlers, no `style`,
//! links get `rel="noopener noreferrer nofollow ugc"`).

use pulldown_cmark::{Options, Parser, html};

pub fn to_safe_html(md: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(md, opts);
    let mut raw = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .clean(&raw)
        .to_string()
}

/// Plain text of the first paragraph, cut to `max` characters (for excerpts and meta tags).
pub fn excerpt(md: &str, max: usize) -> String {
    let first = md
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or("");
    let text: String = ammonia::Builder::empty()
        .clean(&to_safe_html(first))
        .to_string();
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_scripts_and_handlers() {
        let out = to_safe_html(
            "Hi <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
        );
        assert!(!out.contains("<script"));
        assert!(!out.contains("onerror"));
        assert!(!out.contains("javascript:"));
    }

    #[test]
    fn renders_markdown() {
        let out = to_safe_html("# Title\n\n**bold** and [link](https://example.org)");
        assert!(out.contains("<h1>Title</h1>"));
        assert!(out.contains("<strong>bold</strong>"));
        assert!(out.contains("rel=\"noopener noreferrer nofollow ugc\""));
    }

    #[test]
    fn excerpts() {
        assert_eq!(
            excerpt("# H\n\nFirst *para* here.\n\nSecond.", 100),
            "First para here."
        );
        assert_eq!(excerpt("abcdefghij", 5), "abcd…");
    }

    proptest! {
        #[test]
        fn never_emits_script(s in ".{0,200}") {
            let out = to_safe_html(&s);
            prop_assert!(!out.to_ascii_lowercase().contains("<script"));
        }
    }
}
