// SPDX-License-Identifier: AGPL-3.0-or-later
//! The client's address behind a reverse proxy (`trusted_proxies`): the sign-in throttle
//! keys on the forwarded address only when the connection comes from a trusted proxy.

use chrono::Utc;
use shelfraiser::config::Settings;
use shelfraiser::on_db;
use shelfraiser::team::throttle;

use crate::harness::*;

/// A failed sign-in for an unknown account (a new one each time, so no account lockout
/// interferes), sent with these extra headers.
async fn failed_signin(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let html = app.text("/signin").await;
    let token = hidden_value(&html, "csrf").expect("csrf on the sign-in page");
    let email = format!("nobody-{}@example.org", uuid::Uuid::new_v4().simple());
    let mut req = app.client.post(app.url("/signin")).form(&[
        ("email", email.as_str()),
        ("password", "wrong password"),
        ("csrf", token.as_str()),
    ]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("POST /signin").status().as_u16()
}

/// The throttle's address keys, sorted.
async fn address_keys(app: &TestApp) -> Vec<String> {
    let mut keys: Vec<String> = on_db!(&app.db, |p| sqlx::query_scalar(
        "SELECT DISTINCT key FROM login_failures WHERE key LIKE 'ip:%'"
    )
    .fetch_all(p)
    .await
    .expect("keys"));
    keys.sort();
    keys
}

/// The addresses in the audit log's failed sign-ins, sorted.
async fn audited_addresses(app: &TestApp) -> Vec<String> {
    let mut ips: Vec<String> = on_db!(&app.db, |p| sqlx::query_scalar(
        "SELECT DISTINCT ip FROM audit_log WHERE action = 'signin.failed' AND ip IS NOT NULL"
    )
    .fetch_all(p)
    .await
    .expect("ips"));
    ips.sort();
    ips
}

/// Locks an address in the throttle (as many failures as its limit).
async fn lock_address(app: &TestApp, ip: &str) {
    for _ in 0..throttle::IP_LIMIT {
        throttle::record(&app.db, &throttle::ip_key(ip), Utc::now())
            .await
            .expect("record");
    }
}

#[tokio::test]
async fn throttle_keys_on_the_forwarded_address_only_behind_a_trusted_proxy() {
    each_backend(|tdb| async move {
        // No trusted proxies (the default): a forwarding header is the client's own text.
        let app = TestApp::start(settings(&tdb)).await;
        lock_address(&app, "203.0.113.9").await;
        assert_eq!(
            failed_signin(&app, &[("x-forwarded-for", "203.0.113.9")]).await,
            401,
            "a spoofed header does not reach the locked address"
        );
        assert_eq!(
            failed_signin(&app, &[("forwarded", "for=203.0.113.9")]).await,
            401
        );
        assert_eq!(address_keys(&app).await, ["ip:127.0.0.1", "ip:203.0.113.9"]);
        assert_eq!(audited_addresses(&app).await, ["127.0.0.1"]);
        app.stop().await;
        on_db!(&tdb.db, |p| sqlx::query("DELETE FROM login_failures")
            .execute(p)
            .await
            .expect("clear")
            .rows_affected());

        // Behind a trusted proxy on loopback: the right-most untrusted address counts; what
        // the client wrote further left does not.
        let trusted = Settings {
            trusted_proxies: vec!["127.0.0.1".into(), "10.0.0.0/8".into()],
            ..settings(&tdb)
        };
        let app = TestApp::start(trusted).await;
        lock_address(&app, "203.0.113.9").await;
        assert_eq!(
            failed_signin(&app, &[("x-forwarded-for", "203.0.113.9")]).await,
            429,
            "the locked address is recognised through the proxy"
        );
        assert_eq!(
            failed_signin(&app, &[("x-forwarded-for", "203.0.113.9, 198.51.100.4")]).await,
            401,
            "a spoofed left-most entry is ignored"
        );
        assert_eq!(
            failed_signin(
                &app,
                &[("x-forwarded-for", "6.6.6.6, 2001:db8:1:2::7, 10.1.1.1")]
            )
            .await,
            401
        );
        // The RFC 7239 header is not read unless configured.
        assert_eq!(
            failed_signin(&app, &[("forwarded", "for=203.0.113.9")]).await,
            401
        );
        assert_eq!(
            address_keys(&app).await,
            [
                "ip:127.0.0.1",
                "ip:198.51.100.4",
                "ip:2001:db8:1:2::/64",
                "ip:203.0.113.9"
            ]
        );
        assert_eq!(
            audited_addresses(&app).await,
            ["127.0.0.1", "198.51.100.4", "2001:db8:1:2::7"]
        );
        app.stop().await;

        // Configured for `Forwarded: for=`.
        let forwarded = Settings {
            trusted_proxies: vec!["127.0.0.1".into()],
            client_ip_header: "forwarded".into(),
            ..settings(&tdb)
        };
        let app = TestApp::start(forwarded).await;
        assert_eq!(
            failed_signin(
                &app,
                &[("forwarded", "for=198.51.100.4, for=\"203.0.113.9:4711\"")]
            )
            .await,
            429
        );
        assert_eq!(
            failed_signin(&app, &[("x-forwarded-for", "203.0.113.9")]).await,
            401,
            "X-Forwarded-For is not read when Forwarded is configured"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bad_trusted_proxies_stop_the_server_from_starting() {
    let out = run_cli_async(
        tempfile::tempdir().expect("dir").path(),
        &["campaign", "list"],
        &[("SHELFRAISER_TRUSTED_PROXIES", "127.0.0.1, not-an-address")],
    )
    .await;
    let line = out.one_line_error();
    assert!(line.contains("trusted_proxies"), "{line}");
    assert!(line.contains("not-an-address"), "{line}");
}
