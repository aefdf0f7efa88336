//! Retention per resolution: raw chunks, 1 min and 1 h rollups each kept for their own time. Deletes run
//! in small slices between commits, so a first pass over years of data never stalls writes or queries.

use super::rollup::Resolution;
use rusqlite::{Connection, params};
use std::time::Duration;

/// What retention must not delete: history not forwarded to the central store yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    /// Blocks after this id are not forwarded.
    pub blocks_after: Option<i64>,
    /// Chunks from this id on wait for the backfill.
    pub chunks_from: Option<i64>,
    /// Rollup rows still queued for the forwarder (`forward_rollups`) are kept.
    pub queued_rollups: bool,
}

const DAY: Duration = Duration::from_secs(86_400);

/// How long each resolution is kept; `None` keeps it for ever.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    pub raw: Option<Duration>,
    pub minute: Option<Duration>,
    pub hour: Option<Duration>,
}

impl Default for Retention {
    /// Raw 90 days, 1 min rollups 2 years, 1 h rollups kept.
    fn default() -> Self {
        Self {
            raw: Some(DAY * 90),
            minute: Some(DAY * 730),
            hour: None,
        }
    }
}

impl Retention {
    /// Deletes up to `limit` expired rows of each kind as of `now_us`; returns how many went (0: done).
    pub fn apply_slice(&self, conn: &Connection, now_us: i64, limit: usize) -> Result<usize, rusqlite::Error> {
        self.apply_slice_keeping(conn, now_us, limit, Keep::default())
    }

    /// `apply_slice`, never deleting what `keep` says is not forwarded yet. Returns how many went.
    pub fn apply_slice_keeping(
        &self,
        conn: &Connection,
        now_us: i64,
        limit: usize,
        keep: Keep,
    ) -> Result<usize, rusqlite::Error> {
        let cutoff = |d: Duration| now_us.saturating_sub(i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let mut deleted = 0;
        if let Some(d) = self.raw {
            deleted += conn.execute(
                "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE t1 < ?1 AND id < ?3 LIMIT ?2)",
                params![cutoff(d), limit as i64, keep.chunks_from.unwrap_or(i64::MAX)],
            )?;
            // Blocks are sealed away within minutes while the writer runs; one this old was left by a
            // writer that stopped long ago, or waits to be forwarded.
            deleted += conn.execute(
                "DELETE FROM blocks WHERE id IN (SELECT id FROM blocks WHERE t1 < ?1 AND id <= ?3 LIMIT ?2)",
                params![cutoff(d), limit as i64, keep.blocks_after.unwrap_or(i64::MAX)],
            )?;
        }
        for (res, kept_for) in [(Resolution::Minute, self.minute), (Resolution::Hour, self.hour)] {
            if let Some(d) = kept_for {
                // The bucket must have ended before the cutoff.
                let sql = if keep.queued_rollups {
                    "DELETE FROM rollups WHERE res = ?1 AND (tag, t) IN
                       (SELECT r.tag, r.t FROM rollups r WHERE r.res = ?1 AND r.t + ?3 <= ?2
                          AND NOT EXISTS (SELECT 1 FROM forward_rollups o
                                          WHERE o.res = r.res AND o.tag = r.tag AND o.t = r.t)
                        LIMIT ?4)"
                } else {
                    "DELETE FROM rollups WHERE res = ?1 AND (tag, t) IN
                       (SELECT tag, t FROM rollups WHERE res = ?1 AND t + ?3 <= ?2 LIMIT ?4)"
                };
                deleted += conn.execute(sql, params![res.code(), cutoff(d), res.bucket_us(), limit as i64])?;
            }
        }
        Ok(deleted)
    }

    /// Samples (blocks, backfill chunks) past raw retention that are kept only because they are not
    /// forwarded yet: the console warns, since the disk, not the setting, now bounds history.
    pub fn held_back(&self, conn: &Connection, now_us: i64, keep: Keep) -> Result<u64, rusqlite::Error> {
        let Some(d) = self.raw else { return Ok(0) };
        let cutoff = now_us.saturating_sub(i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let n: i64 = conn.query_row(
            "SELECT (SELECT COALESCE(SUM(n), 0) FROM blocks WHERE t1 < ?1 AND id > ?2)
                  + (SELECT COALESCE(SUM(n), 0) FROM chunks WHERE t1 < ?1 AND id >= ?3)",
            params![
                cutoff,
                keep.blocks_after.unwrap_or(i64::MAX),
                keep.chunks_from.unwrap_or(i64::MAX)
            ],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
