//! Members and their grants (`members`, `grants`).

use chrono::Utc;

use crate::db::{Db, DbError, DbResult, Tx};
use crate::email::Email;
use crate::team::{Grant, Member, MemberStatus, Role};
use crate::{on_db, on_tx};

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: String,
    email: String,
    display_name: String,
    time_zone: String,
    languages: String,
    avatar_url: Option<String>,
    totp_enabled: bool,
    has_password: bool,
    status: String,
}

const MEMBER_COLUMNS: &str = "id, email, display_name, time_zone, languages, avatar_url, totp_enabled, \
    (password_hash IS NOT NULL) AS has_password, status";

async fn with_grants(db: &Db, r: MemberRow) -> DbResult<Member> {
    let status = MemberStatus::parse(&r.status)
        .ok_or_else(|| DbError::Corrupt(format!("bad member status {}", r.status)))?;
    let grants = grants(db, &r.id).await?;
    Ok(Member {
        id: r.id,
        email: r.email,
        display_name: r.display_name,
        time_zone: r.time_zone,
        languages: r.languages,
        avatar_url: r.avatar_url,
        totp_enabled: r.totp_enabled,
        has_password: r.has_password,
        status,
        grants,
    })
}

pub async fn grants(db: &Db, member_id: &str) -> DbResult<Vec<Grant>> {
    let rows: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT role, scope FROM grants WHERE member_id = $1 ORDER BY role, scope"
    )
    .bind(member_id)
    .fetch_all(p)
    .await?);
    rows.into_iter()
        .map(|(role, scope)| {
            Ok(Grant {
                role: Role::parse(&role)
                    .ok_or_else(|| DbError::Corrupt(format!("bad role {role}")))?,
                scope: (!scope.is_empty()).then_some(scope),
            })
        })
        .collect()
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1");
    let row: Option<MemberRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(p)
        .await?);
    match row {
        Some(r) => Ok(Some(with_grants(db, r).await?)),
        None => Ok(None),
    }
}

pub async fn by_email(db: &Db, email: &str) -> DbResult<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE email = $1");
    let row: Option<MemberRow> = on_db!(db, |p| sqlx::query_as(&sql)
        .bind(email.trim().to_lowercase())
        .fetch_optional(p)
        .await?);
    match row {
        Some(r) => Ok(Some(with_grants(db, r).await?)),
        None => Ok(None),
    }
}

/// Every member who has not been removed, by name.
pub async fn list(db: &Db) -> DbResult<Vec<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE status <> 'removed' ORDER BY display_name, email"
    );
    let rows: Vec<MemberRow> = on_db!(db, |p| sqlx::query_as(&sql).fetch_all(p).await?);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(with_grants(db, r).await?);
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: Email,
    pub display_name: String,
    pub time_zone: String,
    pub languages: String,
    /// [`MemberStatus::Invited`] (no password yet) or [`MemberStatus::Active`].
    pub status: MemberStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateMemberError {
    #[error("a member with that e-mail address already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates a member; e-mail addresses are unique, compared lowercased.
pub async fn create(db: &Db, m: &NewMember) -> Result<Member, CreateMemberError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let n = on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO members (id, email, display_name, time_zone, languages, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (email) DO NOTHING"
    )
    .bind(&id)
    .bind(m.email.as_str().to_lowercase())
    .bind(&m.display_name)
    .bind(&m.time_zone)
    .bind(&m.languages)
    .bind(m.status.as_str())
    .bind(now)
    .execute(p)
    .await
    .map_err(DbError::from)?
    .rows_affected()
    });
    if n == 0 {
        return Err(CreateMemberError::EmailTaken);
    }
    by_id(db, &id)
        .await?
        .ok_or_else(|| CreateMemberError::Db(DbError::Corrupt("member vanished".into())))
}

const ADD_GRANT: &str = "INSERT INTO grants (member_id, role, scope, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (member_id, role, scope) DO NOTHING";
const REMOVE_GRANT: &str = "DELETE FROM grants WHERE member_id = $1 AND role = $2 AND scope = $3";

pub async fn add_grant(db: &Db, member_id: &str, role: Role, scope: Option<&str>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(ADD_GRANT)
        .bind(member_id)
        .bind(role.as_str())
        .bind(scope.unwrap_or(""))
        .bind(Utc::now())
        .execute(p)
        .await?
        .rows_affected());
    Ok(())
}

pub async fn remove_grant(
    db: &Db,
    member_id: &str,
    role: Role,
    scope: Option<&str>,
) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(REMOVE_GRANT)
        .bind(member_id)
        .bind(role.as_str())
        .bind(scope.unwrap_or(""))
        .execute(p)
        .await?
        .rows_affected());
    Ok(())
}

/// [`add_grant`] inside `tx`; false when the member already held it.
pub async fn add_grant_in(
    tx: &mut Tx,
    member_id: &str,
    role: Role,
    scope: Option<&str>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(ADD_GRANT)
        .bind(member_id)
        .bind(role.as_str())
        .bind(scope.unwrap_or(""))
        .bind(Utc::now())
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(n > 0)
}

/// [`remove_grant`] inside `tx`; false when the member did not hold it.
pub async fn remove_grant_in(
    tx: &mut Tx,
    member_id: &str,
    role: Role,
    scope: Option<&str>,
) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(REMOVE_GRANT)
        .bind(member_id)
        .bind(role.as_str())
        .bind(scope.unwrap_or(""))
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(n > 0)
}

/// The active members holding a site-wide owner grant, locked until `tx` ends (PostgreSQL;
/// SQLite write transactions are serialised as a whole).
pub async fn lock_site_owners_in(tx: &mut Tx) -> DbResult<Vec<String>> {
    let lock = if tx.backend() == "postgres" {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT g.member_id FROM grants g JOIN members m ON m.id = g.member_id \
         WHERE g.role = 'owner' AND g.scope = '' AND m.status = 'active'{lock}"
    );
    Ok(on_tx!(tx, |c| sqlx::query_scalar::<_, String>(&sql)
        .fetch_all(&mut *c)
        .await?))
}

/// How many members there are, whatever their status (the demo seeds only an empty team).
pub async fn count(db: &Db) -> DbResult<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM members"
    )
    .fetch_one(p)
    .await?))
}

/// The stored argon2 hash, if the member has a password.
pub async fn password_hash(db: &Db, member_id: &str) -> DbResult<Option<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar::<_, Option<String>>(
        "SELECT password_hash FROM members WHERE id = $1"
    )
    .bind(member_id)
    .fetch_optional(p)
    .await?)
    .flatten())
}

/// Stores a new password hash and activates an invited member.
pub async fn set_password_hash(db: &Db, member_id: &str, hash: &str) -> DbResult<()> {
    on_db!(db, |p| {
        sqlx::query(
        "UPDATE members SET password_hash = $2, status = CASE WHEN status = 'invited' THEN 'active' ELSE status END, \
         updated_at = $3 WHERE id = $1"
    )
    .bind(member_id)
    .bind(hash)
    .bind(Utc::now())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn set_status(db: &Db, member_id: &str, status: MemberStatus) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE members SET status = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(member_id)
    .bind(status.as_str())
    .bind(Utc::now())
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Sets a member's time zone (an IANA name, checked by the caller) and languages.
pub async fn set_profile(
    db: &Db,
    member_id: &str,
    time_zone: &str,
    languages: &str,
) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE members SET time_zone = $2, languages = $3, updated_at = $4 WHERE id = $1"
    )
    .bind(member_id)
    .bind(time_zone)
    .bind(languages)
    .bind(Utc::now())
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Removes a member inside `tx`: status `removed`, their unused sign-in and invitation links
/// deleted and their API tokens revoked (what they wrote stays, attributed to them).
pub async fn remove_in(tx: &mut Tx, member_id: &str) -> DbResult<()> {
    let now = Utc::now();
    on_tx!(tx, |c| sqlx::query(
        "UPDATE members SET status = 'removed', updated_at = $2 WHERE id = $1"
    )
    .bind(member_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM login_tokens WHERE member_id = $1 AND used_at IS NULL"
    )
    .bind(member_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    on_tx!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL"
    )
    .bind(member_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(())
}

/// The member with this e-mail address, or — when there is none — a new one as the WordPress
/// importer brings in a post's author: `invited`, without a password (they choose one
/// through an invitation or a reset), time zone UTC, language `en`, role `member` site-wide.
/// Runs in the importer's transaction. Returns the member's id and whether it was created.
pub async fn ensure_imported_author_in(
    tx: &mut crate::db::Tx,
    email: &Email,
    display_name: &str,
) -> DbResult<(String, bool)> {
    let id = uuid::Uuid::new_v4().to_string();
    let email = email.as_str().to_lowercase();
    let now = Utc::now();
    let n = crate::on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO members (id, email, display_name, time_zone, languages, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'UTC', 'en', $4, $5, $5) ON CONFLICT (email) DO NOTHING"
    )
    .bind(&id)
    .bind(&email)
    .bind(display_name)
    .bind(MemberStatus::Invited.as_str())
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    if n == 1 {
        crate::on_tx!(tx, |c| sqlx::query(
            "INSERT INTO grants (member_id, role, scope, created_at) VALUES ($1, $2, '', $3) \
             ON CONFLICT (member_id, role, scope) DO NOTHING"
        )
        .bind(&id)
        .bind(Role::Member.as_str())
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected());
        return Ok((id, true));
    }
    let existing: String = crate::on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM members WHERE email = $1"
    )
    .bind(&email)
    .fetch_one(&mut *c)
    .await?);
    Ok((existing, false))
}
