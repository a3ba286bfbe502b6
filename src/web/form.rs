//! Form helpers shared by every form: field errors, posted fields, paging and list links.

use std::collections::HashMap;

/// Field → message, for marking form fields.
#[derive(Debug, Default, Clone)]
pub struct Errors(pub HashMap<&'static str, String>);

impl Errors {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.entry(field).or_insert(message);
    }
}

/// A posted form's fields, in order (repeated names kept, for checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The last value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// `get` cut to `max` characters (what is shown again in a re-rendered form).
    pub fn text(&self, name: &str, max: usize) -> String {
        self.get(name).chars().take(max).collect()
    }
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
    pub fn csrf(&self) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
    }
}

/// The `page` query parameter of a paged list: 1 when missing or not a number, at most
/// 100 000.
pub fn page_no(p: Option<&str>) -> i64 {
    p.and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000)
}

/// `?a=b&c=d` for links that keep a list's filters (values percent-encoded).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let enc = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings() {
        assert_eq!(query_string(&[("a", ""), ("b", "")]), "");
        assert_eq!(query_string(&[("q", "a b&c"), ("x", "")]), "?q=a%20b%26c");
    }
}
