//! The campaign editor: `GET /admin/campaigns/{slug}` shows the form, `POST` previews the
//! story (server-side, no script needed) or saves. Saving validates every field (422 with
//! the fields marked, nothing changed), re-encodes an uploaded cover, writes the row, its
//! milestones, the audit entries and (when the title or story changed) a revision in one
//! transaction and bumps the live version so the public page and API show the change at
//! once. A body over the editors' limit shows the form again with what was read of it
//! (`console::upload`); the text is autosaved and kept over a sign-in (`console::keep`).
//! `new` holds the "New campaign" form.

use askama::Template;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

mod form;
pub mod new;

use axum::Extension;
use chrono::{DateTime, Utc};
pub use form::EditorForm;
use form::{changed_fields, validate};

use super::form::Opt;
use super::keep::{self, EditorKeep};
use super::upload;
use super::{Console, Errors, Shell};
use crate::campaigns::repo::{self, UpdateError, Updated};
use crate::campaigns::{Campaign, CampaignState, CampaignUpdate};
use crate::donations::ledger;
use crate::http::AppError;
use crate::http::limits::OverLimit;
use crate::media;
use crate::money::CurrencyCode;
use crate::revisions::{self, Author, Before, Kind, Revision, Snapshot, Target};
use crate::team::Permission;
use crate::team::audit::{self, Actor};

#[derive(Template)]
#[template(path = "console/campaign.html")]
pub struct EditorPage {
    pub shell: Shell,
    pub slug: String,
    pub heading: String,
    pub public_href: Option<String>,
    pub form: EditorForm,
    pub errors: Errors,
    pub notice: String,
    pub saved: bool,
    pub preview_html: Option<String>,
    pub currency_opts: Vec<Opt>,
    pub accept_boxes: Vec<Opt>,
    pub state_opts: Vec<Opt>,
    pub currency_locked: bool,
    pub cover_url: Option<String>,
    pub cover_alt: String,
    pub keep: EditorKeep,
    pub revisions_href: String,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    cx: &Console,
    c: &Campaign,
    form: EditorForm,
    errors: Errors,
    notice: String,
    saved: bool,
    preview: bool,
    restored_at: Option<DateTime<Utc>>,
) -> Result<String, AppError> {
    let tr = &cx.r.tr;
    let locked = ledger::has_money(&cx.s.db, &c.id).await?;
    let currency_opts = CurrencyCode::all()
        .map(|code| Opt {
            value: code.to_string(),
            label: code.to_string(),
            selected: code.as_str() == form.currency,
        })
        .collect();
    let accept_boxes = CurrencyCode::all()
        .map(|code| Opt {
            value: code.to_string(),
            label: code.to_string(),
            selected: form.accepted.iter().any(|a| a == code.as_str())
                || code.as_str() == form.currency,
        })
        .collect();
    let chosen = CampaignState::parse(&form.state);
    let state_opts = CampaignState::ALL
        .iter()
        .map(|&st| Opt {
            value: st.as_str().to_string(),
            label: tr.t(&format!("console-state-{}", st.as_str())),
            selected: chosen == Some(st),
        })
        .collect();
    let preview_html = if preview {
        Some(crate::render::preview(tr, form.story.clone()).await)
    } else {
        None
    };
    let page = EditorPage {
        shell: cx.shell("/admin"),
        slug: c.slug.to_string(),
        heading: c.title.clone(),
        public_href: (c.state != CampaignState::Draft).then(|| format!("/campaigns/{}", c.slug)),
        preview_html,
        form,
        errors,
        notice,
        saved,
        currency_opts,
        accept_boxes,
        state_opts,
        currency_locked: locked,
        cover_url: c.cover_image_url.clone(),
        cover_alt: c.cover_image_alt.clone().unwrap_or_default(),
        keep: EditorKeep::new(
            cx,
            &Target::Campaign(c.id.clone()),
            &format!("/admin/campaigns/{}", c.slug),
            restored_at,
        ),
        revisions_href: format!("/admin/campaigns/{}/revisions", c.slug),
    };
    Ok(page.render()?)
}

/// The campaign, if the member may edit it (403 otherwise).
pub(in crate::console) async fn editable(cx: &Console, slug: &str) -> Result<Campaign, AppError> {
    let c = repo::by_slug(&cx.s.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !cx.me.member.can(Permission::CampaignEdit, Some(&c.id)) {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    pub saved: Option<String>,
    pub restored: Option<String>,
    pub created: Option<String>,
}

/// Whether an autosave holds nothing that is not stored: the same title, summary and story.
fn same_text(a: &EditorForm, b: &EditorForm) -> bool {
    (&a.title, &a.summary, &a.story) == (&b.title, &b.summary, &b.story)
}

/// `GET /admin/campaigns/{slug}`.
pub async fn edit(
    cx: Console,
    Path(slug): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    let c = editable(&cx, &slug).await?;
    let ms = repo::milestones(&cx.s.db, &c).await?;
    let target = Target::Campaign(c.id.clone());
    let stored = EditorForm::of_campaign(&cx.r.tr, &c, &ms);
    let (form, restored_at) =
        keep::restored(&cx, &target, stored, EditorForm::of_fields, same_text).await?;
    let tr = &cx.r.tr;
    let (saved, notice) = if q.created.is_some() {
        (true, tr.t("console-campaign-created"))
    } else if q.restored.is_some() {
        (true, tr.t("console-revision-restored"))
    } else if q.saved.is_some() {
        (true, tr.t("console-saved"))
    } else {
        (false, String::new())
    };
    let html = render(
        &cx,
        &c,
        form,
        Errors::default(),
        notice,
        saved,
        false,
        restored_at,
    )
    .await?;
    Ok(Html(html).into_response())
}

/// Writes the update (through the campaigns store), its audit entries (`(action, detail)`
/// pairs) and, when the title or story changed or `restored` names the revision put back, a
/// revision, in one transaction. Whether money was promised to the campaign (which fixes its
/// currency) is asked of the donations capability inside that transaction, after the
/// campaign's totals row is locked, so no donation can land in between.
async fn write(
    db: &crate::db::Db,
    c: &Campaign,
    u: &CampaignUpdate,
    cover: Option<&media::Processed>,
    by: &Actor,
    audits: &[(&str, String)],
    restored: Option<&str>,
) -> Result<Updated, UpdateError> {
    let mut tx = db.begin().await?;
    let editing = repo::begin_edit_in(&mut tx, &c.id).await?;
    let has_money = editing.changes_currency(u) && ledger::has_money_in(&mut tx, &c.id).await?;
    let done = repo::update_in(
        &mut tx,
        editing,
        has_money,
        u,
        cover,
        by.member_id.as_deref(),
    )
    .await?;
    if restored.is_some() || c.title != u.title || c.story_md != u.story_md {
        let who = Author {
            member_id: by.member_id.as_deref(),
            label: &by.label,
        };
        let snap = Snapshot {
            kind: if restored.is_some() {
                Kind::Restore
            } else {
                Kind::Save
            },
            title: &u.title,
            body: &u.story_md,
            restored_from: restored,
        };
        // A story written before revisions were kept: its text as it was, just before.
        let before = Before {
            title: &c.title,
            body: &c.story_md,
            member_id: None,
            at: Utc::now() - chrono::Duration::milliseconds(1),
        };
        let target = Target::Campaign(c.id.clone());
        revisions::record_in(&mut tx, &target, who, snap, Some(before)).await?;
    }
    for (action, detail) in audits {
        audit::record_in(&mut tx, by, action, c.slug.as_str(), detail).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// `POST /admin/campaigns/{slug}` (multipart): `action=preview` or `action=save`.
pub async fn save(
    cx: Console,
    Path(slug): Path<String>,
    Extension(over): Extension<OverLimit>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let c = editable(&cx, &slug).await?;
    let tr = &cx.r.tr;
    let mut posted = match upload::read(&mut mp, &["cover"], &over).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
    let cover = posted.take_file("cover");
    let (fields, too_large, cut) = (posted.fields, posted.too_large, posted.cut);
    let form = EditorForm::of_fields(&fields);
    let show =
        |form: EditorForm, errors: Errors, notice: String, status: StatusCode, preview: bool| {
            let (cx, c) = (&cx, &c);
            async move {
                let html = render(cx, c, form, errors, notice, false, preview, None).await?;
                Ok::<Response, AppError>((status, Html(html)).into_response())
            }
        };
    if !cx.csrf_ok(fields.csrf()) {
        return show(
            form,
            Errors::default(),
            tr.t("error-csrf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
        )
        .await;
    }
    if cut.is_some() || too_large.is_some() {
        // Over the limit: what was read is shown again, with the reason.
        let mut e = Errors::default();
        let why = if cut.is_some() {
            upload::cut_message(tr)
        } else {
            upload::too_large_message(tr)
        };
        e.add("cover", why);
        return show(
            form,
            e,
            tr.t("error-form"),
            StatusCode::PAYLOAD_TOO_LARGE,
            false,
        )
        .await;
    }
    if fields.get("action") == "preview" {
        return show(form, Errors::default(), String::new(), StatusCode::OK, true).await;
    }
    let locked = ledger::has_money(&cx.s.db, &c.id).await?;
    let update = match validate(tr, &c, &form, locked, cover.is_some()) {
        Ok(u) => u,
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
    let processed = match cover {
        Some(bytes) => match media::process_blocking(bytes).await {
            Ok(p) => Some(p),
            Err(err) => {
                let mut e = Errors::default();
                let (message, status) = upload::refusal(tr, &err);
                e.add("cover", message);
                return show(form, e, tr.t("error-form"), status, false).await;
            }
        },
        None => None,
    };
    let old_ms = repo::milestones(&cx.s.db, &c).await?;
    let changed = changed_fields(&c, &old_ms, &update, processed.is_some());
    let mut audits: Vec<(&str, String)> = Vec::new();
    if !changed.is_empty() {
        audits.push(("campaign.updated", changed.join(",")));
    }
    if update.state != c.state {
        audits.push((
            "campaign.state",
            format!("{} -> {}", c.state.as_str(), update.state.as_str()),
        ));
    }
    match write(
        &cx.s.db,
        &c,
        &update,
        processed.as_ref(),
        &cx.actor(),
        &audits,
        None,
    )
    .await
    {
        Ok(done) => {
            cx.s.hub.observe(&c.id, done.version);
            let target = Target::Campaign(c.id.clone());
            revisions::drop_autosave(&cx.s.db, &target, &cx.me.member.id).await?;
            Ok(Redirect::to(&format!("/admin/campaigns/{}?saved=1", c.slug)).into_response())
        }
        Err(UpdateError::CurrencyLocked) => {
            let mut e = Errors::default();
            e.add("currency", tr.t("console-error-currency-locked"));
            show(
                form,
                e,
                tr.t("error-form"),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await
        }
        Err(UpdateError::NotFound) => Err(AppError::NotFound),
        Err(UpdateError::Db(e)) => Err(e.into()),
    }
}

/// Puts revision `r` of the campaign's title and story back (every other field stays), as a
/// new revision, audited `campaign.restored`; the public page shows it at once.
pub(in crate::console) async fn restore(
    cx: &Console,
    slug: &str,
    r: &Revision,
) -> Result<(), AppError> {
    let c = editable(cx, slug).await?;
    let milestones = repo::milestones(&cx.s.db, &c).await?;
    let u = CampaignUpdate {
        title: r.title.clone(),
        story_md: r.body.clone(),
        milestones,
        ..campaign_as_update(&c)
    };
    let old_ms = u.milestones.clone();
    let changed = changed_fields(&c, &old_ms, &u, false);
    let mut audits: Vec<(&str, String)> = vec![("campaign.restored", r.id.clone())];
    if !changed.is_empty() {
        audits.push(("campaign.updated", changed.join(",")));
    }
    match write(&cx.s.db, &c, &u, None, &cx.actor(), &audits, Some(&r.id)).await {
        Ok(done) => {
            cx.s.hub.observe(&c.id, done.version);
            Ok(())
        }
        Err(UpdateError::NotFound) => Err(AppError::NotFound),
        Err(UpdateError::CurrencyLocked) => Err(AppError::Conflict("currency".into())),
        Err(UpdateError::Db(e)) => Err(e.into()),
    }
}

/// A campaign's current fields as an update that changes nothing (no milestones).
fn campaign_as_update(c: &Campaign) -> CampaignUpdate {
    CampaignUpdate {
        slug: c.slug.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        story_md: c.story_md.clone(),
        goal: c.goal,
        accepted: c.accepted.clone(),
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        beneficiary_name: c.beneficiary_name.clone(),
        beneficiary_place: c.beneficiary_place.clone(),
        cover_image_url: c.cover_image_url.clone(),
        cover_image_alt: c.cover_image_alt.clone(),
        state: c.state,
        keep_accepting: c.keep_accepting,
        featured: c.featured,
        milestones: Vec::new(),
    }
}
