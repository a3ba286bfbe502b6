//! The audit log: append-only (database triggers refuse changes), one row per privileged
//! action — who, what, when, from where.

use chrono::{DateTime, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

/// Who did it and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub member_id: Option<String>,
    /// A readable label: the member's e-mail, `cli`, `system`, or the e-mail tried.
    pub label: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor {
            label: "cli".into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const INSERT: &str = "INSERT INTO audit_log (at, actor_id, actor, action, target, detail, ip, user_agent) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The [`INSERT`] statement with its values bound, for either backend.
macro_rules! insert {
    ($who:expr, $action:expr, $target:expr, $detail:expr) => {
        sqlx::query(INSERT)
            .bind(Utc::now())
            .bind(&$who.member_id)
            .bind(&$who.label)
            .bind($action)
            .bind($target)
            .bind($detail)
            .bind(&$who.ip)
            .bind(&$who.user_agent)
    };
}

/// Records an action in its own statement.
pub async fn record(
    db: &Db,
    who: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> DbResult<()> {
    on_db!(db, |p| insert!(who, action, target, detail)
        .execute(p)
        .await?
        .rows_affected());
    Ok(())
}

/// Records an action inside a transaction (with the change it describes).
pub async fn record_in(
    tx: &mut Tx,
    who: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> DbResult<()> {
    on_tx!(tx, |c| insert!(who, action, target, detail)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// Newest first; `action` filters by exact action name, `actor` by a substring of the label.
pub async fn list(
    db: &Db,
    action: Option<&str>,
    actor: Option<&str>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Entry>> {
    let action = action.filter(|a| !a.is_empty()).unwrap_or("");
    let actor = actor
        .filter(|a| !a.is_empty())
        .map(|a| format!("%{}%", a.to_lowercase()))
        .unwrap_or_default();
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT seq, at, actor_id, actor, action, target, detail, ip, user_agent FROM audit_log \
         WHERE ($1 = '' OR action = $1) AND ($2 = '' OR LOWER(actor) LIKE $2) \
         ORDER BY seq DESC LIMIT $3 OFFSET $4"
    )
    .bind(action)
    .bind(&actor)
    .bind(limit)
    .bind(offset)
    .fetch_all(p)
    .await?))
}

/// Every action name in the log, sorted (the console's filter choices).
pub async fn actions(db: &Db) -> DbResult<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_log ORDER BY action"
    )
    .fetch_all(p)
    .await?))
}
