//! Comment spam defence without third-party services.
//!
//! Each guest comment is judged on signals the form itself carries:
//! * a **honeypot** field (`website`, hidden from people by CSS, `aria-hidden` and
//!   `tabindex=-1`, labelled "leave empty"): filled in → spam;
//! * the **time to fill** the form, read from the signed CSRF token's timestamp (the token
//!   is HMAC'd, so a bot cannot backdate it): under [`MIN_FILL_SECS`] → spam;
//! * a **block list** of words and URL fragments (site setting `comment_blocklist`, one entry
//!   a line, case-insensitive substring match on name, e-mail, URL and body): a match → spam;
//! * the **number of links** in the body: more than [`MAX_LINKS`] → held (pending), more than
//!   [`SPAM_LINKS`] → spam.
//!
//! Per-address rate limits are counted on the `comments` table itself (see
//! `comments::rate_limited`): every stored submission, spam included, counts.
//!
//! A spam verdict stores the comment with status `spam` (never shown) and answers the bot
//! exactly like a held comment: no error page to learn from.

/// Less than this many seconds between rendering the form and posting it → spam.
pub const MIN_FILL_SECS: i64 = 3;
/// More links than this → held for moderation.
pub const MAX_LINKS: usize = 2;
/// More links than this → spam.
pub const SPAM_LINKS: usize = 8;
/// The settings-table key of the block list.
pub const BLOCKLIST_SETTING: &str = "comment_blocklist";
/// The block list's longest accepted text (characters).
pub const BLOCKLIST_MAX: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing suspicious.
    Clean,
    /// Held for a person to look at (reason, for the log).
    Hold(&'static str),
    /// Stored as spam (reason, for the log).
    Spam(&'static str),
}

/// What the form told us about the submitter.
pub struct Signals<'a> {
    pub honeypot: &'a str,
    /// Seconds since the form was rendered (`None`: unknown → treated as too fast).
    pub fill_secs: Option<i64>,
    pub name: &'a str,
    pub email: &'a str,
    pub url: &'a str,
    pub body: &'a str,
}

/// The block list's entries: one a line, trimmed, lower-cased; blank lines and `#` comments
/// skipped.
pub fn parse_blocklist(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The first block-list entry found in any of the fields.
pub fn blocklisted<'a>(list: &'a [String], fields: &[&str]) -> Option<&'a str> {
    let fields: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
    list.iter()
        .find(|entry| fields.iter().any(|f| f.contains(entry.as_str())))
        .map(String::as_str)
}

/// Links in a text: URLs with a scheme, bare `www.` addresses, and HTML anchors.
pub fn count_links(text: &str) -> usize {
    let lower = text.to_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower
            .match_indices("www.")
            .filter(|(i, _)| !lower[..*i].ends_with("//"))
            .count()
        + lower.matches("<a ").count()
        + lower.matches("[url").count()
}

/// The verdict on a guest comment.
pub fn judge(sig: &Signals<'_>, blocklist: &[String]) -> Verdict {
    if !sig.honeypot.trim().is_empty() {
        return Verdict::Spam("honeypot");
    }
    match sig.fill_secs {
        Some(s) if s >= MIN_FILL_SECS => {}
        _ => return Verdict::Spam("too fast"),
    }
    if blocklisted(blocklist, &[sig.name, sig.email, sig.url, sig.body]).is_some() {
        return Verdict::Spam("block list");
    }
    let links = count_links(sig.body);
    if links > SPAM_LINKS {
        return Verdict::Spam("too many links");
    }
    if links > MAX_LINKS {
        return Verdict::Hold("links");
    }
    Verdict::Clean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig<'a>(body: &'a str, honeypot: &'a str, secs: Option<i64>) -> Signals<'a> {
        Signals {
            honeypot,
            fill_secs: secs,
            name: "Ada",
            email: "ada@example.org",
            url: "",
            body,
        }
    }

    #[test]
    fn verdicts() {
        let none: Vec<String> = vec![];
        assert_eq!(judge(&sig("Hello", "", Some(10)), &none), Verdict::Clean);
        assert_eq!(
            judge(&sig("Hello", "x", Some(10)), &none),
            Verdict::Spam("honeypot")
        );
        assert_eq!(
            judge(&sig("Hello", "", Some(1)), &none),
            Verdict::Spam("too fast")
        );
        assert_eq!(
            judge(&sig("Hello", "", None), &none),
            Verdict::Spam("too fast")
        );
        let three = "http://a.example https://b.example www.c.example";
        assert_eq!(count_links(three), 3);
        assert_eq!(
            judge(&sig(three, "", Some(10)), &none),
            Verdict::Hold("links")
        );
        assert_eq!(count_links("see https://www.example.org"), 1);
        let list = parse_blocklist("# comment\n\n  Casino \nexample.bad\n");
        assert_eq!(list, vec!["casino".to_string(), "example.bad".to_string()]);
        assert_eq!(
            judge(&sig("Best CASINO here", "", Some(10)), &list),
            Verdict::Spam("block list")
        );
        assert_eq!(
            blocklisted(&list, &["fine", "http://example.bad/x"]),
            Some("example.bad")
        );
    }
}
