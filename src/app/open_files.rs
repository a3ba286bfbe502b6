//! The open-file limit (`RLIMIT_NOFILE`) at `serve` start-up.
//!
//! Every connection, live progress stream included, holds one open file; so do the
//! database's connections, the listener, the SQLite files and the logs. Linux starts most
//! processes with a soft limit of 1,024 and a much higher hard limit (systemd: 524,288), and
//! a process may raise its own soft limit up to the hard one. So `serve`:
//!
//! 1. raises the soft limit to the hard limit (capped at [`CEILING`]) when it is lower;
//! 2. works out what the node's settings need: the connection cap (`http.max_connections`)
//!    or the stream cap (`live.max_streams`) plus room for pages beside the streams,
//!    whichever is larger, plus the database pool and [`OTHER_FILES`];
//! 3. logs the limit at INFO, and a WARN when it is below that need: past the limit a new
//!    connection fails with "Too many open files" at accept (the browser sees a reset), long
//!    before the stream cap would have answered a polite 503. The warning says how to raise
//!    it (`LimitNOFILE=` under systemd, `ulimit -n` in a shell, the hard limit in
//!    `/etc/security/limits.conf`).
//!
//! The connection cap's default (0) is three quarters of the soft limit read after step 1
//! (`config::HttpSettings::effective_max_connections`), so with defaults the raised limit
//! also raises the cap. The arithmetic is pure ([`target_soft`], [`needed`], [`advice`]) and
//! unit-tested; only [`raise_and_check`] touches the process.

use crate::config::Settings;

/// Files besides connections and the pool: the listener, SQLite's database, WAL and
/// shared-memory files, log and media files being written, the runtime's own descriptors.
pub const OTHER_FILES: u64 = 64;

/// Connections kept for pages, the API and the console beside the live streams: a node
/// whose streams are all taken still answers its campaign page.
pub const PAGE_HEADROOM: u64 = 256;

/// The highest soft limit asked for, even when the hard limit is higher or unlimited (the
/// kernel's default `fs.nr_open`).
pub const CEILING: u64 = 1_048_576;

/// The soft limit to ask for, or `None` to leave it: the hard limit (`None`: unlimited),
/// at most [`CEILING`], when that is above the current soft limit.
pub fn target_soft(soft: Option<u64>, hard: Option<u64>) -> Option<u64> {
    let want = hard.map_or(CEILING, |h| h.min(CEILING));
    match soft {
        None => None,
        Some(s) if s >= want => None,
        Some(_) => Some(want),
    }
}

/// Open files a node needs: its connections (the connection cap, or the stream cap plus
/// [`PAGE_HEADROOM`] when that is larger), its database pool, and [`OTHER_FILES`].
pub fn needed(max_streams: u64, max_connections: u64, pool: u64) -> u64 {
    let connections = max_connections.max(max_streams.saturating_add(PAGE_HEADROOM));
    connections.saturating_add(pool).saturating_add(OTHER_FILES)
}

/// The warning to log when `soft` (`None`: unlimited) is below `need`, naming the figures
/// and how to raise the limit; `None` when it is enough.
pub fn advice(soft: Option<u64>, hard: Option<u64>, need: u64, max_streams: u64) -> Option<String> {
    let soft = soft?;
    if soft >= need {
        return None;
    }
    let suggest = need.next_power_of_two().max(65_536);
    let hard_note = match hard {
        Some(h) if h < need => format!(
            " The hard limit is {h} too: raising it needs root (systemd's LimitNOFILE= sets \
             both; for a login shell, a 'nofile' line in /etc/security/limits.conf)."
        ),
        _ => String::new(),
    };
    Some(format!(
        "the open-file limit is {soft}, below the {need} this node's settings need \
         (live.max_streams {max_streams} plus {PAGE_HEADROOM} connections for pages, or \
         http.max_connections if larger, plus the database pool and {OTHER_FILES} other \
         files): past it new connections fail with 'Too many open files' instead of the \
         stream cap's 503. Raise it to at least {need}: LimitNOFILE={suggest} in the \
         systemd unit's [Service] section, or 'ulimit -n {suggest}' in the shell that starts \
         the server; or lower live.max_streams.{hard_note}"
    ))
}

/// What [`raise_and_check`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit at start (`None`: unlimited).
    pub was: Option<u64>,
    /// The soft limit now.
    pub soft: Option<u64>,
    /// The hard limit.
    pub hard: Option<u64>,
    /// What the settings need ([`needed`]).
    pub need: u64,
    /// The warning that was logged, if any.
    pub warning: Option<String>,
}

/// Raises the soft open-file limit to the hard limit, then logs it against what the
/// settings need (a WARN with the remedy when it falls short). Call before the server reads
/// its connection cap. A failed raise is logged and the check goes on with the old limit.
pub fn raise_and_check(s: &Settings) -> OpenFiles {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let before = getrlimit(Resource::Nofile);
    let (was, hard) = (before.current, before.maximum);
    let mut soft = was;
    if let Some(want) = target_soft(was, hard) {
        match setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(want),
                maximum: hard,
            },
        ) {
            Ok(()) => soft = getrlimit(Resource::Nofile).current,
            Err(e) => tracing::warn!(
                error = %e,
                soft = ?was,
                hard = ?hard,
                "could not raise the open-file limit to the hard limit"
            ),
        }
    }
    let max_connections = s.http.effective_max_connections() as u64;
    let max_streams = s.live.effective_max_streams(&s.http) as u64;
    let pool = match s.pool.max_connections {
        0 if s.effective_database_url().starts_with("sqlite:") => 8,
        0 => 16,
        n => u64::from(n),
    };
    let need = needed(max_streams, max_connections, pool);
    let warning = advice(soft, hard, need, max_streams);
    let show = |v: Option<u64>| v.map_or_else(|| "unlimited".to_string(), |n| n.to_string());
    tracing::info!(
        soft = %show(soft),
        was = %show(was),
        hard = %show(hard),
        need,
        max_connections,
        max_streams,
        "open-file limit"
    );
    if let Some(w) = &warning {
        tracing::warn!("{w}");
    }
    OpenFiles {
        was,
        soft,
        hard,
        need,
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_goes_up_to_the_hard_one() {
        assert_eq!(target_soft(Some(1024), Some(524_288)), Some(524_288));
        assert_eq!(target_soft(Some(1024), Some(4096)), Some(4096));
        // Already there, or above (the hard limit cannot be below the soft one, but a
        // soft limit past the ceiling is left alone).
        assert_eq!(target_soft(Some(4096), Some(4096)), None);
        assert_eq!(target_soft(Some(2_000_000), None), None);
        // An unlimited hard limit: up to the ceiling; an unlimited soft one stays.
        assert_eq!(target_soft(Some(1024), None), Some(CEILING));
        assert_eq!(target_soft(Some(1024), Some(u64::MAX)), Some(CEILING));
        assert_eq!(target_soft(None, None), None);
    }

    #[test]
    fn the_need_is_streams_and_room_for_pages_or_the_connection_cap() {
        // Ten thousand streams, the connection cap from a 65,536 limit (49,152): the cap
        // is larger.
        assert_eq!(needed(10_000, 49_152, 16), 49_152 + 16 + 64);
        // An explicit stream cap above the connection cap: the streams and room for pages.
        assert_eq!(needed(10_000, 768, 8), 10_000 + 256 + 8 + 64);
        // The defaults at the common 1,024: 768 connections, 384 streams, SQLite's 8.
        assert_eq!(needed(384, 768, 8), 840);
        assert!(needed(384, 768, 8) <= 1024);
        assert_eq!(needed(u64::MAX, 1, 1), u64::MAX);
    }

    #[test]
    fn a_limit_below_the_need_is_a_warning_with_the_remedy() {
        assert_eq!(advice(Some(65_536), Some(65_536), 10_328, 10_000), None);
        assert_eq!(advice(None, None, 10_328, 10_000), None);
        let w = advice(Some(1024), Some(524_288), 10_328, 10_000).expect("a warning");
        assert!(w.contains("1024"), "{w}");
        assert!(w.contains("10328"), "{w}");
        assert!(w.contains("LimitNOFILE=65536"), "{w}");
        assert!(w.contains("ulimit -n 65536"), "{w}");
        assert!(!w.contains("hard limit is"), "{w}");
        // The hard limit is too low as well: say that raising it needs root.
        let w = advice(Some(1024), Some(4096), 100_000, 99_000).expect("a warning");
        assert!(w.contains("LimitNOFILE=131072"), "{w}");
        assert!(w.contains("hard limit is 4096"), "{w}");
    }
}
