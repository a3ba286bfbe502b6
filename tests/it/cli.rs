//! The command line, run as the real binary: help and errors, configuration, migrations,
//! rates, campaigns, offline donations, the ledger check, storage flags from the
//! environment, and `serve` (readiness, SIGTERM, draining an in-flight request).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use shelfraiser::campaigns::repo;
use shelfraiser::config::Settings;
use shelfraiser::db::Db;
use shelfraiser::money::{CurrencyCode, Money};
use shelfraiser::rates;

use crate::harness::*;

const ECB_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/eurofxref-daily.xml");

/// Runs `shelfraiser <storage flags> ARGS` against the test's database.
async fn cli(tdb: &TestDb, args: &[&str]) -> CliOutput {
    let mut all = storage_args(tdb);
    all.extend(args.iter().map(|s| s.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_cli_async(tdb.dir.path(), &all, &[]).await
}

/// Imports the bundled ECB rates and creates the campaign `s` (goal £1,000, live, accepts
/// USD and EUR, a milestone at £250).
async fn create_campaign(tdb: &TestDb) {
    let out = cli(tdb, &["rates", "import", ECB_FIXTURE]).await;
    assert!(out.ok(), "{out:?}");
    let out = cli(
        tdb,
        &[
            "campaign",
            "create",
            "--slug",
            "s",
            "--title",
            "T",
            "--goal",
            "1000",
            "--currency",
            "GBP",
            "--accept",
            "USD,EUR",
            "--state",
            "live",
            "--milestone",
            "250:Roof",
        ],
    )
    .await;
    assert!(out.ok(), "{out:?}");
    assert!(out.stdout.contains("created campaign s (live)"), "{out:?}");
    // Its fediverse actor and key pair are made with it.
    let c = shelfraiser::campaigns::repo::by_slug(&tdb.db, "s")
        .await
        .expect("read")
        .expect("campaign");
    let actor = shelfraiser::federation::repo::actor(&tdb.db, &c.id)
        .await
        .expect("read")
        .expect("the campaign's actor");
    assert!(
        actor
            .public_key_pem
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
}

#[test]
fn help_works_for_every_command_and_unknown_ones_fail() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["migrate"],
        &["config"],
        &["config", "default"],
        &["campaign"],
        &["campaign", "create"],
        &["campaign", "list"],
        &["campaign", "show"],
        &["donation"],
        &["donation", "add"],
        &["donation", "void"],
        &["rates"],
        &["rates", "import"],
        &["ledger"],
        &["ledger", "verify"],
    ];
    for cmd in commands {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = run_cli(cwd.path(), &args, &[]);
        assert!(out.ok(), "{args:?}: {out:?}");
        assert!(out.stdout.contains("Usage:"), "{args:?}: {out:?}");
    }
    let out = run_cli(cwd.path(), &["campaign", "create", "--help"], &[]);
    for flag in ["--slug", "--goal", "--currency", "--accept", "--milestone"] {
        assert!(out.stdout.contains(flag), "{flag}: {out:?}");
    }

    let out = run_cli(cwd.path(), &["frobnicate"], &[]);
    assert!(!out.ok(), "{out:?}");
    assert!(out.stderr.contains("frobnicate"), "{out:?}");
    let out = run_cli(cwd.path(), &["campaign", "frobnicate"], &[]);
    assert!(!out.ok(), "{out:?}");
    let out = run_cli(cwd.path(), &[], &[]);
    assert!(!out.ok(), "no subcommand: {out:?}");
    // None of this touched the working directory.
    assert_eq!(
        std::fs::read_dir(cwd.path()).expect("read dir").count(),
        0,
        "help and usage errors create no files"
    );
}

#[test]
fn config_default_prints_the_documented_defaults() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let out = run_cli(cwd.path(), &["config", "default"], &[]);
    assert!(out.ok(), "{out:?}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.trim() == r#"listen = "127.0.0.1:8080""#),
        "{}",
        out.stdout
    );
    let table: toml::Table = toml::from_str(&out.stdout).expect("valid TOML");
    assert_eq!(table["listen"].as_str(), Some("127.0.0.1:8080"));
    let parsed: Settings = toml::from_str(&out.stdout).expect("parses as the settings");
    assert_eq!(parsed, Settings::default());
}

#[tokio::test]
async fn migrate_and_rates_import() {
    each_backend(|tdb| async move {
        let out = cli(&tdb, &["migrate"]).await;
        assert!(out.ok(), "{out:?}");
        assert!(
            out.stdout
                .contains(&format!("migrations applied ({})", tdb.backend)),
            "{out:?}"
        );
        // Twice is fine.
        assert!(cli(&tdb, &["migrate"]).await.ok());

        let out = cli(&tdb, &["rates", "import", ECB_FIXTURE]).await;
        assert!(out.ok(), "{out:?}");
        let stored = count(&tdb.db, "exchange_rates").await;
        assert!(stored > 20, "{stored}");
        assert!(
            out.stdout.contains(&format!("{stored} new rates stored")),
            "{out:?}"
        );
        let sheet = &rates::parse_ecb(rates::BUNDLED_ECB).expect("fixture")[0];
        assert!(
            out.stdout
                .contains(&format!("{}: {} rates", sheet.as_of, sheet.per_eur.len())),
            "{out:?}"
        );

        let again = cli(&tdb, &["rates", "import", ECB_FIXTURE]).await;
        assert!(again.ok(), "{again:?}");
        assert!(again.stdout.contains("0 new rates stored"), "{again:?}");
        assert_eq!(count(&tdb.db, "exchange_rates").await, stored);

        // Garbage, a file without rates and a missing file: one clear line each.
        let garbage = tdb.dir.path().join("garbage.xml");
        std::fs::write(&garbage, "this <is <<not xml & at all").expect("write");
        let g = garbage.to_str().expect("UTF-8 path");
        let line = cli(&tdb, &["rates", "import", g]).await.one_line_error();
        assert!(line.contains("rates file"), "{line}");
        let empty = tdb.dir.path().join("empty.xml");
        std::fs::write(&empty, "<?xml version=\"1.0\"?><a><b/></a>").expect("write");
        let e = empty.to_str().expect("UTF-8 path");
        let line = cli(&tdb, &["rates", "import", e]).await.one_line_error();
        assert!(line.contains("eurofxref"), "{line}");
        let line = cli(&tdb, &["rates", "import", "/nonexistent/rates.xml"])
            .await
            .one_line_error();
        assert!(
            line.contains("cannot read /nonexistent/rates.xml"),
            "{line}"
        );
        assert_eq!(count(&tdb.db, "exchange_rates").await, stored);
    })
    .await;
}

#[tokio::test]
async fn campaigns_are_created_listed_and_shown() {
    each_backend(|tdb| async move {
        create_campaign(&tdb).await;

        let list = cli(&tdb, &["campaign", "list"]).await;
        assert!(list.ok(), "{list:?}");
        let line = list
            .stdout
            .lines()
            .find(|l| l.starts_with("s\t"))
            .unwrap_or_else(|| panic!("campaign s listed: {list:?}"));
        assert!(line.starts_with("s\tlive\t"), "{line}");
        assert!(line.ends_with("\tT"), "{line}");
        assert!(line.contains("0%"), "{line}");

        let show = cli(&tdb, &["campaign", "show", "s"]).await;
        assert!(show.ok(), "{show:?}");
        let field = |name: &str| -> String {
            show.stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("{name} in {show:?}"))
        };
        assert_eq!(field("slug"), "s");
        assert_eq!(field("title"), "T");
        assert_eq!(field("state"), "live");
        assert!(field("raised").ends_with("(0%)"), "{show:?}");
        assert!(field("raised").contains("1,000"), "{show:?}");
        assert_eq!(field("donations"), "0");
        assert_eq!(field("currencies"), "GBP, USD, EUR");
        let milestone = field("milestone");
        assert!(
            milestone.contains("250") && milestone.ends_with("Roof"),
            "{milestone}"
        );

        // The same slug again.
        let again = cli(
            &tdb,
            &[
                "campaign",
                "create",
                "--slug",
                "s",
                "--title",
                "Other",
                "--goal",
                "5",
                "--currency",
                "GBP",
            ],
        )
        .await
        .one_line_error();
        assert!(
            again.contains("a campaign with the slug s already exists"),
            "{again}"
        );

        // Bad input: one line each, nothing created.
        let bad: &[(&[&str], &str)] = &[
            (
                &["--slug", "Not A Slug", "--goal", "5", "--currency", "GBP"],
                "not a valid slug",
            ),
            (
                &["--slug", "ok-slug", "--goal", "5", "--currency", "QQQ"],
                "\"QQQ\" is not a currency code",
            ),
            (
                &[
                    "--slug",
                    "ok-slug",
                    "--goal",
                    "5",
                    "--currency",
                    "GBP",
                    "--accept",
                    "USD,XX",
                ],
                "\"XX\" is not a currency code",
            ),
            (
                &["--slug", "ok-slug", "--goal", "lots", "--currency", "GBP"],
                "bad --goal",
            ),
            (
                &["--slug", "ok-slug", "--goal", "0", "--currency", "GBP"],
                "bad --goal",
            ),
            (
                &["--slug", "ok-slug", "--goal", "10.001", "--currency", "GBP"],
                "bad --goal",
            ),
            (
                &[
                    "--slug",
                    "ok-slug",
                    "--goal",
                    "5",
                    "--currency",
                    "GBP",
                    "--state",
                    "funded",
                ],
                "--state must be draft or live",
            ),
            (
                &[
                    "--slug",
                    "ok-slug",
                    "--goal",
                    "5",
                    "--currency",
                    "GBP",
                    "--milestone",
                    "Roof",
                ],
                "--milestone must look like",
            ),
            (
                &[
                    "--slug",
                    "ok-slug",
                    "--goal",
                    "5",
                    "--currency",
                    "GBP",
                    "--starts",
                    "soon",
                ],
                "is not a date",
            ),
        ];
        for (args, want) in bad {
            let mut all = vec!["campaign", "create", "--title", "X"];
            all.extend_from_slice(args);
            let line = cli(&tdb, &all).await.one_line_error();
            assert!(line.contains(want), "{args:?}: {line}");
        }
        let line = cli(&tdb, &["campaign", "show", "nope"])
            .await
            .one_line_error();
        assert!(
            line.contains("no campaign with the slug \"nope\""),
            "{line}"
        );

        assert_eq!(count(&tdb.db, "campaigns").await, 1);
        let list = cli(&tdb, &["campaign", "list"]).await;
        assert_eq!(list.stdout.lines().count(), 1, "{list:?}");
    })
    .await;
}

#[tokio::test]
async fn offline_donations_and_the_ledger_check() {
    each_backend(|tdb| async move {
        create_campaign(&tdb).await;
        let add = |reference: &'static str| {
            let tdb = &tdb;
            async move {
                cli(
                    tdb,
                    &[
                        "donation",
                        "add",
                        "--campaign",
                        "s",
                        "--amount",
                        "10",
                        "--currency",
                        "USD",
                        "--donor",
                        "Book club",
                        "--visibility",
                        "public",
                        "--reference",
                        reference,
                    ],
                )
                .await
            }
        };
        let first = add("R-1").await;
        assert!(first.ok(), "{first:?}");
        assert!(first.stdout.contains("recorded donation"), "{first:?}");

        // Converted with the imported rate: $10 × (0.84638 / 1.0705) = 790.64p → 791p.
        let table = rates::latest(&tdb.db).await.expect("rates");
        let (usd, gbp) = (
            CurrencyCode::parse("USD").expect("USD"),
            CurrencyCode::parse("GBP").expect("GBP"),
        );
        let rate = table.rate(usd, gbp).expect("USD→GBP");
        let expected = Money::new(10_00, usd).convert(rate, gbp).expect("convert");
        assert_eq!(expected.amount_minor, 791);
        assert!(first.stdout.contains("£7.91"), "{first:?}");
        assert!(first.stdout.contains(&rate.to_string()), "{first:?}");

        let second = add("R-1").await;
        assert!(second.ok(), "{second:?}");
        assert!(second.stdout.contains("already recorded"), "{second:?}");
        assert_eq!(count(&tdb.db, "donations").await, 1);
        let c = repo::by_slug(&tdb.db, "s").await.expect("db").expect("s");
        let t = repo::totals(&tdb.db, &c.id).await.expect("totals");
        assert_eq!((t.raised_minor, t.donor_count), (791, 1));
        let show = cli(&tdb, &["campaign", "show", "s"]).await;
        assert!(show.stdout.contains("£7.91"), "{show:?}");

        // Refused donations: one line each, nothing recorded.
        let refused: &[(&[&str], &str)] = &[
            (
                &["--campaign", "nope", "--amount", "1", "--currency", "GBP"],
                "no campaign with the slug",
            ),
            (
                &["--campaign", "s", "--amount", "1", "--currency", "JPY"],
                "does not accept JPY",
            ),
            (
                &["--campaign", "s", "--amount", "ten", "--currency", "GBP"],
                "bad --amount",
            ),
            // The command line takes digits and a decimal point: a comma is never read as
            // one (2,500 was once recorded as 2.50).
            (
                &["--campaign", "s", "--amount", "2,500", "--currency", "GBP"],
                "bad --amount",
            ),
            (
                &[
                    "--campaign",
                    "s",
                    "--amount",
                    "1",
                    "--currency",
                    "GBP",
                    "--visibility",
                    "loud",
                ],
                "--visibility must be",
            ),
            (
                &[
                    "--campaign",
                    "s",
                    "--amount",
                    "1",
                    "--currency",
                    "GBP",
                    "--date",
                    "yesterday",
                ],
                "--date must be YYYY-MM-DD",
            ),
            (
                &[
                    "--campaign",
                    "s",
                    "--amount",
                    "1",
                    "--currency",
                    "GBP",
                    "--email",
                    "not-an-address",
                ],
                "mail",
            ),
        ];
        for (args, want) in refused {
            let mut all = vec!["donation", "add"];
            all.extend_from_slice(args);
            let line = cli(&tdb, &all).await.one_line_error();
            assert!(line.contains(want), "{args:?}: {line}");
        }
        assert_eq!(count(&tdb.db, "donations").await, 1);

        let ok = cli(&tdb, &["ledger", "verify"]).await;
        assert!(ok.ok(), "{ok:?}");
        assert!(ok.stdout.contains("ledger ok"), "{ok:?}");
        assert!(ok.stdout.contains("1 entries"), "{ok:?}");

        // Tamper with the shown total behind the ledger's back.
        assert_eq!(
            exec(
                &tdb.db,
                "UPDATE campaign_totals SET raised_minor = raised_minor + 7"
            )
            .await,
            1
        );
        let bad = cli(&tdb, &["ledger", "verify"]).await;
        assert!(!bad.ok(), "{bad:?}");
        assert!(
            bad.stderr.contains(
                "mismatch: campaign s: raised (minor units) shows 798 but the ledger says 791"
            ),
            "{bad:?}"
        );
        assert!(bad.stderr.contains("differ in 1 places"), "{bad:?}");
        assert!(!bad.stdout.contains("ledger ok"), "{bad:?}");
    })
    .await;
}

#[tokio::test]
async fn storage_flags_come_from_the_environment_too() {
    for b in backends() {
        let tdb = TestDb::new(&b).await;
        eprintln!("-- backend: {}", tdb.backend);
        create_campaign(&tdb).await;
        let by_flag = cli(&tdb, &["campaign", "list"]).await;
        assert!(by_flag.ok(), "{by_flag:?}");
        assert!(by_flag.stdout.starts_with("s\tlive\t"), "{by_flag:?}");

        let elsewhere = tempfile::tempdir().expect("temp dir");
        let data_dir = tdb.data_dir();
        let data_dir = data_dir.to_str().expect("UTF-8 path");
        let mut env = vec![("SHELFRAISER_DATA_DIR", data_dir)];
        if tdb.backend == "postgres" {
            env.push(("SHELFRAISER_DATABASE_URL", tdb.url.as_str()));
        }
        let by_env = run_cli_async(elsewhere.path(), &["campaign", "list"], &env).await;
        assert!(by_env.ok(), "{by_env:?}");
        assert_eq!(by_env.stdout, by_flag.stdout);

        // Without either, the default data dir (in the working directory) is another site.
        let plain = run_cli_async(elsewhere.path(), &["campaign", "list"], &[]).await;
        assert!(plain.ok(), "{plain:?}");
        assert_eq!(plain.stdout, "");
        assert!(
            elsewhere
                .path()
                .join("shelfraiser-data/shelfraiser.db")
                .exists()
        );

        // Nested keys use a double underscore; variables that name no setting are ignored.
        let mut nested = env.clone();
        nested.push(("SHELFRAISER_DONATIONS__MAX_AMOUNT_MAJOR", "0"));
        let line = run_cli_async(elsewhere.path(), &["campaign", "list"], &nested)
            .await
            .one_line_error();
        assert!(
            line.contains("donations.max_amount_major must be positive"),
            "{line}"
        );
        let mut other = env.clone();
        other.push(("SHELFRAISER_NOT_A_SETTING", "x"));
        let out = run_cli_async(elsewhere.path(), &["campaign", "list"], &other).await;
        assert_eq!(out.stdout, by_flag.stdout, "{out:?}");
    }
}

/// The server-side receive queue of the loopback connection from `client_port` to
/// `server_port`, from /proc/net/tcp (None when that is not readable).
fn server_rx_queue(server_port: u16, client_port: u16) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let local = format!("0100007F:{server_port:04X}");
    let remote = format!("0100007F:{client_port:04X}");
    table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() > 4 && f[1] == local && f[2] == remote {
            u64::from_str_radix(f[4].split(':').nth(1)?, 16).ok()
        } else {
            None
        }
    })
}

#[tokio::test]
async fn serve_answers_and_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().expect("temp dir");
    let d = data.path().to_str().expect("UTF-8 path");
    let mut server = ServerProcess::start(&["--data-dir", d, "--demo"], &[]);
    server
        .wait_stdout("demo campaign: http://127.0.0.1:", Duration::from_secs(10))
        .await;
    assert!(
        server
            .stdout_text()
            .contains("/campaigns/library-for-kalpakkam"),
        "{}",
        server.stdout_text()
    );
    let client = http_client();
    let res = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.expect("body"), "ok");
    server
        .wait_ok(&client, "/readyz", Duration::from_secs(10))
        .await;

    // A slow client: the request line and part of the headers arrive before SIGTERM, the
    // rest after the server has started to shut down. The request is answered in full.
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let client_port = conn.local_addr().expect("local addr").port();
    conn.write_all(
        b"GET /campaigns/library-for-kalpakkam HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-test\r\n",
    )
    .expect("write the first part");
    // Wait until the server has read those bytes (its receive queue is empty), so the
    // request is in progress, not merely queued in the kernel, when the signal arrives.
    // (Without /proc, best effort: the bytes were sent before the signal.)
    if std::path::Path::new("/proc/net/tcp").exists() {
        let deadline = Instant::now() + Duration::from_secs(10);
        while server_rx_queue(port, client_port) != Some(0) {
            assert!(
                Instant::now() < deadline,
                "the server did not read the request: {:?}",
                server_rx_queue(port, client_port)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    let t0 = Instant::now();
    server.signal("TERM");
    server
        .wait_log("shutting down", Duration::from_secs(10))
        .await;
    assert!(
        server.wait_exit(Duration::from_millis(200)).await.is_none(),
        "the server must wait for the in-flight request"
    );
    let response = tokio::task::spawn_blocking(move || {
        conn.write_all(b"Accept: text/html\r\n\r\n")
            .expect("write the rest");
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).expect("read the response");
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .expect("slow client");
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(300)]
    );
    assert!(response.contains("</html>"), "the full page arrived");

    let status = server
        .wait_exit(Duration::from_secs(25))
        .await
        .expect("the server exits within 25 s of SIGTERM");
    eprintln!("   SIGTERM → exit: {:?}", t0.elapsed());
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    let log = server.log_text();
    assert!(!log.contains("drain timed out"), "{log}");

    // The data survives: the demo was seeded once and is still there.
    let db = Db::connect(&format!("sqlite://{d}/shelfraiser.db"))
        .await
        .expect("open");
    assert_eq!(count(&db, "campaigns").await, 1);
    db.close().await;
}
