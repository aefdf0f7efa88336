//! Operator actions made at another console of the site, applied to this console's alarms. Each console
//! judges its alarms from its own inputs; what travels is what people did. The rules, so that every
//! console ends in the same place whatever order the messages arrive in, and a console that was away for
//! an hour can take the retained last actions without undoing anything newer:
//!
//! - **Acknowledge** applies to the activation that was annunciating when the person acknowledged it: an
//!   alarm that annunciated here later than the acknowledgement (plus `REMOTE_CLOCK_SKEW` for clocks and
//!   scan timing) is a newer activation and stays unacknowledged. An alarm already acknowledged is left as
//!   it is: two people acknowledging one alarm at two consoles journal one acknowledgement per console,
//!   each console its own person's or the first to arrive. The newest acknowledgement from elsewhere is
//!   kept per point: whenever the point annunciates here no later than it (plus the skew), it is
//!   acknowledged by it, so an acknowledgement that arrives before this console's scan saw the alarm, or
//!   before the unshelving that brought it back, still counts. The order messages arrive in does not
//!   change the outcome.
//! - **Shelving and service are newest-wins.** Per alarm, the shelf (shelve, unshelve) and the service
//!   (out of, back in) each remember when their newest action was taken, here or anywhere; an action older
//!   than that, arriving late or sent again, changes nothing. A shelf runs to its own end time (not a new
//!   duration from now), no longer than the alarm's `max_shelve`; one already over is ignored. Shelving
//!   acknowledges, as here.
//! - **Times from elsewhere are never later than now here**: a console whose clock runs ahead cannot make
//!   its actions win, or acknowledge activations still to come.
//! - **Acknowledge and shelve** meet in one state: acknowledged and shelved, whichever came first.
//! - The role the person had at their console is checked here too; a refusal is journaled like one made
//!   here. The journal names the person and the console (`ana@control-room`).
//!
//! - **Silence** is for the room it was pressed in: another console's silence is journaled here, and this
//!   console's horn goes on until silenced here or its alarms are acknowledged.
//!
//! The same shape carries this console's people's actions out (`console` empty: here), see
//! `AlarmService::with_share`.

use super::{AlarmEngine, EventKind, OutOfService, Shelf};
use crate::auth::{Action, Actor};
use crate::tag::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// How much later than another console's acknowledgement an alarm may have annunciated here and still be
/// the activation it acknowledged (clocks a little apart, scans at different moments).
pub const REMOTE_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// One person's action at a console of the site.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAction {
    /// The console it was done at (empty: this one, on its way out).
    pub console: Arc<str>,
    /// `None` for a silence (console-wide).
    pub alarm: Option<Arc<str>>,
    /// The person as that console knew them (name and role).
    pub by: Actor,
    /// When it was done there.
    pub at: Timestamp,
    pub what: RemoteWhat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RemoteWhat {
    Acknowledge,
    Shelve { until: Timestamp, reason: String },
    Unshelve,
    RemoveFromService { reason: String },
    ReturnToService,
    Silence,
}

impl RemoteWhat {
    fn action(&self) -> (Action, &'static str) {
        match self {
            RemoteWhat::Acknowledge => (Action::Acknowledge, "acknowledge alarms"),
            RemoteWhat::Shelve { .. } => (Action::Shelve, "shelve alarms"),
            RemoteWhat::Unshelve => (Action::Shelve, "unshelve alarms"),
            RemoteWhat::RemoveFromService { .. } => (Action::OutOfService, "take alarms out of service"),
            RemoteWhat::ReturnToService => (Action::OutOfService, "return alarms to service"),
            RemoteWhat::Silence => (Action::Acknowledge, "silence the horn"),
        }
    }

    fn slot(&self) -> Option<Slot> {
        match self {
            RemoteWhat::Shelve { .. } | RemoteWhat::Unshelve => Some(Slot::Shelf),
            RemoteWhat::RemoveFromService { .. } | RemoteWhat::ReturnToService => Some(Slot::Service),
            RemoteWhat::Acknowledge | RemoteWhat::Silence => None,
        }
    }
}

/// What of an alarm an action sets, newest-wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(in crate::alarm) enum Slot {
    Shelf,
    Service,
}

/// An acknowledgement from another console kept for the activation it was meant for.
#[derive(Debug, Clone)]
pub(in crate::alarm) struct PendingAck {
    at: Timestamp,
    by: Actor,
    console: Arc<str>,
}

impl AlarmEngine {
    /// Records that an action on point `i`'s `slot` was taken at `at` (here: its time now).
    pub(super) fn note_slot(&mut self, i: usize, slot: Slot, at: Timestamp) {
        let t = self.slot_times.entry((i as u32, slot)).or_insert(at);
        if *t < at {
            *t = at;
        }
    }

    /// Acknowledges point `i` by the newest acknowledgement from elsewhere if the point is unacknowledged
    /// and annunciated no later than it (plus the skew).
    pub(super) fn settle_pending_ack(&mut self, i: usize, now: Timestamp) {
        let Some(ack) = self.pending_acks.get(&(i as u32)).cloned() else {
            return;
        };
        let p = &self.points[i];
        if !p.state().is_unacked() || p.annunciated_at > ack.at.plus(REMOTE_CLOCK_SKEW) {
            return;
        }
        let def = self.set.points[i].clone();
        let p = &mut self.points[i];
        p.acked = true;
        if !p.active {
            p.first_out = false;
        }
        self.origin = Some(ack.console.clone());
        let comment = format!("at {}", ack.console);
        self.emit(i, &def, EventKind::Acknowledged, now, Some(&ack.by), comment);
        self.origin = None;
        self.touch(i);
    }

    pub(super) fn remote(&mut self, mut r: RemoteAction, now: Timestamp) {
        let by = Actor::new(format!("{}@{}", r.by.user, r.console), r.by.role);
        r.at = r.at.min(now);
        self.origin = Some(r.console.clone());
        if r.what == RemoteWhat::Silence {
            if self.forbidden(None, now, &by, Action::Acknowledge, "silence the horn") {
                self.origin = None;
                return;
            }
            self.events.push(super::AlarmEvent {
                at: now,
                kind: EventKind::Silenced,
                alarm: None,
                state: super::AlarmState::Normal,
                value: None,
                by: Some(by),
                comment: format!("at {}", r.console),
                origin: self.origin.take(),
            });
            return;
        }
        if let Some(i) = r.alarm.as_deref().and_then(|a| self.index(a)) {
            let (action, what) = r.what.action();
            if !self.forbidden(Some(i), now, &by, action, what) {
                self.apply_remote(i, &r, &by, now);
            }
        }
        self.origin = None;
    }

    fn apply_remote(&mut self, i: usize, r: &RemoteAction, by: &Actor, now: Timestamp) {
        let def = self.set.points[i].clone();
        let at = r.at;
        if let Some(slot) = r.what.slot() {
            if self.slot_times.get(&(i as u32, slot)).is_some_and(|t| *t >= at) {
                return; // something newer was done to it already, here or elsewhere
            }
            self.note_slot(i, slot, at);
        }
        let p = &mut self.points[i];
        match &r.what {
            RemoteWhat::Acknowledge => {
                let idx = i as u32;
                if self.pending_acks.get(&idx).is_none_or(|k| k.at < at) {
                    let ack = PendingAck {
                        at,
                        by: by.clone(),
                        console: r.console.clone(),
                    };
                    self.pending_acks.insert(idx, ack);
                }
                self.settle_pending_ack(i, now);
                return;
            }
            RemoteWhat::Shelve { until, reason } => {
                let too_long = until.saturating_since(at) > def.max_shelve;
                if *until <= now || !def.shelvable || too_long || reason.trim().is_empty() {
                    return;
                }
                p.shelf = Some(Shelf {
                    at,
                    until: *until,
                    reason: reason.clone(),
                    by: by.user.clone(),
                });
                p.acked = true;
                let comment = format!("until {} at {}: {reason}", until.to_rfc3339(), r.console);
                self.emit(i, &def, EventKind::Shelved, now, Some(by), comment);
            }
            RemoteWhat::Unshelve => {
                if p.shelf.is_none() {
                    return;
                }
                // Back in view when it was there, so an acknowledgement made there after it applies here.
                self.unshelve(i, &def, at, Some(by));
                self.settle_pending_ack(i, now);
            }
            RemoteWhat::RemoveFromService { reason } => {
                if p.oos.is_some() {
                    return;
                }
                p.oos = Some(OutOfService {
                    since: at,
                    reason: reason.clone(),
                    by: by.user.clone(),
                });
                p.acked = true;
                let comment = format!("{reason} (at {})", r.console);
                self.emit(i, &def, EventKind::RemovedFromService, now, Some(by), comment);
            }
            RemoteWhat::ReturnToService => {
                if p.oos.is_none() {
                    return;
                }
                p.oos = None;
                self.reveal(i, at);
                self.emit(i, &def, EventKind::ReturnedToService, now, Some(by), String::new());
                self.settle_pending_ack(i, now);
            }
            RemoteWhat::Silence => return,
        }
        self.touch(i);
    }
}
