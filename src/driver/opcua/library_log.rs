//! What async-opcua logs that a person should not have to read. Its session event loop warns
//! "Transport disconnected: <status>" whenever the connection ends, so a normal close (the end of
//! `opcua browse`, a driver stopping) printed `Transport disconnected: Good` as if something had failed.
//! This layer drops that one line; a close with a Bad status, and the library's own error lines about
//! its cause, still reach the log. It reads events only, and never changes what the library does.

use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Where async-opcua-client 0.19 logs it (`session/event_loop.rs`, through its `session_warn!`).
const EVENT_LOOP_TARGET: &str = "opcua_client::session::event_loop";

/// Drops the library's warning for a transport that closed with status Good.
pub struct QuietNormalClose;

impl<S: Subscriber> Layer<S> for QuietNormalClose {
    fn event_enabled(&self, event: &Event<'_>, _ctx: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if meta.target() != EVENT_LOOP_TARGET || *meta.level() != Level::WARN {
            return true;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        !is_normal_close(&message.0)
    }
}

/// The library's line reads "session:<id> Transport disconnected: <status>".
fn is_normal_close(message: &str) -> bool {
    message.ends_with("Transport disconnected: Good")
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing_subscriber::layer::SubscriberExt;

    /// Counts the events that get through.
    struct Printed(Arc<AtomicUsize>);

    impl<S: Subscriber> Layer<S> for Printed {
        fn on_event(&self, _event: &Event<'_>, _ctx: Context<'_, S>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_normal_close_is_quiet_and_a_lost_connection_is_not() {
        let printed = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry()
            .with(QuietNormalClose)
            .with(Printed(printed.clone()));
        // As the library's session_warn! writes it.
        let library_warns = |status: &str| {
            let line = format!("Transport disconnected: {status}");
            tracing::warn!(target: "opcua_client::session::event_loop", "session:{} {}", "ns=1;i=7", line);
        };
        tracing::subscriber::with_default(subscriber, || {
            library_warns("Good");
            assert_eq!(printed.load(Ordering::SeqCst), 0, "a normal close is not printed");
            library_warns("BadConnectionClosed");
            assert_eq!(printed.load(Ordering::SeqCst), 1, "a lost connection is printed");
            tracing::warn!("Transport disconnected: Good");
            assert_eq!(printed.load(Ordering::SeqCst), 2, "other crates' lines are left alone");
        });
    }
}
