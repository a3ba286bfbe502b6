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
//! * **Too long**: a comment over [`BODY_MAX`] characters comes back in the form, whole, with
//!   the reason (422); the form takes bodies up to [`FORM_BODY_MAX`], and past that the
//!   comment page says why nothing was received (413, the post known from the form's
//!   `?post=` address) — never a bare error page.
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

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};

use crate::http::{AppState, limits};

pub mod moderation;
mod notify;
mod render;
mod submit;

// The comments' storage lives in the blog's store; its names stay reachable here.
pub use super::repo::Moderation;
pub use super::repo::comments::*;
pub use moderation::{blocklist, set_blocklist};
pub use notify::comment_mail;
pub use render::*;
pub use submit::{CommentInput, MaybeMember, StandaloneQuery};

pub const NAME_MAX: usize = 80;
pub const EMAIL_MAX: usize = 254;
pub const URL_MAX: usize = 200;
pub const BODY_MAX: usize = 5_000;
/// The largest comment form received (far more than [`BODY_MAX`] characters, so a comment
/// that is too long comes back whole with the reason).
pub const FORM_BODY_MAX: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/comments", post(submit::submit))
        .layer(middleware::from_fn_with_state(
            FORM_BODY_MAX,
            limits::soft_cap,
        ))
        .layer(DefaultBodyLimit::disable())
        .route("/posts/{id}/comments", get(submit::standalone))
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
