//! The Pledges page's forms: record a pledge (`POST /admin/pledges`) or a matching gift
//! (`POST /admin/matches`); fulfil (`/admin/pledges/{id}/fulfil`) or cancel
//! (`/admin/pledges/{id}/cancel`) a pledge; settle (`/admin/matches/{id}/settle`) or cancel
//! (`/admin/matches/{id}/cancel`) a match. Each checks `DonationsWrite` on the campaign
//! (403) and the session-bound CSRF token; success redirects to the page with a notice.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};

use super::{MatchForm, PledgeForm, RowForm, Shown, render};
use crate::campaigns::{Campaign, repo};
use crate::console::donations::offline_message;
use crate::console::{Console, Errors, Fields};
use crate::donations::matching::{self, MatchInput};
use crate::donations::pledges::{self, PledgeError, PledgeInput};
use crate::donations::repo::pledges::Table;
use crate::http::AppError;
use crate::i18n::I18n;
use crate::team::Permission;

/// The localized message for a refused pledge or match.
fn message(tr: &I18n, e: &PledgeError) -> String {
    match e {
        PledgeError::NoName(_) => tr.t("console-pledge-error-name"),
        PledgeError::CurrencyUnknown(_) => tr.t("error-currency-unknown"),
        PledgeError::CurrencyNotAccepted(c) => {
            tr.ta("error-currency-not-accepted", [("currency", c.to_string())])
        }
        PledgeError::NoRate(c) => tr.ta("error-no-rate", [("currency", c.to_string())]),
        PledgeError::Amount(_, m) => tr.money_error(m),
        PledgeError::Date(_) => tr.t("console-error-date"),
        PledgeError::Time(_) => tr.t("console-match-error-time"),
        PledgeError::Window => tr.t("console-match-error-window"),
        PledgeError::Ratio => tr.t("console-match-error-ratio"),
        PledgeError::Visibility => tr.t("console-error-visibility"),
        PledgeError::TooLong { max, .. } => tr.ta("error-too-long", [("max", max.to_string())]),
        PledgeError::NoReason => tr.t("console-void-error-reason"),
        PledgeError::NotFound => tr.t("console-pledge-error-gone"),
        PledgeError::Closed => tr.t("console-pledge-error-closed"),
        PledgeError::NothingMatched => tr.t("console-match-error-nothing"),
        PledgeError::Offline(errs) => errs
            .iter()
            .map(|e| offline_message(tr, e))
            .collect::<Vec<_>>()
            .join(" "),
        PledgeError::Db(_) => tr.t("error-internal"),
    }
}

/// A refused form's errors by field (a database error is the caller's 500 instead).
fn field_errors(tr: &I18n, errors: &[PledgeError]) -> Result<Errors, AppError> {
    if let Some(PledgeError::Db(db)) = errors.iter().find(|e| matches!(e, PledgeError::Db(_))) {
        return Err(AppError::Internal(anyhow::anyhow!("{db}")));
    }
    let mut e = Errors::default();
    for err in errors {
        e.add(err.field(), message(tr, err));
    }
    Ok(e)
}

/// The campaign a form names, checked: 403 without `DonationsWrite` on it; `None` when no
/// such campaign exists (the form's error).
async fn writable(cx: &Console, slug: &str) -> Result<Option<Campaign>, AppError> {
    let c = repo::by_slug(&cx.s.db, slug).await?;
    if let Some(c) = &c
        && !cx.me.member.can(Permission::DonationsWrite, Some(&c.id))
    {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

fn done(what: &str) -> Response {
    Redirect::to(&format!("/admin/pledges?done={what}")).into_response()
}

/// `POST /admin/pledges`: a new pledge.
pub async fn add_pledge(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let form = PledgeForm {
        campaign: f.text("campaign", 64),
        pledger: f.text("pledger", 400),
        amount: f.text("amount", 40),
        currency: f.text("currency", 8),
        expected: f.text("expected", 20),
        note: f.text("note", 4000),
        visibility: f.text("visibility", 20),
    };
    let c = writable(&cx, &form.campaign).await?;
    let refuse = |form: PledgeForm, errors: Errors, notice: String| {
        render(
            &cx,
            Shown {
                pledge: Some((form, errors)),
                ..Default::default()
            },
            notice,
            false,
        )
    };
    if !cx.csrf_ok(f.csrf()) {
        return refuse(form, Errors::default(), tr.t("error-csrf")).await;
    }
    let Some(c) = c else {
        let mut e = Errors::default();
        e.add("campaign", tr.t("console-error-choose"));
        return refuse(form, e, tr.t("error-form")).await;
    };
    let input = PledgeInput {
        pledger: form.pledger.clone(),
        amount: form.amount.clone(),
        amount_style: Some(tr.number_format()),
        currency: form.currency.clone(),
        expected_on: form.expected.clone(),
        note: form.note.clone(),
        visibility: form.visibility.clone(),
    };
    match pledges::add(&cx.s.db, &c, &input, &cx.actor()).await {
        Ok((_, version)) => {
            cx.s.hub.observe(&c.id, version);
            Ok(done("added"))
        }
        Err(errors) => refuse(form, field_errors(tr, &errors)?, tr.t("error-form")).await,
    }
}

/// `POST /admin/matches`: a new matching gift.
pub async fn add_match(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let form = MatchForm {
        campaign: f.text("campaign", 64),
        sponsor: f.text("sponsor", 400),
        ratio: f.text("ratio", 20),
        cap: f.text("cap", 40),
        starts: f.text("starts", 40),
        ends: f.text("ends", 40),
        note: f.text("note", 4000),
    };
    let c = writable(&cx, &form.campaign).await?;
    let refuse = |form: MatchForm, errors: Errors, notice: String| {
        render(
            &cx,
            Shown {
                matching: Some((form, errors)),
                ..Default::default()
            },
            notice,
            false,
        )
    };
    if !cx.csrf_ok(f.csrf()) {
        return refuse(form, Errors::default(), tr.t("error-csrf")).await;
    }
    let Some(c) = c else {
        let mut e = Errors::default();
        e.add("campaign", tr.t("console-error-choose"));
        return refuse(form, e, tr.t("error-form")).await;
    };
    let input = MatchInput {
        sponsor: form.sponsor.clone(),
        ratio: form.ratio.clone(),
        cap: form.cap.clone(),
        amount_style: Some(tr.number_format()),
        starts: form.starts.clone(),
        ends: form.ends.clone(),
        time_zone: cx.me.member.time_zone.clone(),
        note: form.note.clone(),
    };
    match matching::add(&cx.s.db, &c, &input, &cx.actor()).await {
        Ok((_, version)) => {
            cx.s.hub.observe(&c.id, version);
            Ok(done("match-added"))
        }
        Err(errors) => refuse(form, field_errors(tr, &errors)?, tr.t("error-form")).await,
    }
}

/// What a row action does once the campaign and the form are checked.
enum Act {
    Fulfil,
    Settle,
    CancelPledge,
    CancelMatch,
}

async fn row_action(
    cx: Console,
    id: String,
    fields: Vec<(String, String)>,
    act: Act,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let db = &cx.s.db;
    let campaign_id = match act {
        Act::Fulfil | Act::CancelPledge => pledges::get(db, &id).await?.map(|p| p.campaign_id),
        Act::Settle | Act::CancelMatch => matching::get(db, &id).await?.map(|m| m.campaign_id),
    }
    .ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::DonationsWrite, Some(&campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    let c = repo::by_id(db, &campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut row = RowForm {
        id: id.clone(),
        date: f.text("date", 20),
        reason: f.text("reason", 1000),
        errors: Errors::default(),
    };
    if !cx.csrf_ok(f.csrf()) {
        let shown = Shown {
            row: Some(row),
            ..Default::default()
        };
        return render(&cx, shown, tr.t("error-csrf"), false).await;
    }
    let today = crate::donations::offline::today_in(&cx.me.member.time_zone);
    let by = cx.actor();
    let result = match act {
        Act::Fulfil => pledges::fulfil(db, &c, &id, &row.date, today, &by)
            .await
            .map(|d| (d.version, "fulfilled")),
        Act::Settle => matching::settle(db, &c, &id, &row.date, today, &by)
            .await
            .map(|d| (d.version, "settled")),
        Act::CancelPledge => pledges::cancel(db, &c, Table::Pledges, &id, &row.reason, &by)
            .await
            .map(|v| (v, "cancelled")),
        Act::CancelMatch => pledges::cancel(db, &c, Table::MatchingGifts, &id, &row.reason, &by)
            .await
            .map(|v| (v, "cancelled")),
    };
    match result {
        Ok((version, what)) => {
            cx.s.hub.observe(&c.id, version);
            Ok(done(what))
        }
        Err(PledgeError::Db(e)) => Err(AppError::Internal(anyhow::anyhow!("{e}"))),
        Err(e) => {
            let field = match e.field() {
                "reason" => "reason",
                "" => "",
                _ => "date",
            };
            let msg = message(tr, &e);
            if !field.is_empty() {
                row.errors.add(field, msg.clone());
            } else {
                row.errors.add("row", msg.clone());
            }
            let shown = Shown {
                row: Some(row),
                ..Default::default()
            };
            render(&cx, shown, msg, false).await
        }
    }
}

/// `POST /admin/pledges/{id}/fulfil`: `date` (received; today when empty).
pub async fn fulfil(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    row_action(cx, id, fields, Act::Fulfil).await
}

/// `POST /admin/pledges/{id}/cancel`: `reason`.
pub async fn cancel_pledge(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    row_action(cx, id, fields, Act::CancelPledge).await
}

/// `POST /admin/matches/{id}/settle`: `date` (received; today when empty).
pub async fn settle(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    row_action(cx, id, fields, Act::Settle).await
}

/// `POST /admin/matches/{id}/cancel`: `reason`.
pub async fn cancel_match(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    row_action(cx, id, fields, Act::CancelMatch).await
}
