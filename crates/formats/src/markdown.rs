// SPDX-License-Identifier: AGPL-3.0-or-later

//! Markdown to safe HTML: CommonMark (+ tables, footnotes, strikethrough) rendered by
//! pulldown-cmark, then sanitised by ammonia (no scripts, no event handlers, no `style`,
//! links get `rel="noopener noreferrer nofollow ugc"`).
//!
//! Rendering is kept linear in the size of the text, whoever wrote it:
//!
//! * **Size**: at most [`MAX_BYTES`] are rendered; a longer text is cut at a line break
//!   before the limit (saving refuses it, see [`check`]).
//! * **Nesting**: pulldown-cmark's block parser costs time in the square of the container
//!   depth (`"> "` × 60,000 on one line took 16 s, `"- "` × 60,000 took 60 s). Each line's
//!   leading container markers (`>`, `-`, `*`, `+`, `1.`, `1)`) are counted, with its
//!   indentation (two columns for a list level); a marker past [`MAX_DEPTH`] is escaped with a
//!   backslash, so it and the rest of the line are text. This happens inside code blocks too
//!   (a code line indented more than 64 columns before `- ` gains a visible backslash).
//! * **Tables**: a delimiter row of more than [`MAX_TABLE_COLUMNS`] columns is escaped (it is
//!   text, not a table), since every row is padded to the header's width.
//! * **Output**: rendering stops after [`MAX_OUTPUT`] bytes of text, code, HTML and link
//!   addresses (a reference link repeated many times costs its address each time).
//! * **Raw HTML nesting**: ammonia's parser (html5ever) looks through the open elements for
//!   each new one, so `<div>` × 50,000 took 21 s. The raw HTML passed through is followed with
//!   a count of open elements (start tags minus end tags, void elements and `/>` aside); each
//!   start tag costs the count so far, and once [`MAX_HTML_WORK`] is spent, further raw HTML
//!   is shown as text. Ordinary pages (even thousands of unclosed `<p>`) stay far below it.
//!
//! [`check`] tells a writer why a text would not render as written (too large, too deep, too
//! wide): the console and the API refuse such a body when it is saved.

use std::borrow::Cow;
use std::cell::Cell;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// The most bytes of Markdown rendered (and accepted when saving).
pub const MAX_BYTES: usize = 256 * 1024;
/// The deepest nesting of block quotes and list items rendered as such.
pub const MAX_DEPTH: usize = 32;
/// The widest table rendered as a table.
pub const MAX_TABLE_COLUMNS: usize = 64;
/// The most bytes of text, code, inline HTML and link addresses one rendering emits.
pub const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// The most work raw HTML may give the sanitiser's parser: the sum, over start tags, of the
/// elements open at each (about 1,400 unclosed elements in a row).
pub const MAX_HTML_WORK: usize = 1_000_000;

/// Follows raw HTML's nesting to bound the sanitiser's work (see [`MAX_HTML_WORK`]).
#[derive(Default)]
struct HtmlWork {
    open: usize,
    spent: usize,
}

impl HtmlWork {
    /// Counts the tags of one piece of raw HTML: where the budget ran out (the start of the
    /// tag that spent it), or `None` when all of it fits.
    fn take(&mut self, html: &str) -> Option<usize> {
        const VOID: [&str; 14] = [
            "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
            "source", "track", "wbr",
        ];
        if self.spent > MAX_HTML_WORK {
            return Some(0);
        }
        let b = html.as_bytes();
        let mut i = 0;
        while let Some(p) = html[i..].find('<') {
            let at = i + p + 1;
            i = at;
            match b.get(at) {
                Some(b'/') => self.open = self.open.saturating_sub(1),
                Some(c) if c.is_ascii_alphabetic() => {
                    let name_end = html[at..]
                        .find(|c: char| !c.is_ascii_alphanumeric())
                        .map_or(html.len(), |e| at + e);
                    let name = html[at..name_end].to_ascii_lowercase();
                    let self_closing = html[name_end..]
                        .find('>')
                        .is_some_and(|e| html[..name_end + e].ends_with('/'));
                    if !VOID.contains(&name.as_str()) && !self_closing {
                        self.open += 1;
                        self.spent += self.open;
                        if self.spent > MAX_HTML_WORK {
                            return Some(at - 1);
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// Why a text would not render as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the text is {bytes} bytes long; at most {max} are allowed")]
    TooLarge { bytes: usize, max: usize },
    #[error("line {line} nests quotes or lists deeper than {max} levels")]
    TooDeep { line: usize, max: usize },
    #[error("line {line} starts a table of more than {max} columns")]
    TooWide { line: usize, max: usize },
}

impl BodyError {
    /// A stable code for forms and the API: `too_long`, `too_deep` or `too_wide`.
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::TooLarge { .. } => "too_long",
            BodyError::TooDeep { .. } => "too_deep",
            BodyError::TooWide { .. } => "too_wide",
        }
    }

    /// The 1-based line at fault (none for the size).
    pub fn line(&self) -> Option<usize> {
        match self {
            BodyError::TooLarge { .. } => None,
            BodyError::TooDeep { line, .. } | BodyError::TooWide { line, .. } => Some(*line),
        }
    }
}

/// Whether `md` renders as written: not larger than [`MAX_BYTES`], no line nested deeper
/// than [`MAX_DEPTH`], no table wider than [`MAX_TABLE_COLUMNS`]. The first fault otherwise.
pub fn check(md: &str) -> Result<(), BodyError> {
    if md.len() > MAX_BYTES {
        return Err(BodyError::TooLarge {
            bytes: md.len(),
            max: MAX_BYTES,
        });
    }
    for (i, line) in md.split_inclusive('\n').enumerate() {
        match guard_line(line) {
            Guarded::Fine => {}
            Guarded::Deep(_) => {
                return Err(BodyError::TooDeep {
                    line: i + 1,
                    max: MAX_DEPTH,
                });
            }
            Guarded::Wide(_) => {
                return Err(BodyError::TooWide {
                    line: i + 1,
                    max: MAX_TABLE_COLUMNS,
                });
            }
        }
    }
    Ok(())
}

/// What a line needs: nothing, or a backslash at a byte offset (a marker too deep, or the
/// start of a table delimiter row too wide).
enum Guarded {
    Fine,
    Deep(usize),
    Wide(usize),
}

/// The length of a list marker at the start of `rest` (`-`, `*`, `+`, or 1–9 digits and `.`
/// or `)`), followed by a space, a tab or the end of the line; and where its escape goes.
fn list_marker(rest: &[u8]) -> Option<(usize, usize)> {
    let followed = |n: usize| matches!(rest.get(n), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
    match rest.first()? {
        b'-' | b'*' | b'+' if followed(1) => Some((1, 0)),
        b'0'..=b'9' => {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            (digits <= 9 && matches!(rest.get(digits), Some(b'.' | b')')) && followed(digits + 1))
                .then_some((digits + 1, digits))
        }
        _ => None,
    }
}

/// Scans a line's container prefix: block-quote and list markers and the indentation
/// between them, counting two columns of indentation as a level (a nested list item needs at
/// least two). Then looks for a table delimiter row.
fn guard_line(line: &str) -> Guarded {
    let b = line.as_bytes();
    let mut i = 0;
    let mut markers = 0usize;
    let mut cols = 0usize;
    let mut after_marker = false;
    loop {
        let mut run = 0usize;
        while let Some(c) = b.get(i) {
            match c {
                b' ' => run += 1,
                b'\t' => run += 4,
                _ => break,
            }
            i += 1;
        }
        cols += if after_marker {
            run.saturating_sub(1)
        } else {
            run
        };
        let rest = &b[i..];
        let (len, escape_at) = match rest.first() {
            Some(b'>') => (1, 0),
            Some(_) => match list_marker(rest) {
                Some(m) => m,
                None => break,
            },
            None => break,
        };
        markers += 1;
        if markers + cols / 2 > MAX_DEPTH {
            return Guarded::Deep(i + escape_at);
        }
        i += len;
        after_marker = true;
    }
    let rest = &line[i..];
    let trimmed = rest.trim_end();
    if trimmed.contains('|')
        && trimmed.contains('-')
        && trimmed
            .bytes()
            .all(|c| matches!(c, b'|' | b':' | b'-' | b' ' | b'\t'))
    {
        // Columns: the cells between pipes (a leading or trailing pipe adds none).
        let inner = trimmed.trim_matches(|c: char| c == ' ' || c == '\t');
        let inner = inner.strip_prefix('|').unwrap_or(inner);
        let inner = inner.strip_suffix('|').unwrap_or(inner);
        if inner.bytes().filter(|&c| c == b'|').count() + 1 > MAX_TABLE_COLUMNS {
            return Guarded::Wide(i);
        }
    }
    Guarded::Fine
}

/// The text pulldown-cmark is given: cut to [`MAX_BYTES`] (at a line break when there is
/// one in the last quarter), markers past [`MAX_DEPTH`] and delimiter rows wider than
/// [`MAX_TABLE_COLUMNS`] escaped. Unchanged (borrowed) for every text [`check`] accepts.
pub fn guard(md: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(md);
    if md.len() > MAX_BYTES {
        let mut end = md.floor_char_boundary(MAX_BYTES);
        if let Some(nl) = md[..end].rfind('\n').filter(|&nl| nl >= MAX_BYTES * 3 / 4) {
            end = nl + 1;
        }
        text = Cow::Borrowed(&md[..end]);
    }
    let mut out: Option<String> = None;
    let mut done = 0usize; // bytes of `text` already copied to `out`
    let mut at = 0usize;
    for line in text.split_inclusive('\n') {
        let escape = match guard_line(line) {
            Guarded::Fine => None,
            Guarded::Deep(o) | Guarded::Wide(o) => Some(o),
        };
        if let Some(o) = escape {
            let o = at + o;
            let s = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
            s.push_str(&text[done..o]);
            s.push('\\');
            done = o;
        }
        at += line.len();
    }
    match out {
        Some(mut s) => {
            s.push_str(&text[done..]);
            Cow::Owned(s)
        }
        None => text,
    }
}

fn options() -> Options {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts
}

/// The bytes an event adds to the output, roughly (text, code, HTML, link addresses).
fn event_cost(e: &Event<'_>) -> usize {
    match e {
        Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => t.len(),
        Event::Start(Tag::Link {
            dest_url, title, ..
        })
        | Event::Start(Tag::Image {
            dest_url, title, ..
        }) => dest_url.len() + title.len() + 16,
        _ => 8,
    }
}

/// Markdown → sanitised HTML, in time linear in the text (see the module's notes).
pub fn to_safe_html(md: &str) -> String {
    let text = guard(md);
    let parser = Parser::new_ext(&text, options());
    let spent = Cell::new(0usize);
    let mut html_work = HtmlWork::default();
    let bounded = parser
        .take_while(|e| {
            spent.set(spent.get() + event_cost(e));
            spent.get() <= MAX_OUTPUT
        })
        .flat_map(|e| {
            // Raw HTML past the budget is text from the tag that spent it on.
            let cut = match &e {
                Event::Html(t) | Event::InlineHtml(t) => html_work.take(t),
                _ => None,
            };
            match (cut, e) {
                (Some(at), Event::Html(t) | Event::InlineHtml(t)) => {
                    let (html, text) = t.split_at(at);
                    let html = Event::InlineHtml(CowStr::from(html.to_string()));
                    let text = Event::Text(CowStr::from(text.to_string()));
                    std::iter::once(html).chain(Some(text))
                }
                (_, e) => std::iter::once(e).chain(None),
            }
        });
    let mut raw = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut raw, bounded);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .clean(&raw)
        .to_string()
}

/// Builds a text heavy in the shapes that cost Markdown parsers time, from a few bytes: each
/// pair of bytes is (a piece, how often to repeat it), the pieces being container markers,
/// indentation, brackets, emphasis, backticks, table cells, raw HTML, line breaks and words.
/// The `markdown_nesting` fuzz target renders what it builds (up to a little over
/// [`MAX_BYTES`]) under libFuzzer's time limit; the corpus replay does the same.
pub fn stress_text(data: &[u8]) -> String {
    const PIECES: [&str; 24] = [
        "> ", ">", "- ", "* ", "+ ", "1. ", "9) ", "  ", "\t", "[", "](", "*", "_", "**", "`",
        "```", "|", "|-", "<div>", "<b>", "\n", "\n\n", "x", "[^a]",
    ];
    let limit = MAX_BYTES + 4096;
    let mut out = String::new();
    for pair in data.chunks(2) {
        let piece = PIECES[usize::from(pair[0]) % PIECES.len()];
        // 1 … 65,536 repetitions, weighted to the large ones.
        let times = pair.get(1).map_or(1, |&n| 1usize << (usize::from(n) % 17));
        for _ in 0..times {
            if out.len() + piece.len() > limit {
                return out;
            }
            out.push_str(piece);
        }
    }
    out
}

/// How much Markdown source an excerpt of `max` characters reads: enough for the markup
/// around the words (links, emphasis), never the whole of a long first paragraph.
const EXCERPT_SOURCE_PER_CHAR: usize = 16;

/// Plain text of the first paragraph, cut to `max` characters (for excerpts and meta tags).
///
/// Only the first `16 × max` bytes of that paragraph are rendered, so an excerpt costs
/// microseconds whatever the body's size (a paragraph cut inside a link shows its text raw).
pub fn excerpt(md: &str, max: usize) -> String {
    let first = md
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or("");
    let first = prefix_within(first, max.saturating_mul(EXCERPT_SOURCE_PER_CHAR));
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

/// The longest prefix of `s` of at most `bytes` bytes that ends on a character boundary.
fn prefix_within(s: &str, bytes: usize) -> &str {
    &s[..s.floor_char_boundary(bytes)]
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

    #[test]
    fn excerpt_reads_a_bounded_prefix() {
        // A one-paragraph body at the size limit, nested deep: the excerpt reads 16 × max bytes.
        let deep = format!(
            "{}{}",
            "> ".repeat(MAX_BYTES / 4),
            "æ".repeat(MAX_BYTES / 4)
        );
        let cut = prefix_within(&deep, 60 * EXCERPT_SOURCE_PER_CHAR);
        assert!(cut.len() <= 960 && cut.len() >= 959);
        assert_eq!(prefix_within("æøå", 3), "æ");
        assert_eq!(prefix_within("æøå", 100), "æøå");
        let words = "word ".repeat(MAX_BYTES / 5);
        assert_eq!(excerpt(&words, 10).chars().count(), 10);
    }

    fn count(hay: &str, needle: &str) -> usize {
        hay.matches(needle).count()
    }

    #[test]
    fn deep_quotes_and_lists_stop_at_the_limit() {
        for marker in ["> ", ">", "- ", "* ", "+ ", "1. ", "2) "] {
            let md = format!("{}deep", marker.repeat(60_000));
            let html = to_safe_html(&md);
            let opened = count(&html, "<blockquote>") + count(&html, "<li>");
            assert_eq!(opened, MAX_DEPTH, "{marker:?}");
            assert!(html.contains("deep"), "{marker:?}");
            assert!(matches!(
                check(&md),
                Err(BodyError::TooDeep { line: 1, .. })
            ));
        }
        // Exactly at the limit: rendered as written, and accepted.
        let md = format!("{}x", "> ".repeat(MAX_DEPTH));
        assert_eq!(count(&to_safe_html(&md), "<blockquote>"), MAX_DEPTH);
        assert_eq!(check(&md), Ok(()));
        assert!(matches!(guard(&md), Cow::Borrowed(_)));
    }

    #[test]
    fn nesting_by_indentation_counts() {
        // A list nested one level per line by indentation, 200 levels deep.
        let md: String = (0..200)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        let html = to_safe_html(&md);
        assert!(
            count(&html, "<li>") <= MAX_DEPTH + 1,
            "{}",
            count(&html, "<li>")
        );
        assert!(matches!(check(&md), Err(BodyError::TooDeep { .. })));
        // An ordinary nested list is left alone.
        let md = "- a\n  - b\n    - c\n      1. d\n";
        assert!(matches!(guard(md), Cow::Borrowed(_)));
        assert_eq!(count(&to_safe_html(md), "<li>"), 4);
    }

    #[test]
    fn wide_tables_are_text() {
        let cols = MAX_TABLE_COLUMNS + 1;
        let md = format!(
            "{}|\n{}|\n{}",
            "|a".repeat(cols),
            "|-".repeat(cols),
            "|x\n".repeat(1000)
        );
        let html = to_safe_html(&md);
        assert!(!html.contains("<td"), "rendered as a table");
        assert!(matches!(
            check(&md),
            Err(BodyError::TooWide { line: 2, .. })
        ));
        let md = format!("{}|\n{}|\n", "|a".repeat(8), "| --- ".repeat(8));
        assert!(to_safe_html(&md).contains("<th>a</th>"));
        assert_eq!(check(&md), Ok(()));
    }

    #[test]
    fn size_is_bounded() {
        let para = "word ".repeat(15) + "\n\n";
        let md = para.repeat(MAX_BYTES / para.len() + 100);
        assert!(md.len() > MAX_BYTES);
        assert!(guard(&md).len() <= MAX_BYTES);
        assert!(matches!(check(&md), Err(BodyError::TooLarge { .. })));
        // A cut in the middle of a character stays on a boundary.
        let md = "ø".repeat(MAX_BYTES);
        assert!(guard(&md).len() <= MAX_BYTES);
    }

    #[test]
    fn output_is_bounded() {
        let url = format!("https://example.org/{}", "a".repeat(2000));
        let md = format!("[r]: {url}\n\n{}", "[r] ".repeat(60_000));
        let html = to_safe_html(&md);
        assert!(html.len() < 2 * MAX_OUTPUT, "{}", html.len());
    }

    #[test]
    fn deep_raw_html_becomes_text_past_the_budget() {
        let md = "<div>".repeat(50_000);
        let html = to_safe_html(&md);
        let divs = count(&html, "<div>");
        assert!((1_000..2_000).contains(&divs), "{divs} divs kept");
        assert!(html.contains("&lt;div&gt;"), "the rest is text");
        // Closed, void and self-closing elements do not add up.
        let md = "<p>a</p><br><img src=\"/x.png\"><span/>".repeat(20_000);
        let mut w = HtmlWork::default();
        assert_eq!(w.take(&md), None);
        assert_eq!(w.open, 0);
        // Thousands of unclosed paragraphs (old hand-written HTML) still pass.
        let md = "<p>para\n".repeat(1_000);
        assert_eq!(HtmlWork::default().take(&md), None);
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        let md = "# T\n\n> quote\n> - item\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n* x\n* y\n\n3. z\n\n-1 and 2.5 and -x\n";
        assert!(matches!(guard(md), Cow::Borrowed(_)));
        assert_eq!(check(md), Ok(()));
    }

    proptest! {
        #[test]
        fn never_emits_script(s in ".{0,200}") {
            let out = to_safe_html(&s);
            prop_assert!(!out.to_ascii_lowercase().contains("<script"));
        }
    }
}
