//! What the forwarder tells the console: whether the central store is reachable, what waits to be sent
//! and since when, and the last error. Atomics and one short-held mutex for the error text, so the UI
//! never waits on the forwarder.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct ForwardStats {
    /// `host:port/database`, for the status line.
    pub target: String,
    pub connected: AtomicBool,
    /// Samples committed locally and not in the central store yet.
    pub backlog_samples: AtomicU64,
    /// Alarm journal lines, audit records and rollup rows not sent yet.
    pub backlog_records: AtomicU64,
    /// The oldest unsent sample's time (µs); 0 when nothing waits.
    pub oldest_unsent_us: AtomicI64,
    /// Samples sent since the console started.
    pub samples_sent: AtomicU64,
    /// Journal lines, audit records and rollup rows sent since the console started.
    pub records_sent: AtomicU64,
    /// When the last batch reached the central store (µs; 0: none yet).
    pub last_sent_us: AtomicI64,
    /// Sessions that ended in an error (link or database lost) since the console started.
    pub failures: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// A copy of the figures, for display.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForwardReport {
    pub target: String,
    pub connected: bool,
    pub backlog_samples: u64,
    pub backlog_records: u64,
    pub oldest_unsent_us: Option<i64>,
    pub samples_sent: u64,
    pub records_sent: u64,
    pub last_sent_us: Option<i64>,
    pub failures: u64,
    pub last_error: Option<String>,
}

impl ForwardStats {
    pub fn new(target: String) -> Self {
        Self {
            target,
            ..Self::default()
        }
    }

    pub fn set_error(&self, e: Option<String>) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = e;
        }
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|g| g.clone())
    }

    pub fn report(&self) -> ForwardReport {
        let opt = |v: i64| (v != 0).then_some(v);
        ForwardReport {
            target: self.target.clone(),
            connected: self.connected.load(Ordering::Relaxed),
            backlog_samples: self.backlog_samples.load(Ordering::Relaxed),
            backlog_records: self.backlog_records.load(Ordering::Relaxed),
            oldest_unsent_us: opt(self.oldest_unsent_us.load(Ordering::Relaxed)),
            samples_sent: self.samples_sent.load(Ordering::Relaxed),
            records_sent: self.records_sent.load(Ordering::Relaxed),
            last_sent_us: opt(self.last_sent_us.load(Ordering::Relaxed)),
            failures: self.failures.load(Ordering::Relaxed),
            last_error: self.last_error(),
        }
    }
}

impl ForwardReport {
    /// How far behind the central store is at `now_us`: the age of the oldest unsent sample.
    pub fn lag_us(&self, now_us: i64) -> i64 {
        self.oldest_unsent_us.map_or(0, |t| (now_us - t).max(0))
    }
}
