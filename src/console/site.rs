//! `/admin/settings/site` (members who manage the site's settings: owners): the site's
//! identity — name, short description, default language, time zone and the address the
//! footer shows (`i18n::site`). Saving stores the `site.*` settings, audits the change
//! (`site.identity_changed`), gives this node the new identity at once and drops its kept
//! campaign pages; the blog's pages follow the settings write (its cache version), and
//! other nodes read the identity again within seconds.

use askama::Template;
use axum::Form;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;

use super::{Console, Errors, Fields, Shell};
use crate::http::AppError;
use crate::i18n::site::Site;
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
}

fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::SettingsManage, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn render(
    cx: &Console,
    site: SiteFields,
    errors: Errors,
    notice: String,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = SitePage {
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
        return render(&cx, typed, Errors::default(), notice, false, unprocessable);
    }
    let site = match typed.checked(tr) {
        Ok(s) => s,
        Err(e) => return render(&cx, typed, e, tr.t("error-form"), false, unprocessable),
    };
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
