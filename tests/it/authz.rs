//! The route table × every role: each rule in `app::authz::RULES` is exercised anonymously
//! and as a member holding each role; forbidden combinations answer 403 (or send the
//! anonymous visitor to sign in), allowed ones never do. A route with no rule is refused.

use http::Method;
use shelfraiser::app::authz::{Access, RULES};
use shelfraiser::team::{ALL_ROLES, Role};

use crate::harness::*;
use crate::team_harness::*;

/// Public routes that authenticate each request by its HTTP signature (federation's
/// inboxes): without one they answer 401, whoever is signed in.
const SIGNED: &[&str] = &["/inbox", "/campaigns/{slug}/inbox"];

/// Fills `{slug}`-style placeholders with values that exist where that matters.
fn concrete(path: &str) -> String {
    path.replace("{slug}", "test-library")
        .replace("{file}", "missing.css")
        .replace("{code}", "da")
        .replace("{provider}", "test")
        .replace("{id}", "00000000-0000-0000-0000-000000000000")
        .replace("{donation_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{session_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{token}", "not-a-real-token")
        .replace("{rev}", "00000000000000000000000000000000")
        .replace("{event}", "no-such-day")
        .replace("{entry}", "00000000000000000000000000000000")
}

async fn member_with(db: &shelfraiser::db::Db, role: Role) -> String {
    team_member(role.as_str())
        .named(role.as_str())
        .role(role)
        .signed_in(db)
        .await
        .token
}

#[tokio::test]
async fn every_route_has_a_rule_and_every_role_gets_what_it_should() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let mut sessions = Vec::new();
        for role in ALL_ROLES {
            sessions.push((role, member_with(&tdb.db, role).await));
        }
        let app = TestApp::start(settings(&tdb)).await;
        for rule in RULES {
            // The live stream never ends; its rule is public and covered by the live tests.
            if rule.path.ends_with("/live") {
                continue;
            }
            let url = app.url(&concrete(rule.path));
            let send = |cookie: Option<&str>| {
                let mut req = app.client.request(rule.method.clone(), &url);
                if let Some(c) = cookie {
                    req = req.header("cookie", format!("sr_session={c}"));
                }
                if rule.method == Method::POST {
                    req = req
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body("");
                }
                async move { req.send().await.expect("request").status().as_u16() }
            };
            let anon = send(None).await;
            assert_ne!(anon, 500, "{} {} anonymous", rule.method, rule.path);
            match rule.access {
                // The inboxes are public but take only requests with a valid HTTP signature.
                Access::Public if SIGNED.contains(&rule.path) => assert_eq!(
                    anon, 401,
                    "{} {} answers an unsigned request",
                    rule.method, rule.path
                ),
                Access::Public => assert!(
                    ![401, 403].contains(&anon),
                    "{} {} is public but answered {anon}",
                    rule.method,
                    rule.path
                ),
                Access::SignedIn | Access::Member(_) => {
                    let expect = if rule.path.starts_with("/api/") {
                        401
                    } else {
                        303
                    };
                    assert_eq!(anon, expect, "{} {} anonymous", rule.method, rule.path);
                }
            }
            for (role, token) in &sessions {
                let status = send(Some(token)).await;
                assert_ne!(status, 500, "{} {} as {role}", rule.method, rule.path);
                let allowed = match rule.access {
                    Access::Public | Access::SignedIn => true,
                    Access::Member(p) => role.allows(p),
                };
                if SIGNED.contains(&rule.path) {
                    assert_eq!(status, 401, "{} {} as {role}", rule.method, rule.path);
                } else if allowed {
                    assert!(
                        ![401, 403].contains(&status),
                        "{} {} as {role}: allowed but got {status}",
                        rule.method,
                        rule.path
                    );
                } else {
                    assert_eq!(
                        status, 403,
                        "{} {} as {role}: should be forbidden",
                        rule.method, rule.path
                    );
                }
            }
        }
        app.stop().await;
    })
    .await;
}

#[test]
fn rules_are_unique() {
    for (i, a) in RULES.iter().enumerate() {
        for b in &RULES[i + 1..] {
            assert!(
                !(a.method == b.method && a.path == b.path),
                "duplicate rule {} {}",
                a.method,
                a.path
            );
        }
    }
}
