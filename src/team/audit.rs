//! The audit log: append-only (database triggers refuse changes), one row per privileged
//! action — who, what, when, from where.

use chrono::{DateTime, Utc};

use super::repo;
use crate::db::{Db, DbResult, Tx};

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

/// Records an action in its own statement.
pub async fn record(
    db: &Db,
    who: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> DbResult<()> {
    repo::audit::insert(db, who, action, target, detail).await
}

/// Records an action inside a transaction (with the change it describes).
pub async fn record_in(
    tx: &mut Tx,
    who: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> DbResult<()> {
    repo::audit::insert_in(tx, who, action, target, detail).await
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
    repo::audit::list(db, action, &actor, limit, offset).await
}

/// Every action name in the log, sorted (the console's filter choices).
pub async fn actions(db: &Db) -> DbResult<Vec<String>> {
    repo::audit::actions(db).await
}
