//! The comment form's handlers: `POST /comments` (checks, rate limit, spam verdict, held
//! or approved) and `GET /posts/{id}/comments` (the section on a page of its own).

use askama::Template;
use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::blog::repo::comments::*;
use crate::blog::spam::{self, Verdict};
use crate::email::Email;
use crate::http::limits::OverLimit;
use crate::http::{AppError, AppState, csrf};
use crate::i18n::I18n;
use crate::team::Member;
use crate::team::session::CurrentMember;
use crate::web::PageCtx;
use crate::web::form::Errors;
use crate::web::request::Req;

use super::notify::notify;
use super::render::*;
use super::{BODY_MAX, EMAIL_MAX, Moderation, NAME_MAX, URL_MAX};

#[derive(Template)]
#[template(path = "blog/comment_page.html")]
struct CommentPage {
    page: PageCtx,
    title: String,
    back: String,
    notice: String,
    section: String,
}

/// Where a standalone comment page is shown: for which post, returning where, to whom.
struct PageFor<'a> {
    s: &'a AppState,
    tr: &'a I18n,
    post: &'a PostRef,
    back: &'a str,
    viewer: Option<&'a Member>,
}

async fn page_response(
    at: &PageFor<'_>,
    form: CommentForm,
    notice: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let PageFor {
        s,
        tr,
        post,
        back,
        viewer,
    } = *at;
    let section = render_section(s, tr, post, back, form, viewer, "").await?;
    let page = CommentPage {
        page: PageCtx::new(s, tr, &format!("/posts/{}/comments", post.id)),
        title: post.label(tr),
        back: back.to_string(),
        notice,
        section,
    };
    let mut res = (status, Html(page.render()?)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct StandaloneQuery {
    pub reply: Option<String>,
    pub back: Option<String>,
}

/// `GET /posts/{id}/comments`: the section on a page of its own (the reply form).
pub(super) async fn standalone(
    State(s): State<AppState>,
    Path(id): Path<String>,
    MaybeMember(me): MaybeMember,
    r: Req,
    Query(q): Query<StandaloneQuery>,
) -> Result<Response, AppError> {
    let post = post_ref(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    if !post.is_public() {
        return Err(AppError::NotFound);
    }
    let back = q
        .back
        .as_deref()
        .and_then(local_path)
        .unwrap_or_else(|| post.permalink(&s.settings.blog.permalink));
    let form = CommentForm {
        parent_id: q.reply.unwrap_or_default().chars().take(64).collect(),
        ..Default::default()
    };
    let viewer = me.as_ref().map(|m| &m.member);
    let at = PageFor {
        s: &s,
        tr: &r.tr,
        post: &post,
        back: &back,
        viewer,
    };
    page_response(&at, form, String::new(), StatusCode::OK).await
}

/// The signed-in member when the request carries a valid session cookie; never refuses.
pub struct MaybeMember(pub Option<CurrentMember>);

impl FromRequestParts<AppState> for MaybeMember {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeMember(
            CurrentMember::from_request_parts(parts, s).await.ok(),
        ))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentInput {
    pub post_id: String,
    pub parent_id: String,
    pub back: String,
    pub name: String,
    pub email: String,
    pub url: String,
    pub body: String,
    /// The honeypot.
    pub website: String,
    pub csrf: String,
    /// "E-mail me replies" (`blog::replies`): any value means ticked.
    pub notify_replies: String,
}

/// Seconds since the (verified) CSRF token was made, i.e. since the form was rendered.
fn token_age(token: &str, now: DateTime<Utc>) -> Option<i64> {
    let t: i64 = token.split_once('.')?.0.parse().ok()?;
    now.timestamp().checked_sub(t)
}

/// The form's address names its post (`/comments?post=<id>`), so a body too large to read
/// can still be answered with that post's comment page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PostHint {
    post: String,
}

/// A comment form over [`super::FORM_BODY_MAX`]: the post's comment page saying why
/// nothing was received (413); a bare 413 only when the post is unknown.
async fn too_large(
    s: &AppState,
    me: Option<&CurrentMember>,
    tr: &I18n,
    hint: &PostHint,
) -> Result<Response, AppError> {
    let post = match post_ref(&s.db, hint.post.trim()).await? {
        Some(p) if p.is_public() => p,
        _ => return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
    };
    let back = post.permalink(&s.settings.blog.permalink);
    let at = PageFor {
        s,
        tr,
        post: &post,
        back: &back,
        viewer: me.map(|m| &m.member),
    };
    let notice = tr.ta(
        "comments-error-too-large",
        [("max", tr.int(super::BODY_MAX as i64))],
    );
    page_response(
        &at,
        CommentForm::default(),
        notice,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await
}

/// `POST /comments`.
pub(super) async fn submit(
    State(s): State<AppState>,
    MaybeMember(me): MaybeMember,
    r: Req,
    Query(hint): Query<PostHint>,
    Extension(over): Extension<OverLimit>,
    form: Result<axum::Form<CommentInput>, FormRejection>,
) -> Result<Response, AppError> {
    let tr = &r.tr;
    let now = Utc::now();
    let input = match form {
        Ok(axum::Form(input)) => input,
        Err(_) if over.hit() => return too_large(&s, me.as_ref(), tr, &hint).await,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let post = post_ref(&s.db, input.post_id.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    if !post.is_public() {
        return Err(AppError::NotFound);
    }
    let back =
        local_path(&input.back).unwrap_or_else(|| post.permalink(&s.settings.blog.permalink));
    let member = me.as_ref().map(|m| &m.member);
    let at = PageFor {
        s: &s,
        tr,
        post: &post,
        back: &back,
        viewer: member,
    };
    let mut form = CommentForm {
        parent_id: input.parent_id.trim().chars().take(64).collect(),
        name: input.name.trim().chars().take(NAME_MAX * 2).collect(),
        email: input.email.trim().chars().take(EMAIL_MAX + 1).collect(),
        url: input.url.trim().chars().take(URL_MAX * 2).collect(),
        // Whole, however long: a comment that is too long comes back as it was typed.
        body: input.body.trim().to_string(),
        errors: Errors::default(),
        notify_replies: !input.notify_replies.trim().is_empty(),
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), now) {
        let msg = tr.t("error-csrf");
        return page_response(&at, form, msg, unprocessable).await;
    }
    if !post.comment_status.is_open() {
        let msg = tr.t("comments-closed");
        return page_response(&at, form, msg, unprocessable).await;
    }
    // Fields.
    let body_len = form.body.chars().count();
    if body_len == 0 {
        form.errors.add("body", tr.t("comments-error-body"));
    } else if body_len > BODY_MAX {
        form.errors.add(
            "body",
            tr.ta(
                "comments-error-too-long",
                [("max", tr.int(BODY_MAX as i64))],
            ),
        );
    }
    let (name, email, url) = match member {
        Some(m) => (m.display_name.clone(), Some(m.email.clone()), None),
        None => {
            let n = form.name.chars().count();
            if n == 0 {
                form.errors.add("name", tr.t("comments-error-name"));
            } else if n > NAME_MAX {
                form.errors.add(
                    "name",
                    tr.ta(
                        "comments-error-too-long",
                        [("max", tr.int(NAME_MAX as i64))],
                    ),
                );
            }
            let email = match Email::parse(&form.email) {
                Ok(e) if form.email.chars().count() <= EMAIL_MAX => Some(e.as_str().to_string()),
                _ => {
                    form.errors.add("email", tr.t("comments-error-email"));
                    None
                }
            };
            let url = if form.url.is_empty() {
                None
            } else if valid_url(&form.url) {
                Some(form.url.clone())
            } else {
                form.errors.add("url", url_error(tr, &form.url));
                None
            };
            (form.name.clone(), email, url)
        }
    };
    let parent_id = if form.parent_id.is_empty() {
        None
    } else {
        match attach_point(&s.db, &post.id, &form.parent_id, true).await? {
            Some(p) => Some(p),
            None => {
                form.errors.add("body", tr.t("comments-error-parent"));
                None
            }
        }
    };
    if !form.errors.is_empty() {
        let msg = tr.t("error-form");
        return page_response(&at, form, msg, unprocessable).await;
    }
    let ip = r.ip.clone().unwrap_or_default();
    if member.is_none() && rate_limited(&s.db, &ip, now).await? {
        let msg = tr.t("comments-rate-limited");
        return page_response(&at, form, msg, StatusCode::TOO_MANY_REQUESTS).await;
    }
    // Held, approved or spam.
    let status = match member {
        Some(_) => Moderation::Approved,
        None => {
            let list = super::moderation::blocklist_entries(&s.db).await?;
            let verdict = spam::judge(
                &spam::Signals {
                    honeypot: &input.website,
                    fill_secs: token_age(&input.csrf, now),
                    name: &name,
                    email: email.as_deref().unwrap_or(""),
                    url: url.as_deref().unwrap_or(""),
                    body: &form.body,
                },
                &list,
            );
            match verdict {
                Verdict::Spam(why) => {
                    tracing::info!(post = %post.id, reason = why, "comment marked as spam");
                    Moderation::Spam
                }
                Verdict::Hold(why) => {
                    tracing::info!(post = %post.id, reason = why, "comment held");
                    Moderation::Pending
                }
                Verdict::Clean => {
                    // Trusted only when the address has an approved comment AND its owner
                    // confirmed it (super::commenters); otherwise held like a first comment,
                    // and a known but unconfirmed address is sent the confirmation link.
                    // The answer is the same "held" either way.
                    let address = email.as_deref().unwrap_or("");
                    if !approved_before(&s.db, address).await? {
                        Moderation::Pending
                    } else if crate::blog::commenters::confirmed(&s.db, address).await? {
                        Moderation::Approved
                    } else {
                        if let Ok(e) = Email::parse(address) {
                            crate::blog::commenters::send_confirmation(&s, tr, &e, &name).await;
                        }
                        Moderation::Pending
                    }
                }
            }
        }
    };
    let new = NewComment {
        post_id: post.id.clone(),
        parent_id,
        status,
        author_name: name,
        author_email: email,
        author_url: url,
        member_id: member.map(|m| m.id.clone()),
        body: form.body.clone(),
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
    };
    let id = insert(&s.db, &new).await?;
    if status != Moderation::Spam {
        notify(&s, &post, &back, &id, &new).await;
    }
    after_insert(&s, tr, &id, &new, form.notify_replies).await;
    if status == Moderation::Approved {
        return Ok(Redirect::to(&format!("{back}#comment-{id}")).into_response());
    }
    // Held and spam get the same answer.
    let notice = tr.t("comments-held");
    page_response(&at, CommentForm::default(), notice, StatusCode::OK).await
}

/// Why a guest's website was refused, saying exactly what is wrong: markup (HTML, Markdown
/// or BBCode links) instead of an address, a scheme other than http(s), no scheme, too long,
/// or else not a linkable address (spaces, quotes, no site name).
pub fn url_error(tr: &I18n, url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if url.contains(['<', '>'])
        || url.starts_with('[')
        || url.contains("](")
        || lower.contains("[url")
        || lower.contains("&lt;")
    {
        return tr.t("comments-error-url-markup");
    }
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        let scheme = url.split_once(':').map(|(s, _)| s).filter(|s| {
            !s.is_empty()
                && s.len() <= 20
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        return match scheme {
            Some(s) => tr.ta("comments-error-url-scheme", [("scheme", format!("{s}:"))]),
            None => tr.t("comments-error-url-no-scheme"),
        };
    }
    if url.chars().count() > URL_MAX {
        return tr.ta("comments-error-too-long", [("max", tr.int(URL_MAX as i64))]);
    }
    tr.t("comments-error-url")
}

/// After a comment is stored: the reply e-mails it asked for and the one it causes
/// (`blog::replies`).
async fn after_insert(s: &AppState, tr: &I18n, id: &str, new: &NewComment, notify_replies: bool) {
    if notify_replies && new.status != Moderation::Spam {
        let guest = match (&new.member_id, new.author_email.as_deref()) {
            (None, Some(e)) => Email::parse(e).ok(),
            _ => None,
        };
        let guest = guest.as_ref().map(|e| (e, new.author_name.as_str()));
        crate::blog::replies::subscribe(s, tr, id, guest).await;
    }
    if new.status == Moderation::Approved && new.parent_id.is_some() {
        crate::blog::replies::reply_approved(s, id).await;
    }
}
