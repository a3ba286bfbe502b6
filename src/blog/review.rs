//! Posts submitted for review: when a post comes to wait for review (status `pending`), every
//! active member who may publish it (`Permission::PostsWrite` on its campaign, or on the
//! site: its editors and owners), except whoever submitted it, gets an e-mail through the
//! outbox, in their own language, with a link to the post in the console. The submission
//! itself is audited by the write (`post.submitted`).

use crate::email::Email;
use crate::http::AppState;
use crate::mail::Message;
use crate::team::{Member, Permission};

use super::write::{Post, PostStatus};

/// Whether a write that left `post` came from `before` (`None`: a new post) submitted it.
pub fn submitted(before: Option<PostStatus>, post: &Post) -> bool {
    post.status == PostStatus::Pending && before != Some(PostStatus::Pending)
}

/// The e-mail to one editor about `post`, submitted by `by`.
pub fn review_mail(to: &Member, post: &Post, by: &str, base: &str) -> anyhow::Result<Message> {
    let tr = crate::team::mailers::language_of(to);
    let title = if post.title.is_empty() {
        crate::markdown::excerpt(&post.body_md, 60)
    } else {
        post.title.clone()
    };
    let subject = tr.ta(
        "review-mail-subject",
        [("author", by.to_string()), ("title", title.clone())],
    );
    let intro = tr.ta(
        "review-mail-intro",
        [
            ("author", by.to_string()),
            ("title", title),
            ("site", tr.t("site-name")),
        ],
    );
    let url = format!("{base}/admin/posts/{}", post.id);
    let email = Email::parse(&to.email).map_err(|e| anyhow::anyhow!("member e-mail: {e}"))?;
    crate::mail::notice(
        &tr,
        email,
        &to.display_name,
        subject,
        intro,
        tr.t("review-mail-action"),
        &url,
    )
}

/// E-mails the post's editors that `by` submitted it for review. Failures are logged
/// (without addresses); the submission stands either way.
pub async fn tell_editors(s: &AppState, post: &Post, by: &Member) {
    let base = s.base_url.trim_end_matches('/');
    let members = match crate::team::repo::list(&s.db).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "editor lookup failed");
            return;
        }
    };
    for m in members
        .iter()
        .filter(|m| m.id != by.id && m.can(Permission::PostsWrite, post.campaign_id.as_deref()))
    {
        match review_mail(m, post, &by.display_name, base) {
            Ok(msg) => {
                if let Err(e) = s.mailer.send(&msg).await {
                    tracing::warn!(error = %e, "review request not sent");
                }
            }
            Err(e) => tracing::warn!(error = %e, "review request not built"),
        }
    }
}
