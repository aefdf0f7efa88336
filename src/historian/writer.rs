//! The writer thread: takes the hub's updates from a bounded channel, filters them per tag, keeps each
//! tag's open chunk and rollup buckets, and commits everything of the last second in one transaction.
//! Only this thread writes the database. The hub side (`HistorianFeed`) never blocks: when the
//! channel is full the batch is dropped and counted, and the console says so.

use super::codec::{Chunk, StoredQuality};
use super::filter::{Filter, HistSample};
use super::retention::Retention;
use super::rollup::{Accumulator, Bucket, Resolution};
use super::store::{self, StoreError};
use crate::hub::Subscriber;
use crate::tag::{BadReason, HistoryMode, Quality, TagDirectory, TagTable, TagUpdate, Timestamp, Value, ValueKind};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Batches queued for the writer: at one batch per hub scan (≤ 1 ms), seconds of slack for a slow disk.
const QUEUE_BATCHES: usize = 4096;
/// Samples buffered before a commit is forced, whatever the interval.
const MAX_BUFFERED: usize = 500_000;
/// How long a retention pass may run between commits.
const RETENTION_SLICE: usize = 2_000;
const RETENTION_EVERY: Duration = Duration::from_secs(600);
const CHECKPOINT_WAL_EVERY: Duration = Duration::from_millis(250);
/// How long `stop` lets the writer save what it holds before it reports the rest as not saved and exits.
pub const STOP_WITHIN: Duration = Duration::from_secs(10);
/// While commits fail, the next attempt waits at most this long (doubling from `commit_every`).
const RETRY_AT_MOST: Duration = Duration::from_secs(10);
/// While commits fail, one summary line this often (the first failure and the recovery are logged too).
const FAILING_SUMMARY_EVERY: Duration = Duration::from_secs(60);

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
}

impl HistorianConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            commit_every: Duration::from_secs(1),
            seal_samples: 4096,
            retention: Retention::default(),
            max_backlog: 2_000_000,
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
    fn error(&self, e: impl std::fmt::Display) {
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
        let feed = HistorianFeed {
            tx: tx.clone(),
            stats: stats.clone(),
            modes: tags.iter().map(|t| t.mode).collect(),
        };
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

/// The hub's end: turns tag updates into historian samples and queues them without ever waiting.
pub struct HistorianFeed {
    tx: Sender<Msg>,
    stats: Arc<HistorianStats>,
    modes: Vec<HistoryMode>,
}

impl HistorianFeed {
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

/// Tags whose open chunk is sealed in one commit at most: sealing re-encodes thousands of samples, so
/// tags that fill up together (same rate, same start) take turns.
const SEAL_BUDGET: usize = 64;
/// An open chunk is sealed after this many commits however small, so blocks do not live for ever
/// because of a quiet tag.
const MAX_OPEN_BLOCKS: i64 = 600;
/// Rollup rows written per commit at most; closed buckets wait their turn (crash-safe: a restart
/// rebuilds anything unwritten from raw samples).
const ROLLUP_BUDGET: usize = 512;
/// An open bucket is checkpointed every this many commits (staggered by tag), so a restart replays at
/// most about a minute of raw samples into it; each checkpoint row touches a page of its own.
const CHECKPOINT_EVERY: u64 = 60;

struct RollupState {
    res: Resolution,
    acc: Accumulator,
    /// Closed buckets not written yet, oldest first.
    closed: std::collections::VecDeque<Bucket>,
    /// The open bucket changed since its last checkpoint.
    open_dirty: bool,
}

/// One tag's in-memory state on the writer thread.
struct TagState {
    id: i64,
    kind: ValueKind,
    filter: Filter,
    /// Samples since the last sealed chunk; `committed` of them are already in blocks.
    pending: Chunk,
    committed: usize,
    /// The oldest block holding a committed sample of `pending`.
    first_block: Option<i64>,
    last_ts: Option<i64>,
    last_quality: Option<StoredQuality>,
    rollups: Vec<RollupState>,
    dirty: bool,
}

/// What one commit writes beyond the segments, decided before the transaction and applied after it.
#[derive(Default)]
struct Plan {
    seals: Vec<usize>,
    /// (tag, rollup, closed buckets written, open bucket checkpointed)
    rollups: Vec<(usize, usize, usize, bool)>,
}

struct WriterState {
    conn: Connection,
    tags: Vec<TagState>,
    seal_samples: usize,
    commit_every: Duration,
    retention: Retention,
    buffered: usize,
    max_backlog: usize,
    filtered: Vec<HistSample>,
    commits: u64,
    last_block: i64,
    /// Set while commits fail (full or failing disk).
    failing: Option<Failing>,
}

/// A stretch of failed commits: when it began, how the retries are spaced, what was logged.
struct Failing {
    since: Instant,
    attempts: u32,
    next_summary: Instant,
    lost_at_start: u64,
}

/// The value a rollup counts: a good (or uncertain) number.
pub(super) fn rollup_value(value: Option<&Value>, q: StoredQuality) -> Option<f64> {
    if q.plottable() {
        value.and_then(Value::as_f64)
    } else {
        None
    }
}

impl WriterState {
    fn load(conn: Connection, cfg: &HistorianConfig, tags: &[WriterTag]) -> Result<Self, StoreError> {
        let mut states = Vec::with_capacity(tags.len());
        let mut replay_from = Vec::with_capacity(tags.len());
        for t in tags {
            conn.execute(
                "INSERT INTO tags (name, kind, unit) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, unit = excluded.unit",
                params![t.name, kind_label(t.kind), t.unit],
            )?;
            let id = store::tag_id(&conn, &t.name)?.expect("just inserted");
            let last_ts: Option<i64> =
                conn.query_row("SELECT MAX(t1) FROM chunks WHERE tag = ?1", params![id], |r| r.get(0))?;
            let pending = Chunk::new(t.kind);
            let mut rollups = Vec::new();
            let mut uptos = Vec::new();
            for res in Resolution::ROLLUPS {
                let saved: Option<(Bucket, bool)> = conn
                    .query_row(
                        "SELECT t, n, min, max, sum, integral, covered_us, hold_t, hold_v, upto, closed FROM rollups
                         WHERE res = ?1 AND tag = ?2 ORDER BY t DESC LIMIT 1",
                        params![res.code(), id],
                        |r| Ok((store::bucket_from_row(r)?, r.get::<_, i64>(10)? != 0)),
                    )
                    .optional()?;
                let acc = match saved {
                    Some((b, closed)) => {
                        uptos.push(b.last_t);
                        Accumulator::restore(res, b, closed)
                    }
                    None => {
                        uptos.push(i64::MIN);
                        Accumulator::new(res)
                    }
                };
                rollups.push(RollupState {
                    res,
                    acc,
                    closed: Default::default(),
                    open_dirty: false,
                });
            }
            replay_from.push(uptos);
            states.push(TagState {
                id,
                kind: t.kind,
                filter: Filter::new(t.mode),
                pending,
                committed: 0,
                first_block: None,
                last_ts,
                // set below from the unsealed samples, if any
                last_quality: None,
                rollups,
                dirty: false,
            });
        }
        // Samples committed but not sealed continue each tag's open chunk.
        let by_id: std::collections::HashMap<i64, usize> = states.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let mut sealed_upto = Vec::with_capacity(states.len());
        for t in &states {
            sealed_upto.push(store::sealed_upto(&conn, t.id)?);
        }
        let from_block = sealed_upto.iter().copied().min().unwrap_or(0);
        let mut last_block: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM blocks", [], |r| r.get(0))?;
        last_block = last_block.max(sealed_upto.iter().copied().max().unwrap_or(0));
        {
            let mut stmt = conn.prepare("SELECT id, data FROM blocks WHERE id > ?1 ORDER BY id")?;
            let mut rows = stmt.query(params![from_block])?;
            while let Some(row) = rows.next()? {
                let (block_id, data): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
                let entries = match super::block::entries(&data) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::error!(block = block_id, error = %e, "unreadable history block skipped");
                        continue;
                    }
                };
                for e in entries {
                    let Some(&i) = by_id.get(&e.tag) else { continue };
                    if block_id <= sealed_upto[i] {
                        continue;
                    }
                    let part = super::block::part(&data, &e).and_then(Chunk::decode);
                    let Ok(c) = part else {
                        tracing::error!(
                            block = block_id,
                            tag = e.tag,
                            "unreadable part of a history block skipped"
                        );
                        continue;
                    };
                    let st = &mut states[i];
                    for k in 0..c.len() {
                        let q = c.quality_at(k);
                        let v = q.has_value.then(|| c.values.value_at(k));
                        st.pending.push(c.ts[k], v.as_ref(), q.quality);
                    }
                    st.committed = st.pending.len();
                    st.first_block.get_or_insert(block_id);
                }
            }
        }
        for st in &mut states {
            if let Some(&t) = st.pending.ts.last() {
                st.last_ts = Some(st.last_ts.map_or(t, |l| l.max(t)));
                st.last_quality = Some(st.pending.quality_at(st.pending.len() - 1));
            }
        }
        // Rollups are checkpointed every minute or so, raw samples every commit: after a crash or a stop,
        // the samples since each checkpoint are replayed into their buckets.
        let history = super::query::History::open(&cfg.path).ok();
        for (uptos, (t, st)) in replay_from.into_iter().zip(tags.iter().zip(states.iter_mut())) {
            let Some(h) = history.as_ref().filter(|_| st.last_ts.is_some()) else {
                continue;
            };
            let Some(&first) = uptos.iter().min() else { continue };
            let result = h.each_raw(&t.name, first.saturating_add(1), i64::MAX, |ts, v, q| {
                let x = rollup_value(v.as_ref(), q);
                for (r, &upto) in st.rollups.iter_mut().zip(&uptos) {
                    if ts > upto {
                        let mut closed = Vec::new();
                        r.acc.push(ts, x, &mut closed);
                        r.closed.extend(closed);
                        r.open_dirty = true;
                    }
                }
            });
            if let Err(e) = result {
                tracing::error!(tag = %t.name, error = %e, "rollups could not be rebuilt from raw samples");
            }
        }
        Ok(Self {
            conn,
            tags: states,
            seal_samples: cfg.seal_samples.max(1),
            commit_every: cfg.commit_every,
            retention: cfg.retention.clone(),
            buffered: 0,
            max_backlog: cfg.max_backlog.max(1),
            filtered: Vec::new(),
            commits: 0,
            last_block,
            failing: None,
        })
    }

    fn run(&mut self, rx: Receiver<Msg>, stats: &HistorianStats, deadline: &std::sync::OnceLock<Instant>) {
        let mut next_commit = Instant::now() + self.commit_every;
        let mut next_retention = Instant::now();
        let mut retention_busy = false;
        loop {
            if let Some(&by) = deadline.get() {
                return self.finish(&rx, stats, by);
            }
            let wait = next_commit.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Msg::Samples(batch)) => {
                    for (tag, s, recv) in batch {
                        self.ingest(tag as usize, s, recv, stats);
                    }
                }
                Ok(Msg::Flush(ack)) => {
                    self.commit(stats, false);
                    let _ = ack.send(());
                }
                #[cfg(test)]
                Ok(Msg::LimitPages(pages, ack)) => {
                    // SQLite raises a cap below the file's size to its size (and ignores 0): 1 means "as full as now".
                    let _ = self
                        .conn
                        .pragma_update(None, "max_page_count", pages.unwrap_or(4_294_967_294));
                    let _ = ack.send(());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    let by = *deadline.get_or_init(|| Instant::now() + STOP_WITHIN);
                    return self.finish(&rx, stats, by);
                }
            }
            let now = Instant::now();
            // A full buffer forces a commit only while commits work: behind a failing disk, every batch
            // would otherwise retry (and re-encode) the whole backlog.
            if now >= next_commit || (self.buffered >= MAX_BUFFERED && self.failing.is_none()) {
                self.commit(stats, false);
                next_commit = now + self.retry_after();
                if now >= next_retention {
                    retention_busy = true;
                    next_retention = now + RETENTION_EVERY;
                }
                if retention_busy {
                    // One slice per commit: a long delete never holds up the next second's data.
                    match self
                        .retention
                        .apply_slice(&self.conn, Timestamp::now().0, RETENTION_SLICE)
                    {
                        Ok(deleted) => retention_busy = deleted > 0,
                        Err(e) => {
                            tracing::error!(error = %e, "history retention failed");
                            retention_busy = false;
                        }
                    }
                }
            }
        }
    }

    fn ingest(&mut self, i: usize, mut s: HistSample, recv: i64, stats: &HistorianStats) {
        let Some(tag) = self.tags.get(i) else { return };
        if let Some(last) = tag.last_ts
            && s.ts < last
        {
            if tag.last_quality == Some(s.quality) {
                // A reading older than one already stored (a source clock stepped back, a late
                // retransmission): storing it would break time order; counted instead.
                stats.out_of_order.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // A quality change is never lost: it is stored when the hub saw it.
            s.ts = recv.max(last);
        }
        let mut out = std::mem::take(&mut self.filtered);
        self.tags[i].filter.offer(s, &mut out);
        for s in out.drain(..) {
            self.store(i, s, stats);
        }
        self.filtered = out;
    }

    /// At stop: takes in what is queued (until `by`), stores what filters held back, and commits until it
    /// works or `by` passes; whatever is still not committed is counted as lost and said once.
    fn finish(&mut self, rx: &Receiver<Msg>, stats: &HistorianStats, by: Instant) {
        while Instant::now() < by {
            match rx.try_recv() {
                Ok(Msg::Samples(batch)) => {
                    for (tag, s, recv) in batch {
                        self.ingest(tag as usize, s, recv, stats);
                    }
                }
                Ok(Msg::Flush(ack)) => {
                    let _ = ack.send(());
                }
                #[cfg(test)]
                Ok(Msg::LimitPages(_, ack)) => {
                    let _ = ack.send(());
                }
                Ok(Msg::Stop) => {}
                Err(_) => break,
            }
        }
        // Batches the deadline left in the queue were received and will not be stored.
        let mut unread = 0u64;
        while let Ok(m) = rx.try_recv() {
            if let Msg::Samples(b) = m {
                unread += b.len() as u64;
            }
        }
        for i in 0..self.tags.len() {
            let mut out = std::mem::take(&mut self.filtered);
            self.tags[i].filter.flush(&mut out);
            for s in out.drain(..) {
                self.store(i, s, stats);
            }
            self.filtered = out;
        }
        loop {
            if self.commit(stats, true) {
                break;
            }
            if Instant::now() >= by {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let not_saved = self.buffered as u64 + unread;
        if not_saved > 0 {
            stats.samples_lost.fetch_add(not_saved, Ordering::Relaxed);
            stats.not_saved_at_stop.store(not_saved, Ordering::Relaxed);
            tracing::error!(
                samples = not_saved,
                error = stats.last_error().unwrap_or_default(),
                "history stopped with samples NOT saved (the database could not be written in time)"
            );
        }
        stats.backlog.store(0, Ordering::Relaxed);
    }

    /// The next commit's distance: the configured interval, or while commits fail, doubling up to
    /// `RETRY_AT_MOST` (each attempt re-encodes the backlog).
    fn retry_after(&self) -> Duration {
        match &self.failing {
            None => self.commit_every,
            Some(f) => (self.commit_every * 2u32.saturating_pow(f.attempts.min(8))).min(RETRY_AT_MOST),
        }
    }

    fn store(&mut self, i: usize, s: HistSample, stats: &HistorianStats) {
        // Healthy, a commit comes at `MAX_BUFFERED` anyway; the cap is for a disk that takes nothing.
        if self.failing.is_some() && self.buffered >= self.max_backlog {
            // Memory is bounded: behind a failing disk the newest samples are counted, not kept (what is
            // kept stays consistent with its rollups and is written when the disk returns).
            stats.samples_lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let tag = &mut self.tags[i];
        let number = rollup_value(s.value.as_ref(), s.quality);
        let mut closed = Vec::new();
        for r in &mut tag.rollups {
            r.acc.push(s.ts, number, &mut closed);
            r.closed.extend(closed.drain(..));
            r.open_dirty = true;
        }
        tag.pending.push(s.ts, s.value.as_ref(), s.quality.quality);
        tag.last_ts = Some(s.ts);
        tag.last_quality = Some(s.quality);
        tag.dirty = true;
        self.buffered += 1;
        stats.backlog.store(self.buffered as u64, Ordering::Relaxed);
    }

    /// Decides what this commit writes besides the segments: the fullest open chunks to seal, and
    /// rollup rows (closed buckets in order, then due checkpoints), each within its budget.
    fn plan(&self, final_commit: bool) -> Plan {
        let mut plan = Plan::default();
        // Full chunks first (fullest first), and chunks that have kept blocks alive too long.
        let mut full: Vec<(bool, usize, usize)> = self
            .tags
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let old = t.first_block.is_some_and(|b| self.last_block - b >= MAX_OPEN_BLOCKS);
                (old || t.pending.len() >= self.seal_samples).then_some((old, t.pending.len(), i))
            })
            .collect();
        full.sort_unstable_by(|a, b| b.cmp(a));
        // No sealing while commits fail: each retry should be small.
        let budget = if final_commit || self.failing.is_some() {
            0
        } else {
            SEAL_BUDGET
        };
        plan.seals = full.into_iter().take(budget).map(|(_, _, i)| i).collect();
        let n = self.tags.len().max(1);
        let mut budget = if final_commit { usize::MAX } else { ROLLUP_BUDGET };
        let first = (self.commits as usize).wrapping_mul(7919) % n;
        for k in 0..self.tags.len() {
            let i = (first + k) % n;
            let due = final_commit || (self.commits + i as u64).is_multiple_of(CHECKPOINT_EVERY);
            for (j, r) in self.tags[i].rollups.iter().enumerate() {
                if budget == 0 {
                    return plan;
                }
                let closed = r.closed.len().min(budget);
                budget -= closed;
                let open = closed == r.closed.len() && due && r.open_dirty && r.acc.open().is_some() && budget > 0;
                if open {
                    budget -= 1;
                }
                if closed > 0 || open {
                    plan.rollups.push((i, j, closed, open));
                }
            }
        }
        plan
    }

    /// Writes what arrived since the last commit in one transaction. The final one (at stop) writes
    /// every rollup row too, so a clean restart has nothing to replay.
    /// True when it wrote (or had nothing to write).
    fn commit(&mut self, stats: &HistorianStats, final_commit: bool) -> bool {
        let rollup_work = self.tags.iter().any(|t| {
            t.rollups
                .iter()
                .any(|r| !r.closed.is_empty() || (final_commit && r.open_dirty))
        });
        if !self.tags.iter().any(|t| t.dirty) && !rollup_work {
            return true;
        }
        let t0 = Instant::now();
        let plan = self.plan(final_commit);
        match self.write(&plan) {
            Ok(block_id) => {
                self.commits += 1;
                for t in self.tags.iter_mut().filter(|t| t.dirty) {
                    if t.pending.len() > t.committed {
                        t.first_block.get_or_insert(block_id);
                    }
                    t.committed = t.pending.len();
                    t.dirty = false;
                }
                for &i in &plan.seals {
                    let t = &mut self.tags[i];
                    t.pending = Chunk::new(t.kind);
                    t.committed = 0;
                    t.first_block = None;
                }
                self.last_block = block_id;
                for &(i, j, closed, open) in &plan.rollups {
                    let r = &mut self.tags[i].rollups[j];
                    r.closed.drain(..closed);
                    if open {
                        r.open_dirty = false;
                    }
                }
                stats.samples_stored.fetch_add(self.buffered as u64, Ordering::Relaxed);
                self.buffered = 0;
                stats.backlog.store(0, Ordering::Relaxed);
                if let Some(f) = self.failing.take() {
                    stats.failing_since_us.store(0, Ordering::Relaxed);
                    tracing::warn!(
                        after_s = f.since.elapsed().as_secs(),
                        lost = stats.samples_lost.load(Ordering::Relaxed) - f.lost_at_start,
                        "history saving again"
                    );
                }
                let us = t0.elapsed().as_micros() as u64;
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.last_commit_us.store(us, Ordering::Relaxed);
                stats.max_commit_us.fetch_max(us, Ordering::Relaxed);
                if let Ok(mut r) = stats.recent_commits_us.lock() {
                    if r.len() >= 4096 {
                        r.pop_front();
                    }
                    r.push_back(us);
                }
                true
            }
            Err(e) => {
                let now = Instant::now();
                match &mut self.failing {
                    None => {
                        tracing::error!(
                            error = %e,
                            backlog = self.buffered,
                            keeping_at_most = self.max_backlog,
                            "history NOT SAVING: samples wait in memory and are retried; past that they are counted as lost"
                        );
                        stats
                            .failing_since_us
                            .store(Timestamp::now().0.max(1), Ordering::Relaxed);
                        self.failing = Some(Failing {
                            since: now,
                            attempts: 1,
                            next_summary: now + FAILING_SUMMARY_EVERY,
                            lost_at_start: stats.samples_lost.load(Ordering::Relaxed),
                        });
                    }
                    Some(f) => {
                        f.attempts = f.attempts.saturating_add(1);
                        if now >= f.next_summary {
                            f.next_summary = now + FAILING_SUMMARY_EVERY;
                            tracing::warn!(
                                error = %e,
                                failing_s = f.since.elapsed().as_secs(),
                                attempts = f.attempts,
                                backlog = self.buffered,
                                lost = stats.samples_lost.load(Ordering::Relaxed) - f.lost_at_start,
                                "history still NOT SAVING"
                            );
                        }
                    }
                }
                stats.error(e);
                false
            }
        }
    }

    /// Runs one commit's transaction; returns the newest block id after it.
    fn write(&mut self, plan: &Plan) -> Result<i64, rusqlite::Error> {
        // Compression first, on every core and outside the transaction: new samples of each tag for the
        // block, and whole open chunks for the tags sealing now.
        let new: Vec<usize> = (0..self.tags.len())
            .filter(|&i| self.tags[i].dirty && self.tags[i].pending.len() > self.tags[i].committed)
            .collect();
        let jobs: Vec<(usize, bool)> = new
            .iter()
            .map(|&i| (i, false))
            .chain(plan.seals.iter().map(|&i| (i, true)))
            .collect();
        let tags = &self.tags;
        let mut encoded = parallel_map(&jobs, |&(i, seal)| {
            let t = &tags[i];
            if seal {
                t.pending.encode()
            } else {
                t.pending.encode_range(t.committed..t.pending.len())
            }
        });
        let sealed_blobs = encoded.split_off(new.len());
        let tx = self.conn.transaction()?;
        let mut block_id = self.last_block;
        {
            // Every tag's new samples, in one appended row.
            let mut parts = Vec::with_capacity(new.len());
            let (mut t0, mut t1, mut n) = (i64::MAX, i64::MIN, 0usize);
            for (&i, data) in new.iter().zip(encoded) {
                let t = &self.tags[i];
                let r = t.committed..t.pending.len();
                t0 = t0.min(t.pending.ts[r.start]);
                t1 = t1.max(t.pending.ts[r.end - 1]);
                n += r.len();
                parts.push((t.id, r.len() as u32, data));
            }
            if !parts.is_empty() {
                tx.prepare_cached("INSERT INTO blocks (t0, t1, n, data) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![t0, t1, n as i64, super::block::encode(parts)])?;
                block_id = tx.last_insert_rowid();
            }
            let mut seal = tx.prepare_cached(
                "INSERT INTO chunks (tag, t0, t1, n, upto_block, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (&i, data) in plan.seals.iter().zip(sealed_blobs) {
                let t = &self.tags[i];
                let len = t.pending.len();
                if len > 0 {
                    seal.execute(params![
                        t.id,
                        t.pending.ts[0],
                        t.pending.ts[len - 1],
                        len as i64,
                        block_id,
                        data
                    ])?;
                }
            }
            // Blocks older than every tag's oldest unsealed sample hold nothing needed any more.
            let oldest_needed = self
                .tags
                .iter()
                .enumerate()
                .filter(|(i, _)| !plan.seals.contains(i))
                .filter_map(|(_, t)| match t.first_block {
                    Some(b) => Some(b),
                    None if t.dirty && t.pending.len() > t.committed => Some(block_id),
                    None => None,
                })
                .min()
                .unwrap_or(block_id + 1);
            tx.prepare_cached("DELETE FROM blocks WHERE id < ?1")?
                .execute(params![oldest_needed])?;
            let mut rollup = tx.prepare_cached(
                "INSERT OR REPLACE INTO rollups
                   (res, tag, t, n, min, max, sum, integral, covered_us, hold_t, hold_v, upto, closed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for &(i, j, closed, open) in &plan.rollups {
                let t = &self.tags[i];
                let r = &t.rollups[j];
                let rows = r.closed.iter().take(closed).map(|b| (b, true));
                for (b, is_closed) in rows.chain(r.acc.open().filter(|_| open).map(|b| (b, false))) {
                    rollup.execute(params![
                        r.res.code(),
                        t.id,
                        b.start,
                        b.count as i64,
                        (b.count > 0).then_some(b.min),
                        (b.count > 0).then_some(b.max),
                        b.sum,
                        b.integral,
                        b.covered_us,
                        b.hold.map(|h| h.0),
                        b.hold.map(|h| h.1),
                        b.last_t,
                        i64::from(is_closed),
                    ])?;
                }
            }
        }
        tx.commit()?;
        Ok(block_id)
    }
}

/// `f` over `items` on every core, results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let per = items.len().div_ceil(cores);
    std::thread::scope(|s| {
        let f = &f;
        let parts: Vec<_> = items
            .chunks(per)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

pub fn kind_label(k: ValueKind) -> &'static str {
    match k {
        ValueKind::F64 => "f64",
        ValueKind::I64 => "i64",
        ValueKind::Bool => "bool",
        ValueKind::String => "string",
    }
}
