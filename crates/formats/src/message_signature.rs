// SPDX-License-Identifier: AGPL-3.0-or-later

//! HTTP Message Signatures (RFC 9421), as newer Mastodon and WordPress send them before (or
//! instead of) the draft-cavage `Signature` header of [`crate::http_signature`], and the
//! `Content-Digest` header (RFC 9530) that goes with them.
//!
//! ```text
//! Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1618884473;
//!                  keyid="https://social.example/users/ana#main-key"
//! Signature: sig1=:Base64…:
//! Content-Digest: sha-256=:Base64…:
//! ```
//!
//! * [`parse`] reads both headers (structured-field dictionaries, RFC 8941, read with the
//!   `sfv` crate) into one [`MessageSignature`] per label present in both: the covered
//!   components in order (`@method`, `@target-uri`, `@authority`, `@scheme`,
//!   `@request-target`, `@path`, `@query`, `@query-param;name=…`, and header fields, plain,
//!   `;key=` of a dictionary field, or `;bs`), the signature parameters (`created`,
//!   `expires`, `keyid`, `alg`, `nonce`, `tag`; others kept for the base but not read) and
//!   the signature bytes. Component names must be lower case and appear once; response
//!   components (`@status`, `;req`), trailers (`;tr`) and re-serialised fields (`;sf`) are
//!   refused, since the inbox verifies requests only.
//! * [`MessageSignature::signature_base`] builds the exact text that was signed
//!   (Section 2.5): one `"<component>": <value>` line per covered component and the
//!   `"@signature-params"` line, the signature's inner list serialised again. A header value
//!   with a line break is refused: it could forge lines of the base.
//! * [`MessageSignature::check_time`] requires `created` and checks it against a clock
//!   window, and `expires` if given; [`check_content_digest`] checks a `Content-Digest`
//!   (`sha-256` or `sha-512`) against the body and [`content_digest_header`] makes one.
//!
//! Bounded like the draft-cavage parser: header length ([`MAX_HEADER_LEN`]), signatures per
//! request ([`MAX_SIGNATURES`]), covered components ([`MAX_COMPONENTS`]), `keyid`
//! ([`MAX_KEY_ID_LEN`]) and signature bytes ([`MAX_SIGNATURE_LEN`]).
//!
//! **Not here**: fetching the key and checking the signature bytes over the base (RSA with
//! OpenSSL in the server's federation capability).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sfv::{BareItem, Dictionary, FieldType as _, InnerList, ListEntry, Parser, Version};
use sha2::{Digest as _, Sha256, Sha512};

/// The longest `Signature-Input`, `Signature` or `Content-Digest` value read.
pub const MAX_HEADER_LEN: usize = 8192;
/// At most this many signatures (labels) in one request.
pub const MAX_SIGNATURES: usize = 8;
/// At most this many covered components in one signature.
pub const MAX_COMPONENTS: usize = 32;
/// The longest `keyid`.
pub const MAX_KEY_ID_LEN: usize = 2048;
/// The longest decoded signature (RSA-8192 is 1024 bytes).
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// The longest request target (path and query) put into a base.
pub const MAX_TARGET_LEN: usize = 8192;

/// Why the headers, a base, a time or a digest were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageSignatureError {
    #[error("the {0} is too long")]
    TooLong(&'static str),
    #[error("the {0} header is not a structured-field dictionary")]
    Syntax(&'static str),
    #[error("signature {0:?}: {1}")]
    Bad(String, &'static str),
    #[error("no signature is named in both Signature-Input and Signature")]
    NoSignature,
    #[error("the covered component {0:?} cannot be used")]
    BadComponent(String),
    #[error("the covered component {0:?} is not in the request")]
    MissingComponent(String),
    #[error("the covered component {0:?} has a value that cannot be signed")]
    BadValue(String),
    #[error("the request target cannot be signed")]
    BadRequestTarget,
    #[error("the signature has no creation time")]
    NoCreated,
    #[error("the signature was created in the future")]
    CreatedInFuture,
    #[error("the signature is too old")]
    TooOld,
    #[error("the signature has expired")]
    Expired,
    #[error("the Content-Digest header is malformed")]
    DigestSyntax,
    #[error("the Content-Digest header has no sha-256 or sha-512 digest")]
    DigestUnsupported,
    #[error("the body does not match its Content-Digest header")]
    DigestMismatch,
}

use MessageSignatureError as E;

/// The `alg` parameter (RFC 9421 Section 6.2). Unknown names are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alg {
    RsaPssSha512,
    RsaV15Sha256,
    HmacSha256,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    Ed25519,
    Other(String),
}

impl Alg {
    pub fn parse(s: &str) -> Alg {
        match s {
            "rsa-pss-sha512" => Alg::RsaPssSha512,
            "rsa-v1_5-sha256" => Alg::RsaV15Sha256,
            "hmac-sha256" => Alg::HmacSha256,
            "ecdsa-p256-sha256" => Alg::EcdsaP256Sha256,
            "ecdsa-p384-sha384" => Alg::EcdsaP384Sha384,
            "ed25519" => Alg::Ed25519,
            other => Alg::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Alg::RsaPssSha512 => "rsa-pss-sha512",
            Alg::RsaV15Sha256 => "rsa-v1_5-sha256",
            Alg::HmacSha256 => "hmac-sha256",
            Alg::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Alg::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Alg::Ed25519 => "ed25519",
            Alg::Other(s) => s,
        }
    }
}

/// A covered component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    Method,
    TargetUri,
    Authority,
    Scheme,
    RequestTarget,
    Path,
    Query,
    /// `"@query-param";name="…"`: the named query parameter's value.
    QueryParam(String),
    /// A header field, lower case: its values joined by `, `.
    Field(String),
    /// `"name";key="member"`: one member of a dictionary field, serialised again.
    FieldKey(String, String),
    /// `"name";bs`: each field line as a byte sequence.
    FieldBytes(String),
}

/// The signature parameters RFC 9421 defines (Section 2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureParams {
    /// Unix seconds.
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub alg: Option<Alg>,
    pub keyid: Option<String>,
    pub tag: Option<String>,
}

/// One signature of a request: its label, what it covers, its parameters and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSignature {
    pub label: String,
    /// The covered components, in order, with the identifier each was given (serialised,
    /// e.g. `"@query-param";name="Pet"`), which starts its line of the base.
    pub components: Vec<(Component, String)>,
    pub params: SignatureParams,
    /// The `@signature-params` value: the inner list serialised again (RFC 8941).
    pub params_line: String,
    /// The decoded signature, 1 to [`MAX_SIGNATURE_LEN`] bytes.
    pub signature: Vec<u8>,
}

/// The parts of a request a base is built from, as received.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// As sent (`POST`); not changed in case.
    pub method: &'a str,
    /// `https` or `http` (the public scheme, behind a proxy too).
    pub scheme: &'a str,
    /// `host[:port]` as the client addressed it (the `Host` header).
    pub authority: &'a str,
    /// The path and query of the request line: `/inbox?x=1`.
    pub target: &'a str,
    /// Header fields in the order received; names in any case.
    pub headers: &'a [(&'a str, &'a str)],
}

fn parse_dict(value: &str, which: &'static str) -> Result<Dictionary, MessageSignatureError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(E::TooLong(which));
    }
    Parser::new(value)
        .with_version(Version::Rfc8941)
        .parse::<Dictionary>()
        .map_err(|_| E::Syntax(which))
}

/// Reads `Signature-Input` and `Signature`: one [`MessageSignature`] per label in both (in
/// `Signature-Input`'s order). A label in only one of them is skipped; none in both is
/// [`MessageSignatureError::NoSignature`]. Any malformed signature among them is an error.
pub fn parse(
    signature_input: &str,
    signature: &str,
) -> Result<Vec<MessageSignature>, MessageSignatureError> {
    let inputs = parse_dict(signature_input, "Signature-Input")?;
    let sigs = parse_dict(signature, "Signature")?;
    if inputs.len() > MAX_SIGNATURES || sigs.len() > MAX_SIGNATURES {
        return Err(E::TooLong("list of signatures"));
    }
    let mut out = Vec::new();
    for (label, entry) in &inputs {
        let Some(sig) = sigs.get(label) else {
            continue;
        };
        let label = label.as_str().to_string();
        let ListEntry::InnerList(list) = entry else {
            return Err(E::Bad(label, "the input is not an inner list"));
        };
        let bytes = match sig {
            ListEntry::Item(item) => match &item.bare_item {
                BareItem::ByteSequence(b) => b.clone(),
                _ => return Err(E::Bad(label, "the signature is not a byte sequence")),
            },
            ListEntry::InnerList(_) => {
                return Err(E::Bad(label, "the signature is not a byte sequence"));
            }
        };
        if bytes.is_empty() {
            return Err(E::Bad(label, "the signature is empty"));
        }
        if bytes.len() > MAX_SIGNATURE_LEN {
            return Err(E::TooLong("signature"));
        }
        out.push(read_signature(label, list, bytes)?);
    }
    if out.is_empty() {
        return Err(E::NoSignature);
    }
    Ok(out)
}

fn read_signature(
    label: String,
    list: &InnerList,
    signature: Vec<u8>,
) -> Result<MessageSignature, MessageSignatureError> {
    if list.items.len() > MAX_COMPONENTS {
        return Err(E::TooLong("list of covered components"));
    }
    let mut components: Vec<(Component, String)> = Vec::new();
    for item in &list.items {
        let identifier = item.serialize();
        let component = read_component(item, &identifier)?;
        if components.iter().any(|(_, id)| *id == identifier) {
            return Err(E::Bad(label, "a component is covered twice"));
        }
        components.push((component, identifier));
    }
    let mut params = SignatureParams::default();
    for (key, value) in &list.params {
        let name = key.as_str();
        let int = |v: &BareItem| match v {
            BareItem::Integer(i) => Ok(i64::from(*i)),
            _ => Err(E::Bad(
                label.clone(),
                "created and expires must be integers",
            )),
        };
        let text = |v: &BareItem| match v {
            BareItem::String(s) => Ok(s.as_str().to_string()),
            _ => Err(E::Bad(
                label.clone(),
                "keyid, alg, nonce and tag must be strings",
            )),
        };
        match name {
            "created" => params.created = Some(int(value)?),
            "expires" => params.expires = Some(int(value)?),
            "nonce" => params.nonce = Some(text(value)?),
            "alg" => params.alg = Some(Alg::parse(&text(value)?)),
            "keyid" => {
                let k = text(value)?;
                if k.is_empty() {
                    return Err(E::Bad(label, "the keyid is empty"));
                }
                if k.len() > MAX_KEY_ID_LEN {
                    return Err(E::TooLong("keyid"));
                }
                params.keyid = Some(k);
            }
            "tag" => params.tag = Some(text(value)?),
            _ => {}
        }
    }
    let params_line = vec![ListEntry::InnerList(list.clone())]
        .serialize()
        .unwrap_or_default();
    Ok(MessageSignature {
        label,
        components,
        params,
        params_line,
        signature,
    })
}

fn read_component(item: &sfv::Item, identifier: &str) -> Result<Component, MessageSignatureError> {
    let bad = || E::BadComponent(identifier.chars().take(80).collect());
    let BareItem::String(name) = &item.bare_item else {
        return Err(bad());
    };
    let name = name.as_str();
    let param_names: Vec<&str> = item.params.keys().map(|k| k.as_str()).collect();
    let string_param = |p: &str| match item.params.get(p) {
        Some(BareItem::String(s)) => Some(s.as_str().to_string()),
        _ => None,
    };
    if let Some(derived) = name.strip_prefix('@') {
        if derived == "query-param" {
            return match (param_names.as_slice(), string_param("name")) {
                (["name"], Some(n)) => Ok(Component::QueryParam(n)),
                _ => Err(bad()),
            };
        }
        if !param_names.is_empty() {
            return Err(bad());
        }
        return match derived {
            "method" => Ok(Component::Method),
            "target-uri" => Ok(Component::TargetUri),
            "authority" => Ok(Component::Authority),
            "scheme" => Ok(Component::Scheme),
            "request-target" => Ok(Component::RequestTarget),
            "path" => Ok(Component::Path),
            "query" => Ok(Component::Query),
            // @status and @signature-params are not components of a request.
            _ => Err(bad()),
        };
    }
    let token_char =
        |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token_char) {
        return Err(bad());
    }
    let name = name.to_string();
    match param_names.as_slice() {
        [] => Ok(Component::Field(name)),
        ["key"] => string_param("key")
            .map(|k| Component::FieldKey(name, k))
            .ok_or_else(bad),
        ["bs"] if item.params.get("bs") == Some(&BareItem::Boolean(true)) => {
            Ok(Component::FieldBytes(name))
        }
        _ => Err(bad()),
    }
}

/// The characters RFC 9421 (2.2.8, after HTML's `application/x-www-form-urlencoded`
/// serializer) leaves as they are in a query parameter's name and value.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

fn form_decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn no_line_breaks(value: &str, identifier: &str) -> Result<(), MessageSignatureError> {
    if value.chars().any(|c| c != '\t' && c.is_control()) {
        Err(E::BadValue(identifier.chars().take(80).collect()))
    } else {
        Ok(())
    }
}

impl MessageSignature {
    /// Whether a component (e.g. `"content-digest"` or `"@method"`) is covered.
    pub fn covers(&self, identifier: &str) -> bool {
        self.components
            .iter()
            .any(|(_, id)| id.trim_matches('"') == identifier)
    }

    /// The signature base (RFC 9421 Section 2.5) for this request.
    pub fn signature_base(&self, req: &Request<'_>) -> Result<String, MessageSignatureError> {
        let target = req.target;
        if target.len() > MAX_TARGET_LEN
            || !target.starts_with('/')
            || target.chars().any(|c| c.is_whitespace() || c.is_control())
            || req.method.is_empty()
            || !req.method.bytes().all(|b| b.is_ascii_alphabetic())
            || !matches!(req.scheme, "http" | "https")
            || req.authority.is_empty()
            || req
                .authority
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(E::BadRequestTarget);
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let mut out = String::new();
        for (component, identifier) in &self.components {
            let value = match component {
                Component::Method => req.method.to_string(),
                Component::TargetUri => format!(
                    "{}://{}{}",
                    req.scheme,
                    req.authority.to_ascii_lowercase(),
                    target
                ),
                Component::Authority => req.authority.to_ascii_lowercase(),
                Component::Scheme => req.scheme.to_string(),
                Component::RequestTarget => target.to_string(),
                Component::Path => path.to_string(),
                Component::Query => format!("?{}", query.unwrap_or("")),
                Component::QueryParam(name) => {
                    let mut found = query
                        .unwrap_or("")
                        .split('&')
                        .filter(|p| !p.is_empty())
                        .map(|p| p.split_once('=').unwrap_or((p, "")))
                        .filter(|(n, _)| form_decode(n) == *name)
                        .map(|(_, v)| form_decode(v));
                    let value = found
                        .next()
                        .ok_or_else(|| E::MissingComponent(identifier.clone()))?;
                    if found.next().is_some() {
                        // Which of the repeated values was meant is not said: refused.
                        return Err(E::BadComponent(identifier.clone()));
                    }
                    utf8_percent_encode(&value, FORM).to_string()
                }
                Component::Field(name)
                | Component::FieldKey(name, _)
                | Component::FieldBytes(name) => {
                    let values: Vec<&str> = req
                        .headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim_matches([' ', '\t']))
                        .collect();
                    if values.is_empty() {
                        return Err(E::MissingComponent(identifier.clone()));
                    }
                    for v in &values {
                        no_line_breaks(v, identifier)?;
                    }
                    match component {
                        Component::FieldKey(_, key) => {
                            let dict = parse_dict(&values.join(", "), "covered")
                                .map_err(|_| E::BadValue(identifier.clone()))?;
                            let member = dict
                                .get(key.as_str())
                                .ok_or_else(|| E::MissingComponent(identifier.clone()))?;
                            match member {
                                ListEntry::Item(item) => item.serialize(),
                                ListEntry::InnerList(_) => vec![member.clone()]
                                    .serialize()
                                    .ok_or_else(|| E::BadValue(identifier.clone()))?,
                            }
                        }
                        Component::FieldBytes(_) => values
                            .iter()
                            .map(|v| format!(":{}:", STANDARD.encode(v.as_bytes())))
                            .collect::<Vec<_>>()
                            .join(", "),
                        _ => values.join(", "),
                    }
                }
            };
            no_line_breaks(&value, identifier)?;
            out.push_str(identifier);
            out.push_str(": ");
            out.push_str(&value);
            out.push('\n');
        }
        out.push_str("\"@signature-params\": ");
        out.push_str(&self.params_line);
        Ok(out)
    }

    /// `created` is required, may lie at most `skew_secs` ahead of `now` and at most
    /// `max_age_secs` behind it; `expires`, if given, not more than `skew_secs` behind `now`
    /// (unix seconds).
    pub fn check_time(
        &self,
        now: i64,
        max_age_secs: i64,
        skew_secs: i64,
    ) -> Result<(), MessageSignatureError> {
        let created = self.params.created.ok_or(E::NoCreated)?;
        if created.saturating_sub(now) > skew_secs {
            return Err(E::CreatedInFuture);
        }
        if now.saturating_sub(created) > max_age_secs {
            return Err(E::TooOld);
        }
        if let Some(e) = self.params.expires
            && now.saturating_sub(e) > skew_secs
        {
            return Err(E::Expired);
        }
        Ok(())
    }
}

/// The `Content-Digest` value for a body: `sha-256=:<Base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Content-Digest` header (RFC 9530, a dictionary of byte sequences) against the
/// body: there must be a `sha-256` or `sha-512` digest, and each given must match. Other
/// algorithms are ignored.
pub fn check_content_digest(value: &str, body: &[u8]) -> Result<(), MessageSignatureError> {
    let dict = parse_dict(value, "Content-Digest").map_err(|e| match e {
        E::TooLong(w) => E::TooLong(w),
        _ => E::DigestSyntax,
    })?;
    let mut found = false;
    for (alg, entry) in &dict {
        let want: Vec<u8> = match alg.as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let ListEntry::Item(sfv::Item {
            bare_item: BareItem::ByteSequence(got),
            ..
        }) = entry
        else {
            return Err(E::DigestSyntax);
        };
        if *got != want {
            return Err(E::DigestMismatch);
        }
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(E::DigestUnsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    /// RFC 9421 Appendix B.2's test request.
    const HEADERS: &[(&str, &str)] = &[
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        (
            "Content-Digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ),
        ("Content-Length", "18"),
    ];
    const BODY: &[u8] = br#"{"hello": "world"}"#;

    fn request() -> Request<'static> {
        Request {
            method: "POST",
            scheme: "https",
            authority: "example.com",
            target: "/foo?param=Value&Pet=dog",
            headers: HEADERS,
        }
    }

    fn one(input: &str, sig: &str) -> MessageSignature {
        let mut all = parse(input, sig).expect("parses");
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    const ANY_SIG: &str = ":AQID:";

    #[test]
    fn b21_minimal_signature() {
        let s = one(
            r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
            &format!("sig-b21={ANY_SIG}"),
        );
        assert_eq!(s.label, "sig-b21");
        assert_eq!(s.params.keyid.as_deref(), Some("test-key-rsa-pss"));
        assert_eq!(s.params.nonce.as_deref(), Some("b3k2pp5k7z-50gnwp.yemd"));
        assert_eq!(s.params.created, Some(1_618_884_473));
        assert_eq!(
            s.signature_base(&request()).expect("base"),
            r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#
        );
    }

    #[test]
    fn b22_selective_components() {
        let s = one(
            r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
            &format!("sig-b22={ANY_SIG}"),
        );
        assert_eq!(s.params.tag.as_deref(), Some("header-example"));
        assert_eq!(
            s.signature_base(&request()).expect("base"),
            "\"@authority\": example.com\n\
             \"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\
             \"@query-param\";name=\"Pet\": dog\n\
             \"@signature-params\": (\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\""
        );
    }

    #[test]
    fn b23_full_coverage() {
        let s = one(
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
        );
        assert_eq!(s.signature.len(), 256);
        assert!(s.covers("content-digest") && s.covers("@method") && !s.covers("digest"));
        assert_eq!(
            s.signature_base(&request()).expect("base"),
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
             \"@method\": POST\n\
             \"@path\": /foo\n\
             \"@query\": ?param=Value&Pet=dog\n\
             \"@authority\": example.com\n\
             \"content-type\": application/json\n\
             \"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\
             \"content-length\": 18\n\
             \"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\""
        );
        assert_eq!(check_content_digest(HEADERS[3].1, BODY), Ok(()));
    }

    /// B.2.5 is HMAC-SHA256, so the signature itself can be checked here: the base is
    /// byte-exact or the MAC differs.
    #[test]
    fn b25_hmac_signature_verifies_over_our_base() {
        let s = one(
            r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#,
            "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
        );
        let base = s.signature_base(&request()).expect("base");
        assert_eq!(
            base,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
             \"@authority\": example.com\n\
             \"content-type\": application/json\n\
             \"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
        );
        let key = STANDARD
            .decode("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==")
            .expect("key");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac");
        mac.update(base.as_bytes());
        assert_eq!(mac.verify_slice(&s.signature), Ok(()));
    }

    #[test]
    fn derived_components_of_a_mastodon_style_post() {
        let s = one(
            r#"sig1=("@method" "@target-uri" "@scheme" "@request-target" "content-digest" "x-dict";key="a" "x-raw";bs);created=1700000000;expires=1700000300;keyid="https://social.example/users/ana#main-key";alg="rsa-v1_5-sha256""#,
            "sig1=:AQID:",
        );
        assert_eq!(s.params.alg, Some(Alg::RsaV15Sha256));
        assert_eq!(s.params.expires, Some(1_700_000_300));
        let headers = [
            (
                "content-digest",
                "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            ),
            ("X-Dict", "a=(1 2);x, b=?0"),
            ("x-raw", " one, two "),
            ("x-raw", "three"),
        ];
        let req = Request {
            method: "POST",
            scheme: "https",
            authority: "Give.Example.org",
            target: "/users/bo/inbox",
            headers: &headers,
        };
        assert_eq!(
            s.signature_base(&req).expect("base"),
            "\"@method\": POST\n\
             \"@target-uri\": https://give.example.org/users/bo/inbox\n\
             \"@scheme\": https\n\
             \"@request-target\": /users/bo/inbox\n\
             \"content-digest\": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n\
             \"x-dict\";key=\"a\": (1 2);x\n\
             \"x-raw\";bs: :b25lLCB0d28=:, :dGhyZWU=:\n\
             \"@signature-params\": (\"@method\" \"@target-uri\" \"@scheme\" \"@request-target\" \"content-digest\" \"x-dict\";key=\"a\" \"x-raw\";bs);created=1700000000;expires=1700000300;keyid=\"https://social.example/users/ana#main-key\";alg=\"rsa-v1_5-sha256\""
        );
        // The window: created at most `skew` ahead, at most `max_age` behind; expires.
        assert_eq!(s.check_time(1_700_000_100, 3900, 60), Ok(()));
        assert_eq!(
            s.check_time(1_699_999_900, 3900, 60),
            Err(E::CreatedInFuture)
        );
        assert_eq!(s.check_time(1_700_004_000, 3900, 60), Err(E::TooOld));
        assert_eq!(s.check_time(1_700_000_400, 3900, 60), Err(E::Expired));
        let no_created = MessageSignature {
            params: SignatureParams {
                created: None,
                ..s.params.clone()
            },
            ..s.clone()
        };
        assert_eq!(
            no_created.check_time(1_700_000_100, 3900, 60),
            Err(E::NoCreated)
        );
    }

    #[test]
    fn several_labels_and_bases_that_cannot_be_built() {
        let all = parse(
            r#"a=("@method");created=1, b=("date");created=2, c=();created=3"#,
            "b=:AQID:, a=:BAUG:, z=:AQID:",
        )
        .expect("parses");
        assert_eq!(
            all.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(),
            ["a", "b"],
            "in Signature-Input's order, only labels in both"
        );
        assert_eq!(all[1].signature, [1, 2, 3]);
        let s = &all[1];
        let req = |headers: &'static [(&'static str, &'static str)]| Request {
            headers,
            ..request()
        };
        assert_eq!(
            s.signature_base(&req(&[])),
            Err(E::MissingComponent("\"date\"".into()))
        );
        assert_eq!(
            s.signature_base(&req(&[("date", "x\r\n\"@method\": GET")])),
            Err(E::BadValue("\"date\"".into()))
        );
        let bad_target = Request {
            target: "foo bar",
            ..request()
        };
        assert_eq!(s.signature_base(&bad_target), Err(E::BadRequestTarget));
        // Query parameters: missing, repeated, encoded.
        let q = one(r#"s=("@query-param";name="a b");created=1"#, "s=:AQID:");
        let with = |target: &'static str| Request {
            target,
            ..request()
        };
        assert_eq!(
            q.signature_base(&with("/x?a+b=caf%C3%A9%2F1"))
                .expect("base"),
            "\"@query-param\";name=\"a b\": caf%C3%A9%2F1\n\"@signature-params\": (\"@query-param\";name=\"a b\");created=1"
        );
        assert_eq!(
            q.signature_base(&with("/x?c=1")),
            Err(E::MissingComponent("\"@query-param\";name=\"a b\"".into()))
        );
        assert!(q.signature_base(&with("/x?a%20b=1&a+b=2")).is_err());
        // `@query` of a target without one is "?".
        let e = one(r#"s=("@query" "@path");created=1"#, "s=:AQID:");
        assert_eq!(
            e.signature_base(&with("/")).expect("base"),
            "\"@query\": ?\n\"@path\": /\n\"@signature-params\": (\"@query\" \"@path\");created=1"
        );
    }

    #[test]
    fn refuses_bad_headers() {
        let cases: &[(&str, &str, MessageSignatureError)] = &[
            ("", "", E::NoSignature),
            ("a=()", "b=:AQID:", E::NoSignature),
            ("a=(", "a=:AQID:", E::Syntax("Signature-Input")),
            (
                "a=()",
                "a=AQID",
                E::Bad("a".into(), "the signature is not a byte sequence"),
            ),
            ("a=()", "a=::", E::Bad("a".into(), "the signature is empty")),
            (
                "a=\"x\"",
                "a=:AQID:",
                E::Bad("a".into(), "the input is not an inner list"),
            ),
            (
                r#"a=("date" "date")"#,
                "a=:AQID:",
                E::Bad("a".into(), "a component is covered twice"),
            ),
            (
                r#"a=("Date")"#,
                "a=:AQID:",
                E::BadComponent("\"Date\"".into()),
            ),
            (
                r#"a=("@status")"#,
                "a=:AQID:",
                E::BadComponent("\"@status\"".into()),
            ),
            (
                r#"a=("@method";req)"#,
                "a=:AQID:",
                E::BadComponent("\"@method\";req".into()),
            ),
            (
                r#"a=("content-digest";sf)"#,
                "a=:AQID:",
                E::BadComponent("\"content-digest\";sf".into()),
            ),
            (
                r#"a=("x";tr)"#,
                "a=:AQID:",
                E::BadComponent("\"x\";tr".into()),
            ),
            (r#"a=(date)"#, "a=:AQID:", E::BadComponent("date".into())),
            (
                r#"a=();created="1""#,
                "a=:AQID:",
                E::Bad("a".into(), "created and expires must be integers"),
            ),
            (
                r#"a=();keyid=k"#,
                "a=:AQID:",
                E::Bad("a".into(), "keyid, alg, nonce and tag must be strings"),
            ),
            (
                r#"a=();keyid="""#,
                "a=:AQID:",
                E::Bad("a".into(), "the keyid is empty"),
            ),
        ];
        for (input, sig, want) in cases {
            assert_eq!(parse(input, sig).as_ref(), Err(want), "{input} / {sig}");
        }
        let long = format!("a=();keyid=\"{}\"", "k".repeat(MAX_HEADER_LEN));
        assert_eq!(parse(&long, "a=:AQID:"), Err(E::TooLong("Signature-Input")));
        let many = (0..10)
            .map(|i| format!("s{i}=()"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            parse(&many, "s0=:AQID:"),
            Err(E::TooLong("list of signatures"))
        );
        let wide = format!(
            "a=({})",
            (0..40)
                .map(|i| format!("\"h{i}\""))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(
            parse(&wide, "a=:AQID:"),
            Err(E::TooLong("list of covered components"))
        );
        let big = format!("a=:{}:", STANDARD.encode([7u8; 1100]));
        assert_eq!(parse("a=()", &big), Err(E::TooLong("signature")));
    }

    #[test]
    fn content_digests() {
        let body = br#"{"type":"Follow"}"#;
        let d = content_digest_header(body);
        assert!(d.starts_with("sha-256=:"));
        assert_eq!(check_content_digest(&d, body), Ok(()));
        assert_eq!(check_content_digest(&d, b"other"), Err(E::DigestMismatch));
        let sha512 = format!(
            "md5=:AQID:, sha-512=:{}:",
            STANDARD.encode(Sha512::digest(body))
        );
        assert_eq!(check_content_digest(&sha512, body), Ok(()));
        assert_eq!(
            check_content_digest("md5=:AQID:", body),
            Err(E::DigestUnsupported)
        );
        assert_eq!(
            check_content_digest("sha-256=abc", body),
            Err(E::DigestSyntax)
        );
        assert_eq!(
            check_content_digest("SHA-256=:AQID:", body),
            Err(E::DigestSyntax),
            "keys are lower case in a structured field"
        );
        assert_eq!(
            check_content_digest(&format!("{d}, sha-512=:AQID:"), body),
            Err(E::DigestMismatch),
            "every supported digest must match"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(input in ".{0,300}", sig in ".{0,120}", t in ".{0,40}") {
            if let Ok(all) = parse(&input, &sig) {
                for s in all {
                    let req = Request { target: &t, ..request() };
                    if let Ok(base) = s.signature_base(&req) {
                        proptest::prop_assert_eq!(
                            base.lines().count(),
                            s.components.len() + 1
                        );
                    }
                    let _ = s.check_time(1_700_000_000, 3900, 60);
                }
            }
            let _ = check_content_digest(&input, sig.as_bytes());
        }
    }
}
