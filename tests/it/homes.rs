//! What the tables' homes offer the rest of the code (ARCHITECTURE.md, "Tables and their
//! homes"): the site settings' typed API (`db`), the comment moderation queue, counts and
//! block list (`blog::comments`), grant changes that keep an owner (`team::grants`), the
//! kept mail (`mail::kept`), an image's dimensions (`media`), and the campaign editor's
//! currency rule fed by the donations' answer.

use chrono::{Duration, Utc};
use shelfraiser::blog::comments::{self, Moderation, NewComment};
use shelfraiser::blog::likes;
use shelfraiser::blog::write::{self, CommentStatus, NewPost, PostKind, PostStatus};
use shelfraiser::campaigns::{Campaign, CampaignUpdate, repo as campaigns};
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;
use shelfraiser::donations::offline::{self, OfflineInput};
use shelfraiser::email::Email;
use shelfraiser::mail::{self, Mailer, Message};
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::team::audit::Actor;
use shelfraiser::team::grants::{self, ChangeError};
use shelfraiser::team::repo::{self as team, NewMember};
use shelfraiser::team::{Member, MemberStatus, Role};

use crate::harness::*;

#[tokio::test]
async fn site_settings_are_typed_claimed_and_forgotten() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let get = |k: &'static str| async move { db.setting(k).await.expect("db") };
        assert_eq!(get("comment_rate_limit").await, None);
        db.set_setting("comment_rate_limit", 7).await.expect("set");
        let limit = || async { db.setting_as::<i64>("comment_rate_limit").await };
        assert_eq!(limit().await.expect("db"), Some(7));
        db.set_setting("comment_rate_limit", " 9\n")
            .await
            .expect("set");
        assert_eq!(limit().await.expect("db"), Some(9));
        db.set_setting("comment_rate_limit", "many")
            .await
            .expect("set");
        assert_eq!(limit().await.expect("db"), None, "unparsable: the default");
        assert_eq!(get("comment_rate_limit").await.as_deref(), Some("many"));

        // Inside a transaction: kept only when it commits.
        let mut tx = db.begin().await.expect("begin");
        tx.set_setting("require_2fa", true).await.expect("set");
        drop(tx);
        assert_eq!(get("require_2fa").await, None);
        let mut tx = db.begin().await.expect("begin");
        tx.set_setting("require_2fa", true).await.expect("set");
        tx.commit().await.expect("commit");
        assert_eq!(get("require_2fa").await.as_deref(), Some("true"));
        let required = db.setting_as::<bool>("require_2fa").await.expect("db");
        assert_eq!(required, Some(true));

        // A claim holds for its window, per key.
        let t0 = Utc::now();
        let hour = Duration::hours(1);
        let claim = |key: &'static str, at: chrono::DateTime<Utc>| async move {
            db.claim_setting(key, at, at - hour).await.expect("claim")
        };
        assert!(claim("alert:a", t0).await);
        assert!(!claim("alert:a", t0 + Duration::minutes(10)).await);
        assert!(claim("alert:b", t0 + Duration::minutes(10)).await);
        assert!(claim("alert:a", t0 + Duration::minutes(61)).await);

        // Forgetting by prefix: `_` and `%` in it are plain characters.
        let keys = [
            "like_salt:2024-01-01",
            "like_salt:2024-01-02",
            "like_salt:2024-01-03",
            "likeXsalt:2024-01-01",
            "like_salt",
            "csrf_key",
        ];
        for k in keys {
            db.set_setting(k, "v").await.expect("set");
        }
        let keep = ["like_salt:2024-01-03", "like_salt:2024-01-02"];
        db.forget_settings("like_salt:", &keep)
            .await
            .expect("forget");
        let mut left = Vec::new();
        for k in keys {
            if get(k).await.is_some() {
                left.push(k);
            }
        }
        assert_eq!(
            left,
            [
                "like_salt:2024-01-02",
                "like_salt:2024-01-03",
                "likeXsalt:2024-01-01",
                "like_salt",
                "csrf_key"
            ]
        );
        db.forget_settings("like%", &[]).await.expect("forget");
        assert!(
            get("like_salt:2024-01-02").await.is_some(),
            "% is no wildcard"
        );
    })
    .await;
}

#[tokio::test]
async fn likes_keep_todays_and_yesterdays_salt_only() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2024, 3, d).expect("date");
        let first = likes::daily_salt(db, day(1)).await.expect("salt");
        assert_eq!(likes::daily_salt(db, day(1)).await.expect("salt"), first);
        likes::daily_salt(db, day(2)).await.expect("salt");
        let third = likes::daily_salt(db, day(3)).await.expect("salt");
        assert_ne!(first, third);
        let stored = |d: u32| async move {
            db.setting(&format!("like_salt:{}", day(d)))
                .await
                .expect("db")
        };
        assert_eq!(stored(1).await, None, "older days' salts are forgotten");
        assert!(stored(2).await.is_some(), "yesterday's stays");
        assert_eq!(stored(3).await, Some(third));
    })
    .await;
}

async fn comment(db: &Db, post_id: &str, status: Moderation, body: &str) -> String {
    comments::insert(
        db,
        &NewComment {
            post_id: post_id.into(),
            parent_id: None,
            status,
            author_name: "Reader".into(),
            author_email: Some("reader@example.org".into()),
            author_url: None,
            member_id: None,
            body: body.into(),
            ip: None,
            user_agent: None,
        },
    )
    .await
    .expect("comment")
}

#[tokio::test]
async fn the_moderation_queue_lists_by_state_with_its_posts() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let mut n = NewPost::draft(PostKind::Article, "Roof fund", "Tiles.");
        n.status = PostStatus::Published;
        n.published_at = Some(Utc::now() - Duration::hours(1));
        let post = write::create(db, &n, &Actor::cli()).await.expect("post");
        let older = comment(db, &post.id, Moderation::Pending, "first").await;
        let newer = comment(db, &post.id, Moderation::Pending, "second").await;
        comment(db, &post.id, Moderation::Approved, "third").await;
        let spam = comment(db, &post.id, Moderation::Spam, "fourth").await;

        let pending = comments::moderation_queue(db, Moderation::Pending, 10, 0)
            .await
            .expect("queue");
        let ids: Vec<&str> = pending.iter().map(|q| q.comment.id.as_str()).collect();
        assert_eq!(ids, [newer.as_str(), older.as_str()], "newest first");
        let q = &pending[0];
        assert_eq!(q.comment.status, Moderation::Pending);
        assert_eq!(q.post.id, post.id);
        assert_eq!(
            (q.post.kind, q.post.status, q.post.comment_status),
            (
                PostKind::Article,
                PostStatus::Published,
                CommentStatus::Open
            )
        );
        assert_eq!(q.post.title, "Roof fund");
        assert!(q.post.is_public());
        let page2 = comments::moderation_queue(db, Moderation::Pending, 1, 1)
            .await
            .expect("queue");
        assert_eq!(page2.len(), 1);
        assert_eq!(page2[0].comment.id, older);
        let spammed = comments::moderation_queue(db, Moderation::Spam, 10, 0)
            .await
            .expect("queue");
        assert_eq!(spammed.len(), 1);
        assert_eq!(spammed[0].comment.id, spam);

        let mut counts = comments::moderation_counts(db).await.expect("counts");
        counts.sort_by_key(|(m, _)| m.as_str());
        assert_eq!(
            counts,
            [
                (Moderation::Approved, 1),
                (Moderation::Pending, 2),
                (Moderation::Spam, 1)
            ]
        );
        let was = comments::set_status(db, &older, Moderation::Trash)
            .await
            .expect("trash");
        assert_eq!(was, Some(Moderation::Pending));

        assert_eq!(comments::blocklist(db).await.expect("db"), "");
        let entries = comments::set_blocklist(db, "casino\r\n# a note\nPILLS\r\n")
            .await
            .expect("set");
        assert_eq!(entries, 2);
        assert_eq!(
            comments::blocklist(db).await.expect("db"),
            "casino\n# a note\nPILLS\n"
        );
    })
    .await;
}

async fn owner(db: &Db, name: &str) -> Member {
    let m = team::create(
        db,
        &NewMember {
            email: Email::parse(&format!("{name}@example.org")).expect("email"),
            display_name: name.into(),
            time_zone: "UTC".into(),
            languages: "en".into(),
            status: MemberStatus::Active,
        },
    )
    .await
    .expect("member");
    team::add_grant(db, &m.id, Role::Owner, None)
        .await
        .expect("grant");
    team::by_id(db, &m.id).await.expect("db").expect("member")
}

#[tokio::test]
async fn grant_changes_keep_an_owner() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let by = Actor::cli();
        let a = owner(db, "ada").await;
        let last = grants::change(db, &a, Role::Owner, None, false, &by, "d").await;
        assert!(matches!(last, Err(ChangeError::LastOwner)));
        let last = grants::remove_member(db, &a, &by).await;
        assert!(matches!(last, Err(ChangeError::LastOwner)));
        assert!(
            team::by_id(db, &a.id)
                .await
                .expect("db")
                .expect("a")
                .has_role(Role::Owner)
        );

        // A campaign-scoped or other role changes freely; a repeat changes nothing.
        let c = seed_campaign(db, "roof").await;
        let add = grants::change(db, &a, Role::Editor, Some(&c.id), true, &by, "d");
        assert!(add.await.expect("add"));
        let again = grants::change(db, &a, Role::Editor, Some(&c.id), true, &by, "d");
        assert!(!again.await.expect("again"));

        let b = team::create(
            db,
            &NewMember {
                email: Email::parse("bo@example.org").expect("email"),
                display_name: "Bo".into(),
                time_zone: "UTC".into(),
                languages: "en".into(),
                status: MemberStatus::Active,
            },
        )
        .await
        .expect("member");
        let promote = grants::change(db, &b, Role::Owner, None, true, &by, "d").await;
        assert!(promote.expect("promote"));
        let demote = grants::change(db, &a, Role::Owner, None, false, &by, "d").await;
        assert!(demote.expect("demote"));
        assert_eq!(grants::remove_member(db, &a, &by).await.expect("remove"), 0);
        let a = team::by_id(db, &a.id).await.expect("db").expect("a");
        assert_eq!(a.status, MemberStatus::Removed);
        let b = team::by_id(db, &b.id).await.expect("db").expect("b");
        let last = grants::remove_member(db, &b, &by).await;
        assert!(matches!(last, Err(ChangeError::LastOwner)));
        let actions = shelfraiser::team::audit::list(db, None, None, 50, 0)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect::<Vec<_>>();
        assert_eq!(
            actions,
            [
                "member.removed",
                "member.role_removed",
                "member.role_added",
                "member.role_added"
            ]
        );
        assert_eq!(team::count(db).await.expect("count"), 2);
    })
    .await;
}

#[tokio::test]
async fn the_outbox_lists_kept_mail_newest_first() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let mailer = Mailer::new(&settings(&tdb), db.clone()).expect("mailer");
        for subject in ["First", "Second"] {
            mailer
                .send(&Message {
                    to: Email::parse("reader@example.org").expect("email"),
                    subject: subject.into(),
                    text: "Hello".into(),
                    html: "<p>Hello</p>".into(),
                    attachments: if subject == "Second" {
                        vec![mail::Attachment {
                            name: "note.txt".into(),
                            content_type: "text/plain".into(),
                            bytes: b"hello".to_vec(),
                        }]
                    } else {
                        Vec::new()
                    },
                })
                .await
                .expect("send");
        }
        let all = mail::kept(db, 10, 0).await.expect("kept");
        let subjects: Vec<&str> = all.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["Second", "First"]);
        assert!(all.iter().all(|m| m.sent_at.is_some() && m.error.is_none()));
        // An attachment is listed in the outbox and sent in the message (here its .eml file).
        assert_eq!(all[0].attachments, "note.txt (text/plain, 5 bytes)");
        assert_eq!(all[1].attachments, "");
        let emls: Vec<String> = std::fs::read_dir(tdb.data_dir().join("outbox"))
            .expect("outbox folder")
            .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("eml"))
            .collect();
        assert_eq!(
            emls.iter()
                .filter(|e| e.contains("Content-Disposition: attachment; filename=\"note.txt\""))
                .count(),
            1
        );
        assert_eq!(all[0].to_addr, "reader@example.org");
        let second_page = mail::kept(db, 1, 1).await.expect("kept");
        assert_eq!(second_page.len(), 1);
        assert_eq!(second_page[0].subject, "First");
    })
    .await;
}

/// The campaign as an editor's update, with its goal in `currency`.
fn update_of(c: &Campaign, currency: &str) -> CampaignUpdate {
    CampaignUpdate {
        slug: c.slug.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        story_md: c.story_md.clone(),
        goal: Money::new(
            c.goal.amount_minor,
            CurrencyCode::parse(currency).expect("code"),
        ),
        accepted: c.accepted.clone(),
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        beneficiary_name: c.beneficiary_name.clone(),
        beneficiary_place: c.beneficiary_place.clone(),
        cover_image_url: c.cover_image_url.clone(),
        cover_image_alt: c.cover_image_alt.clone(),
        state: c.state,
        keep_accepting: c.keep_accepting,
        featured: c.featured,
        milestones: Vec::new(),
    }
}

/// The editor's write: the campaign taken for editing, then the donations asked.
async fn edit(db: &Db, c: &Campaign, u: &CampaignUpdate) -> Result<i64, campaigns::UpdateError> {
    let mut tx = db.begin().await?;
    let editing = campaigns::begin_edit_in(&mut tx, &c.id).await?;
    let has_money = editing.changes_currency(u) && ledger::has_money_in(&mut tx, &c.id).await?;
    let done = campaigns::update_in(&mut tx, editing, has_money, u, None, None).await?;
    tx.commit().await?;
    Ok(done.version)
}

#[tokio::test]
async fn a_campaigns_currency_is_fixed_once_the_donations_report_money() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let c = seed_campaign(db, "roof").await;
        assert!(!ledger::has_money(db, &c.id).await.expect("db"));
        let eur = update_of(&c, "EUR");
        let v1 = edit(db, &c, &eur)
            .await
            .expect("no money yet: free to change");
        let c = campaigns::by_id(db, &c.id).await.expect("db").expect("c");
        assert_eq!(c.currency().as_str(), "EUR");
        offline::add(
            db,
            &c,
            &OfflineInput {
                amount: "10".into(),
                currency: "EUR".into(),
                donor: Some("Giver".into()),
                visibility: "public".into(),
                reference: Some("R-1".into()),
                ..Default::default()
            },
            &Actor::cli(),
        )
        .await
        .expect("donation");
        assert!(ledger::has_money(db, &c.id).await.expect("db"));
        let refused = edit(db, &c, &update_of(&c, "GBP")).await;
        assert!(matches!(
            refused,
            Err(campaigns::UpdateError::CurrencyLocked)
        ));
        let c = campaigns::by_id(db, &c.id).await.expect("db").expect("c");
        assert_eq!(c.currency().as_str(), "EUR", "nothing written");
        // The same currency still saves, and bumps the version.
        let mut same = update_of(&c, "EUR");
        same.title = "New title".into();
        let v2 = edit(db, &c, &same).await.expect("same currency");
        assert!(v2 > v1);
        let missing = Campaign {
            id: "nope".into(),
            ..c.clone()
        };
        assert!(matches!(
            edit(db, &missing, &same).await,
            Err(campaigns::UpdateError::NotFound)
        ));
    })
    .await;
}
