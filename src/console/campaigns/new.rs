//! "New campaign" (owners): `GET /admin/campaigns/new` shows the form, `POST` checks it
//! with the rules `shelfraiser campaign create` uses (`campaigns::create`: slug, title, goal,
//! currency, accepted currencies, dates, state), creates the campaign, its first revision
//! and the `campaign.created` audit entry in one transaction, and opens the campaign editor
//! (story, milestones, cover). A refused form comes back with every field as typed (422).

use askama::Template;
use axum::Form;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;

use crate::campaigns::create::{CampaignInput, Fault, MAX_MILESTONES, Problem};
use crate::campaigns::repo::{self, CreateError};
use crate::console::form::Opt;
use crate::console::{Console, Errors, Fields, Shell};
use crate::http::AppError;
use crate::i18n::I18n;
use crate::money::CurrencyCode;
use crate::revisions::{self, Author, Kind, Snapshot, Target};
use crate::team::Permission;
use crate::team::audit;

#[derive(Template)]
#[template(path = "console/campaign_new.html")]
pub struct NewPage {
    pub shell: Shell,
    pub form: CampaignInput,
    pub errors: Errors,
    pub notice: String,
    pub currency_opts: Vec<Opt>,
    pub accept_boxes: Vec<Opt>,
}

/// Owners only: a site-wide grant of [`Permission::CampaignCreate`].
fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::CampaignCreate, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn render(
    cx: &Console,
    form: CampaignInput,
    errors: Errors,
    notice: String,
    status: StatusCode,
) -> Result<Response, AppError> {
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
            selected: form.accept.iter().any(|a| a == code.as_str()),
        })
        .collect();
    let page = NewPage {
        shell: cx.shell("/admin"),
        form,
        errors,
        notice,
        currency_opts,
        accept_boxes,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /admin/campaigns/new`.
pub async fn form(cx: Console) -> Result<Response, AppError> {
    allowed(&cx)?;
    let blank = CampaignInput {
        currency: "EUR".into(),
        state: "draft".into(),
        keep_accepting: true,
        ..Default::default()
    };
    render(&cx, blank, Errors::default(), String::new(), StatusCode::OK)
}

fn input_of(f: &Fields) -> CampaignInput {
    CampaignInput {
        slug: f.text("slug", 100),
        title: f.text("title", 300),
        summary: f.text("summary", 600),
        story: String::new(),
        goal: f.text("goal", 40),
        currency: f.text("currency", 8),
        accept: f
            .all("accept")
            .into_iter()
            .take(200)
            .map(|v| v.chars().take(8).collect())
            .collect(),
        starts: f.text("starts", 40),
        ends: f.text("ends", 40),
        beneficiary_name: f.text("beneficiary_name", 300),
        beneficiary_place: f.text("beneficiary_place", 300),
        milestones: Vec::new(),
        state: f.text("state", 20),
        keep_accepting: f.checked("keep_accepting"),
        featured: f.checked("featured"),
    }
}

/// The form's words for a field at fault.
fn message(tr: &I18n, p: &Problem) -> String {
    match &p.fault {
        Fault::Slug => tr.t("console-new-error-slug"),
        Fault::SlugReserved => tr.t("console-new-error-slug-reserved"),
        Fault::Required => tr.t("console-error-required"),
        Fault::TooLong(max) => tr.ta("error-too-long", [("max", max.to_string())]),
        Fault::Currency(_) => tr.t("error-currency-unknown"),
        Fault::Amount(e) if p.field == "goal" => tr.money_error(e),
        Fault::Amount(e) => format!(
            "{} {}",
            tr.ta(
                "console-error-milestone-line",
                [("line", p.line.unwrap_or(0).to_string())]
            ),
            tr.money_error(e)
        ),
        Fault::Date(_) => tr.t("console-error-date"),
        Fault::DateOrder => tr.t("console-error-date-order"),
        Fault::MilestoneShape => tr.ta(
            "console-error-milestone-line",
            [("line", p.line.unwrap_or(0).to_string())],
        ),
        Fault::TooManyMilestones => tr.ta(
            "console-error-milestones-count",
            [("max", MAX_MILESTONES.to_string())],
        ),
        Fault::State(_) => tr.t("console-error-choose"),
        Fault::Markdown(e) => crate::render::body_error_message(tr, e),
    }
}

/// `POST /admin/campaigns/new`.
pub async fn create(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let input = input_of(&f);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !cx.csrf_ok(f.csrf()) {
        return render(
            &cx,
            input,
            Errors::default(),
            tr.t("error-csrf"),
            unprocessable,
        );
    }
    let new = match input.check(Utc::now()) {
        Ok(n) => n,
        Err(problems) => {
            let mut e = Errors::default();
            for p in &problems {
                e.add(p.field, message(tr, p));
            }
            return render(&cx, input, e, tr.t("error-form"), unprocessable);
        }
    };
    let actor = cx.actor();
    let mut tx = cx.s.db.begin().await?;
    let id = match repo::create_in(&mut tx, &new).await {
        Ok(id) => id,
        Err(CreateError::SlugTaken(_)) => {
            drop(tx);
            let mut e = Errors::default();
            e.add("slug", tr.t("console-new-error-slug-taken"));
            return render(&cx, input, e, tr.t("error-form"), unprocessable);
        }
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    let detail = format!(
        "{} {} {}",
        new.state.as_str(),
        new.goal.major_string(),
        new.goal.currency
    );
    audit::record_in(
        &mut tx,
        &actor,
        "campaign.created",
        new.slug.as_str(),
        &detail,
    )
    .await?;
    let who = Author {
        member_id: actor.member_id.as_deref(),
        label: &actor.label,
    };
    let first = Snapshot {
        kind: Kind::Save,
        title: &new.title,
        body: &new.story_md,
        restored_from: None,
    };
    revisions::record_in(&mut tx, &Target::Campaign(id.clone()), who, first, None).await?;
    tx.commit().await?;
    crate::federation::ensure_for_new_campaign(&cx.s.db, &id).await;
    Ok(Redirect::to(&format!("/admin/campaigns/{}?created=1", new.slug)).into_response())
}
