//! The CT strings' history in SQLite: each reel's string as it is now (sections after cuts, welds, running
//! feet), the fatigue of every cell, the fatigue cycles log (every bending event, for audit) and the cut
//! history. One database file holds every reel, keyed by the reel id.
//!
//! One writer thread owns the write connection; the fatigue service hands it messages over a bounded
//! channel and never waits (`StoreSender::send` answers `StoreFull` with the message, for the caller to
//! count and keep). Fatigue progress and cycles are gathered and committed at least every second, so a crash
//! loses at most the last second of them; cuts and replaced strings are committed at once. A restart reads
//! the string back with `load` and continues from it. The file is created 0600 in WAL mode with
//! `synchronous = FULL` (`records::open`). `shutdown` saves what it can by a deadline and says what it could
//! not, never waiting past it for a stalled disk.
//!
//! Cells are stored sparsely: a cell never damaged has no row, and progress writes only the cells that
//! changed. A string's cells are those of the layout it was saved from (`cells` is the count); a loader with
//! a different cell length must not read them as its own.
//!
//! Owns the tables `ct_string`, `ct_cell`, `ct_cycle`, `ct_cut` and `ct_replaced`; knows nothing of the hub,
//! alarms or the screen.

use super::layout::{SectionSpec, StringEnd, WeldSpec};
use super::reel::{weld_code, weld_from_code};
use super::tracker::FatigueEvent;
use crate::calc::fatigue::Grade;
use crate::tag::Timestamp;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Messages queued for the writer: progress and cycles come about 10 a second each, so this is most of a
/// minute of a stalled disk before the sender sees `StoreFull`.
pub const QUEUE: usize = 1_024;
/// Progress and cycles are committed at least this often: what a crash may lose.
const COMMIT_EVERY: Duration = Duration::from_secs(1);
/// After a failed commit (a full or failing disk), the next try.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// `Drop` without `shutdown`, or all senders gone: the time left to save what is queued.
const STOP_WITHIN: Duration = Duration::from_secs(3);
/// Past the deadline, how long `shutdown` waits for a commit already under way before leaving it.
const JOIN_GRACE: Duration = Duration::from_millis(250);
/// Cycles held while commits fail; past this new ones are dropped and counted (a running string makes a
/// few a second, so this is a day of a dead disk).
const MAX_PENDING_EVENTS: usize = 500_000;
/// A saved string of more cells than this is not one the console made (60,000 ft in 0.1-ft cells).
const MAX_CELLS: usize = 600_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ct_string(
    reel_id TEXT PRIMARY KEY,
    sections TEXT NOT NULL,
    welds TEXT NOT NULL,
    running_ft REAL NOT NULL,
    length_ft REAL NOT NULL,
    cells INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ct_cell(
    reel_id TEXT NOT NULL,
    cell INTEGER NOT NULL,
    damage REAL NOT NULL,
    PRIMARY KEY(reel_id, cell)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ct_cycle(
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    reel_id TEXT NOT NULL,
    cell INTEGER NOT NULL,
    position_ft REAL NOT NULL,
    event TEXT NOT NULL,
    strain REAL NOT NULL,
    pressure_psi REAL NOT NULL,
    damage REAL NOT NULL,
    total REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ct_cycle_reel ON ct_cycle(reel_id, t);
CREATE TABLE IF NOT EXISTS ct_cut(
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    reel_id TEXT NOT NULL,
    string_end TEXT NOT NULL,
    length_ft REAL NOT NULL,
    user TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ct_replaced(
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    reel_id TEXT NOT NULL,
    reason TEXT NOT NULL
);
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("CT string store {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("CT string store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("could not start the CT string store's writer thread: {0}")]
    Spawn(std::io::Error),
    #[error(
        "CT string store: the saved string of reel {reel_id} is damaged ({what}); restore the database from a \
         backup or import the string again"
    )]
    Corrupt { reel_id: String, what: String },
    #[error("CT string store closed with records not saved: {0}")]
    Unsaved(String),
}

/// Pipe cut off one end of a string.
#[derive(Debug, Clone)]
pub struct CutRecord {
    pub at: Timestamp,
    pub end: StringEnd,
    pub length_ft: f64,
    pub user: String,
    pub reason: String,
}

/// A reel's string as saved: what a restart continues from.
#[derive(Debug, Clone)]
pub struct SavedString {
    /// The sections now (after cuts), from the core out.
    pub sections: Vec<SectionSpec>,
    pub welds: Vec<WeldSpec>,
    /// Miner damage per cell, from the free end; cells never damaged are 0.
    pub damage: Vec<f64>,
    pub running_ft: f64,
    /// Oldest first.
    pub cuts: Vec<CutRecord>,
    pub updated_at: Timestamp,
}

/// What the fatigue service (and the cut and import commands) hand the writer.
pub enum StoreMsg {
    /// Cells whose damage changed since the last progress, and the running feet now. The string must have
    /// been saved whole (`Replace`) first: progress for a reel the store has no string for is refused and
    /// counted (it could not be read back).
    Progress {
        reel_id: String,
        changed: Vec<(u32, f64)>,
        running_ft: f64,
    },
    /// Bending events, for the fatigue cycles log.
    Events { reel_id: String, events: Vec<FatigueEvent> },
    /// Pipe cut off an end: the string as it is after the cut, and the cut for the history.
    Cut {
        reel_id: String,
        record: CutRecord,
        sections: Vec<SectionSpec>,
        welds: Vec<WeldSpec>,
        damage: Vec<f64>,
        running_ft: f64,
    },
    /// The whole string saved anew: a new reel's first use, an import, a record edited.
    Replace {
        reel_id: String,
        sections: Vec<SectionSpec>,
        welds: Vec<WeldSpec>,
        damage: Vec<f64>,
        running_ft: f64,
        reason: String,
    },
}

impl StoreMsg {
    pub fn reel_id(&self) -> &str {
        match self {
            StoreMsg::Progress { reel_id, .. }
            | StoreMsg::Events { reel_id, .. }
            | StoreMsg::Cut { reel_id, .. }
            | StoreMsg::Replace { reel_id, .. } => reel_id,
        }
    }

    /// What the message carries, in words (for a log line or a status text).
    pub fn what(&self) -> &'static str {
        match self {
            StoreMsg::Progress { .. } => "fatigue progress",
            StoreMsg::Events { .. } => "fatigue cycles",
            StoreMsg::Cut { .. } => "a cut",
            StoreMsg::Replace { .. } => "a saved string",
        }
    }
}

/// The writer's queue was full (or the writer has stopped): the message comes back, not saved (boxed: a
/// cut is a few hundred bytes, and the `Ok` path of every send should not carry that size).
pub struct StoreFull(pub Box<StoreMsg>);

impl fmt::Display for StoreFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the CT string store is not keeping up: {} for reel {} was not queued",
            self.0.what(),
            self.0.reel_id()
        )
    }
}

impl fmt::Debug for StoreFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreFull({}, reel {})", self.0.what(), self.0.reel_id())
    }
}

impl std::error::Error for StoreFull {}

/// Counters the console shows: a store that cannot write is itself something to alarm on.
#[derive(Debug, Default)]
pub struct StoreStats {
    /// Rows written by committed transactions.
    pub committed_rows: AtomicU64,
    pub commits: AtomicU64,
    /// Commits that failed (kept and retried).
    pub commit_errors: AtomicU64,
    /// Values refused (progress for an unknown reel, a cell off the string, a number that is not finite).
    pub rejected: AtomicU64,
    /// Cycles dropped because too many were held behind failing commits.
    pub dropped_events: AtomicU64,
    /// Batches still unsaved when the writer stopped.
    pub unsaved_at_stop: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl StoreStats {
    /// Everything that went wrong, added up: 0 while all is saved.
    pub fn errors(&self) -> u64 {
        self.commit_errors.load(Ordering::Relaxed)
            + self.rejected.load(Ordering::Relaxed)
            + self.dropped_events.load(Ordering::Relaxed)
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().map(|e| e.clone()).unwrap_or(None)
    }

    fn set_error(&self, e: String) {
        if let Ok(mut l) = self.last_error.lock() {
            *l = Some(e);
        }
    }
}

/// Opening the store and reading it back.
pub struct StringStore;

impl StringStore {
    /// Opens (creating 0600 if needed) the database at `path` and starts its writer.
    pub fn open(path: &Path) -> Result<(StoreWriter, StoreSender), StoreError> {
        let mut conn = open_db(path)?;
        let (tx, rx) = bounded(QUEUE);
        let stats = Arc::new(StoreStats::default());
        let deadline = Arc::new(OnceLock::new());
        let (s, d) = (stats.clone(), deadline.clone());
        let thread = std::thread::Builder::new()
            .name("ctstring-store".into())
            .spawn(move || writer_loop(&mut conn, &rx, &s, &d))
            .map_err(StoreError::Spawn)?;
        let sender = StoreSender { tx: tx.clone() };
        Ok((
            StoreWriter {
                tx: Some(tx),
                stats,
                deadline,
                thread: Some(thread),
            },
            sender,
        ))
    }

    /// The string saved for `reel_id` (see `load`).
    pub fn load(path: &Path, reel_id: &str) -> Result<Option<SavedString>, StoreError> {
        load(path, reel_id)
    }
}

/// The string saved for `reel_id`, `None` when the store has none. Called before the writer starts (or
/// beside it: WAL lets a reader in while it writes).
pub fn load(path: &Path, reel_id: &str) -> Result<Option<SavedString>, StoreError> {
    let conn = open_db(path)?;
    read_string(&conn, reel_id)
}

fn open_db(path: &Path) -> Result<Connection, StoreError> {
    crate::records::open(path, SCHEMA).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// A handle for sending to the writer; clone it for each sender.
#[derive(Clone)]
pub struct StoreSender {
    tx: Sender<Envelope>,
}

impl StoreSender {
    /// Queues `msg` without waiting; a full queue (or a stopped writer) hands it back.
    pub fn send(&self, msg: StoreMsg) -> Result<(), StoreFull> {
        match self.tx.try_send(Envelope::Msg(Timestamp::now(), msg)) {
            Ok(()) => Ok(()),
            Err(e) => match e.into_inner() {
                Envelope::Msg(_, msg) => Err(StoreFull(Box::new(msg))),
                // Only a `Msg` was sent; nothing else can come back.
                Envelope::Stop => Ok(()),
            },
        }
    }
}

/// What travels to the writer: a message stamped when it was sent, or the owner's stop.
enum Envelope {
    Msg(Timestamp, StoreMsg),
    Stop,
}

/// The running writer. `shutdown` (or dropping it) saves what is queued by a deadline.
pub struct StoreWriter {
    tx: Option<Sender<Envelope>>,
    stats: Arc<StoreStats>,
    /// Set by `shutdown`: the writer saves what it can until then and exits.
    deadline: Arc<OnceLock<Instant>>,
    thread: Option<JoinHandle<()>>,
}

impl StoreWriter {
    pub fn stats(&self) -> Arc<StoreStats> {
        self.stats.clone()
    }

    /// Saves what was sent before this call, by `deadline`, and stops the writer. An error says what could
    /// not be saved in time (a stalled or full disk); it never waits past the deadline for one.
    pub fn shutdown(mut self, deadline: Instant) -> Result<(), StoreError> {
        self.stop(deadline)
    }

    fn stop(&mut self, deadline: Instant) -> Result<(), StoreError> {
        let _ = self.deadline.set(deadline);
        if let Some(tx) = self.tx.take() {
            // Never a blocking send: the queue may be full behind a failing disk; the deadline reaches the
            // writer anyway at its next message or tick.
            let _ = tx.try_send(Envelope::Stop);
        }
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let give_up = deadline + JOIN_GRACE;
        while !thread.is_finished() && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(5));
        }
        if !thread.is_finished() {
            // Left to finish on its own: a transaction is all or nothing, so the file stays whole.
            return Err(StoreError::Unsaved(
                "the writer was still saving at the deadline".to_owned(),
            ));
        }
        if thread.join().is_err() {
            return Err(StoreError::Unsaved("the writer thread panicked".to_owned()));
        }
        match self.stats.unsaved_at_stop.load(Ordering::Relaxed) {
            0 => Ok(()),
            n => Err(StoreError::Unsaved(format!(
                "{n} batch(es) of fatigue records; last error: {}",
                self.stats.last_error().unwrap_or_default()
            ))),
        }
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        if self.thread.is_some()
            && let Err(e) = self.stop(Instant::now() + STOP_WITHIN)
        {
            tracing::error!(error = %e, "CT string store");
        }
    }
}

/// One write waiting for a commit.
enum Op {
    /// Progress of one reel, gathered: the newest damage of each changed cell.
    Progress {
        at: Timestamp,
        reel_id: String,
        cells: BTreeMap<u32, f64>,
        running_ft: f64,
    },
    Events {
        at: Timestamp,
        reel_id: String,
        events: Vec<FatigueEvent>,
    },
    /// The whole string (a cut or a replacement) and the line of history that says why.
    Whole {
        at: Timestamp,
        reel_id: String,
        string: WholeString,
        why: Why,
    },
}

struct WholeString {
    sections: Vec<SectionSpec>,
    welds: Vec<WeldSpec>,
    damage: Vec<f64>,
    running_ft: f64,
}

enum Why {
    Cut(CutRecord),
    Replaced(String),
}

/// Writes waiting for the next commit, in order. Progress is gathered per reel, but never across a cut or
/// replacement (cell numbers change there): `epoch` is where the ops after the last one begin.
#[derive(Default)]
struct Pending {
    ops: Vec<Op>,
    epoch: usize,
    events: usize,
    /// A cut or replacement waits: commit now, not at the next tick.
    urgent: bool,
}

impl Pending {
    fn take(&mut self, at: Timestamp, msg: StoreMsg, stats: &StoreStats) {
        match msg {
            StoreMsg::Progress {
                reel_id,
                changed,
                running_ft,
            } => self.progress(at, reel_id, &changed, running_ft),
            StoreMsg::Events { reel_id, events } => {
                if self.events + events.len() > MAX_PENDING_EVENTS {
                    stats.dropped_events.fetch_add(events.len() as u64, Ordering::Relaxed);
                    stats.set_error(format!(
                        "{} fatigue cycles of reel {reel_id} dropped: too many waiting behind failed commits",
                        events.len()
                    ));
                    return;
                }
                self.events += events.len();
                self.ops.push(Op::Events { at, reel_id, events });
            }
            StoreMsg::Cut {
                reel_id,
                record,
                sections,
                welds,
                damage,
                running_ft,
            } => self.whole(
                at,
                reel_id,
                WholeString {
                    sections,
                    welds,
                    damage,
                    running_ft,
                },
                Why::Cut(record),
            ),
            StoreMsg::Replace {
                reel_id,
                sections,
                welds,
                damage,
                running_ft,
                reason,
            } => self.whole(
                at,
                reel_id,
                WholeString {
                    sections,
                    welds,
                    damage,
                    running_ft,
                },
                Why::Replaced(reason),
            ),
        }
    }

    fn progress(&mut self, at: Timestamp, reel_id: String, changed: &[(u32, f64)], running_ft: f64) {
        let open = (self.epoch..self.ops.len())
            .find(|&i| matches!(&self.ops[i], Op::Progress { reel_id: r, .. } if *r == reel_id));
        if let Some(Op::Progress {
            at: a,
            cells,
            running_ft: r,
            ..
        }) = open.and_then(|i| self.ops.get_mut(i))
        {
            cells.extend(changed.iter().copied());
            (*a, *r) = (at, running_ft);
            return;
        }
        self.ops.push(Op::Progress {
            at,
            reel_id,
            cells: changed.iter().copied().collect(),
            running_ft,
        });
    }

    fn whole(&mut self, at: Timestamp, reel_id: String, string: WholeString, why: Why) {
        self.ops.push(Op::Whole {
            at,
            reel_id,
            string,
            why,
        });
        self.epoch = self.ops.len();
        self.urgent = true;
    }

    fn clear(&mut self) {
        *self = Pending::default();
    }
}

fn writer_loop(conn: &mut Connection, rx: &Receiver<Envelope>, stats: &StoreStats, deadline: &OnceLock<Instant>) {
    let mut pending = Pending::default();
    let mut next_commit = Instant::now() + COMMIT_EVERY;
    loop {
        if let Some(&by) = deadline.get() {
            return finish(conn, rx, &mut pending, stats, by);
        }
        let wait = next_commit.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Envelope::Msg(at, msg)) => pending.take(at, msg, stats),
            Err(RecvTimeoutError::Timeout) => {}
            Ok(Envelope::Stop) | Err(RecvTimeoutError::Disconnected) => {
                let by = *deadline.get_or_init(|| Instant::now() + STOP_WITHIN);
                return finish(conn, rx, &mut pending, stats, by);
            }
        }
        let now = Instant::now();
        if pending.urgent || now >= next_commit {
            let saved = commit(conn, &mut pending, stats);
            next_commit = now + if saved { COMMIT_EVERY } else { RETRY_AFTER };
        }
    }
}

/// Stopping: what is queued is taken in, then committed (retried while commits fail) until `by`.
fn finish(conn: &mut Connection, rx: &Receiver<Envelope>, pending: &mut Pending, stats: &StoreStats, by: Instant) {
    while Instant::now() < by {
        match rx.try_recv() {
            Ok(Envelope::Msg(at, msg)) => pending.take(at, msg, stats),
            Ok(Envelope::Stop) => {}
            Err(_) => break,
        }
    }
    while !commit(conn, pending, stats) && Instant::now() < by {
        std::thread::sleep(Duration::from_millis(100).min(by.saturating_duration_since(Instant::now())));
    }
    if !pending.ops.is_empty() {
        stats.unsaved_at_stop.store(pending.ops.len() as u64, Ordering::Relaxed);
        tracing::error!(
            batches = pending.ops.len(),
            "CT string store stopped with fatigue records it could not save"
        );
    }
}

/// Commits what is pending in one transaction: true when it is saved (or there was nothing).
fn commit(conn: &mut Connection, pending: &mut Pending, stats: &StoreStats) -> bool {
    if pending.ops.is_empty() {
        return true;
    }
    let mut refused = Vec::new();
    match write_ops(conn, &pending.ops, &mut refused) {
        Ok(rows) => {
            stats.committed_rows.fetch_add(rows, Ordering::Relaxed);
            stats.commits.fetch_add(1, Ordering::Relaxed);
            for r in refused {
                tracing::warn!("CT string store: {r}");
                stats.rejected.fetch_add(1, Ordering::Relaxed);
                stats.set_error(r);
            }
            pending.clear();
            true
        }
        Err(e) => {
            // Kept, not dropped: the next try may succeed (a full disk freed).
            stats.commit_errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, batches = pending.ops.len(), "CT string store commit failed; will retry");
            stats.set_error(e.to_string());
            pending.urgent = false;
            false
        }
    }
}

/// Every op in order, in one transaction: the rows written. What is refused (not an SQL error) is said in
/// `refused` and left out, so one bad value never blocks the rest.
fn write_ops(conn: &mut Connection, ops: &[Op], refused: &mut Vec<String>) -> rusqlite::Result<u64> {
    let tx = conn.transaction()?;
    let mut rows = 0;
    for op in ops {
        rows += match op {
            Op::Progress {
                at,
                reel_id,
                cells,
                running_ft,
            } => write_progress(&tx, *at, reel_id, cells, *running_ft, refused)?,
            Op::Events { at, reel_id, events } => write_events(&tx, *at, reel_id, events, refused)?,
            Op::Whole {
                at,
                reel_id,
                string,
                why,
            } => write_whole(&tx, *at, reel_id, string, why, refused)?,
        };
    }
    tx.commit()?;
    Ok(rows)
}

fn write_progress(
    conn: &Connection,
    at: Timestamp,
    reel_id: &str,
    cells: &BTreeMap<u32, f64>,
    running_ft: f64,
    refused: &mut Vec<String>,
) -> rusqlite::Result<u64> {
    let count: Option<i64> = conn
        .query_row("SELECT cells FROM ct_string WHERE reel_id = ?1", [reel_id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(count) = count else {
        refused.push(format!(
            "fatigue of reel {reel_id} not saved: the store has no string for it (it is saved whole first)"
        ));
        return Ok(0);
    };
    let mut up = conn.prepare_cached(
        "INSERT INTO ct_cell(reel_id, cell, damage) VALUES (?1, ?2, ?3)
         ON CONFLICT(reel_id, cell) DO UPDATE SET damage = excluded.damage",
    )?;
    let (mut rows, mut bad) = (0, 0);
    for (&cell, &damage) in cells {
        if i64::from(cell) >= count || !damage.is_finite() || damage < 0.0 {
            bad += 1;
            continue;
        }
        up.execute(params![reel_id, cell, damage])?;
        rows += 1;
    }
    if bad > 0 {
        refused.push(format!(
            "{bad} cell(s) of reel {reel_id} not saved: off the string's {count} cells or damage not a finite number \
             0 or more"
        ));
    }
    if running_ft.is_finite() && running_ft >= 0.0 {
        conn.execute(
            "UPDATE ct_string SET running_ft = ?2, updated_at = ?3 WHERE reel_id = ?1",
            params![reel_id, running_ft, at.0],
        )?;
    } else {
        refused.push(format!(
            "running feet of reel {reel_id} not saved: {running_ft} is not a number of feet"
        ));
    }
    Ok(rows)
}

fn write_events(
    conn: &Connection,
    at: Timestamp,
    reel_id: &str,
    events: &[FatigueEvent],
    refused: &mut Vec<String>,
) -> rusqlite::Result<u64> {
    let mut ins = conn.prepare_cached(
        "INSERT INTO ct_cycle(t, reel_id, cell, position_ft, event, strain, pressure_psi, damage, total)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let (mut rows, mut bad) = (0, 0);
    for e in events {
        let numbers = [e.position_ft, e.strain, e.pressure_psi, e.damage, e.total];
        let Ok(cell) = i64::try_from(e.cell) else {
            bad += 1;
            continue;
        };
        // SQLite would store a NaN as NULL and refuse the row (and with it the whole commit).
        if !numbers.iter().all(|x| x.is_finite()) {
            bad += 1;
            continue;
        }
        ins.execute(params![
            at.0,
            reel_id,
            cell,
            e.position_ft,
            e.kind.label(),
            e.strain,
            e.pressure_psi,
            e.damage,
            e.total
        ])?;
        rows += 1;
    }
    if bad > 0 {
        refused.push(format!(
            "{bad} fatigue cycle(s) of reel {reel_id} not logged: a value is not a finite number"
        ));
    }
    Ok(rows)
}

/// The whole string saved: its row, all its cells anew (a cut moves every position), and the history line.
fn write_whole(
    conn: &Connection,
    at: Timestamp,
    reel_id: &str,
    s: &WholeString,
    why: &Why,
    refused: &mut Vec<String>,
) -> rusqlite::Result<u64> {
    let what = match why {
        Why::Cut(_) => "cut",
        Why::Replaced(_) => "saved string",
    };
    let damage_ok = s.damage.iter().all(|d| d.is_finite() && *d >= 0.0);
    let length_ft: f64 = s.sections.iter().map(|x| x.length_ft).sum();
    let json = (
        serde_json::to_string(&s.sections.iter().map(SectionRow::from).collect::<Vec<_>>()),
        serde_json::to_string(&s.welds.iter().map(WeldRow::from).collect::<Vec<_>>()),
        i64::try_from(s.damage.len()),
    );
    let (Ok(sections), Ok(welds), Ok(cells)) = json else {
        refused.push(format!(
            "{what} of reel {reel_id} not saved: its sections could not be written down"
        ));
        return Ok(0);
    };
    if !(damage_ok && s.running_ft.is_finite() && s.running_ft >= 0.0 && length_ft.is_finite()) {
        refused.push(format!(
            "{what} of reel {reel_id} not saved: a damage, length or running-feet value is not a finite number \
             0 or more"
        ));
        return Ok(0);
    }
    conn.execute(
        "INSERT OR REPLACE INTO ct_string(reel_id, sections, welds, running_ft, length_ft, cells, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![reel_id, sections, welds, s.running_ft, length_ft, cells, at.0],
    )?;
    conn.execute("DELETE FROM ct_cell WHERE reel_id = ?1", [reel_id])?;
    let mut ins = conn.prepare_cached("INSERT INTO ct_cell(reel_id, cell, damage) VALUES (?1, ?2, ?3)")?;
    let mut rows = 1;
    for (cell, &d) in s.damage.iter().enumerate() {
        // Sparse: a cell never bent has no row.
        if d > 0.0 {
            ins.execute(params![reel_id, i64::try_from(cell).unwrap_or(i64::MAX), d])?;
            rows += 1;
        }
    }
    match why {
        Why::Cut(c) => conn.execute(
            "INSERT INTO ct_cut(t, reel_id, string_end, length_ft, user, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.at.0, reel_id, end_code(&c.end), c.length_ft, c.user, c.reason],
        )?,
        Why::Replaced(reason) => conn.execute(
            "INSERT INTO ct_replaced(t, reel_id, reason) VALUES (?1, ?2, ?3)",
            params![at.0, reel_id, reason],
        )?,
    };
    Ok(rows + 1)
}

fn read_string(conn: &Connection, reel_id: &str) -> Result<Option<SavedString>, StoreError> {
    let row = conn
        .query_row(
            "SELECT sections, welds, running_ft, cells, updated_at FROM ct_string WHERE reel_id = ?1",
            [reel_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((sections, welds, running_ft, cells, updated_at)) = row else {
        return Ok(None);
    };
    let corrupt = |what: String| StoreError::Corrupt {
        reel_id: reel_id.to_owned(),
        what,
    };
    let sections: Vec<SectionRow> =
        serde_json::from_str(&sections).map_err(|e| corrupt(format!("its sections: {e}")))?;
    let welds: Vec<WeldRow> = serde_json::from_str(&welds).map_err(|e| corrupt(format!("its welds: {e}")))?;
    let welds = welds
        .into_iter()
        .map(|w| -> Result<WeldSpec, StoreError> {
            let kind = weld_from_code(&w.kind).ok_or_else(|| corrupt(format!("unknown weld type '{}'", w.kind)))?;
            Ok(WeldSpec {
                from_core_ft: w.from_core_ft,
                kind,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let cells = usize::try_from(cells)
        .ok()
        .filter(|n| *n <= MAX_CELLS)
        .ok_or_else(|| corrupt(format!("{cells} cells")))?;
    let mut damage = vec![0.0; cells];
    let mut st = conn.prepare("SELECT cell, damage FROM ct_cell WHERE reel_id = ?1")?;
    let mut rows = st.query([reel_id])?;
    while let Some(r) = rows.next()? {
        let (cell, d): (i64, f64) = (r.get(0)?, r.get(1)?);
        match usize::try_from(cell).ok().and_then(|c| damage.get_mut(c)) {
            Some(slot) => *slot = d,
            None => return Err(corrupt(format!("cell {cell} of a string of {cells} cells"))),
        }
    }
    Ok(Some(SavedString {
        sections: sections.into_iter().map(SectionSpec::from).collect(),
        welds,
        damage,
        running_ft,
        cuts: read_cuts(conn, reel_id)?,
        updated_at: Timestamp(updated_at),
    }))
}

fn read_cuts(conn: &Connection, reel_id: &str) -> Result<Vec<CutRecord>, StoreError> {
    let mut st =
        conn.prepare("SELECT t, string_end, length_ft, user, reason FROM ct_cut WHERE reel_id = ?1 ORDER BY id")?;
    let rows = st.query_map([reel_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, f64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut cuts = Vec::new();
    for row in rows {
        let (t, end, length_ft, user, reason) = row?;
        let end = end_from_code(&end).ok_or_else(|| StoreError::Corrupt {
            reel_id: reel_id.to_owned(),
            what: format!("a cut at the unknown end '{end}'"),
        })?;
        cuts.push(CutRecord {
            at: Timestamp(t),
            end,
            length_ft,
            user,
            reason,
        });
    }
    Ok(cuts)
}

fn end_code(end: &StringEnd) -> &'static str {
    match end {
        StringEnd::Downhole => "downhole",
        StringEnd::Core => "core",
    }
}

fn end_from_code(s: &str) -> Option<StringEnd> {
    match s {
        "downhole" => Some(StringEnd::Downhole),
        "core" => Some(StringEnd::Core),
        _ => None,
    }
}

/// A section as stored (JSON in `ct_string.sections`): the store's own form, so the file does not change
/// when the layout's types do.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionRow {
    od_in: f64,
    wall_in: f64,
    grade: String,
    yield_psi: f64,
    tensile_psi: f64,
    reduction_of_area: f64,
    length_ft: f64,
}

impl From<&SectionSpec> for SectionRow {
    fn from(s: &SectionSpec) -> Self {
        Self {
            od_in: s.od_in,
            wall_in: s.wall_in,
            grade: s.grade.name.clone(),
            yield_psi: s.grade.yield_psi,
            tensile_psi: s.grade.tensile_psi,
            reduction_of_area: s.grade.reduction_of_area,
            length_ft: s.length_ft,
        }
    }
}

impl From<SectionRow> for SectionSpec {
    fn from(r: SectionRow) -> Self {
        SectionSpec {
            od_in: r.od_in,
            wall_in: r.wall_in,
            grade: Grade {
                name: r.grade,
                yield_psi: r.yield_psi,
                tensile_psi: r.tensile_psi,
                reduction_of_area: r.reduction_of_area,
            },
            length_ft: r.length_ft,
        }
    }
}

/// A weld as stored (JSON in `ct_string.welds`), its type spelt as in a reel record.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeldRow {
    from_core_ft: f64,
    kind: String,
}

impl From<&WeldSpec> for WeldRow {
    fn from(w: &WeldSpec) -> Self {
        Self {
            from_core_ft: w.from_core_ft,
            kind: weld_code(&w.kind).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::fatigue::WeldType;
    use crate::ctstring::tracker::BendEvent;

    fn grade() -> Grade {
        Grade {
            name: "CT90".to_owned(),
            yield_psi: 90_000.0,
            tensile_psi: 97_000.0,
            reduction_of_area: 0.6,
        }
    }

    /// A 100-ft string: 40 ft of 0.175 wall at the core, 60 ft of 0.156 to the free end.
    fn sections(tip_ft: f64) -> Vec<SectionSpec> {
        vec![
            SectionSpec {
                od_in: 1.75,
                wall_in: 0.175,
                grade: grade(),
                length_ft: 40.0,
            },
            SectionSpec {
                od_in: 1.75,
                wall_in: 0.156,
                grade: grade(),
                length_ft: tip_ft,
            },
        ]
    }

    fn welds() -> Vec<WeldSpec> {
        vec![WeldSpec {
            from_core_ft: 40.0,
            kind: WeldType::TaperedBias,
        }]
    }

    fn replace(damage: Vec<f64>, running_ft: f64) -> StoreMsg {
        StoreMsg::Replace {
            reel_id: "CT-4471".to_owned(),
            sections: sections(60.0),
            welds: welds(),
            damage,
            running_ft,
            reason: "new string".to_owned(),
        }
    }

    fn progress(changed: &[(u32, f64)], running_ft: f64) -> StoreMsg {
        StoreMsg::Progress {
            reel_id: "CT-4471".to_owned(),
            changed: changed.to_vec(),
            running_ft,
        }
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    fn send(tx: &StoreSender, msg: StoreMsg) {
        assert!(tx.send(msg).is_ok(), "queued");
    }

    #[test]
    fn a_saved_string_comes_back_and_a_restart_continues_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records").join("ctstring.db");
        assert!(load(&path, "CT-4471").unwrap().is_none(), "nothing saved yet");

        let (writer, tx) = StringStore::open(&path).unwrap();
        let stats = writer.stats();
        send(&tx, replace(vec![0.0; 100], 0.0));
        send(&tx, progress(&[(3, 0.25), (7, 0.5)], 60.0));
        send(&tx, progress(&[(3, 0.26)], 120.0));
        send(
            &tx,
            StoreMsg::Events {
                reel_id: "CT-4471".to_owned(),
                events: vec![FatigueEvent {
                    cell: 3,
                    position_ft: 3.5,
                    kind: BendEvent::ArchOn,
                    strain: 0.0104,
                    pressure_psi: 2_500.0,
                    damage: 0.01,
                    total: 0.26,
                }],
            },
        );
        drop(tx);
        writer.shutdown(soon()).unwrap();
        assert_eq!(stats.errors(), 0, "{:?}", stats.last_error());

        let saved = load(&path, "CT-4471").unwrap().expect("saved");
        assert_eq!(saved.damage.len(), 100);
        assert_eq!((saved.damage[3], saved.damage[7], saved.damage[4]), (0.26, 0.5, 0.0));
        assert_eq!(saved.running_ft, 120.0);
        let lengths: Vec<f64> = saved.sections.iter().map(|s| s.length_ft).collect();
        assert_eq!(lengths, [40.0, 60.0]);
        assert_eq!(saved.sections[1].grade.name, "CT90");
        assert_eq!(saved.welds.len(), 1);
        assert_eq!(weld_code(&saved.welds[0].kind), "tapered_bias");
        assert!(saved.cuts.is_empty());

        // A restart: the console continues from what was saved.
        let (writer, tx) = StringStore::open(&path).unwrap();
        send(&tx, progress(&[(3, 0.3)], 180.0));
        writer.shutdown(soon()).unwrap();
        let saved = load(&path, "CT-4471").unwrap().expect("saved");
        assert_eq!((saved.damage[3], saved.damage[7]), (0.3, 0.5));
        assert_eq!(saved.running_ft, 180.0);

        let conn = Connection::open(&path).unwrap();
        let (n, event): (i64, String) = conn
            .query_row(
                "SELECT count(*), max(event) FROM ct_cycle WHERE reel_id = 'CT-4471'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((n, event.as_str()), (1, BendEvent::ArchOn.label()));
    }

    #[test]
    fn a_cut_is_recorded_and_the_string_is_saved_as_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctstring.db");
        let (writer, tx) = StringStore::open(&path).unwrap();
        let mut damage = vec![0.0; 100];
        damage[0] = 0.8;
        damage[50] = 0.1;
        send(&tx, replace(damage.clone(), 5_000.0));
        // 10 ft off the free end: the cells move down by ten.
        send(
            &tx,
            StoreMsg::Cut {
                reel_id: "CT-4471".to_owned(),
                record: CutRecord {
                    at: Timestamp(1_700_000_000_000_000),
                    end: StringEnd::Downhole,
                    length_ft: 10.0,
                    user: "jdoe".to_owned(),
                    reason: "fatigue at the tip".to_owned(),
                },
                sections: sections(50.0),
                welds: welds(),
                damage: damage[10..].to_vec(),
                running_ft: 5_000.0,
            },
        );
        writer.shutdown(soon()).unwrap();
        let saved = load(&path, "CT-4471").unwrap().expect("saved");
        assert_eq!(saved.damage.len(), 90);
        assert_eq!((saved.damage[0], saved.damage[40]), (0.0, 0.1));
        assert_eq!(saved.sections[1].length_ft, 50.0);
        assert_eq!(saved.cuts.len(), 1);
        let cut = &saved.cuts[0];
        assert_eq!(end_code(&cut.end), "downhole");
        assert_eq!(
            (cut.at, cut.length_ft, cut.user.as_str(), cut.reason.as_str()),
            (Timestamp(1_700_000_000_000_000), 10.0, "jdoe", "fatigue at the tip")
        );
    }

    #[test]
    fn progress_is_committed_by_the_writer_without_a_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctstring.db");
        let (writer, tx) = StringStore::open(&path).unwrap();
        send(&tx, replace(vec![0.0; 100], 0.0));
        send(&tx, progress(&[(1, 0.125)], 10.0));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let saved = load(&path, "CT-4471").unwrap();
            if saved.is_some_and(|s| s.damage[1] == 0.125) {
                break;
            }
            // A deadline on the wait only (so a writer that never commits fails rather than hangs): how soon
            // it commits is the commit interval's business, not a wall-clock figure for a test.
            assert!(Instant::now() < deadline, "progress never committed");
            std::thread::sleep(Duration::from_millis(50));
        }
        writer.shutdown(soon()).unwrap();
    }

    #[test]
    fn progress_for_a_reel_never_saved_is_counted_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctstring.db");
        let (writer, tx) = StringStore::open(&path).unwrap();
        let stats = writer.stats();
        send(
            &tx,
            StoreMsg::Progress {
                reel_id: "NOPE-1".to_owned(),
                changed: vec![(1, 0.5)],
                running_ft: 10.0,
            },
        );
        send(&tx, replace(vec![0.0; 100], 0.0));
        send(&tx, progress(&[(100, 0.5), (2, f64::NAN), (5, 0.5)], 10.0));
        writer.shutdown(soon()).unwrap();
        assert_eq!(stats.rejected.load(Ordering::Relaxed), 2);
        assert!(load(&path, "NOPE-1").unwrap().is_none());
        let saved = load(&path, "CT-4471").unwrap().expect("saved");
        assert_eq!((saved.damage[2], saved.damage[5]), (0.0, 0.5), "the good cell is kept");
        let last = stats.last_error().unwrap_or_default();
        assert!(last.contains("off the string's 100 cells"), "{last}");
    }

    #[cfg(unix)]
    #[test]
    fn the_database_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctstring.db");
        let (writer, tx) = StringStore::open(&path).unwrap();
        send(&tx, replace(vec![0.0; 10], 0.0));
        writer.shutdown(soon()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    #[test]
    fn a_full_queue_hands_the_message_back() {
        let (tx, _rx) = bounded(1);
        let sender = StoreSender { tx };
        send(&sender, progress(&[], 0.0));
        match sender.send(progress(&[(1, 0.5)], 1.0)) {
            Err(StoreFull(back)) => match *back {
                StoreMsg::Progress { changed, .. } => assert_eq!(changed, [(1, 0.5)]),
                other => panic!("{}", other.what()),
            },
            Ok(()) => panic!("a full queue took it"),
        }
    }
}
