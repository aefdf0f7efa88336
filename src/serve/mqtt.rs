//! The demo plant as an MQTT edge node: a Sparkplug B edge node (NBIRTH/DBIRTH per device, DDATA by
//! exception with aliases, DDEATH on a simulated comm loss, NDEATH as the will, rebirth on request,
//! DCMD writes of the ESP frequency setpoints) and, beside it, plain JSON telemetry per device.
//!
//! Topics: `spBv1.0/{group}/…/{node}/{device}` with metrics named after the signal (`weight`,
//! `motor_temp`, and `frequency_setpoint` on ESPs); JSON on `{json_prefix}/{device}` as
//! `{"ts": ms, "weight": 1234.5, …}`. `wellconsole sim --mqtt-site-for HOST:PORT` prints a project
//! that reads both; `examples/mqtt-site/` is that project.

use super::PlantWrite;
use crate::driver::modbus::codec::Scaling;
use crate::driver::mqtt::sparkplug::node::{self, ndeath};
use crate::driver::mqtt::sparkplug::proto::Payload;
use crate::driver::mqtt::sparkplug::proto::payload::{Metric, metric};
use crate::driver::mqtt::sparkplug::topic::{MessageType, SpbTopic, message_topic};
use crate::driver::mqtt::sparkplug::value::{self, datatype};
use crate::sim::SignalSpec;
use crate::tag::{BadReason, Quality, Value, ValueKind};
use crossbeam_channel::{Receiver, Sender};
use prost::Message;
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const DEFAULT_GROUP: &str = "campo-escuela";
pub const DEFAULT_NODE: &str = "demo-edge";
pub const DEFAULT_JSON_PREFIX: &str = "wellconsole/demo";
const SETPOINT: &str = "frequency_setpoint";

#[derive(Debug, Clone)]
pub struct EdgeConfig {
    pub host: String,
    pub port: u16,
    pub group: String,
    pub node: String,
    pub json_prefix: String,
}

/// One simulator step's readings, handed to the publisher.
#[derive(Debug, Clone)]
pub struct Frame {
    pub time_ms: u64,
    pub values: Vec<Value>,
    pub qualities: Vec<Quality>,
    pub setpoints_hz: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("could not start the MQTT publisher: {0}")]
    Runtime(#[from] std::io::Error),
}

struct DeviceMap {
    name: String,
    /// Catalogue indices of this device's signals.
    signals: Vec<usize>,
    /// ESP index, for devices with a writable frequency setpoint.
    esp: Option<usize>,
}

/// Metric alias of catalogue signal `i` (aliases are unique per node; 0 is bdSeq's).
fn alias_of(i: usize) -> u64 {
    i as u64 + 1
}

fn setpoint_alias(esp: usize) -> u64 {
    10_000 + esp as u64
}

fn metric_name(spec: &SignalSpec) -> &str {
    spec.address.split_once('/').map_or(spec.address.as_str(), |(_, n)| n)
}

struct Edge {
    cfg: EdgeConfig,
    specs: Vec<SignalSpec>,
    devices: Vec<DeviceMap>,
    seq: u8,
    /// Last published value and quality per signal: DDATA carries only what changed.
    last: Vec<Option<(Value, Quality)>>,
    last_setpoints: Vec<f64>,
    /// Devices currently dead (simulated comm loss).
    dead: Vec<bool>,
}

impl Edge {
    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(1);
        u64::from(s)
    }

    fn metric_for(&self, i: usize, v: &Value, q: Quality, ts: u64, birth: bool) -> Metric {
        let spec = &self.specs[i];
        let dt = value::datatype_for(&match spec.kind {
            ValueKind::F64 => Value::F64(0.0),
            ValueKind::I64 => Value::I64(0),
            ValueKind::Bool => Value::Bool(false),
            ValueKind::String => Value::str(""),
        });
        let mut m = Metric {
            name: birth.then(|| metric_name(spec).to_owned()),
            alias: Some(alias_of(i)),
            timestamp: Some(ts),
            datatype: birth.then_some(dt),
            ..Metric::default()
        };
        if matches!(q, Quality::Bad(BadReason::SensorFail)) {
            m.is_null = Some(true);
        } else {
            m.value = value::encode(v, dt, Scaling::default()).ok();
        }
        m
    }

    fn setpoint_metric(&self, esp: usize, hz: f64, ts: u64, birth: bool) -> Metric {
        Metric {
            name: birth.then(|| SETPOINT.to_owned()),
            alias: Some(setpoint_alias(esp)),
            timestamp: Some(ts),
            datatype: birth.then_some(datatype::FLOAT),
            value: Some(metric::Value::FloatValue(hz as f32)),
            ..Metric::default()
        }
    }

    /// NBIRTH then one DBIRTH per live device, sequence restarting at 0.
    fn births(&mut self, bd_seq: u64, frame: Option<&Frame>) -> Vec<(String, Vec<u8>)> {
        self.seq = 0;
        let ts = frame.map_or(0, |f| f.time_ms);
        let mut out = Vec::new();
        let nbirth = node::nbirth(bd_seq, ts, self.next_seq());
        out.push((
            message_topic(&self.cfg.group, MessageType::NBirth, &self.cfg.node, None),
            nbirth,
        ));
        self.last.iter_mut().for_each(|l| *l = None);
        self.last_setpoints.iter_mut().for_each(|s| *s = f64::NAN);
        let Some(f) = frame else { return out };
        for d in 0..self.devices.len() {
            self.dead[d] = self.devices[d]
                .signals
                .iter()
                .any(|&i| f.qualities.get(i) == Some(&Quality::Bad(BadReason::CommFail)));
            if !self.dead[d] {
                out.push(self.dbirth(d, f));
            }
        }
        out
    }

    fn dbirth(&mut self, d: usize, f: &Frame) -> (String, Vec<u8>) {
        let mut metrics = Vec::new();
        for &i in &self.devices[d].signals {
            let (v, q) = (f.values[i].clone(), f.qualities[i]);
            metrics.push(self.metric_for(i, &v, q, f.time_ms, true));
            self.last[i] = Some((v, q));
        }
        if let Some(k) = self.devices[d].esp {
            let hz = f.setpoints_hz.get(k).copied().unwrap_or(f64::NAN);
            metrics.push(self.setpoint_metric(k, hz, f.time_ms, true));
            self.last_setpoints[k] = hz;
        }
        let p = Payload {
            timestamp: Some(f.time_ms),
            seq: Some(self.next_seq()),
            metrics,
            ..Payload::default()
        };
        (
            message_topic(
                &self.cfg.group,
                MessageType::DBirth,
                &self.cfg.node,
                Some(&self.devices[d].name),
            ),
            p.encode_to_vec(),
        )
    }

    /// DDATA (changes only) for live devices, DDEATH/DBIRTH on comm-loss transitions, and JSON.
    fn frame(&mut self, f: &Frame) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for d in 0..self.devices.len() {
            let dead = self.devices[d]
                .signals
                .iter()
                .any(|&i| f.qualities.get(i) == Some(&Quality::Bad(BadReason::CommFail)));
            let name = self.devices[d].name.clone();
            if dead != self.dead[d] {
                self.dead[d] = dead;
                if dead {
                    let p = Payload {
                        timestamp: Some(f.time_ms),
                        seq: Some(self.next_seq()),
                        ..Payload::default()
                    };
                    out.push((
                        message_topic(&self.cfg.group, MessageType::DDeath, &self.cfg.node, Some(&name)),
                        p.encode_to_vec(),
                    ));
                } else {
                    out.push(self.dbirth(d, f));
                }
                continue;
            }
            if dead {
                // A device that cannot be reached publishes nothing, on either protocol.
                continue;
            }
            let mut metrics = Vec::new();
            let mut json = serde_json::Map::new();
            json.insert("ts".into(), f.time_ms.into());
            for &i in &self.devices[d].signals {
                let (v, q) = (&f.values[i], f.qualities[i]);
                json.insert(
                    metric_name(&self.specs[i]).to_owned(),
                    if q.is_bad() {
                        serde_json::Value::Null
                    } else {
                        json_value(v)
                    },
                );
                if self.last[i].as_ref() != Some(&(v.clone(), q)) {
                    metrics.push(self.metric_for(i, v, q, f.time_ms, false));
                    self.last[i] = Some((v.clone(), q));
                }
            }
            if let Some(k) = self.devices[d].esp {
                let hz = f.setpoints_hz.get(k).copied().unwrap_or(f64::NAN);
                json.insert(SETPOINT.into(), serde_json::json!(hz));
                if self.last_setpoints[k].to_bits() != hz.to_bits() {
                    metrics.push(self.setpoint_metric(k, hz, f.time_ms, false));
                    self.last_setpoints[k] = hz;
                }
            }
            if !metrics.is_empty() {
                let p = Payload {
                    timestamp: Some(f.time_ms),
                    seq: Some(self.next_seq()),
                    metrics,
                    ..Payload::default()
                };
                out.push((
                    message_topic(&self.cfg.group, MessageType::DData, &self.cfg.node, Some(&name)),
                    p.encode_to_vec(),
                ));
            }
            out.push((
                format!("{}/{name}", self.cfg.json_prefix),
                serde_json::Value::Object(json).to_string().into_bytes(),
            ));
        }
        out
    }

    /// A DCMD from a host: the ESP setpoint it names, if valid.
    fn command(&self, device: &str, body: &[u8]) -> Vec<PlantWrite> {
        let Ok(p) = Payload::decode(body) else {
            return Vec::new();
        };
        let Some(esp) = self.devices.iter().find(|d| d.name == device).and_then(|d| d.esp) else {
            return Vec::new();
        };
        p.metrics
            .iter()
            .filter(|m| m.name.as_deref() == Some(SETPOINT) || m.alias == Some(setpoint_alias(esp)))
            .filter_map(|m| {
                value::decode(
                    m,
                    m.datatype.unwrap_or(datatype::FLOAT),
                    ValueKind::F64,
                    Scaling::default(),
                )
                .ok()
            })
            .filter_map(|v| v.as_f64())
            .map(|hz| PlantWrite::EspFrequency { index: esp, hz })
            .collect()
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::F64(f) => serde_json::json!(f),
        Value::I64(i) => serde_json::json!(i),
        Value::Bool(b) => serde_json::json!(b),
        Value::Str(s) => serde_json::json!(s.as_ref()),
    }
}

enum Incoming {
    Connected,
    Rebirth,
    DeviceCommand { device: String, body: Vec<u8> },
}

/// Publishes `frames` until the frame channel closes. Call on a thread of its own; reconnects forever.
pub fn publish_blocking(
    cfg: EdgeConfig,
    specs: Vec<SignalSpec>,
    esp_wells: usize,
    frames: Receiver<Frame>,
    writes: Sender<PlantWrite>,
) -> Result<(), EdgeError> {
    let mut by_device: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in specs.iter().enumerate() {
        by_device.entry(s.device().to_owned()).or_default().push(i);
    }
    let devices = by_device
        .into_iter()
        .map(|(name, signals)| DeviceMap {
            esp: (0..esp_wells).find(|&k| crate::sim::esp_device(k) == name),
            name,
            signals,
        })
        .collect();
    let n = specs.len();
    let mut edge = Edge {
        cfg,
        specs,
        devices,
        seq: 0,
        last: vec![None; n],
        last_setpoints: vec![f64::NAN; esp_wells],
        dead: Vec::new(),
    };
    edge.dead = vec![false; edge.devices.len()];
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let bd_seq = Arc::new(AtomicU64::new(0));
        let death_topic = message_topic(&edge.cfg.group, MessageType::NDeath, &edge.cfg.node, None);
        let mut o = MqttOptions::new(
            format!("wellconsole-sim-{}", std::process::id()),
            edge.cfg.host.clone(),
            edge.cfg.port,
        );
        o.set_keep_alive(Duration::from_secs(10));
        o.set_max_packet_size(4 << 20, 4 << 20);
        o.set_last_will(LastWill::new(&death_topic, ndeath(0), QoS::AtLeastOnce, false));
        let (client, mut ev) = AsyncClient::new(o, 4_096);
        let (in_tx, mut in_rx) = tokio::sync::mpsc::channel::<Incoming>(256);
        let cmd_filter = format!("spBv1.0/{}/+/{}/#", edge.cfg.group, edge.cfg.node);
        let ncmd = message_topic(&edge.cfg.group, MessageType::NCmd, &edge.cfg.node, None);
        let bd = bd_seq.clone();
        let poller = tokio::spawn(async move {
            loop {
                match ev.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if in_tx.send(Incoming::Connected).await.is_err() {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let msg = match SpbTopic::parse(&p.topic) {
                            Some(SpbTopic::Message {
                                kind: MessageType::NCmd,
                                ..
                            }) if p.topic == ncmd => {
                                let rebirth = node::asks_rebirth(p.payload.as_ref());
                                rebirth.then_some(Incoming::Rebirth)
                            }
                            Some(SpbTopic::Message {
                                kind: MessageType::DCmd,
                                device: Some(d),
                                ..
                            }) => Some(Incoming::DeviceCommand {
                                device: d.to_owned(),
                                body: p.payload.to_vec(),
                            }),
                            _ => None,
                        };
                        if let Some(m) = msg
                            && in_tx.send(m).await.is_err()
                        {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "simulator MQTT connection failed; retrying");
                        // The next session's will carries the next bdSeq (Sparkplug 3.0 §7.2).
                        let next = bd.fetch_add(1, Ordering::Relaxed) + 1;
                        ev.mqtt_options.set_last_will(LastWill::new(
                            &death_topic,
                            ndeath(next % 256),
                            QoS::AtLeastOnce,
                            false,
                        ));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let mut connected = false;
        let mut latest: Option<Frame> = None;
        let publish = |msgs: Vec<(String, Vec<u8>)>| {
            for (t, body) in msgs {
                // JSON telemetry and DDATA at QoS 0 would be lossy under load; births/deaths must arrive.
                if client.try_publish(t, QoS::AtLeastOnce, false, body).is_err() {
                    tracing::warn!("simulator MQTT queue full; a message was dropped");
                }
            }
        };
        loop {
            tokio::select! {
                m = in_rx.recv() => match m {
                    None => break,
                    Some(Incoming::Connected) => {
                        connected = true;
                        let _ = client.try_subscribe(cmd_filter.clone(), QoS::AtLeastOnce);
                        publish(edge.births(bd_seq.load(Ordering::Relaxed) % 256, latest.as_ref()));
                    }
                    Some(Incoming::Rebirth) => {
                        publish(edge.births(bd_seq.load(Ordering::Relaxed) % 256, latest.as_ref()));
                    }
                    Some(Incoming::DeviceCommand { device, body }) => {
                        for w in edge.command(&device, &body) {
                            let _ = writes.try_send(w);
                        }
                    }
                },
                () = tokio::time::sleep(Duration::from_millis(10)) => {
                    let mut got = None;
                    loop {
                        match frames.try_recv() {
                            Ok(f) => got = Some(f),
                            Err(crossbeam_channel::TryRecvError::Empty) => break,
                            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                                poller.abort();
                                return;
                            }
                        }
                    }
                    if let Some(f) = got {
                        if connected {
                            if latest.is_none() {
                                // Connected before the first frame: the births had no devices yet.
                                publish(edge.births(bd_seq.load(Ordering::Relaxed) % 256, Some(&f)));
                            } else {
                                publish(edge.frame(&f));
                            }
                        }
                        latest = Some(f);
                    }
                }
            }
        }
        poller.abort();
    });
    Ok(())
}

/// A project (`site.toml`) that reads the simulator's MQTT publications through the broker at
/// `broker`: the CT unit and the ESP wells over Sparkplug B (ESP setpoints writable through DCMD),
/// the test separator over JSON.
pub fn example_site_toml(specs: &[SignalSpec], esp_wells: usize, broker: &str) -> String {
    let mut s = format!(
        r#"# A console that reads the demo plant through an MQTT broker, as it would read a site's edge gateways.
# Start a broker (e.g. mosquitto -p 1883), then the plant:   wellconsole sim --mqtt {broker}
# Then the console:  wellconsole --project examples/mqtt-site
# The CT unit and ESP wells arrive over Sparkplug B (this console is host 'wellconsole'), the test separator
# as JSON. Generated by `wellconsole sim --mqtt-site-for {broker}`; tests keep it in step with the simulator.

[site]
name = "Campo Escuela over MQTT"
description = "The demo plant read through an MQTT broker: Sparkplug B and JSON"

[[driver]]
name = "broker"
kind = "mqtt"

[driver.mqtt]
broker = "{broker}"
sparkplug_host_id = "wellconsole"
qos = 1
timeout_ms = 3000

[[driver.mqtt.json]]
filter = "{DEFAULT_JSON_PREFIX}/sep01"
timestamp = "/ts"
timestamp_unit = "ms"
"#
    );
    for spec in specs {
        let device = spec.device();
        let json = device.starts_with("sep");
        let address = if json {
            format!("{DEFAULT_JSON_PREFIX}/{device}#/{}", metric_name(spec))
        } else {
            format!("spBv1.0/{DEFAULT_GROUP}/{DEFAULT_NODE}/{device}#{}", metric_name(spec))
        };
        let kind = match spec.kind {
            ValueKind::F64 => "f64",
            ValueKind::I64 => "i64",
            ValueKind::Bool => "bool",
            ValueKind::String => "string",
        };
        s.push_str(&format!(
            "\n[[tag]]\nname = \"{}\"\ndriver = \"broker\"\naddress = \"{address}\"\ntype = \"{kind}\"\n",
            spec.address
        ));
        if !spec.unit.is_empty() {
            s.push_str(&format!("unit = \"{}\"\n", spec.unit));
        }
        if let Some((lo, hi)) = spec.range {
            s.push_str(&format!("range = [{lo:?}, {hi:?}]\ndecimals = {}\n", spec.decimals));
        }
        s.push_str(&format!("description = \"{}\"\n", spec.description));
        if json {
            s.push_str("stale_after_ms = 2000\n");
        }
    }
    for k in 0..esp_wells {
        let device = crate::sim::esp_device(k);
        s.push_str(&format!(
            "\n[[tag]]\nname = \"{device}/frequency_setpoint\"\ndriver = \"broker\"\naddress = \"spBv1.0/{DEFAULT_GROUP}/{DEFAULT_NODE}/{device}#{SETPOINT}\"\ntype = \"f64\"\nunit = \"Hz\"\nrange = [35.0, 70.0]\ndecimals = 1\ndescription = \"VSD frequency setpoint\"\nwritable = true\n"
        ));
    }
    s
}
