//! Adding and removing passkeys on the account page (signed in).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::answers::{
    csrf_header, csrf_refused, expired, internal, json_error, json_ok, unavailable,
};
use super::{MAX_LABEL, clean_label, user_handle, webauthn};
use crate::http::{AppError, AppState, Lang};
use crate::team::account;
use crate::team::audit;
use crate::team::repo::passkeys::{
    Ceremony, credentials, delete_own, insert, put_challenge, take_challenge,
};
use crate::team::session::CurrentMember;
use crate::team::signin::Client;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/passkeys/register/start", post(register_start))
        .route("/account/passkeys/register/finish", post(register_finish))
        .route("/account/passkeys/{id}/delete", post(delete))
}

async fn register_start(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !account::csrf_ok(&s, &headers, csrf_header(&headers), &cur) {
        return Ok(csrf_refused(&tr));
    }
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let m = &cur.member;
    let exclude = credentials(&s.db, &m.id)
        .await?
        .iter()
        .map(|pk| pk.cred_id().clone())
        .collect();
    let (ccr, state) = wa
        .start_passkey_registration(user_handle(&m.id), &m.email, &m.display_name, Some(exclude))
        .map_err(|e| internal("passkey registration", e))?;
    let mut options = serde_json::to_value(&ccr).map_err(|e| internal("options", e))?;
    // Ask for a discoverable credential where the authenticator can keep one, so that the
    // member can sign in without typing an e-mail address.
    if let Some(sel) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|v| v.as_object_mut())
    {
        sel.insert("residentKey".into(), "preferred".into());
    }
    let state = serde_json::to_string(&state).map_err(|e| internal("state", e))?;
    let handle = put_challenge(&s.db, Some(&m.id), Ceremony::Register, &state).await?;
    Ok(json_ok(json!({ "challenge": handle, "options": options })))
}

#[derive(Deserialize)]
struct RegisterFinish {
    challenge: String,
    #[serde(default)]
    label: String,
    credential: RegisterPublicKeyCredential,
}

async fn register_finish(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    headers: HeaderMap,
    Json(f): Json<RegisterFinish>,
) -> Result<Response, AppError> {
    if !account::csrf_ok(&s, &headers, csrf_header(&headers), &cur) {
        return Ok(csrf_refused(&tr));
    }
    let m = &cur.member;
    let Some(label) = clean_label(&f.label) else {
        return Ok(json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_label",
            tr.ta("passkey-label-invalid", [("max", MAX_LABEL.to_string())]),
        ));
    };
    let state = match take_challenge(&s.db, &f.challenge, Ceremony::Register).await? {
        Some((Some(owner), state)) if owner == m.id => state,
        _ => return Ok(expired(&tr)),
    };
    let state: PasskeyRegistration =
        serde_json::from_str(&state).map_err(|e| internal("stored registration", e))?;
    let Some(wa) = webauthn(&s, &tr) else {
        return Ok(unavailable(&tr));
    };
    let who = client.actor(Some(&m.id), &m.email);
    let pk = match wa.finish_passkey_registration(&f.credential, &state) {
        Ok(pk) => pk,
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            audit::record(&s.db, &who, "passkey.add_failed", &m.id, &e.to_string()).await?;
            return Ok(json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "passkey_refused",
                tr.t("passkey-add-failed"),
            ));
        }
    };
    let Some(id) = insert(&s.db, &m.id, &pk, &label).await? else {
        return Ok(json_error(
            StatusCode::CONFLICT,
            "passkey_exists",
            tr.t("passkey-exists"),
        ));
    };
    audit::record(
        &s.db,
        &who,
        "passkey.added",
        &m.id,
        &format!("{label} ({id})"),
    )
    .await?;
    Ok(json_ok(
        json!({ "id": id, "redirect": "/account?notice=passkey-added" }),
    ))
}

async fn delete(
    State(s): State<AppState>,
    Lang(tr): Lang,
    cur: CurrentMember,
    client: Client,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<account::CsrfOnly>,
) -> Result<Response, AppError> {
    if !account::csrf_ok(&s, &headers, f.csrf.as_deref(), &cur) {
        return Err(AppError::Unprocessable(tr.t("error-csrf")));
    }
    let m = &cur.member;
    let Some(label) = delete_own(&s.db, &m.id, &id).await? else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &s.db,
        &client.actor(Some(&m.id), &m.email),
        "passkey.deleted",
        &m.id,
        &format!("{label} ({id})"),
    )
    .await?;
    Ok(Redirect::to("/account?notice=passkey-deleted").into_response())
}
