//! The writer thread: takes the hub's updates from a bounded channel, filters them per tag, keeps each
//! tag's open chunk and rollup buckets, and commits everything of the last second in one transaction.
//! Only this thread writes the database. The hub side (`HistorianFeed`) never blocks: when the
//! channel is full the batch is dropped and counted, and the console says so.

use super::codec::{Chunk, StoredQuality};
use super::filter::{Filter, HistSample, HistoryMode};
use super::retention::Retention;
use super::rollup::{Accumulator, Bucket, Resolution};
use super::store::{self, StoreError};
use crate::hub::Subscriber;
use crate::tag::{BadReason, Quality, TagDirectory, TagTable, TagUpdate, Timestamp, Value, ValueKind};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Batches queued for the writer: at one batch per hub scan (≤ 1 ms), seconds of slack for a slow disk.
const QUEUE_BATCHES: usize = 4096;
/// Samples buffered before a commit is forced, whatever the interval.
const MAX_BUFFERED: usize = 500_000;
/// How long a retention pass may run between commits.
const RETENTION_SLICE: usize = 2_000;
const RETENTION_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct HistorianConfig {
    pub path: PathBuf,
    /// At most this much data is lost in a crash or power cut.
    pub commit_every: Duration,
    /// Samples merged into one sealed chunk (compression improves with length; queries decode whole chunks).
    pub seal_samples: usize,
    pub retention: Retention,
}

impl HistorianConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            commit_every: Duration::from_secs(1),
            seal_samples: 4096,
            retention: Retention::default(),
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
    pub samples_stored: AtomicU64,
    pub samples_dropped: AtomicU64,
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
    fn error(&self, e: impl std::fmt::Display) {
        self.commit_errors.fetch_add(1, Ordering::Relaxed);
        let text = e.to_string();
        tracing::error!(error = %text, "history commit failed; the data stays queued and is retried");
        if let Ok(mut g) = self.last_error.lock() {
            *g = Some(text);
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

enum Msg {
    Samples(Vec<(u32, HistSample, i64)>),
    Flush(Sender<()>),
    /// Store what filters hold back, commit, exit (the feed may outlive the writer).
    Stop,
}

/// The running writer. Dropping it (or `stop`) stores what filters held back, commits and joins.
pub struct Historian {
    tx: Option<Sender<Msg>>,
    stats: Arc<HistorianStats>,
    thread: Option<JoinHandle<()>>,
}

impl Historian {
    /// Opens the database (errors here, not later) and starts the writer thread. The returned feed is
    /// the hub subscriber that hands it updates.
    pub fn start(cfg: HistorianConfig, tags: Vec<WriterTag>) -> Result<(Historian, HistorianFeed), StoreError> {
        let conn = store::open_writer(&cfg.path)?;
        let mut state = WriterState::load(conn, &cfg, &tags)?;
        let (tx, rx) = bounded(QUEUE_BATCHES);
        let stats = Arc::new(HistorianStats::default());
        let feed = HistorianFeed {
            tx: tx.clone(),
            stats: stats.clone(),
            modes: tags.iter().map(|t| t.mode).collect(),
        };
        let s = stats.clone();
        let thread = std::thread::Builder::new()
            .name("historian".into())
            .spawn(move || state.run(rx, &s))
            .map_err(|e| StoreError::Folder {
                path: cfg.path.display().to_string(),
                source: e,
            })?;
        Ok((
            Historian {
                tx: Some(tx),
                stats,
                thread: Some(thread),
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
            let _ = tx.send(Msg::Samples(batch.collect()));
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

    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Stop);
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the historian thread panicked");
        }
    }
}

impl Drop for Historian {
    fn drop(&mut self) {
        self.stop_and_join();
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
        // Staleness is the hub's finding, at its time; the source time is that of the last reading.
        let ts = if st.quality == Quality::Bad(BadReason::Stale) {
            st.receive_ts
        } else {
            st.source_ts
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
            st.receive_ts.0,
        )
    }
}

impl Subscriber for HistorianFeed {
    fn name(&self) -> &str {
        "historian"
    }

    fn on_updates(&mut self, updates: &[TagUpdate], _table: &TagTable) {
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

/// One tag's in-memory state on the writer thread.
struct TagState {
    id: i64,
    filter: Filter,
    /// Samples since the last sealed chunk; `committed` of them are already in segments.
    pending: Chunk,
    committed: usize,
    last_ts: Option<i64>,
    last_quality: Option<StoredQuality>,
    rollups: Vec<(Resolution, Accumulator, Vec<Bucket>)>,
    dirty: bool,
}

struct WriterState {
    conn: Connection,
    tags: Vec<TagState>,
    seal_samples: usize,
    commit_every: Duration,
    retention: Retention,
    buffered: usize,
    filtered: Vec<HistSample>,
}

impl WriterState {
    fn load(conn: Connection, cfg: &HistorianConfig, tags: &[WriterTag]) -> Result<Self, StoreError> {
        let mut states = Vec::with_capacity(tags.len());
        for t in tags {
            conn.execute(
                "INSERT INTO tags (name, kind, unit) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, unit = excluded.unit",
                params![t.name, kind_label(t.kind), t.unit],
            )?;
            let id = store::tag_id(&conn, &t.name)?.expect("just inserted");
            let last_ts: Option<i64> =
                conn.query_row("SELECT MAX(t1) FROM chunks WHERE tag = ?1", params![id], |r| r.get(0))?;
            // Segments not yet sealed continue the open chunk.
            let mut pending = Chunk::new(t.kind);
            let mut stmt = conn.prepare("SELECT data FROM chunks WHERE tag = ?1 AND sealed = 0 ORDER BY t0, id")?;
            let mut rows = stmt.query(params![id])?;
            while let Some(row) = rows.next()? {
                let data: Vec<u8> = row.get(0)?;
                match Chunk::decode(&data) {
                    Ok(c) => {
                        for i in 0..c.len() {
                            let q = c.quality_at(i);
                            let v = q.has_value.then(|| c.values.value_at(i));
                            pending.push(c.ts[i], v.as_ref(), q.quality);
                        }
                    }
                    Err(e) => tracing::error!(tag = %t.name, error = %e, "unreadable history segment skipped"),
                }
            }
            drop(rows);
            drop(stmt);
            let last_quality = (!pending.is_empty()).then(|| pending.quality_at(pending.len() - 1));
            let mut rollups = Vec::new();
            for res in Resolution::ROLLUPS {
                let open: Option<Bucket> = conn
                    .query_row(
                        "SELECT t, n, min, max, sum, integral, covered_us, hold_t, hold_v FROM rollups
                         WHERE res = ?1 AND tag = ?2 ORDER BY t DESC LIMIT 1",
                        params![res.code(), id],
                        |r| {
                            let hold_t: Option<i64> = r.get(7)?;
                            let hold_v: Option<f64> = r.get(8)?;
                            Ok(Bucket {
                                start: r.get(0)?,
                                count: r.get::<_, i64>(1)? as u64,
                                min: r.get::<_, Option<f64>>(2)?.unwrap_or(f64::INFINITY),
                                max: r.get::<_, Option<f64>>(3)?.unwrap_or(f64::NEG_INFINITY),
                                sum: r.get(4)?,
                                integral: r.get(5)?,
                                covered_us: r.get(6)?,
                                hold: hold_t.zip(hold_v),
                            })
                        },
                    )
                    .optional()?;
                let acc = match open {
                    Some(b) => Accumulator::restore(res, b),
                    None => Accumulator::new(res),
                };
                rollups.push((res, acc, Vec::new()));
            }
            let committed = pending.len();
            states.push(TagState {
                id,
                filter: Filter::new(t.mode),
                pending,
                committed,
                last_ts,
                last_quality,
                rollups,
                dirty: false,
            });
        }
        Ok(Self {
            conn,
            tags: states,
            seal_samples: cfg.seal_samples.max(1),
            commit_every: cfg.commit_every,
            retention: cfg.retention.clone(),
            buffered: 0,
            filtered: Vec::new(),
        })
    }

    fn run(&mut self, rx: Receiver<Msg>, stats: &HistorianStats) {
        let mut next_commit = Instant::now() + self.commit_every;
        let mut next_retention = Instant::now();
        let mut retention_busy = false;
        loop {
            let wait = next_commit.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Msg::Samples(batch)) => {
                    for (tag, s, recv) in batch {
                        self.ingest(tag as usize, s, recv, stats);
                    }
                }
                Ok(Msg::Flush(ack)) => {
                    self.commit(stats);
                    let _ = ack.send(());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    for i in 0..self.tags.len() {
                        let mut out = std::mem::take(&mut self.filtered);
                        self.tags[i].filter.flush(&mut out);
                        for s in out.drain(..) {
                            self.store(i, s, stats);
                        }
                        self.filtered = out;
                    }
                    self.commit(stats);
                    return;
                }
            }
            let now = Instant::now();
            if now >= next_commit || self.buffered >= MAX_BUFFERED {
                self.commit(stats);
                next_commit = now + self.commit_every;
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

    fn store(&mut self, i: usize, s: HistSample, stats: &HistorianStats) {
        let tag = &mut self.tags[i];
        let number = if s.quality.plottable() {
            s.value.as_ref().and_then(Value::as_f64)
        } else {
            None
        };
        for (_, acc, closed) in &mut tag.rollups {
            acc.push(s.ts, number, closed);
        }
        tag.pending.push(s.ts, s.value.as_ref(), s.quality.quality);
        tag.last_ts = Some(s.ts);
        tag.last_quality = Some(s.quality);
        tag.dirty = true;
        self.buffered += 1;
        stats.samples_stored.fetch_add(1, Ordering::Relaxed);
    }

    fn commit(&mut self, stats: &HistorianStats) {
        if !self.tags.iter().any(|t| t.dirty) {
            return;
        }
        let t0 = Instant::now();
        match self.write_dirty() {
            Ok(()) => {
                for t in self.tags.iter_mut().filter(|t| t.dirty) {
                    let sealed = t.pending.len() / self.seal_samples * self.seal_samples;
                    t.pending.drain_front(sealed);
                    t.committed = t.pending.len();
                    for (_, _, closed) in &mut t.rollups {
                        closed.clear();
                    }
                    t.dirty = false;
                }
                self.buffered = 0;
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
            }
            Err(e) => stats.error(e),
        }
    }

    fn write_dirty(&mut self) -> Result<(), rusqlite::Error> {
        let tx = self.conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO chunks (tag, t0, t1, n, sealed, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            let mut unseal = tx.prepare_cached("DELETE FROM chunks WHERE tag = ?1 AND sealed = 0")?;
            let mut rollup = tx.prepare_cached(
                "INSERT OR REPLACE INTO rollups (res, tag, t, n, min, max, sum, integral, covered_us, hold_t, hold_v)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for t in self.tags.iter().filter(|t| t.dirty) {
                let len = t.pending.len();
                let sealed = len / self.seal_samples * self.seal_samples;
                let mut put = |r: std::ops::Range<usize>, seal: bool| {
                    insert.execute(params![
                        t.id,
                        t.pending.ts[r.start],
                        t.pending.ts[r.end - 1],
                        r.len() as i64,
                        i64::from(seal),
                        t.pending.encode_range(r)
                    ])
                };
                let mut unsealed_from = t.committed;
                if sealed > 0 {
                    // The open chunk is long enough: sealed chunks of `seal_samples` replace its segments,
                    // and what is left over starts the next open chunk.
                    unseal.execute(params![t.id])?;
                    for start in (0..sealed).step_by(self.seal_samples) {
                        put(start..start + self.seal_samples, true)?;
                    }
                    unsealed_from = sealed;
                }
                if len > unsealed_from {
                    put(unsealed_from..len, false)?;
                }
                for (res, acc, closed) in &t.rollups {
                    for b in closed.iter().chain(acc.open()) {
                        rollup.execute(params![
                            res.code(),
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
                        ])?;
                    }
                }
            }
        }
        tx.commit()
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
