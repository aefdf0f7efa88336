//! The historian's writer: the handle that starts, flushes and stops the writer thread, and what the
//! thread is given (`HistorianConfig`, `WriterTag`, the queue's `Msg`). The jobs live beside it:
//! `feed` (the hub's end: samples in, never waiting, and the counters everyone reads), `commit` (the
//! thread's loop: filter per tag, one transaction a second) and `recovery` (reopening after a crash or
//! stop, failing commits, a stop that must end in time). Only the writer thread writes the database; the
//! hub side never blocks: when the queue is full the batch is dropped and counted, and the console says so.
//! This file opens the database and starts the threads; it must not handle samples or write rows itself.

mod commit;
mod feed;
mod recovery;

pub use feed::{HistorianFeed, HistorianStats, HistoryReport};

use super::codec::StoredQuality;
use super::filter::HistSample;
use super::retention::Retention;
use super::store::{self, StoreError};
use crate::tag::{HistoryMode, TagDirectory, Value, ValueKind};
use commit::WriterState;
use crossbeam_channel::{Sender, bounded};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Batches queued for the writer: at one batch per hub scan (≤ 1 ms), seconds of slack for a slow disk.
const QUEUE_BATCHES: usize = 4096;
const CHECKPOINT_WAL_EVERY: Duration = Duration::from_millis(250);
/// How long `stop` lets the writer save what it holds before it reports the rest as not saved and exits.
pub const STOP_WITHIN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct HistorianConfig {
    pub path: PathBuf,
    /// At most this much data is lost in a crash or power cut.
    pub commit_every: Duration,
    /// Samples merged into one sealed chunk (compression improves with length; queries decode whole chunks).
    pub seal_samples: usize,
    pub retention: Retention,
    /// Samples kept in memory while they cannot be committed (a full or failing disk); past it new
    /// samples are not stored and are counted in `samples_lost`. About 16–32 bytes each.
    pub max_backlog: usize,
    /// History is forwarded to a central store (`forward`): blocks and chunks are kept until they are
    /// sent, and rollup rows are queued for it (`forward_log`).
    pub forward: bool,
}

impl HistorianConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            commit_every: Duration::from_secs(1),
            seal_samples: 4096,
            retention: Retention::default(),
            max_backlog: 2_000_000,
            forward: false,
        }
    }
}

/// A tag as the writer knows it.
#[derive(Debug, Clone)]
pub struct WriterTag {
    pub name: String,
    pub kind: ValueKind,
    pub unit: String,
    pub mode: HistoryMode,
}

impl WriterTag {
    pub fn from_directory(dir: &TagDirectory) -> Vec<WriterTag> {
        dir.iter()
            .map(|d| WriterTag {
                name: d.name.clone(),
                kind: d.kind,
                unit: d.unit.clone(),
                mode: d.history,
            })
            .collect()
    }
}

enum Msg {
    Samples(Vec<(u32, HistSample, i64)>),
    Flush(Sender<()>),
    /// Store what filters hold back, commit, exit (the feed may outlive the writer).
    Stop,
    /// Tests: caps the database's pages (`PRAGMA max_page_count`), which fails commits the way a full
    /// disk does (SQLITE_FULL); `None` lifts the cap.
    #[cfg(test)]
    LimitPages(Option<i64>, Sender<()>),
}

/// The running writer. Dropping it (or `stop`) stores what filters held back, commits and joins.
pub struct Historian {
    tx: Option<Sender<Msg>>,
    stats: Arc<HistorianStats>,
    /// Set by `stop`: the writer saves what it can until then, counts the rest and exits.
    deadline: Arc<std::sync::OnceLock<Instant>>,
    thread: Option<JoinHandle<()>>,
    checkpoints: Option<(Sender<()>, JoinHandle<()>)>,
}

impl Historian {
    /// Opens the database (errors here, not later) and starts the writer thread. The returned feed is
    /// the hub subscriber that hands it updates.
    pub fn start(cfg: HistorianConfig, tags: Vec<WriterTag>) -> Result<(Historian, HistorianFeed), StoreError> {
        let conn = store::open_writer(&cfg.path)?;
        let mut state = WriterState::load(conn, &cfg, &tags)?;
        let (tx, rx) = bounded(QUEUE_BATCHES);
        let stats = Arc::new(HistorianStats::default());
        let deadline = Arc::new(std::sync::OnceLock::new());
        let d = deadline.clone();
        let feed = HistorianFeed::new(tx.clone(), stats.clone(), tags.iter().map(|t| t.mode).collect());
        let s = stats.clone();
        let thread = std::thread::Builder::new()
            .name("historian".into())
            .spawn(move || state.run(rx, &s, &d))
            .map_err(StoreError::Thread)?;
        let (stop_tx, stop_rx) = bounded(1);
        let path = cfg.path.clone();
        let checkpoints = std::thread::Builder::new()
            .name("historian-wal".into())
            .spawn(move || store::checkpointer(&path, CHECKPOINT_WAL_EVERY, stop_rx))
            .map_err(StoreError::Thread)?;
        Ok((
            Historian {
                tx: Some(tx),
                stats,
                deadline,
                thread: Some(thread),
                checkpoints: Some((stop_tx, checkpoints)),
            },
            feed,
        ))
    }

    pub fn stats(&self) -> Arc<HistorianStats> {
        self.stats.clone()
    }

    /// Queues samples directly (bulk loads, imports, benches), waiting while the queue is full rather
    /// than dropping: not for the hub, which must never wait. `tag` indexes the writer's tag list.
    pub fn write_blocking(&self, samples: Vec<(u32, HistSample)>) {
        if let Some(tx) = &self.tx {
            let n = samples.len() as u64;
            self.stats.samples_in.fetch_add(n, Ordering::Relaxed);
            let batch = samples.into_iter().map(|(t, s)| {
                let ts = s.ts;
                (t, s, ts)
            });
            if tx.send(Msg::Samples(batch.collect())).is_err() {
                self.stats.samples_dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Tests: makes the database as full as it is now (`Some(1)`: SQLite raises a cap below its size to its size), or lifts that (`None`).
    #[cfg(test)]
    pub(crate) fn limit_pages(&self, pages: Option<i64>) {
        let (ack, done) = bounded(1);
        if let Some(tx) = &self.tx
            && tx.send(Msg::LimitPages(pages, ack)).is_ok()
        {
            let _ = done.recv();
        }
    }

    /// Commits everything received so far and waits for it (tests, exports, shutdown).
    pub fn flush(&self) {
        let (ack, done) = bounded(1);
        if let Some(tx) = &self.tx
            && tx.send(Msg::Flush(ack)).is_ok()
        {
            let _ = done.recv();
        }
    }

    /// Saves what the writer holds within `STOP_WITHIN` and stops; what could not be saved in that
    /// time (a full or stalled disk) is counted and reported, never waited on for ever.
    pub fn stop(mut self) -> HistoryReport {
        self.stop_within(STOP_WITHIN)
    }

    pub fn stop_within(&mut self, within: Duration) -> HistoryReport {
        self.stop_and_join(within);
        self.stats.report()
    }

    fn stop_and_join(&mut self, within: Duration) {
        let _ = self.deadline.set(Instant::now() + within);
        if let Some(tx) = self.tx.take() {
            // Never a blocking send: the queue may be full behind a failing disk. Dropping the sender
            // wakes the writer once the queue is empty; the deadline bounds the work before that.
            let _ = tx.try_send(Msg::Stop);
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the historian thread panicked");
        }
        // After the writer's last commit, so the final checkpoint leaves an empty log.
        if let Some((stop, t)) = self.checkpoints.take() {
            drop(stop);
            let _ = t.join();
        }
    }
}

impl Drop for Historian {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop_and_join(STOP_WITHIN);
        }
    }
}

/// The value a rollup counts: a good (or uncertain) number.
pub(super) fn rollup_value(value: Option<&Value>, q: StoredQuality) -> Option<f64> {
    if q.plottable() {
        value.and_then(Value::as_f64)
    } else {
        None
    }
}

pub fn kind_label(k: ValueKind) -> &'static str {
    match k {
        ValueKind::F64 => "f64",
        ValueKind::I64 => "i64",
        ValueKind::Bool => "bool",
        ValueKind::String => "string",
    }
}
