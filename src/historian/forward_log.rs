//! The history database's side of forwarding to a central store: where forwarding has got to, what is
//! still to send, and reading it in commit order. The forward room sends; this module only knows the local
//! layout (blocks, chunks, rollups) and must not talk to the network.
//!
//! Streams and their positions (`forward_cursor`):
//! - `samples`: the last block forwarded. Blocks are appended one per commit with ids never reused, so
//!   "blocks after the position" is every sample committed since, in commit order, whatever the samples'
//!   own timestamps (a device that sends an hour of stored readings late is still forwarded). While
//!   forwarding is on, the writer keeps blocks until they are forwarded (`samples_pos`), even once sealed.
//! - `chunks` (`pos`..=`until`): sealed chunks whose blocks were deleted before forwarding was turned
//!   on, or while it was off. Sent once; where they overlap blocks still kept, the central store's keys
//!   (tag, time) make the second copy a no-op.
//! - `forward_rollups`: an outbox filled by a trigger on every rollup row written (closed buckets and
//!   checkpoints of open ones); forwarded rows are deleted from it, so it is its own position.
//! - `forward_records`: the digest of each job and well test as last sent; a record whose document
//!   differs (it changed since, or was never sent) is sent again whole.

use super::block;
use super::codec::{Chunk, CodecError, StoredQuality};
use crate::tag::Value;
use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS forward_cursor(stream TEXT PRIMARY KEY, pos INTEGER NOT NULL, until INTEGER);
CREATE TABLE IF NOT EXISTS forward_rollups(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    res INTEGER NOT NULL,
    tag INTEGER NOT NULL,
    t INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS forward_rollups_row ON forward_rollups(res, tag, t);
CREATE TRIGGER IF NOT EXISTS forward_rollups_log AFTER INSERT ON rollups
    BEGIN INSERT INTO forward_rollups(res, tag, t) VALUES (NEW.res, NEW.tag, NEW.t); END;
CREATE TABLE IF NOT EXISTS forward_records(kind TEXT NOT NULL, id INTEGER NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (kind, id)) WITHOUT ROWID;
";

#[derive(Debug, thiserror::Error)]
pub enum ForwardLogError {
    #[error("history database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("a stored block or chunk is unreadable: {0}")]
    Codec(#[from] CodecError),
    #[error("history database has no forwarding position: forwarding is not on in this console's historian")]
    NotEnabled,
}

/// Turns forwarding on in the writer's database (its own connection, before its thread starts): the
/// position table and the rollup outbox. A database that has never forwarded, or that ran without
/// forwarding since (its blocks deleted past the position), gets the chunks it can no longer send as
/// blocks queued for the `chunks` stream.
pub fn enable(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch(SCHEMA)?;
    // Rollup rows written while forwarding was off (the hour before, for the bucket open then) are
    // queued; the central upsert keeps whichever copy counts more samples.
    if let Some((off_since, _)) = cursor(conn, "rollups_off")? {
        conn.execute(
            "INSERT INTO forward_rollups(res, tag, t) SELECT res, tag, t FROM rollups WHERE t >= ?1",
            params![off_since - 3_600_000_000],
        )?;
        conn.execute("DELETE FROM forward_cursor WHERE stream = 'rollups_off'", [])?;
    }
    // This database's identity in the central store: another machine sending under the same console
    // name is refused rather than merged.
    conn.execute(
        "INSERT OR IGNORE INTO forward_cursor(stream, pos) VALUES ('instance', ?1)",
        params![rand::random::<i64>()],
    )?;
    let first_block: Option<i64> = conn.query_row("SELECT MIN(id) FROM blocks", [], |r| r.get(0))?;
    let last_issued: i64 = conn
        .query_row("SELECT seq FROM sqlite_sequence WHERE name = 'blocks'", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(0);
    // Every block before this one is gone (or was never written).
    let kept_from = first_block.unwrap_or(last_issued + 1);
    let pos = cursor(conn, "samples")?.map(|c| c.0);
    if pos.is_some_and(|p| p + 1 >= kept_from) {
        return Ok(());
    }
    // Chunks holding samples of blocks after `pos` (all of them when nothing was ever forwarded).
    let from: Option<i64> = conn.query_row(
        "SELECT MIN(id) FROM chunks WHERE upto_block > ?1",
        params![pos.unwrap_or(0)],
        |r| r.get(0),
    )?;
    let until: Option<i64> = conn.query_row("SELECT MAX(id) FROM chunks", [], |r| r.get(0))?;
    let tx = conn.unchecked_transaction()?;
    if let (Some(from), Some(until)) = (from, until) {
        // Widen a backfill still under way rather than replace it.
        let from = match cursor(&tx, "chunks")? {
            Some((p, Some(u))) if p <= u => p.min(from),
            _ => from,
        };
        set_cursor(&tx, "chunks", from, Some(until))?;
    }
    set_cursor(&tx, "samples", kept_from - 1, None)?;
    tx.commit()?;
    if pos.is_some() {
        tracing::warn!(
            "history: blocks were deleted while forwarding was off; their samples are sent again from sealed chunks"
        );
    }
    Ok(())
}

/// Turns forwarding off: the outbox stops filling (it would grow for nobody). What it holds and the
/// positions stay, so turning forwarding on again sends what was missed.
pub fn disable(conn: &Connection) -> Result<(), rusqlite::Error> {
    let had_trigger = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'forward_rollups_log'")?
        .exists([])?;
    if had_trigger {
        // Together: a crash between the two must not lose the note of when the outbox stopped filling.
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch("DROP TRIGGER forward_rollups_log;")?;
        set_cursor(&tx, "rollups_off", crate::tag::Timestamp::now().0, None)?;
        tx.commit()?;
    }
    Ok(())
}

/// This history database's identity (made by `enable`), as sent to the central store.
pub fn instance(conn: &Connection) -> Result<String, ForwardLogError> {
    let id = cursor(conn, "instance")?.ok_or(ForwardLogError::NotEnabled)?.0;
    Ok(format!("{:016x}", id as u64))
}

fn cursor(conn: &Connection, stream: &str) -> Result<Option<(i64, Option<i64>)>, rusqlite::Error> {
    let has_table: bool = conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'forward_cursor'")?
        .exists([])?;
    if !has_table {
        return Ok(None);
    }
    conn.prepare_cached("SELECT pos, until FROM forward_cursor WHERE stream = ?1")?
        .query_row(params![stream], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

fn set_cursor(conn: &Connection, stream: &str, pos: i64, until: Option<i64>) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO forward_cursor(stream, pos, until) VALUES (?1, ?2, ?3)
         ON CONFLICT(stream) DO UPDATE SET pos = excluded.pos, until = excluded.until",
    )?
    .execute(params![stream, pos, until])?;
    Ok(())
}

/// The last block forwarded; `None` while forwarding is off. The writer keeps every block after it.
pub fn samples_pos(conn: &Connection) -> Result<Option<i64>, rusqlite::Error> {
    Ok(cursor(conn, "samples")?.map(|c| c.0))
}

/// Notes the first block holding a sample not sealed into its tag's chunk (the writer, each commit).
pub fn set_unsealed_from(conn: &Connection, block: i64) -> Result<(), rusqlite::Error> {
    set_cursor(conn, "unsealed_from", block, None)
}

/// The first block a restarted writer must read for unsealed samples (`None`: not noted).
pub fn unsealed_from(conn: &Connection) -> Result<Option<i64>, rusqlite::Error> {
    Ok(cursor(conn, "unsealed_from")?.map(|c| c.0))
}

/// The first chunk the backfill still has to send (`None`: no backfill pending). Retention keeps it
/// and every chunk after it.
pub fn chunks_pending_from(conn: &Connection) -> Result<Option<i64>, rusqlite::Error> {
    Ok(match cursor(conn, "chunks")? {
        Some((p, Some(u))) if p <= u => Some(p),
        _ => None,
    })
}

/// The position of a stream kept by the forwarder alone (the alarm journal's and audit trail's last
/// record sent); 0 before the first.
pub fn position(conn: &Connection, stream: &str) -> Result<i64, rusqlite::Error> {
    Ok(cursor(conn, stream)?.map_or(0, |c| c.0))
}

/// Records a stream's position (never moving it back).
pub fn set_position(conn: &Connection, stream: &str, pos: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO forward_cursor(stream, pos) VALUES (?1, ?2)
         ON CONFLICT(stream) DO UPDATE SET pos = MAX(pos, excluded.pos)",
    )?
    .execute(params![stream, pos])?;
    Ok(())
}

/// One sample as forwarded: the historian's tag id, time, value and quality exactly as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub tag: i64,
    pub ts: i64,
    pub value: Option<Value>,
    pub quality: StoredQuality,
}

/// A tag's next time as forwarded: history written before times were kept strictly increasing may hold
/// two samples at one time; the later is sent a microsecond after, as the writer stores them now (and as
/// `forward verify` reads them).
pub fn strictly_after(prev: Option<i64>, ts: i64) -> i64 {
    match prev {
        Some(p) if ts <= p => p + 1,
        _ => ts,
    }
}

fn push_chunk(tag: i64, data: &[u8], out: &mut Vec<Row>) -> Result<(), CodecError> {
    let c = Chunk::decode(data)?;
    out.reserve(c.len());
    let mut prev = None;
    for i in 0..c.len() {
        let quality = c.quality_at(i);
        let ts = strictly_after(prev, c.ts[i]);
        prev = Some(ts);
        out.push(Row {
            tag,
            ts,
            value: quality.has_value.then(|| c.values.value_at(i)),
            quality,
        });
    }
    Ok(())
}

/// What one read of a stream gives: rows, and the position to record once they are safely sent.
#[derive(Debug)]
pub struct Batch<T> {
    pub rows: Vec<T>,
    pub next_pos: i64,
}

impl<T> Batch<T> {
    fn empty(next_pos: i64) -> Self {
        Self {
            rows: Vec::new(),
            next_pos,
        }
    }
}

/// The samples of blocks after the `samples` position, whole blocks until `max` samples (at least one
/// block), oldest first.
pub fn read_samples(conn: &Connection, max: usize) -> Result<Batch<Row>, ForwardLogError> {
    let pos = samples_pos(conn)?.ok_or(ForwardLogError::NotEnabled)?;
    let mut out = Batch::empty(pos);
    let mut stmt = conn.prepare_cached("SELECT id, data FROM blocks WHERE id > ?1 ORDER BY id")?;
    let mut rows = stmt.query(params![pos])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let data = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        // What cannot be read here cannot be read by the console either (recovery and queries skip it
        // the same way): said, and stepped over, so one damaged block never stops forwarding for good.
        match block::entries(data) {
            Ok(entries) => {
                for e in entries {
                    if let Err(err) = block::part(data, &e).and_then(|p| push_chunk(e.tag, p, &mut out.rows)) {
                        tracing::error!(block = id, tag = e.tag, error = %err, "unreadable part of a history block not forwarded");
                    }
                }
            }
            Err(err) => tracing::error!(block = id, error = %err, "unreadable history block not forwarded"),
        }
        out.next_pos = id;
        if out.rows.len() >= max {
            break;
        }
    }
    Ok(out)
}

/// The backfill's next chunks (whole chunks until `max` samples), oldest first; empty when none is pending.
pub fn read_chunks(conn: &Connection, max: usize) -> Result<Batch<Row>, ForwardLogError> {
    let (pos, until) = match cursor(conn, "chunks")? {
        Some((p, Some(u))) if p <= u => (p, u),
        _ => return Ok(Batch::empty(0)),
    };
    let mut out = Batch::empty(pos);
    let mut stmt = conn.prepare_cached("SELECT id, tag, data FROM chunks WHERE id >= ?1 AND id <= ?2 ORDER BY id")?;
    let mut rows = stmt.query(params![pos, until])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        push_chunk(
            r.get(1)?,
            r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?,
            &mut out.rows,
        )?;
        out.next_pos = id + 1;
        if out.rows.len() >= max {
            break;
        }
    }
    if out.rows.is_empty() {
        // Nothing left in range (retention took the rest): the backfill is over.
        out.next_pos = until + 1;
    }
    Ok(out)
}

/// Records that samples up to block `pos` are in the central store.
pub fn samples_sent(conn: &Connection, pos: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("UPDATE forward_cursor SET pos = MAX(pos, ?1) WHERE stream = 'samples'")?
        .execute(params![pos])?;
    Ok(())
}

/// Records that the backfill sent every chunk before `next`.
pub fn chunks_sent(conn: &Connection, next: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("UPDATE forward_cursor SET pos = MAX(pos, ?1) WHERE stream = 'chunks'")?
        .execute(params![next])?;
    Ok(())
}

/// A rollup bucket as forwarded (`res`: width in seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct RollupRow {
    pub res: i64,
    pub tag: i64,
    pub t: i64,
    pub n: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub sum: f64,
    pub integral: f64,
    pub covered_us: i64,
    pub closed: bool,
}

/// The rollup rows written since they were last forwarded, each once (as it is now), up to `max`
/// outbox entries; `next_pos` is the last outbox entry read.
pub fn read_rollups(conn: &Connection, max: usize) -> Result<Batch<RollupRow>, ForwardLogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, r.res, r.tag, r.t, r.n, r.min, r.max, r.sum, r.integral, r.covered_us, r.closed
         FROM (SELECT id, res, tag, t FROM forward_rollups ORDER BY id LIMIT ?1) o
         LEFT JOIN rollups r ON r.res = o.res AND r.tag = o.tag AND r.t = o.t ORDER BY o.id",
    )?;
    let mut rows = stmt.query(params![i64::try_from(max).unwrap_or(i64::MAX)])?;
    let mut out = Batch::empty(0);
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = rows.next()? {
        out.next_pos = r.get(0)?;
        // A row deleted since (retention) has nothing left to send.
        let Some(res) = r.get::<_, Option<i64>>(1)? else {
            continue;
        };
        let (tag, t): (i64, i64) = (r.get(2)?, r.get(3)?);
        if !seen.insert((res, tag, t)) {
            continue;
        }
        out.rows.push(RollupRow {
            res,
            tag,
            t,
            n: r.get(4)?,
            min: r.get(5)?,
            max: r.get(6)?,
            sum: r.get(7)?,
            integral: r.get(8)?,
            covered_us: r.get(9)?,
            closed: r.get::<_, i64>(10)? != 0,
        });
    }
    Ok(out)
}

/// Drops outbox entries up to `pos` (they are in the central store).
pub fn rollups_sent(conn: &Connection, pos: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM forward_rollups WHERE id <= ?1")?
        .execute(params![pos])?;
    Ok(())
}

/// What is still to send, for the status bar and `forward status`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    /// Samples committed locally and not forwarded yet (blocks and backfill chunks).
    pub samples: u64,
    /// The oldest of them (µs); `None` when nothing waits.
    pub oldest_us: Option<i64>,
    pub rollups: u64,
}

pub fn backlog(conn: &Connection) -> Result<Backlog, ForwardLogError> {
    let pos = samples_pos(conn)?.ok_or(ForwardLogError::NotEnabled)?;
    let (mut samples, mut oldest): (i64, Option<i64>) = conn
        .prepare_cached("SELECT COALESCE(SUM(n), 0), MIN(t0) FROM blocks WHERE id > ?1")?
        .query_row(params![pos], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if let Some((p, Some(u))) = cursor(conn, "chunks")?.filter(|c| c.1.is_some_and(|u| c.0 <= u)) {
        let (n, t0): (i64, Option<i64>) = conn
            .prepare_cached("SELECT COALESCE(SUM(n), 0), MIN(t0) FROM chunks WHERE id >= ?1 AND id <= ?2")?
            .query_row(params![p, u], |r| Ok((r.get(0)?, r.get(1)?)))?;
        samples += n;
        oldest = match (oldest, t0) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let rollups: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM forward_rollups")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    Ok(Backlog {
        samples: u64::try_from(samples).unwrap_or(0),
        oldest_us: oldest,
        rollups: u64::try_from(rollups).unwrap_or(0),
    })
}

/// The historian's tags: (id, name, kind, unit).
pub fn tags(conn: &Connection) -> Result<Vec<(i64, String, String, String)>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached("SELECT id, name, kind, unit FROM tags ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// The digests of the `kind` records (jobs, well tests) as last sent, by record id.
pub fn sent_digests(conn: &Connection, kind: &str) -> Result<std::collections::HashMap<i64, String>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached("SELECT id, digest FROM forward_records WHERE kind = ?1")?;
    let rows = stmt.query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Records that record `id` of `kind` was sent as `digest`.
pub fn record_sent(conn: &Connection, kind: &str, id: i64, digest: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO forward_records(kind, id, digest) VALUES (?1, ?2, ?3)
         ON CONFLICT(kind, id) DO UPDATE SET digest = excluded.digest",
    )?
    .execute(params![kind, id, digest])?;
    Ok(())
}

/// Forgets record `id` of `kind` (deleted locally, and from the central store).
pub fn record_forgotten(conn: &Connection, kind: &str, id: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM forward_records WHERE kind = ?1 AND id = ?2")?
        .execute(params![kind, id])?;
    Ok(())
}
