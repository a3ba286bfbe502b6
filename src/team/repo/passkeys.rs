//! Stored passkeys (`passkeys`) and the state of unfinished ceremonies
//! (`passkey_challenges`).

use chrono::{DateTime, Utc};
use webauthn_rs::prelude::Passkey;

use crate::db::{Db, DbResult};
use crate::on_db;
use crate::team::passkeys::{CHALLENGE_LIFETIME, b64};
use crate::team::session;

/// A stored passkey, for the account page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The member's passkeys, oldest first.
pub async fn list(db: &Db, member_id: &str) -> DbResult<Vec<StoredPasskey>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "SELECT id, label, created_at, last_used_at FROM passkeys \
             WHERE member_id = $1 ORDER BY created_at, id",
        )
        .bind(member_id)
        .fetch_all(p)
        .await?
    }))
}

/// The member's passkeys as WebAuthn credentials (unreadable rows are skipped and logged).
pub(in crate::team) async fn credentials(db: &Db, member_id: &str) -> DbResult<Vec<Passkey>> {
    let rows: Vec<(String,)> = on_db!(db, |p| {
        sqlx::query_as("SELECT passkey_json FROM passkeys WHERE member_id = $1")
            .bind(member_id)
            .fetch_all(p)
            .await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(j,)| match serde_json::from_str(&j) {
            Ok(pk) => Some(pk),
            Err(e) => {
                tracing::error!(error = %e, "unreadable stored passkey");
                None
            }
        })
        .collect())
}

/// Stores a new passkey; `None` when its credential is registered already.
pub(in crate::team) async fn insert(
    db: &Db,
    member_id: &str,
    pk: &Passkey,
    label: &str,
) -> DbResult<Option<String>> {
    let id = uuid::Uuid::new_v4().to_string();
    let json = serde_json::to_string(pk).map_err(|e| crate::db::DbError::Corrupt(e.to_string()))?;
    let n = on_db!(db, |p| {
        sqlx::query(
            "INSERT INTO passkeys (id, member_id, credential_id, passkey_json, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(&id)
        .bind(member_id)
        .bind(b64(pk.cred_id().as_ref()))
        .bind(&json)
        .bind(label)
        .bind(Utc::now())
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok((n == 1).then_some(id))
}

pub(in crate::team) struct Found {
    pub(in crate::team) id: String,
    pub(in crate::team) member_id: String,
    pub(in crate::team) label: String,
    pub(in crate::team) passkey_json: String,
}

pub(in crate::team) async fn by_credential(
    db: &Db,
    credential_id: &str,
) -> DbResult<Option<Found>> {
    let row: Option<(String, String, String, String)> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT id, member_id, label, passkey_json FROM passkeys WHERE credential_id = $1",
        )
        .bind(credential_id)
        .fetch_optional(p)
        .await?
    });
    Ok(row.map(|(id, member_id, label, passkey_json)| Found {
        id,
        member_id,
        label,
        passkey_json,
    }))
}

/// Notes a use (and the authenticator's new counter, when it changed).
pub(in crate::team) async fn mark_used(
    db: &Db,
    id: &str,
    updated_json: Option<&str>,
) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
            "UPDATE passkeys SET last_used_at = $2, passkey_json = COALESCE($3, passkey_json) \
             WHERE id = $1",
        )
        .bind(id)
        .bind(Utc::now())
        .bind(updated_json)
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Deletes one of the member's passkeys; its label, or `None` when the member has no such
/// passkey.
pub async fn delete_own(db: &Db, member_id: &str, id: &str) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND member_id = $2 RETURNING label")
            .bind(id)
            .bind(member_id)
            .fetch_optional(p)
            .await?
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::team) enum Ceremony {
    Register,
    SignIn,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Ceremony::Register => "register",
            Ceremony::SignIn => "signin",
        }
    }
}

/// Keeps a ceremony's state; returns the handle the browser sends back (only its hash is
/// stored). Expired challenges are forgotten on the way.
pub(in crate::team) async fn put_challenge(
    db: &Db,
    member_id: Option<&str>,
    kind: Ceremony,
    state_json: &str,
) -> DbResult<String> {
    let handle = session::new_token();
    let now = Utc::now();
    on_db!(db, |p| {
        sqlx::query("DELETE FROM passkey_challenges WHERE expires_at <= $1")
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
    });
    on_db!(db, |p| {
        sqlx::query(
            "INSERT INTO passkey_challenges (id, member_id, kind, state_json, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session::hash_token(&handle))
        .bind(member_id)
        .bind(kind.as_str())
        .bind(state_json)
        .bind(now)
        .bind(now + CHALLENGE_LIFETIME)
        .execute(p)
        .await?
        .rows_affected()
    });
    Ok(handle)
}

/// Takes (once) a live challenge of this kind: its member and state.
pub(in crate::team) async fn take_challenge(
    db: &Db,
    handle: &str,
    kind: Ceremony,
) -> DbResult<Option<(Option<String>, String)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "DELETE FROM passkey_challenges WHERE id = $1 AND kind = $2 AND expires_at > $3 \
             RETURNING member_id, state_json",
        )
        .bind(session::hash_token(handle))
        .bind(kind.as_str())
        .bind(Utc::now())
        .fetch_optional(p)
        .await?
    }))
}
