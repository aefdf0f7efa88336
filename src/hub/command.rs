//! What the hub is asked to do, and the two lanes it is asked through.
//!
//! The hub names no service: a service's own commands (the alarm system's acknowledge, the trip system's
//! reset or E-stop) travel as `HubCommand::Service(C)`, where `C` is the console's command type that the
//! wiring (`runtime`) assembles from the services it runs. The hub hands each to every subscriber in order.
//!
//! People and the console send through a `CommandSender`. A person's write is always `OperatorWrite` (role
//! checked and audited on the hub); the plain write is a `Request` only a service on the hub can make (a
//! trip's output), so no screen can write around the role check. Urgent commands (E-stops) go in a lane of
//! their own that routine traffic cannot fill, and the hub takes that lane first.

use crate::auth::Actor;
use crate::auth::audit::AuditEntry;
use crate::driver::DriverControl;
use crate::tag::{DriverId, TagId, Value};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

/// A service's command type, as the hub sees it: something to hand on, and whether it is urgent.
pub trait ServiceCommand: std::fmt::Debug + Send + 'static {
    /// Urgent commands (an E-stop) take the urgent lane: queued behind nothing, and never refused because
    /// people's routine traffic filled the queue.
    fn urgent(&self) -> bool {
        false
    }
}

/// A console command type that may carry service command `T`: how a service picks its own commands out of
/// the console's (`runtime::Service` carries the alarm system's and the trip system's).
pub trait Carries<T> {
    fn carried(&self) -> Option<&T>;
}

/// The command type of a hub that runs no services (tests, benches, `wellconsole write`).
#[derive(Debug, Clone, PartialEq)]
pub enum NoService {}

impl ServiceCommand for NoService {}

impl<T> Carries<T> for NoService {
    fn carried(&self) -> Option<&T> {
        match *self {}
    }
}

/// What the console (or CLI) asks of the hub.
#[derive(Debug, Clone, PartialEq)]
pub enum HubCommand<C> {
    /// A write asked for by a person: checked against their role and written to the audit trail, then
    /// routed to the tag's driver.
    OperatorWrite { tag: TagId, value: Value, by: Actor },
    /// A command for one driver (simulator fault injection); never a write (`DriverControl` has none).
    ToDriver { driver: DriverId, command: DriverControl },
    /// An entry for the audit trail from the console (login, logout, hand-over): through the hub so the
    /// trail has one writer feed and the console never touches its file.
    Record(AuditEntry),
    /// A service's own command (alarm actions, trip actions, new definitions): every subscriber sees it.
    Service(C),
}

impl<C: ServiceCommand> HubCommand<C> {
    pub fn urgent(&self) -> bool {
        matches!(self, HubCommand::Service(c) if c.urgent())
    }
}

/// What a service on the hub asks it to route (`Subscriber::drain_requests`).
#[derive(Debug, Clone, PartialEq)]
pub enum Request<C> {
    /// A write by the safety or calculation logic itself (a trip's output): no person, no role check; the
    /// service audits what it did in its own terms.
    Write { tag: TagId, value: Value },
    /// A command for the services (an E-stop that trips others).
    Service(C),
}

/// Operator commands queued for the hub.
pub const ROUTINE_QUEUE: usize = 256;
/// Urgent commands queued for the hub: only E-stops go here, and a person presses a few at most.
pub const URGENT_QUEUE: usize = 64;

/// Why a command did not reach the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotSent {
    #[error("the hub's command queue is full")]
    Full,
    #[error("the hub has stopped")]
    HubGone,
}

/// The console's end of the hub's command lanes. Cheap to clone; never blocks.
#[derive(Debug)]
pub struct CommandSender<C> {
    routine: Sender<HubCommand<C>>,
    urgent: Sender<HubCommand<C>>,
}

impl<C> Clone for CommandSender<C> {
    fn clone(&self) -> Self {
        Self {
            routine: self.routine.clone(),
            urgent: self.urgent.clone(),
        }
    }
}

impl<C: ServiceCommand> CommandSender<C> {
    /// Queues a command in its lane without waiting.
    pub fn try_send(&self, cmd: HubCommand<C>) -> Result<(), NotSent> {
        let lane = if cmd.urgent() { &self.urgent } else { &self.routine };
        lane.try_send(cmd).map_err(|e| match e {
            TrySendError::Full(_) => NotSent::Full,
            TrySendError::Disconnected(_) => NotSent::HubGone,
        })
    }

    /// Queues a command in its lane, waiting for room until `deadline` (a command-line tool, never the UI).
    pub fn send_deadline(&self, cmd: HubCommand<C>, deadline: std::time::Instant) -> Result<(), NotSent> {
        let lane = if cmd.urgent() { &self.urgent } else { &self.routine };
        lane.send_deadline(cmd, deadline).map_err(|e| match e {
            crossbeam_channel::SendTimeoutError::Timeout(_) => NotSent::Full,
            crossbeam_channel::SendTimeoutError::Disconnected(_) => NotSent::HubGone,
        })
    }

    /// A service command, in its lane.
    pub fn service(&self, cmd: C) -> Result<(), NotSent> {
        self.try_send(HubCommand::Service(cmd))
    }
}

/// The hub's end of the command lanes.
pub struct CommandLanes<C> {
    pub(super) routine: Receiver<HubCommand<C>>,
    pub(super) urgent: Receiver<HubCommand<C>>,
}

/// Command lanes of the given sizes (`ROUTINE_QUEUE`, `URGENT_QUEUE` in the console).
pub fn command_lanes<C>(routine: usize, urgent: usize) -> (CommandSender<C>, CommandLanes<C>) {
    let (rtx, rrx) = bounded(routine);
    let (utx, urx) = bounded(urgent);
    (
        CommandSender {
            routine: rtx,
            urgent: utx,
        },
        CommandLanes {
            routine: rrx,
            urgent: urx,
        },
    )
}

impl<C> CommandLanes<C> {
    /// Lanes nobody sends on (a hub driven by calls, in tests and benches).
    pub fn closed() -> Self {
        let (_, lanes) = command_lanes(1, 1);
        lanes
    }

    /// The next command, urgent lane first. For tests that play the hub's part.
    pub fn try_recv(&self) -> Result<HubCommand<C>, crossbeam_channel::TryRecvError> {
        self.urgent.try_recv().or_else(|_| self.routine.try_recv())
    }

    /// Every command waiting, urgent lane first. For tests that play the hub's part.
    pub fn try_iter(&self) -> impl Iterator<Item = HubCommand<C>> + '_ {
        self.urgent.try_iter().chain(self.routine.try_iter())
    }
}
