//! The hub: the one scan thread between drivers and everything else.
//!
//! It drains every driver's bounded channel, applies samples to the tag table in arrival order (so
//! each tag's history stays in order), turns silent tags Stale, fans every change out to subscribers
//! (historian, alarms, interlocks and calculations plug in through `Subscriber`), routes operator
//! commands to drivers, and publishes an immutable `Snapshot` for the UI. It never blocks on a
//! driver: sends to drivers are `try_send`, and a failure is counted and reported. A person's write is
//! kept with its outcome (sent, confirmed, refused, failed) until the driver answers, for whoever asked.

mod backlog;
mod command;
mod service;
mod snapshot;

pub use command::{
    Carries, CommandLanes, CommandSender, HubCommand, NoService, NotSent, ROUTINE_QUEUE, Request, ServiceCommand,
    URGENT_QUEUE, command_lanes,
};
pub use service::{Deriver, Subscriber};
pub use snapshot::{DriverStatus, EventRecord, HubCounters, Snapshot, SnapshotCell, WriteOutcome, WriteRecord};

use crate::auth::audit::{AuditEntry, AuditSink};
use crate::auth::{Action, Actor};
use crate::driver::{DriverCommand, DriverEvent, DriverStats, SampleBatch, SampleReceiver};
use crate::tag::{DriverId, Sample, TagDirectory, TagId, TagTable, TagUpdate, Timestamp, Value};
use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Select, Sender, TryRecvError, TrySendError};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Hub-side end of one driver.
pub struct DriverPort {
    pub name: String,
    pub kind: &'static str,
    pub samples: SampleReceiver,
    pub commands: Sender<DriverCommand>,
    pub events: Receiver<DriverEvent>,
    pub stats: Arc<DriverStats>,
}

#[derive(Debug, Clone, Copy)]
pub struct HubTiming {
    /// Stale checks and subscriber ticks.
    pub housekeeping: Duration,
    /// Least time between two snapshot publications.
    pub min_publish_interval: Duration,
    /// Window over which rates are computed.
    pub rate_window: Duration,
    /// A batch that waited longer than this in its driver's queue (or a scan past `ROUND_SAMPLES`) means the
    /// hub is behind: it takes that driver's whole backlog at once and applies only each tag's newest sample (counted as coalesced), so
    /// the screen shows the present, not a queue's worth of the past. `None`: every sample, however late.
    pub coalesce_after: Option<Duration>,
}

impl Default for HubTiming {
    fn default() -> Self {
        Self {
            housekeeping: Duration::from_millis(100),
            // 60 Hz is the fastest a screen refreshes; publishing faster only burns CPU.
            min_publish_interval: Duration::from_millis(16),
            rate_window: Duration::from_secs(1),
            // A tenth of a second behind is already more than an operator's eye allows for a value.
            coalesce_after: Some(Duration::from_millis(100)),
        }
    }
}

/// Command outcomes kept for the UI.
pub const RECENT_EVENTS: usize = 100;

/// People's writes kept with their outcomes.
pub const RECENT_WRITES: usize = 50;

/// At most this many batches are drained before the hub publishes and looks at commands again.
const DRAIN_BUDGET: usize = 4_096;

/// Samples one scan applies in order before it coalesces the rest (with `coalesce_after` set): a scan that
/// big means the hub is behind, whatever the age of the batches. A busy site that keeps up (100,000
/// samples/s over millisecond scans) stays far below it; one driver's birth of unique tags loses nothing.
const ROUND_SAMPLES: usize = 10_000;

pub struct Hub<C> {
    table: TagTable,
    ports: Vec<DriverPort>,
    samples_in: Vec<u64>,
    rate_base: Vec<u64>,
    rates: Vec<f64>,
    request_base: Vec<u64>,
    request_rates: Vec<f64>,
    samples_open: Vec<bool>,
    events_open: Vec<bool>,
    /// Samples replaced by newer ones of the same tag on the hub (a backlog taken whole), per driver.
    coalesced: Vec<u64>,
    routine_open: bool,
    urgent_open: bool,
    commands: CommandLanes<C>,
    subscribers: Vec<Box<dyn Subscriber<C>>>,
    derivers: Vec<Box<dyn Deriver>>,
    /// Samples derivers made this scan (reused buffer).
    derived: Vec<Sample>,
    backlog: backlog::Coalescer,
    published: SnapshotCell,
    notify: Option<Arc<dyn Fn() + Send + Sync>>,
    counters: HubCounters,
    seq: u64,
    updates: Vec<TagUpdate>,
    timing: HubTiming,
    events: VecDeque<EventRecord>,
    writes: VecDeque<WriteRecord>,
    /// Operator writes (and refused ones) go to the audit trail.
    audit: Option<AuditSink>,
    /// What services asked for, waiting to be routed (reused buffer).
    routed: Vec<Request<C>>,
}

impl<C: ServiceCommand> Hub<C> {
    pub fn new(directory: Arc<TagDirectory>, ports: Vec<DriverPort>, commands: CommandLanes<C>) -> Self {
        let n = ports.len();
        let table = TagTable::new(directory.clone());
        let hub = Self {
            table,
            ports,
            samples_in: vec![0; n],
            rate_base: vec![0; n],
            rates: vec![0.0; n],
            request_base: vec![0; n],
            request_rates: vec![0.0; n],
            samples_open: vec![true; n],
            events_open: vec![true; n],
            coalesced: vec![0; n],
            routine_open: true,
            urgent_open: true,
            commands,
            subscribers: Vec::new(),
            derivers: Vec::new(),
            derived: Vec::new(),
            backlog: backlog::Coalescer::new(directory.len()),
            published: Arc::new(ArcSwap::from_pointee(Snapshot::empty(directory, Vec::new()))),
            notify: None,
            counters: HubCounters::default(),
            seq: 0,
            updates: Vec::new(),
            timing: HubTiming::default(),
            events: VecDeque::new(),
            writes: VecDeque::new(),
            audit: None,
            routed: Vec::new(),
        };
        hub.published.store(Arc::new(hub.build_snapshot(Timestamp::ZERO)));
        hub
    }

    pub fn with_timing(mut self, timing: HubTiming) -> Self {
        self.timing = timing;
        self
    }

    /// Sends operator writes, allowed or refused, to the audit trail.
    pub fn set_audit(&mut self, audit: AuditSink) {
        self.audit = Some(audit);
    }

    pub fn subscribe(&mut self, s: Box<dyn Subscriber<C>>) {
        self.subscribers.push(s);
    }

    /// Adds a service that computes tags from tags; derivers run in the order added, before subscribers.
    pub fn derive(&mut self, d: Box<dyn Deriver>) {
        self.derivers.push(d);
    }

    /// Called after each publication (the UI passes `egui::Context::request_repaint`).
    pub fn set_notifier(&mut self, f: Arc<dyn Fn() + Send + Sync>) {
        self.notify = Some(f);
    }

    pub fn snapshot_cell(&self) -> SnapshotCell {
        self.published.clone()
    }

    pub fn table(&self) -> &TagTable {
        &self.table
    }

    /// Applies one batch (arrival order) and fans the changes out. Public for tests and benches.
    pub fn apply_batch(&mut self, batch: SampleBatch, now: Timestamp) {
        let d = batch.driver.index();
        if let Some(n) = self.samples_in.get_mut(d) {
            *n += batch.samples.len() as u64;
        }
        self.counters.samples_in += batch.samples.len() as u64;
        for s in &batch.samples {
            if let Some(u) = self.table.apply(s, now) {
                self.updates.push(u);
            }
        }
    }

    /// Runs subscribers on the changes gathered since the last call.
    pub fn flush_updates(&mut self) {
        if self.updates.is_empty() {
            return;
        }
        if !self.derivers.is_empty() {
            let now = Timestamp::now();
            for i in 0..self.derivers.len() {
                self.derivers[i].derive(&self.updates, &self.table, now, &mut self.derived);
                self.apply_derived(i, now);
            }
        }
        for s in &mut self.subscribers {
            s.on_updates(&self.updates, &self.table);
        }
        self.updates.clear();
        self.route_subscriber_commands();
    }

    /// Applies what deriver `i` made (its outputs appended to this scan's changes, so every subscriber sees
    /// them with their inputs), counted on the deriver's driver.
    fn apply_derived(&mut self, i: usize, now: Timestamp) {
        if self.derived.is_empty() {
            return;
        }
        let d = self.derivers[i].driver().index();
        let n = self.derived.len() as u64;
        if let Some(c) = self.samples_in.get_mut(d) {
            *c += n;
        }
        self.counters.samples_in += n;
        for s in self.derived.drain(..) {
            if let Some(u) = self.table.apply(&s, now) {
                self.updates.push(u);
            }
        }
    }

    /// Routes what services asked for. A routed request can make a service ask for more (an E-stop
    /// command becomes writes); a few rounds settle it, and a loop that never settles is cut and logged.
    fn route_subscriber_commands(&mut self) {
        for _ in 0..4 {
            let mut out = std::mem::take(&mut self.routed);
            for s in &mut self.subscribers {
                s.drain_requests(&mut out);
            }
            if out.is_empty() {
                self.routed = out;
                return;
            }
            for r in out.drain(..) {
                self.handle_request(r);
            }
            self.routed = out;
        }
        tracing::error!("services keep asking for commands; the rest waits for the next scan");
    }

    /// Routes a service's request. Public for tests and benches.
    pub fn handle_request(&mut self, r: Request<C>) {
        match r {
            Request::Write { tag, value } => {
                // A safety output that could not even be handed to its driver (queue full, no such driver)
                // is told to the service at once, as a driver's failure would be, so it shows failed and is
                // sent again, not left "sent" until its retry timer.
                if let WriteOutcome::Failed(reason) | WriteOutcome::Refused(reason) = self.write(tag, value.clone()) {
                    let event = DriverEvent::WriteFailed { tag, value, reason };
                    let now = Timestamp::now();
                    for s in &mut self.subscribers {
                        s.on_driver_event(&event, now);
                    }
                }
            }
            Request::Service(c) => self.service_command(&c),
        }
    }

    fn service_command(&mut self, cmd: &C) {
        let now = Timestamp::now();
        for s in &mut self.subscribers {
            s.on_command(cmd, now, &self.table);
        }
    }

    /// Stale checks and timers.
    pub fn housekeeping(&mut self, now: Timestamp) {
        self.table.mark_stale(now, &mut self.updates);
        for i in 0..self.derivers.len() {
            self.derivers[i].tick(now, &self.table, &mut self.derived);
            self.apply_derived(i, now);
        }
        self.flush_updates();
        for s in &mut self.subscribers {
            s.on_tick(now, &self.table);
        }
        self.route_subscriber_commands();
    }

    pub fn handle_command(&mut self, cmd: HubCommand<C>) {
        self.counters.commands_in += 1;
        self.route(cmd);
        self.route_subscriber_commands();
    }

    fn audit_write(&self, by: &Actor, target: &str, value: &Value, allowed: bool, detail: String) {
        let Some(tx) = &self.audit else { return };
        let detail = if detail.is_empty() {
            format!("value {value}")
        } else {
            format!("value {value}: {detail}")
        };
        tx.record(AuditEntry::by(Timestamp::now(), by, "write", target, detail, allowed));
    }

    fn route(&mut self, cmd: HubCommand<C>) {
        match cmd {
            HubCommand::Service(c) => self.service_command(&c),
            HubCommand::OperatorWrite { tag, value, by } => self.operator_write(tag, value, by),
            HubCommand::Record(entry) => {
                if let Some(tx) = &self.audit {
                    tx.record(entry);
                }
            }
            HubCommand::ToDriver { driver, command } => {
                // A command not delivered is counted and logged there; nobody waits on its outcome.
                let _ = self.send_to_driver(driver, command.into());
            }
        }
    }

    /// A person's write: refused unless their role allows it, recorded in the audit trail either way, then
    /// routed like any write. It is kept with its outcome (`Snapshot::writes`) until the driver answers.
    fn operator_write(&mut self, tag: TagId, value: Value, by: Actor) {
        let name = self
            .table
            .directory()
            .get(tag)
            .map_or_else(|| format!("{tag:?}"), |d| d.name.clone());
        let outcome = if by.role.may(Action::WriteSetpoint) {
            let outcome = self.write(tag, value.clone());
            // A write the tag itself refuses is audited as refused, with the reason, as its record says.
            match &outcome {
                WriteOutcome::Refused(why) => self.audit_write(&by, &name, &value, false, why.clone()),
                _ => self.audit_write(&by, &name, &value, true, String::new()),
            }
            outcome
        } else {
            self.counters.commands_failed += 1;
            let why = format!("{} ({}) may not {}", by.user, by.role, Action::WriteSetpoint.label());
            self.audit_write(&by, &name, &value, false, why.clone());
            self.record_event("hub", false, format!("write of {value} to {name} refused: {why}"));
            WriteOutcome::Refused(why)
        };
        if self.writes.len() == RECENT_WRITES {
            self.writes.pop_front();
        }
        let now = Timestamp::now();
        let seq = self.writes.back().map_or(1, |w| w.seq + 1);
        self.writes.push_back(WriteRecord {
            seq,
            tag,
            tag_name: name,
            value,
            by,
            outcome,
            asked_at: now,
            outcome_at: now,
        });
    }

    /// Routes a write to its tag's driver. The outcome so far: `Sent`, or why not (a refusal or failure is
    /// counted and reported here).
    fn write(&mut self, tag: TagId, value: Value) -> WriteOutcome {
        let (driver, address) = match self.table.directory().get(tag) {
            Some(def) if !def.writable => {
                self.counters.commands_failed += 1;
                let text = format!("write of {value} to {} refused: the tag is not writable", def.name);
                self.record_event("hub", false, text);
                return WriteOutcome::Refused("the tag is not writable".into());
            }
            Some(def) => (def.driver, def.address.clone()),
            None => {
                self.counters.commands_failed += 1;
                tracing::error!(?tag, "write to an unknown tag refused");
                return WriteOutcome::Refused("no such tag".into());
            }
        };
        match self.send_to_driver(driver, DriverCommand::Write { tag, address, value }) {
            Ok(()) => WriteOutcome::Sent,
            Err(why) => WriteOutcome::Failed(why),
        }
    }

    /// Hands a command to its driver without waiting; why not, when it cannot (counted and logged here, and
    /// shown on the driver's health).
    fn send_to_driver(&mut self, driver: DriverId, command: DriverCommand) -> Result<(), String> {
        let Some(port) = self.ports.get(driver.index()) else {
            self.counters.commands_failed += 1;
            tracing::error!(?driver, "command for an unknown driver refused");
            return Err("no such driver".into());
        };
        match port.commands.try_send(command) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(c)) | Err(TrySendError::Disconnected(c)) => {
                self.counters.commands_failed += 1;
                tracing::error!(driver = %port.name, command = ?c, "driver command queue full or closed; command not delivered");
                let why = "command queue full or closed: command not delivered";
                port.stats.set_last_error(Some(why.into()));
                Err(format!("driver {}: {why}", port.name))
            }
        }
    }

    /// A driver's answer settles the oldest sent write to that tag that it answers (a driver may confirm
    /// with the value it read back: `Value::reads_back_as`). Trips' writes have no record here.
    fn settle_write(&mut self, event: &DriverEvent, now: Timestamp) {
        let (tag, value, outcome) = match event {
            DriverEvent::WriteConfirmed { tag, value } => (*tag, value, WriteOutcome::Confirmed),
            DriverEvent::WriteFailed { tag, value, reason } => (*tag, value, WriteOutcome::Failed(reason.clone())),
        };
        if let Some(w) = self
            .writes
            .iter_mut()
            .find(|w| w.outcome == WriteOutcome::Sent && w.tag == tag && w.value.reads_back_as(value))
        {
            w.outcome = outcome;
            w.outcome_at = now;
        }
    }

    fn record_event(&mut self, source: &str, ok: bool, text: String) {
        if self.events.len() == RECENT_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(EventRecord {
            at: Timestamp::now(),
            source: source.to_owned(),
            ok,
            text,
        });
    }

    /// Collects command outcomes from every driver.
    pub fn drain_events(&mut self) {
        let mut got = Vec::new();
        for (i, p) in self.ports.iter().enumerate() {
            loop {
                match p.events.try_recv() {
                    Ok(e) => got.push((p.name.clone(), e)),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.events_open[i] = false;
                        break;
                    }
                }
            }
        }
        if !got.is_empty() {
            let now = Timestamp::now();
            for s in &mut self.subscribers {
                for (_, e) in &got {
                    s.on_driver_event(e, now);
                }
            }
            for (_, e) in &got {
                self.settle_write(e, now);
            }
        }
        for (source, e) in got {
            let name = |tag: TagId| {
                self.table
                    .directory()
                    .get(tag)
                    .map_or_else(|| format!("{tag:?}"), |d| d.name.clone())
            };
            let (ok, text) = match e {
                DriverEvent::WriteConfirmed { tag, value } => {
                    (true, format!("{} = {value} written and confirmed", name(tag)))
                }
                DriverEvent::WriteFailed { tag, value, reason } => {
                    self.counters.commands_failed += 1;
                    (false, format!("write of {value} to {} failed: {reason}", name(tag)))
                }
            };
            self.record_event(&source, ok, text);
        }
        self.route_subscriber_commands();
    }

    pub fn build_snapshot(&self, now: Timestamp) -> Snapshot {
        let drivers = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, p)| DriverStatus {
                name: p.name.clone(),
                kind: p.kind,
                state: p.stats.state(),
                samples_in: self.samples_in[i],
                samples_coalesced: p.stats.samples_coalesced() + self.coalesced[i],
                events_lost: p.stats.events_lost(),
                rate_per_sec: self.rates[i],
                requests: p.stats.requests(),
                requests_per_sec: p.stats.requests().map(|_| self.request_rates[i]),
                errors: p.stats.errors(),
                exceptions: p.stats.exceptions(),
                last_rtt_ms: p.stats.requests().map(|_| p.stats.last_rtt_us() as f64 / 1e3),
                last_error: p.stats.last_error(),
                detail: p.stats.detail(),
                waiting_for_birth: p.stats.waiting_for_birth(),
            })
            .collect();
        let mut counters = self.counters;
        counters.samples_coalesced =
            self.ports.iter().map(|p| p.stats.samples_coalesced()).sum::<u64>() + self.coalesced.iter().sum::<u64>();
        counters.events_lost = self.ports.iter().map(|p| p.stats.events_lost()).sum();
        Snapshot {
            seq: self.seq,
            taken_at: now,
            directory: self.table.directory().clone(),
            tags: self.table.states().to_vec(),
            drivers,
            counters,
            events: self.events.iter().cloned().collect(),
            writes: self.writes.iter().cloned().collect(),
        }
    }

    pub fn publish(&mut self, now: Timestamp) {
        for s in &mut self.subscribers {
            s.on_publish();
        }
        self.seq += 1;
        self.published.store(Arc::new(self.build_snapshot(now)));
        if let Some(n) = &self.notify {
            n();
        }
    }

    fn update_rates(&mut self, window_secs: f64) {
        let mut total = 0.0;
        for i in 0..self.ports.len() {
            self.rates[i] = (self.samples_in[i] - self.rate_base[i]) as f64 / window_secs;
            self.rate_base[i] = self.samples_in[i];
            total += self.rates[i];
            if let Some(req) = self.ports[i].stats.requests() {
                self.request_rates[i] = (req - self.request_base[i]) as f64 / window_secs;
                self.request_base[i] = req;
            }
        }
        self.counters.samples_per_sec = total;
    }

    /// Takes what waits in every driver's queue, up to the drain budget: in order while the hub keeps up;
    /// a backlog that waited longer than `coalesce_after` is taken whole, newest sample per tag. A driver's
    /// overflow slot (newest values that did not fit in its queue) is applied once its queue is empty.
    fn drain_samples(&mut self, now: Timestamp, shutdown: &AtomicBool) {
        let mut drained = 0;
        let mut in_order = 0;
        loop {
            let mut any = false;
            for i in 0..self.ports.len() {
                match self.ports[i].samples.try_recv() {
                    Ok(batch) => {
                        drained += 1;
                        any = true;
                        let late = self.timing.coalesce_after.is_some_and(|t| batch.queued.elapsed() > t);
                        // A round that already holds this much will keep subscribers busy long enough for
                        // the queues to refill: the rest of it is coalesced, or each round outgrows the last.
                        let full = self.timing.coalesce_after.is_some() && in_order >= ROUND_SAMPLES;
                        if late || full {
                            self.take_backlog(i, batch, now);
                        } else {
                            in_order += batch.samples.len();
                            self.apply_batch(batch, now);
                        }
                    }
                    Err(e) => {
                        // Empty, or closed (a stopped driver's last values may still wait in its slot).
                        let driver = DriverId(i as u16);
                        if let Some(batch) = self.ports[i].samples.take_overflow(driver) {
                            self.apply_batch(batch, now);
                            any = true;
                        }
                        if e == TryRecvError::Disconnected && self.samples_open[i] {
                            self.samples_open[i] = false;
                            if !shutdown.load(Ordering::Relaxed) {
                                tracing::warn!(driver = %self.ports[i].name, "driver stopped sending");
                            }
                        }
                    }
                }
                if drained >= DRAIN_BUDGET {
                    return;
                }
            }
            // An E-stop pressed while a long backlog is taken waits for one pass over the drivers at most.
            if !self.commands.urgent.is_empty() {
                self.drain_urgent();
            }
            if !any {
                return;
            }
        }
    }

    /// The hub is behind on driver `i`: `first` and everything queued behind it become one batch of each
    /// tag's newest sample. Cheap per sample (an index per tag), so the hub catches up however far behind.
    fn take_backlog(&mut self, i: usize, first: SampleBatch, now: Timestamp) {
        let driver = first.driver;
        let mut received = first.samples.len() as u64;
        self.backlog.add(first.samples);
        // Only what is queued now: a driver faster than the hub must not keep it here forever.
        for _ in 0..self.ports[i].samples.len() {
            match self.ports[i].samples.try_recv() {
                Ok(b) => {
                    received += b.samples.len() as u64;
                    self.backlog.add(b.samples);
                }
                Err(_) => break,
            }
        }
        if let Some(b) = self.ports[i].samples.take_overflow(driver) {
            received += b.samples.len() as u64;
            self.backlog.add(b.samples);
        }
        let samples = self.backlog.take();
        // `samples_in` counts what reaches the table (`apply_batch`); the replaced ones are counted here.
        self.coalesced[i] += received - samples.len() as u64;
        self.apply_batch(SampleBatch::new(driver, samples), now);
    }

    /// Commands waiting in the lanes: the urgent lane whole, and again before each routine command, so an
    /// E-stop pressed while a burst of routine commands is handled goes before the rest of them.
    fn drain_commands(&mut self) {
        loop {
            self.drain_urgent();
            match self.commands.routine.try_recv() {
                Ok(cmd) => self.handle_command(cmd),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.routine_open = false;
                    return;
                }
            }
        }
    }

    /// Applies every driver's overflow slot that waits behind an empty queue.
    fn take_overflows(&mut self, now: Timestamp) {
        for i in 0..self.ports.len() {
            if let Some(batch) = self.ports[i].samples.take_overflow(DriverId(i as u16)) {
                self.apply_batch(batch, now);
            }
        }
    }

    /// Every urgent command waiting (E-stops).
    fn drain_urgent(&mut self) {
        loop {
            match self.commands.urgent.try_recv() {
                Ok(cmd) => self.handle_command(cmd),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.urgent_open = false;
                    return;
                }
            }
        }
    }

    /// The scan loop; returns when `shutdown` is set.
    pub fn run(mut self, shutdown: Arc<AtomicBool>) {
        let mut last_housekeeping = Instant::now();
        let mut last_publish = Instant::now();
        let mut last_rates = Instant::now();
        let mut dirty = true;
        while !shutdown.load(Ordering::Relaxed) {
            let wait = self.timing.housekeeping.saturating_sub(last_housekeeping.elapsed());
            let ready = {
                // A closed channel is always "ready": leave it out, or the hub would spin.
                let mut sel = Select::new();
                if self.urgent_open {
                    sel.recv(&self.commands.urgent);
                }
                for (i, p) in self.ports.iter().enumerate() {
                    if self.samples_open[i] {
                        sel.recv(p.samples.channel());
                    }
                    if self.events_open[i] {
                        sel.recv(&p.events);
                    }
                }
                if self.routine_open {
                    sel.recv(&self.commands.routine);
                }
                sel.ready_timeout(wait).is_ok()
            };
            if ready {
                let now = Timestamp::now();
                // E-stops before anything else, then samples, then what people asked.
                if !self.commands.urgent.is_empty() {
                    self.drain_commands();
                }
                self.drain_samples(now, &shutdown);
                // Services (and calculated tags) see the samples before people's commands are judged: a
                // trip reset is decided on the values that came with it, calculated ones included.
                dirty |= !self.updates.is_empty();
                self.flush_updates();
                self.drain_commands();
                self.drain_events();
                dirty |= !self.updates.is_empty();
                self.flush_updates();
            }
            if last_housekeeping.elapsed() >= self.timing.housekeeping {
                last_housekeeping = Instant::now();
                // A driver's overflow slot the hub was not woken for is taken here at the latest (only a slot
                // behind an empty queue: a busy queue is the next pass's, and a pass here would delay the
                // snapshot by a whole round of work).
                self.take_overflows(Timestamp::now());
                self.housekeeping(Timestamp::now());
                dirty = true;
            }
            if last_rates.elapsed() >= self.timing.rate_window {
                self.update_rates(last_rates.elapsed().as_secs_f64());
                last_rates = Instant::now();
            }
            if dirty && last_publish.elapsed() >= self.timing.min_publish_interval {
                self.publish(Timestamp::now());
                last_publish = Instant::now();
                dirty = false;
            }
        }
        self.publish(Timestamp::now());
        for d in &mut self.derivers {
            d.stop();
        }
    }
}

#[cfg(test)]
mod tests;
