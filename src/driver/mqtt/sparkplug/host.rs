//! The Sparkplug B host application's view of its edge nodes: who is online, which alias means which
//! metric, whether a node's sequence numbers are intact. Pure: messages in, samples and actions out,
//! the caller passes the clock. Owns no connection and publishes nothing itself.
//!
//! Rules (Sparkplug 3.0 §7–8): a node's NBIRTH resets its aliases and sequence; every later message from
//! the node (NDATA, DBIRTH, DDATA, DDEATH) carries seq + 1 mod 256; a gap, data before a birth or an
//! unknown alias means this host's picture may be wrong, so it asks the node to rebirth. NDEATH (the
//! broker's last will, matched to its NBIRTH by bdSeq) and DDEATH turn that node's or device's tags
//! Bad(CommFail) at once: Sparkplug reports by exception, so a quiet metric is not a stale one.
//!
//! Writes (NCMD/DCMD): Sparkplug B has no command acknowledgement. A write is confirmed only by the node
//! reporting that metric, after the command, with exactly the value the command carried and a timestamp no
//! earlier than the command's; otherwise it fails `timeout` after it was first sent, and sending the same
//! value again never moves that deadline. Nodes and devices the tags name that have not been seen to birth
//! are listed, with the rebirths asked of them, so an operator can tell "no data" from "not announced yet".

use super::proto::Payload;
use super::proto::payload::{Metric, metric};
use super::topic::{MessageType, SpbTopic, message_topic};
use super::value::{self, EncodeError, datatype};
use super::{BD_SEQ, REBIRTH};
use crate::driver::modbus::codec::Scaling;
use crate::driver::mqtt::address::{MetricPath, SPARKPLUG_NAMESPACE};
use crate::driver::mqtt::config::SparkplugTag;
use crate::driver::{DriverEvent, WaitingForBirth};
use crate::tag::{BadReason, Quality, Sample, TagId, Timestamp, Value, ValueKind};
use prost::Message;
use std::collections::HashMap;
use std::time::Duration;

/// A node asked for a rebirth is not asked again sooner than this (its NBIRTH may be on the way).
pub const REBIRTH_HOLDOFF: Duration = Duration::from_secs(5);

/// Something the driver must publish on the host's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAction {
    Rebirth { group: String, node: String },
}

impl HostAction {
    /// Topic and protobuf payload of the NCMD that carries this action.
    pub fn encode(&self, now: Timestamp) -> (String, Vec<u8>) {
        match self {
            HostAction::Rebirth { group, node } => {
                let ms = now_ms(now);
                let payload = Payload {
                    timestamp: Some(ms),
                    metrics: vec![Metric {
                        name: Some(REBIRTH.into()),
                        timestamp: Some(ms),
                        datatype: Some(datatype::BOOLEAN),
                        value: Some(metric::Value::BooleanValue(true)),
                        ..Metric::default()
                    }],
                    ..Payload::default()
                };
                (
                    message_topic(group, MessageType::NCmd, node, None),
                    payload.encode_to_vec(),
                )
            }
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HostCounters {
    pub births: u64,
    pub deaths: u64,
    pub seq_gaps: u64,
    pub rebirths_requested: u64,
    /// Payloads that were not Sparkplug B protobuf, or topics that were not Sparkplug.
    pub malformed: u64,
    /// Data from a node or device whose birth this host has not seen.
    pub before_birth: u64,
    pub unknown_alias: u64,
    pub historical_skipped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("'{0}' is not a Sparkplug B topic")]
    Topic(String),
    #[error("{topic}: payload is not a Sparkplug B protobuf: {reason}")]
    Payload { topic: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("tag is not bound to a Sparkplug metric")]
    NotBound,
    #[error("tag is not writable")]
    NotWritable,
    #[error("edge node {0} is offline")]
    Offline(String),
    #[error("{0} has not announced metric '{1}' in its birth certificate")]
    NotBorn(String, String),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// An NCMD/DCMD ready to publish, and the write it waits for once it is published
/// (`Host::await_confirmation`).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteCommand {
    pub topic: String,
    pub payload: Vec<u8>,
    pub pending: PendingWrite,
}

/// A write sent and not yet seen to come back. All a host can see of a Sparkplug command is the node
/// reporting the metric with the written value afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingWrite {
    tag: TagId,
    /// Index into `Host::bound`.
    bound: usize,
    /// As asked, in engineering units: what the outcome names.
    value: Value,
    /// As the command carried it, typed by the birth certificate: what must come back.
    sent: metric::Value,
    /// The first send: the deadline runs from here.
    sent_at: Timestamp,
    /// The same moment on the node's clock, as far as its reports tell (no node's clock is trusted to agree
    /// with this console's; its lag is measured on its latest report before the command).
    sent_at_node: Timestamp,
    /// Writes of the same value waiting on this one: each gets the outcome.
    waiters: usize,
    timeout: Duration,
    /// The metric's latest report since the command, as text for the failure reason.
    last_reported: Option<String>,
    /// The written value came back, but stamped before the command was sent.
    stamped_before_send: bool,
}

impl PendingWrite {
    fn deadline(&self) -> Timestamp {
        self.sent_at.plus(self.timeout)
    }

    /// Why the write failed at its deadline, in terms of what the host saw.
    fn failure_reason(&self) -> String {
        let ms = self.timeout.as_millis();
        let mut why = match &self.last_reported {
            None => format!(
                "not reported back within {ms} ms (Sparkplug has no acknowledgement: only the edge node \
                 reporting the written value confirms a write)"
            ),
            Some(last) => format!("not reported back as written within {ms} ms; the edge node last reported {last}"),
        };
        if self.stamped_before_send {
            why.push_str(
                "; the written value came back stamped before the command was sent (is the edge node's clock \
                 behind this console's?)",
            );
        }
        why
    }
}

struct Bound {
    tag: TagId,
    path: MetricPath,
    kind: ValueKind,
    scaling: Scaling,
    writable: bool,
    /// From the latest birth certificate.
    datatype: Option<u32>,
    /// How far the node's clock stamps lag this console's receipt of its latest report of the metric (µs):
    /// its clock's offset plus the way here. A command's time is put on the node's clock with it.
    lag_us: Option<i64>,
}

#[derive(Default)]
struct Device {
    online: bool,
    /// alias → bound tag (None: a metric this console does not bind).
    aliases: HashMap<u64, Option<usize>>,
    datatypes_by_alias: HashMap<u64, u32>,
}

#[derive(Default)]
struct Node {
    online: bool,
    bd_seq: Option<u64>,
    seq: u8,
    aliases: HashMap<u64, Option<usize>>,
    datatypes_by_alias: HashMap<u64, u32>,
    devices: HashMap<String, Device>,
    last_rebirth_request: Option<Timestamp>,
    /// Rebirth requests since the node's last birth or death.
    rebirths_asked: u64,
}

type NodeKey = (String, String);

pub struct Host {
    bound: Vec<Bound>,
    /// (group, node, device, metric name) → index into `bound`.
    by_path: HashMap<MetricPath, usize>,
    /// Every bound tag of a node, devices included; and of each device.
    node_tags: HashMap<NodeKey, Vec<usize>>,
    device_tags: HashMap<(String, String, String), Vec<usize>>,
    by_tag: HashMap<TagId, usize>,
    nodes: HashMap<NodeKey, Node>,
    /// Writes waiting for the node to report the written value; at most one per tag.
    pending: Vec<PendingWrite>,
    /// Write outcomes not yet taken by the driver.
    outcomes: Vec<DriverEvent>,
    /// When the message being handled arrived, by this console's clock.
    received_at: Timestamp,
    pub counters: HostCounters,
}

impl Host {
    pub fn new(tags: &[SparkplugTag]) -> Self {
        let mut h = Host {
            bound: Vec::new(),
            by_path: HashMap::new(),
            node_tags: HashMap::new(),
            device_tags: HashMap::new(),
            by_tag: HashMap::new(),
            nodes: HashMap::new(),
            pending: Vec::new(),
            outcomes: Vec::new(),
            received_at: Timestamp::ZERO,
            counters: HostCounters::default(),
        };
        for t in tags {
            let i = h.bound.len();
            h.by_path.insert(t.path.clone(), i);
            h.by_tag.insert(t.tag, i);
            let nk = (t.path.group.clone(), t.path.node.clone());
            h.node_tags.entry(nk).or_default().push(i);
            if let Some(d) = &t.path.device {
                h.device_tags
                    .entry((t.path.group.clone(), t.path.node.clone(), d.clone()))
                    .or_default()
                    .push(i);
            }
            h.bound.push(Bound {
                tag: t.tag,
                path: t.path.clone(),
                kind: t.kind,
                scaling: t.scaling,
                writable: t.writable,
                datatype: None,
                lag_us: None,
            });
        }
        h
    }

    pub fn is_empty(&self) -> bool {
        self.bound.is_empty()
    }

    /// Filters to subscribe: one per bound group (all message types), plus this host's STATE topic.
    pub fn subscriptions(&self, host_id: Option<&str>) -> Vec<String> {
        let mut groups: Vec<&str> = self.bound.iter().map(|b| b.path.group.as_str()).collect();
        groups.sort_unstable();
        groups.dedup();
        let mut subs: Vec<String> = groups.iter().map(|g| format!("{SPARKPLUG_NAMESPACE}/{g}/#")).collect();
        if let Some(h) = host_id {
            subs.push(super::topic::state_topic(h));
        }
        subs
    }

    pub fn tags(&self) -> impl Iterator<Item = TagId> + '_ {
        self.bound.iter().map(|b| b.tag)
    }

    pub fn node_online(&self, group: &str, node: &str) -> bool {
        self.nodes
            .get(&(group.to_owned(), node.to_owned()))
            .is_some_and(|n| n.online)
    }

    /// Forgets every node (the host lost its broker connection: births must be seen again).
    pub fn reset(&mut self) {
        self.nodes.clear();
    }

    /// The nodes the tags name that are not online, and the devices the tags name of nodes that are, each
    /// with the rebirths asked of its node since the node's last birth or death; sorted by name.
    pub fn waiting_for_birth(&self) -> Vec<WaitingForBirth> {
        let mut waiting = Vec::new();
        for key in self.node_tags.keys() {
            let node = self.nodes.get(key);
            let rebirths_asked = node.map_or(0, |n| n.rebirths_asked);
            let Some(node) = node.filter(|n| n.online) else {
                waiting.push(WaitingForBirth {
                    node: format!("{}/{}", key.0, key.1),
                    rebirths_asked,
                });
                continue;
            };
            for dk in self.device_tags.keys().filter(|dk| dk.0 == key.0 && dk.1 == key.1) {
                if !node.devices.get(&dk.2).is_some_and(|d| d.online) {
                    waiting.push(WaitingForBirth {
                        node: format!("{}/{}/{}", dk.0, dk.1, dk.2),
                        rebirths_asked,
                    });
                }
            }
        }
        waiting.sort_by(|a, b| a.node.cmp(&b.node));
        waiting
    }

    /// One message from the broker. Samples for bound metrics go to `out`; publications the host needs
    /// (rebirth requests) go to `actions`. Messages the host does not act on (commands, STATE) are ignored.
    pub fn handle(
        &mut self,
        topic: &str,
        payload: &[u8],
        now: Timestamp,
        out: &mut Vec<Sample>,
        actions: &mut Vec<HostAction>,
    ) -> Result<(), HostError> {
        self.received_at = now;
        let Some(SpbTopic::Message {
            group,
            kind,
            node,
            device,
        }) = SpbTopic::parse(topic)
        else {
            if matches!(SpbTopic::parse(topic), Some(SpbTopic::State { .. })) {
                return Ok(());
            }
            self.counters.malformed += 1;
            return Err(HostError::Topic(topic.to_owned()));
        };
        if matches!(kind, MessageType::NCmd | MessageType::DCmd) {
            return Ok(());
        }
        let p = Payload::decode(payload).map_err(|e| {
            self.counters.malformed += 1;
            HostError::Payload {
                topic: topic.to_owned(),
                reason: e.to_string(),
            }
        })?;
        let key = (group.to_owned(), node.to_owned());
        let ts = p.timestamp.map_or(now, ms_to_ts);
        match kind {
            MessageType::NBirth => self.nbirth(key, &p, ts, out),
            MessageType::NDeath => self.ndeath(&key, &p, now, out),
            MessageType::NData | MessageType::DBirth | MessageType::DData | MessageType::DDeath => {
                let Some(n) = self.nodes.get_mut(&key).filter(|n| n.online) else {
                    self.counters.before_birth += 1;
                    self.request_rebirth(&key, now, actions);
                    return Ok(());
                };
                let expected = n.seq.wrapping_add(1);
                let got = p.seq.map(|s| (s % 256) as u8);
                n.seq = got.unwrap_or(expected);
                if got != Some(expected) {
                    self.counters.seq_gaps += 1;
                    self.request_rebirth(&key, now, actions);
                }
                match (kind, device) {
                    (MessageType::NData, _) => self.data(&key, None, &p, ts, out, actions, now),
                    (MessageType::DBirth, Some(d)) => self.dbirth(&key, d, &p, ts, out),
                    (MessageType::DData, Some(d)) => self.data(&key, Some(d), &p, ts, out, actions, now),
                    (MessageType::DDeath, Some(d)) => self.ddeath(&key, d, now, out),
                    _ => {}
                }
            }
            MessageType::NCmd | MessageType::DCmd => {}
        }
        Ok(())
    }

    fn nbirth(&mut self, key: NodeKey, p: &Payload, ts: Timestamp, out: &mut Vec<Sample>) {
        self.counters.births += 1;
        let mut node = Node {
            online: true,
            seq: p.seq.map_or(0, |s| (s % 256) as u8),
            last_rebirth_request: self.nodes.get(&key).and_then(|n| n.last_rebirth_request),
            ..Node::default()
        };
        // A new NBIRTH invalidates every device's birth: they follow with their own DBIRTH.
        let mut devices_went = Vec::new();
        if let Some(old) = self.nodes.get(&key) {
            devices_went.extend(old.devices.iter().filter(|(_, d)| d.online).map(|(n, _)| n.clone()));
        }
        for m in &p.metrics {
            if m.name.as_deref() == Some(BD_SEQ) {
                node.bd_seq = long_of(m);
            }
            let idx = m.name.as_ref().and_then(|name| self.lookup(&key, None, name));
            if let Some(alias) = m.alias {
                node.aliases.insert(alias, idx);
                if let Some(dt) = m.datatype {
                    node.datatypes_by_alias.insert(alias, dt);
                }
            }
            if let Some(i) = idx {
                self.bound[i].datatype = m.datatype;
                self.push_metric(i, m, m.datatype, ts, out);
            }
        }
        self.nodes.insert(key.clone(), node);
        for d in devices_went {
            self.mark_device(&key, &d, ts, out);
        }
    }

    fn ndeath(&mut self, key: &NodeKey, p: &Payload, now: Timestamp, out: &mut Vec<Sample>) {
        let Some(n) = self.nodes.get_mut(key) else { return };
        let bd = p
            .metrics
            .iter()
            .find(|m| m.name.as_deref() == Some(BD_SEQ))
            .and_then(long_of);
        // A will from an older session (the broker delivers it late) must not kill the current one.
        if let (Some(ours), Some(theirs)) = (n.bd_seq, bd)
            && ours != theirs
        {
            return;
        }
        self.counters.deaths += 1;
        n.online = false;
        n.rebirths_asked = 0;
        for d in n.devices.values_mut() {
            d.online = false;
        }
        for &i in self.node_tags.get(key).map_or(&[][..], Vec::as_slice) {
            out.push(Sample::bad(self.bound[i].tag, BadReason::CommFail, now));
        }
    }

    fn dbirth(&mut self, key: &NodeKey, device: &str, p: &Payload, ts: Timestamp, out: &mut Vec<Sample>) {
        self.counters.births += 1;
        let mut dev = Device {
            online: true,
            ..Device::default()
        };
        for m in &p.metrics {
            let idx = m.name.as_ref().and_then(|name| self.lookup(key, Some(device), name));
            if let Some(alias) = m.alias {
                dev.aliases.insert(alias, idx);
                if let Some(dt) = m.datatype {
                    dev.datatypes_by_alias.insert(alias, dt);
                }
            }
            if let Some(i) = idx {
                self.bound[i].datatype = m.datatype;
                self.push_metric(i, m, m.datatype, ts, out);
            }
        }
        if let Some(n) = self.nodes.get_mut(key) {
            n.devices.insert(device.to_owned(), dev);
        }
    }

    fn ddeath(&mut self, key: &NodeKey, device: &str, now: Timestamp, out: &mut Vec<Sample>) {
        self.counters.deaths += 1;
        if let Some(d) = self.nodes.get_mut(key).and_then(|n| n.devices.get_mut(device)) {
            d.online = false;
        }
        self.mark_device(key, device, now, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn data(
        &mut self,
        key: &NodeKey,
        device: Option<&str>,
        p: &Payload,
        ts: Timestamp,
        out: &mut Vec<Sample>,
        actions: &mut Vec<HostAction>,
        now: Timestamp,
    ) {
        let Some(node) = self.nodes.get(key) else { return };
        let (aliases, datatypes) = match device {
            None => (&node.aliases, &node.datatypes_by_alias),
            Some(d) => match node.devices.get(d).filter(|d| d.online) {
                Some(dev) => (&dev.aliases, &dev.datatypes_by_alias),
                None => {
                    self.counters.before_birth += 1;
                    self.request_rebirth(key, now, actions);
                    return;
                }
            },
        };
        let mut resolved: Vec<(usize, Option<u32>, usize)> = Vec::with_capacity(p.metrics.len());
        let mut unknown = false;
        for (mi, m) in p.metrics.iter().enumerate() {
            let (idx, dt) = match (&m.name, m.alias) {
                (Some(name), _) => {
                    let i = self.by_path_get(key, device, name);
                    (i, i.and_then(|i| self.bound[i].datatype).or(m.datatype))
                }
                (None, Some(alias)) => match aliases.get(&alias) {
                    Some(i) => (*i, datatypes.get(&alias).copied()),
                    None => {
                        unknown = true;
                        (None, None)
                    }
                },
                (None, None) => (None, None),
            };
            if let Some(i) = idx {
                resolved.push((i, m.datatype.or(dt), mi));
            }
        }
        if unknown {
            self.counters.unknown_alias += 1;
            self.request_rebirth(key, now, actions);
        }
        for (i, dt, mi) in resolved {
            self.push_metric(i, &p.metrics[mi], dt, ts, out);
        }
    }

    fn lookup(&self, key: &NodeKey, device: Option<&str>, name: &str) -> Option<usize> {
        self.by_path_get(key, device, name)
    }

    fn by_path_get(&self, key: &NodeKey, device: Option<&str>, name: &str) -> Option<usize> {
        // Building the key allocates; only done for metrics that carry a name (births, and publishers
        // that never use aliases).
        self.by_path
            .get(&MetricPath {
                group: key.0.clone(),
                node: key.1.clone(),
                device: device.map(str::to_owned),
                metric: name.to_owned(),
            })
            .copied()
    }

    fn push_metric(&mut self, i: usize, m: &Metric, dt: Option<u32>, ts: Timestamp, out: &mut Vec<Sample>) {
        if m.is_historical == Some(true) {
            self.counters.historical_skipped += 1;
            return;
        }
        let b = &self.bound[i];
        let ts = m.timestamp.map_or(ts, ms_to_ts);
        let dt = dt.or(b.datatype).unwrap_or(datatype::DOUBLE);
        let sample = match value::decode(m, dt, b.kind, b.scaling) {
            Ok(v) => match value::property_quality(m) {
                Some(q) => Sample {
                    tag: b.tag,
                    value: Some(v),
                    quality: q,
                    source_ts: ts,
                },
                None => Sample::good(b.tag, v, ts),
            },
            Err(q) => Sample {
                tag: b.tag,
                value: None,
                quality: q,
                source_ts: ts,
            },
        };
        if !self.pending.is_empty() {
            self.on_report(i, m, &sample);
        }
        if self.received_at != Timestamp::ZERO {
            self.bound[i].lag_us = Some(self.received_at.micros().saturating_sub(sample.source_ts.micros()));
        }
        out.push(sample);
    }

    /// A report of bound metric `i`: confirms the write waiting on it if the report is good, exactly the value
    /// the command carried, and stamped no earlier than the command (a report already on its way when the
    /// command went out says nothing about it). Historical metrics never get here.
    fn on_report(&mut self, i: usize, m: &Metric, sample: &Sample) {
        let Some(k) = self.pending.iter().position(|w| w.bound == i) else {
            return;
        };
        let w = &mut self.pending[k];
        w.last_reported = Some(match &sample.value {
            Some(v) => v.to_string(),
            None => "no value".to_owned(),
        });
        let exact = sample.quality == Quality::Good
            && m.is_null != Some(true)
            && m.value.as_ref().is_some_and(|v| value::reports_sent(v, &w.sent));
        if !exact {
            return;
        }
        // On the node's own clock, in ms (the resolution of Sparkplug timestamps): a node whose clock runs
        // behind this console's still confirms its writes.
        if now_ms(sample.source_ts) < now_ms(w.sent_at_node) {
            w.stamped_before_send = true;
            return;
        }
        let w = self.pending.swap_remove(k);
        for _ in 0..w.waiters {
            self.outcomes.push(DriverEvent::WriteConfirmed {
                tag: w.tag,
                value: w.value.clone(),
            });
        }
    }

    fn mark_device(&self, key: &NodeKey, device: &str, now: Timestamp, out: &mut Vec<Sample>) {
        let dk = (key.0.clone(), key.1.clone(), device.to_owned());
        for &i in self.device_tags.get(&dk).map_or(&[][..], Vec::as_slice) {
            out.push(Sample::bad(self.bound[i].tag, BadReason::CommFail, now));
        }
    }

    fn request_rebirth(&mut self, key: &NodeKey, now: Timestamp, actions: &mut Vec<HostAction>) {
        let n = self.nodes.entry(key.clone()).or_default();
        if n.last_rebirth_request
            .is_some_and(|t| now.saturating_since(t) < REBIRTH_HOLDOFF)
        {
            return;
        }
        n.last_rebirth_request = Some(now);
        n.rebirths_asked += 1;
        self.counters.rebirths_requested += 1;
        actions.push(HostAction::Rebirth {
            group: key.0.clone(),
            node: key.1.clone(),
        });
    }

    /// The NCMD/DCMD that writes `value` to the tag's metric, typed as its birth certificate said, and the write
    /// to wait for once it is published.
    pub fn command(&self, tag: TagId, value: &Value, now: Timestamp) -> Result<WriteCommand, CommandError> {
        let &i = self.by_tag.get(&tag).ok_or(CommandError::NotBound)?;
        let b = &self.bound[i];
        if !b.writable {
            return Err(CommandError::NotWritable);
        }
        let p = &b.path;
        let node_name = format!("{}/{}", p.group, p.node);
        let node = self
            .nodes
            .get(&(p.group.clone(), p.node.clone()))
            .filter(|n| n.online)
            .ok_or_else(|| CommandError::Offline(node_name.clone()))?;
        if let Some(d) = &p.device
            && !node.devices.get(d).is_some_and(|d| d.online)
        {
            return Err(CommandError::Offline(format!("{node_name}/{d}")));
        }
        let dt = b.datatype.ok_or_else(|| {
            CommandError::NotBorn(
                p.device
                    .as_ref()
                    .map_or(node_name.clone(), |d| format!("{node_name}/{d}")),
                p.metric.clone(),
            )
        })?;
        let sent = value::encode(value, dt, b.scaling)?;
        let ms = now_ms(now);
        let payload = Payload {
            timestamp: Some(ms),
            metrics: vec![Metric {
                name: Some(p.metric.clone()),
                timestamp: Some(ms),
                datatype: Some(dt),
                value: Some(sent.clone()),
                ..Metric::default()
            }],
            ..Payload::default()
        };
        let kind = if p.device.is_some() {
            MessageType::DCmd
        } else {
            MessageType::NCmd
        };
        Ok(WriteCommand {
            topic: message_topic(&p.group, kind, &p.node, p.device.as_deref()),
            payload: payload.encode_to_vec(),
            pending: PendingWrite {
                tag,
                bound: i,
                value: value.clone(),
                sent,
                sent_at: now,
                sent_at_node: Timestamp(now.micros().saturating_sub(b.lag_us.unwrap_or(0))),
                waiters: 1,
                timeout: Duration::ZERO,
                last_reported: None,
                stamped_before_send: false,
            },
        })
    }

    /// Waits, once its command is published, for the node to report the written value; the outcome comes
    /// out of `drain_outcomes`. The deadline runs from the first send: the same value sent again while it
    /// waits (the trip engine resends every 2 s) never extends it. A different value supersedes the waiting
    /// write, which is failed.
    pub fn await_confirmation(&mut self, mut w: PendingWrite, timeout: Duration) {
        if let Some(k) = self.pending.iter().position(|p| p.tag == w.tag) {
            if self.pending[k].sent == w.sent {
                // The same value again: it waits on the first, and gets its outcome too.
                self.pending[k].waiters += 1;
                return;
            }
            let old = self.pending.swap_remove(k);
            for _ in 0..old.waiters {
                self.outcomes.push(DriverEvent::WriteFailed {
                    tag: old.tag,
                    value: old.value.clone(),
                    reason: format!("superseded by a write of {} before it was confirmed", w.value),
                });
            }
        }
        w.timeout = timeout;
        self.pending.push(w);
    }

    /// Fails every write whose deadline has come without the written value coming back.
    pub fn expire_writes(&mut self, now: Timestamp) {
        let outcomes = &mut self.outcomes;
        self.pending.retain(|w| {
            if now < w.deadline() {
                return true;
            }
            for _ in 0..w.waiters {
                outcomes.push(DriverEvent::WriteFailed {
                    tag: w.tag,
                    value: w.value.clone(),
                    reason: w.failure_reason(),
                });
            }
            false
        });
    }

    /// Fails every waiting write with `reason` (the connection its confirmation would come over is gone).
    pub fn abandon_writes(&mut self, reason: &str) {
        for w in self.pending.drain(..) {
            for _ in 0..w.waiters {
                self.outcomes.push(DriverEvent::WriteFailed {
                    tag: w.tag,
                    value: w.value.clone(),
                    reason: reason.to_owned(),
                });
            }
        }
    }

    /// Write outcomes (confirmed or failed) since the last call, for the driver to report.
    pub fn drain_outcomes(&mut self) -> std::vec::Drain<'_, DriverEvent> {
        self.outcomes.drain(..)
    }
}

fn long_of(m: &Metric) -> Option<u64> {
    match m.value {
        Some(metric::Value::LongValue(v)) => Some(v),
        Some(metric::Value::IntValue(v)) => Some(u64::from(v)),
        _ => None,
    }
}

fn ms_to_ts(ms: u64) -> Timestamp {
    Timestamp(i64::try_from(ms).unwrap_or(i64::MAX / 1000).saturating_mul(1000))
}

pub fn now_ms(now: Timestamp) -> u64 {
    u64::try_from(now.micros() / 1000).unwrap_or(0)
}

#[cfg(test)]
mod tests;
