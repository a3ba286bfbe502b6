//! Account hardening, over real HTTP on both backends: a completed password reset uses up
//! the member's other one-time links; a password change and "sign out everywhere" revoke
//! outstanding links and API tokens; the site's "require 2FA" holds on `/api/*` for cookie
//! sessions and tokens alike; cookie-authenticated API writes need a same-origin request.

use shelfraiser::db::Db;
use shelfraiser::team::audit::{self, Actor};
use shelfraiser::team::links::{self, Purpose};
use shelfraiser::team::{Role, repo as team_repo, tokens, totp};

use crate::harness::*;
use crate::team_harness::*;

/// A personal API token for the member (as `shelfraiser token create` makes one).
async fn api_token(db: &Db, member_id: &str) -> String {
    tokens::create(db, member_id, "script", &Actor::cli())
        .await
        .expect("token")
        .1
}

/// `GET /api/v1/me` with a bearer token.
async fn me_with_token(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("GET /api/v1/me")
}

/// Whether a one-time sign-in link still opens a session.
async fn signin_link_works(app: &TestApp, link: &str) -> bool {
    let res = app.get(&format!("/signin/link/{link}")).await;
    let status = res.status().as_u16();
    let works = session_cookie(&res).is_some_and(|c| !c.is_empty());
    assert!(
        (status == 303 && works) || (status == 410 && !works),
        "sign-in link answered {status}"
    );
    works
}

/// Whether a reset link still shows its form.
async fn reset_link_works(app: &TestApp, link: &str) -> bool {
    let status = app.get(&format!("/reset/{link}")).await.status().as_u16();
    assert!(
        status == 200 || status == 410,
        "reset link answered {status}"
    );
    status == 200
}

/// Sets a new password through a reset link's form.
async fn reset_with(app: &TestApp, link: &str, new: &str) -> reqwest::Response {
    let path = format!("/reset/{link}");
    // The public form token of the "forgot your password" page (a dead link shows no form).
    let csrf = public_csrf(app, "/reset").await;
    app.post_form(
        &path,
        &[("csrf", &csrf), ("password", new), ("confirm", new)],
    )
    .await
}

/// The account page's notice.
fn notice(html: &str) -> String {
    html.split("id=\"account-notice\"")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or("")
        .to_string()
}

async fn audit_details(db: &Db, action: &str) -> Vec<String> {
    audit::list(db, Some(action), None, 100, 0)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.detail)
        .collect()
}

#[tokio::test]
async fn a_completed_reset_uses_up_the_members_other_links() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let ana = password_member(db, "ana@example.org", Role::Editor).await;
        let bob = password_member(db, "bob@example.org", Role::Editor).await;
        let first = links::create(db, &ana.id, Purpose::Reset)
            .await
            .expect("link");
        let second = links::create(db, &ana.id, Purpose::Reset)
            .await
            .expect("link");
        let signin = links::create(db, &ana.id, Purpose::SignIn)
            .await
            .expect("link");
        let bobs = links::create(db, &bob.id, Purpose::Reset)
            .await
            .expect("link");
        let token = api_token(db, &ana.id).await;
        let other_session = session_for(db, &ana.id).await;
        assert!(reset_link_works(&app, &second).await);

        let res = reset_with(&app, &first, "a brand new password").await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(session_cookie(&res).is_some(), "the reset signs in");

        // The second reset link and the sign-in link are used up.
        assert!(!reset_link_works(&app, &second).await);
        let res = reset_with(&app, &second, "yet another password").await;
        assert_eq!(res.status().as_u16(), 410);
        assert!(!signin_link_works(&app, &signin).await);
        // Other sessions and API tokens end too; another member's link is untouched.
        assert!(!live(db, &other_session).await);
        assert_eq!(me_with_token(&app, &token).await.status().as_u16(), 401);
        assert!(reset_link_works(&app, &bobs).await);
        let details = audit_details(db, "password.reset").await;
        assert_eq!(details.len(), 1);
        assert!(details[0].contains("1 API tokens revoked"), "{details:?}");
        assert_eq!(audit_details(db, "token.revoked").await.len(), 1);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_password_change_revokes_links_and_api_tokens() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let ana = password_member(db, "ana@example.org", Role::Editor).await;
        let bob = password_member(db, "bob@example.org", Role::Editor).await;
        let cookie = session_for(db, &ana.id).await;
        let other_session = session_for(db, &ana.id).await;
        let token = api_token(db, &ana.id).await;
        let bobs_token = api_token(db, &bob.id).await;
        let reset = links::create(db, &ana.id, Purpose::Reset)
            .await
            .expect("link");
        let signin = links::create(db, &ana.id, Purpose::SignIn)
            .await
            .expect("link");
        assert_eq!(me_with_token(&app, &token).await.status().as_u16(), 200);

        let form = [
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
        ];
        let res = submit(&app, "/account", "/account/password", &cookie, &form).await;
        assert_eq!(res.status().as_u16(), 303);
        let to = location(&res);
        assert!(to.starts_with("/account?notice="), "{to}");

        assert_eq!(me_with_token(&app, &token).await.status().as_u16(), 401);
        assert!(!reset_link_works(&app, &reset).await);
        assert!(!signin_link_works(&app, &signin).await);
        assert!(live(db, &cookie).await, "this session stays");
        assert!(!live(db, &other_session).await);
        assert_eq!(
            me_with_token(&app, &bobs_token).await.status().as_u16(),
            200
        );
        // The page says what happened, in English and Danish.
        let html = page_as(&app, &to, &cookie).await;
        assert!(
            notice(&html).contains("your API tokens were revoked"),
            "{html}"
        );
        assert!(html.contains("You have no API tokens."));
        let res = app
            .client
            .get(app.url(&to))
            .header("cookie", format!("sr_session={cookie}; lang=da"))
            .send()
            .await
            .expect("GET");
        let html = res.text().await.expect("body");
        assert!(
            notice(&html).contains("API-nøgler er tilbagekaldt"),
            "{html}"
        );
        let details = audit_details(db, "password.changed").await;
        assert_eq!(details.len(), 1);
        assert!(details[0].contains("1 API tokens revoked"), "{details:?}");
        assert_eq!(audit_details(db, "token.revoked").await.len(), 1);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn signing_out_everywhere_revokes_links_and_api_tokens() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let ana = password_member(db, "ana@example.org", Role::Editor).await;
        let cookie = session_for(db, &ana.id).await;
        let token = api_token(db, &ana.id).await;
        let reset = links::create(db, &ana.id, Purpose::Reset)
            .await
            .expect("link");
        let signin = links::create(db, &ana.id, Purpose::SignIn)
            .await
            .expect("link");
        // The button says what it does.
        let html = page_as(&app, "/account", &cookie).await;
        assert!(html.contains("revokes your API tokens"), "{html}");

        let res = submit(&app, "/account", "/signout-everywhere", &cookie, &[]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(!live(db, &cookie).await);
        assert_eq!(me_with_token(&app, &token).await.status().as_u16(), 401);
        assert!(!reset_link_works(&app, &reset).await);
        assert!(!signin_link_works(&app, &signin).await);
        let details = audit_details(db, "signout.everywhere").await;
        assert_eq!(details.len(), 1);
        assert!(details[0].contains("1 API tokens revoked"), "{details:?}");
        app.stop().await;
    })
    .await;
}

/// `POST /api/v1/posts` with `body` and extra headers.
async fn post_api(app: &TestApp, headers: &[(&str, String)], title: &str) -> reqwest::Response {
    let mut req = app.client.post(app.url("/api/v1/posts"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.json(&serde_json::json!({"title": title, "body": "Hello"}))
        .send()
        .await
        .expect("POST /api/v1/posts")
}

async fn get_api(app: &TestApp, headers: &[(&str, String)]) -> reqwest::Response {
    let mut req = app.client.get(app.url("/api/v1/me"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.expect("GET /api/v1/me")
}

/// Asserts a 403 JSON error with `code`; returns its message.
async fn assert_403(res: reqwest::Response, code: &str, what: &str) -> String {
    assert_eq!(res.status().as_u16(), 403, "{what}");
    let body: serde_json::Value = res.json().await.expect("JSON body");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(body["error"]["request_id"].is_string(), "{what}: {body}");
    body["error"]["message"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn the_api_refuses_members_without_two_factor_when_the_site_requires_it() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let origin = app.base.clone();
        let owner = password_member(db, "owner@example.org", Role::Owner).await;
        let editor = password_member(db, "editor@example.org", Role::Editor).await;
        let owner_cookie = session_for(db, &owner.id).await;
        let owner_token = api_token(db, &owner.id).await;
        let editor_token = api_token(db, &editor.id).await;
        let as_cookie = vec![
            ("cookie", format!("sr_session={owner_cookie}")),
            ("origin", origin.clone()),
        ];
        let as_token = vec![("authorization", format!("Bearer {owner_token}"))];

        // Not required yet: both work.
        assert_eq!(get_api(&app, &as_cookie).await.status().as_u16(), 200);
        assert_eq!(get_api(&app, &as_token).await.status().as_u16(), 200);
        assert_eq!(
            post_api(&app, &as_cookie, "one").await.status().as_u16(),
            201
        );
        assert_eq!(
            post_api(&app, &as_token, "two").await.status().as_u16(),
            201
        );

        let by = Actor::cli();
        totp::set_require_2fa(db, true, &by).await.expect("set");
        let posts = count(db, "posts").await;
        for (who, headers) in [("cookie", &as_cookie), ("token", &as_token)] {
            let msg = assert_403(
                get_api(&app, headers).await,
                "two_factor_required",
                &format!("me with a {who}"),
            )
            .await;
            assert!(msg.contains("two-factor"), "{msg}");
            assert!(msg.contains("/account/2fa"), "{msg}");
            assert_403(
                post_api(&app, headers, "three").await,
                "two_factor_required",
                &format!("post with a {who}"),
            )
            .await;
        }
        assert_eq!(count(db, "posts").await, posts, "nothing written");
        // In Danish too.
        let mut da = as_token.clone();
        da.push(("accept-language", "da".into()));
        let msg = assert_403(get_api(&app, &da).await, "two_factor_required", "da").await;
        assert!(msg.contains("totrinslogin"), "{msg}");
        // The requirement is for owners and treasurers (as in the console): an editor's
        // token still works.
        let as_editor = vec![("authorization", format!("Bearer {editor_token}"))];
        assert_eq!(get_api(&app, &as_editor).await.status().as_u16(), 200);

        // Once the owner has two-factor, the same cookie and token work again.
        exec(
            db,
            &format!(
                "UPDATE members SET totp_enabled = TRUE, totp_secret = 'JBSWY3DPEHPK3PXP' \
                 WHERE id = '{}'",
                owner.id
            ),
        )
        .await;
        assert!(
            team_repo::by_id(db, &owner.id)
                .await
                .expect("load")
                .expect("owner")
                .totp_enabled
        );
        assert_eq!(get_api(&app, &as_cookie).await.status().as_u16(), 200);
        assert_eq!(get_api(&app, &as_token).await.status().as_u16(), 200);
        assert_eq!(
            post_api(&app, &as_cookie, "four").await.status().as_u16(),
            201
        );
        assert_eq!(
            post_api(&app, &as_token, "five").await.status().as_u16(),
            201
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn cookie_api_writes_need_a_same_origin_request() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let editor = password_member(db, "editor@example.org", Role::Editor).await;
        let cookie = format!("sr_session={}", session_for(db, &editor.id).await);
        let token = format!("Bearer {}", api_token(db, &editor.id).await);
        let evil = "https://evil.example".to_string();

        let cross = [
            vec![("cookie", cookie.clone()), ("origin", evil.clone())],
            vec![("cookie", cookie.clone()), ("origin", "null".into())],
            vec![
                ("cookie", cookie.clone()),
                ("sec-fetch-site", "cross-site".into()),
            ],
        ];
        for headers in &cross {
            assert_403(
                post_api(&app, headers, "forged").await,
                "cross_origin",
                &format!("{headers:?}"),
            )
            .await;
        }
        assert_eq!(count(db, "posts").await, 0, "nothing written");

        // Same origin, a client without browser headers, and a token (from anywhere) work.
        let same = vec![
            ("cookie", cookie.clone()),
            ("origin", app.base.clone()),
            ("sec-fetch-site", "same-origin".into()),
        ];
        assert_eq!(post_api(&app, &same, "same").await.status().as_u16(), 201);
        let plain = vec![("cookie", cookie.clone())];
        assert_eq!(post_api(&app, &plain, "plain").await.status().as_u16(), 201);
        let tok = vec![("authorization", token.clone()), ("origin", evil.clone())];
        assert_eq!(post_api(&app, &tok, "token").await.status().as_u16(), 201);
        // Reading is not a write: a foreign Origin on GET is not refused here.
        let read = vec![("cookie", cookie.clone()), ("origin", evil.clone())];
        assert_eq!(get_api(&app, &read).await.status().as_u16(), 200);
        assert_eq!(count(db, "posts").await, 3);
        app.stop().await;
    })
    .await;
}
