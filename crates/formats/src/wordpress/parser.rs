// SPDX-License-Identifier: AGPL-3.0-or-later

//! A streaming reader for WordPress eXtended RSS (WXR 1.0–1.2) exports.
//!
//! The file is read through a `BufReader` with quick-xml's pull parser; only one top-level
//! element of the channel (an `<item>`, `<wp:author>`, `<wp:category>`, `<wp:tag>`,
//! `<wp:term>` or a simple channel field) is held in memory at a time, so a 500 MB export
//! needs about as much memory as its largest post (with its comments).
//!
//! Element names are matched by their qualified name with the prefixes WordPress always
//! writes (`wp:`, `content:`, `excerpt:`, `dc:`); unknown elements are ignored. Text and
//! CDATA sections are concatenated, so a CDATA section split around `]]>`
//! (`]]]]><![CDATA[>`) reads back as `]]>`.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// A malformed export: what went wrong and the byte offset (turned into a line number by
/// [`line_at`] when the file is at hand).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub position: u64,
}

/// The deepest nesting of elements read (a WordPress export nests five or six levels; the
/// post bodies are text or CDATA, not elements). Deeper is refused with a [`ParseError`]: the
/// tree would cost a stack frame per level to drop, and 300,000 levels overflowed it.
pub const MAX_DEPTH: usize = 256;

/// One element of the export, as a small tree (bounded by the element's own size, and
/// [`MAX_DEPTH`] deep).
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The text of the first child called `name` ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.children
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.text.as_str())
            .unwrap_or("")
    }

    pub fn get_trim(&self, name: &str) -> &str {
        self.get(name).trim()
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Author {
    pub id: i64,
    pub login: String,
    pub email: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// `category` or `tag`.
    pub taxonomy: &'static str,
    pub slug: String,
    pub name: String,
    /// The parent's slug (categories only).
    pub parent: String,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct ItemTerm {
    /// The `domain` attribute: `category`, `post_tag`, `post_format`, …
    pub domain: String,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub date: String,
    pub date_gmt: String,
    pub content: String,
    pub approved: String,
    pub kind: String,
    pub parent: i64,
    pub user_id: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub guid: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub id: i64,
    pub date: String,
    pub date_gmt: String,
    pub modified_gmt: String,
    pub comment_status: String,
    pub slug: String,
    pub status: String,
    pub parent: i64,
    pub post_type: String,
    pub password: String,
    pub sticky: bool,
    pub attachment_url: String,
    pub terms: Vec<ItemTerm>,
    pub meta: Vec<(String, String)>,
    pub comments: Vec<Comment>,
}

impl Item {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What the reader yields, in document order.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A simple channel element: `title`, `link`, `wp:base_site_url`, `wp:base_blog_url`,
    /// `wp:wxr_version`, …
    Channel(String, String),
    Author(Author),
    /// A category or tag (`wp:category`, `wp:tag`, or a `wp:term` of those taxonomies).
    Term(Term),
    /// A `wp:term` of another taxonomy (menus, post formats): reported, not imported.
    OtherTerm {
        taxonomy: String,
        slug: String,
    },
    Item(Box<Item>),
}

pub struct WxrReader<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
    in_channel: bool,
    seen_rss: bool,
    done: bool,
}

fn qname(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn html_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "hellip" => "…",
        "mdash" => "—",
        "ndash" => "–",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "euro" => "€",
        "pound" => "£",
        "eacute" => "é",
        "egrave" => "è",
        "aacute" => "á",
        "agrave" => "à",
        "oslash" => "ø",
        "aring" => "å",
        "aelig" => "æ",
        "Oslash" => "Ø",
        "Aring" => "Å",
        "AElig" => "Æ",
        "ouml" => "ö",
        "auml" => "ä",
        "uuml" => "ü",
        "szlig" => "ß",
        "ccedil" => "ç",
        _ => return None,
    })
}

/// Decodes HTML character references (numeric and the common named ones) in plain text
/// such as titles; unknown references are left as they are.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|j| j + 1);
        match end {
            Some(j) if tail[j..].starts_with(';') && j > 1 => {
                let name = &tail[1..j];
                let decoded = if let Some(num) = name.strip_prefix('#') {
                    let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        num.parse::<u32>().ok()
                    };
                    code.and_then(char::from_u32).map(String::from)
                } else {
                    html_entity(name).map(String::from)
                };
                match decoded {
                    Some(d) => {
                        out.push_str(&d);
                        rest = &tail[j + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = &tail[1..];
                    }
                }
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(inner: R) -> Self {
        let mut reader = Reader::from_reader(inner);
        let cfg = reader.config_mut();
        cfg.expand_empty_elements = true;
        cfg.check_end_names = true;
        cfg.trim_text(false);
        WxrReader {
            reader,
            buf: Vec::with_capacity(64 * 1024),
            in_channel: false,
            seen_rss: false,
            done: false,
        }
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            position: self.reader.buffer_position(),
        }
    }

    fn xml_err(&self, e: quick_xml::Error) -> ParseError {
        ParseError {
            message: format!("malformed XML: {e}"),
            position: self.reader.error_position(),
        }
    }

    /// The next entry, `None` at the end of the channel.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, ParseError> {
        if self.done {
            return Ok(None);
        }
        loop {
            self.buf.clear();
            let ev = match self.reader.read_event_into(&mut self.buf) {
                Ok(ev) => ev.into_owned(),
                Err(e) => return Err(self.xml_err(e)),
            };
            match ev {
                Event::Start(s) => {
                    let name = qname(&s);
                    if !self.in_channel {
                        if name == "rss" {
                            self.seen_rss = true;
                        } else if name == "channel" && self.seen_rss {
                            self.in_channel = true;
                        } else if !self.seen_rss {
                            return Err(self.err(format!(
                                "not a WordPress export: the document starts with <{name}>, not <rss>"
                            )));
                        } else {
                            // Unknown element outside the channel: skip it.
                            self.read_node(&s)?;
                        }
                        continue;
                    }
                    let node = self.read_node(&s)?;
                    if let Some(entry) = to_entry(node) {
                        return Ok(Some(entry));
                    }
                }
                Event::End(e) if e.name().as_ref() == b"channel" => {
                    self.done = true;
                    return Ok(None);
                }
                Event::Eof => {
                    self.done = true;
                    if !self.seen_rss {
                        return Err(self.err("not a WordPress export: no <rss> element found"));
                    }
                    return Err(self.err(
                        "unexpected end of file inside <channel>: the export looks truncated",
                    ));
                }
                _ => {}
            }
        }
    }

    /// Reads the element whose start tag was just read, with everything inside it.
    fn read_node(&mut self, start: &BytesStart<'_>) -> Result<Node, ParseError> {
        let mut stack: Vec<Node> = vec![self.start_node(start)?];
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let ev = match self.reader.read_event_into(&mut buf) {
                Ok(ev) => ev,
                Err(e) => return Err(self.xml_err(e)),
            };
            match ev {
                Event::Start(s) => {
                    // The channel and the rss element are two more levels.
                    if stack.len() + 2 >= MAX_DEPTH {
                        return Err(self.err(format!(
                            "elements nested more than {MAX_DEPTH} levels deep inside <{}>",
                            stack[0].name
                        )));
                    }
                    let n = self.start_node(&s)?;
                    stack.push(n);
                }
                Event::End(_) => {
                    let Some(done) = stack.pop() else {
                        return Err(self.err("unbalanced end tag"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Text(t) => {
                    let s = match t.unescape_with(html_entity) {
                        Ok(s) => s.into_owned(),
                        Err(_) => String::from_utf8_lossy(t.as_ref()).into_owned(),
                    };
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Event::CData(c) => {
                    let s = std::str::from_utf8(c.as_ref())
                        .map_err(|_| self.err("CDATA section is not valid UTF-8"))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(s);
                    }
                }
                Event::Eof => {
                    return Err(self.err(format!(
                        "unexpected end of file inside <{}>: the export looks truncated",
                        stack.last().map(|n| n.name.as_str()).unwrap_or("?")
                    )));
                }
                _ => {}
            }
        }
    }

    fn start_node(&self, s: &BytesStart<'_>) -> Result<Node, ParseError> {
        let mut attrs = Vec::new();
        for a in s.attributes() {
            let a = a.map_err(|e| self.err(format!("malformed XML attribute: {e}")))?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            attrs.push((key, value));
        }
        Ok(Node {
            name: qname(s),
            attrs,
            text: String::new(),
            children: Vec::new(),
        })
    }
}

fn num(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

fn to_entry(n: Node) -> Option<Entry> {
    match n.name.as_str() {
        "item" => Some(Entry::Item(Box::new(to_item(n)))),
        "wp:author" => Some(Entry::Author(Author {
            id: num(n.get("wp:author_id")),
            login: n.get_trim("wp:author_login").to_string(),
            email: n.get_trim("wp:author_email").to_string(),
            display_name: decode_entities(n.get_trim("wp:author_display_name")),
        })),
        "wp:category" => Some(Entry::Term(Term {
            taxonomy: "category",
            slug: n.get_trim("wp:category_nicename").to_string(),
            name: decode_entities(n.get_trim("wp:cat_name")),
            parent: n.get_trim("wp:category_parent").to_string(),
            description: n.get_trim("wp:category_description").to_string(),
        })),
        "wp:tag" => Some(Entry::Term(Term {
            taxonomy: "tag",
            slug: n.get_trim("wp:tag_slug").to_string(),
            name: decode_entities(n.get_trim("wp:tag_name")),
            parent: String::new(),
            description: n.get_trim("wp:tag_description").to_string(),
        })),
        "wp:term" => {
            let taxonomy = match n.get_trim("wp:term_taxonomy") {
                "category" => "category",
                "post_tag" => "tag",
                other => {
                    return Some(Entry::OtherTerm {
                        taxonomy: other.to_string(),
                        slug: n.get_trim("wp:term_slug").to_string(),
                    });
                }
            };
            Some(Entry::Term(Term {
                taxonomy,
                slug: n.get_trim("wp:term_slug").to_string(),
                name: decode_entities(n.get_trim("wp:term_name")),
                parent: n.get_trim("wp:term_parent").to_string(),
                description: n.get_trim("wp:term_description").to_string(),
            }))
        }
        _ if n.children.is_empty() => Some(Entry::Channel(n.name, n.text.trim().to_string())),
        _ => None,
    }
}

fn to_item(n: Node) -> Item {
    let mut it = Item {
        title: decode_entities(n.get_trim("title")),
        link: n.get_trim("link").to_string(),
        guid: n.get_trim("guid").to_string(),
        creator: n.get_trim("dc:creator").to_string(),
        id: num(n.get("wp:post_id")),
        date: n.get_trim("wp:post_date").to_string(),
        date_gmt: n.get_trim("wp:post_date_gmt").to_string(),
        modified_gmt: n.get_trim("wp:post_modified_gmt").to_string(),
        comment_status: n.get_trim("wp:comment_status").to_string(),
        slug: n.get_trim("wp:post_name").to_string(),
        status: n.get_trim("wp:status").to_string(),
        parent: num(n.get("wp:post_parent")),
        post_type: n.get_trim("wp:post_type").to_string(),
        password: n.get("wp:post_password").to_string(),
        sticky: n.get_trim("wp:is_sticky") == "1",
        attachment_url: n.get_trim("wp:attachment_url").to_string(),
        ..Item::default()
    };
    for c in n.children {
        match c.name.as_str() {
            "content:encoded" => it.content = c.text,
            "excerpt:encoded" => it.excerpt = c.text,
            "category" => it.terms.push(ItemTerm {
                domain: c.attr("domain").unwrap_or("category").to_string(),
                slug: c.attr("nicename").unwrap_or("").to_string(),
                name: decode_entities(c.text.trim()),
            }),
            "wp:postmeta" => it.meta.push((
                c.get_trim("wp:meta_key").to_string(),
                c.get("wp:meta_value").to_string(),
            )),
            "wp:comment" => it.comments.push(Comment {
                id: num(c.get("wp:comment_id")),
                author: decode_entities(c.get_trim("wp:comment_author")),
                author_email: c.get_trim("wp:comment_author_email").to_string(),
                author_url: c.get_trim("wp:comment_author_url").to_string(),
                author_ip: c.get_trim("wp:comment_author_IP").to_string(),
                date: c.get_trim("wp:comment_date").to_string(),
                date_gmt: c.get_trim("wp:comment_date_gmt").to_string(),
                content: c.get("wp:comment_content").to_string(),
                approved: c.get_trim("wp:comment_approved").to_string(),
                kind: c.get_trim("wp:comment_type").to_string(),
                parent: num(c.get("wp:comment_parent")),
                user_id: num(c.get("wp:comment_user_id")),
            }),
            _ => {}
        }
    }
    it
}

/// The 1-based line of byte `position` in the export read from `input` (counted by
/// streaming through it; the server's `import::wordpress::parser::line_of` opens the file).
/// `None` when reading fails.
pub fn line_at(input: impl std::io::Read, position: u64) -> Option<u64> {
    use std::io::Read;
    let mut r = input.take(position);
    let mut buf = [0u8; 64 * 1024];
    let mut line = 1u64;
    loop {
        let n = r.read(&mut buf).ok()?;
        if n == 0 {
            return Some(line);
        }
        line += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(xml: &str) -> Result<Vec<Entry>, ParseError> {
        let mut r = WxrReader::new(xml.as_bytes());
        let mut v = Vec::new();
        while let Some(e) = r.next_entry()? {
            v.push(e);
        }
        Ok(v)
    }

    #[test]
    fn cdata_split_and_entities() {
        let xml = r#"<?xml version="1.0"?><rss><channel><title>A &amp; B</title>
<item><title>Caf&#233; &amp;amp; more</title><content:encoded><![CDATA[a ]]]]><![CDATA[> b]]></content:encoded><wp:post_id>7</wp:post_id><unknown><x>1</x></unknown></item></channel></rss>"#;
        let v = entries(xml).expect("parses");
        assert!(matches!(&v[0], Entry::Channel(n, t) if n == "title" && t == "A & B"));
        let Entry::Item(it) = &v[1] else {
            panic!("item expected")
        };
        assert_eq!(it.content, "a ]]> b");
        assert_eq!(it.title, "Café & more");
        assert_eq!(it.id, 7);
    }

    #[test]
    fn malformed_and_truncated() {
        let e = entries("<rss><channel><item><title>x</titel></item></channel></rss>")
            .expect_err("mismatch");
        assert!(e.message.contains("malformed"), "{e:?}");
        let e = entries("<rss><channel><item><title>x</title>").expect_err("truncated");
        assert!(e.message.contains("truncated"), "{e:?}");
        let e = entries("<html></html>").expect_err("not rss");
        assert!(e.message.contains("not a WordPress export"), "{e:?}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        // 300,000 nested elements (2 MB) overflowed the stack when the tree was dropped; run
        // on a small stack to show nothing recurses per level any more.
        let n = 300_000;
        let xml = format!(
            "<rss><channel>\n<item>{}{}</item></channel></rss>",
            "<a>".repeat(n),
            "</a>".repeat(n)
        );
        let e = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || entries(&xml).expect_err("too deep"))
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert!(e.message.contains("nested more than 256 levels"), "{e:?}");
        assert!(e.message.contains("<item>"), "{e:?}");
        // A line of its own: the position points into line 2.
        assert!(e.position > 15, "{e:?}");
        // Nesting within the limit reads as before.
        let ok = format!(
            "<rss><channel><item><title>t</title>{}{}</item></channel></rss>",
            "<a>".repeat(200),
            "</a>".repeat(200)
        );
        assert_eq!(entries(&ok).expect("fine").len(), 1);
    }

    #[test]
    fn lines_of_positions() {
        let text = "a\nbb\n\nccc";
        assert_eq!(line_at(text.as_bytes(), 0), Some(1));
        assert_eq!(line_at(text.as_bytes(), 2), Some(2));
        assert_eq!(line_at(text.as_bytes(), 6), Some(4));
        assert_eq!(line_at(text.as_bytes(), 1000), Some(4));
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("a &amp; b &#8217; &#x41; &bogus; &"),
            "a & b ’ A &bogus; &"
        );
    }
}
