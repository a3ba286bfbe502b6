// SPDX-License-Identifier: AGPL-3.0-or-later
//! Live-stream client for `bench/live-streams.sh` and `bench/cluster.sh`: holds many
//! `/campaigns/{slug}/live` Server-Sent Events streams open and measures how fast a
//! donation's new total reaches every one of them.
//!
//! ```text
//! cargo run --release --example live_streams -- \
//!     --base http://127.0.0.1:PORT --slug library-for-kalpakkam --streams 10000 --donations 10
//! ```
//!
//! 1. Opens `--streams` streams, at most `--opening` connecting at once (each stream's first
//!    event is read from the database, so a burst of ten thousand would only queue on the
//!    pool), over plain HTTP/1.1 on its own TCP connection, from `--sources` loopback
//!    addresses (127.0.0.1, .2, ...) in turn when one address's ephemeral ports would not
//!    do. Prints `READY <open> <refused> <seconds>` once all have their first event.
//! 2. Waits `--settle-secs`, then makes `--donations` donations, one every `--interval-ms`,
//!    through the test provider's hosted checkout (the campaign page, the donate form, the
//!    TEST MODE checkout page, "succeed"): t0 is when the final POST is sent.
//! 3. For each donation, the delivery time on each stream is the first `progress` event
//!    whose id (the campaign's version) is at least the donation's version, less t0 (the
//!    donation's version is the lowest new version any stream saw after t0). Waits until
//!    every stream has every donation, or `--deadline-secs` after the last one.
//! 4. With `--hold-secs`, simply holds the streams that long (another program donates and
//!    kills nodes meanwhile), then reads the current version from a fresh stream and waits
//!    up to `--deadline-secs` until every held stream has it.
//!
//! A stream that ends (EOF, error, a node gone) reconnects the way a browser's EventSource
//! does: after the `retry:` the server sent, with `Last-Event-ID`; reconnections are counted.
//!
//! Prints the delivery latencies (all deliveries: p50, p99, max; and per donation the time
//! until the last stream had it) and a machine-readable `RESULT key=value ...` line. Exits 1
//! when a stream could not be opened, missed a donation or did not catch up, or a donation
//! failed. Talks only to the addresses given (loopback).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::{Semaphore, watch};

#[derive(Parser, Debug)]
#[command(about = "Live-stream client for bench/live-streams.sh and bench/cluster.sh")]
struct Args {
    /// Base URL the streams and donations go to, e.g. http://127.0.0.1:8080
    #[arg(long)]
    base: String,
    /// Campaign slug
    #[arg(long, default_value = "library-for-kalpakkam")]
    slug: String,
    /// Streams to hold open
    #[arg(long, default_value_t = 10_000)]
    streams: usize,
    /// Streams connecting at once while opening
    #[arg(long, default_value_t = 64)]
    opening: usize,
    /// Loopback source addresses to spread the connections over (127.0.0.1 .. 127.0.0.N)
    #[arg(long, default_value_t = 1)]
    sources: u8,
    /// Seconds to wait after READY before the first donation
    #[arg(long, default_value_t = 2.0)]
    settle_secs: f64,
    /// Donations to make (measured mode)
    #[arg(long, default_value_t = 10)]
    donations: usize,
    /// Milliseconds between donations
    #[arg(long, default_value_t = 2000)]
    interval_ms: u64,
    /// Hold mode: hold the streams this long instead of donating, then check they caught up
    #[arg(long)]
    hold_secs: Option<f64>,
    /// How long, after the last donation (or the hold), every stream may take to catch up
    #[arg(long, default_value_t = 15.0)]
    deadline_secs: f64,
}

/// One `progress` event as a stream saw it.
#[derive(Clone, Copy)]
struct Seen {
    version: i64,
    at: Instant,
}

/// What one stream task hands back at the end.
struct StreamLog {
    opened: bool,
    seen: Vec<Seen>,
}

/// Counters shared by the stream tasks.
#[derive(Default)]
struct Shared {
    opened: AtomicUsize,
    refused: AtomicUsize,
    reconnects: AtomicU64,
    /// The highest version any stream saw, and how many streams have it.
    newest: AtomicU64,
}

const SHOWN_ERRORS: usize = 5;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.streams == 0 || args.opening == 0 || args.sources == 0 {
        bail!("--streams, --opening and --sources must be at least 1");
    }
    let base = args.base.trim_end_matches('/').to_string();
    let authority = base
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--base must be http://HOST:PORT"))?
        .to_string();
    let target: SocketAddr = tokio::net::lookup_host(&authority)
        .await
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .ok_or_else(|| anyhow!("{authority} resolves to nothing"))?;
    let path = format!("/campaigns/{}/live", args.slug);
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(args.opening));

    // ---- 1. open the streams ------------------------------------------------------------------
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.streams);
    for i in 0..args.streams {
        let source = Ipv4Addr::new(127, 0, 0, 1 + (i % usize::from(args.sources)) as u8);
        let conn = Conn {
            target,
            source: IpAddr::V4(source),
            request_head: (authority.clone(), path.clone()),
        };
        tasks.push(tokio::spawn(hold_stream(
            conn,
            shared.clone(),
            gate.clone(),
            stop_rx.clone(),
        )));
    }
    // Every stream has its first event, or was refused for good.
    loop {
        let done = shared.opened.load(Ordering::Relaxed) + shared.refused.load(Ordering::Relaxed);
        if done >= args.streams {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!(
                "only {done} of {} streams opened within 600 s",
                args.streams
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open_secs = started.elapsed().as_secs_f64();
    let opened = shared.opened.load(Ordering::Relaxed);
    let refused = shared.refused.load(Ordering::Relaxed);
    println!("READY {opened} {refused} {open_secs:.2}");
    eprintln!(
        "opened {opened} streams in {open_secs:.2} s ({refused} refused), {} source address(es)",
        args.sources
    );

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;

    // ---- 2./4. donate, or hold -----------------------------------------------------------------
    tokio::time::sleep(Duration::from_secs_f64(args.settle_secs)).await;
    let mut donations: Vec<Instant> = Vec::new();
    let mut donation_errors = Vec::new();
    let mut final_version = None;
    if let Some(hold) = args.hold_secs {
        tokio::time::sleep(Duration::from_secs_f64(hold)).await;
        let v = current_version(target, &authority, &path)
            .await
            .context("reading the current version from a fresh stream")?;
        eprintln!("current version after the hold: {v}");
        final_version = Some(v);
        let until = Instant::now() + Duration::from_secs_f64(args.deadline_secs);
        while Instant::now() < until && shared.newest.load(Ordering::Relaxed) < v as u64 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The newest version is the fastest stream's; the others get the deadline's rest.
        tokio::time::sleep(Duration::from_secs_f64(args.deadline_secs.min(5.0))).await;
    } else {
        let page = format!("{base}/campaigns/{}", args.slug);
        let mut next = Instant::now();
        for k in 0..args.donations {
            tokio::time::sleep_until(next.into()).await;
            next += Duration::from_millis(args.interval_ms);
            match donate(&client, &base, &page).await {
                Ok(t0) => donations.push(t0),
                Err(e) => donation_errors.push(format!("donation {k}: {e:#}")),
            }
        }
        // Wait until the newest version has reached every stream, or the deadline.
        let until = Instant::now() + Duration::from_secs_f64(args.deadline_secs);
        tokio::time::sleep(Duration::from_millis(200)).await;
        while Instant::now() < until {
            if all_have_newest(&tasks, &shared) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = stop_tx.send(true);
    let mut logs = Vec::with_capacity(tasks.len());
    for t in tasks {
        logs.push(t.await.context("a stream task panicked")?);
    }
    let reconnects = shared.reconnects.load(Ordering::Relaxed);

    // ---- 3. deliveries --------------------------------------------------------------------------
    let held: Vec<&StreamLog> = logs.iter().filter(|l| l.opened).collect();
    let mut failures = Vec::new();
    if refused > 0 {
        failures.push(format!("{refused} stream(s) could not be opened"));
    }
    let mut all = Vec::new();
    let mut per_donation = Vec::new();
    let mut missed = 0usize;
    for (k, t0) in donations.iter().enumerate() {
        // The donation's version: the lowest version first seen after t0 that is newer than
        // everything seen before it.
        let before = held
            .iter()
            .flat_map(|l| l.seen.iter().filter(|s| s.at < *t0).map(|s| s.version))
            .max()
            .unwrap_or(i64::MIN);
        let Some(version) = held
            .iter()
            .flat_map(|l| l.seen.iter())
            .filter(|s| s.at >= *t0 && s.version > before)
            .map(|s| s.version)
            .min()
        else {
            failures.push(format!("donation {k}: no stream saw a new version"));
            missed += held.len();
            continue;
        };
        let mut worst = Duration::ZERO;
        for l in &held {
            match l.seen.iter().find(|s| s.version >= version && s.at >= *t0) {
                Some(s) => {
                    let d = s.at - *t0;
                    worst = worst.max(d);
                    all.push(d);
                }
                None => missed += 1,
            }
        }
        per_donation.push(worst);
    }
    if missed > 0 {
        failures.push(format!("{missed} delivery(ies) missed"));
    }
    all.sort();
    let mut worst_sorted = per_donation.clone();
    worst_sorted.sort();
    let caught_up = final_version.map(|v| {
        held.iter()
            .filter(|l| l.seen.iter().any(|s| s.version >= v))
            .count()
    });
    if let (Some(n), Some(v)) = (caught_up, final_version)
        && n < held.len()
    {
        failures.push(format!(
            "{} of {} stream(s) did not catch up to version {v}",
            held.len() - n,
            held.len()
        ));
    }
    if !donation_errors.is_empty() {
        failures.push(format!("{} donation(s) failed", donation_errors.len()));
        for e in donation_errors.iter().take(SHOWN_ERRORS) {
            eprintln!("  error: {e}");
        }
    }

    if !donations.is_empty() {
        println!(
            "deliveries: {} ({} streams x {} donations), missed {missed}",
            all.len(),
            held.len(),
            donations.len()
        );
        println!(
            "delivery latency, every stream: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile_ms(&all, 0.50),
            percentile_ms(&all, 0.99),
            percentile_ms(&all, 1.0)
        );
        println!(
            "per donation, until the last stream had it: {}",
            per_donation
                .iter()
                .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    if let (Some(n), Some(v)) = (caught_up, final_version) {
        println!(
            "caught up to version {v}: {n} of {} stream(s); reconnections {reconnects}",
            held.len()
        );
    }
    println!(
        "RESULT streams={} held={} refused={refused} open_secs={open_secs:.2} donations={} \
         deliveries={} missed={missed} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} \
         all_streams_p50_ms={:.1} all_streams_max_ms={:.1} reconnects={reconnects} \
         final_version={} caught_up={} failures={}",
        args.streams,
        held.len(),
        donations.len(),
        all.len(),
        percentile_ms(&all, 0.50),
        percentile_ms(&all, 0.99),
        percentile_ms(&all, 1.0),
        percentile_ms(&worst_sorted, 0.50),
        percentile_ms(&worst_sorted, 1.0),
        final_version.map_or_else(|| "-".into(), |v| v.to_string()),
        caught_up.map_or_else(|| "-".into(), |n| n.to_string()),
        failures.len()
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        std::process::exit(1);
    }
    Ok(())
}

/// Whether every stream has seen the newest version any stream saw (checked cheaply from
/// the shared counter: the tasks report each version they reach).
fn all_have_newest(tasks: &[tokio::task::JoinHandle<StreamLog>], shared: &Shared) -> bool {
    // `newest` packs (version << 24 | streams at it); see `note_version`.
    let packed = shared.newest.load(Ordering::Relaxed);
    let at_newest = (packed & 0xff_ffff) as usize;
    let opened = shared.opened.load(Ordering::Relaxed);
    !tasks.is_empty() && at_newest >= opened
}

/// Records that a stream reached `version`: `newest` holds the highest version (upper bits)
/// and how many streams have reached it (lower 24 bits).
fn note_version(shared: &Shared, version: i64) {
    let v = version.max(0) as u64;
    let mut cur = shared.newest.load(Ordering::Relaxed);
    loop {
        let (cv, n) = (cur >> 24, cur & 0xff_ffff);
        let next = match v.cmp(&cv) {
            std::cmp::Ordering::Greater => (v << 24) | 1,
            std::cmp::Ordering::Equal => (cv << 24) | (n + 1),
            std::cmp::Ordering::Less => return,
        };
        match shared
            .newest
            .compare_exchange(cur, next, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return,
            Err(now) => cur = now,
        }
    }
}

/// Where a stream connects and what it asks for.
#[derive(Clone)]
struct Conn {
    target: SocketAddr,
    source: IpAddr,
    request_head: (String, String),
}

/// Why a stream's connection ended.
enum Ended {
    /// The server refused it (a status other than 200); the status.
    Status(u16),
    /// EOF or an I/O error after it was open.
    Lost,
    /// The bench is over.
    Stopped,
}

/// One stream for the whole run: connects, reads events, reconnects like a browser.
async fn hold_stream(
    conn: Conn,
    shared: Arc<Shared>,
    gate: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> StreamLog {
    let mut log = StreamLog {
        opened: false,
        seen: Vec::new(),
    };
    let mut last_id: Option<i64> = None;
    let mut retry = Duration::from_millis(3000);
    let mut attempts_before_open = 0;
    loop {
        let permit = if log.opened {
            None
        } else {
            gate.clone().acquire_owned().await.ok()
        };
        let ended = tokio::select! {
            r = one_connection(&conn, last_id, &mut log, &mut retry, &shared, permit) => r,
            _ = stop.wait_for(|s| *s) => Ended::Stopped,
        };
        match ended {
            Ended::Stopped => return log,
            Ended::Status(code) if !log.opened => {
                attempts_before_open += 1;
                // 503 (the cap) or a proxy's 502 while opening: try a few times, then give up.
                if attempts_before_open >= 5 {
                    eprintln!("stream refused: {code}");
                    shared.refused.fetch_add(1, Ordering::Relaxed);
                    let _ = stop.wait_for(|s| *s).await;
                    return log;
                }
            }
            Ended::Status(_) | Ended::Lost => {
                if log.opened {
                    shared.reconnects.fetch_add(1, Ordering::Relaxed);
                } else {
                    attempts_before_open += 1;
                    if attempts_before_open >= 5 {
                        shared.refused.fetch_add(1, Ordering::Relaxed);
                        let _ = stop.wait_for(|s| *s).await;
                        return log;
                    }
                }
            }
        }
        last_id = log.seen.last().map(|s| s.version).or(last_id);
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = stop.wait_for(|s| *s) => return log,
        }
    }
}

/// One connection: request, head, then the chunked SSE body until it ends.
async fn one_connection(
    conn: &Conn,
    last_id: Option<i64>,
    log: &mut StreamLog,
    retry: &mut Duration,
    shared: &Shared,
    mut permit: Option<tokio::sync::OwnedSemaphorePermit>,
) -> Ended {
    let Ok(mut sock) = connect(conn).await else {
        return Ended::Lost;
    };
    let (authority, path) = &conn.request_head;
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: text/event-stream\r\n\
         Accept-Language: en\r\nCache-Control: no-cache\r\n"
    );
    if let Some(id) = last_id {
        req.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    req.push_str("\r\n");
    if sock.write_all(req.as_bytes()).await.is_err() {
        return Ended::Lost;
    }
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    // The head.
    let (status, chunked) = loop {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ended::Lost,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(0);
            let chunked = head.contains("transfer-encoding: chunked");
            buf.drain(..end + 4);
            break (status, chunked);
        }
        if buf.len() > 16 * 1024 {
            return Ended::Lost;
        }
    };
    if status != 200 {
        return Ended::Status(status);
    }
    let mut body = Dechunk::new(chunked);
    let mut sse = Sse::default();
    let mut text = Vec::new();
    let mut first_pending = !log.opened;
    loop {
        if !buf.is_empty() {
            let done = body.feed(&buf, &mut text);
            buf.clear();
            for ev in sse.feed(&text) {
                match ev {
                    SseItem::Retry(ms) => *retry = Duration::from_millis(ms),
                    SseItem::Progress(version) => {
                        log.seen.push(Seen {
                            version,
                            at: Instant::now(),
                        });
                        note_version(shared, version);
                    }
                }
            }
            text.clear();
            // Open once the first event (or, resumed up to date, the retry line) is read.
            if first_pending && (!log.seen.is_empty() || sse.retry_seen) {
                first_pending = false;
                log.opened = true;
                permit.take();
                shared.opened.fetch_add(1, Ordering::Relaxed);
            }
            if done {
                return Ended::Lost;
            }
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ended::Lost,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn connect(conn: &Conn) -> std::io::Result<tokio::net::TcpStream> {
    let sock = TcpSocket::new_v4()?;
    if conn.source != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        sock.bind(SocketAddr::new(conn.source, 0))?;
    }
    let s = sock.connect(conn.target).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// The current version: the id of a fresh stream's first event.
async fn current_version(target: SocketAddr, authority: &str, path: &str) -> Result<i64> {
    let conn = Conn {
        target,
        source: IpAddr::V4(Ipv4Addr::LOCALHOST),
        request_head: (authority.to_string(), path.to_string()),
    };
    let shared = Shared::default();
    let mut log = StreamLog {
        opened: false,
        seen: Vec::new(),
    };
    let mut retry = Duration::ZERO;
    let read = async {
        // Ends when the stream does; the first event is all that is wanted.
        one_connection(&conn, None, &mut log, &mut retry, &shared, None).await
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), read).await;
    log.seen
        .first()
        .map(|s| s.version)
        .ok_or_else(|| anyhow!("no event within 3 s"))
}

/// HTTP/1.1 chunked transfer decoding (or pass-through for a close-delimited body).
struct Dechunk {
    chunked: bool,
    /// Bytes left in the current chunk's data, or `None` while reading a size line.
    left: Option<usize>,
    /// The CRLF after a chunk's data still to skip.
    skip_crlf: usize,
    line: Vec<u8>,
}

impl Dechunk {
    fn new(chunked: bool) -> Dechunk {
        Dechunk {
            chunked,
            left: None,
            skip_crlf: 0,
            line: Vec::new(),
        }
    }

    /// Appends the decoded bytes of `input` to `out`; true at the last chunk.
    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> bool {
        if !self.chunked {
            out.extend_from_slice(input);
            return false;
        }
        while !input.is_empty() {
            if self.skip_crlf > 0 {
                let n = self.skip_crlf.min(input.len());
                self.skip_crlf -= n;
                input = &input[n..];
                continue;
            }
            match self.left {
                Some(left) => {
                    let n = left.min(input.len());
                    out.extend_from_slice(&input[..n]);
                    input = &input[n..];
                    if n == left {
                        self.left = None;
                        self.skip_crlf = 2;
                    } else {
                        self.left = Some(left - n);
                    }
                }
                None => {
                    let Some(pos) = input.iter().position(|b| *b == b'\n') else {
                        self.line.extend_from_slice(input);
                        return false;
                    };
                    self.line.extend_from_slice(&input[..pos]);
                    input = &input[pos + 1..];
                    let text = String::from_utf8_lossy(&self.line);
                    let hex = text.trim().split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(hex, 16).unwrap_or(0);
                    self.line.clear();
                    if size == 0 {
                        return true;
                    }
                    self.left = Some(size);
                }
            }
        }
        false
    }
}

/// What the SSE parser hands back.
enum SseItem {
    Retry(u64),
    /// A `progress` event's id (the campaign's version).
    Progress(i64),
}

/// A minimal `text/event-stream` parser: the fields this bench needs.
#[derive(Default)]
struct Sse {
    line: Vec<u8>,
    event: String,
    id: Option<i64>,
    has_data: bool,
    retry_seen: bool,
}

impl Sse {
    fn feed(&mut self, bytes: &[u8]) -> Vec<SseItem> {
        let mut items = Vec::new();
        for &b in bytes {
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let line = String::from_utf8_lossy(&self.line)
                .trim_end_matches('\r')
                .to_string();
            self.line.clear();
            if line.is_empty() {
                if self.has_data
                    && (self.event.is_empty() || self.event == "progress")
                    && let Some(id) = self.id
                {
                    items.push(SseItem::Progress(id));
                }
                self.event.clear();
                self.has_data = false;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line.as_str(), ""),
            };
            match field {
                "event" => self.event = value.to_string(),
                "data" => self.has_data = true,
                "id" => self.id = value.trim().parse().ok(),
                "retry" => {
                    if let Ok(ms) = value.trim().parse() {
                        self.retry_seen = true;
                        items.push(SseItem::Retry(ms));
                    }
                }
                _ => {}
            }
        }
        items
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One donation through the hosted test checkout; returns when the final POST was sent.
async fn donate(client: &reqwest::Client, base: &str, page: &str) -> Result<Instant> {
    let resp = client.get(page).send().await.context("GET page")?;
    let cookies = cookie_header(resp.headers());
    let html = resp.text().await?;
    let token = find_csrf(&html).ok_or_else(|| anyhow!("no csrf on the page"))?;
    let form = format!(
        "amount=5&currency=GBP&name=Stream+bench&email=&message=&visibility=public&csrf={}",
        form_encode(&token)
    );
    let mut req = client
        .post(format!("{page}/donate"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", base)
        .header("Referer", page)
        .body(form);
    if !cookies.is_empty() {
        req = req.header("Cookie", cookies.as_str());
    }
    let resp = req.send().await.context("POST donate")?;
    let location = resp
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if resp.status().as_u16() != 303 || !location.contains("/test-checkout/") {
        bail!("donate answered {} {location:?}", resp.status());
    }
    let checkout = if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location
    };
    let mut req = client.get(&checkout);
    if !cookies.is_empty() {
        req = req.header("Cookie", cookies.as_str());
    }
    let html = req.send().await?.text().await?;
    let token = find_csrf(&html).ok_or_else(|| anyhow!("no csrf on the checkout page"))?;
    let mut req = client
        .post(&checkout)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", base)
        .header("Referer", checkout.as_str())
        .body(format!("csrf={}&outcome=succeed", form_encode(&token)));
    if !cookies.is_empty() {
        req = req.header("Cookie", cookies.as_str());
    }
    let t0 = Instant::now();
    let resp = req.send().await.context("POST checkout")?;
    if resp.status().as_u16() != 303 {
        bail!("checkout answered {}", resp.status());
    }
    Ok(t0)
}

/// The value of the first `<input ... name="csrf" ... value="...">` (tokens are URL-safe).
fn find_csrf(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag = &rest[start..];
        let end = tag.find('>')?;
        let t = &tag[..end];
        if t.contains("name=\"csrf\"") {
            let v = t.split("value=\"").nth(1)?;
            return Some(
                v.split('"')
                    .next()?
                    .replace("&#x3D;", "=")
                    .replace("&amp;", "&"),
            );
        }
        rest = &tag[end..];
    }
    None
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn cookie_header(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .filter(|pair| pair.contains('='))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Nearest-rank percentile of sorted durations, in milliseconds.
fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}
