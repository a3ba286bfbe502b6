//! `/admin/settings/site` (members who manage the site's settings: owners): the site's
//! identity — name, short description, default language, time zone and the address the
//! footer shows (`i18n::site`). Saving stores the `site.*` settings, audits the change
//! (`site.identity_changed`), gives this node the new identity at once and drops its kept
//! campaign pages; the blog's pages follow the settings write (its cache version), and
//! other nodes read the identity again within seconds.

use askama::Template;
use axum::extract::multipart::Multipart;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use http::StatusCode;

use super::{Console, Errors, Fields, Shell, upload};
use crate::http::AppError;
use crate::http::limits::OverLimit;
use crate::i18n::site::{self as identity, Site};
use crate::media;
use crate::team::Permission;
use crate::team::audit;
use crate::team::profile::ZoneSelect;
use crate::web::site::SiteFields;

#[derive(Template)]
#[template(path = "console/site.html")]
pub struct SitePage {
    pub shell: Shell,
    pub site: SiteFields,
    pub errors: Errors,
    pub notice: String,
    pub saved: bool,
    pub zones: ZoneSelect,
    /// The logo and the icon, each with its form.
    pub pictures: Vec<PictureView>,
}

/// The logo or the icon on the page: which, its path now (empty: none), its texts' keys.
pub struct PictureView {
    pub which: &'static str,
    pub current: String,
    pub heading: &'static str,
    pub hint: &'static str,
}

fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::SettingsManage, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn render(
    cx: &Console,
    site: SiteFields,
    errors: Errors,
    notice: String,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let stored = Site::load(&cx.s.db).await?;
    let page = SitePage {
        pictures: vec![
            PictureView {
                which: "logo",
                current: stored.logo,
                heading: "site-logo-heading",
                hint: "site-logo-hint",
            },
            PictureView {
                which: "icon",
                current: stored.icon,
                heading: "site-icon-heading",
                hint: "site-icon-hint",
            },
        ],
        shell: cx.shell("/admin/settings/site"),
        zones: ZoneSelect::new(&cx.r.tr, &site.timezone),
        site,
        errors,
        notice,
        saved,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct SiteQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /admin/settings/site`.
pub async fn show(
    cx: Console,
    axum::extract::Query(q): axum::extract::Query<SiteQuery>,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let site = Site::load(&cx.s.db).await?;
    render(
        &cx,
        SiteFields::of(&site),
        Errors::default(),
        String::new(),
        q.saved.is_some(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/settings/site`.
pub async fn save(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let typed = SiteFields::posted(&f);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !cx.csrf_ok(f.csrf()) {
        let notice = tr.t("error-csrf");
        return render(&cx, typed, Errors::default(), notice, false, unprocessable).await;
    }
    let mut site = match typed.checked(tr) {
        Ok(s) => s,
        Err(e) => {
            return render(&cx, typed, e, tr.t("error-form"), false, unprocessable).await;
        }
    };
    // The pictures are set apart (`picture`): kept as they are.
    let stored = Site::load(&cx.s.db).await?;
    site.logo = stored.logo;
    site.icon = stored.icon;
    site.save(&cx.s.db).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "site.identity_changed",
        "site",
        &format!(
            "{} ({}, {})",
            site.name,
            site.language.unwrap_or("en"),
            site.timezone
        ),
    )
    .await?;
    cx.s.site.put(site);
    cx.s.pages.forget_all();
    Ok(Redirect::to("/admin/settings/site?saved=1").into_response())
}

/// The side of the site's icon, in pixels (what phones ask of a home-screen icon).
pub const ICON_SIDE: u32 = 192;

/// `POST /admin/settings/site/picture` (multipart): `which` is `logo` or `icon`; the file
/// `picture` replaces it (re-encoded like every upload; the icon cut to a 192 px square), or
/// `remove` clears it. Audited (`site.logo_changed`, `site.icon_changed`); this node shows
/// it at once and drops its kept campaign pages, as a save does.
pub async fn picture(
    cx: Console,
    Extension(over): Extension<OverLimit>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let tr = &cx.r.tr;
    let mut posted = match upload::read(&mut mp, &["picture"], &over).await {
        Ok(p) => p,
        Err(res) => return Ok(res),
    };
    let stored = Site::load(&cx.s.db).await?;
    let again = |notice: String, status: StatusCode| {
        render(
            &cx,
            SiteFields::of(&stored),
            Errors::default(),
            notice,
            false,
            status,
        )
    };
    if !cx.csrf_ok(posted.fields.csrf()) {
        return again(tr.t("error-csrf"), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (key, action) = match posted.fields.get("which") {
        "logo" => (identity::LOGO, "site.logo_changed"),
        "icon" => (identity::ICON, "site.icon_changed"),
        _ => return Err(AppError::BadRequest("which: logo or icon".into())),
    };
    let path = if posted.fields.get("remove") == "1" {
        None
    } else {
        if posted.too_large.is_some() || posted.cut.is_some() {
            return again(upload::too_large_message(tr), StatusCode::PAYLOAD_TOO_LARGE).await;
        }
        let Some(bytes) = posted.take_file("picture") else {
            return again(tr.t("site-picture-none"), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let processed = if key == identity::ICON {
            media::square_blocking(bytes, ICON_SIDE).await
        } else {
            media::process_blocking(bytes).await
        };
        let p = match processed {
            Ok(p) => p,
            Err(err) => {
                let (message, status) = upload::refusal(tr, &err);
                return again(message, status).await;
            }
        };
        let mut tx = cx.s.db.begin().await?;
        let path = media::insert_in(&mut tx, &p, Some(&cx.me.member.id)).await?;
        tx.commit().await?;
        Some(path)
    };
    Site::set_picture(&cx.s.db, key, path.as_deref()).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        action,
        "site",
        path.as_deref().unwrap_or("removed"),
    )
    .await?;
    cx.s.site.put(Site::load(&cx.s.db).await?);
    cx.s.pages.forget_all();
    Ok(Redirect::to("/admin/settings/site?saved=1").into_response())
}
