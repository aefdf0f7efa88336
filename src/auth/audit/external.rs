//! The external anchor: the audit trail's head, published retained to an MQTT broker on another machine,
//! so that someone with the whole disk — who can roll the trail and its local anchor back together — is
//! still caught by `audit verify`. The payload is the anchor file's text, sealed with the site key: the
//! broker has to keep it, not keep it secret, and nobody without the key can publish one that verifies.
//!
//! Publishing never holds up the trail: the writer hands the newest head to a thread of its own, which
//! publishes at most once a second (the newest only) and keeps trying while the broker is away.

use super::{Anchor, AuditError, AuditTrail, Tamper};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where the head is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalAnchor {
    pub host: String,
    pub port: u16,
    pub topic: String,
}

impl std::fmt::Display for ExternalAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mqtt://{}:{}/{}", self.host, self.port, self.topic)
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

fn options(a: &ExternalAnchor, role: &str) -> MqttOptions {
    let id = format!("wellconsole-audit-{role}-{}", std::process::id());
    let mut o = MqttOptions::new(id, a.host.clone(), a.port);
    o.set_keep_alive(Duration::from_secs(10));
    o
}

/// Publishes `text` retained (QoS 1) and waits for the broker's acknowledgement.
pub fn publish_once(a: &ExternalAnchor, text: &str) -> Result<(), String> {
    let (client, mut conn) = Client::new(options(a, "publish"), 4);
    client
        .publish(a.topic.clone(), QoS::AtLeastOnce, true, text.as_bytes().to_vec())
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + TIMEOUT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match conn.recv_timeout(left) {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => {
                let _ = client.disconnect();
                // Lets the disconnect go out; the acknowledgement already came.
                let _ = conn.recv_timeout(Duration::from_millis(100));
                return Ok(());
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => break,
        }
    }
    Err(format!("{a}: no acknowledgement within {} s", TIMEOUT.as_secs()))
}

/// The retained head on the broker (`Ok(None)`: the broker has none).
pub fn fetch(a: &ExternalAnchor) -> Result<Option<String>, String> {
    let (client, mut conn) = Client::new(options(a, "verify"), 4);
    client
        .subscribe(a.topic.clone(), QoS::AtLeastOnce)
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + TIMEOUT;
    let mut subscribed = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match conn.recv_timeout(left) {
            Ok(Ok(Event::Incoming(Packet::Publish(p)))) if p.topic == a.topic => {
                let _ = client.disconnect();
                return Ok(Some(String::from_utf8_lossy(&p.payload).into_owned()));
            }
            // A retained message comes right after the subscription is granted; none within a
            // moment of that means the broker holds none.
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => subscribed = Some(Instant::now()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => break,
        }
        if subscribed.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) {
            break;
        }
    }
    let _ = client.disconnect();
    match subscribed {
        Some(_) => Ok(None),
        None => Err(format!("{a}: the broker did not answer within {} s", TIMEOUT.as_secs())),
    }
}

/// Checks the trail against the broker's head: what `verify` found there.
pub fn verify_against(
    trail: &AuditTrail,
    a: &ExternalAnchor,
    records: i64,
    head_of: impl Fn(i64) -> Result<Option<String>, AuditError>,
) -> Result<Option<Anchor>, AuditError> {
    let text = fetch(a).map_err(AuditError::External)?;
    let Some(text) = text else {
        return match records {
            0 => Ok(None),
            _ => Err(AuditError::Tampered(Tamper::ExternalMissing {
                broker: a.to_string(),
                records,
            })),
        };
    };
    let anchor = match super::parse_anchor(trail, &text) {
        Ok(a) => a,
        Err(AuditError::Tampered(Tamper::AnchorForged)) => {
            return Err(AuditError::External(format!(
                "{a}: the head there was not written with this site's key"
            )));
        }
        Err(e) => return Err(e),
    };
    if anchor.seq > records {
        return Err(AuditError::Tampered(Tamper::RolledBack {
            broker: a.to_string(),
            anchored: anchor.seq,
            found: records,
        }));
    }
    if anchor.seq > 0 && head_of(anchor.seq)?.as_deref() != Some(anchor.head.as_str()) {
        return Err(AuditError::Tampered(Tamper::RewrittenSinceExternal {
            broker: a.to_string(),
            seq: anchor.seq,
        }));
    }
    Ok(Some(anchor))
}

/// The thread that keeps the broker's head current.
pub struct AnchorPublisher {
    latest: Arc<(Mutex<Option<String>>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AnchorPublisher {
    pub fn start(a: ExternalAnchor) -> std::io::Result<Self> {
        let latest: Arc<(Mutex<Option<String>>, Condvar)> = Arc::new((Mutex::new(None), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (latest.clone(), stop.clone());
        let thread = std::thread::Builder::new().name("audit-anchor".into()).spawn(move || {
            let mut failing_since: Option<Instant> = None;
            loop {
                let text = {
                    let (m, cv) = &*l;
                    let mut g = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    while g.is_none() && !s.load(Ordering::Relaxed) {
                        g = cv
                            .wait_timeout(g, Duration::from_secs(1))
                            .map_or_else(|e| e.into_inner().0, |(g, _)| g);
                    }
                    g.take()
                };
                let Some(text) = text else { return };
                match publish_once(&a, &text) {
                    Ok(()) => {
                        if let Some(t) = failing_since.take() {
                            tracing::warn!(broker = %a, after_s = t.elapsed().as_secs(), "audit anchor published again");
                        }
                    }
                    Err(e) => {
                        if failing_since.is_none() {
                            tracing::error!(broker = %a, error = %e, "audit anchor cannot be published; retrying");
                            failing_since = Some(Instant::now());
                        }
                        // Put it back unless a newer head came meanwhile.
                        let (m, _) = &*l;
                        let mut g = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        g.get_or_insert(text);
                        drop(g);
                        if s.load(Ordering::Relaxed) {
                            return;
                        }
                    }
                }
                // At most once a second: the newest head is all the broker keeps anyway.
                std::thread::sleep(Duration::from_secs(1));
                if s.load(Ordering::Relaxed) && l.0.lock().map_or(true, |g| g.is_none()) {
                    return;
                }
            }
        })?;
        Ok(Self {
            latest,
            stop,
            thread: Some(thread),
        })
    }

    /// Hands over the newest anchor text (replacing one not published yet).
    pub fn publish(&self, text: String) {
        let (m, cv) = &*self.latest;
        *m.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(text);
        cv.notify_one();
    }

    /// Publishes what is pending (one try) and stops.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.latest.1.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
