//! ISA-18.2 alarm states, the operator-visible view of one point, and the events that change it.
//!
//! Pure data shared by the engine, the journal and the console; no logic beyond naming.

use super::def::{AlarmDef, Priority};
use crate::auth::Actor;
use crate::tag::{Timestamp, Value};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The state an operator sees (ISA-18.2 §11, with the three kinds of alarm that are not annunciated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlarmState {
    Normal,
    ActiveUnacked,
    ActiveAcked,
    ReturnedUnacked,
    Shelved,
    SuppressedByDesign,
    OutOfService,
}

impl AlarmState {
    pub const ALL: [AlarmState; 7] = [
        AlarmState::Normal,
        AlarmState::ActiveUnacked,
        AlarmState::ActiveAcked,
        AlarmState::ReturnedUnacked,
        AlarmState::Shelved,
        AlarmState::SuppressedByDesign,
        AlarmState::OutOfService,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AlarmState::Normal => "NORMAL",
            AlarmState::ActiveUnacked => "ACTIVE UNACK",
            AlarmState::ActiveAcked => "ACTIVE ACK",
            AlarmState::ReturnedUnacked => "RTN UNACK",
            AlarmState::Shelved => "SHELVED",
            AlarmState::SuppressedByDesign => "SUPPRESSED",
            AlarmState::OutOfService => "OUT OF SERVICE",
        }
    }

    /// The state as the operator reads it (the journal and exports keep `code`).
    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        if lang == crate::lang::Lang::En {
            return self.code();
        }
        match self {
            AlarmState::Normal => "NORMAL",
            AlarmState::ActiveUnacked => "ACTIVA SIN RECON",
            AlarmState::ActiveAcked => "ACTIVA RECON",
            AlarmState::ReturnedUnacked => "RETORNÓ SIN RECON",
            AlarmState::Shelved => "ARCHIVADA",
            AlarmState::SuppressedByDesign => "SUPRIMIDA",
            AlarmState::OutOfService => "FUERA DE SERVICIO",
        }
    }

    pub fn parse(s: &str) -> Option<AlarmState> {
        AlarmState::ALL.into_iter().find(|a| a.code() == s)
    }

    pub fn is_unacked(self) -> bool {
        matches!(self, AlarmState::ActiveUnacked | AlarmState::ReturnedUnacked)
    }

    /// Shown in the banner and counted as a standing alarm.
    pub fn is_annunciated(self) -> bool {
        matches!(
            self,
            AlarmState::ActiveUnacked | AlarmState::ActiveAcked | AlarmState::ReturnedUnacked
        )
    }
}

/// A timed shelf (ISA-18.2 §16.2): out of the operator's view until `until`, then back by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shelf {
    /// When it was shelved (the console shows it, not the alarm's last transition).
    pub at: Timestamp,
    pub until: Timestamp,
    pub reason: String,
    pub by: String,
}

/// Removed from service (maintenance, failed instrument), by someone with the role to do it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfService {
    pub since: Timestamp,
    pub reason: String,
    pub by: String,
}

/// What happened to an alarm, as journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    Activated,
    Returned,
    Acknowledged,
    Shelved,
    Unshelved,
    Suppressed,
    Unsuppressed,
    RemovedFromService,
    ReturnedToService,
    /// An operator action the user's role or the alarm's definition does not allow.
    Refused,
    /// The console's horn was silenced (no alarm changes state).
    Silenced,
    /// The alarm definitions were reloaded; the comment says what changed.
    Reconfigured,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::Activated,
        EventKind::Returned,
        EventKind::Acknowledged,
        EventKind::Shelved,
        EventKind::Unshelved,
        EventKind::Suppressed,
        EventKind::Unsuppressed,
        EventKind::RemovedFromService,
        EventKind::ReturnedToService,
        EventKind::Refused,
        EventKind::Silenced,
        EventKind::Reconfigured,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventKind::Activated => "activated",
            EventKind::Returned => "returned",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Shelved => "shelved",
            EventKind::Unshelved => "unshelved",
            EventKind::Suppressed => "suppressed",
            EventKind::Unsuppressed => "unsuppressed",
            EventKind::RemovedFromService => "out-of-service",
            EventKind::ReturnedToService => "in-service",
            EventKind::Refused => "refused",
            EventKind::Silenced => "silenced",
            EventKind::Reconfigured => "reconfigured",
        }
    }

    /// The event as the operator reads it (the journal keeps `code`).
    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        if lang == crate::lang::Lang::En {
            return self.code();
        }
        match self {
            EventKind::Activated => "activada",
            EventKind::Returned => "retornó",
            EventKind::Acknowledged => "reconocida",
            EventKind::Shelved => "archivada",
            EventKind::Unshelved => "desarchivada",
            EventKind::Suppressed => "suprimida",
            EventKind::Unsuppressed => "no suprimida",
            EventKind::RemovedFromService => "fuera de servicio",
            EventKind::ReturnedToService => "en servicio",
            EventKind::Refused => "rechazado",
            EventKind::Silenced => "silenciada",
            EventKind::Reconfigured => "reconfigurada",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// One journal record.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEvent {
    pub at: Timestamp,
    pub kind: EventKind,
    /// `None` for console-wide events (silence, reconfiguration).
    pub alarm: Option<Arc<AlarmDef>>,
    /// State after the event.
    pub state: AlarmState,
    pub value: Option<Value>,
    /// Who acted (`None` for what the process or the clock did).
    pub by: Option<Actor>,
    pub comment: String,
    /// The console where the person acted, when it was another console of the site (`None`: here).
    pub origin: Option<Arc<str>>,
}

/// An alarm that is not normal, as the console shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRow {
    pub def: Arc<AlarmDef>,
    pub state: AlarmState,
    /// When it last changed between active and returned.
    pub since: Timestamp,
    /// The reading the engine last evaluated, as of this view. Views are published when an alarm changes,
    /// not with every sample, so this lags the process; the console reads the live value from its snapshot.
    pub value: Option<Value>,
    /// The reading when it last activated: ISA-18.2's alarm value, kept while the alarm is listed.
    pub alarm_value: Option<Value>,
    /// First alarm of its asset in a cascade.
    pub first_out: bool,
    pub shelf: Option<Shelf>,
    pub out_of_service: Option<OutOfService>,
    /// Number of this activation (the annunciator sounds each one once until silenced or acknowledged).
    pub activation: u64,
}

impl AlarmRow {
    pub fn priority(&self) -> Priority {
        self.def.priority
    }
}
