//! The campaign editor: `GET /admin/campaigns/{slug}` shows the form, `POST` previews the
//! story (server-side, no script needed) or saves. Saving validates every field (422 with
//! the fields marked, nothing changed), re-encodes an uploaded cover, writes the row, its
//! milestones and the audit entries in one transaction and bumps the live version so the
//! public page and API show the change at once.

use askama::Template;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

mod form;

pub use form::EditorForm;
use form::{changed_fields, validate};

use super::Console;
use super::form::Opt;
use super::{Errors, Fields, Shell};
use crate::campaigns::repo::{self, UpdateError, Updated};
use crate::campaigns::{Campaign, CampaignState, CampaignUpdate};
use crate::donations::ledger;
use crate::http::AppError;
use crate::media::{self, multipart_error};
use crate::money::CurrencyCode;
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
    };
    Ok(page.render()?)
}

/// The campaign, if the member may edit it (403 otherwise).
async fn editable(cx: &Console, slug: &str) -> Result<Campaign, AppError> {
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
}

/// `GET /admin/campaigns/{slug}`.
pub async fn edit(
    cx: Console,
    Path(slug): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    let c = editable(&cx, &slug).await?;
    let ms = repo::milestones(&cx.s.db, &c).await?;
    let saved = q.saved.is_some();
    let notice = if saved {
        cx.r.tr.t("console-saved")
    } else {
        String::new()
    };
    let html = render(
        &cx,
        &c,
        EditorForm::of_campaign(&cx.r.tr, &c, &ms),
        Errors::default(),
        notice,
        saved,
        false,
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The posted fields and the cover file (`None` when no file was chosen); `Err(true)` when
/// the file is over the limit (the rest of the body is still read, so the answer arrives).
async fn read_multipart(mp: &mut Multipart) -> Result<(Fields, Option<Vec<u8>>, bool), Response> {
    let mut fields = Vec::new();
    let mut cover: Option<Vec<u8>> = None;
    let mut too_large = false;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "cover" {
            let (buf, over) = media::read_upload(&mut field).await?;
            too_large |= over;
            if !buf.is_empty() && !too_large {
                cover = Some(buf);
            }
        } else if fields.len() < 500 {
            let text = field.text().await.map_err(multipart_error)?;
            fields.push((name, text));
        }
    }
    Ok((Fields(fields), cover, too_large))
}

/// Writes the update (through the campaigns store) and its audit entries (`(action, detail)`
/// pairs) in one transaction. Whether money was promised to the campaign (which fixes its
/// currency) is asked of the donations capability inside that transaction, after the
/// campaign's totals row is locked, so no donation can land in between.
async fn write(
    db: &crate::db::Db,
    c: &Campaign,
    u: &CampaignUpdate,
    cover: Option<&media::Processed>,
    by: &Actor,
    audits: &[(&str, String)],
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
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let c = editable(&cx, &slug).await?;
    let tr = &cx.r.tr;
    let (fields, cover, too_large) = match read_multipart(&mut mp).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
    let form = EditorForm::of_fields(&fields);
    let show =
        |form: EditorForm, errors: Errors, notice: String, status: StatusCode, preview: bool| {
            let (cx, c) = (&cx, &c);
            async move {
                let html = render(cx, c, form, errors, notice, false, preview).await?;
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
    if too_large {
        let mut e = Errors::default();
        e.add("cover", tr.t("console-error-image-too-large"));
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
                let (key, status) = err.refusal();
                e.add("cover", tr.t(key));
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
    )
    .await
    {
        Ok(done) => {
            cx.s.hub.observe(&c.id, done.version);
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
