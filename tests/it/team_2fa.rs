//! Two-factor sign-in, over real HTTP on both backends: enrolling (QR code, secret, first
//! code), the second sign-in step (right, wrong and replayed codes, session rotation),
//! recovery codes (each once, regenerating), the lockout after five wrong codes, the site
//! requirement for owners and treasurers, and the account page with its password change.
//! Codes are computed here with totp-rs from the secret the page shows.

use chrono::Utc;
use shelfraiser::db::Db;
use shelfraiser::passwords as password;
use shelfraiser::team::audit::{self, Actor};
use shelfraiser::team::{Role, repo as team_repo, session, throttle, totp};

use crate::harness::*;
use crate::team_harness::*;

/// The second sign-in step: posts `code` from the `/signin/2fa` form of the pending session.
async fn second_step(app: &TestApp, pend: &str, code: &str) -> reqwest::Response {
    submit(app, "/signin/2fa", "/signin/2fa", pend, &[("code", code)]).await
}

/// The second sign-in step with a CSRF token fetched earlier.
async fn second_step_with(app: &TestApp, pend: &str, csrf: &str, code: &str) -> reqwest::Response {
    post_as(app, "/signin/2fa", pend, &[("csrf", csrf), ("code", code)]).await
}

/// Posts `code` from a form on the two-factor page to `action`.
async fn post_code(app: &TestApp, token: &str, action: &str, code: &str) -> reqwest::Response {
    submit(app, "/account/2fa", action, token, &[("code", code)]).await
}

/// Posts the account page's password form.
async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    let form = [("current_password", current), ("new_password", new)];
    submit(app, "/account", "/account/password", token, &form).await
}

/// The TOTP code for now + `steps` × 30 s.
pub fn code(secret: &str, steps: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("base32 secret");
    let t = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .expect("totp");
    t.generate((Utc::now().timestamp() + steps * 30) as u64)
        .to_string()
}

/// Waits until the clock is not within 3 s of a 30-second step boundary, so a code computed
/// now still belongs to the same step when the server checks it.
pub async fn away_from_step_boundary() {
    let into = Utc::now().timestamp() % 30;
    if into >= 27 {
        tokio::time::sleep(std::time::Duration::from_secs((31 - into) as u64)).await;
    } else if into < 1 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Forgets the last used time step, so a test can use another code within the same
/// 90-second window (replay protection itself is tested separately).
pub async fn forget_used_step(db: &Db, member_id: &str) {
    exec(
        db,
        &format!("UPDATE members SET totp_last_step = NULL WHERE id = '{member_id}'"),
    )
    .await;
}

fn recovery_codes_of(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .map(str::to_string)
        .collect()
}

fn secret_of(html: &str) -> String {
    let start = html
        .find("id=\"totp-secret\">")
        .expect("secret on the page")
        + 17;
    let end = html[start..].find('<').expect("end") + start;
    html[start..end].replace(' ', "")
}

/// Enrols the member through the pages; returns the secret and the recovery codes.
pub async fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>) {
    away_from_step_boundary().await;
    let html = page_as(app, "/account/2fa", token).await;
    let secret = secret_of(&html);
    let csrf = hidden_value(&html, "csrf").expect("csrf");
    // The previous step's code: the current and next stay free for the tests.
    let res = post_as(
        app,
        "/account/2fa",
        token,
        &[("csrf", &csrf), ("code", &code(&secret, -1))],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.expect("body");
    let codes = recovery_codes_of(&html);
    assert_eq!(codes.len(), 10, "{html}");
    (secret, codes)
}

async fn totp_enabled(db: &Db, member_id: &str) -> bool {
    team_repo::by_id(db, member_id)
        .await
        .expect("load")
        .expect("member")
        .totp_enabled
}

#[tokio::test]
async fn enrolling_shows_a_qr_code_and_the_second_step_takes_fresh_codes_only() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "owner@example.org", Role::Owner).await;
        let token = session_for(db, &m.id).await;

        // The set-up page: inline SVG QR code, the key, the otpauth URL; no script.
        away_from_step_boundary().await;
        let res = get_as(&app, "/account/2fa", &token).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("private, no-store")
        );
        let html = res.text().await.expect("body");
        assert!(html.contains("<svg role=\"img\""), "{html}");
        assert!(html.contains("otpauth://totp/Shelfraiser:owner%40example.org?secret="));
        assert!(!html.contains("<script"));
        let secret = secret_of(&html);
        assert_eq!(secret.len(), 32, "160 bits in base32");
        // Reloading shows the same secret until it is confirmed.
        let again = page_as(&app, "/account/2fa", &token).await;
        assert_eq!(secret_of(&again), secret);
        assert!(!totp_enabled(db, &m.id).await);

        // A wrong code, and a forged CSRF token, change nothing.
        let res = post_code(&app, &token, "/account/2fa", "000000").await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("That code is not right"));
        let res = post_as(
            &app,
            "/account/2fa",
            &token,
            &[("csrf", "1.00"), ("code", &code(&secret, 0))],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(!totp_enabled(db, &m.id).await);

        // The right code turns it on and shows ten recovery codes once.
        let res = post_code(&app, &token, "/account/2fa", &code(&secret, 0)).await;
        assert_eq!(res.status().as_u16(), 200);
        let codes = recovery_codes_of(&res.text().await.expect("body"));
        assert_eq!(codes.len(), 10);
        assert!(totp_enabled(db, &m.id).await);
        assert_eq!(count(db, "recovery_codes").await, 10);
        let stored = match db {
            Db::Sqlite(p) => {
                sqlx::query_scalar::<_, String>("SELECT code_hash FROM recovery_codes")
                    .fetch_all(p)
                    .await
                    .expect("codes")
            }
            Db::Postgres(p) => {
                sqlx::query_scalar::<_, String>("SELECT code_hash FROM recovery_codes")
                    .fetch_all(p)
                    .await
                    .expect("codes")
            }
        };
        assert!(
            stored
                .iter()
                .all(|h| h.len() == 64 && !codes.iter().any(|c| h.contains(c.as_str())))
        );
        assert_eq!(audit_count(db, "2fa.enabled").await, 1);
        let html = page_as(&app, "/account/2fa", &token).await;
        assert!(
            recovery_codes_of(&html).is_empty(),
            "codes are shown only once"
        );
        assert!(html.contains("You have 10 unused recovery codes."));
        let html = page_as(&app, "/account", &token).await;
        assert!(html.contains("Two-factor sign-in is on"));

        // The second step of signing in.
        let pend = pending_session_for(db, &m.id).await;
        let res = get_as(&app, "/admin", &pend).await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "a pending session is not signed in"
        );
        let res = get_as(&app, "/signin/2fa", &pend).await;
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.expect("body");
        assert!(html.contains("autocomplete=\"one-time-code\""));
        assert!(html.contains("<label for=\"code\">"));

        let res = second_step(&app, &pend, "123456").await;
        assert_eq!(res.status().as_u16(), 401);
        let html = res.text().await.expect("body");
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
        // The code that turned two-factor on was used: it does not work again.
        let used = code(&secret, 0);
        let res = second_step(&app, &pend, &used).await;
        assert_eq!(res.status().as_u16(), 401);
        assert!(res.text().await.expect("body").contains("already used"));
        // The next step's code is fresh.
        let fresh = code(&secret, 1);
        let res = second_step(&app, &pend, &fresh).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin");
        let full = session_cookie(&res).expect("a new session cookie");
        assert_ne!(full, pend, "the session id rotates");
        let res = get_as(&app, "/account", &full).await;
        assert_eq!(res.status().as_u16(), 200);
        let res = get_as(&app, "/signin/2fa", &pend).await;
        assert_eq!(res.status().as_u16(), 303, "the pending session is gone");
        assert_eq!(audit_count(db, "2fa.failed").await, 2);

        // The same code, once more, on another pending session: refused.
        let pend2 = pending_session_for(db, &m.id).await;
        let res = second_step(&app, &pend2, &fresh).await;
        assert_eq!(res.status().as_u16(), 401);

        // A full session is not a pending one: the second step refuses it.
        let res = get_as(&app, "/signin/2fa", &full).await;
        assert_eq!(res.status().as_u16(), 303);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn recovery_codes_work_once_and_can_be_replaced() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "treasurer@example.org", Role::Treasurer).await;
        let token = session_for(db, &m.id).await;
        let (secret, codes) = enrol(&app, &token).await;

        // Typed loosely (capitals, spaces): accepted once.
        let typed = codes[0].to_uppercase().replace('-', " - ");
        let pend = pending_session_for(db, &m.id).await;
        let res = submit(
            &app,
            "/signin/2fa?next=%2Faccount",
            "/signin/2fa",
            &pend,
            &[("code", &typed), ("next", "/account")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account", "goes on to the page asked for");
        assert!(session_cookie(&res).is_some());
        assert_eq!(audit_count(db, "2fa.recovery_code_used").await, 1);
        let pend = pending_session_for(db, &m.id).await;
        let res = second_step(&app, &pend, &codes[0]).await;
        assert_eq!(res.status().as_u16(), 401, "a recovery code works once");
        let html = page_as(&app, "/account/2fa", &token).await;
        assert!(html.contains("You have 9 unused recovery codes."));

        // Making new codes needs a current code.
        let res = post_code(&app, &token, "/account/recovery-codes", "999999").await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(audit_count(db, "recovery_codes.regenerated").await, 0);
        away_from_step_boundary().await;
        let res = post_code(&app, &token, "/account/recovery-codes", &code(&secret, 0)).await;
        assert_eq!(res.status().as_u16(), 200);
        let new_codes = recovery_codes_of(&res.text().await.expect("body"));
        assert_eq!(new_codes.len(), 10);
        assert_eq!(audit_count(db, "recovery_codes.regenerated").await, 1);
        // The old codes stopped working; the new ones work.
        let pend = pending_session_for(db, &m.id).await;
        let res = second_step(&app, &pend, &codes[1]).await;
        assert_eq!(res.status().as_u16(), 401);
        let res = second_step(&app, &pend, &new_codes[5]).await;
        assert_eq!(res.status().as_u16(), 303);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn five_wrong_codes_end_the_pending_session() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "editor@example.org", Role::Editor).await;
        let token = session_for(db, &m.id).await;
        let (secret, _) = enrol(&app, &token).await;
        let pend = pending_session_for(db, &m.id).await;
        let html = page_as(&app, "/signin/2fa", &pend).await;
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        for i in 1..=4 {
            let res = second_step_with(&app, &pend, &csrf, "000001").await;
            assert_eq!(res.status().as_u16(), 401, "attempt {i}");
            assert!(res.text().await.expect("body").contains("name=\"code\""));
        }
        let res = second_step_with(&app, &pend, &csrf, "000001").await;
        assert_eq!(res.status().as_u16(), 401);
        assert_eq!(
            session_cookie(&res).as_deref(),
            Some(""),
            "the cookie is cleared"
        );
        let html = res.text().await.expect("body");
        assert!(html.contains("Too many wrong codes"), "{html}");
        assert!(html.contains("href=\"/signin\""));
        assert_eq!(audit_count(db, "2fa.failed").await, 5);
        // Even the right code no longer helps: sign in again.
        away_from_step_boundary().await;
        forget_used_step(db, &m.id).await;
        let res = second_step_with(&app, &pend, &csrf, &code(&secret, 0)).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(location(&res).starts_with("/signin"));
        assert!(session::lookup(db, &pend).await.expect("lookup").is_none());
        // A new pending session starts with a clean count.
        let pend = pending_session_for(db, &m.id).await;
        let res = second_step(&app, &pend, &code(&secret, 0)).await;
        assert_eq!(res.status().as_u16(), 303);

        // Twenty wrong codes within the hour over all sessions: the second step closes
        // for the member, even for a right code.
        let key = format!("2fa:{}", m.id);
        for _ in 0..15 {
            throttle::record(db, &key, Utc::now())
                .await
                .expect("record");
        }
        forget_used_step(db, &m.id).await;
        let pend = pending_session_for(db, &m.id).await;
        let res = second_step(&app, &pend, &code(&secret, 0)).await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Please wait an hour")
        );
        assert!(session::lookup(db, &pend).await.expect("lookup").is_none());
        assert_eq!(audit_count(db, "2fa.throttled").await, 1);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_site_can_require_two_factor_for_owners_and_treasurers() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let owner = password_member(db, "owner@example.org", Role::Owner).await;
        let treasurer = password_member(db, "treasurer@example.org", Role::Treasurer).await;
        let editor = password_member(db, "editor@example.org", Role::Editor).await;
        let owner_token = session_for(db, &owner.id).await;
        let editor_token = session_for(db, &editor.id).await;

        assert!(!totp::require_2fa(db).await);
        assert!(!totp::must_enroll(&owner, db).await);
        let by = Actor {
            member_id: Some(owner.id.clone()),
            label: owner.email.clone(),
            ..Default::default()
        };
        totp::set_require_2fa(db, true, &by).await.expect("set");
        assert!(totp::require_2fa(db).await);
        assert!(totp::must_enroll(&owner, db).await);
        assert!(totp::must_enroll(&treasurer, db).await);
        assert!(!totp::must_enroll(&editor, db).await);
        let entries = audit::list(db, Some("settings.require_2fa"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].detail, "on");
        assert_eq!(entries[0].actor, "owner@example.org");

        // The owner is sent to set it up, with a notice; the editor is not.
        let res = get_as(&app, "/account", &owner_token).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account/2fa?required=1");
        let html = page_as(&app, "/account/2fa?required=1", &owner_token).await;
        assert!(html.contains("requires two-factor sign-in for your role"));
        let res = submit(
            &app,
            "/account/2fa",
            "/account/tokens",
            &owner_token,
            &[("label", "x")],
        )
        .await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "no API tokens before two-factor"
        );
        assert_eq!(count(db, "api_tokens").await, 0);
        let res = get_as(&app, "/account", &editor_token).await;
        assert_eq!(res.status().as_u16(), 200);

        // Enrolled: the account page opens; turning it off is refused while required.
        let (secret, _) = enrol(&app, &owner_token).await;
        let owner = team_repo::by_id(db, &owner.id)
            .await
            .expect("load")
            .expect("owner");
        assert!(!totp::must_enroll(&owner, db).await);
        let res = get_as(&app, "/account", &owner_token).await;
        assert_eq!(res.status().as_u16(), 200);
        let html = page_as(&app, "/account/2fa", &owner_token).await;
        assert!(!html.contains("action=\"/account/2fa/disable\""));
        let res = post_code(
            &app,
            &owner_token,
            "/account/2fa/disable",
            &code(&secret, 0),
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);
        assert!(totp_enabled(db, &owner.id).await);

        // Not required any more: a wrong code is refused, a right one turns it off.
        totp::set_require_2fa(db, false, &by).await.expect("set");
        let res = post_code(&app, &owner_token, "/account/2fa/disable", "111111").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(totp_enabled(db, &owner.id).await);
        away_from_step_boundary().await;
        let res = post_code(
            &app,
            &owner_token,
            "/account/2fa/disable",
            &code(&secret, 0),
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account?notice=2fa-disabled");
        assert!(!totp_enabled(db, &owner.id).await);
        assert_eq!(count(db, "recovery_codes").await, 0);
        assert_eq!(audit_count(db, "2fa.disabled").await, 1);
        let html = page_as(&app, "/account?notice=2fa-disabled", &owner_token).await;
        assert!(html.contains("Two-factor sign-in is off."));
        // Setting it up again starts with a new secret.
        let html = page_as(&app, "/account/2fa", &owner_token).await;
        assert_ne!(secret_of(&html), secret);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn account_page_and_password_change() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "member@example.org", Role::Member).await;
        let token = session_for(db, &m.id).await;
        let other = session_for(db, &m.id).await;

        let res = get_as(&app, "/account", &token).await;
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.expect("body");
        for needle in [
            "Test member",
            "member@example.org",
            "Europe/Copenhagen",
            "Two-factor sign-in is off.",
            "action=\"/signout-everywhere\"",
            "action=\"/account/password\"",
            "action=\"/account/tokens\"",
            "<label for=\"current_password\">",
            "<label for=\"new_password\">",
            "<label for=\"label\">",
        ] {
            assert!(html.contains(needle), "{needle} missing: {html}");
        }
        // Danish.
        let da = app
            .client
            .get(app.url("/account"))
            .header("cookie", format!("sr_session={token}; lang=da"))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(da.contains("Din konto"));
        // Anonymous visitors are sent to sign in.
        let res = app.get("/account").await;
        assert_eq!(res.status().as_u16(), 303);

        // Wrong current password; too short a new one.
        let res = change_password(&app, &token, "nope nope nope", "a new long password").await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"current_password\" name=\"current_password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"1024\" aria-invalid=\"true\""), "{html}");
        let res = change_password(&app, &token, PASSWORD, "short").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.expect("body").contains("id=\"new_password-err\""));
        // Without a bound CSRF token: refused.
        let res = post_as(
            &app,
            "/account/password",
            &token,
            &[("current_password", PASSWORD), ("new_password", "a new long password")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        // A token bound to another session does not work here either.
        let html = page_as(&app, "/account", &other).await;
        let others_csrf = hidden_value(&html, "csrf").expect("csrf");
        let res = post_as(
            &app,
            "/account/password",
            &token,
            &[("csrf", &others_csrf), ("current_password", PASSWORD), ("new_password", "a new long password")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let stored = team_repo::password_hash(db, &m.id).await.expect("hash").expect("some");
        assert!(password::verify(PASSWORD, &stored));

        // Changed: other sessions end, this one stays.
        let res = change_password(&app, &token, PASSWORD, "a new long password").await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account?notice=password-changed");
        let stored = team_repo::password_hash(db, &m.id).await.expect("hash").expect("some");
        assert!(password::verify("a new long password", &stored));
        assert!(!password::verify(PASSWORD, &stored));
        assert_eq!(get_as(&app, "/account", &other).await.status().as_u16(), 303);
        let html = page_as(&app, "/account?notice=password-changed", &token).await;
        assert!(html.contains("Your password is changed."));
        assert_eq!(audit_count(db, "password.changed").await, 1);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn password_then_code_signs_in() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "owner@example.org", Role::Owner).await;
        let token = session_for(db, &m.id).await;
        let (secret, _) = enrol(&app, &token).await;

        let html = app.text("/signin?next=%2Faccount").await;
        let csrf = hidden_value(&html, "csrf").expect("csrf on the sign-in page");
        let res = app
            .post_form(
                "/signin",
                &[
                    ("csrf", &csrf),
                    ("email", "owner@example.org"),
                    ("password", PASSWORD),
                    ("next", "/account"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/signin/2fa?next=%2Faccount");
        let pend = session_cookie(&res).expect("pending session cookie");
        assert!(
            session::lookup(db, &pend)
                .await
                .expect("lookup")
                .expect("session")
                .mfa_pending
        );
        assert_eq!(get_as(&app, "/account", &pend).await.status().as_u16(), 303);

        let html = page_as(&app, "/signin/2fa?next=%2Faccount", &pend).await;
        assert_eq!(hidden_value(&html, "next").as_deref(), Some("/account"));
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let res = post_as(
            &app,
            "/signin/2fa",
            &pend,
            &[
                ("csrf", &csrf),
                ("next", "/account"),
                ("code", &code(&secret, 1)),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account");
        let full = session_cookie(&res).expect("full session");
        assert_ne!(full, pend);
        assert_eq!(get_as(&app, "/account", &full).await.status().as_u16(), 200);
        // The pending session's CSRF token does not carry over to the new session.
        let res = post_as(
            &app,
            "/account/tokens",
            &full,
            &[("csrf", &csrf), ("label", "x")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        app.stop().await;
    })
    .await;
}
