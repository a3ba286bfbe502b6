// SPDX-License-Identifier: AGPL-3.0-or-later

//! Incoming ActivityPub activities: the JSON that other servers POST to an inbox, read into
//! typed values for the federation capability.
//!
//! [`parse_activity`] understands what a library's blog needs from the fediverse:
//!
//! | activity | becomes |
//! | --- | --- |
//! | `Follow` | [`ActivityKind::Follow`] (the followed actor) |
//! | `Undo` of a `Follow`, `Like` or `Announce` (embedded, or by id) | [`ActivityKind::Undo`] |
//! | `Like`, `Announce` | the object's id |
//! | `Create`, `Update` of a `Note` | [`ActivityKind::Create`], [`ActivityKind::Update`] with a [`Note`] |
//! | `Delete` (object by id or a `Tombstone`) | the object's id |
//! | `Accept`, `Reject` (of our `Follow`, embedded or by id) | an [`ObjectRef`] |
//! | anything else (`Block`, `Move`, `Update` of a `Person`, `Create` of a `Question`, …) | [`ActivityKind::Unsupported`], not an error |
//!
//! The rules, for hostile input:
//!
//! * The body is at most [`ParseOptions::max_body`] bytes and must be a JSON object.
//!   `@context` may be a string, an array or an object (it is not interpreted); `type` a
//!   string or an array of strings (the first known one counts).
//! * `id` and `actor` are required. `actor`, `object`, `attributedTo` and `inReplyTo` may be
//!   an IRI string or an embedded object with an `id`.
//! * Every IRI is checked by [`Iri::parse`]: `https://` with a host (no user info), or
//!   `http://` to a loopback host only when [`ParseOptions::allow_loopback_http`] is set (for
//!   tests against servers on this machine).
//! * `to` and `cc` may be a string or an array; `as:Public` and `Public` mean [`PUBLIC`]. At
//!   most [`MAX_AUDIENCE`] entries each.
//! * A Note's `tag` (an array of objects as Mastodon sends it, or one object) gives its
//!   hashtags (`Hashtag` `name`, without '#') and mentions (`Mention` `href`); other types
//!   and unusable entries are skipped and only the first [`MAX_TAGS`] are read — a note is
//!   never refused for its tags.
//! * An embedded activity (in `Undo`) with an `actor` must have the outer activity's actor,
//!   and a `Note`'s `attributedTo` must name the activity's actor: nobody undoes or writes in
//!   another's name.
//!
//! Not checked here (the federation capability does it, knowing who signed the request): that
//! the signer is the actor, that the activity's id lies on the actor's host
//! ([`Iri::host`] helps), and whether the objects exist. A Note's `content` is HTML from
//! elsewhere: it must be sanitised before it is shown (see [`crate::markdown`]).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The public collection: an audience containing it makes an activity public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The default body limit (Mastodon's own posts are far below it).
pub const MAX_BODY: usize = 256 * 1024;
/// The longest IRI accepted.
pub const MAX_IRI_LEN: usize = 2048;
/// The most entries in `to` or in `cc`.
pub const MAX_AUDIENCE: usize = 256;
/// Type names kept in [`ActivityKind::Unsupported`] are cut to this many characters.
const MAX_TYPE_LEN: usize = 64;
/// The most entries of a Note's `tag` looked at (the rest are ignored, not refused).
pub const MAX_TAGS: usize = 64;
/// The longest hashtag name kept, in characters (longer ones are ignored).
pub const MAX_HASHTAG_LEN: usize = 100;

/// How strict [`parse_activity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept `http://` IRIs whose host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`):
    /// for tests only.
    pub allow_loopback_http: bool,
    /// The largest body read, in bytes.
    pub max_body: usize,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            allow_loopback_http: false,
            max_body: MAX_BODY,
        }
    }
}

/// Why a string is not an acceptable IRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IriError {
    #[error("empty or longer than {MAX_IRI_LEN} bytes")]
    Length,
    #[error("contains spaces or control characters")]
    Characters,
    #[error("not https (http only for loopback hosts in tests)")]
    Scheme,
    #[error("user information is not allowed")]
    UserInfo,
    #[error("no valid host")]
    Host,
    #[error("bad port")]
    Port,
}

/// An absolute `https` (or, in tests, loopback `http`) IRI, kept exactly as received (IRIs
/// are compared as strings in ActivityPub).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iri(String);

impl Iri {
    /// Checks `s`; see the module documentation. `https` IRIs may name any host, loopback
    /// included (whether to fetch one is the fetcher's decision).
    pub fn parse(s: &str, allow_loopback_http: bool) -> Result<Iri, IriError> {
        if s.is_empty() || s.len() > MAX_IRI_LEN {
            return Err(IriError::Length);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(IriError::Characters);
        }
        let (https, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(IriError::Scheme);
        };
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if authority.contains('@') {
            return Err(IriError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        if let Some(p) = port
            && (p.is_empty()
                || p.len() > 5
                || !p.bytes().all(|b| b.is_ascii_digit())
                || !(1..=65535).contains(&p.parse::<u32>().unwrap_or(0)))
        {
            return Err(IriError::Port);
        }
        let loopback_ok = allow_loopback_http && is_loopback(host);
        if !(https || loopback_ok) {
            return Err(IriError::Scheme);
        }
        Ok(Iri(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host as written (`social.example`, `127.0.0.1`, `[::1]`), without the port.
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map(|(_, r)| r).unwrap_or(&self.0);
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        split_host_port(authority)
            .map(|(h, _)| h)
            .unwrap_or(authority)
    }

    /// The public collection.
    pub fn is_public(&self) -> bool {
        self.0 == PUBLIC
    }
}

impl fmt::Debug for Iri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iri({:?})", self.0)
    }
}

impl fmt::Display for Iri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `host[:port]` or `[v6][:port]`, the host checked.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), IriError> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']').ok_or(IriError::Host)?;
        let inner = &authority[1..end];
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err(IriError::Host);
        }
        let after = &authority[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(IriError::Host),
        };
        (&authority[..=end], port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !host.starts_with('[') {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(IriError::Host);
        }
    }
    Ok((host, port))
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// Why an activity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApError {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body is not JSON: {0}")]
    Json(String),
    #[error("the activity is not a JSON object")]
    NotAnObject,
    #[error("@context must be a string, an array or an object")]
    BadContext,
    #[error("the field {0:?} is missing")]
    MissingField(&'static str),
    #[error("the field {0:?} has the wrong type or form")]
    BadField(&'static str),
    #[error("the field {field:?} is not an acceptable IRI: {error}")]
    BadIri {
        field: &'static str,
        error: IriError,
    },
    #[error("the field {0:?} has too many entries")]
    TooMany(&'static str),
    #[error("{0} names someone other than the activity's actor")]
    ActorMismatch(&'static str),
}

/// An object named by id, with its type when it was embedded and had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub id: Iri,
    pub kind: Option<String>,
}

/// Which kind of post a `Note` was sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A short post (Mastodon's statuses).
    Note,
    /// A longer post with a title (`name`), as blogs publish them; its `summary` is an
    /// excerpt, not a content warning.
    Article,
}

/// A post: a `Note` or an `Article`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: Iri,
    pub kind: NoteKind,
    /// An article's title (notes have none).
    pub name: Option<String>,
    /// The author: always the activity's actor (checked).
    pub attributed_to: Iri,
    /// HTML from another server: sanitise before showing it.
    pub content: String,
    /// The content warning, if any.
    pub summary: Option<String>,
    pub sensitive: bool,
    pub in_reply_to: Option<Iri>,
    pub published: Option<DateTime<Utc>>,
    /// The human-readable page, when given as an acceptable IRI (an unusable `url` is left
    /// out rather than refusing the note).
    pub url: Option<Iri>,
    /// The `Hashtag` entries of `tag`, without their '#' and as written (`FollowALibrary`);
    /// each once.
    pub hashtags: Vec<String>,
    /// The `Mention` entries of `tag`: the mentioned actors' ids (`href`); each once.
    pub mentions: Vec<Iri>,
}

/// What an `Undo` takes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// `id` is the Follow's id, `object` the actor that was followed.
    Follow {
        id: Iri,
        object: Iri,
    },
    Like {
        id: Iri,
        object: Iri,
    },
    Announce {
        id: Iri,
        object: Iri,
    },
    /// Only the undone activity's id was given: look it up among those received.
    ById(Iri),
}

/// What an activity does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    /// The actor follows `object` (one of our actors).
    Follow {
        object: Iri,
    },
    Undo(Undo),
    Like {
        object: Iri,
    },
    Announce {
        object: Iri,
    },
    Create(Note),
    Update(Note),
    Delete {
        object: Iri,
    },
    /// Our follow request (usually) was accepted.
    Accept {
        object: ObjectRef,
    },
    Reject {
        object: ObjectRef,
    },
    /// Well-formed, but nothing we act on: the activity's type and, for `Create`, `Update`
    /// and `Undo`, the object's type (names cut to 64 characters).
    Unsupported {
        activity: String,
        object: Option<String>,
    },
}

/// An activity from an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: Iri,
    pub actor: Iri,
    pub to: Vec<Iri>,
    pub cc: Vec<Iri>,
    pub kind: ActivityKind,
}

impl Activity {
    /// Addressed to the public collection.
    pub fn is_public(&self) -> bool {
        self.to.iter().chain(&self.cc).any(Iri::is_public)
    }

    /// Every IRI in the activity (for checks and tests).
    pub fn iris(&self) -> Vec<&Iri> {
        let mut v = vec![&self.id, &self.actor];
        v.extend(&self.to);
        v.extend(&self.cc);
        match &self.kind {
            ActivityKind::Follow { object }
            | ActivityKind::Like { object }
            | ActivityKind::Announce { object }
            | ActivityKind::Delete { object } => v.push(object),
            ActivityKind::Undo(
                Undo::Follow { id, object }
                | Undo::Like { id, object }
                | Undo::Announce { id, object },
            ) => v.extend([id, object]),
            ActivityKind::Undo(Undo::ById(id)) => v.push(id),
            ActivityKind::Create(n) | ActivityKind::Update(n) => {
                v.extend([&n.id, &n.attributed_to]);
                v.extend(n.in_reply_to.as_ref());
                v.extend(n.url.as_ref());
                v.extend(&n.mentions);
            }
            ActivityKind::Accept { object } | ActivityKind::Reject { object } => v.push(&object.id),
            ActivityKind::Unsupported { .. } => {}
        }
        v
    }
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_TYPE_LEN).collect()
}

const KNOWN: [&str; 11] = [
    "Follow",
    "Undo",
    "Like",
    "Announce",
    "Create",
    "Update",
    "Delete",
    "Accept",
    "Reject",
    "Note",
    "Tombstone",
];

/// The `type`: a string, or an array of strings (the first known one, else the first).
fn type_of(o: &Map<String, Value>, field: &'static str) -> Result<Option<String>, ApError> {
    match o.get("type") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(a)) => {
            if a.is_empty() || a.len() > 8 {
                return Err(ApError::BadField(field));
            }
            let names = a
                .iter()
                .map(|v| v.as_str().ok_or(ApError::BadField(field)))
                .collect::<Result<Vec<_>, _>>()?;
            let pick = names
                .iter()
                .find(|n| KNOWN.contains(n))
                .unwrap_or(&names[0]);
            Ok(Some((*pick).to_string()))
        }
        Some(_) => Err(ApError::BadField(field)),
    }
}

struct Reader {
    loopback: bool,
}

impl Reader {
    fn iri(&self, s: &str, field: &'static str) -> Result<Iri, ApError> {
        Iri::parse(s, self.loopback).map_err(|error| ApError::BadIri { field, error })
    }

    /// An IRI string or an embedded object with an `id`; `None` when absent or null.
    fn reference(&self, v: Option<&Value>, field: &'static str) -> Result<Option<Iri>, ApError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => self.iri(s, field).map(Some),
            Some(Value::Object(o)) => match o.get("id") {
                Some(Value::String(s)) => self.iri(s, field).map(Some),
                None | Some(Value::Null) => Err(ApError::MissingField(field)),
                Some(_) => Err(ApError::BadField(field)),
            },
            Some(_) => Err(ApError::BadField(field)),
        }
    }

    fn required(
        &self,
        o: &Map<String, Value>,
        key: &str,
        field: &'static str,
    ) -> Result<Iri, ApError> {
        self.reference(o.get(key), field)?
            .ok_or(ApError::MissingField(field))
    }

    fn audience(&self, o: &Map<String, Value>, key: &'static str) -> Result<Vec<Iri>, ApError> {
        let items: Vec<&Value> = match o.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v) => vec![v],
        };
        if items.len() > MAX_AUDIENCE {
            return Err(ApError::TooMany(key));
        }
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            let public = matches!(v.as_str(), Some("as:Public" | "Public"));
            let iri = if public {
                Iri(PUBLIC.to_string())
            } else {
                self.reference(Some(v), key)?
                    .ok_or(ApError::BadField(key))?
            };
            if !out.contains(&iri) {
                out.push(iri);
            }
        }
        Ok(out)
    }

    fn note(&self, o: &Map<String, Value>, actor: &Iri, kind: NoteKind) -> Result<Note, ApError> {
        let id = self.required(o, "id", "object.id")?;
        let authors: Vec<Iri> = match o.get("attributedTo") {
            Some(Value::Array(a)) => {
                if a.len() > 8 {
                    return Err(ApError::TooMany("attributedTo"));
                }
                a.iter()
                    .map(|v| {
                        self.reference(Some(v), "attributedTo")?
                            .ok_or(ApError::BadField("attributedTo"))
                    })
                    .collect::<Result<_, _>>()?
            }
            v => self.reference(v, "attributedTo")?.into_iter().collect(),
        };
        if authors.is_empty() {
            return Err(ApError::MissingField("attributedTo"));
        }
        if !authors.contains(actor) {
            return Err(ApError::ActorMismatch("attributedTo"));
        }
        let text = |key: &'static str| -> Result<Option<String>, ApError> {
            match o.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ApError::BadField(key)),
            }
        };
        let sensitive = match o.get("sensitive") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ApError::BadField("sensitive")),
        };
        let published = text("published")?
            .map(|p| {
                DateTime::parse_from_rfc3339(&p)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|_| ApError::BadField("published"))
            })
            .transpose()?;
        let url = match o.get("url") {
            Some(Value::Array(a)) => a.first(),
            v => v,
        };
        let url = match url {
            Some(Value::String(s)) => Iri::parse(s, self.loopback).ok(),
            Some(Value::Object(l)) => l
                .get("href")
                .and_then(Value::as_str)
                .and_then(|s| Iri::parse(s, self.loopback).ok()),
            _ => None,
        };
        let (hashtags, mentions) = self.tags(o.get("tag"));
        Ok(Note {
            id,
            kind,
            name: match kind {
                NoteKind::Note => None,
                NoteKind::Article => text("name")?,
            },
            attributed_to: actor.clone(),
            content: text("content")?.unwrap_or_default(),
            summary: text("summary")?,
            sensitive,
            in_reply_to: self.reference(o.get("inReplyTo"), "inReplyTo")?,
            published,
            url,
            hashtags,
            mentions,
        })
    }

    /// A Note's `tag`: an array of objects (Mastodon), a single object, or absent. Only
    /// `Hashtag` (its `name`, '#' taken off) and `Mention` (its `href`) entries count;
    /// other types, entries that are no objects and unusable names or IRIs are skipped, and
    /// only the first [`MAX_TAGS`] entries are looked at: a note is never refused for its
    /// tags.
    fn tags(&self, v: Option<&Value>) -> (Vec<String>, Vec<Iri>) {
        let items: Vec<&Value> = match v {
            Some(Value::Array(a)) => a.iter().take(MAX_TAGS).collect(),
            Some(o @ Value::Object(_)) => vec![o],
            _ => Vec::new(),
        };
        let (mut hashtags, mut mentions) = (Vec::new(), Vec::new());
        for item in items {
            let Value::Object(t) = item else { continue };
            let Ok(Some(kind)) = type_of(t, "tag.type") else {
                continue;
            };
            match kind.as_str() {
                "Hashtag" => {
                    let Some(name) = t.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    let name = name.trim();
                    let name = name.strip_prefix('#').unwrap_or(name);
                    let ok = !name.is_empty()
                        && name.chars().count() <= MAX_HASHTAG_LEN
                        && !name.chars().any(|c| c.is_whitespace() || c.is_control());
                    if ok && !hashtags.iter().any(|h: &String| h == name) {
                        hashtags.push(name.to_string());
                    }
                }
                "Mention" => {
                    let Some(href) = t.get("href").and_then(Value::as_str) else {
                        continue;
                    };
                    if let Ok(iri) = Iri::parse(href, self.loopback)
                        && !mentions.contains(&iri)
                    {
                        mentions.push(iri);
                    }
                }
                _ => {}
            }
        }
        (hashtags, mentions)
    }
}

/// Reads an inbox POST body; see the module documentation.
pub fn parse_activity(body: &[u8], opts: &ParseOptions) -> Result<Activity, ApError> {
    if body.len() > opts.max_body {
        return Err(ApError::TooLarge {
            limit: opts.max_body,
        });
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| ApError::Json(e.to_string()))?;
    let Value::Object(o) = v else {
        return Err(ApError::NotAnObject);
    };
    match o.get("@context") {
        None | Some(Value::String(_)) | Some(Value::Object(_)) => {}
        Some(Value::Array(a)) if a.iter().all(|c| c.is_string() || c.is_object()) => {}
        Some(_) => return Err(ApError::BadContext),
    }
    let r = Reader {
        loopback: opts.allow_loopback_http,
    };
    let type_name = type_of(&o, "type")?.ok_or(ApError::MissingField("type"))?;
    let id = r.required(&o, "id", "id")?;
    let actor = r.required(&o, "actor", "actor")?;
    let to = r.audience(&o, "to")?;
    let cc = r.audience(&o, "cc")?;
    let object = o.get("object");
    let object_iri = || r.required(&o, "object", "object");

    let kind = match type_name.as_str() {
        "Follow" => ActivityKind::Follow {
            object: object_iri()?,
        },
        "Like" => ActivityKind::Like {
            object: object_iri()?,
        },
        "Announce" => ActivityKind::Announce {
            object: object_iri()?,
        },
        "Delete" => ActivityKind::Delete {
            object: object_iri()?,
        },
        "Accept" | "Reject" => {
            let object = ObjectRef {
                id: object_iri()?,
                kind: match object {
                    Some(Value::Object(inner)) => type_of(inner, "object.type")?,
                    _ => None,
                },
            };
            if type_name == "Accept" {
                ActivityKind::Accept { object }
            } else {
                ActivityKind::Reject { object }
            }
        }
        "Undo" => match object {
            Some(Value::Object(inner)) => {
                let inner_kind = type_of(inner, "object.type")?;
                if let Some(a) = r.reference(inner.get("actor"), "object.actor")?
                    && a != actor
                {
                    return Err(ApError::ActorMismatch("object.actor"));
                }
                let undone = r.required(inner, "id", "object.id")?;
                match inner_kind.as_deref() {
                    Some(k @ ("Follow" | "Like" | "Announce")) => {
                        let object = r.required(inner, "object", "object.object")?;
                        let id = undone;
                        ActivityKind::Undo(match k {
                            "Follow" => Undo::Follow { id, object },
                            "Like" => Undo::Like { id, object },
                            _ => Undo::Announce { id, object },
                        })
                    }
                    None => ActivityKind::Undo(Undo::ById(undone)),
                    Some(other) => ActivityKind::Unsupported {
                        activity: type_name.clone(),
                        object: Some(cut(other)),
                    },
                }
            }
            _ => ActivityKind::Undo(Undo::ById(object_iri()?)),
        },
        "Create" | "Update" => match object {
            Some(Value::Object(inner)) => match type_of(inner, "object.type")?.as_deref() {
                Some(t @ ("Note" | "Article")) => {
                    let kind = if t == "Note" {
                        NoteKind::Note
                    } else {
                        NoteKind::Article
                    };
                    let note = r.note(inner, &actor, kind)?;
                    if type_name == "Create" {
                        ActivityKind::Create(note)
                    } else {
                        ActivityKind::Update(note)
                    }
                }
                other => ActivityKind::Unsupported {
                    activity: type_name.clone(),
                    object: other.map(cut),
                },
            },
            // An object by reference would have to be fetched: not handled.
            _ => {
                object_iri()?;
                ActivityKind::Unsupported {
                    activity: type_name.clone(),
                    object: None,
                }
            }
        },
        other => ActivityKind::Unsupported {
            activity: cut(other),
            object: None,
        },
    };
    Ok(Activity {
        id,
        actor,
        to,
        cc,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(json: &str) -> Result<Activity, ApError> {
        parse_activity(json.as_bytes(), &ParseOptions::default())
    }

    fn iri(s: &str) -> Iri {
        Iri::parse(s, false).expect("iri")
    }

    const ANA: &str = "https://mastodon.example/users/ana";
    const LIB: &str = "https://give.example.org/actor";

    #[test]
    fn mastodon_follow() {
        let a = parse(
            r#"{"@context":"https://www.w3.org/ns/activitystreams",
                "id":"https://mastodon.example/0b4c2f9a-1f1e-4a55-8a3e-6b2c1e0f9d11",
                "type":"Follow","actor":"https://mastodon.example/users/ana",
                "object":"https://give.example.org/actor"}"#,
        )
        .expect("follow");
        assert_eq!(a.actor, iri(ANA));
        assert_eq!(a.kind, ActivityKind::Follow { object: iri(LIB) });
        assert!(a.to.is_empty() && !a.is_public());
        assert_eq!(a.id.host(), "mastodon.example");
    }

    #[test]
    fn undo_follow_embedded_and_by_id() {
        let a = parse(
            r#"{"@context":"https://www.w3.org/ns/activitystreams",
                "id":"https://mastodon.example/users/ana#follows/1/undo","type":"Undo",
                "actor":"https://mastodon.example/users/ana",
                "object":{"id":"https://mastodon.example/1","type":"Follow",
                          "actor":"https://mastodon.example/users/ana",
                          "object":"https://give.example.org/actor"}}"#,
        )
        .expect("undo");
        assert_eq!(
            a.kind,
            ActivityKind::Undo(Undo::Follow {
                id: iri("https://mastodon.example/1"),
                object: iri(LIB)
            })
        );
        let by_id = parse(
            r#"{"id":"https://m.example/u","type":"Undo","actor":"https://m.example/a",
                "object":"https://m.example/likes/3"}"#,
        )
        .expect("undo by id");
        assert_eq!(
            by_id.kind,
            ActivityKind::Undo(Undo::ById(iri("https://m.example/likes/3")))
        );
        // Undoing someone else's follow.
        let forged = parse(
            r#"{"id":"https://m.example/u","type":"Undo","actor":"https://m.example/a",
                "object":{"id":"https://m.example/1","type":"Follow",
                          "actor":"https://m.example/b","object":"https://give.example.org/actor"}}"#,
        );
        assert_eq!(forged, Err(ApError::ActorMismatch("object.actor")));
        let block = parse(
            r#"{"id":"https://m.example/u","type":"Undo","actor":"https://m.example/a",
                "object":{"id":"https://m.example/1","type":"Block","object":"https://x.example/a"}}"#,
        )
        .expect("undo block");
        assert_eq!(
            block.kind,
            ActivityKind::Unsupported {
                activity: "Undo".into(),
                object: Some("Block".into())
            }
        );
    }

    #[test]
    fn like_and_announce() {
        let like = parse(
            r#"{"@context":"https://www.w3.org/ns/activitystreams",
                "id":"https://mastodon.example/users/ana#likes/42","type":"Like",
                "actor":"https://mastodon.example/users/ana",
                "object":"https://give.example.org/2024/06/28/roof/"}"#,
        )
        .expect("like");
        assert_eq!(
            like.kind,
            ActivityKind::Like {
                object: iri("https://give.example.org/2024/06/28/roof/")
            }
        );
        let boost = parse(
            r#"{"@context":["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#"}],
                "id":"https://mastodon.example/users/ana/statuses/1/activity","type":"Announce",
                "actor":{"id":"https://mastodon.example/users/ana","type":"Person"},
                "published":"2024-06-28T08:00:00Z",
                "to":"as:Public","cc":["https://mastodon.example/users/ana/followers","Public"],
                "object":{"id":"https://give.example.org/2024/06/28/roof/","type":"Article"}}"#,
        )
        .expect("announce");
        assert!(boost.is_public());
        assert_eq!(boost.to, vec![iri(PUBLIC)]);
        assert_eq!(boost.cc.len(), 2);
        assert_eq!(boost.actor, iri(ANA));
    }

    const CREATE: &str = r#"{
      "@context": ["https://www.w3.org/ns/activitystreams",
                   {"ostatus":"http://ostatus.org#","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#"}],
      "id": "https://mastodon.example/users/ana/statuses/112345/activity",
      "type": "Create",
      "actor": "https://mastodon.example/users/ana",
      "published": "2024-06-28T08:01:02Z",
      "to": ["https://www.w3.org/ns/activitystreams#Public"],
      "cc": ["https://mastodon.example/users/ana/followers", "https://give.example.org/actor"],
      "object": {
        "id": "https://mastodon.example/users/ana/statuses/112345",
        "type": "Note",
        "summary": null,
        "inReplyTo": "https://give.example.org/2024/06/28/roof/",
        "published": "2024-06-28T08:01:02Z",
        "url": "https://mastodon.example/@ana/112345",
        "attributedTo": "https://mastodon.example/users/ana",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "sensitive": false,
        "content": "<p>Congratulations on the new roof! <a href=\"https://give.example.org/\">give.example.org</a></p>",
        "contentMap": {"en": "<p>Congratulations on the new roof!</p>"},
        "attachment": [],
        "tag": [{"type":"Mention","href":"https://give.example.org/actor","name":"@library@give.example.org"}]
      }
    }"#;

    #[test]
    fn create_and_update_note() {
        let a = parse(CREATE).expect("create");
        let ActivityKind::Create(n) = &a.kind else {
            panic!("create expected: {a:?}")
        };
        assert_eq!(
            n.id,
            iri("https://mastodon.example/users/ana/statuses/112345")
        );
        assert_eq!(n.attributed_to, iri(ANA));
        assert!(n.content.starts_with("<p>Congratulations"));
        assert_eq!(
            n.in_reply_to,
            Some(iri("https://give.example.org/2024/06/28/roof/"))
        );
        assert_eq!(n.published.map(|p| p.timestamp()), Some(1_719_561_662));
        assert_eq!(n.url, Some(iri("https://mastodon.example/@ana/112345")));
        assert!(a.is_public() && !n.sensitive && n.summary.is_none());
        assert_eq!((n.kind, n.name.as_deref()), (NoteKind::Note, None));

        // An Article (as blogs publish posts) keeps its title.
        let article = CREATE.replacen(
            "\"type\": \"Note\"",
            "\"type\": \"Article\", \"name\": \"Roof done\"",
            1,
        );
        let Ok(ActivityKind::Create(n)) = parse(&article).map(|a| a.kind) else {
            panic!("an article is read: {article}")
        };
        assert_eq!(
            (n.kind, n.name.as_deref()),
            (NoteKind::Article, Some("Roof done"))
        );
        let page = CREATE.replacen("\"type\": \"Note\"", "\"type\": \"Page\"", 1);
        assert!(matches!(
            parse(&page).map(|a| a.kind),
            Ok(ActivityKind::Unsupported { .. })
        ));

        let update = CREATE.replacen("\"Create\"", "\"Update\"", 1);
        assert!(matches!(
            parse(&update).map(|a| a.kind),
            Ok(ActivityKind::Update(_))
        ));

        let forged = CREATE.replace(
            "\"attributedTo\": \"https://mastodon.example/users/ana\"",
            "\"attributedTo\": \"https://mastodon.example/users/bo\"",
        );
        assert_eq!(parse(&forged), Err(ApError::ActorMismatch("attributedTo")));

        let person = parse(
            r#"{"id":"https://m.example/a#updates/1","type":"Update","actor":"https://m.example/a",
                "object":{"id":"https://m.example/a","type":"Person","name":"A"}}"#,
        )
        .expect("profile update");
        assert_eq!(
            person.kind,
            ActivityKind::Unsupported {
                activity: "Update".into(),
                object: Some("Person".into())
            }
        );
    }

    /// A Mastodon status for a hashtag day: `tag` as Mastodon sends it (a Mention, a
    /// Hashtag and a custom Emoji).
    const TAGGED: &str = r##"{
      "@context": ["https://www.w3.org/ns/activitystreams",
                   {"Hashtag":"as:Hashtag","toot":"http://joinmastodon.org/ns#","Emoji":"toot:Emoji"}],
      "id": "https://mastodon.example/users/ana/statuses/113001/activity",
      "type": "Create",
      "actor": "https://mastodon.example/users/ana",
      "to": ["https://www.w3.org/ns/activitystreams#Public"],
      "cc": ["https://mastodon.example/users/ana/followers", "https://give.example.org/campaigns/roof"],
      "object": {
        "id": "https://mastodon.example/users/ana/statuses/113001",
        "type": "Note",
        "inReplyTo": null,
        "published": "2026-10-01T09:00:00Z",
        "url": "https://mastodon.example/@ana/113001",
        "attributedTo": "https://mastodon.example/users/ana",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://mastodon.example/users/ana/followers", "https://give.example.org/campaigns/roof"],
        "content": "<p><span class=\"h-card\"><a href=\"https://give.example.org/campaigns/roof\" class=\"u-url mention\">@<span>roof</span></a></span> My video! <a href=\"https://mastodon.example/tags/FollowALibrary\" class=\"mention hashtag\" rel=\"tag\">#<span>FollowALibrary</span></a> :books:</p>",
        "tag": [
          {"type": "Mention", "href": "https://give.example.org/campaigns/roof", "name": "@roof@give.example.org"},
          {"type": "Hashtag", "href": "https://mastodon.example/tags/followalibrary", "name": "#FollowALibrary"},
          {"id": "https://mastodon.example/emojis/1", "type": "Emoji", "name": ":books:",
           "icon": {"type": "Image", "mediaType": "image/png", "url": "https://mastodon.example/e.png"}}
        ]
      }
    }"##;

    fn note_of(json: &str) -> Note {
        match parse(json).map(|a| a.kind) {
            Ok(ActivityKind::Create(n)) => n,
            other => panic!("a Create expected: {other:?}"),
        }
    }

    #[test]
    fn note_tags_give_hashtags_and_mentions() {
        let n = note_of(TAGGED);
        assert_eq!(n.hashtags, vec!["FollowALibrary".to_string()]);
        assert_eq!(
            n.mentions,
            vec![iri("https://give.example.org/campaigns/roof")]
        );
        let a = parse(TAGGED).expect("create");
        assert!(
            a.iris()
                .contains(&&iri("https://give.example.org/campaigns/roof"))
        );

        // The older fixture: a Mention only.
        let n = note_of(CREATE);
        assert!(n.hashtags.is_empty());
        assert_eq!(n.mentions, vec![iri(LIB)]);

        // A single object instead of an array; a type given as an array.
        let single = TAGGED.replace(
            r##""tag": ["##,
            r##""tag": {"type": ["Hashtag"], "name": "Bibliotek"}, "tagx": ["##,
        );
        let n = note_of(&single);
        assert_eq!(n.hashtags, vec!["Bibliotek".to_string()]);
        assert!(n.mentions.is_empty());

        // No tag, null, a string: nothing, never an error.
        for tag in [r##"null"##, r##""x""##, r##"[]"##, r##"5"##] {
            let json = TAGGED.replace(r##""tag": ["##, &format!(r##""tag": {tag}, "tagx": ["##));
            let n = note_of(&json);
            assert!(n.hashtags.is_empty() && n.mentions.is_empty(), "{tag}");
        }

        // Unusable entries are skipped, the rest kept; duplicates once.
        let messy = TAGGED.replace(
            r##""tag": ["##,
            r##""tag": ["#FollowALibrary", 7, null, {"type": 5, "name": "#Bad"},
              {"type": "Hashtag"}, {"type": "Hashtag", "name": "#"},
              {"type": "Hashtag", "name": "#two words"}, {"name": "#NoType"},
              {"type": "Mention", "href": "javascript:alert(1)"}, {"type": "Mention"},
              {"type": "Mention", "href": "https://give.example.org/campaigns/roof"},
              {"type": "Hashtag", "name": "followalibrary"},"##,
        );
        let n = note_of(&messy);
        assert_eq!(
            n.hashtags,
            vec!["followalibrary".to_string(), "FollowALibrary".to_string()]
        );
        assert_eq!(
            n.mentions,
            vec![iri("https://give.example.org/campaigns/roof")]
        );

        // Only the first MAX_TAGS entries are read.
        let many: Vec<String> = (0..MAX_TAGS + 10)
            .map(|i| format!(r##"{{"type":"Hashtag","name":"#t{i}"}}"##))
            .collect();
        let json = TAGGED.replace(
            r##""tag": ["##,
            &format!(r##""tag": [{}], "tagx": ["##, many.join(",")),
        );
        let n = note_of(&json);
        assert_eq!(n.hashtags.len(), MAX_TAGS);
        let long = TAGGED.replace("#FollowALibrary\"", &format!("#{}\"", "x".repeat(101)));
        assert!(note_of(&long).hashtags.is_empty());
    }

    #[test]
    fn delete_accept_reject() {
        let d = parse(
            r#"{"id":"https://m.example/s/1#delete","type":"Delete","actor":"https://m.example/a",
                "to":["https://www.w3.org/ns/activitystreams#Public"],
                "object":{"id":"https://m.example/s/1","type":"Tombstone","atomUri":"https://m.example/s/1"}}"#,
        )
        .expect("delete");
        assert_eq!(
            d.kind,
            ActivityKind::Delete {
                object: iri("https://m.example/s/1")
            }
        );
        let acc = parse(
            r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://m.example/a#accepts/follows/9",
                "type":"Accept","actor":"https://m.example/a",
                "object":{"id":"https://give.example.org/follows/5","type":"Follow",
                          "actor":"https://give.example.org/actor","object":"https://m.example/a"}}"#,
        )
        .expect("accept");
        assert_eq!(
            acc.kind,
            ActivityKind::Accept {
                object: ObjectRef {
                    id: iri("https://give.example.org/follows/5"),
                    kind: Some("Follow".into())
                }
            }
        );
        let rej = parse(
            r#"{"id":"https://m.example/r","type":["Reject"],"actor":"https://m.example/a",
                "object":"https://give.example.org/follows/5"}"#,
        )
        .expect("reject");
        assert_eq!(
            rej.kind,
            ActivityKind::Reject {
                object: ObjectRef {
                    id: iri("https://give.example.org/follows/5"),
                    kind: None
                }
            }
        );
    }

    #[test]
    fn unknown_types_are_unsupported() {
        let a = parse(
            r#"{"id":"https://m.example/x","type":"Move","actor":"https://m.example/a",
                "object":"https://m.example/a","target":"https://n.example/a"}"#,
        )
        .expect("move");
        assert_eq!(
            a.kind,
            ActivityKind::Unsupported {
                activity: "Move".into(),
                object: None
            }
        );
        let long = format!(
            r#"{{"id":"https://m.example/x","type":"{}","actor":"https://m.example/a"}}"#,
            "X".repeat(500)
        );
        let ActivityKind::Unsupported { activity, .. } = parse(&long).expect("long").kind else {
            panic!("unsupported expected")
        };
        assert_eq!(activity.len(), 64);
    }

    #[test]
    fn refuses_bad_input() {
        let cases: &[(&str, ApError)] = &[
            ("[]", ApError::NotAnObject),
            (r#"{"@context":5,"type":"Like"}"#, ApError::BadContext),
            (r#"{"@context":[1],"type":"Like"}"#, ApError::BadContext),
            (
                r#"{"id":"https://m.example/x"}"#,
                ApError::MissingField("type"),
            ),
            (r#"{"type":7}"#, ApError::BadField("type")),
            (
                r#"{"type":"Like","id":"https://m.example/x","object":"https://m.example/o"}"#,
                ApError::MissingField("actor"),
            ),
            (
                r#"{"type":"Like","id":"https://m.example/x","actor":"https://m.example/a"}"#,
                ApError::MissingField("object"),
            ),
            (
                r#"{"type":"Like","id":"http://m.example/x","actor":"https://m.example/a","object":"https://m.example/o"}"#,
                ApError::BadIri {
                    field: "id",
                    error: IriError::Scheme,
                },
            ),
            (
                r#"{"type":"Like","id":"https://m.example/x","actor":{"type":"Person"},"object":"https://m.example/o"}"#,
                ApError::MissingField("actor"),
            ),
            (
                r#"{"type":"Like","id":"https://m.example/x","actor":"https://m.example/a","object":"https://m.example/o","to":[3]}"#,
                ApError::BadField("to"),
            ),
            (
                r#"{"type":"Create","id":"https://m.example/x","actor":"https://m.example/a","object":{"type":"Note","id":"https://m.example/n"}}"#,
                ApError::MissingField("attributedTo"),
            ),
        ];
        for (json, want) in cases {
            assert_eq!(parse(json).as_ref(), Err(want), "{json}");
        }
        assert!(matches!(parse("{"), Err(ApError::Json(_))));
        let small = ParseOptions {
            max_body: 10,
            ..ParseOptions::default()
        };
        assert_eq!(
            parse_activity(CREATE.as_bytes(), &small),
            Err(ApError::TooLarge { limit: 10 })
        );
        let many: Vec<String> = (0..300)
            .map(|i| format!("\"https://m.example/{i}\""))
            .collect();
        let json = format!(
            r#"{{"type":"Like","id":"https://m.example/x","actor":"https://m.example/a","object":"https://m.example/o","cc":[{}]}}"#,
            many.join(",")
        );
        assert_eq!(parse(&json), Err(ApError::TooMany("cc")));
        // Deep nesting is an error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(parse(&deep), Err(ApError::Json(_))));
    }

    #[test]
    fn iris() {
        for ok in [
            "https://a.example",
            "https://a.example/",
            "https://a.example:8443/x?y=1#z",
            "https://xn--bger-kra.example/u",
            "https://bøger.example/u",
            "https://[2001:db8::1]/x",
            "https://127.0.0.1/x",
            PUBLIC,
        ] {
            assert_eq!(
                Iri::parse(ok, false).map(|i| i.to_string()),
                Ok(ok.to_string())
            );
        }
        for (bad, e) in [
            ("", IriError::Length),
            ("ftp://a.example/", IriError::Scheme),
            ("HTTPS://a.example/", IriError::Scheme),
            ("//a.example/", IriError::Scheme),
            ("https://", IriError::Host),
            ("https:///x", IriError::Host),
            ("https://a b.example/", IriError::Characters),
            ("https://u:p@a.example/", IriError::UserInfo),
            ("https://a.example:0/", IriError::Port),
            ("https://a.example:99999/", IriError::Port),
            ("https://a.example:/", IriError::Port),
            ("https://a..example/", IriError::Host),
            ("https://-a.example/", IriError::Host),
            ("https://[::g]/", IriError::Host),
            ("http://a.example/", IriError::Scheme),
            ("http://127.0.0.1:8080/", IriError::Scheme),
        ] {
            assert_eq!(Iri::parse(bad, false), Err(e), "{bad}");
        }
        for ok in [
            "http://127.0.0.1:8080/inbox",
            "http://localhost/x",
            "http://[::1]:9/",
        ] {
            let i = Iri::parse(ok, true).expect(ok);
            assert!(matches!(i.host(), "127.0.0.1" | "localhost" | "[::1]"));
        }
        assert_eq!(Iri::parse("http://10.0.0.1/", true), Err(IriError::Scheme));
        assert_eq!(
            Iri::parse("http://localhost.evil.example/", true),
            Err(IriError::Scheme)
        );
    }

    #[test]
    fn loopback_http_only_when_allowed() {
        let json = r#"{"id":"http://127.0.0.1:4000/f/1","type":"Follow","actor":"http://127.0.0.1:4000/a",
                       "object":"http://localhost:3000/actor"}"#;
        assert!(matches!(parse(json), Err(ApError::BadIri { .. })));
        let opts = ParseOptions {
            allow_loopback_http: true,
            ..ParseOptions::default()
        };
        let a = parse_activity(json.as_bytes(), &opts).expect("loopback");
        assert_eq!(a.iris().len(), 3);
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,300}") {
            let _ = parse(&s);
            let _ = Iri::parse(&s, true);
        }

        #[test]
        fn iris_reparse(host in "[a-z]([a-z0-9-]{0,9}[a-z0-9])?(\\.[a-z]{2,5}){1,2}", path in "(/[a-zA-Z0-9._~%-]{0,12}){0,4}") {
            let s = format!("https://{host}{path}");
            let i = Iri::parse(&s, false).expect("valid");
            prop_assert_eq!(i.host(), host.as_str());
            prop_assert_eq!(Iri::parse(i.as_str(), false), Ok(i.clone()));
        }
    }
}
