//! Request-body time-outs: a body that sends nothing for `http.body_idle_timeout_secs`, or
//! is not complete within `http.body_timeout_secs`, ends with an error for whoever reads it,
//! and the request is answered 408 (with `Connection: close`) whatever the handler made of
//! the error. Requests without a body (GET, HEAD, the live streams) are left alone.
//!
//! (Slow request heads and idle keep-alive connections are closed by the server's header
//! read time-out, src/app/server.rs.)
//!
//! Size limits that answer with a page ([`soft_cap`]): a route whose forms carry uploads
//! reads a body past its limit to the end (dropping the bytes, up to [`DRAIN_MAX`]) before its
//! reader gets an error, and marks the request ([`OverLimit`]), so the handler can show the
//! form again with what was read of it and why the rest was refused. A browser shows an
//! answer only once it has sent its whole body; refusing at the limit and closing the
//! connection would leave it with a connection error instead of the page.

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

/// Past this many bytes an over-limit body is no longer read to its end: the reader gets the
/// error at once (the browser then sees a broken connection, not the page).
pub const DRAIN_MAX: u64 = 256 * 1024 * 1024;

/// The error an over-limit body gives its reader (after reading to its end).
#[derive(Debug, thiserror::Error)]
#[error("the request body is larger than this form accepts")]
pub struct BodyTooLarge;

/// Set on a request by [`soft_cap`]: whether its body went over the route's limit.
#[derive(Debug, Clone, Default)]
pub struct OverLimit(Arc<AtomicBool>);

impl OverLimit {
    /// The body went over the limit (only known once it has been read).
    pub fn hit(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A request body that passes its first `limit` bytes on; past them it reads the rest to
/// the end (or to [`DRAIN_MAX`]), drops it, and then gives its reader [`BodyTooLarge`].
pub struct CappedBody {
    inner: Body,
    limit: u64,
    read: u64,
    over: OverLimit,
    done: bool,
}

impl CappedBody {
    pub fn new(inner: Body, limit: usize, over: OverLimit) -> Self {
        CappedBody {
            inner,
            limit: u64::try_from(limit).unwrap_or(u64::MAX),
            read: 0,
            over,
            done: false,
        }
    }
}

impl http_body::Body for CappedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match http_body::Body::poll_frame(Pin::new(&mut this.inner), cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                    this.read = this.read.saturating_add(n);
                    if this.read <= this.limit {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    this.over.0.store(true, Ordering::Relaxed);
                    if this.read > DRAIN_MAX {
                        this.done = true;
                        return Poll::Ready(Some(Err(axum::Error::new(BodyTooLarge))));
                    }
                    // Dropped: keep reading to the end.
                }
                Poll::Ready(None) if this.over.hit() => {
                    this.done = true;
                    return Poll::Ready(Some(Err(axum::Error::new(BodyTooLarge))));
                }
                other => return other,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Middleware (`from_fn_with_state(limit, soft_cap)`, with `DefaultBodyLimit::disable()` on
/// the same routes): caps the body at `limit` bytes with a [`CappedBody`] and puts its
/// [`OverLimit`] into the request's extensions for the handler.
pub async fn soft_cap(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let over = OverLimit::default();
    let flag = over.clone();
    let mut req = req.map(move |b| Body::new(CappedBody::new(b, limit, flag)));
    req.extensions_mut().insert(over);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn capped_bodies_read_to_the_end_before_refusing() {
        let over = OverLimit::default();
        let body = CappedBody::new(Body::from(vec![7u8; 10]), 16, over.clone());
        assert_eq!(body.collect().await.expect("under").to_bytes().len(), 10);
        assert!(!over.hit());

        let chunks: Vec<Result<Bytes, std::io::Error>> =
            (0..8).map(|_| Ok(Bytes::from(vec![1u8; 10]))).collect();
        let inner = Body::from_stream(futures_util::stream::iter(chunks));
        let over = OverLimit::default();
        let mut body = CappedBody::new(inner, 25, over.clone());
        let mut got = 0;
        let mut error = false;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => got += f.into_data().map(|d| d.len()).unwrap_or(0),
                Err(_) => error = true,
            }
        }
        // Two chunks passed on, the other six read and dropped, then the error.
        assert_eq!((got, error, over.hit()), (20, true, true));
    }
}
