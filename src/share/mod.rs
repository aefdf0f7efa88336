//! Consoles that share alarms (`[share]` in site.toml): each console publishes what its people do to alarms
//! (acknowledge, shelve, unshelve, take out of and return to service, silence) over an MQTT broker, and
//! applies what the site's other consoles' people did, by the rules in `alarm::engine::remote`. An alarm
//! acknowledged in the control room is acknowledged in the cab within a second, journaled at each console
//! with who did it where (`ana@control-room`).
//!
//! Each alarm has three retained topics (its last acknowledgement, its last shelving or unshelving, its
//! last removal from or return to service), so a console that was away for an hour, or a broker that was
//! restarted, catches up with what happened; every console publishes its own last actions again whenever it
//! (re)connects. Each console says on `<prefix>/console/<name>` whether it is online (the broker says
//! `offline` for one that vanished). Messages are signed with a secret the site's consoles share: anyone
//! else who can publish on the broker cannot acknowledge anybody's alarms.
//!
//! With `edge = { … }` the console's tags also go out as a Sparkplug B edge node (`edge`), which another
//! console reads through its own Sparkplug host driver.
//!
//! Trips stay with the console that owns their outputs: nothing here trips, resets or bypasses anything.
//! Owns the link to the broker and the wire format (`message`); the alarm room owns what an action does.
//! It must not block the hub: actions come in through a bounded queue the alarm service never waits on,
//! and go out through a function that queues a hub command without waiting.

mod edge;
pub mod message;
mod worker;

pub use edge::EdgePublisher;
pub use worker::{ShareStats, Sharer};

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("[share]: {0}")]
    Secret(String),
    #[error("[share] TLS: {0}")]
    Tls(String),
    #[error("could not start the share thread: {0}")]
    Spawn(std::io::Error),
    #[error("[share] edge: {0}")]
    Edge(String),
}
