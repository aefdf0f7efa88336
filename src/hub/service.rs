//! How services plug into the hub: subscribers that consume tag changes and commands (alarms, trips,
//! history, …), and derivers that compute tags from tags (calculated tags). A new service implements one
//! of these in its own room; the hub is not changed for it, only the wiring (`runtime`).

use super::command::Request;
use crate::driver::DriverEvent;
use crate::tag::{DriverId, Sample, TagTable, TagUpdate, Timestamp};

/// A consumer of tag changes, run inline on the hub thread. Must not block: a subscriber that does
/// I/O hands the work to its own thread through a bounded channel. `C` is the console's service command
/// type; a subscriber picks out its own commands from it.
pub trait Subscriber<C>: Send {
    fn name(&self) -> &str;
    /// Called once per scan with every change of that scan, in order.
    fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable);
    /// Called at each housekeeping tick (timers: delays, shelving expiry).
    fn on_tick(&mut self, _now: Timestamp, _table: &TagTable) {}
    /// A service command: every subscriber sees each, in order, and acts on its own.
    fn on_command(&mut self, _cmd: &C, _now: Timestamp, _table: &TagTable) {}
    /// Called just before the hub publishes a snapshot, so views derived from the same scan go out together.
    fn on_publish(&mut self) {}
    /// A driver's answer to a command (write confirmed or failed).
    fn on_driver_event(&mut self, _event: &DriverEvent, _now: Timestamp) {}
    /// What the service wants routed (a trip's writes). Asked after every call above, and routed in the
    /// same scan: a trip's write leaves on the scan that brought the sample that tripped it.
    fn drain_requests(&mut self, _out: &mut Vec<Request<C>>) {}
}

/// A service that computes tags from other tags (calculated tags), run on the hub thread before the
/// subscribers: what it makes is applied to the table in the same scan, so every subscriber sees a derived
/// value together with the samples it came from. Must not block.
pub trait Deriver: Send {
    fn name(&self) -> &str;
    /// The driver its tags belong to: what it makes is counted there, like a driver's samples.
    fn driver(&self) -> DriverId;
    /// New values for the tags it computes, from the changes of this scan (which may include its own).
    fn derive(&mut self, updates: &[TagUpdate], table: &TagTable, now: Timestamp, out: &mut Vec<Sample>);
    /// New values that depend on time alone (averages, rates over windows), at housekeeping.
    fn tick(&mut self, _now: Timestamp, _table: &TagTable, _out: &mut Vec<Sample>) {}
    /// The hub is stopping: hand over what is not yet handed to a writer (the writers stop after the hub).
    fn stop(&mut self) {}
}
