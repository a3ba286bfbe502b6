// SPDX-License-Identifier: AGPL-3.0-or-later

//! E-mail addresses, parsed at the edge.

use std::fmt;

/// A plausible e-mail address: `local@domain.tld`, at most 254 characters, no spaces.
/// (Deliverability is proved by sending, not by parsing.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("that does not look like an e-mail address (like name@example.org)")]
pub struct EmailError;

impl Email {
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let s = s.trim();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(EmailError);
        }
        if local.chars().any(|c| {
            matches!(
                c,
                '<' | '>' | '"' | '(' | ')' | ',' | ';' | ':' | '\\' | '[' | ']'
            )
        }) {
            return Err(EmailError);
        }
        // Only ASCII letters are folded: Unicode lower-casing can lengthen a name or change
        // it again on a second pass ('İ'), and the stored form must parse to itself.
        let normalized = format!("{local}@{}", domain.to_ascii_lowercase());
        if normalized.len() > 254 {
            return Err(EmailError);
        }
        Ok(Email(normalized))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Donor data: keep it out of logs.
        f.write_str("Email(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_rejects() {
        assert_eq!(
            Email::parse(" Ana@Example.ORG ").map(|e| e.to_string()),
            Ok("Ana@example.org".into())
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.org",
            "a@.org",
            "a b@c.org",
            "a@b..org",
            "<x>@y.org",
            "a@b.org.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,300}") {
            let _ = Email::parse(&s);
        }
    }
}
