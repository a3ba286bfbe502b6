//! First run: a site without team members is set up once, through a one-time link that
//! `shelfraiser serve` prints (the page is `team::signin::setup`) or with
//! `shelfraiser setup` on the server.
//!
//! * The link's token is random (256 bits); only its SHA-256 is kept, as the settings key
//!   `setup.token.<hash>`, so it works on every node and after a restart. Each start of
//!   `serve` on an empty site prints a fresh one (the earlier ones keep working until the
//!   site is set up).
//! * The page answers only while the site has no members and only with a kept token;
//!   completing it takes the token (one statement: of two posts racing, one wins) and then
//!   the `setup.claimed` row (inserted once: a second token cannot set up a second owner),
//!   and forgets every other token.
//! * `shelfraiser setup` is idempotent: on an empty site it creates the owner; run again with
//!   an owner's address it updates the identity and prints a fresh sign-in link; with anyone
//!   else's it refuses (members are added with `shelfraiser user add` or invited).

use chrono::Utc;

use super::audit::{self, Actor};
use super::links::{self, Purpose};
use super::repo::{self, NewMember};
use super::session::{hash_token, new_token};
use super::{MemberStatus, Role};
use crate::db::{Db, DbResult};
use crate::email::Email;
use crate::i18n::site::Site;

/// The settings key prefix of the kept tokens' hashes.
pub const TOKEN_PREFIX: &str = "setup.token.";
/// Inserted once, by whoever sets the site up.
pub const CLAIMED: &str = "setup.claimed";

fn key_of(token: &str) -> String {
    format!("{TOKEN_PREFIX}{}", hash_token(token))
}

/// Whether the site still waits for its setup: it has no team members.
pub async fn pending(db: &Db) -> DbResult<bool> {
    Ok(repo::count(db).await? == 0)
}

/// On a site without members, a fresh setup link (`{base}/setup?token=…`); `None` once the
/// site has members.
pub async fn issue_link(db: &Db, base_url: &str) -> DbResult<Option<String>> {
    if !pending(db).await? {
        return Ok(None);
    }
    let token = new_token();
    db.set_setting(&key_of(&token), Utc::now().timestamp())
        .await?;
    Ok(Some(format!(
        "{}/setup?token={token}",
        base_url.trim_end_matches('/')
    )))
}

/// Whether `token` is a kept setup token (and the site still waits for its setup).
pub async fn token_ok(db: &Db, token: &str) -> DbResult<bool> {
    if token.is_empty() || token.len() > 100 || !pending(db).await? {
        return Ok(false);
    }
    Ok(db.setting(&key_of(token)).await?.is_some())
}

/// Uses the token and claims the setup: true for exactly one caller.
pub async fn claim(db: &Db, token: &str) -> DbResult<bool> {
    Ok(db.take_setting(&key_of(token)).await?
        && db.add_setting(CLAIMED, Utc::now().timestamp()).await?)
}

/// Forgets every setup token (the site has its owner).
pub async fn forget_tokens(db: &Db) -> DbResult<()> {
    db.forget_settings(TOKEN_PREFIX, &[]).await
}

/// The first owner: active, a site-wide owner, with the password hash if one was chosen.
pub async fn create_owner(
    db: &Db,
    actor: &Actor,
    new: &NewMember,
    password_hash: Option<&str>,
) -> anyhow::Result<super::Member> {
    let m = repo::create(db, new).await.map_err(|e| match e {
        repo::CreateMemberError::EmailTaken => anyhow::anyhow!("the e-mail address is taken"),
        repo::CreateMemberError::Db(e) => e.into(),
    })?;
    repo::add_grant(db, &m.id, Role::Owner, None).await?;
    if let Some(h) = password_hash {
        repo::set_password_hash(db, &m.id, h).await?;
    }
    audit::record(
        db,
        actor,
        "member.added",
        &m.id,
        &format!("{} as owner (setup)", m.email),
    )
    .await?;
    repo::by_id(db, &m.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the member vanished"))
}

/// What `shelfraiser setup` was given.
#[derive(Debug, Clone)]
pub struct CliSetup {
    pub site: Site,
    pub owner_email: Email,
    pub owner_name: String,
    /// A password read from standard input (checked by the caller), hashed here.
    pub password: Option<String>,
}

/// What `shelfraiser setup` did.
#[derive(Debug)]
pub struct CliOutcome {
    /// False when the owner existed (the identity was updated).
    pub created: bool,
    /// `{base}/signin/link/{token}`: works once, within 24 hours.
    pub link: String,
}

/// `shelfraiser setup`: see the module's notes. Refuses (an error with the reason) when the
/// site has members and the address is not one of its active owners.
pub async fn cli_setup(db: &Db, base_url: &str, c: &CliSetup) -> anyhow::Result<CliOutcome> {
    let name = c.owner_name.trim();
    if name.is_empty() || name.chars().count() > super::signin::MAX_NAME_CHARS {
        anyhow::bail!(
            "--owner-name must have 1 to {} characters",
            super::signin::MAX_NAME_CHARS
        );
    }
    let actor = Actor::cli();
    let hash = match &c.password {
        Some(p) => {
            crate::passwords::validate(p).map_err(|e| anyhow::anyhow!("{e}"))?;
            Some(crate::passwords::hash_async(p).await?)
        }
        None => None,
    };
    let (member, created) = if pending(db).await? {
        db.add_setting(CLAIMED, Utc::now().timestamp()).await?;
        let new = NewMember {
            email: c.owner_email.clone(),
            display_name: name.to_string(),
            time_zone: c.site.timezone.clone(),
            languages: c.site.language.unwrap_or("en").to_string(),
            status: MemberStatus::Active,
        };
        (create_owner(db, &actor, &new, hash.as_deref()).await?, true)
    } else {
        let m = repo::by_email(db, c.owner_email.as_str())
            .await?
            .filter(|m| {
                m.is_active()
                    && m.grants
                        .iter()
                        .any(|g| g.role == Role::Owner && g.scope.is_none())
            })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "this site is set up already and {} is not one of its owners: give an \
                     owner's address to change the site's identity, or add members with \
                     `shelfraiser user add`",
                    c.owner_email.as_str()
                )
            })?;
        if let Some(h) = &hash {
            repo::set_password_hash(db, &m.id, h).await?;
        }
        (m, false)
    };
    c.site.save(db).await?;
    forget_tokens(db).await?;
    audit::record(
        db,
        &actor,
        "site.identity_changed",
        "site",
        &format!("{} (setup)", c.site.name),
    )
    .await?;
    let token = links::create(db, &member.id, Purpose::SignIn).await?;
    audit::record(db, &actor, "signin_link.created", &member.id, "").await?;
    Ok(CliOutcome {
        created,
        link: format!("{}/signin/link/{token}", base_url.trim_end_matches('/')),
    })
}
