//! The team's e-mails (invitation, password reset, failed sign-ins notice), each rendered
//! from a plain-text and an HTML template in `templates/mail/`, in the recipient's language
//! (the first of the member's languages).

use askama::Template;
use chrono::{DateTime, Utc};

use super::Member;
use crate::email::Email;
use std::sync::Arc;

use crate::i18n::I18n;
use crate::i18n::site::Site;
use crate::mail::Message;

/// The recipient's language: the first entry of `member.languages` (`"da, en"` → Danish).
pub fn language_of(member: &Member) -> I18n {
    let first = member
        .languages
        .split([',', ' '])
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("en");
    let primary = first.split(['-', '_']).next().unwrap_or("en");
    I18n::new(&primary.to_ascii_lowercase())
}

fn site(tr: &I18n) -> String {
    tr.t("site-name")
}

/// The member's language ([`language_of`]) speaking for the site, when known.
fn tr_for(member: &Member, site: Option<Arc<Site>>) -> I18n {
    let tr = language_of(member);
    match site {
        Some(s) => tr.with_site(s),
        None => tr,
    }
}

fn recipient(member: &Member) -> anyhow::Result<Email> {
    Email::parse(&member.email).map_err(|e| anyhow::anyhow!("member e-mail: {e}"))
}

/// Renders both parts of a message to the member.
fn message(
    member: &Member,
    subject: String,
    text: impl Template,
    html: impl Template,
) -> anyhow::Result<Message> {
    let text = text.render()?;
    let html = html.render()?;
    Ok(Message {
        to: recipient(member)?,
        subject,
        text,
        html,
        attachments: Vec::new(),
    })
}

#[derive(Template)]
#[template(path = "mail/invite.txt")]
struct InviteText<'a> {
    tr: &'a I18n,
    site: String,
    name: String,
    intro: String,
    action: String,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invite.html")]
struct InviteHtml<'a> {
    tr: &'a I18n,
    subject: String,
    site: String,
    name: String,
    intro: String,
    action: String,
    url: &'a str,
}

/// The invitation: `by` is the inviter's name (`None`: the command line), `roles` the
/// localized roles, `url` the link to choose a password.
pub fn invite(
    member: &Member,
    by: Option<&str>,
    roles: &str,
    url: &str,
    site_id: Option<Arc<Site>>,
) -> anyhow::Result<Message> {
    let tr = tr_for(member, site_id);
    let site = site(&tr);
    let subject = tr.ta("signin-mail-invite-subject", [("site", site.clone())]);
    let intro = match by {
        Some(by) => tr.ta(
            "signin-mail-invite-intro",
            [
                ("by", by.to_string()),
                ("site", site.clone()),
                ("roles", roles.to_string()),
            ],
        ),
        None => tr.ta(
            "signin-mail-invite-intro-anon",
            [("site", site.clone()), ("roles", roles.to_string())],
        ),
    };
    let action = tr.t("signin-mail-invite-action");
    let text = InviteText {
        tr: &tr,
        site: site.clone(),
        name: member.display_name.clone(),
        intro: intro.clone(),
        action: action.clone(),
        url,
    };
    let html = InviteHtml {
        tr: &tr,
        subject: subject.clone(),
        site,
        name: member.display_name.clone(),
        intro,
        action,
        url,
    };
    message(member, subject, text, html)
}

#[derive(Template)]
#[template(path = "mail/reset.txt")]
struct ResetText<'a> {
    tr: &'a I18n,
    site: String,
    name: String,
    action: String,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reset.html")]
struct ResetHtml<'a> {
    tr: &'a I18n,
    subject: String,
    site: String,
    name: String,
    action: String,
    url: &'a str,
}

/// The password-reset link.
pub fn reset(member: &Member, url: &str, site_id: Option<Arc<Site>>) -> anyhow::Result<Message> {
    let tr = tr_for(member, site_id);
    let site = site(&tr);
    let subject = tr.ta("signin-mail-reset-subject", [("site", site.clone())]);
    let action = tr.t("signin-mail-reset-action");
    let text = ResetText {
        tr: &tr,
        site: site.clone(),
        name: member.display_name.clone(),
        action: action.clone(),
        url,
    };
    let html = ResetHtml {
        tr: &tr,
        subject: subject.clone(),
        site,
        name: member.display_name.clone(),
        action,
        url,
    };
    message(member, subject, text, html)
}

#[derive(Template)]
#[template(path = "mail/failures.txt")]
struct FailuresText<'a> {
    tr: &'a I18n,
    site: String,
    name: String,
    count: String,
    ip: String,
    time: String,
    action: String,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/failures.html")]
struct FailuresHtml<'a> {
    tr: &'a I18n,
    subject: String,
    site: String,
    name: String,
    count: String,
    ip: String,
    time: String,
    action: String,
    url: &'a str,
}

/// The notice after repeated failed sign-ins; `url` leads to the password-reset form.
pub fn failures(
    member: &Member,
    count: usize,
    ip: Option<&str>,
    at: DateTime<Utc>,
    url: &str,
    site_id: Option<Arc<Site>>,
) -> anyhow::Result<Message> {
    let tr = tr_for(member, site_id);
    let site = site(&tr);
    let subject = tr.ta("signin-mail-failures-subject", [("site", site.clone())]);
    let action = tr.t("signin-mail-failures-action");
    let count = tr.int(count as i64);
    let ip = ip.unwrap_or("").to_string();
    // In the member's own time zone (UTC when it is unknown).
    let tz: chrono_tz::Tz = member.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let time = at
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string();
    let text = FailuresText {
        tr: &tr,
        site: site.clone(),
        name: member.display_name.clone(),
        count: count.clone(),
        ip: ip.clone(),
        time: time.clone(),
        action: action.clone(),
        url,
    };
    let html = FailuresHtml {
        tr: &tr,
        subject: subject.clone(),
        site,
        name: member.display_name.clone(),
        count,
        ip,
        time,
        action,
        url,
    };
    message(member, subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(lang: &str) -> Member {
        Member {
            id: "m".into(),
            email: "kirsten@example.org".into(),
            display_name: "Kirsten <K>".into(),
            time_zone: "Europe/Copenhagen".into(),
            languages: lang.into(),
            avatar_url: None,
            totp_enabled: false,
            has_password: false,
            status: crate::team::MemberStatus::Invited,
            grants: vec![],
        }
    }

    #[test]
    fn language_is_the_first_entry() {
        assert_eq!(language_of(&member("da, en")).lang, "da");
        assert_eq!(language_of(&member("da-DK")).lang, "da");
        assert_eq!(language_of(&member("fr,da")).lang, "en");
        assert_eq!(language_of(&member("")).lang, "en");
    }

    #[test]
    fn messages_have_both_parts_localized_and_escaped() {
        let url = "https://give.example.org/invite/abc?x=1&y=2";
        let en = invite(&member("en"), Some("Harriet"), "editor", url, None).expect("en");
        let da = invite(&member("da"), Some("Harriet"), "redaktør", url, None).expect("da");
        assert_ne!(en.subject, da.subject);
        for m in [&en, &da] {
            assert!(m.text.contains(url), "{}", m.text);
            assert!(m.text.contains("Kirsten <K>"), "text is not HTML-escaped");
            assert!(m.html.contains("Kirsten &#60;K&#62;") || m.html.contains("Kirsten &lt;K&gt;"));
            assert!(m.html.contains("x=1&#38;y=2") || m.html.contains("x=1&amp;y=2"));
            assert!(m.html.starts_with("<!doctype html>"));
        }
        assert!(da.html.contains("lang=\"da\""));
        let r = reset(&member("da"), url, None).expect("reset");
        assert!(r.text.contains(url) && r.html.contains("lang=\"da\""));
        let at = DateTime::from_timestamp(1_718_000_000, 0).expect("time");
        let f = failures(&member("en"), 5, Some("192.0.2.1"), at, url, None).expect("f");
        assert!(f.text.contains("192.0.2.1") && f.html.contains("192.0.2.1"));
        // 2024-06-10 06:13 UTC is 08:13 summer time in Copenhagen.
        assert!(f.text.contains("2024-06-10 08:13 CEST"), "{}", f.text);
    }
}
