//! The alarm journal: every alarm event and the current state of every point, in SQLite.
//!
//! One writer thread owns the write connection; the hub hands it records over a bounded channel and
//! never waits (the alarm service keeps what does not fit and retries, it never drops). Records are
//! committed in small batches with `synchronous = FULL`, so a crash or kill loses nothing committed.
//! Readers (console pages, the `alarms report` command) open connections of their own.

use super::def::Priority;
use super::engine::PersistedState;
use super::state::{AlarmEvent, AlarmState, EventKind, OutOfService, Shelf};
use crate::tag::{Timestamp, Value};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Records queued for the writer before the service holds them back itself.
pub const QUEUE: usize = 16_384;
/// The writer commits at least this often while records arrive.
const COMMIT_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("alarm journal {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("alarm journal: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("could not start the alarm journal thread: {0}")]
    Spawn(std::io::Error),
}

/// One record for the writer: the event, and the point's state after it (to survive a restart).
#[derive(Debug, Clone)]
pub struct JournalRecord {
    pub event: AlarmEvent,
    pub state: Option<PersistedState>,
}

/// Counters the console shows (a journal that cannot write is itself an alarm condition).
#[derive(Debug, Default)]
pub struct JournalStats {
    pub written: AtomicU64,
    pub commit_errors: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl JournalStats {
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().map(|e| e.clone()).unwrap_or(None)
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS journal(
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    kind TEXT NOT NULL,
    alarm TEXT,
    tag TEXT,
    priority TEXT,
    state TEXT NOT NULL,
    value TEXT,
    user TEXT,
    comment TEXT NOT NULL DEFAULT '',
    message_en TEXT,
    message_es TEXT
);
CREATE INDEX IF NOT EXISTS journal_t ON journal(t);
CREATE INDEX IF NOT EXISTS journal_alarm ON journal(alarm, t);
CREATE TABLE IF NOT EXISTS alarm_state(
    alarm TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    acked INTEGER NOT NULL,
    since INTEGER NOT NULL,
    first_out INTEGER NOT NULL,
    value TEXT,
    shelf_until INTEGER,
    shelf_reason TEXT,
    shelf_by TEXT,
    oos_since INTEGER,
    oos_reason TEXT,
    oos_by TEXT
);
";

/// Opens (creating if needed) the journal for writing.
pub fn open_writer(path: &Path) -> Result<Connection, JournalError> {
    crate::records::open(path, SCHEMA).map_err(|source| JournalError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// Opens the journal read-only (it must exist).
pub fn open_reader(path: &Path) -> Result<Connection, JournalError> {
    let open = || -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    };
    open().map_err(|source| JournalError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// `f:1.5`, `i:3`, `b:true`, `s:text`: typed, so a restored value compares as it did.
pub fn encode_value(v: &Value) -> String {
    match v {
        Value::F64(x) => format!("f:{x}"),
        Value::I64(x) => format!("i:{x}"),
        Value::Bool(b) => format!("b:{b}"),
        Value::Str(s) => format!("s:{s}"),
    }
}

pub fn decode_value(s: &str) -> Option<Value> {
    let (k, v) = s.split_once(':')?;
    match k {
        "f" => v.parse().ok().map(Value::F64),
        "i" => v.parse().ok().map(Value::I64),
        "b" => v.parse().ok().map(Value::Bool),
        "s" => Some(Value::str(v)),
        _ => None,
    }
}

/// Shows a journaled value as an operator reads it (without the type prefix).
pub fn display_value(s: &str) -> String {
    match decode_value(s) {
        Some(Value::F64(x)) => format!("{x}"),
        Some(v) => v.to_string(),
        None => s.to_owned(),
    }
}

/// The saved state of every point. When a shelf began and the value at the last activation are not
/// columns of `alarm_state` (no schema change for existing journals): they are read from the point's
/// newest Shelved and Activated events, committed in the same transaction as the state that carries them
/// (walked newest first on the `(alarm, t)` index).
pub fn load_states(conn: &Connection) -> Result<Vec<PersistedState>, JournalError> {
    let mut stmt = conn.prepare(
        "SELECT s.alarm, s.active, s.acked, s.since, s.first_out, s.value, s.shelf_until, s.shelf_reason,
                s.shelf_by, s.oos_since, s.oos_reason, s.oos_by,
                (SELECT j.t FROM journal j WHERE j.alarm = s.alarm AND j.kind = ?1
                 ORDER BY j.t DESC, j.id DESC LIMIT 1),
                (SELECT j.value FROM journal j WHERE j.alarm = s.alarm AND j.kind = ?2
                 ORDER BY j.t DESC, j.id DESC LIMIT 1)
         FROM alarm_state s",
    )?;
    let kinds = [EventKind::Shelved.code(), EventKind::Activated.code()];
    let rows = stmt.query_map(kinds, |r| {
        let shelf_until: Option<i64> = r.get(6)?;
        let oos_since: Option<i64> = r.get(9)?;
        let shelved_at: Option<i64> = r.get(12)?;
        Ok(PersistedState {
            id: r.get::<_, String>(0)?.into(),
            active: r.get(1)?,
            acked: r.get(2)?,
            since: Timestamp(r.get(3)?),
            first_out: r.get(4)?,
            value: r.get::<_, Option<String>>(5)?.as_deref().and_then(decode_value),
            alarm_value: r.get::<_, Option<String>>(13)?.as_deref().and_then(decode_value),
            shelf: match shelf_until {
                Some(t) => Some(Shelf {
                    // Never missing (one transaction); were it so, the end stands in for an unknown start.
                    at: Timestamp(shelved_at.unwrap_or(t)),
                    until: Timestamp(t),
                    reason: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    by: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                }),
                None => None,
            },
            out_of_service: match oos_since {
                Some(t) => Some(OutOfService {
                    since: Timestamp(t),
                    reason: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                    by: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                }),
                None => None,
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn write_batch(conn: &mut Connection, batch: &[JournalRecord]) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO journal(t, kind, alarm, tag, priority, state, value, user, comment, message_en, message_es)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut up = tx.prepare_cached(
            "INSERT OR REPLACE INTO alarm_state(alarm, active, acked, since, first_out, value, shelf_until,
                 shelf_reason, shelf_by, oos_since, oos_reason, oos_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for r in batch {
            let e = &r.event;
            let d = e.alarm.as_deref();
            ins.execute(params![
                e.at.0,
                e.kind.code(),
                d.map(|d| d.id.as_ref()),
                d.map(|d| d.tag_name.as_ref()),
                d.map(|d| d.priority.name()),
                e.state.code(),
                e.value.as_ref().map(encode_value),
                e.by.as_ref().map(|a| a.user.as_str()),
                e.comment.as_str(),
                d.map(|d| d.message.en.as_ref()),
                d.map(|d| d.message.es.as_ref()),
            ])?;
            if let Some(s) = &r.state {
                up.execute(params![
                    s.id.as_ref(),
                    s.active,
                    s.acked,
                    s.since.0,
                    s.first_out,
                    s.value.as_ref().map(encode_value),
                    s.shelf.as_ref().map(|x| x.until.0),
                    s.shelf.as_ref().map(|x| x.reason.as_str()),
                    s.shelf.as_ref().map(|x| x.by.as_str()),
                    s.out_of_service.as_ref().map(|x| x.since.0),
                    s.out_of_service.as_ref().map(|x| x.reason.as_str()),
                    s.out_of_service.as_ref().map(|x| x.by.as_str()),
                ])?;
            }
        }
    }
    tx.commit()
}

/// The running writer. Dropping the sender side and calling `stop` commits what is queued.
pub struct JournalWriter {
    thread: Option<JoinHandle<()>>,
    stats: Arc<JournalStats>,
}

impl JournalWriter {
    /// Opens the journal, reads the saved states, and starts the writer thread.
    pub fn start(path: &Path) -> Result<(Self, Sender<JournalRecord>, Vec<PersistedState>), JournalError> {
        let mut conn = open_writer(path)?;
        let saved = load_states(&conn)?;
        let (tx, rx) = bounded(QUEUE);
        let stats = Arc::new(JournalStats::default());
        let s = stats.clone();
        let thread = std::thread::Builder::new()
            .name("alarm-journal".into())
            .spawn(move || writer_loop(&mut conn, &rx, &s))
            .map_err(JournalError::Spawn)?;
        Ok((
            Self {
                thread: Some(thread),
                stats,
            },
            tx,
            saved,
        ))
    }

    pub fn stats(&self) -> Arc<JournalStats> {
        self.stats.clone()
    }

    /// Waits for the writer to commit everything sent (every sender must be dropped first).
    pub fn stop(mut self) {
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("alarm journal writer panicked");
        }
    }
}

fn writer_loop(conn: &mut Connection, rx: &Receiver<JournalRecord>, stats: &JournalStats) {
    let mut batch: Vec<JournalRecord> = Vec::new();
    let mut open = true;
    while open || !batch.is_empty() {
        if open {
            match rx.recv_timeout(COMMIT_EVERY) {
                Ok(r) => {
                    batch.push(r);
                    batch.extend(rx.try_iter().take(4_096));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        if batch.is_empty() {
            continue;
        }
        match write_batch(conn, &batch) {
            Ok(()) => {
                stats.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
            }
            Err(e) => {
                // Kept, not dropped: the next round retries (a full disk may be freed).
                stats.commit_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, records = batch.len(), "alarm journal commit failed; will retry");
                if let Ok(mut l) = stats.last_error.lock() {
                    *l = Some(e.to_string());
                }
                if !open {
                    tracing::error!(
                        records = batch.len(),
                        "alarm journal closing with records it could not write"
                    );
                    return;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// One journal line, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalRow {
    pub at: Timestamp,
    pub kind: EventKind,
    pub alarm: Option<String>,
    pub tag: Option<String>,
    pub priority: Option<Priority>,
    pub state: AlarmState,
    pub value: Option<String>,
    pub user: Option<String>,
    pub comment: String,
    pub message_en: Option<String>,
    pub message_es: Option<String>,
}

/// What to look for in the journal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JournalQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Case-insensitive words that must all appear in the alarm, tag, message, user or comment.
    pub text: String,
    pub limit: usize,
}

/// Newest first.
pub fn search(conn: &Connection, q: &JournalQuery) -> Result<Vec<JournalRow>, JournalError> {
    let mut sql = String::from(
        "SELECT t, kind, alarm, tag, priority, state, value, user, comment, message_en, message_es
         FROM journal WHERE t >= ?1 AND t <= ?2",
    );
    let words: Vec<String> = q
        .text
        .split_whitespace()
        .map(|w| format!("%{}%", w.replace('%', "\\%").replace('_', "\\_")))
        .collect();
    for i in 0..words.len() {
        let n = i + 3;
        sql.push_str(&format!(
            " AND (alarm LIKE ?{n} ESCAPE '\\' OR tag LIKE ?{n} ESCAPE '\\' OR message_en LIKE ?{n} ESCAPE '\\'
               OR message_es LIKE ?{n} ESCAPE '\\' OR user LIKE ?{n} ESCAPE '\\' OR comment LIKE ?{n} ESCAPE '\\'
               OR kind LIKE ?{n} ESCAPE '\\' OR priority LIKE ?{n} ESCAPE '\\')"
        ));
    }
    sql.push_str(&format!(" ORDER BY t DESC, id DESC LIMIT {}", q.limit.max(1)));
    let mut stmt = conn.prepare(&sql)?;
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(q.from.0), Box::new(q.to.0)];
    for w in words {
        args.push(Box::new(w));
    }
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter().map(|b| b.as_ref())), row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JournalRow> {
    let kind: String = r.get(1)?;
    let state: String = r.get(5)?;
    Ok(JournalRow {
        at: Timestamp(r.get(0)?),
        kind: EventKind::parse(&kind).unwrap_or(EventKind::Reconfigured),
        alarm: r.get(2)?,
        tag: r.get(3)?,
        priority: r.get::<_, Option<String>>(4)?.as_deref().and_then(Priority::parse),
        state: AlarmState::parse(&state).unwrap_or(AlarmState::Normal),
        value: r.get(6)?,
        user: r.get(7)?,
        comment: r.get(8)?,
        message_en: r.get(9)?,
        message_es: r.get(10)?,
    })
}

/// A journal line exactly as stored, with its number: what is forwarded to a central store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLine {
    pub id: i64,
    pub t: i64,
    pub kind: String,
    pub alarm: Option<String>,
    pub tag: Option<String>,
    pub priority: Option<String>,
    pub state: String,
    pub value: Option<String>,
    pub user: Option<String>,
    pub comment: String,
    pub message_en: Option<String>,
    pub message_es: Option<String>,
}

/// Up to `limit` lines after line `id`, oldest first.
pub fn lines_after(conn: &Connection, id: i64, limit: usize) -> Result<Vec<StoredLine>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, t, kind, alarm, tag, priority, state, value, user, comment, message_en, message_es
         FROM journal WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![id, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        Ok(StoredLine {
            id: r.get(0)?,
            t: r.get(1)?,
            kind: r.get(2)?,
            alarm: r.get(3)?,
            tag: r.get(4)?,
            priority: r.get(5)?,
            state: r.get(6)?,
            value: r.get(7)?,
            user: r.get(8)?,
            comment: r.get(9)?,
            message_en: r.get(10)?,
            message_es: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many lines follow line `id`.
pub fn count_after(conn: &Connection, id: i64) -> Result<u64, JournalError> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM journal WHERE id > ?1")?
        .query_row(params![id], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Annunciated activations (time, alarm, priority) in a window, oldest first: the input of every KPI.
pub fn activations(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(Timestamp, String, Priority)>, JournalError> {
    let mut stmt = conn.prepare(
        "SELECT t, alarm, priority FROM journal
         WHERE kind = 'activated' AND state = ?3 AND t >= ?1 AND t < ?2 ORDER BY t, id",
    )?;
    let rows = stmt.query_map(params![from.0, to.0, AlarmState::ActiveUnacked.code()], |r| {
        Ok((Timestamp(r.get(0)?), r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (t, a, p) = r?;
        out.push((t, a, Priority::parse(&p).unwrap_or(Priority::Low)));
    }
    Ok(out)
}

/// Points active now, with the time they became active (stale alarms are the old ones among them).
pub fn standing(conn: &Connection) -> Result<Vec<(String, Timestamp)>, JournalError> {
    let mut stmt = conn.prepare("SELECT alarm, since FROM alarm_state WHERE active = 1 ORDER BY since")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, Timestamp(r.get(1)?))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Time of the first and last journal record, if any.
pub fn span(conn: &Connection) -> Result<Option<(Timestamp, Timestamp)>, JournalError> {
    Ok(conn
        .query_row("SELECT MIN(t), MAX(t) FROM journal", [], |r| {
            Ok(match (r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?) {
                (Some(a), Some(b)) => Some((Timestamp(a), Timestamp(b))),
                _ => None,
            })
        })
        .optional()?
        .flatten())
}
