//! Hashtag days in the console (`/admin/events`, permission `PostsWrite` on the event's
//! campaign or site-wide): the events, a new event's form, an event's form and its entries'
//! moderation queue (`/admin/events/{id}`: approve, reject, mark or unmark as favourite).
//! Every change is audited (`event.created`, `event.saved`, `event.entry.moderated`) and
//! every form carries the session-bound CSRF token; a refused form is shown again (422)
//! with what was typed and why.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::comments::{Action as ActionView, Tab};
use super::form::{ModerateForm, Opt};
use super::{Console, Errors, Shell, query_string};
use crate::campaigns::Campaign;
use crate::http::AppError;
use crate::promotion::events::{self as ev, Action, EntryStatus, Event, EventState};
use crate::team::Permission;
use crate::team::audit;

/// An event's form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EventForm {
    pub csrf: String,
    pub campaign: String,
    pub slug: String,
    pub title: String,
    pub day: String,
    pub hashtag: String,
    pub call: String,
    pub challenge: String,
    pub state: String,
}

impl EventForm {
    /// The form's fields checked (`promotion::events::check`).
    fn checked(&self) -> Result<ev::EventFields, Vec<ev::FieldError>> {
        ev::check(
            &self.slug,
            &self.title,
            &self.day,
            &self.hashtag,
            &self.call,
            &self.challenge,
            &self.state,
        )
    }
    fn of(e: &Event, campaign_slug: &str) -> EventForm {
        EventForm {
            csrf: String::new(),
            campaign: campaign_slug.to_string(),
            slug: e.slug.clone(),
            title: e.title.clone(),
            day: e.day.to_string(),
            hashtag: e.hashtag.clone(),
            call: e.call_md.clone(),
            challenge: e.challenge_md.clone(),
            state: e.state.as_str().to_string(),
        }
    }
}

pub struct EventItem {
    pub id: String,
    pub title: String,
    pub campaign: String,
    pub day: String,
    pub hashtag: String,
    pub state: String,
    pub public_url: String,
}

#[derive(Template)]
#[template(path = "console/events.html")]
pub struct EventsPage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub events: Vec<EventItem>,
    pub campaigns: Vec<Opt>,
    pub states: Vec<Opt>,
    pub form: EventForm,
    pub errors: Errors,
}

pub struct EntryItem {
    pub id: String,
    pub url: String,
    pub title: String,
    pub name: String,
    pub source: String,
    /// Where the entry came from, for the team (empty for the form): the fediverse post,
    /// or the console's list of Webmentions.
    pub source_link: String,
    /// What the link opens, in words.
    pub source_link_label: String,
    pub favourite: bool,
    pub received: String,
    pub actions: Vec<ActionView>,
}

#[derive(Template)]
#[template(path = "console/event.html")]
pub struct EventPage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub id: String,
    pub campaign_title: String,
    pub public_url: String,
    pub published: bool,
    pub states: Vec<Opt>,
    pub form: EventForm,
    pub errors: Errors,
    pub status: String,
    pub status_label: String,
    pub tabs: Vec<Tab>,
    pub entries: Vec<EntryItem>,
}

fn state_opts(cx: &Console, selected: &str) -> Vec<Opt> {
    [EventState::Draft, EventState::Published]
        .into_iter()
        .map(|s| Opt {
            value: s.as_str().to_string(),
            label: cx.r.tr.t(&format!("console-events-state-{}", s.as_str())),
            selected: s.as_str() == selected,
        })
        .collect()
}

/// The campaigns where the member may write events.
async fn writable(cx: &Console) -> Result<Vec<Campaign>, AppError> {
    Ok(crate::campaigns::repo::list(&cx.s.db)
        .await?
        .into_iter()
        .filter(|c| cx.me.member.can(Permission::PostsWrite, Some(&c.id)))
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
    pub status: Option<String>,
}

async fn render_list(
    cx: &Console,
    form: EventForm,
    errors: Errors,
    notice: String,
    code: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let campaigns = writable(cx).await?;
    let events = ev::list(&cx.s.db)
        .await?
        .into_iter()
        .filter_map(|e| {
            let c = campaigns.iter().find(|c| c.id == e.campaign_id)?;
            Some(EventItem {
                public_url: format!("/campaigns/{}/events/{}", c.slug, e.slug),
                campaign: c.title.clone(),
                day: tr.day(e.day),
                state: tr.t(&format!("console-events-state-{}", e.state.as_str())),
                id: e.id,
                title: e.title,
                hashtag: e.hashtag,
            })
        })
        .collect();
    let page = EventsPage {
        shell: cx.shell("/admin/events"),
        notice,
        notice_ok: code.is_success(),
        events,
        campaigns: campaigns
            .iter()
            .map(|c| Opt {
                value: c.slug.to_string(),
                label: c.title.clone(),
                selected: c.slug.as_str() == form.campaign,
            })
            .collect(),
        states: state_opts(cx, &form.state),
        form,
        errors,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /admin/events`.
pub async fn list(cx: Console, Query(q): Query<DoneQuery>) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("created") => cx.r.tr.t("console-events-created"),
        _ => String::new(),
    };
    let form = EventForm {
        state: "draft".into(),
        ..EventForm::default()
    };
    render_list(&cx, form, Errors::default(), notice, StatusCode::OK).await
}

fn errors_of(cx: &Console, errs: &[ev::FieldError]) -> Errors {
    let mut e = Errors::default();
    for (field, key) in errs {
        e.add(field, cx.r.tr.t(key));
    }
    e
}

/// `POST /admin/events`: a new event.
pub async fn create(
    cx: Console,
    axum::Form(f): axum::Form<EventForm>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let n = tr.t("error-csrf");
        return render_list(
            &cx,
            f,
            Errors::default(),
            n,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let campaigns = writable(&cx).await?;
    let Some(c) = campaigns.iter().find(|c| c.slug.as_str() == f.campaign) else {
        if crate::campaigns::repo::by_slug(&cx.s.db, &f.campaign)
            .await?
            .is_some()
        {
            return Err(AppError::Forbidden);
        }
        let mut errors = Errors::default();
        errors.add("campaign", tr.t("console-events-error-campaign"));
        let n = tr.t("error-form");
        return render_list(&cx, f, errors, n, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let checked = f.checked();
    let fields = match checked {
        Ok(v) => v,
        Err(errs) => {
            let errors = errors_of(&cx, &errs);
            let n = tr.t("error-form");
            return render_list(&cx, f, errors, n, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let Some(e) = ev::create(&cx.s.db, &c.id, &fields, Utc::now()).await? else {
        let mut errors = Errors::default();
        errors.add("slug", tr.t("events-error-slug-taken"));
        let n = tr.t("error-form");
        return render_list(&cx, f, errors, n, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "event.created",
        &e.id,
        &format!("{} #{} ({})", e.title, e.hashtag, e.state.as_str()),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/events/{}?done=created", e.id)).into_response())
}

/// The event `id` and its campaign, when the member may write its events (else 403).
async fn editable(cx: &Console, id: &str) -> Result<(Event, Campaign), AppError> {
    let e = ev::by_id(&cx.s.db, id).await?.ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::PostsWrite, Some(&e.campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    let c = crate::campaigns::repo::by_id(&cx.s.db, &e.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((e, c))
}

fn status_of(s: Option<&str>) -> EntryStatus {
    s.and_then(EntryStatus::parse)
        .unwrap_or(EntryStatus::Pending)
}

#[allow(clippy::too_many_arguments)]
async fn render_event(
    cx: &Console,
    e: &Event,
    c: &Campaign,
    form: EventForm,
    errors: Errors,
    status: EntryStatus,
    notice: String,
    code: StatusCode,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let db = &cx.s.db;
    let mut tabs = Vec::new();
    for st in EntryStatus::ALL {
        let n = ev::entries(db, &e.id, st).await?.len();
        tabs.push(Tab {
            label: tr.t(&format!("console-events-status-{}", st.as_str())),
            href: format!(
                "/admin/events/{}{}",
                e.id,
                query_string(&[("status", st.as_str())])
            ),
            count: tr.int(n as i64),
            current: st == status,
        });
    }
    let entries = ev::entries(db, &e.id, status)
        .await?
        .into_iter()
        .map(|x| EntryItem {
            actions: [
                Action::Approve,
                Action::Reject,
                Action::Favourite,
                Action::Unfavourite,
            ]
            .into_iter()
            .filter(|a| a.offered_for(&x))
            .map(|a| ActionView {
                name: a.as_str(),
                label: tr.t(&format!("console-events-action-{}", a.as_str())),
            })
            .collect(),
            source: tr.t(&format!("console-events-source-{}", x.source)),
            source_link: match x.source.as_str() {
                "fediverse" if !x.source_key.is_empty() => x.source_key.clone(),
                "webmention" => "/admin/webmentions".to_string(),
                _ => String::new(),
            },
            source_link_label: match x.source.as_str() {
                "fediverse" | "webmention" => {
                    tr.t(&format!("console-events-source-open-{}", x.source))
                }
                _ => String::new(),
            },
            received: tr.date_time_in(x.received_at, &cx.me.member.time_zone),
            id: x.id,
            url: x.url,
            title: x.title,
            name: x.name,
            favourite: x.favourite,
        })
        .collect();
    let page = EventPage {
        shell: cx.shell("/admin/events"),
        notice,
        notice_ok: code.is_success(),
        id: e.id.clone(),
        campaign_title: c.title.clone(),
        public_url: format!("/campaigns/{}/events/{}", c.slug, e.slug),
        published: e.state == EventState::Published,
        states: state_opts(cx, &form.state),
        form,
        errors,
        status: status.as_str().to_string(),
        status_label: tr.t(&format!("console-events-status-{}", status.as_str())),
        tabs,
        entries,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /admin/events/{id}`: the event's form and its entries.
pub async fn edit(
    cx: Console,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (e, c) = editable(&cx, &id).await?;
    let notice = match q.done.as_deref() {
        Some(d @ ("created" | "saved")) => cx.r.tr.t(&format!("console-events-{d}")),
        Some(a) if Action::parse(a).is_some() => cx.r.tr.t(&format!("console-events-done-{a}")),
        _ => String::new(),
    };
    let form = EventForm::of(&e, c.slug.as_str());
    let status = status_of(q.status.as_deref());
    render_event(
        &cx,
        &e,
        &c,
        form,
        Errors::default(),
        status,
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/events/{id}`: saves the event.
pub async fn save(
    cx: Console,
    Path(id): Path<String>,
    axum::Form(mut f): axum::Form<EventForm>,
) -> Result<Response, AppError> {
    let (e, c) = editable(&cx, &id).await?;
    let tr = &cx.r.tr;
    f.campaign = c.slug.to_string();
    let refused = |f: EventForm, errors: Errors, notice: String| {
        render_event(
            &cx,
            &e,
            &c,
            f,
            errors,
            EntryStatus::Pending,
            notice,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !cx.csrf_ok(Some(&f.csrf)) {
        return refused(f, Errors::default(), tr.t("error-csrf")).await;
    }
    let fields = match f.checked() {
        Ok(v) => v,
        Err(errs) => {
            let errors = errors_of(&cx, &errs);
            return refused(f, errors, tr.t("error-form")).await;
        }
    };
    if !ev::update(&cx.s.db, &e.id, &fields, Utc::now()).await? {
        let mut errors = Errors::default();
        errors.add("slug", tr.t("events-error-slug-taken"));
        return refused(f, errors, tr.t("error-form")).await;
    }
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "event.saved",
        &e.id,
        &format!(
            "{} #{} ({})",
            fields.title,
            fields.hashtag,
            fields.state.as_str()
        ),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/events/{}?done=saved", e.id)).into_response())
}

/// `POST /admin/events/{id}/entries/{entry}`: `action` = approve | reject | favourite |
/// unfavourite.
pub async fn moderate(
    cx: Console,
    Path((id, entry)): Path<(String, String)>,
    axum::Form(f): axum::Form<ModerateForm>,
) -> Result<Response, AppError> {
    let (e, c) = editable(&cx, &id).await?;
    let x = ev::entry(&cx.s.db, &entry)
        .await?
        .filter(|x| x.event_id == e.id)
        .ok_or(AppError::NotFound)?;
    let from = status_of(Some(f.from.as_str()));
    let form = EventForm::of(&e, c.slug.as_str());
    let tr = &cx.r.tr;
    if !cx.csrf_ok(Some(&f.csrf)) {
        let n = tr.t("error-csrf");
        let code = StatusCode::UNPROCESSABLE_ENTITY;
        return render_event(&cx, &e, &c, form, Errors::default(), from, n, code).await;
    }
    let Some(action) = Action::parse(&f.action) else {
        let n = tr.t("console-events-bad-action");
        let code = StatusCode::UNPROCESSABLE_ENTITY;
        return render_event(&cx, &e, &c, form, Errors::default(), from, n, code).await;
    };
    ev::moderate(&cx.s.db, &x, action).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "event.entry.moderated",
        &x.id,
        &format!("{} → {} ({})", x.status.as_str(), action.as_str(), x.url),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/admin/events/{}{}",
        e.id,
        query_string(&[("status", from.as_str()), ("done", action.as_str())])
    ))
    .into_response())
}
