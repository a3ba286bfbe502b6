//! A member's stored two-factor state: the secret, whether it is on, the last used time
//! step (so each code works once), and turning it on and off.

use chrono::Utc;

use super::DIGITS;
use super::code::{matching_step, new_secret};
use super::recovery::{replace_recovery_codes, use_recovery_code};
use crate::db::{Db, DbResult};
use crate::team::audit::{self, Actor};
use crate::team::repo;

/// A member's two-factor state.
#[derive(Debug, Clone)]
pub struct TotpState {
    pub secret: Option<String>,
    pub enabled: bool,
    pub last_step: Option<i64>,
}

pub async fn state(db: &Db, member_id: &str) -> DbResult<TotpState> {
    repo::totp::state(db, member_id).await
}

/// The secret being set up (not yet enabled), creating one when there is none. Two nodes
/// racing store one secret; both read it back.
pub(super) async fn setup_secret(db: &Db, member_id: &str) -> DbResult<Option<String>> {
    repo::totp::set_secret_if_none(db, member_id, &new_secret()).await?;
    Ok(state(db, member_id).await?.secret)
}

/// Takes time step `step` for the member: `true` if it is later than every step used before
/// (the code is fresh), `false` for a replay.
async fn claim_step(db: &Db, member_id: &str, step: u64) -> DbResult<bool> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    repo::totp::claim_step(db, member_id, step).await
}

/// What a typed second-factor code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// A fresh, right TOTP code.
    Totp,
    /// An unused recovery code (now used).
    Recovery,
    /// A right TOTP code that was already used.
    Replayed,
    Wrong,
}

fn now_unix() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Checks a TOTP code against `secret` and takes its step (replay-safe).
pub(super) async fn check_totp(
    db: &Db,
    member_id: &str,
    secret: &str,
    code: &str,
) -> DbResult<CodeCheck> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    match matching_step(secret, &code, now_unix()) {
        None => Ok(CodeCheck::Wrong),
        Some(step) if claim_step(db, member_id, step).await? => Ok(CodeCheck::Totp),
        Some(_) => Ok(CodeCheck::Replayed),
    }
}

/// Checks what a member typed at the second step: a TOTP code (6 digits) or a recovery code.
/// Only for members with two-factor enabled.
pub async fn verify(db: &Db, member_id: &str, input: &str) -> DbResult<CodeCheck> {
    let st = state(db, member_id).await?;
    let (true, Some(secret)) = (st.enabled, st.secret) else {
        return Ok(CodeCheck::Wrong);
    };
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
        return check_totp(db, member_id, &secret, &compact).await;
    }
    if use_recovery_code(db, member_id, &compact).await? {
        Ok(CodeCheck::Recovery)
    } else {
        Ok(CodeCheck::Wrong)
    }
}

/// Turns two-factor on (the secret must be the one confirmed), issues recovery codes and
/// records `2fa.enabled`; `None` when it was already on or the secret changed meanwhile.
pub(super) async fn enable_with(
    db: &Db,
    member_id: &str,
    secret: &str,
    by: &Actor,
) -> DbResult<Option<Vec<String>>> {
    let mut tx = db.begin().await?;
    if !repo::totp::enable_in(&mut tx, member_id, secret, Utc::now()).await? {
        return Ok(None);
    }
    let codes = replace_recovery_codes(&mut tx, member_id).await?;
    audit::record_in(&mut tx, by, "2fa.enabled", member_id, "").await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Turns two-factor off: forgets the secret and the recovery codes; records `2fa.disabled`.
pub(super) async fn disable_with(db: &Db, member_id: &str, by: &Actor) -> DbResult<()> {
    let mut tx = db.begin().await?;
    repo::totp::disable_in(&mut tx, member_id, Utc::now()).await?;
    repo::totp::delete_recovery_codes_in(&mut tx, member_id).await?;
    audit::record_in(&mut tx, by, "2fa.disabled", member_id, "").await?;
    tx.commit().await
}

/// Issues new recovery codes (the old ones stop working); records
/// `recovery_codes.regenerated`.
pub(super) async fn regenerate_with(db: &Db, member_id: &str, by: &Actor) -> DbResult<Vec<String>> {
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, member_id).await?;
    audit::record_in(&mut tx, by, "recovery_codes.regenerated", member_id, "").await?;
    tx.commit().await?;
    Ok(codes)
}
