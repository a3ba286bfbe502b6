//! The background job queue: typed jobs stored in the `jobs` table, run by a worker on every
//! node, retried with exponential backoff, de-duplicated by key.
//!
//! * A capability defines its jobs (a kind and a payload struct) and the function that runs
//!   them; the application registers that function under the kind ([`Handlers`],
//!   `app::job_handlers`), so the queue imports no capability.
//! * [`enqueue`] / [`enqueue_in`] store a [`Job`] to run at a time; a job with a `dedupe_key`
//!   that is already stored (run or not) is not stored again.
//! * [`run_due`] claims and runs every job due at a given time, one after another, and
//!   returns how many it ran. Tests call it with a chosen time instead of sleeping;
//!   `shelfraiser jobs run` calls it once; [`spawn_worker`] calls it every few seconds.
//! * Claiming is safe with several workers (and several nodes): a job is claimed by moving
//!   its `locked_until` forward (the lease) in one statement — on PostgreSQL the candidate row
//!   is picked `FOR UPDATE SKIP LOCKED`, on SQLite inside a `BEGIN IMMEDIATE` transaction
//!   (one writer at a time). A worker that dies mid-job leaves the lease to expire, after
//!   which another worker retries the job.
//! * Success sets `done_at`. Failure stores the message in `last_error` and moves `run_at`
//!   forward by [`backoff`]; after `max_attempts` attempts the job is no longer claimed (it
//!   stays in the table with its last error, for people to look at). A job stores its own
//!   `max_attempts` ([`Job::with_max_attempts`]; [`DEFAULT_MAX_ATTEMPTS`] otherwise), and a
//!   handler that knows a retry cannot help returns a [`Final`] error: the job is failed for
//!   good at once (a delivery answered 404, say).

use std::time::Duration as StdDuration;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::{Db, DbError, DbResult, Tx};
use crate::{on_db, on_tx};

/// How long a claimed job is reserved for its worker.
pub const LEASE: Duration = Duration::minutes(5);
/// How often the worker looks for due jobs.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(5);
/// Attempts before a job is given up (the column's default).
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;

/// A job to store: its kind (which registered handler runs it, [`Handlers`]) and its
/// payload, a JSON object stored in `jobs.payload` with the kind beside its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    kind: &'static str,
    payload: serde_json::Map<String, serde_json::Value>,
    max_attempts: i64,
}

/// A handler's error after which retrying is pointless: the job is given up at once (its
/// attempts are spent; the message is kept in `last_error`). Return it as
/// `Err(Final(..).into())`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Final(pub String);

impl Job {
    /// A job of `kind` with `payload` (a struct: its fields become the payload's).
    pub fn new(kind: &'static str, payload: &impl Serialize) -> Result<Job, serde_json::Error> {
        let payload = match serde_json::to_value(payload)? {
            serde_json::Value::Object(m) => m,
            other => {
                let mut m = serde_json::Map::new();
                m.insert("value".into(), other);
                m
            }
        };
        Ok(Job {
            kind,
            payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        })
    }

    /// The same job, given `n` attempts (at least one) instead of [`DEFAULT_MAX_ATTEMPTS`].
    pub fn with_max_attempts(mut self, n: i64) -> Job {
        self.max_attempts = n.max(1);
        self
    }

    pub fn max_attempts(&self) -> i64 {
        self.max_attempts
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

/// What runs a job: its database, its payload (without the kind) and the time the run is
/// for (the clock, or a test's chosen time).
pub type Handler = Arc<
    dyn Fn(Db, serde_json::Value, DateTime<Utc>) -> BoxFuture<'static, anyhow::Result<()>>
        + Send
        + Sync,
>;

/// The handlers by kind. Capabilities own their jobs; the application registers their
/// handlers (`app::job_handlers`), so this queue knows none of them.
#[derive(Clone, Default)]
pub struct Handlers(HashMap<&'static str, Handler>, HashSet<&'static str>);

impl Handlers {
    /// Runs jobs of `kind` with `run`, their payload read as `P`.
    pub fn on<P, F, Fut>(mut self, kind: &'static str, run: F) -> Handlers
    where
        P: DeserializeOwned + Send + 'static,
        F: Fn(Db, P, DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let run = Arc::new(run);
        self.0.insert(
            kind,
            Arc::new(move |db, payload, now| {
                let run = run.clone();
                Box::pin(async move {
                    let p: P = serde_json::from_value(payload)
                        .map_err(|e| anyhow::anyhow!("unreadable {kind} payload: {e}"))?;
                    run(db, p, now).await
                })
            }),
        );
        self
    }

    /// Like [`Handlers::on`] for a job whose payload holds personal data (an e-mail
    /// address): the payload is emptied once the job is done or given up, so the table
    /// keeps it only while it may still run.
    pub fn on_private<P, F, Fut>(mut self, kind: &'static str, run: F) -> Handlers
    where
        P: DeserializeOwned + Send + 'static,
        F: Fn(Db, P, DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.1.insert(kind);
        self.on(kind, run)
    }

    fn is_private(&self, kind: &str) -> bool {
        self.1.contains(kind)
    }

    async fn run(&self, db: &Db, c: &Claimed, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(h) = self.0.get(c.kind.as_str()) else {
            anyhow::bail!("no handler for jobs of kind {}", c.kind);
        };
        let mut payload: serde_json::Value = serde_json::from_str(&c.payload)
            .map_err(|e| anyhow::anyhow!("unreadable {} payload: {e}", c.kind))?;
        if let Some(m) = payload.as_object_mut() {
            m.remove("kind");
        }
        h(db.clone(), payload, now).await
    }
}

/// A stored job as claimed by a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones: 30 s, 1 min, 2 min, …
/// doubling, at most 6 hours.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    let secs = 30i64.saturating_mul(1i64 << exp);
    Duration::seconds(secs.min(6 * 3600))
}

const INSERT: &str = "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, max_attempts, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING";

fn payload_of(job: &Job) -> DbResult<String> {
    let mut m = job.payload.clone();
    m.insert("kind".into(), serde_json::Value::from(job.kind));
    serde_json::to_string(&m).map_err(|e| DbError::Corrupt(format!("job payload: {e}")))
}

/// Stores `job` to run at `run_at`. With a `dedupe_key` already stored this does nothing
/// and returns `false`.
pub async fn enqueue(
    db: &Db,
    job: &Job,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
) -> DbResult<bool> {
    let payload = payload_of(job)?;
    let n = on_db!(db, |p| sqlx::query(INSERT)
        .bind(uuid::Uuid::new_v4().simple().to_string())
        .bind(job.kind())
        .bind(&payload)
        .bind(dedupe_key)
        .bind(run_at)
        .bind(job.max_attempts)
        .bind(Utc::now())
        .execute(p)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// [`enqueue`] inside a transaction (the job is stored only if the change it belongs to is).
pub async fn enqueue_in(
    tx: &mut Tx,
    job: &Job,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
) -> DbResult<bool> {
    let payload = payload_of(job)?;
    let n = on_tx!(tx, |c| sqlx::query(INSERT)
        .bind(uuid::Uuid::new_v4().simple().to_string())
        .bind(job.kind())
        .bind(&payload)
        .bind(dedupe_key)
        .bind(run_at)
        .bind(job.max_attempts)
        .bind(Utc::now())
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Claims the oldest due job (due at `now`, not leased, attempts left), leasing it until
/// `now + LEASE` and counting the attempt. `None` when nothing is due.
pub async fn claim(db: &Db, now: DateTime<Utc>) -> DbResult<Option<Claimed>> {
    let until = now + LEASE;
    match db {
        Db::Postgres(p) => Ok(sqlx::query_as::<_, Claimed>(
            "UPDATE jobs SET locked_until = $2, attempts = attempts + 1 WHERE id = ( \
                 SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $1 \
                 AND (locked_until IS NULL OR locked_until < $1) AND attempts < max_attempts \
                 ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, payload, attempts, max_attempts",
        )
        .bind(now)
        .bind(until)
        .fetch_optional(p)
        .await?),
        Db::Sqlite(p) => {
            // BEGIN IMMEDIATE: one writer at a time, across processes too, so the row
            // picked cannot be claimed by anyone else before the UPDATE.
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            let row = sqlx::query_as::<_, Claimed>(
                "UPDATE jobs SET locked_until = $2, attempts = attempts + 1 WHERE id = ( \
                     SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $1 \
                     AND (locked_until IS NULL OR locked_until < $1) AND attempts < max_attempts \
                     ORDER BY run_at LIMIT 1) \
                 RETURNING id, kind, payload, attempts, max_attempts",
            )
            .bind(now)
            .bind(until)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(row)
        }
    }
}

/// The payload a private job keeps once it will not run again.
const EMPTIED: &str = "{}";

async fn finish_ok(db: &Db, id: &str, private: bool, now: DateTime<Utc>) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE jobs SET done_at = $2, locked_until = NULL, last_error = NULL, \
         payload = CASE WHEN $3 THEN $4 ELSE payload END WHERE id = $1"
    )
    .bind(id)
    .bind(now)
    .bind(private)
    .bind(EMPTIED)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

async fn finish_err(
    db: &Db,
    job: &Claimed,
    error: &str,
    private: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let error: String = error.chars().take(2000).collect();
    // A private job given up keeps no payload (it is never claimed again).
    let forget = private && job.attempts >= job.max_attempts;
    on_db!(db, |p| sqlx::query(
        "UPDATE jobs SET locked_until = NULL, last_error = $2, run_at = $3, \
         payload = CASE WHEN $4 THEN $5 ELSE payload END WHERE id = $1"
    )
    .bind(&job.id)
    .bind(&error)
    .bind(now + backoff(job.attempts))
    .bind(forget)
    .bind(EMPTIED)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Gives a job up after a [`Final`] error: no attempts left, the message kept.
async fn finish_final(db: &Db, job: &Claimed, error: &str) -> DbResult<()> {
    let error: String = error.chars().take(2000).collect();
    on_db!(db, |p| sqlx::query(
        "UPDATE jobs SET locked_until = NULL, last_error = $2, attempts = max_attempts \
         WHERE id = $1"
    )
    .bind(&job.id)
    .bind(&error)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Runs one claimed job and records the outcome. `true` when it succeeded.
async fn run_claimed(
    db: &Db,
    handlers: &Handlers,
    c: &Claimed,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let result = handlers.run(db, c, now).await;
    match result {
        Ok(()) => {
            finish_ok(db, &c.id, handlers.is_private(&c.kind), now).await?;
            Ok(true)
        }
        Err(e) => {
            let msg = format!("{e:#}");
            if e.downcast_ref::<Final>().is_some() {
                tracing::warn!(job = %c.id, kind = %c.kind, attempts = c.attempts, error = %msg, "job failed for good");
                finish_final(db, c, &msg).await?;
                return Ok(false);
            }
            if c.attempts >= c.max_attempts {
                tracing::error!(job = %c.id, kind = %c.kind, attempts = c.attempts, error = %msg, "job failed for the last time");
            } else {
                tracing::warn!(job = %c.id, kind = %c.kind, attempts = c.attempts, error = %msg, "job failed; will retry");
            }
            finish_err(db, c, &msg, handlers.is_private(&c.kind), now).await?;
            Ok(false)
        }
    }
}

/// Claims and runs, one by one, every job due at `now`; returns how many ran (failed runs
/// count too: a failed job is moved to its retry time, after `now`). Safe to call from
/// several workers at once: each job runs in exactly one of them.
pub async fn run_due(db: &Db, handlers: &Handlers, now: DateTime<Utc>) -> DbResult<usize> {
    let mut ran = 0;
    while let Some(c) = claim(db, now).await? {
        run_claimed(db, handlers, &c, now).await?;
        ran += 1;
    }
    Ok(ran)
}

/// Empties the payload of every job of `kind` that `names` picks (an erasure: the jobs that
/// hold an address), run or not; one not yet run is ended as done, never to run without its
/// payload. The number changed.
pub async fn forget_payloads(
    db: &Db,
    kind: &str,
    names: impl Fn(&serde_json::Value) -> bool,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    let rows: Vec<(String, String)> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, payload FROM jobs WHERE kind = $1 AND payload <> $2"
    )
    .bind(kind)
    .bind(EMPTIED)
    .fetch_all(p)
    .await?);
    let mut n = 0;
    for (id, payload) in rows {
        let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        if !names(&v) {
            continue;
        }
        n += on_db!(db, |p| sqlx::query(
            "UPDATE jobs SET payload = $2, done_at = COALESCE(done_at, $3), \
             locked_until = NULL WHERE id = $1"
        )
        .bind(&id)
        .bind(EMPTIED)
        .bind(now)
        .execute(p)
        .await?
        .rows_affected());
    }
    Ok(n)
}

/// Runs `tick` now and then every `period` until `shutdown` turns true (or its sender is
/// dropped): the loop behind each node's background chores.
pub fn spawn_every<F, Fut>(
    period: StdDuration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    mut tick: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            tick().await;
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// The node's worker: runs due jobs every [`POLL_INTERVAL`] until `shutdown` turns true
/// (or its sender is dropped). A database error is logged and retried on the next tick.
pub fn spawn_worker(
    db: Db,
    handlers: Handlers,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    spawn_every(POLL_INTERVAL, shutdown, move || {
        let (db, handlers) = (db.clone(), handlers.clone());
        async move {
            if let Err(e) = run_due(&db, &handlers, Utc::now()).await {
                tracing::warn!(error = %e, "job worker: cannot run due jobs");
            }
        }
    })
}

/// Whether a job with `dedupe_key` is stored and still to run: `None` when there is none,
/// `Some(true)` while it waits or runs (not done, attempts left), `Some(false)` once it is
/// done or has used its attempts.
pub async fn waiting_with_key(db: &Db, dedupe_key: &str) -> DbResult<Option<bool>> {
    let row: Option<(Option<DateTime<Utc>>, i64, i64)> = on_db!(db, |p| sqlx::query_as(
        "SELECT done_at, attempts, max_attempts FROM jobs WHERE dedupe_key = $1"
    )
    .bind(dedupe_key)
    .fetch_optional(p)
    .await?);
    Ok(row.map(|(done, attempts, max)| done.is_none() && attempts < max))
}

/// A stored job's state, for the CLI and tests.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

/// Every stored job, oldest `run_at` first.
pub async fn list(db: &Db) -> DbResult<Vec<JobRow>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "SELECT id, kind, payload, dedupe_key, run_at, attempts, max_attempts, locked_until, \
         last_error, done_at FROM jobs ORDER BY run_at, id"
    )
    .fetch_all(p)
    .await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(50), Duration::hours(6));
    }

    #[test]
    fn payload_keeps_the_kind_beside_the_fields() {
        #[derive(Serialize)]
        struct P {
            post_id: &'static str,
        }
        let j = Job::new("publish_post", &P { post_id: "p1" }).expect("job");
        assert_eq!(
            payload_of(&j).expect("json"),
            r#"{"kind":"publish_post","post_id":"p1"}"#
        );
    }
}
