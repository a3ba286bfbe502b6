//! Offline entry (`POST /admin/donations`, the same path as `shelfraiser donation add`): a
//! refused entry shows the list again with the form's values and errors (422).

use axum::Form;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::campaigns::repo;
use crate::console::{Console, Errors, Fields};
use crate::donations::ledger::Recorded;
use crate::donations::offline::{self, OfflineError, OfflineInput};
use crate::http::AppError;
use crate::i18n::I18n;
use crate::team::Permission;

use super::list::{ListQuery, OfflineForm, render_list};

pub fn offline_message(tr: &I18n, e: &OfflineError) -> String {
    match e {
        OfflineError::CurrencyUnknown(_) => tr.t("error-currency-unknown"),
        OfflineError::CurrencyNotAccepted { currency, .. } => tr.ta(
            "error-currency-not-accepted",
            &[("currency", currency.to_string())],
        ),
        OfflineError::Amount(m) => tr.money_error(m),
        OfflineError::ConvertedToZero(_) => tr.t("error-amount-too-small"),
        OfflineError::NoRate { from, .. } => {
            tr.ta("error-no-rate", &[("currency", from.to_string())])
        }
        OfflineError::Visibility => tr.t("console-error-visibility"),
        OfflineError::Date => tr.t("console-error-date"),
        OfflineError::DateInFuture { today, .. } => {
            tr.ta("console-error-date-future", &[("today", tr.day(*today))])
        }
        OfflineError::NoRateOn { from, on, .. } => tr.ta(
            "console-error-no-rate-on",
            &[("currency", from.to_string()), ("date", tr.day(*on))],
        ),
        OfflineError::Email(_) => tr.t("error-email"),
        OfflineError::TooLong { max, .. } => tr.ta("error-too-long", &[("max", max.to_string())]),
        OfflineError::Db(_) => tr.t("error-internal"),
    }
}

/// `POST /admin/donations`: an offline donation.
pub async fn add_offline(
    cx: Console,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let form = OfflineForm {
        campaign: f.text("campaign", 64),
        amount: f.text("amount", 40),
        currency: f.text("currency", 8),
        donor: f.text("donor", 200),
        email: f.text("email", 300),
        date: f.text("date", 20),
        note: f.text("note", 2000),
        message: f.text("message", 1000),
        visibility: f.text("visibility", 20),
        reference: f.text("reference", 300),
    };
    let c = repo::by_slug(&cx.s.db, f.get("campaign")).await?;
    if let Some(c) = &c
        && !cx.me.member.can(Permission::DonationsWrite, Some(&c.id))
    {
        return Err(AppError::Forbidden);
    }
    let refuse = |form: OfflineForm, errors: Errors, notice: String| {
        let cx = &cx;
        async move {
            let (_, html) =
                render_list(cx, &ListQuery::default(), Some((form, errors)), notice).await?;
            Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    };
    if !cx.csrf_ok(f.csrf()) {
        return refuse(form, Errors::default(), tr.t("error-csrf")).await;
    }
    let Some(c) = c else {
        let mut e = Errors::default();
        e.add("campaign", tr.t("console-error-choose"));
        return refuse(form, e, tr.t("error-form")).await;
    };
    let opt = |v: &str| (!v.trim().is_empty()).then(|| v.to_string());
    let input = OfflineInput {
        amount: form.amount.clone(),
        amount_style: Some(tr.number_format()),
        currency: form.currency.clone(),
        donor: opt(f.get("donor")),
        email: opt(f.get("email")),
        date: opt(f.get("date")),
        note: opt(f.get("note")),
        message: opt(f.get("message")),
        visibility: form.visibility.clone(),
        reference: opt(f.get("reference")),
        today: Some(offline::today_in(&cx.me.member.time_zone)),
    };
    match offline::add(&cx.s.db, &c, &input, &cx.actor()).await {
        Ok(done) => {
            let id = done.recorded.donation_id().to_string();
            if let Recorded::New { version, .. } = done.recorded {
                cx.s.hub.observe(&c.id, version);
                Ok(Redirect::to(&format!("/admin/donations/{id}?added=1")).into_response())
            } else {
                Ok(Redirect::to(&format!("/admin/donations/{id}?duplicate=1")).into_response())
            }
        }
        Err(errors) => {
            let mut e = Errors::default();
            for err in &errors {
                if let OfflineError::Db(db) = err {
                    return Err(AppError::Internal(anyhow::anyhow!("{db}")));
                }
                e.add(err.field(), offline_message(tr, err));
            }
            refuse(form, e, tr.t("error-form")).await
        }
    }
}
