//! Interoperability with an independent implementation of Stripe's webhook signatures:
//! Stripe's own Python library (`stripe` on PyPI, pinned in scripts/interop-venv.sh) signs
//! event bodies and our endpoint accepts them; a tampered body or signature, a stale
//! timestamp or a wrong secret is refused with 400. And the other way round: the library
//! accepts what our signing code makes (the test provider's scheme is the same).
//!
//! The virtualenv comes from `SHELFRAISER_INTEROP_VENV` (scripts/test.sh sets it). Without
//! it the test is skipped with a loud message, except in CI (`CI=true`), where it fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use chrono::Utc;

use crate::fake_stripe::*;
use crate::harness::*;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/stripe_sign.py");

/// The virtualenv's Python, or `None` (skip) outside CI.
fn python() -> Option<PathBuf> {
    interop_python("Stripe's library", "the Stripe interoperability test")
}

/// Runs the script; (exit success, stdout).
fn run(py: &PathBuf, args: &[&str], body: &str) -> (bool, String) {
    let mut child = Command::new(py)
        .arg(SCRIPT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write body");
    let out = child.wait_with_output().expect("python ran");
    if !out.status.success() {
        eprintln!("stripe_sign.py: {}", String::from_utf8_lossy(&out.stderr));
    }
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

fn library_sign(py: &PathBuf, secret: &str, t: i64, body: &str) -> String {
    let (ok, header) = run(py, &["sign", secret, &t.to_string()], body);
    assert!(ok && header.starts_with("t="), "{header}");
    header
}

async fn post(app: &TestApp, body: &str, sig: &str) -> u16 {
    app.client
        .post(app.url("/providers/stripe/callback"))
        .header("content-type", "application/json")
        .header("stripe-signature", sig)
        .body(body.to_string())
        .send()
        .await
        .expect("webhook")
        .status()
        .as_u16()
}

#[tokio::test]
async fn stripes_own_library_signs_webhooks_we_accept() {
    let Some(py) = python() else {
        return;
    };
    each_backend(|tdb| {
        let py = py.clone();
        async move {
            seed_campaign(&tdb.db, "test-library").await;
            let fake = FakeStripe::start().await;
            let app = TestApp::start(with_stripe(settings(&tdb), &fake.base)).await;
            let res = app
                .donate(
                    "test-library",
                    &[
                        ("amount", "25"),
                        ("currency", "GBP"),
                        ("visibility", "public"),
                        ("provider", "stripe"),
                    ],
                )
                .await;
            assert_eq!(res.status().as_u16(), 303);
            let call = fake.calls().last().cloned().expect("call");
            let id = call.field("client_reference_id").expect("id").to_string();
            let body = session_event(
                "evt_py",
                "checkout.session.completed",
                &id,
                "paid",
                2500,
                "gbp",
            );
            let now = Utc::now().timestamp();

            // Refused: tampered body, tampered signature, stale, wrong secret.
            let good = library_sign(&py, WEBHOOK_SECRET, now, &body);
            let tampered_body = body.replace("2500", "2501");
            assert_eq!(post(&app, &tampered_body, &good).await, 400);
            let last = good.chars().last().expect("hex");
            let flipped = format!(
                "{}{}",
                &good[..good.len() - 1],
                if last == '0' { '1' } else { '0' }
            );
            assert_eq!(post(&app, &body, &flipped).await, 400);
            let stale = library_sign(&py, WEBHOOK_SECRET, now - 301, &body);
            assert_eq!(post(&app, &body, &stale).await, 400);
            let other = library_sign(&py, "whsec_someone_else", now, &body);
            assert_eq!(post(&app, &body, &other).await, 400);
            assert_eq!(count(&tdb.db, "donations").await, 0);

            // Accepted: the library's signature over the exact body, once.
            assert_eq!(post(&app, &body, &good).await, 200);
            assert_eq!(post(&app, &body, &good).await, 200);
            assert_eq!(count(&tdb.db, "donations").await, 1);

            // The other way round: the library accepts our signatures, and refuses a
            // tampered body.
            let ours = stripe_signature(WEBHOOK_SECRET, &body);
            assert_eq!(
                run(&py, &["verify", WEBHOOK_SECRET, &ours], &body),
                (true, "checkout.session.completed".to_string())
            );
            assert!(!run(&py, &["verify", WEBHOOK_SECRET, &ours], &tampered_body).0);
            app.stop().await;
            fake.stop();
        }
    })
    .await;
}
