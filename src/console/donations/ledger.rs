//! The ledger in the console: each campaign's gross raised, processor fees and net on the
//! donations page ([`gross_net_lines`]), and the export of every ledger entry for
//! accountants (`GET /admin/ledger.csv`, the `Export` permission like `/admin/donations.csv`,
//! with the same campaign and date filter and the same writer and formula guard).
//!
//! Columns: seq, time (UTC), campaign, donation id, kind (`donation`, `refund`,
//! `adjustment`, `fee`), amount in the campaign currency (a decimal with the currency's
//! exponent; negative for money out), campaign currency, the original amount, currency and
//! rate where known (a donation's: what the donor paid and the locked rate; a fee's: the fee
//! as the provider took it and the rate it was converted at), memo.

use axum::extract::Query;
use axum::response::Response;
use chrono::SecondsFormat;

use crate::campaigns::{Campaign, repo};
use crate::console::Console;
use crate::donations::fees;
use crate::http::AppError;
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};

use super::export::{CsvStyle, FormatQuery, csv_text_with, download, scope};
use super::list::ListQuery;

/// One campaign's line of the gross / fees / net table.
pub struct GrossNetLine {
    pub campaign: String,
    pub gross: String,
    pub fees: String,
    pub net: String,
}

/// Gross raised (the ledger's total, as the public page shows it), the fee entries' sum and
/// what is left, for each campaign in `ids` (in the order of `campaigns`).
pub async fn gross_net_lines(
    db: &crate::db::Db,
    tr: &I18n,
    campaigns: &[Campaign],
    ids: &[String],
) -> Result<Vec<GrossNetLine>, AppError> {
    let mut out = Vec::new();
    for c in campaigns.iter().filter(|c| ids.contains(&c.id)) {
        let t = repo::totals(db, &c.id).await?;
        let g = fees::gross_net(db, &c.id, Money::new(t.raised_minor, c.currency())).await?;
        out.push(GrossNetLine {
            campaign: c.title.clone(),
            gross: tr.money(g.gross),
            fees: tr.money(g.fees),
            net: tr.money(g.net),
        });
    }
    Ok(out)
}

pub const LEDGER_CSV_HEADER: &[&str] = &[
    "seq",
    "created_at_utc",
    "campaign",
    "donation_id",
    "kind",
    "amount",
    "currency",
    "original_amount",
    "original_currency",
    "rate",
    "memo",
];

/// `minor` in `currency` as a decimal string with the currency's exponent (`-0.59`).
fn decimal(minor: i64, currency: CurrencyCode) -> String {
    Money::new(minor, currency).major_string()
}

/// `GET /admin/ledger.csv`: every ledger entry of the filtered campaigns and dates.
pub async fn export_ledger(
    cx: Console,
    Query(q): Query<ListQuery>,
    Query(fq): Query<FormatQuery>,
) -> Result<Response, AppError> {
    let style = CsvStyle::choose(fq.format.as_deref(), cx.r.tr.lang);
    let (exportable, form, filter) = scope(&cx, &q).await?;
    let rows = fees::entries(&cx.s.db, &filter.campaign_ids, filter.from, filter.until).await?;
    let mut lines: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = exportable.iter().find(|c| c.id == r.campaign_id);
        let ccur = c.map(|c| c.currency());
        let ocur = r
            .original_currency
            .as_deref()
            .and_then(|x| CurrencyCode::parse(x).ok());
        lines.push(vec![
            r.seq.to_string(),
            r.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            c.map(|c| c.slug.to_string()).unwrap_or_default(),
            r.donation_id.clone().unwrap_or_default(),
            r.kind.clone(),
            ccur.map(|cur| style.number(&decimal(r.amount_minor, cur)))
                .unwrap_or_default(),
            ccur.map(|c| c.to_string()).unwrap_or_default(),
            match (r.original_amount_minor, ocur) {
                (Some(m), Some(cur)) => style.number(&decimal(m, cur)),
                _ => String::new(),
            },
            ocur.map(|c| c.to_string()).unwrap_or_default(),
            r.rate
                .as_deref()
                .map(|x| style.number(x))
                .unwrap_or_default(),
            r.memo.clone().unwrap_or_default(),
        ]);
    }
    let out = csv_text_with(LEDGER_CSV_HEADER, &lines, style, true)?;
    download(&cx, "ledger", rows.len(), style, &form, out).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_the_currencys_exponent_and_sign() {
        let gbp = CurrencyCode::parse("GBP").expect("gbp");
        let jpy = CurrencyCode::parse("JPY").expect("jpy");
        let kwd = CurrencyCode::parse("KWD").expect("kwd");
        assert_eq!(decimal(-59, gbp), "-0.59");
        assert_eq!(decimal(1000, gbp), "10.00");
        assert_eq!(decimal(-100, jpy), "-100");
        assert_eq!(decimal(1500, kwd), "1.500");
    }
}
