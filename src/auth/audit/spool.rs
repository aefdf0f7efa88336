//! The audit trail's writer thread and the spool in front of it: rooms that record operator actions hand
//! entries to an `AuditSink` without waiting (the hub thread must never wait on a disk) and without
//! losing any: entries wait in memory (up to `MEMORY_ENTRIES`), then in an append-only spill file beside
//! the trail, and enter the chain in the order they were recorded. A writer that falls behind or a disk
//! that stalls only makes entries wait; a spill left by a crash is chained first at the next start.
//!
//! Order is kept by one rule: while anything waits in the spill file, new entries go to the file too, so
//! memory only ever holds entries older than the file's. Each spill line carries a MAC (site key): a line
//! someone added or edited is chained as a finding, not as what it claims. Left as is: the hub thread
//! writes a spill line itself once memory is full (a disk that stalls then stalls it too), and a crash
//! after chaining part of the spill chains that part again at the next start (duplicates, never losses).

use super::{AuditEntry, AuditError, AuditTrail, Tamper, append_batch, check_at_start, open, write_anchor};
use crate::records::SiteKey;
use crate::records::key::hex;
use crate::tag::Timestamp;
use crossbeam_channel::Sender;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Entries kept in memory before they go to the spill file.
pub const MEMORY_ENTRIES: usize = 8_192;
/// Entries chained in one transaction.
pub const BATCH: usize = 2_000;
/// How long `stop` lets the writer finish before what is left stays in the spill file for the next start.
pub const STOP_WITHIN: Duration = Duration::from_secs(10);

/// What went through the spill file and what was lost (said at stop; read by tests).
#[derive(Debug, Default)]
pub struct AuditStats {
    /// Entries that went through the spill file.
    pub spilled: AtomicU64,
    /// Entries that could be neither kept in memory nor written to the spill file (the spill's disk
    /// failed as well): the only way an entry is lost, and counted.
    pub lost: AtomicU64,
}

/// Where operator actions are recorded. Cloneable; `record` never blocks on a disk and never drops an
/// entry silently.
#[derive(Clone)]
pub struct AuditSink(Sink);

#[derive(Clone)]
enum Sink {
    Spool(Arc<Spool>),
    /// Entries handed to whoever holds the receiver (tests and benches watch what is recorded).
    Channel(Sender<AuditEntry>),
}

impl AuditSink {
    /// A sink whose entries arrive on a bounded channel; a full channel is logged.
    pub fn channel(capacity: usize) -> (Self, crossbeam_channel::Receiver<AuditEntry>) {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        (Self(Sink::Channel(tx)), rx)
    }

    pub fn record(&self, e: AuditEntry) {
        match &self.0 {
            Sink::Spool(s) => s.push(e),
            Sink::Channel(tx) => {
                if tx.try_send(e).is_err() {
                    tracing::error!("audit channel full or closed: an entry is in the log only");
                }
            }
        }
    }
}

struct Queue {
    memory: VecDeque<AuditEntry>,
    /// Entries in the spill file not chained yet.
    in_file: u64,
    spill: Option<File>,
    /// Length of the spill file's complete lines.
    spill_len: u64,
    closing: Option<Instant>,
}

struct Spool {
    queue: Mutex<Queue>,
    wake: Condvar,
    spill_path: PathBuf,
    key: Arc<SiteKey>,
    stats: Arc<AuditStats>,
}

const SPILL_DOMAIN: &[u8] = b"wellconsole audit spill";

/// One spill line: the entry as JSON, a tab, its MAC (JSON never holds a raw tab), a newline.
fn spill_line(key: &SiteKey, e: &AuditEntry) -> std::io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(e).map_err(std::io::Error::other)?;
    let mac = hex(&key.mac_of(&[SPILL_DOMAIN, &line]));
    line.push(b'\t');
    line.extend_from_slice(mac.as_bytes());
    line.push(b'\n');
    Ok(line)
}

/// The entry a spill line holds; a line that is damaged or does not carry this site's MAC becomes an
/// entry saying so (it is never chained as what it claims, nor skipped in silence).
fn spill_entry(key: &SiteKey, line: &[u8]) -> AuditEntry {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let sealed = line.iter().rposition(|&b| b == b'\t').and_then(|tab| {
        let (json, mac) = (&line[..tab], std::str::from_utf8(&line[tab + 1..]).ok()?);
        key.verify(&[SPILL_DOMAIN, json], mac)
            .then(|| serde_json::from_slice::<AuditEntry>(json).ok())
            .flatten()
    });
    sealed.unwrap_or_else(|| {
        AuditEntry::system(
            Timestamp::now(),
            "audit spill line refused",
            "audit",
            format!(
                "not written by this console (damaged or forged): {}",
                String::from_utf8_lossy(line).chars().take(300).collect::<String>()
            ),
        )
    })
}

impl Spool {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves the queue as consistent as before it: keep going.
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, e: AuditEntry) {
        let mut q = self.lock();
        // After a stop, the writer is gone: what comes late waits in the file for the next start.
        if q.in_file == 0 && q.memory.len() < MEMORY_ENTRIES && q.closing.is_none() {
            q.memory.push_back(e);
        } else {
            match self.append_to_file(&mut q, &e) {
                Ok(()) => {
                    q.in_file += 1;
                    self.stats.spilled.fetch_add(1, Ordering::Relaxed);
                }
                Err(err) => {
                    let lost = self.stats.lost.fetch_add(1, Ordering::Relaxed) + 1;
                    if lost.is_power_of_two() {
                        tracing::error!(error = %err, lost, action = %e.action, user = %e.user,
                            "audit entry LOST: memory queue full and the spill file cannot be written");
                    }
                }
            }
        }
        drop(q);
        self.wake.notify_one();
    }

    fn append_to_file(&self, q: &mut Queue, e: &AuditEntry) -> std::io::Result<()> {
        if q.spill.is_none() {
            crate::records::create_private(&self.spill_path)?;
            q.spill = Some(std::fs::OpenOptions::new().append(true).open(&self.spill_path)?);
        }
        let line = spill_line(&self.key, e)?;
        let Some(f) = q.spill.as_mut() else {
            return Err(std::io::Error::other("spill file not open"));
        };
        if let Err(err) = f.write_all(&line) {
            // A half-written line would spoil every line after it: cut back to the last whole one.
            let _ = f.set_len(q.spill_len);
            return Err(err);
        }
        q.spill_len += line.len() as u64;
        Ok(())
    }
}

/// The audit trail's writer thread (see the module comment).
pub struct AuditWriter {
    thread: Option<std::thread::JoinHandle<()>>,
    spool: Arc<Spool>,
}

impl AuditWriter {
    /// Opens the trail (checking its end against its anchor: a trail that fails is kept aside and a new
    /// one begins with the finding) and starts the writer. Entries left in a spill file are chained first.
    pub fn start(trail: &AuditTrail) -> Result<(Self, AuditSink), AuditError> {
        let finding = check_at_start(trail)?;
        let mut conn = open(trail)?;
        let spill_path = trail.spill_path();
        let io = |source| AuditError::Io {
            path: spill_path.clone(),
            source,
        };
        let (in_file, spill_len) = count_spilled(&spill_path).map_err(io)?;
        let stats = Arc::new(AuditStats::default());
        let spool = Arc::new(Spool {
            queue: Mutex::new(Queue {
                memory: VecDeque::new(),
                in_file,
                spill: None,
                spill_len,
                closing: None,
            }),
            wake: Condvar::new(),
            spill_path: spill_path.clone(),
            key: trail.key.clone(),
            stats: stats.clone(),
        });
        if let Some((t, kept)) = finding {
            let detail = match (&t, kept) {
                (Tamper::AnchorMissing { .. }, _) => format!("{t}; anchored again where the trail ends"),
                (_, Some(k)) => format!("{t}; that trail was kept as {} and this one begins here", k.display()),
                (_, None) => t.to_string(),
            };
            tracing::error!("audit trail check at start: {detail}");
            // Chained before anything else (and before any spill, which belongs to the kept trail's
            // time but was never chained: it follows the finding).
            let e = AuditEntry::system(Timestamp::now(), "audit trail check failed", "audit", detail);
            let (seq, head) = append_batch(&mut conn, &trail.key, &[e])?;
            write_anchor(trail, seq, &head)?;
        }
        let publisher = match &trail.external {
            Some(ext) => {
                Some(
                    super::external::AnchorPublisher::start(ext.clone()).map_err(|source| AuditError::Io {
                        path: trail.path.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let s = spool.clone();
        let trail2 = trail.clone();
        let thread = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                write_loop(&s, &trail2, conn, publisher.as_ref());
                if let Some(p) = publisher {
                    p.stop();
                }
            })
            .map_err(|source| AuditError::Io {
                path: trail.path.clone(),
                source,
            })?;
        Ok((
            Self {
                thread: Some(thread),
                spool: spool.clone(),
            },
            AuditSink(Sink::Spool(spool)),
        ))
    }

    pub fn stats(&self) -> Arc<AuditStats> {
        self.spool.stats.clone()
    }

    /// Chains what is queued and stops; after `STOP_WITHIN` a stalled writer leaves what is left in the
    /// spill file for the next start instead of holding up the exit. Says at the end what was lost, if any.
    pub fn stop(mut self) {
        self.spool.lock().closing = Some(Instant::now() + STOP_WITHIN);
        self.spool.wake.notify_all();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("audit writer panicked");
        }
        let lost = self.spool.stats.lost.load(Ordering::Relaxed);
        if lost > 0 {
            tracing::error!(
                lost,
                "audit entries were LOST this run (memory full and the spill file unwritable)"
            );
        }
    }
}

/// Whole lines in an existing spill file, and their length (a half line from a crash is cut off).
fn count_spilled(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    let whole = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if whole < data.len() {
        tracing::warn!(path = %path.display(), bytes = data.len() - whole, "half-written audit spill line dropped");
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(whole as u64)?;
    }
    let n = data[..whole].iter().filter(|&&b| b == b'\n').count() as u64;
    if n > 0 {
        tracing::warn!(path = %path.display(), entries = n, "audit entries left from the last run are chained first");
    }
    Ok((n, whole as u64))
}

enum Work {
    Memory(Vec<AuditEntry>),
    File(u64),
    Done,
}

fn write_loop(
    spool: &Spool,
    trail: &AuditTrail,
    mut conn: rusqlite::Connection,
    publisher: Option<&super::external::AnchorPublisher>,
) {
    // Bytes of the spill file already chained.
    let mut read_pos = 0u64;
    let mut failing: Option<(Instant, Instant)> = None;
    loop {
        let work = {
            let mut q = spool.lock();
            loop {
                if !q.memory.is_empty() {
                    let n = q.memory.len().min(BATCH);
                    break Work::Memory(q.memory.drain(..n).collect());
                }
                if q.in_file > 0 {
                    break Work::File(q.in_file.min(BATCH as u64));
                }
                if q.closing.is_some() {
                    break Work::Done;
                }
                q = spool
                    .wake
                    .wait_timeout(q, Duration::from_secs(1))
                    .map_or_else(|e| e.into_inner().0, |(q, _)| q);
            }
        };
        let mut from_file = match &work {
            Work::File(n) => Some(*n),
            Work::Memory(_) | Work::Done => None,
        };
        let (mut batch, file_bytes) = match work {
            Work::Done => return,
            Work::Memory(b) => (b, 0),
            Work::File(n) => match read_spilled(&spool.key, &spool.spill_path, read_pos, n) {
                Ok((entries, bytes)) if entries.len() as u64 == n => (entries, bytes),
                Ok((entries, bytes)) => {
                    // The file is shorter than its count (cut by someone): chain what is there, say so.
                    let missing = n - entries.len() as u64;
                    tracing::error!(missing, path = %spool.spill_path.display(), "audit spill file shorter than expected");
                    spool.stats.lost.fetch_add(missing, Ordering::Relaxed);
                    spool.lock().in_file -= missing;
                    let mut entries = entries;
                    entries.push(AuditEntry::system(
                        Timestamp::now(),
                        "audit spill entries missing",
                        "audit",
                        format!("{missing} entries waiting in the spill file were gone from it"),
                    ));
                    from_file = from_file.map(|_| n - missing);
                    (entries, bytes)
                }
                Err(e) => {
                    tracing::error!(error = %e, path = %spool.spill_path.display(), "audit spill file cannot be read; retrying");
                    if past_deadline(spool) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                    continue;
                }
            },
        };
        loop {
            match append_batch(&mut conn, &trail.key, &batch) {
                Ok((seq, head)) => {
                    // Committed: never appended again, whatever becomes of the anchor (the next commit
                    // writes a newer one; verify allows the anchor to lag by a commit).
                    match write_anchor(trail, seq, &head) {
                        Ok(text) => {
                            if let Some(p) = publisher {
                                p.publish(text);
                            }
                        }
                        Err(e) => tracing::error!(error = %e, seq, "audit anchor not written"),
                    }
                    if let Some((since, _)) = failing.take() {
                        tracing::warn!(after_s = since.elapsed().as_secs(), "audit trail writing again");
                    }
                    break;
                }
                Err(e) => {
                    // Once when it starts, then a summary a minute: the entries wait, nothing is dropped.
                    let now = Instant::now();
                    let (since, logged) = failing.get_or_insert((now, now - Duration::from_secs(60)));
                    if now.duration_since(*logged) >= Duration::from_secs(60) {
                        *logged = now;
                        tracing::error!(error = %e, waiting = batch.len(), failing_s = since.elapsed().as_secs(),
                            "audit trail cannot be written; entries wait in the spool");
                    }
                    if past_deadline(spool) {
                        // Entries read from the file are still there; a memory batch goes back in front.
                        if from_file.is_none() {
                            keep_for_next_start(spool, read_pos, std::mem::take(&mut batch));
                        } else {
                            keep_for_next_start(spool, read_pos, Vec::new());
                        }
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
        if let Some(n) = from_file {
            read_pos += file_bytes;
            let mut q = spool.lock();
            q.in_file -= n;
            if q.in_file == 0 {
                // All chained: the file starts over (by path: a file left from the last run has no
                // handle open). Should that fail, the offset stays, so nothing is chained twice.
                match std::fs::OpenOptions::new()
                    .write(true)
                    .open(&spool.spill_path)
                    .and_then(|f| f.set_len(0))
                {
                    Ok(()) => {
                        q.spill_len = 0;
                        read_pos = 0;
                    }
                    Err(e) => tracing::error!(error = %e, "audit spill file cannot be emptied"),
                }
            }
        }
    }
}

fn past_deadline(spool: &Spool) -> bool {
    spool.lock().closing.is_some_and(|d| Instant::now() >= d)
}

/// Past the stop deadline with the trail unwritable: `batch` and what waits in memory (older than the
/// file's entries) are written in front of the file's unchained entries (those before `read_pos` are in
/// the chain already and are left out), and the next start chains them all in order.
fn keep_for_next_start(spool: &Spool, read_pos: u64, batch: Vec<AuditEntry>) {
    let mut q = spool.lock();
    let front: Vec<AuditEntry> = batch.into_iter().chain(q.memory.drain(..)).collect();
    // Nothing to put in front and nothing of the file chained yet: the file is right as it is.
    if front.is_empty() && read_pos == 0 {
        return;
    }
    let path = &spool.spill_path;
    let rewrite = || -> std::io::Result<()> {
        let mut text = Vec::new();
        for e in &front {
            text.extend(spill_line(&spool.key, e)?);
        }
        if let Ok(mut f) = File::open(path) {
            f.seek(SeekFrom::Start(read_pos))?;
            std::io::copy(&mut f, &mut text)?;
        }
        crate::records::replace_file(path, &text)
    };
    match rewrite() {
        Ok(()) => {
            q.spill = None;
            q.spill_len = std::fs::metadata(path).map_or(0, |m| m.len());
            tracing::warn!(entries = front.len(), path = %path.display(),
                "audit trail not writable at shutdown: entries kept in the spill file for the next start");
        }
        Err(e) => {
            spool.stats.lost.fetch_add(front.len() as u64, Ordering::Relaxed);
            tracing::error!(error = %e, lost = front.len(),
                "audit entries LOST at shutdown: neither the trail nor the spill file could be written");
        }
    }
}

/// Up to `n` entries from the spill file, starting at byte `from`; with the bytes they took.
fn read_spilled(key: &SiteKey, path: &std::path::Path, from: u64, n: u64) -> std::io::Result<(Vec<AuditEntry>, u64)> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut r = BufReader::new(f);
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let mut line = Vec::new();
    let mut bytes = 0u64;
    for _ in 0..n {
        line.clear();
        // Bytes, not a String: one bad byte must not stop the writer.
        let got = r.read_until(b'\n', &mut line)?;
        if got == 0 || line.last() != Some(&b'\n') {
            break;
        }
        bytes += got as u64;
        out.push(spill_entry(key, &line));
    }
    Ok((out, bytes))
}
