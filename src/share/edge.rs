//! A console's tags republished as a Sparkplug B edge node (`[share] edge = { … }`), so another console
//! reads them through its own Sparkplug host driver as it reads any edge gateway: NBIRTH and a DBIRTH per
//! device (a tag `ct01/weight` is metric `weight` of device `ct01`), DDATA by exception with aliases at most
//! once per `interval`, NDEATH as the will (with the session's bdSeq), rebirth on the host's request. A
//! value that is not good here goes as a null metric, so the reader shows it bad, never as live.
//!
//! Owns its own MQTT connection (the share link's will is its presence, this one's is NDEATH) and reads
//! the hub's published picture only. It never takes commands: DCMD writes are not subscribed to.

use super::ShareError;
use crate::driver::mqtt::sparkplug::node::{self, ndeath};
use crate::driver::mqtt::sparkplug::proto::Payload;
use crate::driver::mqtt::sparkplug::proto::payload::Metric;
use crate::driver::mqtt::sparkplug::topic::{MessageType, message_topic};
use crate::driver::mqtt::sparkplug::value::{self, datatype};
use crate::hub::SnapshotCell;
use crate::project::site::{EdgeConfig, ShareConfig};
use crate::tag::{Quality, TagId, Value, ValueKind};
use prost::Message;
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, Transport};
use std::collections::BTreeMap;
use std::thread::JoinHandle;
use std::time::Duration;

/// One republished tag: its device, metric name, alias and kind.
struct Published {
    id: TagId,
    metric: String,
    alias: u64,
    kind: ValueKind,
}

/// What was last sent of a tag (the value when it was good or uncertain, and the quality): DDATA carries
/// only what changed.
type Sent = (Option<Value>, Quality);

pub struct EdgePublisher {
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl EdgePublisher {
    /// Starts publishing the tags `edge` selects from `snapshot` on `share`'s broker.
    pub fn start(share: &ShareConfig, edge: EdgeConfig, snapshot: SnapshotCell) -> Result<Self, ShareError> {
        let mut devices: BTreeMap<String, Vec<Published>> = BTreeMap::new();
        let dir = snapshot.load().directory.clone();
        let mut alias = 0;
        for def in dir
            .iter()
            .filter(|d| edge.tags.iter().any(|p| d.name.starts_with(p.as_str())))
        {
            let Some((device, metric)) = def.name.split_once('/') else {
                tracing::warn!(tag = %def.name, "not republished: a tag goes out as device/metric, and this one has no '/'");
                continue;
            };
            alias += 1;
            devices.entry(device.to_owned()).or_default().push(Published {
                id: def.id,
                metric: metric.to_owned(),
                alias,
                kind: def.kind,
            });
        }
        if devices.is_empty() {
            return Err(ShareError::Edge(format!(
                "no tag's name starts with {:?}: nothing to republish",
                edge.tags
            )));
        }
        let mut opts = MqttOptions::new(
            // One client id per node (not per process): a console started again replaces its old session
            // at once, so the old session's will is published before the new birth, never after it.
            format!("wellconsole-edge-{}-{}", edge.group, edge.node),
            share.host.clone(),
            share.port,
        );
        opts.set_keep_alive(Duration::from_secs(10));
        opts.set_max_packet_size(4 << 20, 4 << 20);
        if let Some(c) = &share.credentials {
            opts.set_credentials(c.username.clone(), c.password.clone());
        }
        if let Some(tls) = &share.tls {
            let c = crate::driver::mqtt::tls_client_config(tls).map_err(ShareError::Tls)?;
            opts.set_transport(Transport::tls_with_config(c.into()));
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("edge".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "the edge node could not start its runtime");
                        return;
                    }
                };
                let node = Node {
                    cfg: edge,
                    devices,
                    snapshot,
                    seq: 0,
                    sent: BTreeMap::new(),
                    seen: None,
                };
                rt.block_on(node.run(opts, stop_rx));
            })
            .map_err(ShareError::Spawn)?;
        Ok(Self {
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

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
            tracing::error!("the edge node's thread panicked");
        }
    }
}

impl Drop for EdgePublisher {
    fn drop(&mut self) {
        self.halt();
    }
}

fn datatype_of(kind: ValueKind) -> u32 {
    value::datatype_for(&match kind {
        ValueKind::F64 => Value::F64(0.0),
        ValueKind::I64 => Value::I64(0),
        ValueKind::Bool => Value::Bool(false),
        ValueKind::String => Value::str(""),
    })
}

fn now_ms() -> u64 {
    u64::try_from(crate::tag::Timestamp::now().0 / 1_000).unwrap_or(0)
}

struct Node {
    cfg: EdgeConfig,
    devices: BTreeMap<String, Vec<Published>>,
    snapshot: SnapshotCell,
    seq: u8,
    sent: BTreeMap<u64, Sent>,
    /// The hub picture last looked at: nothing to do while it has not changed.
    seen: Option<u64>,
}

enum Incoming {
    Connected,
    Disconnected,
    Rebirth,
}

/// The `Quality` property (OPC DA codes, as the host driver reads them): 192 good, 64 uncertain.
fn quality_property(q: Quality) -> crate::driver::mqtt::sparkplug::proto::payload::PropertySet {
    use crate::driver::mqtt::sparkplug::proto::payload::{PropertySet, PropertyValue, property_value};
    let code = if q == Quality::Uncertain { 64 } else { 192 };
    PropertySet {
        keys: vec!["Quality".into()],
        values: vec![PropertyValue {
            r#type: Some(datatype::INT32),
            value: Some(property_value::Value::IntValue(code)),
            ..Default::default()
        }],
    }
}

impl Node {
    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(1);
        u64::from(s)
    }

    /// What `p` is in `snap`: its value when good or uncertain, and its quality.
    fn state(snap: &crate::hub::Snapshot, p: &Published) -> Sent {
        let quality = snap
            .get(p.id)
            .map_or(Quality::Bad(crate::tag::BadReason::WaitingForData), |s| s.quality);
        let usable = matches!(quality, Quality::Good | Quality::Uncertain);
        (snap.get(p.id).and_then(|s| s.value.clone()).filter(|_| usable), quality)
    }

    /// The metric for `p` in `snap` (`now` its state there).
    fn metric(snap: &crate::hub::Snapshot, p: &Published, now: &Sent, birth: bool) -> Metric {
        let ts = snap
            .get(p.id)
            .map_or(0, |s| u64::try_from(s.source_ts.0 / 1_000).unwrap_or(0));
        let dt = datatype_of(p.kind);
        let mut m = Metric {
            name: birth.then(|| p.metric.clone()),
            alias: Some(p.alias),
            timestamp: Some(ts),
            datatype: birth.then_some(dt),
            ..Metric::default()
        };
        match now
            .0
            .as_ref()
            .and_then(|v| value::encode(v, dt, Default::default()).ok())
        {
            Some(v) => {
                m.value = Some(v);
                m.properties = Some(quality_property(now.1));
            }
            // Bad here, or a value the metric cannot carry: never sent as live.
            None => m.is_null = Some(true),
        }
        m
    }

    fn births(&mut self, bd_seq: u64) -> Vec<(String, Vec<u8>)> {
        self.seq = 0;
        let ts = now_ms();
        let nbirth = node::nbirth(bd_seq, ts, self.next_seq());
        let mut out = vec![(
            message_topic(&self.cfg.group, MessageType::NBirth, &self.cfg.node, None),
            nbirth,
        )];
        let snap = self.snapshot.load_full();
        self.seen = Some(snap.seq);
        out.extend(self.device_messages(&snap, MessageType::DBirth, ts));
        out
    }

    /// DDATA per device for what changed since last sent.
    fn changes(&mut self) -> Vec<(String, Vec<u8>)> {
        let snap = self.snapshot.load_full();
        if self.seen == Some(snap.seq) {
            return Vec::new();
        }
        self.seen = Some(snap.seq);
        self.device_messages(&snap, MessageType::DData, now_ms())
    }

    /// One message of `kind` per device: a DBIRTH names every metric; a DDATA carries what changed since
    /// last sent (a device with nothing changed sends none).
    fn device_messages(&mut self, snap: &crate::hub::Snapshot, kind: MessageType, ts: u64) -> Vec<(String, Vec<u8>)> {
        let birth = kind == MessageType::DBirth;
        let devices = std::mem::take(&mut self.devices);
        let mut out = Vec::new();
        for (d, tags) in &devices {
            let mut metrics = Vec::new();
            for p in tags {
                let now = Self::state(snap, p);
                if birth || self.sent.get(&p.alias) != Some(&now) {
                    metrics.push(Self::metric(snap, p, &now, birth));
                    self.sent.insert(p.alias, now);
                }
            }
            if metrics.is_empty() {
                continue;
            }
            let body = Payload {
                timestamp: Some(ts),
                seq: Some(self.next_seq()),
                metrics,
                ..Payload::default()
            };
            out.push((
                message_topic(&self.cfg.group, kind, &self.cfg.node, Some(d)),
                body.encode_to_vec(),
            ));
        }
        self.devices = devices;
        out
    }

    async fn run(mut self, mut opts: MqttOptions, mut stop: tokio::sync::watch::Receiver<bool>) {
        let death = message_topic(&self.cfg.group, MessageType::NDeath, &self.cfg.node, None);
        opts.set_last_will(LastWill::new(&death, ndeath(0), QoS::AtLeastOnce, false));
        let (client, mut events) = AsyncClient::new(opts, 1_024);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Incoming>(16);
        let ncmd = message_topic(&self.cfg.group, MessageType::NCmd, &self.cfg.node, None);
        let bd_seq = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let bd = bd_seq.clone();
        let topic = ncmd.clone();
        // The event loop in a task of its own: a connection being made is never cancelled.
        let poller = tokio::spawn(async move {
            let mut logged = false;
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        logged = false;
                        if tx.send(Incoming::Connected).await.is_err() {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) if p.topic == topic => {
                        let rebirth = node::asks_rebirth(p.payload.as_ref());
                        if rebirth && tx.send(Incoming::Rebirth).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if !logged {
                            tracing::warn!(error = %e, "edge node: broker connection failed; retrying");
                            logged = true;
                        }
                        // Nothing is published until the next connection's births.
                        if tx.send(Incoming::Disconnected).await.is_err() {
                            return;
                        }
                        // The next session's will carries the next bdSeq (Sparkplug 3.0 §7.2).
                        let next = bd.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        events.mqtt_options.set_last_will(LastWill::new(
                            &death,
                            ndeath(next % 256),
                            QoS::AtLeastOnce,
                            false,
                        ));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let publish = |msgs: Vec<(String, Vec<u8>)>| {
            for (t, body) in msgs {
                if client.try_publish(t, QoS::AtLeastOnce, false, body).is_err() {
                    tracing::warn!("edge node: the broker queue is full; a message was dropped");
                }
            }
        };
        let mut connected = false;
        let mut tick = tokio::time::interval(self.cfg.interval);
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                m = rx.recv() => match m {
                    None => break,
                    Some(Incoming::Disconnected) => connected = false,
                    Some(Incoming::Connected) => {
                        connected = true;
                        if let Err(e) = client.try_subscribe(ncmd.clone(), QoS::AtLeastOnce) {
                            tracing::warn!(error = %e, "edge node: could not subscribe to its rebirth requests");
                        }
                        let bd = bd_seq.load(std::sync::atomic::Ordering::Relaxed) % 256;
                        publish(self.births(bd));
                    }
                    Some(Incoming::Rebirth) => {
                        let bd = bd_seq.load(std::sync::atomic::Ordering::Relaxed) % 256;
                        publish(self.births(bd));
                    }
                },
                _ = tick.tick(), if connected => publish(self.changes()),
            }
        }
        // Gone on purpose: the death certificate, as the will would have said it.
        let bd = bd_seq.load(std::sync::atomic::Ordering::Relaxed) % 256;
        let death = message_topic(&self.cfg.group, MessageType::NDeath, &self.cfg.node, None);
        let _ = client.try_publish(death, QoS::AtLeastOnce, false, ndeath(bd));
        let _ = client.try_disconnect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        poller.abort();
    }
}
