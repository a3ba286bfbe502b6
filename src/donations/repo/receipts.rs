//! The `receipts` table: one row per donation, its number per campaign (1, 2, 3, … with no
//! gaps), and the donor's page language kept on the checkout session.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// Gives the donation the next receipt number of its campaign, inside the transaction that
/// records it. Concurrent donations to one campaign are already serialised by then (the
/// ledger has updated the campaign's totals row in this transaction: PostgreSQL holds its
/// row lock until commit, SQLite writes one transaction at a time), so the `MAX` read here
/// sees every earlier number, and a rolled-back donation takes its number back with it.
pub async fn assign_in(
    tx: &mut Tx,
    donation_id: &str,
    campaign_id: &str,
    now: DateTime<Utc>,
) -> DbResult<i64> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar::<_, i64>(
        "INSERT INTO receipts (donation_id, campaign_id, number, created_at) \
         SELECT $1, $2, COALESCE(MAX(number), 0) + 1, $3 FROM receipts WHERE campaign_id = $2 \
         RETURNING number"
    )
    .bind(donation_id)
    .bind(campaign_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await?))
}

/// The donation's receipt number, if it has one.
pub async fn number_of(db: &Db, donation_id: &str) -> DbResult<Option<i64>> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT number FROM receipts WHERE donation_id = $1"
    )
    .bind(donation_id)
    .fetch_optional(p)
    .await?))
}

/// Keeps the donor's page language on their checkout session (the receipt is written in it).
pub async fn set_session_lang(db: &Db, session_id: &str, lang: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE checkout_sessions SET lang = $2 WHERE id = $1"
    )
    .bind(session_id)
    .bind(lang)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// The language of a receipt that has no checkout to take it from (an offline gift: the
/// recording treasurer's; a monthly renewal: the gift's), inside the recording transaction.
pub async fn set_lang_in(tx: &mut Tx, donation_id: &str, lang: &str) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE receipts SET lang = $2 WHERE donation_id = $1"
    )
    .bind(donation_id)
    .bind(lang)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The receipt's language: the one kept on the receipt, else the page language of the
/// checkout that paid for the donation (`None`: neither, e.g. a gift from before languages
/// were kept).
pub async fn lang_of(db: &Db, donation_id: &str) -> DbResult<Option<String>> {
    let l: Option<Option<String>> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COALESCE((SELECT r.lang FROM receipts r WHERE r.donation_id = $1), \
         (SELECT s.lang FROM checkout_sessions s WHERE s.donation_id = $1 \
          ORDER BY s.created_at LIMIT 1))"
    )
    .bind(donation_id)
    .fetch_optional(p)
    .await?);
    Ok(l.flatten())
}
