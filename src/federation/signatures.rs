//! Draft-cavage HTTP signatures: made for our requests (what Mastodon requires: POST signs
//! `(request-target) host date digest` with a `Digest: SHA-256=…`, GET signs
//! `(request-target) host date`, `algorithm="rsa-sha256"`, `keyId="<actor>#main-key"`), and
//! checked on incoming ones ([`Incoming::check`], then [`Incoming::verify`] with the key).

use chrono::{DateTime, Utc};
use http::HeaderMap;
use shelfraiser_formats::http_signature::{
    Algorithm, SignatureError, SignatureHeader, check_date, check_digest, digest_header,
};

use super::keys::{self, PrivateKeyPem};

/// How far a request's `Date` may lie in the past (Mastodon: about 65 minutes).
pub const MAX_AGE_SECS: i64 = 65 * 60;
/// How far it may lie in the future (Mastodon: one hour).
pub const MAX_AHEAD_SECS: i64 = 60 * 60;

/// Who signs our requests: the key id (`{actor}#main-key`) and the actor's private key.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key_id: String,
    pub key: PrivateKeyPem,
}

/// An HTTP date (`Tue, 15 Nov 1994 08:12:31 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The headers that sign a request: `Date`, `Digest` (with a body) and `Signature`, as
/// (name, value) pairs to add beside `Host` (which the client sends from the URL).
pub fn sign(
    signer: &Signer,
    method: &str,
    target: &str,
    host: &str,
    body: Option<&[u8]>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let date = http_date(now);
    let mut out = vec![("date", date.clone())];
    let mut covered = vec![
        "(request-target)".to_string(),
        "host".to_string(),
        "date".to_string(),
    ];
    let mut signed_headers = vec![("host", host.to_string()), ("date", date)];
    if let Some(b) = body {
        let d = digest_header(b);
        covered.push("digest".into());
        signed_headers.push(("digest", d.clone()));
        out.push(("digest", d));
    }
    let mut header = SignatureHeader {
        key_id: signer.key_id.clone(),
        algorithm: Some(Algorithm::RsaSha256),
        headers: covered,
        signature: Vec::new(),
        created: None,
        expires: None,
    };
    let pairs: Vec<(&str, &str)> = signed_headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    let text = header.signing_string(method, target, &pairs)?;
    header.signature = keys::sign(&signer.key, text.as_bytes())?;
    out.push(("signature", header.to_string()));
    Ok(out)
}

/// Why an incoming request's signature was refused (each answered 401).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the request is not signed")]
    Unsigned,
    #[error(transparent)]
    Header(#[from] SignatureError),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the algorithm {0} is not accepted")]
    Algorithm(String),
    #[error("the signing key cannot be used: {0}")]
    Key(String),
    #[error("the signature does not match the key")]
    Mismatch,
}

/// A signed request whose header, date and digest are in order, waiting for its key.
#[derive(Debug)]
pub struct Incoming {
    pub header: SignatureHeader,
    signing_string: String,
}

impl Incoming {
    /// Reads and checks the `Signature` header (or `Authorization: Signature …`) of a request:
    /// it must cover `(request-target)`, `host` and `date` (and `digest` when there is a
    /// body, whose `Digest` must match), the `Date` must be within the window, and the
    /// algorithm RSA with SHA-256 (`rsa-sha256`, `hs2019` or none given).
    pub fn check(
        method: &str,
        target: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Incoming, Refused> {
        let header = if let Some(v) = headers.get("signature") {
            SignatureHeader::parse(v.to_str().map_err(|_| Refused::Unsigned)?)?
        } else if let Some(v) = headers.get(http::header::AUTHORIZATION) {
            SignatureHeader::parse_authorization(v.to_str().map_err(|_| Refused::Unsigned)?)?
        } else {
            return Err(Refused::Unsigned);
        };
        match &header.algorithm {
            None | Some(Algorithm::RsaSha256) | Some(Algorithm::Hs2019) => {}
            Some(other) => return Err(Refused::Algorithm(other.as_str().to_string())),
        }
        for (name, label) in [
            ("(request-target)", "(request-target)"),
            ("host", "host"),
            ("date", "date"),
        ] {
            if !header.covers(name) {
                return Err(Refused::NotCovered(label));
            }
        }
        let date = headers
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .ok_or(SignatureError::MissingHeader("date".into()))?;
        let t = check_date(date, now.timestamp(), MAX_AGE_SECS)?;
        if t - now.timestamp() > MAX_AHEAD_SECS {
            return Err(SignatureError::DateSkew.into());
        }
        header.check_time(now.timestamp(), MAX_AHEAD_SECS)?;
        if !body.is_empty() || headers.contains_key("digest") {
            if !header.covers("digest") {
                return Err(Refused::NotCovered("digest"));
            }
            let digest = headers
                .get("digest")
                .and_then(|v| v.to_str().ok())
                .ok_or(SignatureError::MissingHeader("digest".into()))?;
            check_digest(digest, body)?;
        }
        let mut pairs = Vec::new();
        for (name, value) in headers {
            let v = value
                .to_str()
                .map_err(|_| SignatureError::BadHeaderValue(name.as_str().to_string()))?;
            pairs.push((name.as_str(), v));
        }
        let signing_string = header.signing_string(method, target, &pairs)?;
        Ok(Incoming {
            header,
            signing_string,
        })
    }

    /// Whether the signature was made with the key in `public_pem`.
    pub fn verify(&self, public_pem: &str) -> Result<(), Refused> {
        let key = keys::public_key(public_pem).map_err(|e| Refused::Key(e.to_string()))?;
        if keys::verify(&key, self.signing_string.as_bytes(), &self.header.signature) {
            Ok(())
        } else {
            Err(Refused::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(signer: &Signer, body: &[u8], now: DateTime<Utc>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "library.example".parse().expect("host"));
        for (n, v) in
            sign(signer, "POST", "/inbox", "library.example", Some(body), now).expect("sign")
        {
            h.insert(n, v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn what_we_sign_verifies_and_a_changed_body_does_not() {
        let pair = keys::generate().expect("key");
        let signer = Signer {
            key_id: "https://library.example/actor#main-key".into(),
            key: pair.private_pem.clone(),
        };
        let now = Utc::now();
        let h = request(&signer, b"{\"a\":1}", now);
        let inc = Incoming::check("POST", "/inbox", &h, b"{\"a\":1}", now).expect("check");
        assert_eq!(inc.header.key_id, signer.key_id);
        inc.verify(&pair.public_pem).expect("verifies");
        assert!(matches!(
            Incoming::check("POST", "/inbox", &h, b"{\"a\":2}", now),
            Err(Refused::Header(SignatureError::DigestMismatch))
        ));
        // Another path: the signing string differs.
        let other =
            Incoming::check("POST", "/campaigns/x/inbox", &h, b"{\"a\":1}", now).expect("check");
        assert!(matches!(
            other.verify(&pair.public_pem),
            Err(Refused::Mismatch)
        ));
        // Too old, and from too far ahead.
        let later = now + chrono::Duration::minutes(66);
        assert!(Incoming::check("POST", "/inbox", &h, b"{\"a\":1}", later).is_err());
        let earlier = now - chrono::Duration::minutes(61);
        assert!(Incoming::check("POST", "/inbox", &h, b"{\"a\":1}", earlier).is_err());
        assert!(matches!(
            Incoming::check("POST", "/inbox", &HeaderMap::new(), b"", now),
            Err(Refused::Unsigned)
        ));
    }
}
