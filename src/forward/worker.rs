//! The forwarder thread: connects to the central store, sends each stream's next batch, records the
//! positions, and starts again after any failure (doubling waits, 1 s to 30 s). It runs a single-threaded
//! async runtime of its own; the local files are read through its own connections. Stopping is heard
//! between batches, and every central step is bounded by the configured timeout, so a dead link never
//! holds up the console's exit.
//!
//! Owns the order and pace of sending; the SQL is `central`'s (remote) and `historian::forward_log`'s,
//! `alarm::journal`'s and `auth::audit`'s (local).

use super::ForwardError;
use super::central::Central;
use super::config::ForwardConfig;
use super::records::{self, Kind};
use super::stats::ForwardStats;
use crate::historian::forward_log;
use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often an idle forwarder looks for new rows: the central store trails the console by about this.
const POLL: Duration = Duration::from_secs(1);
/// Journal lines, audit records or rollup rows per central transaction.
const RECORD_BATCH: usize = 5_000;
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How often jobs and well tests are compared with what was sent (they change at human pace).
const RECORDS_EVERY: Duration = Duration::from_secs(5);

/// The local files forwarded.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The history database; its historian must run with forwarding on (`HistorianConfig::forward`).
    pub history: PathBuf,
    pub journal: Option<PathBuf>,
    pub audit: Option<PathBuf>,
    /// The CT job records (jobs.db).
    pub jobs: Option<PathBuf>,
    /// The well tests (production.db).
    pub well_tests: Option<PathBuf>,
    /// The site's name, recorded with the console.
    pub site: String,
}

/// The running forwarder. Dropping it stops the thread (waiting a few seconds at most).
pub struct Forwarder {
    stop: watch::Sender<bool>,
    done: crossbeam_channel::Receiver<()>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<ForwardStats>,
}

impl Forwarder {
    pub fn start(cfg: ForwardConfig, sources: Sources) -> std::io::Result<Self> {
        let stats = Arc::new(ForwardStats::new(cfg.target()));
        let (stop, stop_rx) = watch::channel(false);
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let s = stats.clone();
        let thread = std::thread::Builder::new().name("forwarder".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(run(&cfg, &sources, &s, stop_rx)),
                Err(e) => {
                    tracing::error!(error = %e, "forwarding to the central database could not start");
                    s.set_error(Some(format!("could not start: {e}")));
                }
            }
            let _ = done_tx.send(());
        })?;
        Ok(Self {
            stop,
            done,
            thread: Some(thread),
            stats,
        })
    }

    pub fn stats(&self) -> Arc<ForwardStats> {
        self.stats.clone()
    }

    /// Stops now (waiting `within` at most; what is not sent stays queued locally). A thread that does
    /// not end in time is left to finish on its own.
    pub fn stop_within(&mut self, within: Duration) {
        let _ = self.stop.send(true);
        let ended = self.done.recv_timeout(within).is_ok();
        if let Some(t) = self.thread.take()
            && ended
        {
            let _ = t.join();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop_within(Duration::from_secs(5));
        }
    }
}

/// The local databases, opened once by the thread.
pub(super) struct Local {
    pub(super) history: Connection,
    pub(super) journal: Option<Connection>,
    pub(super) audit: Option<Connection>,
}

impl Local {
    pub(super) fn open(src: &Sources) -> Result<Self, ForwardError> {
        let history = Connection::open_with_flags(&src.history, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        history.busy_timeout(Duration::from_secs(5))?;
        // The historian's own thread checkpoints the log; a checkpoint here would stall its commits.
        history.pragma_update(None, "wal_autocheckpoint", 0)?;
        let read_only = |p: &PathBuf| -> Result<Connection, rusqlite::Error> {
            let c = Connection::open_with_flags(p, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            c.busy_timeout(Duration::from_secs(5))?;
            Ok(c)
        };
        Ok(Self {
            history,
            journal: src.journal.as_ref().map(read_only).transpose()?,
            audit: src.audit.as_ref().map(read_only).transpose()?,
        })
    }

    /// What waits to be sent: the history's backlog, and the journal lines, audit records and rollup
    /// rows not sent.
    pub(super) fn waiting(&self) -> Result<(forward_log::Backlog, u64), ForwardError> {
        let b = forward_log::backlog(&self.history)?;
        let mut records = b.rollups;
        if let Some(j) = &self.journal {
            let pos = forward_log::position(&self.history, "journal")?;
            records += crate::alarm::journal::count_after(j, pos).map_err(|e| ForwardError::Other(e.to_string()))?;
        }
        if let Some(a) = &self.audit {
            let pos = forward_log::position(&self.history, "audit")?;
            records += crate::auth::audit::count_after(a, pos).map_err(|e| ForwardError::Other(e.to_string()))?;
        }
        Ok((b, records))
    }

    /// Refreshes the backlog figures.
    pub(super) fn backlog(&self, stats: &ForwardStats) -> Result<(), ForwardError> {
        let (b, records) = self.waiting()?;
        stats.backlog_samples.store(b.samples, Ordering::Relaxed);
        stats.backlog_records.store(records, Ordering::Relaxed);
        stats
            .oldest_unsent_us
            .store(b.oldest_us.unwrap_or(0), Ordering::Relaxed);
        Ok(())
    }
}

/// Waits `d`; true when asked to stop meanwhile.
async fn stopped_within(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        r = stop.changed() => r.is_err() || *stop.borrow(),
        () = tokio::time::sleep(d) => false,
    }
}

async fn run(cfg: &ForwardConfig, src: &Sources, stats: &ForwardStats, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_secs(1);
    let mut local: Option<Local> = None;
    // The last failure logged: a failure that repeats is logged once, not every retry.
    let mut logged: Option<String> = None;
    loop {
        let result = match &local {
            Some(l) => {
                // A stop is heard at once, even in the middle of a connect or a batch: what the batch
                // sent is rolled back centrally and sent again next run.
                let mut stop_rx = stop.clone();
                tokio::select! {
                    r = session(cfg, src, l, stats, &mut stop, &mut backoff, &mut logged) => r,
                    () = async { while stop_rx.changed().await.is_ok() && !*stop_rx.borrow() {} } => Ok(()),
                }
            }
            None => match Local::open(src) {
                Ok(l) => {
                    local = Some(l);
                    continue;
                }
                Err(e) => Err(e),
            },
        };
        let e = match result {
            Ok(()) => return,
            Err(e) => e,
        };
        stats.connected.store(false, Ordering::Relaxed);
        stats.failures.fetch_add(1, Ordering::Relaxed);
        let msg = e.to_string();
        if logged.as_deref() != Some(msg.as_str()) {
            tracing::warn!(target = %stats.target, error = %msg, "forwarding to the central database paused; history is kept locally and sent when it is back");
            logged = Some(msg.clone());
        }
        stats.set_error(Some(msg));
        if let Some(l) = &local
            && let Err(e) = l.backlog(stats)
        {
            tracing::debug!(error = %e, "forward backlog not readable");
        }
        if stopped_within(&mut stop, backoff).await {
            return;
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One connection's life: sends until stopped (`Ok`) or something fails.
async fn session(
    cfg: &ForwardConfig,
    src: &Sources,
    local: &Local,
    stats: &ForwardStats,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Duration,
    logged: &mut Option<String>,
) -> Result<(), ForwardError> {
    let instance = forward_log::instance(&local.history)?;
    let mut central = Central::open(cfg, &src.site, &instance).await?;
    stats.connected.store(true, Ordering::Relaxed);
    // Counted as working again only once a batch got through: a failure right after connecting keeps
    // its error shown and its backoff growing.
    let mut proven = false;
    let mut pace = Pace::new(cfg.max_rate);
    let mut tags_known = usize::MAX;
    let mut last_backlog = Instant::now() - Duration::from_secs(60);
    let mut last_records: Option<Instant> = None;
    let mut stamps: Stamps = [None, None];
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let tags = forward_log::tags(&local.history)?;
        if tags.len() != tags_known {
            central.sync_tags(&tags).await?;
            tags_known = tags.len();
        }
        let mut sent = send_once(cfg, local, &mut central, stats).await?;
        if last_records.is_none_or(|t: Instant| t.elapsed() >= RECORDS_EVERY) {
            // A job or test that cannot be read or sent waits for the next look; it never holds up history.
            match send_records(src, local, &mut central, &mut stamps).await {
                Ok(n) => {
                    stats.records_sent.fetch_add(n, Ordering::Relaxed);
                    sent += n;
                }
                Err(e) => tracing::warn!(error = %e, "jobs and well tests not forwarded this time"),
            }
            last_records = Some(Instant::now());
        }
        if !proven {
            proven = true;
            *backoff = Duration::from_secs(1);
            stats.set_error(None);
            if logged.take().is_some() {
                tracing::info!(target = %stats.target, "forwarding to the central database resumed");
            }
        }
        if sent > 0 {
            stats
                .last_sent_us
                .store(crate::tag::Timestamp::now().0, Ordering::Relaxed);
        }
        if sent == 0 || last_backlog.elapsed() >= POLL {
            local.backlog(stats)?;
            last_backlog = Instant::now();
        }
        let wait = if sent == 0 { POLL } else { pace.after(sent) };
        if !wait.is_zero() && stopped_within(stop, wait).await {
            return Ok(());
        }
    }
}

/// One batch of each stream that has something; returns the samples and records sent.
pub(super) async fn send_once(
    cfg: &ForwardConfig,
    local: &Local,
    central: &mut Central,
    stats: &ForwardStats,
) -> Result<u64, ForwardError> {
    let mut sent = 0u64;
    let pos = forward_log::samples_pos(&local.history)?.ok_or(forward_log::ForwardLogError::NotEnabled)?;
    let b = forward_log::read_samples(&local.history, cfg.batch)?;
    if b.next_pos != pos {
        known_tags(local, central, b.rows.iter().map(|r| r.tag)).await?;
        central.write_samples(&b.rows, "samples", b.next_pos).await?;
        forward_log::samples_sent(&local.history, b.next_pos)?;
        sent += b.rows.len() as u64;
        stats.samples_sent.fetch_add(b.rows.len() as u64, Ordering::Relaxed);
    }
    if let Some(from) = forward_log::chunks_pending_from(&local.history)? {
        let c = forward_log::read_chunks(&local.history, cfg.batch)?;
        known_tags(local, central, c.rows.iter().map(|r| r.tag)).await?;
        central.write_samples(&c.rows, "chunks", c.next_pos).await?;
        forward_log::chunks_sent(&local.history, c.next_pos.max(from))?;
        sent += c.rows.len() as u64;
        stats.samples_sent.fetch_add(c.rows.len() as u64, Ordering::Relaxed);
    }
    let r = forward_log::read_rollups(&local.history, RECORD_BATCH)?;
    // A rollup row is never dropped for want of its tag's central id.
    known_tags(local, central, r.rows.iter().map(|row| row.tag)).await?;
    if r.next_pos > 0 {
        central.write_rollups(&r.rows, r.next_pos).await?;
        forward_log::rollups_sent(&local.history, r.next_pos)?;
        sent += r.rows.len() as u64;
        stats.records_sent.fetch_add(r.rows.len() as u64, Ordering::Relaxed);
    }
    if let Some(j) = &local.journal {
        let pos = forward_log::position(&local.history, "journal")?;
        let lines =
            crate::alarm::journal::lines_after(j, pos, RECORD_BATCH).map_err(|e| ForwardError::Other(e.to_string()))?;
        if let Some(last) = lines.last().map(|l| l.id) {
            central.write_journal(&lines).await?;
            forward_log::set_position(&local.history, "journal", last)?;
            sent += lines.len() as u64;
            stats.records_sent.fetch_add(lines.len() as u64, Ordering::Relaxed);
        }
    }
    if let Some(a) = &local.audit {
        let pos = forward_log::position(&local.history, "audit")?;
        let records =
            crate::auth::audit::after(a, pos, RECORD_BATCH).map_err(|e| ForwardError::Other(e.to_string()))?;
        if let Some(last) = records.last().map(|r| r.seq) {
            central.write_audit(&records).await?;
            forward_log::set_position(&local.history, "audit", last)?;
            sent += records.len() as u64;
            stats.records_sent.fetch_add(records.len() as u64, Ordering::Relaxed);
        }
    }
    Ok(sent)
}

/// When a record store last changed (its file and its log): unchanged stores are not read again.
pub(super) type Stamps = [Option<(std::time::SystemTime, std::time::SystemTime)>; 2];

fn stamp(path: &std::path::Path) -> Option<(std::time::SystemTime, std::time::SystemTime)> {
    let m = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    Some((m(path)?, m(std::path::Path::new(&wal)).unwrap_or(std::time::UNIX_EPOCH)))
}

/// Sends the jobs and well tests that changed since they were last sent, and removes from the central
/// store those deleted here (a draft job); returns how many.
pub(super) async fn send_records(
    src: &Sources,
    local: &Local,
    central: &mut Central,
    seen: &mut Stamps,
) -> Result<u64, ForwardError> {
    let mut sent = 0;
    for (k, (kind, path)) in [(Kind::Job, &src.jobs), (Kind::WellTest, &src.well_tests)]
        .into_iter()
        .enumerate()
    {
        // A store not made yet (no job or test so far) has nothing to send.
        let Some(path) = path.as_ref().filter(|p| p.exists()) else {
            continue;
        };
        let now = stamp(path);
        if now.is_some() && seen[k] == now {
            continue;
        }
        let docs = match kind {
            Kind::Job => records::jobs(path)?,
            Kind::WellTest => records::well_tests(path)?,
        };
        let gone = records::gone(&local.history, kind, &docs)?;
        if !gone.is_empty() {
            central.delete_docs(kind, &gone).await?;
            records::mark_gone(&local.history, kind, &gone)?;
            sent += gone.len() as u64;
        }
        let docs = records::changed(&local.history, kind, docs)?;
        for part in docs.chunks(RECORD_BATCH.min(500)) {
            central.write_docs(kind, part).await?;
            records::mark_sent(&local.history, kind, part)?;
            sent += part.len() as u64;
        }
        seen[k] = now;
    }
    Ok(sent)
}

/// Makes sure every row's tag has a central id (a tag the historian added since the last look).
async fn known_tags(
    local: &Local,
    central: &mut Central,
    mut tags: impl Iterator<Item = i64> + Clone,
) -> Result<(), ForwardError> {
    if tags.clone().all(|t| central.knows(t)) {
        return Ok(());
    }
    central.sync_tags(&forward_log::tags(&local.history)?).await?;
    match tags.find(|&t| !central.knows(t)) {
        // Never skip a row silently: the batch waits until its tag can be registered.
        Some(t) => Err(ForwardError::Other(format!(
            "history tag id {t} is not in the tags table"
        ))),
        None => Ok(()),
    }
}

/// Keeps the long-run rate at or under `max_rate` rows a second, over windows of a few seconds.
struct Pace {
    max_rate: f64,
    since: Instant,
    sent: u64,
}

impl Pace {
    fn new(max_rate: u32) -> Self {
        Self {
            max_rate: f64::from(max_rate.max(1)),
            since: Instant::now(),
            sent: 0,
        }
    }

    /// Counts `n` rows sent; returns how long to wait before the next batch.
    fn after(&mut self, n: u64) -> Duration {
        if self.since.elapsed() > Duration::from_secs(10) {
            self.since = Instant::now();
            self.sent = 0;
        }
        self.sent += n;
        let due = Duration::from_secs_f64(self.sent as f64 / self.max_rate);
        due.saturating_sub(self.since.elapsed())
    }
}
