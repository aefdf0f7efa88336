//! What the writer does when things went or go wrong: reopening the database after a crash or a stop
//! (each tag's unsealed samples continue its open chunk, rollups are replayed from raw samples since their
//! last checkpoint), commits that fail (a full or failing disk: retries spaced out, a bounded backlog,
//! one log line when it starts, a summary a minute, one when saving works again), and a stop that must end
//! in time (what could not be saved is counted and said once, never waited on for ever).
//! The normal path (filtering, planning and writing a commit) is `commit`'s; nothing here talks to the hub.

use super::commit::{RollupState, TagState, WriterState};
use super::{HistorianConfig, HistorianStats, Msg, WriterTag, kind_label, rollup_value};
use crate::historian::block;
use crate::historian::codec::Chunk;
use crate::historian::filter::Filter;
use crate::historian::query::History;
use crate::historian::rollup::{Accumulator, Bucket, Resolution};
use crate::historian::store::{self, StoreError};
use crate::tag::Timestamp;
use crossbeam_channel::Receiver;
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// While commits fail, the next attempt waits at most this long (doubling from `commit_every`).
const RETRY_AT_MOST: Duration = Duration::from_secs(10);
/// While commits fail, one summary line this often (the first failure and the recovery are logged too).
const FAILING_SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// A stretch of failed commits: when it began, how the retries are spaced, what was logged.
pub(super) struct Failing {
    since: Instant,
    attempts: u32,
    next_summary: Instant,
    lost_at_start: u64,
}

impl WriterState {
    /// Opens the writer's state on the database as the last run left it (errors here, not later).
    pub(super) fn load(conn: Connection, cfg: &HistorianConfig, tags: &[WriterTag]) -> Result<Self, StoreError> {
        if cfg.forward {
            crate::historian::forward_log::enable(&conn)?;
        } else {
            crate::historian::forward_log::disable(&conn)?;
        }
        let mut states = Vec::with_capacity(tags.len());
        let mut replay_from = Vec::with_capacity(tags.len());
        for t in tags {
            conn.execute(
                "INSERT INTO tags (name, kind, unit) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, unit = excluded.unit",
                params![t.name, kind_label(t.kind), t.unit],
            )?;
            // Just inserted or updated, so present; a row that vanished reads as SQLite's "no rows".
            let id = store::tag_id(&conn, &t.name)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
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
                last_source: None,
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
        let mut from_block = sealed_upto.iter().copied().min().unwrap_or(0);
        // Blocks kept only for the forwarder hold nothing unsealed: start at the first that does.
        if cfg.forward
            && let Some(b) = crate::historian::forward_log::unsealed_from(&conn)?
        {
            from_block = from_block.max(b - 1);
        }
        let mut last_block: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM blocks", [], |r| r.get(0))?;
        last_block = last_block.max(sealed_upto.iter().copied().max().unwrap_or(0));
        {
            let mut stmt = conn.prepare("SELECT id, data FROM blocks WHERE id > ?1 ORDER BY id")?;
            let mut rows = stmt.query(params![from_block])?;
            while let Some(row) = rows.next()? {
                let (block_id, data): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
                let entries = match block::entries(&data) {
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
                    let part = block::part(&data, &e).and_then(Chunk::decode);
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
                let q = st.pending.quality_at(st.pending.len() - 1);
                st.last_quality = Some(q);
                // A reading delivered again after the restart (a retained MQTT message) is the one stored.
                let v = q.has_value.then(|| st.pending.values.value_at(st.pending.len() - 1));
                st.last_source = Some((t, v, q));
            }
        }
        // Rollups are checkpointed every minute or so, raw samples every commit: after a crash or a stop,
        // the samples since each checkpoint are replayed into their buckets.
        let history = History::open(&cfg.path).ok();
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
            forward: cfg.forward,
        })
    }

    /// At stop: takes in what is queued (until `by`), stores what filters held back, and commits until it
    /// works or `by` passes; whatever is still not committed is counted as lost and said once.
    pub(super) fn finish(&mut self, rx: &Receiver<Msg>, stats: &HistorianStats, by: Instant) {
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
    pub(super) fn retry_after(&self) -> Duration {
        match &self.failing {
            None => self.commit_every,
            Some(f) => (self.commit_every * 2u32.saturating_pow(f.attempts.min(8))).min(RETRY_AT_MOST),
        }
    }

    /// Whether a new sample must be counted as lost rather than kept: only while commits fail, with the
    /// backlog at `max_backlog`. Healthy, a commit comes at `MAX_BUFFERED` anyway; the cap is for a disk
    /// that takes nothing. Memory is bounded: behind a failing disk the newest samples are counted, not
    /// kept (what is kept stays consistent with its rollups and is written when the disk returns).
    pub(super) fn backlog_full(&self) -> bool {
        self.failing.is_some() && self.buffered >= self.max_backlog
    }

    /// A commit failed: the first failure of a stretch is logged at once, then one summary a minute.
    pub(super) fn commit_failed(&mut self, e: rusqlite::Error, stats: &HistorianStats) {
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
    }

    /// A commit worked: if commits had been failing, says so (how long, how much was lost) once.
    pub(super) fn saving_again(&mut self, stats: &HistorianStats) {
        if let Some(f) = self.failing.take() {
            stats.failing_since_us.store(0, Ordering::Relaxed);
            tracing::warn!(
                after_s = f.since.elapsed().as_secs(),
                lost = stats.samples_lost.load(Ordering::Relaxed) - f.lost_at_start,
                "history saving again"
            );
        }
    }
}
