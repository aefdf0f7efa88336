//! The writer thread's loop and its commits: takes batches off the queue, filters them per tag, keeps
//! each tag's open chunk and rollup buckets, and writes everything of the last second in one
//! transaction (new samples in one appended block, chunks sealed and rollup rows within their budgets,
//! compression on every core outside the transaction). Runs retention a slice per commit.
//! What happens when a commit fails, at reopen and at stop is `recovery`'s; this file only calls it.
//! Only this thread writes the database; nothing here talks to the hub.

use super::recovery::Failing;
use super::{HistorianStats, Msg, STOP_WITHIN, rollup_value};
use crate::historian::block;
use crate::historian::codec::{Chunk, StoredQuality};
use crate::historian::filter::{Filter, HistSample};
use crate::historian::forward_log;
use crate::historian::retention::{Keep, Retention};
use crate::historian::rollup::{Accumulator, Bucket, Resolution};
use crate::tag::{Timestamp, ValueKind};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use rusqlite::{Connection, params};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Samples buffered before a commit is forced, whatever the interval.
const MAX_BUFFERED: usize = 500_000;
/// How long a retention pass may run between commits.
const RETENTION_SLICE: usize = 2_000;
const RETENTION_EVERY: Duration = Duration::from_secs(600);

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

/// One rollup resolution of one tag: its open bucket and the closed ones not written yet.
pub(super) struct RollupState {
    pub(super) res: Resolution,
    pub(super) acc: Accumulator,
    /// Closed buckets not written yet, oldest first.
    pub(super) closed: std::collections::VecDeque<Bucket>,
    /// The open bucket changed since its last checkpoint.
    pub(super) open_dirty: bool,
}

/// One tag's in-memory state on the writer thread.
pub(super) struct TagState {
    pub(super) id: i64,
    pub(super) kind: ValueKind,
    pub(super) filter: Filter,
    /// Samples since the last sealed chunk; `committed` of them are already in blocks.
    pub(super) pending: Chunk,
    pub(super) committed: usize,
    /// The oldest block holding a committed sample of `pending`.
    pub(super) first_block: Option<i64>,
    pub(super) last_ts: Option<i64>,
    /// The last reading taken as its source gave it (time before any nudge, value, quality).
    pub(super) last_source: Option<(i64, Option<crate::tag::Value>, StoredQuality)>,
    pub(super) last_quality: Option<StoredQuality>,
    pub(super) rollups: Vec<RollupState>,
    pub(super) dirty: bool,
}

/// What one commit writes beyond the segments, decided before the transaction and applied after it.
#[derive(Default)]
struct Plan {
    seals: Vec<usize>,
    /// (tag, rollup, closed buckets written, open bucket checkpointed)
    rollups: Vec<(usize, usize, usize, bool)>,
}

/// Everything the writer thread holds between commits. Built (and rebuilt after a restart) by
/// `recovery`'s `load`.
pub(super) struct WriterState {
    pub(super) conn: Connection,
    pub(super) tags: Vec<TagState>,
    pub(super) seal_samples: usize,
    pub(super) commit_every: Duration,
    pub(super) retention: Retention,
    /// Samples stored in memory since the last commit (the backlog while commits fail).
    pub(super) buffered: usize,
    pub(super) max_backlog: usize,
    /// Scratch for what a filter lets through, kept to spare an allocation per sample.
    pub(super) filtered: Vec<HistSample>,
    pub(super) commits: u64,
    pub(super) last_block: i64,
    /// Set while commits fail (full or failing disk).
    pub(super) failing: Option<Failing>,
    /// Forwarding to a central store is on: blocks and chunks wait until they are sent.
    pub(super) forward: bool,
}

/// What retention must keep for the forwarder.
fn forward_keep(conn: &Connection) -> Result<Keep, rusqlite::Error> {
    Ok(Keep {
        blocks_after: forward_log::samples_pos(conn)?,
        chunks_from: forward_log::chunks_pending_from(conn)?,
        queued_rollups: true,
    })
}

impl WriterState {
    pub(super) fn run(&mut self, rx: Receiver<Msg>, stats: &HistorianStats, deadline: &std::sync::OnceLock<Instant>) {
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
                    retention_busy = self.retention_slice(stats);
                }
            }
        }
    }

    /// One slice of retention (a long delete never holds up the next second's data); whether there is more.
    /// While forwarding, what the central store has not got yet is kept, and said when that holds back
    /// history past its retention.
    fn retention_slice(&mut self, stats: &HistorianStats) -> bool {
        let now = Timestamp::now().0;
        let keep = if self.forward {
            match forward_keep(&self.conn) {
                Ok(k) => k,
                Err(e) => {
                    tracing::error!(error = %e, "history retention skipped: forwarding position unreadable");
                    return false;
                }
            }
        } else {
            Keep::default()
        };
        match self
            .retention
            .apply_slice_keeping(&self.conn, now, RETENTION_SLICE, keep)
        {
            Ok(0) => {
                self.check_disk(stats);
                if self.forward {
                    let held = self.retention.held_back(&self.conn, now, keep).unwrap_or(0);
                    stats.held_for_forward.store(held, Ordering::Relaxed);
                    if held > 0 {
                        tracing::warn!(
                            samples = held,
                            "history past its retention is kept because the central store has not got it yet; the disk, not raw_days, now bounds the history"
                        );
                    }
                }
                false
            }
            Ok(_) => true,
            Err(e) => {
                tracing::error!(error = %e, "history retention failed");
                false
            }
        }
    }

    /// Notes whether the disk holding history is nearly full, and says so once when it becomes so: with
    /// history held for the central store, retention can no longer make room.
    fn check_disk(&self, stats: &HistorianStats) {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return;
        };
        let Some((free, total)) = crate::records::disk_space(std::path::Path::new(path)) else {
            return;
        };
        let low = crate::records::disk_low(free, total);
        if low && !stats.disk_low.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                free_mib = free >> 20,
                held_for_central_store = stats.held_for_forward.load(Ordering::Relaxed),
                "the disk holding history is nearly full: when it is full, new history is not stored"
            );
        } else if !low {
            stats.disk_low.store(false, Ordering::Relaxed);
        }
    }

    pub(super) fn ingest(&mut self, i: usize, mut s: HistSample, recv: i64, stats: &HistorianStats) {
        let Some(tag) = self.tags.get(i) else { return };
        if let Some((ts, v, q)) = &tag.last_source
            && *ts == s.ts
            && *q == s.quality
            && *v == s.value
        {
            // The same reading delivered again (a retained MQTT message, a notification sent twice): one
            // reading, stored once.
            stats.out_of_order.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let source = (s.ts, s.value.clone(), s.quality);
        // A reading at the same source time as the one before it is not older (`store` stores it a
        // microsecond after).
        if let Some(last) = tag.last_ts
            && s.ts < last
            && tag.last_source.as_ref().map(|l| l.0) != Some(s.ts)
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
        self.tags[i].last_source = Some(source);
        let mut out = std::mem::take(&mut self.filtered);
        self.tags[i].filter.offer(s, &mut out);
        for s in out.drain(..) {
            self.store(i, s, stats);
        }
        self.filtered = out;
    }

    /// Takes one filtered sample into its tag's open chunk and rollups, until the next commit.
    pub(super) fn store(&mut self, i: usize, mut s: HistSample, stats: &HistorianStats) {
        if self.backlog_full() {
            stats.samples_lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let tag = &mut self.tags[i];
        if let Some(last) = tag.last_ts
            && s.ts <= last
        {
            // Two readings at one time (a coarse source clock, a change stamped when the hub saw it, a
            // sample a filter held back): the later one is stored a microsecond after, so a tag's times
            // are strictly increasing and (tag, time) names one sample wherever history is copied to.
            s.ts = last + 1;
        }
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
    pub(super) fn commit(&mut self, stats: &HistorianStats, final_commit: bool) -> bool {
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
                self.saving_again(stats);
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
                self.commit_failed(e, stats);
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
                    .execute(params![t0, t1, n as i64, block::encode(parts)])?;
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
            // While forwarding, a block also waits until the central store has it; the first block holding
            // an unsealed sample is noted, so a restart reads from there and not every block kept.
            let oldest_needed = if self.forward {
                forward_log::set_unsealed_from(&tx, oldest_needed)?;
                match forward_log::samples_pos(&tx)? {
                    Some(pos) => oldest_needed.min(pos + 1),
                    None => oldest_needed,
                }
            } else {
                oldest_needed
            };
            // In slices: after a long outage, a day of blocks becomes deletable at once, and one commit
            // must not stop for that.
            tx.prepare_cached(
                "DELETE FROM blocks WHERE id IN (SELECT id FROM blocks WHERE id < ?1 ORDER BY id LIMIT 256)",
            )?
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
