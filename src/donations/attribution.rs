//! What brought a donation: the referral code (`?ref=`) and the campaign source
//! (`?utm_source=`) of the campaign page the donate form was posted from.
//!
//! The campaign page is rendered once per (campaign, language, currency) and cached, so
//! nothing of the visit can be written into its form; the address it was opened at can: a
//! same-origin form post's `Referer` is that address, query included (the site's
//! `Referrer-Policy` is `strict-origin-when-cross-origin`). The checkout keeps both values
//! as given (`checkout_sessions.ref_code`, `utm_source`): donations know nothing of
//! promotion's referral links, which read the totals by code back through [`entries`]. A
//! code no link has is kept but credited to none. No cookie is involved.

use crate::db::{Db, DbResult};

/// What the donate form's page address said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    pub ref_code: Option<String>,
    pub utm_source: Option<String>,
}

/// The source named by `referer` when it is our own campaign page `slug` (`base` is the
/// site's base URL); nothing for any other address.
pub fn source_of(base: &str, slug: &str, referer: Option<&str>) -> Source {
    let Some(r) = referer else {
        return Source::default();
    };
    let page = format!("{}/campaigns/{slug}", base.trim_end_matches('/'));
    let Some(rest) = r.strip_prefix(&page) else {
        return Source::default();
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let Some(query) = rest.strip_prefix('?') else {
        return Source::default();
    };
    let query = query.split('#').next();
    use crate::http::views::query_token;
    Source {
        ref_code: query_token(query, "ref", 32, false),
        utm_source: query_token(query, "utm_source", 40, true),
    }
}

/// Keeps `source` on the checkout `session_id`.
pub async fn keep(db: &Db, session_id: &str, source: &Source) -> DbResult<()> {
    if source == &Source::default() {
        return Ok(());
    }
    super::repo::attribution::set_source(
        db,
        session_id,
        source.ref_code.as_deref(),
        source.utm_source.as_deref(),
    )
    .await
}

pub use super::repo::attribution::CreditedEntry;

/// The entries counting towards `campaign_id`'s total, oldest first, with their sources.
pub async fn entries(db: &Db, campaign_id: &str) -> DbResult<Vec<CreditedEntry>> {
    super::repo::attribution::entries(db, campaign_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_campaign_page_names_a_source() {
        let base = "https://give.example.org";
        let s = source_of(
            base,
            "roof",
            Some("https://give.example.org/campaigns/roof?ref=Ab3x_9&utm_source=Mastodon#donate"),
        );
        assert_eq!(s.ref_code.as_deref(), Some("Ab3x_9"));
        assert_eq!(s.utm_source.as_deref(), Some("mastodon"));
        for other in [
            "https://evil.example/campaigns/roof?ref=Ab3x",
            "https://give.example.org.evil.example/campaigns/roof?ref=Ab3x",
            "https://give.example.org/campaigns/roofer?ref=Ab3x",
            "https://give.example.org/campaigns/other?ref=Ab3x",
            "https://give.example.org/campaigns/roof",
        ] {
            assert_eq!(
                source_of(base, "roof", Some(other)),
                Source::default(),
                "{other}"
            );
        }
        assert_eq!(
            source_of(
                base,
                "roof",
                Some("https://give.example.org/campaigns/roof/?ref=x1")
            )
            .ref_code
            .as_deref(),
            Some("x1")
        );
        assert_eq!(source_of(base, "roof", None), Source::default());
    }
}
