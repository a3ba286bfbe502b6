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
//!
//! A form shown again (a field to mend, a payment that failed) is posted from another
//! address: it carries the values it was first posted with in hidden fields (`ref`,
//! `utm_source`), which [`source_of`] reads when the `Referer` is not the campaign page.
//!
//! The site that sent the visitor to the campaign page cannot travel in the address: the
//! page's script (`live.js`) puts the host of `document.referrer`, when it is another site's,
//! into the form as `via`; [`source_of`] keeps it checked as a host name, never our own. It
//! is known only when the script ran — without JavaScript the gift is credited as before.

use crate::db::{Db, DbResult};

/// What the donate form's page address said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    pub ref_code: Option<String>,
    pub utm_source: Option<String>,
    /// The other site that sent the visitor to the campaign page (the form's `via`).
    pub referrer_host: Option<String>,
}

/// What brought the donate form posted with `body` (URL-encoded): the source named by
/// `referer` when it is our own campaign page `slug` with a query (`base` is the site's
/// base URL), else the hidden fields of a form shown again.
pub fn source_of(base: &str, slug: &str, referer: Option<&str>, body: &[u8]) -> Source {
    let body = std::str::from_utf8(body).ok();
    let from_page = page_source(base, slug, referer);
    let mut source = if from_page != Source::default() {
        from_page
    } else {
        tokens(body)
    };
    source.referrer_host = via(base, body);
    source
}

/// The form's `via`: another site's host name, as `http::views` keeps referring hosts.
fn via(base: &str, body: Option<&str>) -> Option<String> {
    let v = url::form_urlencoded::parse(body?.as_bytes())
        .find(|(k, _)| k == "via")?
        .1;
    if v.len() > 100 || v.contains(['/', '@', '?', '#']) {
        return None;
    }
    let own = crate::http::views::own_host(base);
    let host = crate::http::views::referrer_host(Some(&format!("https://{v}/")), own);
    (!host.is_empty()).then_some(host)
}

/// The `ref` and `utm_source` of a query (or a form body), each checked as a token.
fn tokens(query: Option<&str>) -> Source {
    use crate::http::views::query_token;
    Source {
        ref_code: query_token(query, "ref", 32, false),
        utm_source: query_token(query, "utm_source", 40, true),
        referrer_host: None,
    }
}

/// The source named by `referer` when it is our own campaign page `slug`.
fn page_source(base: &str, slug: &str, referer: Option<&str>) -> Source {
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
    tokens(query.split('#').next())
}

/// What brought the checkout `session_id` (for the form a failed payment gives back).
pub async fn of_session(db: &Db, session_id: &str) -> DbResult<Source> {
    let (ref_code, utm_source, referrer_host) =
        super::repo::attribution::source(db, session_id).await?;
    Ok(Source {
        ref_code,
        utm_source,
        referrer_host,
    })
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
        source.referrer_host.as_deref(),
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
            b"",
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
                source_of(base, "roof", Some(other), b"amount=5"),
                Source::default(),
                "{other}"
            );
        }
        assert_eq!(
            source_of(
                base,
                "roof",
                Some("https://give.example.org/campaigns/roof/?ref=x1"),
                b"ref=other"
            )
            .ref_code
            .as_deref(),
            Some("x1")
        );
        assert_eq!(source_of(base, "roof", None, b""), Source::default());
    }

    #[test]
    fn the_site_that_sent_the_visitor_comes_as_via() {
        let base = "https://give.example.org";
        let page = Some("https://give.example.org/campaigns/roof");
        let s = source_of(base, "roof", page, b"amount=5&via=Blog.Example.net");
        assert_eq!(s.referrer_host.as_deref(), Some("blog.example.net"));
        for bad in [
            "via=give.example.org",
            "via=www.give.example.org",
            "via=evil.example%2Fpath",
            "via=a%40b.example",
            "via=%3Cscript%3E",
            "via=",
        ] {
            let s = source_of(base, "roof", page, bad.as_bytes());
            assert_eq!(s.referrer_host, None, "{bad}");
        }
    }

    #[test]
    fn a_form_shown_again_carries_its_source_in_hidden_fields() {
        let base = "https://give.example.org";
        let again = Some("https://give.example.org/campaigns/roof/donate");
        let s = source_of(
            base,
            "roof",
            again,
            b"csrf=x&amount=5&ref=Ab3x_9&utm_source=Mastodon",
        );
        assert_eq!(s.ref_code.as_deref(), Some("Ab3x_9"));
        assert_eq!(s.utm_source.as_deref(), Some("mastodon"));
        // A field that is not a token is dropped, not kept as typed.
        let s = source_of(base, "roof", again, b"ref=%3Cscript%3E&utm_source=a+b");
        assert_eq!(s, Source::default());
        // The page's own address wins over the fields.
        let s = source_of(
            base,
            "roof",
            Some("https://give.example.org/campaigns/roof?ref=page1"),
            b"ref=field1",
        );
        assert_eq!(s.ref_code.as_deref(), Some("page1"));
    }
}
