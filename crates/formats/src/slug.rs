// SPDX-License-Identifier: AGPL-3.0-or-later

//! URL slugs for posts, pages, terms and authors: the one slug rule of the site (the blog's
//! `blog::write::slugify`, and the name form of `/author/{slug}/`; the WordPress importer's
//! [`crate::wordpress::content::slugify`] decodes percent-encoding first).

/// The longest slug [`slugify`] makes (and the blog accepts).
pub const MAX_SLUG: usize = 80;

/// A URL slug: lowercase ASCII letters, digits and single hyphens, at most [`MAX_SLUG`]
/// characters (cut at a hyphen when possible). Latin letters with accents lose them; æ ø å
/// become ae oe aa; other scripts are dropped. May be empty.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for ch in text.chars().flat_map(char::to_lowercase) {
        let rep: &str = match ch {
            'a'..='z' | '0'..='9' => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(ch);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ā' | 'ą' => "a",
            'ä' => "ae",
            'å' => "aa",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
            'ö' | 'ø' => "oe",
            'ù' | 'ú' | 'û' | 'ū' | 'ů' | 'ű' => "u",
            'ü' => "ue",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            'ł' => "l",
            'ś' | 'š' => "s",
            'ź' | 'ż' | 'ž' => "z",
            'đ' | 'ð' | 'ď' => "d",
            'þ' => "th",
            'ř' => "r",
            'ť' => "t",
            '\'' | '’' => "",
            _ => {
                dash = true;
                continue;
            }
        };
        if rep.is_empty() {
            continue;
        }
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.push_str(rep);
    }
    if out.len() > MAX_SLUG {
        let cut = &out[..MAX_SLUG];
        let cut = match cut.rfind('-') {
            Some(i) if i > MAX_SLUG / 2 => &cut[..i],
            _ => cut,
        };
        out = cut.trim_end_matches('-').to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        // Author names in `/author/{slug}/` (runs of separators are one hyphen).
        assert_eq!(slugify("Ada  Lovelace!"), "ada-lovelace");
        assert_eq!(slugify("  Bøger til Ærø  "), "boeger-til-aeroe");
        assert_eq!(slugify("We've made it — 100%"), "weve-made-it-100");
        assert_eq!(slugify("日本"), "");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= MAX_SLUG && !long.ends_with('-'), "{long}");
    }

    proptest! {
        #[test]
        fn slugs_are_url_safe(s in ".{0,200}") {
            let out = slugify(&s);
            prop_assert!(out.len() <= MAX_SLUG);
            prop_assert!(out.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!out.starts_with('-') && !out.ends_with('-') && !out.contains("--"));
            prop_assert_eq!(slugify(&out), out.clone());
        }
    }
}
