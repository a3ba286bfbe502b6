//! Signing in and out, invitations, password resets and one-time sign-in links.
//!
//! * `POST /signin`: public-form CSRF token + same origin; the throttle ([`super::throttle`])
//!   is asked first; an unknown e-mail address is answered exactly like a wrong password
//!   (same status, message, database work and a dummy argon2 verification), and counted by
//!   the throttle the same way. Success always creates a new session (the id rotates) and
//!   ends the one the browser had. A member with two-factor gets an `mfa_pending` session
//!   and goes on to `/signin/2fa`.
//! * `POST /signout`, `POST /signout-everywhere`: CSRF token bound to the session.
//! * Invitations ([`invite`]), password resets and `shelfraiser user add`
//!   ([`add_member_with_link`]) work through single-use links ([`super::links`]); a used or
//!   expired link answers 410 Gone with a page saying what to do instead.
//! * E-mails are built by [`super::mailers`]; sending never changes a response: failures are
//!   logged and kept in the outbox. Mail that an anonymous visitor triggers (reset, the
//!   failed-attempts notice) is sent in the background, so answer times reveal nothing.

mod common;
mod form;
mod invite;
mod link_form;
mod reset;
mod setup;
mod signout;
mod user_add;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::http::AppState;
use crate::passwords as password;

pub(in crate::team) use common::open_session;
pub use common::{Client, device_hash, safe_next};
pub use form::SignedInView;
pub use invite::{InviteOptions, invite, invite_with, resend_invite};
pub use user_add::{AddedMember, add_member_with_link};

/// Where a member goes after signing in when no `next` was asked for.
pub const DEFAULT_NEXT: &str = "/admin";
/// The two-factor step (`team::totp`).
pub const SECOND_FACTOR: &str = "/signin/2fa";
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;

pub fn routes() -> Router<AppState> {
    // Make the dummy hash now, so the first unknown e-mail is not answered slower.
    std::thread::spawn(password::warm_up);
    Router::new()
        .merge(form::routes())
        .merge(invite::routes())
        .merge(reset::routes())
        .merge(signout::routes())
        .merge(setup::routes())
        // Passwords are at most 1024 characters; nothing here needs more.
        .layer(DefaultBodyLimit::max(16 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_same_site_only() {
        assert_eq!(safe_next("/admin/donations?x=1"), "/admin/donations?x=1");
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "admin",
            "/a b",
            "/ø",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(bad), DEFAULT_NEXT, "{bad:?}");
        }
    }
}
