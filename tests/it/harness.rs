//! Test helpers: a fresh database per test on each backend, the real server on
//! 127.0.0.1:0, a seeded campaign, and small HTML/HTTP helpers.

#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{Duration, Utc};
use shelfraiser::campaigns::{Campaign, CampaignState, Milestone, NewCampaign, Slug, repo};
use shelfraiser::config::{Secret, Settings};
use shelfraiser::db::Db;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::rates;
use shelfraiser::server::Application;

pub const TEST_SECRET: &str = "test-callback-secret";

/// Which backends to run on. On CI PostgreSQL is required, so no test silently skips it.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    match std::env::var("SHELFRAISER_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => v.push(Backend::Postgres(url)),
        _ => {
            if std::env::var("CI").is_ok_and(|c| c == "true") {
                panic!(
                    "CI=true but SHELFRAISER_TEST_PG_URL is not set: run the suite through scripts/test.sh"
                );
            }
        }
    }
    v
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// Admin URL of a PostgreSQL server; each test creates its own database there.
    Postgres(String),
}

/// A database of its own for one test. The SQLite folder is removed on drop.
pub struct TestDb {
    pub url: String,
    pub db: Db,
    pub dir: tempfile::TempDir,
    pub backend: &'static str,
}

impl TestDb {
    pub async fn new(b: &Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match b {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("shelfraiser.db").display()),
            Backend::Postgres(admin) => {
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin_db = Db::connect(admin)
                    .await
                    .expect("connect to PostgreSQL admin URL");
                if let Db::Postgres(p) = &admin_db {
                    sqlx::query(&format!("CREATE DATABASE {name}"))
                        .execute(p)
                        .await
                        .expect("create database");
                }
                admin_db.close().await;
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .expect("URL with a database");
                format!("{base}/{name}")
            }
        };
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let backend = db.backend();
        TestDb {
            url,
            db,
            dir,
            backend,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// Runs `f` once per backend, each with a fresh database.
pub async fn each_backend<F, Fut>(f: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for b in backends() {
        let tdb = TestDb::new(&b).await;
        eprintln!("-- backend: {}", tdb.backend);
        f(tdb).await;
    }
}

pub fn settings(tdb: &TestDb) -> Settings {
    let mut s = Settings::default();
    s.listen = "127.0.0.1:0".parse().expect("addr");
    s.data_dir = tdb.data_dir();
    s.database_url = tdb.url.clone();
    s.providers.test.enabled = true;
    s.providers.test.secret = Secret(TEST_SECRET.into());
    s
}

pub fn gbp() -> CurrencyCode {
    CurrencyCode::parse("GBP").expect("GBP")
}

/// Imports the bundled ECB rates and creates a live GBP campaign (goal £1,000, milestone
/// at £250) accepting GBP, USD, EUR, DKK, INR and JPY.
pub async fn seed_campaign(db: &Db, slug: &str) -> Campaign {
    rates::import(db, &rates::parse_ecb(rates::BUNDLED_ECB).expect("rates"))
        .await
        .expect("import");
    let c = |s: &str| CurrencyCode::parse(s).expect("currency");
    repo::create(
        db,
        &NewCampaign {
            slug: Slug::parse(slug).expect("slug"),
            title: "Test library".into(),
            summary: "A test campaign".into(),
            story_md: "The **story**.".into(),
            goal: Money::new(1_000_00, gbp()),
            accepted: vec![c("GBP"), c("USD"), c("EUR"), c("DKK"), c("INR"), c("JPY")],
            starts_at: Utc::now() - Duration::days(1),
            ends_at: Some(Utc::now() + Duration::days(30)),
            beneficiary_name: "Village library".into(),
            beneficiary_place: "Tamil Nadu, India".into(),
            cover_image_url: None,
            cover_image_alt: None,
            state: CampaignState::Live,
            keep_accepting: true,
            featured: true,
            milestones: vec![Milestone {
                amount: Money::new(250_00, gbp()),
                label: "Roof".into(),
            }],
        },
    )
    .await
    .expect("create campaign")
}

/// The real server on a free loopback port, running in this process.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn start(settings: Settings) -> TestApp {
        let app = Application::build(settings).await.expect("build app");
        let base = format!("http://{}", app.addr());
        let db = app.state().db.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run_until(async move {
                let _ = rx.await;
            })
            .await
            .expect("server ran");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base,
            client,
            db,
            stop: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// The donate form's CSRF token from the campaign page.
    pub async fn csrf(&self, slug: &str) -> String {
        let html = self.text(&format!("/campaigns/{slug}")).await;
        hidden_value(&html, "csrf").expect("csrf field on the campaign page")
    }

    /// Posts the donate form; returns the response (303 to the checkout on success).
    pub async fn donate(&self, slug: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf(slug).await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &token));
        self.post_form(&format!("/campaigns/{slug}/donate"), &form)
            .await
    }

    /// Opens a checkout for `amount currency` and returns the checkout session id.
    pub async fn open_checkout(&self, slug: &str, amount: &str, currency: &str) -> String {
        let res = self
            .donate(
                slug,
                &[
                    ("amount", amount),
                    ("currency", currency),
                    ("name", "Ada"),
                    ("email", ""),
                    ("message", ""),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "donate should redirect to the checkout"
        );
        let loc = location(&res);
        loc.strip_prefix("/test-checkout/")
            .expect("test checkout URL")
            .to_string()
    }

    /// Full donor path: form → checkout page → `outcome` button. Returns the final Location.
    pub async fn donate_through_checkout(
        &self,
        slug: &str,
        amount: &str,
        currency: &str,
        outcome: &str,
    ) -> String {
        let session = self.open_checkout(slug, amount, currency).await;
        let page = self.text(&format!("/test-checkout/{session}")).await;
        assert!(page.contains("TEST MODE"));
        let token = hidden_value(&page, "csrf").expect("csrf on checkout page");
        let res = self
            .post_form(
                &format!("/test-checkout/{session}"),
                &[("csrf", &token), ("outcome", outcome)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        location(&res)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location header")
        .to_string()
}

/// The `value` of `<input type="hidden" name="NAME" value="…">`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Signs a test-provider callback body the way the provider does.
pub fn sign(body: &str) -> String {
    let p = shelfraiser::donations::providers::test::TestProvider::new(Secret(TEST_SECRET.into()));
    p.sign(body.as_bytes(), Utc::now().timestamp())
}

/// A succeeded callback body for a session.
pub fn succeeded_body(session: &str, reference: &str, amount_minor: i64, currency: &str) -> String {
    serde_json::json!({
        "id": format!("evt_{reference}"),
        "type": "checkout.succeeded",
        "session_id": session,
        "payment_reference": reference,
        "amount_minor": amount_minor,
        "currency": currency,
    })
    .to_string()
}

pub async fn post_callback(app: &TestApp, body: &str, signature: &str) -> reqwest::Response {
    app.client
        .post(app.url("/providers/test/callback"))
        .header("content-type", "application/json")
        .header("shelfraiser-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .expect("callback")
}

/// Row count of a table.
pub async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(&sql).fetch_one(p).await.expect("count"),
        Db::Postgres(p) => sqlx::query_scalar(&sql).fetch_one(p).await.expect("count"),
    }
}
