//! `GET /admin/posts`: the posts the member writes (every post of the campaigns they edit,
//! their own where they contribute), filtered by status; posts waiting for review carry a
//! "Pending review" tag, and editors see how many wait, linked to the filter.

use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::blog::write::access::{self, Writer};
use crate::blog::write::{self, PostStatus};
use crate::console::form::Opt;
use crate::console::{Console, Shell};
use crate::http::AppError;
use crate::markdown;

pub struct Row {
    pub id: String,
    /// The member may open it in the editor.
    pub editable: bool,
    pub pending: bool,
    pub author: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub status_key: String,
    pub when: String,
    pub public_href: Option<String>,
}

#[derive(Template)]
#[template(path = "console/posts.html")]
pub struct ListPage {
    pub shell: Shell,
    pub rows: Vec<Row>,
    pub status_opts: Vec<Opt>,
    /// Posts waiting for this member's review (an editor's).
    pub pending_count: i64,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
}

/// `GET /admin/posts`.
pub async fn list(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let status = q.status.as_deref().and_then(PostStatus::parse);
    let m = &cx.me.member;
    let listed = |p: &write::Post| access::listed_for(m, p);
    let posts = write::list(&cx.s.db, status, Some(&listed), 200).await?;
    let to_review = |p: &write::Post| access::may_open(m, p) == Ok(Writer::Editor);
    let pending_count = write::list(&cx.s.db, Some(PostStatus::Pending), Some(&to_review), 200)
        .await?
        .len();
    let zone = cx.me.member.time_zone.clone();
    let rows = posts
        .iter()
        .map(|p| Row {
            id: p.id.clone(),
            editable: access::may_open(m, p).is_ok(),
            pending: p.status == PostStatus::Pending,
            author: p.author_name.clone().unwrap_or_default(),
            title: if p.title.is_empty() {
                markdown::excerpt(&p.body_md, 60)
            } else {
                p.title.clone()
            },
            kind: tr.t(&format!("console-post-kind-{}", p.kind)),
            status: tr.t(&format!("console-post-status-{}", p.status)),
            status_key: p.status.to_string(),
            when: p
                .published_at
                .map(|t| write::utc_to_local_field(t, &zone).replace('T', " "))
                .unwrap_or_default(),
            public_href: (p.status == PostStatus::Published)
                .then(|| write::permalink(p, &cx.s.settings.blog.permalink)),
        })
        .collect();
    let mut status_opts = vec![Opt {
        value: String::new(),
        label: tr.t("console-post-status-all"),
        selected: status.is_none(),
    }];
    status_opts.extend(PostStatus::ALL.iter().map(|st| Opt {
        value: st.as_str().into(),
        label: tr.t(&format!("console-post-status-{}", st.as_str())),
        selected: status == Some(*st),
    }));
    let page = ListPage {
        shell: cx.shell("/admin/posts"),
        rows,
        status_opts,
        pending_count: i64::try_from(pending_count).unwrap_or(i64::MAX),
    };
    Ok(Html(page.render()?).into_response())
}
