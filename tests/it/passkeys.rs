//! Passkeys over real HTTP on both backends, with a software authenticator
//! (`webauthn-authenticator-rs`'s `SoftPasskey`): adding a passkey on the account page
//! (start → authenticator → finish), signing in with it (a complete session at once, even
//! for a member with two-factor), replayed and expired challenges, CSRF on the JSON
//! endpoints, deleting (one's own only), and the throttle on failed passkey sign-ins.
//!
//! `SoftPasskey` keeps no resident credentials: for the discoverable sign-in the test names
//! the credential in `allowCredentials` and adds the user handle to the answer, as a
//! passkey that lives on the authenticator does by itself (the user handle is not signed).

use base64::Engine;
use serde_json::{Value, json};
use shelfraiser::team::passkeys;
use shelfraiser::team::{Role, audit};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::harness::*;
use crate::team_harness::*;

fn b64u(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The origin a browser would send for this app (a loopback base URL stands for localhost).
fn origin(app: &TestApp) -> Url {
    let (_, o) = passkeys::relying_party(&app.base).expect("passkeys available on loopback");
    Url::parse(o.as_str()).expect("origin")
}

async fn post_json(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("accept", "application/json")
        .json(body);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("sr_session={c}"));
    }
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    req.send().await.expect("POST")
}

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let v = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, v)
}

/// The session-bound CSRF token from the account page.
async fn account_csrf(app: &TestApp, token: &str) -> String {
    let html = page_as(app, "/account", token).await;
    hidden_value(&html, "csrf").expect("csrf on /account")
}

/// Starts a registration: (challenge handle, creation options).
async fn register_start(app: &TestApp, token: &str, csrf: &str) -> (String, Value) {
    let (status, v) = json_of(post_register_start(app, Some(token), Some(csrf)).await).await;
    assert_eq!(status, 200, "{v}");
    (
        v["challenge"].as_str().expect("challenge").to_string(),
        v["options"].clone(),
    )
}

/// The authenticator's answer to creation options.
fn create(auth: &mut SoftPasskey, origin: &Url, options: &Value) -> Value {
    let ccr: CreationChallengeResponse =
        serde_json::from_value(options.clone()).expect("creation options");
    let cred = auth
        .do_registration(origin.clone(), ccr)
        .expect("authenticator registers");
    serde_json::to_value(&cred).expect("credential JSON")
}

/// Adds a passkey for the member; returns the credential id (base64url).
async fn add_passkey(app: &TestApp, auth: &mut SoftPasskey, token: &str, label: &str) -> String {
    let csrf = account_csrf(app, token).await;
    let (challenge, options) = register_start(app, token, &csrf).await;
    let cred = create(auth, &origin(app), &options);
    let (status, v) = register_finish(
        app,
        token,
        &csrf,
        &json!({ "challenge": challenge, "label": label, "credential": cred }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["redirect"], "/account?notice=passkey-added");
    cred["rawId"].as_str().expect("rawId").to_string()
}

/// Starts a passkey sign-in: (challenge handle, request options).
async fn signin_start(app: &TestApp, csrf: &str) -> (String, Value) {
    let (status, v) =
        json_of(post_json(app, "/signin/passkey/start", None, Some(csrf), &json!({})).await).await;
    assert_eq!(status, 200, "{v}");
    (
        v["challenge"].as_str().expect("challenge").to_string(),
        v["options"].clone(),
    )
}

/// The authenticator's assertion for request options, as a passkey stored on it would
/// give it: for `credential_id`, with the member's user handle.
fn assert_with(
    auth: &mut SoftPasskey,
    origin: &Url,
    options: &Value,
    credential_id: &str,
    member_id: &str,
) -> Value {
    let mut options = options.clone();
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        json!([]),
        "a discoverable sign-in names no credentials"
    );
    assert!(options.get("mediation").is_none(), "{options}");
    options["publicKey"]["allowCredentials"] =
        json!([{ "type": "public-key", "id": credential_id }]);
    let rcr: RequestChallengeResponse = serde_json::from_value(options).expect("request options");
    let cred = auth
        .do_authentication(origin.clone(), rcr)
        .expect("authenticator signs");
    let mut cred = serde_json::to_value(&cred).expect("assertion JSON");
    cred["response"]["userHandle"] =
        Value::String(b64u(passkeys::user_handle(member_id).as_bytes()));
    cred
}

async fn signin_finish(app: &TestApp, csrf: &str, body: &Value) -> reqwest::Response {
    post_json(app, "/signin/passkey/finish", None, Some(csrf), body).await
}

/// Posts to the registration start endpoint, with or without a session and a token.
async fn post_register_start(
    app: &TestApp,
    cookie: Option<&str>,
    csrf: Option<&str>,
) -> reqwest::Response {
    post_json(
        app,
        "/account/passkeys/register/start",
        cookie,
        csrf,
        &json!({}),
    )
    .await
}

/// Finishes a registration: (status, JSON answer).
async fn register_finish(app: &TestApp, token: &str, csrf: &str, body: &Value) -> (u16, Value) {
    let path = "/account/passkeys/register/finish";
    json_of(post_json(app, path, Some(token), Some(csrf), body).await).await
}

/// Finishes a sign-in with `credential` for `challenge`: (status, JSON answer).
async fn finish_json(
    app: &TestApp,
    csrf: &str,
    challenge: &str,
    credential: &Value,
) -> (u16, Value) {
    let body = json!({ "challenge": challenge, "credential": credential });
    json_of(signin_finish(app, csrf, &body).await).await
}

/// Posts the delete form of passkey `id`, with the CSRF token if one is given.
async fn delete_passkey(
    app: &TestApp,
    id: &str,
    token: &str,
    csrf: Option<&str>,
) -> reqwest::Response {
    let form: Vec<(&str, &str)> = csrf.map(|c| ("csrf", c)).into_iter().collect();
    post_as(app, &format!("/account/passkeys/{id}/delete"), token, &form).await
}

async fn audit_actions(db: &shelfraiser::db::Db) -> Vec<String> {
    audit::list(db, None, None, 1000, 0)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn add_a_passkey_and_sign_in_with_it() {
    each_backend(|tdb| async move {
        let m = password_member(&tdb.db, "pk-owner@example.org", Role::Owner).await;
        // Two-factor is on: a passkey still signs in completely (it is both factors).
        exec(
            &tdb.db,
            &format!(
                "UPDATE members SET totp_enabled = TRUE, totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = '{}'",
                m.id
            ),
        )
        .await;
        let token = session_for(&tdb.db, &m.id).await;
        let app = TestApp::start(settings(&tdb)).await;
        let origin = origin(&app);
        assert!(origin.as_str().starts_with("http://localhost:"), "{origin}");

        // The account page offers it (the script is loaded, the controls start hidden).
        let html = page_as(&app, "/account", &token).await;
        assert!(html.contains("id=\"passkey-register\""), "{html}");
        assert!(html.contains("/static/passkeys."), "{html}");
        assert!(html.contains("You have no passkeys."));
        // So does the sign-in page.
        let signin_html = app.text("/signin").await;
        assert!(signin_html.contains("id=\"passkey-signin\""));
        assert!(signin_html.contains("/static/passkeys."));
        let script = signin_html
            .split("<script src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("script URL");
        let js = app.text(script).await;
        assert!(js.contains("navigator.credentials"));

        // Register: start → authenticator → finish.
        let mut auth = SoftPasskey::new(true);
        let csrf = account_csrf(&app, &token).await;
        let (challenge, options) = register_start(&app, &token, &csrf).await;
        assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
        assert_eq!(
            options["publicKey"]["authenticatorSelection"]["residentKey"],
            "preferred"
        );
        let cred = create(&mut auth, &origin, &options);
        let body = json!({ "challenge": challenge, "label": "Work laptop", "credential": cred });
        let (status, v) = register_finish(&app, &token, &csrf, &body).await;
        assert_eq!(status, 200, "{v}");
        // The same answer again: the challenge is used up.
        let (status, v) = register_finish(&app, &token, &csrf, &body).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["error"]["code"], "challenge_expired");
        assert_eq!(count(&tdb.db, "passkeys").await, 1);
        assert_eq!(count(&tdb.db, "passkey_challenges").await, 0);
        let html = page_as(&app, "/account?notice=passkey-added", &token).await;
        assert!(html.contains("Work laptop"), "{html}");
        assert!(html.contains("The passkey is added."));
        let credential_id = cred["rawId"].as_str().expect("rawId").to_string();

        // Sign in with it, from a browser without a session.
        let csrf = app.signin_csrf().await;
        let (challenge, options) = signin_start(&app, &csrf).await;
        let assertion = assert_with(&mut auth, &origin, &options, &credential_id, &m.id);
        let body = json!({ "challenge": challenge, "credential": assertion, "next": "/admin/donations" });
        let res = signin_finish(&app, &csrf, &body).await;
        let cookie = session_cookie(&res).expect("a session cookie");
        let (status, v) = json_of(res).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["redirect"], "/admin/donations");
        // A complete session: the account page opens (no second-factor step).
        let res = get_as(&app, "/account", &cookie).await;
        assert_eq!(res.status().as_u16(), 200);
        let actions = audit_actions(&tdb.db).await;
        assert!(actions.iter().any(|a| a == "signin.passkey"), "{actions:?}");
        assert!(actions.iter().any(|a| a == "passkey.added"), "{actions:?}");
        let used: i64 = match &tdb.db {
            shelfraiser::db::Db::Sqlite(p) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM passkeys WHERE last_used_at IS NOT NULL",
            )
            .fetch_one(p)
            .await
            .expect("q"),
            shelfraiser::db::Db::Postgres(p) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM passkeys WHERE last_used_at IS NOT NULL",
            )
            .fetch_one(p)
            .await
            .expect("q"),
        };
        assert_eq!(used, 1);

        // Replayed: the challenge is gone.
        let (status, v) = json_of(signin_finish(&app, &csrf, &body).await).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["error"]["code"], "challenge_expired");
        // The old assertion under a new challenge: the signature does not match it.
        let (challenge, _) = signin_start(&app, &csrf).await;
        let stale = json!({ "challenge": challenge, "credential": assertion });
        let res = signin_finish(&app, &csrf, &stale).await;
        assert!(session_cookie(&res).is_none());
        let (status, v) = json_of(res).await;
        assert_eq!(status, 401, "{v}");
        assert_eq!(v["error"]["code"], "signin_failed");

        // An expired challenge is refused.
        let (challenge, options) = signin_start(&app, &csrf).await;
        exec(
            &tdb.db,
            "UPDATE passkey_challenges SET expires_at = '2000-01-01T00:00:00+00:00'",
        )
        .await;
        let assertion = assert_with(&mut auth, &origin, &options, &credential_id, &m.id);
        let (status, v) = finish_json(&app, &csrf, &challenge, &assertion).await;
        assert_eq!(status, 400, "{v}");
        // And a fresh one still works (the counter moved on).
        let (challenge, options) = signin_start(&app, &csrf).await;
        assert_eq!(
            count(&tdb.db, "passkey_challenges").await,
            1,
            "expired challenges are forgotten"
        );
        let assertion = assert_with(&mut auth, &origin, &options, &credential_id, &m.id);
        let (status, v) = finish_json(&app, &csrf, &challenge, &assertion).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["redirect"], "/admin", "no next: the console");

        // The user handle must be the passkey owner's.
        let other = password_member(&tdb.db, "pk-other@example.org", Role::Member).await;
        let (challenge, options) = signin_start(&app, &csrf).await;
        let assertion = assert_with(&mut auth, &origin, &options, &credential_id, &other.id);
        let (status, _) = finish_json(&app, &csrf, &challenge, &assertion).await;
        assert_eq!(status, 401);

        // A registration challenge cannot finish a sign-in (and the other way round).
        let acsrf = account_csrf(&app, &token).await;
        let (reg_challenge, _) = register_start(&app, &token, &acsrf).await;
        let (_, options) = signin_start(&app, &csrf).await;
        let assertion = assert_with(&mut auth, &origin, &options, &credential_id, &m.id);
        let (status, _) = finish_json(&app, &csrf, &reg_challenge, &assertion).await;
        assert_eq!(status, 400);

        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_json_endpoints_need_their_csrf_token() {
    each_backend(|tdb| async move {
        let m = password_member(&tdb.db, "pk-csrf@example.org", Role::Editor).await;
        let token = session_for(&tdb.db, &m.id).await;
        let app = TestApp::start(settings(&tdb)).await;
        let public = app.signin_csrf().await;
        let bound = account_csrf(&app, &token).await;

        // Account: no token, the public token, another session's token.
        for t in [None, Some(public.as_str()), Some("1.abc")] {
            let (status, v) = json_of(post_register_start(&app, Some(&token), t).await).await;
            assert_eq!(status, 422, "{t:?}: {v}");
            assert_eq!(v["error"]["code"], "csrf");
        }
        let other = session_for(&tdb.db, &m.id).await;
        let (status, _) =
            json_of(post_register_start(&app, Some(&other), Some(&bound)).await).await;
        assert_eq!(status, 422, "a token bound to another session");
        // Signed out: sent to sign in, nothing started.
        let res = post_register_start(&app, None, Some(&bound)).await;
        assert_eq!(res.status().as_u16(), 303);

        // Sign-in: no token, a forged one, a cross-site request with a good one.
        for t in [None, Some("123.00")] {
            let (status, _) =
                json_of(post_json(&app, "/signin/passkey/start", None, t, &json!({})).await).await;
            assert_eq!(status, 422);
        }
        let res = app
            .client
            .post(app.url("/signin/passkey/start"))
            .header("x-csrf-token", &public)
            .header("origin", "https://evil.example")
            .json(&json!({}))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);
        let res = app
            .client
            .post(app.url("/signin/passkey/start"))
            .header("x-csrf-token", &public)
            .header("sec-fetch-site", "cross-site")
            .json(&json!({}))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 422);
        // A form post (what another site could send) is not JSON: refused.
        let res = app
            .client
            .post(app.url("/signin/passkey/finish"))
            .header("x-csrf-token", &public)
            .form(&[("challenge", "x")])
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 415);
        assert_eq!(count(&tdb.db, "passkey_challenges").await, 0);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn members_delete_their_own_passkeys_only() {
    each_backend(|tdb| async move {
        let a = password_member(&tdb.db, "pk-a@example.org", Role::Treasurer).await;
        let b = password_member(&tdb.db, "pk-b@example.org", Role::Owner).await;
        let ta = session_for(&tdb.db, &a.id).await;
        let tb = session_for(&tdb.db, &b.id).await;
        let app = TestApp::start(settings(&tdb)).await;
        let mut auth = SoftPasskey::new(true);
        let credential_id = add_passkey(&app, &mut auth, &ta, "Phone").await;
        // The same authenticator cannot add the same credential twice: it is excluded.
        let csrf = account_csrf(&app, &ta).await;
        let (_, options) = register_start(&app, &ta, &csrf).await;
        let excluded = options["publicKey"]["excludeCredentials"]
            .as_array()
            .expect("excludeCredentials")
            .clone();
        assert_eq!(excluded.len(), 1);
        assert_eq!(excluded[0]["id"], credential_id.as_str());

        let html = page_as(&app, "/account", &ta).await;
        let id = html
            .split("/account/passkeys/")
            .nth(1)
            .and_then(|s| s.split("/delete").next())
            .expect("a delete form")
            .to_string();

        // B (even an owner) cannot delete A's passkey: not found, nothing changes.
        let bcsrf = account_csrf(&app, &tb).await;
        let res = delete_passkey(&app, &id, &tb, Some(&bcsrf)).await;
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(count(&tdb.db, "passkeys").await, 1);
        // A without a CSRF token: refused.
        let res = delete_passkey(&app, &id, &ta, None).await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(count(&tdb.db, "passkeys").await, 1);

        // A deletes it.
        let acsrf = account_csrf(&app, &ta).await;
        let res = delete_passkey(&app, &id, &ta, Some(&acsrf)).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account?notice=passkey-deleted");
        assert_eq!(count(&tdb.db, "passkeys").await, 0);
        let actions = audit_actions(&tdb.db).await;
        assert!(
            actions.iter().any(|x| x == "passkey.deleted"),
            "{actions:?}"
        );
        // Again: gone.
        let res = delete_passkey(&app, &id, &ta, Some(&acsrf)).await;
        assert_eq!(res.status().as_u16(), 404);

        // It no longer signs in.
        let csrf = app.signin_csrf().await;
        let (challenge, options) = signin_start(&app, &csrf).await;
        let assertion = assert_with(&mut auth, &origin(&app), &options, &credential_id, &a.id);
        let res = signin_finish(
            &app,
            &csrf,
            &json!({ "challenge": challenge, "credential": assertion }),
        )
        .await;
        assert!(session_cookie(&res).is_none());
        assert_eq!(res.status().as_u16(), 401);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn failed_passkey_sign_ins_are_throttled() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let csrf = app.signin_csrf().await;
        let bogus = json!({
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {
                "authenticatorData": "AAAA", "clientDataJSON": "AAAA",
                "signature": "AAAA", "userHandle": null
            },
            "extensions": {}
        });
        for _ in 0..shelfraiser::team::throttle::IP_LIMIT {
            let (challenge, _) = signin_start(&app, &csrf).await;
            let res = signin_finish(
                &app,
                &csrf,
                &json!({ "challenge": challenge, "credential": bogus }),
            )
            .await;
            assert_eq!(res.status().as_u16(), 401);
        }
        let res = post_json(&app, "/signin/passkey/start", None, Some(&csrf), &json!({})).await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.headers().get("retry-after").is_some());
        app.stop().await;
    })
    .await;
}
