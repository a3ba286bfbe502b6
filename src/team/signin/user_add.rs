//! `shelfraiser user add`: an active member without a password and a one-time sign-in link.

use super::MAX_NAME_CHARS;
use super::invite::roles_detail;
use crate::db::Db;
use crate::team::audit::{self, Actor};
use crate::team::links::{self, Purpose};
use crate::team::repo::{self, CreateMemberError, NewMember};
use crate::team::{Member, MemberStatus, Role};

/// What `shelfraiser user add` did.
#[derive(Debug)]
pub struct AddedMember {
    pub member: Member,
    /// False when the e-mail address belonged to a member already (roles were added).
    pub created: bool,
    /// `{base_url}/signin/link/{token}`: works once, within 24 hours.
    pub link: String,
}

/// Creates an active member without a password (or gives an existing member the roles,
/// re-activating a removed or invited one), and a one-time sign-in link. Audited as `cli`.
pub async fn add_member_with_link(
    db: &Db,
    base_url: &str,
    new: &NewMember,
    roles: &[(Role, Option<String>)],
) -> anyhow::Result<AddedMember> {
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        anyhow::bail!("--name must have 1 to {MAX_NAME_CHARS} characters");
    }
    let actor = Actor::cli();
    let (id, created) = match repo::create(db, new).await {
        Ok(m) => {
            audit::record(
                db,
                &actor,
                "member.added",
                &m.id,
                &format!("{} as {}", m.email, roles_detail(roles)),
            )
            .await?;
            (m.id, true)
        }
        Err(CreateMemberError::EmailTaken) => {
            let m = repo::by_email(db, new.email.as_str())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the member vanished"))?;
            if !m.is_active() {
                repo::set_status(db, &m.id, MemberStatus::Active).await?;
            }
            audit::record(
                db,
                &actor,
                "member.roles_added",
                &m.id,
                &format!("{} as {}", m.email, roles_detail(roles)),
            )
            .await?;
            (m.id, false)
        }
        Err(CreateMemberError::Db(e)) => return Err(e.into()),
    };
    for (role, scope) in roles {
        repo::add_grant(db, &id, *role, scope.as_deref()).await?;
    }
    let token = links::create(db, &id, Purpose::SignIn).await?;
    audit::record(db, &actor, "signin_link.created", &id, "").await?;
    let member = repo::by_id(db, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the member vanished"))?;
    Ok(AddedMember {
        member,
        created,
        link: format!("{}/signin/link/{token}", base_url.trim_end_matches('/')),
    })
}
