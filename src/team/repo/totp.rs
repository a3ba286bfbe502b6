//! Two-factor storage: the TOTP columns of `members` (`totp_secret`, `totp_enabled`,
//! `totp_last_step`), `recovery_codes` (stored as SHA-256), and the `settings` row that
//! requires two-factor.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::team::totp::TotpState;
use crate::{on_db, on_tx};

/// The member's two-factor state (all off for an unknown member).
pub async fn state(db: &Db, member_id: &str) -> DbResult<TotpState> {
    let row: Option<(Option<String>, bool, Option<i64>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT totp_secret, totp_enabled, totp_last_step FROM members WHERE id = $1"
    )
    .bind(member_id)
    .fetch_optional(p)
    .await?);
    let (secret, enabled, last_step) = row.unwrap_or((None, false, None));
    Ok(TotpState {
        secret,
        enabled,
        last_step,
    })
}

/// Stores `secret` unless the member has a secret already or two-factor on.
pub async fn set_secret_if_none(db: &Db, member_id: &str, secret: &str) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "UPDATE members SET totp_secret = $2 WHERE id = $1 AND totp_secret IS NULL AND totp_enabled = FALSE"
    )
    .bind(member_id)
    .bind(secret)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// Sets the last used time step to `step` if it is later than the stored one; `true` when
/// it was.
pub async fn claim_step(db: &Db, member_id: &str, step: i64) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE members SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)"
    )
    .bind(member_id)
    .bind(step)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Turns two-factor on inside `tx` if it is off and the stored secret is `secret`; `true`
/// when it did.
pub async fn enable_in(
    tx: &mut Tx,
    member_id: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE members SET totp_enabled = TRUE, updated_at = $3 WHERE id = $1 AND totp_secret = $2 AND totp_enabled = FALSE"
    )
    .bind(member_id)
    .bind(secret)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Turns two-factor off and forgets the secret, inside `tx`.
pub async fn disable_in(tx: &mut Tx, member_id: &str, now: DateTime<Utc>) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE members SET totp_enabled = FALSE, totp_secret = NULL, updated_at = $2 WHERE id = $1"
    )
    .bind(member_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Deletes every recovery code of the member inside `tx`.
pub async fn delete_recovery_codes_in(tx: &mut Tx, member_id: &str) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE member_id = $1"
    )
    .bind(member_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Stores a recovery code (its hash) inside `tx`.
pub async fn insert_recovery_code_in(
    tx: &mut Tx,
    member_id: &str,
    code_hash: &str,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO recovery_codes (member_id, code_hash) VALUES ($1, $2)"
    )
    .bind(member_id)
    .bind(code_hash)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// Marks an unused recovery code used, in the statement that checks it; `true` once per
/// code.
pub async fn use_recovery_code(
    db: &Db,
    member_id: &str,
    code_hash: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 WHERE member_id = $1 AND code_hash = $2 AND used_at IS NULL"
    )
    .bind(member_id)
    .bind(code_hash)
    .bind(now)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(db: &Db, member_id: &str) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL"
    )
    .bind(member_id)
    .fetch_one(p)
    .await?))
}
