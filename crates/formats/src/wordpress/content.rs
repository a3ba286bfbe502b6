// SPDX-License-Identifier: AGPL-3.0-or-later

//! Turning WordPress post content into what Shelfraiser stores.
//!
//! WordPress stores HTML (Gutenberg adds block comments; the classic editor leaves paragraphs
//! as blank-line-separated text that `wpautop` wraps on display). Shelfraiser stores a post
//! body as Markdown, and Markdown allows inline HTML; every rendered body goes through
//! ammonia. So the importer stores **cleaned HTML in `body_md`**, shaped so that CommonMark
//! passes it through untouched: every top-level chunk is an HTML block (text chunks are
//! wrapped in `<p>`, single newlines become `<br>`, as `wpautop` does), which keeps `*`, `_`,
//! `#` or `1.` in the text from being read as Markdown.
//!
//! * Gutenberg block comments (`<!-- wp:… -->`, `<!-- /wp:… -->`) are removed.
//! * `[caption]` → `<figure>` with `<figcaption>`; `[embed]URL[/embed]` → a link on its own
//!   line (the reading side turns video links into link cards); `[gallery]` → a `<figure>` of
//!   the images; `[audio]`/`[video]` → a link to the file (no players or third-party script).
//! * `<!--more-->` becomes [`MORE`] on a line of its own; the text before it is the
//!   excerpt when the post has none.
//! * Links to other imported posts (and to copied attachments) are rewritten to their new
//!   paths by [`rewrite_links`].

use std::collections::HashMap;

/// The excerpt break kept in stored bodies (an HTML comment: invisible once rendered).
pub const MORE: &str = "<!--more-->";

/// Everything the conversion needs to know about other items of the export.
#[derive(Default)]
pub struct Context {
    /// Old URL path (and query) on the WordPress site → new path.
    pub paths: HashMap<String, String>,
    /// Attachment id → its URL (the copied media path or the original URL).
    pub attachments: HashMap<i64, String>,
    /// Post id → ids of attachments whose parent it is (for `[gallery]` without ids).
    pub children: HashMap<i64, Vec<i64>>,
    /// Hosts of the old site (`example.org`, `www.example.org`).
    pub hosts: Vec<String>,
}

pub struct Converted {
    pub body: String,
    /// Plain text before `<!--more-->`, if there was one.
    pub teaser: Option<String>,
}

pub fn convert(html: &str, post_id: i64, cx: &Context) -> Converted {
    let s = strip_block_comments(html);
    let s = shortcodes(&s, post_id, cx);
    let s = rewrite_links(&s, cx);
    let (s, teaser) = more_break(&s);
    Converted {
        body: autop(&s),
        teaser,
    }
}

/// Removes `<!-- wp:… -->`, `<!-- /wp:… -->` and `<!-- wp:… /-->` comments.
pub fn strip_block_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let t = after.trim_start();
        if (t.starts_with("wp:") || t.starts_with("/wp:"))
            && let Some(end) = after.find("-->")
        {
            rest = &after[end + 3..];
            continue;
        }
        out.push_str("<!--");
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Splits at the first `<!--more…-->`.
fn more_break(s: &str) -> (String, Option<String>) {
    let Some(i) = s.find("<!--more") else {
        return (s.to_string(), None);
    };
    let Some(end) = s[i..].find("-->") else {
        return (s.to_string(), None);
    };
    let before = &s[..i];
    let after = &s[i + end + 3..];
    let teaser = plain_text(before);
    let body = format!("{}\n\n{MORE}\n\n{}", before.trim_end(), after.trim_start());
    (body, (!teaser.is_empty()).then_some(teaser))
}

/// Tags removed, entities decoded, whitespace collapsed.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let name: String = rest[i + 1..i + end]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        const INLINE: &[&str] = &[
            "a", "strong", "em", "b", "i", "span", "code", "abbr", "sup", "sub", "small", "mark",
            "s", "u", "del", "ins", "q", "cite",
        ];
        if !INLINE.contains(&name.as_str()) {
            out.push(' ');
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    let out = super::parser::decode_entities(&out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `key="value"` / `key='value'` / `key=value` pairs of a shortcode's attribute text.
fn sc_attrs(s: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_ascii_lowercase();
        let v = rest[eq + 1..].trim_start();
        let (value, next) = if let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') {
            match v[1..].find(q) {
                Some(e) => (&v[1..1 + e], &v[e + 2..]),
                None => (&v[1..], ""),
            }
        } else {
            match v.find(char::is_whitespace) {
                Some(e) => (&v[..e], &v[e..]),
                None => (v, ""),
            }
        };
        // a key may be preceded by bare words: keep the last word
        let key = key
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("")
            .to_string();
        m.insert(key, value.to_string());
        rest = next.trim_start();
    }
    m
}

fn esc_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Finds `[name …]` (and its `[/name]` when `enclosing`); returns (start, end, attrs, inner).
fn find_sc<'a>(s: &'a str, name: &str, from: usize) -> Option<(usize, usize, &'a str, &'a str)> {
    let open = format!("[{name}");
    let mut pos = from;
    loop {
        let i = pos + s[pos..].find(&open)?;
        let after = &s[i + open.len()..];
        let next = after.chars().next()?;
        if !(next == ']' || next == ' ' || next == '/') {
            pos = i + open.len();
            continue;
        }
        let close_br = after.find(']')?;
        let attrs = after[..close_br].trim_end_matches('/');
        let body_start = i + open.len() + close_br + 1;
        let close = format!("[/{name}]");
        if let Some(j) = s[body_start..].find(&close) {
            // only when no other opening of the same shortcode comes first
            let inner = &s[body_start..body_start + j];
            if !inner.contains(&open) {
                return Some((i, body_start + j + close.len(), attrs, inner));
            }
        }
        return Some((i, body_start, attrs, ""));
    }
}

fn replace_sc(
    s: &str,
    name: &str,
    mut f: impl FnMut(&HashMap<String, String>, &str) -> String,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    while let Some((a, b, attrs, inner)) = find_sc(s, name, pos) {
        out.push_str(&s[pos..a]);
        out.push_str(&f(&sc_attrs(attrs), inner));
        pos = b;
    }
    out.push_str(&s[pos..]);
    out
}

fn link_block(url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return String::new();
    }
    format!(
        "\n\n<p><a href=\"{0}\">{1}</a></p>\n\n",
        esc_attr(url),
        esc_attr(url)
    )
}

pub fn shortcodes(s: &str, post_id: i64, cx: &Context) -> String {
    if !s.contains('[') {
        return s.to_string();
    }
    let s = replace_sc(s, "caption", |a, inner| {
        // The caption text follows the image (or the link around it).
        let inner = inner.trim();
        let (media, text) = match inner.rfind('>') {
            Some(i) => (&inner[..=i], inner[i + 1..].trim()),
            None => ("", inner),
        };
        let text = if text.is_empty() {
            a.get("caption").map(String::as_str).unwrap_or("")
        } else {
            text
        };
        format!(
            "\n\n<figure>{}<figcaption>{}</figcaption></figure>\n\n",
            media.trim(),
            text
        )
    });
    let s = replace_sc(&s, "wp_caption", |a, inner| {
        format!(
            "\n\n<figure>{}<figcaption>{}</figcaption></figure>\n\n",
            inner.trim(),
            esc_attr(a.get("caption").map(String::as_str).unwrap_or(""))
        )
    });
    let s = replace_sc(&s, "embed", |a, inner| {
        let url = if inner.trim().is_empty() {
            a.get("src").cloned().unwrap_or_default()
        } else {
            inner.trim().to_string()
        };
        link_block(&url)
    });
    let s = replace_sc(&s, "gallery", |a, _| {
        let ids: Vec<i64> = match a.get("ids").or_else(|| a.get("include")) {
            Some(list) => list
                .split(',')
                .filter_map(|x| x.trim().parse().ok())
                .collect(),
            None => cx.children.get(&post_id).cloned().unwrap_or_default(),
        };
        let is_image = |u: &&String| {
            let l = u.to_ascii_lowercase();
            [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
                .iter()
                .any(|e| l.ends_with(e))
        };
        let imgs: String = ids
            .iter()
            .filter_map(|id| cx.attachments.get(id))
            .filter(is_image)
            .map(|u| format!("<img src=\"{}\" alt=\"\">", esc_attr(u)))
            .collect();
        if imgs.is_empty() {
            String::new()
        } else {
            format!("\n\n<figure>{imgs}</figure>\n\n")
        }
    });
    let media = |a: &HashMap<String, String>, inner: &str, exts: &[&str]| {
        let mut url = a.get("src").cloned().unwrap_or_default();
        if url.is_empty() {
            for e in exts {
                if let Some(u) = a.get(*e) {
                    url = u.clone();
                    break;
                }
            }
        }
        if url.is_empty() {
            url = inner.trim().to_string();
        }
        link_block(&url)
    };
    let s = replace_sc(&s, "audio", |a, inner| {
        media(a, inner, &["mp3", "m4a", "ogg", "wav", "flac"])
    });
    replace_sc(&s, "video", |a, inner| {
        media(
            a,
            inner,
            &["mp4", "m4v", "webm", "ogv", "mov", "wmv", "flv"],
        )
    })
}

/// Old site's URL (absolute with a known host, or root-relative) → the key used in
/// [`Context::paths`]: path plus query, the path with a trailing `/`.
pub fn path_key(url: &str, hosts: &[String]) -> Option<String> {
    let url = url.trim();
    let rest = if let Some(r) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("//"))
    {
        let (host, path) = match r.find(['/', '?', '#']) {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, "/"),
        };
        let host = host.to_ascii_lowercase();
        let bare = host.strip_prefix("www.").unwrap_or(&host);
        if !hosts
            .iter()
            .any(|h| h.strip_prefix("www.").unwrap_or(h) == bare)
        {
            return None;
        }
        path
    } else if url.starts_with('/') {
        url
    } else {
        return None;
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let mut path = if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    };
    let is_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    if !path.ends_with('/') && !is_file {
        path.push('/');
    }
    Some(match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    })
}

/// `/x/photo-300x200.jpg` → `/x/photo.jpg` (WordPress's resized copies of an upload).
fn without_size_suffix(path: &str) -> Option<String> {
    let (stem, ext) = path.rsplit_once('.')?;
    let (name, size) = stem.rsplit_once('-')?;
    let (w, h) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(w) && digits(h)).then(|| format!("{name}.{ext}"))
}

/// Rewrites `href`/`src` values that point at imported posts or attachments.
pub fn rewrite_links(s: &str, cx: &Context) -> String {
    if cx.paths.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let next = ["href=", "src="]
            .iter()
            .filter_map(|k| rest.find(k).map(|i| (i, k.len())))
            .min();
        let Some((i, klen)) = next else { break };
        let vstart = i + klen;
        out.push_str(&rest[..vstart]);
        let after = &rest[vstart..];
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            rest = after;
            continue;
        };
        let Some(end) = after[1..].find(q) else {
            rest = after;
            continue;
        };
        let value = &after[1..1 + end];
        let decoded = value.replace("&amp;", "&");
        let new = path_key(&decoded, &cx.hosts).and_then(|k| {
            let frag = decoded.find('#').map(|i| &decoded[i..]).unwrap_or("");
            cx.paths
                .get(&k)
                .or_else(|| cx.paths.get(&without_size_suffix(&k)?))
                .map(|p| format!("{p}{frag}"))
        });
        out.push(q);
        out.push_str(new.as_deref().unwrap_or(value));
        out.push(q);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "blockquote",
    "table",
    "pre",
    "hr",
    "section",
    "article",
    "aside",
    "details",
    "iframe",
    "address",
    "!--",
    "form",
    "fieldset",
    "header",
    "footer",
    "nav",
    "center",
    "script",
    "style",
    "dd",
    "dt",
];

fn starts_with_block(chunk: &str) -> bool {
    let Some(rest) = chunk.strip_prefix('<') else {
        return false;
    };
    let rest = rest.trim_start_matches('/');
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase();
    BLOCK_TAGS
        .iter()
        .any(|t| name == *t || (t.starts_with('!') && name.starts_with("!--")))
}

/// `wpautop`, simplified: blank-line-separated text chunks become `<p>` blocks with `<br>`
/// for single newlines; chunks starting with a block tag stay; `<pre>` is left alone.
pub fn autop(s: &str) -> String {
    let s = s.replace("\r\n", "\n");
    let mut out = String::with_capacity(s.len() + 64);
    let mut chunks: Vec<String> = Vec::new();
    // keep <pre>…</pre> whole
    let mut rest = s.as_str();
    let mut cur = String::new();
    loop {
        match rest.find("<pre") {
            Some(i) => {
                cur.push_str(&rest[..i]);
                let end = rest[i..]
                    .find("</pre>")
                    .map(|e| i + e + 6)
                    .unwrap_or(rest.len());
                for c in cur.split("\n\n") {
                    chunks.push(c.to_string());
                }
                cur.clear();
                chunks.push(format!("\u{0}{}", &rest[i..end]));
                rest = &rest[end..];
            }
            None => {
                cur.push_str(rest);
                for c in cur.split("\n\n") {
                    chunks.push(c.to_string());
                }
                break;
            }
        }
    }
    for c in chunks {
        if let Some(pre) = c.strip_prefix('\u{0}') {
            out.push_str(pre);
            out.push_str("\n\n");
            continue;
        }
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        if starts_with_block(c) {
            out.push_str(c);
        } else {
            out.push_str("<p>");
            out.push_str(
                &c.lines()
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("<br>\n"),
            );
            out.push_str("</p>");
        }
        out.push_str("\n\n");
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// A URL-safe slug (the blog's own [`crate::slug::slugify`]), after decoding the
/// percent-encoding WordPress uses for non-ASCII slugs.
pub fn slugify(s: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
    crate::slug::slugify(&decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gutenberg_and_more() {
        let cx = Context::default();
        let c = convert(
            "<!-- wp:paragraph -->\n<p>Intro *here*</p>\n<!-- /wp:paragraph -->\n\n<!--more-->\n\n<!-- wp:separator /-->\nRest\nline",
            1,
            &cx,
        );
        assert!(!c.body.contains("wp:"), "{}", c.body);
        assert!(c.body.contains(MORE));
        assert!(c.body.contains("<p>Rest<br>\nline</p>"), "{}", c.body);
        assert_eq!(c.teaser.as_deref(), Some("Intro *here*"));
    }

    #[test]
    fn shortcodes_convert() {
        let mut cx = Context::default();
        cx.attachments.insert(5, "/media/a.jpg".into());
        cx.attachments.insert(6, "https://x.example/b.png".into());
        let out = shortcodes(
            r#"[caption id="attachment_5" width="300"]<img src="/a.jpg" /> A roof[/caption] [gallery ids="5,6"] [embed]https://vimeo.com/1[/embed] [audio mp3="https://x.example/a.mp3"][/audio] [video src="https://x.example/v.mp4"] [unknown x=1]"#,
            1,
            &cx,
        );
        assert!(
            out.contains("<figure><img src=\"/a.jpg\" /><figcaption>A roof</figcaption></figure>"),
            "{out}"
        );
        assert!(
            out.contains("<img src=\"/media/a.jpg\" alt=\"\"><img src=\"https://x.example/b.png\""),
            "{out}"
        );
        assert_eq!(plain_text("<p>A <em>b</em>.</p><p>C</p>"), "A b. C");
        assert!(out.contains("<a href=\"https://vimeo.com/1\">"), "{out}");
        assert!(
            out.contains("<a href=\"https://x.example/a.mp3\">"),
            "{out}"
        );
        assert!(
            out.contains("<a href=\"https://x.example/v.mp4\">"),
            "{out}"
        );
        assert!(out.contains("[unknown x=1]"));
        assert!(!out.contains("[caption") && !out.contains("[gallery") && !out.contains("[video"));
    }

    #[test]
    fn links_rewritten() {
        let mut cx = Context {
            hosts: vec!["old.example".into()],
            ..Context::default()
        };
        cx.paths
            .insert("/2019/05/03/hello/".into(), "/2019/05/03/hello/".into());
        cx.paths
            .insert("/?p=12".into(), "/2019/05/03/hello/".into());
        let out = rewrite_links(
            r#"<a href="https://www.old.example/2019/05/03/hello">x</a> <a href='http://old.example/?p=12#c'>y</a> <a href="https://other.example/?p=12">z</a>"#,
            &cx,
        );
        assert_eq!(
            out,
            r#"<a href="/2019/05/03/hello/">x</a> <a href='/2019/05/03/hello/#c'>y</a> <a href="https://other.example/?p=12">z</a>"#
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("Caf%c3%a9 t%c3%a9"), "cafe-te");
        assert_eq!(slugify("It’s"), "its");
        assert_eq!(slugify("!!!"), "");
    }
}
