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

/// Which backends to run on: both, or the one named by `SHELFRAISER_TEST_BACKEND`
/// (`sqlite` or `postgres`; `scripts/test.sh` runs the suite once per backend, so a failure on
/// one never hides the other's result). On CI PostgreSQL is required, so no test silently
/// skips it.
pub fn backends() -> Vec<Backend> {
    let only = std::env::var("SHELFRAISER_TEST_BACKEND").unwrap_or_default();
    let mut v = Vec::new();
    if only.is_empty() || only == "sqlite" {
        v.push(Backend::Sqlite);
    }
    if !only.is_empty() && only != "postgres" {
        return v;
    }
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
    /// Shared so the folder outlives a test body that only borrows `db`.
    pub dir: std::sync::Arc<tempfile::TempDir>,
    pub backend: &'static str,
}

impl TestDb {
    pub async fn new(b: &Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match b {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("shelfraiser.db").display()),
            Backend::Postgres(admin) => {
                let template = pg_template(admin).await;
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin_db = Db::connect(admin)
                    .await
                    .expect("connect to PostgreSQL admin URL");
                if let Db::Postgres(p) = &admin_db {
                    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                        .execute(p)
                        .await
                        .expect("create database");
                }
                admin_db.close().await;
                pg_url(admin, &name)
            }
        };
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let backend = db.backend();
        TestDb {
            url,
            db,
            dir: std::sync::Arc::new(dir),
            backend,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

pub fn pg_url(admin: &str, name: &str) -> String {
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("URL with a database");
    format!("{base}/{name}")
}

/// The migrated database every PostgreSQL test database is cloned from: `CREATE DATABASE …
/// TEMPLATE` copies it in a fraction of the time the migrations take to run, and each test
/// still checks with `migrate()` that nothing is left to apply. Named by a hash of the
/// migration files, so runs against one server share it until a migration changes; built
/// under another name and renamed when complete (a run killed halfway leaves no half-made
/// template), under an advisory lock (test processes running at once build it once).
static PG_TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn pg_template(admin: &str) -> &'static str {
    PG_TEMPLATE
        .get_or_init(|| async {
            use sha2::{Digest, Sha256};
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .expect("migrations folder")
                .map(|e| e.expect("migration file").path())
                .collect();
            files.sort();
            let mut h = Sha256::new();
            for f in &files {
                h.update(f.file_name().expect("name").as_encoded_bytes());
                h.update(std::fs::read(f).expect("migration"));
            }
            let hash = h.finalize();
            let name = format!("tmpl_{}", hex::encode(&hash[..8]));
            let Db::Postgres(admin_pool) = Db::connect(admin).await.expect("admin URL") else {
                panic!("not a PostgreSQL URL: {admin}")
            };
            let mut conn = admin_pool.acquire().await.expect("admin connection");
            sqlx::query("SELECT pg_advisory_lock(7426001)")
                .execute(&mut *conn)
                .await
                .expect("lock");
            let exists: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_optional(&mut *conn)
                    .await
                    .expect("look for the template");
            if exists.is_none() {
                let building = format!("{name}_b{}", uuid::Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {building}"))
                    .execute(&mut *conn)
                    .await
                    .expect("create the template");
                let db = Db::connect(&pg_url(admin, &building))
                    .await
                    .expect("connect to the template");
                db.migrate().await.expect("migrate the template");
                db.close().await;
                sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .execute(&mut *conn)
                    .await
                    .expect("name the template");
            }
            sqlx::query("SELECT pg_advisory_unlock(7426001)")
                .execute(&mut *conn)
                .await
                .expect("unlock");
            drop(conn);
            admin_pool.close().await;
            name
        })
        .await
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
        let keep = tdb.dir.clone();
        let url = tdb.url.clone();
        f(tdb).await;
        drop(keep);
        if let Backend::Postgres(admin) = &b {
            drop_database(admin, &url).await;
        }
    }
}

/// Drops a passed test's PostgreSQL database (a failed test's stays, to look at), so a long
/// series of runs against one server does not fill its disk.
pub async fn drop_database(admin: &str, url: &str) {
    let Some((_, name)) = url.rsplit_once('/') else {
        return;
    };
    if let Ok(Db::Postgres(p)) = Db::connect(admin).await {
        if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&p)
            .await
        {
            eprintln!("could not drop the test database {name}: {e}");
        }
        p.close().await;
    }
}

pub fn settings(tdb: &TestDb) -> Settings {
    let mut s = Settings {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: tdb.data_dir(),
        database_url: tdb.url.clone(),
        ..Settings::default()
    };
    s.providers.test.enabled = true;
    s.providers.test.secret = Secret(TEST_SECRET.into());
    // Tests give many times with one address; the per-e-mail limit's own test turns it on.
    s.donations.checkouts_per_email = 0;
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
            goal: Money::new(100_000, gbp()),
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
                amount: Money::new(25_000, gbp()),
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
    /// The running server's state (to call what the console calls, e.g. `signin::invite`).
    pub state: shelfraiser::http::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn start(settings: Settings) -> TestApp {
        let app = Application::build(settings).await.expect("build app");
        let base = format!("http://{}", app.addr());
        let state = app.state().clone();
        let db = state.db.clone();
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
            state,
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

// ---------------------------------------------------------------------------------------
// A member's session by hand: the `sr_session` cookie is sent and read explicitly.
// ---------------------------------------------------------------------------------------

/// GET `path` with the session cookie `token`.
pub async fn get_as(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("cookie", format!("sr_session={token}"))
        .send()
        .await
        .expect("GET")
}

/// The body of `path`, fetched with the session cookie `token` (any status).
pub async fn page_as(app: &TestApp, path: &str, token: &str) -> String {
    get_as(app, path, token).await.text().await.expect("body")
}

/// Posts `form` to `path` with the session cookie `token`.
pub async fn post_as(
    app: &TestApp,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("cookie", format!("sr_session={token}"))
        .form(form)
        .send()
        .await
        .expect("POST")
}

/// The session-bound CSRF token of the forms on `page`, as the session `token` sees it.
pub async fn bound_csrf(app: &TestApp, page: &str, token: &str) -> String {
    let html = page_as(app, page, token).await;
    hidden_value(&html, "csrf").unwrap_or_else(|| panic!("csrf on {page}: {html}"))
}

/// GETs `page` and posts `form` (plus the page's CSRF token) to `action`.
pub async fn submit(
    app: &TestApp,
    page: &str,
    action: &str,
    token: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = bound_csrf(app, page, token).await;
    let mut all = form.to_vec();
    all.push(("csrf", &csrf));
    post_as(app, action, token, &all).await
}

/// The `sr_session` value a response sets, if any.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sr_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
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
    let p = shelfraiser::payments::test::TestProvider::new(Secret(TEST_SECRET.into()));
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

// ---------------------------------------------------------------------------------------
// The real binary as a child process (CLI runs and `serve`), for the CLI, live and
// durability tests. Every child is killed and reaped on drop, also when a test fails.
// ---------------------------------------------------------------------------------------

/// Path of the `shelfraiser` binary Cargo built for this test run.
pub fn bin_path() -> &'static str {
    env!("CARGO_BIN_EXE_shelfraiser")
}

/// A `shelfraiser` command that runs in `cwd` (so a stray default data dir or config file
/// can only ever land in a temp folder) and does not inherit any `SHELFRAISER_*` variable.
pub fn shelfraiser_cmd(cwd: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin_path());
    cmd.current_dir(cwd);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SHELFRAISER_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// What a finished CLI run printed.
#[derive(Debug)]
pub struct CliOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts a failure that printed exactly one line, starting with `error:`; returns it.
    pub fn one_line_error(&self) -> String {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "expected a non-zero exit: {self:?}"
        );
        let lines: Vec<&str> = self.stderr.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1, "expected one error line: {self:?}");
        assert!(lines[0].starts_with("error: "), "{self:?}");
        lines[0].to_string()
    }
}

/// How long any single CLI run may take before the test gives up (and kills it).
pub const CLI_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs the binary to completion (blocking) with `args` and extra environment `envs`.
pub fn run_cli(cwd: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> CliOutput {
    let mut cmd = shelfraiser_cmd(cwd);
    cmd.args(args)
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn shelfraiser");
    let guard = PidGuard(child.id());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(CLI_TIMEOUT) {
        Ok(r) => {
            std::mem::forget(guard); // reaped: the pid must not be signalled any more
            r.expect("wait for shelfraiser")
        }
        Err(_) => panic!("shelfraiser {args:?} did not finish within {CLI_TIMEOUT:?}"),
    };
    CliOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// [`run_cli`] off the async runtime's threads (an in-process server keeps serving).
pub async fn run_cli_async(
    cwd: &std::path::Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> CliOutput {
    let cwd = cwd.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let envs: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_cli(&cwd, &args, &envs)
    })
    .await
    .expect("CLI task")
}

/// Kills a process that is still running when a test gives up on it.
struct PidGuard(u32);

impl Drop for PidGuard {
    fn drop(&mut self) {
        send_signal(self.0, "KILL");
    }
}

/// `kill -<SIG> <pid>` (no libc bindings needed).
pub fn send_signal(pid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// `shelfraiser serve` as a child process on a free loopback port. Its log (stderr) goes to
/// a file, shown when a test fails; drop kills and reaps it.
pub struct ServerProcess {
    child: std::process::Child,
    pub base: String,
    pub log: PathBuf,
    /// Everything the server printed on stdout so far (filled by a reader thread).
    pub stdout: std::sync::Arc<std::sync::Mutex<String>>,
    _log_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `shelfraiser serve --listen 127.0.0.1:0 ARGS` and waits (up to 60 s) for its
    /// `listening on http://…` line.
    pub fn start(args: &[&str], envs: &[(&str, &str)]) -> ServerProcess {
        use std::io::BufRead;
        let log_dir = tempfile::tempdir().expect("log dir");
        let log = log_dir.path().join("serve.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = shelfraiser_cmd(log_dir.path());
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .envs(envs.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(log_file);
        let mut child = cmd.spawn().expect("spawn shelfraiser serve");
        let stdout_pipe = child.stdout.take().expect("stdout pipe");
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        {
            let stdout = stdout.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout_pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut s) = stdout.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        let _ = tx.send(addr.trim().to_string());
                    }
                }
            });
        }
        let mut p = ServerProcess {
            child,
            base: String::new(),
            log,
            stdout,
            _log_dir: log_dir,
        };
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(base) => p.base = base,
            Err(_) => panic!(
                "serve printed no `listening on` line within 60 s; log:\n{}",
                p.log_text()
            ),
        }
        assert!(
            p.base.starts_with("http://127.0.0.1:"),
            "unexpected address {}",
            p.base
        );
        p
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        send_signal(self.pid(), sig);
    }

    /// Polls for the process to end, up to `timeout`; `None` when it is still running.
    pub async fn wait_exit(
        &mut self,
        timeout: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return Some(st);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Polls `path` until it answers 200, up to `timeout`.
    pub async fn wait_ok(
        &self,
        client: &reqwest::Client,
        path: &str,
        timeout: std::time::Duration,
    ) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(r) = client.get(self.url(path)).send().await
                && r.status().as_u16() == 200
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} not 200 within {timeout:?}; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// What the server printed on stdout so far.
    pub fn stdout_text(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Polls stdout, up to `timeout`, for `needle`.
    pub async fn wait_stdout(&self, needle: &str, timeout: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.stdout_text().contains(needle) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {needle:?} on stdout within {timeout:?}; stdout:\n{}",
                self.stdout_text()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Polls the log, up to `timeout`, for a line containing `needle`.
    pub async fn wait_log(&self, needle: &str, timeout: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.log_text().contains(needle) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {needle:?} in the log within {timeout:?}; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- serve log (last 40 lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// A plain HTTP client that does not follow redirects.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Runs one query (no result) on either backend, e.g. to tamper with data in a test.
pub async fn exec(db: &Db, sql: &str) -> u64 {
    match db {
        Db::Sqlite(p) => sqlx::query(sql)
            .execute(p)
            .await
            .expect("exec")
            .rows_affected(),
        Db::Postgres(p) => sqlx::query(sql)
            .execute(p)
            .await
            .expect("exec")
            .rows_affected(),
    }
}

/// Storage flags that point the binary at a test's database: `--data-dir` (SQLite lives
/// there) and, on PostgreSQL, `--database-url`.
pub fn storage_args(tdb: &TestDb) -> Vec<String> {
    let mut v = vec![
        "--data-dir".to_string(),
        tdb.data_dir().to_str().expect("UTF-8 path").to_string(),
    ];
    if tdb.backend == "postgres" {
        v.push("--database-url".into());
        v.push(tdb.url.clone());
    }
    v
}

/// The Python of the interoperability virtualenv (`SHELFRAISER_INTEROP_VENV`, which
/// scripts/test.sh sets), or `None`: the test named `test` is skipped with a loud message,
/// except in CI (`CI=true`), where it fails. `holding` says what the virtualenv must have.
pub fn interop_python(holding: &str, test: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("SHELFRAISER_INTEROP_VENV").map(std::path::PathBuf::from);
    let py = venv.map(|v| v.join("bin/python")).filter(|p| p.exists());
    if py.is_none() {
        let msg = format!(
            "SHELFRAISER_INTEROP_VENV does not name a virtualenv with {holding} \
             (run scripts/interop-venv.sh, or the suite through scripts/test.sh)"
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!! SKIPPED: {test}: {msg} !!!!!\n");
    }
    py
}
