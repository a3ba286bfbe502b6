//! Upgrading from the previous release: `tests/fixtures/upgrade/release-0029.db.gz` is a
//! SQLite database written by the previous release (schema 29: its `serve --demo`, two
//! offline gifts recorded with its CLI and five online ones through its test checkout; see
//! the folder's README). This release starts on it as an upgraded server would: the pending
//! migrations run (after the before-upgrade backup), and everything the old release wrote
//! still works — the totals equal the ledger, the pages show them, the old members sign in
//! with their passwords, the new console pages answer and new gifts are counted. On
//! PostgreSQL the same database arrives the way a site moves there: an archive of it, at its
//! old schema, restored into an empty database, where this release's later migrations run.

use std::io::Read;
use std::path::{Path, PathBuf};

use shelfraiser::backup;
use shelfraiser::db::Db;
use shelfraiser::donations::ledger;

use crate::harness::*;

const SLUG: &str = "library-for-kalpakkam";
/// The previous release's last migration.
const OLD_SCHEMA: i64 = 29;
/// What the fixture's campaign had raised, and in how many ledger entries.
const RAISED: &str = "£3,320.73";
const ENTRIES: i64 = 43;

/// The fixture, unpacked into `dir/shelfraiser.db`.
fn unpack(dir: &Path) -> PathBuf {
    let gz = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/upgrade/release-0029.db.gz"
    ))
    .expect("fixture");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut bytes)
        .expect("gunzip");
    std::fs::create_dir_all(dir).expect("data dir");
    let file = dir.join("shelfraiser.db");
    std::fs::write(&file, bytes).expect("write");
    file
}

fn settings_for(data: &Path, url: &str) -> shelfraiser::config::Settings {
    let mut s = shelfraiser::config::Settings {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: data.to_path_buf(),
        database_url: url.to_string(),
        ..Default::default()
    };
    s.providers.test.enabled = true;
    s.donations.checkouts_per_email = 0;
    s.backup.before_upgrade = true;
    s
}

/// What an upgraded site must do with the old release's data.
async fn works_after_the_upgrade(app: &TestApp) {
    let latest = shelfraiser::db::dump::latest_schema_version();
    assert_eq!(
        app.db.schema_version().await.expect("schema"),
        Some(latest),
        "every migration ran"
    );
    let report = ledger::verify(&app.db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert_eq!(report.entries, ENTRIES);

    let page = app.text(&format!("/campaigns/{SLUG}")).await;
    assert!(page.contains(RAISED), "the old total is shown");
    // The old release's owner signs in with the password it set; the console, including a
    // page this release added (following accounts elsewhere, migration 30), answers.
    let token = app
        .signed_in("harriet@example.org", "demo-harriet-2024")
        .await;
    for path in [
        "/admin",
        "/admin/donations",
        "/admin/following",
        "/admin/rates",
    ] {
        let res = get_as(app, path, &token).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }
    // A new gift is counted on top of the old ones.
    app.donate_through_checkout(SLUG, "10", "GBP", "succeed")
        .await;
    let report = ledger::verify(&app.db).await.expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert_eq!(report.entries, ENTRIES + 1);
    let page = app.text(&format!("/campaigns/{SLUG}")).await;
    assert!(page.contains("£3,330.73"), "the new gift is counted");
}

#[tokio::test]
async fn the_previous_releases_sqlite_database_upgrades_in_place() {
    if !backends().iter().any(|b| matches!(b, Backend::Sqlite)) {
        return;
    }
    let work = tempfile::tempdir().expect("work");
    let data = work.path().join("data");
    let file = unpack(&data);
    let url = format!("sqlite://{}", file.display());
    {
        let db = Db::connect(&url).await.expect("connect");
        assert_eq!(
            db.schema_version().await.expect("schema"),
            Some(OLD_SCHEMA),
            "the fixture is the previous release's"
        );
        db.close().await;
    }
    let app = TestApp::start(settings_for(&data, &url)).await;
    works_after_the_upgrade(&app).await;
    app.stop().await;
    // The before-upgrade archive holds the old schema.
    let dir = data.join("backups");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("backups")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("before-upgrade-"), "{names:?}");
    let archive = backup::open(&dir.join(&names[0])).expect("opens");
    assert_eq!(archive.manifest.schema_version, OLD_SCHEMA);
}

#[tokio::test]
async fn the_previous_releases_database_moves_to_postgresql_and_upgrades() {
    // The PostgreSQL pass (or a run on both backends) only.
    let Some(admin) = backends().into_iter().find_map(|b| match b {
        Backend::Postgres(url) => Some(url),
        Backend::Sqlite => None,
    }) else {
        eprintln!("skipped: no PostgreSQL in this run");
        return;
    };
    let work = tempfile::tempdir().expect("work");
    let file = unpack(&work.path().join("old"));
    // The archive of the old database at its own schema (read without migrating it).
    let old = Db::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("connect");
    let to = work.path().join("old.tar.gz");
    backup::backup(
        &old,
        &backup::Sources {
            data_dir: None,
            skip: Vec::new(),
            settings_file: None,
        },
        &to,
    )
    .await
    .expect("backup");
    old.close().await;
    let archive = backup::open(&to).expect("opens");
    assert_eq!(archive.manifest.schema_version, OLD_SCHEMA);

    let name = format!("u_{}", uuid::Uuid::new_v4().simple());
    let Db::Postgres(p) = Db::connect(&admin).await.expect("admin URL") else {
        panic!("not a PostgreSQL URL")
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&p)
        .await
        .expect("create database");
    p.close().await;
    let url = pg_url(&admin, &name);
    let pg = Db::connect(&url).await.expect("connect");
    let data = work.path().join("data");
    let report = backup::restore(
        &archive,
        &pg,
        &backup::Targets {
            data_dir: Some(data.clone()),
            settings_to: None,
        },
    )
    .await
    .expect("restore");
    assert!(report.rows > 0);
    pg.close().await;

    let app = TestApp::start(settings_for(&data, &url)).await;
    works_after_the_upgrade(&app).await;
    app.stop().await;
    drop_database(&admin, &url).await;
}
