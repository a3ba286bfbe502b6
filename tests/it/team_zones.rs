//! Members' time zones and languages over real HTTP on both backends: the invitation form
//! offers every zone (the inviter's chosen, marked for the browser's suggestion) and the
//! site's languages, checks them and stores what was chosen; the invited member, once in,
//! schedules in that zone across daylight saving time; the account page changes both;
//! "who is around" names the part of the member's day.

use chrono::{DateTime, Utc};
use shelfraiser::blog::write;
use shelfraiser::console::local_time;
use shelfraiser::db::Db;
use shelfraiser::i18n::I18n;
use shelfraiser::on_db;
use shelfraiser::team::{MemberStatus, Role, audit, repo as team_repo};

use crate::blog_review::{Who, csrf, member, page, post_id, send_editor};
use crate::harness::*;

async fn invite(app: &TestApp, owner: &Who, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = csrf(app, owner, "/admin/members").await;
    let mut form = vec![("csrf", token.as_str()), ("scope", "")];
    form.extend_from_slice(fields);
    post_as(app, "/admin/members", &owner.token, &form).await
}

/// The invitation link's token in the last mail to `to`.
async fn invite_token(db: &Db, base: &str, to: &str) -> String {
    let text: String = on_db!(db, |p| sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE to_addr = $1 ORDER BY created_at DESC LIMIT 1"
    )
    .bind(to)
    .fetch_one(p)
    .await
    .expect("invitation mail"));
    let needle = format!("{base}/invite/");
    let at = text.find(&needle).expect("link") + needle.len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn the_invited_member_gets_the_zone_chosen_and_schedules_in_it() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let owner = member(db, "owner", "Europe/London", Role::Owner, None).await;

        // The form: every zone, grouped, the inviter's chosen; marked for the browser's
        // suggestion (the script is linked); the site's languages.
        let (_, html) = page(&app, &owner, "/admin/members").await;
        assert!(html.contains("<select id=\"invite-zone\" name=\"time_zone\""));
        assert!(html.contains("data-zone-suggest=\"invite-zone-suggested\""));
        assert!(html.contains("<option selected>Europe/London</option>"));
        assert!(
            html.contains("<optgroup label=\"America\">")
                && html.contains("<option>Asia/Kolkata</option>")
        );
        assert!(
            html.contains("/static/zone.")
                && html.contains("<option value=\"da\" lang=\"da\">Dansk</option>")
        );

        // Checked on the server: unknown zones and languages are refused, field marked,
        // the form kept without the suggestion; nobody invited.
        for (fields, marked) in [
            (
                [("time_zone", "Mars/Olympus"), ("language", "en")],
                "invite-zone-err",
            ),
            (
                [("time_zone", "europe/copenhagen"), ("language", "en")],
                "invite-zone-err",
            ),
            (
                [("time_zone", "Europe/Copenhagen"), ("language", "fr")],
                "invite-language-err",
            ),
        ] {
            let mut all = vec![
                ("email", "x@example.org"),
                ("name", "X"),
                ("role", "editor"),
            ];
            all.extend_from_slice(&fields);
            let res = invite(&app, &owner, &all).await;
            assert_eq!(res.status().as_u16(), 422, "{fields:?}");
            let html = res.text().await.expect("body");
            assert!(html.contains(&format!("id=\"{marked}\"")), "{fields:?}");
            assert!(!html.contains("data-zone-suggest"), "{fields:?}");
        }
        assert!(
            team_repo::by_email(db, "x@example.org")
                .await
                .expect("db")
                .is_none()
        );

        // Chosen: stored, and the invitation is in the chosen language.
        let res = invite(
            &app,
            &owner,
            &[
                ("email", "frida@example.org"),
                ("name", "Frida"),
                ("role", "editor"),
                ("time_zone", "Europe/Copenhagen"),
                ("language", "da"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let frida = team_repo::by_email(db, "frida@example.org")
            .await
            .expect("db")
            .expect("invited");
        assert_eq!(
            (frida.time_zone.as_str(), frida.languages.as_str()),
            ("Europe/Copenhagen", "da")
        );
        let da = I18n::new("da");
        let subject: String = on_db!(db, |p| sqlx::query_scalar(
            "SELECT subject FROM outbox WHERE to_addr = $1"
        )
        .bind("frida@example.org")
        .fetch_one(p)
        .await
        .expect("mail"));
        assert_eq!(
            subject,
            da.ta("signin-mail-invite-subject", [("site", da.t("site-name"))])
        );
        // Not sent (an older form): the inviter's zone and language.
        let res = invite(
            &app,
            &owner,
            &[
                ("email", "gus@example.org"),
                ("name", "Gus"),
                ("role", "member"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let gus = team_repo::by_email(db, "gus@example.org")
            .await
            .expect("db")
            .expect("invited");
        assert_eq!(
            (gus.time_zone.as_str(), gus.languages.as_str()),
            ("Europe/London", "en")
        );

        // Frida joins through the link …
        let token = invite_token(db, &app.base, "frida@example.org").await;
        let path = format!("/invite/{token}");
        let form_csrf = hidden_value(&app.text(&path).await, "csrf").expect("csrf");
        let res = app
            .post_form(
                &path,
                &[
                    ("csrf", &form_csrf),
                    ("password", "fridas password"),
                    ("confirm", "fridas password"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        let frida = Who {
            id: frida.id,
            token: session_cookie(&res).expect("signed in"),
        };
        assert_eq!(
            team_repo::by_id(db, &frida.id)
                .await
                .expect("db")
                .expect("m")
                .status,
            MemberStatus::Active
        );
        // … and schedules at 09:00 on her clock: 08:00 UTC in winter (CET), 07:00 UTC in
        // summer (CEST), shown back as 09:00.
        for (local, utc) in [
            ("2031-01-15T09:00", "2031-01-15T08:00:00Z"),
            ("2031-07-15T09:00", "2031-07-15T07:00:00Z"),
        ] {
            let t = csrf(&app, &frida, "/admin/posts/new").await;
            let res = send_editor(
                &app,
                &frida,
                "/admin/posts/new",
                &[
                    ("kind", "note"),
                    ("body", local),
                    ("status", "scheduled"),
                    ("publish_at", local),
                    ("campaign", ""),
                    ("csrf", &t),
                    ("action", "save"),
                ],
            )
            .await;
            assert_eq!(res.status().as_u16(), 303, "{local}");
            let id = post_id(&res);
            let p = write::by_id(db, &id).await.expect("db").expect("post");
            let want: DateTime<Utc> = utc.parse().expect("t");
            assert_eq!(p.published_at, Some(want), "{local}");
            let (_, html) = page(&app, &frida, &format!("/admin/posts/{id}")).await;
            assert!(html.contains(&format!("value=\"{local}\"")), "{local}");
            assert!(html.contains("Europe/Copenhagen"));
        }

        // Gus's invitation page offers the zone chosen for him, and he confirms his own.
        let token = invite_token(db, &app.base, "gus@example.org").await;
        let path = format!("/invite/{token}");
        let html = app.text(&path).await;
        assert!(
            html.contains("<option selected>Europe/London</option>"),
            "{html}"
        );
        assert!(
            html.contains("data-zone-suggest="),
            "the browser's zone is suggested"
        );
        let form_csrf = hidden_value(&html, "csrf").expect("csrf");
        let join = |zone: &'static str| {
            let (app, path, form_csrf) = (&app, path.clone(), form_csrf.clone());
            async move {
                app.post_form(
                    &path,
                    &[
                        ("csrf", form_csrf.as_str()),
                        ("password", "guss password!"),
                        ("confirm", "guss password!"),
                        ("time_zone", zone),
                    ],
                )
                .await
            }
        };
        let res = join("Mars/Olympus").await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(html.contains("Choose a time zone from the list."), "{html}");
        assert!(!html.contains("data-zone-suggest="), "what was sent stays");
        let res = join("Asia/Kolkata").await;
        assert_eq!(res.status().as_u16(), 303, "the link still works");
        let gus = team_repo::by_id(db, &gus.id).await.expect("db").expect("m");
        assert_eq!(
            (gus.status, gus.time_zone.as_str()),
            (MemberStatus::Active, "Asia/Kolkata")
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn members_change_their_zone_and_language_on_the_account_page() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let db = &app.db;
        let m = member(db, "una", "UTC", Role::Member, None).await;
        let (st, html) = page(&app, &m, "/account").await;
        assert_eq!(st, 200);
        assert!(html.contains("action=\"/account/profile\""));
        // Still on the default zone: the browser's is suggested.
        assert!(
            html.contains("data-zone-suggest=\"time_zone-suggested\"")
                && html.contains("/static/zone.")
        );
        let token = hidden_value(&html, "csrf").expect("csrf");

        let save = |zone: &'static str, lang: &'static str, csrf: String| {
            let token = m.token.clone();
            let app = &app;
            async move {
                post_as(
                    app,
                    "/account/profile",
                    &token,
                    &[
                        ("csrf", csrf.as_str()),
                        ("time_zone", zone),
                        ("language", lang),
                    ],
                )
                .await
            }
        };
        let res = save("Mars/Olympus", "da", token.clone()).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            html.contains("id=\"time_zone-err\"")
                && html.contains("Choose a time zone from the list.")
        );
        assert!(!html.contains("data-zone-suggest"), "what was sent stays");
        let res = save("Asia/Kolkata", "xx", token.clone()).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("id=\"language-err\"")
        );
        let res = save("Asia/Kolkata", "da", "1.forged".into()).await;
        assert_eq!(res.status().as_u16(), 422);
        let stored = team_repo::by_id(db, &m.id).await.expect("db").expect("m");
        assert_eq!(
            (stored.time_zone.as_str(), stored.languages.as_str()),
            ("UTC", "en")
        );

        let res = save("Asia/Kolkata", "da", token.clone()).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/account?notice=profile-saved");
        let stored = team_repo::by_id(db, &m.id).await.expect("db").expect("m");
        assert_eq!(
            (stored.time_zone.as_str(), stored.languages.as_str()),
            ("Asia/Kolkata", "da,en")
        );
        let entries = audit::list(db, Some("member.profile_changed"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].detail, "time_zone=Asia/Kolkata languages=da,en");
        let (_, html) = page(&app, &m, "/account?notice=profile-saved").await;
        assert!(html.contains("Your time zone and language are saved."));
        assert!(html.contains("<option selected>Asia/Kolkata</option>"));
        assert!(html.contains("<option value=\"da\" lang=\"da\" selected>Dansk</option>"));
        assert!(
            !html.contains("data-zone-suggest"),
            "a chosen zone is not second-guessed"
        );

        // "Who is around" shows the part of her day by her clock (read around the request,
        // so a change of hour in between is not taken for a fault).
        let before = local_time("Asia/Kolkata", Utc::now());
        let (_, html) = page(&app, &m, "/admin").await;
        let after = local_time("Asia/Kolkata", Utc::now());
        if before.part == after.part {
            let shown = format!("<span class=\"part-{}\">", before.part.as_str());
            assert!(html.contains(&shown), "{shown}");
            assert!(html.contains(&format!("{} · Asia/Kolkata", before.abbr)));
        }
        app.stop().await;
    })
    .await;
}
