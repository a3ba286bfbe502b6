// SPDX-License-Identifier: AGPL-3.0-or-later
//! The layering of `ARCHITECTURE.md`, checked over the source: every `use crate::…`,
//! `use super::…` and `crate::…` path in `src/` (test modules left out) is an arrow from one
//! module to another, and
//!
//! 1. arrows point down or sideways: application → capabilities → shared web layer →
//!    infrastructure ([`LAYERS`]; every top-level module must be named there);
//! 2. a capability uses another only through its domain API: never its surface modules (the
//!    handlers: [`SURFACE`]), and nothing uses the console; a capability's views ([`VIEWS`])
//!    are for other capabilities' pages only;
//! 3. no circle: neither between files of different top-level modules, nor between the domain
//!    modules of different capabilities (a capability's surface may use the domain of another
//!    that uses its own domain, but two domains may not use each other).
//!
//! 4. each table is used only in its home (`tables`: the SQL naming it lives in one module,
//!    its capability's store, and everyone else calls that).
//!
//! `cargo test --test layers` prints each broken rule with the file and the path it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

#[path = "layers/tables.rs"]
mod tables;

/// The layers from the top; a module may use its own layer and those below.
const LAYERS: &[(&str, &[&str])] = &[
    ("application", &["app"]),
    (
        "capability",
        &[
            "campaigns",
            "donations",
            "blog",
            "team",
            "console",
            "import",
            "rates",
            "media",
            "revisions",
            "privacy",
            "federation",
            "webmention",
            "promotion",
            "backup",
        ],
    ),
    ("shared web", &["web"]),
    (
        "infrastructure",
        &[
            "http",
            "db",
            "jobs",
            "mail",
            "live",
            "i18n",
            "config",
            "render",
            "blocking",
            "payments",
            "passwords",
            "signing",
            "outbound",
        ],
    ),
];

/// A capability's modules that answer requests; other capabilities may not use them.
const SURFACE: &[&str] = &["pages", "api", "console"];

/// A capability's views (template data and page rendering another capability's pages
/// show, e.g. the campaign page again after a refused donation): only other capabilities'
/// surfaces and views may use them, and they are not part of the capability's domain.
const VIEWS: &[&str] = &["view"];

/// The console is the team's surface over every capability: only the application uses it.
const SURFACE_CAPABILITIES: &[&str] = &["console"];

type Module = Vec<String>;

fn layer_of(top: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, mods))| mods.contains(&top))
        .map(|(i, (name, _))| (i, *name))
}

fn is_capability(top: &str) -> bool {
    LAYERS[1].1.contains(&top)
}

/// The module a source file is, as path segments (`src/blog/pages.rs` → `blog::pages`).
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs").to_string();
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem);
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Paths named in a file, as written from their root (`crate`, `super`, `self`).
#[derive(Default)]
struct Paths {
    found: Vec<Vec<String>>,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl Paths {
    fn use_tree(&mut self, prefix: &[String], tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                let mut next = prefix.to_vec();
                next.push(p.ident.to_string());
                self.use_tree(&next, &p.tree);
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.to_vec();
                if n.ident != "self" {
                    full.push(n.ident.to_string());
                }
                self.found.push(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.to_vec();
                if r.ident != "self" {
                    full.push(r.ident.to_string());
                }
                self.found.push(full);
            }
            syn::UseTree::Glob(_) => self.found.push(prefix.to_vec()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Paths {
    fn visit_item(&mut self, item: &'a syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, u: &'a syn::ItemUse) {
        self.use_tree(&[], &u.tree);
    }

    fn visit_path(&mut self, p: &'a syn::Path) {
        if let Some(first) = p.segments.first() {
            let root = first.ident.to_string();
            if root == "crate" || root == "super" {
                self.found
                    .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
            }
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'a syn::Macro) {
        // `crate::…` inside macro arguments (format!, sqlx::query!, …): read as tokens.
        let tokens: Vec<String> = m
            .tokens
            .clone()
            .into_iter()
            .map(|t| t.to_string())
            .collect();
        let mut i = 0;
        while i < tokens.len() {
            if tokens[i] == "crate" || tokens[i] == "super" {
                let mut path = vec![tokens[i].clone()];
                let mut j = i + 1;
                while tokens.get(j).is_some_and(|t| t == ":")
                    && tokens.get(j + 1).is_some_and(|t| t == ":")
                {
                    match tokens.get(j + 2) {
                        Some(name) if name.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                            path.push(name.clone());
                            j += 3;
                        }
                        _ => break,
                    }
                }
                if path.len() > 1 {
                    self.found.push(path);
                }
                i = j;
            } else {
                i += 1;
            }
        }
    }
}

/// The longest prefix of `path` that is a module of the crate.
fn resolve(modules: &BTreeSet<Module>, here: &Module, path: &[String]) -> Option<Module> {
    let mut full: Module = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") => {
            full = here.clone();
            rest = &path[1..];
        }
        Some("super") => {
            full = here.clone();
            while rest.first().is_some_and(|s| s == "super") {
                full.pop();
                rest = &rest[1..];
            }
            // One segment up from the module per `super`, whether the file is `foo/mod.rs`
            // (the module `foo`) or `foo/bar.rs` (the module `foo::bar`).
        }
        _ => {
            // A path from a `use` without a root is relative to the module (2018 edition:
            // an external crate or a child module); only children are of interest.
            full = here.clone();
        }
    }
    full.extend(rest.iter().cloned());
    (1..=full.len())
        .rev()
        .map(|n| full[..n].to_vec())
        .find(|m| modules.contains(m))
}

struct Graph {
    /// module → (module it uses → the first path naming it)
    edges: BTreeMap<Module, BTreeMap<Module, String>>,
    files: BTreeMap<Module, PathBuf>,
}

fn read_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let by_module: BTreeMap<Module, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let modules: BTreeSet<Module> = by_module.keys().cloned().collect();
    let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for (here, file) in &by_module {
        let text = std::fs::read_to_string(file).expect("read");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths::default();
        paths.visit_file(&ast);
        for p in paths.found {
            // Only `use` paths without a root can name children; rooted ones are resolved.
            if p.first()
                .is_some_and(|s| s != "crate" && s != "super" && s != "self")
            {
                continue;
            }
            if let Some(to) = resolve(&modules, here, &p)
                && &to != here
                && !to.is_empty()
            {
                edges
                    .entry(here.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| p.join("::"));
            }
        }
    }
    Graph {
        edges,
        files: by_module,
    }
}

fn is_surface(m: &Module) -> bool {
    m.iter().skip(1).any(|s| SURFACE.contains(&s.as_str()))
        || m.first()
            .is_some_and(|t| SURFACE_CAPABILITIES.contains(&t.as_str()))
}

fn is_view(m: &Module) -> bool {
    m.iter().skip(1).any(|s| VIEWS.contains(&s.as_str()))
}

/// Strongly connected components with more than one member (Tarjan).
fn circles(nodes: &BTreeSet<Module>, next: &dyn Fn(&Module) -> Vec<Module>) -> Vec<Vec<Module>> {
    struct State<'a> {
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        on: BTreeSet<Module>,
        out: Vec<Vec<Module>>,
        next: &'a dyn Fn(&Module) -> Vec<Module>,
    }
    fn strong(st: &mut State, v: &Module) {
        let i = st.index.len();
        st.index.insert(v.clone(), i);
        st.low.insert(v.clone(), i);
        st.stack.push(v.clone());
        st.on.insert(v.clone());
        for w in (st.next)(v) {
            if !st.index.contains_key(&w) {
                strong(st, &w);
                let lw = st.low[&w];
                let lv = st.low.get_mut(v).expect("low");
                *lv = (*lv).min(lw);
            } else if st.on.contains(&w) {
                let iw = st.index[&w];
                let lv = st.low.get_mut(v).expect("low");
                *lv = (*lv).min(iw);
            }
        }
        if st.low[v] == st.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = st.stack.pop().expect("stack");
                st.on.remove(&w);
                let done = &w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                st.out.push(comp);
            }
        }
    }
    let mut st = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
        next,
    };
    for v in nodes {
        if !st.index.contains_key(v) {
            strong(&mut st, v);
        }
    }
    st.out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn imports_follow_the_layers() {
    let g = read_graph();
    let mut broken = Vec::new();
    for m in g.files.keys().filter(|m| !m.is_empty()) {
        if layer_of(&m[0]).is_none() {
            broken.push(format!(
                "{}: the top-level module `{}` is in no layer (tests/layers.rs LAYERS)",
                g.files[m].display(),
                m[0]
            ));
        }
    }
    for (from, tos) in &g.edges {
        let Some(top) = from.first() else { continue };
        let Some((lf, nf)) = layer_of(top) else {
            continue;
        };
        for (to, path) in tos {
            let Some((lt, nt)) = layer_of(&to[0]) else {
                continue;
            };
            let file = g.files[from].display();
            if lt < lf {
                broken.push(format!(
                    "{file}: `{path}` points up, from the {nf} layer to the {nt} layer"
                ));
            }
            if is_capability(top) && is_capability(&to[0]) && to[0] != *top {
                if is_surface(to) {
                    broken.push(format!(
                        "{file}: `{path}` uses {}'s surface (handlers); use its domain API",
                        to[0]
                    ));
                } else if is_view(to) && !is_surface(from) && !is_view(from) {
                    broken.push(format!(
                        "{file}: `{path}` uses {}'s view from a domain module",
                        to[0]
                    ));
                }
            }
        }
    }
    // Circles between files of different top-level modules.
    let nodes: BTreeSet<Module> = g.files.keys().cloned().collect();
    let cross = |m: &Module| -> Vec<Module> {
        g.edges
            .get(m)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    };
    for comp in circles(&nodes, &cross) {
        let tops: BTreeSet<&String> = comp.iter().filter_map(|m| m.first()).collect();
        if tops.len() > 1 {
            broken.push(format!(
                "a circle of imports across modules: {}",
                comp.iter().map(name).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    // Circles between capabilities' domains.
    let caps: BTreeSet<Module> = LAYERS[1].1.iter().map(|c| vec![c.to_string()]).collect();
    let domain_next = |c: &Module| -> Vec<Module> {
        let mut out = BTreeSet::new();
        for (from, tos) in &g.edges {
            if from.first() != c.first() || is_surface(from) || is_view(from) {
                continue;
            }
            for to in tos.keys() {
                if to[0] != c[0] && is_capability(&to[0]) {
                    out.insert(vec![to[0].clone()]);
                }
            }
        }
        out.into_iter().collect()
    };
    for comp in circles(&caps, &domain_next) {
        let mut why = Vec::new();
        for (from, tos) in &g.edges {
            if !comp.iter().any(|c| c[0] == from[0]) || is_surface(from) || is_view(from) {
                continue;
            }
            for (to, path) in tos {
                if to[0] != from[0] && comp.iter().any(|c| c[0] == to[0]) {
                    why.push(format!("{} → `{path}`", name(from)));
                }
            }
        }
        broken.push(format!(
            "the domains of {} use each other: {}",
            comp.iter().map(name).collect::<Vec<_>>().join(", "),
            why.join("; ")
        ));
    }
    assert!(
        broken.is_empty(),
        "{} imports break the layering (ARCHITECTURE.md, \"Layers\"):\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// Capabilities without tables of their own: every row they write or read goes through the
/// domain API of the capability whose table it is, so their files hold no SQL.
const WITHOUT_TABLES: &[&str] = &["import"];

#[test]
fn capabilities_without_tables_run_no_sql() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for top in WITHOUT_TABLES {
        let mut files = Vec::new();
        rust_files(&src.join(top), &mut files);
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read source");
            for (i, line) in text.lines().enumerate() {
                if ["sqlx::", "on_db!", "on_tx!"]
                    .iter()
                    .any(|s| line.contains(s))
                {
                    broken.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "SQL in a capability without tables (use the owning capability's store):\n{}",
        broken.join("\n")
    );
}
