//! The immutable picture of the plant the UI draws one frame from.
//!
//! Built by the hub, published through `ArcSwap`: the UI's `load` never blocks and never sees a
//! half-updated table. Per-tag values are cloned (O(1) each: strings are `Arc<str>`).

use crate::auth::Actor;
use crate::driver::{DriverState, WaitingForBirth};
use crate::tag::{TagDirectory, TagId, TagState, Timestamp, Value};
use arc_swap::ArcSwap;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize)]
pub struct DriverStatus {
    pub name: String,
    pub kind: &'static str,
    pub state: DriverState,
    pub samples_in: u64,
    /// Samples replaced by a newer value of the same tag before the hub applied them: the hub (or its
    /// queue) was behind. The tag's newest value always arrives; history misses the replaced ones.
    pub samples_coalesced: u64,
    /// Command outcomes (write confirmations) the driver could not report: its event queue was full.
    pub events_lost: u64,
    /// Samples per second over the last rate window.
    pub rate_per_sec: f64,
    /// Requests a polling driver (Modbus) sent, reads and writes, answered or timed out; `None` for a
    /// driver that is sent its data (MQTT and OPC UA subscriptions) or makes it (the simulator): its
    /// traffic is `samples_in`.
    pub requests: Option<u64>,
    /// Requests per second over the last rate window; `None` where `requests` is.
    pub requests_per_sec: Option<f64>,
    /// Transport errors and device exceptions.
    pub errors: u64,
    pub exceptions: u64,
    /// The latest request's round trip; `None` where `requests` is (no request, no round trip).
    pub last_rtt_ms: Option<f64>,
    pub last_error: Option<Arc<String>>,
    pub detail: Option<Arc<String>>,
    /// Edge nodes the driver's tags name that it has not seen announce themselves (Sparkplug B births).
    pub waiting_for_birth: Arc<Vec<WaitingForBirth>>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HubCounters {
    pub samples_in: u64,
    /// Samples replaced by newer values of the same tag under overload (all drivers).
    pub samples_coalesced: u64,
    /// Write outcomes drivers could not report (all drivers).
    pub events_lost: u64,
    pub samples_per_sec: f64,
    pub commands_in: u64,
    /// Commands that could not be delivered to a driver (its queue full or gone).
    pub commands_failed: u64,
}

/// Something operators should see happened: a write confirmed or failed, a command refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    pub at: Timestamp,
    pub source: String,
    pub ok: bool,
    pub text: String,
}

/// What became of a person's write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// Handed to the tag's driver; the device has not answered yet.
    Sent,
    /// The device took the value (and read it back, where the protocol can).
    Confirmed,
    /// Not sent: the person's role or the tag does not allow it.
    Refused(String),
    /// Not done: the driver could not take it, or the device refused it or did not answer.
    Failed(String),
}

impl WriteOutcome {
    /// The outcome in one word, for JSON stats and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            WriteOutcome::Sent => "sent",
            WriteOutcome::Confirmed => "confirmed",
            WriteOutcome::Refused(_) => "refused",
            WriteOutcome::Failed(_) => "failed",
        }
    }

    /// Why it was refused or failed.
    pub fn reason(&self) -> Option<&str> {
        match self {
            WriteOutcome::Refused(why) | WriteOutcome::Failed(why) => Some(why.as_str()),
            WriteOutcome::Sent | WriteOutcome::Confirmed => None,
        }
    }
}

/// A person's write (`HubCommand::OperatorWrite`) and its outcome, kept until it falls off the recent list.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteRecord {
    /// Numbered by the hub in the order writes were asked for, from 1.
    pub seq: u64,
    pub tag: TagId,
    pub tag_name: String,
    /// In the tag's own unit, as sent.
    pub value: Value,
    pub by: Actor,
    pub outcome: WriteOutcome,
    pub asked_at: Timestamp,
    /// When the outcome became known (`asked_at` while it is `Sent`).
    pub outcome_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Increases with every publication.
    pub seq: u64,
    pub taken_at: Timestamp,
    pub directory: Arc<TagDirectory>,
    /// Indexed by `TagId`.
    pub tags: Vec<TagState>,
    pub drivers: Vec<DriverStatus>,
    pub counters: HubCounters,
    /// Newest last; at most `hub::RECENT_EVENTS`.
    pub events: Vec<EventRecord>,
    /// People's writes and their outcomes, oldest first; at most `hub::RECENT_WRITES`.
    pub writes: Vec<WriteRecord>,
}

impl Snapshot {
    /// The picture before the hub has published anything.
    pub fn empty(directory: Arc<TagDirectory>, drivers: Vec<DriverStatus>) -> Self {
        let table = crate::tag::TagTable::new(directory.clone());
        Self {
            seq: 0,
            taken_at: Timestamp::ZERO,
            directory,
            tags: table.states().to_vec(),
            drivers,
            counters: HubCounters::default(),
            events: Vec::new(),
            writes: Vec::new(),
        }
    }

    pub fn get(&self, id: TagId) -> Option<&TagState> {
        self.tags.get(id.index())
    }

    pub fn by_name(&self, name: &str) -> Option<&TagState> {
        self.directory.id_of(name).and_then(|id| self.get(id))
    }
}

/// Where the hub publishes and the UI reads.
pub type SnapshotCell = Arc<ArcSwap<Snapshot>>;
