//! The site setting that makes two-factor mandatory for owners and treasurers.

use axum::response::{IntoResponse, Redirect, Response};

use super::REQUIRE_SETTING;
use crate::db::{Db, DbResult};
use crate::team::audit::{self, Actor};
use crate::team::{Member, Role};

/// Whether the site requires two-factor for owners and treasurers. Fails closed: when the
/// setting cannot be read it counts as required.
pub async fn require_2fa(db: &Db) -> bool {
    match db.setting_as::<bool>(REQUIRE_SETTING).await {
        Ok(v) => v == Some(true),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the require_2fa setting; treating it as on");
            true
        }
    }
}

/// Turns the requirement on or off and records `settings.require_2fa` (detail `on`/`off`).
pub async fn set_require_2fa(db: &Db, on: bool, by: &Actor) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.set_setting(REQUIRE_SETTING, on).await?;
    audit::record_in(
        &mut tx,
        by,
        "settings.require_2fa",
        REQUIRE_SETTING,
        if on { "on" } else { "off" },
    )
    .await?;
    tx.commit().await
}

/// Whether the requirement (when on) applies to this member's roles.
pub fn role_requires_2fa(m: &Member) -> bool {
    m.has_role(Role::Owner) || m.has_role(Role::Treasurer)
}

/// Whether the member must set up two-factor before using the console: the site requires it,
/// they are an owner or treasurer, and they have not enabled it. Console pages call this and
/// answer [`enroll_redirect`] when it is true.
pub async fn must_enroll(m: &Member, db: &Db) -> bool {
    !m.totp_enabled && role_requires_2fa(m) && require_2fa(db).await
}

/// Where a member who [`must_enroll`] is sent (303), with a notice shown there.
pub fn enroll_redirect() -> Response {
    Redirect::to("/account/2fa?required=1").into_response()
}
