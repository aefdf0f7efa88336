//! Alarm management (ISA-18.2 / EEMUA 191): definitions, the state machine, the journal, KPIs and
//! the annunciator's logic.
//!
//! `AlarmService` plugs the pure `AlarmEngine` into the hub as a subscriber: it evaluates inline on the
//! hub thread, hands every event to the journal writer without waiting, and publishes an immutable
//! `AlarmView` for the console together with the hub's own snapshot. It never imports egui.
//!
//! Its definitions are built from the project's files by `project::alarms`, and an edit reaches the engine
//! as `AlarmCommand::Reload` (from `project::reload`, through the wiring); this room never imports `project`.

pub mod annunciator;
pub mod def;
pub mod engine;
pub mod journal;
pub mod kpi;
pub mod reader;
pub mod state;

pub use def::{AlarmDef, AlarmSet, Priority};
pub use engine::{AlarmCommand, AlarmEngine, PriorityCounts};
pub use state::{AlarmEvent, AlarmRow, AlarmState, EventKind};

use crate::auth::audit::{AuditEntry, AuditSink};
use crate::hub::{Carries, Subscriber};
use crate::tag::{TagId, TagTable, TagUpdate, Timestamp};
use arc_swap::ArcSwap;
use crossbeam_channel::{Sender, TrySendError};
use journal::JournalRecord;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// What the console shows of the alarm system, published with each hub snapshot that follows a change.
#[derive(Debug, Clone, Default)]
pub struct AlarmView {
    pub seq: u64,
    /// Every alarm that is not normal, in banner order (unacknowledged, priority, newest).
    pub rows: Vec<AlarmRow>,
    pub counts: PriorityCounts,
    /// Alarms annunciated in the last 10 minutes, and whether that is a flood (EEMUA 191: > 10).
    pub recent_activations: usize,
    pub flood: bool,
    /// Configured alarm points.
    pub points: usize,
    /// Per tag: the most urgent annunciated alarm on it (symbols and tag rows draw its indicator).
    pub tag_marks: HashMap<TagId, (Priority, AlarmState)>,
    /// Journal records waiting because the writer's queue is full (never dropped; shown when not zero).
    pub journal_held: usize,
}

pub type AlarmViewCell = Arc<ArcSwap<AlarmView>>;

impl AlarmView {
    fn build(engine: &AlarmEngine, seq: u64, journal_held: usize) -> Self {
        let rows = engine.rows();
        let mut tag_marks: HashMap<TagId, (Priority, AlarmState)> = HashMap::new();
        for r in rows.iter().filter(|r| r.state.is_annunciated()) {
            let e = tag_marks.entry(r.def.tag).or_insert((r.def.priority, r.state));
            let key = |(p, s): (Priority, AlarmState)| (p, !s.is_unacked());
            if key((r.def.priority, r.state)) < key(*e) {
                *e = (r.def.priority, r.state);
            }
        }
        let recent = engine.recent_activations();
        Self {
            seq,
            counts: engine::counts(&rows),
            rows,
            recent_activations: recent,
            flood: recent > engine::FLOOD_THRESHOLD,
            points: engine.set().len(),
            tag_marks,
            journal_held,
        }
    }

    pub fn unacked(&self) -> impl Iterator<Item = &AlarmRow> {
        self.rows.iter().filter(|r| r.state.is_unacked())
    }
}

/// The engine on the hub thread, with its journal feed and published view.
pub struct AlarmService {
    engine: AlarmEngine,
    view: AlarmViewCell,
    journal: Option<Sender<JournalRecord>>,
    /// Operator actions (and refusals) also go to the audit trail.
    audit: Option<AuditSink>,
    /// Records the journal queue had no room for, oldest first; retried before anything newer.
    held: VecDeque<JournalRecord>,
    seq: u64,
    /// People's actions here, for the site's other consoles (the share room sends them).
    share: Option<tokio::sync::mpsc::Sender<engine::RemoteAction>>,
    share_dropped: u64,
}

impl AlarmService {
    pub fn new(engine: AlarmEngine, journal: Option<Sender<JournalRecord>>) -> Self {
        let view = Arc::new(ArcSwap::from_pointee(AlarmView::build(&engine, 0, 0)));
        Self {
            engine,
            view,
            journal,
            audit: None,
            held: VecDeque::new(),
            seq: 0,
            share: None,
            share_dropped: 0,
        }
    }

    /// Hands every action a person takes on alarms here (acknowledge, shelve, unshelve, out of and back in
    /// service, silence) to `tx`, for the site's other consoles. Never waits: a full queue drops the
    /// action for the others (said in the log); this console has it either way.
    pub fn with_share(mut self, tx: tokio::sync::mpsc::Sender<engine::RemoteAction>) -> Self {
        self.share = Some(tx);
        self
    }

    fn share_events(&mut self, events: &[AlarmEvent]) {
        let Some(tx) = &self.share else { return };
        for e in events.iter().filter(|e| e.origin.is_none()) {
            let Some(by) = &e.by else { continue };
            let state = e.alarm.as_ref().and_then(|d| self.engine.persisted(d));
            let what = match e.kind {
                EventKind::Acknowledged => engine::RemoteWhat::Acknowledge,
                EventKind::Shelved => match state.as_ref().and_then(|s| s.shelf.as_ref()) {
                    Some(sh) => engine::RemoteWhat::Shelve {
                        until: sh.until,
                        reason: sh.reason.clone(),
                    },
                    None => continue,
                },
                EventKind::Unshelved => engine::RemoteWhat::Unshelve,
                EventKind::RemovedFromService => engine::RemoteWhat::RemoveFromService {
                    reason: e.comment.clone(),
                },
                EventKind::ReturnedToService => engine::RemoteWhat::ReturnToService,
                EventKind::Silenced => engine::RemoteWhat::Silence,
                _ => continue,
            };
            let act = engine::RemoteAction {
                console: Arc::from(""),
                alarm: e.alarm.as_ref().map(|d| d.id.clone()),
                by: by.clone(),
                at: e.at,
                what,
            };
            if tx.try_send(act).is_err() {
                self.share_dropped += 1;
                if self.share_dropped.is_power_of_two() {
                    tracing::warn!(
                        dropped = self.share_dropped,
                        "alarm actions not shared with the other consoles: the share queue is full or closed"
                    );
                }
            }
        }
    }

    /// Sends every operator action on alarms (and every refused one) to the audit trail as well.
    pub fn with_audit(mut self, audit: AuditSink) -> Self {
        self.audit = Some(audit);
        self
    }

    fn audit_events(&self, events: &[AlarmEvent]) {
        let Some(tx) = &self.audit else { return };
        for e in events {
            let Some(by) = &e.by else { continue };
            let action = match e.kind {
                EventKind::Refused => "alarm action",
                EventKind::Silenced => "horn silenced",
                EventKind::Acknowledged => "alarm acknowledged",
                EventKind::Shelved => "alarm shelved",
                EventKind::Unshelved => "alarm unshelved",
                EventKind::RemovedFromService => "alarm out of service",
                EventKind::ReturnedToService => "alarm in service",
                _ => continue,
            };
            let target = e.alarm.as_ref().map_or_else(String::new, |d| d.id.to_string());
            let entry = AuditEntry::by(
                e.at,
                by,
                action,
                target,
                e.comment.clone(),
                e.kind != EventKind::Refused,
            );
            tx.record(entry);
        }
    }

    pub fn view_cell(&self) -> AlarmViewCell {
        self.view.clone()
    }

    pub fn engine(&self) -> &AlarmEngine {
        &self.engine
    }

    fn journal_events(&mut self) {
        let events: Vec<AlarmEvent> = self.engine.drain_events().collect();
        self.audit_events(&events);
        self.share_events(&events);
        let Some(tx) = &self.journal else { return };
        for event in events {
            let state = event.alarm.as_ref().and_then(|d| self.engine.persisted(d));
            self.held.push_back(JournalRecord { event, state });
        }
        while let Some(r) = self.held.pop_front() {
            match tx.try_send(r) {
                Ok(()) => {}
                Err(TrySendError::Full(r)) => {
                    self.held.push_front(r);
                    break;
                }
                Err(TrySendError::Disconnected(_)) => {
                    tracing::error!(
                        held = self.held.len() + 1,
                        "alarm journal writer is gone; events are not being recorded"
                    );
                    self.journal = None;
                    self.held.clear();
                    break;
                }
            }
        }
    }

    /// Publishes a new view if anything changed.
    pub fn publish(&mut self) {
        if self.engine.take_changed() {
            self.seq += 1;
            self.view
                .store(Arc::new(AlarmView::build(&self.engine, self.seq, self.held.len())));
        }
    }
}

/// The alarm system's own calls, which the hub makes through `Subscriber` (and tests make directly).
impl AlarmService {
    pub fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        self.engine.on_updates(updates, table);
        self.journal_events();
    }

    pub fn on_tick(&mut self, now: Timestamp, _table: &TagTable) {
        self.engine.on_tick(now);
        self.journal_events();
        if !self.held.is_empty() {
            // The view shows the backlog; republish so the count stays true while it drains.
            self.seq += 1;
            self.view
                .store(Arc::new(AlarmView::build(&self.engine, self.seq, self.held.len())));
        }
    }

    pub fn on_command(&mut self, c: &AlarmCommand, now: Timestamp) {
        self.engine.command(c.clone(), now);
        self.journal_events();
    }

    pub fn on_publish(&mut self) {
        self.publish();
    }
}

impl<C: Carries<AlarmCommand>> Subscriber<C> for AlarmService {
    fn name(&self) -> &str {
        "alarms"
    }

    fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        AlarmService::on_updates(self, updates, table);
    }

    fn on_tick(&mut self, now: Timestamp, table: &TagTable) {
        AlarmService::on_tick(self, now, table);
    }

    fn on_command(&mut self, cmd: &C, now: Timestamp, _table: &TagTable) {
        if let Some(c) = cmd.carried() {
            AlarmService::on_command(self, c, now);
        }
    }

    fn on_publish(&mut self) {
        self.publish();
    }
}

#[cfg(test)]
mod tests;
