//! The immutable picture of the plant the UI draws one frame from.
//!
//! Built by the hub, published through `ArcSwap`: the UI's `load` never blocks and never sees a
//! half-updated table. Per-tag values are cloned (O(1) each: strings are `Arc<str>`).

use crate::driver::DriverState;
use crate::tag::{TagDirectory, TagId, TagState, Timestamp};
use arc_swap::ArcSwap;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize)]
pub struct DriverStatus {
    pub name: String,
    pub kind: &'static str,
    pub state: DriverState,
    pub samples_in: u64,
    pub samples_dropped: u64,
    /// Samples per second over the last rate window.
    pub rate_per_sec: f64,
    /// Protocol requests, transport errors and device exceptions (0 for drivers without requests).
    pub requests: u64,
    pub requests_per_sec: f64,
    pub errors: u64,
    pub exceptions: u64,
    pub last_rtt_ms: f64,
    pub last_error: Option<Arc<String>>,
    pub detail: Option<Arc<String>>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HubCounters {
    pub samples_in: u64,
    pub samples_dropped: u64,
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
