//! Live entries to the fediverse, over real HTTP on both backends: a campaign's published
//! post in live mode; an entry added with "Also post to followers" goes to the campaign's
//! follower (a loopback server) as a `Create` of a `Note` by the campaign's actor, served
//! at its id; an entry without the box goes nowhere; deleting the sent entry delivers a
//! `Delete` and its id answers 410; a draft's form has no box.

use serde_json::Value;
use shelfraiser::blog::write::{self, NewPost, PostKind};
use shelfraiser::team::Role;
use shelfraiser::team::audit::Actor;

use crate::blog_review::{Who, csrf, member, page, send_editor};
use crate::fake_fediverse::FakeFediverse;
use crate::federation::{
    AP, allowing, follow_from, get_with, header, outbound, published, seeded_id, until_received,
};
use crate::harness::*;

async fn act(app: &TestApp, who: &Who, path: &str, fields: &[(&str, &str)]) -> u16 {
    let token = csrf(app, who, path).await;
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    send_editor(app, who, path, &all).await.status().as_u16()
}

#[tokio::test]
async fn live_entries_go_to_the_followers_as_notes_and_are_taken_back() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let remote = FakeFediverse::start().await;
        let app = TestApp::start(allowing(&tdb, &remote)).await;
        let handlers = shelfraiser::app::job_handlers_outbound(
            shelfraiser::app::job_handlers(),
            outbound(&remote),
            &app.base,
        );
        let campaign_actor = app.url("/campaigns/test-library");
        follow_from(
            &app,
            &remote,
            "/campaigns/test-library/inbox",
            &campaign_actor,
            1,
        )
        .await;
        until_received(&app, &handlers, &remote, 1).await;
        let campaign = seeded_id(&app).await;
        let id = published(&app, PostKind::Article, "Conference", Some(campaign)).await;
        until_received(&app, &handlers, &remote, 2).await; // the post's Create
        remote.clear();

        let ed = member(&app.db, "ed", "UTC", Role::Editor, None).await;
        let admin = format!("/admin/posts/{id}/live");
        assert_eq!(act(&app, &ed, &admin, &[("action", "start")]).await, 303);
        let (_, html) = page(&app, &ed, &admin).await;
        assert!(
            html.contains("name=\"federate\" value=\"1\" checked"),
            "ticked at first: {html}"
        );
        assert!(html.contains("Also post to followers"));
        let add = |body: &'static str, federate: bool| {
            let mut f = vec![("action", "add"), ("kind", "text"), ("body", body)];
            if federate {
                f.push(("federate", "1"));
            }
            f
        };
        assert_eq!(
            act(
                &app,
                &ed,
                &admin,
                &add("Doors open: **300** readers.", true)
            )
            .await,
            303
        );
        let got = until_received(&app, &handlers, &remote, 1).await;
        let create = got[0].json();
        assert_eq!(create["type"], "Create");
        assert_eq!(create["actor"], campaign_actor);
        let note = &create["object"];
        assert_eq!(note["type"], "Note");
        assert_eq!(note["attributedTo"], campaign_actor);
        assert_eq!(
            note["to"][0],
            "https://www.w3.org/ns/activitystreams#Public"
        );
        assert_eq!(note["cc"][0], format!("{campaign_actor}/followers"));
        assert!(
            note["content"]
                .as_str()
                .expect("content")
                .contains("<strong>300</strong>")
        );
        let note_id = note["id"].as_str().expect("id").to_string();
        let entry = note_id.rsplit('/').next().expect("entry").to_string();
        assert_eq!(note_id, app.url(&format!("/posts/{id}/live/{entry}")));
        assert_eq!(note["url"], app.url(&format!("/posts/{id}#live-{entry}")));
        // Served at its id; a browser goes to the entry on the post's page.
        let path = format!("/posts/{id}/live/{entry}");
        let fetched: Value = get_with(&app, &path, AP).await.json().await.expect("json");
        assert_eq!(fetched["id"], note_id);
        assert_eq!(fetched["type"], "Note");
        let res = get_with(&app, &path, "text/html").await;
        assert_eq!(res.status(), 302);
        let to = header(&res, "location");
        assert!(to.ends_with(&format!("#live-{entry}")), "{to}");
        assert!(
            app.text(&to)
                .await
                .contains(&format!("id=\"live-{entry}\""))
        );
        assert_eq!(
            get_with(&app, &format!("/posts/{id}/live/nope0"), AP)
                .await
                .status(),
            404
        );

        // Without the box: nothing is sent; the list marks the one that was.
        remote.clear();
        assert_eq!(
            act(&app, &ed, &admin, &add("Coffee break.", false)).await,
            303
        );
        for _ in 0..5 {
            shelfraiser::jobs::run_due(&app.db, &handlers, chrono::Utc::now())
                .await
                .expect("run");
        }
        assert!(remote.received().is_empty());
        let (_, html) = page(&app, &ed, &admin).await;
        assert_eq!(html.matches("sent to followers").count(), 1, "{html}");

        // Deleting the sent entry takes the note back.
        assert_eq!(
            act(
                &app,
                &ed,
                &admin,
                &[("action", "delete"), ("entry", &entry)]
            )
            .await,
            303
        );
        let got = until_received(&app, &handlers, &remote, 1).await;
        let delete = got[0].json();
        assert_eq!(delete["type"], "Delete");
        assert_eq!(delete["actor"], campaign_actor);
        assert_eq!(delete["object"]["id"], note_id);
        assert_eq!(delete["object"]["type"], "Tombstone");
        assert_eq!(get_with(&app, &path, AP).await.status(), 410);

        // A draft's form has no box.
        let draft = write::create(
            &app.db,
            &NewPost::draft(PostKind::Article, "Later", "Soon."),
            &Actor::cli(),
        )
        .await
        .expect("draft");
        let admin = format!("/admin/posts/{}/live", draft.id);
        assert_eq!(act(&app, &ed, &admin, &[("action", "start")]).await, 303);
        let (_, html) = page(&app, &ed, &admin).await;
        assert!(!html.contains("name=\"federate\""), "{html}");
    })
    .await;
}
