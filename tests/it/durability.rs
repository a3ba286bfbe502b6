//! Crash safety of the real binary: provider callbacks arrive from several connections,
//! the server is killed with SIGKILL in the middle, and after a restart on the same storage
//! every acknowledged donation is there, the ledger balances, and the callbacks that were
//! never acknowledged can be re-sent and are recorded exactly once.

use std::collections::{HashMap, VecDeque};
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use shelfraiser::db::Db;

use crate::harness::*;

/// The demo campaign `serve --demo` seeds.
const SLUG: &str = "library-for-kalpakkam";
/// Checkout sessions opened before the crash.
const SESSIONS: usize = 60;
/// The server is killed once this many callbacks have been acknowledged.
const KILL_AFTER: usize = 25;
/// Concurrent callback senders.
const SENDERS: usize = 4;

struct Callback {
    session: String,
    reference: String,
    amount_minor: i64,
    body: String,
}

/// What became of one callback.
#[derive(Debug, Clone)]
enum Sent {
    /// A 2xx response with its JSON body.
    Acked(Value),
    /// An HTTP answer other than 2xx (never expected).
    Refused(u16, String),
    /// No complete answer: the connection failed or was cut.
    Lost(String),
}

async fn send(client: &reqwest::Client, base: &str, cb: &Callback) -> Sent {
    let res = client
        .post(format!("{base}/providers/test/callback"))
        .header("content-type", "application/json")
        .header("shelfraiser-signature", sign(&cb.body))
        .body(cb.body.clone())
        .send()
        .await;
    let res = match res {
        Ok(r) => r,
        Err(e) => return Sent::Lost(e.to_string()),
    };
    let status = res.status().as_u16();
    match res.text().await {
        Ok(text) if (200..300).contains(&status) => match serde_json::from_str(&text) {
            Ok(v) => Sent::Acked(v),
            Err(e) => Sent::Refused(status, format!("not JSON ({e}): {text}")),
        },
        Ok(text) => Sent::Refused(status, text),
        Err(e) => Sent::Lost(format!("status {status}, body cut: {e}")),
    }
}

async fn session_donation(db: &Db, session: &str) -> (String, Option<String>) {
    let sql = "SELECT status, donation_id FROM checkout_sessions WHERE id = $1";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).bind(session).fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_as(sql).bind(session).fetch_one(p).await,
    }
    .expect("checkout session")
}

async fn donations_with_reference(db: &Db, reference: &str) -> Vec<(String, i64)> {
    let sql = "SELECT id, campaign_amount_minor FROM donations \
               WHERE provider = 'test' AND provider_reference = $1";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).bind(reference).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_as(sql).bind(reference).fetch_all(p).await,
    }
    .expect("donations")
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
    .expect("scalar")
}

/// `shelfraiser ledger verify` on the same storage must pass.
async fn ledger_verifies(tdb: &TestDb) {
    let mut args = storage_args(tdb);
    args.extend(["ledger".to_string(), "verify".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_cli_async(tdb.dir.path(), &args, &[]).await;
    assert!(out.ok(), "ledger verify: {out:?}");
    assert!(out.stdout.contains("ledger ok"), "{out:?}");
}

fn start_server(tdb: &TestDb) -> ServerProcess {
    let mut args = storage_args(tdb);
    args.push("--demo".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServerProcess::start(
        &args,
        &[
            ("SHELFRAISER_PROVIDERS__TEST__SECRET", TEST_SECRET),
            // All the checkouts come from one address at once: no card-testing limits here.
            ("SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP", "0"),
            ("SHELFRAISER_DONATIONS__CHECKOUTS_PER_CAMPAIGN", "0"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_donations_survive_sigkill() {
    each_backend(|tdb| async move {
        let t_start = Instant::now();
        let client = http_client();
        let server = start_server(&tdb);
        server
            .wait_ok(&client, "/readyz", Duration::from_secs(30))
            .await;

        // Open the checkout sessions through the donate form, £1 … £60.
        let page = client
            .get(server.url(&format!("/campaigns/{SLUG}")))
            .send()
            .await
            .expect("campaign page")
            .text()
            .await
            .expect("body");
        let csrf = hidden_value(&page, "csrf").expect("csrf field");
        let mut callbacks = Vec::with_capacity(SESSIONS);
        for i in 0..SESSIONS {
            let amount = (i + 1).to_string();
            let res = client
                .post(server.url(&format!("/campaigns/{SLUG}/donate")))
                .form(&[
                    ("amount", amount.as_str()),
                    ("currency", "GBP"),
                    ("name", "Durability test"),
                    ("email", ""),
                    ("message", ""),
                    ("visibility", "public"),
                    ("csrf", csrf.as_str()),
                ])
                .send()
                .await
                .expect("donate");
            assert_eq!(res.status().as_u16(), 303, "donate #{i}");
            let session = location(&res)
                .strip_prefix("/test-checkout/")
                .expect("test checkout URL")
                .to_string();
            let reference = format!("dur-{i}-{}", uuid::Uuid::new_v4().simple());
            let amount_minor = (i as i64 + 1) * 100;
            let body = succeeded_body(&session, &reference, amount_minor, "GBP");
            callbacks.push(Callback {
                session,
                reference,
                amount_minor,
                body,
            });
        }
        assert_eq!(
            scalar(
                &tdb.db,
                "SELECT COUNT(*) FROM checkout_sessions WHERE status = 'open'"
            )
            .await,
            SESSIONS as i64
        );
        let demo_donations = count(&tdb.db, "donations").await;

        // Callbacks from several connections; SIGKILL once enough are acknowledged.
        let callbacks = Arc::new(callbacks);
        let queue = Arc::new(Mutex::new((0..SESSIONS).collect::<VecDeque<_>>()));
        let results: Arc<Mutex<HashMap<usize, Sent>>> = Arc::default();
        let acks = Arc::new(AtomicUsize::new(0));
        let killed = Arc::new(AtomicBool::new(false));
        let pid = server.pid();
        let mut senders = Vec::new();
        for _ in 0..SENDERS {
            let (client, base) = (client.clone(), server.base.clone());
            let (callbacks, queue, results) = (callbacks.clone(), queue.clone(), results.clone());
            let (acks, killed) = (acks.clone(), killed.clone());
            senders.push(tokio::spawn(async move {
                loop {
                    if killed.load(Ordering::SeqCst) {
                        break;
                    }
                    let Some(i) = queue.lock().expect("queue").pop_front() else {
                        break;
                    };
                    let sent = send(&client, &base, &callbacks[i]).await;
                    let acked = matches!(sent, Sent::Acked(_));
                    results.lock().expect("results").insert(i, sent);
                    if acked
                        && acks.fetch_add(1, Ordering::SeqCst) + 1 >= KILL_AFTER
                        && !killed.swap(true, Ordering::SeqCst)
                    {
                        tokio::task::spawn_blocking(move || send_signal(pid, "KILL"))
                            .await
                            .expect("kill");
                    }
                }
            }));
        }
        for s in senders {
            s.await.expect("sender task");
        }
        let mut server = server;
        let status = server
            .wait_exit(Duration::from_secs(10))
            .await
            .expect("the server died");
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
        drop(server);

        let results = results.lock().expect("results").clone();
        let mut acked: HashMap<usize, Value> = HashMap::new();
        let mut lost = Vec::new();
        for (i, sent) in &results {
            match sent {
                Sent::Acked(v) => {
                    assert_eq!(v["status"], "recorded", "#{i}: {v}");
                    acked.insert(*i, v.clone());
                }
                Sent::Refused(code, body) => panic!("callback #{i} refused: {code} {body}"),
                Sent::Lost(why) => lost.push(why.clone()),
            }
        }
        eprintln!(
            "   [{}] before the kill: {} acknowledged, {} cut off {:?}, {} never sent",
            tdb.backend,
            acked.len(),
            lost.len(),
            lost.first(),
            SESSIONS - results.len()
        );
        assert!(acked.len() >= KILL_AFTER, "{}", acked.len());
        assert!(
            acked.len() < SESSIONS,
            "the kill must come before every callback was acknowledged"
        );

        // Restart on the same storage.
        let client = http_client();
        let server = start_server(&tdb);
        server
            .wait_ok(&client, "/readyz", Duration::from_secs(30))
            .await;

        // Every acknowledged donation is there, once, for its amount.
        for (i, v) in &acked {
            let cb = &callbacks[*i];
            let (status, donation_id) = session_donation(&tdb.db, &cb.session).await;
            assert_eq!(status, "succeeded", "#{i}");
            let donation_id = donation_id.expect("session names its donation");
            assert_eq!(
                v["donation_id"].as_str(),
                Some(donation_id.as_str()),
                "#{i}"
            );
            let rows = donations_with_reference(&tdb.db, &cb.reference).await;
            assert_eq!(rows, vec![(donation_id, cb.amount_minor)], "#{i}");
        }
        ledger_verifies(&tdb).await;

        // The rest, re-sent (as a provider retries): recorded or duplicate, never an error.
        let (mut recorded, mut duplicate) = (0, 0);
        for (i, cb) in callbacks.iter().enumerate() {
            if acked.contains_key(&i) {
                continue;
            }
            match send(&client, &server.base, cb).await {
                Sent::Acked(v) => match v["status"].as_str() {
                    Some("recorded") => recorded += 1,
                    Some("duplicate") => duplicate += 1,
                    _ => panic!("#{i}: {v}"),
                },
                other => panic!("re-sent callback #{i}: {other:?}"),
            }
        }
        eprintln!(
            "   [{}] after the restart: {recorded} recorded, {duplicate} duplicate",
            tdb.backend
        );
        assert_eq!(recorded + duplicate, SESSIONS - acked.len());

        // Exactly once each: one donation per session, for the session's amount.
        for cb in callbacks.iter() {
            let (status, donation_id) = session_donation(&tdb.db, &cb.session).await;
            assert_eq!(status, "succeeded");
            let rows = donations_with_reference(&tdb.db, &cb.reference).await;
            assert_eq!(
                rows,
                vec![(donation_id.expect("donation id"), cb.amount_minor)]
            );
        }
        assert_eq!(
            count(&tdb.db, "donations").await,
            demo_donations + SESSIONS as i64
        );
        let expected: i64 = callbacks.iter().map(|c| c.amount_minor).sum();
        assert_eq!(
            scalar(
                &tdb.db,
                "SELECT CAST(SUM(campaign_amount_minor) AS BIGINT) FROM donations \
                 WHERE provider = 'test' AND provider_reference LIKE 'dur-%'"
            )
            .await,
            expected
        );
        ledger_verifies(&tdb).await;

        // Everything once more: all duplicates now, nothing changes.
        for (i, cb) in callbacks.iter().enumerate() {
            match send(&client, &server.base, cb).await {
                Sent::Acked(v) => assert_eq!(v["status"], "duplicate", "#{i}: {v}"),
                other => panic!("#{i}: {other:?}"),
            }
        }
        assert_eq!(
            count(&tdb.db, "donations").await,
            demo_donations + SESSIONS as i64
        );

        let mut server = server;
        server.signal("TERM");
        let status = server
            .wait_exit(Duration::from_secs(25))
            .await
            .expect("exits after SIGTERM");
        assert_eq!(status.code(), Some(0), "{status:?}");
        eprintln!("   [{}] took {:?}", tdb.backend, t_start.elapsed());
    })
    .await;
}
