//! Signing in and out, throttling, invitations, password resets, one-time links, the
//! `user add` command and the demo team, over real HTTP on both backends. Invitations
//! travel through a real SMTP server on loopback (Python's aiosmtpd, `pip install
//! aiosmtpd`, started here as a child process); resets use the outbox (no SMTP).
//!
//! There is no cookie store: `Set-Cookie` is read and `Cookie` sent by hand.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use shelfraiser::config::Secret;
use shelfraiser::db::Db;
use shelfraiser::email::Email;
use shelfraiser::on_db;
use shelfraiser::team::audit::{self, Actor};
use shelfraiser::team::links::{self, Purpose};
use shelfraiser::team::signin::{self, InviteOptions};
use shelfraiser::team::{Member, Role, repo as team_repo, session, throttle};

use crate::harness::*;
use crate::team_harness::*;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The session token a response sets, if any (not a clearing cookie).
fn session_cookie(res: &reqwest::Response) -> Option<String> {
    set_cookies(res).into_iter().find_map(|c| {
        let v = c.strip_prefix(&format!("{}=", session::COOKIE))?;
        let v = v.split(';').next().unwrap_or("");
        (!v.is_empty()).then(|| v.to_string())
    })
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// Whether the response removes the session cookie.
fn clears_session(res: &reqwest::Response) -> bool {
    set_cookies(res)
        .iter()
        .any(|c| c.starts_with(&format!("{}=;", session::COOKIE)) && c.contains("Max-Age=0"))
}

/// An active member with [`PASSWORD`] and one site-wide role, named after their address,
/// in London.
async fn member(db: &Db, email: &str, languages: &str, role: Role) -> Member {
    let name = email.split('@').next().unwrap_or("x");
    team_member(name)
        .email(email)
        .named(name)
        .zone("Europe/London")
        .languages(languages)
        .role(role)
        .with_password()
        .create(db)
        .await
}

/// The text of the first `class="notice"` paragraph.
fn notice(html: &str) -> String {
    let Some(i) = html.find("class=\"notice\"") else {
        return String::new();
    };
    let start = html[i..].find('>').map(|j| i + j + 1).unwrap_or(i);
    let end = html[start..]
        .find("</p>")
        .map(|j| start + j)
        .unwrap_or(start);
    html[start..end].to_string()
}

/// Moves a key's failures back in time (as if they happened `by` ago).
async fn age_failures(db: &Db, key: &str, by: chrono::Duration) {
    let at = Utc::now() - by;
    on_db!(db, |p| sqlx::query(
        "UPDATE login_failures SET at = $1 WHERE key = $2"
    )
    .bind(at)
    .bind(key)
    .execute(p)
    .await
    .expect("age failures")
    .rows_affected());
}

async fn expire_link(db: &Db, token: &str) {
    let past = Utc::now() - chrono::Duration::minutes(1);
    on_db!(db, |p| sqlx::query(
        "UPDATE login_tokens SET expires_at = $1 WHERE token_hash = $2"
    )
    .bind(past)
    .bind(session::hash_token(token))
    .execute(p)
    .await
    .expect("expire link")
    .rows_affected());
}

/// One row of the outbox.
#[derive(sqlx::FromRow)]
struct OutboxRow {
    to_addr: String,
    subject: String,
    text_body: String,
    html_body: String,
    sent_at: Option<chrono::DateTime<Utc>>,
    error: Option<String>,
}

/// The outbox, oldest first.
async fn outbox(db: &Db) -> Vec<OutboxRow> {
    on_db!(db, |p| {
        sqlx::query_as(
        "SELECT to_addr, subject, text_body, html_body, sent_at, error FROM outbox ORDER BY created_at"
    )
    .fetch_all(p)
    .await
    .expect("outbox")
    })
}

/// Waits (up to 15 s) until the outbox holds a sent message to `to`; returns its text.
async fn wait_outbox(db: &Db, to: &str) -> (String, String, String) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(r) = outbox(db)
            .await
            .into_iter()
            .find(|r| r.to_addr == to && r.sent_at.is_some())
        {
            return (r.subject, r.text_body, r.html_body);
        }
        assert!(Instant::now() < deadline, "no e-mail to {to} in the outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first `{base}{prefix}TOKEN` in a text; returns TOKEN.
fn link_token(text: &str, base: &str, prefix: &str) -> String {
    let needle = format!("{base}{prefix}");
    let i = text
        .find(&needle)
        .unwrap_or_else(|| panic!("no {needle} in {text}"))
        + needle.len();
    text[i..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A real SMTP server on loopback: `tests/support/smtp_sink.py` (aiosmtpd) as a child
/// process, storing each message as JSON in a folder. Killed and reaped on drop.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let dir = tempfile::tempdir().expect("sink dir");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start python3 (the SMTP sink needs python3 with aiosmtpd)");
        let stdout = child.stdout.take().expect("sink stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok());
        let mut sink = SmtpSink {
            child,
            port: 0,
            dir,
        };
        sink.port = port.unwrap_or_else(|| {
            panic!(
                "the SMTP sink did not start (is aiosmtpd installed? `pip install aiosmtpd`); it said {line:?}"
            )
        });
        sink
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("sink dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("read message"))
                    .expect("message JSON")
            })
            .collect()
    }

    /// Waits (up to 15 s) for a message to `to`.
    async fn wait_for(&self, to: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| {
                m["rcpt_tos"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|r| r == to))
            }) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no message to {to} reached the SMTP server"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------------------

/// Extra form fields and an extra header for a refused sign-in.
type Case<'a> = (Vec<(&'a str, &'a str)>, Option<(&'a str, &'a str)>);

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same_and_success_signs_in() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ana = member(&app.db, "ana@example.org", "en", Role::Editor).await;

        // The page: labels on both fields, the reset link.
        let page = app.get_with("/signin", None).await;
        assert_eq!(page.status().as_u16(), 200);
        assert_eq!(
            page.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let html = page.text().await.expect("body");
        assert!(
            html.contains("<label for=\"email\">") && html.contains("<label for=\"password\">")
        );
        assert!(html.contains("href=\"/reset\""));

        // Wrong password and unknown e-mail: same status, same page, no cookie.
        let wrong = app
            .sign_in("ana@example.org", "not the password", None)
            .await;
        let unknown = app
            .sign_in("nobody@example.org", "not the password", None)
            .await;
        assert_eq!(wrong.status().as_u16(), 401);
        assert_eq!(unknown.status().as_u16(), 401);
        assert!(session_cookie(&wrong).is_none() && session_cookie(&unknown).is_none());
        let normalize = |html: String, email: &str| {
            let token = hidden_value(&html, "csrf").expect("csrf");
            html.replace(&token, "TOKEN").replace(email, "EMAIL")
        };
        let a = normalize(wrong.text().await.expect("body"), "ana@example.org");
        let b = normalize(unknown.text().await.expect("body"), "nobody@example.org");
        assert_eq!(a, b, "the two failures must not be told apart");
        assert_eq!(
            notice(&a),
            "That e-mail address and password do not match. Please try again."
        );
        assert!(a.contains("aria-invalid=\"true\" aria-describedby=\"signin-error\""));
        // A member without a password yet (invited) answers the same too.
        let invited = team_repo::create(
            &app.db,
            &team_repo::NewMember {
                email: Email::parse("new@example.org").expect("email"),
                display_name: "New".into(),
                time_zone: "UTC".into(),
                languages: "en".into(),
                status: shelfraiser::team::MemberStatus::Invited,
            },
        )
        .await
        .expect("invited");
        let res = app
            .sign_in("new@example.org", "anything at all", None)
            .await;
        assert_eq!(res.status().as_u16(), 401);

        // Both failures were audited, labelled with the e-mail tried.
        let failed = audit::list(&app.db, Some("signin.failed"), None, 10, 0)
            .await
            .expect("audit");
        let labels: Vec<&str> = failed.iter().map(|e| e.actor.as_str()).collect();
        assert!(labels.contains(&"ana@example.org") && labels.contains(&"nobody@example.org"));
        assert!(
            failed
                .iter()
                .all(|e| e.actor_id.is_none() && e.ip.as_deref() == Some("127.0.0.1"))
        );
        assert!(failed.iter().any(|e| e.target == ana.id));
        assert!(failed.iter().any(|e| e.target == invited.id));

        // An unknown e-mail costs a password verification too (a dummy one): it is not
        // answered noticeably faster than a wrong password.
        let mut known = Duration::MAX;
        let mut unknown = Duration::MAX;
        for i in 0..2 {
            let token = app.signin_csrf().await;
            let t = Instant::now();
            let r = app
                .post_with(
                    "/signin",
                    &[
                        ("email", "ana@example.org"),
                        ("password", "wrong wrong"),
                        ("csrf", &token),
                    ],
                    None,
                )
                .await;
            known = known.min(t.elapsed());
            assert_eq!(r.status().as_u16(), 401);
            let email = format!("ghost{i}@example.org");
            let t = Instant::now();
            let r = app
                .post_with(
                    "/signin",
                    &[
                        ("email", &email),
                        ("password", "wrong wrong"),
                        ("csrf", &token),
                    ],
                    None,
                )
                .await;
            unknown = unknown.min(t.elapsed());
            assert_eq!(r.status().as_u16(), 401);
        }
        assert!(
            unknown * 2 >= known,
            "unknown e-mail answered in {unknown:?}, wrong password in {known:?}"
        );

        // The right password (the e-mail in any case): a session, HttpOnly, SameSite=Lax,
        // not Secure on http; 303 to /admin.
        let ok = app.sign_in("ANA@Example.org", PASSWORD, None).await;
        assert_eq!(ok.status().as_u16(), 303);
        assert_eq!(location(&ok), "/admin");
        let cookie_line = set_cookies(&ok)
            .into_iter()
            .find(|c| c.starts_with("sr_session="))
            .expect("cookie");
        assert!(cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Lax"));
        assert!(cookie_line.contains("Path=/") && !cookie_line.contains("Secure"));
        let token = session_cookie(&ok).expect("token");
        let s = session::lookup(&app.db, &token)
            .await
            .expect("lookup")
            .expect("session");
        assert_eq!(s.member_id, ana.id);
        assert!(!s.mfa_pending);
        // Signed in: the sign-in page says so and offers signing out.
        let html = app
            .get_with("/signin", Some(&token))
            .await
            .text()
            .await
            .expect("body");
        assert!(
            html.contains("You are signed in as ana (ana@example.org)"),
            "{html}"
        );
        assert!(
            html.contains("action=\"/signout\"") && html.contains("action=\"/signout-everywhere\"")
        );
        // Audited: the sign-in and the new device (once per device).
        assert_eq!(audit_count(&app.db, "signin").await, 1);
        assert_eq!(audit_count(&app.db, "signin.new_device").await, 1);
        let again = app.signed_in("ana@example.org", PASSWORD).await;
        assert_ne!(again, token);
        assert_eq!(audit_count(&app.db, "signin").await, 2);
        assert_eq!(audit_count(&app.db, "signin.new_device").await, 1);
        let other = app
            .client
            .get(app.url("/signin"))
            .send()
            .await
            .expect("get");
        let csrf = hidden_value(&other.text().await.expect("body"), "csrf").expect("csrf");
        let res = app
            .client
            .post(app.url("/signin"))
            .header("user-agent", "Another browser/1.0")
            .form(&[
                ("email", "ana@example.org"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(audit_count(&app.db, "signin.new_device").await, 2);

        // `next`: same-site paths only.
        for (next, want) in [
            ("/admin/donations?page=2", "/admin/donations?page=2"),
            ("//evil.example/x", "/admin"),
            ("https://evil.example/", "/admin"),
        ] {
            let csrf = app.signin_csrf().await;
            let res = app
                .post_with(
                    "/signin",
                    &[
                        ("email", "ana@example.org"),
                        ("password", PASSWORD),
                        ("csrf", &csrf),
                        ("next", next),
                    ],
                    None,
                )
                .await;
            assert_eq!(res.status().as_u16(), 303);
            assert_eq!(location(&res), want, "next={next}");
        }
        // The sign-in form keeps a `next` from the query.
        let html = app
            .get_with("/signin?next=%2Fadmin%2Fmembers", None)
            .await
            .text()
            .await
            .expect("body");
        assert_eq!(
            hidden_value(&html, "next").as_deref(),
            Some("/admin/members")
        );

        // Empty fields: marked, 422, nothing recorded.
        let before = audit_count(&app.db, "signin.failed").await;
        let csrf = app.signin_csrf().await;
        let res = app
            .post_with(
                "/signin",
                &[("email", ""), ("password", ""), ("csrf", &csrf)],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            html.contains("aria-describedby=\"email-err\"")
                && html.contains("Enter your e-mail address.")
        );
        assert!(
            html.contains("aria-describedby=\"password-err\"")
                && html.contains("Enter your password.")
        );
        assert_eq!(audit_count(&app.db, "signin.failed").await, before);

        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn signin_csrf_missing_forged_or_cross_site_is_refused() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        member(&app.db, "ana@example.org", "en", Role::Owner).await;
        let good = app.signin_csrf().await;
        let cases: Vec<Case> = vec![
            (vec![], None),
            (vec![("csrf", "")], None),
            (vec![("csrf", "1700000000.deadbeef")], None),
            (
                vec![("csrf", &good)],
                Some(("sec-fetch-site", "cross-site")),
            ),
            (
                vec![("csrf", &good)],
                Some(("origin", "https://evil.example")),
            ),
        ];
        for (extra, header) in cases {
            let mut form = vec![("email", "ana@example.org"), ("password", PASSWORD)];
            form.extend(extra);
            let mut req = app.client.post(app.url("/signin")).form(&form);
            if let Some((k, v)) = header {
                req = req.header(k, v);
            }
            let res = req.send().await.expect("post");
            assert_eq!(res.status().as_u16(), 422, "{form:?} {header:?}");
            assert!(session_cookie(&res).is_none());
            let html = res.text().await.expect("body");
            assert!(html.contains("The form expired or did not come from this site."));
        }
        // Nothing happened: no session, no failure counted, nothing audited.
        assert_eq!(count(&app.db, "sessions").await, 0);
        assert_eq!(count(&app.db, "login_failures").await, 0);
        assert_eq!(count(&app.db, "audit_log").await, 0);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn throttling_per_account_and_per_address() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ana = member(&app.db, "ana@example.org", "en", Role::Treasurer).await;
        member(&app.db, "bob@example.org", "en", Role::Member).await;

        // Five failures: 401 each; the sixth attempt is refused, even with the right
        // password, with a clear message and Retry-After.
        for _ in 0..throttle::ACCOUNT_LIMIT {
            let res = app.sign_in("ana@example.org", "wrong password", None).await;
            assert_eq!(res.status().as_u16(), 401);
        }
        let res = app.sign_in("ana@example.org", PASSWORD, None).await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(session_cookie(&res).is_none());
        let retry: i64 = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=60).contains(&retry), "{retry}");
        let html = res.text().await.expect("body");
        assert!(
            notice(&html).starts_with("Too many failed attempts. Please wait a minute"),
            "{html}"
        );
        // The member is told, once, by e-mail (sent in the background).
        let (subject, text, html) = wait_outbox(&app.db, "ana@example.org").await;
        assert_eq!(subject, "Failed sign-ins to your Shelfraiser account");
        assert!(text.contains("5 failed attempts") && text.contains("127.0.0.1"));
        assert!(text.contains(&format!("{}/reset", app.base)) && html.contains("/reset"));

        // An unknown e-mail is throttled exactly the same way (nothing revealed), and no
        // one is e-mailed.
        for _ in 0..throttle::ACCOUNT_LIMIT {
            let res = app
                .sign_in("ghost@example.org", "wrong password", None)
                .await;
            assert_eq!(res.status().as_u16(), 401);
        }
        let res = app
            .sign_in("ghost@example.org", "wrong password", None)
            .await;
        assert_eq!(res.status().as_u16(), 429);
        let ghost_html = res.text().await.expect("body");
        assert_eq!(
            notice(&ghost_html),
            notice(&html_429(&app, "ana@example.org").await)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mails = outbox(&app.db).await;
        assert_eq!(mails.len(), 1, "only the real member was e-mailed");

        // Once the lockout has passed (failures aged), the right password works and clears
        // the account's failures.
        age_failures(
            &app.db,
            &throttle::account_key("ana@example.org"),
            chrono::Duration::minutes(20),
        )
        .await;
        let res = app.sign_in("ana@example.org", PASSWORD, None).await;
        assert_eq!(res.status().as_u16(), 303);
        let ana_key = throttle::account_key("ana@example.org");
        let left: i64 = on_db!(&app.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE key = $1"
        )
        .bind(&ana_key)
        .fetch_one(p)
        .await
        .expect("count"));
        assert_eq!(left, 0);
        let res = app.sign_in("ana@example.org", "wrong again", None).await;
        assert_eq!(res.status().as_u16(), 401, "the count starts again");

        // Per address: 20 failures from 127.0.0.1 in 15 minutes (so far 5 + 5 + 1 = 11,
        // each of these other accounts under its own limit) lock every account from here.
        for i in 0..(throttle::IP_LIMIT - 11) {
            let res = app
                .sign_in(&format!("u{i}@example.org"), "wrong password", None)
                .await;
            assert_eq!(res.status().as_u16(), 401, "attempt {i}");
        }
        let res = app.sign_in("bob@example.org", PASSWORD, None).await;
        assert_eq!(res.status().as_u16(), 429, "the address is locked");
        assert!(session_cookie(&res).is_none());
        // The audit log has every failure.
        assert_eq!(
            audit_count(&app.db, "signin.failed").await,
            throttle::IP_LIMIT
        );
        assert!(
            audit::list(&app.db, Some("signin.failed"), Some("ana@"), 100, 0)
                .await
                .expect("audit")
                .iter()
                .all(|e| e.target == ana.id)
        );
        app.stop().await;
    })
    .await;
}

/// The 429 page for an e-mail (the account must be locked).
async fn html_429(app: &TestApp, email: &str) -> String {
    let res = app.sign_in(email, "whatever it is", None).await;
    assert_eq!(res.status().as_u16(), 429);
    res.text().await.expect("body")
}

#[tokio::test]
async fn members_with_two_factor_get_a_pending_session() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let m = member(&app.db, "ana@example.org", "en", Role::Owner).await;
        exec(
            &app.db,
            &format!(
                "UPDATE members SET totp_enabled = TRUE WHERE id = '{}'",
                m.id
            ),
        )
        .await;
        let res = app.sign_in("ana@example.org", PASSWORD, None).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/signin/2fa");
        let token = session_cookie(&res).expect("cookie");
        let s = session::lookup(&app.db, &token)
            .await
            .expect("lookup")
            .expect("session");
        assert!(s.mfa_pending);
        // A pending session is not signed in.
        let html = app
            .get_with("/signin", Some(&token))
            .await
            .text()
            .await
            .expect("body");
        assert!(!html.contains("You are signed in as"));
        // A one-time link also stops at the second factor.
        let link = links::create(&app.db, &m.id, Purpose::SignIn)
            .await
            .expect("link");
        let res = app.get_with(&format!("/signin/link/{link}"), None).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/signin/2fa");
        let token = session_cookie(&res).expect("cookie");
        assert!(
            session::lookup(&app.db, &token)
                .await
                .expect("lookup")
                .expect("session")
                .mfa_pending
        );
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Sessions and signing out
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn session_rotates_and_signing_out_ends_sessions() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ana = member(&app.db, "ana@example.org", "en", Role::Owner).await;

        // Signing in with a session cookie: a new id, and the old session ends.
        let first = app.signed_in("ana@example.org", PASSWORD).await;
        let res = app.sign_in("ana@example.org", PASSWORD, Some(&first)).await;
        assert_eq!(res.status().as_u16(), 303);
        let second = session_cookie(&res).expect("cookie");
        assert_ne!(first, second);
        assert!(!live(&app.db, &first).await, "the old session ended");
        assert!(live(&app.db, &second).await);

        // Sign out: needs the token bound to this session, from this site.
        let bound = app.signout_csrf(&second).await;
        let public = app.signin_csrf().await;
        let other_session = app.signed_in("ana@example.org", PASSWORD).await;
        let other_bound = app.signout_csrf(&other_session).await;
        for (token, header) in [
            ("", None),
            ("1700000000.00ff", None),
            (public.as_str(), None),
            (other_bound.as_str(), None),
            (bound.as_str(), Some(("sec-fetch-site", "cross-site"))),
        ] {
            let mut req = app
                .client
                .post(app.url("/signout"))
                .header("cookie", format!("sr_session={second}"))
                .form(&[("csrf", token)]);
            if let Some((k, v)) = header {
                req = req.header(k, v);
            }
            let res = req.send().await.expect("post");
            assert_eq!(res.status().as_u16(), 422, "token {token:?} {header:?}");
            assert!(!clears_session(&res));
            assert!(
                res.text()
                    .await
                    .expect("body")
                    .contains("The form expired or did not come from this site.")
            );
            assert!(live(&app.db, &second).await, "nothing changed");
        }
        let res = app
            .post_with("/signout", &[("csrf", &bound)], Some(&second))
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/");
        assert!(clears_session(&res));
        assert!(!live(&app.db, &second).await);
        assert!(live(&app.db, &other_session).await, "other sessions stay");
        // Without a session, signing out leads to the sign-in page.
        let res = app.post_with("/signout", &[("csrf", &bound)], None).await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(location(&res).starts_with("/signin?next="));

        // Sign out everywhere: every session of the member ends.
        let a = app.signed_in("ana@example.org", PASSWORD).await;
        let b = app.signed_in("ana@example.org", PASSWORD).await;
        let bob = member(&app.db, "bob@example.org", "en", Role::Member).await;
        let bobs = app.signed_in("bob@example.org", PASSWORD).await;
        let res = app
            .post_with("/signout-everywhere", &[("csrf", &public)], Some(&a))
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(live(&app.db, &a).await);
        let bound = app.signout_csrf(&a).await;
        let res = app
            .post_with("/signout-everywhere", &[("csrf", &bound)], Some(&a))
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(clears_session(&res));
        for t in [&a, &b, &other_session] {
            assert!(!live(&app.db, t).await);
        }
        assert!(live(&app.db, &bobs).await, "another member's session stays");
        let entries = audit::list(&app.db, Some("signout.everywhere"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor_id.as_deref(), Some(ana.id.as_str()));
        assert_ne!(entries[0].actor_id.as_deref(), Some(bob.id.as_str()));
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Invitations (real SMTP)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn invitation_arrives_by_smtp_and_sets_a_password() {
    each_backend(|tdb| async move {
        let sink = SmtpSink::start();
        let mut st = settings(&tdb);
        st.mail.smtp_url = Secret(sink.url());
        st.mail.from = "Library team <team@example.org>".into();
        let app = TestApp::start(st).await;
        let c = seed_campaign(&app.db, "lib").await;
        let owner = member(&app.db, "owner@example.org", "en", Role::Owner).await;
        let by = Actor {
            member_id: Some(owner.id.clone()),
            label: owner.email.clone(),
            ip: Some("127.0.0.1".into()),
            user_agent: None,
        };

        // A Danish member and an English one.
        let kirsten = signin::invite_with(
            &app.state,
            &Email::parse("kirsten@example.org").expect("email"),
            "Kirsten",
            &[(Role::Editor, None), (Role::Treasurer, Some(c.id.clone()))],
            &by,
            &InviteOptions {
                languages: "da".into(),
                time_zone: "Europe/Copenhagen".into(),
            },
        )
        .await
        .expect("invite");
        assert_eq!(kirsten.status, shelfraiser::team::MemberStatus::Invited);
        assert!(!kirsten.has_password);
        assert_eq!(kirsten.grants.len(), 2);
        let bea = signin::invite(
            &app.state,
            &Email::parse("bea@example.org").expect("email"),
            "Bea",
            &[(Role::Member, None)],
            &by,
        )
        .await
        .expect("invite");
        assert_eq!(bea.languages, "en");

        // Both arrived at the SMTP server, each with a text and an HTML part, in the
        // member's language.
        let da = sink.wait_for("kirsten@example.org").await;
        let en = sink.wait_for("bea@example.org").await;
        for m in [&da, &en] {
            assert_eq!(m["content_type"], "multipart/alternative");
            assert_eq!(m["mail_from"], "team@example.org");
            assert!(m["text"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(
                m["html"]
                    .as_str()
                    .is_some_and(|h| h.contains("<!doctype html>"))
            );
        }
        assert_eq!(da["subject"], "Du er inviteret til holdet bag Shelfraiser");
        let da_text = da["text"].as_str().expect("text");
        assert!(da_text.starts_with("Hej Kirsten"), "{da_text}");
        assert!(da_text.contains("owner har inviteret dig"), "{da_text}");
        assert!(da_text.contains("redaktør") && da_text.contains("kasserer (Test library)"));
        assert!(da["html"].as_str().expect("html").contains("lang=\"da\""));
        assert_eq!(
            en["subject"],
            "You are invited to join the Shelfraiser team"
        );
        assert!(
            en["text"]
                .as_str()
                .expect("text")
                .contains("owner invited you")
        );
        // The outbox kept both, marked sent.
        let rows = outbox(&app.db).await;
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter()
                .all(|r| r.sent_at.is_some() && r.error.is_none())
        );

        // The link from the e-mail: a form to choose a password.
        let token = link_token(da_text, &app.base, "/invite/");
        assert_eq!(
            token,
            link_token(da["html"].as_str().expect("html"), &app.base, "/invite/")
        );
        let page = app.get_with(&format!("/invite/{token}"), None).await;
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.expect("body");
        assert!(html.contains("kirsten@example.org"));
        for f in ["username", "password", "confirm"] {
            assert!(
                html.contains(&format!("<label for=\"{f}\">")),
                "label for {f}"
            );
        }
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let path = format!("/invite/{token}");

        // Bad choices are marked; the link still works afterwards.
        let res = app
            .post_with(
                &path,
                &[("csrf", &csrf), ("password", "short"), ("confirm", "short")],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let body = res.text().await.expect("body");
        assert!(body.contains("aria-invalid=\"true\"") && body.contains("at least 10 characters"));
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "long enough one"),
                    ("confirm", "long enough two"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("The two passwords are not the same.")
        );
        let res = app
            .post_with(
                &path,
                &[
                    ("password", "kirstens password"),
                    ("confirm", "kirstens password"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "no CSRF token");
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("The form expired or did not come from this site.")
        );

        // A good one: signed in, active, the password works.
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "kirstens password"),
                    ("confirm", "kirstens password"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin");
        let cookie = session_cookie(&res).expect("signed in");
        assert!(live(&app.db, &cookie).await);
        let k = team_repo::by_id(&app.db, &kirsten.id)
            .await
            .expect("load")
            .expect("member");
        assert_eq!(k.status, shelfraiser::team::MemberStatus::Active);
        assert!(k.has_password);
        assert_eq!(
            location(
                &app.sign_in("kirsten@example.org", "kirstens password", None)
                    .await
            ),
            "/admin"
        );
        assert_eq!(audit_count(&app.db, "member.invited").await, 2);
        assert_eq!(audit_count(&app.db, "member.joined").await, 1);

        // The link worked once.
        let res = app.get_with(&path, None).await;
        assert_eq!(res.status().as_u16(), 410);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("This invitation has expired or was already used.")
        );
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "another password"),
                    ("confirm", "another password"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 410);

        // An expired invitation: 410 too.
        let bea_token = link_token(en["text"].as_str().expect("text"), &app.base, "/invite/");
        expire_link(&app.db, &bea_token).await;
        assert_eq!(
            app.get_with(&format!("/invite/{bea_token}"), None)
                .await
                .status()
                .as_u16(),
            410
        );
        assert_eq!(
            app.get_with("/invite/not-a-token", None)
                .await
                .status()
                .as_u16(),
            410
        );

        // Inviting a taken address fails and sends nothing.
        let err = signin::invite(
            &app.state,
            &Email::parse("Kirsten@example.org").expect("email"),
            "Again",
            &[],
            &by,
        )
        .await
        .expect_err("taken");
        assert_eq!(err.status().as_u16(), 409);
        // Resending to an invited member sends a new link.
        signin::resend_invite(&app.state, &bea.id, &by)
            .await
            .expect("resend");
        let deadline = Instant::now() + Duration::from_secs(15);
        while sink.messages().len() < 3 {
            assert!(
                Instant::now() < deadline,
                "resent invitation did not arrive"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let resent = sink.messages().pop().expect("message");
        let new_token = link_token(
            resent["text"].as_str().expect("text"),
            &app.base,
            "/invite/",
        );
        assert_ne!(new_token, bea_token);
        assert_eq!(
            app.get_with(&format!("/invite/{new_token}"), None)
                .await
                .status()
                .as_u16(),
            200
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_mail_server_that_is_down_does_not_break_inviting() {
    each_backend(|tdb| async move {
        // A port nothing listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let mut st = settings(&tdb);
        st.mail.smtp_url = Secret(format!("smtp://127.0.0.1:{port}"));
        let app = TestApp::start(st).await;
        let m = signin::invite(
            &app.state,
            &Email::parse("bea@example.org").expect("email"),
            "Bea",
            &[(Role::Member, None)],
            &Actor::cli(),
        )
        .await
        .expect("invited all the same");
        assert_eq!(m.status, shelfraiser::team::MemberStatus::Invited);
        let rows = outbox(&app.db).await;
        assert_eq!(rows.len(), 1);
        assert!(rows[0].sent_at.is_none(), "not sent");
        assert!(rows[0].error.is_some(), "the outbox keeps the error");
        // The text came from the template without an inviter's name.
        assert!(
            rows[0]
                .text_body
                .contains("You are invited to the team running Shelfraiser, as member.")
        );
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Password reset (outbox, no SMTP)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn password_reset_through_the_outbox() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ana = member(&app.db, "ana@example.org", "da", Role::Editor).await;
        let s1 = app.signed_in("ana@example.org", PASSWORD).await;
        let s2 = app.signed_in("ana@example.org", PASSWORD).await;

        // The form; an invalid address is marked; any valid address gets the same answer.
        let html = app
            .get_with("/reset", None)
            .await
            .text()
            .await
            .expect("body");
        assert!(html.contains("<label for=\"email\">"));
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let res = app
            .post_with(
                "/reset",
                &[("csrf", &csrf), ("email", "not an address")],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("aria-invalid=\"true\"")
        );
        let res = app
            .post_with("/reset", &[("email", "ana@example.org")], None)
            .await;
        assert_eq!(res.status().as_u16(), 422, "no CSRF token");
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("The form expired or did not come from this site.")
        );
        let known = app
            .post_with(
                "/reset",
                &[("csrf", &csrf), ("email", "ana@example.org")],
                None,
            )
            .await;
        let unknown = app
            .post_with(
                "/reset",
                &[("csrf", &csrf), ("email", "nobody@example.org")],
                None,
            )
            .await;
        assert_eq!(known.status().as_u16(), 200);
        assert_eq!(unknown.status().as_u16(), 200);
        let (k, u) = (
            known.text().await.expect("body"),
            unknown.text().await.expect("body"),
        );
        assert_eq!(k, u, "the same answer whether or not the account exists");
        assert!(k.contains("If an account exists for that address"));

        // The e-mail: in the outbox (Danish, both parts) and as an .eml file.
        let (subject, text, html) = wait_outbox(&app.db, "ana@example.org").await;
        assert_eq!(subject, "Nulstil din adgangskode til Shelfraiser");
        assert!(html.contains("lang=\"da\""));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows = outbox(&app.db).await;
        assert_eq!(rows.len(), 1, "nothing is sent for an unknown address");
        let emls: Vec<_> = std::fs::read_dir(tdb.data_dir().join("outbox"))
            .expect("outbox folder")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .collect();
        assert_eq!(emls.len(), 1);
        let eml = std::fs::read_to_string(emls[0].path()).expect("eml");
        assert!(eml.contains("To: ana@example.org"));
        assert!(eml.contains("multipart/alternative") && eml.contains("text/html"));

        // The link: a form; the new password must be valid and repeated.
        let token = link_token(&text, &app.base, "/reset/");
        let path = format!("/reset/{token}");
        let page = app.get_with(&path, None).await;
        assert_eq!(page.status().as_u16(), 200);
        let csrf = hidden_value(&page.text().await.expect("body"), "csrf").expect("csrf");
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "a new password"),
                    ("confirm", "a new passwort"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "a new password"),
                    ("confirm", "a new password"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin");
        let s3 = session_cookie(&res).expect("signed in");
        assert!(live(&app.db, &s3).await);
        assert!(
            !live(&app.db, &s1).await && !live(&app.db, &s2).await,
            "other sessions ended"
        );
        assert_eq!(audit_count(&app.db, "password.reset").await, 1);
        assert_eq!(audit_count(&app.db, "password.reset_requested").await, 1);
        assert_eq!(
            app.sign_in("ana@example.org", PASSWORD, None)
                .await
                .status()
                .as_u16(),
            401
        );
        assert_eq!(
            app.sign_in("ana@example.org", "a new password", None)
                .await
                .status()
                .as_u16(),
            303
        );

        // Used, expired or unknown links: 410 with a way to ask again.
        let res = app.get_with(&path, None).await;
        assert_eq!(res.status().as_u16(), 410);
        assert!(res.text().await.expect("body").contains("href=\"/reset\""));
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "third password"),
                    ("confirm", "third password"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 410);
        let expired = links::create(&app.db, &ana.id, Purpose::Reset)
            .await
            .expect("link");
        expire_link(&app.db, &expired).await;
        assert_eq!(
            app.get_with(&format!("/reset/{expired}"), None)
                .await
                .status()
                .as_u16(),
            410
        );
        // A link of another kind does not reset.
        let invite = links::create(&app.db, &ana.id, Purpose::Invite)
            .await
            .expect("link");
        assert_eq!(
            app.get_with(&format!("/reset/{invite}"), None)
                .await
                .status()
                .as_u16(),
            410
        );

        // At most three reset e-mails per address and hour.
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let csrf = app.signin_csrf().await;
            let res = app
                .post_with(
                    "/reset",
                    &[("csrf", &csrf), ("email", "ana@example.org")],
                    None,
                )
                .await;
            assert_eq!(res.status().as_u16(), 200);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(outbox(&app.db).await.len(), 3);
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// One-time links and `shelfraiser user add`
// ---------------------------------------------------------------------------------------

async fn cli(tdb: &TestDb, args: &[&str]) -> CliOutput {
    let mut all = storage_args(tdb);
    all.extend(args.iter().map(|s| s.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_cli_async(tdb.dir.path(), &all, &[]).await
}

/// `shelfraiser user add --email EMAIL --name NAME --role ROLE MORE…`.
async fn user_add(tdb: &TestDb, email: &str, name: &str, role: &str, more: &[&str]) -> CliOutput {
    let mut args = vec![
        "user", "add", "--email", email, "--name", name, "--role", role,
    ];
    args.extend_from_slice(more);
    cli(tdb, &args).await
}

#[tokio::test]
async fn user_add_prints_a_working_one_time_link() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let c = seed_campaign(&app.db, "lib").await;
        let out = user_add(
            &tdb,
            "Ops@Example.org",
            "Ops",
            "owner",
            &[
                "--role",
                "treasurer",
                "--time-zone",
                "Europe/Copenhagen",
                "--language",
                "da",
                "--base-url",
                &app.base,
            ],
        )
        .await;
        assert!(out.ok(), "{out:?}");
        let link = out
            .stdout
            .lines()
            .last()
            .expect("a line")
            .trim()
            .to_string();
        let prefix = format!("{}/signin/link/", app.base);
        assert!(link.starts_with(&prefix), "{out:?}");
        let m = team_repo::by_email(&app.db, "ops@example.org")
            .await
            .expect("load")
            .expect("member");
        assert_eq!(m.status, shelfraiser::team::MemberStatus::Active);
        assert!(!m.has_password);
        assert_eq!(
            (m.time_zone.as_str(), m.languages.as_str()),
            ("Europe/Copenhagen", "da")
        );
        assert!(m.has_role(Role::Owner) && m.has_role(Role::Treasurer));
        let added = audit::list(&app.db, Some("member.added"), None, 10, 0)
            .await
            .expect("audit");
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].actor, "cli");

        // The link signs in, once.
        let path = &link[app.base.len()..];
        let res = app.get_with(path, None).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/admin");
        let cookie = session_cookie(&res).expect("cookie");
        let s = session::lookup(&app.db, &cookie)
            .await
            .expect("lookup")
            .expect("session");
        assert_eq!(s.member_id, m.id);
        let res = app.get_with(path, None).await;
        assert_eq!(res.status().as_u16(), 410);
        assert!(session_cookie(&res).is_none());
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("This sign-in link has expired or was already used.")
        );
        // An expired link: 410.
        let expired = links::create(&app.db, &m.id, Purpose::SignIn)
            .await
            .expect("link");
        expire_link(&app.db, &expired).await;
        assert_eq!(
            app.get_with(&format!("/signin/link/{expired}"), None)
                .await
                .status()
                .as_u16(),
            410
        );

        // Again for the same address: roles are added (here for one campaign).
        let out = user_add(
            &tdb,
            "ops@example.org",
            "Ops",
            "editor",
            &["--campaign", "lib"],
        )
        .await;
        assert!(out.ok(), "{out:?}");
        assert!(out.stdout.contains("already exists"), "{out:?}");
        // Without --base-url the link uses the configured listen address.
        assert!(
            out.stdout
                .lines()
                .last()
                .expect("line")
                .starts_with("http://127.0.0.1:8080/signin/link/"),
            "{out:?}"
        );
        let m = team_repo::by_id(&app.db, &m.id)
            .await
            .expect("load")
            .expect("member");
        assert!(
            m.grants
                .iter()
                .any(|g| g.role == Role::Editor && g.scope.as_deref() == Some(c.id.as_str()))
        );
        assert_eq!(m.grants.len(), 3);

        // Bad input: one clear line, nothing created.
        let err = user_add(&tdb, "x@example.org", "X", "king", &[]).await;
        assert!(err.one_line_error().contains("unknown role"), "{err:?}");
        let err = user_add(
            &tdb,
            "x@example.org",
            "X",
            "member",
            &["--campaign", "nope"],
        )
        .await;
        assert!(err.one_line_error().contains("no campaign"), "{err:?}");
        let err = user_add(&tdb, "not-an-address", "X", "member", &[]).await;
        err.one_line_error();
        let err = user_add(
            &tdb,
            "x@example.org",
            "X",
            "member",
            &["--time-zone", "Mars/Olympus"],
        )
        .await;
        assert!(err.one_line_error().contains("IANA time zone"), "{err:?}");
        assert!(
            team_repo::by_email(&app.db, "x@example.org")
                .await
                .expect("load")
                .is_none()
        );
        app.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// The demo team
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn demo_prints_the_team_and_their_passwords_work() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_str().expect("utf-8");
    let server = ServerProcess::start(&["--data-dir", d, "--demo"], &[]);
    server
        .wait_stdout("demo sign-in", Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let out = server.stdout_text();
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("demo sign-in"))
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    for place in ["UK", "USA", "Denmark"] {
        assert!(lines.iter().any(|l| l.contains(place)), "{place}: {out}");
    }
    // The demo lines come after the campaign line.
    assert!(out.find("demo campaign:") < out.find("demo sign-in"));
    // Each printed pair signs in.
    let client = http_client();
    for line in &lines {
        let (_, creds) = line.split_once("): ").expect("creds");
        let (email, pw) = creds.split_once(" / ").expect("pair");
        let html = client
            .get(server.url("/signin"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        let csrf = hidden_value(&html, "csrf").expect("csrf");
        let res = client
            .post(server.url("/signin"))
            .form(&[("email", email), ("password", pw), ("csrf", &csrf)])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status().as_u16(), 303, "{email}");
    }
}

/// The sign-in, reset and "choose a password" forms mark the fields at fault: the field
/// `aria-invalid` and described by its message, the message next to it, nothing else marked.
#[tokio::test]
async fn the_sign_in_and_password_forms_mark_the_fields_at_fault() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let ana = member(&app.db, "ana@example.org", "en", Role::Editor).await;
        let marked = |html: &str, field: &str, message: &str| {
            assert!(
                html.contains(&format!(
                    " aria-invalid=\"true\" aria-describedby=\"{field}-err\""
                )),
                "{field} not marked: {html}"
            );
            assert!(
                html.contains(&format!(
                    "<span class=\"err\" id=\"{field}-err\">{message}</span>"
                )),
                "no message for {field}: {html}"
            );
        };

        // Sign-in: both fields empty.
        let res = app.sign_in("", "", None).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        marked(&html, "email", "Enter your e-mail address.");
        marked(&html, "password", "Enter your password.");
        assert_eq!(html.matches("aria-invalid=\"true\"").count(), 2, "{html}");
        // Only the empty one.
        let res = app.sign_in("ana@example.org", "", None).await;
        let html = res.text().await.expect("body");
        marked(&html, "password", "Enter your password.");
        assert!(!html.contains("email-err"), "{html}");

        // Reset: no address, then not an address.
        let csrf = app.signin_csrf().await;
        for (typed, message) in [
            ("", "Enter your e-mail address."),
            ("not an address", "That does not look like an e-mail address"),
        ] {
            let res = app
                .post_with("/reset", &[("csrf", &csrf), ("email", typed)], None)
                .await;
            assert_eq!(res.status().as_u16(), 422);
            let html = res.text().await.expect("body");
            assert!(
                html.contains(" aria-invalid=\"true\" aria-describedby=\"email-err\""),
                "{html}"
            );
            assert!(
                html.contains(&format!("<span class=\"err\" id=\"email-err\">{message}")),
                "{html}"
            );
        }

        // Choosing a password through a reset link: too short, then not repeated.
        let token = links::create(&app.db, &ana.id, Purpose::Reset)
            .await
            .expect("link");
        let path = format!("/reset/{token}");
        let page = app.get_with(&path, None).await.text().await.expect("body");
        let csrf = hidden_value(&page, "csrf").expect("csrf");
        let res = app
            .post_with(
                &path,
                &[("csrf", &csrf), ("password", "short"), ("confirm", "short")],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        assert!(
            html.contains(
                " aria-describedby=\"password-hint password-err\" aria-invalid=\"true\""
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<span class=\"err\" id=\"password-err\">The password needs at least 10 characters.</span>"
            ),
            "{html}"
        );
        assert!(!html.contains("confirm-err"), "{html}");
        let res = app
            .post_with(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", "a new password"),
                    ("confirm", "a new passwort"),
                ],
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.expect("body");
        marked(&html, "confirm", "The two passwords are not the same.");
        assert!(!html.contains("password-err"), "{html}");
        app.stop().await;
    })
    .await;
}
