//! The database: schema, connection settings and the small reads both the writer and queries need.
//!
//! WAL with `synchronous = FULL`: a commit is on disk when it returns, a kill or power cut never corrupts
//! the file, and readers never wait for the writer (nor it for them). Tables:
//! - `tags`: the historian's own ids for tag names (a project's tag order may change; names do not).
//! - `chunks`: compressed samples of one tag, `t0..=t1`. `sealed = 0` rows are the small segments each
//!   commit appends; the writer merges them into one sealed chunk of a few thousand samples.
//! - `rollups`: 1 min and 1 h buckets (`res` = width in seconds), the newest one per tag still open.

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("history database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("history database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("history database {path} was written by a newer wellconsole (schema {found}, this one knows {known})")]
    Schema { path: String, found: i64, known: i64 },
    #[error("could not create the folder for {path}: {source}")]
    Folder { path: String, source: std::io::Error },
}

pub const SCHEMA_VERSION: i64 = 1;

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
    sealed INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_tag_end ON chunks (tag, t1);
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
    PRIMARY KEY (res, tag, t)
) WITHOUT ROWID;
";

/// Opens (creating if needed) the database for writing.
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
            path: path.display().to_string(),
            source,
        })?;
    }
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
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
