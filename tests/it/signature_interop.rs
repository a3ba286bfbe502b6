//! Interoperability of federation's HTTP signatures with independent implementations from
//! PyPI (pinned in scripts/interop-venv.sh, driven by tests/interop/http_signatures.py):
//! `http-message-signatures` for RFC 9421 and `httpsig` for draft-cavage. Both ways: the
//! libraries verify what our signing code makes (and refuse it with a changed body), and our
//! inbox's check accepts what the libraries sign.
//!
//! The virtualenv comes from `SHELFRAISER_INTEROP_VENV` (scripts/test.sh sets it). Without
//! it the test is skipped with a loud message, except in CI (`CI=true`), where it fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use chrono::Utc;
use http::HeaderMap;
use serde_json::{Value, json};
use shelfraiser::federation::keys;
use shelfraiser::federation::signatures::{Incoming, Signer, http_date, sign, sign_rfc9421};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/http_signatures.py"
);
const HOST: &str = "127.0.0.1:8080";
const KEY_ID: &str = "http://127.0.0.1:8080/campaigns/x#main-key";

fn python() -> Option<PathBuf> {
    crate::harness::interop_python(
        "the HTTP signature libraries",
        "the HTTP signature interoperability test",
    )
}

fn run(py: &PathBuf, req: &Value) -> Value {
    let mut child = Command::new(py)
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(req.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python ran");
    assert!(
        out.status.success(),
        "http_signatures.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON answer")
}

fn header_map(v: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in v.as_object().expect("headers") {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.as_str().expect("value").parse().expect("value"),
        );
    }
    h
}

fn as_json(pairs: &[(&str, String)]) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("host".into(), HOST.into());
    for (n, v) in pairs {
        m.insert((*n).to_string(), v.clone().into());
    }
    Value::Object(m)
}

#[test]
fn http_signatures_interoperate_with_independent_libraries_both_ways() {
    let Some(py) = python() else { return };
    let pair = keys::generate().expect("key");
    let signer = Signer {
        key_id: KEY_ID.into(),
        key: pair.private_pem.clone(),
    };
    let body = r#"{"type":"Follow","id":"http://127.0.0.1:9/f/1"}"#;
    let now = Utc::now();
    let url = format!("http://{HOST}/inbox");

    // Ours, checked by the libraries.
    let ours = sign_rfc9421(
        &signer,
        "POST",
        "http",
        HOST,
        "/inbox",
        Some(body.as_bytes()),
        now,
    )
    .expect("sign");
    let verify = |headers: &Value, body: &str| {
        run(
            &py,
            &json!({"mode": "verify-9421", "method": "POST", "url": url, "headers": headers,
                "body": body, "public_pem": pair.public_pem}),
        )
    };
    let answer = verify(&as_json(&ours), body);
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(verify(&as_json(&ours), "{}")["ok"], false);
    let ours = sign(&signer, "POST", "/inbox", HOST, Some(body.as_bytes()), now).expect("sign");
    let answer = run(
        &py,
        &json!({"mode": "verify-cavage", "method": "POST", "path": "/inbox", "host": HOST,
            "headers": as_json(&ours), "public_pem": pair.public_pem}),
    );
    assert_eq!(answer["ok"], true, "{answer}");

    // Theirs, checked by our inbox's code.
    let theirs = run(
        &py,
        &json!({"mode": "sign-9421", "method": "POST", "url": url,
            "headers": {"host": HOST, "content-type": "application/activity+json"},
            "body": body, "private_pem": pair.private_pem.expose(), "key_id": KEY_ID}),
    );
    let h = header_map(&theirs["headers"]);
    let incoming =
        Incoming::check("POST", "http", "/inbox", &h, body.as_bytes(), now).expect("checked");
    assert!(incoming.rfc9421);
    assert_eq!(incoming.key_id, KEY_ID);
    incoming.verify(&pair.public_pem).expect("verifies");
    assert!(Incoming::check("POST", "http", "/inbox", &h, b"{}", now).is_err());

    let digest = {
        use base64::Engine as _;
        use sha2::Digest as _;
        format!(
            "SHA-256={}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body))
        )
    };
    let theirs = run(
        &py,
        &json!({"mode": "sign-cavage", "method": "POST", "path": "/inbox", "host": HOST,
            "headers": {"host": HOST, "date": http_date(now), "digest": digest},
            "private_pem": pair.private_pem.expose(), "key_id": KEY_ID}),
    );
    let h = header_map(&theirs["headers"]);
    let incoming =
        Incoming::check("POST", "http", "/inbox", &h, body.as_bytes(), now).expect("checked");
    assert!(!incoming.rfc9421);
    incoming.verify(&pair.public_pem).expect("verifies");
}
