//! The post editor's form: the fields as typed, read from a post or a posted form, and
//! checked into the post to write (or the fields at fault).

use crate::blog::write::{self, NewPost, Post, PostKind, PostStatus};
use crate::console::{Errors, Fields};
use crate::i18n::I18n;
use crate::team::session::CurrentMember;

/// The editor's fields as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostForm {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub excerpt: String,
    pub status: String,
    /// `YYYY-MM-DDTHH:MM` in the author's zone.
    pub publish_at: String,
    pub categories: String,
    pub tags: String,
    pub sticky: bool,
    pub comments_open: bool,
    /// "E-mail this update to the campaign's subscribers" (a campaign's post).
    pub mail_subscribers: bool,
    pub campaign: String,
    pub slug: String,
    pub remove_image: bool,
    /// What the featured image shows.
    pub image_alt: String,
    /// Alt text for the "insert image" upload.
    pub insert_alt: String,
    /// Where the cursor was in the body (a textarea's `selectionStart`, sent by the editor's
    /// script): the inserted image goes there. Empty: at the end.
    pub insert_at: String,
}

impl PostForm {
    pub(super) fn blank() -> PostForm {
        PostForm {
            kind: "article".into(),
            status: "draft".into(),
            comments_open: true,
            mail_subscribers: true,
            ..Default::default()
        }
    }

    pub(super) fn of_post(p: &Post, cats: &[String], tags: &[String], zone: &str) -> PostForm {
        PostForm {
            kind: p.kind.to_string(),
            title: p.title.clone(),
            body: p.body_md.clone(),
            excerpt: p.excerpt.clone(),
            status: p.status.to_string(),
            publish_at: p
                .published_at
                .map(|t| write::utc_to_local_field(t, zone))
                .unwrap_or_default(),
            categories: cats.join(", "),
            tags: tags.join(", "),
            sticky: p.sticky,
            comments_open: p.comment_status.is_open(),
            mail_subscribers: p.mail_subscribers,
            campaign: p.campaign_id.clone().unwrap_or_default(),
            slug: p.slug.clone(),
            remove_image: false,
            image_alt: p.featured_image_alt.clone().unwrap_or_default(),
            insert_alt: String::new(),
            insert_at: String::new(),
        }
    }

    pub(super) fn of_fields(f: &Fields) -> PostForm {
        PostForm {
            kind: f.text("kind", 20),
            title: f.text("title", write::MAX_TITLE + 50),
            body: f.text("body", write::MAX_BODY + 1000),
            excerpt: f.text("excerpt", write::MAX_EXCERPT + 50),
            status: f.text("status", 20),
            publish_at: f.text("publish_at", 40),
            categories: f.text("categories", 4000),
            tags: f.text("tags", 4000),
            sticky: f.checked("sticky"),
            comments_open: f.checked("comments_open"),
            mail_subscribers: f.checked("mail_subscribers"),
            campaign: f.text("campaign", 100),
            slug: f.text("slug", write::MAX_SLUG + 50),
            remove_image: f.checked("remove_image"),
            image_alt: f.text("image_alt", write::MAX_IMAGE_ALT + 50),
            insert_alt: f.text("insert_alt", 500),
            insert_at: f.text("insert_at", 12),
        }
    }
}

pub(super) fn split_terms(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) fn field_message(tr: &I18n, field: &str, code: &str) -> String {
    match (field, code) {
        (_, "required") => tr.t("console-error-required"),
        (_, "too_long") => tr.t("console-post-error-too-long"),
        ("title", "not_allowed") => tr.t("console-post-error-note-title"),
        ("publish_at", _) => tr.t("console-post-error-time"),
        _ => tr.t("console-post-error-invalid"),
    }
}

/// The post to write from the form, or the fields at fault. `zone` is the author's.
pub(super) fn to_new_post(
    tr: &I18n,
    me: &CurrentMember,
    f: &PostForm,
    author_id: Option<String>,
    zone: &str,
    image: Option<String>,
) -> Result<NewPost, Errors> {
    let mut e = Errors::default();
    let kind = PostKind::parse(&f.kind).unwrap_or_else(|| {
        e.add("kind", tr.t("console-error-choose"));
        PostKind::Article
    });
    let status = PostStatus::parse(&f.status).unwrap_or_else(|| {
        e.add("status", tr.t("console-error-choose"));
        PostStatus::Draft
    });
    let published_at = if f.publish_at.trim().is_empty() {
        None
    } else {
        match write::local_to_utc(&f.publish_at, zone) {
            Some(t) => Some(t),
            None => {
                e.add("publish_at", tr.t("console-post-error-time"));
                None
            }
        }
    };
    let campaign_id = (!f.campaign.is_empty()).then(|| f.campaign.clone());
    if write::access::writer(&me.member, campaign_id.as_deref()).is_none() {
        e.add("campaign", tr.t("console-post-error-campaign"));
    }
    let p = NewPost {
        kind,
        title: f.title.clone(),
        body_md: f.body.clone(),
        excerpt: f.excerpt.clone(),
        status,
        published_at,
        author_id,
        campaign_id,
        sticky: f.sticky,
        comments_open: f.comments_open,
        slug: (!f.slug.trim().is_empty()).then(|| f.slug.clone()),
        categories: split_terms(&f.categories),
        tags: split_terms(&f.tags),
        featured_image_alt: (!f.image_alt.trim().is_empty()).then(|| f.image_alt.clone()),
        featured_image_url: image,
        source_key: None,
        created_at: None,
        mail_subscribers: f.mail_subscribers,
    };
    if let Err(errs) = write::validate(&p) {
        for (field, code) in errs {
            let name = match field {
                "published_at" => "publish_at",
                other => other,
            };
            // A body that would not render as written: say where and why.
            let fault = (field == "body" && matches!(code, "too_deep" | "too_wide"))
                .then(|| crate::markdown::check(&p.body_md).err())
                .flatten();
            match fault {
                Some(fault) => e.add(name, crate::render::body_error_message(tr, &fault)),
                None => e.add(name, field_message(tr, field, code)),
            }
        }
    }
    if e.is_empty() { Ok(p) } else { Err(e) }
}
