//! Draft-cavage HTTP signatures: made for our requests (what Mastodon requires: POST signs
//! `(request-target) host date digest` with a `Digest: SHA-256=…`, GET signs
//! `(request-target) host date`, `algorithm="rsa-sha256"`, `keyId="<actor>#main-key"`), and
//! checked on incoming ones ([`Incoming::check`], then [`Incoming::verify`] with the key).
//! Incoming requests may instead carry an HTTP Message Signature (RFC 9421:
//! `Signature-Input`, `Signature`, `Content-Digest`), as newer Mastodon sends: it must cover
//! the method, the target URI (or authority and path) and, with a body, `content-digest`
//! (which must match); `created` within the same window; RSA PKCS#1 v1.5 with SHA-256. A
//! request with both kinds is checked by its RFC 9421 signature.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use shelfraiser_formats::http_signature::{
    Algorithm, SignatureError, SignatureHeader, check_date, check_digest, digest_header,
};
use shelfraiser_formats::message_signature::{
    self as rfc9421, Alg, MessageSignature, MessageSignatureError,
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
    #[error(transparent)]
    Message(#[from] MessageSignatureError),
}

/// An RFC 9421 signature of a request as `signer`: the `Signature-Input`, `Signature` and
/// (with a body) `Content-Digest` headers to add. Covers `@method`, `@target-uri` and
/// `content-digest`, with `created`, `keyid` and `alg="rsa-v1_5-sha256"`. (Our deliveries
/// sign with draft-cavage, which every fediverse server reads; this is for servers and
/// tests that want the newer kind.)
pub fn sign_rfc9421(
    signer: &Signer,
    method: &str,
    scheme: &str,
    authority: &str,
    target: &str,
    body: Option<&[u8]>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    let mut components = String::from("\"@method\" \"@target-uri\"");
    if let Some(b) = body {
        out.push(("content-digest", rfc9421::content_digest_header(b)));
        components.push_str(" \"content-digest\"");
    }
    let key_id = signer.key_id.replace(['\\', '"'], "");
    let input = format!(
        "sig1=({components});created={};keyid=\"{key_id}\";alg=\"rsa-v1_5-sha256\"",
        now.timestamp()
    );
    // The base, as the verifier will build it: parsed back with a placeholder signature.
    let parsed = rfc9421::parse(&input, "sig1=:AA==:")?;
    let first = parsed
        .first()
        .ok_or_else(|| anyhow::anyhow!("no signature parsed"))?;
    let mut headers: Vec<(&str, &str)> = vec![("host", authority)];
    for (n, v) in &out {
        headers.push((n, v));
    }
    let base = first.signature_base(&rfc9421::Request {
        method,
        scheme,
        authority,
        target,
        headers: &headers,
    })?;
    let sig = keys::sign(&signer.key, base.as_bytes())?;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig);
    out.push(("signature-input", input));
    out.push(("signature", format!("sig1=:{b64}:")));
    Ok(out)
}

/// A signed request whose header, date and digest are in order, waiting for its key.
#[derive(Debug)]
pub struct Incoming {
    /// The key that signed it (`keyId`, or RFC 9421's `keyid`).
    pub key_id: String,
    /// Which kind of signature it was.
    pub rfc9421: bool,
    signing_string: String,
    signature: Vec<u8>,
}

impl Incoming {
    /// Reads and checks the `Signature` header (or `Authorization: Signature …`) of a request:
    /// it must cover `(request-target)`, `host` and `date` (and `digest` when there is a
    /// body, whose `Digest` must match), the `Date` must be within the window, and the
    /// algorithm RSA with SHA-256 (`rsa-sha256`, `hs2019` or none given).
    ///
    /// `scheme` is the public scheme of our base URL (a proxy may have ended TLS).
    pub fn check(
        method: &str,
        scheme: &str,
        target: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Incoming, Refused> {
        if headers.contains_key("signature-input") {
            return Self::check_rfc9421(method, scheme, target, headers, body, now);
        }
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
            key_id: header.key_id,
            rfc9421: false,
            signing_string,
            signature: header.signature,
        })
    }

    /// The RFC 9421 path of [`Incoming::check`]: the first signature that covers what we
    /// require is the one checked.
    fn check_rfc9421(
        method: &str,
        scheme: &str,
        target: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Incoming, Refused> {
        let text = |name: &str| -> Result<Option<&str>, Refused> {
            match headers.get(name) {
                None => Ok(None),
                Some(v) => v
                    .to_str()
                    .map(Some)
                    .map_err(|_| Refused::Message(MessageSignatureError::Syntax("header"))),
            }
        };
        let input = text("signature-input")?.ok_or(Refused::Unsigned)?;
        let sig = text("signature")?.ok_or(Refused::Unsigned)?;
        let all = rfc9421::parse(input, sig)?;
        let has_body = !body.is_empty();
        let usable = |m: &MessageSignature| {
            m.covers("@method")
                && (m.covers("@target-uri")
                    || (m.covers("@authority")
                        && (m.covers("@path") || m.covers("@request-target"))))
                && (!has_body || m.covers("content-digest"))
                && m.params.keyid.is_some()
        };
        let chosen = all.into_iter().find(usable).ok_or(Refused::NotCovered(
            "@method, @target-uri and content-digest",
        ))?;
        match &chosen.params.alg {
            None | Some(Alg::RsaV15Sha256) => {}
            Some(other) => return Err(Refused::Algorithm(other.as_str().to_string())),
        }
        chosen.check_time(now.timestamp(), MAX_AGE_SECS, MAX_AHEAD_SECS)?;
        if has_body || headers.contains_key("content-digest") {
            let digest = text("content-digest")?.ok_or(Refused::Message(
                MessageSignatureError::Syntax("Content-Digest"),
            ))?;
            rfc9421::check_content_digest(digest, body)?;
        }
        let authority = text("host")?.unwrap_or_default();
        let mut pairs = Vec::new();
        for (name, value) in headers {
            let v = value
                .to_str()
                .map_err(|_| Refused::Message(MessageSignatureError::Syntax("header")))?;
            pairs.push((name.as_str(), v));
        }
        let base = chosen.signature_base(&rfc9421::Request {
            method,
            scheme,
            authority,
            target,
            headers: &pairs,
        })?;
        Ok(Incoming {
            key_id: chosen.params.keyid.clone().unwrap_or_default(),
            rfc9421: true,
            signing_string: base,
            signature: chosen.signature,
        })
    }

    /// Whether the signature was made with the key in `public_pem`.
    pub fn verify(&self, public_pem: &str) -> Result<(), Refused> {
        let key = keys::public_key(public_pem).map_err(|e| Refused::Key(e.to_string()))?;
        if keys::verify(&key, self.signing_string.as_bytes(), &self.signature) {
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
        let inc = Incoming::check("POST", "https", "/inbox", &h, b"{\"a\":1}", now).expect("check");
        assert_eq!(inc.key_id, signer.key_id);
        assert!(!inc.rfc9421);
        inc.verify(&pair.public_pem).expect("verifies");
        assert!(matches!(
            Incoming::check("POST", "https", "/inbox", &h, b"{\"a\":2}", now),
            Err(Refused::Header(SignatureError::DigestMismatch))
        ));
        // Another path: the signing string differs.
        let other = Incoming::check("POST", "https", "/campaigns/x/inbox", &h, b"{\"a\":1}", now)
            .expect("check");
        assert!(matches!(
            other.verify(&pair.public_pem),
            Err(Refused::Mismatch)
        ));
        // Too old, and from too far ahead.
        let later = now + chrono::Duration::minutes(66);
        assert!(Incoming::check("POST", "https", "/inbox", &h, b"{\"a\":1}", later).is_err());
        let earlier = now - chrono::Duration::minutes(61);
        assert!(Incoming::check("POST", "https", "/inbox", &h, b"{\"a\":1}", earlier).is_err());
        assert!(matches!(
            Incoming::check("POST", "https", "/inbox", &HeaderMap::new(), b"", now),
            Err(Refused::Unsigned)
        ));
    }

    fn rfc9421_request(signer: &Signer, body: &[u8], now: DateTime<Utc>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "library.example".parse().expect("host"));
        h.insert(
            "content-type",
            "application/activity+json".parse().expect("ct"),
        );
        for (n, v) in sign_rfc9421(
            signer,
            "POST",
            "https",
            "library.example",
            "/inbox",
            Some(body),
            now,
        )
        .expect("sign")
        {
            h.insert(n, v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn rfc9421_signatures_verify_and_what_they_cover_is_checked() {
        let pair = keys::generate().expect("key");
        let signer = Signer {
            key_id: "https://social.example/users/ana#main-key".into(),
            key: pair.private_pem.clone(),
        };
        let now = Utc::now();
        let body = b"{\"a\":1}";
        let h = rfc9421_request(&signer, body, now);
        let inc = Incoming::check("POST", "https", "/inbox", &h, body, now).expect("check");
        assert!(inc.rfc9421);
        assert_eq!(inc.key_id, signer.key_id);
        inc.verify(&pair.public_pem).expect("verifies");
        // A changed body fails its digest; another path or scheme, the signature.
        assert!(Incoming::check("POST", "https", "/inbox", &h, b"{\"a\":2}", now).is_err());
        let other = Incoming::check("POST", "https", "/other", &h, body, now).expect("check");
        assert!(matches!(
            other.verify(&pair.public_pem),
            Err(Refused::Mismatch)
        ));
        let http = Incoming::check("POST", "http", "/inbox", &h, body, now).expect("check");
        assert!(matches!(
            http.verify(&pair.public_pem),
            Err(Refused::Mismatch)
        ));
        // Another key does not verify it.
        let stranger = keys::generate().expect("key");
        assert!(inc.verify(&stranger.public_pem).is_err());
        // Outside the clock window.
        let later = now + chrono::Duration::minutes(66);
        assert!(Incoming::check("POST", "https", "/inbox", &h, body, later).is_err());
        // A signature that leaves out the digest is not enough for a request with a body.
        let mut thin = h.clone();
        let input = h["signature-input"]
            .to_str()
            .expect("text")
            .replace(" \"content-digest\"", "");
        thin.insert("signature-input", input.parse().expect("value"));
        assert!(matches!(
            Incoming::check("POST", "https", "/inbox", &thin, body, now),
            Err(Refused::NotCovered(_))
        ));
        // Another algorithm is refused.
        let mut alg = h.clone();
        let input = h["signature-input"]
            .to_str()
            .expect("text")
            .replace("rsa-v1_5-sha256", "ed25519");
        alg.insert("signature-input", input.parse().expect("value"));
        assert!(matches!(
            Incoming::check("POST", "https", "/inbox", &alg, body, now),
            Err(Refused::Algorithm(_))
        ));
    }
}
