//! The alarm engine: evaluates every alarm point on every tag change and moves it through the ISA-18.2
//! states, with deadbands, on/off delays, latching, shelving, suppression by design and out-of-service.
//!
//! Pure: it owns no threads, sockets or files, and takes the time from its caller (the hub's receive time
//! for samples, the hub's clock for ticks), so every transition is tested with a controlled clock. Events
//! go to `drain_events` for the journal; nothing here may block the hub.

use super::def::{AlarmDef, AlarmKind, AlarmSet, Priority, Side};
use super::state::{AlarmEvent, AlarmRow, AlarmState, EventKind, OutOfService, Shelf};
use crate::auth::{Action, Actor};
use crate::tag::{TagState, TagTable, TagUpdate, Timestamp, Value};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

mod remote;
pub use remote::{REMOTE_CLOCK_SKEW, RemoteAction, RemoteWhat};

/// EEMUA 191: more than 10 new alarms in 10 minutes is more than one operator can handle.
pub const FLOOD_WINDOW: Duration = Duration::from_secs(600);
pub const FLOOD_THRESHOLD: usize = 10;

/// An operator action on alarms.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmCommand {
    Acknowledge {
        ids: Vec<Arc<str>>,
        by: Actor,
        comment: String,
    },
    Shelve {
        id: Arc<str>,
        duration: Duration,
        reason: String,
        by: Actor,
    },
    Unshelve {
        id: Arc<str>,
        by: Actor,
    },
    RemoveFromService {
        id: Arc<str>,
        reason: String,
        by: Actor,
    },
    ReturnToService {
        id: Arc<str>,
        by: Actor,
    },
    /// The console's horn was silenced: journaled, no state changes.
    Silenced {
        by: Actor,
    },
    /// New definitions (hot reload); points keep their state by id.
    Reload(Arc<AlarmSet>),
    /// What a person did at another console of the site (the share room), applied here by the rules in
    /// `remote`.
    Remote(RemoteAction),
}

/// What survives a restart for one point (the journal's `alarm_state` row).
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedState {
    pub id: Arc<str>,
    pub active: bool,
    pub acked: bool,
    pub since: Timestamp,
    pub first_out: bool,
    pub value: Option<Value>,
    /// The value at the last activation (the journal's newest activation event for the point).
    pub alarm_value: Option<Value>,
    pub shelf: Option<Shelf>,
    pub out_of_service: Option<OutOfService>,
}

#[derive(Debug, Clone)]
struct Point {
    /// Process condition after deadband, before delays.
    cond: bool,
    cond_since: Timestamp,
    active: bool,
    acked: bool,
    since: Timestamp,
    value: Option<Value>,
    /// The value when it last activated (ISA-18.2's alarm value).
    alarm_value: Option<Value>,
    shelf: Option<Shelf>,
    oos: Option<OutOfService>,
    suppressed: bool,
    /// Suppression has ended by condition; it lifts at this time (release delay).
    release_at: Option<Timestamp>,
    first_out: bool,
    activation: u64,
    /// When the current activation began to annunciate: an acknowledgement made elsewhere before it is
    /// for an earlier one.
    annunciated_at: Timestamp,
    rate_ref: Option<(Timestamp, f64)>,
}

/// A point that has never alarmed: normal and (so) nothing to acknowledge.
impl Default for Point {
    fn default() -> Self {
        Self {
            cond: false,
            cond_since: Timestamp::ZERO,
            active: false,
            acked: true,
            since: Timestamp::ZERO,
            value: None,
            alarm_value: None,
            shelf: None,
            oos: None,
            suppressed: false,
            release_at: None,
            first_out: false,
            activation: 0,
            annunciated_at: Timestamp::ZERO,
            rate_ref: None,
        }
    }
}

impl Point {
    fn hidden(&self) -> bool {
        self.oos.is_some() || self.shelf.is_some() || self.suppressed
    }

    fn state(&self) -> AlarmState {
        if self.oos.is_some() {
            AlarmState::OutOfService
        } else if self.shelf.is_some() {
            AlarmState::Shelved
        } else if self.suppressed {
            AlarmState::SuppressedByDesign
        } else {
            match (self.active, self.acked) {
                (true, false) => AlarmState::ActiveUnacked,
                (true, true) => AlarmState::ActiveAcked,
                (false, false) => AlarmState::ReturnedUnacked,
                (false, true) => AlarmState::Normal,
            }
        }
    }

    /// Waiting on the clock: a delay running, a shelf to expire or a suppression to lift.
    fn has_timer(&self) -> bool {
        self.cond != self.active || self.shelf.is_some() || self.release_at.is_some()
    }
}

/// Counts for the banner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriorityCounts {
    pub unacked: [usize; 5],
    pub active: [usize; 5],
}

pub struct AlarmEngine {
    set: Arc<AlarmSet>,
    points: Vec<Point>,
    by_id: HashMap<Arc<str>, u32>,
    /// Asset index per point, and how many of each asset's points are active (first-out).
    group: Vec<u32>,
    group_active: Vec<u32>,
    /// Points not in Normal, for the view; points with a timer, for ticks.
    listed: BTreeSet<u32>,
    timers: BTreeSet<u32>,
    activations: VecDeque<Timestamp>,
    next_activation: u64,
    events: Vec<AlarmEvent>,
    changed: bool,
    evaluations: u64,
    /// The console whose person's action is being applied (remote actions); stamped on its events.
    origin: Option<Arc<str>>,
    /// Per point, the newest acknowledgement from another console: applied whenever the point
    /// annunciates no later than it plus `REMOTE_CLOCK_SKEW` (`remote`).
    pending_acks: HashMap<u32, remote::PendingAck>,
    /// Per point and slot (shelf, service), when the newest action on it was taken, here or elsewhere:
    /// an older one arriving later changes nothing (`remote`).
    slot_times: HashMap<(u32, remote::Slot), Timestamp>,
}

impl AlarmEngine {
    pub fn new(set: Arc<AlarmSet>) -> Self {
        let mut e = Self {
            set: Arc::new(AlarmSet::default()),
            points: Vec::new(),
            by_id: HashMap::new(),
            group: Vec::new(),
            group_active: Vec::new(),
            listed: BTreeSet::new(),
            timers: BTreeSet::new(),
            activations: VecDeque::new(),
            next_activation: 1,
            events: Vec::new(),
            origin: None,
            pending_acks: HashMap::new(),
            slot_times: HashMap::new(),
            changed: true,
            evaluations: 0,
        };
        e.install(set, Vec::new());
        e
    }

    pub fn set(&self) -> &Arc<AlarmSet> {
        &self.set
    }

    /// Installs a definition set, carrying over the state of points whose id is unchanged.
    fn install(&mut self, set: Arc<AlarmSet>, old: Vec<(Arc<str>, Point)>) {
        let mut old: HashMap<Arc<str>, Point> = old.into_iter().collect();
        let mut groups: HashMap<Arc<str>, u32> = HashMap::new();
        self.group = set
            .points
            .iter()
            .map(|d| {
                let n = groups.len() as u32;
                *groups.entry(d.asset.clone()).or_insert(n)
            })
            .collect();
        self.group_active = vec![0; groups.len()];
        self.by_id = set
            .points
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i as u32))
            .collect();
        self.points = set
            .points
            .iter()
            .map(|d| old.remove(&d.id).unwrap_or_default())
            .collect();
        self.set = set;
        self.listed.clear();
        self.timers.clear();
        for i in 0..self.points.len() {
            if self.points[i].active {
                self.group_active[self.group[i] as usize] += 1;
            }
            self.touch(i);
        }
        self.changed = true;
    }

    /// Restores the states saved before a restart (unknown ids are ignored: their alarm was removed).
    pub fn restore(&mut self, saved: Vec<PersistedState>) {
        for s in saved {
            let Some(&i) = self.by_id.get(&s.id) else { continue };
            let i = i as usize;
            let p = &mut self.points[i];
            if p.active {
                self.group_active[self.group[i] as usize] -= 1;
            }
            *p = Point {
                cond: s.active,
                cond_since: s.since,
                active: s.active,
                acked: s.acked,
                since: s.since,
                value: s.value,
                alarm_value: s.alarm_value,
                shelf: s.shelf,
                oos: s.out_of_service,
                first_out: s.first_out,
                activation: if s.active && !s.acked { self.next_activation } else { 0 },
                annunciated_at: s.since,
                ..Point::default()
            };
            if s.active && !s.acked {
                self.next_activation += 1;
            }
            if s.active {
                self.group_active[self.group[i] as usize] += 1;
            }
            self.touch(i);
        }
        self.changed = true;
    }

    /// Evaluates every point that reads a changed tag. `table` holds the values after the whole scan.
    pub fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        let set = self.set.clone();
        for u in updates {
            for &i in set.watching(u.tag) {
                let def = &set.points[i as usize];
                let primary = (def.tag == u.tag).then_some(&u.state);
                self.evaluate(i as usize, def, primary, table, u.state.receive_ts);
            }
        }
    }

    /// Timers: delays, shelf expiry, suppression release.
    pub fn on_tick(&mut self, now: Timestamp) {
        let due: Vec<u32> = self.timers.iter().copied().collect();
        let set = self.set.clone();
        for i in due {
            let i = i as usize;
            let def = &set.points[i];
            if let Some(shelf) = &self.points[i].shelf
                && now >= shelf.until
            {
                self.unshelve(i, def, now, None);
            }
            if let Some(at) = self.points[i].release_at
                && now >= at
            {
                self.set_suppressed(i, def, false, now);
            }
            self.apply_delays(i, def, now);
            self.touch(i);
        }
        self.prune_activations(now);
    }

    fn evaluate(&mut self, i: usize, def: &Arc<AlarmDef>, primary: Option<&TagState>, table: &TagTable, t: Timestamp) {
        self.evaluations += 1;
        if let Some(s) = &def.suppression {
            let now_suppressed = s.when.iter().any(|c| {
                table
                    .get(c.tag)
                    .filter(|st| !st.quality.is_bad())
                    .and_then(|st| c.holds(st.value.as_ref()))
                    == Some(true)
            });
            let p = &mut self.points[i];
            if now_suppressed {
                p.release_at = None;
                if !p.suppressed {
                    self.set_suppressed(i, def, true, t);
                }
            } else if p.suppressed && p.release_at.is_none() {
                if s.release.is_zero() {
                    self.set_suppressed(i, def, false, t);
                } else {
                    p.release_at = Some(t.plus(s.release));
                }
            }
        }
        let state = match primary {
            Some(s) => s,
            None => match table.get(def.tag) {
                Some(s) => s,
                None => return,
            },
        };
        let cond = self.condition(i, def, state, primary.is_some(), table, t);
        let p = &mut self.points[i];
        if !state.quality.is_bad() || matches!(def.kind, AlarmKind::BadQuality) {
            p.value = state.value.clone();
        }
        if let Some(c) = cond
            && c != p.cond
        {
            p.cond = c;
            p.cond_since = t;
        }
        self.apply_delays(i, def, t);
        self.touch(i);
    }

    /// The process condition with hysteresis; `None` when it cannot be judged (bad input, rate warming up).
    fn condition(
        &mut self,
        i: usize,
        def: &AlarmDef,
        state: &TagState,
        fresh: bool,
        table: &TagTable,
        t: Timestamp,
    ) -> Option<bool> {
        let p = &mut self.points[i];
        if let AlarmKind::BadQuality = def.kind {
            return Some(state.quality.is_bad());
        }
        if state.quality.is_bad() {
            return None;
        }
        let value = state.value.as_ref()?;
        let beyond = |x: f64, limit: f64, cond: bool| {
            if cond { x > limit - def.deadband } else { x >= limit }
        };
        match &def.kind {
            AlarmKind::Limit {
                side: Side::High,
                limit,
                ..
            } => Some(beyond(value.as_f64()?, *limit, p.cond)),
            AlarmKind::Limit {
                side: Side::Low, limit, ..
            } => Some(beyond(-value.as_f64()?, -limit, p.cond)),
            AlarmKind::Deviation { setpoint, limit } => {
                let sp = table
                    .get(*setpoint)
                    .filter(|s| !s.quality.is_bad())?
                    .value
                    .as_ref()?
                    .as_f64()?;
                Some(beyond((value.as_f64()? - sp).abs(), *limit, p.cond))
            }
            AlarmKind::Rate { per_min, window } => {
                if !fresh {
                    return None;
                }
                let x = value.as_f64()?;
                let Some((t0, x0)) = p.rate_ref else {
                    p.rate_ref = Some((t, x));
                    return None;
                };
                let dt = t.saturating_since(t0);
                if dt < *window {
                    return None;
                }
                p.rate_ref = Some((t, x));
                let rate = (x - x0) / dt.as_secs_f64() * 60.0;
                Some(beyond(rate.abs(), *per_min, p.cond))
            }
            AlarmKind::State { value: want } => Some(match (value, want) {
                (Value::Str(a), Value::Str(b)) => a == b,
                (a, b) => a.as_f64()? == b.as_f64()?,
            }),
            AlarmKind::BadQuality => None,
        }
    }

    fn apply_delays(&mut self, i: usize, def: &Arc<AlarmDef>, t: Timestamp) {
        let p = &self.points[i];
        let held = t.saturating_since(p.cond_since);
        if p.cond && !p.active && held >= def.on_delay {
            self.activate(i, def, t);
        } else if !p.cond && p.active && held >= def.off_delay {
            self.return_normal(i, def, t);
        }
    }

    fn activate(&mut self, i: usize, def: &Arc<AlarmDef>, t: Timestamp) {
        let g = self.group[i] as usize;
        let first_out = self.group_active[g] == 0;
        self.group_active[g] += 1;
        let p = &mut self.points[i];
        p.active = true;
        p.since = t;
        p.alarm_value = p.value.clone();
        if !p.hidden() {
            p.acked = false;
            p.first_out = first_out;
            p.activation = self.next_activation;
            p.annunciated_at = t;
            self.next_activation += 1;
            self.activations.push_back(t);
        }
        self.emit(i, def, EventKind::Activated, t, None, String::new());
        self.settle_pending_ack(i, t);
    }

    fn return_normal(&mut self, i: usize, def: &Arc<AlarmDef>, t: Timestamp) {
        let g = self.group[i] as usize;
        self.group_active[g] = self.group_active[g].saturating_sub(1);
        let p = &mut self.points[i];
        p.active = false;
        p.since = t;
        if def.latching && !p.hidden() {
            // A latched alarm never clears by itself: the operator confirms the return (an acknowledgement
            // made elsewhere before it is for the activation, not the return).
            p.acked = false;
            p.annunciated_at = t;
        }
        if p.acked {
            p.first_out = false;
        }
        self.emit(i, def, EventKind::Returned, t, None, String::new());
    }

    fn set_suppressed(&mut self, i: usize, def: &Arc<AlarmDef>, on: bool, t: Timestamp) {
        let p = &mut self.points[i];
        p.release_at = None;
        if p.suppressed == on {
            return;
        }
        p.suppressed = on;
        let kind = if on {
            p.acked = true;
            EventKind::Suppressed
        } else {
            self.reveal(i, t);
            EventKind::Unsuppressed
        };
        self.emit(i, def, kind, t, None, String::new());
    }

    /// Back in view after a shelf, suppression or out-of-service: an alarm still active annunciates anew.
    fn reveal(&mut self, i: usize, t: Timestamp) {
        let p = &mut self.points[i];
        if p.hidden() {
            return;
        }
        if p.active {
            p.acked = false;
            p.first_out = false;
            p.annunciated_at = t;
            p.activation = self.next_activation;
            self.next_activation += 1;
            self.settle_pending_ack(i, t);
        } else {
            p.acked = true;
        }
    }

    fn unshelve(&mut self, i: usize, def: &Arc<AlarmDef>, t: Timestamp, by: Option<&Actor>) {
        if self.points[i].shelf.take().is_none() {
            return;
        }
        self.reveal(i, t);
        let comment = if by.is_some() { "" } else { "shelf time over" };
        self.emit(i, def, EventKind::Unshelved, t, by, comment.to_owned());
    }

    fn emit(
        &mut self,
        i: usize,
        def: &Arc<AlarmDef>,
        kind: EventKind,
        at: Timestamp,
        by: Option<&Actor>,
        comment: String,
    ) {
        let p = &self.points[i];
        self.events.push(AlarmEvent {
            at,
            kind,
            alarm: Some(def.clone()),
            state: p.state(),
            value: p.value.clone(),
            by: by.cloned(),
            comment,
            origin: self.origin.clone(),
        });
        self.changed = true;
    }

    /// Whether `by`'s role forbids `action`; if so the refusal is journaled ("ana (viewer) may not …").
    fn forbidden(&mut self, i: Option<usize>, at: Timestamp, by: &Actor, action: Action, what: &str) -> bool {
        if by.role.may(action) {
            return false;
        }
        self.refuse(i, at, by, format!("{} ({}) may not {what}", by.user, by.role));
        true
    }

    fn refuse(&mut self, i: Option<usize>, at: Timestamp, by: &Actor, why: String) {
        tracing::warn!(user = %by.user, role = %by.role, "{why}");
        let alarm = i.map(|i| self.set.points[i].clone());
        let state = i.map_or(AlarmState::Normal, |i| self.points[i].state());
        let value = i.and_then(|i| self.points[i].value.clone());
        self.events.push(AlarmEvent {
            at,
            kind: EventKind::Refused,
            alarm,
            state,
            value,
            by: Some(by.clone()),
            comment: why,
            origin: self.origin.clone(),
        });
        self.changed = true;
    }

    /// Keeps the "not normal" and "has a timer" indexes true for point `i`.
    fn touch(&mut self, i: usize) {
        let p = &self.points[i];
        let idx = i as u32;
        if p.state() == AlarmState::Normal {
            self.listed.remove(&idx);
        } else {
            self.listed.insert(idx);
        }
        if p.has_timer() {
            self.timers.insert(idx);
        } else {
            self.timers.remove(&idx);
        }
    }

    /// Carries out an operator action; refusals are journaled like actions.
    pub fn command(&mut self, cmd: AlarmCommand, now: Timestamp) {
        match cmd {
            AlarmCommand::Acknowledge { ids, by, comment } => {
                if self.forbidden(None, now, &by, Action::Acknowledge, "acknowledge alarms") {
                    return;
                }
                for id in ids {
                    let Some(&i) = self.by_id.get(&id) else { continue };
                    let i = i as usize;
                    let p = &mut self.points[i];
                    if !p.state().is_unacked() {
                        continue;
                    }
                    p.acked = true;
                    if !p.active {
                        p.first_out = false;
                    }
                    let def = self.set.points[i].clone();
                    self.emit(i, &def, EventKind::Acknowledged, now, Some(&by), comment.clone());
                    self.touch(i);
                }
            }
            AlarmCommand::Shelve {
                id,
                duration,
                reason,
                by,
            } => {
                let Some(i) = self.index(&id) else { return };
                if self.forbidden(Some(i), now, &by, Action::Shelve, "shelve alarms") {
                    return;
                }
                let def = self.set.points[i].clone();
                let why = if !def.shelvable {
                    Some(format!("{} may not be shelved (shelvable = false)", def.id))
                } else if reason.trim().is_empty() {
                    Some(format!("shelving {} needs a reason", def.id))
                } else if duration.is_zero() || duration > def.max_shelve {
                    Some(format!(
                        "{} may be shelved for at most {} min, not {} min",
                        def.id,
                        def.max_shelve.as_secs() / 60,
                        duration.as_secs() / 60
                    ))
                } else {
                    None
                };
                if let Some(why) = why {
                    return self.refuse(Some(i), now, &by, why);
                }
                let until = now.plus(duration);
                self.note_slot(i, remote::Slot::Shelf, now);
                let p = &mut self.points[i];
                p.shelf = Some(Shelf {
                    at: now,
                    until,
                    reason: reason.trim().to_owned(),
                    by: by.user.clone(),
                });
                p.acked = true;
                let comment = format!("until {}: {}", until.to_rfc3339(), reason.trim());
                self.emit(i, &def, EventKind::Shelved, now, Some(&by), comment);
                self.touch(i);
            }
            AlarmCommand::Unshelve { id, by } => {
                let Some(i) = self.index(&id) else { return };
                if self.forbidden(Some(i), now, &by, Action::Shelve, "unshelve alarms") {
                    return;
                }
                let def = self.set.points[i].clone();
                self.note_slot(i, remote::Slot::Shelf, now);
                self.unshelve(i, &def, now, Some(&by));
                self.touch(i);
            }
            AlarmCommand::RemoveFromService { id, reason, by } => {
                let Some(i) = self.index(&id) else { return };
                let def = self.set.points[i].clone();
                if self.forbidden(Some(i), now, &by, Action::OutOfService, "take alarms out of service") {
                    return;
                }
                if reason.trim().is_empty() {
                    return self.refuse(
                        Some(i),
                        now,
                        &by,
                        format!("taking {} out of service needs a reason", def.id),
                    );
                }
                let p = &mut self.points[i];
                if p.oos.is_some() {
                    return;
                }
                self.note_slot(i, remote::Slot::Service, now);
                let p = &mut self.points[i];
                p.oos = Some(OutOfService {
                    since: now,
                    reason: reason.trim().to_owned(),
                    by: by.user.clone(),
                });
                p.acked = true;
                self.emit(
                    i,
                    &def,
                    EventKind::RemovedFromService,
                    now,
                    Some(&by),
                    reason.trim().to_owned(),
                );
                self.touch(i);
            }
            AlarmCommand::ReturnToService { id, by } => {
                let Some(i) = self.index(&id) else { return };
                if self.forbidden(Some(i), now, &by, Action::OutOfService, "return alarms to service") {
                    return;
                }
                self.note_slot(i, remote::Slot::Service, now);
                if self.points[i].oos.take().is_none() {
                    return;
                }
                self.reveal(i, now);
                let def = self.set.points[i].clone();
                self.emit(i, &def, EventKind::ReturnedToService, now, Some(&by), String::new());
                self.touch(i);
            }
            AlarmCommand::Silenced { by } => {
                self.events.push(AlarmEvent {
                    at: now,
                    kind: EventKind::Silenced,
                    alarm: None,
                    state: AlarmState::Normal,
                    value: None,
                    by: Some(by),
                    comment: String::new(),
                    origin: None,
                });
            }
            AlarmCommand::Reload(set) => self.reload(set, now),
            AlarmCommand::Remote(r) => self.remote(r, now),
        }
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&i| i as usize)
    }

    fn reload(&mut self, set: Arc<AlarmSet>, now: Timestamp) {
        // Kept by point number, which a reload changes.
        self.pending_acks.clear();
        self.slot_times.clear();
        let old_ids: BTreeSet<Arc<str>> = self.set.points.iter().map(|d| d.id.clone()).collect();
        let new_ids: BTreeSet<Arc<str>> = set.points.iter().map(|d| d.id.clone()).collect();
        let added = new_ids.difference(&old_ids).count();
        let removed = old_ids.difference(&new_ids).count();
        let changed = set
            .points
            .iter()
            .filter(|d| self.index(&d.id).is_some_and(|i| *self.set.points[i] != ***d))
            .count();
        let old: Vec<(Arc<str>, Point)> = self
            .set
            .points
            .iter()
            .zip(std::mem::take(&mut self.points))
            .map(|(d, p)| (d.id.clone(), p))
            .collect();
        self.install(set, old);
        self.events.push(AlarmEvent {
            at: now,
            kind: EventKind::Reconfigured,
            alarm: None,
            state: AlarmState::Normal,
            value: None,
            by: None,
            comment: format!(
                "{} alarm points: {added} added, {removed} removed, {changed} changed",
                self.set.len()
            ),
            origin: None,
        });
    }

    /// Events since the last call, oldest first.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, AlarmEvent> {
        self.events.drain(..)
    }

    /// Whether anything an operator sees changed since the last `take_changed`.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    pub fn state_of(&self, id: &str) -> Option<AlarmState> {
        self.index(id).map(|i| self.points[i].state())
    }

    pub fn persisted(&self, def: &AlarmDef) -> Option<PersistedState> {
        let p = &self.points[self.index(&def.id)?];
        Some(PersistedState {
            id: def.id.clone(),
            active: p.active,
            acked: p.acked,
            since: p.since,
            first_out: p.first_out,
            value: p.value.clone(),
            alarm_value: p.alarm_value.clone(),
            shelf: p.shelf.clone(),
            out_of_service: p.oos.clone(),
        })
    }

    fn prune_activations(&mut self, now: Timestamp) {
        while let Some(&t) = self.activations.front() {
            if now.saturating_since(t) > FLOOD_WINDOW {
                self.activations.pop_front();
            } else {
                break;
            }
        }
    }

    /// New alarms in the last 10 minutes.
    pub fn recent_activations(&self) -> usize {
        self.activations.len()
    }

    /// Every alarm that is not normal, banner order: unacknowledged first, then priority, then newest.
    pub fn rows(&self) -> Vec<AlarmRow> {
        let mut rows: Vec<AlarmRow> = self
            .listed
            .iter()
            .map(|&i| {
                let i = i as usize;
                let p = &self.points[i];
                AlarmRow {
                    def: self.set.points[i].clone(),
                    state: p.state(),
                    since: p.since,
                    value: p.value.clone(),
                    alarm_value: p.alarm_value.clone(),
                    first_out: p.first_out,
                    shelf: p.shelf.clone(),
                    out_of_service: p.oos.clone(),
                    activation: p.activation,
                }
            })
            .collect();
        rows.sort_by_key(banner_order);
        rows
    }
}

/// Sort key: annunciated before hidden, unacknowledged first, most urgent, newest.
pub fn banner_order(r: &AlarmRow) -> (bool, bool, Priority, std::cmp::Reverse<Timestamp>) {
    (
        !r.state.is_annunciated(),
        !r.state.is_unacked(),
        r.def.priority,
        std::cmp::Reverse(r.since),
    )
}

/// Counts per priority over rows.
pub fn counts(rows: &[AlarmRow]) -> PriorityCounts {
    let mut c = PriorityCounts::default();
    for r in rows {
        let k = r.def.priority.index();
        if r.state.is_unacked() {
            c.unacked[k] += 1;
        }
        if matches!(r.state, AlarmState::ActiveAcked | AlarmState::ActiveUnacked) {
            c.active[k] += 1;
        }
    }
    c
}
