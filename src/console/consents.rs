//! `GET /admin/consents.csv`: the confirmed, not withdrawn news consents of every campaign
//! the member may export (`Export`), for whoever sends the campaign's news. Each cell passes
//! the donations export's formula guard; the download is audited.

use axum::extract::Query;
use axum::response::Response;

use crate::console::Console;
use crate::console::donations::{CsvStyle, csv_attachment, formula_guard};
use crate::donations::consents;
use crate::http::AppError;
use crate::team::{Permission, audit};

pub const HEADER: &[&str] = &["campaign", "email", "source", "asked_at", "confirmed_at"];

#[derive(Debug, Default, serde::Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

pub async fn export(cx: Console, Query(q): Query<FormatQuery>) -> Result<Response, AppError> {
    let style = CsvStyle::choose(q.format.as_deref(), cx.r.tr.lang);
    let all = crate::campaigns::repo::list(&cx.s.db).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for c in all
        .iter()
        .filter(|c| cx.me.member.can(Permission::Export, Some(&c.id)))
    {
        for k in consents::confirmed_for(&cx.s.db, &c.id).await? {
            rows.push(vec![
                c.slug.to_string(),
                k.email,
                k.source,
                k.asked_at.to_rfc3339(),
                k.confirmed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ]);
        }
    }
    let delimiter = match style {
        CsvStyle::Comma => b',',
        CsvStyle::Semicolon => b';',
    };
    let internal = |e: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {e}"));
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(HEADER).map_err(internal)?;
    for r in &rows {
        w.write_record(r.iter().map(|c| formula_guard(c).into_owned()))
            .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))?;
    let text = match style {
        CsvStyle::Comma => text,
        CsvStyle::Semicolon => format!("\u{feff}{text}"),
    };
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "export.downloaded",
        "consents.csv",
        &format!("rows={} format={}", rows.len(), style.as_str()),
    )
    .await?;
    Ok(csv_attachment(text, "consents"))
}
