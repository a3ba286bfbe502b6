// SPDX-License-Identifier: AGPL-3.0-or-later

//! HTTP message signatures as Mastodon and other ActivityPub servers send them
//! (draft-cavage-http-signatures-12), and the `Digest` header that goes with them.
//!
//! ```text
//! Signature: keyId="https://social.example/users/ana#main-key",algorithm="rsa-sha256",
//!            headers="(request-target) host date digest",signature="Base64…"
//! ```
//!
//! * [`SignatureHeader::parse`] reads the header value (or [`SignatureHeader::parse_authorization`]
//!   an `Authorization: Signature …` value): comma-separated `name=value` parameters, values
//!   quoted strings (with `\"` and `\\` escapes) or tokens, optional spaces around the commas.
//!   Parameter names are case-sensitive, as in the draft; unknown parameters are ignored, a
//!   repeated parameter is an error, `keyId` and `signature` are required. `headers` lists the
//!   covered headers in lower case; when it is absent the list is `(created)` for `hs2019` and
//!   `date` otherwise (what Mastodon does; Mastodon itself always sends `headers`).
//! * [`SignatureHeader::signing_string`] builds the text that was signed from the request's
//!   method, path (with query) and header values: one `name: value` line per covered header,
//!   joined by `\n`, `(request-target)` as `method path`, repeated headers joined by `, `.
//!   `(created)` and `(expires)` come from the parameters and are refused with the `rsa-*`,
//!   `hmac-*` and `ecdsa-*` algorithms (as the draft says). A header value with a line break
//!   is refused: it could forge lines of the signing string.
//! * [`SignatureHeader::check_time`] checks `created`/`expires`, [`check_date`] a `Date`
//!   header's skew, [`check_digest`] a `Digest: SHA-256=…` header against the body, and
//!   [`digest_header`] makes one.
//!
//! Everything is bounded: the header value ([`MAX_HEADER_LEN`]), the number of parameters
//! ([`MAX_PARAMS`]) and covered headers ([`MAX_HEADERS`]), `keyId` ([`MAX_KEY_ID_LEN`]) and the
//! signature ([`MAX_SIGNATURE_LEN`] bytes, enough for RSA-8192).
//!
//! **Not here**: fetching the key named by `keyId` (the actor document's `publicKey`) and
//! checking the signature over the signing string (RSASSA-PKCS1-v1_5 with SHA-256 for
//! `rsa-sha256` and for Mastodon's `hs2019`) belong to the federation capability, which has
//! the HTTP client, the key cache and the crypto library; this module gives it the decoded
//! signature bytes and the exact signing string to check them against.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::DateTime;
use sha2::{Digest as _, Sha256};

/// The longest `Signature` header value read.
pub const MAX_HEADER_LEN: usize = 8192;
/// At most this many parameters (known and unknown).
pub const MAX_PARAMS: usize = 16;
/// At most this many covered headers.
pub const MAX_HEADERS: usize = 32;
/// The longest `keyId`.
pub const MAX_KEY_ID_LEN: usize = 2048;
/// The longest decoded signature (RSA-8192 is 1024 bytes).
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// The longest request target (path and query) put into a signing string.
pub const MAX_TARGET_LEN: usize = 8192;
/// The longest `Digest` header value read.
pub const MAX_DIGEST_LEN: usize = 1024;

/// Why a signature header, a signing string, a date or a digest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} is too long")]
    TooLong(&'static str),
    #[error("malformed signature header: {0}")]
    Syntax(&'static str),
    #[error("the signature parameter {0:?} is given twice")]
    DuplicateParam(String),
    #[error("the signature parameter {0:?} is missing")]
    MissingParam(&'static str),
    #[error("the signature parameter {0:?} is not valid")]
    BadParam(&'static str),
    #[error("the signature is not valid Base64")]
    BadSignatureEncoding,
    #[error("the covered header {0:?} is not a header name")]
    BadHeaderName(String),
    #[error("the request method or target cannot be signed")]
    BadRequestTarget,
    #[error("the signed header {0:?} is not in the request")]
    MissingHeader(String),
    #[error("the signed header {0:?} has a value that cannot be signed")]
    BadHeaderValue(String),
    #[error("{0} cannot be signed with this algorithm")]
    PseudoHeaderNotAllowed(&'static str),
    #[error("the signature was created in the future")]
    CreatedInFuture,
    #[error("the signature has expired")]
    Expired,
    #[error("the Date header is not an HTTP date")]
    BadDate,
    #[error("the Date header is too far from now")]
    DateSkew,
    #[error("the Digest header is malformed")]
    DigestSyntax,
    #[error("the Digest header has no SHA-256 digest")]
    DigestUnsupported,
    #[error("the body does not match its Digest header")]
    DigestMismatch,
}

/// The `algorithm` parameter. Known names are matched without case; others are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    RsaSha256,
    RsaSha512,
    HmacSha256,
    EcdsaSha256,
    /// "Derive the algorithm from the key" (in practice RSA with SHA-256 on Mastodon).
    Hs2019,
    Other(String),
}

impl Algorithm {
    pub fn parse(s: &str) -> Algorithm {
        match s.to_ascii_lowercase().as_str() {
            "rsa-sha256" => Algorithm::RsaSha256,
            "rsa-sha512" => Algorithm::RsaSha512,
            "hmac-sha256" => Algorithm::HmacSha256,
            "ecdsa-sha256" => Algorithm::EcdsaSha256,
            "hs2019" => Algorithm::Hs2019,
            _ => Algorithm::Other(s.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::RsaSha512 => "rsa-sha512",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::EcdsaSha256 => "ecdsa-sha256",
            Algorithm::Hs2019 => "hs2019",
            Algorithm::Other(s) => s,
        }
    }

    /// The draft forbids `(created)` and `(expires)` with algorithms named after their hash
    /// (`rsa-*`, `hmac-*`, `ecdsa-*`).
    fn forbids_pseudo_times(&self) -> bool {
        let s = self.as_str().to_ascii_lowercase();
        s.starts_with("rsa") || s.starts_with("hmac") || s.starts_with("ecdsa")
    }
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// Names the key (for ActivityPub, the actor's key IRI). Non-empty, no control characters.
    pub key_id: String,
    pub algorithm: Option<Algorithm>,
    /// The covered headers, in order, lower case: header names or `(request-target)`,
    /// `(created)`, `(expires)`. Never empty.
    pub headers: Vec<String>,
    /// The decoded signature, 1 to [`MAX_SIGNATURE_LEN`] bytes.
    pub signature: Vec<u8>,
    /// Unix seconds (a fractional part is dropped).
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

const PSEUDO: [&str; 3] = ["(request-target)", "(created)", "(expires)"];

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits `name=value, name="value", …` into pairs (values unquoted).
fn params(s: &str) -> Result<Vec<(&str, String)>, SignatureError> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut rest = s.trim_matches(is_ows);
    if rest.is_empty() {
        return Err(SignatureError::MissingParam("keyId"));
    }
    loop {
        let name_end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(SignatureError::Syntax("expected a parameter name"));
        }
        let name = &rest[..name_end];
        rest = rest[name_end..]
            .strip_prefix('=')
            .ok_or(SignatureError::Syntax(
                "expected '=' after a parameter name",
            ))?;
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, e)) if e == '\t' || !e.is_control() => v.push(e),
                        _ => return Err(SignatureError::Syntax("bad escape in a quoted value")),
                    },
                    c if c == '\t' || !c.is_control() => v.push(c),
                    _ => return Err(SignatureError::Syntax("control character in a value")),
                }
            }
            let end = end.ok_or(SignatureError::Syntax("unterminated quoted value"))?;
            value = v;
            rest = &q[end..];
        } else {
            let end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
            if end == 0 {
                return Err(SignatureError::Syntax("expected a parameter value"));
            }
            value = rest[..end].to_string();
            rest = &rest[end..];
        }
        out.push((name, value));
        if out.len() > MAX_PARAMS {
            return Err(SignatureError::TooLong("list of signature parameters"));
        }
        rest = rest.trim_start_matches(is_ows);
        if rest.is_empty() {
            return Ok(out);
        }
        rest = rest
            .strip_prefix(',')
            .ok_or(SignatureError::Syntax("expected ',' between parameters"))?
            .trim_start_matches(is_ows);
        if rest.is_empty() {
            return Err(SignatureError::Syntax("trailing ','"));
        }
    }
}

/// `1402170695` or `1402170695.25` → whole seconds.
fn unix_seconds(v: &str, name: &'static str) -> Result<i64, SignatureError> {
    let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return Err(SignatureError::BadParam(name));
    }
    int.parse().map_err(|_| SignatureError::BadParam(name))
}

impl SignatureHeader {
    /// Parses a `Signature` header value; see the module documentation.
    pub fn parse(value: &str) -> Result<SignatureHeader, SignatureError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(SignatureError::TooLong("signature header"));
        }
        let pairs = params(value)?;
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(SignatureError::DuplicateParam((*name).to_string()));
            }
        }
        let get = |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());

        let key_id = get("keyId").ok_or(SignatureError::MissingParam("keyId"))?;
        if key_id.is_empty() || key_id.chars().any(char::is_control) {
            return Err(SignatureError::BadParam("keyId"));
        }
        if key_id.len() > MAX_KEY_ID_LEN {
            return Err(SignatureError::TooLong("keyId"));
        }

        let sig = get("signature").ok_or(SignatureError::MissingParam("signature"))?;
        if sig.len() > MAX_SIGNATURE_LEN.div_ceil(3) * 4 {
            return Err(SignatureError::TooLong("signature"));
        }
        let signature = STANDARD
            .decode(sig)
            .map_err(|_| SignatureError::BadSignatureEncoding)?;
        if signature.is_empty() {
            return Err(SignatureError::BadParam("signature"));
        }
        if signature.len() > MAX_SIGNATURE_LEN {
            return Err(SignatureError::TooLong("signature"));
        }

        let algorithm = match get("algorithm") {
            None => None,
            Some("") => return Err(SignatureError::BadParam("algorithm")),
            Some(a) => Some(Algorithm::parse(a)),
        };

        let headers: Vec<String> = match get("headers") {
            Some(list) => {
                let names: Vec<String> = list
                    .split(' ')
                    .filter(|n| !n.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect();
                if names.is_empty() {
                    return Err(SignatureError::BadParam("headers"));
                }
                if names.len() > MAX_HEADERS {
                    return Err(SignatureError::TooLong("list of covered headers"));
                }
                for n in &names {
                    if !(PSEUDO.contains(&n.as_str()) || n.chars().all(is_tchar)) {
                        return Err(SignatureError::BadHeaderName(n.chars().take(64).collect()));
                    }
                }
                names
            }
            None if algorithm == Some(Algorithm::Hs2019) => vec!["(created)".to_string()],
            None => vec!["date".to_string()],
        };

        let created = get("created")
            .map(|v| unix_seconds(v, "created"))
            .transpose()?;
        let expires = get("expires")
            .map(|v| unix_seconds(v, "expires"))
            .transpose()?;

        Ok(SignatureHeader {
            key_id: key_id.to_string(),
            algorithm,
            headers,
            signature,
            created,
            expires,
        })
    }

    /// Parses an `Authorization` header value of the `Signature` scheme
    /// (`Signature keyId="…",…`; the scheme name without case).
    pub fn parse_authorization(value: &str) -> Result<SignatureHeader, SignatureError> {
        let v = value.trim_start_matches(is_ows);
        match v.get(..10) {
            Some(scheme) if scheme.eq_ignore_ascii_case("signature ") => {
                SignatureHeader::parse(&v[10..])
            }
            _ => Err(SignatureError::Syntax("not a Signature authorization")),
        }
    }

    /// Whether `name` (a header name without case, or a pseudo-header) is covered.
    pub fn covers(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// The signing string for a request: `method` (any case), `target` (the path with its
    /// query, as sent: `/users/ana/inbox?x=1`) and the request's headers as (name, value)
    /// pairs, names without case, in the order they were received.
    pub fn signing_string(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Result<String, SignatureError> {
        let mut out = String::new();
        for (i, name) in self.headers.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match name.as_str() {
                "(request-target)" => {
                    if method.is_empty()
                        || !method.chars().all(is_tchar)
                        || !target.starts_with('/')
                        || target.len() > MAX_TARGET_LEN
                        || target.chars().any(|c| c.is_whitespace() || c.is_control())
                    {
                        return Err(SignatureError::BadRequestTarget);
                    }
                    out.push_str("(request-target): ");
                    out.push_str(&method.to_ascii_lowercase());
                    out.push(' ');
                    out.push_str(target);
                }
                "(created)" | "(expires)" => {
                    let (label, value, param) = if name == "(created)" {
                        ("(created)", self.created, "created")
                    } else {
                        ("(expires)", self.expires, "expires")
                    };
                    if self
                        .algorithm
                        .as_ref()
                        .is_some_and(Algorithm::forbids_pseudo_times)
                    {
                        return Err(SignatureError::PseudoHeaderNotAllowed(label));
                    }
                    let value = value.ok_or(SignatureError::MissingParam(param))?;
                    out.push_str(label);
                    out.push_str(": ");
                    out.push_str(&value.to_string());
                }
                _ => {
                    let mut values = headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim_matches(is_ows))
                        .peekable();
                    if values.peek().is_none() {
                        return Err(SignatureError::MissingHeader(name.clone()));
                    }
                    out.push_str(name);
                    out.push(':');
                    out.push(' ');
                    for (j, v) in values.enumerate() {
                        if v.chars().any(|c| c != '\t' && c.is_control()) {
                            return Err(SignatureError::BadHeaderValue(name.clone()));
                        }
                        if j > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(v);
                    }
                }
            }
        }
        Ok(out)
    }

    /// `created` may not lie more than `skew_secs` ahead of `now`, and `expires` not more
    /// than `skew_secs` behind it (unix seconds).
    pub fn check_time(&self, now: i64, skew_secs: i64) -> Result<(), SignatureError> {
        if let Some(c) = self.created
            && c.saturating_sub(now) > skew_secs
        {
            return Err(SignatureError::CreatedInFuture);
        }
        if let Some(e) = self.expires
            && now.saturating_sub(e) > skew_secs
        {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// The header value: `keyId="…",algorithm="…",created=…,expires=…,headers="…",signature="…"`
/// (what an outgoing request carries; [`SignatureHeader::parse`] reads it back).
impl fmt::Display for SignatureHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("keyId=")?;
        write_quoted(f, &self.key_id)?;
        if let Some(a) = &self.algorithm {
            f.write_str(",algorithm=")?;
            write_quoted(f, a.as_str())?;
        }
        if let Some(c) = self.created {
            write!(f, ",created={c}")?;
        }
        if let Some(e) = self.expires {
            write!(f, ",expires={e}")?;
        }
        f.write_str(",headers=")?;
        write_quoted(f, &self.headers.join(" "))?;
        f.write_str(",signature=")?;
        write_quoted(f, &STANDARD.encode(&self.signature))
    }
}

/// Reads a `Date` header (RFC 7231 IMF-fixdate, `Tue, 15 Nov 1994 08:12:31 GMT`; other RFC
/// 2822 forms are accepted) and checks that it lies within `max_skew_secs` of `now` (unix
/// seconds) either way. Returns the date in unix seconds.
pub fn check_date(value: &str, now: i64, max_skew_secs: i64) -> Result<i64, SignatureError> {
    if value.len() > 64 {
        return Err(SignatureError::BadDate);
    }
    let t = DateTime::parse_from_rfc2822(value.trim())
        .map_err(|_| SignatureError::BadDate)?
        .timestamp();
    match now.checked_sub(t) {
        Some(d) if d.unsigned_abs() <= max_skew_secs.unsigned_abs() => Ok(t),
        _ => Err(SignatureError::DateSkew),
    }
}

/// The `Digest` header value for a body: `SHA-256=<Base64>`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Digest` header (RFC 3230: `alg=value` pairs separated by commas, algorithm
/// names without case) against the body: there must be a `SHA-256` digest, and every
/// `SHA-256` digest given must match. Other algorithms are ignored.
pub fn check_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    if value.len() > MAX_DIGEST_LEN {
        return Err(SignatureError::TooLong("Digest header"));
    }
    let want = Sha256::digest(body);
    let mut found = false;
    for part in value.split(',') {
        let (alg, v) = part
            .trim_matches(is_ows)
            .split_once('=')
            .ok_or(SignatureError::DigestSyntax)?;
        if alg.is_empty() || !alg.chars().all(is_tchar) {
            return Err(SignatureError::DigestSyntax);
        }
        if alg.eq_ignore_ascii_case("sha-256") {
            let got = STANDARD
                .decode(v)
                .map_err(|_| SignatureError::DigestSyntax)?;
            if got.as_slice() != want.as_slice() {
                return Err(SignatureError::DigestMismatch);
            }
            found = true;
        }
    }
    if found {
        Ok(())
    } else {
        Err(SignatureError::DigestUnsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What Mastodon 4 sends with a POST to an inbox.
    const MASTODON: &str = r#"keyId="https://mastodon.example/users/ana#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="SGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGEgcmVhbCBzaWduYXR1cmUu""#;
    const NOW: i64 = 1_719_561_600; // Fri, 28 Jun 2024 08:00:00 GMT

    #[test]
    fn parses_mastodon_header() {
        let h = SignatureHeader::parse(MASTODON).expect("parses");
        assert_eq!(h.key_id, "https://mastodon.example/users/ana#main-key");
        assert_eq!(h.algorithm, Some(Algorithm::RsaSha256));
        assert_eq!(
            h.headers,
            ["(request-target)", "host", "date", "digest", "content-type"]
        );
        assert_eq!(
            h.signature,
            b"Hello world, this is not a real signature.".to_vec()
        );
        assert!(h.covers("Digest") && !h.covers("(created)"));
        let auth = SignatureHeader::parse_authorization(&format!("Signature {MASTODON}"));
        assert_eq!(auth, Ok(h));
    }

    #[test]
    fn builds_the_signing_string() {
        let h = SignatureHeader::parse(MASTODON).expect("parses");
        let s = h
            .signing_string(
                "POST",
                "/users/bo/inbox",
                &[
                    ("Host", "give.example.org"),
                    ("Date", "Fri, 28 Jun 2024 08:00:00 GMT"),
                    ("Digest", " SHA-256=abc= "),
                    ("Content-Type", "application/activity+json"),
                    ("X-Other", "x"),
                ],
            )
            .expect("string");
        assert_eq!(
            s,
            "(request-target): post /users/bo/inbox\nhost: give.example.org\n\
             date: Fri, 28 Jun 2024 08:00:00 GMT\ndigest: SHA-256=abc=\n\
             content-type: application/activity+json"
        );
        // Missing header, a forged line, repeated headers.
        assert_eq!(
            h.signing_string("POST", "/i", &[("host", "a")]),
            Err(SignatureError::MissingHeader("date".into()))
        );
        let one = SignatureHeader {
            headers: vec!["x-a".into()],
            ..h.clone()
        };
        assert_eq!(
            one.signing_string("GET", "/", &[("x-a", "1\nhost: evil")]),
            Err(SignatureError::BadHeaderValue("x-a".into()))
        );
        assert_eq!(
            one.signing_string("GET", "/", &[("X-A", "1"), ("x-a", "2")]),
            Ok("x-a: 1, 2".into())
        );
        assert_eq!(
            h.signing_string("POST", "/a b", &[]),
            Err(SignatureError::BadRequestTarget)
        );
    }

    #[test]
    fn created_and_expires() {
        let v = r#"keyId="k",algorithm="hs2019",created=1719561500,expires=1719561900.5,headers="(request-target) (created) (expires)",signature="AQID""#;
        let h = SignatureHeader::parse(v).expect("parses");
        assert_eq!(
            (h.created, h.expires),
            (Some(1_719_561_500), Some(1_719_561_900))
        );
        assert_eq!(
            h.signing_string("get", "/outbox?page=1", &[]),
            Ok("(request-target): get /outbox?page=1\n(created): 1719561500\n(expires): 1719561900"
                .into())
        );
        assert_eq!(h.check_time(NOW, 30), Ok(()));
        assert_eq!(
            h.check_time(NOW - 200, 30),
            Err(SignatureError::CreatedInFuture)
        );
        assert_eq!(h.check_time(NOW + 400, 30), Err(SignatureError::Expired));
        let rsa = SignatureHeader {
            algorithm: Some(Algorithm::RsaSha256),
            ..h.clone()
        };
        assert_eq!(
            rsa.signing_string("get", "/", &[]),
            Err(SignatureError::PseudoHeaderNotAllowed("(created)"))
        );
        let no_created = SignatureHeader { created: None, ..h };
        assert_eq!(
            no_created.signing_string("get", "/", &[]),
            Err(SignatureError::MissingParam("created"))
        );
    }

    #[test]
    fn defaults_quoting_and_unknown_params() {
        let h = SignatureHeader::parse(
            r#" keyId="a \"quoted\" \\ key" , signature="AQID",  foo=bar, x-y="z" "#,
        )
        .expect("parses");
        assert_eq!(h.key_id, r#"a "quoted" \ key"#);
        assert_eq!(h.headers, ["date"]);
        assert_eq!(h.algorithm, None);
        let hs = SignatureHeader::parse(r#"keyId="k",algorithm="HS2019",signature="AQID""#)
            .expect("parses");
        assert_eq!(hs.algorithm, Some(Algorithm::Hs2019));
        assert_eq!(hs.headers, ["(created)"]);
        // Display reads back to the same header.
        assert_eq!(SignatureHeader::parse(&h.to_string()), Ok(h));
    }

    #[test]
    fn refuses_bad_headers() {
        let cases: &[(&str, SignatureError)] = &[
            ("", SignatureError::MissingParam("keyId")),
            (r#"signature="AQID""#, SignatureError::MissingParam("keyId")),
            (r#"keyId="k""#, SignatureError::MissingParam("signature")),
            (
                r#"keyId="k",keyId="j",signature="AQID""#,
                SignatureError::DuplicateParam("keyId".into()),
            ),
            (
                r#"keyId="k",signature="AQID",foo=1,foo=2"#,
                SignatureError::DuplicateParam("foo".into()),
            ),
            (
                r#"keyId="",signature="AQID""#,
                SignatureError::BadParam("keyId"),
            ),
            (
                r#"keyId="k",signature="!!""#,
                SignatureError::BadSignatureEncoding,
            ),
            (
                r#"keyId="k",signature="""#,
                SignatureError::BadParam("signature"),
            ),
            (
                r#"keyId="k,signature="AQID""#,
                SignatureError::Syntax("expected ',' between parameters"),
            ),
            (
                r#"keyId="k",signature="AQID","#,
                SignatureError::Syntax("trailing ','"),
            ),
            (
                r#"keyId = "k",signature="AQID""#,
                SignatureError::Syntax("expected '=' after a parameter name"),
            ),
            (
                r#"keyId="k",signature="AQID",headers="  ""#,
                SignatureError::BadParam("headers"),
            ),
            (
                r#"keyId="k",signature="AQID",headers="(made-up) date""#,
                SignatureError::BadHeaderName("(made-up)".into()),
            ),
            (
                r#"keyId="k",signature="AQID",created=-5"#,
                SignatureError::BadParam("created"),
            ),
            (
                r#"keyId="k",signature="AQID",created="#,
                SignatureError::Syntax("expected a parameter value"),
            ),
            (
                r#"keyId="k",signature="AQID",created="99999999999999999999""#,
                SignatureError::BadParam("created"),
            ),
            (
                "keyId=\"k\u{1}\",signature=\"AQID\"",
                SignatureError::Syntax("control character in a value"),
            ),
        ];
        for (v, want) in cases {
            assert_eq!(SignatureHeader::parse(v).as_ref(), Err(want), "{v}");
        }
        let many = (0..20)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            SignatureHeader::parse(&many),
            Err(SignatureError::TooLong("list of signature parameters"))
        );
        let long = format!(r#"keyId="{}",signature="AQID""#, "k".repeat(MAX_HEADER_LEN));
        assert_eq!(
            SignatureHeader::parse(&long),
            Err(SignatureError::TooLong("signature header"))
        );
        let big = format!(r#"keyId="k",signature="{}""#, STANDARD.encode([7u8; 1100]));
        assert_eq!(
            SignatureHeader::parse(&big),
            Err(SignatureError::TooLong("signature"))
        );
        assert!(SignatureHeader::parse_authorization("Bearer x").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(
            check_date("Fri, 28 Jun 2024 08:00:00 GMT", NOW, 300),
            Ok(NOW)
        );
        assert_eq!(
            check_date("Fri, 28 Jun 2024 08:04:59 GMT", NOW, 300),
            Ok(NOW + 299)
        );
        assert_eq!(
            check_date("Fri, 28 Jun 2024 07:50:00 GMT", NOW, 300),
            Err(SignatureError::DateSkew)
        );
        assert_eq!(
            check_date("yesterday", NOW, 300),
            Err(SignatureError::BadDate)
        );
        assert_eq!(
            check_date("Fri, 28 Jun 2024 08:00:00 GMT", i64::MIN, 300),
            Err(SignatureError::DateSkew)
        );
    }

    #[test]
    fn digests() {
        let body = br#"{"type":"Follow"}"#;
        let d = digest_header(body);
        assert_eq!(check_digest(&d, body), Ok(()));
        assert_eq!(
            check_digest(
                &format!("MD5=abc, {}", d.replace("SHA-256", "sha-256")),
                body
            ),
            Ok(())
        );
        assert_eq!(
            check_digest(&d, b"other"),
            Err(SignatureError::DigestMismatch)
        );
        assert_eq!(
            check_digest("MD5=abc", body),
            Err(SignatureError::DigestUnsupported)
        );
        assert_eq!(
            check_digest("SHA-256", body),
            Err(SignatureError::DigestSyntax)
        );
        assert_eq!(
            check_digest("SHA-256=%%%", body),
            Err(SignatureError::DigestSyntax)
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,300}", m in "[A-Za-z]{0,8}", t in ".{0,40}") {
            if let Ok(h) = SignatureHeader::parse(&s) {
                prop_assert_eq!(SignatureHeader::parse(&h.to_string()), Ok(h.clone()));
                let _ = h.signing_string(&m, &t, &[("date", s.as_str()), ("host", "a")]);
            }
            let _ = check_date(&s, NOW, 300);
            let _ = check_digest(&s, s.as_bytes());
        }

        #[test]
        fn display_round_trips(
            key in "[^\\p{Cc}]{1,60}",
            names in prop::collection::vec("[a-z0-9-]{1,12}", 1..6),
            sig in prop::collection::vec(any::<u8>(), 1..300),
            created in prop::option::of(0i64..i64::MAX),
        ) {
            let h = SignatureHeader {
                key_id: key,
                algorithm: Some(Algorithm::Hs2019),
                headers: names,
                signature: sig,
                created,
                expires: None,
            };
            prop_assert_eq!(SignatureHeader::parse(&h.to_string()), Ok(h));
        }
    }
}
