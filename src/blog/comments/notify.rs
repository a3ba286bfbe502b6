//! Mail about a new comment: to the post's author (not their own), and to the moderators
//! when it is held.

use askama::Template;

use crate::blog::repo::Moderation;
use crate::blog::repo::comments::*;
use crate::email::Email;
use crate::http::AppState;
use crate::i18n::I18n;
use crate::team::{Member, Permission};

#[derive(Template)]
#[template(path = "mail/comment.txt")]
struct CommentMailText<'a> {
    tr: &'a I18n,
    site: String,
    name: String,
    intro: String,
    author: String,
    body: String,
    action: String,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/comment.html")]
struct CommentMailHtml<'a> {
    tr: &'a I18n,
    subject: String,
    site: String,
    name: String,
    intro: String,
    author: String,
    body: String,
    action: String,
    url: &'a str,
}

/// The e-mail about a new comment to one member: `held` for moderators (a link to the
/// queue), otherwise for the post's author (a link to the comment).
pub fn comment_mail(
    to: &Member,
    post_title: &str,
    c: &NewComment,
    held: bool,
    url: &str,
) -> anyhow::Result<crate::mail::Message> {
    let tr = crate::team::mailers::language_of(to);
    let site = tr.t("site-name");
    let title = if post_title.trim().is_empty() {
        tr.t("comments-untitled-post")
    } else {
        post_title.to_string()
    };
    let (subject_key, intro_key, action_key) = if held {
        (
            "comments-mail-held-subject",
            "comments-mail-held-intro",
            "comments-mail-held-action",
        )
    } else {
        (
            "comments-mail-new-subject",
            "comments-mail-new-intro",
            "comments-mail-new-action",
        )
    };
    let subject = tr.ta(subject_key, [("title", title.clone())]);
    let intro = tr.ta(
        intro_key,
        [("title", title), ("author", c.author_name.clone())],
    );
    let action = tr.t(action_key);
    let body: String = c.body.chars().take(2_000).collect();
    let text = CommentMailText {
        tr: &tr,
        site: site.clone(),
        name: to.display_name.clone(),
        intro: intro.clone(),
        author: c.author_name.clone(),
        body: body.clone(),
        action: action.clone(),
        url,
    }
    .render()?;
    let html = CommentMailHtml {
        tr: &tr,
        subject: subject.clone(),
        site,
        name: to.display_name.clone(),
        intro,
        author: c.author_name.clone(),
        body,
        action,
        url,
    }
    .render()?;
    Ok(crate::mail::Message {
        to: Email::parse(&to.email).map_err(|e| anyhow::anyhow!("member e-mail: {e}"))?,
        subject,
        text,
        html,
        attachments: Vec::new(),
    })
}

/// Tells the post's author about a comment (not their own), and the moderators about a held
/// one. Failures are logged: the comment is stored either way.
pub(super) async fn notify(s: &AppState, post: &PostRef, back: &str, id: &str, c: &NewComment) {
    let held = c.status == Moderation::Pending;
    let base = s.base_url.trim_end_matches('/');
    let mut sent_to: Vec<String> = Vec::new();
    if let Some(author_id) = &post.author_id
        && c.member_id.as_deref() != Some(author_id.as_str())
    {
        match crate::team::repo::by_id(&s.db, author_id).await {
            Ok(Some(a)) if a.is_active() => {
                let url = if held {
                    format!("{base}/admin/comments?status=pending")
                } else {
                    format!("{base}{back}#comment-{id}")
                };
                send(s, &a, &post.title, c, held, &url).await;
                sent_to.push(a.id.clone());
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "post author lookup failed"),
        }
    }
    if !held {
        return;
    }
    let url = format!("{base}/admin/comments?status=pending");
    match crate::team::repo::list(&s.db).await {
        Ok(members) => {
            for m in members.iter().filter(|m| {
                m.can(Permission::Moderate, post.campaign_id.as_deref())
                    && !sent_to.contains(&m.id)
                    && c.member_id.as_deref() != Some(m.id.as_str())
            }) {
                send(s, m, &post.title, c, true, &url).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "moderator lookup failed"),
    }
}

async fn send(s: &AppState, to: &Member, title: &str, c: &NewComment, held: bool, url: &str) {
    match comment_mail(to, title, c, held, url) {
        Ok(m) => {
            if let Err(e) = s.mailer.send(&m).await {
                tracing::warn!(error = %e, "comment notification not sent");
            }
        }
        Err(e) => tracing::warn!(error = %e, "comment notification not built"),
    }
}
