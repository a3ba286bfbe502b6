//! A remote fediverse server on a loopback port, written for the tests from the public
//! description of Mastodon's behaviour (not with the site's own code): one actor, `ana`,
//! whose document carries an RSA key made here with OpenSSL; it signs the activities it
//! sends (draft-cavage, `(request-target) host date digest`, rsa-sha256) and records what
//! reaches its inbox, answering with the status a test sets.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use sha2::{Digest, Sha256};

/// A request that reached the fake inbox.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Clone)]
struct Shared {
    base: String,
    public_pem: Arc<Mutex<String>>,
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    /// What the followers collection's `totalItems` says; `None`: the collection is hidden
    /// (403).
    followers: Arc<Mutex<Option<i64>>>,
}

pub struct FakeFediverse {
    pub base: String,
    key: Mutex<PKey<Private>>,
    shared: Shared,
}

pub fn new_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey")
}

fn public_pem(k: &PKey<Private>) -> String {
    String::from_utf8(k.public_key_to_pem().expect("pem")).expect("utf8")
}

impl FakeFediverse {
    pub async fn start() -> FakeFediverse {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let key = new_key();
        let shared = Shared {
            base: base.clone(),
            public_pem: Arc::new(Mutex::new(public_pem(&key))),
            received: Arc::default(),
            status: Arc::new(AtomicU16::new(202)),
            followers: Arc::default(),
        };
        let app = Router::new()
            .route("/users/ana", get(actor))
            .route("/users/ana/inbox", post(inbox))
            .route("/users/ana/followers", get(followers))
            .route("/inbox", post(inbox))
            .route("/avatar.png", get(avatar_png))
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        FakeFediverse {
            base,
            key: Mutex::new(key),
            shared,
        }
    }

    pub fn actor(&self) -> String {
        format!("{}/users/ana", self.base)
    }

    pub fn key_id(&self) -> String {
        format!("{}#main-key", self.actor())
    }

    /// Gives the actor a new key (its document shows the new one from now on).
    pub fn rotate_key(&self) {
        let k = new_key();
        *self.shared.public_pem.lock().expect("lock") = public_pem(&k);
        *self.key.lock().expect("lock") = k;
    }

    /// What the followers collection says from now on (`None`: hidden).
    pub fn set_followers(&self, n: Option<i64>) {
        *self.shared.followers.lock().expect("lock") = n;
    }

    /// What the inbox answers from now on.
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Forgets what reached the inbox so far.
    pub fn clear(&self) {
        self.shared.received.lock().expect("lock").clear();
    }

    /// The host and port, as an allow-list entry names it.
    pub fn authority(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// The headers that sign a POST of `body` to `url` with an HTTP Message Signature
    /// (RFC 9421), made with the site's signing function and this actor's key.
    pub fn sign_post_rfc9421(&self, url: &str, body: &[u8]) -> Vec<(String, String)> {
        let u = url::Url::parse(url).expect("url");
        let host = format!(
            "{}:{}",
            u.host_str().expect("host"),
            u.port().expect("port")
        );
        let pem = String::from_utf8(
            self.key
                .lock()
                .expect("lock")
                .private_key_to_pem_pkcs8()
                .expect("pem"),
        )
        .expect("utf8");
        let signer = shelfraiser::federation::signatures::Signer {
            key_id: self.key_id(),
            key: shelfraiser::federation::keys::PrivateKeyPem::new(pem),
        };
        let mut out = vec![("host".to_string(), host.clone())];
        for (n, v) in shelfraiser::federation::signatures::sign_rfc9421(
            &signer,
            "POST",
            "http",
            &host,
            u.path(),
            Some(body),
            chrono::Utc::now(),
        )
        .expect("sign")
        {
            out.push((n.to_string(), v));
        }
        out
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// The headers that sign a POST of `body` to `url` with this actor's key (or `key`).
    pub fn sign_post(
        &self,
        url: &str,
        body: &[u8],
        key: Option<&PKey<Private>>,
    ) -> Vec<(String, String)> {
        let u = url::Url::parse(url).expect("url");
        let host = format!(
            "{}:{}",
            u.host_str().expect("host"),
            u.port().expect("port")
        );
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let digest = format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)));
        let text = format!(
            "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}",
            u.path()
        );
        let own = self.key.lock().expect("lock").clone();
        let key = key.unwrap_or(&own);
        let mut signer = Signer::new(MessageDigest::sha256(), key).expect("signer");
        signer.update(text.as_bytes()).expect("update");
        let sig = STANDARD.encode(signer.sign_to_vec().expect("sign"));
        vec![
            ("host".into(), host),
            ("date".into(), date),
            ("digest".into(), digest),
            (
                "signature".into(),
                format!(
                    "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{sig}\"",
                    self.key_id()
                ),
            ),
        ]
    }
}

async fn actor(State(s): State<Shared>) -> Response {
    let id = format!("{}/users/ana", s.base);
    let doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": "ana",
        "name": "Ana Reader",
        "url": format!("{}/@ana", s.base),
        "icon": {"type": "Image", "mediaType": "image/png", "url": format!("{}/avatar.png", s.base)},
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "endpoints": {"sharedInbox": format!("{}/inbox", s.base)},
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": s.public_pem.lock().expect("lock").clone(),
        }
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

/// The followers collection: its size only, or 403 when hidden.
async fn followers(State(s): State<Shared>) -> Response {
    match *s.followers.lock().expect("lock") {
        Some(n) => (
            [("content-type", "application/activity+json")],
            serde_json::json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/users/ana/followers", s.base),
                "type": "OrderedCollection",
                "totalItems": n,
            })
            .to_string(),
        )
            .into_response(),
        None => StatusCode::FORBIDDEN.into_response(),
    }
}

/// A 200 × 100 picture, as an avatar might be (not square).
async fn avatar_png() -> Response {
    let img = image::RgbImage::from_fn(200, 100, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    ([("content-type", "image/png")], out.into_inner()).into_response()
}

async fn inbox(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.received.lock().expect("lock").push(Received {
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.to_vec(),
    });
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).expect("status")
}

/// Checks a request the site sent, independently of the site's code: the `Digest` matches
/// the body, and the `Signature` (draft-cavage, rsa-sha256) over the headers it names
/// verifies with `public_pem`. Returns the signature's key id.
pub fn verify_signed_post(r: &Received, path: &str, public_pem: &str) -> String {
    let digest = r.header("digest").expect("Digest header");
    assert_eq!(
        digest,
        format!("SHA-256={}", STANDARD.encode(Sha256::digest(&r.body)))
    );
    let sig = r.header("signature").expect("Signature header");
    let param = |name: &str| -> String {
        let start = sig
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("{name} in {sig}"))
            + name.len()
            + 2;
        let end = start + sig[start..].find('"').expect("closing quote");
        sig[start..end].to_string()
    };
    assert_eq!(param("algorithm"), "rsa-sha256");
    let covered = param("headers");
    for needed in ["(request-target)", "host", "date", "digest"] {
        assert!(
            covered.split(' ').any(|h| h == needed),
            "{needed} in {covered}"
        );
    }
    let text: Vec<String> = covered
        .split(' ')
        .map(|h| {
            if h == "(request-target)" {
                format!("(request-target): post {path}")
            } else {
                format!(
                    "{h}: {}",
                    r.header(h).unwrap_or_else(|| panic!("header {h}"))
                )
            }
        })
        .collect();
    let key = PKey::public_key_from_pem(public_pem.as_bytes()).expect("public key");
    let mut v = Verifier::new(MessageDigest::sha256(), &key).expect("verifier");
    v.update(text.join("\n").as_bytes()).expect("update");
    let signature = STANDARD.decode(param("signature")).expect("base64");
    assert!(
        v.verify(&signature).expect("verify"),
        "the signature verifies"
    );
    param("keyId")
}
