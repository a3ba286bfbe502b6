//! Signing in with a passkey: a discoverable credential, throttled like passwords.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{DiscoverableAuthentication, Passkey, PublicKeyCredential};

use super::answers::{
    csrf_header, csrf_refused, expired, internal, json_error, json_ok, throttled, unavailable,
};
use super::{b64, user_handle, webauthn};
use crate::http::{AppError, AppState, Lang, csrf};
use crate::team::repo::passkeys::{
    Ceremony, by_credential, mark_used, put_challenge, take_challenge,
};
use crate::team::session;
use crate::team::signin::{self as password_signin, Client};
use crate::team::{Member, audit, repo, throttle};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin/passkey/start", post(signin_start))
        .route("/signin/passkey/finish", post(signin_finish))
}

async fn signin_start(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let now = Utc::now();
    if !csrf::check(&s.csrf, &headers, csrf_header(&headers), now) {
        return Ok(csrf_refused(&tr));
    }
    if let Some(until) = throttle::address_locked_until(&s.db, client.ip.as_deref(), now).await? {
        return Ok(throttled(&tr, until, now));
    }
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let (mut rcr, state) = wa
        .start_discoverable_authentication()
        .map_err(|e| internal("passkey sign-in", e))?;
    // Started by a button, not by the browser's autofill.
    rcr.mediation = None;
    let state = serde_json::to_string(&state).map_err(|e| internal("state", e))?;
    let handle = put_challenge(&s.db, None, Ceremony::SignIn, &state).await?;
    Ok(json_ok(json!({ "challenge": handle, "options": rcr })))
}

#[derive(Deserialize)]
struct SignInFinish {
    challenge: String,
    credential: PublicKeyCredential,
    #[serde(default)]
    next: String,
}

async fn signin_finish(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
    Json(f): Json<SignInFinish>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    if !csrf::check(&s.csrf, &headers, csrf_header(&headers), now) {
        return Ok(csrf_refused(&tr));
    }
    let ip = client.ip.as_deref();
    if let Some(until) = throttle::address_locked_until(&s.db, ip, now).await? {
        return Ok(throttled(&tr, until, now));
    }
    let Some((_, state)) = take_challenge(&s.db, &f.challenge, Ceremony::SignIn).await? else {
        return Ok(expired(&tr));
    };
    let state: DiscoverableAuthentication =
        serde_json::from_str(&state).map_err(|e| internal("stored sign-in", e))?;
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let refused = || {
        json_error(
            StatusCode::UNAUTHORIZED,
            "signin_failed",
            tr.t("passkey-signin-failed"),
        )
    };

    // Whose passkey: the credential id names it, and the user handle the authenticator
    // returned must be the same member's.
    let found = by_credential(&s.db, &b64(f.credential.get_credential_id())).await?;
    let handle = wa
        .identify_discoverable_authentication(&f.credential)
        .ok()
        .map(|(u, _)| u);
    let mut member = None;
    if let Some(found) = &found
        && handle == Some(user_handle(&found.member_id))
    {
        member = repo::by_id(&s.db, &found.member_id)
            .await?
            .filter(Member::is_active);
    }
    // The attempt is counted before the passkey is checked (see `throttle::reserve`): under
    // the address alone for an unknown passkey, else under the account and the address.
    let keys = match &member {
        Some(m) => throttle::signin_keys(&m.email, ip),
        None => throttle::address_keys(ip),
    };
    let reservation = match throttle::reserve(&s.db, &keys, now).await? {
        throttle::Reserve::Granted(r) => r,
        throttle::Reserve::Refused(until) => return Ok(throttled(&tr, until, now)),
    };
    let (Some(found), Some(member)) = (found, member) else {
        audit::record(
            &s.db,
            &client.actor(None, "passkey"),
            "signin.failed",
            "",
            "unknown passkey",
        )
        .await?;
        return Ok(refused());
    };
    let mut pk: Passkey =
        serde_json::from_str(&found.passkey_json).map_err(|e| internal("stored passkey", e))?;
    let result = match wa.finish_discoverable_authentication_v2(&f.credential, state, &pk) {
        Ok(r) => r,
        Err(e) => {
            audit::record(
                &s.db,
                &client.actor(None, &member.email),
                "signin.failed",
                &member.id,
                &format!("passkey refused: {e}"),
            )
            .await?;
            return Ok(refused());
        }
    };
    throttle::release(&s.db, &reservation).await?;
    let updated = match pk.update_credential(&result) {
        Some(true) => Some(serde_json::to_string(&pk).map_err(|e| internal("passkey", e))?),
        _ => None,
    };
    mark_used(&s.db, &found.id, updated.as_deref()).await?;
    throttle::clear_account(&s.db, &member.email).await?;

    // A new, complete session (the id rotates); the one this browser had ends.
    let token = password_signin::open_session(&s, &headers, &client, &member, false).await?;
    audit::record(
        &s.db,
        &client.actor(Some(&member.id), &member.email),
        "signin.passkey",
        &member.id,
        &format!("passkey {} ({})", found.label, found.id),
    )
    .await?;
    let mut res = json_ok(json!({ "redirect": password_signin::safe_next(&f.next) }));
    res.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(&s, &token));
    Ok(res)
}
