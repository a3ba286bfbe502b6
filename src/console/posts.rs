//! Writing the blog in the console: `/admin/posts` lists posts (filter by status),
//! `/admin/posts/new` and `/admin/posts/{id}` show the editor. The editor posts multipart
//! (a featured image, and an "insert image" upload whose Markdown is appended to the body,
//! may come along; both are stored with narrower copies for responsive pages) with `action` = `preview` (server-side, nothing
//! stored), `save`, `publish` or `unpublish`; every save goes through
//! [`blog::write`](crate::blog::write), which audits `post.created` / `post.updated` /
//! `post.published`.
//!
//! The schedule time is typed in the author's time zone (`members.time_zone`) and stored in
//! UTC. Editors and owners write posts; an editor scoped to one campaign writes only posts
//! of that campaign.

use askama::Template;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

use super::donations::Opt;
use super::{Errors, Fields, Req, Shell};
use crate::blog::write::{self, NewPost, Post, PostKind, PostStatus, WriteError};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::markdown;
use crate::media::{self, MediaError, multipart_error};
use crate::team::Permission;
use crate::team::session::CurrentMember;

/// The editor's fields as typed.
#[derive(Debug, Clone, Default)]
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
    pub campaign: String,
    pub slug: String,
    pub remove_image: bool,
    /// Alt text for the "insert image" upload.
    pub insert_alt: String,
}

impl PostForm {
    fn blank() -> PostForm {
        PostForm {
            kind: "article".into(),
            status: "draft".into(),
            comments_open: true,
            ..Default::default()
        }
    }

    fn of_post(p: &Post, cats: &[String], tags: &[String], zone: &str) -> PostForm {
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
            campaign: p.campaign_id.clone().unwrap_or_default(),
            slug: p.slug.clone(),
            remove_image: false,
            insert_alt: String::new(),
        }
    }

    fn of_fields(f: &Fields) -> PostForm {
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
            campaign: f.text("campaign", 100),
            slug: f.text("slug", write::MAX_SLUG + 50),
            remove_image: f.checked("remove_image"),
            insert_alt: f.text("insert_alt", 500),
        }
    }
}

fn split_terms(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn field_message(tr: &I18n, field: &str, code: &str) -> String {
    match (field, code) {
        (_, "required") => tr.t("console-error-required"),
        (_, "too_long") => tr.t("console-post-error-too-long"),
        ("title", "not_allowed") => tr.t("console-post-error-note-title"),
        ("publish_at", _) => tr.t("console-post-error-time"),
        _ => tr.t("console-post-error-invalid"),
    }
}

/// The post to write from the form, or the fields at fault. `zone` is the author's.
fn to_new_post(
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
    if !me
        .member
        .can(Permission::PostsWrite, campaign_id.as_deref())
    {
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
        featured_image_url: image,
        source_key: None,
        created_at: None,
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

/// The campaigns whose posts the member may write: `None` for all (a site-wide grant).
fn writable_campaigns(me: &CurrentMember) -> Option<Vec<String>> {
    if me.member.can(Permission::PostsWrite, None) {
        return None;
    }
    Some(
        me.member
            .grants
            .iter()
            .filter(|g| g.role.allows(Permission::PostsWrite))
            .filter_map(|g| g.scope.clone())
            .collect(),
    )
}

/// `GET /admin/posts`.
pub async fn list(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let tr = &r.tr;
    let status = q.status.as_deref().and_then(PostStatus::parse);
    let scope = writable_campaigns(&me);
    let posts = write::list(&s.db, status, scope.as_deref(), 200).await?;
    let zone = me.member.time_zone.clone();
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
                .then(|| write::permalink(p, &s.settings.blog.permalink)),
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
        shell: Shell::new(&s, &r, &me, "/admin/posts"),
        rows,
        status_opts,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "console/post.html")]
pub struct EditorPage {
    pub shell: Shell,
    pub action: String,
    pub heading: String,
    pub public_href: Option<String>,
    pub form: PostForm,
    pub errors: Errors,
    pub notice: String,
    pub saved: bool,
    pub preview_html: Option<String>,
    pub kind_opts: Vec<Opt>,
    pub status_opts: Vec<Opt>,
    pub campaign_opts: Vec<Opt>,
    pub zone: String,
    pub image_url: Option<String>,
    pub is_new: bool,
    pub published: bool,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    s: &AppState,
    r: &Req,
    me: &CurrentMember,
    post: Option<&Post>,
    form: PostForm,
    errors: Errors,
    notice: String,
    saved: bool,
    preview: bool,
    zone: &str,
) -> Result<String, AppError> {
    let tr = &r.tr;
    let kind_opts = PostKind::ALL
        .iter()
        .map(|k| Opt {
            value: k.as_str().into(),
            label: tr.t(&format!("console-post-kind-{}", k.as_str())),
            selected: form.kind == k.as_str(),
        })
        .collect();
    let status_opts = PostStatus::ALL
        .iter()
        .map(|st| Opt {
            value: st.as_str().into(),
            label: tr.t(&format!("console-post-status-{}", st.as_str())),
            selected: form.status == st.as_str(),
        })
        .collect();
    let mut campaign_opts = Vec::new();
    if me.member.can(Permission::PostsWrite, None) {
        campaign_opts.push(Opt {
            value: String::new(),
            label: tr.t("console-post-no-campaign"),
            selected: form.campaign.is_empty(),
        });
    }
    for c in crate::campaigns::repo::list(&s.db).await? {
        if me.member.can(Permission::PostsWrite, Some(&c.id)) {
            campaign_opts.push(Opt {
                selected: form.campaign == c.id,
                value: c.id,
                label: c.title,
            });
        }
    }
    let preview_html = if preview {
        Some(crate::render::preview(tr, form.body.replace("<!--more-->", "")).await)
    } else {
        None
    };
    let page = EditorPage {
        shell: Shell::new(s, r, me, "/admin/posts"),
        action: post
            .map(|p| format!("/admin/posts/{}", p.id))
            .unwrap_or_else(|| "/admin/posts/new".into()),
        heading: match post {
            Some(p) if !p.title.is_empty() => p.title.clone(),
            Some(p) => p.slug.clone(),
            None => tr.t("console-post-new"),
        },
        public_href: post
            .filter(|p| p.status == PostStatus::Published)
            .map(|p| write::permalink(p, &s.settings.blog.permalink)),
        preview_html,
        form,
        errors,
        notice,
        saved,
        kind_opts,
        status_opts,
        campaign_opts,
        zone: zone.to_string(),
        image_url: post.and_then(|p| p.featured_image_url.clone()),
        is_new: post.is_none(),
        published: post.is_some_and(|p| p.status == PostStatus::Published),
    };
    Ok(page.render()?)
}

/// The author's time zone: the post's author, or (for a new post, or an author who is
/// gone) the member typing.
async fn zone_of(
    s: &AppState,
    me: &CurrentMember,
    post: Option<&Post>,
) -> Result<String, AppError> {
    if let Some(id) = post.and_then(|p| p.author_id.as_deref())
        && id != me.member.id
        && let Some(a) = crate::team::repo::by_id(&s.db, id).await?
    {
        return Ok(a.time_zone);
    }
    Ok(me.member.time_zone.clone())
}

/// The post, if the member may write it (403 otherwise).
async fn editable(s: &AppState, me: &CurrentMember, id: &str) -> Result<Post, AppError> {
    let p = write::by_id(&s.db, id).await?.ok_or(AppError::NotFound)?;
    if !me
        .member
        .can(Permission::PostsWrite, p.campaign_id.as_deref())
    {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    pub saved: Option<String>,
}

/// `GET /admin/posts/new`.
pub async fn new(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let zone = zone_of(&s, &me, None).await?;
    let mut form = PostForm::blank();
    if let Some(scope) = writable_campaigns(&me)
        && let Some(first) = scope.first()
    {
        form.campaign = first.clone();
    }
    let html = render(
        &s,
        &r,
        &me,
        None,
        form,
        Errors::default(),
        String::new(),
        false,
        false,
        &zone,
    )
    .await?;
    Ok(Html(html).into_response())
}

/// `GET /admin/posts/{id}`.
pub async fn edit(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let p = editable(&s, &me, &id).await?;
    let zone = zone_of(&s, &me, Some(&p)).await?;
    let (cats, tags) = write::terms_of(&s.db, &p.id).await?;
    let saved = q.saved.is_some();
    let notice = if saved {
        r.tr.t("console-saved")
    } else {
        String::new()
    };
    let form = PostForm::of_post(&p, &cats, &tags, &zone);
    let html = render(
        &s,
        &r,
        &me,
        Some(&p),
        form,
        Errors::default(),
        notice,
        saved,
        false,
        &zone,
    )
    .await?;
    Ok(Html(html).into_response())
}

/// `POST /admin/posts/new`.
pub async fn create(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    mp: Multipart,
) -> Result<Response, AppError> {
    save_any(s, me, r, None, mp).await
}

/// `POST /admin/posts/{id}`.
pub async fn save(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    save_any(s, me, r, Some(id), mp).await
}

/// What the editor posted.
struct Posted {
    fields: Fields,
    /// The featured `image` file (`None` when none was chosen).
    image: Option<Vec<u8>>,
    /// The `insert_image` file, to add to the body.
    insert: Option<Vec<u8>>,
    /// The file field that was over [`media::MAX_UPLOAD_BYTES`] (the rest of the body is still
    /// read).
    too_large: Option<&'static str>,
}

async fn read_multipart(mp: &mut Multipart) -> Result<Posted, Response> {
    let mut fields = Vec::new();
    let mut image: Option<Vec<u8>> = None;
    let mut insert: Option<Vec<u8>> = None;
    let mut too_large = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        let file_field = match name.as_str() {
            "image" => Some("image"),
            "insert_image" => Some("insert_image"),
            _ => None,
        };
        if let Some(which) = file_field {
            let (buf, over) = media::read_upload(&mut field).await?;
            if over {
                too_large.get_or_insert(which);
            } else if !buf.is_empty() {
                if which == "image" {
                    image = Some(buf);
                } else {
                    insert = Some(buf);
                }
            }
        } else if fields.len() < 500 {
            let text = field.text().await.map_err(multipart_error)?;
            fields.push((name, text));
        }
    }
    Ok(Posted {
        fields: Fields(fields),
        image,
        insert,
        too_large,
    })
}

/// Stores an uploaded post image with its narrower copies; its public path, or why the
/// file was refused.
async fn store_image(
    s: &AppState,
    me: &CurrentMember,
    bytes: Vec<u8>,
) -> Result<Result<String, MediaError>, AppError> {
    let (processed, variants) = match media::process_with_variants_blocking(bytes).await {
        Ok(x) => x,
        Err(err) => return Ok(Err(err)),
    };
    let mut tx = s.db.begin().await?;
    let url =
        media::insert_with_variants_in(&mut tx, &processed, &variants, Some(&me.member.id)).await?;
    tx.commit().await?;
    Ok(Ok(url))
}

/// Alt text made safe inside Markdown's `![…]` (one line, no brackets).
fn markdown_alt(alt: &str) -> String {
    alt.chars()
        .map(|c| match c {
            '[' | ']' | '\\' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn save_any(
    s: AppState,
    me: CurrentMember,
    r: Req,
    id: Option<String>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let post = match &id {
        Some(id) => Some(editable(&s, &me, id).await?),
        None => None,
    };
    let zone = zone_of(&s, &me, post.as_ref()).await?;
    let tr = &r.tr;
    let Posted {
        fields,
        image,
        insert,
        too_large,
    } = match read_multipart(&mut mp).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
    let mut form = PostForm::of_fields(&fields);
    let action = fields.get("action").to_string();
    match action.as_str() {
        "publish" => form.status = "published".into(),
        "unpublish" => form.status = "draft".into(),
        _ => {}
    }
    let show =
        |form: PostForm, errors: Errors, notice: String, status: StatusCode, preview: bool| {
            let (s, r, me, post, zone) = (&s, &r, &me, post.as_ref(), zone.as_str());
            async move {
                let html =
                    render(s, r, me, post, form, errors, notice, false, preview, zone).await?;
                Ok::<Response, AppError>((status, Html(html)).into_response())
            }
        };
    if !me.csrf_ok(&s, &r, fields.csrf()) {
        return show(
            form,
            Errors::default(),
            tr.t("error-csrf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
        )
        .await;
    }
    if let Some(which) = too_large {
        let mut e = Errors::default();
        e.add(which, tr.t("console-error-image-too-large"));
        return show(
            form,
            e,
            tr.t("error-form"),
            StatusCode::PAYLOAD_TOO_LARGE,
            false,
        )
        .await;
    }
    if action == "preview" {
        return show(form, Errors::default(), String::new(), StatusCode::OK, true).await;
    }
    // "Insert image": stored (with its narrower copies) and appended to the body as
    // Markdown; the alt text is required.
    if let Some(bytes) = insert {
        let alt = markdown_alt(&form.insert_alt);
        if alt.is_empty() {
            let mut e = Errors::default();
            e.add("insert_alt", tr.t("console-post-error-insert-alt"));
            return show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await;
        }
        match store_image(&s, &me, bytes).await? {
            Ok(url) => {
                let body = form.body.trim_end();
                let sep = if body.is_empty() { "" } else { "\n\n" };
                form.body = format!("{body}{sep}![{alt}]({url})\n");
                form.insert_alt.clear();
            }
            Err(err) => {
                let (key, status) = err.refusal();
                let mut e = Errors::default();
                e.add("insert_image", tr.t(key));
                return show(form, e, tr.t("error-form"), status, false).await;
            }
        }
    }
    let author_id = match &post {
        Some(p) => p.author_id.clone().or_else(|| Some(me.member.id.clone())),
        None => Some(me.member.id.clone()),
    };
    let keep_image = if form.remove_image {
        None
    } else {
        post.as_ref().and_then(|p| p.featured_image_url.clone())
    };
    let mut new = match to_new_post(tr, &me, &form, author_id, &zone, keep_image) {
        Ok(n) => n,
        Err(e) => {
            return show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await;
        }
    };
    if let Some(bytes) = image {
        match store_image(&s, &me, bytes).await? {
            Ok(url) => {
                new.featured_image_url = Some(url);
            }
            Err(err) => {
                let (key, status) = err.refusal();
                let mut e = Errors::default();
                e.add("image", tr.t(key));
                return show(form, e, tr.t("error-form"), status, false).await;
            }
        }
    }
    let actor = me.actor(&r);
    let result = match &post {
        Some(p) => write::update(&s.db, &p.id, &new, &actor).await,
        None => write::create(&s.db, &new, &actor).await,
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/admin/posts/{}?saved=1", p.id)).into_response()),
        Err(WriteError::Invalid(errs)) => {
            let mut e = Errors::default();
            for (field, code) in errs {
                e.add(field, field_message(tr, field, code));
            }
            show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await
        }
        Err(WriteError::NotFound) => Err(AppError::NotFound),
        Err(WriteError::Duplicate) => Err(AppError::Conflict("duplicate".into())),
        Err(WriteError::Db(e)) => Err(e.into()),
    }
}
