//! The CSV export for accountants (`GET /admin/donations.csv`): every field of the filtered
//! donations, with a formula guard on each cell.

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{HeaderValue, header};

use crate::campaigns::repo;
use crate::console::{Console, query_string};
use crate::donations::offline::{self};
use crate::http::AppError;
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;
use crate::team::audit;

use super::list::{ListQuery, campaigns_with, filter_form};
use super::search;

/// One CSV cell: a formula guard (a leading `=`, `+`, `-`, `@`, tab or carriage return gets
/// a `'` in front, so a spreadsheet shows text instead of running it), then RFC 4180 quoting.
pub fn csv_cell(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

pub const CSV_HEADER: &[&str] = &[
    "donation_id",
    "campaign",
    "created_at",
    "received_on",
    "amount",
    "currency",
    "amount_minor",
    "rate",
    "campaign_amount",
    "campaign_currency",
    "campaign_amount_minor",
    "donor_name",
    "donor_email",
    "message",
    "visibility",
    "provider",
    "provider_reference",
    "status",
    "note",
];

/// `GET /admin/donations.csv`: every field of the filtered donations, for accountants.
pub async fn export(cx: Console, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let all = repo::list(&cx.s.db).await?;
    let exportable = campaigns_with(&all, &cx.me, Permission::Export);
    let form = filter_form(&cx.s, &q, &exportable).await?;
    let (filter, errors) = form.to_filter(&cx.r.tr, &exportable);
    if !errors.is_empty() {
        let msg: Vec<&str> = errors.0.values().map(String::as_str).collect();
        return Err(AppError::Unprocessable(msg.join(" ")));
    }
    let rows = search(&cx.s.db, &filter, 0, 0).await?;
    let mut out = String::with_capacity(256 + rows.len() * 200);
    out.push_str(&CSV_HEADER.join(","));
    out.push_str("\r\n");
    for d in &rows {
        let c = exportable.iter().find(|c| c.id == d.campaign_id);
        let cur = CurrencyCode::parse(&d.currency).ok();
        let ccur = c.map(|c| c.currency());
        let cells: Vec<String> = vec![
            d.id.clone(),
            c.map(|c| c.slug.to_string()).unwrap_or_default(),
            d.created_at.to_rfc3339(),
            d.received_on.map(|x| x.to_string()).unwrap_or_default(),
            cur.map(|c| Money::new(d.amount_minor, c).major_string())
                .unwrap_or_default(),
            d.currency.clone(),
            d.amount_minor.to_string(),
            d.rate.clone(),
            ccur.map(|c| Money::new(d.campaign_amount_minor, c).major_string())
                .unwrap_or_default(),
            ccur.map(|c| c.to_string()).unwrap_or_default(),
            d.campaign_amount_minor.to_string(),
            d.donor_name.clone().unwrap_or_default(),
            d.donor_email.clone().unwrap_or_default(),
            d.message.clone().unwrap_or_default(),
            d.visibility.to_string(),
            d.provider.clone(),
            offline::shown_reference(&d.provider, &d.campaign_id, &d.provider_reference)
                .to_string(),
            d.status.to_string(),
            d.note.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "export.downloaded",
        "donations.csv",
        &format!(
            "rows={}{}",
            rows.len(),
            query_string(&form.pairs()).replacen('?', " filter=", 1)
        ),
    )
    .await?;
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"donations-{}.csv\"",
        Utc::now().format("%Y-%m-%d")
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@cmd"), "'@cmd");
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_cell(""), "");
    }
}
