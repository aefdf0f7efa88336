//! Job replay: a window of history played back through the console at 1–60× real time, in the place of
//! the site's drivers, for post-job review and crew training.
//!
//! One thread (`ReplayDriver`) holds the links of every driver the site would start (never the implicit
//! ones: calculated tags, CT strings and jobs are derived on the hub again, from the replayed inputs). It
//! reads the history database a stretch of source time at a time (all replayed tags, merged by time, so
//! memory stays bounded), and sends each sample through its own driver's link when the playhead reaches
//! it: the hub, alarms, trips, trends and screens see the same path as live. Samples keep their ORIGINAL
//! source timestamps (plant time); staleness is judged by the hub on its receive time, so a tag whose
//! history has a gap (deadband, swinging door) or a paused replay has its last sample sent again, with its
//! own timestamp, before it could turn STALE. No write ever leaves: every write command arriving on any
//! held link is answered as failed, counted and logged. Nothing is written to history or the site's
//! records by this module (the runtime starts no writer in replay).
//!
//! The pacing (`Pacer`), the merge and the chunk sizing are pure; the thread's passes take the wall time as
//! an argument, so all of it is tested here without threads or clocks. History comes through
//! `ReplaySource` (the runtime adapts the historian's reader to it): this room must not import the
//! historian (which imports the hub, which imports drivers), the UI, alarms or the hub's insides. It speaks
//! `DriverLink` like any driver; the console controls it through `ReplayControl` and reads `ReplayStatus`.

use super::{DriverCommand, DriverEvent, DriverLink, DriverState};
use crate::tag::{BadReason, Quality, Sample, TagDirectory, TagId, Timestamp, Value};
use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The slowest and fastest replay, times real time.
pub const MIN_SPEED: f64 = 1.0;
pub const MAX_SPEED: f64 = 60.0;
/// The speeds the console offers.
pub const SPEEDS: [f64; 6] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
/// What a refused write is answered with.
pub const NO_WRITES: &str = "replay: no writes leave the console";
/// Source time one Step advances.
const STEP_US: i64 = 1_000_000;
/// How often the playhead hands out what is due (and looks at the links' commands).
const TICK: Duration = Duration::from_millis(20);
/// A tag's last sample is sent again after this long without one, so it never turns STALE on the hub
/// (half its stale period, within these bounds).
const KEEPALIVE_MIN: Duration = Duration::from_millis(50);
const KEEPALIVE_MAX: Duration = Duration::from_secs(1);
/// Source time read at once: as much as keeps about `CHUNK_TARGET_SAMPLES` in memory, within these bounds.
const CHUNK_MIN_US: i64 = 1_000_000;
const CHUNK_MAX_US: i64 = 60_000_000;
const CHUNK_TARGET_SAMPLES: usize = 200_000;
/// Console commands queued for the replay thread.
const COMMAND_QUEUE: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("replay speed {0} is out of range: use 1 to 60 times real time")]
    BadSpeed(f64),
    #[error("replay window {from} .. {to} is empty: the end must be after the start")]
    EmptyWindow { from: String, to: String },
    #[error("replay history {path}: {source}")]
    History { path: PathBuf, source: SourceError },
    #[error("the replay is busy (its command queue is full): try again")]
    Busy,
    #[error("the replay has stopped")]
    Stopped,
}

/// What to replay: a window of one history database, at a speed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySpec {
    /// The history database read (read-only).
    pub history: PathBuf,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Times real time, 1 to 60.
    pub speed: f64,
}

impl ReplaySpec {
    pub fn check(&self) -> Result<(), ReplayError> {
        check_speed(self.speed)?;
        if self.to <= self.from {
            return Err(ReplayError::EmptyWindow {
                from: self.from.to_rfc3339(),
                to: self.to.to_rfc3339(),
            });
        }
        Ok(())
    }
}

/// The speed, if it is one a replay runs at.
pub fn check_speed(speed: f64) -> Result<f64, ReplayError> {
    if speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(speed)
    } else {
        Err(ReplayError::BadSpeed(speed))
    }
}

/// What the console asks of a running replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayCmd {
    Pause,
    /// Plays on; at the end of the window, plays it again from its start.
    Resume,
    /// One second of source time forward, paused.
    Step,
    SetSpeed(f64),
    /// Jumps to this source time (kept within the window): every tag at once shows its value as of then.
    Seek(Timestamp),
}

/// The console's end of the replay: cloneable, never waits.
#[derive(Debug, Clone)]
pub struct ReplayControl {
    tx: Sender<ReplayCmd>,
}

impl ReplayControl {
    pub fn send(&self, cmd: ReplayCmd) -> Result<(), ReplayError> {
        if let ReplayCmd::SetSpeed(s) = cmd {
            check_speed(s)?;
        }
        self.tx.try_send(cmd).map_err(|e| match e {
            TrySendError::Full(_) => ReplayError::Busy,
            TrySendError::Disconnected(_) => ReplayError::Stopped,
        })
    }
}

/// Where the replay stands, written by its thread, read by anyone without locks.
pub struct ReplayStatus {
    history: PathBuf,
    from: Timestamp,
    to: Timestamp,
    /// Tags with history that are replayed (those of the site's drivers found in the database).
    tags: usize,
    position_us: AtomicI64,
    speed_bits: AtomicU64,
    paused: AtomicBool,
    finished: AtomicBool,
    samples_replayed: AtomicU64,
    writes_refused: AtomicU64,
    seeks: AtomicU64,
    /// Why the replay stopped reading (a history error); `None` while it reads.
    problem: ArcSwapOption<String>,
}

impl ReplayStatus {
    fn new(spec: &ReplaySpec, tags: usize) -> Self {
        Self {
            history: spec.history.clone(),
            from: spec.from,
            to: spec.to,
            tags,
            position_us: AtomicI64::new(spec.from.0),
            speed_bits: AtomicU64::new(spec.speed.to_bits()),
            paused: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            samples_replayed: AtomicU64::new(0),
            writes_refused: AtomicU64::new(0),
            seeks: AtomicU64::new(0),
            problem: ArcSwapOption::empty(),
        }
    }

    /// The history database replayed (the console's trends read it too).
    pub fn history(&self) -> &Path {
        &self.history
    }

    /// The window replayed: (from, to), source time.
    pub fn window(&self) -> (Timestamp, Timestamp) {
        (self.from, self.to)
    }

    pub fn tags(&self) -> usize {
        self.tags
    }

    /// The playhead, in source (plant) time.
    pub fn position(&self) -> Timestamp {
        Timestamp(self.position_us.load(Ordering::Relaxed))
    }

    pub fn speed(&self) -> f64 {
        f64::from_bits(self.speed_bits.load(Ordering::Relaxed))
    }

    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// The playhead reached the end of the window (or the history could not be read further).
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }

    /// Samples of history sent so far (not counting values sent again to keep them fresh).
    pub fn samples_replayed(&self) -> u64 {
        self.samples_replayed.load(Ordering::Relaxed)
    }

    /// Writes answered as failed: nothing leaves the console in replay.
    pub fn writes_refused(&self) -> u64 {
        self.writes_refused.load(Ordering::Relaxed)
    }

    /// Seeks done so far: a change tells the console its collected recent values are from elsewhere.
    pub fn seeks(&self) -> u64 {
        self.seeks.load(Ordering::Relaxed)
    }

    pub fn problem(&self) -> Option<Arc<String>> {
        self.problem.load_full()
    }

    fn publish(&self, pos: Timestamp, pacer: &Pacer, finished: bool) {
        self.position_us.store(pos.0, Ordering::Relaxed);
        self.speed_bits.store(pacer.speed().to_bits(), Ordering::Relaxed);
        self.paused.store(pacer.paused(), Ordering::Relaxed);
        self.finished.store(finished, Ordering::Relaxed);
    }
}

/// A running replay, for the console: its controls and its status.
#[derive(Clone)]
pub struct ReplayHandle {
    pub control: ReplayControl,
    pub status: Arc<ReplayStatus>,
}

/// The playhead's clock: source time as a function of wall time (time since the replay began), at a
/// speed, paused or not, within the window. Pure: the caller passes the wall time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacer {
    from: i64,
    to: i64,
    /// Source time (µs) at the anchor.
    anchor_us: i64,
    /// Wall time at the anchor.
    anchor_wall: Duration,
    speed: f64,
    paused: bool,
}

impl Pacer {
    /// Playing from `from` at wall time zero.
    pub fn new(from: Timestamp, to: Timestamp, speed: f64) -> Self {
        Self {
            from: from.0,
            to: to.0.max(from.0),
            anchor_us: from.0,
            anchor_wall: Duration::ZERO,
            speed,
            paused: false,
        }
    }

    /// Source time at wall time `wall`, never past the window's end.
    pub fn position(&self, wall: Duration) -> Timestamp {
        if self.paused {
            return Timestamp(self.anchor_us);
        }
        let since_us = wall.saturating_sub(self.anchor_wall).as_micros() as f64;
        let ahead = (since_us * self.speed) as i64;
        Timestamp(self.anchor_us.saturating_add(ahead).min(self.to))
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The playhead is at the window's end.
    pub fn at_end(&self, wall: Duration) -> bool {
        self.position(wall).0 >= self.to
    }

    fn anchor(&mut self, wall: Duration) {
        self.anchor_us = self.position(wall).0;
        self.anchor_wall = wall;
    }

    pub fn pause(&mut self, wall: Duration) {
        self.anchor(wall);
        self.paused = true;
    }

    pub fn resume(&mut self, wall: Duration) {
        if self.paused {
            self.anchor_wall = wall;
            self.paused = false;
        }
    }

    pub fn set_speed(&mut self, speed: f64, wall: Duration) {
        self.anchor(wall);
        self.speed = speed;
    }

    /// One second of source time forward, and paused there.
    pub fn step(&mut self, wall: Duration) {
        self.pause(wall);
        self.anchor_us = self.anchor_us.saturating_add(STEP_US).min(self.to);
    }

    /// Jumps to `at` (kept within the window), paused or playing as before.
    pub fn seek(&mut self, at: Timestamp, wall: Duration) {
        self.anchor_us = at.0.clamp(self.from, self.to);
        self.anchor_wall = wall;
    }
}

/// Merges per-tag runs (each in time order) into one run in time order; samples of equal time keep the
/// order of their runs, so a tag never goes back and the merge is the same on every run.
pub fn merge_by_time<T>(runs: Vec<Vec<(T, Sample)>>) -> Vec<(T, Sample)> {
    let mut all: Vec<(T, Sample)> = runs.into_iter().flatten().collect();
    // Stable: ties stay in run order.
    all.sort_by_key(|(_, s)| s.source_ts);
    all
}

/// The source time to read next (µs): the last read's span scaled to about `CHUNK_TARGET_SAMPLES`, so a
/// busy site reads short stretches and a quiet one long ones.
pub fn next_span_us(span_us: i64, samples: usize) -> i64 {
    if samples == 0 {
        return CHUNK_MAX_US;
    }
    let scaled = span_us as f64 * CHUNK_TARGET_SAMPLES as f64 / samples as f64;
    (scaled.min(CHUNK_MAX_US as f64) as i64).clamp(CHUNK_MIN_US, CHUNK_MAX_US)
}

/// How often a tag's last sample is sent again while history has nothing newer (`None`: a tag that never
/// turns stale, e.g. one reported by exception).
pub fn keepalive_period(stale_after: Duration) -> Option<Duration> {
    (stale_after != Duration::MAX).then(|| (stale_after / 2).clamp(KEEPALIVE_MIN, KEEPALIVE_MAX))
}

/// The front sample of `window`, if it is due by `upto`.
fn pop_due<T>(window: &mut VecDeque<(T, Sample)>, upto: Timestamp) -> Option<(T, Sample)> {
    if window.front()?.1.source_ts <= upto {
        window.pop_front()
    } else {
        None
    }
}

/// What a replay reads from history for one tag: a stored sample with its own time.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub ts: Timestamp,
    pub value: Option<Value>,
    pub quality: Quality,
}

/// Why a replay's source could not be read (the historian's own error, boxed: this room does not know it).
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Where a replay reads history. The console's is the historian's database (read-only; the runtime adapts
/// `historian::History` to it, so this room does not import the historian, which imports the hub, which
/// imports drivers); tests use a table.
pub trait ReplaySource: Send {
    /// The tag names the source has history for.
    fn tag_names(&self) -> Result<Vec<String>, SourceError>;
    /// Calls `f` with every sample of `tag` in `from..=to`, in time order.
    fn each(&self, tag: &str, from: Timestamp, to: Timestamp, f: &mut dyn FnMut(Stored)) -> Result<(), SourceError>;
    /// The last sample of `tag` at or before `at`.
    fn last_at(&self, tag: &str, at: Timestamp) -> Result<Option<Stored>, SourceError>;
}

/// A replayed tag: its id, its name in the history, and the link it is sent through.
struct ReplayedTag {
    tag: TagId,
    name: String,
    link: usize,
    keepalive: Option<Duration>,
}

/// The replay thread's moving state.
struct Playhead {
    pacer: Pacer,
    /// Read and merged, not yet due: (replayed tag's index, sample), in time order.
    window: VecDeque<(usize, Sample)>,
    /// Source time read up to (µs, exclusive).
    read_to: i64,
    span_us: i64,
    /// Each replayed tag's last sample sent, and when (wall time since the replay began).
    held: Vec<Option<(Sample, Duration)>>,
    /// Tags whose refused write was logged as a warning already (a trip retrying its output would repeat).
    warned: HashSet<TagId>,
    /// Reading stopped on a history error.
    failed: bool,
}

/// The replay thread: the site's drivers' links, fed from history.
pub struct ReplayDriver<S> {
    spec: ReplaySpec,
    source: S,
    tags: Vec<ReplayedTag>,
    links: Vec<DriverLink>,
    shutdown: Arc<AtomicBool>,
    commands: Receiver<ReplayCmd>,
    status: Arc<ReplayStatus>,
}

impl<S: ReplaySource> ReplayDriver<S> {
    /// Finds which of the links' tags the source has history for. `links` are those of the drivers the site
    /// would start: their tags are replayed; every other tag is left to its deriver on the hub.
    pub fn new(
        spec: ReplaySpec,
        source: S,
        directory: &TagDirectory,
        links: Vec<DriverLink>,
        shutdown: Arc<AtomicBool>,
    ) -> Result<(Self, ReplayHandle), ReplayError> {
        spec.check()?;
        let names = source.tag_names().map_err(|source| ReplayError::History {
            path: spec.history.clone(),
            source,
        })?;
        let link_of: HashMap<TagId, usize> = links
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.tags.iter().map(move |(tag, _)| (*tag, i)))
            .collect();
        let mut tags: Vec<ReplayedTag> = names
            .into_iter()
            .filter_map(|name| {
                let def = directory.by_name(&name)?;
                let link = *link_of.get(&def.id)?;
                Some(ReplayedTag {
                    tag: def.id,
                    keepalive: keepalive_period(def.stale_after),
                    name,
                    link,
                })
            })
            .collect();
        tags.sort_by_key(|t| t.tag);
        if tags.is_empty() {
            tracing::warn!(
                path = %spec.history.display(),
                "replay: the history has none of this project's device tags"
            );
        }
        let (tx, rx) = bounded(COMMAND_QUEUE);
        let status = Arc::new(ReplayStatus::new(&spec, tags.len()));
        let handle = ReplayHandle {
            control: ReplayControl { tx },
            status: status.clone(),
        };
        let driver = Self {
            spec,
            source,
            tags,
            links,
            shutdown,
            commands: rx,
            status,
        };
        Ok((driver, handle))
    }

    /// Plays until the runtime shuts down (or the hub is gone). At the window's end it holds the last
    /// values (fresh) and waits for a seek, or a resume that plays the window again.
    pub fn run(self) {
        let path = self.spec.history.display().to_string();
        for l in &self.links {
            l.stats.set_state(DriverState::Running);
            l.stats.set_detail(Some(format!("replay of {path}")));
        }
        tracing::info!(
            path = %path,
            from = %self.spec.from.to_rfc3339(),
            to = %self.spec.to.to_rfc3339(),
            speed = self.spec.speed,
            tags = self.tags.len(),
            "replay started: no driver runs, no write leaves"
        );
        let started = Instant::now();
        let mut head = self.playhead();
        let mut alive = self.restart_at(&mut head, self.spec.from, Duration::ZERO);
        while alive && !self.shutdown.load(Ordering::Relaxed) {
            alive = self.tick(&mut head, started.elapsed());
            match self.commands.recv_timeout(TICK) {
                Ok(cmd) => alive = alive && self.apply(&mut head, cmd, started.elapsed()),
                Err(RecvTimeoutError::Timeout) => {}
                // Nobody controls it any more: it plays on at its own pace.
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(TICK),
            }
        }
        for l in &self.links {
            l.stats.set_state(DriverState::Stopped);
        }
    }

    fn playhead(&self) -> Playhead {
        Playhead {
            pacer: Pacer::new(self.spec.from, self.spec.to, self.spec.speed),
            window: VecDeque::new(),
            read_to: self.spec.from.0,
            span_us: CHUNK_MAX_US,
            held: (0..self.tags.len()).map(|_| None).collect(),
            warned: HashSet::new(),
            failed: false,
        }
    }

    /// One pass at wall time `wall` (since the replay began): refuse writes, hand out what is due, keep
    /// held values fresh, say where it stands. False once the hub is gone.
    fn tick(&self, head: &mut Playhead, wall: Duration) -> bool {
        self.refuse_writes(head);
        let pos = head.pacer.position(wall);
        let mut batches = self.empty_batches();
        let sent = self.due(head, pos, wall, &mut batches);
        self.keep_alive(head, wall, &mut batches);
        let alive = self.send(batches);
        self.status.samples_replayed.fetch_add(sent, Ordering::Relaxed);
        let drained = head.window.is_empty() && head.read_to > self.spec.to.0;
        let finished = head.failed || (head.pacer.at_end(wall) && drained);
        self.status.publish(head.pacer.position(wall), &head.pacer, finished);
        alive
    }

    fn apply(&self, head: &mut Playhead, cmd: ReplayCmd, wall: Duration) -> bool {
        match cmd {
            ReplayCmd::Pause => head.pacer.pause(wall),
            ReplayCmd::Resume if head.pacer.at_end(wall) => {
                self.status.seeks.fetch_add(1, Ordering::Relaxed);
                let alive = self.restart_at(head, self.spec.from, wall);
                head.pacer.resume(wall);
                return alive;
            }
            ReplayCmd::Resume => head.pacer.resume(wall),
            ReplayCmd::Step => head.pacer.step(wall),
            ReplayCmd::SetSpeed(s) => match check_speed(s) {
                Ok(s) => head.pacer.set_speed(s, wall),
                Err(e) => tracing::warn!(error = %e, "replay speed not changed"),
            },
            ReplayCmd::Seek(at) => {
                self.status.seeks.fetch_add(1, Ordering::Relaxed);
                return self.restart_at(head, at, wall);
            }
        }
        true
    }

    fn empty_batches(&self) -> Vec<Vec<Sample>> {
        (0..self.links.len()).map(|_| Vec::new()).collect()
    }

    /// Sends each link's batch (an empty one is not sent); false once the hub is gone.
    fn send(&self, batches: Vec<Vec<Sample>>) -> bool {
        self.links
            .iter()
            .zip(batches)
            .all(|(link, batch)| link.samples.send(batch).is_ok())
    }

    /// Moves every sample due by `pos` into `batches`, reading further history as needed; how many. About
    /// one chunk's worth per pass at most, so a playhead far ahead (a stalled machine) catches up in steps
    /// the hub can take, never in one unbounded batch.
    fn due(&self, head: &mut Playhead, pos: Timestamp, wall: Duration, batches: &mut [Vec<Sample>]) -> u64 {
        let mut n: u64 = 0;
        loop {
            while let Some((k, s)) = pop_due(&mut head.window, pos) {
                head.held[k] = Some((s.clone(), wall));
                batches[self.tags[k].link].push(s);
                n += 1;
            }
            let more = !head.failed
                && head.window.is_empty()
                && head.read_to <= pos.0
                && head.read_to <= self.spec.to.0
                && n < CHUNK_TARGET_SAMPLES as u64;
            if !more {
                return n;
            }
            if let Err(e) = self.read_next(head) {
                self.fail(head, e.as_ref(), wall);
                return n;
            }
        }
    }

    /// Reads the next stretch of every replayed tag's history, merged by time, into the window.
    fn read_next(&self, head: &mut Playhead) -> Result<(), SourceError> {
        let t0 = head.read_to;
        let t1 = t0.saturating_add(head.span_us).min(self.spec.to.0.saturating_add(1));
        let mut runs = Vec::with_capacity(self.tags.len());
        for (k, t) in self.tags.iter().enumerate() {
            let mut run = Vec::new();
            let mut keep = |s: Stored| {
                run.push((
                    k,
                    Sample {
                        tag: t.tag,
                        value: s.value,
                        quality: s.quality,
                        source_ts: s.ts,
                    },
                ));
            };
            self.source.each(&t.name, Timestamp(t0), Timestamp(t1 - 1), &mut keep)?;
            runs.push(run);
        }
        let merged = merge_by_time(runs);
        head.span_us = next_span_us(t1 - t0, merged.len());
        head.window.extend(merged);
        head.read_to = t1;
        Ok(())
    }

    /// Sends again the last sample of each tag that has had nothing for its keepalive period, with its own
    /// timestamp: the hub judges staleness on receive time, so a paused replay or a gap in a deadbanded
    /// history never shows STALE where history has a good value. Bad ones need it not (never made stale).
    fn keep_alive(&self, head: &mut Playhead, wall: Duration, batches: &mut [Vec<Sample>]) {
        for (t, held) in self.tags.iter().zip(head.held.iter_mut()) {
            let (Some(period), Some((sample, sent))) = (t.keepalive, held.as_mut()) else {
                continue;
            };
            if !sample.quality.is_bad() && wall.saturating_sub(*sent) >= period {
                batches[t.link].push(sample.clone());
                *sent = wall;
            }
        }
    }

    /// Puts every tag at its value as of `at` (the last sample at or before it; NO DATA where history has
    /// none yet) in one batch per link, so the screen is whole at once, and plays on from there.
    fn restart_at(&self, head: &mut Playhead, at: Timestamp, wall: Duration) -> bool {
        let at = Timestamp(at.0.clamp(self.spec.from.0, self.spec.to.0));
        head.window.clear();
        head.read_to = at.0.saturating_add(1);
        head.span_us = CHUNK_MAX_US;
        head.failed = false;
        self.status.problem.store(None);
        head.pacer.seek(at, wall);
        let mut batches = self.empty_batches();
        for (k, t) in self.tags.iter().enumerate() {
            let last = match self.source.last_at(&t.name, at) {
                Ok(last) => last,
                Err(e) => {
                    self.fail(head, e.as_ref(), wall);
                    break;
                }
            };
            let sample = match last {
                Some(s) => Sample {
                    tag: t.tag,
                    value: s.value,
                    quality: s.quality,
                    source_ts: s.ts,
                },
                None => Sample::bad(t.tag, BadReason::WaitingForData, at),
            };
            head.held[k] = Some((sample.clone(), wall));
            batches[t.link].push(sample);
        }
        let alive = self.send(batches);
        self.status.publish(at, &head.pacer, head.failed);
        alive
    }

    /// Every command waiting on the held links: a write is answered as failed (the hub tells whoever asked),
    /// counted and logged; nothing is ever sent anywhere. A simulator command has no plant here.
    fn refuse_writes(&self, head: &mut Playhead) {
        for link in &self.links {
            while let Ok(cmd) = link.commands.try_recv() {
                match cmd {
                    DriverCommand::Write { tag, address, value } => {
                        let n = self.status.writes_refused.fetch_add(1, Ordering::Relaxed) + 1;
                        if head.warned.insert(tag) {
                            tracing::warn!(driver = %link.name, %address, %value, refused = n, "{}", NO_WRITES);
                        } else {
                            tracing::debug!(driver = %link.name, %address, %value, refused = n, "{}", NO_WRITES);
                        }
                        link.report(DriverEvent::WriteFailed {
                            tag,
                            value,
                            reason: NO_WRITES.to_owned(),
                        });
                    }
                    DriverCommand::Sim(c) => {
                        tracing::warn!(driver = %link.name, command = ?c, "replay: simulator command ignored");
                    }
                }
            }
        }
    }

    /// The history could not be read: said on the status and in the log; the playhead stops where it is and
    /// the values stay as they were (kept fresh).
    fn fail(&self, head: &mut Playhead, e: &(dyn std::error::Error + Send + Sync), wall: Duration) {
        tracing::error!(
            path = %self.spec.history.display(),
            error = %e,
            "replay: history could not be read; the replay stops here"
        );
        self.status.problem.store(Some(Arc::new(e.to_string())));
        head.failed = true;
        head.pacer.pause(wall);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{DriverStats, SampleReceiver, sample_channel};
    use crate::tag::{DriverId, TagDef, test_setpoint};

    const T0: i64 = 1_800_000_000_000_000;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn at(s: f64) -> Timestamp {
        Timestamp(T0 + (s * 1e6) as i64)
    }

    #[test]
    fn source_time_follows_wall_time_at_speed_with_pause_step_and_seek() {
        let mut p = Pacer::new(at(0.0), at(600.0), 10.0);
        assert_eq!(
            p.position(secs(2.0)),
            at(20.0),
            "10x: 2 s of wall time is 20 s of plant time"
        );
        p.pause(secs(2.0));
        assert_eq!(p.position(secs(5.0)), at(20.0), "paused: the playhead stays");
        p.resume(secs(5.0));
        assert_eq!(
            p.position(secs(6.0)),
            at(30.0),
            "resumed where it was paused, not where wall time is"
        );
        p.resume(secs(6.0));
        assert_eq!(p.position(secs(6.0)), at(30.0), "resume while playing changes nothing");
        p.set_speed(60.0, secs(6.0));
        assert_eq!(
            p.position(secs(7.0)),
            at(90.0),
            "a new speed counts from when it was set"
        );
        p.step(secs(7.0));
        assert!(p.paused());
        assert_eq!(p.position(secs(9.0)), at(91.0), "a step pauses and moves one second");
        p.step(secs(9.0));
        assert_eq!(p.position(secs(9.5)), at(92.0));
        p.seek(at(300.0), secs(10.0));
        assert_eq!(p.position(secs(20.0)), at(300.0), "a seek keeps a paused replay paused");
        p.resume(secs(20.0));
        assert_eq!(p.position(secs(24.0)), at(540.0));
        assert_eq!(p.position(secs(100.0)), at(600.0), "never past the window's end");
        assert!(p.at_end(secs(100.0)));
        p.seek(at(-50.0), secs(101.0));
        assert_eq!(p.position(secs(101.0)), at(0.0), "a seek stays within the window");
        p.seek(at(9_000.0), secs(101.0));
        assert_eq!(p.position(secs(101.0)), at(600.0));
    }

    fn s(tag: u32, t: f64, v: f64) -> Sample {
        Sample::good(TagId(tag), Value::F64(v), at(t))
    }

    #[test]
    fn runs_merge_in_time_order_and_ties_keep_run_order() {
        let runs: Vec<Vec<(usize, Sample)>> = vec![
            vec![(0, s(0, 0.0, 1.0)), (0, s(0, 1.0, 2.0)), (0, s(0, 3.0, 3.0))],
            vec![(1, s(1, 0.5, 10.0)), (1, s(1, 1.0, 20.0)), (1, s(1, 2.0, 30.0))],
            vec![],
        ];
        let merged = merge_by_time(runs);
        let order: Vec<(usize, f64)> = merged
            .iter()
            .map(|(k, s)| (*k, (s.source_ts.0 - T0) as f64 / 1e6))
            .collect();
        assert_eq!(order, vec![(0, 0.0), (1, 0.5), (0, 1.0), (1, 1.0), (1, 2.0), (0, 3.0)]);
    }

    #[test]
    fn only_what_is_due_leaves_the_window() {
        let run = vec![(0, s(0, 0.0, 1.0)), (0, s(0, 2.0, 2.0))];
        let mut w: VecDeque<(usize, Sample)> = merge_by_time(vec![run]).into();
        assert_eq!(pop_due(&mut w, at(1.0)).map(|(_, s)| s.source_ts), Some(at(0.0)));
        assert!(
            pop_due(&mut w, at(1.0)).is_none(),
            "the 2 s sample waits for the playhead"
        );
        assert!(pop_due(&mut w, at(2.0)).is_some(), "due at its own time");
        assert!(pop_due(&mut w, at(9.0)).is_none());
    }

    #[test]
    fn chunks_are_sized_to_the_sites_rate() {
        assert_eq!(next_span_us(60_000_000, 0), CHUNK_MAX_US, "quiet history: long reads");
        assert_eq!(next_span_us(60_000_000, 100), CHUNK_MAX_US);
        // 1,000 tags at 10 Hz over 60 s: 600,000 samples, so a third of the span next time
        assert_eq!(next_span_us(60_000_000, 600_000), 20_000_000);
        assert_eq!(
            next_span_us(1_000_000, 50_000_000),
            CHUNK_MIN_US,
            "never below a second"
        );
    }

    #[test]
    fn held_values_are_sent_again_well_before_they_would_turn_stale() {
        assert_eq!(keepalive_period(Duration::from_secs(5)), Some(KEEPALIVE_MAX));
        assert_eq!(
            keepalive_period(Duration::from_millis(600)),
            Some(Duration::from_millis(300))
        );
        assert_eq!(keepalive_period(Duration::from_millis(20)), Some(KEEPALIVE_MIN));
        assert_eq!(
            keepalive_period(Duration::MAX),
            None,
            "reported by exception: never stale"
        );
    }

    #[test]
    fn a_replay_runs_at_one_to_sixty_times_over_a_window_that_is_not_empty() {
        let spec = |speed: f64, to: f64| ReplaySpec {
            history: PathBuf::from("history.db"),
            from: at(0.0),
            to: at(to),
            speed,
        };
        assert!(spec(1.0, 10.0).check().is_ok());
        assert!(spec(60.0, 10.0).check().is_ok());
        for bad in [0.5, 61.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(spec(bad, 10.0).check(), Err(ReplayError::BadSpeed(_))),
                "{bad}"
            );
        }
        assert!(matches!(spec(1.0, 0.0).check(), Err(ReplayError::EmptyWindow { .. })));
        let (tx, rx) = bounded(1);
        let control = ReplayControl { tx };
        assert!(matches!(
            control.send(ReplayCmd::SetSpeed(100.0)),
            Err(ReplayError::BadSpeed(_))
        ));
        assert!(control.send(ReplayCmd::Pause).is_ok());
        assert!(matches!(control.send(ReplayCmd::Resume), Err(ReplayError::Busy)));
        drop(rx);
        assert!(matches!(control.send(ReplayCmd::Step), Err(ReplayError::Stopped)));
    }

    /// History as a table, by tag name.
    #[derive(Default)]
    struct Table(HashMap<String, Vec<Stored>>);

    impl Table {
        fn with(mut self, tag: &str, points: &[(f64, f64)]) -> Self {
            let run = points
                .iter()
                .map(|&(t, v)| Stored {
                    ts: at(t),
                    value: Some(Value::F64(v)),
                    quality: Quality::Good,
                })
                .collect();
            self.0.insert(tag.to_owned(), run);
            self
        }
    }

    impl ReplaySource for Table {
        fn tag_names(&self) -> Result<Vec<String>, SourceError> {
            Ok(self.0.keys().cloned().collect())
        }

        fn each(
            &self,
            tag: &str,
            from: Timestamp,
            to: Timestamp,
            f: &mut dyn FnMut(Stored),
        ) -> Result<(), SourceError> {
            for s in self
                .0
                .get(tag)
                .into_iter()
                .flatten()
                .filter(|s| s.ts >= from && s.ts <= to)
            {
                f(s.clone());
            }
            Ok(())
        }

        fn last_at(&self, tag: &str, at: Timestamp) -> Result<Option<Stored>, SourceError> {
            Ok(self
                .0
                .get(tag)
                .and_then(|run| run.iter().rev().find(|s| s.ts <= at))
                .cloned())
        }
    }

    fn def(id: u32, name: &str, driver: u16) -> TagDef {
        TagDef {
            id: TagId(id),
            name: name.into(),
            address: name.into(),
            driver: DriverId(driver),
            range: Some((0.0, 1_000.0)),
            ..test_setpoint("ft", (0.0, 1_000.0))
        }
    }

    /// The hub's view of one driver: its samples and the outcomes it reports, and where commands go in.
    struct Port {
        samples: SampleReceiver,
        commands: Sender<DriverCommand>,
        events: Receiver<DriverEvent>,
    }

    impl Port {
        /// (tag, seconds, value) of everything sent since the last look.
        fn sent(&self) -> Vec<(u32, f64, f64)> {
            let mut out = Vec::new();
            while let Ok(b) = self.samples.try_recv() {
                for s in b.samples {
                    let v = s.value.and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
                    out.push((s.tag.0, (s.source_ts.0 - T0) as f64 / 1e6, v));
                }
            }
            out
        }
    }

    fn link(driver: u16, tags: &[&TagDef]) -> (DriverLink, Port) {
        let stats = Arc::new(DriverStats::default());
        let (samples, rx) = sample_channel(DriverId(driver), 64, stats.clone());
        let (ctx, crx) = bounded(8);
        let (etx, erx) = bounded(8);
        let link = DriverLink {
            id: DriverId(driver),
            name: format!("d{driver}"),
            samples,
            commands: crx,
            events: etx,
            stats,
            shutdown: Arc::new(AtomicBool::new(false)),
            tags: tags.iter().map(|d| (d.id, d.address.clone())).collect(),
        };
        let port = Port {
            samples: rx,
            commands: ctx,
            events: erx,
        };
        (link, port)
    }

    #[test]
    fn history_is_played_through_the_drivers_link_at_speed_and_no_write_leaves() {
        // depth every second; weight deadbanded (two samples); a calculated tag (its deriver's, not
        // replayed) and a tag the project no longer has, both with history.
        let depth = def(0, "ct01/depth", 0);
        let weight = def(1, "ct01/weight", 0);
        let calc = def(2, "ct01/depth_m", 1);
        let directory = TagDirectory::new(vec![depth.clone(), weight.clone(), calc.clone()]);
        let per_second: Vec<(f64, f64)> = (0..=20).map(|t| (f64::from(t), 10.0 * f64::from(t))).collect();
        let table = Table::default()
            .with("ct01/depth", &per_second)
            .with("ct01/weight", &[(0.0, 5.0), (15.0, 6.0)])
            .with("ct01/depth_m", &per_second)
            .with("gone/tag", &per_second);
        let (l, port) = link(0, &[&depth, &weight]);
        let spec = ReplaySpec {
            history: PathBuf::from("history.db"),
            from: at(5.0),
            to: at(20.0),
            speed: 2.0,
        };
        let shutdown = Arc::new(AtomicBool::new(false));
        let (driver, handle) = ReplayDriver::new(spec, table, &directory, vec![l], shutdown).unwrap();
        let status = handle.status.clone();
        assert_eq!(
            status.tags(),
            2,
            "the device tags with history; the calculated one is derived again"
        );
        let mut head = driver.playhead();

        // The start: every tag at once, as of the window's start (weight's last sample is older).
        assert!(driver.restart_at(&mut head, at(5.0), secs(0.0)));
        assert_eq!(port.sent(), vec![(0, 5.0, 50.0), (1, 0.0, 5.0)]);

        // 2x: one second of wall time is two of plant time; weight has nothing new and is sent again, with
        // its own time, before it could turn stale.
        assert!(driver.tick(&mut head, secs(1.0)));
        assert_eq!(port.sent(), vec![(0, 6.0, 60.0), (0, 7.0, 70.0), (1, 0.0, 5.0)]);
        assert_eq!(status.position(), at(7.0));
        assert_eq!(
            status.samples_replayed(),
            2,
            "values sent again are not history replayed"
        );

        // A write (a person's, or a trip's output) is answered as failed and never leaves.
        let value = Value::F64(1.0);
        let address = depth.address.clone();
        let write = DriverCommand::Write {
            tag: depth.id,
            address,
            value: value.clone(),
        };
        port.commands.send(write).unwrap();
        assert!(driver.tick(&mut head, secs(1.01)));
        let refused = DriverEvent::WriteFailed {
            tag: depth.id,
            value,
            reason: NO_WRITES.to_owned(),
        };
        assert_eq!(port.events.try_recv().ok(), Some(refused));
        assert_eq!(status.writes_refused(), 1);

        // Paused: the playhead stays, and what it shows stays fresh (sent again, same times).
        assert!(driver.apply(&mut head, ReplayCmd::Pause, secs(1.5)));
        assert!(driver.tick(&mut head, secs(1.5)));
        assert_eq!(port.sent(), vec![(0, 8.0, 80.0)]);
        assert!(driver.tick(&mut head, secs(4.0)));
        assert_eq!(port.sent(), vec![(0, 8.0, 80.0), (1, 0.0, 5.0)]);
        assert!(status.paused());
        assert_eq!(status.position(), at(8.0));

        // A step: one second of plant time.
        assert!(driver.apply(&mut head, ReplayCmd::Step, secs(4.0)));
        assert!(driver.tick(&mut head, secs(4.0)));
        assert_eq!(port.sent(), vec![(0, 9.0, 90.0)]);

        // A seek: the whole picture as of then, at once, still paused.
        assert!(driver.apply(&mut head, ReplayCmd::Seek(at(16.0)), secs(5.0)));
        assert_eq!(port.sent(), vec![(0, 16.0, 160.0), (1, 15.0, 6.0)]);
        assert_eq!(status.seeks(), 1);

        // Played to the end, then finished; a resume there plays the window again from its start.
        assert!(driver.apply(&mut head, ReplayCmd::Resume, secs(5.0)));
        assert!(driver.tick(&mut head, secs(60.0)));
        let sent = port.sent();
        let depths: Vec<f64> = sent.iter().filter(|s| s.0 == 0).map(|s| s.1).collect();
        assert_eq!(depths, vec![17.0, 18.0, 19.0, 20.0]);
        assert!(status.finished());
        assert_eq!(status.position(), at(20.0));
        assert!(driver.apply(&mut head, ReplayCmd::Resume, secs(61.0)));
        assert_eq!(port.sent(), vec![(0, 5.0, 50.0), (1, 0.0, 5.0)]);
        assert!(driver.tick(&mut head, secs(61.0)));
        assert!(!status.finished());
        assert_eq!(status.position(), at(5.0));
    }
}
