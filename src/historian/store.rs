//! The database: schema, connection settings and the small reads both the writer and queries need.
//!
//! WAL with `synchronous = FULL`: a commit is on disk when it returns, a kill or power cut never corrupts
//! the file, and readers never wait for the writer (nor it for them). Tables:
//! - `tags`: the historian's own ids for tag names (a project's tag order may change; names do not).
//! - `blocks`: one row per commit with every tag's new samples (see `block`), so a commit appends one
//!   row however many tags there are. A block is deleted once every tag in it has sealed those samples.
//!   Block ids are never reused (AUTOINCREMENT): chunks name the last block they include.
//! - `chunks`: a tag's samples sealed into one compressed chunk of a few thousand, `t0..=t1`;
//!   `upto_block`: the blocks up to this id hold nothing of the tag that is not sealed.
//! - `rollups`: 1 min and 1 h buckets (`res` = width in seconds). Closed buckets, and checkpoints of the
//!   open one every few seconds; `upto` is the last sample counted, so a restart replays what followed.

use super::rollup::Bucket;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("history database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("history database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(
        "history database {path} has layout {found}; this wellconsole reads layout {known}: move the file away (or point --history-db elsewhere) to start a new one"
    )]
    Schema { path: String, found: i64, known: i64 },
    #[error("could not create the folder for {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("could not start the historian's threads: {0}")]
    Thread(std::io::Error),
}

/// 1 was a development layout (per-tag segments) that no release wrote.
pub const SCHEMA_VERSION: i64 = 2;

/// The block after which `tag`'s samples are not sealed yet (0: none sealed).
pub fn sealed_upto(conn: &Connection, tag: i64) -> Result<i64, rusqlite::Error> {
    Ok(conn
        .prepare_cached("SELECT upto_block FROM chunks WHERE tag = ?1 ORDER BY t1 DESC, id DESC LIMIT 1")?
        .query_row(params![tag], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// A `rollups` row (columns t, n, min, max, sum, integral, covered_us, hold_t, hold_v, upto) as a bucket.
pub(super) fn bucket_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Bucket> {
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
        last_t: r.get(9)?,
    })
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    tag INTEGER NOT NULL,
    t0 INTEGER NOT NULL,
    t1 INTEGER NOT NULL,
    n INTEGER NOT NULL,
    upto_block INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_tag_end ON chunks (tag, t1);
CREATE TABLE IF NOT EXISTS blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    t0 INTEGER NOT NULL,
    t1 INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rollups (
    res INTEGER NOT NULL,
    tag INTEGER NOT NULL,
    t INTEGER NOT NULL,
    n INTEGER NOT NULL,
    min REAL,
    max REAL,
    sum REAL NOT NULL,
    integral REAL NOT NULL,
    covered_us INTEGER NOT NULL,
    hold_t INTEGER,
    hold_v REAL,
    upto INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    PRIMARY KEY (res, tag, t)
) WITHOUT ROWID;
";

/// Opens (creating if needed) the database for writing.
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::records::create_private_dir(dir).map_err(|source| StoreError::Folder {
            path: path.display().to_string(),
            source,
        })?;
    }
    // Created 0600 before SQLite opens it (it gives the -wal and -shm files the same mode): history is
    // the site's record too. A failure shows up as the open's own error below.
    let _ = crate::records::create_private(path);
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoints run on a thread of their own (`checkpointer`): copying the log into the database
    // must not stretch the commits that make data durable.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found != 0 && found != SCHEMA_VERSION {
        return Err(StoreError::Schema {
            path: path.display().to_string(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(conn)
}

/// Opens an existing database for queries; never writes.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// The historian id of a tag name, if it was ever stored.
pub fn tag_id(conn: &Connection, name: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row(params![name], |r| r.get(0))
        .optional()?)
}

/// Copies committed log pages into the database every `every`, on its own connection, until `stop`
/// is dropped; then truncates the log. Readers and the writer are never blocked by it.
pub fn checkpointer(path: &Path, every: Duration, stop: crossbeam_channel::Receiver<()>) {
    let conn = match Connection::open(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "history checkpoints disabled; the log will grow until restart");
            return;
        }
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    // Four times a second behind a full disk would be 14,400 lines an hour: the first failure, then a
    // line a minute while it lasts, then the recovery.
    let mut failing: Option<(std::time::Instant, u64)> = None;
    let mut run = |mode: &str| match conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
        Ok(()) => {
            if let Some((since, n)) = failing.take() {
                tracing::warn!(
                    after_s = since.elapsed().as_secs(),
                    failures = n,
                    "history checkpoints working again"
                );
            }
        }
        Err(e) => match &mut failing {
            None => {
                tracing::warn!(error = %e, mode, "history checkpoint failed; retrying quietly");
                failing = Some((std::time::Instant::now(), 1));
            }
            Some((since, n)) => {
                *n += 1;
                if (*n).is_multiple_of(240) {
                    tracing::warn!(error = %e, failing_s = since.elapsed().as_secs(), failures = *n, "history checkpoints still failing");
                }
            }
        },
    };
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        run("PASSIVE");
    }
    run("TRUNCATE");
}
