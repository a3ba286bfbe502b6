// SPDX-License-Identifier: AGPL-3.0-or-later

//! `markdown::to_safe_html` on any text: the output never carries a `<script` (any case), an
//! event-handler attribute (`on…=`), a `style` attribute, or a `javascript:`/`vbscript:`/
//! `data:` URL in `href`/`src`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let md = String::from_utf8_lossy(data);
    let html = shelfraiser_formats::markdown::to_safe_html(&md);
    check_html(&md, &html);
    // The excerpt path runs the sanitiser twice and cuts by characters.
    let _ = shelfraiser_formats::markdown::excerpt(&md, 160);
});

fn check_html(md: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("<script"),
        "`<script` in the output\n  input:  {md:?}\n  output: {html:?}"
    );
    for tag in tags(html) {
        for (name, value) in &tag.attrs {
            let name = name.to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "event-handler attribute {name:?} on <{}>\n  input:  {md:?}\n  output: {html:?}",
                tag.name
            );
            assert!(
                name != "style",
                "style attribute on <{}>\n  input:  {md:?}\n  output: {html:?}",
                tag.name
            );
            if matches!(
                name.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href"
            ) {
                // What a browser's URL parser looks at (WHATWG URL): entities decoded, leading
                // and trailing C0 controls and spaces trimmed, tabs and newlines removed
                // anywhere (other control characters inside make the scheme invalid, so the
                // URL is relative), then the scheme compared without case.
                let v: String = decode_entities(value)
                    .trim_matches(|c: char| c <= ' ')
                    .chars()
                    .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !v.starts_with(scheme),
                        "{scheme} URL in {name} on <{}>\n  input:  {md:?}\n  output: {html:?}",
                        tag.name
                    );
                }
            }
        }
    }
}

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// A small tokenizer for the serialised HTML that ammonia emits (text has `<`, `>` and `&`
/// escaped; attribute values are double-quoted, possibly containing `<` and `>`).
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        if i < b.len() && (b[i] == b'!' || b[i] == b'?') {
            // Comment or doctype: skip to the end.
            while i < b.len() && b[i] != b'>' {
                i += 1;
            }
            continue;
        }
        if i < b.len() && b[i] == b'/' {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = html[start..i].to_string();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let an = i;
            while i < b.len()
                && !b[i].is_ascii_whitespace()
                && b[i] != b'='
                && b[i] != b'>'
                && b[i] != b'/'
            {
                i += 1;
            }
            let aname = html[an..i].to_string();
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    i += 1;
                    let vs = i;
                    while i < b.len() && b[i] != q {
                        i += 1;
                    }
                    value = html[vs..i.min(b.len())].to_string();
                    i += 1;
                } else {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = html[vs..i].to_string();
                }
            }
            attrs.push((aname, value));
        }
        out.push(Tag { name, attrs });
    }
    out
}

/// Decodes the few entities the serialiser writes, plus numeric ones.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.find(';').filter(|e| *e <= 12);
        let Some(end) = end else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let decoded = match ent {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            "colon" => Some(':'),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
