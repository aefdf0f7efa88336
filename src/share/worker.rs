//! The link to the broker: a thread with its own runtime and one MQTT client, publishing this console's
//! people's actions (retained per alarm and slot, republished at every connection) and handing the other
//! consoles' to the hub. Reconnects with a growing wait (1 s to 30 s); says online/offline with a will.

use super::ShareError;
use super::message;
use crate::alarm::engine::RemoteAction;
use crate::project::site::ShareConfig;
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, Transport};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the console shows of the link (log, Drivers page).
#[derive(Debug, Default)]
pub struct ShareStats {
    /// `mqtt://host:port`, and this console's name among the site's.
    pub broker: String,
    pub console: String,
    pub connected: AtomicBool,
    /// This console's actions published.
    pub sent: AtomicU64,
    /// Other consoles' actions handed to the hub.
    pub applied: AtomicU64,
    /// Messages refused (unsigned, altered, malformed) or that the hub had no room for.
    pub refused: AtomicU64,
    /// The site's other consoles and whether each is online, as they (or the broker) last said.
    pub peers: Mutex<BTreeMap<String, bool>>,
    /// The trips and E-stops latched at each of the site's other consoles, as they last said: shown here,
    /// never acted on (their outputs are that console's).
    pub peer_trips: Mutex<BTreeMap<String, Vec<message::SharedLatch>>>,
    pub last_error: Mutex<Option<String>>,
}

impl ShareStats {
    fn set_error(&self, e: Option<String>) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = e;
    }
}

/// Hands another console's action to the hub without waiting; false when it could not.
pub type Deliver = Box<dyn Fn(RemoteAction) -> bool + Send>;

pub struct Sharer {
    stats: Arc<ShareStats>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl Sharer {
    /// Starts the link: `actions` are this console's people's actions, `deliver` takes the others'.
    pub fn start(
        cfg: ShareConfig,
        actions: tokio::sync::mpsc::Receiver<RemoteAction>,
        deliver: Deliver,
        trips: Option<crate::trip::TripViewCell>,
    ) -> Result<Self, ShareError> {
        let secret = cfg.secret().map_err(ShareError::Secret)?;
        let mut opts = MqttOptions::new(
            format!("wellconsole-share-{}-{}", cfg.console, std::process::id()),
            cfg.host.clone(),
            cfg.port,
        );
        opts.set_keep_alive(Duration::from_secs(5));
        opts.set_clean_session(true);
        opts.set_max_packet_size(64 * 1024, 64 * 1024);
        opts.set_last_will(LastWill::new(presence_topic(&cfg), "offline", QoS::AtLeastOnce, true));
        if let Some(c) = &cfg.credentials {
            opts.set_credentials(c.username.clone(), c.password.clone());
        }
        if let Some(tls) = &cfg.tls {
            let c = crate::driver::mqtt::tls_client_config(tls).map_err(ShareError::Tls)?;
            opts.set_transport(Transport::tls_with_config(c.into()));
        }
        let stats = Arc::new(ShareStats {
            broker: cfg.describe(),
            console: cfg.console.clone(),
            ..ShareStats::default()
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let st = stats.clone();
        let thread = std::thread::Builder::new()
            .name("share".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "the share link could not start its runtime");
                        return;
                    }
                };
                let link = Link {
                    cfg,
                    secret,
                    stats: st,
                    deliver,
                    mine: BTreeMap::new(),
                    trips,
                    latched: None,
                    undelivered: BTreeMap::new(),
                };
                rt.block_on(link.run(opts, actions, stop_rx));
            })
            .map_err(ShareError::Spawn)?;
        Ok(Self {
            stats,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn stats(&self) -> Arc<ShareStats> {
        self.stats.clone()
    }

    /// Says `offline`, closes the link and waits for the thread (a few seconds at most).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the share thread panicked");
        }
    }
}

impl Drop for Sharer {
    fn drop(&mut self) {
        self.halt();
    }
}

fn presence_topic(cfg: &ShareConfig) -> String {
    format!("{}/console/{}", cfg.prefix, cfg.console)
}

struct Link {
    cfg: ShareConfig,
    secret: Vec<u8>,
    stats: Arc<ShareStats>,
    deliver: Deliver,
    /// This console's last action per retained topic, published again at every connection.
    mine: BTreeMap<String, Vec<u8>>,
    /// This console's trips, looked at twice a second; what was last published of them.
    trips: Option<crate::trip::TripViewCell>,
    latched: Option<Vec<message::SharedLatch>>,
    /// Others' actions the hub had no room for, kept for the next try (newest per topic).
    undelivered: BTreeMap<String, RemoteAction>,
}

/// Undelivered actions from others kept for the next try, at most (newest per topic).
const MAX_UNDELIVERED: usize = 10_000;
/// The site's other consoles listed, at most.
const MAX_PEERS: usize = 64;
/// Latches published per console, at most (keeps the message far under the broker's packet limit).
const MAX_SHARED_LATCHES: usize = 200;

/// Polls the client's event loop in a task of its own, so a connection being made is never cancelled by
/// the link's other work (a cab's radio link can take seconds to connect), and hands the events over.
/// Waits 1 s to 30 s between failed attempts; says the first failure of a run of them.
async fn poll_events(
    mut events: rumqttc::EventLoop,
    tx: tokio::sync::mpsc::Sender<Event>,
    stats: Arc<ShareStats>,
    broker: String,
) {
    let mut wait = Duration::from_secs(1);
    let mut logged = false;
    loop {
        match events.poll().await {
            Ok(ev) => {
                if matches!(ev, Event::Incoming(Packet::ConnAck(_))) {
                    wait = Duration::from_secs(1);
                    logged = false;
                    stats.connected.store(true, Ordering::Relaxed);
                    stats.set_error(None);
                }
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                stats.connected.store(false, Ordering::Relaxed);
                stats.set_error(Some(e.to_string()));
                if !logged {
                    tracing::warn!(broker = %broker, error = %e, "share link down; alarm actions wait for it");
                    logged = true;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}

impl Link {
    async fn run(
        mut self,
        opts: MqttOptions,
        mut actions: tokio::sync::mpsc::Receiver<RemoteAction>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let (client, events) = AsyncClient::new(opts, 512);
        let (ev_tx, mut ev_rx) = tokio::sync::mpsc::channel(256);
        let poller = tokio::spawn(poll_events(events, ev_tx, self.stats.clone(), self.cfg.describe()));
        let mut look = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = look.tick() => {
                    self.publish_trips(&client);
                    self.retry_undelivered();
                }
                act = actions.recv() => match act {
                    Some(a) => self.publish(&client, &a),
                    None => break,
                },
                ev = ev_rx.recv() => match ev {
                    Some(Event::Incoming(Packet::ConnAck(_))) => self.connected(&client).await,
                    Some(Event::Incoming(Packet::Publish(p))) => self.received(&client, &p.topic, &p.payload),
                    Some(_) => {}
                    None => break,
                },
            }
        }
        // What people did in the last instant still goes; then say offline (the will is for a console that
        // vanishes) and let the event loop send it.
        while let Ok(a) = actions.try_recv() {
            self.publish(&client, &a);
        }
        if self.stats.connected.load(Ordering::Relaxed) {
            let _ = client.try_publish(presence_topic(&self.cfg), QoS::AtLeastOnce, true, "offline");
            let _ = client.try_disconnect();
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(ev) = ev_rx.recv().await {
                    if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                        break;
                    }
                }
            })
            .await;
        }
        poller.abort();
    }

    async fn connected(&mut self, client: &AsyncClient) {
        tracing::info!(broker = %self.cfg.describe(), console = %self.cfg.console, "share link up");
        let p = &self.cfg.prefix;
        for filter in [
            format!("{p}/alarm/#"),
            format!("{p}/silence/+"),
            format!("{p}/console/+"),
            format!("{p}/trips/+"),
        ] {
            if let Err(e) = client.try_subscribe(filter, QoS::AtLeastOnce) {
                tracing::warn!(error = %e, "share: could not subscribe");
            }
        }
        let _ = client.try_publish(presence_topic(&self.cfg), QoS::AtLeastOnce, true, "online");
        // This console's last actions again (the broker may have lost its retained messages), as the
        // event loop takes them: never all at once into a full queue.
        let again: Vec<(String, Vec<u8>)> = self.mine.iter().map(|(t, p)| (t.clone(), p.clone())).collect();
        let sent = tokio::time::timeout(Duration::from_secs(30), async {
            for (topic, payload) in again {
                if client.publish(topic, QoS::AtLeastOnce, true, payload).await.is_err() {
                    break;
                }
            }
        })
        .await;
        if sent.is_err() {
            tracing::warn!("share: not all of this console's last actions could be published again");
        }
    }

    fn publish(&mut self, client: &AsyncClient, act: &RemoteAction) {
        let payload = message::encode(act, &self.cfg.console, &self.secret);
        let (topic, retained) = message::topic(&self.cfg.prefix, &self.cfg.console, act);
        if retained {
            self.mine.insert(topic.clone(), payload.clone());
        }
        match client.try_publish(topic, QoS::AtLeastOnce, retained, payload) {
            Ok(()) => {
                self.stats.sent.fetch_add(1, Ordering::Relaxed);
            }
            // Retained ones go again at the next connection; a silence is for the moment it was pressed.
            Err(e) => tracing::warn!(error = %e, "share: an alarm action could not be queued for the broker"),
        }
    }

    /// Publishes this console's latched trips when they changed since last published (retained).
    fn publish_trips(&mut self, client: &AsyncClient) {
        let Some(cell) = &self.trips else { return };
        let mut now = message::latches_of(&cell.load());
        now.truncate(MAX_SHARED_LATCHES);
        if self.latched.as_ref() == Some(&now) {
            return;
        }
        let payload = message::encode_latches(&now, &self.cfg.console, &self.secret);
        let topic = message::trips_topic(&self.cfg.prefix, &self.cfg.console);
        self.mine.insert(topic.clone(), payload.clone());
        if client.try_publish(topic, QoS::AtLeastOnce, true, payload).is_ok() {
            self.latched = Some(now);
        }
    }

    /// Hands the kept actions to the hub again, oldest topic first, until one does not fit.
    fn retry_undelivered(&mut self) {
        while let Some((topic, act)) = self.undelivered.pop_first() {
            if !(self.deliver)(act.clone()) {
                self.undelivered.insert(topic, act);
                return;
            }
            self.stats.applied.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn received(&mut self, client: &AsyncClient, topic: &str, payload: &[u8]) {
        let p = &self.cfg.prefix;
        if topic.starts_with(&format!("{p}/trips/")) {
            match message::decode_latches(payload, &self.secret) {
                Ok((console, _)) if console == self.cfg.console => {}
                Ok((console, latches)) => {
                    let mut peers = self
                        .stats
                        .peer_trips
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if peers.len() < MAX_PEERS || peers.contains_key(&console) {
                        peers.insert(console, latches);
                    }
                }
                Err(e) if !payload.is_empty() => self.refuse(topic, &e.to_string()),
                Err(_) => {}
            }
            return;
        }
        if let Some(console) = topic.strip_prefix(&format!("{p}/console/")) {
            if console == self.cfg.console {
                // An old will said we were gone (a quick restart): say we are here.
                if payload == b"offline" {
                    let _ = client.try_publish(presence_topic(&self.cfg), QoS::AtLeastOnce, true, "online");
                }
            } else if payload.len() <= 16 {
                let online = payload == b"online";
                let mut peers = self
                    .stats
                    .peers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if peers.len() < MAX_PEERS || peers.contains_key(console) {
                    peers.insert(console.chars().take(63).collect(), online);
                }
            }
            return;
        }
        if payload.is_empty() {
            return; // a retained topic cleared
        }
        match message::decode(payload, &self.secret) {
            Ok(a) if a.console.as_ref() == self.cfg.console => {} // our own, back from the broker
            Ok(a) if message::topic(p, &a.console, &a).0 != topic => {
                self.refuse(topic, "its topic is not the one its content goes on");
            }
            Ok(a) => {
                if (self.deliver)(a.clone()) {
                    self.stats.applied.fetch_add(1, Ordering::Relaxed);
                } else if self.undelivered.len() < MAX_UNDELIVERED || self.undelivered.contains_key(topic) {
                    // The hub's queue is full (a catch-up after an hour away): kept, newest per topic.
                    self.undelivered.insert(topic.to_owned(), a);
                } else {
                    self.refuse(topic, "the hub's queue is full and so is the list kept for it");
                }
            }
            Err(e) => self.refuse(topic, &e.to_string()),
        }
    }

    fn refuse(&self, topic: &str, why: &str) {
        let n = self.stats.refused.fetch_add(1, Ordering::Relaxed) + 1;
        // Said for the first ten and then every hundredth: a flood must not fill the log.
        if n <= 10 || n.is_multiple_of(100) {
            tracing::warn!(topic = %topic.chars().take(200).collect::<String>(), refused = n, "share: message refused: {why}");
        }
    }
}
