//! The exchange-rates page (`GET /admin/rates`): the rates in use (per euro, each with the day
//! it is from; a currency missing from the newest sheet is marked), the last fetch or upload
//! and whether the daily fetch is on. Members who may record donations (`DonationsWrite`
//! site-wide) import the European Central Bank's file by upload (`POST /admin/rates/import`:
//! the daily, 90-day or full-history file, as `shelfraiser rates import`) and, when the
//! operator turned the daily fetch on (`[rates] fetch`), fetch it now
//! (`POST /admin/rates/fetch`). Both audited (`rates.import`, `rates.fetch`).

use askama::Template;
use axum::Extension;
use axum::extract::Query;
use axum::extract::multipart::Multipart;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;

use super::{Console, Shell, upload};
use crate::http::AppError;
use crate::http::limits::OverLimit;
use crate::rates::{self, fetch};
use crate::team::Permission;
use crate::team::audit;

pub struct RateRow {
    pub code: String,
    pub rate: String,
    pub day: String,
    /// Not in the newest sheet (the ECB stopped publishing it, or it is late).
    pub old: bool,
}

#[derive(Template)]
#[template(path = "console/rates.html")]
pub struct RatesPage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub newest: String,
    pub rows: Vec<RateRow>,
    /// The last fetch or upload, in words (empty: none yet).
    pub last: String,
    pub last_ok: bool,
    /// The daily fetch: where from, or empty when it is off.
    pub fetch_url: String,
    pub can_import: bool,
}

fn can_import(cx: &Console) -> bool {
    cx.me.member.can(Permission::DonationsWrite, None)
}

async fn render(cx: &Console, notice: String, code: StatusCode) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let table = rates::latest(&cx.s.db).await?;
    let mut rows: Vec<RateRow> = table
        .per_eur
        .iter()
        .map(|(c, r)| {
            let day = table.dates.get(c).copied();
            RateRow {
                code: c.as_str().to_string(),
                rate: tr.rate(*r),
                day: day.map(|d| tr.day(d)).unwrap_or_default(),
                old: day < table.as_of,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    let (last, last_ok) = match fetch::last_update(&cx.s.db).await? {
        None => (String::new(), true),
        Some(u) => {
            let how = match u.how {
                fetch::How::Fetched => tr.t("console-rates-how-fetched"),
                fetch::How::Uploaded => tr.t("console-rates-how-uploaded"),
            };
            let when = tr.date_time_in(u.at, "UTC");
            match u.outcome {
                Ok((day, stored)) => (
                    tr.ta(
                        "console-rates-last-ok",
                        [
                            ("when", when),
                            ("how", how),
                            ("day", day.map(|d| tr.day(d)).unwrap_or_default()),
                            ("stored", tr.int(stored as i64)),
                        ],
                    ),
                    true,
                ),
                Err(why) => (
                    tr.ta(
                        "console-rates-last-failed",
                        [("when", when), ("how", how), ("why", why)],
                    ),
                    false,
                ),
            }
        }
    };
    let page = RatesPage {
        shell: cx.shell("/admin/rates"),
        notice_ok: code.is_success(),
        notice,
        newest: table.as_of.map(|d| tr.day(d)).unwrap_or_default(),
        rows,
        last,
        last_ok,
        fetch_url: if cx.s.settings.rates.fetch {
            cx.s.settings.rates.fetch_url.clone()
        } else {
            String::new()
        },
        can_import: can_import(cx),
    };
    Ok((code, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: Option<String>,
    pub days: Option<usize>,
    pub stored: Option<usize>,
}

/// `GET /admin/rates`.
pub async fn show(cx: Console, Query(q): Query<ShowQuery>) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let notice = match q.done.as_deref() {
        Some("import" | "fetch") => format!(
            "{}, {}",
            tr.tn("console-rates-done-days", q.days.unwrap_or(0) as i64),
            tr.tn("console-rates-done-stored", q.stored.unwrap_or(0) as i64)
        ),
        _ => String::new(),
    };
    render(&cx, notice, StatusCode::OK).await
}

fn done(what: &str, i: &fetch::Imported) -> Response {
    Redirect::to(&format!(
        "/admin/rates?done={what}&days={}&stored={}",
        i.days, i.stored
    ))
    .into_response()
}

/// `POST /admin/rates/import` (multipart: `csrf`, `file`).
pub async fn import(
    cx: Console,
    Extension(over): Extension<OverLimit>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    if !can_import(&cx) {
        return Err(AppError::Forbidden);
    }
    let tr = &cx.r.tr;
    let mut posted = match upload::read(&mut mp, &["file"], &over).await {
        Ok(p) => p,
        Err(res) => return Ok(res),
    };
    if !cx.csrf_ok(posted.fields.csrf()) {
        return render(&cx, tr.t("error-csrf"), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if posted.too_large.is_some() || posted.cut.is_some() {
        let why = upload::too_large_message(tr);
        return render(&cx, why, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Some(bytes) = posted.take_file("file") else {
        let why = tr.t("console-rates-no-file");
        return render(&cx, why, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let sheets = match std::str::from_utf8(&bytes)
        .map_err(|_| None)
        .and_then(|t| rates::parse_ecb(t).map_err(Some))
    {
        Ok(s) => s,
        Err(e) => {
            let why = tr.ta(
                "console-rates-not-ecb",
                [("why", e.map(|e| e.to_string()).unwrap_or_default())],
            );
            return render(&cx, why, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let i = fetch::store(&cx.s.db, &sheets, fetch::How::Uploaded, Utc::now()).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "rates.import",
        "",
        &format!("{} days, {} new rates", i.days, i.stored),
    )
    .await?;
    Ok(done("import", &i))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FetchForm {
    pub csrf: String,
}

/// `POST /admin/rates/fetch`: the daily file now (only when the fetch is turned on).
pub async fn fetch_now(
    cx: Console,
    axum::Form(f): axum::Form<FetchForm>,
) -> Result<Response, AppError> {
    if !can_import(&cx) {
        return Err(AppError::Forbidden);
    }
    let tr = &cx.r.tr;
    if !cx.csrf_ok(Some(&f.csrf)) {
        return render(&cx, tr.t("error-csrf"), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let s = &cx.s.settings.rates;
    if !s.fetch {
        let why = tr.t("console-rates-fetch-off");
        return render(&cx, why, StatusCode::CONFLICT).await;
    }
    match fetch::fetch(&cx.s.db, &cx.s.outbound, &s.fetch_url, Utc::now()).await {
        Ok(i) => {
            audit::record(
                &cx.s.db,
                &cx.actor(),
                "rates.fetch",
                "",
                &format!("{} days, {} new rates", i.days, i.stored),
            )
            .await?;
            Ok(done("fetch", &i))
        }
        Err(fetch::FetchError::Db(e)) => Err(e.into()),
        Err(e) => {
            let why = tr.ta("console-rates-fetch-failed", [("why", e.to_string())]);
            render(&cx, why, StatusCode::BAD_GATEWAY).await
        }
    }
}
