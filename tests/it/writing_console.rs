//! Writing without losing work, the console part (issue 11), over HTTP on both backends:
//! what the post editor says after a save (a scheduled post: when it will appear, in the
//! member's zone), "Publish" as the primary button on a draft, and "New campaign" for owners
//! with the checks of `campaign create`.

use shelfraiser::campaigns::repo;
use shelfraiser::revisions::{self, Target};
use shelfraiser::team::Role;
use shelfraiser::team::audit;

use crate::editors::*;
use crate::harness::*;

/// Saves a new post with `extra` fields; the editor page it leads to.
async fn saved_page(app: &TestApp, who: &Who, extra: &[(&str, &str)]) -> String {
    let csrf = bound_csrf(app, "/admin/posts/new", &who.token).await;
    let fields = post_fields(&csrf, extra);
    let res = post_multipart(app, "/admin/posts/new", Some(&who.token), &fields, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    page_as(app, &location(&res), &who.token).await
}

const NOW_PUBLIC: &str = "The public page shows the change now.";

#[tokio::test]
async fn saving_says_where_the_post_stands() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ed = member(&app.db, "teller", "Europe/Copenhagen", Role::Editor).await;

        // Scheduled: when it will appear, as the member's clock shows it.
        let html = saved_page(
            &app,
            &ed,
            &[
                ("title", "Later"),
                ("status", "published"),
                ("publish_at", "2031-07-03T09:00"),
            ],
        )
        .await;
        assert!(
            html.contains("Saved. It will appear on 3 July 2031, 09:00 (Europe/Copenhagen)."),
            "{html}"
        );
        assert!(!html.contains(NOW_PUBLIC));
        // Not yet published: "Publish" is the primary button, and Enter saves a draft.
        assert!(html.contains("value=\"publish\" class=\"cta\""), "{html}");
        assert!(html.contains("value=\"save\" hidden"), "{html}");

        let html = saved_page(&app, &ed, &[("title", "Draft")]).await;
        assert!(html.contains("Saved as a draft."), "{html}");
        assert!(!html.contains(NOW_PUBLIC));

        let html = saved_page(&app, &ed, &[("title", "Now"), ("status", "published")]).await;
        assert!(html.contains(NOW_PUBLIC), "{html}");
        assert!(html.contains("value=\"save\" class=\"cta\""), "{html}");
        assert!(!html.contains("value=\"publish\""), "{html}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn owners_create_campaigns_in_the_console() {
    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "test-library").await;
        let app = TestApp::start(settings(&tdb)).await;
        let owner = member(&app.db, "owner", "UTC", Role::Owner).await;
        let ed = member(&app.db, "editor", "UTC", Role::Editor).await;
        let path = "/admin/campaigns/new";

        // Owners only.
        assert!(
            page_as(&app, "/admin", &owner.token)
                .await
                .contains("href=\"/admin/campaigns/new\"")
        );
        assert!(
            !page_as(&app, "/admin", &ed.token)
                .await
                .contains("href=\"/admin/campaigns/new\"")
        );
        assert_eq!(get_as(&app, path, &ed.token).await.status().as_u16(), 403);
        let res = post_as(&app, path, &ed.token, &[("slug", "x")]).await;
        assert_eq!(res.status().as_u16(), 403);

        let csrf = bound_csrf(&app, path, &owner.token).await;
        let form = |over: &[(&'static str, &'static str)]| {
            let mut v: Vec<(&str, String)> = vec![
                ("csrf", csrf.clone()),
                ("title", "Roof fund".into()),
                ("slug", "roof-fund".into()),
                ("summary", "".into()),
                ("goal", "2500".into()),
                ("currency", "EUR".into()),
                ("accept", "GBP".into()),
                ("accept", "USD".into()),
                ("starts", "".into()),
                ("ends", "".into()),
                ("beneficiary_name", "Town library".into()),
                ("state", "live".into()),
                ("keep_accepting", "1".into()),
            ];
            v.retain(|(k, _)| !over.iter().any(|(o, _)| o == k));
            v.extend(over.iter().map(|(k, val)| (*k, val.to_string())));
            v
        };
        let send = |fields: Vec<(&'static str, String)>| {
            let (app, owner) = (&app, &owner);
            async move {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_as(app, path, &owner.token, &f).await
            }
        };

        // The checks of `campaign create`, every field at fault marked, the rest as typed.
        let res = send(form(&[
            ("slug", "Not A Slug"),
            ("goal", "lots"),
            ("starts", "2030-02-01"),
            ("ends", "2030-01-01"),
        ]))
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        for id in ["slug-err", "goal-err", "ends-err"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        }
        assert!(html.contains("value=\"Roof fund\"") && html.contains("value=\"Not A Slug\""));
        let res = send(form(&[("slug", "new")])).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("kept for the console")
        );
        let res = send(form(&[("currency", "QQQ")])).await;
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("id=\"currency-err\"")
        );
        let res = send(form(&[("csrf", "stale")])).await;
        assert_eq!(res.status().as_u16(), 422);
        assert_eq!(count(&app.db, "campaigns").await, 1);

        // Created: audited, a first revision, then the editor.
        let res = send(form(&[])).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin/campaigns/roof-fund?created=1");
        let c = repo::by_slug(&app.db, "roof-fund")
            .await
            .expect("db")
            .expect("created");
        assert_eq!(
            (c.goal.amount_minor, c.currency().as_str()),
            (250_000, "EUR")
        );
        let accepted: Vec<&str> = c.accepted.iter().map(|a| a.as_str()).collect();
        assert_eq!(accepted, ["EUR", "GBP", "USD"]);
        assert_eq!(c.state.as_str(), "live");
        let entries = audit::list(&app.db, Some("campaign.created"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].target, "roof-fund");
        let revs = revisions::list(&app.db, &Target::Campaign(c.id.clone()), 10)
            .await
            .expect("revisions");
        assert_eq!(revs.len(), 1);
        let html = page_as(&app, &location(&res), &owner.token).await;
        assert!(html.contains("Campaign created."), "{html}");
        assert!(app.text("/campaigns/roof-fund").await.contains("Roof fund"));

        // The same slug again.
        let res = send(form(&[])).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("already has that name")
        );
        assert_eq!(count(&app.db, "campaigns").await, 2);
        app.stop().await;
    })
    .await;
}
