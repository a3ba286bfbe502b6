//! The team: members, roles scoped to the site or one campaign, sessions, sign-in, two-factor,
//! API tokens and the audit log.
//!
//! Authorization is checked on the server for every route: `app::authz` holds the rule for
//! each route (public, or a [`Permission`]) and refuses routes that have none.

pub mod account;
pub mod api;
pub mod audit;
pub mod grants;
pub mod links;
pub mod mailers;
pub mod passkeys;
pub mod profile;
pub mod repo;
pub mod revocation;
pub mod session;
pub mod setup;
pub mod signin;
pub mod throttle;
pub mod tokens;
pub mod totp;

use std::fmt;

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::http::AppState;

/// The team's routes (sign-in, account, two-factor, tokens). Each route also needs its rule
/// in `app::authz::RULES`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(account::routes())
        .merge(profile::routes())
        .merge(totp::routes())
        .merge(api::routes())
        .merge(signin::routes())
        .merge(passkeys::routes())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including members and settings.
    Owner,
    /// Campaign story, posts, moderation.
    Editor,
    /// Donations, offline entries, refunds, rates, exports.
    Treasurer,
    /// Reads the console and writes posts of their own for review (as a contributor: drafts,
    /// "Submit for review"; an editor publishes).
    Member,
}

pub const ALL_ROLES: [Role; 4] = [Role::Owner, Role::Editor, Role::Treasurer, Role::Member];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Treasurer => "treasurer",
            Role::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        ALL_ROLES.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a member stands (`members.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// Invited: has not chosen a password (accepted the invitation) yet.
    Invited,
    /// May sign in and act with their roles.
    Active,
    /// Removed by an owner: cannot sign in; what they wrote stays.
    Removed,
}

pub const ALL_MEMBER_STATUSES: [MemberStatus; 3] = [
    MemberStatus::Invited,
    MemberStatus::Active,
    MemberStatus::Removed,
];

impl MemberStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Invited => "invited",
            MemberStatus::Active => "active",
            MemberStatus::Removed => "removed",
        }
    }
    pub fn parse(s: &str) -> Option<MemberStatus> {
        ALL_MEMBER_STATUSES.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the console (dashboard, lists without donor contact details).
    ConsoleRead,
    /// Edit a campaign's story, goal, dates, milestones, currencies, cover and state.
    CampaignEdit,
    /// Create campaigns (owners: a campaign is a new cause to raise money for).
    CampaignCreate,
    /// Write, publish and schedule any post or update (on the campaign, or the site).
    PostsWrite,
    /// Write drafts of one's own and submit them for review (status `pending`); never
    /// publish, schedule, or edit another's post or one that is no longer a draft
    /// (`blog::write::access` holds the rules).
    WriteOwnDrafts,
    /// Moderate comments.
    Moderate,
    /// Hide or show a donor's name or message on the public donor wall; approve held
    /// messages (the donation and its amount stay).
    WallModerate,
    /// See donations with donor details.
    DonationsRead,
    /// Enter offline donations, refund, adjust; import rates.
    DonationsWrite,
    /// Download exports.
    Export,
    /// Invite, change roles, remove members; require two-factor.
    MembersManage,
    /// Site settings.
    SettingsManage,
    /// Read the audit log.
    AuditRead,
}

impl Role {
    /// The permissions a role grants.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Editor => matches!(
                p,
                ConsoleRead | CampaignEdit | PostsWrite | WriteOwnDrafts | Moderate | WallModerate
            ),
            Role::Treasurer => matches!(
                p,
                ConsoleRead | DonationsRead | DonationsWrite | Export | WallModerate
            ),
            Role::Member => matches!(p, ConsoleRead | WriteOwnDrafts),
        }
    }
}

/// A role held over the whole site (`scope: None`) or one campaign (`Some(campaign id)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    pub role: Role,
    pub scope: Option<String>,
}

/// A team member as stored (no secrets).
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub time_zone: String,
    pub languages: String,
    pub avatar_url: Option<String>,
    pub totp_enabled: bool,
    pub has_password: bool,
    pub status: MemberStatus,
    pub grants: Vec<Grant>,
}

impl Member {
    /// Whether the member may do `p`, on the whole site (`campaign: None`) or on one campaign.
    /// A site-wide grant covers every campaign; a campaign grant covers only that campaign.
    pub fn can(&self, p: Permission, campaign: Option<&str>) -> bool {
        self.is_active()
            && self.grants.iter().any(|g| {
                g.role.allows(p)
                    && match (&g.scope, campaign) {
                        (None, _) => true,
                        (Some(s), Some(c)) => s == c,
                        (Some(_), None) => false,
                    }
            })
    }

    /// Whether the member may do `p` anywhere (on the site or on at least one campaign);
    /// for showing console sections.
    pub fn can_somewhere(&self, p: Permission) -> bool {
        self.is_active() && self.grants.iter().any(|g| g.role.allows(p))
    }

    /// Whether the member may sign in (not invited, not removed).
    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }

    pub fn has_role(&self, r: Role) -> bool {
        self.grants.iter().any(|g| g.role == r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(grants: Vec<Grant>) -> Member {
        Member {
            id: "m".into(),
            email: "a@b.org".into(),
            display_name: "A".into(),
            time_zone: "UTC".into(),
            languages: "en".into(),
            avatar_url: None,
            totp_enabled: false,
            has_password: true,
            status: MemberStatus::Active,
            grants,
        }
    }

    #[test]
    fn scopes() {
        let site_editor = member(vec![Grant {
            role: Role::Editor,
            scope: None,
        }]);
        assert!(site_editor.can(Permission::CampaignEdit, Some("c1")));
        assert!(site_editor.can(Permission::CampaignEdit, None));
        assert!(!site_editor.can(Permission::DonationsRead, Some("c1")));
        let c1_treasurer = member(vec![Grant {
            role: Role::Treasurer,
            scope: Some("c1".into()),
        }]);
        assert!(c1_treasurer.can(Permission::DonationsRead, Some("c1")));
        assert!(!c1_treasurer.can(Permission::DonationsRead, Some("c2")));
        assert!(!c1_treasurer.can(Permission::DonationsRead, None));
        assert!(c1_treasurer.can_somewhere(Permission::DonationsRead));
        let mut removed = member(vec![Grant {
            role: Role::Owner,
            scope: None,
        }]);
        removed.status = MemberStatus::Removed;
        assert!(!removed.can(Permission::ConsoleRead, None));
    }

    #[test]
    fn members_write_own_drafts_and_editors_publish() {
        use Permission::*;
        assert!(Role::Member.allows(WriteOwnDrafts) && !Role::Member.allows(PostsWrite));
        assert!(Role::Editor.allows(WriteOwnDrafts) && Role::Editor.allows(PostsWrite));
        assert!(Role::Owner.allows(WriteOwnDrafts));
        assert!(!Role::Treasurer.allows(WriteOwnDrafts));
    }

    #[test]
    fn editors_and_treasurers_moderate_the_donor_wall() {
        for role in ALL_ROLES {
            assert_eq!(
                role.allows(Permission::WallModerate),
                role != Role::Member,
                "{role}"
            );
            // The donation page opens for wall moderators; whoever reads donations is one.
            if role.allows(Permission::DonationsRead) {
                assert!(role.allows(Permission::WallModerate), "{role}");
            }
        }
    }
}
