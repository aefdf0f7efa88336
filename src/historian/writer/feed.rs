//! The hub's end of the historian and the counters everyone reads. `HistorianFeed` is the hub subscriber:
//! it turns a scan's tag updates into historian samples and queues them for the writer without ever
//! waiting (what does not fit is dropped and counted). `HistorianStats` are the figures the feed and the
//! writer thread keep and the console, `history stats` and the exit report show (`HistoryReport`).
//! Nothing here touches the database or the writer's state: the feed only sends on the queue.

use super::Msg;
use crate::historian::codec::StoredQuality;
use crate::historian::filter::HistSample;
use crate::hub::Subscriber;
use crate::tag::{BadReason, HistoryMode, Quality, TagTable, TagUpdate};
use crossbeam_channel::{Sender, TrySendError};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counters the console and `history stats` show. Written by the writer and the feed, read by anyone.
#[derive(Debug, Default)]
pub struct HistorianStats {
    pub samples_in: AtomicU64,
    /// Samples committed to the database.
    pub samples_stored: AtomicU64,
    /// Samples the writer's queue had no room for (the hub never waits).
    pub samples_dropped: AtomicU64,
    /// Samples the writer received but could not keep: the backlog was full while commits failed, or
    /// they were still uncommitted when a stop ran out of time.
    pub samples_lost: AtomicU64,
    /// Samples in memory, not committed yet.
    pub backlog: AtomicU64,
    /// When commits started failing (µs since the epoch); 0 while they succeed.
    pub failing_since_us: AtomicI64,
    /// Samples received and not committed when the writer stopped (0 after a clean stop).
    pub not_saved_at_stop: AtomicU64,
    pub out_of_order: AtomicU64,
    /// Samples past raw retention kept because the central store has not got them (0: none, or not
    /// forwarding).
    pub held_for_forward: AtomicU64,
    /// The disk holding history is nearly full (checked with each retention pass).
    pub disk_low: std::sync::atomic::AtomicBool,
    pub commits: AtomicU64,
    pub commit_errors: AtomicU64,
    pub last_commit_us: AtomicU64,
    pub max_commit_us: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    /// The last commits' durations (µs), for p99 figures.
    pub recent_commits_us: Mutex<std::collections::VecDeque<u64>>,
}

impl HistorianStats {
    /// Counts a failed commit; the writer decides what to log (`Failing`), so a full disk is one line
    /// and a summary a minute, not a line per attempt.
    pub(super) fn error(&self, e: impl std::fmt::Display) {
        self.commit_errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut g) = self.last_error.lock() {
            *g = Some(e.to_string());
        }
    }

    /// Every sample received and not in the database: dropped at the queue or lost by the writer.
    pub fn not_stored(&self) -> u64 {
        self.samples_dropped.load(Ordering::Relaxed) + self.samples_lost.load(Ordering::Relaxed)
    }

    /// Whether commits are failing now.
    pub fn failing(&self) -> bool {
        self.failing_since_us.load(Ordering::Relaxed) != 0
    }

    /// The figures a report shows.
    pub fn report(&self) -> HistoryReport {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        HistoryReport {
            samples_in: l(&self.samples_in),
            samples_stored: l(&self.samples_stored),
            samples_dropped: l(&self.samples_dropped),
            samples_lost: l(&self.samples_lost),
            samples_not_stored: self.not_stored(),
            out_of_order: l(&self.out_of_order),
            commit_errors: l(&self.commit_errors),
            not_saved_at_stop: l(&self.not_saved_at_stop),
            last_error: self.last_error(),
        }
    }

    /// The `q` quantile (0..=1) of the recent commit durations, in µs.
    pub fn commit_quantile_us(&self, q: f64) -> Option<u64> {
        let mut v: Vec<u64> = self.recent_commits_us.lock().ok()?.iter().copied().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        Some(v[((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize])
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|g| g.clone())
    }
}

/// What the historian did with what it was given (`run --headless --stats-json`, the log at exit).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryReport {
    pub samples_in: u64,
    pub samples_stored: u64,
    pub samples_dropped: u64,
    pub samples_lost: u64,
    /// `samples_dropped + samples_lost`: nothing that was not stored goes uncounted.
    pub samples_not_stored: u64,
    pub out_of_order: u64,
    pub commit_errors: u64,
    pub not_saved_at_stop: u64,
    pub last_error: Option<String>,
}

/// The hub's end: turns tag updates into historian samples and queues them without ever waiting.
pub struct HistorianFeed {
    tx: Sender<Msg>,
    stats: Arc<HistorianStats>,
    modes: Vec<HistoryMode>,
}

impl HistorianFeed {
    pub(super) fn new(tx: Sender<Msg>, stats: Arc<HistorianStats>, modes: Vec<HistoryMode>) -> Self {
        Self { tx, stats, modes }
    }

    fn sample(update: &TagUpdate) -> (HistSample, i64) {
        let st = &update.state;
        // A value the table only kept from before (the link is down, the tag went stale) is not a reading.
        // Only an out-of-range reading is bad and still a reading.
        let fresh = !st.quality.is_bad() || st.quality == Quality::Bad(BadReason::OutOfRange);
        let value = if fresh { st.value.clone() } else { None };
        // Staleness is the hub's finding, stored when the hub made it (the housekeeping tick), not at the
        // last reading: the source and receive times are that reading's, already stored with its value.
        let (ts, seen) = if st.quality == Quality::Bad(BadReason::Stale) {
            (st.quality_ts, st.quality_ts)
        } else {
            (st.source_ts, st.receive_ts)
        };
        (
            HistSample {
                ts: ts.0,
                quality: StoredQuality {
                    quality: st.quality,
                    has_value: value.is_some(),
                },
                value,
            },
            seen.0,
        )
    }
}

impl<C> Subscriber<C> for HistorianFeed {
    fn name(&self) -> &str {
        "historian"
    }

    fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        HistorianFeed::on_updates(self, updates, table);
    }
}

impl HistorianFeed {
    /// Hands a scan's changes to the writer thread without waiting (what does not fit is counted).
    pub fn on_updates(&mut self, updates: &[TagUpdate], _table: &TagTable) {
        let batch: Vec<(u32, HistSample, i64)> = updates
            .iter()
            .filter(|u| !matches!(self.modes.get(u.tag.index()), Some(HistoryMode::Off) | None))
            .map(|u| {
                let (s, recv) = Self::sample(u);
                (u.tag.0, s, recv)
            })
            .collect();
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        self.stats.samples_in.fetch_add(n, Ordering::Relaxed);
        match self.tx.try_send(Msg::Samples(batch)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.samples_dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}
