//! Changing who may do what: adding and removing a member's grants and removing a member,
//! with the rule that the site always keeps an active site-wide owner. The check runs in
//! the same transaction as the change, with the owners' rows locked, so two owners demoting
//! each other at once cannot both succeed. Every change is audited in that transaction.

use super::audit::{self, Actor};
use super::{Member, Role, repo, session};
use crate::db::{Db, DbError};

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The change would leave the site without an active site-wide owner.
    #[error("the site's last owner cannot lose the owner role")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Adds (`add`) or removes `role` over `scope` (`None`: the whole site) for `target`,
/// auditing `member.role_added` / `member.role_removed` with `detail` when something
/// changed. True when it did.
pub async fn change(
    db: &Db,
    target: &Member,
    role: Role,
    scope: Option<&str>,
    add: bool,
    by: &Actor,
    detail: &str,
) -> Result<bool, ChangeError> {
    let mut tx = db.begin().await?;
    let owners = repo::lock_site_owners_in(&mut tx).await?;
    if !add && role == Role::Owner && scope.is_none() && owners == [target.id.as_str()] {
        return Err(ChangeError::LastOwner);
    }
    let changed = if add {
        repo::add_grant_in(&mut tx, &target.id, role, scope).await?
    } else {
        repo::remove_grant_in(&mut tx, &target.id, role, scope).await?
    };
    if changed {
        let action = if add {
            "member.role_added"
        } else {
            "member.role_removed"
        };
        audit::record_in(&mut tx, by, action, &target.email, detail).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Removes `target` (status `removed`, links and API tokens revoked, `member.removed`
/// audited; what they wrote stays, attributed to them), then ends their sessions; returns
/// how many were ended.
pub async fn remove_member(db: &Db, target: &Member, by: &Actor) -> Result<u64, ChangeError> {
    let mut tx = db.begin().await?;
    let owners = repo::lock_site_owners_in(&mut tx).await?;
    if owners == [target.id.as_str()] {
        return Err(ChangeError::LastOwner);
    }
    repo::remove_in(&mut tx, &target.id).await?;
    audit::record_in(
        &mut tx,
        by,
        "member.removed",
        &target.email,
        &format!("name={}", target.display_name),
    )
    .await?;
    tx.commit().await?;
    Ok(session::delete_all(db, &target.id).await?)
}
