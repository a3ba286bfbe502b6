// SPDX-License-Identifier: AGPL-3.0-or-later
//! Load driver for `bench/donations.sh`: sustained donations per second through the
//! test payment provider's callback path.
//!
//! ```text
//! cargo run --release --example donation_load -- \
//!     --base http://127.0.0.1:PORT --slug library-for-kalpakkam --secret S --count N --concurrency C
//! ```
//!
//! 1. Fetches the campaign page once and reads its CSRF token (the hidden `csrf` input; the
//!    token stays valid for hours, so it is reused). Any cookies the page sets are sent back.
//! 2. Phase A (not timed): creates N checkouts, `POST /campaigns/{slug}/donate`, each answered
//!    `303 See Other` with `Location: /test-checkout/{session_id}`.
//! 3. Phase B (timed): C workers post the N signed `checkout.succeeded` callbacks to
//!    `POST /providers/test/callback`, each expected to answer 2xx. The signature header is
//!    `Shelfraiser-Signature: t=<unix secs>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
//!
//! Prints donations/s (successful callbacks over phase B's wall-clock time), p50/p99 latency
//! and errors, and a final machine-readable `RESULT key=value ...` line for the bench script.
//! Exits 1 if any request failed. Talks only to the address given in `--base` (loopback).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Donation load driver for bench/donations.sh")]
struct Args {
    /// Base URL of a running server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    base: String,
    /// Campaign slug to donate to
    #[arg(long, default_value = "library-for-kalpakkam")]
    slug: String,
    /// Shared secret of the test payment provider
    #[arg(long)]
    secret: String,
    /// Number of donations
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Concurrent workers (both phases)
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

/// How many error messages to print in full; the rest are only counted.
const SHOWN_ERRORS: usize = 5;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.count == 0 || args.concurrency == 0 {
        bail!("--count and --concurrency must be at least 1");
    }
    let base = args.base.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .context("building the HTTP client")?;

    // ---- the CSRF token, fetched once --------------------------------------------------------
    let page_url = format!("{base}/campaigns/{}", args.slug);
    let resp = client
        .get(&page_url)
        .send()
        .await
        .with_context(|| format!("GET {page_url}"))?;
    let status = resp.status();
    let cookies = cookie_header(resp.headers());
    let html = resp
        .text()
        .await
        .with_context(|| format!("reading {page_url}"))?;
    if !status.is_success() {
        bail!("GET {page_url} answered {status}");
    }
    let token =
        find_csrf(&html).ok_or_else(|| anyhow!("no hidden `csrf` input found on {page_url}"))?;

    // ---- phase A: create the checkouts (not timed) -------------------------------------------
    let form = Arc::new(format!(
        "amount=5&currency=GBP&name=Bench&email=&message=&visibility=public&csrf={}",
        form_encode(&token)
    ));
    let donate_url = Arc::new(format!("{page_url}/donate"));
    let page_url = Arc::new(page_url);
    let origin = Arc::new(base.clone());
    let cookies = Arc::new(cookies);
    let started = Instant::now();
    let outcomes = run_pool(args.count, args.concurrency, {
        let client = client.clone();
        move |_| {
            let client = client.clone();
            let (form, donate_url, page_url, origin, cookies) = (
                form.clone(),
                donate_url.clone(),
                page_url.clone(),
                origin.clone(),
                cookies.clone(),
            );
            async move {
                let mut req = client
                    .post(donate_url.as_str())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Origin", origin.as_str())
                    .header("Referer", page_url.as_str())
                    .body(form.as_str().to_owned());
                if !cookies.is_empty() {
                    req = req.header("Cookie", cookies.as_str());
                }
                let resp = req.send().await.context("POST donate")?;
                let status = resp.status();
                let location = resp
                    .headers()
                    .get("Location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                if status.as_u16() != 303 {
                    let body = resp.text().await.unwrap_or_default();
                    bail!("POST donate answered {status}: {}", snippet(&body));
                }
                let location = location.ok_or_else(|| anyhow!("303 without Location"))?;
                session_from_location(&location)
                    .ok_or_else(|| anyhow!("unexpected Location: {location}"))
            }
        }
    })
    .await;
    let mut sessions = Vec::with_capacity(args.count);
    let mut errors = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(session) => sessions.push(session),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    println!(
        "phase A: {} checkouts created in {:.2} s (not timed), {} errors",
        sessions.len(),
        started.elapsed().as_secs_f64(),
        errors.len()
    );
    if !errors.is_empty() {
        print_errors(&errors);
        bail!(
            "phase A failed: {} of {} donations not created",
            errors.len(),
            args.count
        );
    }

    // ---- phase B: the signed callbacks (timed) -----------------------------------------------
    let sessions = Arc::new(sessions);
    let callback_url = Arc::new(format!("{base}/providers/test/callback"));
    let secret = Arc::new(args.secret.clone());
    let started = Instant::now();
    let outcomes = run_pool(args.count, args.concurrency, {
        let client = client.clone();
        move |i| {
            let client = client.clone();
            let (sessions, callback_url, secret) =
                (sessions.clone(), callback_url.clone(), secret.clone());
            async move {
                let body = serde_json::to_vec(&serde_json::json!({
                    "id": format!("evt_{}", uuid::Uuid::new_v4()),
                    "type": "checkout.succeeded",
                    "session_id": sessions[i],
                    "payment_reference": format!("tpay_{}", uuid::Uuid::new_v4()),
                    "amount_minor": 500,
                    "currency": "GBP",
                }))?;
                let signature = sign(&secret, chrono::Utc::now().timestamp(), &body)?;
                let sent = Instant::now();
                let resp = client
                    .post(callback_url.as_str())
                    .header("Content-Type", "application/json")
                    .header("Shelfraiser-Signature", signature)
                    .body(body)
                    .send()
                    .await
                    .context("POST callback")?;
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                let latency = sent.elapsed();
                if !status.is_success() {
                    bail!("callback answered {status}: {}", snippet(&text));
                }
                Ok(latency)
            }
        }
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = Vec::with_capacity(args.count);
    let mut errors = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(latency) => latencies.push(latency),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    latencies.sort_unstable();
    let ok = latencies.len();
    let rate = ok as f64 / elapsed;
    let p50 = percentile_ms(&latencies, 0.50);
    let p99 = percentile_ms(&latencies, 0.99);
    let max = latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3);

    println!(
        "phase B: {} callbacks, {} concurrent, {:.2} s",
        args.count, args.concurrency, elapsed
    );
    println!("donations/s: {rate:.1}");
    println!("latency: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
    println!("errors: {}", errors.len());
    print_errors(&errors);
    println!(
        "RESULT count={} ok={ok} errors={} seconds={elapsed:.3} donations_per_sec={rate:.1} \
         p50_ms={p50:.2} p99_ms={p99:.2} concurrency={}",
        args.count,
        errors.len(),
        args.concurrency
    );
    if !errors.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs `job(i)` for every `i` in `0..count` on `workers` concurrent tasks and returns the
/// outcomes in index order.
async fn run_pool<F, Fut, T>(count: usize, workers: usize, job: F) -> Vec<Result<T>>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers.min(count) {
        let (next, job) = (next.clone(), job.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                done.push((i, job(i).await));
            }
            done
        }));
    }
    let mut all: Vec<(usize, Result<T>)> = Vec::with_capacity(count);
    for task in tasks {
        match task.await {
            Ok(done) => all.extend(done),
            Err(e) => all.push((usize::MAX, Err(anyhow!("worker task failed: {e}")))),
        }
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, outcome)| outcome).collect()
}

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (the formats crate's signer, the one
/// the server's test provider uses).
fn sign(secret: &str, t: i64, body: &[u8]) -> Result<String> {
    Ok(shelfraiser_formats::webhook::sign(
        secret.as_bytes(),
        body,
        t,
    ))
}

/// The value of the first `<input ... name="csrf" ... value="...">`, HTML entities decoded.
fn find_csrf(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag_and_after = &rest[start..];
        let end = tag_and_after.find('>')?;
        let tag = &tag_and_after[..end];
        if attr(tag, "name").as_deref() == Some("csrf") {
            return attr(tag, "value");
        }
        rest = &tag_and_after[end..];
    }
    None
}

/// The decoded value of attribute `name` in a tag's text (double- or single-quoted).
fn attr(tag: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        if let Some(pos) = tag.find(&needle) {
            let value = &tag[pos + needle.len()..];
            let end = value.find(quote)?;
            return Some(html_unescape(&value[..end]));
        }
    }
    None
}

/// Decodes the entities an HTML template engine emits: named basics and numeric references.
fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').and_then(|semi| {
            let entity = &after[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    if let Some(hex) = entity
                        .strip_prefix("#x")
                        .or_else(|| entity.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                    } else if let Some(dec) = entity.strip_prefix('#') {
                        dec.parse::<u32>().ok().and_then(char::from_u32)
                    } else {
                        None
                    }
                }
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// application/x-www-form-urlencoded encoding of one value.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `name=value; name2=value2` from the response's Set-Cookie headers.
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

/// The session id in `/test-checkout/{id}` (relative or absolute URL, query ignored).
fn session_from_location(location: &str) -> Option<String> {
    let (_, after) = location.split_once("/test-checkout/")?;
    let id = after.split(['?', '#', '/']).next()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

fn snippet(body: &str) -> String {
    body.chars().take(200).collect()
}

fn print_errors(errors: &[String]) {
    for e in errors.iter().take(SHOWN_ERRORS) {
        eprintln!("  error: {e}");
    }
    if errors.len() > SHOWN_ERRORS {
        eprintln!("  ... and {} more", errors.len() - SHOWN_ERRORS);
    }
}
