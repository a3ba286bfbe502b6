//! Writing without losing work, the keeping part (issue 11), over HTTP on both backends:
//! autosave (needs the session and its CSRF token, one per member and editor, shown again
//! until saved or discarded), text posted after the session ended (kept for the member the
//! form was made for and back in the editor after signing in; a forged keep token keeps
//! nothing), and revisions of posts and campaign stories (listed, shown, restored as a new,
//! audited revision).

use shelfraiser::blog::write;
use shelfraiser::campaigns::repo;
use shelfraiser::revisions::{self, Kind, Target};
use shelfraiser::team::audit;
use shelfraiser::team::{Role, session};

use crate::editors::*;
use crate::harness::*;

/// Creates a post through the editor; its id.
async fn new_post(app: &TestApp, who: &Who, title: &str, body: &str) -> String {
    let csrf = bound_csrf(app, "/admin/posts/new", &who.token).await;
    let fields = post_fields(&csrf, &[("title", title), ("body", body)]);
    let res = post_multipart(app, "/admin/posts/new", Some(&who.token), &fields, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    post_id_of(&res)
}

/// Saves the post editor of `id` with `extra` fields.
async fn save_post(app: &TestApp, who: &Who, id: &str, extra: &[(&str, &str)]) {
    let path = format!("/admin/posts/{id}");
    let csrf = bound_csrf(app, &path, &who.token).await;
    let fields = post_fields(&csrf, extra);
    let res = post_multipart(app, &path, Some(&who.token), &fields, &[]).await;
    assert_eq!(res.status().as_u16(), 303, "save {id}");
}

async fn autosaves(db: &shelfraiser::db::Db) -> i64 {
    count(db, "revisions WHERE kind = 'autosave'").await
}

#[tokio::test]
async fn autosave_needs_the_session_and_its_token_and_comes_back() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ed = member(&app.db, "auto", "UTC", Role::Editor).await;
        let other = member(&app.db, "other", "UTC", Role::Editor).await;
        let id = new_post(&app, &ed, "Stored title", "Stored body.").await;
        let editor = format!("/admin/posts/{id}");
        let autosave = format!("{editor}/autosave");
        let html = page_as(&app, &editor, &ed.token).await;
        assert!(
            html.contains(&format!("data-autosave=\"{autosave}\"")),
            "{html}"
        );
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let draft = [("title", "Autosaved title"), ("body", "Autosaved body.")];

        // No session: the way to sign in (nothing kept without the keep token).
        let res = post_multipart(&app, &autosave, None, &draft, &[]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            location(&res),
            format!("/signin?next=%2Fadmin%2Fposts%2F{id}")
        );
        // A session but no token: refused.
        let res = post_multipart(&app, &autosave, Some(&ed.token), &draft, &[]).await;
        assert_eq!(res.status().as_u16(), 403);
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["error"]["code"], "csrf");
        assert_eq!(autosaves(&app.db).await, 0);

        // Both: kept, with fresh tokens in the answer; a second one replaces the first.
        let mut fields = vec![("csrf", csrf.as_str()), ("title", "First draft")];
        let res = post_multipart(&app, &autosave, Some(&ed.token), &fields, &[]).await;
        assert_eq!(res.status().as_u16(), 200);
        fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(&draft);
        let res = post_multipart(&app, &autosave, Some(&ed.token), &fields, &[]).await;
        assert_eq!(res.status().as_u16(), 200);
        let v: serde_json::Value = res.json().await.expect("json");
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Draft kept at")),
            "{v}"
        );
        assert!(v["csrf"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(v["keep_token"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(autosaves(&app.db).await, 1);

        // The editor shows it to its writer only, until discarded.
        let html = page_as(&app, &editor, &ed.token).await;
        assert!(html.contains("Autosaved body.") && html.contains("has not been saved yet"));
        let theirs = page_as(&app, &editor, &other.token).await;
        assert!(theirs.contains("Stored body.") && !theirs.contains("Autosaved body."));
        let stored = write::by_id(&app.db, &id).await.expect("db").expect("post");
        assert_eq!(stored.body_md, "Stored body.");
        let discard = [("csrf", csrf.as_str()), ("discard", "1")];
        let res = post_multipart(&app, &autosave, Some(&ed.token), &discard, &[]).await;
        assert_eq!(
            (res.status().as_u16(), location(&res)),
            (303, editor.clone())
        );
        let html = page_as(&app, &editor, &ed.token).await;
        assert!(html.contains("Stored body.") && !html.contains("has not been saved yet"));

        // Saving takes the place of the autosave.
        let res = post_multipart(&app, &autosave, Some(&ed.token), &fields, &[]).await;
        assert_eq!(res.status().as_u16(), 200);
        save_post(&app, &ed, &id, &[("body", "Saved at last.")]).await;
        assert_eq!(autosaves(&app.db).await, 0);
        let html = page_as(&app, &editor, &ed.token).await;
        assert!(html.contains("Saved at last.") && !html.contains("has not been saved yet"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn text_posted_after_the_session_ended_is_back_after_signing_in() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ed = member(&app.db, "bus", "Europe/Copenhagen", Role::Editor).await;
        let other = member(&app.db, "nosy", "UTC", Role::Editor).await;
        let id = new_post(&app, &ed, "Stored title", "Stored body.").await;
        let posts_before = count(&app.db, "posts").await;
        for editor in ["/admin/posts/new".to_string(), format!("/admin/posts/{id}")] {
            let html = page_as(&app, &editor, &ed.token).await;
            let csrf = hidden_value(&html, "csrf").expect("csrf");
            let keep_member = hidden_value(&html, "keep_member").expect("keep_member");
            let keep_token = hidden_value(&html, "keep_token").expect("keep_token");
            assert_eq!(keep_member, ed.member.id);
            let typed = format!("Written on the bus for {editor}");
            let mut fields = post_fields(&csrf, &[("title", "Bus"), ("body", &typed)]);
            fields.push(("keep_member", &keep_member));

            // A token made for another member keeps nothing.
            let mut forged = fields.clone();
            forged.retain(|(k, _)| *k != "keep_member");
            forged.push(("keep_member", &other.member.id));
            forged.push(("keep_token", &keep_token));
            let res = post_multipart(&app, &editor, None, &forged, &[]).await;
            assert_eq!(res.status().as_u16(), 303);
            assert!(!location(&res).contains("kept=1"), "{}", location(&res));

            // The session ends (signed out elsewhere); then the form is sent, with a photo.
            let ended = session::create(&app.db, &ed.member.id, false, None, None)
                .await
                .expect("session");
            session::delete(&app.db, &session::hash_token(&ended))
                .await
                .expect("delete");
            fields.push(("keep_token", &keep_token));
            let res = post_multipart(
                &app,
                &editor,
                Some(&ended),
                &fields,
                &[("image", "IMG.jpg", "image/jpeg", &png(30, 20))],
            )
            .await;
            assert_eq!(res.status().as_u16(), 303);
            let signin = location(&res);
            let next = editor.replace('/', "%2F");
            assert_eq!(signin, format!("/signin?next={next}&kept=1"));
            let page = app.text(&signin).await;
            assert!(page.contains("What you typed is kept"), "{page}");

            // Signed in again: the editor has the text back, with the notice.
            let again = session::create(&app.db, &ed.member.id, false, None, None)
                .await
                .expect("session");
            let html = page_as(&app, &editor, &again).await;
            assert!(html.contains(&typed), "{html}");
            assert!(html.contains("has not been saved yet"), "{html}");
            let theirs = page_as(&app, &editor, &other.token).await;
            assert!(!theirs.contains(&typed));
        }
        assert_eq!(count(&app.db, "posts").await, posts_before);
        let stored = write::by_id(&app.db, &id).await.expect("db").expect("post");
        assert_eq!(stored.body_md, "Stored body.");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn revisions_are_kept_and_restoring_is_one_more() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let ed = member(&app.db, "reviser", "Europe/Copenhagen", Role::Editor).await;
        let treasurer = member(&app.db, "counter", "UTC", Role::Treasurer).await;
        let id = new_post(&app, &ed, "Version one", "First text.").await;
        save_post(
            &app,
            &ed,
            &id,
            &[("title", "Version one"), ("body", "Second text.")],
        )
        .await;
        // Only the tags change: no new revision.
        let same = [
            ("title", "Version one"),
            ("body", "Second text."),
            ("tags", "roof"),
        ];
        save_post(&app, &ed, &id, &same).await;
        save_post(
            &app,
            &ed,
            &id,
            &[("title", "Version three"), ("body", "Third text.")],
        )
        .await;
        let target = Target::Post(id.clone());
        let revs = revisions::list(&app.db, &target, 100).await.expect("list");
        assert_eq!(revs.len(), 3);
        assert_eq!(revs[0].title, "Version three");
        assert!(
            revs.iter()
                .all(|r| r.kind == Kind::Save && r.author == "reviser tester")
        );

        let list = format!("/admin/posts/{id}/revisions");
        let html = page_as(&app, &list, &ed.token).await;
        assert_eq!(html.matches(&format!("{list}/")).count(), 3, "{html}");
        assert!(html.contains("reviser tester") && html.contains("Europe/Copenhagen"));
        assert_eq!(
            get_as(&app, &list, &treasurer.token)
                .await
                .status()
                .as_u16(),
            403
        );

        let first = &revs[2];
        let one = format!("{list}/{}", first.id);
        let html = page_as(&app, &one, &ed.token).await;
        assert!(html.contains("First text."), "{html}");
        let restore = format!("{one}/restore");
        let res = post_as(&app, &restore, &ed.token, &[("csrf", "stale")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let csrf = bound_csrf(&app, &one, &ed.token).await;
        let res = post_as(&app, &restore, &ed.token, &[("csrf", &csrf)]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("/admin/posts/{id}?restored=1"));
        let p = write::by_id(&app.db, &id).await.expect("db").expect("post");
        assert_eq!(
            (p.title.as_str(), p.body_md.as_str()),
            ("Version one", "First text.")
        );
        let revs = revisions::list(&app.db, &target, 100).await.expect("list");
        assert_eq!(revs.len(), 4);
        assert_eq!(revs[0].kind, Kind::Restore);
        assert_eq!(revs[0].restored_from.as_deref(), Some(first.id.as_str()));
        let entries = audit::list(&app.db, Some("post.restored"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].target.as_str(), entries[0].detail.as_str()),
            (id.as_str(), first.id.as_str())
        );
        // A revision is found only under its own post.
        let other = new_post(&app, &ed, "Other", "Other text.").await;
        let wrong = format!("/admin/posts/{other}/revisions/{}", first.id);
        assert_eq!(get_as(&app, &wrong, &ed.token).await.status().as_u16(), 404);

        // A campaign story written before revisions were kept: its old text is kept too.
        let editor = "/admin/campaigns/test-library";
        let csrf = bound_csrf(&app, editor, &ed.token).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("title", "Test library"),
            ("summary", "A test campaign"),
            ("story", "A new story."),
            ("goal", "1000.00"),
            ("currency", "GBP"),
            ("starts", "2020-01-01"),
            ("beneficiary_name", "Village library"),
            ("state", "live"),
            ("action", "save"),
        ];
        let res = post_multipart(&app, editor, Some(&ed.token), &fields, &[]).await;
        assert_eq!(res.status().as_u16(), 303);
        let ct = Target::Campaign(c.id.clone());
        let revs = revisions::list(&app.db, &ct, 100).await.expect("list");
        assert_eq!(revs.len(), 2);
        assert_eq!(revs[1].chars, "The **story**.".chars().count() as i64);
        let csrf = bound_csrf(&app, &format!("{editor}/revisions"), &ed.token).await;
        let restore = format!("{editor}/revisions/{}/restore", revs[1].id);
        let res = post_as(&app, &restore, &ed.token, &[("csrf", &csrf)]).await;
        assert_eq!(res.status().as_u16(), 303);
        let now = repo::by_id(&app.db, &c.id).await.expect("db").expect("c");
        assert_eq!(now.story_md, "The **story**.");
        assert!(
            app.text("/campaigns/test-library")
                .await
                .contains("<strong>story</strong>")
        );
        assert_eq!(
            revisions::list(&app.db, &ct, 100)
                .await
                .expect("list")
                .len(),
            3
        );
        let entries = audit::list(&app.db, Some("campaign.restored"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        app.stop().await;
    })
    .await;
}
