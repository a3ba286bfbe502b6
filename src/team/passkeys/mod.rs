//! Passkeys (WebAuthn, with the `webauthn-rs` crate) as an alternative to the password.
//!
//! * A signed-in member adds passkeys on the account page: `POST
//!   /account/passkeys/register/start` answers the creation options, the browser asks the
//!   authenticator, and `POST /account/passkeys/register/finish` checks its answer and
//!   stores the passkey. `POST /account/passkeys/{id}/delete` removes one of the member's
//!   own passkeys (another member's is "not found").
//! * Signing in: `POST /signin/passkey/start` asks for a *discoverable* credential (no
//!   e-mail address is asked for, so nothing tells whether an account exists or has
//!   passkeys); `POST /signin/passkey/finish` finds the passkey by its credential id, checks
//!   that the user handle the authenticator returned belongs to the same member, verifies
//!   the signature and starts a session like a password sign-in. A passkey verifies the
//!   user on the device, so it counts as both factors: the session is complete at once.
//! * The ceremony state between the two requests lives in `passkey_challenges` (any node
//!   can finish what another began): five minutes, used once (`DELETE … RETURNING`).
//! * The JSON endpoints need `X-CSRF-Token`: bound to the session on the account ones, the
//!   public token plus a same-origin request on the sign-in ones; `Json` also insists on
//!   `Content-Type: application/json`, which no plain cross-site form can send.
//! * Failed passkey sign-ins are throttled like passwords ([`super::throttle`]): per
//!   address before the passkey is known, per account once it is.
//!
//! The relying party is the host of the site's base URL. WebAuthn takes no IP addresses:
//! a loopback base URL (`http://127.0.0.1:8080`) stands for `http://localhost:8080`, any
//! other address has no passkeys (the account page says so).

mod answers;
mod register;
mod signin;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use base64::Engine;
use chrono::Duration;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{Url, Uuid, Webauthn, WebauthnBuilder};

use crate::http::AppState;
use crate::i18n::I18n;

pub use crate::team::repo::passkeys::{StoredPasskey, delete_own, list};

/// A ceremony must be finished within this time.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
/// The header that carries the CSRF token on the JSON endpoints.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Longest passkey label.
pub const MAX_LABEL: usize = 80;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(register::routes())
        .merge(signin::routes())
        // An attestation or assertion is a few kilobytes.
        .layer(DefaultBodyLimit::max(64 * 1024))
}

/// The relying party id and origin for a base URL, or `None` when passkeys cannot work
/// there (an address other than loopback).
pub fn relying_party(base_url: &str) -> Option<(String, Url)> {
    let url = Url::parse(base_url).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let rp_id = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => "localhost".to_string(),
        Ok(_) => return None,
        Err(_) => host.to_ascii_lowercase(),
    };
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let origin = Url::parse(&format!("{}://{rp_id}{port}", url.scheme())).ok()?;
    Some((rp_id, origin))
}

/// Whether passkeys work on this site.
pub fn available(s: &AppState) -> bool {
    relying_party(&s.base_url).is_some()
}

pub(super) fn webauthn(s: &AppState, tr: &I18n) -> Option<Webauthn> {
    let (rp_id, origin) = relying_party(&s.base_url)?;
    let name = tr.t("site-name");
    WebauthnBuilder::new(&rp_id, &origin)
        .ok()?
        .rp_name(&name)
        .build()
        .ok()
}

/// The WebAuthn user handle of a member: the member id (a UUID); any other id is hashed.
pub fn user_handle(member_id: &str) -> Uuid {
    Uuid::parse_str(member_id).unwrap_or_else(|_| {
        let h = Sha256::digest(member_id.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&h[..16]);
        Uuid::from_bytes(b)
    })
}

pub(in crate::team) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A passkey label: trimmed, 1 to [`MAX_LABEL`] characters, no control characters.
pub fn clean_label(label: &str) -> Option<String> {
    crate::team::tokens::label_within(label, MAX_LABEL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_parties() {
        let (id, origin) = relying_party("https://give.example.org").expect("domain");
        assert_eq!(id, "give.example.org");
        assert_eq!(origin.as_str(), "https://give.example.org/");
        let (id, origin) = relying_party("http://127.0.0.1:8080").expect("loopback");
        assert_eq!(id, "localhost");
        assert_eq!(origin.as_str(), "http://localhost:8080/");
        assert_eq!(relying_party("http://[::1]:9").expect("v6").0, "localhost");
        assert!(relying_party("http://192.0.2.7:8080").is_none());
        assert!(relying_party("not a url").is_none());
        for (rp, origin) in [
            relying_party("http://localhost:3000"),
            relying_party("https://give.example.org/sub"),
        ]
        .into_iter()
        .flatten()
        {
            assert!(WebauthnBuilder::new(&rp, &origin).is_ok(), "{rp} {origin}");
        }
    }

    #[test]
    fn user_handles() {
        let id = "0b6c5a8e-9a43-4f8e-9a77-2c8f3a1f0d11";
        assert_eq!(user_handle(id).to_string(), id);
        assert_eq!(user_handle("m1"), user_handle("m1"));
        assert_ne!(user_handle("m1"), user_handle("m2"));
    }

    #[test]
    fn labels() {
        assert_eq!(clean_label("  Phone "), Some("Phone".into()));
        assert_eq!(clean_label(""), None);
        assert_eq!(clean_label("a\nb"), None);
        assert_eq!(clean_label(&"x".repeat(MAX_LABEL + 1)), None);
    }
}
