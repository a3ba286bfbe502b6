//! The team in the console: `GET /admin/members` lists members with their grants and local
//! time; owners invite (`POST /admin/members`, with the new member's time zone — the
//! inviter's by default, the browser's suggested by `static/zone.js` — and language), change
//! grants
//! (`POST /admin/members/{id}/roles`), remove members (`POST /admin/members/{id}/remove`:
//! status `removed`, sessions ended, their content stays) and require two-factor
//! (`POST /admin/settings/require-2fa`). Every change is audited.
//!
//! The site always keeps an active site-wide owner: removing the last one (or their owner
//! grant) is refused (`team::grants`, which checks it in the change's transaction).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::Console;
use super::form::Opt;
use super::{Errors, Fields, LocalTime, Shell, local_time};
use crate::campaigns::{Campaign, repo as campaigns_repo};
use crate::email::Email;
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::team::grants::{self, ChangeError};
use crate::team::profile::{self, LanguageOpt, ZoneSelect, language_opts};
use crate::team::signin::InviteOptions;
use crate::team::{ALL_ROLES, Permission, Role, repo};

pub struct GrantView {
    pub role: String,
    pub role_label: String,
    pub scope: String,
    pub scope_label: String,
    /// The signed-in member may remove this grant.
    pub removable: bool,
}

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub invited: bool,
    pub totp: bool,
    pub local: LocalTime,
    pub grants: Vec<GrantView>,
    pub is_me: bool,
}

#[derive(Debug, Default, Clone)]
pub struct InviteForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub scope: String,
    /// IANA zone; empty: the inviter's.
    pub time_zone: String,
    /// A site language; empty: the inviter's.
    pub language: String,
}

#[derive(Template)]
#[template(path = "console/members.html")]
pub struct MembersPage {
    pub shell: Shell,
    pub members: Vec<MemberRow>,
    /// May invite and change grants somewhere.
    pub can_manage: bool,
    /// May remove members (site-wide owners).
    pub can_remove: bool,
    pub can_settings: bool,
    pub require_2fa: bool,
    pub role_opts: Vec<Opt>,
    pub scope_opts: Vec<Opt>,
    pub invite: InviteForm,
    pub invite_errors: Errors,
    pub invite_zones: ZoneSelect,
    pub invite_languages: Vec<LanguageOpt>,
    /// A fresh form: `static/zone.js` may suggest the browser's zone.
    pub invite_suggest_zone: bool,
    pub zone_js: String,
    pub notice: String,
    pub error: String,
}

fn role_label(tr: &I18n, r: Role) -> String {
    tr.t(&format!("console-role-{}", r.as_str()))
}

/// Whether the site requires two-factor sign-in of owners and treasurers.
async fn require_2fa_setting(s: &AppState) -> Result<bool, AppError> {
    Ok(crate::team::totp::require_2fa(&s.db).await)
}

async fn render(
    cx: &Console,
    invite: Option<(InviteForm, Errors)>,
    notice: String,
    error: String,
) -> Result<String, AppError> {
    let tr = &cx.r.tr;
    let now = Utc::now();
    let campaigns = campaigns_repo::list(&cx.s.db).await?;
    let m = &cx.me.member;
    let can_manage_scope = |scope: Option<&str>| m.can(Permission::MembersManage, scope);
    let scope_label = |scope: &Option<String>| match scope {
        None => tr.t("console-scope-site"),
        Some(id) => campaigns
            .iter()
            .find(|c| &c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_else(|| id.clone()),
    };
    let show_email = m.can_somewhere(Permission::MembersManage);
    let members = repo::list(&cx.s.db)
        .await?
        .into_iter()
        .map(|t| MemberRow {
            grants: t
                .grants
                .iter()
                .map(|g| GrantView {
                    role: g.role.as_str().into(),
                    role_label: role_label(tr, g.role),
                    scope: g.scope.clone().unwrap_or_default(),
                    scope_label: scope_label(&g.scope),
                    removable: can_manage_scope(g.scope.as_deref()),
                })
                .collect(),
            local: local_time(&t.time_zone, now),
            invited: t.status == crate::team::MemberStatus::Invited,
            status: tr.t(&format!("console-member-status-{}", t.status)),
            totp: t.totp_enabled,
            is_me: t.id == m.id,
            email: if show_email { t.email } else { String::new() },
            name: t.display_name,
            id: t.id,
        })
        .collect();
    let role_opts = ALL_ROLES
        .iter()
        .map(|r| Opt {
            value: r.as_str().into(),
            label: role_label(tr, *r),
            selected: false,
        })
        .collect();
    let mut scope_opts = Vec::new();
    if can_manage_scope(None) {
        scope_opts.push(Opt {
            value: String::new(),
            label: tr.t("console-scope-site"),
            selected: false,
        });
    }
    for c in &campaigns {
        if can_manage_scope(Some(&c.id)) {
            scope_opts.push(Opt {
                value: c.id.clone(),
                label: c.title.clone(),
                selected: false,
            });
        }
    }
    let fresh = invite.is_none();
    let (invite, invite_errors) = invite.unwrap_or_else(|| {
        (
            InviteForm {
                role: "member".into(),
                ..Default::default()
            },
            Errors::default(),
        )
    });
    let zone = profile::or_default(&invite.time_zone, &m.time_zone);
    let language = profile::or_default(&invite.language, profile::primary_language(&m.languages));
    let page = MembersPage {
        shell: cx.shell("/admin/members"),
        members,
        can_manage: m.can_somewhere(Permission::MembersManage),
        can_remove: m.can(Permission::MembersManage, None),
        can_settings: m.can(Permission::SettingsManage, None),
        require_2fa: require_2fa_setting(&cx.s).await?,
        role_opts,
        scope_opts,
        invite_zones: ZoneSelect::new(tr, zone),
        invite_languages: language_opts(language),
        invite_suggest_zone: fresh,
        zone_js: cx.s.assets.url("zone.js").to_string(),
        invite,
        invite_errors,
        notice,
        error,
    };
    Ok(page.render()?)
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub done: Option<String>,
}

/// `GET /admin/members`.
pub async fn list(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("invited") => cx.r.tr.t("console-member-invited"),
        Some("roles") => cx.r.tr.t("console-member-roles-changed"),
        Some("removed") => cx.r.tr.t("console-member-removed"),
        Some("2fa") => cx.r.tr.t("console-2fa-changed"),
        _ => String::new(),
    };
    let html = render(&cx, None, notice, String::new()).await?;
    Ok(Html(html).into_response())
}

/// Re-shows the page with a message and 422: nothing was changed.
async fn refused(cx: &Console, error: String) -> Result<Response, AppError> {
    let html = render(cx, None, String::new(), error).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

/// The member `id` unless removed (404).
async fn not_removed(s: &AppState, id: &str) -> Result<crate::team::Member, AppError> {
    repo::by_id(&s.db, id)
        .await?
        .filter(|t| t.status != crate::team::MemberStatus::Removed)
        .ok_or(AppError::NotFound)
}

/// The scope field: `""` is the whole site, anything else must be a campaign id.
fn parse_scope<'a>(scope: &'a str, campaigns: &[Campaign]) -> Option<Option<&'a str>> {
    if scope.is_empty() {
        Some(None)
    } else if campaigns.iter().any(|c| c.id == scope) {
        Some(Some(scope))
    } else {
        None
    }
}

fn scope_text(scope: Option<&str>, campaigns: &[Campaign]) -> String {
    match scope {
        None => "site".into(),
        Some(id) => campaigns
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("campaign:{}", c.slug))
            .unwrap_or_else(|| format!("campaign:{id}")),
    }
}

/// `POST /admin/members/{id}/roles`: `op=add|remove`, `role`, `scope` (`""` = site).
pub async fn roles(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let target = not_removed(&cx.s, &id).await?;
    let campaigns = campaigns_repo::list(&cx.s.db).await?;
    let Some(scope) = parse_scope(f.get("scope"), &campaigns) else {
        return refused(&cx, tr.t("console-error-choose")).await;
    };
    if !cx.me.member.can(Permission::MembersManage, scope) {
        return Err(AppError::Forbidden);
    }
    if !cx.csrf_ok(f.csrf()) {
        return refused(&cx, tr.t("error-csrf")).await;
    }
    let Some(role) = Role::parse(f.get("role")) else {
        return refused(&cx, tr.t("console-error-choose")).await;
    };
    let add = match f.get("op") {
        "add" => true,
        "remove" => false,
        _ => return refused(&cx, tr.t("console-error-choose")).await,
    };
    let by = cx.actor();
    let detail = format!(
        "role={} scope={}",
        role.as_str(),
        scope_text(scope, &campaigns)
    );
    match grants::change(&cx.s.db, &target, role, scope, add, &by, &detail).await {
        Ok(_) => {}
        Err(ChangeError::LastOwner) => {
            return refused(&cx, tr.t("console-error-last-owner")).await;
        }
        Err(ChangeError::Db(e)) => return Err(e.into()),
    }
    Ok(Redirect::to("/admin/members?done=roles").into_response())
}

/// `POST /admin/members/{id}/remove`: the member can no longer sign in; what they wrote
/// stays, attributed to them.
pub async fn remove(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    if !cx.me.member.can(Permission::MembersManage, None) {
        return Err(AppError::Forbidden);
    }
    let target = not_removed(&cx.s, &id).await?;
    if !cx.csrf_ok(f.csrf()) {
        return refused(&cx, tr.t("error-csrf")).await;
    }
    let ended = match grants::remove_member(&cx.s.db, &target, &cx.actor()).await {
        Ok(n) => n,
        Err(ChangeError::LastOwner) => {
            return refused(&cx, tr.t("console-error-last-owner")).await;
        }
        Err(ChangeError::Db(e)) => return Err(e.into()),
    };
    tracing::info!(member = %target.id, sessions = ended, "member removed");
    Ok(Redirect::to("/admin/members?done=removed").into_response())
}

/// `POST /admin/members`: invite someone by e-mail with one grant.
pub async fn invite(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let form = InviteForm {
        email: f.text("email", 300),
        name: f.text("name", 200),
        role: f.text("role", 20),
        scope: f.text("scope", 64),
        time_zone: f.text("time_zone", 64),
        language: f.text("language", 16),
    };
    let campaigns = campaigns_repo::list(&cx.s.db).await?;
    let mut e = Errors::default();
    let scope = parse_scope(&form.scope, &campaigns);
    if let Some(scope) = scope
        && !cx.me.member.can(Permission::MembersManage, scope)
    {
        return Err(AppError::Forbidden);
    }
    let show = |form: InviteForm, e: Errors, error: String| {
        let cx = &cx;
        async move {
            let html = render(cx, Some((form, e)), String::new(), error).await?;
            Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    };
    if !cx.csrf_ok(f.csrf()) {
        return show(form, e, tr.t("error-csrf")).await;
    }
    let email = Email::parse(&form.email);
    if email.is_err() {
        e.add("invite-email", tr.t("error-email"));
    }
    let name = form.name.trim().to_string();
    if name.is_empty() {
        e.add("invite-name", tr.t("console-error-required"));
    } else if name.chars().count() > 100 {
        e.add(
            "invite-name",
            tr.ta("error-too-long", &[("max", "100".into())]),
        );
    }
    let role = Role::parse(&form.role);
    if role.is_none() {
        e.add("invite-role", tr.t("console-error-choose"));
    }
    if scope.is_none() {
        e.add("invite-scope", tr.t("console-error-choose"));
    }
    let me = &cx.me.member;
    let zone = profile::zone(profile::or_default(&form.time_zone, &me.time_zone));
    if zone.is_none() {
        e.add("invite-zone", tr.t("profile-zone-invalid"));
    }
    let language = profile::language(profile::or_default(
        &form.language,
        profile::primary_language(&me.languages),
    ));
    if language.is_none() {
        e.add("invite-language", tr.t("console-error-choose"));
    }
    let (Ok(email), Some(role), Some(scope), Some(zone), Some(language)) =
        (email, role, scope, zone, language)
    else {
        return show(form, e, tr.t("error-form")).await;
    };
    if !e.is_empty() {
        return show(form, e, tr.t("error-form")).await;
    }
    if repo::by_email(&cx.s.db, email.as_str()).await?.is_some() {
        e.add("invite-email", tr.t("console-error-member-exists"));
        return show(form, e, tr.t("error-form")).await;
    }
    let roles = [(role, scope.map(str::to_string))];
    let options = InviteOptions {
        languages: language.to_string(),
        time_zone: zone.to_string(),
    };
    match crate::team::signin::invite_with(&cx.s, &email, &name, &roles, &cx.actor(), &options)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/members?done=invited").into_response()),
        // Someone took the address in the meantime, or the name was refused.
        Err(AppError::Conflict(_)) => {
            e.add("invite-email", tr.t("console-error-member-exists"));
            show(form, e, tr.t("error-form")).await
        }
        Err(AppError::Unprocessable(_)) => {
            e.add("invite-name", tr.t("console-error-required"));
            show(form, e, tr.t("error-form")).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/settings/require-2fa`: `on=1` requires two-factor of owners and
/// treasurers, `on=0` lifts it.
pub async fn require_2fa(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    if !cx.me.member.can(Permission::SettingsManage, None) {
        return Err(AppError::Forbidden);
    }
    if !cx.csrf_ok(f.csrf()) {
        return refused(&cx, cx.r.tr.t("error-csrf")).await;
    }
    let on = match f.get("on") {
        "1" => true,
        "0" => false,
        _ => return refused(&cx, cx.r.tr.t("console-error-choose")).await,
    };
    crate::team::totp::set_require_2fa(&cx.s.db, on, &cx.actor()).await?;
    Ok(Redirect::to("/admin/members?done=2fa").into_response())
}
