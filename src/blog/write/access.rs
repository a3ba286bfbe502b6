//! Who may write which post, by role, author and status (as WordPress's editors and
//! contributors):
//!
//! * An **editor** (`Permission::PostsWrite` on the post's campaign, or on the site for a
//!   post of no campaign; owners and editors) writes any post there in any status:
//!   publishes, schedules, makes private, unpublishes, edits what others wrote.
//! * A **contributor** (`Permission::WriteOwnDrafts` there but not `PostsWrite`: the
//!   `member` role) creates drafts and edits their own posts while they are drafts or pending
//!   review; they may save a draft or submit it for review (status `pending`), and nothing
//!   else: no other status, no publication time, no sticky flag, no other author. Once an
//!   editor publishes, schedules or makes the post private, only an editor changes it.
//!
//! The console and the API ask [`check_write`] before writing (and [`super::create_as`] /
//! [`super::update_as`] ask it again inside the writing transaction, with the post as it is
//! then); [`may_open`] says who may open a post in the editor or read it through the API.

use super::{NewPost, Post, PostStatus};
use crate::team::{Member, Permission};

/// How a member writes posts of one campaign (or of none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Any post, any status.
    Editor,
    /// Own drafts and posts pending review; submits for review.
    Contributor,
}

/// Why a write is refused (a 403 with this reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No role that writes posts for this campaign (or for the site).
    NoRole,
    /// A contributor reaching for another member's post.
    NotYours,
    /// A contributor editing a post that is no longer a draft or pending review.
    NotDraft,
    /// A contributor publishing, scheduling, making private, setting a time or a sticky
    /// flag: an editor's work.
    Publish,
}

impl Refusal {
    /// A stable code (the API's `error.code`).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NoRole => "forbidden",
            Refusal::NotYours => "not_your_post",
            Refusal::NotDraft => "not_a_draft",
            Refusal::Publish => "editors_publish",
        }
    }

    /// The message key (`locales/*/team.ftl`).
    pub fn message_key(self) -> &'static str {
        match self {
            Refusal::NoRole => "error-forbidden",
            Refusal::NotYours => "post-refused-not-yours",
            Refusal::NotDraft => "post-refused-not-draft",
            Refusal::Publish => "post-refused-publish",
        }
    }

    /// An English sentence (the API and the CLI).
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::NoRole => "your roles do not allow writing posts here",
            Refusal::NotYours => "only the post's author or an editor may change this post",
            Refusal::NotDraft => {
                "this post is no longer a draft or pending review: only an editor may change it"
            }
            Refusal::Publish => {
                "only an editor may publish, schedule, make private, set a time or pin a post; save a draft or submit it for review (status pending)"
            }
        }
    }
}

/// How `m` writes posts of `campaign` (`None`: posts of no campaign), if at all.
pub fn writer(m: &Member, campaign: Option<&str>) -> Option<Writer> {
    if m.can(Permission::PostsWrite, campaign) {
        Some(Writer::Editor)
    } else if m.can(Permission::WriteOwnDrafts, campaign) {
        Some(Writer::Contributor)
    } else {
        None
    }
}

/// The statuses a contributor may give a post.
pub fn contributor_status(status: PostStatus) -> bool {
    matches!(status, PostStatus::Draft | PostStatus::Pending)
}

fn is_author(m: &Member, p: &Post) -> bool {
    p.author_id.as_deref() == Some(m.id.as_str())
}

/// Whether `m` may open `p` in the editor (and read it through the API): an editor of its
/// campaign, or its author as a contributor there while it is a draft or pending review.
pub fn may_open(m: &Member, p: &Post) -> Result<Writer, Refusal> {
    match writer(m, p.campaign_id.as_deref()) {
        Some(Writer::Editor) => Ok(Writer::Editor),
        Some(Writer::Contributor) if !is_author(m, p) => Err(Refusal::NotYours),
        Some(Writer::Contributor) if !contributor_status(p.status) => Err(Refusal::NotDraft),
        Some(Writer::Contributor) => Ok(Writer::Contributor),
        None => Err(Refusal::NoRole),
    }
}

/// Whether `p` belongs in `m`'s list of posts in the console: every post of the campaigns
/// they edit, and their own posts (whatever the status) where they contribute.
pub fn listed_for(m: &Member, p: &Post) -> bool {
    match writer(m, p.campaign_id.as_deref()) {
        Some(Writer::Editor) => true,
        Some(Writer::Contributor) => is_author(m, p),
        None => false,
    }
}

/// Whether `m` may write `new`, as a new post (`old: None`) or over `old`.
pub fn check_write(m: &Member, old: Option<&Post>, new: &NewPost) -> Result<Writer, Refusal> {
    if let Some(old) = old {
        // The post as it is: may this member touch it at all?
        may_open(m, old)?;
    }
    let w = writer(m, new.campaign_id.as_deref()).ok_or(Refusal::NoRole)?;
    if w == Writer::Editor {
        // (Moving a post into a campaign this member edits needs them to have been allowed
        // to open it where it was: checked above.)
        return Ok(w);
    }
    if new.author_id.as_deref() != Some(m.id.as_str()) {
        return Err(Refusal::NotYours);
    }
    let (old_at, old_sticky) = old.map_or((None, false), |o| (o.published_at, o.sticky));
    if !contributor_status(new.status) || new.published_at != old_at || new.sticky != old_sticky {
        return Err(Refusal::Publish);
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::blog::write::{CommentStatus, PostKind};
    use crate::team::{Grant, MemberStatus, Role};

    fn member(id: &str, role: Role, scope: Option<&str>) -> Member {
        Member {
            id: id.into(),
            email: format!("{id}@example.org"),
            display_name: id.into(),
            time_zone: "UTC".into(),
            languages: "en".into(),
            avatar_url: None,
            totp_enabled: false,
            has_password: true,
            status: MemberStatus::Active,
            grants: vec![Grant {
                role,
                scope: scope.map(str::to_string),
            }],
        }
    }

    fn post(author: &str, status: PostStatus, campaign: Option<&str>) -> Post {
        let now = Utc::now();
        Post {
            id: "p".into(),
            kind: PostKind::Article,
            status,
            slug: "p".into(),
            title: "T".into(),
            body_md: "B".into(),
            excerpt: String::new(),
            author_id: Some(author.into()),
            author_name: None,
            campaign_id: campaign.map(str::to_string),
            sticky: false,
            password_hash: None,
            comment_status: CommentStatus::Open,
            featured_image_url: None,
            featured_image_alt: None,
            published_at: (status == PostStatus::Published).then_some(now),
            created_at: now,
            updated_at: now,
            source_key: None,
            mail_subscribers: true,
        }
    }

    fn new_post(author: &str, status: PostStatus) -> NewPost {
        let mut p = NewPost::draft(PostKind::Article, "T", "B");
        p.author_id = Some(author.into());
        p.status = status;
        p
    }

    #[test]
    fn contributors_write_their_own_drafts_and_submit_them() {
        let m = member("m", Role::Member, None);
        for st in [PostStatus::Draft, PostStatus::Pending] {
            assert_eq!(
                check_write(&m, None, &new_post("m", st)),
                Ok(Writer::Contributor)
            );
            let old = post("m", st, None);
            assert_eq!(may_open(&m, &old), Ok(Writer::Contributor));
            assert_eq!(
                check_write(&m, Some(&old), &new_post("m", PostStatus::Pending)),
                Ok(Writer::Contributor)
            );
        }
    }

    #[test]
    fn contributors_never_publish_nor_touch_others_or_published_posts() {
        let m = member("m", Role::Member, None);
        for st in [
            PostStatus::Published,
            PostStatus::Scheduled,
            PostStatus::Private,
        ] {
            assert_eq!(
                check_write(&m, None, &new_post("m", st)),
                Err(Refusal::Publish)
            );
            assert_eq!(may_open(&m, &post("m", st, None)), Err(Refusal::NotDraft));
        }
        let mut timed = new_post("m", PostStatus::Draft);
        timed.published_at = Some(Utc::now());
        assert_eq!(check_write(&m, None, &timed), Err(Refusal::Publish));
        let mut pinned = new_post("m", PostStatus::Draft);
        pinned.sticky = true;
        assert_eq!(check_write(&m, None, &pinned), Err(Refusal::Publish));
        let others = post("x", PostStatus::Draft, None);
        assert_eq!(may_open(&m, &others), Err(Refusal::NotYours));
        assert!(!listed_for(&m, &others));
        assert!(listed_for(&m, &post("m", PostStatus::Published, None)));
        assert_eq!(
            check_write(&m, None, &new_post("x", PostStatus::Draft)),
            Err(Refusal::NotYours)
        );
        let published = post("m", PostStatus::Published, None);
        assert_eq!(
            check_write(&m, Some(&published), &new_post("m", PostStatus::Draft)),
            Err(Refusal::NotDraft)
        );
    }

    #[test]
    fn editors_do_everything_in_their_scope_and_treasurers_nothing() {
        let ed = member("e", Role::Editor, None);
        let p = post("m", PostStatus::Pending, None);
        assert_eq!(may_open(&ed, &p), Ok(Writer::Editor));
        assert_eq!(
            check_write(&ed, Some(&p), &new_post("m", PostStatus::Published)),
            Ok(Writer::Editor)
        );
        let scoped = member("s", Role::Editor, Some("c1"));
        assert_eq!(
            may_open(&scoped, &post("m", PostStatus::Draft, Some("c1"))),
            Ok(Writer::Editor)
        );
        assert_eq!(
            may_open(&scoped, &post("m", PostStatus::Draft, Some("c2"))),
            Err(Refusal::NoRole)
        );
        let t = member("t", Role::Treasurer, None);
        assert_eq!(
            check_write(&t, None, &new_post("t", PostStatus::Draft)),
            Err(Refusal::NoRole)
        );
        // A member scoped to one campaign contributes there only.
        let mc = member("mc", Role::Member, Some("c1"));
        let mut there = new_post("mc", PostStatus::Draft);
        there.campaign_id = Some("c1".into());
        assert_eq!(check_write(&mc, None, &there), Ok(Writer::Contributor));
        assert_eq!(
            check_write(&mc, None, &new_post("mc", PostStatus::Draft)),
            Err(Refusal::NoRole)
        );
    }
}
