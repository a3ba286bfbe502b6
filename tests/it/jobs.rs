//! The background job queue on both backends, run deterministically with
//! `jobs::run_due(db, &shelfraiser::app::job_handlers(), chosen time)`: a failing job is retried with exponential backoff and
//! given up after `max_attempts`; a dedupe key stores one job; two workers (two pools, as
//! two nodes) running at once never run the same job.

use chrono::{Duration, SubsecRound, Utc};
use shelfraiser::blog::write::{self, NewPost, PostKind, PostStatus};
use shelfraiser::blog::write::{PUBLISH_POST, PublishPost};
use shelfraiser::db::Db;
use shelfraiser::jobs::{self, Job};

fn publish_job(post_id: &str) -> Job {
    Job::new(
        PUBLISH_POST,
        &PublishPost {
            post_id: post_id.into(),
        },
    )
    .expect("job")
}
use shelfraiser::team::audit::Actor;

use crate::harness::*;

#[tokio::test]
async fn failing_job_backs_off_and_gives_up() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        // Whole seconds: PostgreSQL keeps microseconds.
        let t0 = (Utc::now() + Duration::days(1)).trunc_subsecs(0);
        let job = publish_job("missing");
        assert!(jobs::enqueue(db, &job, t0, None).await.expect("enqueue"));
        assert_eq!(
            jobs::run_due(
                db,
                &shelfraiser::app::job_handlers(),
                t0 - Duration::seconds(1)
            )
            .await
            .expect("run"),
            0
        );
        assert_eq!(
            jobs::run_due(db, &shelfraiser::app::job_handlers(), t0)
                .await
                .expect("run"),
            1
        );
        let j = &jobs::list(db).await.expect("list")[0];
        assert_eq!(j.attempts, 1);
        assert!(j.done_at.is_none() && j.locked_until.is_none());
        assert!(
            j.last_error
                .as_deref()
                .unwrap_or("")
                .contains("does not exist"),
            "{j:?}"
        );
        assert_eq!(j.run_at, t0 + Duration::seconds(30));
        // Not again before the backoff has passed.
        assert_eq!(
            jobs::run_due(
                db,
                &shelfraiser::app::job_handlers(),
                t0 + Duration::seconds(29)
            )
            .await
            .expect("run"),
            0
        );
        let t1 = t0 + Duration::seconds(31);
        assert_eq!(
            jobs::run_due(db, &shelfraiser::app::job_handlers(), t1)
                .await
                .expect("run"),
            1
        );
        let j = &jobs::list(db).await.expect("list")[0];
        assert_eq!((j.attempts, j.run_at), (2, t1 + Duration::seconds(60)));
        // After max_attempts the job stays, with its error, and is never claimed again.
        exec(db, "UPDATE jobs SET max_attempts = 3").await;
        assert_eq!(
            jobs::run_due(
                db,
                &shelfraiser::app::job_handlers(),
                t1 + Duration::hours(1)
            )
            .await
            .expect("run"),
            1
        );
        assert_eq!(
            jobs::run_due(
                db,
                &shelfraiser::app::job_handlers(),
                t1 + Duration::days(30)
            )
            .await
            .expect("run"),
            0
        );
        let j = &jobs::list(db).await.expect("list")[0];
        assert_eq!(j.attempts, 3);
        assert!(j.done_at.is_none() && j.last_error.is_some());
    })
    .await;
}

#[tokio::test]
async fn dedupe_key_stores_one_job() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let at = Utc::now() + Duration::hours(1);
        let job = publish_job("p");
        assert!(jobs::enqueue(db, &job, at, Some("k1")).await.expect("1"));
        assert!(!jobs::enqueue(db, &job, at, Some("k1")).await.expect("2"));
        assert!(jobs::enqueue(db, &job, at, Some("k2")).await.expect("3"));
        assert!(jobs::enqueue(db, &job, at, None).await.expect("4"));
        assert!(jobs::enqueue(db, &job, at, None).await.expect("5"));
        assert_eq!(count(db, "jobs").await, 4);
        let kinds: Vec<String> = jobs::list(db)
            .await
            .expect("list")
            .into_iter()
            .map(|j| j.kind)
            .collect();
        assert!(kinds.iter().all(|k| k == "publish_post"));
    })
    .await;
}

#[tokio::test]
async fn two_workers_never_run_the_same_job() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        let at = Utc::now() + Duration::days(2);
        const N: usize = 24;
        for i in 0..N {
            let mut p = NewPost::draft(PostKind::Article, &format!("Queued {i}"), "Body");
            p.status = PostStatus::Scheduled;
            p.published_at = Some(at);
            write::create(db, &p, &Actor::cli()).await.expect("create");
        }
        assert_eq!(count(db, "jobs").await, N as i64);
        // A second pool: another node.
        let other = Db::connect(&tdb.url).await.expect("second pool");
        let later = at + Duration::minutes(1);
        // Each publication also sets off the job that tells the fediverse (no followers here).
        let base = "http://localhost";
        let out = shelfraiser::outbound::Outbound::new::<&str>(&[], base).expect("outbound");
        let h =
            shelfraiser::app::job_handlers_outbound(shelfraiser::app::job_handlers(), out, base);
        let (a, b) = tokio::join!(
            jobs::run_due(db, &h, later),
            jobs::run_due(&other, &h, later)
        );
        let (a, b) = (a.expect("worker a"), b.expect("worker b"));
        assert_eq!(a + b, 2 * N, "every job ran once ({a} + {b})");
        for j in jobs::list(db).await.expect("list") {
            assert_eq!(j.attempts, 1, "{j:?}");
            assert!(j.done_at.is_some() && j.last_error.is_none(), "{j:?}");
        }
        let published: i64 = match db {
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE status = 'published'")
                    .fetch_one(p)
                    .await
                    .expect("count")
            }
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE status = 'published'")
                    .fetch_one(p)
                    .await
                    .expect("count")
            }
        };
        assert_eq!(published, N as i64);
        assert_eq!(
            jobs::run_due(
                db,
                &shelfraiser::app::job_handlers(),
                later + Duration::days(1)
            )
            .await
            .expect("run"),
            0
        );
        other.close().await;
    })
    .await;
}

/// A job keeps the attempts it was given, and a handler's `Final` error ends it at once
/// (no attempts left, the message kept), while any other error is retried.
#[tokio::test]
async fn a_final_error_ends_a_job_and_attempts_are_per_job() {
    each_backend(|tdb| async move {
        let db = &tdb.db;
        #[derive(serde::Serialize, serde::Deserialize)]
        struct P {
            fail_for_good: bool,
        }
        let handlers = jobs::Handlers::default().on("probe", |_db, p: P, _now| async move {
            if p.fail_for_good {
                Err(jobs::Final("refused for good".into()).into())
            } else {
                anyhow::bail!("try again")
            }
        });
        let t0 = Utc::now().trunc_subsecs(0);
        let once = Job::new(
            "probe",
            &P {
                fail_for_good: true,
            },
        )
        .expect("job")
        .with_max_attempts(5);
        let again = Job::new(
            "probe",
            &P {
                fail_for_good: false,
            },
        )
        .expect("job")
        .with_max_attempts(3);
        jobs::enqueue(db, &once, t0, Some("once"))
            .await
            .expect("enqueue");
        jobs::enqueue(db, &again, t0, Some("again"))
            .await
            .expect("enqueue");
        assert_eq!(jobs::run_due(db, &handlers, t0).await.expect("run"), 2);
        let later = t0 + Duration::days(1);
        // The retried one runs its two other attempts; the final one never again.
        assert_eq!(jobs::run_due(db, &handlers, later).await.expect("run"), 1);
        assert_eq!(
            jobs::run_due(db, &handlers, later + Duration::days(1))
                .await
                .expect("run"),
            1
        );
        assert_eq!(
            jobs::run_due(db, &handlers, later + Duration::days(2))
                .await
                .expect("run"),
            0
        );
        let all = jobs::list(db).await.expect("list");
        let by = |k: &str| {
            all.iter()
                .find(|j| j.dedupe_key.as_deref() == Some(k))
                .expect("job")
                .clone()
        };
        let (o, a) = (by("once"), by("again"));
        assert_eq!((o.attempts, o.max_attempts), (5, 5));
        assert_eq!(o.last_error.as_deref(), Some("refused for good"));
        assert_eq!((a.attempts, a.max_attempts), (3, 3));
        assert!(o.done_at.is_none() && a.done_at.is_none());
    })
    .await;
}
