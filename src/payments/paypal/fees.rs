//! PayPal's fees and its own record of transactions: the capture's
//! `seller_receivable_breakdown.paypal_fee` (`GET /v2/payments/captures/{id}`) and the
//! transaction search of the reporting API (`GET /v1/reporting/transactions`, one page of
//! [`PAGE_SIZE`] after another), read by `shelfraiser_formats::fees`.

use chrono::{DateTime, SecondsFormat, Utc};
use shelfraiser_formats::fees::{self as format, FeeError};

use super::{PaypalProvider, ProviderError, ProviderFee, ProviderTxn, failed, valid_order_id};

/// Transactions asked for per page (PayPal allows up to 500).
pub const PAGE_SIZE: usize = 100;
/// Pages read at most (a month of a busy campaign is far below it).
const MAX_PAGES: i64 = 1_000;

fn unreadable(what: &str, e: FeeError) -> ProviderError {
    match e {
        FeeError::NotYet => ProviderError::Unavailable(format!("{what}: not settled yet")),
        FeeError::Malformed(m) => ProviderError::Unavailable(format!("{what}: {m}")),
    }
}

/// The fee PayPal took on the capture `capture_id`.
pub(super) async fn capture_fee(
    p: &PaypalProvider,
    capture_id: &str,
) -> Result<Option<ProviderFee>, ProviderError> {
    if !valid_order_id(capture_id) {
        return Err(ProviderError::Malformed("not a capture id".into()));
    }
    let a = p
        .api
        .get(&format!("/v2/payments/captures/{capture_id}"))
        .await?;
    if !a.status.is_success() {
        return Err(failed("capture", &a));
    }
    format::paypal_capture_fee(&a.body)
        .map(Some)
        .map_err(|e| unreadable("capture", e))
}

/// Every transaction PayPal lists in `[from, to)` (PayPal takes at most 31 days a call:
/// longer periods are asked for in pieces).
pub(super) async fn transactions(
    p: &PaypalProvider,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ProviderTxn>, ProviderError> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + chrono::Duration::days(31)).min(to);
        let mut page = 1;
        loop {
            let path = format!(
                "/v1/reporting/transactions?start_date={}&end_date={}&fields=all&page_size={PAGE_SIZE}&page={page}",
                enc(start),
                enc(end)
            );
            let a = p.api.get(&path).await?;
            if !a.status.is_success() {
                return Err(failed("transactions", &a));
            }
            let (txns, pages) = format::paypal_transactions_page(&a.body)
                .map_err(|e| unreadable("transactions", e))?;
            out.extend(txns);
            if page >= pages.min(MAX_PAGES) {
                break;
            }
            page += 1;
        }
        start = end;
    }
    Ok(out)
}

/// An instant as PayPal takes it in a query (`2026-01-02T00:00:00Z`, `:` percent-encoded).
fn enc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
        .replace(':', "%3A")
}
