//! The blog's writing API for token holders: `POST /api/v1/posts` creates a post (the same
//! fields as `shelfraiser post create`), `GET /api/v1/posts/{id}` reads one back (any status)
//! for members who may write it. Who may write what follows `blog::write::access`: editors
//! and owners anything; members their own drafts and submissions for review (`status`
//! `draft` or `pending`; `publish`, `at`, `private`, `sticky` and another `author` answer
//! 403 with a code saying why). Both take `Authorization: Bearer sr_…` (or a signed-in
//! browser's session cookie, whose writes must come from the site's own pages, see
//! `team::session`). Invalid input answers 422 with a message per field.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::write::access::{self, Refusal};
use super::write::{self, NewPost, Post, PostKind, PostStatus, WriteError};
use crate::http::{AppError, AppState};
use crate::team::Permission;
use crate::team::audit::Actor;
use crate::team::session::CurrentMember;
use crate::web::api::ErrorBody;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/posts", post(create))
        .route("/api/v1/posts/{id}", get(show))
}

/// A post to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostJson {
    /// `article` (default), `note` (no title, at most 1000 characters) or `page`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Shown in lists; empty: the text before `<!--more-->`, or the first paragraph.
    #[serde(default)]
    pub excerpt: String,
    /// URL name; empty: from the title (a note: its first words). Made unique.
    #[serde(default)]
    pub slug: Option<String>,
    /// The slug of the campaign the post belongs to.
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// The author's e-mail (a team member); default: the token's member.
    #[serde(default)]
    pub author: Option<String>,
    /// Publish now.
    #[serde(default)]
    pub publish: bool,
    /// Publish at this time: RFC 3339, or `YYYY-MM-DD HH:MM` in the author's time zone.
    #[serde(default)]
    pub at: Option<String>,
    /// `draft` (default), `pending` or `private` when neither `publish` nor `at` is given.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub sticky: bool,
    /// Default true.
    #[serde(default)]
    pub comments_open: Option<bool>,
    /// A campaign's post: e-mail it to the campaign's subscribers when it is first
    /// published. Default true.
    #[serde(default)]
    pub mail_subscribers: Option<bool>,
}

/// The answer to a create.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedJson {
    pub id: String,
    /// The post's public URL (it answers once the post is published).
    pub url: String,
    /// `draft`, `pending`, `scheduled`, `published` or `private`.
    pub status: PostStatus,
}

/// Refused input: the error, and a message per field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvalidJson {
    pub error: crate::web::api::ErrorDetail,
    /// Field name → what is wrong.
    pub fields: BTreeMap<String, String>,
}

/// A post as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostJson {
    pub id: String,
    pub kind: PostKind,
    pub status: PostStatus,
    pub slug: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub excerpt: String,
    pub url: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The campaign's slug.
    pub campaign: Option<String>,
    pub author_id: Option<String>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub sticky: bool,
    pub comments_open: bool,
    pub featured_image_url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn invalid(fields: BTreeMap<String, String>, request_id: &str) -> Response {
    let message = fields.values().cloned().collect::<Vec<_>>().join("; ");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(InvalidJson {
            error: crate::web::api::ErrorDetail {
                code: "invalid".into(),
                message,
                request_id: request_id.to_string(),
            },
            fields,
        }),
    )
        .into_response()
}

/// A refused write: 403 with the reason's code and sentence.
fn refused(r: Refusal) -> AppError {
    AppError::Refused {
        code: r.code(),
        message: r.describe().to_string(),
    }
}

/// Creates a post as the token's member: an editor (on the site, or on the post's campaign)
/// writes anything; a member writes only drafts and posts pending review of their own.
#[utoipa::path(
    post,
    path = "/api/v1/posts",
    request_body = CreatePostJson,
    responses(
        (status = 201, description = "Created", body = CreatedJson),
        (status = 401, description = "No token, or an unknown or revoked one", body = ErrorBody),
        (status = 403, description = "`forbidden`: the member may not write posts (for that campaign); `editors_publish`: a member (contributor) asked to publish, schedule, make private or pin; `not_your_post`: a member named another author; `two_factor_required`: the member must set up two-factor sign-in first; `cross_origin`: a session-cookie request from another site", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = InvalidJson),
    ),
    security(("bearer" = [])),
    tag = "posts"
)]
async fn create(
    State(s): State<AppState>,
    request_id: Option<axum::Extension<tower_http::request_id::RequestId>>,
    me: CurrentMember,
    body: Result<Json<CreatePostJson>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let request_id = request_id
        .and_then(|r| r.0.header_value().to_str().ok().map(str::to_string))
        .unwrap_or_default();
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => {
            let mut f = BTreeMap::new();
            f.insert("body".to_string(), e.body_text());
            return Ok(invalid(f, &request_id));
        }
    };
    let mut f = BTreeMap::new();
    let kind = match b.kind.as_deref() {
        None | Some("") => PostKind::Article,
        Some(k) => PostKind::parse(k).unwrap_or_else(|| {
            f.insert("kind".into(), "kind must be article, note or page".into());
            PostKind::Article
        }),
    };
    let campaign_id = match b.campaign.as_deref().filter(|c| !c.trim().is_empty()) {
        None => None,
        Some(slug) => match crate::campaigns::repo::by_slug(&s.db, slug.trim()).await? {
            Some(c) => Some(c.id),
            None => {
                f.insert(
                    "campaign".into(),
                    format!("no campaign with the slug {slug:?}"),
                );
                None
            }
        },
    };
    if f.is_empty() && access::writer(&me.member, campaign_id.as_deref()).is_none() {
        return Err(AppError::Forbidden);
    }
    let author = match b.author.as_deref().filter(|a| !a.trim().is_empty()) {
        None => Some(me.member.clone()),
        Some(email) => match crate::team::repo::by_email(&s.db, email.trim()).await? {
            Some(m) if m.id == me.member.id => Some(m),
            Some(m) if me.member.can(Permission::PostsWrite, None) => Some(m),
            Some(_) => return Err(refused(Refusal::NotYours)),
            None => {
                f.insert(
                    "author".into(),
                    format!("no member with the e-mail {email:?}"),
                );
                None
            }
        },
    };
    let zone = author
        .as_ref()
        .map(|a| a.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    let (status, published_at) = if let Some(at) = b.at.as_deref().filter(|a| !a.trim().is_empty())
    {
        match write::local_to_utc(at, &zone) {
            Some(t) => (PostStatus::Scheduled, Some(t)),
            None => {
                f.insert(
                    "at".into(),
                    "at must be RFC 3339 or YYYY-MM-DD HH:MM (a time that exists in the author's time zone)".into(),
                );
                (PostStatus::Draft, None)
            }
        }
    } else if b.publish {
        (PostStatus::Published, None)
    } else {
        match b.status.as_deref() {
            None | Some("") => (PostStatus::Draft, None),
            Some(st) => match PostStatus::parse(st) {
                Some(st @ (PostStatus::Draft | PostStatus::Pending | PostStatus::Private)) => {
                    (st, None)
                }
                _ => {
                    f.insert(
                        "status".into(),
                        "status must be draft, pending or private (use publish or at)".into(),
                    );
                    (PostStatus::Draft, None)
                }
            },
        }
    };
    let new = NewPost {
        kind,
        title: b.title,
        body_md: b.body,
        excerpt: b.excerpt,
        status,
        published_at,
        author_id: author.map(|a| a.id),
        campaign_id,
        sticky: b.sticky,
        comments_open: b.comments_open.unwrap_or(true),
        slug: b.slug,
        categories: b.categories,
        tags: b.tags,
        featured_image_url: None,
        featured_image_alt: None,
        source_key: None,
        created_at: None,
        mail_subscribers: b.mail_subscribers.unwrap_or(true),
    };
    if let Err(errs) = write::validate(&new) {
        for (field, code) in errs {
            f.entry(field.to_string())
                .or_insert_with(|| write::describe(field, code));
        }
    }
    if !f.is_empty() {
        return Ok(invalid(f, &request_id));
    }
    let actor = Actor {
        member_id: Some(me.member.id.clone()),
        label: me.member.email.clone(),
        ip: None,
        user_agent: Some("api".into()),
    };
    match write::create_as(&s.db, &new, &actor, &me.member).await {
        Ok(p) => {
            if super::review::submitted(None, &p) {
                let (s, p, by) = (s.clone(), p.clone(), me.member.clone());
                tokio::spawn(async move { super::review::tell_editors(&s, &p, &by).await });
            }
            Ok((
                StatusCode::CREATED,
                Json(CreatedJson {
                    url: format!(
                        "{}{}",
                        s.base_url,
                        write::permalink(&p, &s.settings.blog.permalink)
                    ),
                    status: p.status,
                    id: p.id,
                }),
            )
                .into_response())
        }
        Err(WriteError::Invalid(errs)) => Ok(invalid(
            errs.into_iter()
                .map(|(k, c)| (k.to_string(), write::describe(k, c)))
                .collect(),
            &request_id,
        )),
        Err(WriteError::Refused(r)) => Err(refused(r)),
        Err(WriteError::NotFound) => Err(AppError::NotFound),
        Err(WriteError::Duplicate) => Err(AppError::Conflict("duplicate".into())),
        Err(WriteError::Db(e)) => Err(e.into()),
    }
}

/// Builds the JSON of a stored post.
pub async fn to_json(s: &AppState, p: &Post) -> Result<PostJson, AppError> {
    let (categories, tags) = write::terms_of(&s.db, &p.id).await?;
    let campaign = match &p.campaign_id {
        Some(id) => crate::campaigns::repo::by_id(&s.db, id)
            .await?
            .map(|c| c.slug.to_string()),
        None => None,
    };
    Ok(PostJson {
        id: p.id.clone(),
        kind: p.kind,
        status: p.status,
        slug: p.slug.clone(),
        title: p.title.clone(),
        body: p.body_md.clone(),
        excerpt: p.excerpt.clone(),
        url: format!(
            "{}{}",
            s.base_url,
            write::permalink(p, &s.settings.blog.permalink)
        ),
        published_at: p.published_at,
        campaign,
        author_id: p.author_id.clone(),
        categories,
        tags,
        sticky: p.sticky,
        comments_open: p.comment_status.is_open(),
        featured_image_url: p.featured_image_url.clone(),
        updated_at: p.updated_at,
    })
}

/// One post in any status, for its editors, and for its author where they contribute.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    params(("id" = String, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = PostJson),
        (status = 401, description = "No token, or an unknown or revoked one", body = ErrorBody),
        (status = 403, description = "The member may not write this post", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "posts"
)]
async fn show(
    State(s): State<AppState>,
    me: CurrentMember,
    Path(id): Path<String>,
) -> Result<Json<PostJson>, AppError> {
    let p = write::by_id(&s.db, &id).await?.ok_or(AppError::NotFound)?;
    if !access::listed_for(&me.member, &p) {
        return Err(refused(
            access::may_open(&me.member, &p)
                .err()
                .unwrap_or(Refusal::NoRole),
        ));
    }
    Ok(Json(to_json(&s, &p).await?))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, show),
    components(schemas(CreatePostJson, CreatedJson, InvalidJson, PostJson, PostKind, PostStatus)),
    tags((name = "posts", description = "Writing the blog"))
)]
pub struct BlogApiDoc;
