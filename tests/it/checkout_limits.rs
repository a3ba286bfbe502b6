// SPDX-License-Identifier: AGPL-3.0-or-later
//! Rate limits on starting a checkout (card-testing defence): per client address and per
//! campaign, counted in the database; over a limit the donate form answers 429 with
//! Retry-After, keeps what was typed and stores nothing.

use chrono::{Duration, Utc};
use shelfraiser::config::Settings;
use shelfraiser::donations::checkout;
use shelfraiser::on_db;

use crate::harness::*;

const SLUG: &str = "limited-library";

/// Posts the donate form from `client` (through the trusted loopback proxy).
async fn donate_from(
    app: &TestApp,
    slug: &str,
    client: &str,
    amount: &str,
    lang: &str,
) -> reqwest::Response {
    let token = app.csrf(slug).await;
    app.client
        .post(app.url(&format!("/campaigns/{slug}/donate")))
        .header("x-forwarded-for", client)
        .header("accept-language", lang)
        .form(&[
            ("amount", amount),
            ("currency", "GBP"),
            ("name", "Ada"),
            ("email", ""),
            ("message", "Good luck"),
            ("visibility", "public"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .expect("POST donate")
}

fn retry_after(res: &reqwest::Response) -> i64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds")
}

fn limited(tdb: &TestDb, per_ip: i64, per_campaign: i64) -> Settings {
    let mut s = Settings {
        trusted_proxies: vec!["127.0.0.1".into()],
        ..settings(tdb)
    };
    s.donations.checkouts_per_ip = per_ip;
    s.donations.checkouts_per_campaign = per_campaign;
    s
}

#[tokio::test]
async fn the_next_checkout_from_one_address_gets_429_and_others_go_on() {
    each_backend(|tdb| async move {
        const N: usize = 3;
        seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(limited(&tdb, N as i64, 0)).await;

        for i in 0..N {
            let res = donate_from(&app, SLUG, "203.0.113.9", "5", "en").await;
            assert_eq!(res.status().as_u16(), 303, "checkout {i}");
        }
        // The N+1-th from the same address (even claiming another one further left).
        let res = donate_from(&app, SLUG, "198.51.100.1, 203.0.113.9", "7.25", "en").await;
        assert_eq!(res.status().as_u16(), 429);
        let retry = retry_after(&res);
        assert!((1..=600).contains(&retry), "{retry}");
        let html = res.text().await.expect("body");
        assert!(
            html.contains("too many donation attempts from your connection"),
            "{html}"
        );
        assert!(html.contains("Please wait 10 minutes"), "{html}");
        assert!(html.contains("value=\"7.25\""), "the amount is kept");
        assert!(html.contains("Good luck"), "the message is kept");
        assert_eq!(
            count(&app.db, "checkout_sessions").await,
            N as i64,
            "nothing stored"
        );

        // In Danish too.
        let res = donate_from(&app, SLUG, "203.0.113.9", "5", "da").await;
        assert_eq!(res.status().as_u16(), 429);
        let html = res.text().await.expect("body");
        assert!(html.contains("fra din forbindelse"), "{html}");

        // Another address, and the same IPv6 subscriber's other addresses are one client.
        let res = donate_from(&app, SLUG, "203.0.113.10", "5", "en").await;
        assert_eq!(res.status().as_u16(), 303);
        for i in 0..N {
            let res = donate_from(&app, SLUG, &format!("2001:db8:5:6::{i}"), "5", "en").await;
            assert_eq!(res.status().as_u16(), 303, "v6 checkout {i}");
        }
        let res = donate_from(&app, SLUG, "2001:db8:5:6:ffff::1", "5", "en").await;
        assert_eq!(res.status().as_u16(), 429, "same /64");

        // Only keyed hashes are stored, never the address.
        let hashes: Vec<Option<String>> = on_db!(&app.db, |p| sqlx::query_scalar(
            "SELECT client_hash FROM checkout_sessions"
        )
        .fetch_all(p)
        .await
        .expect("hashes"));
        assert_eq!(hashes.len(), 2 * N + 1);
        for h in hashes.iter() {
            let h = h.as_deref().expect("a hash while inside the window");
            assert_eq!(h.len(), 64);
            assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_eq!(
            hashes
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            3,
            "one hash per client"
        );

        // The refusals are counted, without any address.
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains("shelfraiser_checkouts_rate_limited_total{limit=\"address\"} 3"),
            "{metrics}"
        );
        assert!(!metrics.contains("203.0.113"));

        // Once the window has passed the address may start checkouts again, and the hashes
        // are cleared (the per-node task does this every minute).
        on_db!(&app.db, |p| sqlx::query(
            "UPDATE checkout_sessions SET created_at = $1"
        )
        .bind(Utc::now() - Duration::minutes(11))
        .execute(p)
        .await
        .expect("age")
        .rows_affected());
        checkout::forget_client_hashes(&app.db, Utc::now() - Duration::minutes(10))
            .await
            .expect("forget");
        let hashed: i64 = on_db!(&app.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM checkout_sessions WHERE client_hash IS NOT NULL"
        )
        .fetch_one(p)
        .await
        .expect("count"));
        assert_eq!(hashed, 0, "old hashes are cleared");
        let res = donate_from(&app, SLUG, "203.0.113.9", "5", "en").await;
        assert_eq!(res.status().as_u16(), 303);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_campaign_has_a_ceiling_for_everyone_together() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, SLUG).await;
        seed_campaign(&tdb.db, "other-library").await;
        let app = TestApp::start(limited(&tdb, 10, 2)).await;
        for ip in ["203.0.113.1", "203.0.113.2"] {
            let res = donate_from(&app, SLUG, ip, "5", "en").await;
            assert_eq!(res.status().as_u16(), 303, "{ip}");
        }
        let res = donate_from(&app, SLUG, "203.0.113.3", "12", "en").await;
        assert_eq!(res.status().as_u16(), 429);
        let retry = retry_after(&res);
        assert!((1..=60).contains(&retry), "{retry}");
        let html = res.text().await.expect("body");
        assert!(
            html.contains("This campaign is receiving very many donation attempts right now"),
            "{html}"
        );
        assert!(html.contains("value=\"12\""), "the amount is kept");
        assert_eq!(count(&app.db, "checkout_sessions").await, 2);
        // Another campaign is not affected.
        let res = donate_from(&app, "other-library", "203.0.113.3", "5", "en").await;
        assert_eq!(res.status().as_u16(), 303);
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains("shelfraiser_checkouts_rate_limited_total{limit=\"campaign\"} 1"),
            "{metrics}"
        );
        app.stop().await;

        // 0 turns the limits off; with the address limit off no hash is stored.
        let app = TestApp::start(limited(&tdb, 0, 0)).await;
        let res = donate_from(&app, SLUG, "203.0.113.3", "5", "en").await;
        assert_eq!(res.status().as_u16(), 303);
        let hashed: i64 = on_db!(&app.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM checkout_sessions WHERE client_hash IS NOT NULL"
        )
        .fetch_one(p)
        .await
        .expect("count"));
        assert_eq!(hashed, 3, "only the earlier sessions carry a hash");
        app.stop().await;
    })
    .await;
}
