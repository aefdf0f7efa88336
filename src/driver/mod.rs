//! Drivers: background threads that talk to field devices (or the simulator) and only ever
//! SEND samples to the hub over a bounded channel and RECEIVE commands from it.
//!
//! A driver knows nothing of alarms, history or the UI. Its health is published lock-free
//! (`DriverStats`, atomics + `ArcSwap`) so that neither the hub nor the UI ever waits on driver I/O.

pub mod modbus;
pub mod mqtt;
pub mod opcua;
pub mod replay;
mod samples;
pub mod sim;

pub use samples::{SampleBatch, SampleReceiver, SampleSender, sample_channel};

use crate::tag::{DriverId, TagId, Value};
use arc_swap::{ArcSwap, ArcSwapOption};
use crossbeam_channel::{Receiver, Sender};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DriverState {
    Starting,
    Running,
    /// Connected, but some devices or requests are failing.
    Degraded,
    /// Not connected; retrying.
    Failed,
    Stopped,
}

impl DriverState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => DriverState::Starting,
            1 => DriverState::Running,
            2 => DriverState::Degraded,
            3 => DriverState::Failed,
            _ => DriverState::Stopped,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            DriverState::Starting => 0,
            DriverState::Running => 1,
            DriverState::Degraded => 2,
            DriverState::Failed => 3,
            DriverState::Stopped => 4,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DriverState::Starting => "STARTING",
            DriverState::Running => "RUNNING",
            DriverState::Degraded => "DEGRADED",
            DriverState::Failed => "FAILED",
            DriverState::Stopped => "STOPPED",
        }
    }

    /// The state as the operator reads it.
    pub fn label_in(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            DriverState::Starting => lang.pick("STARTING", "INICIANDO"),
            DriverState::Running => lang.pick("RUNNING", "EN MARCHA"),
            DriverState::Degraded => lang.pick("DEGRADED", "DEGRADADO"),
            DriverState::Failed => lang.pick("FAILED", "FALLADO"),
            DriverState::Stopped => lang.pick("STOPPED", "DETENIDO"),
        }
    }
}

/// Health counters of one driver, written by the driver thread, read by the hub without locks.
pub struct DriverStats {
    state: AtomicU8,
    samples_sent: AtomicU64,
    /// Samples replaced by a newer value of the same tag before the hub applied them (overload).
    samples_coalesced: AtomicU64,
    /// Command outcomes the driver could not report (its event queue to the hub was full).
    events_lost: AtomicU64,
    /// The driver asks its devices for data (Modbus polls), so its requests are counted. Drivers that are
    /// sent their data (MQTT and OPC UA subscriptions, the simulator) have no request count: the
    /// requests they do make (OPC UA publish requests, MQTT SUBSCRIBE) are partly the library's and
    /// unseen, and their traffic is their samples.
    polls: bool,
    requests: AtomicU64,
    errors: AtomicU64,
    exceptions: AtomicU64,
    /// Round-trip time of the last request, µs.
    last_rtt_us: AtomicU64,
    last_error: ArcSwapOption<String>,
    /// Free-text detail the driver wants operators to see (e.g. active simulator faults).
    detail: ArcSwapOption<String>,
    /// Edge nodes the driver's tags name that have not announced themselves (Sparkplug B); empty otherwise.
    waiting_for_birth: ArcSwap<Vec<WaitingForBirth>>,
}

/// An edge node (or device) the driver's tags name whose birth certificate the driver has not seen since it
/// connected or since the node died (Sparkplug B): its metrics cannot be read until it announces them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingForBirth {
    /// `GROUP/NODE`, or `GROUP/NODE/DEVICE` for a device of a node that is online.
    pub node: String,
    /// Rebirth requests (NCMD `Node Control/Rebirth`) sent to the node since its last birth or death.
    pub rebirths_asked: u64,
}

impl Default for DriverStats {
    fn default() -> Self {
        Self {
            state: AtomicU8::new(DriverState::Starting.to_u8()),
            samples_sent: AtomicU64::new(0),
            samples_coalesced: AtomicU64::new(0),
            events_lost: AtomicU64::new(0),
            polls: false,
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            exceptions: AtomicU64::new(0),
            last_rtt_us: AtomicU64::new(0),
            last_error: ArcSwapOption::empty(),
            detail: ArcSwapOption::empty(),
            waiting_for_birth: ArcSwap::from_pointee(Vec::new()),
        }
    }
}

impl DriverStats {
    /// The counters of a driver that polls its devices: its requests and their round trips are shown.
    pub fn polling() -> Self {
        Self {
            polls: true,
            ..Self::default()
        }
    }

    pub fn state(&self) -> DriverState {
        DriverState::from_u8(self.state.load(Ordering::Relaxed))
    }

    pub fn set_state(&self, s: DriverState) {
        self.state.store(s.to_u8(), Ordering::Relaxed);
    }

    pub fn samples_sent(&self) -> u64 {
        self.samples_sent.load(Ordering::Relaxed)
    }

    /// Samples replaced by a newer value of the same tag under overload: counted, never silent.
    pub fn samples_coalesced(&self) -> u64 {
        self.samples_coalesced.load(Ordering::Relaxed)
    }

    pub fn record_coalesced(&self, n: u64) {
        self.samples_coalesced.fetch_add(n, Ordering::Relaxed);
    }

    /// Command outcomes lost because the driver's event queue was full.
    pub fn events_lost(&self) -> u64 {
        self.events_lost.load(Ordering::Relaxed)
    }

    /// A request answered (or timed out) after `rtt`.
    pub fn record_request(&self, rtt: std::time::Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.last_rtt_us
            .store(u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A transport failure: timeout, connection lost, garbage frame.
    pub fn record_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The device answered with a protocol exception.
    pub fn record_exception(&self) {
        self.exceptions.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests sent (answered or timed out); `None` for a driver that does not poll.
    pub fn requests(&self) -> Option<u64> {
        self.polls.then(|| self.requests.load(Ordering::Relaxed))
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn exceptions(&self) -> u64 {
        self.exceptions.load(Ordering::Relaxed)
    }

    pub fn last_rtt_us(&self) -> u64 {
        self.last_rtt_us.load(Ordering::Relaxed)
    }

    pub fn last_error(&self) -> Option<Arc<String>> {
        self.last_error.load_full()
    }

    pub fn set_last_error(&self, e: Option<String>) {
        self.last_error.store(e.map(Arc::new));
    }

    pub fn detail(&self) -> Option<Arc<String>> {
        self.detail.load_full()
    }

    pub fn set_detail(&self, d: Option<String>) {
        self.detail.store(d.map(Arc::new));
    }

    pub fn waiting_for_birth(&self) -> Arc<Vec<WaitingForBirth>> {
        self.waiting_for_birth.load_full()
    }

    pub fn set_waiting_for_birth(&self, w: Vec<WaitingForBirth>) {
        self.waiting_for_birth.store(Arc::new(w));
    }
}

/// The hub has stopped; the driver should stop too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the hub is gone")]
pub struct HubGone;

/// Commands the hub forwards to a driver. Writes arrive here only from the hub, after it has routed them
/// (a person's checked against their role and audited, or a service's).
#[derive(Debug, Clone, PartialEq)]
pub enum DriverCommand {
    Write { tag: TagId, address: String, value: Value },
    Sim(sim::SimCommand),
}

/// What the console may ask of a driver directly (`HubCommand::ToDriver`): anything but a write, which only
/// the hub makes, so no write can go around the role check and the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverControl {
    Sim(sim::SimCommand),
}

impl From<DriverControl> for DriverCommand {
    fn from(c: DriverControl) -> Self {
        match c {
            DriverControl::Sim(s) => DriverCommand::Sim(s),
        }
    }
}

/// What a driver reports besides samples: outcomes of commands. Never dropped silently: an outcome that
/// does not fit in the event queue is counted (`DriverStats::events_lost`, shown on the Drivers page).
#[derive(Debug, Clone, PartialEq)]
pub enum DriverEvent {
    WriteConfirmed { tag: TagId, value: Value },
    WriteFailed { tag: TagId, value: Value, reason: String },
}

/// Everything a driver thread gets: where to send, what to listen to, when to stop.
pub struct DriverLink {
    pub id: DriverId,
    pub name: String,
    pub samples: SampleSender,
    pub commands: Receiver<DriverCommand>,
    pub events: Sender<DriverEvent>,
    pub stats: Arc<DriverStats>,
    pub shutdown: Arc<AtomicBool>,
    /// Tags this driver serves: (tag, driver address).
    pub tags: Vec<(TagId, String)>,
}

impl DriverLink {
    pub fn should_stop(&self) -> bool {
        self.shutdown.load(Ordering::Relaxed)
    }

    /// Reports a command outcome to the hub without blocking.
    pub fn report(&self, event: DriverEvent) {
        if self.events.try_send(event).is_err() {
            self.stats.events_lost.fetch_add(1, Ordering::Relaxed);
            self.stats
                .set_last_error(Some("event queue full: a command outcome was not reported".into()));
        }
    }
}

/// Runs a driver's async main loop on a current-thread tokio runtime of its own (so one slow or dead
/// device only ever delays its own driver), then marks the driver stopped. A runtime that cannot start
/// is reported on the driver's health, not panicked on.
pub fn run_on_own_runtime(link: &DriverLink, main: impl std::future::Future<Output = ()>) {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(main),
        Err(e) => {
            link.stats.set_state(DriverState::Failed);
            link.stats
                .set_last_error(Some(format!("could not start the driver runtime: {e}")));
            return;
        }
    }
    link.stats.set_state(DriverState::Stopped);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn requests_are_counted_for_polling_drivers_only() {
        let polling = DriverStats::polling();
        assert_eq!(polling.requests(), Some(0));
        polling.record_request(Duration::from_millis(3));
        assert_eq!(polling.requests(), Some(1));
        assert_eq!(polling.last_rtt_us(), 3_000);
        // MQTT, OPC UA and the simulator are sent their data: no request count to show
        assert_eq!(DriverStats::default().requests(), None);
    }
}
