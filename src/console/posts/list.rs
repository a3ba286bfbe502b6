//! `GET /admin/posts`: the posts the member may write, filtered by status.

use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::blog::write::{self, PostStatus};
use crate::console::form::Opt;
use crate::console::{Console, Shell};
use crate::http::AppError;
use crate::markdown;

use super::writable_campaigns;

pub struct Row {
    pub id: String,
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
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
}

/// `GET /admin/posts`.
pub async fn list(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let status = q.status.as_deref().and_then(PostStatus::parse);
    let scope = writable_campaigns(&cx.me);
    let posts = write::list(&cx.s.db, status, scope.as_deref(), 200).await?;
    let zone = cx.me.member.time_zone.clone();
    let rows = posts
        .iter()
        .map(|p| Row {
            id: p.id.clone(),
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
    };
    Ok(Html(page.render()?).into_response())
}
