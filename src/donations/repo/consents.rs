//! The `consents` table (marketing consent per address and campaign, double opt-in) and the
//! donate form's wish for news kept on the checkout session (`checkout_sessions.wants_news`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// One consent: asked when the donation was recorded, valid once confirmed and until
/// withdrawn.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Consent {
    pub id: String,
    pub email: String,
    pub campaign_id: String,
    pub source: String,
    pub lang: String,
    pub asked_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, email, campaign_id, source, lang, asked_at, confirmed_at, withdrawn_at FROM consents";

/// Notes on the checkout session that the donor ticked the box (only with an address).
pub async fn wish(db: &Db, session_id: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE checkout_sessions SET wants_news = TRUE \
         WHERE id = $1 AND donor_email IS NOT NULL"
    )
    .bind(session_id)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Inside the recording transaction: when the session's donor asked for news and has no
/// open request or valid consent for the campaign yet, a new consent row (asked, not
/// confirmed); its id.
pub async fn ask_in(tx: &mut Tx, session_id: &str, now: DateTime<Utc>) -> DbResult<Option<String>> {
    let row: Option<(bool, Option<String>, String, Option<String>)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT wants_news, donor_email, campaign_id, lang FROM checkout_sessions WHERE id = $1",
        )
        .bind(session_id)
        .fetch_optional(&mut *c)
        .await?
    });
    let Some((true, Some(email), campaign_id, lang)) = row else {
        return Ok(None);
    };
    let already: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM consents WHERE LOWER(email) = LOWER($1) AND campaign_id = $2 \
         AND withdrawn_at IS NULL"
    )
    .bind(&email)
    .bind(&campaign_id)
    .fetch_one(&mut *c)
    .await?);
    if already > 0 {
        return Ok(None);
    }
    let id = uuid::Uuid::new_v4().to_string();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO consents (id, email, campaign_id, source, lang, asked_at) \
         VALUES ($1, $2, $3, 'donate-form', $4, $5)"
    )
    .bind(&id)
    .bind(&email)
    .bind(&campaign_id)
    .bind(lang.unwrap_or_else(|| "en".into()))
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(Some(id))
}

/// What a subscription asked through the updates form found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscribed {
    /// A new consent, to be confirmed by mail: its id.
    Asked(String),
    /// An unconfirmed one, asked again (its id) — at most once per [`ASK_AGAIN_AFTER`].
    AskedAgain(String),
    /// Confirmed already, or asked moments ago: no mail.
    Nothing,
}

/// A pending consent's confirmation mail goes again at most this often.
pub const ASK_AGAIN_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// The updates form (`source` `updates-form`): a consent for the address and campaign unless
/// one is confirmed and not withdrawn; an unconfirmed one is asked again (its `asked_at`
/// moved on) when the last ask is older than [`ASK_AGAIN_AFTER`].
pub async fn subscribe_in(
    tx: &mut Tx,
    campaign_id: &str,
    email: &str,
    lang: &str,
    now: DateTime<Utc>,
) -> DbResult<Subscribed> {
    let open: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT id, asked_at, confirmed_at FROM consents WHERE LOWER(email) = LOWER($1) \
             AND campaign_id = $2 AND withdrawn_at IS NULL ORDER BY asked_at DESC LIMIT 1",
        )
        .bind(email)
        .bind(campaign_id)
        .fetch_optional(&mut *c)
        .await?
    });
    match open {
        Some((_, _, Some(_))) => Ok(Subscribed::Nothing),
        Some((id, asked, None)) => {
            if asked > now - ASK_AGAIN_AFTER {
                return Ok(Subscribed::Nothing);
            }
            on_tx!(tx, |c| sqlx::query(
                "UPDATE consents SET asked_at = $2 WHERE id = $1"
            )
            .bind(&id)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected());
            Ok(Subscribed::AskedAgain(id))
        }
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            on_tx!(tx, |c| sqlx::query(
                "INSERT INTO consents (id, email, campaign_id, source, lang, asked_at) \
                 VALUES ($1, $2, $3, 'updates-form', $4, $5)"
            )
            .bind(&id)
            .bind(email)
            .bind(campaign_id)
            .bind(lang)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected());
            Ok(Subscribed::Asked(id))
        }
    }
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Consent>> {
    let sql = format!("SELECT {COLUMNS} WHERE id = $1");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// Confirms an asked, not withdrawn consent; whether it changed.
pub async fn confirm(db: &Db, id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE consents SET confirmed_at = $2 \
         WHERE id = $1 AND confirmed_at IS NULL AND withdrawn_at IS NULL"
    )
    .bind(id)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Withdraws a consent (asked or confirmed); whether it changed.
pub async fn withdraw(db: &Db, id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE consents SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL"
    )
    .bind(id)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Every consent of the address, oldest first.
pub async fn of_email(db: &Db, email: &str) -> DbResult<Vec<Consent>> {
    let sql = format!("SELECT {COLUMNS} WHERE LOWER(email) = LOWER($1) ORDER BY asked_at, id");
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(email)
        .fetch_all(p)
        .await?))
}

/// The confirmed, not withdrawn consents of one campaign, oldest first.
pub async fn confirmed_for(db: &Db, campaign_id: &str) -> DbResult<Vec<Consent>> {
    let sql = format!(
        "SELECT {COLUMNS} WHERE campaign_id = $1 AND confirmed_at IS NOT NULL \
         AND withdrawn_at IS NULL ORDER BY confirmed_at, id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(&sql)
        .bind(campaign_id)
        .fetch_all(p)
        .await?))
}

/// Erasure: the address's consents are withdrawn and their address replaced by `pseudonym`.
pub async fn erase_in(
    tx: &mut Tx,
    email: &str,
    pseudonym: &str,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    Ok(on_tx!(tx, |c| sqlx::query(
        "UPDATE consents SET email = $2, withdrawn_at = COALESCE(withdrawn_at, $3) \
         WHERE LOWER(email) = LOWER($1)"
    )
    .bind(email)
    .bind(pseudonym)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()))
}
