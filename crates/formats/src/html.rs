//! Escaping text for HTML and XML: the one escape the server uses outside its templates
//! (which escape themselves). `&`, `<`, `>`, `"` and `'` are replaced, so the result is safe
//! in element content and in quoted attribute values alike.

/// Appends `s` to `out`, escaped.
pub fn escape_into(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `s`, escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_both_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        let mut out = String::from("pre:");
        escape_into("æ<ø", &mut out);
        assert_eq!(out, "pre:æ&lt;ø");
    }
}
