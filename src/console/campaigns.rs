//! The campaign editor: `GET /admin/campaigns/{slug}` shows the form, `POST` previews the
//! story (server-side, no script needed) or saves. Saving validates every field (422 with
//! the fields marked, nothing changed), re-encodes an uploaded cover, writes the row, its
//! milestones and the audit entries in one transaction and bumps the live version so the
//! public page and API show the change at once.

use askama::Template;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use http::StatusCode;
use serde::Deserialize;

use super::donations::{Opt, money_error};
use super::{Errors, Fields, Req, Shell};
use crate::campaigns::repo::{self, UpdateError, Updated};
use crate::campaigns::{Campaign, CampaignState, CampaignUpdate, Milestone};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::media::{self, multipart_error};
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;
use crate::team::audit::{self, Actor};
use crate::team::session::CurrentMember;

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 500;
pub const MAX_STORY: usize = 50_000;
pub const MAX_BENEFICIARY: usize = 200;
pub const MAX_ALT: usize = 300;
pub const MAX_MILESTONES: usize = 20;
pub const MAX_MILESTONE_LABEL: usize = 120;

/// The editor's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct EditorForm {
    pub title: String,
    pub summary: String,
    pub story: String,
    pub goal: String,
    pub currency: String,
    pub accepted: Vec<String>,
    pub starts: String,
    pub ends: String,
    pub beneficiary_name: String,
    pub beneficiary_place: String,
    pub milestones: String,
    pub keep_accepting: bool,
    pub featured: bool,
    pub state: String,
    pub cover_alt: String,
    pub remove_cover: bool,
}

impl EditorForm {
    fn of_campaign(c: &Campaign, milestones: &[Milestone]) -> EditorForm {
        EditorForm {
            title: c.title.clone(),
            summary: c.summary.clone(),
            story: c.story_md.clone(),
            goal: c.goal.major_string(),
            currency: c.currency().to_string(),
            accepted: c.accepted.iter().map(|x| x.to_string()).collect(),
            starts: c.starts_at.date_naive().to_string(),
            ends: c
                .ends_at
                .map(|e| e.date_naive().to_string())
                .unwrap_or_default(),
            beneficiary_name: c.beneficiary_name.clone(),
            beneficiary_place: c.beneficiary_place.clone(),
            milestones: milestones
                .iter()
                .map(|m| format!("{}: {}", m.amount.major_string(), m.label))
                .collect::<Vec<_>>()
                .join("\n"),
            keep_accepting: c.keep_accepting,
            featured: c.featured,
            state: c.state.as_str().into(),
            cover_alt: c.cover_image_alt.clone().unwrap_or_default(),
            remove_cover: false,
        }
    }

    fn of_fields(f: &Fields) -> EditorForm {
        // Kept a little longer than the limits, so an over-long value is shown (and marked)
        // rather than silently cut.
        EditorForm {
            title: f.text("title", MAX_TITLE + 50),
            summary: f.text("summary", MAX_SUMMARY + 50),
            story: f.text("story", MAX_STORY + 1000),
            goal: f.text("goal", 40),
            currency: f.text("currency", 8),
            accepted: f
                .all("accept")
                .into_iter()
                .take(200)
                .map(|v| v.chars().take(8).collect())
                .collect(),
            starts: f.text("starts", 20),
            ends: f.text("ends", 20),
            beneficiary_name: f.text("beneficiary_name", MAX_BENEFICIARY + 50),
            beneficiary_place: f.text("beneficiary_place", MAX_BENEFICIARY + 50),
            milestones: f.text("milestones", 10_000),
            keep_accepting: f.checked("keep_accepting"),
            featured: f.checked("featured"),
            state: f.text("state", 20),
            cover_alt: f.text("cover_alt", MAX_ALT + 50),
            remove_cover: f.checked("remove_cover"),
        }
    }
}

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

/// A date field: the same day as `keep` keeps its exact time, another day is midnight UTC
/// (as `shelfraiser campaign create --starts` reads it).
fn parse_day(s: &str, keep: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    if let Some(k) = keep
        && k.date_naive() == d
    {
        return Some(k);
    }
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

/// Checks the form; the update to write, or the fields at fault.
fn validate(
    tr: &I18n,
    c: &Campaign,
    f: &EditorForm,
    locked: bool,
    new_cover: bool,
) -> Result<CampaignUpdate, Errors> {
    let mut e = Errors::default();
    let too_long = |max: usize| tr.ta("error-too-long", &[("max", max.to_string())]);
    let title = clean(&f.title);
    if title.is_empty() {
        e.add("title", tr.t("console-error-required"));
    } else if title.chars().count() > MAX_TITLE {
        e.add("title", too_long(MAX_TITLE));
    }
    let summary = clean(&f.summary);
    if summary.chars().count() > MAX_SUMMARY {
        e.add("summary", too_long(MAX_SUMMARY));
    }
    let story = f.story.replace("\r\n", "\n").replace('\0', "");
    if story.chars().count() > MAX_STORY {
        e.add("story", too_long(MAX_STORY));
    } else if let Err(fault) = crate::markdown::check(&story) {
        e.add("story", crate::render::body_error_message(tr, &fault));
    }
    let currency = match CurrencyCode::parse(&f.currency) {
        Ok(code) if locked && code != c.currency() => {
            e.add("currency", tr.t("console-error-currency-locked"));
            c.currency()
        }
        Ok(code) => code,
        Err(_) => {
            e.add("currency", tr.t("error-currency-unknown"));
            c.currency()
        }
    };
    let goal = match Money::parse_major(&f.goal, currency) {
        Ok(m) => Some(m),
        Err(err) => {
            e.add("goal", money_error(tr, &err));
            None
        }
    };
    let mut accepted = vec![currency];
    for a in &f.accepted {
        match CurrencyCode::parse(a) {
            Ok(code) if !accepted.contains(&code) => accepted.push(code),
            Ok(_) => {}
            Err(_) => e.add("accept", tr.t("error-currency-unknown")),
        }
    }
    accepted[1..].sort();
    let starts_at = match parse_day(&f.starts, Some(c.starts_at)) {
        Some(t) => Some(t),
        None => {
            e.add("starts", tr.t("console-error-date"));
            None
        }
    };
    let ends_at = if f.ends.trim().is_empty() {
        None
    } else {
        match parse_day(&f.ends, c.ends_at) {
            Some(t) => Some(t),
            None => {
                e.add("ends", tr.t("console-error-date"));
                None
            }
        }
    };
    if let (Some(s), Some(end)) = (starts_at, ends_at)
        && end <= s
    {
        e.add("ends", tr.t("console-error-date-order"));
    }
    let beneficiary_name = clean(&f.beneficiary_name);
    if beneficiary_name.is_empty() {
        e.add("beneficiary_name", tr.t("console-error-required"));
    } else if beneficiary_name.chars().count() > MAX_BENEFICIARY {
        e.add("beneficiary_name", too_long(MAX_BENEFICIARY));
    }
    let beneficiary_place = clean(&f.beneficiary_place);
    if beneficiary_place.chars().count() > MAX_BENEFICIARY {
        e.add("beneficiary_place", too_long(MAX_BENEFICIARY));
    }
    let mut milestones = Vec::new();
    for (i, line) in f
        .milestones
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i >= MAX_MILESTONES {
            e.add(
                "milestones",
                tr.ta(
                    "console-error-milestones-count",
                    &[("max", MAX_MILESTONES.to_string())],
                ),
            );
            break;
        }
        let line_no = (i + 1).to_string();
        let Some((amount, label)) = line.split_once(':') else {
            e.add(
                "milestones",
                tr.ta("console-error-milestone-line", &[("line", line_no)]),
            );
            continue;
        };
        let label = clean(label);
        if label.is_empty() || label.chars().count() > MAX_MILESTONE_LABEL {
            e.add(
                "milestones",
                tr.ta("console-error-milestone-line", &[("line", line_no)]),
            );
            continue;
        }
        match Money::parse_major(amount.trim(), currency) {
            Ok(amount) => milestones.push(Milestone { amount, label }),
            Err(err) => e.add(
                "milestones",
                format!(
                    "{} {}",
                    tr.ta("console-error-milestone-line", &[("line", line_no)]),
                    money_error(tr, &err)
                ),
            ),
        }
    }
    milestones.sort_by_key(|m| m.amount.amount_minor);
    let state = CampaignState::parse(&f.state);
    if state.is_none() {
        e.add("state", tr.t("console-error-choose"));
    }
    let cover_alt = clean(&f.cover_alt);
    let cover_image_url = if f.remove_cover {
        None
    } else {
        c.cover_image_url.clone()
    };
    if cover_alt.chars().count() > MAX_ALT {
        e.add("cover_alt", too_long(MAX_ALT));
    } else if cover_alt.is_empty() && (new_cover || cover_image_url.is_some()) {
        e.add("cover_alt", tr.t("console-error-alt-required"));
    }
    match (goal, starts_at, state) {
        (Some(goal), Some(starts_at), Some(state)) if e.is_empty() => Ok(CampaignUpdate {
            slug: c.slug.clone(),
            title,
            summary,
            story_md: story,
            goal,
            accepted,
            starts_at,
            ends_at,
            beneficiary_name,
            beneficiary_place,
            // The description also serves the default cover when there is no upload; a
            // removed picture takes its description with it.
            cover_image_alt: (!f.remove_cover && !cover_alt.is_empty()).then_some(cover_alt),
            cover_image_url,
            state,
            keep_accepting: f.keep_accepting,
            featured: f.featured,
            milestones,
        }),
        _ => Err(e),
    }
}

/// The names of the fields that differ (for the audit entry).
fn changed_fields(
    c: &Campaign,
    old_ms: &[Milestone],
    u: &CampaignUpdate,
    new_cover: bool,
) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            v.push(name);
        }
    };
    check("title", c.title != u.title);
    check("summary", c.summary != u.summary);
    check("story", c.story_md != u.story_md);
    check("goal", c.goal != u.goal);
    check("currency", c.currency() != u.goal.currency);
    check("accepted_currencies", c.accepted != u.accepted);
    check("starts_at", c.starts_at != u.starts_at);
    check("ends_at", c.ends_at != u.ends_at);
    check("beneficiary_name", c.beneficiary_name != u.beneficiary_name);
    check(
        "beneficiary_place",
        c.beneficiary_place != u.beneficiary_place,
    );
    check("milestones", old_ms != u.milestones.as_slice());
    check("keep_accepting", c.keep_accepting != u.keep_accepting);
    check("featured", c.featured != u.featured);
    check("cover", new_cover || c.cover_image_url != u.cover_image_url);
    check("cover_alt", c.cover_image_alt != u.cover_image_alt);
    v
}

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
    s: &AppState,
    r: &Req,
    me: &CurrentMember,
    c: &Campaign,
    form: EditorForm,
    errors: Errors,
    notice: String,
    saved: bool,
    preview: bool,
) -> Result<String, AppError> {
    let tr = &r.tr;
    let locked = repo::has_money(&s.db, &c.id).await?;
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
    let state_opts = ["draft", "live", "funded", "closed"]
        .iter()
        .map(|st| Opt {
            value: st.to_string(),
            label: tr.t(&format!("console-state-{st}")),
            selected: form.state == *st,
        })
        .collect();
    let preview_html = if preview {
        Some(crate::render::preview(tr, form.story.clone()).await)
    } else {
        None
    };
    let page = EditorPage {
        shell: Shell::new(s, r, me, "/admin"),
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
async fn editable(s: &AppState, me: &CurrentMember, slug: &str) -> Result<Campaign, AppError> {
    let c = repo::by_slug(&s.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !me.member.can(Permission::CampaignEdit, Some(&c.id)) {
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
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Path(slug): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let c = editable(&s, &me, &slug).await?;
    let ms = repo::milestones(&s.db, &c).await?;
    let saved = q.saved.is_some();
    let notice = if saved {
        r.tr.t("console-saved")
    } else {
        String::new()
    };
    let html = render(
        &s,
        &r,
        &me,
        &c,
        EditorForm::of_campaign(&c, &ms),
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
/// pairs) in one transaction.
async fn write(
    db: &crate::db::Db,
    c: &Campaign,
    u: &CampaignUpdate,
    cover: Option<&media::Processed>,
    by: &Actor,
    audits: &[(&str, String)],
) -> Result<Updated, UpdateError> {
    let mut tx = db.begin().await?;
    let done = repo::update_in(&mut tx, &c.id, u, cover, by.member_id.as_deref()).await?;
    for (action, detail) in audits {
        audit::record_in(&mut tx, by, action, c.slug.as_str(), detail).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// `POST /admin/campaigns/{slug}` (multipart): `action=preview` or `action=save`.
pub async fn save(
    State(s): State<AppState>,
    me: CurrentMember,
    r: Req,
    Path(slug): Path<String>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    if let Some(go) = super::enrollment_gate(&s, &me).await {
        return Ok(go);
    }
    let c = editable(&s, &me, &slug).await?;
    let tr = &r.tr;
    let (fields, cover, too_large) = match read_multipart(&mut mp).await {
        Ok(x) => x,
        Err(res) => return Ok(res),
    };
    let form = EditorForm::of_fields(&fields);
    let show =
        |form: EditorForm, errors: Errors, notice: String, status: StatusCode, preview: bool| {
            let (s, r, me, c) = (&s, &r, &me, &c);
            async move {
                let html = render(s, r, me, c, form, errors, notice, false, preview).await?;
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
    let locked = repo::has_money(&s.db, &c.id).await?;
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
    let old_ms = repo::milestones(&s.db, &c).await?;
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
        &s.db,
        &c,
        &update,
        processed.as_ref(),
        &me.actor(&r),
        &audits,
    )
    .await
    {
        Ok(done) => {
            s.hub.observe(&c.id, done.version);
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
