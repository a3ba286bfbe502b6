//! Two Shelfraiser sites on loopback federating with each other, as their teams would use
//! them: the north site's campaign follows the south site's campaign from the console (by
//! its `@name@host` address, found through WebFinger); the south's post reaches the north's
//! timeline; the north likes, boosts and replies, and each shows on the south's post (the
//! reply in its moderation queue, then on the page); the south's edit and deletion reach the
//! north; the north takes its like back and unfollows. Every request is a real signed HTTP
//! request between the two servers, delivered by their job queues.

use chrono::Utc;
use shelfraiser::blog::repo::comments;
use shelfraiser::blog::repo::{Moderation, PostKind, PostStatus};
use shelfraiser::blog::write::{self as blog_write, NewPost};
use shelfraiser::federation::repo;
use shelfraiser::jobs;
use shelfraiser::team::audit::Actor;

use crate::harness::*;

struct Site {
    app: TestApp,
    handlers: jobs::Handlers,
    campaign: String,
    owner: crate::blog_review::Who,
}

async fn site(tdb: &TestDb, slug: &str, title: &str) -> Site {
    let c = seed_campaign(&tdb.db, slug).await;
    exec(
        &tdb.db,
        &format!(
            "UPDATE campaigns SET title = '{title}' WHERE id = '{}'",
            c.id
        ),
    )
    .await;
    let mut s = settings(tdb);
    // Both sites run on 127.0.0.1: each lets its outbound client reach the other.
    s.outbound_allow = vec!["127.0.0.1".into()];
    let app = TestApp::start(s).await;
    let out = shelfraiser::outbound::Outbound::new(&["127.0.0.1"], &app.base).expect("outbound");
    let handlers =
        shelfraiser::app::job_handlers_outbound(shelfraiser::app::job_handlers(), out, &app.base);
    let owner = crate::blog_review::member(
        &app.db,
        &format!("{slug}-owner"),
        "UTC",
        shelfraiser::team::Role::Owner,
        None,
    )
    .await;
    Site {
        app,
        handlers,
        campaign: c.id,
        owner,
    }
}

/// Runs both sites' due jobs (their own workers may run some first) until `done` holds.
async fn until<F, Fut>(a: &Site, b: &Site, what: &str, done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        for s in [a, b] {
            jobs::run_due(&s.app.db, &s.handlers, Utc::now())
                .await
                .expect("run jobs");
        }
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

async fn console(s: &Site, path: &str) -> String {
    page_as(&s.app, path, &s.owner.token).await
}

async fn post_page(s: &Site, id: &str) -> String {
    let res = s
        .app
        .client
        .get(s.app.url(&format!("/posts/{id}")))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 301);
    s.app.text(&location(&res)).await
}

#[tokio::test]
async fn two_sites_follow_post_boost_like_reply_edit_delete_and_unfollow() {
    for backend in backends() {
        let (ta, tb) = (TestDb::new(&backend).await, TestDb::new(&backend).await);
        eprintln!("-- backend: {}", ta.backend);
        let north = site(&ta, "north", "North library").await;
        let south = site(&tb, "south", "South library").await;
        let north_actor = north.app.url("/campaigns/north");
        let south_actor = south.app.url("/campaigns/south");
        let south_host = south.app.base.trim_start_matches("http://").to_string();

        // A mistyped address is shown back with what to fix; nothing is sent.
        let res = submit(
            &north.app,
            "/admin/following",
            "/admin/following/follow",
            &north.owner.token,
            &[
                ("actor", north.campaign.as_str()),
                ("address", "south library"),
            ],
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("@name@server.example"), "{html}");
        assert!(html.contains("value=\"south library\""));

        // Follow: typed as people do, found by WebFinger, accepted by the south at once.
        let res = submit(
            &north.app,
            "/admin/following",
            "/admin/following/follow",
            &north.owner.token,
            &[
                ("actor", north.campaign.as_str()),
                ("address", &format!("@south@{south_host}")),
            ],
        )
        .await;
        assert_eq!(
            res.status(),
            303,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let f = repo::following(&north.app.db, &north.campaign, &south_actor)
            .await
            .expect("read")
            .expect("a follow request");
        assert_eq!(f.state, repo::FollowState::Pending);
        until(&north, &south, "the south accepts the follow", || async {
            repo::following(&north.app.db, &north.campaign, &south_actor)
                .await
                .expect("read")
                .is_some_and(|f| f.state == repo::FollowState::Accepted)
        })
        .await;
        let followers = repo::followers(&south.app.db, &south.campaign)
            .await
            .expect("followers");
        assert_eq!(followers.len(), 1);
        assert_eq!(followers[0].follower, north_actor);
        assert!(
            console(&south, "/admin/fediverse")
                .await
                .contains("1 follower")
        );
        let page = console(&north, "/admin/following").await;
        assert!(page.contains("South library"), "{page}");
        assert!(!page.contains("waiting for their server"));

        // Post: the south's campaign update reaches the north's timeline.
        let mut p = NewPost::draft(PostKind::Article, "New shelves", "We built **shelves**.");
        p.status = PostStatus::Published;
        p.campaign_id = Some(south.campaign.clone());
        let post = blog_write::create(&south.app.db, &p, &Actor::cli())
            .await
            .expect("create")
            .id;
        let object = south.app.url(&format!("/posts/{post}"));
        until(&north, &south, "the post reaches the north", || async {
            repo::timeline_item(&north.app.db, &object)
                .await
                .expect("read")
                .is_some()
        })
        .await;
        let item = repo::timeline_item(&north.app.db, &object)
            .await
            .expect("read")
            .expect("item");
        assert_eq!(
            (item.kind.as_str(), item.name.as_str()),
            ("article", "New shelves")
        );
        assert_eq!(item.text, "We built shelves.");
        assert_eq!(item.author, south_actor);
        let page = console(&north, "/admin/following").await;
        assert!(page.contains("New shelves") && page.contains("We built shelves."));

        // Like and boost from the north's console: both show on the south's post page.
        let react = |kind: &'static str| {
            let (app, token, campaign, object) = (
                &north.app,
                north.owner.token.clone(),
                north.campaign.clone(),
                object.clone(),
            );
            async move {
                let res = submit(
                    app,
                    "/admin/following",
                    "/admin/following/react",
                    &token,
                    &[
                        ("actor", campaign.as_str()),
                        ("object", object.as_str()),
                        ("kind", kind),
                    ],
                )
                .await;
                assert_eq!(res.status(), 303);
                location(&res)
            }
        };
        assert_eq!(react("like").await, "/admin/following?done=like");
        assert_eq!(react("boost").await, "/admin/following?done=boost");
        until(
            &north,
            &south,
            "the like and the boost reach the south",
            || async {
                let r = shelfraiser::blog::remote::reactions_of(&south.app.db, &post)
                    .await
                    .expect("reactions");
                (r.like_count, r.repost_count) == (1, 1)
            },
        )
        .await;
        let page = post_page(&south, &post).await;
        assert!(page.contains("Boosted once on the fediverse"), "{page}");
        assert!(page.contains("North library"));
        assert!(
            console(&north, "/admin/following")
                .await
                .contains("aria-pressed=\"true\"")
        );

        // Reply: held in the south's moderation queue, then shown on the post.
        let res = submit(
            &north.app,
            "/admin/following",
            "/admin/following/reply",
            &north.owner.token,
            &[
                ("actor", north.campaign.as_str()),
                ("object", object.as_str()),
                ("text", "Good luck from the north!"),
            ],
        )
        .await;
        assert_eq!(location(&res), "/admin/following?done=reply");
        let held = || async {
            comments::moderation_queue(&south.app.db, Moderation::Pending, 50, 0)
                .await
                .expect("queue")
                .into_iter()
                .map(|q| q.comment)
                .filter(|c| c.kind == "fediverse")
                .collect::<Vec<_>>()
        };
        until(&north, &south, "the reply reaches the south", || async {
            !held().await.is_empty()
        })
        .await;
        let reply = held().await.remove(0);
        assert_eq!(reply.body, "@south Good luck from the north!");
        assert_eq!(reply.author_name, "North library");
        assert!(
            console(&south, "/admin/comments")
                .await
                .contains("Good luck from the north!")
        );
        comments::set_status(&south.app.db, &reply.id, Moderation::Approved)
            .await
            .expect("approve");
        let page = post_page(&south, &post).await;
        assert!(page.contains("Good luck from the north!"), "{page}");
        // The reply is served at its id on the north, and listed in its outbox.
        assert_eq!(reply.author_url.as_deref(), Some(north_actor.as_str()));
        let ours = repo::timeline(&north.app.db, 10, 0)
            .await
            .expect("timeline");
        let note_id = ours
            .iter()
            .find(|i| i.in_reply_to.as_deref() == Some(object.as_str()))
            .expect("the reply in the north's timeline")
            .object_id
            .clone();
        assert!(note_id.starts_with(&format!("{north_actor}/notes/")));
        let doc: serde_json::Value = north
            .app
            .client
            .get(&note_id)
            .header("accept", "application/activity+json")
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("json");
        assert_eq!(doc["inReplyTo"], object);
        assert_eq!(doc["tag"][0]["href"], south_actor);

        // Edit: the south's new title and text replace the north's copy.
        let mut p = NewPost::draft(
            PostKind::Article,
            "New shelves, painted",
            "Painted **blue**.",
        );
        p.status = PostStatus::Published;
        p.campaign_id = Some(south.campaign.clone());
        blog_write::update(&south.app.db, &post, &p, &Actor::cli())
            .await
            .expect("update");
        until(&north, &south, "the edit reaches the north", || async {
            repo::timeline_item(&north.app.db, &object)
                .await
                .expect("read")
                .is_some_and(|i| i.name == "New shelves, painted" && i.text == "Painted blue.")
        })
        .await;
        assert!(console(&north, "/admin/following").await.contains("edited"));

        // The north takes its like back: the south's count drops, the boost stays.
        assert_eq!(react("like").await, "/admin/following?done=unlike");
        until(
            &north,
            &south,
            "the Undo of the like reaches the south",
            || async {
                let r = shelfraiser::blog::remote::reactions_of(&south.app.db, &post)
                    .await
                    .expect("reactions");
                (r.like_count, r.repost_count) == (0, 1)
            },
        )
        .await;

        // Delete: taken down on the south, gone from the north's timeline.
        blog_write::unpublish(&south.app.db, &post, &Actor::cli())
            .await
            .expect("unpublish");
        until(&north, &south, "the deletion reaches the north", || async {
            repo::timeline_item(&north.app.db, &object)
                .await
                .expect("read")
                .is_none()
        })
        .await;

        // Unfollow: the south no longer counts the north among its followers.
        let res = submit(
            &north.app,
            "/admin/following",
            "/admin/following/unfollow",
            &north.owner.token,
            &[
                ("actor", north.campaign.as_str()),
                ("target", south_actor.as_str()),
            ],
        )
        .await;
        assert_eq!(location(&res), "/admin/following?done=unfollow");
        until(
            &north,
            &south,
            "the Undo of the follow reaches the south",
            || async {
                repo::follower_count(&south.app.db, &south.campaign)
                    .await
                    .expect("count")
                    == 0
            },
        )
        .await;
        assert!(
            repo::following(&north.app.db, &north.campaign, &south_actor)
                .await
                .expect("read")
                .is_none()
        );
        // Each step was audited on the north.
        for action in [
            "fediverse.follow",
            "fediverse.like",
            "fediverse.boost",
            "fediverse.reply",
            "fediverse.unfollow",
        ] {
            assert!(
                crate::team_harness::audit_count(&north.app.db, action).await >= 1,
                "{action}"
            );
        }
        north.app.stop().await;
        south.app.stop().await;
    }
}
