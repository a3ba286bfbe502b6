//! What the sign-in pages share: the client's address and user agent, page answers, mail
//! delivery, and starting a session (with the check for a new device). Their forms' field
//! errors are the site's one kind, [`crate::web::form::Errors`].

use std::convert::Infallible;
use std::net::IpAddr;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

use super::{DEFAULT_NEXT, SECOND_FACTOR};
use crate::db::DbResult;
use crate::http::{AppError, AppState, client_ip, cookie};
use crate::i18n::I18n;
use crate::mail::Message;
use crate::team::audit::{self, Actor};
use crate::team::session::{self, Session};
use crate::team::{Member, repo};
use crate::web::{ErrorPage, PageCtx};

/// The client's address ([`crate::http::ClientIp`]: the peer, or what a trusted proxy
/// forwarded) and user agent, for sessions, the throttle and the audit log. Works without
/// `ConnectInfo` too (then the address is unknown).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client {
            ip: client_ip::client_ip(parts, &s.proxies).text(),
            user_agent: client_ip::user_agent(&parts.headers),
        })
    }
}

impl Client {
    /// The audit actor: `member_id` acting (or, with `None`, someone trying `label`) from
    /// this client.
    pub(in crate::team) fn actor(&self, member_id: Option<&str>, label: &str) -> Actor {
        Actor {
            member_id: member_id.map(str::to_string),
            label: label.chars().take(254).collect(),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

/// A same-site path to go to after signing in: starts with one `/`, printable ASCII only
/// (so it is a valid `Location`); anything else becomes [`DEFAULT_NEXT`].
pub fn safe_next(next: &str) -> String {
    crate::http::redirect::local_target(next).unwrap_or_else(|| DEFAULT_NEXT.to_string())
}

pub(super) fn page_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(super) fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    let loc = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    res.headers_mut().insert(header::LOCATION, loc);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A refused form post (forged, missing or stale CSRF token, or a cross-site request).
pub(super) fn csrf_refused(s: &AppState, tr: &I18n) -> Result<Response, AppError> {
    let page = ErrorPage {
        page: PageCtx::new(s, tr, "/"),
        status: 422,
        message: tr.t("error-csrf"),
        request_id: String::new(),
    };
    Ok(page_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        page.render()?,
    ))
}

/// Logs a message that could not be built or sent; the outbox keeps sending errors.
pub(super) async fn deliver(s: &AppState, msg: anyhow::Result<Message>, what: &'static str) {
    match msg {
        Ok(m) => {
            if let Err(e) = s.mailer.send(&m).await {
                tracing::warn!(error = %e, mail = what, "e-mail not delivered (kept in the outbox)");
            }
        }
        Err(e) => tracing::error!(error = %e, mail = what, "cannot build e-mail"),
    }
}

/// The member of a complete (not `mfa_pending`) session of this browser, if any.
pub(super) async fn signed_in(
    s: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Member, Session)>, AppError> {
    let Some(token) = cookie(headers, session::COOKIE) else {
        return Ok(None);
    };
    let Some(sess) = session::lookup(&s.db, &token).await? else {
        return Ok(None);
    };
    if sess.mfa_pending {
        return Ok(None);
    }
    Ok(repo::by_id(&s.db, &sess.member_id)
        .await?
        .filter(Member::is_active)
        .map(|m| (m, sess)))
}

/// The network a device is seen from: IPv4 /24, IPv6 /64.
fn network_of(ip: Option<&str>) -> String {
    match ip.and_then(|i| i.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => String::new(),
    }
}

/// A device: the user agent and the network it signs in from.
pub fn device_hash(user_agent: Option<&str>, ip: Option<&str>) -> String {
    hex::encode(Sha256::digest(
        format!("{}|{}", user_agent.unwrap_or(""), network_of(ip)).as_bytes(),
    ))
}

/// Starts a new session for the member (the id rotates: the one this browser had ends),
/// `mfa_pending` until the second factor is given, and records a device not seen before.
/// Returns the token for the cookie.
pub(in crate::team) async fn open_session(
    s: &AppState,
    headers: &HeaderMap,
    client: &Client,
    member: &Member,
    mfa_pending: bool,
) -> DbResult<String> {
    if let Some(old) = cookie(headers, session::COOKIE) {
        session::delete(&s.db, &session::hash_token(&old)).await?;
    }
    let token = session::create(
        &s.db,
        &member.id,
        mfa_pending,
        client.user_agent.as_deref(),
        client.ip.as_deref(),
    )
    .await?;
    let device = device_hash(client.user_agent.as_deref(), client.ip.as_deref());
    if repo::devices::remember(&s.db, &member.id, &device, Utc::now()).await? {
        audit::record(
            &s.db,
            &client.actor(Some(&member.id), &member.email),
            "signin.new_device",
            &member.id,
            &format!("device {}", &device[..12]),
        )
        .await?;
    }
    Ok(token)
}

/// Starts a new session for the member ([`open_session`]), records the sign-in, sets the
/// cookie and sends the member on: to `next`, or to the second factor when the member has
/// one.
pub(super) async fn start_session(
    s: &AppState,
    headers: &HeaderMap,
    client: &Client,
    member: &Member,
    how: &str,
    next: &str,
) -> Result<Response, AppError> {
    let token = open_session(s, headers, client, member, member.totp_enabled).await?;
    let actor = client.actor(Some(&member.id), &member.email);
    let detail = if member.totp_enabled {
        format!("{how}; second factor pending")
    } else {
        how.to_string()
    };
    audit::record(&s.db, &actor, "signin", &member.id, &detail).await?;
    let to = if member.totp_enabled {
        if next == DEFAULT_NEXT {
            SECOND_FACTOR.to_string()
        } else {
            format!(
                "{SECOND_FACTOR}?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            )
        }
    } else {
        next.to_string()
    };
    let mut res = see_other(&to);
    res.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(s, &token));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_user_agent_and_network() {
        let a = device_hash(Some("Firefox"), Some("192.0.2.7"));
        assert_eq!(a, device_hash(Some("Firefox"), Some("192.0.2.99")));
        assert_ne!(a, device_hash(Some("Firefox"), Some("192.0.3.7")));
        assert_ne!(a, device_hash(Some("Chrome"), Some("192.0.2.7")));
        assert_eq!(network_of(Some("2001:db8:1:2::9")), "2001:db8:1:2::/64");
        assert_eq!(network_of(None), "");
    }
}
