//! Trips and emergency stops: rules over tags that write to the plant when a limit is crossed, and E-stops
//! the operator presses. Safety logic, so it fails safe: an input that is bad or stale makes a rule take
//! its fail-safe action, and a trip stays latched until someone allowed to reset it does.
//!
//! `TripService` plugs the pure `TripEngine` into the hub: it evaluates inline on the hub thread (never the
//! UI's), hands its writes to the hub's one command path, sends every trip, reset, bypass and E-stop to the
//! audit trail without waiting, and publishes a `TripView` with each hub snapshot. It never imports egui.
//!
//! `def` holds the validated rules (built from the project's files by `project::trips`; this room never
//! imports `project`), `engine` the pure state machine and what of it survives a restart (`SavedTrips`),
//! `store` the thread that keeps that on disk (it depends on `engine`, never the other way).

pub mod def;
pub mod engine;
pub mod store;

pub use def::{Cond, EstopDef, OnBad, Output, TripDef, TripSet};
pub use engine::{
    Cause, EstopRow, OutputStatus, SavedTrips, TripCommand, TripEngine, TripEvent, TripEventKind, TripRow, TripStatus,
};

use crate::auth::audit::{AuditEntry, AuditSink};
use crate::driver::DriverEvent;
use crate::hub::{Carries, Request, Subscriber};
use crate::tag::{TagId, TagTable, TagUpdate, Timestamp, Value};
use arc_swap::ArcSwap;
use crossbeam_channel::Sender;
use std::collections::VecDeque;
use std::sync::Arc;

/// Trip events kept for the console's trips page.
pub const RECENT_TRIP_EVENTS: usize = 50;

/// What the console shows of trips and E-stops.
#[derive(Debug, Clone, Default)]
pub struct TripView {
    pub seq: u64,
    pub trips: Vec<TripRow>,
    pub estops: Vec<EstopRow>,
    /// Newest first.
    pub recent: VecDeque<TripEvent>,
}

impl TripView {
    pub fn tripped(&self) -> impl Iterator<Item = &TripRow> {
        self.trips.iter().filter(|t| t.status == TripStatus::Tripped)
    }

    pub fn active_estops(&self) -> impl Iterator<Item = &EstopRow> {
        self.estops.iter().filter(|e| e.latch.is_some())
    }

    pub fn count(&self, status: TripStatus) -> usize {
        self.trips.iter().filter(|t| t.status == status).count()
    }

    /// Any output of a latched trip or E-stop that the plant has not confirmed yet.
    pub fn unconfirmed_outputs(&self) -> usize {
        let latches = self
            .trips
            .iter()
            .filter_map(|t| t.latch.as_ref())
            .chain(self.estops.iter().filter_map(|e| e.latch.as_ref()));
        latches
            .flat_map(|l| &l.outputs)
            .filter(|o| o.status != OutputStatus::Confirmed)
            .count()
    }
}

pub type TripViewCell = Arc<ArcSwap<TripView>>;

pub struct TripService {
    engine: TripEngine,
    view: TripViewCell,
    audit: Option<AuditSink>,
    recent: VecDeque<TripEvent>,
    seq: u64,
    /// Where latches and bypasses are saved, and a snapshot the writer had no room for.
    store: Option<Sender<SavedTrips>>,
    unsaved: Option<SavedTrips>,
}

impl TripService {
    pub fn new(engine: TripEngine) -> Self {
        let view = Arc::new(ArcSwap::from_pointee(TripView {
            trips: engine.rows(),
            estops: engine.estop_rows(),
            ..TripView::default()
        }));
        Self {
            engine,
            view,
            audit: None,
            recent: VecDeque::new(),
            seq: 0,
            store: None,
            unsaved: None,
        }
    }

    /// Every trip, output failure, reset, bypass, E-stop and refusal also goes to the audit trail.
    pub fn with_audit(mut self, audit: AuditSink) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Saves latches and bypasses through the trip state writer whenever they change.
    pub fn with_store(mut self, tx: Sender<SavedTrips>) -> Self {
        self.store = Some(tx);
        self
    }

    fn save(&mut self) {
        let Some(tx) = &self.store else { return };
        let snapshot = if self.engine.take_persist() {
            Some(self.engine.saved())
        } else {
            self.unsaved.take()
        };
        if let Some(s) = snapshot {
            self.unsaved = store::offer(tx, s);
        }
    }

    pub fn view_cell(&self) -> TripViewCell {
        self.view.clone()
    }

    pub fn engine(&self) -> &TripEngine {
        &self.engine
    }

    fn record_events(&mut self) {
        let events: Vec<TripEvent> = self.engine.drain_events().collect();
        for e in events {
            if let Some(tx) = &self.audit {
                let allowed = e.kind != TripEventKind::Refused;
                let entry = match &e.by {
                    Some(a) => AuditEntry::by(e.at, a, e.kind.label(), &*e.id, e.detail.clone(), allowed),
                    // The engine acting on its own (a trip, a bypass running out) is recorded as "system".
                    None => AuditEntry {
                        at: e.at,
                        user: "system".into(),
                        role: "-".into(),
                        action: e.kind.label().to_owned(),
                        target: e.id.to_string(),
                        detail: e.detail.clone(),
                        allowed,
                    },
                };
                tx.record(entry);
            }
            if self.recent.len() == RECENT_TRIP_EVENTS {
                self.recent.pop_back();
            }
            self.recent.push_front(e);
        }
        self.save();
    }

    pub fn publish(&mut self) {
        if self.engine.take_changed() {
            self.seq += 1;
            self.view.store(Arc::new(TripView {
                seq: self.seq,
                trips: self.engine.rows(),
                estops: self.engine.estop_rows(),
                recent: self.recent.clone(),
            }));
        }
    }
}

/// The trip system's own calls, which the hub makes through `Subscriber` (and tests make directly).
impl TripService {
    pub fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        self.engine.on_updates(updates, table);
        self.record_events();
    }

    pub fn on_tick(&mut self, now: Timestamp, table: &TagTable) {
        self.engine.on_tick(now, table);
        self.record_events();
    }

    pub fn on_command(&mut self, c: &TripCommand, now: Timestamp, table: &TagTable) {
        self.engine.command(c.clone(), now, table);
        self.record_events();
    }

    pub fn on_publish(&mut self) {
        self.publish();
    }

    pub fn on_driver_event(&mut self, event: &DriverEvent, now: Timestamp) {
        match event {
            DriverEvent::WriteConfirmed { tag, value } => self.engine.on_write_outcome(*tag, value, None, now),
            DriverEvent::WriteFailed { tag, value, reason } => {
                self.engine.on_write_outcome(*tag, value, Some(reason), now)
            }
        }
        self.record_events();
    }

    /// The writes the trip outputs ask for, oldest first.
    pub fn drain_writes(&mut self) -> impl Iterator<Item = (TagId, Value)> + '_ {
        self.engine.drain_writes()
    }
}

impl<C: Carries<TripCommand>> Subscriber<C> for TripService {
    fn name(&self) -> &str {
        "trips"
    }

    fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        TripService::on_updates(self, updates, table);
    }

    fn on_tick(&mut self, now: Timestamp, table: &TagTable) {
        TripService::on_tick(self, now, table);
    }

    fn on_command(&mut self, cmd: &C, now: Timestamp, table: &TagTable) {
        if let Some(c) = cmd.carried() {
            TripService::on_command(self, c, now, table);
        }
    }

    fn on_publish(&mut self) {
        self.publish();
    }

    fn on_driver_event(&mut self, event: &DriverEvent, now: Timestamp) {
        TripService::on_driver_event(self, event, now);
    }

    fn drain_requests(&mut self, out: &mut Vec<Request<C>>) {
        out.extend(self.drain_writes().map(|(tag, value)| Request::Write { tag, value }));
    }
}

#[cfg(test)]
mod tests;
