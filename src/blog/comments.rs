//! Comments: the public thread under a post, the comment form, and storing what is posted.
//!
//! * **Threads** are three levels deep ([`MAX_DEPTH`]): a reply to a level-3 comment attaches
//!   to that comment's parent, so it sits beside it at level 3. Deeper imported threads are
//!   shown flattened to level 3 the same way.
//! * **Who**: guests give a name, an e-mail address and optionally a web address (http/https
//!   only); a signed-in member (the session cookie, when the request carries one) comments
//!   under their own name and goes straight through.
//! * **Held or not**: a guest whose e-mail address has no approved comment yet is held
//!   (`pending`); a returning approved commenter goes straight through only once the address
//!   is confirmed (a signed link mailed to it, [`super::commenters`]), else is held too. Spam signals
//!   ([`super::spam`]) hold or mark as spam first. Only `approved` comments are shown.
//! * **Bodies** are plain text: escaped, paragraphs and line breaks kept, `http(s)://` URLs
//!   turned into links with `rel="nofollow ugc noopener"` ([`body_html`]). No Markdown, no
//!   HTML: what someone types is what everyone sees.
//! * **Rate limit**: at most `comment_rate_limit` (site setting, default
//!   [`RATE_LIMIT_DEFAULT`]) stored comments per address in [`RATE_WINDOW`]; beyond that the
//!   form answers 429 and stores nothing.
//! * **Mail**: the post's author hears of every comment that is not spam; moderators
//!   (everyone holding `Moderate`) hear of every comment that is held.
//!
//! The post page (the reading side) embeds [`comments_section`]'s HTML. The same section is
//! also served on its own at `GET /posts/{id}/comments` (with `?reply=<comment id>` for
//! the reply form, which needs no JavaScript) and re-shown there with the fields marked (422)
//! when a submission is refused.

use shelfraiser_formats::html::escape_into as escape;
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

// The comments' storage lives in the blog's store; its names stay reachable here.
pub use super::repo::comments::*;
use super::spam::{self, Verdict};
use crate::db::{Db, DbResult};
use crate::email::Email;
use crate::http::{AppError, AppState, csrf};
use crate::i18n::I18n;
use crate::team::session::CurrentMember;
use crate::team::{Member, Permission};
use crate::web::PageCtx;
use crate::web::form::Errors;
use crate::web::request::Req;

pub const NAME_MAX: usize = 80;
pub const EMAIL_MAX: usize = 254;
pub const URL_MAX: usize = 200;
pub const BODY_MAX: usize = 5_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/comments", post(submit))
        .route("/posts/{id}/comments", get(standalone))
        .layer(DefaultBodyLimit::max(64 * 1024))
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

const REL: &str = "nofollow ugc noopener";

/// One line: escaped, with `http(s)://` URLs as links. Trailing punctuation stays text.
fn line_html(line: &str, out: &mut String) {
    let mut rest = line;
    loop {
        let lower = rest.to_ascii_lowercase();
        let at = match (lower.find("http://"), lower.find("https://")) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(at) = at else {
            escape(rest, out);
            return;
        };
        escape(&rest[..at], out);
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
            .unwrap_or(tail.len());
        let mut url = &tail[..end];
        while let Some(last) = url.chars().last() {
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']') {
                url = &url[..url.len() - last.len_utf8()];
            } else {
                break;
            }
        }
        let scheme_len = if url.to_ascii_lowercase().starts_with("https://") {
            8
        } else {
            7
        };
        if url.len() <= scheme_len {
            escape(url, out);
        } else {
            out.push_str("<a href=\"");
            escape(url, out);
            out.push_str("\" rel=\"");
            out.push_str(REL);
            out.push_str("\">");
            escape(url, out);
            out.push_str("</a>");
        }
        rest = &tail[url.len()..];
    }
}

/// A plain-text body as HTML: escaped, blank lines separate paragraphs, single line breaks
/// kept, URLs linked (`rel="nofollow ugc noopener"`).
pub fn body_html(body: &str) -> String {
    let normalized = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    for para in normalized.split("\n\n") {
        let para = para.trim_matches('\n');
        if para.trim().is_empty() {
            continue;
        }
        out.push_str("<p>");
        for (i, line) in para.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            line_html(line, &mut out);
        }
        out.push_str("</p>\n");
    }
    out
}

/// A web address a guest may give: `http(s)://host…`, no spaces or quotes, short.
pub fn valid_url(u: &str) -> bool {
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    u.chars().count() <= URL_MAX
        && !host.is_empty()
        && !host.starts_with('.')
        && !host.contains('@')
        && u.chars().all(|c| {
            !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '<' | '>' | '\\' | '`')
        })
}

/// A same-site path to return to (`/…`, not `//…`), or `None`.
/// (The site's one rule, [`crate::http::redirect::local_target`]; no fragment, since one is
/// added to it.)
pub fn local_path(p: &str) -> Option<String> {
    crate::http::redirect::local_target(p).filter(|p| !p.contains('#') && p.len() <= 500)
}

pub struct CommentView {
    pub id: String,
    pub author: String,
    /// The author's web address (validated at submission), linked with `rel=nofollow ugc`.
    pub url: Option<String>,
    pub date: String,
    pub iso: String,
    pub body_html: String,
    pub by_member: bool,
    pub reply_href: String,
    /// Replies, oldest first (empty at level 3).
    pub replies: Vec<CommentView>,
}

/// The comment form's values and errors (re-shown after a refused submission).
#[derive(Debug, Default, Clone)]
pub struct CommentForm {
    pub parent_id: String,
    pub name: String,
    pub email: String,
    pub url: String,
    pub body: String,
    pub errors: Errors,
}

impl CommentForm {
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.has(field)
    }
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

/// The comment thread, the form and the like button of one post
/// (`templates/blog/comments.html`).
#[derive(Template)]
#[template(path = "blog/comments.html")]
pub struct CommentsSection {
    pub tr: I18n,
    pub post_id: String,
    /// The post's own path (forms return there).
    pub back: String,
    pub threads: Vec<CommentView>,
    pub count: i64,
    pub likes: String,
    pub open: bool,
    pub form: CommentForm,
    /// Who the reply form answers (`Some` when `form.parent_id` is set).
    pub replying_to: Option<String>,
    /// A signed-in member's name: the form then asks only for the comment.
    pub viewer: Option<String>,
    pub csrf: String,
    pub notice: String,
}

/// Builds the three-level tree from approved comments (oldest first). A comment whose parent
/// is not shown starts its own thread; deeper levels are flattened to level 3.
pub fn tree(tr: &I18n, post_id: &str, back: &str, rows: &[Comment]) -> Vec<CommentView> {
    let by_id: HashMap<&str, &Comment> = rows.iter().map(|c| (c.id.as_str(), c)).collect();
    // The visible ancestors, nearest first.
    let ancestors = |c: &Comment| {
        let mut out: Vec<&str> = Vec::new();
        let mut up = c.parent_id.as_deref();
        while let Some(id) = up {
            match by_id.get(id) {
                Some(p) if out.len() < 64 && !out.contains(&p.id.as_str()) => {
                    out.push(p.id.as_str());
                    up = p.parent_id.as_deref();
                }
                _ => break,
            }
        }
        out
    };
    let back_q =
        percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC).to_string();
    let view = |c: &Comment| CommentView {
        id: c.id.clone(),
        author: c.author_name.clone(),
        url: c.author_url.clone().filter(|u| valid_url(u)),
        date: tr.date(c.created_at),
        iso: c.created_at.to_rfc3339(),
        body_html: body_html(&c.body),
        by_member: c.member_id.is_some(),
        reply_href: format!(
            "/posts/{post_id}/comments?reply={}&back={back_q}#respond",
            c.id
        ),
        replies: vec![],
    };
    let mut threads: Vec<CommentView> = Vec::new();
    for c in rows {
        let up = ancestors(c);
        match up.len() {
            0 => threads.push(view(c)),
            1 => {
                if let Some(t) = threads.iter_mut().find(|t| t.id == up[0]) {
                    t.replies.push(view(c));
                }
            }
            n => {
                // Root is up[n-1], level 2 is up[n-2].
                let (root, second) = (up[n - 1], up[n - 2]);
                if let Some(r) = threads
                    .iter_mut()
                    .find(|t| t.id == root)
                    .and_then(|t| t.replies.iter_mut().find(|r| r.id == second))
                {
                    r.replies.push(view(c));
                }
            }
        }
    }
    threads
}

pub async fn like_count(db: &Db, post_id: &str) -> DbResult<i64> {
    super::likes::count(db, post_id).await
}

/// The HTML of a post's comment section: the approved thread, the comment form and the like
/// button. The post page inserts it with `|safe`; `post_path` is the post's own path (the
/// forms come back there). Carries no visitor-specific data, so the page stays cacheable.
pub async fn comments_section(
    s: &AppState,
    tr: &I18n,
    post_id: &str,
    post_path: &str,
) -> Result<String, AppError> {
    let post = post_ref(&s.db, post_id).await?.ok_or(AppError::NotFound)?;
    render_section(s, tr, &post, post_path, CommentForm::default(), None, "").await
}

/// The section with a given form state (errors, a reply target) and viewer.
pub async fn render_section(
    s: &AppState,
    tr: &I18n,
    post: &PostRef,
    post_path: &str,
    form: CommentForm,
    viewer: Option<&Member>,
    notice: &str,
) -> Result<String, AppError> {
    let rows = approved_for(&s.db, &post.id).await?;
    let threads = tree(tr, &post.id, post_path, &rows);
    let replying_to = if form.parent_id.is_empty() {
        None
    } else {
        rows.iter()
            .find(|c| c.id == form.parent_id)
            .map(|c| c.author_name.clone())
    };
    let mut form = form;
    if replying_to.is_none() {
        form.parent_id.clear();
    }
    let likes = like_count(&s.db, &post.id).await?;
    let section = CommentsSection {
        tr: tr.clone(),
        post_id: post.id.clone(),
        back: post_path.to_string(),
        count: rows.len() as i64,
        threads,
        likes: tr.tn("likes-count", likes),
        open: post.comment_status == "open",
        form,
        replying_to,
        viewer: viewer.map(|m| m.display_name.clone()),
        csrf: s.csrf.token(Utc::now()),
        notice: notice.to_string(),
    };
    Ok(section.render()?)
}

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
async fn standalone(
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
}

/// Seconds since the (verified) CSRF token was made, i.e. since the form was rendered.
fn token_age(token: &str, now: DateTime<Utc>) -> Option<i64> {
    let t: i64 = token.split_once('.')?.0.parse().ok()?;
    now.timestamp().checked_sub(t)
}

/// `POST /comments`.
async fn submit(
    State(s): State<AppState>,
    MaybeMember(me): MaybeMember,
    r: Req,
    axum::Form(input): axum::Form<CommentInput>,
) -> Result<Response, AppError> {
    let tr = &r.tr;
    let now = Utc::now();
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
        body: input.body.trim().chars().take(BODY_MAX * 2).collect(),
        errors: Errors::default(),
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), now) {
        let msg = tr.t("error-csrf");
        return page_response(&at, form, msg, unprocessable).await;
    }
    if post.comment_status != "open" {
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
                form.errors.add("url", tr.t("comments-error-url"));
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
    let status: &'static str = match member {
        Some(_) => "approved",
        None => {
            let list = spam::parse_blocklist(
                &s.db
                    .setting(spam::BLOCKLIST_SETTING)
                    .await?
                    .unwrap_or_default(),
            );
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
                    "spam"
                }
                Verdict::Hold(why) => {
                    tracing::info!(post = %post.id, reason = why, "comment held");
                    "pending"
                }
                Verdict::Clean => {
                    // Trusted only when the address has an approved comment AND its owner
                    // confirmed it (super::commenters); otherwise held like a first comment,
                    // and a known but unconfirmed address is sent the confirmation link.
                    // The answer is the same "held" either way.
                    let address = email.as_deref().unwrap_or("");
                    if !approved_before(&s.db, address).await? {
                        "pending"
                    } else if super::commenters::confirmed(&s.db, address).await? {
                        "approved"
                    } else {
                        if let Ok(e) = Email::parse(address) {
                            super::commenters::send_confirmation(&s, tr, &e, &name).await;
                        }
                        "pending"
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
    if status != "spam" {
        notify(&s, &post, &back, &id, &new).await;
    }
    if status == "approved" {
        return Ok(Redirect::to(&format!("{back}#comment-{id}")).into_response());
    }
    // Held and spam get the same answer.
    let notice = tr.t("comments-held");
    page_response(&at, CommentForm::default(), notice, StatusCode::OK).await
}

// ---------------------------------------------------------------------------------------
// Mail
// ---------------------------------------------------------------------------------------

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
    })
}

/// Tells the post's author about a comment (not their own), and the moderators about a held
/// one. Failures are logged: the comment is stored either way.
async fn notify(s: &AppState, post: &PostRef, back: &str, id: &str, c: &NewComment) {
    let held = c.status == "pending";
    let base = s.base_url.trim_end_matches('/');
    let mut sent_to: Vec<String> = Vec::new();
    if let Some(author_id) = &post.author_id
        && c.member_id.as_deref() != Some(author_id.as_str())
    {
        match crate::team::repo::by_id(&s.db, author_id).await {
            Ok(Some(a)) if a.status == "active" => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_escaped_and_linked() {
        let h = body_html("Hi <b>there</b> & \"you\"\nsee https://example.org/a?b=1&c=2.\n\nBye");
        assert_eq!(
            h,
            "<p>Hi &lt;b&gt;there&lt;/b&gt; &amp; &quot;you&quot;<br>\nsee <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">https://example.org/a?b=1&amp;c=2</a>.</p>\n<p>Bye</p>\n"
        );
        assert!(
            !body_html("javascript:alert(1) http://\"onmouseover=x").contains("onmouseover=x\"")
        );
    }

    #[test]
    fn urls_and_paths() {
        assert!(valid_url("https://example.org/x"));
        assert!(valid_url("http://example.org"));
        assert!(!valid_url("javascript:alert(1)"));
        assert!(!valid_url("https://"));
        assert!(!valid_url("https://exa mple.org"));
        assert!(!valid_url("ftp://example.org"));
        assert_eq!(local_path("/2024/06/28/x/"), Some("/2024/06/28/x/".into()));
        assert_eq!(local_path("//evil.example/"), None);
        assert_eq!(local_path("https://evil.example/"), None);
    }
}
