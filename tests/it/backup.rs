//! `backup`, `restore` and `move-to` through the real binary: a backup taken while
//! donations arrive restores into a fresh SQLite folder and a fresh PostgreSQL database with
//! every table's rows equal and the ledger checked; `restore` refuses a non-empty target, a
//! changed archive and a newer schema; `move-to` copies the demo site from SQLite to
//! PostgreSQL.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use shelfraiser::db::Db;
use shelfraiser::db::dump::parse_timestamp;

use crate::harness::*;

const SLUG: &str = "library-for-kalpakkam";

fn args_of(storage: &[String], rest: &[&str]) -> Vec<String> {
    let mut v = storage.to_vec();
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

async fn cli(cwd: &Path, args: &[String]) -> CliOutput {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_cli_async(cwd, &args, &[]).await
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 path").to_string()
}

/// A new PostgreSQL database with nothing in it (not even the migrations), or `None`
/// without a PostgreSQL server.
async fn empty_pg() -> Option<(String, String)> {
    let admin = std::env::var("SHELFRAISER_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!("r_{}", uuid::Uuid::new_v4().simple());
    let Db::Postgres(p) = Db::connect(&admin).await.expect("admin URL") else {
        panic!("not a PostgreSQL URL")
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&p)
        .await
        .expect("create database");
    p.close().await;
    let url = pg_url(&admin, &name);
    Some((admin, url))
}

/// Every table's rows, each as `column=value` pairs sorted by column, the rows sorted:
/// values made comparable across backends (timestamps to the microsecond in UTC, booleans
/// as 0/1), PostgreSQL's generated columns left out (the catalogue read skips them).
async fn canonical(db: &Db) -> BTreeMap<String, Vec<String>> {
    fn value(v: &Value) -> String {
        match v {
            Value::Bool(b) => i64::from(*b).to_string(),
            Value::String(s) => match parse_timestamp(s) {
                Some(t) => format!("t:{}", t.timestamp_micros()),
                None => format!("s:{s}"),
            },
            other => other.to_string(),
        }
    }
    let mut snap = db.snapshot().await.expect("snapshot");
    let mut out = BTreeMap::new();
    for t in snap.tables().await.expect("tables") {
        let mut rows = Vec::new();
        snap.rows(&t, |vals| -> Result<(), shelfraiser::db::DbError> {
            let mut cells: Vec<String> = t
                .columns
                .iter()
                .zip(&vals)
                .map(|(c, v)| format!("{}={}", c.name, value(v)))
                .collect();
            cells.sort();
            rows.push(cells.join("\u{1f}"));
            Ok(())
        })
        .await
        .expect("rows");
        rows.sort();
        out.insert(t.name.clone(), rows);
    }
    snap.finish().await.expect("end snapshot");
    out
}

fn assert_same_tables(
    what: &str,
    a: &BTreeMap<String, Vec<String>>,
    b: &BTreeMap<String, Vec<String>>,
) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: the same tables"
    );
    for (t, rows) in a {
        let other = &b[t];
        if rows != other {
            let only_a: Vec<_> = rows.iter().filter(|r| !other.contains(r)).take(2).collect();
            let only_b: Vec<_> = other.iter().filter(|r| !rows.contains(r)).take(2).collect();
            panic!(
                "{what}: table {t} differs ({} vs {} rows)\nonly in the first: {only_a:#?}\nonly in the second: {only_b:#?}",
                rows.len(),
                other.len()
            );
        }
    }
}

fn start_demo(tdb: &TestDb) -> ServerProcess {
    let mut args = storage_args(tdb);
    args.push("--demo".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServerProcess::start(
        &args,
        &[
            ("SHELFRAISER_PROVIDERS__TEST__SECRET", TEST_SECRET),
            ("SHELFRAISER_DONATIONS__CHECKOUTS_PER_IP", "0"),
            ("SHELFRAISER_DONATIONS__CHECKOUTS_PER_CAMPAIGN", "0"),
        ],
    )
}

/// Donors giving through the donate form and the provider's callback, one after another,
/// until `stop`; counts the acknowledged gifts.
async fn donate_until(base: String, stop: Arc<AtomicBool>, acked: Arc<AtomicUsize>) {
    let client = http_client();
    let page = client
        .get(format!("{base}/campaigns/{SLUG}"))
        .send()
        .await
        .expect("campaign page")
        .text()
        .await
        .expect("body");
    let csrf = hidden_value(&page, "csrf").expect("csrf field");
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let amount = (i % 50 + 1).to_string();
        let res = client
            .post(format!("{base}/campaigns/{SLUG}/donate"))
            .form(&[
                ("amount", amount.as_str()),
                ("currency", "GBP"),
                ("name", "Backup test"),
                ("email", ""),
                ("message", "While the backup runs"),
                ("visibility", "public"),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .expect("donate");
        assert_eq!(res.status().as_u16(), 303, "donate #{i}");
        let session = location(&res)
            .strip_prefix("/test-checkout/")
            .expect("test checkout URL")
            .to_string();
        let reference = format!("bk-{i}-{}", uuid::Uuid::new_v4().simple());
        let body = succeeded_body(&session, &reference, (i % 50 + 1) * 100, "GBP");
        let res = client
            .post(format!("{base}/providers/test/callback"))
            .header("content-type", "application/json")
            .header("shelfraiser-signature", sign(&body))
            .body(body)
            .send()
            .await
            .expect("callback");
        assert!(res.status().is_success(), "callback #{i}: {}", res.status());
        acked.fetch_add(1, Ordering::SeqCst);
    }
}

async fn wait_for(acked: &AtomicUsize, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no donations arrive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Restores `archive` into a fresh SQLite folder; returns the folder (kept by `keep`).
async fn restore_into_sqlite(archive: &Path, keep: &tempfile::TempDir) -> (PathBuf, CliOutput) {
    let dir = keep
        .path()
        .join(format!("r-{}", uuid::Uuid::new_v4().simple()));
    let out = cli(
        keep.path(),
        &[
            "--data-dir".into(),
            path_str(&dir),
            "restore".into(),
            path_str(archive),
        ],
    )
    .await;
    (dir, out)
}

async fn restore_into_pg(
    archive: &Path,
    keep: &tempfile::TempDir,
) -> Option<(String, String, CliOutput)> {
    let (admin, url) = empty_pg().await?;
    let dir = keep
        .path()
        .join(format!("p-{}", uuid::Uuid::new_v4().simple()));
    let out = cli(
        keep.path(),
        &[
            "--data-dir".into(),
            path_str(&dir),
            "--database-url".into(),
            url.clone(),
            "restore".into(),
            path_str(archive),
        ],
    )
    .await;
    Some((admin, url, out))
}

fn manifest_rows(archive: &Path, table: &str) -> u64 {
    let manifest = read_archive(archive)
        .into_iter()
        .find(|(p, _)| p == "manifest.json")
        .expect("manifest");
    let m: Value = serde_json::from_slice(&manifest.1).expect("manifest JSON");
    m["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == table)
        .and_then(|t| t["rows"].as_u64())
        .expect("table in manifest")
}

fn read_archive(path: &Path) -> Vec<(String, Vec<u8>)> {
    let f = std::fs::File::open(path).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for e in tar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut buf = Vec::new();
        e.read_to_end(&mut buf).expect("read entry");
        out.push((name, buf));
    }
    out
}

fn write_archive(path: &Path, members: &[(String, Vec<u8>)]) {
    let f = std::fs::File::create(path).expect("create archive");
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        tar.append_data(&mut h, name, data.as_slice())
            .expect("append");
    }
    tar.into_inner()
        .expect("tar")
        .finish()
        .expect("gzip")
        .flush()
        .expect("flush");
}

fn ledger_ok(out: &CliOutput) {
    assert!(out.ok(), "{out:?}");
    assert!(out.stdout.contains("ledger ok:"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_into_either_backend() {
    each_backend(|tdb| async move {
        let work = tempfile::tempdir().expect("work dir");
        let client = http_client();
        let mut server = start_demo(&tdb);
        server.wait_ok(&client, "/readyz", Duration::from_secs(30)).await;
        let storage = storage_args(&tdb);

        // Donations keep arriving while the backup runs.
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let load = tokio::spawn(donate_until(
            server.base.clone(),
            stop.clone(),
            acked.clone(),
        ));
        wait_for(&acked, 5).await;
        let before = count(&tdb.db, "donations").await;
        let under_load = work.path().join("under-load.tar.gz");
        let started = std::time::Instant::now();
        let out = cli(
            work.path(),
            &args_of(&storage, &["backup", "--to", &path_str(&under_load)]),
        )
        .await;
        let took = started.elapsed();
        assert!(out.ok(), "backup under load: {out:?}");
        assert!(out.stdout.contains("backup written to"), "{out:?}");
        let during = acked.load(Ordering::SeqCst);
        wait_for(&acked, during + 5).await;
        stop.store(true, Ordering::SeqCst);
        load.await.expect("donors");
        let after = count(&tdb.db, "donations").await;
        let in_archive = manifest_rows(&under_load, "donations") as i64;
        eprintln!(
            "backup under load on {}: {took:?}, {} bytes; donations {before} before, {in_archive} in the archive, {after} after",
            tdb.backend,
            std::fs::metadata(&under_load).expect("archive").len()
        );
        assert!(before <= in_archive && in_archive < after, "a snapshot between the two counts");

        // The archive of a busy site restores whole, with a balanced ledger.
        let (dir, out) = restore_into_sqlite(&under_load, &work).await;
        ledger_ok(&out);
        let restored = Db::connect(&format!("sqlite://{}", dir.join("shelfraiser.db").display()))
            .await
            .expect("restored");
        assert_eq!(count(&restored, "donations").await, in_archive);
        restored.close().await;

        // The site at rest: every table equal after a restore on either backend.
        server.signal("TERM");
        assert!(server.wait_exit(Duration::from_secs(30)).await.is_some(), "server stopped");
        let at_rest = work.path().join("at-rest.tar.gz");
        let out = cli(
            work.path(),
            &args_of(&storage, &["backup", "--to", &path_str(&at_rest)]),
        )
        .await;
        assert!(out.ok(), "backup: {out:?}");
        let again = cli(
            work.path(),
            &args_of(&storage, &["backup", "--to", &path_str(&at_rest)]),
        )
        .await;
        assert!(again.one_line_error().contains("already exists"), "{again:?}");
        let source = canonical(&tdb.db).await;
        assert!(source["donations"].len() as i64 >= after);

        let (dir, out) = restore_into_sqlite(&at_rest, &work).await;
        ledger_ok(&out);
        let restored = Db::connect(&format!("sqlite://{}", dir.join("shelfraiser.db").display()))
            .await
            .expect("restored");
        assert_same_tables("restored into SQLite", &source, &canonical(&restored).await);
        // The full-text index was rebuilt from the posts.
        exec(
            &restored,
            "INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)",
        )
        .await;
        // The outbox's files came along.
        let outbox = |d: &Path| std::fs::read_dir(d.join("outbox")).map(|r| r.count()).unwrap_or(0);
        assert_eq!(outbox(&dir), outbox(&tdb.data_dir()));
        restored.close().await;

        if let Some((admin, url, out)) = restore_into_pg(&at_rest, &work).await {
            ledger_ok(&out);
            let restored = Db::connect(&url).await.expect("restored");
            assert_same_tables("restored into PostgreSQL", &source, &canonical(&restored).await);
            // The sequences go on after the restored rows: one more gift is recorded.
            restored.close().await;
            let args = [
                "--data-dir".to_string(),
                path_str(&work.path().join("pg-more")),
                "--database-url".into(),
                url.clone(),
            ];
            let out = cli(
                work.path(),
                &args_of(
                    &args,
                    &["donation", "add", "--campaign", SLUG, "--amount", "5", "--currency", "GBP", "--donor", "After"],
                ),
            )
            .await;
            assert!(out.ok(), "a gift after the restore: {out:?}");
            let out = cli(work.path(), &args_of(&args, &["ledger", "verify"])).await;
            ledger_ok(&out);
            drop_database(&admin, &url).await;
        }
    })
    .await;
}

#[tokio::test]
async fn restore_refuses_a_full_target_a_changed_archive_and_a_newer_schema() {
    each_backend(|tdb| async move {
        let work = tempfile::tempdir().expect("work dir");
        seed_campaign(&tdb.db, "refusals").await;
        let storage = storage_args(&tdb);
        let archive = work.path().join("site.tar.gz");
        let out = cli(
            work.path(),
            &args_of(&storage, &["backup", "--to", &path_str(&archive)]),
        )
        .await;
        assert!(out.ok(), "backup: {out:?}");

        // A data folder with something in it.
        let full = work.path().join("full");
        std::fs::create_dir_all(&full).expect("folder");
        std::fs::write(full.join("notes.txt"), "mine").expect("file");
        let out = cli(
            work.path(),
            &[
                "--data-dir".into(),
                path_str(&full),
                "restore".into(),
                path_str(&archive),
            ],
        )
        .await;
        let err = out.one_line_error();
        assert!(err.contains("is not empty"), "{err}");

        // A database with rows (the source itself, through an empty data folder).
        let mut into_source = vec![
            "--data-dir".to_string(),
            path_str(&work.path().join("empty-folder")),
            "--database-url".into(),
            tdb.url.clone(),
        ];
        into_source.extend(["restore".into(), path_str(&archive)]);
        let err = cli(work.path(), &into_source).await.one_line_error();
        assert!(err.contains("database is not empty"), "{err}");

        // One byte changed in a table: refused before anything is written.
        let members = read_archive(&archive);
        let changed: Vec<(String, Vec<u8>)> = members
            .iter()
            .map(|(p, d)| {
                let mut d = d.clone();
                if p == "tables/campaigns.jsonl" {
                    let text = String::from_utf8(d)
                        .expect("UTF-8")
                        .replace("Test library", "Test librarY");
                    d = text.into_bytes();
                }
                (p.clone(), d)
            })
            .collect();
        let tampered = work.path().join("tampered.tar.gz");
        write_archive(&tampered, &changed);
        let (dir, out) = restore_into_sqlite(&tampered, &work).await;
        let err = out.one_line_error();
        assert!(
            err.contains("tables/campaigns.jsonl does not match its checksum"),
            "{err}"
        );
        assert!(!dir.exists(), "nothing written for a changed archive");

        // A schema from a later release.
        let newer: Vec<(String, Vec<u8>)> = members
            .iter()
            .map(|(p, d)| {
                if p == "manifest.json" {
                    let mut m: Value = serde_json::from_slice(d).expect("manifest");
                    let v = m["schema_version"].as_i64().expect("version");
                    m["schema_version"] = Value::from(v + 1);
                    (p.clone(), serde_json::to_vec(&m).expect("JSON"))
                } else {
                    (p.clone(), d.clone())
                }
            })
            .collect();
        let later = work.path().join("later.tar.gz");
        write_archive(&later, &newer);
        let (dir, out) = restore_into_sqlite(&later, &work).await;
        let err = out.one_line_error();
        assert!(err.contains("is newer than this shelfraiser's"), "{err}");
        assert!(!dir.exists(), "nothing written for a newer schema");

        // The untouched archive restores.
        let (_, out) = restore_into_sqlite(&archive, &work).await;
        ledger_ok(&out);
    })
    .await;
}

#[tokio::test]
async fn move_to_copies_the_demo_site_from_sqlite_to_postgresql() {
    let tdb = TestDb::new(&Backend::Sqlite).await;
    let Some((admin, url)) = empty_pg().await else {
        eprintln!("\n!!!!! SKIPPED: move-to needs SHELFRAISER_TEST_PG_URL !!!!!\n");
        return;
    };
    shelfraiser::demo::seed_if_empty(&tdb.db)
        .await
        .expect("demo seed");
    let storage = storage_args(&tdb);
    let started = std::time::Instant::now();
    let out = cli(tdb.dir.path(), &args_of(&storage, &["move-to", &url])).await;
    eprintln!("move-to of the demo site: {:?}", started.elapsed());
    ledger_ok(&out);
    assert!(
        out.stdout.contains("every table's row count matches"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(&format!("database_url = \"{url}\"")),
        "{out:?}"
    );
    let moved = Db::connect(&url).await.expect("PostgreSQL");
    assert_same_tables(
        "moved to PostgreSQL",
        &canonical(&tdb.db).await,
        &canonical(&moved).await,
    );
    moved.close().await;

    // The site runs on PostgreSQL: the ledger check through the printed setting.
    let out = run_cli(
        tdb.dir.path(),
        &["--data-dir", &path_str(&tdb.data_dir()), "ledger", "verify"],
        &[("SHELFRAISER_DATABASE_URL", url.as_str())],
    );
    ledger_ok(&out);

    // A second move into the same database is refused.
    let err = cli(tdb.dir.path(), &args_of(&storage, &["move-to", &url]))
        .await
        .one_line_error();
    assert!(err.contains("database is not empty"), "{err}");
    drop_database(&admin, &url).await;
}

/// `--version` names the release and the commit the binary was built from.
#[test]
fn backup_version_names_the_commit() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run_cli(dir.path(), &["--version"], &[]);
    assert!(out.ok(), "{out:?}");
    let line = out.stdout.trim().to_string();
    let prefix = format!("shelfraiser {} (", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&prefix), "{line}");
    let commit = line[prefix.len()..]
        .split([' ', ')'])
        .next()
        .expect("commit")
        .to_string();
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match git {
        // Built from this checkout: its commit (or an ancestor, when the tree moved on
        // since the build), never "unknown".
        Some(_) => assert!(
            commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        ),
        None => assert_eq!(commit, "unknown", "{line}"),
    }
}

#[tokio::test]
async fn backup_healthz_and_metrics_report_the_release_and_schema() {
    each_backend(|tdb| async move {
        let app = TestApp::start(settings(&tdb)).await;
        let latest = shelfraiser::db::dump::latest_schema_version();
        // The plain form is unchanged for load balancers.
        let res = app.get("/healthz").await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.text().await.expect("body"), "ok");
        let res = app
            .client
            .get(app.url("/healthz"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .expect("content type")
                .starts_with("application/json")
        );
        let v: Value = res.json().await.expect("json");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["commit"], shelfraiser::app::COMMIT);
        assert_eq!(v["schema_version"], latest);
        assert_eq!(v["schema_version_latest"], latest);

        let metrics = app.text("/metrics").await;
        let info = format!(
            "shelfraiser_build_info{{version=\"{}\",commit=\"{}\",schema=\"{latest}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            shelfraiser::app::COMMIT
        );
        assert!(metrics.contains(&info), "{metrics}");
        assert!(metrics.contains("# TYPE shelfraiser_build_info gauge"));
        // No scheduled backup yet (the first comes minutes after start).
        assert!(metrics.contains("shelfraiser_backup_last_success_timestamp_seconds 0"));
        app.stop().await;
    })
    .await;
}

fn archives_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("backup folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn backup_scheduled_runs_once_per_period_keeps_n_and_is_shown() {
    use chrono::{Duration as Days, TimeZone, Utc};
    use shelfraiser::backup::{open, scheduled};
    use shelfraiser::team::Role;

    each_backend(|tdb| async move {
        seed_campaign(&tdb.db, "scheduled").await;
        let mut s = settings(&tdb);
        s.backup.keep = 2;
        s.backup.every_hours = 24;
        let dir = tdb.data_dir().join("backups");
        let t0 = Utc
            .with_ymd_and_hms(2026, 3, 1, 2, 30, 0)
            .single()
            .expect("time");

        let first = scheduled(&tdb.db, &s, t0).await.expect("run").expect("due");
        assert!(first.result.is_ok(), "{first:?}");
        assert!(first.path.ends_with("backup-20260301-023000.tar.gz"));
        // Another node asking at the same moment, or this one an hour later: not due.
        assert!(scheduled(&tdb.db, &s, t0).await.expect("run").is_none());
        assert!(
            scheduled(&tdb.db, &s, t0 + Days::hours(1))
                .await
                .expect("run")
                .is_none()
        );
        for day in 1..=3 {
            let r = scheduled(&tdb.db, &s, t0 + Days::hours(24 * day))
                .await
                .expect("run")
                .expect("due");
            assert!(r.result.is_ok(), "{r:?}");
        }
        // Four written, the two newest kept; the archive is the CLI's (it opens whole).
        assert_eq!(
            archives_in(&dir),
            [
                "backup-20260303-023000.tar.gz",
                "backup-20260304-023000.tar.gz"
            ]
        );
        let newest = dir.join("backup-20260304-023000.tar.gz");
        let archive = open(&newest).expect("archive opens");
        assert!(
            archive
                .manifest
                .tables
                .iter()
                .any(|t| t.name == "campaigns" && t.rows == 1)
        );
        assert!(
            !archive
                .manifest
                .members
                .iter()
                .any(|m| m.path.contains("backups/")),
            "the backup folder is not in the archive"
        );
        let bytes = std::fs::metadata(&newest).expect("size").len();
        let last = tdb.db.last_backup().await.expect("last");
        assert!(last.ok);
        assert_eq!(last.success_at, Some(t0 + Days::hours(72)));
        assert_eq!(last.bytes, Some(bytes));

        // Shown to owners on the dashboard, not to members; and in /metrics.
        let owner = crate::team_harness::team_member("backup-owner")
            .role(Role::Owner)
            .signed_in(&tdb.db)
            .await;
        let plain = crate::team_harness::team_member("backup-plain")
            .role(Role::Member)
            .signed_in(&tdb.db)
            .await;
        let app = TestApp::start(s.clone()).await;
        let html = owner.page(&app, "/admin").await;
        assert!(html.contains("id=\"backup-state\""), "{html}");
        assert!(html.contains("backup-20260304-023000.tar.gz"), "{html}");
        assert!(!html.contains("backup failed"));
        let html = plain.page(&app, "/admin").await;
        assert!(!html.contains("backup-state"));
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains(&format!(
                "shelfraiser_backup_last_success_timestamp_seconds {}",
                (t0 + Days::hours(72)).timestamp()
            )),
            "{metrics}"
        );
        assert!(metrics.contains(&format!("shelfraiser_backup_last_size_bytes {bytes}")));
        assert!(metrics.contains("shelfraiser_backup_last_attempt_failed 0"));

        // A failure (the folder cannot be made: a file is in the way) is recorded and shown,
        // the last good backup kept, and tried again an hour later rather than a day.
        let blocked = tdb.data_dir().join("blocked");
        std::fs::write(&blocked, "not a folder").expect("file");
        let mut bad = s.clone();
        bad.backup.dir = blocked.join("backups");
        let t4 = t0 + Days::hours(96);
        let r = scheduled(&tdb.db, &bad, t4)
            .await
            .expect("run")
            .expect("due");
        assert!(r.result.is_err(), "{r:?}");
        let html = owner.page(&app, "/admin").await;
        assert!(html.contains("The last backup failed"), "{html}");
        assert!(
            html.contains("role=\"alert\" id=\"backup-state\""),
            "{html}"
        );
        let metrics = app.text("/metrics").await;
        assert!(metrics.contains("shelfraiser_backup_last_attempt_failed 1"));
        assert!(metrics.contains(&format!("shelfraiser_backup_last_size_bytes {bytes}")));
        assert!(
            scheduled(&tdb.db, &s, t4 + Days::minutes(30))
                .await
                .expect("run")
                .is_none()
        );
        let r = scheduled(&tdb.db, &s, t4 + Days::hours(1))
            .await
            .expect("run")
            .expect("retried");
        assert!(r.result.is_ok(), "{r:?}");
        assert_eq!(archives_in(&dir).len(), 2);
        app.stop().await;
    })
    .await;
}

/// A database made by an older release's migrations: starting the server (as after an
/// upgrade) writes a backup with the old schema before migrating, once.
#[tokio::test]
async fn backup_before_upgrade_when_migrations_are_pending() {
    let latest = shelfraiser::db::dump::latest_schema_version();
    let older = latest - 1;
    let work = tempfile::tempdir().expect("work");
    let mut urls = vec![(
        None,
        format!("sqlite://{}", work.path().join("old.db").display()),
    )];
    if let Some((admin, url)) = empty_pg().await {
        urls.push((Some(admin), url));
    }
    for (admin, url) in urls {
        let data = work
            .path()
            .join(format!("data-{}", uuid::Uuid::new_v4().simple()));
        let db = Db::connect(&url).await.expect("connect");
        db.migrate_to(older).await.expect("older schema");
        assert_eq!(db.schema_version().await.expect("schema"), Some(older));
        db.close().await;

        let mut s = shelfraiser::config::Settings {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: data.clone(),
            database_url: url.clone(),
            ..Default::default()
        };
        s.backup.before_upgrade = true;
        let app = TestApp::start(s.clone()).await;
        assert_eq!(
            app.db.schema_version().await.expect("schema"),
            Some(latest),
            "migrated after the backup"
        );
        app.stop().await;
        let dir = data.join("backups");
        let names = archives_in(&dir);
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].starts_with("before-upgrade-"), "{names:?}");
        let archive = shelfraiser::backup::open(&dir.join(&names[0])).expect("opens");
        assert_eq!(archive.manifest.schema_version, older);

        // Nothing pending any more: the next start writes none.
        let app = TestApp::start(s).await;
        app.stop().await;
        assert_eq!(archives_in(&dir).len(), 1);
        if let Some(admin) = admin {
            drop_database(&admin, &url).await;
        }
    }
}
