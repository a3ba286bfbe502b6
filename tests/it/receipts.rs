//! Receipts on both backends: a donation with an e-mail address sends exactly one thank-you
//! mail with the receipt PDF attached (read back with a PDF parser), a replayed callback
//! sends nothing more, numbers run 1, 2, 3 … per campaign (also under concurrent donations)
//! and independently between campaigns, the signed download link works and a tampered one
//! answers like an unknown donation, a Danish donor gets a Danish receipt with the locked
//! rate, and an offline gift with an address gets one too, which a treasurer can resend.

use base64::Engine;
use chrono::Utc;
use shelfraiser::db::Db;
use shelfraiser::donations::receipts::Receipts;
use shelfraiser::i18n::I18n;
use shelfraiser::jobs;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::team::Role;

use crate::harness::{
    TestApp, each_backend, hidden_value, location, post_callback, seed_campaign, settings, sign,
    succeeded_body,
};
use crate::team_harness::{audit_count, team_member};

/// Runs every due job with the receipt handler (as the node's worker does) and waits until
/// none is left undone: the node's own worker may have claimed one first.
pub(crate) async fn run_jobs(app: &TestApp) {
    let s = &app.state;
    let rc = Receipts::new(&s.settings, app.db.clone(), s.mailer.clone(), &app.base);
    settle_with(app, &shelfraiser::app::job_handlers_with(rc)).await;
}

/// Runs every due job with `handlers` until none is left undone (retried while the node's
/// own worker holds one).
pub(crate) async fn settle_with(app: &TestApp, handlers: &jobs::Handlers) {
    for _ in 0..100 {
        jobs::run_due(&app.db, handlers, Utc::now())
            .await
            .expect("run jobs");
        let left = jobs::list(&app.db)
            .await
            .expect("jobs")
            .iter()
            .filter(|j| j.done_at.is_none() && j.last_error.is_none())
            .count();
        if left == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("jobs still running after 10 s");
}

/// Opens a checkout with an e-mail address (in `lang` when given); returns the session id.
async fn open(
    app: &TestApp,
    slug: &str,
    amount: &str,
    currency: &str,
    lang: Option<&str>,
) -> String {
    let token = app.csrf(slug).await;
    let mut req = app
        .client
        .post(app.url(&format!("/campaigns/{slug}/donate")));
    if let Some(l) = lang {
        req = req.header("cookie", format!("lang={l}"));
    }
    let res = req
        .form(&[
            ("amount", amount),
            ("currency", currency),
            ("name", "Ada Lovelace"),
            ("email", "ada@example.org"),
            ("message", ""),
            ("visibility", "public"),
            ("csrf", &token),
        ])
        .send()
        .await
        .expect("donate");
    assert_eq!(
        res.status().as_u16(),
        303,
        "donate redirects to the checkout"
    );
    location(&res)
        .strip_prefix("/test-checkout/")
        .expect("test checkout")
        .to_string()
}

/// Pays a session through the signed callback; returns the donation id.
async fn pay(app: &TestApp, session: &str, reference: &str, minor: i64, currency: &str) -> String {
    let body = succeeded_body(session, reference, minor, currency);
    let res = post_callback(app, &body, &sign(&body)).await;
    assert!(res.status().is_success(), "callback: {}", res.status());
    let v: serde_json::Value = res.json().await.expect("json");
    v["donation_id"].as_str().expect("donation id").to_string()
}

/// (to, subject, text body, attachments) of every kept message, oldest first.
pub(crate) async fn outbox(db: &Db) -> Vec<(String, String, String, String)> {
    let sql = "SELECT to_addr, subject, text_body, attachments FROM outbox ORDER BY created_at";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.expect("outbox"),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.expect("outbox"),
    }
}

/// The receipt numbers of a campaign, in order.
async fn numbers(db: &Db, campaign_id: &str) -> Vec<i64> {
    let sql = "SELECT number FROM receipts WHERE campaign_id = $1 ORDER BY number";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).bind(campaign_id).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(campaign_id).fetch_all(p).await,
    }
    .expect("numbers")
}

/// The PDFs attached to the `.eml` files of the outbox folder (base64 parts after an
/// `application/pdf` header).
pub(crate) fn attached_pdfs(app: &TestApp) -> Vec<Vec<u8>> {
    let dir = app.state.settings.data_dir.join("outbox");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("outbox folder") {
        let eml = std::fs::read_to_string(entry.expect("entry").path()).expect("eml");
        let eml = eml.replace("\r\n", "\n");
        for part in eml.split("Content-Type: application/pdf").skip(1) {
            let (_, body) = part.split_once("\n\n").expect("part body");
            let b64: String = body
                .lines()
                .take_while(|l| !l.starts_with("--") && !l.is_empty())
                .collect();
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .expect("base64 attachment"),
            );
        }
    }
    out
}

/// The text of a PDF's pages.
pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let doc = lopdf::Document::load_mem(bytes).expect("PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("PDF text")
}

/// The receipt link in a mail's text body.
fn link_in(text: &str) -> String {
    let at = text.find("/receipts/").expect("receipt link in the mail");
    let end = text[at..]
        .find(char::is_whitespace)
        .map_or(text.len(), |e| at + e);
    text[at..end].to_string()
}

#[tokio::test]
async fn a_donation_sends_one_receipt_with_its_pdf_and_a_replay_sends_nothing() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let session = open(&app, "lib", "12.50", "GBP", None).await;
        let id = pay(&app, &session, "pay_1", 1250, "GBP").await;
        run_jobs(&app).await;
        // The same payment again, as a provider retries: nothing more is sent.
        let again = pay(&app, &session, "pay_1", 1250, "GBP").await;
        assert_eq!(again, id);
        run_jobs(&app).await;

        let mails = outbox(&app.db).await;
        assert_eq!(mails.len(), 1, "exactly one receipt mail: {mails:?}");
        let (to, subject, text, attachments) = &mails[0];
        assert_eq!(to, "ada@example.org");
        assert!(subject.contains("LIB-000001"), "{subject}");
        assert!(
            attachments.contains("receipt-LIB-000001.pdf (application/pdf"),
            "{attachments}"
        );
        let pdfs = attached_pdfs(&app);
        assert_eq!(pdfs.len(), 1);
        let words = pdf_text(&pdfs[0]);
        let amount = I18n::new("en").money(Money::new(1250, c.currency()));
        assert!(words.contains("LIB-000001"), "number in the PDF: {words}");
        assert!(words.contains(&amount), "{amount} in the PDF: {words}");
        assert!(words.contains("Ada Lovelace"), "{words}");
        assert!(words.contains("Test library"), "{words}");
        assert_eq!(numbers(&app.db, &c.id).await, vec![1]);

        // The link in the mail downloads the same receipt again, privately.
        let link = link_in(text);
        assert!(link.starts_with(&format!("/receipts/{id}?t=")), "{link}");
        let res = app.get(&link).await;
        assert_eq!(res.status().as_u16(), 200);
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(
            h["content-disposition"],
            "attachment; filename=\"receipt-LIB-000001.pdf\""
        );
        assert_eq!(h["cache-control"], "private, no-store");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let body = res.bytes().await.expect("pdf");
        assert!(pdf_text(&body).contains("LIB-000001"));

        // The thank-you page offers the same link.
        let thanks = app.text(&format!("/campaigns/lib/thanks/{id}")).await;
        assert!(
            thanks.contains(&link.replace('&', "&amp;")),
            "link on the thank-you page"
        );

        // A tampered or missing token, or the token on another id: 404 alike.
        let (path, token) = link.split_once("?t=").expect("token");
        let mut bad = token.to_string();
        let last = if bad.ends_with('0') { "1" } else { "0" };
        bad.replace_range(bad.len() - 1.., last);
        for wrong in [
            format!("{path}?t={bad}"),
            path.to_string(),
            format!("{path}?t=zz"),
            format!("/receipts/{}?t={token}", uuid::Uuid::new_v4()),
        ] {
            let res = app.get(&wrong).await;
            assert_eq!(res.status().as_u16(), 404, "{wrong}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn numbers_run_per_campaign_without_gaps_under_concurrent_donations() {
    each_backend(|tdb| async move {
        let a = seed_campaign(&tdb.db, "alpha").await;
        let b = seed_campaign(&tdb.db, "beta").await;
        let app = TestApp::start(settings(&tdb)).await;
        let mut sessions = Vec::new();
        for i in 0..6 {
            let slug = if i == 2 { "beta" } else { "alpha" };
            sessions.push((slug, open(&app, slug, "5", "GBP", None).await));
        }
        let pays = sessions.iter().enumerate().map(|(i, (_, s))| {
            let app = &app;
            async move { pay(app, s, &format!("pay_{i}"), 500, "GBP").await }
        });
        futures_util::future::join_all(pays).await;
        assert_eq!(numbers(&app.db, &a.id).await, vec![1, 2, 3, 4, 5]);
        assert_eq!(numbers(&app.db, &b.id).await, vec![1]);
        run_jobs(&app).await;
        let mut subjects: Vec<String> = outbox(&app.db).await.into_iter().map(|m| m.1).collect();
        subjects.sort();
        assert_eq!(subjects.len(), 6);
        for n in 1..=5 {
            let want = format!("ALPHA-{n:06}");
            assert_eq!(subjects.iter().filter(|s| s.contains(&want)).count(), 1);
        }
        assert_eq!(
            subjects
                .iter()
                .filter(|s| s.contains("BETA-000001"))
                .count(),
            1
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_danish_donor_gets_a_danish_receipt_with_the_locked_rate() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let session = open(&app, "lib", "100", "DKK", Some("da")).await;
        pay(&app, &session, "pay_da", 10_000, "DKK").await;
        run_jobs(&app).await;
        let mails = outbox(&app.db).await;
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0].1.starts_with("Din kvittering LIB-000001"),
            "{}",
            mails[0].1
        );
        let words = pdf_text(&attached_pdfs(&app)[0]);
        let da = I18n::new("da");
        let dkk = CurrencyCode::parse("DKK").expect("DKK");
        assert!(words.contains("Kvittering for donation"), "{words}");
        assert!(
            words.contains(&da.money(Money::new(10_000, dkk))),
            "{words}"
        );
        assert!(words.contains("1 DKK = "), "the locked rate: {words}");
        assert!(words.contains("GBP"), "{words}");
        assert_eq!(c.currency().as_str(), "GBP");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_offline_gift_gets_a_receipt_and_a_treasurer_can_resend_it() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        let input = shelfraiser::donations::offline::OfflineInput {
            amount: "40".into(),
            currency: "GBP".into(),
            donor: Some("Grace".into()),
            email: Some("grace@example.org".into()),
            visibility: "public".into(),
            ..Default::default()
        };
        let who = shelfraiser::team::audit::Actor::default();
        let gift = shelfraiser::donations::offline::add(&app.db, &c, &input, &who)
            .await
            .expect("offline gift");
        let id = gift.recorded.donation_id().to_string();
        run_jobs(&app).await;
        let mails = outbox(&app.db).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].0, "grace@example.org");
        let words = pdf_text(&attached_pdfs(&app)[0]);
        assert!(
            words.contains("LIB-000001") && words.contains("Grace"),
            "{words}"
        );

        // The console shows the number and resends on the treasurer's button.
        let treasurer = team_member("t")
            .role(Role::Treasurer)
            .signed_in(&app.db)
            .await;
        let editor = team_member("e").role(Role::Editor).signed_in(&app.db).await;
        let page_path = format!("/admin/donations/{id}");
        let page = treasurer.page(&app, &page_path).await;
        assert!(page.contains("LIB-000001"));
        assert!(page.contains(&format!("/admin/donations/{id}/receipt")));
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let path = format!("/admin/donations/{id}/receipt");
        // Without a valid token, or for an editor: nothing is queued.
        let res = treasurer.post(&app, &path, &[("csrf", "nope")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let res = editor.post(&app, &path, &[("csrf", &csrf)]).await;
        assert_eq!(res.status().as_u16(), 403);
        run_jobs(&app).await;
        assert_eq!(outbox(&app.db).await.len(), 1);
        let res = treasurer.post(&app, &path, &[("csrf", &csrf)]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), format!("{page_path}?receipt=1"));
        assert_eq!(audit_count(&app.db, "donation.receipt_resent").await, 1);
        run_jobs(&app).await;
        let mails = outbox(&app.db).await;
        assert_eq!(mails.len(), 2, "sent again");
        assert!(mails[1].1.contains("LIB-000001"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_offline_receipt_is_in_the_treasurers_language() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        // Without Stripe the donate form offers no monthly gifts.
        let page = app.text("/campaigns/lib").await;
        assert!(!page.contains(r#"name="frequency""#));
        let danish = team_member("da")
            .role(Role::Treasurer)
            .languages("da, en")
            .signed_in(&app.db)
            .await;
        let input = shelfraiser::donations::offline::OfflineInput {
            amount: "40".into(),
            currency: "GBP".into(),
            donor: Some("Grete".into()),
            email: Some("grete@example.org".into()),
            visibility: "public".into(),
            ..Default::default()
        };
        let who = shelfraiser::team::audit::Actor {
            member_id: Some(danish.member.id.clone()),
            label: danish.member.email.clone(),
            ..Default::default()
        };
        shelfraiser::donations::offline::add(&app.db, &c, &input, &who)
            .await
            .expect("offline gift");
        // From the command line (no member): English, the site's default.
        let cli = shelfraiser::donations::offline::OfflineInput {
            email: Some("ed@example.org".into()),
            ..input
        };
        shelfraiser::donations::offline::add(&app.db, &c, &cli, &Default::default())
            .await
            .expect("offline gift");
        run_jobs(&app).await;
        let subjects: Vec<(String, String)> = outbox(&app.db)
            .await
            .into_iter()
            .map(|(to, subject, _, _)| (to, subject))
            .collect();
        assert!(
            subjects.contains(&(
                "grete@example.org".into(),
                "Din kvittering LIB-000001 for Test library".into()
            )),
            "{subjects:?}"
        );
        assert!(
            subjects.contains(&(
                "ed@example.org".into(),
                "Your receipt LIB-000002 for Test library".into()
            )),
            "{subjects:?}"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_retried_receipt_job_keeps_one_outbox_row() {
    each_backend(|tdb| async move {
        let c = seed_campaign(&tdb.db, "lib").await;
        let app = TestApp::start(settings(&tdb)).await;
        // The outbox folder cannot be made: the first attempt fails after keeping its row.
        let dir = app.state.settings.data_dir.join("outbox");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::write(&dir, b"in the way").expect("block the outbox folder");
        let input = shelfraiser::donations::offline::OfflineInput {
            amount: "40".into(),
            currency: "GBP".into(),
            email: Some("grace@example.org".into()),
            visibility: "public".into(),
            ..Default::default()
        };
        shelfraiser::donations::offline::add(&app.db, &c, &input, &Default::default())
            .await
            .expect("offline gift");
        run_jobs(&app).await;
        let failed = jobs::list(&app.db).await.expect("jobs");
        assert!(
            failed.iter().any(|j| j.last_error.is_some()),
            "the job failed"
        );
        assert_eq!(outbox(&app.db).await.len(), 1);
        // The retry (past its backoff) delivers the same row; a further run sends nothing.
        std::fs::remove_file(&dir).expect("unblock");
        let s = &app.state;
        let rc = Receipts::new(&s.settings, app.db.clone(), s.mailer.clone(), &app.base);
        let handlers = shelfraiser::app::job_handlers_with(rc);
        let later = Utc::now() + chrono::Duration::hours(6);
        jobs::run_due(&app.db, &handlers, later)
            .await
            .expect("retry");
        assert!(
            jobs::list(&app.db).await.expect("jobs")[0]
                .done_at
                .is_some(),
            "the retry succeeded"
        );
        assert_eq!(outbox(&app.db).await.len(), 1, "one row per receipt");
        assert_eq!(attached_pdfs(&app).len(), 1);
        let sent: i64 = match &app.db {
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL")
                    .fetch_one(p)
                    .await
            }
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL")
                    .fetch_one(p)
                    .await
            }
        }
        .expect("sent");
        assert_eq!(sent, 1);
        app.stop().await;
    })
    .await;
}
