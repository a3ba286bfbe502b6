//! Live updates: which campaign's totals changed, fanned out to every open page on every node.
//!
//! * A write that changes what a campaign page shows bumps `campaign_totals.version` in its
//!   own transaction ([`bump_version`]); on PostgreSQL the same transaction also sends
//!   `NOTIFY shelfraiser_live, '<campaign id>'`, delivered to every node on commit.
//! * Each node runs one watcher: `LISTEN` on PostgreSQL, plus a cheap poll of the versions
//!   (every 500 ms on SQLite, where a CLI process may write; every 5 s on PostgreSQL as a
//!   safety net for notifications lost across a reconnect).
//! * The [`Hub`] keeps the last version seen per campaign and broadcasts changes to the SSE
//!   streams and the page cache. It holds no state that another node needs.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

pub const CHANNEL: &str = "shelfraiser_live";

/// Bumps the campaign's version inside `tx` and, on PostgreSQL, queues a notification.
pub async fn bump_version(tx: &mut Tx, campaign_id: &str) -> DbResult<i64> {
    let now = chrono::Utc::now();
    let v: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "UPDATE campaign_totals SET version = version + 1, updated_at = $2 WHERE campaign_id = $1 RETURNING version"
    )
    .bind(campaign_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await?
    });
    notify(tx, campaign_id).await?;
    Ok(v)
}

/// The version of every campaign's totals (bumped by each ledger entry), for live updates.
pub async fn versions(db: &Db) -> DbResult<Vec<(String, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT campaign_id, version FROM campaign_totals"
    )
    .fetch_all(p)
    .await?))
}

/// Queues a change notification for other nodes (PostgreSQL only; SQLite nodes poll).
pub async fn notify(tx: &mut Tx, campaign_id: &str) -> DbResult<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(campaign_id)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Changed {
    pub campaign_id: String,
    pub version: i64,
}

/// The node-local fan-out point.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    /// Read by every cached page hit (`http::page_cache`'s freshness check), written when a
    /// version changes: a read lock, so the hits on different cores do not wait for each
    /// other.
    versions: RwLock<HashMap<String, i64>>,
    tx: broadcast::Sender<Changed>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(1024);
        Hub {
            inner: Arc::new(HubInner {
                versions: RwLock::new(HashMap::new()),
                tx,
            }),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Changed> {
        self.inner.tx.subscribe()
    }

    /// The newest version this node has seen for the campaign.
    pub fn version(&self, campaign_id: &str) -> Option<i64> {
        self.inner.versions.read().ok()?.get(campaign_id).copied()
    }

    /// Records a version; broadcasts when it is newer than what was known. The first
    /// sighting of a campaign broadcasts too: a stream may already be open for it (opened
    /// on this node while another node served the page), and streams ignore versions they
    /// have already sent.
    pub fn observe(&self, campaign_id: &str, version: i64) {
        // Most sightings (the watcher's poll) change nothing: a read lock decides that.
        if self
            .version(campaign_id)
            .is_some_and(|known| known >= version)
        {
            return;
        }
        let newer = match self.inner.versions.write() {
            Ok(mut m) => {
                let e = m.entry(campaign_id.to_string()).or_insert(i64::MIN);
                if version > *e {
                    *e = version;
                    true
                } else {
                    false
                }
            }
            Err(_) => false,
        };
        if newer {
            let _ = self.inner.tx.send(Changed {
                campaign_id: campaign_id.to_string(),
                version,
            });
        }
    }

    /// Reads every campaign's version from the database and broadcasts what changed.
    pub async fn refresh(&self, db: &Db) -> DbResult<()> {
        for (id, v) in versions(db).await? {
            self.observe(&id, v);
        }
        Ok(())
    }

    /// Runs until the process ends: LISTEN (PostgreSQL) plus the periodic refresh.
    pub async fn watch(self, db: Db) {
        if let Err(e) = self.refresh(&db).await {
            tracing::warn!(error = %e, "live: first refresh failed");
        }
        let poll = match &db {
            Db::Sqlite(_) => Duration::from_millis(500),
            Db::Postgres(_) => Duration::from_secs(5),
        };
        if let Db::Postgres(pool) = &db {
            let hub = self.clone();
            let db2 = db.clone();
            let pool = pool.clone();
            // The listener gets a connection of its own, outside the request pool: it holds
            // it for as long as it listens, and the pool's `max_connections` are all for
            // requests and jobs.
            let opts = (*pool.connect_options()).clone();
            tokio::spawn(async move {
                loop {
                    let own = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .max_lifetime(None)
                        .idle_timeout(None)
                        .connect_lazy_with(opts.clone());
                    match sqlx::postgres::PgListener::connect_with(&own).await {
                        Ok(mut l) => {
                            if let Err(e) = l.listen(CHANNEL).await {
                                tracing::warn!(error = %e, "live: LISTEN failed");
                            } else {
                                // Catch up on anything missed while not listening.
                                let _ = hub.refresh(&db2).await;
                                loop {
                                    // The node's pool closing ends the listener too.
                                    let got = tokio::select! {
                                        _ = pool.close_event() => break,
                                        got = l.recv() => got,
                                    };
                                    match got {
                                        Ok(_) => {
                                            if let Err(e) = hub.refresh(&db2).await {
                                                tracing::warn!(error = %e, "live: refresh failed");
                                            }
                                        }
                                        Err(e) => {
                                            tracing::warn!(error = %e, "live: listener lost");
                                            break;
                                        }
                                    }
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "live: cannot listen"),
                    }
                    own.close().await;
                    if pool.is_closed() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if db.is_closed() {
                return;
            }
            if let Err(e) = self.refresh(&db).await {
                tracing::debug!(error = %e, "live: refresh failed");
            }
        }
    }
}

impl Db {
    pub fn is_closed(&self) -> bool {
        match self {
            Db::Sqlite(p) => p.is_closed(),
            Db::Postgres(p) => p.is_closed(),
        }
    }
}
