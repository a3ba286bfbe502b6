//! One home per table (ARCHITECTURE.md, "Tables and their homes"): the SQL that names a
//! table lives in its home module(s) only; everyone else reaches the table through the
//! home's functions. Checked over `src/` (test modules left out):
//!
//! * the tables are those the migrations create (`migrations/sqlite/*.sql`, following
//!   `DROP TABLE` and `ALTER TABLE … RENAME TO`), and [`HOMES`] names a home for each;
//! * a string literal naming a table after `FROM`, `JOIN`, `INTO` or `UPDATE` (upper case,
//!   as the code writes SQL; `FROM a x, b y` names both), a sea-query `Alias::new("table")`
//!   and a `#[derive(Iden)]` enum with a `Table` variant (the table is the enum's name in
//!   snake case) each count as a use of that table by the file's module;
//! * a use outside the table's home must be in [`EXCEPTIONS`] (table, module, reason); an
//!   exception nothing needs any more fails too, so the list only shrinks;
//! * ARCHITECTURE.md's "Tables and their homes" table names the same homes as [`HOMES`].
//!
//! `db::dump` (backups) reads and writes every table, with names it takes from the
//! catalogue at run time: it names no table in a literal, so it needs no exception here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

use super::{is_test_only, module_of, rust_files};

/// Each table's home: the modules (and their children) whose SQL may name it.
pub const HOMES: &[(&str, &[&str])] = &[
    ("api_tokens", &["team::repo"]),
    ("audit_log", &["team::repo"]),
    ("blog_version", &["blog::repo"]),
    ("campaign_totals", &["campaigns::repo"]),
    ("campaign_events", &["promotion::events::repo"]),
    ("campaigns", &["campaigns::repo"]),
    ("card_declines", &["donations::repo"]),
    ("checkout_sessions", &["donations::repo"]),
    ("comment_reply_notices", &["blog::repo"]),
    ("comment_reply_subscriptions", &["blog::repo"]),
    ("commenter_emails", &["blog::repo"]),
    ("comments", &["blog::repo"]),
    ("consents", &["donations::repo"]),
    ("donation_moderation", &["donations::repo"]),
    ("donation_refunds", &["donations::repo"]),
    ("donation_voids", &["donations::repo"]),
    ("donations", &["donations::repo"]),
    ("erasures", &["privacy::repo"]),
    ("event_entries", &["promotion::events::repo"]),
    ("federation_actors", &["federation::repo"]),
    ("federation_followers", &["federation::repo"]),
    ("federation_remote_actors", &["federation::repo"]),
    ("federation_seen_activities", &["federation::repo"]),
    ("federation_outbox", &["federation::repo"]),
    ("federation_blocks", &["federation::repo"]),
    ("federation_breakers", &["federation::repo"]),
    ("federation_milestones", &["federation::repo"]),
    ("federation_avatars", &["federation::repo"]),
    ("federation_following", &["federation::repo"]),
    ("federation_timeline", &["federation::repo"]),
    ("federation_sent_reactions", &["federation::repo"]),
    ("exchange_rates", &["rates"]),
    ("grants", &["team::repo"]),
    ("jobs", &["jobs"]),
    ("known_devices", &["team::repo"]),
    ("ledger_entries", &["donations::repo"]),
    ("matching_gifts", &["donations::repo"]),
    ("monthly_gifts", &["donations::repo"]),
    ("monthly_payments", &["donations::repo"]),
    ("likes", &["blog::repo"]),
    ("live_entries", &["blog::repo"]),
    ("live_posts", &["blog::repo"]),
    ("page_views", &["promotion::repo"]),
    ("page_visitors", &["promotion::repo"]),
    ("referral_links", &["promotion::repo"]),
    ("visitor_days", &["promotion::repo"]),
    ("post_reactions", &["blog::repo"]),
    ("login_failures", &["team::throttle"]),
    ("login_tokens", &["team::repo"]),
    ("media", &["media::store"]),
    ("members", &["team::repo"]),
    ("milestones", &["campaigns::repo"]),
    ("outbox", &["mail"]),
    ("passkey_challenges", &["team::repo"]),
    ("passkeys", &["team::repo"]),
    ("pledges", &["donations::repo"]),
    ("pow_spent", &["donations::repo"]),
    ("post_slug_history", &["blog::repo"]),
    ("post_terms", &["blog::repo"]),
    ("posts", &["blog::repo"]),
    ("provider_events", &["donations::repo"]),
    ("receipts", &["donations::repo"]),
    ("recovery_codes", &["team::repo"]),
    ("revisions", &["revisions::repo"]),
    ("redirects", &["blog::repo"]),
    ("sessions", &["team::repo"]),
    ("settings", &["db"]),
    ("terms", &["blog::repo"]),
    ("throttle_keys", &["team::throttle"]),
    ("webmention_sends", &["webmention::repo"]),
    ("webmentions", &["webmention::repo"]),
];

/// Uses outside a table's home that are allowed: (table, module, reason).
pub const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "campaign_totals",
        "donations::repo::ledger",
        "the ledger adds each entry to the totals in the donation's own transaction",
    ),
    (
        "campaign_totals",
        "live",
        "live owns the totals row's version (bumped, polled) that pages and caches follow",
    ),
    (
        "campaigns",
        "donations::repo::ledger",
        "read join: the ledger check lists campaigns by slug with their totals",
    ),
    (
        "campaigns",
        "donations::repo::voids",
        "read join: the ledger check names each void's campaign by slug",
    ),
    (
        "campaigns",
        "donations::repo::sessions",
        "read join: a checkout session is read with its campaign's currency",
    ),
    (
        "members",
        "blog::repo::posts",
        "read join: posts are listed with their author's display name",
    ),
    (
        "members",
        "blog::repo::terms",
        "read join: author archives list the members who wrote posts",
    ),
    (
        "members",
        "revisions::repo",
        "read join: a revision names the member who saved it",
    ),
];

/// The tables the migrations leave, in order of the files.
fn migration_tables(root: &Path) -> BTreeSet<String> {
    let dir = root.join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut tables = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read migration");
        let words: Vec<String> = words(&text).into_iter().map(|w| w.to_lowercase()).collect();
        let at = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        for i in 0..words.len() {
            match (at(i), at(i + 1)) {
                ("create", "table") => {
                    let mut j = i + 2;
                    if at(j) == "if" {
                        j += 3; // IF NOT EXISTS
                    }
                    tables.insert(at(j).to_string());
                }
                ("drop", "table") => {
                    let j = if at(i + 2) == "if" { i + 4 } else { i + 2 };
                    tables.remove(at(j));
                }
                ("alter", "table")
                    if at(i + 3) == "rename" && at(i + 4) == "to" && tables.remove(at(i + 2)) =>
                {
                    tables.insert(at(i + 5).to_string());
                }
                _ => {}
            }
        }
    }
    tables
}

/// Identifiers and single punctuation characters, `'…'` strings and `--` comments left out.
fn words(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut w = c.to_string();
            while let Some(&n) = chars.peek().filter(|n| n.is_alphanumeric() || **n == '_') {
                w.push(n);
                chars.next();
            }
            out.push(w);
        } else if c == '\'' {
            for n in chars.by_ref() {
                if n == '\'' {
                    break;
                }
            }
        } else if c == '-' && chars.peek() == Some(&'-') {
            for n in chars.by_ref() {
                if n == '\n' {
                    break;
                }
            }
        } else if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    out
}

/// The tables an SQL text names after `FROM`, `JOIN`, `INTO` or `UPDATE`.
fn tables_named(sql: &str, known: &BTreeSet<String>) -> Vec<String> {
    let w = words(sql);
    let mut out = Vec::new();
    for (i, kw) in w.iter().enumerate() {
        if !matches!(kw.as_str(), "FROM" | "JOIN" | "INTO" | "UPDATE") {
            continue;
        }
        let mut j = i + 1;
        while let Some(t) = w.get(j).filter(|t| known.contains(*t)) {
            out.push(t.clone());
            j += 1;
            if w.get(j).is_some_and(|a| a == "AS") {
                j += 1;
            }
            // A lower-case alias (keywords are upper case).
            if w.get(j)
                .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_lowercase()))
            {
                j += 1;
            }
            if kw == "FROM" && w.get(j).is_some_and(|c| c == ",") {
                j += 1;
            } else {
                break;
            }
        }
    }
    out
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The tables a file's code names, with how.
struct Uses<'a> {
    known: &'a BTreeSet<String>,
    found: Vec<(String, &'static str)>,
}

impl Uses<'_> {
    fn sql(&mut self, text: &str) {
        for t in tables_named(text, self.known) {
            self.found.push((t, "SQL"));
        }
    }

    fn alias(&mut self, name: &str) {
        if self.known.contains(name) {
            self.found.push((name.to_string(), "Alias::new"));
        }
    }

    /// String literals inside macro arguments (`on_db!`, `format!`, …), and `Alias::new`.
    fn tokens(&mut self, ts: TokenStream) {
        let mut before: Vec<String> = Vec::new();
        for tt in ts {
            match tt {
                TokenTree::Group(g) => {
                    let alias = before.len() >= 4
                        && before[before.len() - 4..] == ["Alias", ":", ":", "new"];
                    if alias
                        && let Some(TokenTree::Literal(l)) = g.stream().into_iter().next()
                        && let syn::Lit::Str(s) = syn::Lit::new(l)
                    {
                        self.alias(&s.value());
                    }
                    self.tokens(g.stream());
                    before.clear();
                }
                TokenTree::Literal(l) => {
                    if let syn::Lit::Str(s) = syn::Lit::new(l) {
                        self.sql(&s.value());
                    }
                    before.clear();
                }
                other => before.push(other.to_string()),
            }
        }
    }
}

impl<'a> Visit<'a> for Uses<'_> {
    fn visit_item(&mut self, item: &'a syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    /// Doc comments and other attributes are not code.
    fn visit_attribute(&mut self, _: &'a syn::Attribute) {}

    fn visit_lit_str(&mut self, s: &'a syn::LitStr) {
        self.sql(&s.value());
    }

    fn visit_macro(&mut self, m: &'a syn::Macro) {
        self.tokens(m.tokens.clone());
    }

    fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            let names: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if names.ends_with(&["Alias".to_string(), "new".to_string()])
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) = c.args.first()
            {
                self.alias(&s.value());
            }
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_item_enum(&mut self, e: &'a syn::ItemEnum) {
        let iden = e.attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && a.meta.require_list().is_ok_and(|l| {
                    l.tokens
                        .clone()
                        .into_iter()
                        .any(|t| t.to_string() == "Iden")
                })
        });
        if iden && e.variants.iter().any(|v| v.ident == "Table") {
            let table = snake_case(&e.ident.to_string());
            if self.known.contains(&table) {
                self.found.push((table, "#[derive(Iden)]"));
            }
        }
        syn::visit::visit_item_enum(self, e);
    }
}

fn within(module: &str, home: &str) -> bool {
    module == home || module.starts_with(&format!("{home}::"))
}

/// ARCHITECTURE.md's "Tables and their homes" rows: table → homes (backticked names of the
/// first two cells).
fn documented_homes(root: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    text.lines()
        .skip_while(|l| !l.starts_with("### Tables and their homes"))
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            let table = ticked(cells.get(1)?).into_iter().next()?;
            Some((table, ticked(cells.get(2)?)))
        })
        .collect()
}

#[test]
fn each_table_is_used_only_in_its_home() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tables = migration_tables(root);
    let homes: BTreeMap<&str, &[&str]> = HOMES.iter().copied().collect();
    let mut broken = Vec::new();
    for t in &tables {
        if !homes.contains_key(t.as_str()) {
            broken.push(format!(
                "the table `{t}` has no home in tests/layers/tables.rs HOMES"
            ));
        }
    }
    for t in homes.keys() {
        if !tables.contains(*t) {
            broken.push(format!("HOMES names `{t}`, which no migration creates"));
        }
    }
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut used_exceptions = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file).join("::");
        let text = std::fs::read_to_string(file).expect("read");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut uses = Uses {
            known: &tables,
            found: Vec::new(),
        };
        uses.visit_file(&ast);
        let mut seen = BTreeSet::new();
        for (table, how) in uses.found {
            let home = homes.get(table.as_str()).copied().unwrap_or(&[]);
            if home.iter().any(|h| within(&module, h)) || !seen.insert((table.clone(), how)) {
                continue;
            }
            let allowed = EXCEPTIONS
                .iter()
                .position(|(t, m, _)| *t == table && *m == module);
            match allowed {
                Some(i) => {
                    used_exceptions.insert(i);
                }
                None => broken.push(format!(
                    "{}: names the table `{table}` ({how}), whose home is {}; move the query there \
                     and call it, or add an exception with its reason",
                    file.strip_prefix(root).unwrap_or(file).display(),
                    home.iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
    }
    for (i, (t, m, why)) in EXCEPTIONS.iter().enumerate() {
        if !used_exceptions.contains(&i) {
            broken.push(format!(
                "the exception ({t}, {m}: {why}) is no longer needed: remove it from EXCEPTIONS"
            ));
        }
    }
    let documented = documented_homes(root);
    for (t, h) in &homes {
        match documented.get(*t) {
            Some(d) if d.iter().map(String::as_str).eq(h.iter().copied()) => {}
            Some(d) => broken.push(format!(
                "ARCHITECTURE.md gives `{t}` the home(s) {d:?}, HOMES {h:?}"
            )),
            None => broken.push(format!(
                "ARCHITECTURE.md's \"Tables and their homes\" has no row for `{t}`"
            )),
        }
    }
    for t in documented.keys() {
        if !homes.contains_key(t.as_str()) {
            broken.push(format!("ARCHITECTURE.md lists `{t}`, which HOMES does not"));
        }
    }
    assert!(
        broken.is_empty(),
        "{} uses break the one-home-per-table rule (ARCHITECTURE.md, \"Tables and their homes\"):\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn sql_texts_name_their_tables() {
    let known: BTreeSet<String> = ["posts", "members", "post_terms", "settings", "comments"]
        .into_iter()
        .map(String::from)
        .collect();
    let named = |sql: &str| tables_named(sql, &known);
    assert_eq!(
        named("SELECT p.id FROM posts p LEFT JOIN members m ON m.id = p.author_id"),
        ["posts", "members"]
    );
    assert_eq!(
        named("SELECT 1 FROM post_terms pt, posts AS p WHERE x"),
        ["post_terms", "posts"]
    );
    assert_eq!(
        named("INSERT INTO settings (key) VALUES ($1) ON CONFLICT (key) DO UPDATE SET value = 1"),
        ["settings"]
    );
    assert_eq!(named("DELETE FROM comments WHERE id = $1"), ["comments"]);
    assert_eq!(
        named("UPDATE comments SET status = 'x FROM posts'"),
        ["comments"]
    );
    assert!(named("Choose posts from members; update comments").is_empty());
    assert!(named("SELECT EXTRACT(EPOCH FROM created_at) FROM (SELECT 1) s").is_empty());
    assert_eq!(snake_case("CheckoutSessions"), "checkout_sessions");
}
