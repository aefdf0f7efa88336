//! The trip engine: evaluates trip rules as tags change, latches trips and E-stops, drives their outputs
//! until the driver confirms them, and handles reset and bypass with role checks.
//!
//! Pure: no threads, no I/O, the clock is passed in. It runs inline on the hub thread; writes it wants made
//! are queued for the hub to route (`drain_writes`), events for the audit trail (`drain_events`).

use super::def::{Cond, RateSource, TripDef, TripSet};
use crate::auth::{Action, Actor};
use crate::tag::{TagId, TagTable, TagUpdate, Timestamp, Value};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// An unconfirmed output is written again this often while its trip stays latched: a safety output is
/// driven until the plant says it took it.
pub const OUTPUT_RETRY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq)]
pub enum TripCommand {
    Reset {
        id: Arc<str>,
        by: Actor,
    },
    Bypass {
        id: Arc<str>,
        by: Actor,
        reason: String,
        duration: Duration,
    },
    RemoveBypass {
        id: Arc<str>,
        by: Actor,
    },
    Estop {
        id: Arc<str>,
        by: Actor,
    },
    ResetEstop {
        id: Arc<str>,
        by: Actor,
    },
    /// New rules from an edited file: states carry over by id.
    Reload(Arc<TripSet>),
}

impl TripCommand {
    /// An E-stop must reach the hub whatever else people are asking: it takes the urgent lane.
    pub fn urgent(&self) -> bool {
        matches!(self, TripCommand::Estop { .. })
    }
}

/// Why a trip latched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Condition,
    /// Fail-safe: an input was bad or stale for the rule's `bad_delay`.
    InputBad,
    Estop,
}

impl Cause {
    /// The cause in one word, for JSON stats and scripts.
    pub fn code(self) -> &'static str {
        match self {
            Cause::Condition => "condition",
            Cause::InputBad => "input_bad",
            Cause::Estop => "estop",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutputStatus {
    Sent { attempts: u32 },
    Confirmed,
    Failed { reason: Arc<str>, attempts: u32 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputState {
    pub tag: TagId,
    pub tag_name: Arc<str>,
    pub value: Value,
    pub status: OutputStatus,
    last_sent: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Latch {
    pub at: Timestamp,
    pub cause: Cause,
    /// The first trip of its asset since that asset was last clear of trips.
    pub first_out: bool,
    pub by: Option<Actor>,
    pub outputs: Vec<OutputState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bypass {
    pub until: Timestamp,
    pub by: Actor,
    pub reason: String,
}

/// What of the engine's state survives a restart: every latch and running bypass (`TripEngine::saved`,
/// `TripEngine::restore`). The engine says what it is; `store` keeps it on disk.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SavedTrips {
    pub latches: Vec<SavedLatch>,
    pub bypasses: Vec<SavedBypass>,
}

/// A latched trip or E-stop, as saved.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedLatch {
    pub id: String,
    pub estop: bool,
    pub at: Timestamp,
    pub cause: Cause,
    pub first_out: bool,
    pub by: Option<Actor>,
}

/// A running bypass, as saved.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedBypass {
    pub id: String,
    pub until: Timestamp,
    pub by: Actor,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripStatus {
    Normal,
    /// The condition holds; the delay is running.
    Pending,
    /// An input is bad or stale (fail-safe timer running, or an alarm-only rule announcing it).
    InputBad,
    Bypassed,
    Tripped,
}

impl TripStatus {
    /// The state in one word, for JSON stats and scripts (the trips page words it for people).
    pub fn code(self) -> &'static str {
        match self {
            TripStatus::Normal => "normal",
            TripStatus::Pending => "pending",
            TripStatus::InputBad => "input_bad",
            TripStatus::Bypassed => "bypassed",
            TripStatus::Tripped => "tripped",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripEventKind {
    Tripped,
    InputBad,
    InputRestored,
    OutputConfirmed,
    OutputFailed,
    Reset,
    Bypassed,
    BypassRemoved,
    BypassExpired,
    Estop,
    EstopReset,
    Refused,
    Reconfigured,
    /// A latch or bypass read back after a console restart.
    Restored,
}

impl TripEventKind {
    pub fn label(self) -> &'static str {
        match self {
            TripEventKind::Tripped => "trip",
            TripEventKind::InputBad => "trip input bad",
            TripEventKind::InputRestored => "trip input restored",
            TripEventKind::OutputConfirmed => "trip output confirmed",
            TripEventKind::OutputFailed => "trip output failed",
            TripEventKind::Reset => "trip reset",
            TripEventKind::Bypassed => "trip bypassed",
            TripEventKind::BypassRemoved => "trip bypass removed",
            TripEventKind::BypassExpired => "trip bypass expired",
            TripEventKind::Estop => "E-STOP",
            TripEventKind::EstopReset => "E-STOP reset",
            TripEventKind::Refused => "trip action refused",
            TripEventKind::Reconfigured => "trip rules reloaded",
            TripEventKind::Restored => "trip state restored",
        }
    }

    /// The event as the operator reads it (the audit trail keeps `label`).
    pub fn label_in(self, lang: crate::lang::Lang) -> &'static str {
        if lang == crate::lang::Lang::En {
            return self.label();
        }
        match self {
            TripEventKind::Tripped => "disparo",
            TripEventKind::InputBad => "entrada de disparo mala",
            TripEventKind::InputRestored => "entrada de disparo restablecida",
            TripEventKind::OutputConfirmed => "salida de disparo confirmada",
            TripEventKind::OutputFailed => "salida de disparo fallida",
            TripEventKind::Reset => "disparo restablecido",
            TripEventKind::Bypassed => "disparo puenteado",
            TripEventKind::BypassRemoved => "puente retirado",
            TripEventKind::BypassExpired => "puente vencido",
            TripEventKind::Estop => "PARO DE EMERGENCIA",
            TripEventKind::EstopReset => "paro de emergencia restablecido",
            TripEventKind::Refused => "acción de disparo rechazada",
            TripEventKind::Reconfigured => "reglas de disparo recargadas",
            TripEventKind::Restored => "estado de disparos restaurado",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TripEvent {
    pub at: Timestamp,
    pub kind: TripEventKind,
    /// The trip or E-stop's id (empty for a reload).
    pub id: Arc<str>,
    pub by: Option<Actor>,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
struct TripRt {
    cond_since: Option<Timestamp>,
    bad_since: Option<Timestamp>,
    /// The condition at the last evaluation.
    last: Option<bool>,
    /// An alarm-only rule is announcing undecidable input.
    input_bad: bool,
    latch: Option<Latch>,
    bypass: Option<Bypass>,
}

impl TripRt {
    fn status(&self) -> TripStatus {
        if self.latch.is_some() {
            TripStatus::Tripped
        } else if self.bypass.is_some() {
            TripStatus::Bypassed
        } else if self.input_bad || self.bad_since.is_some() {
            TripStatus::InputBad
        } else if self.cond_since.is_some() {
            TripStatus::Pending
        } else {
            TripStatus::Normal
        }
    }
}

#[derive(Debug, Clone, Default)]
struct RateRt {
    samples: VecDeque<(Timestamp, f64)>,
    bad: bool,
    rate: Option<f64>,
}

/// `None`: the tag is bad; `Some(None)`: the window is still filling (no evidence of a rate yet).
struct Rates<'a>(&'a [RateRt]);

impl RateSource for Rates<'_> {
    fn rate(&self, slot: usize) -> Option<Option<f64>> {
        let r = self.0.get(slot)?;
        if r.bad { None } else { Some(r.rate) }
    }
}

/// What the console shows of one trip rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TripRow {
    pub def: Arc<TripDef>,
    pub status: TripStatus,
    /// The condition now (`None`: cannot be decided).
    pub condition: Option<bool>,
    pub pending_since: Option<Timestamp>,
    pub latch: Option<Latch>,
    pub bypass: Option<Bypass>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstopRow {
    pub def: Arc<super::def::EstopDef>,
    pub latch: Option<Latch>,
}

pub struct TripEngine {
    set: Arc<TripSet>,
    trips: Vec<TripRt>,
    estops: Vec<Option<Latch>>,
    rates: Vec<RateRt>,
    writes: Vec<(TagId, Value)>,
    events: Vec<TripEvent>,
    changed: bool,
    /// Latches or bypasses changed since the store last took them.
    persist: bool,
    evaluations: u64,
}

impl TripEngine {
    pub fn new(set: Arc<TripSet>) -> Self {
        Self {
            trips: vec![TripRt::default(); set.trips.len()],
            estops: vec![None; set.estops.len()],
            rates: vec![RateRt::default(); set.rate_slots.len()],
            set,
            writes: Vec::new(),
            events: Vec::new(),
            changed: true,
            persist: false,
            evaluations: 0,
        }
    }

    pub fn set(&self) -> &Arc<TripSet> {
        &self.set
    }

    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// Writes the hub must route to the drivers, in order.
    pub fn drain_writes(&mut self) -> std::vec::Drain<'_, (TagId, Value)> {
        self.writes.drain(..)
    }

    pub fn drain_events(&mut self) -> std::vec::Drain<'_, TripEvent> {
        self.events.drain(..)
    }

    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    pub fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable) {
        let set = self.set.clone();
        for u in updates {
            for &slot in set.rates_of(u.tag) {
                let window = set.rate_slots[slot as usize].1;
                track_rate(&mut self.rates[slot as usize], u, window);
            }
            for &i in set.watching(u.tag) {
                self.evaluate(i as usize, table, u.state.receive_ts);
            }
        }
    }

    /// Delays, fail-safe timers, bypass expiry and output retries.
    pub fn on_tick(&mut self, now: Timestamp, table: &TagTable) {
        for i in 0..self.trips.len() {
            if self.trips[i].bypass.as_ref().is_some_and(|b| now >= b.until)
                && let Some(b) = self.trips[i].bypass.take()
            {
                self.event(
                    now,
                    TripEventKind::BypassExpired,
                    &self.set.trips[i].id.clone(),
                    None,
                    format!("bypass by {} ended (reason: {})", b.by.user, b.reason),
                );
                self.evaluate(i, table, now);
            }
            let rt = &self.trips[i];
            if rt.latch.is_none() && (rt.cond_since.is_some() || rt.bad_since.is_some()) {
                self.evaluate(i, table, now);
            }
        }
        self.retry_outputs(now);
    }

    fn evaluate(&mut self, i: usize, table: &TagTable, now: Timestamp) {
        self.evaluations += 1;
        let def = self.set.trips[i].clone();
        let result = def.cond.eval(table, &Rates(&self.rates));
        let rt = &mut self.trips[i];
        if rt.last != result {
            rt.last = result;
            self.changed = true;
        }
        if rt.latch.is_some() || rt.bypass.is_some() {
            // Latched: only a reset clears it. Bypassed: nothing acts; timers start afresh when it ends.
            rt.cond_since = None;
            rt.bad_since = None;
            return;
        }
        match result {
            Some(true) => {
                rt.bad_since = None;
                let since = *rt.cond_since.get_or_insert(now);
                self.clear_input_bad(i, now);
                if now.saturating_since(since) >= def.delay {
                    self.latch_trip(i, Cause::Condition, now, table);
                } else {
                    self.changed = true;
                }
            }
            Some(false) => {
                if rt.cond_since.take().is_some() || rt.bad_since.take().is_some() {
                    self.changed = true;
                }
                self.clear_input_bad(i, now);
            }
            None => {
                rt.cond_since = None;
                let since = *rt.bad_since.get_or_insert(now);
                self.changed = true;
                if now.saturating_since(since) >= def.bad_delay {
                    match def.on_bad {
                        super::def::OnBad::Trip => self.latch_trip(i, Cause::InputBad, now, table),
                        super::def::OnBad::Alarm => {
                            if !self.trips[i].input_bad {
                                self.trips[i].input_bad = true;
                                let detail = format!("{}: {}", def.source, bad_inputs(&def.cond, table));
                                self.event(now, TripEventKind::InputBad, &def.id, None, detail);
                            }
                        }
                    }
                }
            }
        }
    }

    fn clear_input_bad(&mut self, i: usize, now: Timestamp) {
        if std::mem::take(&mut self.trips[i].input_bad) {
            let id = self.set.trips[i].id.clone();
            self.event(now, TripEventKind::InputRestored, &id, None, String::new());
        }
    }

    fn asset_clear(&self, asset: &str) -> bool {
        let trips = self
            .set
            .trips
            .iter()
            .zip(&self.trips)
            .any(|(d, rt)| &*d.asset == asset && rt.latch.is_some());
        let estops = self
            .set
            .estops
            .iter()
            .zip(&self.estops)
            .any(|(d, l)| &*d.asset == asset && l.is_some());
        !(trips || estops)
    }

    fn latch_trip(&mut self, i: usize, cause: Cause, now: Timestamp, table: &TagTable) {
        let def = self.set.trips[i].clone();
        let first_out = self.asset_clear(&def.asset);
        let outputs = self.send_outputs(&def.outputs, now);
        let rt = &mut self.trips[i];
        rt.cond_since = None;
        rt.bad_since = None;
        rt.input_bad = false;
        rt.latch = Some(Latch {
            at: now,
            cause,
            first_out,
            by: None,
            outputs,
        });
        let why = match cause {
            Cause::InputBad => format!("fail-safe: {} ({})", def.source, bad_inputs(&def.cond, table)),
            _ => format!("{} ({})", def.source, input_values(&def.cond, table)),
        };
        let detail = format!("{why}{}", if first_out { "; first out" } else { "" });
        tracing::warn!(trip = %def.id, "{detail}");
        self.event(now, TripEventKind::Tripped, &def.id, None, detail);
    }

    fn send_outputs(&mut self, outputs: &[super::def::Output], now: Timestamp) -> Vec<OutputState> {
        outputs
            .iter()
            .map(|o| {
                self.writes.push((o.tag, o.value.clone()));
                OutputState {
                    tag: o.tag,
                    tag_name: o.tag_name.clone(),
                    value: o.value.clone(),
                    status: OutputStatus::Sent { attempts: 1 },
                    last_sent: now,
                }
            })
            .collect()
    }

    fn latches_mut(&mut self) -> impl Iterator<Item = (Arc<str>, &mut Latch)> {
        let trips = self
            .set
            .trips
            .iter()
            .zip(self.trips.iter_mut())
            .filter_map(|(d, rt)| rt.latch.as_mut().map(|l| (d.id.clone(), l)));
        let estops = self
            .set
            .estops
            .iter()
            .zip(self.estops.iter_mut())
            .filter_map(|(d, l)| l.as_mut().map(|l| (d.id.clone(), l)));
        trips.chain(estops)
    }

    fn retry_outputs(&mut self, now: Timestamp) {
        let mut writes = Vec::new();
        for (_, latch) in self.latches_mut() {
            for o in &mut latch.outputs {
                let attempts = match &o.status {
                    OutputStatus::Confirmed => continue,
                    OutputStatus::Sent { attempts } | OutputStatus::Failed { attempts, .. } => *attempts,
                };
                if now.saturating_since(o.last_sent) >= OUTPUT_RETRY {
                    o.last_sent = now;
                    writes.push((o.tag, o.value.clone()));
                    if let OutputStatus::Sent { attempts: a } | OutputStatus::Failed { attempts: a, .. } = &mut o.status
                    {
                        *a = attempts + 1;
                    }
                }
            }
        }
        if !writes.is_empty() {
            self.changed = true;
            self.writes.extend(writes);
        }
    }

    /// A driver's answer to a write: confirms or fails every latched output waiting for exactly that.
    pub fn on_write_outcome(&mut self, tag: TagId, value: &Value, failure: Option<&str>, now: Timestamp) {
        let mut events = Vec::new();
        for (id, latch) in self.latches_mut() {
            for o in latch.outputs.iter_mut().filter(|o| o.tag == tag && &o.value == value) {
                match (failure, &o.status) {
                    (_, OutputStatus::Confirmed) => {}
                    (None, _) => {
                        o.status = OutputStatus::Confirmed;
                        events.push((
                            TripEventKind::OutputConfirmed,
                            id.clone(),
                            format!("{} = {value}", o.tag_name),
                        ));
                    }
                    (Some(why), OutputStatus::Sent { attempts } | OutputStatus::Failed { attempts, .. }) => {
                        let first = matches!(o.status, OutputStatus::Sent { .. });
                        let attempts = *attempts;
                        o.status = OutputStatus::Failed {
                            reason: why.into(),
                            attempts,
                        };
                        // One record per output going bad, not one per retry.
                        if first && attempts == 1 {
                            events.push((
                                TripEventKind::OutputFailed,
                                id.clone(),
                                format!(
                                    "{} = {value}: {why}; retrying every {} s",
                                    o.tag_name,
                                    OUTPUT_RETRY.as_secs()
                                ),
                            ));
                        }
                    }
                }
            }
        }
        for (kind, id, detail) in events {
            self.event(now, kind, &id, None, detail);
        }
        self.changed = true;
    }

    pub fn command(&mut self, cmd: TripCommand, now: Timestamp, table: &TagTable) {
        match cmd {
            TripCommand::Reset { id, by } => self.reset(&id, &by, now, table),
            TripCommand::Bypass {
                id,
                by,
                reason,
                duration,
            } => self.bypass(&id, &by, reason, duration, now),
            TripCommand::RemoveBypass { id, by } => {
                let Some(i) = self.set.trip_index(&id) else {
                    return self.refuse(now, &id, &by, format!("no trip '{id}'"));
                };
                if self.forbidden(now, &id, &by, Action::Bypass) {
                    return;
                }
                if self.trips[i].bypass.take().is_some() {
                    self.event(now, TripEventKind::BypassRemoved, &id, Some(by), String::new());
                    self.evaluate(i, table, now);
                }
            }
            TripCommand::Estop { id, by } => {
                let Some(i) = self.set.estop_index(&id) else {
                    return self.refuse(now, &id, &by, format!("no E-stop '{id}'"));
                };
                // An E-stop is never refused for want of a role: like the mushroom button it stands in for,
                // whoever is at the console may stop the plant. It is recorded with the user.
                let def = self.set.estops[i].clone();
                let first_out = self.asset_clear(&def.asset);
                if self.estops[i].is_some() {
                    // Pressed again: drive the outputs again, in case the first writes were lost.
                    let writes = self.send_outputs(&def.outputs, now);
                    if let Some(latch) = self.estops[i].as_mut() {
                        latch.outputs = writes;
                    }
                    self.event(
                        now,
                        TripEventKind::Estop,
                        &id,
                        Some(by),
                        "pressed again: outputs re-sent".into(),
                    );
                    return;
                }
                let outputs = self.send_outputs(&def.outputs, now);
                self.estops[i] = Some(Latch {
                    at: now,
                    cause: Cause::Estop,
                    first_out,
                    by: Some(by.clone()),
                    outputs,
                });
                tracing::error!(estop = %id, user = %by.user, "E-STOP");
                let names: Vec<String> = def
                    .outputs
                    .iter()
                    .map(|o| format!("{} = {}", o.tag_name, o.value))
                    .collect();
                self.event(now, TripEventKind::Estop, &id, Some(by), names.join(", "));
            }
            TripCommand::ResetEstop { id, by } => {
                let Some(i) = self.set.estop_index(&id) else {
                    return self.refuse(now, &id, &by, format!("no E-stop '{id}'"));
                };
                if self.forbidden(now, &id, &by, Action::TripReset) {
                    return;
                }
                if self.estops[i].take().is_some() {
                    self.event(now, TripEventKind::EstopReset, &id, Some(by), String::new());
                }
            }
            TripCommand::Reload(set) => self.reload(set, now, table),
        }
    }

    fn reset(&mut self, id: &Arc<str>, by: &Actor, now: Timestamp, table: &TagTable) {
        let Some(i) = self.set.trip_index(id) else {
            return self.refuse(now, id, by, format!("no trip '{id}'"));
        };
        if self.forbidden(now, id, by, Action::TripReset) {
            return;
        }
        if self.trips[i].latch.is_none() {
            return self.refuse(now, id, by, "not tripped: nothing to reset".into());
        }
        let def = self.set.trips[i].clone();
        match def.cond.eval(table, &Rates(&self.rates)) {
            Some(false) => {}
            Some(true) => {
                let why = format!(
                    "the trip condition is still present: {} ({})",
                    def.source,
                    input_values(&def.cond, table)
                );
                return self.refuse(now, id, by, why);
            }
            None => {
                let why = format!("an input is bad or stale: {}", bad_inputs(&def.cond, table));
                return self.refuse(now, id, by, why);
            }
        }
        self.trips[i].latch = None;
        self.trips[i].last = Some(false);
        self.event(now, TripEventKind::Reset, id, Some(by.clone()), String::new());
    }

    fn bypass(&mut self, id: &Arc<str>, by: &Actor, reason: String, duration: Duration, now: Timestamp) {
        let Some(i) = self.set.trip_index(id) else {
            return self.refuse(now, id, by, format!("no trip '{id}'"));
        };
        if self.forbidden(now, id, by, Action::Bypass) {
            return;
        }
        let max = self.set.trips[i].bypass_max;
        if max.is_zero() {
            return self.refuse(now, id, by, "this trip may not be bypassed".into());
        }
        if reason.trim().is_empty() {
            return self.refuse(now, id, by, "a bypass needs a reason".into());
        }
        if duration.is_zero() || duration > max {
            let why = format!(
                "a bypass of {} exceeds this trip's limit of {}",
                hours(duration),
                hours(max)
            );
            return self.refuse(now, id, by, why);
        }
        self.trips[i].bypass = Some(Bypass {
            until: now.plus(duration),
            by: by.clone(),
            reason: reason.trim().to_owned(),
        });
        self.trips[i].cond_since = None;
        self.trips[i].bad_since = None;
        let detail = format!("for {}: {}", hours(duration), reason.trim());
        self.event(now, TripEventKind::Bypassed, id, Some(by.clone()), detail);
    }

    fn reload(&mut self, set: Arc<TripSet>, now: Timestamp, table: &TagTable) {
        let mut trips = vec![TripRt::default(); set.trips.len()];
        for (i, d) in set.trips.iter().enumerate() {
            if let Some(old) = self.set.trip_index(&d.id) {
                // A latched trip stays latched and a bypass keeps its end time, whatever the edit.
                trips[i].latch = self.trips[old].latch.take();
                trips[i].bypass = self.trips[old].bypass.take();
            }
        }
        let mut estops = vec![None; set.estops.len()];
        for (i, d) in set.estops.iter().enumerate() {
            if let Some(old) = self.set.estop_index(&d.id) {
                estops[i] = self.estops[old].take();
            }
        }
        let dropped: Vec<String> = self
            .set
            .trips
            .iter()
            .zip(&self.trips)
            .filter(|(_, rt)| rt.latch.is_some())
            .map(|(d, _)| d.id.to_string())
            .collect();
        let detail = format!(
            "{} trip rules, {} E-stops{}",
            set.trips.len(),
            set.estops.len(),
            if dropped.is_empty() {
                String::new()
            } else {
                format!("; removed while tripped: {}", dropped.join(", "))
            }
        );
        self.rates = vec![RateRt::default(); set.rate_slots.len()];
        self.trips = trips;
        self.estops = estops;
        self.set = set;
        self.event(now, TripEventKind::Reconfigured, &Arc::from(""), None, detail);
        for i in 0..self.trips.len() {
            self.evaluate(i, table, now);
        }
    }

    fn forbidden(&mut self, now: Timestamp, id: &Arc<str>, by: &Actor, action: Action) -> bool {
        if by.role.may(action) {
            return false;
        }
        self.refuse(
            now,
            id,
            by,
            format!("{} ({}) may not {}", by.user, by.role, action.label()),
        );
        true
    }

    fn refuse(&mut self, now: Timestamp, id: &Arc<str>, by: &Actor, why: String) {
        tracing::warn!(user = %by.user, role = %by.role, trip = %id, "{why}");
        self.event(now, TripEventKind::Refused, id, Some(by.clone()), why);
    }

    fn event(&mut self, at: Timestamp, kind: TripEventKind, id: &Arc<str>, by: Option<Actor>, detail: String) {
        self.changed = true;
        self.persist |= matches!(
            kind,
            TripEventKind::Tripped
                | TripEventKind::Reset
                | TripEventKind::Bypassed
                | TripEventKind::BypassRemoved
                | TripEventKind::BypassExpired
                | TripEventKind::Estop
                | TripEventKind::EstopReset
                | TripEventKind::Reconfigured
        );
        self.events.push(TripEvent {
            at,
            kind,
            id: id.clone(),
            by,
            detail,
        });
    }

    /// True once after latches or bypasses changed: time to save them.
    pub fn take_persist(&mut self) -> bool {
        std::mem::take(&mut self.persist)
    }

    /// What must survive a restart: every latch and running bypass.
    pub fn saved(&self) -> SavedTrips {
        let mut out = SavedTrips::default();
        let latch = |id: &Arc<str>, estop: bool, l: &Latch| SavedLatch {
            id: id.to_string(),
            estop,
            at: l.at,
            cause: l.cause,
            first_out: l.first_out,
            by: l.by.clone(),
        };
        for (d, rt) in self.set.trips.iter().zip(&self.trips) {
            if let Some(l) = &rt.latch {
                out.latches.push(latch(&d.id, false, l));
            }
            if let Some(b) = &rt.bypass {
                out.bypasses.push(SavedBypass {
                    id: d.id.to_string(),
                    until: b.until,
                    by: b.by.clone(),
                    reason: b.reason.clone(),
                });
            }
        }
        for (d, l) in self.set.estops.iter().zip(&self.estops) {
            if let Some(l) = l {
                out.latches.push(latch(&d.id, true, l));
            }
        }
        out
    }

    /// Puts back what a previous run saved. A latch comes back latched and drives its outputs again (the
    /// plant may have been restarted by hand meanwhile: the trip is not reset until someone resets it); a
    /// bypass comes back only if its time is not over. Rules no longer defined are reported, not guessed.
    pub fn restore(&mut self, saved: SavedTrips, now: Timestamp) {
        for l in saved.latches {
            let (idx, outputs) = if l.estop {
                let Some(i) = self.set.estop_index(&l.id) else {
                    tracing::warn!(estop = %l.id, "a saved E-stop is no longer defined; dropped");
                    continue;
                };
                (i, self.set.estops[i].outputs.clone())
            } else {
                let Some(i) = self.set.trip_index(&l.id) else {
                    tracing::warn!(trip = %l.id, "a saved trip is no longer defined; dropped");
                    continue;
                };
                (i, self.set.trips[i].outputs.clone())
            };
            let latch = Latch {
                at: l.at,
                cause: l.cause,
                first_out: l.first_out,
                by: l.by,
                outputs: self.send_outputs(&outputs, now),
            };
            let id: Arc<str> = l.id.as_str().into();
            if l.estop {
                self.estops[idx] = Some(latch);
            } else {
                self.trips[idx].latch = Some(latch);
            }
            let detail = format!("latched since {}; outputs driven again", l.at.to_rfc3339());
            self.event(now, TripEventKind::Restored, &id, None, detail);
        }
        for b in saved.bypasses {
            match self.set.trip_index(&b.id) {
                Some(i) if b.until > now => {
                    let id: Arc<str> = b.id.as_str().into();
                    let detail = format!("bypass by {} until {}", b.by.user, b.until.to_rfc3339());
                    self.trips[i].bypass = Some(Bypass {
                        until: b.until,
                        by: b.by,
                        reason: b.reason,
                    });
                    self.event(now, TripEventKind::Restored, &id, None, detail);
                }
                _ => {}
            }
        }
        self.persist = true;
    }

    pub fn status(&self, id: &str) -> Option<TripStatus> {
        self.set.trip_index(id).map(|i| self.trips[i].status())
    }

    pub fn rows(&self) -> Vec<TripRow> {
        self.set
            .trips
            .iter()
            .zip(&self.trips)
            .map(|(d, rt)| TripRow {
                def: d.clone(),
                status: rt.status(),
                condition: rt.last,
                pending_since: rt.cond_since,
                latch: rt.latch.clone(),
                bypass: rt.bypass.clone(),
            })
            .collect()
    }

    pub fn estop_rows(&self) -> Vec<EstopRow> {
        self.set
            .estops
            .iter()
            .zip(&self.estops)
            .map(|(d, l)| EstopRow {
                def: d.clone(),
                latch: l.clone(),
            })
            .collect()
    }
}

fn track_rate(r: &mut RateRt, u: &TagUpdate, window: Duration) {
    let x = u
        .state
        .value
        .as_ref()
        .filter(|_| !u.state.quality.is_bad())
        .and_then(Value::as_f64);
    let Some(x) = x else {
        r.samples.clear();
        r.bad = true;
        r.rate = None;
        return;
    };
    r.bad = false;
    let t = u.state.receive_ts;
    r.samples.push_back((t, x));
    // Keep exactly one sample at or before the window's start, so the rate spans the whole window.
    while r.samples.len() > 2 && t.saturating_since(r.samples[1].0) >= window {
        r.samples.pop_front();
    }
    let (t0, x0) = r.samples[0];
    let span = t.saturating_since(t0);
    r.rate = (span >= window && !span.is_zero()).then(|| (x - x0) / span.as_secs_f64() * 60.0);
}

fn hours(d: Duration) -> String {
    let h = d.as_secs_f64() / 3600.0;
    if h >= 1.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.0} min", d.as_secs_f64() / 60.0)
    }
}

fn names(cond: &Cond, table: &TagTable, keep: impl Fn(bool) -> bool) -> String {
    let mut tags = Vec::new();
    cond.tags(&mut tags);
    tags.dedup();
    let dir = table.directory();
    tags.iter()
        .filter_map(|&t| {
            let def = dir.get(t)?;
            let st = table.get(t)?;
            if !keep(st.quality.is_bad()) {
                return None;
            }
            Some(match (&st.value, st.quality.is_bad()) {
                (_, true) => format!("{} {}", def.name, st.quality.code()),
                (Some(v), false) => format!("{} = {}", def.name, v.display(def.decimals)),
                (None, false) => format!("{} no value", def.name),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule's inputs with their values, for the record of why it tripped.
fn input_values(cond: &Cond, table: &TagTable) -> String {
    names(cond, table, |_| true)
}

/// The inputs that are bad or stale.
fn bad_inputs(cond: &Cond, table: &TagTable) -> String {
    names(cond, table, |bad| bad)
}
