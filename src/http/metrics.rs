//! Prometheus metrics for this node (text exposition format at `/metrics`).

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Upper bounds (seconds) of the request-duration histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    pub requests_2xx: AtomicU64,
    pub requests_3xx: AtomicU64,
    pub requests_4xx: AtomicU64,
    pub requests_5xx: AtomicU64,
    /// Requests by the first bucket they fall within (not cumulative: see `render`).
    duration_buckets: [AtomicU64; 10],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
    pub donations_recorded: AtomicU64,
    pub callbacks_duplicate: AtomicU64,
    pub callbacks_rejected: AtomicU64,
    pub page_cache_hits: AtomicU64,
    pub page_cache_misses: AtomicU64,
    /// Pages answered with the entry being replaced while another request rendered it.
    pub page_cache_stale: AtomicU64,
    /// Campaign pages rendered (one per key at a time: `http::flight`).
    pub page_renders_campaign: AtomicU64,
    /// Blog pages and feeds rendered for the blog's page cache.
    pub page_renders_blog: AtomicU64,
    /// Live streams open now (also the count `live.max_streams` caps).
    pub live_streams: AtomicI64,
    /// Live streams refused because `live.max_streams` were open.
    pub live_streams_refused: AtomicU64,
    /// Donate-form checkouts refused by the per-address limit.
    pub checkouts_limited_address: AtomicU64,
    /// Donate-form checkouts refused by the per-campaign limit.
    pub checkouts_limited_campaign: AtomicU64,
    /// Donate-form checkouts refused by the per-e-mail limit.
    pub checkouts_limited_email: AtomicU64,
    /// Donate forms answered with a proof-of-work challenge (card testing suspected).
    pub checkouts_challenged: AtomicU64,
    /// Connections open now (src/app/server.rs).
    pub connections_open: AtomicI64,
    /// Connections that had to wait because `http.max_connections` were open.
    pub connections_waited: AtomicU64,
    /// Request bodies that timed out (answered 408).
    pub body_timeouts: AtomicU64,
}

impl Metrics {
    pub fn observe_request(&self, status: u16, micros: u64) {
        let c = match status {
            200..=299 => &self.requests_2xx,
            300..=399 => &self.requests_3xx,
            400..=499 => &self.requests_4xx,
            _ => &self.requests_5xx,
        };
        c.fetch_add(1, Ordering::Relaxed);
        // One bucket per request (the first whose bound it is within; none past the last):
        // the cumulative counts Prometheus reads are added up in `render`. Every atomic here
        // is a cache line the two cores hand back and forth on each request, so a request
        // touches four of them, not up to thirteen.
        let secs = micros as f64 / 1e6;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_micros
            .fetch_add(micros, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "# HELP shelfraiser_http_requests_total HTTP responses by status class."
        );
        let _ = writeln!(s, "# TYPE shelfraiser_http_requests_total counter");
        for (class, c) in [
            ("2xx", &self.requests_2xx),
            ("3xx", &self.requests_3xx),
            ("4xx", &self.requests_4xx),
            ("5xx", &self.requests_5xx),
        ] {
            let _ = writeln!(
                s,
                "shelfraiser_http_requests_total{{class=\"{class}\"}} {}",
                g(c)
            );
        }
        let _ = writeln!(
            s,
            "# HELP shelfraiser_http_request_duration_seconds Time to produce a response."
        );
        let _ = writeln!(
            s,
            "# TYPE shelfraiser_http_request_duration_seconds histogram"
        );
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += g(&self.duration_buckets[i]);
            let _ = writeln!(
                s,
                "shelfraiser_http_request_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}"
            );
        }
        let count = g(&self.duration_count);
        let _ = writeln!(
            s,
            "shelfraiser_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "shelfraiser_http_request_duration_seconds_sum {}",
            g(&self.duration_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(s, "shelfraiser_http_request_duration_seconds_count {count}");
        for (name, help, v) in [
            (
                "shelfraiser_donations_recorded_total",
                "Donations recorded by this node.",
                g(&self.donations_recorded),
            ),
            (
                "shelfraiser_callbacks_duplicate_total",
                "Provider callbacks that changed nothing (replays).",
                g(&self.callbacks_duplicate),
            ),
            (
                "shelfraiser_callbacks_rejected_total",
                "Provider callbacks refused (signature, format, mismatch).",
                g(&self.callbacks_rejected),
            ),
            (
                "shelfraiser_page_cache_hits_total",
                "Campaign pages served from the cache.",
                g(&self.page_cache_hits),
            ),
            (
                "shelfraiser_page_cache_misses_total",
                "Campaign pages rendered.",
                g(&self.page_cache_misses),
            ),
            (
                "shelfraiser_page_cache_stale_total",
                "Pages answered with the kept page while its replacement was rendered.",
                g(&self.page_cache_stale),
            ),
            (
                "shelfraiser_live_streams_refused_total",
                "Live streams answered 503 because live.max_streams were open.",
                g(&self.live_streams_refused),
            ),
            (
                "shelfraiser_connections_waited_total",
                "Connections that waited because http.max_connections were open.",
                g(&self.connections_waited),
            ),
            (
                "shelfraiser_request_body_timeouts_total",
                "Request bodies that stalled or took too long (answered 408).",
                g(&self.body_timeouts),
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        let _ = writeln!(
            s,
            "# HELP shelfraiser_page_renders_total Pages rendered for a page cache.\n# TYPE shelfraiser_page_renders_total counter\nshelfraiser_page_renders_total{{cache=\"campaign\"}} {}\nshelfraiser_page_renders_total{{cache=\"blog\"}} {}",
            g(&self.page_renders_campaign),
            g(&self.page_renders_blog)
        );
        let _ = writeln!(
            s,
            "# HELP shelfraiser_connections_open HTTP connections open now.\n# TYPE shelfraiser_connections_open gauge\nshelfraiser_connections_open {}",
            self.connections_open.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP shelfraiser_checkouts_rate_limited_total Donate-form checkouts refused by a rate limit.\n# TYPE shelfraiser_checkouts_rate_limited_total counter"
        );
        for (limit, c) in [
            ("address", &self.checkouts_limited_address),
            ("campaign", &self.checkouts_limited_campaign),
            ("email", &self.checkouts_limited_email),
            ("challenge", &self.checkouts_challenged),
        ] {
            let _ = writeln!(
                s,
                "shelfraiser_checkouts_rate_limited_total{{limit=\"{limit}\"}} {}",
                g(c)
            );
        }
        let _ = writeln!(
            s,
            "# HELP shelfraiser_live_streams Open live-progress streams.\n# TYPE shelfraiser_live_streams gauge\nshelfraiser_live_streams {}",
            self.live_streams.load(Ordering::Relaxed)
        );
        s
    }
}
