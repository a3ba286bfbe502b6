//! Building and running the HTTP server: `Application::build(settings)` connects, migrates,
//! seeds the demo when asked, binds (port 0 works; [`Application::addr`] is the real
//! address) and `run_until` serves until the signal, then drains in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Secret, Settings};
use crate::db::{Db, random_secret};
use crate::donations::providers::Providers;
use crate::donations::providers::test::TestProvider;
use crate::http::{self, AppState, Inner};
use crate::live::Hub;

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
        let db = Db::connect(&url)
            .await
            .with_context(|| "cannot open the database")?;
        db.migrate().await?;
        if settings.demo {
            crate::demo::seed_if_empty(&db).await?;
        }
        Application::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let csrf_key = db.setting_or_init("csrf_key", random_secret).await?;
        let mut providers = Providers::default();
        if settings.providers.test.enabled {
            let secret = if settings.providers.test.secret.is_set() {
                settings.providers.test.secret.clone()
            } else {
                Secret(
                    db.setting_or_init("test_provider_secret", random_secret)
                        .await?,
                )
            };
            providers = providers.with_test(TestProvider::new(secret));
        }
        let hub = Hub::new();
        tokio::spawn(hub.clone().watch(db.clone()));
        let (tx, rx) = tokio::sync::watch::channel(false);
        // The node's background-job worker; stops when the shutdown signal fires.
        crate::jobs::spawn_worker(db.clone(), rx.clone());
        let mailer = crate::mail::Mailer::new(&settings, db.clone())?;
        let proxies =
            http::client_ip::Proxies::parse(&settings.trusted_proxies, &settings.client_ip_header)
                .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        if proxies.trusts_everyone() {
            tracing::warn!(
                "trusted_proxies covers every address: any client can choose its own address"
            );
        }
        let checkout_limits = crate::donations::checkout::Limits::new(
            &db.setting_or_init("checkout_limit_key", random_secret)
                .await?,
            &settings.donations,
        );
        // Client-address hashes are kept only as long as the per-address limit needs them.
        crate::donations::checkout::spawn_forgetter(
            db.clone(),
            checkout_limits.clone(),
            rx.clone(),
        );
        let settings_passwords = settings.passwords.clone();
        let state = AppState::new(Inner {
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
            checkout_limits,
            hasher: crate::team::password::Hasher::from_settings(&settings_passwords),
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
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = http::router(self.state.clone());
        let (fired_tx, mut fired_rx) = tokio::sync::watch::channel(false);
        let shutdown = self.shutdown;
        let graceful = async move {
            signal.await;
            tracing::info!("shutting down: draining in-flight requests");
            let _ = shutdown.send(true);
            let _ = fired_tx.send(true);
        };
        let serve = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(graceful);
        let deadline = async move {
            let _ = fired_rx.wait_for(|v| *v).await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            r = serve => r?,
            _ = deadline => tracing::warn!("drain timed out; closing remaining connections"),
        }
        self.state.db.close().await;
        Ok(())
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
