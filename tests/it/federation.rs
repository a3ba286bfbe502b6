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

const AP: &str = "application/activity+json";

async fn get_with(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .expect("GET")
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn post_signed(app: &TestApp, path: &str, body: &str, headers: &[(String, String)]) -> u16 {
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
fn allowing(tdb: &TestDb, remote: &FakeFediverse) -> shelfraiser::config::Settings {
    let mut s = settings(tdb);
    s.outbound_allow = vec![remote.base.trim_start_matches("http://").to_string()];
    s
}

/// A guarded outbound client that lets through only the fake server.
fn outbound(remote: &FakeFediverse) -> shelfraiser::outbound::Outbound {
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

async fn seeded_id(app: &TestApp) -> String {
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
            let job = tried(&app.db, &format!("f-{n}")).await;
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
