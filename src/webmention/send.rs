//! Sending Webmentions: after a post is published or updated (the blog's `POST_CHANGED` job,
//! whose handler calls [`on_post_changed`]), every page on another host that it links to is
//! told, one `send_webmention` job per page and change. The job discovers the page's
//! endpoint through the guarded outbound client — the `Link` header first, then the first
//! `<link>` or `<a>` with `rel="webmention"` (relative endpoints resolved against the page) —
//! and POSTs `source` and `target` (the page). The source is the post's stable address
//! `{base}/posts/{id}` (federation's object id, which sends a browser on to the permalink), so
//! a later slug or permalink change does not orphan the mention elsewhere. Pages the post linked
//! to when it was last sent and no longer links to (or all of them, when the post stops being
//! public) are told too, so they can take the mention down; `webmention_sends` remembers
//! which pages were told.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::repo;
use crate::blog::write::PostChanged;
use crate::db::Db;
use crate::jobs::{self, Final, Job};
use crate::outbound::{Outbound, OutboundError};
use shelfraiser_formats::microformats::{Page, link_header_endpoint};

pub const SEND_WEBMENTION: &str = "send_webmention";
/// Attempts at one page (its endpoint down, 5xx, 429).
pub const ATTEMPTS: i64 = 6;
/// The most pages one post notifies.
pub const MAX_TARGETS: usize = 100;

/// Notify `target` that `source` (a post of ours, `post_id`) links to it — or, with
/// `linked = false`, no longer does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendWebmention {
    pub post_id: String,
    pub source: String,
    pub target: String,
    pub linked: bool,
}

/// The pages on other hosts that this rendered post body links to (fragments dropped, each
/// once, in order).
pub fn linked_pages(body_html: &str, permalink: &Url, base: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for mut u in Page::parse(body_html.as_bytes(), permalink).anchors() {
        if !matches!(u.scheme(), "http" | "https") || super::on_our_host(base, &u) {
            continue;
        }
        u.set_fragment(None);
        if !out.contains(&u) && out.len() < MAX_TARGETS {
            out.push(u);
        }
    }
    out
}

/// The address our notifications name as the source: the post's stable `/posts/{id}`.
pub fn source_of(base_url: &str, post_id: &str) -> String {
    format!("{}/posts/{post_id}", base_url.trim_end_matches('/'))
}

/// Queues the notifications a post's change calls for: each page it links to while it is
/// public, and each page it told before that it no longer links to (one job per page, keyed
/// by the change's event, so a retried change queues nothing twice). Returns how many were
/// queued.
pub async fn on_post_changed(
    db: &Db,
    base_url: &str,
    change: &PostChanged,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let base = Url::parse(base_url)?;
    let post_id = change.post_id.as_str();
    let Some(post) = crate::blog::repo::by_id(db, post_id).await? else {
        return Ok(0);
    };
    let permalink = Url::parse(&source_of(base_url, post_id))?;
    let public = post.is_public(now) && !post.is_protected();
    let now_linked = if public {
        let html = crate::render::markdown(post.body_md.clone()).await?;
        linked_pages(&html, &permalink, &base)
    } else {
        Vec::new()
    };
    let before = repo::sent_targets(db, post_id).await?;
    let mut queued = 0;
    let enqueue = |target: String, linked: bool| {
        let job = SendWebmention {
            post_id: post_id.to_string(),
            source: permalink.to_string(),
            target,
            linked,
        };
        let key = format!("webmention:{}:{}", change.event, job.target);
        async move {
            let job = Job::new(SEND_WEBMENTION, &job)?.with_max_attempts(ATTEMPTS);
            Ok::<bool, anyhow::Error>(jobs::enqueue(db, &job, now, Some(&key)).await?)
        }
    };
    for t in &now_linked {
        queued += usize::from(enqueue(t.to_string(), true).await?);
    }
    for t in before {
        if !now_linked.iter().any(|u| u.as_str() == t) {
            queued += usize::from(enqueue(t, false).await?);
        }
    }
    Ok(queued)
}

/// The Webmention endpoint of the page at `target`, if it has one.
pub async fn discover(out: &Outbound, target: &str) -> Result<Option<Url>, OutboundError> {
    let fetched = out
        .get(target)
        .header(http::header::ACCEPT, "text/html, */*;q=0.5")
        .send()
        .await?;
    let from_header = link_header_endpoint(
        fetched
            .headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok()),
        &fetched.url,
    );
    if from_header.is_some() {
        return Ok(from_header);
    }
    if !fetched.status.is_success() {
        return Ok(None);
    }
    let html = fetched
        .header("content-type")
        .is_none_or(|c| c.to_ascii_lowercase().contains("html"));
    Ok(html
        .then(|| Page::parse(&fetched.body, &fetched.url).webmention_endpoint())
        .flatten())
}

/// Runs one notification: discover, POST, note the outcome. A 2xx (or no endpoint) is done;
/// a 4xx other than 408 and 429, or an address the guard refuses, ends it for good; anything
/// else is tried again.
pub async fn run_job(
    db: &Db,
    out: &Outbound,
    p: &SendWebmention,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let finish = |endpoint: String, outcome: String| async move {
        if p.linked {
            repo::record_send(db, &p.post_id, &p.target, &endpoint, &outcome, now).await?;
        } else {
            repo::forget_send(db, &p.post_id, &p.target).await?;
        }
        anyhow::Ok(())
    };
    let endpoint = match discover(out, &p.target).await {
        Ok(Some(e)) => e,
        Ok(None) => return finish(String::new(), "no endpoint".into()).await,
        Err(e @ (OutboundError::Refused { .. } | OutboundError::Url(_))) => {
            finish(String::new(), e.to_string()).await?;
            return Err(Final(e.to_string()).into());
        }
        Err(e) => return Err(e.into()),
    };
    let answer = out
        .post(endpoint.as_str())
        .form(&[("source", &p.source), ("target", &p.target)])
        .send()
        .await;
    let status = match answer {
        Ok(f) => f.status,
        Err(e @ (OutboundError::Refused { .. } | OutboundError::Url(_))) => {
            finish(endpoint.to_string(), e.to_string()).await?;
            return Err(Final(e.to_string()).into());
        }
        Err(e) => return Err(e.into()),
    };
    let outcome = format!("answered {}", status.as_u16());
    if status.is_success() || status.is_redirection() {
        return finish(endpoint.to_string(), outcome).await;
    }
    let code = status.as_u16();
    if status.is_client_error() && code != 408 && code != 429 {
        finish(endpoint.to_string(), outcome.clone()).await?;
        return Err(Final(format!("the endpoint {outcome}")).into());
    }
    anyhow::bail!("the endpoint {outcome}")
}
