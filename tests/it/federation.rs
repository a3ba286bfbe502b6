//! Federation: WebFinger; the campaign's actor document at the campaign page's URL chosen by
//! `Accept` (and neither representation poisoning the other in the page cache); the inbox
//! refusing unsigned and badly signed requests; a signed Follow from a loopback server's
//! actor stored once (a replay changes nothing) and answered with an Accept delivered
//! signed to its inbox (checked there with OpenSSL directly); Undo of the Follow; and a
//! delivery's retries (5xx, 429) and final failure (other 4xx).

use chrono::Utc;
use serde_json::{Value, json};
use shelfraiser::federation::repo;
use shelfraiser::jobs;

use crate::fake_fediverse::{FakeFediverse, new_key, verify_signed_post};
use crate::harness::*;

pub(crate) const AP: &str = "application/activity+json";

pub(crate) async fn get_with(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .expect("GET")
}

pub(crate) fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

pub(crate) async fn post_signed(
    app: &TestApp,
    path: &str,
    body: &str,
    headers: &[(String, String)],
) -> u16 {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", AP)
        .body(body.to_string());
    for (n, v) in headers {
        if n != "host" {
            req = req.header(n.as_str(), v.as_str());
        }
    }
    req.send().await.expect("POST").status().as_u16()
}

fn authority(app: &TestApp) -> String {
    app.url("").trim_start_matches("http://").to_string()
}

/// The delivery whose payload holds `needle`, once it has been tried and is not running:
/// the test runs due jobs itself, but the server's own worker may have claimed it first.
async fn tried(db: &shelfraiser::db::Db, needle: &str) -> jobs::JobRow {
    for _ in 0..150 {
        if let Some(j) = deliveries(db)
            .await
            .into_iter()
            .find(|j| j.payload.contains(needle))
            && j.attempts >= 1
            && j.locked_until.is_none()
        {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the delivery of {needle} was not tried");
}

async fn deliveries(db: &shelfraiser::db::Db) -> Vec<jobs::JobRow> {
    jobs::list(db)
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.kind == "deliver")
        .collect()
}

/// The test's settings with the fake server's address let through the guarded outbound
/// client (loopback is refused otherwise).
pub(crate) fn allowing(tdb: &TestDb, remote: &FakeFediverse) -> shelfraiser::config::Settings {
    let mut s = settings(tdb);
    s.outbound_allow = vec![remote.base.trim_start_matches("http://").to_string()];
    s
}

/// A guarded outbound client that lets through only the fake server.
pub(crate) fn outbound(remote: &FakeFediverse) -> shelfraiser::outbound::Outbound {
    shelfraiser::outbound::Outbound::new(
        &[remote.base.trim_start_matches("http://")],
        "http://localhost",
    )
    .expect("outbound")
}

#[tokio::test]
async fn webfinger_names_the_campaign_actor() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let host = authority(&app);
        let res = app
            .get(&format!(
                "/.well-known/webfinger?resource=acct:test-library@{host}"
            ))
            .await;
        assert_eq!(res.status(), 200);
        assert!(header(&res, "content-type").starts_with("application/jrd+json"));
        assert_eq!(header(&res, "access-control-allow-origin"), "*");
        let jrd: Value = res.json().await.expect("json");
        assert_eq!(jrd["subject"], format!("acct:test-library@{host}"));
        let self_link = jrd["links"]
            .as_array()
            .expect("links")
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("self link");
        assert_eq!(self_link["type"], AP);
        assert_eq!(self_link["href"], app.url("/campaigns/test-library"));
        // The site's own actor, and the actor's URL as the resource.
        let site: Value = app
            .get(&format!(
                "/.well-known/webfinger?resource=acct:{host}@{host}"
            ))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(site["links"][0]["href"], app.url("/actor"));
        let by_url = app
            .get(&format!(
                "/.well-known/webfinger?resource={}",
                app.url("/campaigns/test-library")
            ))
            .await;
        assert_eq!(by_url.status(), 200);
        for (q, status) in [
            (format!("resource=acct:nobody@{host}"), 404),
            ("resource=acct:test-library@elsewhere.example".into(), 404),
            ("resource=test-library".into(), 400),
            ("resource=acct:test-library".into(), 400),
            (String::new(), 400),
        ] {
            let res = app.get(&format!("/.well-known/webfinger?{q}")).await;
            assert_eq!(res.status(), status, "{q}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_campaign_url_serves_the_actor_or_the_page_by_accept() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let id = app.url("/campaigns/test-library");
        // JSON first, then the page, then JSON again, then the page again: each answer is
        // what its Accept asked for, whatever the node's page cache holds.
        for round in 0..2 {
            let res = get_with(&app, "/campaigns/test-library", AP).await;
            assert_eq!(res.status(), 200);
            assert!(
                header(&res, "content-type").starts_with(AP),
                "round {round}"
            );
            assert!(header(&res, "vary").contains("Accept"));
            let doc: Value = res.json().await.expect("actor JSON");
            assert_eq!(doc["id"], id);
            assert_eq!(doc["type"], "Organization");
            assert_eq!(doc["preferredUsername"], "test-library");
            assert_eq!(doc["inbox"], format!("{id}/inbox"));
            assert_eq!(doc["outbox"], format!("{id}/outbox"));
            assert_eq!(doc["followers"], format!("{id}/followers"));
            assert_eq!(doc["endpoints"]["sharedInbox"], app.url("/inbox"));
            assert_eq!(doc["publicKey"]["id"], format!("{id}#main-key"));
            assert_eq!(doc["publicKey"]["owner"], id);
            assert!(
                doc["publicKey"]["publicKeyPem"]
                    .as_str()
                    .expect("pem")
                    .starts_with("-----BEGIN PUBLIC KEY-----")
            );
            assert_eq!(doc["summary"], "<p>A test campaign</p>");
            assert_eq!(doc["manuallyApprovesFollowers"], false);
            let fields = doc["attachment"].as_array().expect("fields");
            assert_eq!(fields.len(), 2);
            assert!(fields.iter().all(|f| f["type"] == "PropertyValue"));
            assert!(!doc.to_string().contains("PRIVATE KEY"));

            let page = get_with(&app, "/campaigns/test-library", "text/html").await;
            assert_eq!(page.status(), 200);
            assert!(header(&page, "content-type").starts_with("text/html"));
            let vary = header(&page, "vary");
            assert!(vary.split(',').any(|v| v.trim() == "Accept"), "{vary}");
            assert!(vary.contains("Accept-Language"), "{vary}");
            let html = page.text().await.expect("html");
            assert!(html.contains(&format!(
                "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{id}\">"
            )));
        }
        // The other media type Mastodon sends.
        let ld = get_with(
            &app,
            "/campaigns/test-library",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        )
        .await;
        assert!(header(&ld, "content-type").starts_with(AP));
        // The key stays the same from one fetch to the next (made once, stored).
        let a: Value = get_with(&app, "/campaigns/test-library", AP)
            .await
            .json()
            .await
            .expect("json");
        let b: Value = get_with(&app, "/campaigns/test-library", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(a["publicKey"], b["publicKey"]);
        // Collections: an empty outbox with a first page, the followers' count.
        let outbox: Value = get_with(&app, "/campaigns/test-library/outbox", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(outbox["type"], "OrderedCollection");
        assert_eq!(outbox["totalItems"], 0);
        assert_eq!(outbox["first"]["type"], "OrderedCollectionPage");
        assert_eq!(get_with(&app, "/campaigns/nope", AP).await.status(), 404);
        let site: Value = get_with(&app, "/actor", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(site["id"], app.url("/actor"));
        assert_eq!(site["inbox"], app.url("/inbox"));
        app.stop().await;
    })
    .await;
}

fn follow(remote: &FakeFediverse, id: &str, object: &str) -> String {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": remote.actor(),
        "object": object,
    })
    .to_string()
}

#[tokio::test]
async fn a_signed_follow_is_stored_once_and_accepted_with_a_signed_delivery() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let actor = app.url("/campaigns/test-library");
        let inbox = "/campaigns/test-library/inbox";
        let follow_id = format!("{}/activities/follow-1", remote.base);
        let body = follow(&remote, &follow_id, &actor);

        // Unsigned: refused.
        assert_eq!(post_signed(&app, inbox, &body, &[]).await, 401);
        // Signed with a key that is not the actor's: refused (after one re-fetch).
        let stranger = new_key();
        let bad = remote.sign_post(&app.url(inbox), body.as_bytes(), Some(&stranger));
        assert_eq!(post_signed(&app, inbox, &body, &bad).await, 401);
        // Signed, but the body changed after signing: the digest does not match.
        let signed = remote.sign_post(&app.url(inbox), body.as_bytes(), None);
        let other = follow(
            &remote,
            &format!("{}/activities/follow-x", remote.base),
            &actor,
        );
        assert_eq!(post_signed(&app, inbox, &other, &signed).await, 401);
        assert!(
            repo::followers(&app.db, &seeded_id(&app).await)
                .await
                .expect("followers")
                .is_empty()
        );

        // Signed properly: accepted.
        assert_eq!(post_signed(&app, inbox, &body, &signed).await, 202);
        let campaign_id = seeded_id(&app).await;
        let f = repo::followers(&app.db, &campaign_id)
            .await
            .expect("followers");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].follower, remote.actor());
        assert_eq!(f[0].follow_id, follow_id);
        assert_eq!(f[0].inbox, format!("{}/inbox", remote.actor()));
        assert_eq!(
            f[0].shared_inbox.as_deref(),
            Some(format!("{}/inbox", remote.base).as_str())
        );
        assert_eq!(deliveries(&app.db).await.len(), 1);

        // The same activity again (a retried delivery): nothing new.
        let again = remote.sign_post(&app.url(inbox), body.as_bytes(), None);
        assert_eq!(post_signed(&app, inbox, &body, &again).await, 202);
        assert_eq!(
            repo::followers(&app.db, &campaign_id)
                .await
                .expect("f")
                .len(),
            1
        );
        assert_eq!(deliveries(&app.db).await.len(), 1);

        // The Accept goes out, signed with the campaign's key.
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            outbound(&remote),
            &app.base,
        );
        jobs::run_due(&app.db, &handlers, Utc::now())
            .await
            .expect("run");
        assert!(tried(&app.db, "follow-1").await.done_at.is_some());
        let got = remote.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].header("content-type"), Some(AP));
        let doc: Value = get_with(&app, "/campaigns/test-library", AP)
            .await
            .json()
            .await
            .expect("json");
        let pem = doc["publicKey"]["publicKeyPem"].as_str().expect("pem");
        let key_id = verify_signed_post(&got[0], "/users/ana/inbox", pem);
        assert_eq!(key_id, format!("{actor}#main-key"));
        let accept = got[0].json();
        assert_eq!(accept["type"], "Accept");
        assert_eq!(accept["actor"], actor);
        assert_eq!(accept["object"]["id"], follow_id);
        assert_eq!(accept["object"]["type"], "Follow");
        assert!(deliveries(&app.db).await[0].done_at.is_some());
        let followers: Value = get_with(&app, "/campaigns/test-library/followers", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(followers["totalItems"], 1);
        assert!(followers.get("orderedItems").is_none() && followers.get("first").is_none());

        // Undo of the Follow, through the shared inbox.
        let undo = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/undo-1", remote.base),
            "type": "Undo",
            "actor": remote.actor(),
            "object": {"id": follow_id, "type": "Follow", "actor": remote.actor(), "object": actor},
        })
        .to_string();
        let signed = remote.sign_post(&app.url("/inbox"), undo.as_bytes(), None);
        assert_eq!(post_signed(&app, "/inbox", &undo, &signed).await, 202);
        assert!(
            repo::followers(&app.db, &campaign_id)
                .await
                .expect("f")
                .is_empty()
        );

        // An activity we do not act on: received and ignored.
        let like = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/like-1", remote.base),
            "type": "Like",
            "actor": remote.actor(),
            "object": actor,
        })
        .to_string();
        let signed = remote.sign_post(&app.url("/inbox"), like.as_bytes(), None);
        assert_eq!(post_signed(&app, "/inbox", &like, &signed).await, 202);

        // Someone signing for another actor: refused.
        let forged = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/follow-2", remote.base),
            "type": "Follow",
            "actor": format!("{}/users/bob", remote.base),
            "object": actor,
        })
        .to_string();
        let signed = remote.sign_post(&app.url(inbox), forged.as_bytes(), None);
        assert_eq!(post_signed(&app, inbox, &forged, &signed).await, 401);

        // The actor's key changes: the stored key fails, the actor is fetched again once,
        // and the new signature is accepted.
        remote.rotate_key();
        let follow2 = follow(
            &remote,
            &format!("{}/activities/follow-3", remote.base),
            &actor,
        );
        let signed = remote.sign_post(&app.url(inbox), follow2.as_bytes(), None);
        assert_eq!(post_signed(&app, inbox, &follow2, &signed).await, 202);
        assert_eq!(
            repo::followers(&app.db, &campaign_id)
                .await
                .expect("f")
                .len(),
            1
        );

        // Too large a body.
        let big = "x".repeat(300 * 1024);
        assert_eq!(post_signed(&app, inbox, &big, &[]).await, 413);
        app.stop().await;
    })
    .await;
}

pub(crate) async fn seeded_id(app: &TestApp) -> String {
    shelfraiser::campaigns::repo::by_slug(&app.db, "test-library")
        .await
        .expect("read")
        .expect("campaign")
        .id
}

#[tokio::test]
async fn deliveries_retry_server_errors_and_give_up_on_refusals() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let actor = app.url("/campaigns/test-library");
        let inbox = "/campaigns/test-library/inbox";
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            outbound(&remote),
            &app.base,
        );
        for (n, (status, final_failure)) in
            [(500u16, false), (429, false), (404, true), (410, true)]
                .into_iter()
                .enumerate()
        {
            remote.answer_with(status);
            let body = follow(
                &remote,
                &format!("{}/activities/f-{n}", remote.base),
                &actor,
            );
            let signed = remote.sign_post(&app.url(inbox), body.as_bytes(), None);
            assert_eq!(post_signed(&app, inbox, &body, &signed).await, 202);
            let now = Utc::now();
            jobs::run_due(&app.db, &handlers, now).await.expect("run");
            // The whole path: a bare "f-3" can turn up inside the campaign's random id.
            let job = tried(&app.db, &format!("activities/f-{n}")).await;
            assert!(job.done_at.is_none());
            assert_eq!(job.max_attempts, 17);
            assert!(
                job.last_error
                    .as_deref()
                    .unwrap_or("")
                    .contains(&status.to_string()),
                "{status}: {job:?}"
            );
            if final_failure {
                assert_eq!(job.attempts, job.max_attempts, "{status} is final");
            } else {
                assert_eq!(job.attempts, 1, "{status} is retried");
                assert!(job.run_at > Utc::now());
            }
        }
        // The retried ones run again later and succeed once the inbox takes them.
        remote.answer_with(202);
        let later = Utc::now() + chrono::Duration::minutes(5);
        jobs::run_due(&app.db, &handlers, later).await.expect("run");
        let done = deliveries(&app.db)
            .await
            .into_iter()
            .filter(|j| j.done_at.is_some())
            .count();
        assert_eq!(done, 2);
        app.stop().await;
    })
    .await;
}

/// Without the fake server in `outbound_allow`, its loopback address is refused by the
/// guarded client: the key cannot be fetched, so a properly signed Follow is refused and
/// nothing is stored (an inbox never makes the server fetch from its own network).
#[tokio::test]
async fn an_inbox_never_fetches_a_key_from_a_private_address() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(settings(&tdb)).await;
        let actor = app.url("/campaigns/test-library");
        let inbox = "/campaigns/test-library/inbox";
        let body = follow(
            &remote,
            &format!("{}/activities/follow-private", remote.base),
            &actor,
        );
        let signed = remote.sign_post(&app.url(inbox), body.as_bytes(), None);
        assert_eq!(post_signed(&app, inbox, &body, &signed).await, 401);
        assert!(
            repo::followers(&app.db, &seeded_id(&app).await)
                .await
                .expect("followers")
                .is_empty()
        );
        // The same request with the fake server allowed is accepted: the refusal above was
        // the address, not the signature.
        let allowed = TestApp::start(allowing(&tdb, &remote)).await;
        let signed = remote.sign_post(&allowed.url(inbox), body.as_bytes(), None);
        assert_eq!(post_signed(&allowed, inbox, &body, &signed).await, 202);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Reactions, replies and publishing.

use shelfraiser::blog::remote as blog_remote;
use shelfraiser::blog::repo::{Moderation, PostKind, PostStatus};
use shelfraiser::blog::write::{self as blog_write, NewPost};
use shelfraiser::team::audit::Actor;

/// A published post (a note, or an article of the campaign `campaign`).
pub(crate) async fn published(
    app: &TestApp,
    kind: PostKind,
    title: &str,
    campaign: Option<String>,
) -> String {
    let mut p = NewPost::draft(
        kind,
        title,
        "Hello **fediverse**, see <https://example.org/a>.",
    );
    p.status = PostStatus::Published;
    p.campaign_id = campaign;
    p.tags = vec!["Libraries".into()];
    blog_write::create(&app.db, &p, &Actor::cli())
        .await
        .expect("create")
        .id
}

/// The post's page as a reader sees it (its permalink).
async fn post_page(app: &TestApp, id: &str) -> String {
    let res = get_with(app, &format!("/posts/{id}"), "text/html").await;
    assert_eq!(res.status(), 301);
    let to = header(&res, "location");
    let page = app.get(&to).await;
    assert_eq!(page.status(), 200);
    page.text().await.expect("text")
}

/// Posts `activity` to the shared inbox, signed by the fake server's actor.
pub(crate) async fn send(app: &TestApp, remote: &FakeFediverse, activity: &Value) -> u16 {
    let body = activity.to_string();
    let signed = remote.sign_post(&app.url("/inbox"), body.as_bytes(), None);
    post_signed(app, "/inbox", &body, &signed).await
}

#[tokio::test]
async fn likes_boosts_and_replies_from_the_fediverse_reach_the_post_page() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let id = published(&app, PostKind::Note, "", None).await;
        let object = app.url(&format!("/posts/{id}"));
        let actor = remote.actor();
        let ctx = "https://www.w3.org/ns/activitystreams";

        // A like and a boost of our post.
        let like = json!({"@context": ctx, "id": format!("{actor}#likes/1"), "type": "Like",
            "actor": actor, "object": object});
        assert_eq!(send(&app, &remote, &like).await, 202);
        let boost = json!({"@context": ctx, "id": format!("{actor}/statuses/9/activity"),
            "type": "Announce", "actor": actor, "object": object,
            "to": ["https://www.w3.org/ns/activitystreams#Public"]});
        assert_eq!(send(&app, &remote, &boost).await, 202);
        // A like of something that is not ours changes nothing.
        let elsewhere = json!({"@context": ctx, "id": format!("{actor}#likes/2"), "type": "Like",
            "actor": actor, "object": "https://elsewhere.example/notes/1"});
        assert_eq!(send(&app, &remote, &elsewhere).await, 202);
        let r = blog_remote::reactions_of(&app.db, &id)
            .await
            .expect("reactions");
        assert_eq!((r.like_count, r.repost_count), (1, 1));
        assert_eq!(r.likes[0].actor_name, "Ana Reader");
        let page = post_page(&app, &id).await;
        assert!(page.contains("1 person likes this"), "{page}");
        assert!(page.contains("Boosted once on the fediverse"));
        assert!(page.contains("Ana Reader</a>"));
        // Her avatar, from our origin: fetched from her server, made a 96 px square.
        let key = shelfraiser::web::meta::avatar_key(&actor);
        assert!(page.contains(&format!("src=\"/avatars/{key}\"")), "{page}");
        let res = app.get(&format!("/avatars/{key}")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "image/png");
        let img = image::load_from_memory(&res.bytes().await.expect("bytes")).expect("image");
        assert_eq!((img.width(), img.height()), (96, 96));
        assert_eq!(
            app.get(&format!("/avatars/{}", "0".repeat(32)))
                .await
                .status(),
            404
        );
        assert_eq!(app.get("/avatars/..%2Fetc").await.status(), 404);

        // Undo of the like (the like embedded, as Mastodon sends it).
        let undo = json!({"@context": ctx, "id": format!("{actor}#likes/1/undo"), "type": "Undo",
            "actor": actor, "object": like});
        assert_eq!(send(&app, &remote, &undo).await, 202);
        let r = blog_remote::reactions_of(&app.db, &id)
            .await
            .expect("reactions");
        assert_eq!((r.like_count, r.repost_count), (0, 1));

        // A reply: held for moderation, then shown as a comment from the fediverse.
        let note_id = format!("{}/users/ana/statuses/10", remote.base);
        let note = |content: &str| {
            json!({"id": note_id, "type": "Note", "attributedTo": actor,
                "inReplyTo": object, "content": content,
                "published": "2026-12-01T10:00:00Z",
                "to": ["https://www.w3.org/ns/activitystreams#Public"]})
        };
        let create = json!({"@context": ctx, "id": format!("{note_id}/activity"), "type": "Create",
            "actor": actor, "object": note("<p>Good luck &amp; <b>well done</b>!</p>")});
        assert_eq!(send(&app, &remote, &create).await, 202);
        // The same activity again: once only.
        assert_eq!(send(&app, &remote, &create).await, 202);
        let queue = shelfraiser::blog::repo::comments::moderation_queue(
            &app.db,
            Moderation::Pending,
            50,
            0,
        )
        .await
        .expect("queue");
        let held: Vec<_> = queue
            .iter()
            .map(|q| &q.comment)
            .filter(|c| c.kind == "fediverse")
            .collect();
        assert_eq!(held.len(), 1, "{queue:?}");
        assert_eq!(held[0].body, "Good luck & well done!");
        assert_eq!(held[0].author_name, "Ana Reader");
        let comment = held[0].id.clone();
        assert!(!post_page(&app, &id).await.contains("well done"));
        shelfraiser::blog::repo::comments::set_status(&app.db, &comment, Moderation::Approved)
            .await
            .expect("approve");
        let page = post_page(&app, &id).await;
        assert!(page.contains("Good luck &amp; well done!"), "{page}");
        assert!(page.contains("from the fediverse"));

        // An edit replaces the text; it stays approved.
        let update = json!({"@context": ctx, "id": format!("{note_id}#updates/1"), "type": "Update",
            "actor": actor, "object": note("<p>Good luck, library!</p>")});
        assert_eq!(send(&app, &remote, &update).await, 202);
        let page = post_page(&app, &id).await;
        assert!(page.contains("Good luck, library!"));
        assert!(!page.contains("well done"));

        // Deleted at its source: taken down.
        let delete = json!({"@context": ctx, "id": format!("{note_id}#delete"), "type": "Delete",
            "actor": actor, "object": {"id": note_id, "type": "Tombstone"}});
        assert_eq!(send(&app, &remote, &delete).await, 202);
        assert!(!post_page(&app, &id).await.contains("Good luck"));

        // The account deleted: its boost goes too.
        let gone = json!({"@context": ctx, "id": format!("{actor}#delete"), "type": "Delete",
            "actor": actor, "object": actor});
        assert_eq!(send(&app, &remote, &gone).await, 202);
        let r = blog_remote::reactions_of(&app.db, &id)
            .await
            .expect("reactions");
        assert_eq!(r.repost_count, 0);
    })
    .await;
}

#[tokio::test]
async fn an_rfc9421_signed_follow_is_accepted_and_a_blocked_server_is_ignored() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let actor = app.url("/campaigns/test-library");
        let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#follow-9421", remote.actor()), "type": "Follow",
            "actor": remote.actor(), "object": actor})
        .to_string();
        let inbox = "/campaigns/test-library/inbox";
        // Signed with a key that is not the actor's: refused.
        let signed = remote.sign_post_rfc9421(&app.url(inbox), follow.as_bytes());
        let mut tampered = signed.clone();
        for (n, v) in &mut tampered {
            if n == "content-digest" {
                *v = "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:".into();
            }
        }
        assert_eq!(post_signed(&app, inbox, &follow, &tampered).await, 401);
        assert_eq!(post_signed(&app, inbox, &follow, &signed).await, 202);
        let id = seeded_id(&app).await;
        assert_eq!(repo::followers(&app.db, &id).await.expect("f").len(), 1);

        // The server blocked: its activities are ignored, nothing is fetched for them.
        repo::set_blocks(&app.db, &[remote.authority()], Utc::now())
            .await
            .expect("block");
        let unfollow = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#undo-9421", remote.actor()), "type": "Undo",
            "actor": remote.actor(), "object": format!("{}#follow-9421", remote.actor())})
        .to_string();
        let signed = remote.sign_post(&app.url(inbox), unfollow.as_bytes(), None);
        assert_eq!(post_signed(&app, inbox, &unfollow, &signed).await, 202);
        assert_eq!(repo::followers(&app.db, &id).await.expect("f").len(), 1);
        repo::set_blocks(&app.db, &[], Utc::now())
            .await
            .expect("unblock");
        let signed = remote.sign_post(&app.url(inbox), unfollow.as_bytes(), None);
        assert_eq!(post_signed(&app, inbox, &unfollow, &signed).await, 202);
        assert!(repo::followers(&app.db, &id).await.expect("f").is_empty());
    })
    .await;
}

/// Follows `path`'s actor from `remote` and lets the Accept go.
pub(crate) async fn follow_from(
    app: &TestApp,
    remote: &FakeFediverse,
    inbox: &str,
    object: &str,
    n: u32,
) {
    let body = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#follow-{n}", remote.actor()), "type": "Follow",
        "actor": remote.actor(), "object": object})
    .to_string();
    let signed = remote.sign_post(&app.url(inbox), body.as_bytes(), None);
    assert_eq!(post_signed(app, inbox, &body, &signed).await, 202);
}

/// Runs due jobs (as the node's worker may too) until `remote` has `n` requests.
pub(crate) async fn until_received(
    app: &TestApp,
    handlers: &jobs::Handlers,
    remote: &FakeFediverse,
    n: usize,
) -> Vec<crate::fake_fediverse::Received> {
    for _ in 0..100 {
        jobs::run_due(&app.db, handlers, Utc::now())
            .await
            .expect("run");
        let got = remote.received();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "{} received {} requests, not {n}",
        remote.base,
        remote.received().len()
    );
}

#[tokio::test]
async fn a_campaign_post_goes_to_its_followers_once_per_server_and_the_site_boosts_it() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let (r1, r2) = (FakeFediverse::start().await, FakeFediverse::start().await);
        let mut settings = settings(&tdb);
        settings.outbound_allow = vec![r1.authority(), r2.authority()];
        let app = TestApp::start(settings).await;
        let out = shelfraiser::outbound::Outbound::new(
            &[r1.authority().as_str(), r2.authority().as_str()],
            "http://localhost",
        )
        .expect("outbound");
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            out,
            &app.base,
        );
        let campaign_actor = app.url("/campaigns/test-library");
        // r1 follows the campaign and the site; r2 the campaign.
        follow_from(
            &app,
            &r1,
            "/campaigns/test-library/inbox",
            &campaign_actor,
            1,
        )
        .await;
        follow_from(&app, &r1, "/inbox", &app.url("/actor"), 2).await;
        follow_from(
            &app,
            &r2,
            "/campaigns/test-library/inbox",
            &campaign_actor,
            3,
        )
        .await;
        until_received(&app, &handlers, &r1, 2).await;
        until_received(&app, &handlers, &r2, 1).await;
        r1.clear();
        r2.clear();

        let campaign = seeded_id(&app).await;
        let id = published(&app, PostKind::Article, "Halfway there", Some(campaign)).await;
        let object = app.url(&format!("/posts/{id}"));
        // r1: the campaign's Create and the site's Announce, at its shared inbox; r2: the Create.
        let got1 = until_received(&app, &handlers, &r1, 2).await;
        let got2 = until_received(&app, &handlers, &r2, 1).await;
        let kinds = |got: &[crate::fake_fediverse::Received]| {
            let mut k: Vec<String> = got
                .iter()
                .map(|r| r.json()["type"].as_str().unwrap_or("").to_string())
                .collect();
            k.sort();
            k
        };
        assert_eq!(kinds(&got1), ["Announce", "Create"]);
        assert_eq!(kinds(&got2), ["Create"]);
        let create = got2[0].json();
        assert_eq!(create["actor"], campaign_actor);
        assert_eq!(create["object"]["id"], object);
        assert_eq!(create["object"]["type"], "Article");
        assert_eq!(create["object"]["name"], "Halfway there");
        assert_eq!(create["object"]["attributedTo"], campaign_actor);
        assert!(
            create["object"]["content"]
                .as_str()
                .expect("content")
                .contains("<strong>fediverse</strong>")
        );
        assert_eq!(create["object"]["tag"][0]["name"], "#Libraries");
        // Signed with the campaign's key, checked independently.
        let doc: Value = get_with(&app, "/campaigns/test-library", AP)
            .await
            .json()
            .await
            .expect("json");
        let pem = doc["publicKey"]["publicKeyPem"].as_str().expect("pem");
        verify_signed_post(&got2[0], "/inbox", pem);
        // The object is served at its id, and the outbox lists the Create.
        let fetched: Value = get_with(&app, &format!("/posts/{id}"), AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(fetched["id"], object);
        let outbox: Value = get_with(&app, "/campaigns/test-library/outbox?page=1", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(outbox["totalItems"], 1);
        assert_eq!(outbox["orderedItems"][0]["type"], "Create");
        let site_outbox: Value = get_with(&app, "/actor/outbox", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(site_outbox["totalItems"], 1);

        // An edit: one Update for each server (r1 follows both actors, hears it once).
        r1.clear();
        r2.clear();
        let mut p = NewPost::draft(PostKind::Article, "Halfway there!", "Now **edited**.");
        p.status = PostStatus::Published;
        p.campaign_id = Some(seeded_id(&app).await);
        blog_write::update(&app.db, &id, &p, &Actor::cli())
            .await
            .expect("update");
        let got1 = until_received(&app, &handlers, &r1, 1).await;
        let got2 = until_received(&app, &handlers, &r2, 1).await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(r1.received().len(), 1);
        assert_eq!(got1[0].json()["type"], "Update");
        assert_eq!(got2[0].json()["object"]["name"], "Halfway there!");

        // Taken down: a Delete with a Tombstone; the outbox no longer lists it.
        r1.clear();
        r2.clear();
        blog_write::unpublish(&app.db, &id, &Actor::cli())
            .await
            .expect("unpublish");
        let got2 = until_received(&app, &handlers, &r2, 1).await;
        assert_eq!(got2[0].json()["type"], "Delete");
        assert_eq!(got2[0].json()["object"]["type"], "Tombstone");
        until_received(&app, &handlers, &r1, 1).await;
        let outbox: Value = get_with(&app, "/campaigns/test-library/outbox", AP)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(outbox["totalItems"], 0);
        assert_eq!(
            get_with(&app, &format!("/posts/{id}"), AP).await.status(),
            404
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_server_trips_its_breaker_and_one_success_closes_it() {
    each_backend(|tdb| async move {
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(settings(&tdb)).await;
        let out = outbound(&remote);
        let row = shelfraiser::federation::ensure(
            &app.db,
            &shelfraiser::federation::Local::Site,
            Utc::now(),
        )
        .await
        .expect("actor");
        let d = shelfraiser::federation::deliver::Deliver {
            actor: row.id.clone(),
            key_id: format!("{}/actor#main-key", app.base),
            inbox: format!("{}/inbox", remote.base),
            body: "{}".into(),
        };
        remote.answer_with(503);
        let now = Utc::now();
        let host = remote.authority();
        for _ in 0..shelfraiser::federation::deliver::BREAKER_THRESHOLD {
            assert!(
                shelfraiser::federation::deliver::run_job(&app.db, &out, &d, now)
                    .await
                    .is_err()
            );
        }
        let b = repo::breaker(&app.db, &host)
            .await
            .expect("read")
            .expect("breaker");
        assert!(b.open_until.is_some_and(|t| t > now), "{b:?}");
        // While open, deliveries fail at once without a request.
        let before = remote.received().len();
        assert!(
            shelfraiser::federation::deliver::run_job(&app.db, &out, &d, now)
                .await
                .is_err()
        );
        assert_eq!(remote.received().len(), before);
        // After the wait, one that goes through closes it.
        remote.answer_with(202);
        let later = now + chrono::Duration::minutes(2);
        shelfraiser::federation::deliver::run_job(&app.db, &out, &d, later)
            .await
            .expect("delivered");
        assert!(repo::breaker(&app.db, &host).await.expect("read").is_none());
    })
    .await;
}

#[tokio::test]
async fn the_console_holds_follow_requests_for_approval_and_keeps_the_block_list() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let owner = crate::blog_review::member(
            &app.db,
            "fedi-owner",
            "UTC",
            shelfraiser::team::Role::Owner,
            None,
        )
        .await;
        let writer = crate::blog_review::member(
            &app.db,
            "fedi-writer",
            "UTC",
            shelfraiser::team::Role::Member,
            None,
        )
        .await;
        assert_eq!(
            get_as(&app, "/admin/fediverse", &writer.token)
                .await
                .status(),
            403
        );
        let html = page_as(&app, "/admin/fediverse", &owner.token).await;
        assert!(
            html.contains(&format!("@test-library@{}", authority(&app))),
            "{html}"
        );
        let campaign = seeded_id(&app).await;

        // Hold requests for the campaign; a follow then waits.
        let res = submit(
            &app,
            "/admin/fediverse",
            "/admin/fediverse/approval",
            &owner.token,
            &[("actor", campaign.as_str()), ("action", "on")],
        )
        .await;
        assert_eq!(res.status(), 303);
        let actor = app.url("/campaigns/test-library");
        follow_from(&app, &remote, "/campaigns/test-library/inbox", &actor, 7).await;
        let f = repo::followers(&app.db, &campaign).await.expect("f");
        assert_eq!(f[0].state, repo::FollowState::Pending);
        assert!(
            page_as(&app, "/admin/fediverse", &owner.token)
                .await
                .contains(&remote.actor())
        );

        // Approved: in effect, and an Accept goes to the follower.
        let res = submit(
            &app,
            "/admin/fediverse",
            "/admin/fediverse/requests",
            &owner.token,
            &[
                ("actor", campaign.as_str()),
                ("follower", remote.actor().as_str()),
                ("action", "approve"),
            ],
        )
        .await;
        assert_eq!(location(&res), "/admin/fediverse?done=approved");
        let f = repo::followers(&app.db, &campaign).await.expect("f");
        assert_eq!(f[0].state, repo::FollowState::Accepted);
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            outbound(&remote),
            &app.base,
        );
        let got = until_received(&app, &handlers, &remote, 1).await;
        assert_eq!(got[0].json()["type"], "Accept");
        assert_eq!(
            got[0].json()["object"]["id"],
            format!("{}#follow-7", remote.actor())
        );

        // A bad block list line is shown back; a good list ends the server's follows.
        let res = submit(
            &app,
            "/admin/fediverse",
            "/admin/fediverse/blocks",
            &owner.token,
            &[("blocks", "fine.example\nnot a server")],
        )
        .await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.expect("body").contains("Line 2"));
        let res = submit(
            &app,
            "/admin/fediverse",
            "/admin/fediverse/blocks",
            &owner.token,
            &[("blocks", &format!("# a test\n{}", remote.actor()))],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert!(
            repo::followers(&app.db, &campaign)
                .await
                .expect("f")
                .is_empty()
        );
        assert_eq!(
            repo::blocks(&app.db).await.expect("blocks"),
            [remote.actor()]
        );
        assert_eq!(
            crate::team_harness::audit_count(&app.db, "settings.fediverse_blocks").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn the_follow_box_sends_visitors_to_their_server_with_a_link() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let host = authority(&app);
        let page = app
            .get("/campaigns/test-library")
            .await
            .text()
            .await
            .expect("page");
        assert!(page.contains("action=\"/campaigns/test-library/follow\""));
        assert!(page.contains(&format!(
            "<meta name=\"fediverse:creator\" content=\"@test-library@{host}\">"
        )));
        let res = app
            .get("/campaigns/test-library/follow?server=%40me%40Mastodon.Social")
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "cache-control"), "private, no-store");
        let html = res.text().await.expect("html");
        assert!(html.contains(&format!(
            "href=\"https://mastodon.social/authorize_interaction?uri=acct%3Atest%2Dlibrary%40{}\"",
            host.replace(':', "%3A").replace('.', "%2E")
        )), "{html}");
        let res = app
            .get("/campaigns/test-library/follow?server=%22%3E%3Cscript%3E")
            .await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.expect("html");
        assert!(html.contains("Type your server"));
        assert!(!html.contains("<script>"));
        assert_eq!(app.get("/campaigns/nope/follow").await.status(), 404);
        // A post links its object and names the site's account.
        let id = published(&app, PostKind::Note, "", None).await;
        let page = post_page(&app, &id).await;
        assert!(page.contains(&format!(
            "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\">",
            app.url(&format!("/posts/{id}"))
        )));
        assert!(page.contains(&format!("content=\"@{host}@{host}\"")));
    })
    .await;
}

#[tokio::test]
async fn passing_a_milestone_and_the_goal_is_announced_to_followers_once() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let base = app.base.trim_end_matches('/').to_string();
        let campaign = seeded_id(&app).await;
        let sweep = |t| shelfraiser::federation::milestones::sweep(&app.db, &base, "en", t);
        // £100 given before the first look: recorded, not announced.
        app.donate_through_checkout("test-library", "100", "GBP", "succeed")
            .await;
        // (The node's own sweep may look first, at start: the same outcome.)
        sweep(Utc::now()).await.expect("sweep");
        let actor = app.url("/campaigns/test-library");
        follow_from(&app, &remote, "/campaigns/test-library/inbox", &actor, 11).await;
        // £200 more passes the £250 "Roof" milestone: one note.
        app.donate_through_checkout("test-library", "200", "GBP", "succeed")
            .await;
        sweep(Utc::now()).await.expect("sweep");
        assert_eq!(sweep(Utc::now()).await.expect("sweep"), 0);
        let notes: Vec<Value> = deliveries(&app.db)
            .await
            .into_iter()
            .map(|j| {
                let d: Value = serde_json::from_str(&j.payload).expect("payload");
                serde_json::from_str(d["body"].as_str().expect("body")).expect("activity")
            })
            .filter(|a: &Value| a["type"] == "Create")
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        let content = notes[0]["object"]["content"].as_str().expect("content");
        assert!(
            content.contains("Test library reached “Roof”: £300 of £1,000 raised."),
            "{content}"
        );
        assert_eq!(notes[0]["object"]["type"], "Note");
        assert_eq!(notes[0]["actor"], actor);
        // The goal: "funded".
        app.donate_through_checkout("test-library", "800", "GBP", "succeed")
            .await;
        sweep(Utc::now()).await.expect("sweep");
        let marked = repo::milestones_marked(&app.db, &campaign)
            .await
            .expect("marks");
        assert_eq!(marked, [-1, 25_000, 100_000]);
    })
    .await;
}

#[tokio::test]
async fn fixtures_from_real_servers_pass_through_the_inbox() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let id = published(&app, PostKind::Note, "", None).await;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fediverse");
        let fill = |name: &str, n: u32| {
            std::fs::read_to_string(format!("{dir}/{name}.json"))
                .expect("fixture")
                .replace("{ACTOR}", &remote.actor())
                .replace("{BASE}", &remote.base)
                .replace("{POST}", &app.url(&format!("/posts/{id}")))
                .replace("{CAMPAIGN}", &app.url("/campaigns/test-library"))
                .replace("{N}", &n.to_string())
                .replace("{P}", "1")
        };
        let counts = || async {
            let r = blog_remote::reactions_of(&app.db, &id)
                .await
                .expect("reactions");
            (r.like_count, r.repost_count)
        };
        let replies = || async {
            shelfraiser::blog::repo::comments::moderation_queue(&app.db, Moderation::Pending, 50, 0)
                .await
                .expect("queue")
                .into_iter()
                .map(|q| q.comment.body)
                .collect::<Vec<_>>()
        };
        let deliver = |name: &'static str, n: u32| {
            let body = fill(name, n);
            let signed = remote.sign_post(&app.url("/inbox"), body.as_bytes(), None);
            let app = &app;
            async move {
                let st = post_signed(app, "/inbox", &body, &signed).await;
                assert_eq!(st, 202, "{name}");
            }
        };
        deliver("mastodon-like", 1).await;
        deliver("mastodon-announce", 1).await;
        deliver("pleroma-announce", 2).await;
        deliver("gotosocial-like", 3).await;
        assert_eq!(counts().await, (2, 2));
        // Pleroma's emoji reaction: received, nothing we show.
        deliver("pleroma-emoji-react", 4).await;
        assert_eq!(counts().await, (2, 2));
        deliver("mastodon-reply", 1).await;
        deliver("gotosocial-reply", 5).await;
        let held = replies().await;
        assert_eq!(held.len(), 2, "{held:?}");
        assert!(
            held.iter()
                .any(|b| b == "@campaign Shared with our reading group! #libraries")
        );
        assert!(
            held.iter()
                .any(|b| b == "Our library did something similar, good luck!")
        );
        // The account's profile changed: read again.
        deliver("mastodon-update-person", 6).await;
        // Mastodon's Undo of the first boost; its Delete of the first reply.
        deliver("mastodon-undo-announce", 7).await;
        assert_eq!(counts().await, (2, 1));
        deliver("mastodon-delete-note", 8).await;
        assert_eq!(replies().await.len(), 1);
        // A WordPress blog's account follows the campaign.
        deliver("wordpress-follow", 9).await;
        let f = repo::followers(&app.db, &seeded_id(&app).await)
            .await
            .expect("f");
        assert_eq!(f.len(), 1);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Hashtag days: entries from fediverse posts.

use shelfraiser::promotion::events::{self as events, EntryStatus};

/// A published (or draft) event of `campaign_id` with `tag`, its day today.
async fn event_today(
    db: &shelfraiser::db::Db,
    campaign_id: &str,
    slug: &str,
    tag: &str,
    state: &str,
) -> String {
    let today = Utc::now().date_naive().to_string();
    let f = events::check(
        slug,
        "Follow a library day",
        &today,
        tag,
        "Follow us.",
        "",
        state,
    )
    .expect("valid");
    events::create(db, campaign_id, &f, Utc::now())
        .await
        .expect("create")
        .expect("new")
        .id
}

/// Runs due jobs (the node's worker may run some first) until none is left.
async fn settle(app: &TestApp, remote: &FakeFediverse) {
    let handlers = shelfraiser::app::job_handlers_outbound(
        shelfraiser::app::job_handlers(),
        outbound(remote),
        &app.base,
    );
    crate::receipts::settle_with(app, &handlers).await;
}

async fn entries_of(
    db: &shelfraiser::db::Db,
    event: &str,
    status: EntryStatus,
) -> Vec<events::Entry> {
    events::entries(db, event, status).await.expect("entries")
}

#[tokio::test]
async fn a_tagged_post_mentioning_the_campaign_becomes_a_pending_entry() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let other = seed_campaign(&tdb.db, "other-library").await;
        let event = event_today(&tdb.db, &c.id, "follow-day", "#FollowALibrary", "published").await;
        let draft = event_today(&tdb.db, &c.id, "draft-day", "#DraftDay", "draft").await;
        let elsewhere = event_today(&tdb.db, &other.id, "their-day", "#FollowALibrary", "published").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let actor = remote.actor();
        let campaign_actor = app.url("/campaigns/test-library");
        let ctx = "https://www.w3.org/ns/activitystreams";
        let now = Utc::now().to_rfc3339();
        // A Mastodon-shaped status: `tag` with a Mention, Hashtags and an Emoji.
        let note = |n: u32, tags: Value, content: &str| {
            json!({"id": format!("{actor}/statuses/{n}"), "type": "Note", "attributedTo": actor,
                "url": format!("{}/@ana/{n}", remote.base), "published": now,
                "content": content, "tag": tags,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [campaign_actor]})
        };
        let create = |n: u32, tags: Value, content: &str| {
            json!({"@context": ctx, "id": format!("{actor}/statuses/{n}/activity"),
                "type": "Create", "actor": actor, "object": note(n, tags, content)})
        };
        let mention = json!({"type": "Mention", "href": campaign_actor, "name": "@test-library"});
        let tag = |name: &str| json!({"type": "Hashtag", "name": name,
            "href": format!("{}/tags/{}", remote.base, name.trim_start_matches('#'))});
        let emoji = json!({"type": "Emoji", "name": ":books:", "icon": {"url": "x"}});

        // The hashtag (in another case) and a mention of the campaign: a pending entry.
        let first = create(
            1,
            json!([mention, tag("#followalibrary"), emoji]),
            "<p><a href=\"x\" class=\"mention\">@test-library</a> My   video about <b>our</b> library! #FollowALibrary</p>",
        );
        assert_eq!(send(&app, &remote, &first).await, 202);
        // Delivered again, and once more as another activity (to the campaign's inbox).
        assert_eq!(send(&app, &remote, &first).await, 202);
        let mut again = first.clone();
        again["id"] = json!(format!("{actor}/statuses/1/activity-2"));
        assert_eq!(send(&app, &remote, &again).await, 202);
        settle(&app, &remote).await;
        let pending = entries_of(&app.db, &event, EntryStatus::Pending).await;
        assert_eq!(pending.len(), 1, "{pending:?}");
        let e = &pending[0];
        assert_eq!(e.source, "fediverse");
        assert_eq!(e.url, format!("{}/@ana/1", remote.base));
        assert_eq!(e.title, "@test-library My video about our library! #FollowALibrary");
        assert!(e.name.starts_with("@ana@127.0.0.1:"), "{}", e.name);
        assert_eq!(e.source_key, format!("{actor}/statuses/1"));
        assert!(
            entries_of(&app.db, &elsewhere, EntryStatus::Pending).await.is_empty(),
            "another campaign's event with the tag takes nothing"
        );

        // No hashtag; the tag of a draft event; a tag but none of ours mentioned; a tag
        // only in the text: nothing.
        let cases = [
            create(2, json!([mention]), "<p>No tag here</p>"),
            create(3, json!([mention, tag("#DraftDay")]), "<p>#DraftDay</p>"),
            create(4, json!([{"type": "Mention", "href": "https://elsewhere.example/users/x"},
                tag("#FollowALibrary")]), "<p>#FollowALibrary</p>"),
            create(5, json!({"type": "Mention", "href": campaign_actor}), "<p>#FollowALibrary</p>"),
        ];
        for a in &cases {
            assert_eq!(send(&app, &remote, a).await, 202);
        }
        settle(&app, &remote).await;
        assert_eq!(entries_of(&app.db, &event, EntryStatus::Pending).await.len(), 1);
        assert!(entries_of(&app.db, &draft, EntryStatus::Pending).await.is_empty());
        assert_eq!(count(&app.db, "event_entries").await, 1);

        // A single `tag` object and a reply to the campaign's actor count too.
        let mut reply = create(6, tag("#FollowALibrary"), "<p>Mine!</p>");
        reply["object"]["inReplyTo"] = json!(campaign_actor);
        assert_eq!(send(&app, &remote, &reply).await, 202);
        settle(&app, &remote).await;
        let pending = entries_of(&app.db, &event, EntryStatus::Pending).await;
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().any(|e| e.title == "Mine!"));

        // An edit retitles the pending entry; deleted by its author, it is withdrawn.
        let mut edit = reply.clone();
        edit["type"] = json!("Update");
        edit["id"] = json!(format!("{actor}/statuses/6#updates/1"));
        edit["object"]["content"] = json!("<p>Mine, edited</p>");
        assert_eq!(send(&app, &remote, &edit).await, 202);
        settle(&app, &remote).await;
        let pending = entries_of(&app.db, &event, EntryStatus::Pending).await;
        assert!(pending.iter().any(|e| e.title == "Mine, edited"), "{pending:?}");
        let delete = json!({"@context": ctx, "id": format!("{actor}/statuses/6#delete"),
            "type": "Delete", "actor": actor,
            "object": {"id": format!("{actor}/statuses/6"), "type": "Tombstone"}});
        assert_eq!(send(&app, &remote, &delete).await, 202);
        settle(&app, &remote).await;
        let pending = entries_of(&app.db, &event, EntryStatus::Pending).await;
        assert_eq!(pending.len(), 1, "{pending:?}");

        // Approved: on the event page. An edit or a deletion afterwards changes nothing.
        let id = pending[0].id.clone();
        let entry = events::entry(&app.db, &id).await.expect("read").expect("entry");
        events::moderate(&app.db, &entry, events::Action::Approve)
            .await
            .expect("approve");
        let page = app.text("/campaigns/test-library/events/follow-day").await;
        assert!(page.contains("My video about our library!"), "{page}");
        assert!(page.contains(&format!("href=\"{}/@ana/1\"", remote.base)));
        let mut edit = first.clone();
        edit["type"] = json!("Update");
        edit["id"] = json!(format!("{actor}/statuses/1#updates/1"));
        edit["object"]["content"] = json!("<p>Changed</p>");
        assert_eq!(send(&app, &remote, &edit).await, 202);
        let delete = json!({"@context": ctx, "id": format!("{actor}/statuses/1#delete"),
            "type": "Delete", "actor": actor, "object": format!("{actor}/statuses/1")});
        assert_eq!(send(&app, &remote, &delete).await, 202);
        settle(&app, &remote).await;
        let approved = entries_of(&app.db, &event, EntryStatus::Approved).await;
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0].title, "@test-library My video about our library! #FollowALibrary");
        app.stop().await;
    })
    .await;
}
