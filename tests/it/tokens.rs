//! Personal API tokens, over real HTTP on both backends: created on the account page (shown
//! once, stored hashed), used as `Authorization: Bearer` on `GET /api/v1/me` with the
//! member's roles, `last_used_at` kept at most once a minute, revoked; unknown, revoked and
//! malformed tokens answer 401 JSON; `shelfraiser token create` prints a working token.

use chrono::{DateTime, Duration, Utc};
use shelfraiser::db::Db;
use shelfraiser::team::audit;
use shelfraiser::team::{Role, repo as team_repo, session::hash_token};

use crate::harness::*;
use crate::team_harness::*;

async fn me(app: &TestApp, auth: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url("/api/v1/me"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    req.send().await.expect("GET /api/v1/me")
}

/// Creates a token labelled `label` with the account page's form.
async fn create_token(app: &TestApp, session: &str, label: &str) -> reqwest::Response {
    submit(
        app,
        "/account",
        "/account/tokens",
        session,
        &[("label", label)],
    )
    .await
}

/// Revokes token `id` with the account page's form.
async fn revoke_token(app: &TestApp, session: &str, id: &str) -> reqwest::Response {
    let action = format!("/account/tokens/{id}/revoke");
    submit(app, "/account", &action, session, &[]).await
}

fn new_token_of(html: &str) -> Option<String> {
    let start = html.find("id=\"new-token\"")?;
    let rest = &html[start..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')? + v;
    Some(rest[v..end].to_string())
}

async fn last_used(db: &Db, id: &str) -> Option<DateTime<Utc>> {
    let sql = "SELECT last_used_at FROM api_tokens WHERE id = $1";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(p)
            .await
            .expect("row"),
        Db::Postgres(p) => sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(p)
            .await
            .expect("row"),
    }
}

async fn set_last_used(db: &Db, id: &str, at: DateTime<Utc>) {
    let sql = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
    match db {
        Db::Sqlite(p) => {
            sqlx::query(sql)
                .bind(id)
                .bind(at)
                .execute(p)
                .await
                .expect("update");
        }
        Db::Postgres(p) => {
            sqlx::query(sql)
                .bind(id)
                .bind(at)
                .execute(p)
                .await
                .expect("update");
        }
    }
}

async fn token_ids(db: &Db) -> Vec<(String, String)> {
    let sql = "SELECT id, token_hash FROM api_tokens ORDER BY created_at";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.expect("rows"),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.expect("rows"),
    }
}

async fn assert_401_json(res: reqwest::Response, what: &str) {
    assert_eq!(res.status().as_u16(), 401, "{what}");
    let body: serde_json::Value = res.json().await.expect("JSON body");
    assert_eq!(body["error"]["code"], "unauthorized", "{what}: {body}");
}

#[tokio::test]
async fn tokens_are_shown_once_act_as_their_member_and_can_be_revoked() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "editor@example.org", Role::Member).await;
        team_repo::add_grant(db, &m.id, Role::Editor, Some(&c.id))
            .await
            .expect("grant");
        let session = session_for(db, &m.id).await;

        // A label is needed.
        let res = create_token(&app, &session, "  ").await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("id=\"label-err\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert_eq!(count(db, "api_tokens").await, 0);

        let res = create_token(&app, &session, "report script").await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("private, no-store")
        );
        let html = res.text().await.expect("body");
        let token = new_token_of(&html).expect("the new token on the page");
        assert!(token.starts_with("sr_") && token.len() == 46, "{token}");
        // Stored hashed only.
        let rows = token_ids(db).await;
        assert_eq!(rows.len(), 1);
        let (id, stored) = rows[0].clone();
        assert_eq!(stored, hash_token(&token));
        assert!(!stored.contains(&token[3..]));
        // Not shown again; listed by label.
        let html = page_as(&app, "/account", &session).await;
        assert!(new_token_of(&html).is_none());
        assert!(!html.contains(&token));
        assert!(html.contains("report script"));
        assert!(html.contains("Never"));

        // The token acts as the member, with their roles.
        assert_eq!(last_used(db, &id).await, None);
        let res = me(&app, Some(&format!("Bearer {token}"))).await;
        assert_eq!(res.status().as_u16(), 200);
        let body: serde_json::Value = res.json().await.expect("JSON");
        assert_eq!(body["id"], m.id.as_str());
        assert_eq!(body["email"], "editor@example.org");
        assert_eq!(body["display_name"], "Test member");
        assert_eq!(body["time_zone"], "Europe/Copenhagen");
        let roles = body["roles"].as_array().expect("roles");
        assert_eq!(roles.len(), 2, "{body}");
        assert!(roles.contains(&serde_json::json!({"role": "editor", "campaign": "test-library"})));
        assert!(roles.contains(&serde_json::json!({"role": "member", "campaign": null})));

        // last_used_at: set on first use, then at most once a minute.
        let first = last_used(db, &id).await.expect("marked used");
        let res = me(&app, Some(&format!("bearer {token}"))).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(last_used(db, &id).await, Some(first));
        let old = Utc::now() - Duration::seconds(61);
        set_last_used(db, &id, old).await;
        me(&app, Some(&format!("Bearer {token}"))).await;
        let newer = last_used(db, &id).await.expect("newer");
        assert_ne!(newer, old, "used more than a minute later: updated");

        // The session cookie still works for the API.
        let res = get_as(&app, "/api/v1/me", &session).await;
        assert_eq!(res.status().as_u16(), 200);

        // Another member cannot revoke it.
        let other = password_member(db, "other@example.org", Role::Owner).await;
        let other_session = session_for(db, &other.id).await;
        let res = revoke_token(&app, &other_session, &id).await;
        assert_eq!(res.status().as_u16(), 404);
        // Revoking needs the bound CSRF token.
        let res = post_as(
            &app,
            &format!("/account/tokens/{id}/revoke"),
            &session,
            &[("csrf", "1.00")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(
            me(&app, Some(&format!("Bearer {token}")))
                .await
                .status()
                .as_u16(),
            200
        );

        let res = revoke_token(&app, &session, &id).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account?notice=token-revoked");
        assert_401_json(me(&app, Some(&format!("Bearer {token}"))).await, "revoked").await;
        let html = page_as(&app, "/account?notice=token-revoked", &session).await;
        assert!(html.contains("You have no API tokens."));
        assert!(html.contains("The token is revoked"));
        // Revoking twice: nothing left to revoke.
        let res = revoke_token(&app, &session, &id).await;
        assert_eq!(res.status().as_u16(), 404);

        let created = audit::list(db, Some("token.created"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].actor, "editor@example.org");
        assert_eq!(created[0].detail, "report script");
        assert!(!created[0].detail.contains("sr_"));
        assert_eq!(
            audit::list(db, Some("token.revoked"), None, 10, 0)
                .await
                .expect("audit")
                .len(),
            1
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bad_tokens_answer_401_json() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "member@example.org", Role::Member).await;
        let session = session_for(db, &m.id).await;

        assert_401_json(me(&app, None).await, "no header").await;
        assert_401_json(me(&app, Some("Bearer nope")).await, "not a token").await;
        let unknown = format!("Bearer sr_{}", "A".repeat(43));
        assert_401_json(me(&app, Some(&unknown)).await, "unknown token").await;
        assert_401_json(me(&app, Some("Basic dXNlcjpwYXNz")).await, "basic auth").await;
        assert_401_json(me(&app, Some("Bearer")).await, "empty bearer").await;

        let (_, token) = shelfraiser::team::tokens::create(db, &m.id, "x", &audit::Actor::cli())
            .await
            .expect("token");
        // A bad token is not rescued by a good cookie.
        let res = app
            .client
            .get(app.url("/api/v1/me"))
            .header("cookie", format!("sr_session={session}"))
            .header("authorization", "Bearer sr_wrong")
            .send()
            .await
            .expect("GET");
        assert_401_json(res, "bad token with a good cookie").await;
        // Tokens are for the API only: a browser page does not take one.
        let res = app
            .client
            .get(app.url("/account"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 303);
        // A removed member's tokens stop working.
        assert_eq!(
            me(&app, Some(&format!("Bearer {token}")))
                .await
                .status()
                .as_u16(),
            200
        );
        team_repo::set_status(db, &m.id, shelfraiser::team::MemberStatus::Removed)
            .await
            .expect("remove");
        assert_401_json(
            me(&app, Some(&format!("Bearer {token}"))).await,
            "removed member",
        )
        .await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_api_document_describes_me_and_the_bearer_scheme() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let doc: serde_json::Value = app
            .get("/api/openapi.json")
            .await
            .json()
            .await
            .expect("JSON");
        assert!(doc["paths"]["/api/v1/me"]["get"].is_object(), "{doc}");
        assert_eq!(
            doc["paths"]["/api/v1/me"]["get"]["security"][0]["bearer"],
            serde_json::json!([])
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["components"]["schemas"]["MeJson"].is_object());
        assert!(doc["paths"]["/api/v1/campaigns"]["get"].is_object());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn cli_token_create_prints_a_working_token() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &tdb.db;
        password_member(db, "treasurer@example.org", Role::Treasurer).await;
        let run = |args: Vec<&'static str>| {
            let mut all = storage_args(&tdb);
            all.extend(args.iter().map(|s| s.to_string()));
            let dir = tdb.dir.clone();
            async move {
                let all: Vec<&str> = all.iter().map(String::as_str).collect();
                run_cli_async(dir.path(), &all, &[]).await
            }
        };
        let out = run(vec![
            "token",
            "create",
            "--email",
            "Treasurer@Example.org",
            "--label",
            "nightly export",
        ])
        .await;
        assert!(out.ok(), "{out:?}");
        let token = out.stdout.trim().to_string();
        assert!(token.starts_with("sr_") && !token.contains('\n'), "{out:?}");
        let res = me(&app, Some(&format!("Bearer {token}"))).await;
        assert_eq!(res.status().as_u16(), 200);
        let body: serde_json::Value = res.json().await.expect("JSON");
        assert_eq!(body["email"], "treasurer@example.org");
        assert_eq!(body["roles"][0]["role"], "treasurer");
        let entries = audit::list(db, Some("token.created"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor, "cli");
        assert_eq!(entries[0].detail, "nightly export");

        let out = run(vec!["token", "create", "--email", "nobody@example.org"]).await;
        let line = out.one_line_error();
        assert!(line.contains("no member"), "{line}");
        app.stop().await;
    })
    .await;
}
