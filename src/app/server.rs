//! Building and running the HTTP server: `Application::build(settings)` connects, migrates,
//! seeds the demo when asked, binds (port 0 works; [`Application::addr`] is the real
//! address) and `run_until` serves until the signal, then drains in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::{Secret, Settings};
use crate::db::{Db, random_secret};
use crate::http::{self, AppState, Inner};
use crate::live::Hub;
use crate::payments::Providers;
use crate::payments::test::TestProvider;

pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// How long in-flight requests get to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let url = settings.effective_database_url();
        let db = Db::connect_with(&url, &settings.pool)
            .await
            .with_context(|| "cannot open the database")?;
        crate::backup::migrate(&db, &settings, chrono::Utc::now()).await?;
        if settings.demo {
            crate::app::demo::seed_if_empty(&db).await?;
        }
        Application::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let csrf_key = db.setting_or_init("csrf_key", random_secret).await?;
        let providers = providers(&settings, &db).await?;
        let hub = Hub::new();
        tokio::spawn(hub.clone().watch(db.clone()));
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mailer = crate::mail::Mailer::new(&settings, db.clone())?;
        // The node's background-job worker; stops when the shutdown signal fires.
        let receipts = crate::donations::receipts::Receipts::new(
            &settings,
            db.clone(),
            mailer.clone(),
            &settings.effective_base_url(addr),
        );
        let outbound = crate::outbound::Outbound::new(
            &settings.outbound_allow,
            &settings.effective_base_url(addr),
        )
        .map_err(|e| anyhow::anyhow!("outbound_allow: {e}"))?;
        crate::jobs::spawn_worker(
            db.clone(),
            super::job_handlers_full(receipts, providers.clone(), outbound.clone()),
            rx.clone(),
        );
        let proxies =
            http::client_ip::Proxies::parse(&settings.trusted_proxies, &settings.client_ip_header)
                .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        if proxies.trusts_everyone() {
            tracing::warn!(
                "trusted_proxies covers every address: any client can choose its own address"
            );
        }
        let checkout_key = crate::config::Secret(
            db.setting_or_init("checkout_limit_key", random_secret)
                .await?,
        );
        let checkout_limits =
            crate::donations::checkout::Limits::new(&checkout_key.0, &settings.donations);
        // Client-address hashes are kept only as long as the per-address limit needs them.
        crate::donations::checkout::spawn_forgetter(
            db.clone(),
            checkout_limits.clone(),
            rx.clone(),
        );
        // Every few minutes: the monthly gifts of campaigns that closed or ended are queued
        // to be cancelled (`donations::monthly::closing`).
        let sweep_db = db.clone();
        crate::jobs::spawn_every(crate::donations::SWEEP_EVERY, rx.clone(), move || {
            let db = sweep_db.clone();
            async move {
                if let Err(e) = crate::donations::sweep(&db, chrono::Utc::now()).await {
                    tracing::warn!(error = %e, "donations sweep failed");
                }
            }
        });
        // Every minute: milestones and goals a campaign passed are announced to its
        // followers (`federation::milestones`), and old posts leave the timeline of the
        // accounts our actors follow (`federation::following::prune`).
        let (milestones_db, milestones_base) = (db.clone(), settings.effective_base_url(addr));
        crate::jobs::spawn_every(
            crate::federation::milestones::EVERY,
            rx.clone(),
            move || {
                let (db, base) = (milestones_db.clone(), milestones_base.clone());
                async move {
                    let base = base.trim_end_matches('/');
                    if let Err(e) =
                        crate::federation::milestones::sweep(&db, base, "en", chrono::Utc::now())
                            .await
                    {
                        tracing::warn!(error = %e, "milestone announcements failed");
                    }
                    if let Err(e) =
                        crate::federation::following::prune(&db, chrono::Utc::now()).await
                    {
                        tracing::warn!(error = %e, "pruning the fediverse timeline failed");
                    }
                }
            },
        );
        // Scheduled backups (`backup::scheduled`): every node asks every few minutes,
        // the first time only after CHECK_EVERY; one claims each period. A failure is logged
        // and recorded for the console and /metrics, never raised.
        // (Always running: the console may turn on a schedule the configuration has off.)
        {
            let (backup_db, backup_settings) = (db.clone(), settings.clone());
            let mut first = true;
            crate::jobs::spawn_every(crate::backup::CHECK_EVERY, rx.clone(), move || {
                let skip = std::mem::take(&mut first);
                let (db, s) = (backup_db.clone(), backup_settings.clone());
                async move {
                    if skip {
                        return;
                    }
                    // On a blocking-pool thread: compressing the archive must not hold
                    // one of the workers that serve requests.
                    let run = crate::blocking::off_workers(async move {
                        crate::backup::scheduled(&db, &s, chrono::Utc::now()).await
                    })
                    .await;
                    match run.map_err(anyhow::Error::from).and_then(|r| r) {
                        Ok(Some(r)) => match &r.result {
                            Ok(bytes) => tracing::info!(
                                archive = %r.path.display(),
                                bytes,
                                deleted = r.deleted.len(),
                                "scheduled backup written"
                            ),
                            Err(e) => tracing::error!(
                                archive = %r.path.display(),
                                error = %e,
                                "scheduled backup failed"
                            ),
                        },
                        Ok(None) => {}
                        Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
                    }
                }
            });
        }
        // The daily exchange rates (`rates::fetch`), when the operator turned the fetch on:
        // every node asks hourly (the first time at start), one claims each period.
        if settings.rates.fetch {
            let (rates_db, rates_out) = (db.clone(), outbound.clone());
            let url = settings.rates.fetch_url.clone();
            crate::jobs::spawn_every(crate::rates::fetch::CHECK_EVERY, rx.clone(), move || {
                let (db, out, url) = (rates_db.clone(), rates_out.clone(), url.clone());
                async move {
                    match crate::rates::fetch::scheduled(&db, &out, &url, chrono::Utc::now()).await
                    {
                        Ok(Some(Ok(i))) => tracing::info!(
                            newest = ?i.newest,
                            stored = i.stored,
                            "exchange rates fetched"
                        ),
                        Ok(Some(Err(e))) => {
                            tracing::warn!(error = %e, "fetching the exchange rates failed")
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "fetching the exchange rates failed"),
                    }
                }
            });
        }
        let settings_passwords = settings.passwords.clone();
        let views = std::sync::Arc::new(crate::http::views::Views::default());
        // Page views: each node's counts are added to the database every few seconds (and
        // at shutdown, `run_until`); old daily rows and past days' visitor hashes are pruned
        // hourly (`promotion::insight`).
        let (flush_db, flush_views) = (db.clone(), views.clone());
        crate::jobs::spawn_every(
            std::time::Duration::from_secs(settings.insight.flush_secs),
            rx.clone(),
            move || {
                let (db, views) = (flush_db.clone(), flush_views.clone());
                async move {
                    if let Err(e) =
                        crate::promotion::insight::flush(&db, &views, chrono::Utc::now()).await
                    {
                        tracing::warn!(error = %e, "flushing page views failed");
                    }
                }
            },
        );
        let (prune_db, retention) = (db.clone(), settings.insight.retention_days);
        crate::jobs::spawn_every(
            crate::promotion::insight::PRUNE_EVERY,
            rx.clone(),
            move || {
                let db = prune_db.clone();
                async move {
                    if let Err(e) =
                        crate::promotion::insight::prune(&db, retention, chrono::Utc::now()).await
                    {
                        tracing::warn!(error = %e, "pruning page views failed");
                    }
                }
            },
        );
        let site = mailer.site();
        let state = AppState::new(Inner {
            site,
            mailer,
            base_url: settings.effective_base_url(addr),
            db,
            settings,
            hub,
            providers,
            csrf: http::csrf::CsrfKey::new(&csrf_key),
            assets: http::assets::Assets::build(),
            metrics: Default::default(),
            pages: Default::default(),
            shutdown: rx,
            proxies,
            checkout_key,
            hasher: crate::passwords::Hasher::from_settings(&settings_passwords),
            outbound,
            views,
        });
        Ok(Application {
            listener,
            addr,
            state,
            shutdown: tx,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `signal` resolves, then stops accepting, ends live streams and waits
    /// (up to [`DRAIN_TIMEOUT`]) for in-flight requests.
    ///
    /// Each connection is served by hyper's HTTP/1.1 connection with a header read time-out
    /// (`http.header_timeout_secs`: a request head, the first or the next on a keep-alive
    /// connection, must arrive within it, or the connection is closed), and holds one of
    /// `http.max_connections` permits while open. With none left the loop stops accepting
    /// (new connections wait in the kernel's queue) and logs a warning, at most once a
    /// minute. Request bodies have their own time-outs (`http::limits`).
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::app::router(self.state.clone());
        let shutdown = self.shutdown;
        let http_settings = &self.state.settings.http;
        let max = http_settings.effective_max_connections();
        let permits = Arc::new(Semaphore::new(max));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(http_settings.header_timeout_secs))
            .keep_alive(true);
        tracing::debug!(max_connections = max, "connection cap");
        let (close_tx, close_rx) = tokio::sync::watch::channel(false);
        let mut cap_warning = CapWarning::default();
        let mut signal = std::pin::pin!(signal);
        loop {
            let (stream, peer) = tokio::select! {
                r = self.listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of descriptors or memory: wait a little instead of spinning.
                        // (A connection reset before accept is not worth a line.)
                        if !matches!(
                            e.kind(),
                            std::io::ErrorKind::ConnectionAborted
                                | std::io::ErrorKind::ConnectionReset
                                | std::io::ErrorKind::ConnectionRefused
                        ) {
                            tracing::error!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        continue;
                    }
                },
                _ = signal.as_mut() => break,
            };
            // At the cap this connection waits for a place (and the ones after it wait in
            // the kernel's accept queue), so the node never runs out of descriptors.
            let permit = match permits.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => {
                    self.state
                        .metrics
                        .connections_waited
                        .fetch_add(1, Ordering::Relaxed);
                    cap_warning.at_cap(max);
                    tokio::select! {
                        p = permits.clone().acquire_owned() => match p {
                            Ok(p) => p,
                            Err(_) => break,
                        },
                        _ = signal.as_mut() => break,
                    }
                }
            };
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                tower::ServiceExt::oneshot(router.clone(), req)
            });
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut close = close_rx.clone();
            let metrics_state = self.state.clone();
            tokio::spawn(async move {
                let _permit = permit;
                metrics_state
                    .metrics
                    .connections_open
                    .fetch_add(1, Ordering::Relaxed);
                let mut conn = std::pin::pin!(conn);
                let closing = tokio::select! {
                    _ = conn.as_mut() => false,
                    r = close.wait_for(|v| *v) => r.is_ok(),
                };
                if closing {
                    // Finish the request in flight, then close.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
                metrics_state
                    .metrics
                    .connections_open
                    .fetch_sub(1, Ordering::Relaxed);
            });
        }
        tracing::info!("shutting down: draining in-flight requests");
        drop(self.listener);
        let _ = shutdown.send(true);
        let _ = close_tx.send(true);
        // Every connection holds a permit: all of them back means every connection ended.
        let all = u32::try_from(max).unwrap_or(u32::MAX);
        if tokio::time::timeout(DRAIN_TIMEOUT, permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("drain timed out; closing remaining connections");
        }
        // The views counted since the last flush are not lost with the node.
        if let Err(e) =
            crate::promotion::insight::flush(&self.state.db, &self.state.views, chrono::Utc::now())
                .await
        {
            tracing::warn!(error = %e, "flushing page views at shutdown failed");
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// The warning when the connection cap is reached: the first time, then at most once a
/// minute, with how many connections had to wait since the last line.
#[derive(Default)]
struct CapWarning {
    last: Option<Instant>,
    waited: u64,
}

impl CapWarning {
    const EVERY: Duration = Duration::from_secs(60);

    /// Counts a connection that waits; logs when due. Whether it logged.
    fn at_cap(&mut self, max: usize) -> bool {
        self.waited += 1;
        let due = self.last.is_none_or(|t| t.elapsed() >= Self::EVERY);
        if due {
            tracing::warn!(
                max_connections = max,
                waiting = self.waited,
                "connection limit reached: new connections wait until one closes \
                 (http.max_connections; a proxy in front should limit connections per client)"
            );
            self.last = Some(Instant::now());
            self.waited = 0;
        }
        due
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// The payment providers the settings enable, in the order the donate form offers them
/// (Stripe, PayPal, then the test checkout, whose secret is kept in the database when not
/// configured). The server and `shelfraiser jobs run` (fee jobs) build them alike.
pub async fn providers(settings: &Settings, db: &Db) -> anyhow::Result<Providers> {
    let mut providers = Providers::default();
    if settings.providers.stripe.enabled() {
        providers = providers.with_stripe(
            crate::payments::stripe::StripeProvider::new(&settings.providers.stripe)
                .context("cannot set up the Stripe client")?,
        );
    }
    if settings.providers.paypal.enabled() {
        providers = providers.with_paypal(
            crate::payments::paypal::PaypalProvider::new(&settings.providers.paypal)
                .context("cannot set up the PayPal client")?,
        );
    }
    if settings.providers.test.enabled {
        let secret = if settings.providers.test.secret.is_set() {
            settings.providers.test.secret.clone()
        } else {
            Secret(
                db.setting_or_init("test_provider_secret", random_secret)
                    .await?,
            )
        };
        providers = providers.with_test(TestProvider::new(secret).with_fee_rule(
            crate::payments::FeeRule {
                percent_bp: settings.providers.test.fee_percent_bp,
                fixed_minor: settings.providers.test.fee_fixed_minor,
            },
        ));
    }
    Ok(providers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_warning_is_one_line_not_one_per_connection() {
        let mut w = CapWarning::default();
        assert!(w.at_cap(2));
        assert!(!w.at_cap(2));
        assert!(!w.at_cap(2));
        assert_eq!(w.waited, 2, "counted for the next line");
    }
}
