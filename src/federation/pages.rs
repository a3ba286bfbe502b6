//! Federation's routes: WebFinger, the actors' documents and collections, and the inboxes.
//! A campaign's actor document shares the campaign page's URL; the application's router
//! picks it by `Accept` ([`wants_activity`]) before the page cache is consulted.

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use shelfraiser_formats::activitypub::{self, parse_activity};

use super::signatures::Incoming;
use super::{Local, actors, documents, inbox};
use crate::http::{AppError, AppState, Lang};
use crate::i18n::I18n;
use crate::web::page::PageCtx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/actor", get(site_actor))
        .route("/actor/outbox", get(site_outbox))
        .route("/actor/followers", get(site_followers))
        .route("/campaigns/{slug}/outbox", get(campaign_outbox))
        .route("/campaigns/{slug}/followers", get(campaign_followers))
        .route("/campaigns/{slug}/inbox", post(campaign_inbox))
        .route("/inbox", post(shared_inbox))
        .route("/posts/{id}", get(post_object))
        .route("/posts/{id}/live/{entry}", get(live_note))
        .route("/campaigns/{slug}/follow", get(follow_page))
        .route("/avatars/{key}", get(avatar))
        .route("/actor/notes/{id}", get(site_note))
        .route("/campaigns/{slug}/notes/{id}", get(campaign_note))
}

/// One of our replies to a post elsewhere (`{actor}/notes/{id}`), while it is out there.
async fn note_of(s: &AppState, local: &Local, id: &str) -> Result<Response, AppError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound);
    }
    let note_id = format!("{}/notes/{id}", local.id(base(s)));
    let doc = super::following::note_document(&s.db, &note_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(activity_json(&doc))
}

async fn site_note(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    note_of(&s, &Local::Site, &id).await
}

async fn campaign_note(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let local = super::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    note_of(&s, &local, &id).await
}

/// Side of the avatars we serve, in pixels (shown at 32 or 24; sharp on dense screens).
const AVATAR_SIDE: u32 = 96;
/// How long a fetched avatar is kept before it is fetched again.
const AVATAR_KEEP: chrono::Duration = chrono::Duration::days(7);
/// The largest avatar file fetched.
const AVATAR_MAX_BYTES: usize = 2 * 1024 * 1024;

/// The picture served for an account without a usable avatar.
const NO_AVATAR: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" height=\"32\" rx=\"6\" fill=\"#d9d4c7\"/><circle cx=\"16\" cy=\"12\" r=\"6\" fill=\"#8a8f98\"/><path d=\"M5 29c1-7 6-10 11-10s10 3 11 10z\" fill=\"#8a8f98\"/></svg>";

fn image_response(content_type: &str, bytes: Vec<u8>, max_age: u32) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// `GET /avatars/{key}`: a remote account's avatar from our origin (the pages' CSP allows
/// images from the site only). Kept a week; fetched through the guarded outbound client,
/// decoded with the upload limits and re-encoded as a 96 px square; a neutral picture for an
/// account without a usable one. 404 for keys of no account we know.
async fn avatar(State(s): State<AppState>, Path(key): Path<String>) -> Result<Response, AppError> {
    if key.len() != 32
        || !key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(AppError::NotFound);
    }
    let now = Utc::now();
    let kept = super::repo::avatar(&s.db, &key).await?;
    if let Some((ct, bytes, at)) = &kept
        && now - *at < AVATAR_KEEP
    {
        return Ok(image_response(ct, bytes.clone(), 86_400));
    }
    let icon = super::repo::icon_by_avatar_key(&s.db, &key).await?;
    let fetched = match icon {
        Some(url) => {
            let got = s
                .outbound
                .get(&url)
                .max_bytes(AVATAR_MAX_BYTES)
                .send()
                .await
                .ok()
                .and_then(|f| f.error_for_status().ok());
            match got {
                Some(f) => crate::media::square_blocking(f.body.to_vec(), AVATAR_SIDE)
                    .await
                    .ok(),
                None => None,
            }
        }
        None if kept.is_none() && !super::repo::knows_avatar_key(&s.db, &key).await? => {
            return Err(AppError::NotFound);
        }
        None => None,
    };
    match (fetched, kept) {
        (Some(p), _) => {
            super::repo::save_avatar(&s.db, &key, p.content_type, &p.bytes, now).await?;
            Ok(image_response(p.content_type, p.bytes, 86_400))
        }
        // The server is away: the old picture rather than none.
        (None, Some((ct, bytes, _))) => Ok(image_response(&ct, bytes, 3_600)),
        (None, None) => Ok(image_response(
            "image/svg+xml",
            NO_AVATAR.as_bytes().to_vec(),
            3_600,
        )),
    }
}

/// Whether a request asks for ActivityPub JSON (`application/activity+json`, or
/// `application/ld+json` with any profile) rather than a page.
pub fn wants_activity(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let media = range.split(';').next().unwrap_or("").trim();
            media.eq_ignore_ascii_case(super::ACTIVITY_JSON)
                || media.eq_ignore_ascii_case("application/ld+json")
        })
}

fn json_response(content_type: &'static str, doc: &Value) -> Response {
    let mut res = (StatusCode::OK, doc.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    res
}

fn activity_json(doc: &Value) -> Response {
    json_response("application/activity+json; charset=utf-8", doc)
}

fn base(s: &AppState) -> &str {
    s.base_url.trim_end_matches('/')
}

async fn profile(s: &AppState, tr: &I18n, local: &Local) -> Result<Value, AppError> {
    Ok(super::actor_document(&s.db, base(s), tr, local, Utc::now()).await?)
}

/// The actor document of the campaign `slug` (404 for drafts and unknown campaigns).
pub async fn campaign_actor(s: &AppState, tr: &I18n, slug: &str) -> Result<Response, AppError> {
    let local = super::by_slug(&s.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(activity_json(&profile(s, tr, &local).await?))
}

async fn site_actor(State(s): State<AppState>, Lang(tr): Lang) -> Result<Response, AppError> {
    Ok(activity_json(&profile(&s, &tr, &Local::Site).await?))
}

/// Items on an outbox page.
const OUTBOX_PAGE: i64 = 20;

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

/// The outbox: its size with its first page embedded, or (with `?page=N`) page N of
/// what the actor published, newest first.
async fn outbox_of(s: &AppState, local: &Local, page: Option<i64>) -> Result<Response, AppError> {
    let id = local.outbox(base(s));
    let n = page.unwrap_or(1);
    if !(1..=10_000).contains(&n) {
        return Err(AppError::NotFound);
    }
    let (rows, total) =
        super::repo::outbox_page(&s.db, local.row_id(), OUTBOX_PAGE, (n - 1) * OUTBOX_PAGE).await?;
    let items = rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("@context");
            }
            v
        })
        .collect();
    let next = n * OUTBOX_PAGE < total;
    let page_doc = documents::outbox_page(&id, total, items, n, next);
    if page.is_some() {
        return Ok(activity_json(&page_doc));
    }
    let mut doc = documents::collection(&id, total);
    let mut first = page_doc;
    if let Some(o) = first.as_object_mut() {
        o.remove("@context");
    }
    doc["first"] = first;
    Ok(activity_json(&doc))
}

/// `GET /posts/{id}`: the post's object for ActivityPub clients, a redirect to its page for
/// everyone else; 404 unless the post is published to the fediverse.
async fn post_object(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let post = crate::blog::remote::public_post(&s.db, &id)
        .await?
        .filter(|p| !p.is_protected() && !p.is_page())
        .ok_or(AppError::NotFound)?;
    if !wants_activity(&headers) {
        let to = post.path(&s.settings.blog.permalink);
        let mut res = StatusCode::MOVED_PERMANENTLY.into_response();
        res.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_str(&to).map_err(|_| AppError::NotFound)?,
        );
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(res);
    }
    let base = base(&s);
    let object = super::outbox::object_id(base, &post.id);
    // The author it was published as (a campaign's post published before its campaign
    // was set keeps the site), else who would publish it now.
    let author = match super::repo::last_about(&s.db, &object).await? {
        Some(l) if l.kind != "Delete" => super::outbox::local_of_row(&s.db, &l.actor_id).await?,
        _ => None,
    };
    let author = match author {
        Some(a) => a,
        None => super::outbox::author_of(&s.db, &post).await?,
    };
    let mut doc = super::outbox::post_document(&s.db, base, &post, &author, None).await?;
    doc["@context"] = json!(documents::AS);
    Ok(activity_json(&doc))
}

/// A live entry's note (`live_notes`): the note as sent, while it is out there (`410 Gone`
/// once taken back); a browser is sent to the entry on the post's page.
async fn live_note(
    State(s): State<AppState>,
    Path((id, entry)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    use super::live_notes;
    if !live_notes::plausible_id(&id) || !live_notes::plausible_id(&entry) {
        return Err(AppError::NotFound);
    }
    let note = live_notes::note_id(base(&s), &id, &entry);
    if wants_activity(&headers) {
        let last = super::repo::last_about(&s.db, &note).await?;
        return match last {
            Some(l) if l.kind == "Delete" => Ok(StatusCode::GONE.into_response()),
            Some(_) => {
                let doc = super::following::note_document(&s.db, &note)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Ok(activity_json(&doc))
            }
            None => Err(AppError::NotFound),
        };
    }
    let post = crate::blog::remote::public_post(&s.db, &id)
        .await?
        .filter(|p| !p.is_protected() && !p.is_page())
        .ok_or(AppError::NotFound)?;
    let to = format!("{}#live-{entry}", post.path(&s.settings.blog.permalink));
    let mut res = StatusCode::FOUND.into_response();
    res.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&to).map_err(|_| AppError::NotFound)?,
    );
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(res)
}

async fn followers_of(s: &AppState, local: &Local) -> Result<Response, AppError> {
    let n = super::repo::follower_count(&s.db, local.row_id()).await?;
    Ok(activity_json(&documents::collection(
        &local.followers(base(s)),
        n,
    )))
}

async fn site_outbox(
    State(s): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    outbox_of(&s, &Local::Site, q.page).await
}

async fn site_followers(State(s): State<AppState>) -> Result<Response, AppError> {
    followers_of(&s, &Local::Site).await
}

async fn campaign_outbox(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let local = super::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    outbox_of(&s, &local, q.page).await
}

async fn campaign_followers(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let local = super::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    followers_of(&s, &local).await
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:{slug}@{host}` (or the actor's URL): the JRD
/// naming the actor; 400 without a usable resource, 404 for an account we do not have.
async fn webfinger(
    State(s): State<AppState>,
    Query(q): Query<WebfingerQuery>,
) -> Result<Response, AppError> {
    let base = base(&s);
    let resource = q.resource.unwrap_or_default();
    let resource = resource.trim();
    let local = if let Some(acct) = resource
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("acct:"))
        .map(|_| &resource[5..])
    {
        let Some((name, host)) = acct.rsplit_once('@') else {
            return Err(AppError::BadRequest("resource: acct:name@host".into()));
        };
        let name = name.trim_start_matches('@');
        if name.is_empty() || host.is_empty() {
            return Err(AppError::BadRequest("resource: acct:name@host".into()));
        }
        if !host.eq_ignore_ascii_case(super::authority(base)) {
            return Err(AppError::NotFound);
        }
        if name.eq_ignore_ascii_case(super::authority(base)) {
            Some(Local::Site)
        } else {
            super::by_slug(&s.db, &name.to_ascii_lowercase()).await?
        }
    } else if resource.starts_with("https://") || resource.starts_with("http://") {
        super::resolve(&s.db, base, resource).await?
    } else {
        return Err(AppError::BadRequest("resource: acct:name@host".into()));
    };
    let local = local.ok_or(AppError::NotFound)?;
    let page = match &local {
        Local::Site => format!("{base}/"),
        Local::Campaign(_) => local.id(base),
    };
    let mut res = json_response(
        "application/jrd+json; charset=utf-8",
        &documents::webfinger(base, &local, &page),
    );
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}

async fn campaign_inbox(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if super::by_slug(&s.db, &slug).await?.is_none() {
        return Err(AppError::NotFound);
    }
    receive(&s, &uri, &headers, body).await
}

async fn shared_inbox(
    State(s): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    receive(&s, &uri, &headers, body).await
}

/// The ActivityStreams actor types.
const ACTOR_TYPES: &[&str] = &["Person", "Service", "Organization", "Group", "Application"];

/// The "Follow on Mastodon" page: the campaign's address to copy, and — once the visitor
/// gave the name of their server (`?server=`) — a link to that server's page for following
/// a remote account (`/authorize_interaction`, which Mastodon and most servers read). A
/// link rather than a redirect: the campaign page's form posts nowhere else (CSP
/// `form-action 'self'`), and the visitor sees where they are going.
#[derive(askama::Template)]
#[template(path = "follow.html")]
pub struct FollowPage {
    pub page: PageCtx,
    pub slug: String,
    pub title: String,
    pub handle: String,
    pub server: String,
    pub error: String,
    /// The server's follow page, once a usable server name was given.
    pub go: Option<String>,
    pub go_host: String,
}

#[derive(Deserialize)]
struct FollowQuery {
    server: Option<String>,
}

async fn follow_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<FollowQuery>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let Some(Local::Campaign(c)) = super::by_slug(&s.db, &slug).await? else {
        return Err(AppError::NotFound);
    };
    let base = base(&s);
    let handle = crate::web::meta::fediverse_handle(base, Some(c.slug.as_str()));
    let typed = q.server.unwrap_or_default();
    let (go, error, status) = if typed.trim().is_empty() {
        (None, String::new(), StatusCode::OK)
    } else {
        match super::server_name(&typed) {
            Some(host) => {
                let acct = format!("acct:{}", handle.trim_start_matches('@'));
                let uri = percent_encoding::utf8_percent_encode(
                    &acct,
                    percent_encoding::NON_ALPHANUMERIC,
                );
                (
                    Some((
                        format!("https://{host}/authorize_interaction?uri={uri}"),
                        host,
                    )),
                    String::new(),
                    StatusCode::OK,
                )
            }
            None => (None, tr.t("follow-error-server"), StatusCode::BAD_REQUEST),
        }
    };
    let page = FollowPage {
        page: PageCtx::new(&s, &tr, &format!("/campaigns/{}/follow", c.slug)),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        handle,
        server: typed.chars().take(300).collect(),
        error,
        go_host: go.as_ref().map(|(_, h)| h.clone()).unwrap_or_default(),
        go: go.map(|(u, _)| u),
    };
    use askama::Template as _;
    let mut res = (status, axum::response::Html(page.render()?)).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// A short JSON answer (left as it is by the error pages).
fn answer(status: StatusCode, error: &str) -> Response {
    let mut res = (status, json!({ "error": error }).to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// An inbox POST: the body capped (413), the signature checked (401), the activity read
/// (400) and its actor required to be the signer (401), then handled (202).
async fn receive(
    s: &AppState,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let limit = activitypub::MAX_BODY;
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
    {
        return Ok(answer(StatusCode::PAYLOAD_TOO_LARGE, "too large"));
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Ok(answer(StatusCode::PAYLOAD_TOO_LARGE, "too large"));
    };
    let now = Utc::now();
    let target = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path());
    let scheme = if s.base_url.starts_with("http://") {
        "http"
    } else {
        "https"
    };
    let incoming = match Incoming::check("POST", scheme, target, headers, &bytes, now) {
        Ok(i) => i,
        Err(e) => {
            tracing::debug!(error = %e, "inbox: signature refused");
            return Ok(answer(StatusCode::UNAUTHORIZED, "signature"));
        }
    };
    let base = base(s);
    let key_id = incoming.key_id.clone();
    // Blocked servers and actors are not even asked for their keys; they learn nothing.
    let blocks = super::repo::blocks(&s.db).await?;
    if super::moderation::is_blocked(&blocks, &key_id) {
        tracing::debug!(key = %key_id, "inbox: blocked sender ignored");
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let signer = super::signer(&s.db, base, &Local::Site, now).await?;
    let mut sender = match actors::by_key(&s.db, &s.outbound, base, &key_id, false, &signer, now)
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(key = %key_id, error = %e, "inbox: the signing key cannot be fetched");
            return Ok(answer(StatusCode::UNAUTHORIZED, "key"));
        }
    };
    if incoming.verify(&sender.public_key_pem).is_err() {
        // The actor may have a new key: fetch it once more (unless it was fetched just now).
        let fresh = sender.fetched_at >= now;
        let refetched = if fresh {
            None
        } else {
            actors::by_key(&s.db, &s.outbound, base, &key_id, true, &signer, now)
                .await
                .ok()
        };
        match refetched {
            Some(a) if incoming.verify(&a.public_key_pem).is_ok() => sender = a,
            _ => {
                tracing::info!(key = %key_id, "inbox: bad signature");
                return Ok(answer(StatusCode::UNAUTHORIZED, "signature"));
            }
        }
    }
    let activity = match parse_activity(&bytes, &super::parse_options(base)) {
        Ok(a) => a,
        Err(e) => {
            tracing::debug!(error = %e, "inbox: unreadable activity");
            return Ok(answer(StatusCode::BAD_REQUEST, "activity"));
        }
    };
    if activity.actor.as_str() != sender.id {
        return Ok(answer(StatusCode::UNAUTHORIZED, "actor is not the signer"));
    }
    if super::moderation::is_blocked(&blocks, &sender.id) {
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    // An actor's Update (a new name, avatar or key): read the actor again.
    if let activitypub::ActivityKind::Unsupported {
        activity: kind,
        object: Some(object),
    } = &activity.kind
        && kind == "Update"
        && ACTOR_TYPES.contains(&object.as_str())
        && let Err(e) = actors::refresh(&s.db, &s.outbound, base, &sender.id, &signer, now).await
    {
        tracing::info!(actor = %sender.id, error = %e, "inbox: the updated actor cannot be read");
    }
    let outcome = inbox::handle(&s.db, base, &activity, &sender, now).await?;
    tracing::debug!(activity = %activity.id, outcome = ?outcome, "inbox: received");
    Ok(StatusCode::ACCEPTED.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::server_name;

    #[test]
    fn server_names_are_read_from_what_people_type() {
        for typed in [
            "mastodon.social",
            " https://Mastodon.Social/ ",
            "@me@mastodon.social",
            "me@mastodon.social",
            "mastodon.social/@me",
        ] {
            assert_eq!(
                server_name(typed).as_deref(),
                Some("mastodon.social"),
                "{typed}"
            );
        }
        assert_eq!(
            server_name("social.example:8443").as_deref(),
            Some("social.example:8443")
        );
        for bad in [
            "",
            "localhost",
            "a b.example",
            "-x.example",
            "x.example:port",
            "\"><script>",
        ] {
            assert_eq!(server_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn activity_json_and_ld_json_are_asked_for_html_is_not() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT, v.parse().expect("value"));
            m
        };
        assert!(wants_activity(&h("application/activity+json")));
        assert!(wants_activity(&h(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        )));
        assert!(wants_activity(&h(
            "text/html, application/activity+json;q=0.9"
        )));
        assert!(!wants_activity(&h(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_activity(&HeaderMap::new()));
    }
}
