//! Infrastructure: CPU- or memory-heavy work (Markdown rendering, image decoding) on tokio's
//! blocking pool, a bounded number at a time. A [`Lane`] holds one slot per core by default;
//! the slot is held by the blocking task itself, so a request that gives up (a client that
//! disconnects, a time budget) does not free the slot while its work still runs.
//!
//! Lanes are process-wide statics on purpose: they are sized to the machine, not configured,
//! and the CLI (the importer) shares them with the server.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// A bounded lane of blocking work.
#[derive(Debug)]
pub struct Lane(Arc<Semaphore>);

/// The lane was closed or the blocking task did not finish (it panicked).
#[derive(Debug, thiserror::Error)]
#[error("blocking work failed: {0}")]
pub struct LaneError(String);

impl Lane {
    /// One slot per available core.
    pub fn per_core() -> Lane {
        Lane(Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )))
    }

    /// Runs `work` on the blocking pool once a slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, LaneError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self
            .0
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| LaneError(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| LaneError(e.to_string()))
    }
}

/// Runs a future that mixes database reads with long blocking work (a backup: reading every
/// table while compressing the archive and writing files) on a thread of the blocking pool,
/// so the runtime's worker threads keep serving requests meanwhile. The future's own I/O is
/// still driven by the runtime it is given from.
pub async fn off_workers<T, F>(work: F) -> Result<T, LaneError>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(work))
        .await
        .map_err(|e| LaneError(e.to_string()))
}
