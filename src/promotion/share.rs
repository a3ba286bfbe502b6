//! The share kit: ready-made texts for a campaign (short, for Mastodon, Bluesky, X and
//! WhatsApp; long, for e-mail, newsletters and blog posts) in the reader's language, and
//! share links that need no script from anyone: each network's own "share" address, filled
//! in. Mastodon has no single address (every server is its own site), so the page asks for
//! the reader's server, as the follow box does, and links to its `/share` page.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::i18n::I18n;

/// What the texts say about the campaign (already formatted in the reader's language).
pub struct Facts<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    /// The campaign page, absolute.
    pub url: &'a str,
    pub raised: &'a str,
    pub goal: &'a str,
}

/// One network's share link.
pub struct Channel {
    pub name: &'static str,
    pub href: String,
}

/// The texts and links for one campaign.
pub struct Kit {
    /// One or two sentences and the address (fits a toot, a post on Bluesky or X).
    pub short: String,
    /// A few paragraphs and the address (e-mail, newsletters, blog posts).
    pub long: String,
    pub subject: String,
    pub channels: Vec<Channel>,
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// The share kit of a campaign, in `tr`'s language.
pub fn kit(tr: &I18n, f: &Facts<'_>) -> Kit {
    let args = |extra: &[(&'static str, String)]| {
        let mut v = vec![
            ("title", f.title.to_string()),
            ("raised", f.raised.to_string()),
            ("goal", f.goal.to_string()),
        ];
        v.extend_from_slice(extra);
        v
    };
    let short_text = tr.ta("share-short", args(&[]));
    let short = format!("{short_text} {}", f.url);
    let mut paragraphs = vec![f.title.to_string()];
    if !f.summary.trim().is_empty() {
        paragraphs.push(f.summary.trim().to_string());
    }
    paragraphs.push(tr.ta("share-long-progress", args(&[])));
    paragraphs.push(format!("{} {}", tr.t("share-long-ask"), f.url));
    let long = paragraphs.join("\n\n");
    let subject = tr.ta("share-subject", args(&[]));
    let channels = vec![
        Channel {
            name: "Bluesky",
            href: format!("https://bsky.app/intent/compose?text={}", enc(&short)),
        },
        Channel {
            name: "X",
            href: format!(
                "https://x.com/intent/post?text={}&url={}",
                enc(&short_text),
                enc(f.url)
            ),
        },
        Channel {
            name: "Facebook",
            href: format!(
                "https://www.facebook.com/sharer/sharer.php?u={}",
                enc(f.url)
            ),
        },
        Channel {
            name: "LinkedIn",
            href: format!(
                "https://www.linkedin.com/sharing/share-offsite/?url={}",
                enc(f.url)
            ),
        },
        Channel {
            name: "WhatsApp",
            href: format!("https://wa.me/?text={}", enc(&short)),
        },
        Channel {
            name: "E-mail",
            href: format!("mailto:?subject={}&body={}", enc(&subject), enc(&long)),
        },
    ];
    Kit {
        short,
        long,
        subject,
        channels,
    }
}

/// The reader's Mastodon (or other fediverse) server's page for sharing `text`.
pub fn mastodon_share(server: &str, text: &str) -> String {
    format!("https://{server}/share?text={}", enc(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_fills_each_network_s_own_address() {
        let tr = I18n::new("en");
        let k = kit(
            &tr,
            &Facts {
                title: "Books & bikes",
                summary: "A library for the village.",
                url: "https://give.example.org/campaigns/books",
                raised: "£250",
                goal: "£1,000",
            },
        );
        assert!(k.short.starts_with("Help Books & bikes"), "{}", k.short);
        assert!(
            k.short
                .ends_with(" https://give.example.org/campaigns/books")
        );
        assert!(k.long.contains("\n\nA library for the village.\n\n"));
        let bsky = &k.channels[0].href;
        assert!(
            bsky.starts_with("https://bsky.app/intent/compose?text=Help%20Books%20%26%20bikes")
        );
        assert!(k.channels.iter().all(|c| !c.href.contains(' ')));
        assert!(k.channels[5].href.starts_with("mailto:?subject="));
        assert_eq!(
            mastodon_share("social.example", "a b"),
            "https://social.example/share?text=a%20b"
        );
        let da = kit(
            &I18n::new("da"),
            &Facts {
                title: "Bøger",
                summary: "",
                url: "https://give.example.org/campaigns/b",
                raised: "250 kr.",
                goal: "1.000 kr.",
            },
        );
        assert_ne!(da.short, k.short);
        assert!(
            !da.long.contains("\n\n\n"),
            "an empty summary adds no paragraph"
        );
    }
}
