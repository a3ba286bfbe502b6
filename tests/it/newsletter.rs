//! E-mail updates (issue 15): the updates form asks for a news consent confirmed by mail (the
//! same answer for a new, a waiting and a subscribed address); a campaign post published goes
//! to every confirmed subscriber once — in their language, with `List-Unsubscribe` and
//! `List-Unsubscribe-Post` — and never again (an edit, an unpublish and publish again); the
//! one-click POST from a mail program unsubscribes without a cookie or a form token; a site
//! post and a draft go to no one (protected posts and pages are never sent either).

use shelfraiser::blog::repo::{PostKind, PostStatus};
use shelfraiser::blog::write::{self as blog_write, NewPost};
use shelfraiser::donations::receipts::Receipts;
use shelfraiser::team::audit::Actor;

use crate::harness::*;
use crate::privacy::{link_in, outbox};
use crate::receipts::settle_with;
use crate::team_harness::public_csrf;

const SLUG: &str = "lib";

/// Every due job, the outbound ones (the blog's post_changed) included, until none is left.
async fn run_jobs(app: &TestApp) {
    let s = &app.state;
    let rc = Receipts::new(&s.settings, app.db.clone(), s.mailer.clone(), &app.base);
    let out = shelfraiser::outbound::Outbound::new::<&str>(&[], &app.base).expect("outbound");
    let handlers = shelfraiser::app::job_handlers_outbound(
        shelfraiser::app::job_handlers_with(rc),
        out,
        &app.base,
    );
    settle_with(app, &handlers).await;
}

/// The `.eml` files written for `to`.
fn emls_to(app: &TestApp, to: &str) -> Vec<String> {
    let dir = app.state.settings.data_dir.join("outbox");
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("eml"))
                .filter(|m| m.contains(&format!("To: {to}")))
                .collect()
        })
        .unwrap_or_default()
}

async fn subscribe(app: &TestApp, email: &str, lang: &str) -> reqwest::Response {
    let csrf = public_csrf(app, &format!("/campaigns/{SLUG}/updates")).await;
    app.client
        .post(app.url(&format!("/campaigns/{SLUG}/updates")))
        .header("accept-language", lang)
        .form(&[("csrf", csrf.as_str()), ("email", email)])
        .send()
        .await
        .expect("POST")
}

async fn confirm(app: &TestApp, email: &str) {
    let mails = outbox(&app.db).await;
    let ask = mails
        .iter()
        .rev()
        .find(|(to, _, text)| to == email && text.contains("/privacy/consent/confirm?t="))
        .unwrap_or_else(|| panic!("a confirm mail to {email}: {mails:?}"));
    let link = link_in(&ask.2, "/privacy/consent/confirm?t=");
    let t = link.split("t=").nth(1).expect("token").to_string();
    let csrf = public_csrf(app, &link).await;
    let res = app
        .post_form("/privacy/consent/confirm", &[("csrf", &csrf), ("t", &t)])
        .await;
    assert_eq!(res.status().as_u16(), 200);
}

async fn post(app: &TestApp, title: &str, campaign: Option<String>, publish: bool) -> String {
    let mut p = NewPost::draft(PostKind::Article, title, "The **roof** is on. Thank you!");
    if publish {
        p.status = PostStatus::Published;
    }
    p.campaign_id = campaign;
    blog_write::create(&app.db, &p, &Actor::cli())
        .await
        .expect("create")
        .id
}

#[tokio::test]
async fn campaign_updates_reach_confirmed_subscribers_once_and_one_click_stops_them() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, SLUG).await;
        let app = TestApp::start(settings(&tdb)).await;

        // The campaign page links the form; the form asks for an address.
        let page = app.text(&format!("/campaigns/{SLUG}")).await;
        assert!(page.contains(&format!("href=\"/campaigns/{SLUG}/updates\"")));
        let form = app.text(&format!("/campaigns/{SLUG}/updates")).await;
        assert!(form.contains("Send me the updates"), "{form}");

        // A mistyped address is shown back with the reason; nothing stored.
        let res = subscribe(&app, "not-an-address", "en").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("value=\"not-an-address\"")
        );
        assert_eq!(count(&app.db, "consents").await, 0);

        // Two readers, one Danish; a third never confirms.
        for (email, lang) in [
            ("ann@example.org", "en"),
            ("bo@example.org", "da"),
            ("cy@example.org", "en"),
        ] {
            let res = subscribe(&app, email, lang).await;
            assert_eq!(res.status().as_u16(), 200);
        }
        run_jobs(&app).await;
        confirm(&app, "ann@example.org").await;
        confirm(&app, "bo@example.org").await;
        // Asking again answers alike and sends no second confirm mail for a subscriber.
        let before = outbox(&app.db).await.len();
        let res = subscribe(&app, "ann@example.org", "en").await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("If the address is not on the list")
        );
        run_jobs(&app).await;
        assert_eq!(outbox(&app.db).await.len(), before);

        // A site post and a draft go to no one.
        post(&app, "Site news", None, true).await;
        let draft = post(&app, "Draft", Some(c.id.clone()), false).await;
        run_jobs(&app).await;
        assert_eq!(outbox(&app.db).await.len(), before);

        // A campaign post published without e-mail ("E-mail it …" unticked) goes to no one.
        let mut quiet = NewPost::draft(PostKind::Article, "Quiet note", "Only on the site.");
        quiet.status = PostStatus::Published;
        quiet.campaign_id = Some(c.id.clone());
        quiet.mail_subscribers = false;
        blog_write::create(&app.db, &quiet, &Actor::cli())
            .await
            .expect("create");
        run_jobs(&app).await;
        assert_eq!(outbox(&app.db).await.len(), before, "published only");

        // The campaign's update: once to each confirmed subscriber, in their language.
        let id = post(&app, "The roof is on", Some(c.id.clone()), true).await;
        run_jobs(&app).await;
        let mails = outbox(&app.db).await;
        let updates: Vec<_> = mails[before..].to_vec();
        assert_eq!(updates.len(), 2, "{updates:?}");
        let to_ann = updates
            .iter()
            .find(|(to, _, _)| to == "ann@example.org")
            .expect("to ann");
        assert_eq!(to_ann.1, "Test library: The roof is on");
        assert!(to_ann.2.contains("The **roof** is on."), "{}", to_ann.2);
        assert!(to_ann.2.contains(&format!("/posts/{id}")));
        assert!(to_ann.2.contains("Stop these updates"));
        let to_bo = updates
            .iter()
            .find(|(to, _, _)| to == "bo@example.org")
            .expect("to bo");
        assert!(to_bo.2.contains("Stop disse opdateringer"), "{}", to_bo.2);
        assert!(!updates.iter().any(|(to, _, _)| to == "cy@example.org"));
        // The message carries the list headers (RFC 2369, RFC 8058).
        let eml = emls_to(&app, "ann@example.org")
            .into_iter()
            .find(|m| m.contains("The roof is on"))
            .expect("the .eml");
        assert!(eml.contains("List-Unsubscribe: <http"), "{eml}");
        assert!(eml.contains("/privacy/consent/unsubscribe?t="), "{eml}");
        assert!(
            eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{eml}"
        );

        // Edited, unpublished and published again: nothing more.
        blog_write::unpublish(&app.db, &id, &Actor::cli())
            .await
            .expect("unpublish");
        blog_write::publish(&app.db, &id, &Actor::cli())
            .await
            .expect("publish");
        blog_write::publish(&app.db, &draft, &Actor::cli())
            .await
            .expect("publish the draft");
        run_jobs(&app).await;
        let after_draft = outbox(&app.db).await;
        assert_eq!(
            after_draft.len(),
            before + 4,
            "only the draft, now published, went out"
        );

        // One click in Ann's mail program: a POST with no cookie and no form token.
        let one_click = link_in(&to_ann.2, "/privacy/consent/unsubscribe?t=");
        let res = app
            .client
            .post(app.url(&one_click))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 200);
        // A made-up token is not found; the address opened in a browser shows the page.
        let res = app
            .client
            .post(app.url("/privacy/consent/unsubscribe?t=nope.nope"))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(app.get(&one_click).await.status().as_u16(), 200);

        post(&app, "Shelves arrive", Some(c.id.clone()), true).await;
        run_jobs(&app).await;
        let last: Vec<_> = outbox(&app.db).await[after_draft.len()..].to_vec();
        assert_eq!(last.len(), 1, "{last:?}");
        assert_eq!(last[0].0, "bo@example.org");
        app.stop().await;
    })
    .await;
}
