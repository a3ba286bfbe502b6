//! Invitations: a new member is created as `invited` with their roles and e-mailed a link
//! (`/invite/{token}`, valid 7 days) to choose a password, which signs them in.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use http::HeaderMap;

use super::common::{Client, deliver, start_session};
use super::link_form::{NewPasswordForm, PasswordLinkPage, link_page, password_from_link};
use super::{DEFAULT_NEXT, MAX_NAME_CHARS};
use crate::db::{Db, DbResult};
use crate::email::Email;
use crate::http::{AppError, AppState, Lang};
use crate::i18n::I18n;
use crate::team::audit::{self, Actor};
use crate::team::links::{self, Purpose};
use crate::team::profile::{self, DEFAULT_ZONE, ZoneSelect};
use crate::team::repo::{self, CreateMemberError, NewMember};
use crate::team::{Member, MemberStatus, Role, mailers};
use crate::web::PageCtx;
use crate::web::form::Errors;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/invite/{token}", get(invite_page).post(invite_submit))
}

/// The new member's language and time zone (the plain [`invite`] uses English and UTC;
/// members can change both on their account page).
#[derive(Debug, Clone)]
pub struct InviteOptions {
    /// Languages in order of preference, e.g. `da` or `da,en`; e-mails use the first.
    pub languages: String,
    /// IANA time zone, e.g. `Europe/Copenhagen`.
    pub time_zone: String,
}

impl Default for InviteOptions {
    fn default() -> Self {
        InviteOptions {
            languages: "en".into(),
            time_zone: "UTC".into(),
        }
    }
}

/// Invites a new member: creates them as `invited` with the roles (`None` = the whole
/// site, `Some(campaign id)` = one campaign), e-mails a link to choose a password (valid 7
/// days) and records `member.invited`. Fails with 409 when the e-mail address is taken and
/// 422 for an empty or over-long name. A mail that cannot be sent is logged and kept in the
/// outbox; the member is invited all the same (see [`resend_invite`]).
pub async fn invite(
    s: &AppState,
    email: &Email,
    display_name: &str,
    roles: &[(Role, Option<String>)],
    by: &Actor,
) -> Result<Member, AppError> {
    invite_with(s, email, display_name, roles, by, &InviteOptions::default()).await
}

/// [`invite`] with the member's language and time zone.
pub async fn invite_with(
    s: &AppState,
    email: &Email,
    display_name: &str,
    roles: &[(Role, Option<String>)],
    by: &Actor,
    options: &InviteOptions,
) -> Result<Member, AppError> {
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::Unprocessable(format!(
            "the name must have 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if options.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::Unprocessable(format!(
            "{:?} is not an IANA time zone",
            options.time_zone
        )));
    }
    let new = NewMember {
        email: email.clone(),
        display_name: name.to_string(),
        time_zone: options.time_zone.clone(),
        languages: options.languages.clone(),
        status: MemberStatus::Invited,
    };
    let mut m = match repo::create(&s.db, &new).await {
        Ok(m) => m,
        Err(CreateMemberError::EmailTaken) => {
            return Err(AppError::Conflict(
                "a member with that e-mail address already exists".into(),
            ));
        }
        Err(CreateMemberError::Db(e)) => return Err(e.into()),
    };
    for (role, scope) in roles {
        repo::add_grant(&s.db, &m.id, *role, scope.as_deref()).await?;
    }
    audit::record(
        &s.db,
        by,
        "member.invited",
        &m.id,
        &format!("{} as {}", m.email, roles_detail(roles)),
    )
    .await?;
    // `create` read the member before the grants were added.
    m.grants = repo::grants(&s.db, &m.id).await?;
    send_invite(s, &m, by).await?;
    Ok(m)
}

/// Sends an invited member a new invitation link (the old ones keep working until they
/// expire). 404 for an unknown member, 409 when the member is no longer invited.
pub async fn resend_invite(s: &AppState, member_id: &str, by: &Actor) -> Result<(), AppError> {
    let m = repo::by_id(&s.db, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.status != MemberStatus::Invited {
        return Err(AppError::Conflict(
            "the member has already joined or was removed".into(),
        ));
    }
    audit::record(&s.db, by, "member.invite_resent", &m.id, &m.email).await?;
    send_invite(s, &m, by).await
}

pub(super) fn roles_detail(roles: &[(Role, Option<String>)]) -> String {
    let v: Vec<String> = roles
        .iter()
        .map(|(r, scope)| match scope {
            Some(c) => format!("{r}@{c}"),
            None => r.to_string(),
        })
        .collect();
    if v.is_empty() {
        "no role".into()
    } else {
        v.join(", ")
    }
}

/// The member's roles in their language: `owner, editor (Library for Kalpakkam)`.
async fn roles_text(db: &Db, tr: &I18n, m: &Member) -> DbResult<String> {
    let mut out = Vec::new();
    for g in &m.grants {
        let role = tr.t(&format!("signin-role-{}", g.role.as_str()));
        match &g.scope {
            None => out.push(role),
            Some(cid) => {
                let title = crate::campaigns::repo::by_id(db, cid)
                    .await?
                    .map(|c| c.title)
                    .unwrap_or_else(|| cid.clone());
                out.push(format!("{role} ({title})"));
            }
        }
    }
    if out.is_empty() {
        out.push(tr.t("signin-role-member"));
    }
    Ok(out.join(", "))
}

async fn send_invite(s: &AppState, m: &Member, by: &Actor) -> Result<(), AppError> {
    let token = links::create(&s.db, &m.id, Purpose::Invite).await?;
    let url = format!("{}/invite/{token}", s.base_url);
    let inviter = match &by.member_id {
        Some(id) => repo::by_id(&s.db, id).await?.map(|b| b.display_name),
        None => None,
    };
    let site = s.site.get(&s.db).await;
    let tr = mailers::language_of(m).with_site(site.clone());
    let roles = roles_text(&s.db, &tr, m).await?;
    deliver(
        s,
        mailers::invite(m, inviter.as_deref(), &roles, &url, Some(site)),
        "invitation",
    )
    .await;
    Ok(())
}

#[derive(Template)]
#[template(path = "team/invite.html")]
struct InvitePage {
    page: PageCtx,
    csrf: String,
    token: String,
    name: String,
    email: String,
    notice: String,
    errors: Errors,
    gone: bool,
    /// The zone the owner chose when inviting (or the one typed into a refused form); the
    /// browser's own is suggested over it with JavaScript (`static/zone.js`).
    zones: ZoneSelect,
    zone_suggest: bool,
    zone_js: String,
}

fn invite_view(
    s: &AppState,
    tr: &I18n,
    token: &str,
    m: Option<&Member>,
    typed_zone: Option<&str>,
) -> InvitePage {
    let zone = typed_zone
        .or(m.map(|m| m.time_zone.as_str()))
        .unwrap_or(DEFAULT_ZONE);
    InvitePage {
        page: PageCtx::new(s, tr, &format!("/invite/{token}")),
        csrf: s.csrf.token(Utc::now()),
        token: token.to_string(),
        name: m.map(|m| m.display_name.clone()).unwrap_or_default(),
        email: m.map(|m| m.email.clone()).unwrap_or_default(),
        notice: String::new(),
        errors: Errors::default(),
        gone: m.is_none(),
        zones: ZoneSelect::new(tr, zone),
        zone_suggest: typed_zone.is_none(),
        zone_js: s.assets.url("zone.js").to_string(),
    }
}

impl PasswordLinkPage for InvitePage {
    fn feedback(&mut self) -> (&mut String, &mut Errors) {
        (&mut self.notice, &mut self.errors)
    }
}

async fn invite_page(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    link_page(&s, &token, Purpose::Invite, |m| {
        invite_view(&s, &tr, &token, m, None)
    })
    .await
}

async fn invite_submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Path(token): Path<String>,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, AppError> {
    let typed = f
        .time_zone
        .as_deref()
        .map(|z| z.chars().take(64).collect::<String>());
    let view = |m: Option<&Member>| invite_view(&s, &tr, &token, m, typed.as_deref());
    let mut m =
        match password_from_link(&s, &tr, &token, Purpose::Invite, &headers, &f, view).await? {
            Ok(m) => m,
            Err(page) => return Ok(page),
        };
    audit::record(
        &s.db,
        &client.actor(Some(&m.id), &m.email),
        "member.joined",
        &m.id,
        "accepted the invitation",
    )
    .await?;
    // The zone the new member confirmed (the owner's choice or the browser's).
    if let Some(zone) = f.time_zone.as_deref().and_then(profile::zone)
        && zone != m.time_zone
    {
        repo::set_profile(&s.db, &m.id, zone, &m.languages).await?;
        m.time_zone = zone.to_string();
    }
    // What `set_password_hash` just stored: no need to read the member again.
    m.status = MemberStatus::Active;
    m.has_password = true;
    start_session(&s, &headers, &client, &m, "invitation", DEFAULT_NEXT).await
}
