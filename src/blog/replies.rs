//! "E-mail me replies": a commenter who ticks the box hears of each approved reply to their
//! comment — one e-mail per reply, through the outbox, each with an unsubscribe link that
//! works without signing in.
//!
//! * **Where to**: a signed-in member's account address; a guest's address only once it is
//!   confirmed (the signed link of [`super::commenters`], mailed when a guest ticks the box
//!   with an address not confirmed yet), so nobody can sign someone else's address up.
//! * **When**: whenever a reply becomes approved — a trusted guest's or a member's reply at
//!   once, a held one when a moderator approves it, a reply written in the console
//!   ([`reply_approved`]). Never for a reply by the comment's own author; at most once per
//!   reply however often it is approved again (`comment_reply_notices`). A reply is the
//!   comment stored under the subscriber's (a reply to a level-3 comment is stored beside
//!   it, under its parent, see `blog::comments`).
//! * **Unsubscribe**: `GET /comments/unsubscribe?t=…` opens a page with one button (`POST`,
//!   CSRF-checked, so a mail scanner following links unsubscribes nobody). The token is the
//!   comment id with an HMAC-SHA256 under the commenter key (`commenter_email_key`); it does
//!   not expire, as an unsubscribe link must keep working.

use crate::signing;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::repo::Moderation;
use super::repo::comments::{self, Comment};
use super::repo::replies as store;
use crate::db::{Db, DbResult, random_secret};
use crate::email::Email;
use crate::http::{AppError, AppState, csrf};
use crate::i18n::I18n;
use crate::web::PageCtx;
use crate::web::request::Req;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/comments/unsubscribe",
        get(unsubscribe_page).post(unsubscribe),
    )
}

async fn key(db: &Db) -> DbResult<String> {
    db.setting_or_init(super::commenters::KEY_SETTING, random_secret)
        .await
}

const LABEL: &[u8] = b"comment-replies-off|";

/// The unsubscribe token of the replies to `comment_id`: `<comment id>.<mac>`.
pub fn unsubscribe_token(key: &str, comment_id: &str) -> String {
    let sig = signing::sign(key, &[LABEL, comment_id.as_bytes()]);
    format!("{comment_id}.{sig}")
}

/// The comment id of a valid unsubscribe token.
pub fn check_unsubscribe_token(key: &str, token: &str) -> Option<String> {
    let (id, sig) = token.trim().rsplit_once('.')?;
    if id.is_empty() || id.len() > 64 {
        return None;
    }
    signing::verify(key, &[LABEL, id.as_bytes()], sig).then(|| id.to_string())
}

/// Records that the author of the new comment `comment_id` asked for replies (in `tr`'s
/// language). A guest whose address is not confirmed yet is sent the confirmation link
/// (at most once a day, in the background); replies are mailed once it is confirmed.
/// Never fails the caller: the comment is stored either way.
pub async fn subscribe(s: &AppState, tr: &I18n, comment_id: &str, guest: Option<(&Email, &str)>) {
    if let Err(e) = store::subscribe(&s.db, comment_id, tr.lang, Utc::now()).await {
        tracing::warn!(error = %e, "reply subscription not stored");
        return;
    }
    if let Some((email, name)) = guest {
        match super::commenters::confirmed(&s.db, email.as_str()).await {
            Ok(true) => {}
            Ok(false) => super::commenters::send_confirmation(s, tr, email, name).await,
            Err(e) => tracing::warn!(error = %e, "commenter lookup failed"),
        }
    }
}

/// Tells the author of the comment `reply_id` answers, if they asked to hear of replies, now
/// that it is approved. Failures are logged: the moderation or comment stands either way.
pub async fn reply_approved(s: &AppState, reply_id: &str) {
    match tell(s, reply_id).await {
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reply e-mail not sent"),
    }
}

/// Who hears of a reply: address, name, language.
async fn recipient(
    s: &AppState,
    parent: &Comment,
    lang: &str,
) -> anyhow::Result<Option<(Email, String, I18n)>> {
    if let Some(member_id) = &parent.member_id {
        let Some(m) = crate::team::repo::by_id(&s.db, member_id).await? else {
            return Ok(None);
        };
        if !m.is_active() {
            return Ok(None);
        }
        let to = Email::parse(&m.email).map_err(|e| anyhow::anyhow!("member e-mail: {e}"))?;
        let tr = crate::team::mailers::language_of(&m);
        return Ok(Some((to, m.display_name, tr)));
    }
    let Some(address) = parent.author_email.as_deref() else {
        return Ok(None);
    };
    if !super::commenters::confirmed(&s.db, address).await? {
        return Ok(None);
    }
    let Ok(to) = Email::parse(address) else {
        return Ok(None);
    };
    Ok(Some((to, parent.author_name.clone(), I18n::new(lang))))
}

/// Sends the one e-mail about an approved reply; `true` when it went to the outbox.
async fn tell(s: &AppState, reply_id: &str) -> anyhow::Result<bool> {
    let db = &s.db;
    let Some(reply) = comments::by_id(db, reply_id).await? else {
        return Ok(false);
    };
    let Some(parent_id) = reply.parent_id.as_deref() else {
        return Ok(false);
    };
    if reply.status != Moderation::Approved {
        return Ok(false);
    }
    let Some(lang) = store::subscribed(db, parent_id).await? else {
        return Ok(false);
    };
    let Some(parent) = comments::by_id(db, parent_id).await? else {
        return Ok(false);
    };
    let Some((to, name, tr)) = recipient(s, &parent, &lang).await? else {
        return Ok(false);
    };
    let own = match (&reply.member_id, &parent.member_id) {
        (Some(a), Some(b)) => a == b,
        _ => reply
            .author_email
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(to.as_str())),
    };
    if own {
        return Ok(false);
    }
    let Some(post) = comments::post_ref(db, &reply.post_id).await? else {
        return Ok(false);
    };
    if !post.is_public() || !store::claim_notice(db, &reply.id, Utc::now()).await? {
        return Ok(false);
    }
    let base = s.base_url.trim_end_matches('/');
    let url = format!(
        "{base}{}#comment-{}",
        post.permalink(&s.settings.blog.permalink),
        reply.id
    );
    let unsubscribe_url = format!(
        "{base}/comments/unsubscribe?t={}",
        unsubscribe_token(&key(db).await?, &parent.id)
    );
    let m = reply_mail(
        &tr,
        to,
        &name,
        &post.label(&tr),
        &reply,
        &url,
        &unsubscribe_url,
    )?;
    s.mailer.send(&m).await?;
    Ok(true)
}

#[derive(Template)]
#[template(path = "mail/reply.txt")]
struct ReplyText<'a> {
    tr: &'a I18n,
    site: String,
    name: &'a str,
    intro: String,
    author: &'a str,
    body: &'a str,
    action: String,
    url: &'a str,
    unsubscribe: String,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reply.html")]
struct ReplyHtml<'a> {
    tr: &'a I18n,
    subject: String,
    site: String,
    name: String,
    intro: String,
    author: &'a str,
    body: &'a str,
    action: String,
    url: &'a str,
    unsubscribe: String,
    unsubscribe_url: &'a str,
}

/// The e-mail about `reply` (both parts), with the link to it and the unsubscribe link.
pub fn reply_mail(
    tr: &I18n,
    to: Email,
    name: &str,
    post_title: &str,
    reply: &Comment,
    url: &str,
    unsubscribe_url: &str,
) -> anyhow::Result<crate::mail::Message> {
    let site = tr.t("site-name");
    let subject = tr.ta("replies-mail-subject", [("title", post_title.to_string())]);
    let intro = tr.ta(
        "replies-mail-intro",
        [
            ("title", post_title.to_string()),
            ("author", reply.author_name.clone()),
        ],
    );
    let body: String = reply.body.chars().take(2_000).collect();
    let text = ReplyText {
        tr,
        site: site.clone(),
        name,
        intro: intro.clone(),
        author: &reply.author_name,
        body: &body,
        action: tr.t("replies-mail-action"),
        url,
        unsubscribe: tr.t("replies-mail-unsubscribe"),
        unsubscribe_url,
    }
    .render()?;
    let html = ReplyHtml {
        tr,
        subject: subject.clone(),
        site,
        name: name.to_string(),
        intro,
        author: &reply.author_name,
        body: &body,
        action: tr.t("replies-mail-action"),
        url,
        unsubscribe: tr.t("replies-mail-unsubscribe"),
        unsubscribe_url,
    }
    .render()?;
    Ok(crate::mail::Message {
        to,
        subject,
        text,
        html,
        attachments: Vec::new(),
    })
}

#[derive(Template)]
#[template(path = "blog/reply_unsubscribe.html")]
struct UnsubscribePage {
    page: PageCtx,
    notice: String,
    /// The token for the button; empty when there is nothing to do.
    token: String,
    csrf: String,
}

fn page(
    s: &AppState,
    tr: &I18n,
    notice: String,
    token: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let p = UnsubscribePage {
        page: PageCtx::new(s, tr, "/comments/unsubscribe"),
        notice,
        token,
        csrf: s.csrf.token(Utc::now()),
    };
    Ok(crate::web::page::secret_link_page(status, p.render()?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnsubscribeInput {
    pub t: String,
    pub csrf: String,
}

/// `GET /comments/unsubscribe?t=…`: the button (or why the link does not work).
async fn unsubscribe_page(
    State(s): State<AppState>,
    r: Req,
    Query(q): Query<UnsubscribeInput>,
) -> Result<Response, AppError> {
    if check_unsubscribe_token(&key(&s.db).await?, &q.t).is_none() {
        let msg = r.tr.t("replies-unsubscribe-bad-link");
        return page(&s, &r.tr, msg, String::new(), StatusCode::BAD_REQUEST);
    }
    let msg = r.tr.t("replies-unsubscribe-ask");
    let token = q.t.trim().chars().take(200).collect();
    page(&s, &r.tr, msg, token, StatusCode::OK)
}

/// `POST /comments/unsubscribe`: no more e-mails about replies to that comment.
async fn unsubscribe(
    State(s): State<AppState>,
    r: Req,
    axum::Form(input): axum::Form<UnsubscribeInput>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), now) {
        return Err(AppError::Unprocessable(r.tr.t("error-csrf")));
    }
    let Some(comment_id) = check_unsubscribe_token(&key(&s.db).await?, &input.t) else {
        let msg = r.tr.t("replies-unsubscribe-bad-link");
        return page(&s, &r.tr, msg, String::new(), StatusCode::BAD_REQUEST);
    };
    store::unsubscribe(&s.db, &comment_id, now).await?;
    let msg = r.tr.t("replies-unsubscribe-done");
    page(&s, &r.tr, msg, String::new(), StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_are_signed() {
        let t = unsubscribe_token("k", "c-1");
        assert_eq!(check_unsubscribe_token("k", &t), Some("c-1".into()));
        assert_eq!(check_unsubscribe_token("other", &t), None);
        let forged = t.replacen("c-1", "c-2", 1);
        assert_eq!(check_unsubscribe_token("k", &forged), None);
        assert_eq!(check_unsubscribe_token("k", "c-1"), None);
        assert_eq!(check_unsubscribe_token("k", ".abc"), None);
        assert_eq!(check_unsubscribe_token("k", ""), None);
    }
}
