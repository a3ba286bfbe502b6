//! The CSV export for accountants (`GET /admin/donations.csv`): every field of the filtered
//! donations (voided ones too, marked), with a formula guard on each cell.
//!
//! Two styles ([`CsvStyle`]): comma-separated with decimal points (RFC 4180), or the one a
//! spreadsheet in a decimal-comma locale opens as columns (Danish Excel): `;` between cells,
//! decimal commas in amounts and rates, and a UTF-8 byte-order mark so the letters come out
//! right. `?format=comma` or `?format=semicolon` chooses; without it the console's language
//! does (Danish: semicolon). The quoting is the `csv` crate's.

use std::borrow::Cow;

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::campaigns::{Campaign, repo};
use crate::console::{Console, query_string};
use crate::donations::offline::{self};
use crate::http::AppError;
use crate::money::{CurrencyCode, Money};
use crate::team::Permission;
use crate::team::audit;

use super::Filter;
use super::list::{FilterForm, ListQuery, campaigns_with, filter_form};
use super::search;

/// The formula guard on one cell: a leading `=`, `+`, `-`, `@`, tab or carriage return gets a
/// `'` in front, so a spreadsheet shows text instead of running it. (Quoting is the writer's.)
pub fn formula_guard(v: &str) -> Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{v}"))
    } else {
        Cow::Borrowed(v)
    }
}

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    /// `,` between cells, decimal points, no byte-order mark (RFC 4180).
    Comma,
    /// `;` between cells, decimal commas, a UTF-8 byte-order mark: what a spreadsheet in a
    /// decimal-comma locale (Danish Excel) opens as columns.
    Semicolon,
}

impl CsvStyle {
    /// The explicit choice (`comma`, `semicolon`), else the language's usual one.
    pub fn choose(format: Option<&str>, lang: &str) -> CsvStyle {
        match format.map(str::trim) {
            Some("comma") => CsvStyle::Comma,
            Some("semicolon") => CsvStyle::Semicolon,
            _ if lang == "da" => CsvStyle::Semicolon,
            _ => CsvStyle::Comma,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CsvStyle::Comma => "comma",
            CsvStyle::Semicolon => "semicolon",
        }
    }

    /// A decimal number (`25.50`, `0.79`) in this style.
    pub(super) fn number(self, v: &str) -> String {
        match self {
            CsvStyle::Comma => v.to_string(),
            CsvStyle::Semicolon => v.replace('.', ","),
        }
    }
}

/// The whole file: the header and one line per row, every cell guarded, CRLF line ends.
/// A CSV download: `text` as `STEM-YYYY-MM-DD.csv`, never cached.
pub fn csv_attachment(text: String, stem: &str) -> Response {
    let mut res = text.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{stem}-{}.csv\"",
        Utc::now().format("%Y-%m-%d")
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

pub fn csv_text(rows: &[Vec<String>], style: CsvStyle) -> Result<String, AppError> {
    csv_text_with(CSV_HEADER, rows, style, false)
}

/// Whether `v` is a plain signed decimal (`-0.59`, `-1,50`): a number a spreadsheet reads as
/// one, never a formula, so an amount of money out keeps its sign unguarded.
fn plain_number(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = match digits.split_once(['.', ',']) {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// [`csv_text`] with another header (the ledger export's); `numbers`: plain signed decimals
/// pass the formula guard as they are (every other cell is guarded).
pub fn csv_text_with(
    header: &[&str],
    rows: &[Vec<String>],
    style: CsvStyle,
    numbers: bool,
) -> Result<String, AppError> {
    let delimiter = match style {
        CsvStyle::Comma => b',',
        CsvStyle::Semicolon => b';',
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(256 + rows.len() * 200));
    let internal = |e: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {e}"));
    w.write_record(header).map_err(internal)?;
    for row in rows {
        w.write_record(row.iter().map(|c| {
            if numbers && plain_number(c) {
                c.clone()
            } else {
                formula_guard(c).into_owned()
            }
        }))
        .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))?;
    Ok(match style {
        CsvStyle::Comma => text,
        CsvStyle::Semicolon => format!("\u{feff}{text}"),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
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
    "rate_date",
    "voided_at",
    "void_reason",
];

/// What an export covers: the campaigns the member may export, the filter form as asked
/// and the filter it makes (one that does not parse is 422 with its messages).
pub(super) async fn scope(
    cx: &Console,
    q: &ListQuery,
) -> Result<(Vec<Campaign>, FilterForm, Filter), AppError> {
    let all = repo::list(&cx.s.db).await?;
    let exportable = campaigns_with(&all, &cx.me, Permission::Export);
    let form = filter_form(&cx.s, q, &exportable).await?;
    let (filter, errors) = form.to_filter(&cx.r.tr, &exportable);
    if !errors.is_empty() {
        let msg: Vec<&str> = errors.0.values().map(String::as_str).collect();
        return Err(AppError::Unprocessable(msg.join(" ")));
    }
    Ok((exportable, form, filter))
}

/// Sends an export as `STEM-YYYY-MM-DD.csv`, audited (`export.downloaded`: the file, its
/// rows, the CSV style and the filter).
pub(super) async fn download(
    cx: &Console,
    stem: &str,
    rows: usize,
    style: CsvStyle,
    form: &FilterForm,
    text: String,
) -> Result<Response, AppError> {
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "export.downloaded",
        &format!("{stem}.csv"),
        &format!(
            "rows={rows} format={}{}",
            style.as_str(),
            query_string(&form.pairs()).replacen('?', " filter=", 1)
        ),
    )
    .await?;
    Ok(csv_attachment(text, stem))
}

/// `GET /admin/donations.csv`: every field of the filtered donations, for accountants.
pub async fn export(
    cx: Console,
    Query(q): Query<ListQuery>,
    Query(fq): Query<FormatQuery>,
) -> Result<Response, AppError> {
    let style = CsvStyle::choose(fq.format.as_deref(), cx.r.tr.lang);
    let (exportable, form, filter) = scope(&cx, &q).await?;
    let rows = search(&cx.s.db, &filter, 0, 0).await?;
    let voids = crate::donations::repo::voids::of_campaigns(&cx.s.db, &filter.campaign_ids).await?;
    let mut lines: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for d in &rows {
        let c = exportable.iter().find(|c| c.id == d.campaign_id);
        let cur = CurrencyCode::parse(&d.currency).ok();
        let ccur = c.map(|c| c.currency());
        let mut cells: Vec<String> = vec![
            d.id.clone(),
            c.map(|c| c.slug.to_string()).unwrap_or_default(),
            d.created_at.to_rfc3339(),
            d.received_on.map(|x| x.to_string()).unwrap_or_default(),
            cur.map(|c| style.number(&Money::new(d.amount_minor, c).major_string()))
                .unwrap_or_default(),
            d.currency.clone(),
            d.amount_minor.to_string(),
            style.number(&d.rate),
            ccur.map(|c| style.number(&Money::new(d.campaign_amount_minor, c).major_string()))
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
            d.rate_on.map(|x| x.to_string()).unwrap_or_default(),
        ];
        let void = voids.get(&d.id);
        cells.push(void.map(|v| v.created_at.to_rfc3339()).unwrap_or_default());
        cells.push(void.map(|v| v.reason.clone()).unwrap_or_default());
        lines.push(cells);
    }
    let out = csv_text(&lines, style)?;
    download(&cx, "donations", rows.len(), style, &form, out).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last line of a file with one row holding `cells` (the rest empty).
    fn line(cells: &[&str], style: CsvStyle) -> String {
        let mut row: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        row.resize(CSV_HEADER.len(), String::new());
        let text = csv_text(&[row], style).expect("csv");
        let body = text.trim_end_matches("\r\n");
        body.rsplit("\r\n").next().expect("line").to_string()
    }

    #[test]
    fn csv_cells() {
        let empty = ",".repeat(CSV_HEADER.len() - 2);
        let first = |c: &str| line(&[c, "x"], CsvStyle::Comma);
        assert_eq!(first("plain"), format!("plain,x{empty}"));
        assert_eq!(first("a,b"), format!("\"a,b\",x{empty}"));
        assert_eq!(first("say \"hi\""), format!("\"say \"\"hi\"\"\",x{empty}"));
        assert_eq!(first("two\nlines"), format!("\"two\nlines\",x{empty}"));
        assert_eq!(first("=SUM(A1)"), format!("'=SUM(A1),x{empty}"));
        assert_eq!(first("+1"), format!("'+1,x{empty}"));
        assert_eq!(first("-2"), format!("'-2,x{empty}"));
        assert_eq!(first("@cmd"), format!("'@cmd,x{empty}"));
        assert_eq!(
            first("=HYPERLINK(\"x\",\"y\")"),
            format!("\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",x{empty}")
        );
        // Semicolons: a cell with `;` is quoted, one with `,` is not.
        let semi = ";".repeat(CSV_HEADER.len() - 2);
        let row = line(&["a;b", "1,5"], CsvStyle::Semicolon);
        assert_eq!(row, format!("\"a;b\";1,5{semi}"));
    }

    #[test]
    fn only_plain_numbers_pass_the_guard_unchanged() {
        for n in ["-0.59", "-1,50", "10", "0.00"] {
            assert!(plain_number(n), "{n}");
        }
        for t in ["-", "-2+3", "-1.", "=1", "-1e5", "", "-0.5.9", "- 1"] {
            assert!(!plain_number(t), "{t}");
        }
        let row = vec!["-0.59".to_string(), "-2+3".to_string()];
        let text = csv_text_with(&["a", "b"], &[row], CsvStyle::Comma, true).expect("csv");
        assert_eq!(text, "a,b\r\n-0.59,'-2+3\r\n");
    }

    #[test]
    fn styles() {
        assert_eq!(CsvStyle::choose(None, "da"), CsvStyle::Semicolon);
        assert_eq!(CsvStyle::choose(None, "en"), CsvStyle::Comma);
        assert_eq!(CsvStyle::choose(Some("comma"), "da"), CsvStyle::Comma);
        assert_eq!(
            CsvStyle::choose(Some("semicolon"), "en"),
            CsvStyle::Semicolon
        );
        assert_eq!(CsvStyle::choose(Some("tsv"), "en"), CsvStyle::Comma);
        assert_eq!(CsvStyle::Semicolon.number("25.50"), "25,50");
        assert_eq!(CsvStyle::Comma.number("25.50"), "25.50");
        let text = csv_text(&[], CsvStyle::Semicolon).expect("csv");
        assert!(text.starts_with("\u{feff}donation_id;campaign;"));
        let text = csv_text(&[], CsvStyle::Comma).expect("csv");
        assert!(text.starts_with("donation_id,campaign,"));
    }
}
