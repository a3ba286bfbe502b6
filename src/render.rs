// SPDX-License-Identifier: AGPL-3.0-or-later

//! CPU-bound rendering (Markdown, sanitising, feeds) off the async workers.
//!
//! Markdown rendering is linear in the text and bounded in size (`markdown` in the formats
//! crate), but a large body still costs milliseconds of CPU, and the async workers must not
//! spend them: a handler hands the work to tokio's blocking pool through [`off_workers`].
//!
//! * **At most one render per core at once**: a process-wide semaphore sized to the cores
//!   ([`std::thread::available_parallelism`]), held by the blocking task until its work is
//!   done, so renders cannot pile up on the blocking pool however many requests wait.
//!   (Process-wide on purpose: it stands for the machine's cores, which are process-wide too.)
//! * **A time budget** ([`BUDGET`]), counted from the request's call (waiting for a slot
//!   included). When it is exceeded the caller gets [`AppError::Internal`] (logged with the
//!   request id; the reader sees the 500 page) and the render still finishes in the
//!   background, holding its slot. The editor preview answers a form notice instead.
//!   Stored content is rendered once per blog version into the page and feed caches, so
//!   readers rarely pay for it at all.

use shelfraiser_formats::html::escape as html_escape;
use std::sync::LazyLock;
use std::time::Duration;

use crate::blocking::Lane;
use crate::http::AppError;
use crate::i18n::I18n;
use crate::markdown::{BodyError, MAX_BYTES};

/// How long a request waits for a render (slot and work).
pub const BUDGET: Duration = Duration::from_secs(5);

/// Renders running at once: one per core.
static RENDERS: LazyLock<Lane> = LazyLock::new(Lane::per_core);

/// Why rendering gave no result.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering took longer than {0:?}")]
    OverBudget(Duration),
    #[error("rendering failed: {0}")]
    Failed(String),
}

impl From<RenderError> for AppError {
    fn from(e: RenderError) -> Self {
        AppError::Internal(e.into())
    }
}

/// Runs `work` on the blocking pool, one per core at a time, within `budget`.
pub async fn within<T, F>(budget: Duration, work: F) -> Result<T, RenderError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let run = RENDERS.run(work);
    tokio::time::timeout(budget, run)
        .await
        .map_err(|_| RenderError::OverBudget(budget))?
        .map_err(|e| RenderError::Failed(e.to_string()))
}

/// [`within`] the default [`BUDGET`].
pub async fn off_workers<T, F>(work: F) -> Result<T, RenderError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    within(BUDGET, work).await
}

/// Markdown → sanitised HTML ([`crate::markdown::to_safe_html`]) for a page of the site
/// ([`for_page`]), off the async workers.
pub async fn markdown(md: String) -> Result<String, RenderError> {
    off_workers(move || for_page(&crate::markdown::to_safe_html(&md))).await
}

/// Sanitised HTML made ready for the site's own pages (not feeds): code blocks and tables,
/// which scroll sideways inside their own box when wider than the column
/// (`static/app.css`), get `tabindex="0"` so a keyboard can reach and scroll them. Input the
/// rewriter cannot read is returned unchanged.
pub fn for_page(html: &str) -> String {
    use lol_html::{RewriteStrSettings, element, rewrite_str};
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("pre, table", |el| {
            el.set_attribute("tabindex", "0")?;
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// What a writer is told when a body would not render as written (form errors).
pub fn body_error_message(tr: &I18n, e: &BodyError) -> String {
    match e {
        BodyError::TooLarge { .. } => tr.ta(
            "content-error-too-large",
            [("max", (MAX_BYTES / 1024).to_string())],
        ),
        BodyError::TooDeep { line, max } => tr.ta(
            "content-error-too-deep",
            [("line", line.to_string()), ("max", max.to_string())],
        ),
        BodyError::TooWide { line, max } => tr.ta(
            "content-error-too-wide",
            [("line", line.to_string()), ("max", max.to_string())],
        ),
    }
}

/// The editor's preview of `md`: rendered off the workers as readers will see it, headed by
/// a note when part of it will not render as written; a note instead when over budget.
pub async fn preview(tr: &I18n, md: String) -> String {
    let fault = crate::markdown::check(&md).err();
    let note = |text: String| {
        format!(
            "<p class=\"notice\"><strong>{}</strong></p>\n",
            html_escape(&text)
        )
    };
    match markdown(md).await {
        Ok(html) => match fault {
            Some(e) => format!(
                "{}{html}",
                note(format!(
                    "{} {}",
                    tr.t("content-preview-limited"),
                    body_error_message(tr, &e)
                ))
            ),
            None => html,
        },
        Err(e) => {
            tracing::warn!(error = %e, "preview not rendered");
            note(tr.t("content-preview-too-slow"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_off_the_workers() {
        let html = markdown("**hi**".into()).await.expect("renders");
        assert!(html.contains("<strong>hi</strong>"), "{html}");
    }

    #[test]
    fn scroll_boxes_take_the_keyboard() {
        let html = crate::markdown::to_safe_html(
            "```\nlong code\n```\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n<pre tabindex=\"-1\">x</pre>",
        );
        let out = for_page(&html);
        assert_eq!(out.matches("<pre tabindex=\"0\">").count(), 2, "{out}");
        assert!(out.contains("<table tabindex=\"0\">"), "{out}");
        assert!(!out.contains("tabindex=\"-1\""), "{out}");
    }

    #[tokio::test]
    async fn over_budget_is_an_error_not_a_wait() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // Work that ends only when told: the budget (zero) is spent first.
        let r = within(Duration::ZERO, move || rx.recv().ok()).await;
        assert!(matches!(r, Err(RenderError::OverBudget(_))), "{r:?}");
        let _ = tx.send(());
    }
}
