//! Pages from other sites read for Webmention: the links a page holds, the Webmention
//! endpoint it advertises (an HTTP `Link` header, then `<link>`/`<a rel="webmention">`), and
//! its microformats2 markup (h-entry, h-card: who wrote it, its name, text, date, and whether
//! it replies to, likes or reposts a page).
//!
//! The page is parsed by html5ever (the WHATWG parsing algorithm, the parser ammonia already
//! brings) into a small arena tree of our own; everything after that walks the tree without
//! recursion (a page may nest elements arbitrarily deep), and nested microformats are read at
//! most [`MAX_ITEM_DEPTH`] levels down. Input past [`MAX_INPUT`] bytes is not read.
//!
//! The microformats2 parsing follows the published parsing rules for what a Webmention
//! receiver needs: root classes (`h-*`), properties (`p-*`, `u-*`, `dt-*`, `e-*`) up to the
//! next nested root, nested items as property values or children, the value-class pattern
//! (its plain form), and the implied `name`, `photo` and `url`. Not read: the classic
//! microformats (`hentry`, `vcard`) and the date-and-time joining of the value-class pattern.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, LocalName, Namespace, QualName, ns};
use url::Url;

/// The most of a page that is parsed (bytes); the rest is ignored.
pub const MAX_INPUT: usize = 1024 * 1024;
/// How deep nested microformats are read (an item in a property of an item …).
pub const MAX_ITEM_DEPTH: usize = 8;
/// The most values kept of one property.
const MAX_VALUES: usize = 32;

#[derive(Debug)]
enum Data {
    Document,
    Element {
        name: QualName,
        attrs: Vec<(String, String)>,
    },
    Text(String),
    Other,
}

#[derive(Debug)]
struct Node {
    parent: Option<usize>,
    children: Vec<usize>,
    data: Data,
}

/// A parsed page: its tree and the URL relative references are resolved against (its
/// `<base href>`, else its own address).
#[derive(Debug)]
pub struct Page {
    nodes: Vec<Node>,
    base: Url,
}

/// The tree builder's sink: nodes in a vector, handles are indexes.
struct Sink {
    nodes: RefCell<Vec<Node>>,
}

#[derive(Debug)]
struct Name(QualName);

impl ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }
    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl Sink {
    fn push(&self, data: Data) -> usize {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            parent: None,
            children: Vec::new(),
            data,
        });
        nodes.len() - 1
    }

    fn detach(nodes: &mut [Node], id: usize) {
        if let Some(p) = nodes[id].parent.take() {
            nodes[p].children.retain(|c| *c != id);
        }
    }

    /// Appends text to `parent` at `pos` (merged into a text node just before it), or a node.
    fn insert(&self, parent: usize, pos: Option<usize>, child: NodeOrText<usize>) {
        let mut nodes = self.nodes.borrow_mut();
        let at = pos.unwrap_or(nodes[parent].children.len());
        match child {
            NodeOrText::AppendText(t) => {
                if at > 0 {
                    let prev = nodes[parent].children[at - 1];
                    if let Data::Text(s) = &mut nodes[prev].data {
                        s.push_str(&t);
                        return;
                    }
                }
                nodes.push(Node {
                    parent: Some(parent),
                    children: Vec::new(),
                    data: Data::Text(t.to_string()),
                });
                let id = nodes.len() - 1;
                nodes[parent].children.insert(at, id);
            }
            NodeOrText::AppendNode(id) => {
                Self::detach(&mut nodes, id);
                let at = at.min(nodes[parent].children.len());
                nodes[id].parent = Some(parent);
                nodes[parent].children.insert(at, id);
            }
        }
    }
}

impl TreeSink for Sink {
    type Handle = usize;
    type Output = Vec<Node>;
    type ElemName<'a> = Name;

    fn finish(self) -> Vec<Node> {
        self.nodes.into_inner()
    }

    fn parse_error(&self, _msg: std::borrow::Cow<'static, str>) {}

    fn get_document(&self) -> usize {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a usize) -> Name {
        match &self.nodes.borrow()[*target].data {
            Data::Element { name, .. } => Name(name.clone()),
            _ => Name(QualName::new(None, ns!(), LocalName::from(""))),
        }
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> usize {
        let attrs = attrs
            .into_iter()
            .map(|a| (a.name.local.to_string(), a.value.to_string()))
            .collect();
        let id = self.push(Data::Element { name, attrs });
        if flags.template {
            // The template's contents: a fragment of its own, outside the page's tree.
            self.push(Data::Other);
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> usize {
        self.push(Data::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> usize {
        self.push(Data::Other)
    }

    fn append(&self, parent: &usize, child: NodeOrText<usize>) {
        self.insert(*parent, None, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &usize,
        prev_element: &usize,
        child: NodeOrText<usize>,
    ) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &usize) -> usize {
        // Made right after the template element (`create_element`).
        *target + 1
    }

    fn same_node(&self, x: &usize, y: &usize) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &usize, new_node: NodeOrText<usize>) {
        let (parent, pos) = {
            let nodes = self.nodes.borrow();
            let Some(parent) = nodes[*sibling].parent else {
                return;
            };
            let pos = nodes[parent].children.iter().position(|c| c == sibling);
            (parent, pos)
        };
        self.insert(parent, pos, new_node);
    }

    fn add_attrs_if_missing(&self, target: &usize, attrs: Vec<Attribute>) {
        if let Data::Element { attrs: have, .. } = &mut self.nodes.borrow_mut()[*target].data {
            for a in attrs {
                let name = a.name.local.to_string();
                if !have.iter().any(|(n, _)| *n == name) {
                    have.push((name, a.value.to_string()));
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &usize) {
        Self::detach(&mut self.nodes.borrow_mut(), *target);
    }

    fn reparent_children(&self, node: &usize, new_parent: &usize) {
        let mut nodes = self.nodes.borrow_mut();
        let moved = std::mem::take(&mut nodes[*node].children);
        for c in &moved {
            nodes[*c].parent = Some(*new_parent);
        }
        nodes[*new_parent].children.extend(moved);
    }
}

/// Tags whose text is not part of what a page says.
fn hidden_text(tag: &str) -> bool {
    matches!(tag, "script" | "style" | "template" | "noscript")
}

/// Tags that end a line in readable text.
fn block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "blockquote"
            | "pre"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "hr"
            | "dt"
            | "dd"
            | "table"
    )
}

impl Page {
    /// Parses `html` (at most [`MAX_INPUT`] bytes of it), fetched from `url`.
    pub fn parse(html: &[u8], url: &Url) -> Page {
        let html = &html[..html.len().min(MAX_INPUT)];
        let sink = Sink {
            nodes: RefCell::new(vec![Node {
                parent: None,
                children: Vec::new(),
                data: Data::Document,
            }]),
        };
        let nodes = html5ever::parse_document(sink, Default::default())
            .from_utf8()
            .one(html);
        let mut page = Page {
            nodes,
            base: url.clone(),
        };
        let base = page
            .elements()
            .find(|&id| page.tag(id) == Some("base") && page.attr(id, "href").is_some())
            .and_then(|id| page.attr(id, "href"))
            .and_then(|href| url.join(href.trim()).ok());
        if let Some(b) = base {
            page.base = b;
        }
        page
    }

    /// The URL relative references resolve against.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn tag(&self, id: usize) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { name, .. } if name.ns == ns!(html) => Some(&name.local),
            _ => None,
        }
    }

    fn attr(&self, id: usize, name: &str) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { attrs, .. } => attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }

    fn classes(&self, id: usize) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in self
            .attr(id, "class")
            .unwrap_or("")
            .split_ascii_whitespace()
        {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    fn rels(&self, id: usize) -> impl Iterator<Item = String> + '_ {
        self.attr(id, "rel")
            .unwrap_or("")
            .split_ascii_whitespace()
            .map(|r| r.to_ascii_lowercase())
    }

    /// Every element of the page, in document order.
    fn elements(&self) -> impl Iterator<Item = usize> + '_ {
        self.descendants(0)
            .filter(|&id| matches!(self.nodes[id].data, Data::Element { .. }))
    }

    /// The nodes under `id` (not `id` itself), in document order.
    fn descendants(&self, id: usize) -> Descendants<'_> {
        let mut stack: Vec<usize> = self.nodes[id].children.clone();
        stack.reverse();
        Descendants { page: self, stack }
    }

    fn element_children(&self, id: usize) -> Vec<usize> {
        self.nodes[id]
            .children
            .iter()
            .copied()
            .filter(|&c| matches!(self.nodes[c].data, Data::Element { .. }))
            .collect()
    }

    /// `href` resolved against the page's base; `None` when it is no URL.
    pub fn resolve(&self, href: &str) -> Option<Url> {
        self.base.join(href.trim()).ok()
    }

    /// Every address the page links to or embeds (`href` of `a`, `area`, `link`; `src` of
    /// images, media, frames; `cite`), resolved, in document order.
    pub fn links(&self) -> Vec<Url> {
        let mut out = Vec::new();
        for id in self.elements() {
            let attr = match self.tag(id) {
                Some("a" | "area" | "link") => "href",
                Some("img" | "audio" | "video" | "source" | "iframe" | "embed") => "src",
                Some("blockquote" | "q" | "ins" | "del") => "cite",
                _ => continue,
            };
            if let Some(u) = self.attr(id, attr).and_then(|h| self.resolve(h)) {
                out.push(u);
            }
        }
        out
    }

    /// The hyperlinks (`a` and `area` with an `href`), resolved, in document order: what a
    /// post of ours links to.
    pub fn anchors(&self) -> Vec<Url> {
        self.elements()
            .filter(|&id| matches!(self.tag(id), Some("a" | "area")))
            .filter_map(|id| self.attr(id, "href").and_then(|h| self.resolve(h)))
            .collect()
    }

    /// Whether the page links to `target` (exactly, once both are resolved and normalised).
    pub fn links_to(&self, target: &Url) -> bool {
        self.links().iter().any(|u| u == target)
    }

    /// The first `<link>` or `<a>` whose `rel` names `webmention` and that has an `href`
    /// (an empty one is the page itself), resolved.
    pub fn webmention_endpoint(&self) -> Option<Url> {
        self.elements()
            .filter(|&id| matches!(self.tag(id), Some("link" | "a")))
            .filter(|&id| self.rels(id).any(|r| r == "webmention"))
            .find_map(|id| self.attr(id, "href"))
            .and_then(|h| self.resolve(h))
    }

    /// The page's `<title>`, trimmed.
    pub fn title(&self) -> String {
        self.elements()
            .find(|&id| self.tag(id) == Some("title"))
            .map(|id| collapse(&self.text(id, false)))
            .unwrap_or_default()
    }

    /// The text under `id`: script and style left out, images replaced by their `alt`;
    /// with `lines`, block elements end lines (paragraphs stay apart).
    fn text(&self, id: usize, lines: bool) -> String {
        let mut out = String::new();
        // (node, entering): a block element's end adds a line break too.
        let mut stack = vec![(id, true)];
        while let Some((n, entering)) = stack.pop() {
            match &self.nodes[n].data {
                // In readable text only elements break lines; the source's own line breaks
                // and indentation are spaces.
                Data::Text(t) if lines => {
                    let mut space = false;
                    for ch in t.chars() {
                        if ch.is_whitespace() {
                            if !space {
                                out.push(' ');
                            }
                            space = true;
                        } else {
                            out.push(ch);
                            space = false;
                        }
                    }
                }
                Data::Text(t) => out.push_str(t),
                Data::Element { .. } => {
                    let tag = self.tag(n).unwrap_or("");
                    if !entering {
                        if lines && block(tag) {
                            out.push('\n');
                        }
                        continue;
                    }
                    if hidden_text(tag) {
                        continue;
                    }
                    if tag == "img" || tag == "area" {
                        if let Some(alt) = self.attr(n, "alt") {
                            out.push_str(alt);
                        }
                        continue;
                    }
                    if lines && block(tag) {
                        out.push('\n');
                    }
                    stack.push((n, false));
                    for c in self.nodes[n].children.iter().rev() {
                        stack.push((*c, true));
                    }
                }
                Data::Document => {
                    for c in self.nodes[n].children.iter().rev() {
                        stack.push((*c, true));
                    }
                }
                Data::Other => {}
            }
        }
        out
    }

    /// The page's top-level microformats2 items, in document order.
    pub fn items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.nodes[0].children.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            if !matches!(self.nodes[id].data, Data::Element { .. }) {
                continue;
            }
            if !root_types(&self.classes(id)).is_empty() {
                out.push(self.item(id, 0));
                continue;
            }
            stack.extend(self.nodes[id].children.iter().rev().copied());
        }
        out
    }

    fn item(&self, root: usize, depth: usize) -> Item {
        let mut item = Item {
            types: root_types(&self.classes(root)),
            properties: BTreeMap::new(),
            children: Vec::new(),
        };
        let (mut has_p_e, mut has_u, mut has_nested) = (false, false, false);
        let mut stack: Vec<usize> = self.nodes[root].children.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            if !matches!(self.nodes[id].data, Data::Element { .. }) {
                continue;
            }
            let classes = self.classes(id);
            let props: Vec<(Prefix, &str)> = classes.iter().filter_map(|c| property(c)).collect();
            let nested = !root_types(&classes).is_empty() && depth + 1 < MAX_ITEM_DEPTH;
            for (prefix, _) in &props {
                match prefix {
                    Prefix::P | Prefix::E => has_p_e = true,
                    Prefix::U => has_u = true,
                    Prefix::Dt => {}
                }
            }
            if nested {
                has_nested = true;
                let child = self.item(id, depth + 1);
                if props.is_empty() {
                    item.children.push(child);
                } else {
                    for (prefix, name) in &props {
                        let text = match prefix {
                            Prefix::P => child.first_text("name"),
                            Prefix::U => child.first_text("url"),
                            _ => None,
                        }
                        .unwrap_or_else(|| self.value(id, *prefix));
                        item.push(
                            name,
                            Value {
                                text,
                                item: Some(Box::new(child.clone())),
                            },
                        );
                    }
                }
                continue;
            }
            for (prefix, name) in &props {
                let text = self.value(id, *prefix);
                item.push(name, Value { text, item: None });
            }
            stack.extend(self.nodes[id].children.iter().rev().copied());
        }
        if !item.properties.contains_key("name") && !has_p_e && !has_nested {
            let name = self.implied_name(root);
            item.push("name", Value::text(name));
        }
        if !item.properties.contains_key("photo")
            && !has_u
            && !has_nested
            && let Some(photo) = self.implied(root, &[("img", "src"), ("object", "data")])
        {
            item.push("photo", Value::text(photo));
        }
        if !item.properties.contains_key("url")
            && !has_u
            && !has_nested
            && let Some(url) = self.implied(root, &[("a", "href"), ("area", "href")])
        {
            item.push("url", Value::text(url));
        }
        item
    }

    /// The only element child of `id`, when it is not itself a microformat.
    fn only_child(&self, id: usize) -> Option<usize> {
        match self.element_children(id).as_slice() {
            [one] if root_types(&self.classes(*one)).is_empty() => Some(*one),
            _ => None,
        }
    }

    fn implied_name(&self, root: usize) -> String {
        let from = |id: usize| match self.tag(id) {
            Some("img" | "area") => self.attr(id, "alt").map(str::to_string),
            Some("abbr") => self.attr(id, "title").map(str::to_string),
            _ => None,
        };
        from(root)
            .or_else(|| self.only_child(root).and_then(from))
            .or_else(|| {
                self.only_child(root)
                    .and_then(|c| self.only_child(c))
                    .and_then(from)
            })
            .unwrap_or_else(|| collapse(&self.text(root, false)))
    }

    /// An implied `photo` or `url`: the `(tag, attribute)` on the root, its only child or
    /// that child's only child, resolved.
    fn implied(&self, root: usize, pairs: &[(&str, &str)]) -> Option<String> {
        let from = |id: usize| {
            let tag = self.tag(id)?;
            let (_, attr) = pairs.iter().find(|(t, _)| *t == tag)?;
            self.attr(id, attr).map(|v| self.absolute(v))
        };
        from(root)
            .or_else(|| self.only_child(root).and_then(from))
            .or_else(|| {
                self.only_child(root)
                    .and_then(|c| self.only_child(c))
                    .and_then(from)
            })
    }

    fn absolute(&self, v: &str) -> String {
        self.resolve(v)
            .map(|u| u.to_string())
            .unwrap_or_else(|| v.trim().to_string())
    }

    /// The value-class pattern: the values of the descendants classed `value`, joined.
    fn value_class(&self, id: usize) -> Option<String> {
        let mut parts = Vec::new();
        let mut stack: Vec<usize> = self.nodes[id].children.iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            if !matches!(self.nodes[n].data, Data::Element { .. }) {
                continue;
            }
            let classes = self.classes(n);
            if !root_types(&classes).is_empty() {
                continue;
            }
            if classes.contains(&"value") {
                let v = match self.tag(n) {
                    Some("img" | "area") => self.attr(n, "alt").map(str::to_string),
                    Some("data") => self.attr(n, "value").map(str::to_string),
                    Some("abbr") => self.attr(n, "title").map(str::to_string),
                    Some("time" | "ins" | "del") => self.attr(n, "datetime").map(str::to_string),
                    _ => None,
                };
                parts.push(v.unwrap_or_else(|| self.text(n, false)));
                continue;
            }
            if classes.contains(&"value-title") {
                if let Some(t) = self.attr(n, "title") {
                    parts.push(t.to_string());
                }
                continue;
            }
            stack.extend(self.nodes[n].children.iter().rev().copied());
        }
        (!parts.is_empty()).then(|| parts.concat())
    }

    /// A property's value on element `id`.
    fn value(&self, id: usize, prefix: Prefix) -> String {
        let tag = self.tag(id).unwrap_or("");
        let attr = |name: &str| self.attr(id, name).map(str::to_string);
        match prefix {
            Prefix::P => self
                .value_class(id)
                .or_else(|| match tag {
                    "abbr" | "link" => attr("title"),
                    "data" | "input" => attr("value"),
                    "img" | "area" => attr("alt"),
                    _ => None,
                })
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| collapse(&self.text(id, false))),
            Prefix::U => match tag {
                "a" | "area" | "link" => attr("href"),
                "img" | "audio" | "video" | "source" | "iframe" => attr("src"),
                "object" => attr("data"),
                _ => None,
            }
            .or_else(|| (tag == "video").then(|| attr("poster")).flatten())
            .map(|v| self.absolute(&v))
            .or_else(|| self.value_class(id))
            .or_else(|| match tag {
                "abbr" => attr("title"),
                "data" | "input" => attr("value"),
                _ => None,
            })
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| collapse(&self.text(id, false))),
            Prefix::Dt => self
                .value_class(id)
                .or_else(|| match tag {
                    "time" | "ins" | "del" => attr("datetime"),
                    "abbr" => attr("title"),
                    "data" | "input" => attr("value"),
                    _ => None,
                })
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| collapse(&self.text(id, false))),
            Prefix::E => readable(&self.text(id, true)),
        }
    }
}

struct Descendants<'a> {
    page: &'a Page,
    stack: Vec<usize>,
}

impl Iterator for Descendants<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let id = self.stack.pop()?;
        self.stack
            .extend(self.page.nodes[id].children.iter().rev().copied());
        Some(id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    P,
    U,
    Dt,
    E,
}

/// `h-entry`-style names: lowercase letters and digits in hyphen-joined parts, none empty.
fn mf_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && s.bytes().any(|b| b.is_ascii_lowercase())
}

fn root_types(classes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = classes
        .iter()
        .filter(|c| c.strip_prefix("h-").is_some_and(mf_name))
        .map(|c| c.to_string())
        .collect();
    out.sort();
    out
}

fn property(class: &str) -> Option<(Prefix, &str)> {
    let (prefix, name) = if let Some(n) = class.strip_prefix("p-") {
        (Prefix::P, n)
    } else if let Some(n) = class.strip_prefix("u-") {
        (Prefix::U, n)
    } else if let Some(n) = class.strip_prefix("dt-") {
        (Prefix::Dt, n)
    } else if let Some(n) = class.strip_prefix("e-") {
        (Prefix::E, n)
    } else {
        return None;
    };
    mf_name(name).then_some((prefix, name))
}

/// Whitespace runs made one space, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text with its lines kept apart: each line's whitespace collapsed, runs of empty lines made
/// one paragraph break.
fn readable(s: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in s.lines().map(collapse) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(&line);
    }
    out
}

/// One microformats2 item: its types (`h-entry` …), properties and child items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub types: Vec<String>,
    pub properties: BTreeMap<String, Vec<Value>>,
    pub children: Vec<Item>,
}

/// A property's value: its text (a URL for `u-*`, readable text for `e-*`) and, when the
/// property is a nested microformat, that item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub item: Option<Box<Item>>,
}

impl Value {
    fn text(text: String) -> Value {
        Value { text, item: None }
    }
}

impl Item {
    pub fn is(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    fn push(&mut self, name: &str, v: Value) {
        let values = self.properties.entry(name.to_string()).or_default();
        if values.len() < MAX_VALUES {
            values.push(v);
        }
    }

    pub fn values(&self, name: &str) -> &[Value] {
        self.properties.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first non-empty text of a property.
    pub fn first_text(&self, name: &str) -> Option<String> {
        self.values(name)
            .iter()
            .map(|v| v.text.trim())
            .find(|t| !t.is_empty())
            .map(str::to_string)
    }

    /// Every item in this one's children (depth first), this one first.
    fn with_children(&self) -> Vec<&Item> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(i) = stack.pop() {
            out.push(i);
            stack.extend(i.children.iter().rev());
        }
        out
    }
}

/// What a Webmention's source says about its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionKind {
    Reply,
    Like,
    Repost,
    Mention,
}

impl MentionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MentionKind::Reply => "reply",
            MentionKind::Like => "like",
            MentionKind::Repost => "repost",
            MentionKind::Mention => "mention",
        }
    }

    pub fn parse(s: &str) -> Option<MentionKind> {
        match s {
            "reply" => Some(MentionKind::Reply),
            "like" => Some(MentionKind::Like),
            "repost" => Some(MentionKind::Repost),
            "mention" => Some(MentionKind::Mention),
            _ => None,
        }
    }
}

/// The author of a mention (an h-card, or what stood for one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub url: String,
    pub photo: String,
}

/// A source page read as a mention of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub kind: MentionKind,
    pub author: Author,
    /// The entry's title (empty for a note, whose name is its text).
    pub title: String,
    /// Readable text: the content, else the summary.
    pub text: String,
    /// The entry's own address (its `u-url`), else the source.
    pub url: String,
    pub published: Option<DateTime<Utc>>,
}

/// `s` when it is an `http(s)` URL (normalised), else empty.
fn web_only(s: &str) -> String {
    match Url::parse(s.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.to_string(),
        _ => String::new(),
    }
}

fn same_url(a: &str, target: &Url) -> bool {
    Url::parse(a.trim()).is_ok_and(|u| &u == target)
}

/// Whether one of the item's `name` values (URLs or nested h-cite's URLs) is `target`.
fn names_target(item: &Item, name: &str, target: &Url) -> bool {
    item.values(name).iter().any(|v| {
        same_url(&v.text, target)
            || v.item
                .as_ref()
                .is_some_and(|i| i.values("url").iter().any(|u| same_url(&u.text, target)))
    })
}

fn author_of(v: &Value) -> Author {
    match &v.item {
        Some(card) => Author {
            name: card.first_text("name").unwrap_or_default(),
            url: card.first_text("url").unwrap_or_default(),
            photo: card.first_text("photo").unwrap_or_default(),
        },
        None => match Url::parse(v.text.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Author {
                name: String::new(),
                url: u.to_string(),
                photo: String::new(),
            },
            _ => Author {
                name: v.text.trim().to_string(),
                url: String::new(),
                photo: String::new(),
            },
        },
    }
}

/// Reads `page` (fetched from `source`) as a mention of `target`: the h-entry that replies
/// to, likes or reposts the target, else the page's first h-entry; its author (the entry's
/// `author`, else the page's first top-level h-card, else the source's site); its kind.
pub fn read_mention(page: &Page, source: &Url, target: &Url) -> Mention {
    let items = page.items();
    let entries: Vec<&Item> = items
        .iter()
        .flat_map(|i| i.with_children())
        .filter(|i| i.is("h-entry"))
        .collect();
    let kinds = [
        ("in-reply-to", MentionKind::Reply),
        ("like-of", MentionKind::Like),
        ("repost-of", MentionKind::Repost),
    ];
    let found = entries.iter().find_map(|e| {
        kinds
            .iter()
            .find(|(p, _)| names_target(e, p, target))
            .map(|(_, k)| (*e, *k))
    });
    let (entry, kind) = match found {
        Some((e, k)) => (Some(e), k),
        None => (entries.first().copied(), MentionKind::Mention),
    };
    let mut author = entry
        .and_then(|e| e.values("author").first())
        .map(author_of)
        .unwrap_or_default();
    if author.name.is_empty()
        && author.url.is_empty()
        && let Some(card) = items.iter().find(|i| i.is("h-card"))
    {
        author = Author {
            name: card.first_text("name").unwrap_or_default(),
            url: card.first_text("url").unwrap_or_default(),
            photo: card.first_text("photo").unwrap_or_default(),
        };
    }
    // Only web addresses are kept: the page shows them as links.
    author.url = web_only(&author.url);
    author.photo = web_only(&author.photo);
    let site = format!(
        "{}://{}/",
        source.scheme(),
        source.host_str().unwrap_or_default()
    );
    if author.url.is_empty() {
        author.url = site;
    }
    if author.name.is_empty() {
        author.name = Url::parse(&author.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
    }
    let Some(entry) = entry else {
        return Mention {
            kind,
            author,
            title: page.title(),
            text: String::new(),
            url: source.to_string(),
            published: None,
        };
    };
    let text = entry
        .first_text("content")
        .or_else(|| entry.first_text("summary"))
        .unwrap_or_default();
    let name = entry.first_text("name").unwrap_or_default();
    // A note's implied name is its whole text: a title only when it is not the text's start.
    let title = if text.is_empty() || collapse(&text).starts_with(&collapse(&name)) {
        if text.is_empty() {
            name.clone()
        } else {
            String::new()
        }
    } else {
        name
    };
    let url = entry
        .first_text("url")
        .map(|u| web_only(&u))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| source.to_string());
    Mention {
        kind,
        author,
        title,
        text,
        url,
        published: entry
            .first_text("published")
            .and_then(|p| parse_datetime(&p)),
    }
}

/// A microformats date and time: RFC 3339, with a space for the `T`, without seconds, with
/// `Z`, `+hh:mm`, `+hhmm` or no zone (UTC), or a date alone (midnight UTC).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let t = s.replacen(' ', "T", 1);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(&t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let t = t.trim_end_matches('Z');
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
}

/// The Webmention endpoint named by `Link` header values (RFC 8288: `<uri>; rel="…"`, several
/// per header, `rel` a space-separated list), resolved against `base`; the first wins.
pub fn link_header_endpoint<'a>(
    values: impl IntoIterator<Item = &'a str>,
    base: &Url,
) -> Option<Url> {
    values.into_iter().find_map(|v| {
        parse_link_header(v)
            .into_iter()
            .find(|(_, rels)| rels.iter().any(|r| r == "webmention"))
            .and_then(|(uri, _)| base.join(uri.trim()).ok())
    })
}

/// A `Link` header's links: each target with its `rel` values (lowercase).
pub fn parse_link_header(v: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // `<target>`
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'<' {
            break;
        }
        let Some(end) = v[i + 1..].find('>') else {
            break;
        };
        let target = v[i + 1..i + 1 + end].to_string();
        i += end + 2;
        let mut rels = Vec::new();
        // `; name=value` parameters up to the next comma.
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() || b[i] != b';' {
                break;
            }
            i += 1;
            let start = i;
            while i < b.len() && !matches!(b[i], b'=' | b';' | b',') {
                i += 1;
            }
            let name = v[start..i].trim().to_ascii_lowercase();
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && b[i] == b'"' {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' && i + 1 < b.len() {
                            i += 1;
                        }
                        // Byte-wise is safe: `"` and `\` are ASCII, other bytes copied whole.
                        let ch_len = utf8_len(b[i]);
                        value.push_str(v.get(i..i + ch_len).unwrap_or(""));
                        i += ch_len;
                    }
                    i += 1;
                } else {
                    let start = i;
                    while i < b.len() && !matches!(b[i], b';' | b',') {
                        i += 1;
                    }
                    value = v[start..i].trim().to_string();
                }
            }
            if name == "rel" {
                rels.extend(
                    value
                        .split_ascii_whitespace()
                        .map(|r| r.to_ascii_lowercase()),
                );
            }
        }
        out.push((target, rels));
        // Skip to the next link.
        while i < b.len() && b[i] != b',' {
            i += 1;
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// A short excerpt of text: at most `max` characters, cut at a word with an ellipsis.
pub fn excerpt(text: &str, max: usize) -> String {
    let text = collapse(text);
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => cut[..i].to_string(),
        _ => cut,
    };
    let mut out = cut.trim_end().to_string();
    let _ = write!(out, "…");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    const REPLY: &str = r#"<!doctype html><html><head><title>Re: the library</title>
<link rel="stylesheet" href="/s.css"></head><body>
<article class="h-entry">
 <p class="p-author h-card"><img class="u-photo" src="/me.jpg" alt=""><a class="p-name u-url" href="/">Ana Reader</a></p>
 <h1 class="p-name">On the library</h1>
 <p>In reply to <a class="u-in-reply-to" href="https://our.example/2026/01/02/books/">their post</a></p>
 <div class="e-content"><p>Great   news
 about the <b>books</b>.</p><p>Second paragraph<script>evil()</script></div>
 <time class="dt-published" datetime="2026-03-04T05:06:07+01:00">March</time>
 <a class="u-url" href="/notes/1">permalink</a>
</article></body></html>"#;

    #[test]
    fn a_reply_is_read_with_its_author_text_and_date() {
        let src = url("https://ana.example/notes/1");
        let target = url("https://our.example/2026/01/02/books/");
        let page = Page::parse(REPLY.as_bytes(), &src);
        assert!(page.links_to(&target));
        assert!(!page.links_to(&url("https://our.example/other")));
        let m = read_mention(&page, &src, &target);
        assert_eq!(m.kind, MentionKind::Reply);
        assert_eq!(m.author.name, "Ana Reader");
        assert_eq!(m.author.url, "https://ana.example/");
        assert_eq!(m.author.photo, "https://ana.example/me.jpg");
        assert_eq!(m.title, "On the library");
        assert_eq!(m.text, "Great news about the books.\n\nSecond paragraph");
        assert_eq!(m.url, "https://ana.example/notes/1");
        assert_eq!(
            m.published.map(|d| d.to_rfc3339()),
            Some("2026-03-04T04:06:07+00:00".into())
        );
    }

    #[test]
    fn likes_reposts_and_plain_mentions() {
        let src = url("https://b.example/x");
        let target = url("https://our.example/campaigns/books");
        let like = r#"<div class="h-entry"><a class="u-like-of" href="https://our.example/campaigns/books">♥</a></div>"#;
        let m = read_mention(&Page::parse(like.as_bytes(), &src), &src, &target);
        assert_eq!(m.kind, MentionKind::Like);
        assert_eq!(m.author.name, "b.example");
        let repost = r#"<div class="h-entry"><div class="u-repost-of h-cite"><a class="u-url" href="https://our.example/campaigns/books">it</a></div></div>"#;
        let m = read_mention(&Page::parse(repost.as_bytes(), &src), &src, &target);
        assert_eq!(m.kind, MentionKind::Repost);
        let note = r#"<div class="h-feed"><div class="h-entry"><p class="e-content">Support <a href="/campaigns/books">this</a>!</p></div></div>"#;
        let page = Page::parse(note.as_bytes(), &url("https://our.example/feed"));
        let m = read_mention(&page, &src, &target);
        assert_eq!(m.kind, MentionKind::Mention);
        assert_eq!(m.text, "Support this!");
        assert_eq!(m.title, "");
        assert!(page.links_to(&target), "relative links are resolved");
    }

    #[test]
    fn a_page_without_microformats_is_a_mention_by_its_site() {
        let src = url("https://c.example/post");
        let page = Page::parse(
            b"<title>A post</title><p>see <a href='https://our.example/a'>x</a>",
            &src,
        );
        let m = read_mention(&page, &src, &url("https://our.example/a"));
        assert_eq!(m.kind, MentionKind::Mention);
        assert_eq!(m.title, "A post");
        assert_eq!(m.author.url, "https://c.example/");
        assert_eq!(m.author.name, "c.example");
    }

    #[test]
    fn only_web_addresses_are_kept() {
        let src = url("https://e.example/p");
        let page = Page::parse(
            br#"<div class="h-entry"><a class="u-url" href="javascript:alert(1)">x</a><span class="p-author h-card"><a class="u-url p-name" href="data:text/html,x">Eve</a></span></div>"#,
            &src,
        );
        let m = read_mention(&page, &src, &url("https://our.example/"));
        assert_eq!(m.url, "https://e.example/p");
        assert_eq!(m.author.url, "https://e.example/");
        assert_eq!(m.author.name, "Eve");
    }

    #[test]
    fn implied_properties_and_base() {
        let page = Page::parse(
            br#"<base href="https://cdn.example/dir/"><a class="h-card" href="me">Ana</a><div class="h-card"><img src="p.png" alt="Bo"></div>"#,
            &url("https://x.example/"),
        );
        let items = page.items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].first_text("name").as_deref(), Some("Ana"));
        assert_eq!(
            items[0].first_text("url").as_deref(),
            Some("https://cdn.example/dir/me")
        );
        assert_eq!(items[1].first_text("name").as_deref(), Some("Bo"));
        assert_eq!(
            items[1].first_text("photo").as_deref(),
            Some("https://cdn.example/dir/p.png")
        );
    }

    #[test]
    fn unclosed_and_deep_markup_is_parsed_without_recursion() {
        let mut html = String::from("<div class=h-entry><p class=p-name>one<p>two");
        for _ in 0..100_000 {
            html.push_str("<span>");
        }
        html.push_str("<a href=https://t.example/>deep</a>");
        let page = Page::parse(html.as_bytes(), &url("https://s.example/"));
        assert!(page.links_to(&url("https://t.example/")));
        let items = page.items();
        assert_eq!(items[0].first_text("name").as_deref(), Some("one"));
    }

    #[test]
    fn endpoints_from_link_headers_and_html() {
        let base = url("https://d.example/post/1");
        assert_eq!(
            link_header_endpoint(
                [r#"<https://d.example/a>; rel="other", </wm?x=1>; rel="webmention me""#],
                &base
            ),
            Some(url("https://d.example/wm?x=1"))
        );
        assert_eq!(
            link_header_endpoint(["<wm>; rel=webmention"], &base),
            Some(url("https://d.example/post/wm"))
        );
        assert_eq!(link_header_endpoint(["<x>; rel=\"nope\""], &base), None);
        assert_eq!(link_header_endpoint(["garbage", ""], &base), None);
        let page = Page::parse(
            br#"<a href="/x">x</a><a rel="webmention" href="/a-wm">a</a><link rel="webmention" href="/link-wm">"#,
            &base,
        );
        assert_eq!(
            page.webmention_endpoint(),
            Some(url("https://d.example/a-wm")),
            "the first in document order"
        );
        let page = Page::parse(
            br#"<html><head><link rel="stylesheet webmention" href="/link-wm"></head><body><a rel="webmention" href="/a-wm">a</a>"#,
            &base,
        );
        assert_eq!(
            page.webmention_endpoint(),
            Some(url("https://d.example/link-wm"))
        );
        let page = Page::parse(br#"<link rel="webmention" href="">"#, &base);
        assert_eq!(page.webmention_endpoint(), Some(base.clone()));
        assert_eq!(
            parse_link_header("<a>; rel=\"x\\\"y\", <b>;rel=z"),
            vec![
                ("a".to_string(), vec!["x\"y".to_string()]),
                ("b".to_string(), vec!["z".to_string()])
            ]
        );
    }

    #[test]
    fn dates() {
        for (s, want) in [
            ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00"),
            ("2026-01-02 03:04:05+0200", "2026-01-02T01:04:05+00:00"),
            ("2026-01-02T03:04", "2026-01-02T03:04:00+00:00"),
            ("2026-01-02", "2026-01-02T00:00:00+00:00"),
        ] {
            assert_eq!(
                parse_datetime(s).map(|d| d.to_rfc3339()).as_deref(),
                Some(want),
                "{s}"
            );
        }
        assert_eq!(parse_datetime("March"), None);
    }

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 12), "one two…");
    }
}
