//! Opening the site's record databases (alarm journal, audit trail, users): one place for how they are
//! opened — parent folder created, WAL so readers never block the writer, `synchronous = FULL` so a
//! committed record survives a power cut, a busy timeout for the moments two connections meet, and the
//! schema. The historian opens its own file (it tunes checkpoints for its write rate).

use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

pub fn open(path: &Path, schema: &str) -> rusqlite::Result<Connection> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        // A failure shows up as the open's own error just below, with the path.
        let _ = std::fs::create_dir_all(dir);
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(schema)?;
    Ok(conn)
}
