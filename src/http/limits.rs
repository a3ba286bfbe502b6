//! Request-body time-outs: a body that sends nothing for `http.body_idle_timeout_secs`, or
//! is not complete within `http.body_timeout_secs`, ends with an error for whoever reads it,
//! and the request is answered 408 (with `Connection: close`) whatever the handler made of
//! the error. Requests without a body (GET, HEAD, the live streams) are left alone.
//!
//! (Slow request heads and idle keep-alive connections are closed by the server's header
//! read time-out, src/app/server.rs.)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::AppState;

/// The error a timed-out body gives its reader.
#[derive(Debug, thiserror::Error)]
#[error("the request body timed out")]
pub struct BodyTimedOut;

/// A request body with an idle and a total time-out; sets `timed_out` when one fires.
pub struct TimedBody {
    inner: Body,
    idle: Duration,
    idle_timer: Pin<Box<Sleep>>,
    total_timer: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl TimedBody {
    pub fn new(inner: Body, idle: Duration, total: Duration, timed_out: Arc<AtomicBool>) -> Self {
        let now = Instant::now();
        TimedBody {
            inner,
            idle,
            idle_timer: Box::pin(tokio::time::sleep_until(now + idle)),
            total_timer: Box::pin(tokio::time::sleep_until(now + total)),
            timed_out,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if this.timed_out.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        match http_body::Body::poll_frame(Pin::new(&mut this.inner), cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = Instant::now() + this.idle;
                this.idle_timer.as_mut().reset(next);
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        if this.idle_timer.as_mut().poll(cx).is_ready()
            || this.total_timer.as_mut().poll(cx).is_ready()
        {
            this.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}

/// Middleware: puts the time-outs on the request body and answers 408 when one fired.
pub async fn body_timeouts(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if http_body::Body::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    let h = &s.settings.http;
    let timed_out = Arc::new(AtomicBool::new(false));
    let (idle, total) = (
        Duration::from_secs(h.body_idle_timeout_secs),
        Duration::from_secs(h.body_timeout_secs),
    );
    let flag = timed_out.clone();
    let req = req.map(move |b| Body::new(TimedBody::new(b, idle, total, flag)));
    let res = next.run(req).await;
    if !timed_out.load(Ordering::Relaxed) {
        return res;
    }
    s.metrics.body_timeouts.fetch_add(1, Ordering::Relaxed);
    tracing::info!("request body timed out: answered 408");
    let mut res = StatusCode::REQUEST_TIMEOUT.into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
