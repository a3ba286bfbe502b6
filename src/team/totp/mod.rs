//! Two-factor sign-in: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, one step of clock
//! skew either way) with ten single-use recovery codes, and the site setting that makes it
//! mandatory for owners and treasurers.
//!
//! * The secret is 160 random bits, stored base32 in `members.totp_secret`. It is created when
//!   the member opens `/account/2fa` and only takes effect (`totp_enabled`) once a code from
//!   the authenticator app confirms it.
//! * A code is accepted once: the member's last used time step is kept
//!   (`members.totp_last_step`) and a code must belong to a later step. The check and the
//!   update are one conditional `UPDATE`, so two nodes racing with the same code accept it once.
//! * Recovery codes are shown once and stored as SHA-256; using one marks it used in the same
//!   statement that checks it.
//! * `/signin/2fa` holds a pending session (password done, second factor not yet). Five
//!   wrong codes end that session; a right one replaces it with a full session (new id).
//!   Twenty wrong codes within an hour, over all of a member's pending sessions, close the
//!   second step for that member until the hour has passed (`login_failures`, key
//!   `2fa:<member id>`).

mod code;
mod recovery;
mod require;
mod setup;
mod signin_step;
mod state;

use axum::Router;

use crate::http::AppState;

pub use code::{code_at, group4, matching_step, new_secret, otpauth_url};
pub use recovery::{
    new_recovery_code, normalize_recovery_code, recovery_codes_left, use_recovery_code,
};
pub use require::{enroll_redirect, must_enroll, require_2fa, role_requires_2fa, set_require_2fa};
pub use setup::TwoFactorPage;
pub use signin_step::SigninTwoFactorPage;
pub use state::{CodeCheck, TotpState, state, verify};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(signin_step::routes())
        .merge(setup::routes())
}

/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Shelfraiser";
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes a pending session may enter before it is ended.
pub const MAX_FAILURES: i64 = 5;
/// Wrong second-step codes per member per hour, over all their pending sessions; past it
/// the second step is refused (429) without checking the code. Someone who knows the
/// password cannot sign in again and again for five more guesses each time.
pub const MAX_FAILURES_PER_HOUR: i64 = 20;
/// The `settings` key: `"true"` when owners and treasurers must use two-factor.
pub const REQUIRE_SETTING: &str = "require_2fa";
