//! The comment section as HTML: plain-text bodies escaped and linked, the three-level
//! thread, the form's state and the section template.

use shelfraiser_formats::html::escape_into as escape;
use std::collections::HashMap;

use askama::Template;
use chrono::Utc;

use crate::blog::repo::comments::*;
use crate::db::{Db, DbResult};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::team::Member;
use crate::web::form::Errors;

use super::URL_MAX;

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
    /// Where a reply from another site came from ("from the fediverse", "via Webmention"),
    /// empty for comments made here.
    pub via: String,
    /// A fediverse author's avatar, served from our origin (`/avatars/{key}`).
    pub avatar: Option<String>,
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
    /// "E-mail me replies" ticked (`blog::replies`).
    pub notify_replies: bool,
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
    /// Who liked or boosted the post from other sites (`blog::remote`).
    pub reactions: ReactionsView,
    pub open: bool,
    pub form: CommentForm,
    /// Who the reply form answers (`Some` when `form.parent_id` is set).
    pub replying_to: Option<String>,
    /// A signed-in member's name: the form then asks only for the comment.
    pub viewer: Option<String>,
    pub csrf: String,
    pub notice: String,
}

/// A post's likes and boosts from other sites, as the comment section lists them.
#[derive(Debug, Default, Clone)]
pub struct ReactionsView {
    /// "Boosted 3 times", empty when never.
    pub reposts: String,
    /// The first of those who boosted and liked: name, page, and (fediverse accounts) the
    /// avatar served from our origin.
    pub people: Vec<(String, String, Option<String>)>,
}

impl ReactionsView {
    fn of(tr: &I18n, r: &crate::blog::remote::Reactions) -> ReactionsView {
        let mut people: Vec<(String, String, Option<String>)> = Vec::new();
        for x in r.reposts.iter().chain(&r.likes) {
            if valid_url(&x.actor_url) && !people.iter().any(|(_, u, _)| *u == x.actor_url) {
                let name = if x.actor_name.is_empty() {
                    x.actor_url.clone()
                } else {
                    x.actor_name.clone()
                };
                let avatar = (x.source == "fediverse")
                    .then(|| format!("/avatars/{}", crate::web::meta::avatar_key(&x.actor_url)));
                people.push((name, x.actor_url.clone(), avatar));
            }
        }
        ReactionsView {
            reposts: if r.repost_count > 0 {
                tr.tn("reposts-count", r.repost_count)
            } else {
                String::new()
            },
            people,
        }
    }
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
        avatar: c
            .author_url
            .as_deref()
            .filter(|_| c.kind == "fediverse")
            .map(|u| format!("/avatars/{}", crate::web::meta::avatar_key(u))),
        via: match c.kind.as_str() {
            "fediverse" => tr.t("comments-via-fediverse"),
            "webmention" => tr.t("comments-via-webmention"),
            _ => String::new(),
        },
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
    crate::blog::likes::count(db, post_id).await
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
    let remote = crate::blog::remote::reactions_of(&s.db, &post.id).await?;
    let likes = like_count(&s.db, &post.id).await? + remote.like_count;
    let section = CommentsSection {
        tr: tr.clone(),
        post_id: post.id.clone(),
        back: post_path.to_string(),
        count: rows.len() as i64,
        threads,
        likes: tr.tn("likes-count", likes),
        reactions: ReactionsView::of(tr, &remote),
        open: post.comment_status.is_open(),
        form,
        replying_to,
        viewer: viewer.map(|m| m.display_name.clone()),
        csrf: s.csrf.token(Utc::now()),
        notice: notice.to_string(),
    };
    Ok(section.render()?)
}
