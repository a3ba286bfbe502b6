//! Guessing passwords and codes in bursts, over real HTTP on both backends: simultaneous
//! sign-ins for one account and from one address, second-step codes (TOTP and recovery
//! codes) on one pending session, and protected posts. Each attempt is counted before its
//! check (`team::throttle::reserve`), so a burst gets at most the limit checked.

use std::collections::BTreeMap;

use shelfraiser::config::Settings;
use shelfraiser::passwords as password;
use shelfraiser::team::{Role, throttle, totp};

use crate::blog_read::{article, day, exec, insert};
use crate::harness::*;
use crate::team_harness::*;

/// Test settings with a hasher that never refuses (a busy test machine must not turn
/// checks into 503s).
fn patient(tdb: &TestDb) -> Settings {
    let mut s = settings(tdb);
    s.passwords.hash_queue = 1000;
    s.passwords.hash_wait_ms = 60_000;
    s
}

/// Posts every form of `forms` to `path` at once (optionally with a session cookie);
/// returns the statuses in the order of `forms` and whether each answer set a session.
async fn burst(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    forms: Vec<Vec<(String, String)>>,
) -> Vec<(u16, bool, Option<String>)> {
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|form| {
            let mut req = app.client.post(app.url(path)).form(&form);
            if let Some(c) = cookie {
                req = req.header("cookie", format!("sr_session={c}"));
            }
            tokio::spawn(async move {
                let res = req.send().await.expect("POST");
                let signed_in = session_cookie(&res).is_some_and(|c| !c.is_empty());
                let retry = res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                (res.status().as_u16(), signed_in, retry)
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

fn tally(answers: &[(u16, bool, Option<String>)]) -> BTreeMap<u16, usize> {
    let mut m = BTreeMap::new();
    for (status, _, _) in answers {
        *m.entry(*status).or_insert(0) += 1;
    }
    m
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_burst_of_guesses_for_one_account_gets_only_the_allowed_checks() {
    each_backend(|tdb| async move {
        let app = TestApp::start(patient(&tdb)).await;
        password_member(&app.db, "ana@example.org", Role::Treasurer).await;
        let csrf = app.signin_csrf().await;
        // 49 wrong passwords and the right one last, all at once.
        let mut forms: Vec<_> = (0..49)
            .map(|i| {
                form(&[
                    ("email", "ana@example.org"),
                    ("password", &format!("wrong guess {i}")),
                    ("csrf", &csrf),
                ])
            })
            .collect();
        forms.push(form(&[
            ("email", "ana@example.org"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ]));
        let answers = burst(&app, "/signin", None, forms).await;
        let t = tally(&answers);
        let checked = t.get(&401).copied().unwrap_or(0) + t.get(&303).copied().unwrap_or(0);
        assert!(checked <= throttle::ACCOUNT_LIMIT, "{t:?}");
        assert_eq!(
            t.get(&429).copied().unwrap_or(0),
            50 - checked,
            "the rest are refused before the check: {t:?}"
        );
        // Whatever the order of arrival: once the limit is reached nobody signs in; only
        // the right password among the first allowed checks could have.
        let signed_in = answers.iter().filter(|a| a.1).count();
        assert!(signed_in <= 1, "{t:?}");
        if signed_in == 0 {
            assert_eq!(t.get(&401).copied(), Some(throttle::ACCOUNT_LIMIT), "{t:?}");
            // The account is locked now, the right password included.
            let res = app
                .post_form(
                    "/signin",
                    &[
                        ("email", "ana@example.org"),
                        ("password", PASSWORD),
                        ("csrf", &csrf),
                    ],
                )
                .await;
            assert_eq!(res.status().as_u16(), 429);
        }
        assert!(
            answers.iter().filter(|a| a.0 == 429).all(|a| a
                .2
                .as_deref()
                .and_then(|r| r.parse::<i64>().ok())
                .is_some()),
            "every 429 has Retry-After"
        );
        assert_eq!(audit_count(&app.db, "signin.failed").await, t[&401]);
        app.stop().await;
    })
    .await;
}

/// Two app nodes on one database: the reservation is a row lock in the database, so a
/// burst split across the nodes gets no more checks than a burst on one.
#[tokio::test]
async fn a_burst_split_over_two_nodes_gets_only_the_allowed_checks() {
    each_backend(|tdb| async move {
        let one = TestApp::start(patient(&tdb)).await;
        let two = TestApp::start(patient(&tdb)).await;
        password_member(&one.db, "ana@example.org", Role::Treasurer).await;
        let guesses = |app_csrf: String, from: usize| -> Vec<Vec<(String, String)>> {
            (from..from + 25)
                .map(|i| {
                    form(&[
                        ("email", "ana@example.org"),
                        ("password", &format!("wrong guess {i}")),
                        ("csrf", &app_csrf),
                    ])
                })
                .collect()
        };
        let csrf_one = one.signin_csrf().await;
        let csrf_two = two.signin_csrf().await;
        let (a, b) = tokio::join!(
            burst(&one, "/signin", None, guesses(csrf_one, 0)),
            burst(&two, "/signin", None, guesses(csrf_two, 25)),
        );
        let (ta, tb) = (tally(&a), tally(&b));
        let checked = ta.get(&401).copied().unwrap_or(0) + tb.get(&401).copied().unwrap_or(0);
        assert_eq!(checked, throttle::ACCOUNT_LIMIT, "{ta:?} {tb:?}");
        let refused = ta.get(&429).copied().unwrap_or(0) + tb.get(&429).copied().unwrap_or(0);
        assert_eq!(refused, 50 - checked, "{ta:?} {tb:?}");
        assert_eq!(audit_count(&one.db, "signin.failed").await, checked);
        one.stop().await;
        two.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_burst_over_many_accounts_from_one_address_gets_only_the_address_limit() {
    each_backend(|tdb| async move {
        let app = TestApp::start(patient(&tdb)).await;
        let csrf = app.signin_csrf().await;
        let n = throttle::IP_LIMIT + 15;
        let forms: Vec<_> = (0..n)
            .map(|i| {
                form(&[
                    ("email", &format!("u{i}@example.org")),
                    ("password", "wrong password"),
                    ("csrf", &csrf),
                ])
            })
            .collect();
        let t = tally(&burst(&app, "/signin", None, forms).await);
        assert_eq!(t.get(&401).copied(), Some(throttle::IP_LIMIT), "{t:?}");
        assert_eq!(t.get(&429).copied(), Some(15), "{t:?}");
        assert_eq!(
            audit_count(&app.db, "signin.failed").await,
            throttle::IP_LIMIT
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_second_step_codes_gets_only_the_allowed_checks() {
    each_backend(|tdb| async move {
        let app = TestApp::start(patient(&tdb)).await;
        let db = &tdb.db;
        let m = password_member(db, "owner@example.org", Role::Owner).await;
        let secret = totp::new_secret();
        exec(
            db,
            "UPDATE members SET totp_secret = $1, totp_enabled = TRUE WHERE id = $2",
            &[&secret, &m.id],
        )
        .await;
        let pend = pending_session_for(db, &m.id).await;
        let csrf = bound_csrf(&app, "/signin/2fa", &pend).await;
        // Wrong TOTP codes (none of the codes valid around now) and wrong recovery codes.
        let now = u64::try_from(chrono::Utc::now().timestamp()).expect("time");
        let valid: Vec<String> = [now - 60, now - 30, now, now + 30, now + 60]
            .iter()
            .filter_map(|t| totp::code_at(&secret, *t))
            .collect();
        let mut codes: Vec<String> = (0..100_000u32)
            .map(|i| format!("{:06}", i * 7))
            .filter(|c| !valid.contains(c))
            .take(15)
            .collect();
        codes.extend((0..15).map(|i| format!("zzzz-zzzz-zz{i:02}")));
        let forms = codes
            .iter()
            .map(|c| form(&[("code", c), ("csrf", &csrf)]))
            .collect();
        let answers = burst(&app, "/signin/2fa", Some(&pend), forms).await;
        assert!(answers.iter().all(|a| !a.1), "no one signed in");
        let checked = audit_count(db, "2fa.failed").await;
        assert!(
            checked <= totp::MAX_FAILURES as usize,
            "{checked} codes checked: {:?}",
            tally(&answers)
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn protected_post_guesses_are_throttled_per_post_and_address() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let mut p = article("minutes", "Board minutes", "Hidden zebra.", day(2024, 2, 2));
        p.password_hash = Some(password::hash("4711").expect("hash"));
        insert(db, p).await;
        let mut other = article("other", "Other minutes", "Hidden yak.", day(2024, 2, 3));
        other.password_hash = Some(password::hash("0815").expect("hash"));
        insert(db, other).await;
        let app = TestApp::start(patient(&tdb)).await;
        let path = "/2024/02/02/minutes/";
        let csrf = public_csrf(&app, path).await;

        // A burst of 4-digit guesses: at most the limit are checked, the rest 429.
        let forms = (0..40)
            .map(|i| form(&[("csrf", &csrf), ("password", &format!("{i:04}"))]))
            .collect();
        let answers = burst(&app, path, None, forms).await;
        let t = tally(&answers);
        assert_eq!(t.get(&403).copied(), Some(throttle::POST_LIMIT), "{t:?}");
        assert_eq!(
            t.get(&429).copied(),
            Some(40 - throttle::POST_LIMIT),
            "{t:?}"
        );
        // Locked: even the right password is refused, with Retry-After and a message.
        let res = app
            .post_form(path, &[("csrf", &csrf), ("password", "4711")])
            .await;
        assert_eq!(res.status().as_u16(), 429);
        let retry: i64 = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=60).contains(&retry), "{retry}");
        let html = res.text().await.expect("body");
        assert!(!html.contains("zebra"));
        assert!(html.contains("Too many wrong passwords"), "{html}");
        // Another post is a key of its own (the address is not yet over its limit).
        let res = app
            .post_form(
                "/2024/02/03/other/",
                &[("csrf", &csrf), ("password", "0815")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.expect("body").contains("yak"));
        app.stop().await;
    })
    .await;
}
