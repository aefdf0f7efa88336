//! The MQTT driver thread: one broker connection (rumqttc) on a current-thread tokio runtime of its
//! own, so a dead broker only ever delays this driver. Two loops share the decoders: the receive loop
//! (connection, subscriptions, decoding) and the service loop (commands, write confirmation deadlines,
//! diagnostics, a 1 ms safety flush). Samples go to the hub when the messages already read from the
//! socket are used up: one batch per read, so a flood arrives as few large batches and a lone message
//! is not held back.

use super::config::{MqttConfig, Qos, TlsSettings};
use super::json::JsonRouter;
use super::sparkplug::host::now_ms;
use super::sparkplug::topic::state_topic;
use super::sparkplug::{Host, HostAction};
use crate::driver::modbus::backoff::Backoff;
use crate::driver::{DriverCommand, DriverEvent, DriverLink, DriverState};
use crate::tag::{BadReason, Sample, TagId, Timestamp};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS, SubscribeReasonCode, Transport};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest a sample waits in the batch before it is sent to the hub.
const FLUSH_EVERY: Duration = Duration::from_millis(1);
/// A batch this large is sent at once.
const FLUSH_AT: usize = 2_048;
/// Outgoing requests (publishes, subscriptions) queued for the connection.
const REQUEST_QUEUE: usize = 1_024;

#[derive(Default)]
struct Counters {
    messages: u64,
    malformed: u64,
    unbound: u64,
    bad_timestamps: u64,
}

struct Shared {
    json: JsonRouter,
    host: Host,
    batch: Vec<Sample>,
    actions: Vec<HostAction>,
    connected: bool,
    counters: Counters,
    last_error_logged: Option<Instant>,
}

pub struct MqttDriver {
    cfg: MqttConfig,
}

impl MqttDriver {
    pub fn new(cfg: MqttConfig) -> Self {
        Self { cfg }
    }

    pub fn run(self, link: DriverLink) {
        crate::driver::run_on_own_runtime(&link, self.main(&link));
    }

    fn options(&self) -> Result<MqttOptions, String> {
        let c = &self.cfg;
        let mut o = MqttOptions::new(c.client_id.clone(), c.host.clone(), c.port);
        o.set_keep_alive(c.keep_alive);
        o.set_clean_session(true);
        // Sparkplug births of large edge nodes exceed rumqttc's 10 KiB default.
        o.set_max_packet_size(4 << 20, 1 << 20);
        if let Some(cred) = &c.credentials {
            o.set_credentials(cred.username.clone(), cred.password.clone());
        }
        if let Some(tls) = &c.tls {
            o.set_transport(Transport::tls_with_config(tls_client_config(tls)?.into()));
        }
        Ok(o)
    }

    async fn main(&self, link: &DriverLink) {
        let options = match self.options() {
            Ok(o) => o,
            Err(e) => {
                link.stats.set_state(DriverState::Failed);
                link.stats.set_last_error(Some(e));
                return;
            }
        };
        let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let mut net = eventloop.network_options();
        net.set_tcp_nodelay(true);
        net.set_connection_timeout(self.cfg.timeout.as_secs().max(1));
        eventloop.set_network_options(net);
        let shared = RefCell::new(Shared {
            json: JsonRouter::new(&self.cfg.json_rules, &self.cfg.json_tags),
            host: Host::new(&self.cfg.sparkplug_tags),
            batch: Vec::with_capacity(FLUSH_AT),
            actions: Vec::new(),
            connected: false,
            counters: Counters::default(),
            last_error_logged: None,
        });
        let receive = self.receive_loop(&shared, &mut eventloop, &client, link);
        let service = self.service_loop(&shared, &client, link);
        tokio::pin!(receive);
        tokio::select! {
            () = &mut receive => {}
            () = service => {
                // Stopping: let the receive loop send the offline STATE and DISCONNECT, briefly.
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut receive).await;
            }
        }
    }

    /// The host's STATE message (Sparkplug 3.0 §7.1): retained, QoS 1; its offline twin is the will.
    fn state_payload(online: bool, ts_ms: u64) -> Vec<u8> {
        serde_json::json!({ "online": online, "timestamp": ts_ms })
            .to_string()
            .into_bytes()
    }

    async fn receive_loop(
        &self,
        shared: &RefCell<Shared>,
        ev: &mut EventLoop,
        client: &AsyncClient,
        link: &DriverLink,
    ) {
        let mut backoff = Backoff::new(self.cfg.backoff_min, self.cfg.backoff_max);
        let mut rng = rand::rng();
        let mut marked_failed = false;
        let mut state_ts = now_ms(Timestamp::now());
        let own_state = self.cfg.host_id.as_deref().map(state_topic);
        if let Some(t) = &own_state {
            ev.mqtt_options.set_last_will(LastWill::new(
                t,
                Self::state_payload(false, state_ts),
                QoS::AtLeastOnce,
                true,
            ));
        }
        let qos = match self.cfg.qos {
            Qos::AtMostOnce => QoS::AtMostOnce,
            Qos::AtLeastOnce => QoS::AtLeastOnce,
        };
        let mut stopping = false;
        loop {
            if link.should_stop() && !stopping {
                stopping = true;
                if let Some(t) = &own_state
                    && shared.borrow().connected
                {
                    let _ = client.try_publish(t, QoS::AtLeastOnce, true, Self::state_payload(false, state_ts));
                }
                let _ = client.try_disconnect();
            }
            match ev.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff.reset();
                    marked_failed = false;
                    let mut subs: Vec<String> = shared.borrow().json.subscriptions().to_vec();
                    subs.extend(shared.borrow().host.subscriptions(self.cfg.host_id.as_deref()));
                    for s in subs {
                        if client.try_subscribe(s, qos).is_err() {
                            link.stats
                                .set_last_error(Some("request queue full while subscribing".into()));
                        }
                    }
                    if let Some(t) = &own_state {
                        let _ = client.try_publish(t, QoS::AtLeastOnce, true, Self::state_payload(true, state_ts));
                    }
                    shared.borrow_mut().connected = true;
                    link.stats.set_state(DriverState::Running);
                    link.stats.set_last_error(None);
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    if ack.return_codes.contains(&SubscribeReasonCode::Failure) {
                        link.stats.set_state(DriverState::Degraded);
                        link.stats
                            .set_last_error(Some("the broker refused a subscription (check the user's ACL)".into()));
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if own_state.as_deref() == Some(p.topic.as_str()) {
                        // Someone (a stale will, another host) said this host is offline: correct it.
                        if serde_json::from_slice::<serde_json::Value>(&p.payload)
                            .ok()
                            .and_then(|v| v.get("online").and_then(serde_json::Value::as_bool))
                            == Some(false)
                            && !stopping
                        {
                            let _ = client.try_publish(
                                &p.topic,
                                QoS::AtLeastOnce,
                                true,
                                Self::state_payload(true, state_ts),
                            );
                        }
                        continue;
                    }
                    self.on_message(shared, &p.topic, &p.payload, link, client);
                    // Nothing more already read from the socket: send now rather than at the next tick.
                    // Under load the read buffer holds many messages and they go out as one batch.
                    if ev.state.events.is_empty() {
                        let mut s = shared.borrow_mut();
                        if !s.batch.is_empty() {
                            let batch = std::mem::replace(&mut s.batch, Vec::with_capacity(256));
                            let _ = link.samples.send(batch);
                        }
                    }
                }
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) if stopping => return,
                Ok(_) => {}
                Err(e) => {
                    if stopping {
                        return;
                    }
                    let reason = format!("{}: {e}", self.cfg.describe());
                    self.on_disconnect(shared, link, &reason, !marked_failed);
                    marked_failed = true;
                    let until = Instant::now() + backoff.next_delay(&mut rng);
                    while Instant::now() < until && !link.should_stop() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    if link.should_stop() {
                        return;
                    }
                    // A new session gets a new will, so a late will of this one cannot be mistaken for it.
                    state_ts = now_ms(Timestamp::now());
                    if let Some(t) = &own_state {
                        ev.mqtt_options.set_last_will(LastWill::new(
                            t,
                            Self::state_payload(false, state_ts),
                            QoS::AtLeastOnce,
                            true,
                        ));
                    }
                }
            }
        }
    }

    fn on_message(
        &self,
        shared: &RefCell<Shared>,
        topic: &str,
        payload: &[u8],
        link: &DriverLink,
        client: &AsyncClient,
    ) {
        let now = Timestamp::now();
        let mut guard = shared.borrow_mut();
        let s = &mut *guard;
        s.counters.messages += 1;
        let result = if topic.starts_with("spBv1.0/") && !s.host.is_empty() {
            s.host
                .handle(topic, payload, now, &mut s.batch, &mut s.actions)
                .map_err(|e| e.to_string())
        } else {
            match s.json.route(topic, payload, now, &mut s.batch) {
                Ok(r) => {
                    if r.unbound {
                        s.counters.unbound += 1;
                    }
                    if r.bad_timestamp {
                        s.counters.bad_timestamps += 1;
                    }
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        };
        if let Err(e) = result {
            s.counters.malformed += 1;
            link.stats.record_error();
            // A publisher gone bad can send thousands a second: log the first, then once a minute.
            if s.last_error_logged
                .is_none_or(|t| t.elapsed() > Duration::from_secs(60))
            {
                tracing::warn!(driver = %link.name, error = %e, "malformed MQTT message");
                s.last_error_logged = Some(Instant::now());
            }
            link.stats.set_last_error(Some(e));
        }
        for a in s.actions.drain(..) {
            let (t, body) = a.encode(now);
            tracing::info!(driver = %link.name, topic = %t, "requesting Sparkplug rebirth");
            let _ = client.try_publish(t, QoS::AtLeastOnce, false, body);
        }
        for e in s.host.drain_outcomes() {
            link.report(e);
        }
        if s.batch.len() >= FLUSH_AT {
            let batch = std::mem::replace(&mut s.batch, Vec::with_capacity(FLUSH_AT));
            let _ = link.samples.send(batch);
        }
    }

    fn on_disconnect(&self, shared: &RefCell<Shared>, link: &DriverLink, reason: &str, first: bool) {
        let mut s = shared.borrow_mut();
        s.connected = false;
        link.stats.set_state(DriverState::Failed);
        link.stats.record_error();
        link.stats.set_last_error(Some(reason.to_owned()));
        s.host
            .abandon_writes("the broker connection was lost before the write was confirmed");
        for e in s.host.drain_outcomes() {
            link.report(e);
        }
        if first {
            tracing::warn!(driver = %link.name, error = %reason, "MQTT connection failed");
            // Every tag turns CommFail at once; Sparkplug nodes must be seen to birth again.
            let now = Timestamp::now();
            let tags: Vec<TagId> = s.json.tags().chain(s.host.tags()).collect();
            s.host.reset();
            s.batch
                .extend(tags.into_iter().map(|t| Sample::bad(t, BadReason::CommFail, now)));
            let batch = std::mem::take(&mut s.batch);
            let _ = link.samples.send(batch);
        }
    }

    async fn service_loop(&self, shared: &RefCell<Shared>, client: &AsyncClient, link: &DriverLink) {
        let mut last_detail = Instant::now() - Duration::from_secs(10);
        loop {
            tokio::time::sleep(FLUSH_EVERY).await;
            let mut s = shared.borrow_mut();
            if !s.batch.is_empty() {
                let batch = std::mem::replace(&mut s.batch, Vec::with_capacity(256));
                if link.samples.send(batch).is_err() {
                    return;
                }
            }
            if link.should_stop() {
                return;
            }
            while let Ok(cmd) = link.commands.try_recv() {
                self.command(&mut s, client, link, cmd);
            }
            s.host.expire_writes(Timestamp::now());
            for e in s.host.drain_outcomes() {
                link.report(e);
            }
            let now = Instant::now();
            if now.duration_since(last_detail) >= Duration::from_secs(1) {
                last_detail = now;
                link.stats.set_detail(Some(self.detail(&s)));
                if !s.host.is_empty() {
                    // While disconnected the driver's own state says why there is no data.
                    let waiting = if s.connected {
                        s.host.waiting_for_birth()
                    } else {
                        Vec::new()
                    };
                    link.stats.set_waiting_for_birth(waiting);
                }
            }
        }
    }

    fn command(&self, s: &mut Shared, client: &AsyncClient, link: &DriverLink, cmd: DriverCommand) {
        let DriverCommand::Write { tag, value, .. } = cmd else {
            return;
        };
        let fail = |reason: String| {
            link.report(DriverEvent::WriteFailed {
                tag,
                value: value.clone(),
                reason,
            });
        };
        if !s.connected {
            return fail("not connected to the broker".into());
        }
        match s.host.command(tag, &value, Timestamp::now()) {
            Ok(c) => {
                if client.try_publish(c.topic, QoS::AtLeastOnce, false, c.payload).is_err() {
                    return fail("the outgoing queue is full".into());
                }
                s.host.await_confirmation(c.pending, self.cfg.timeout);
                // A write of another value still waiting is superseded: its failure is reported now.
                for e in s.host.drain_outcomes() {
                    link.report(e);
                }
            }
            Err(e) => fail(e.to_string()),
        }
    }

    fn detail(&self, s: &Shared) -> String {
        let c = &s.counters;
        let h = &s.host.counters;
        let mut d = format!(
            "{} · {} msgs · malformed {} · unbound {}",
            self.cfg.describe(),
            c.messages,
            c.malformed,
            c.unbound
        );
        if !s.host.is_empty() {
            d.push_str(&format!(
                " · Sparkplug births {} deaths {} seq gaps {} rebirths asked {}",
                h.births, h.deaths, h.seq_gaps, h.rebirths_requested
            ));
        }
        if c.bad_timestamps > 0 {
            d.push_str(&format!(" · unreadable timestamps {}", c.bad_timestamps));
        }
        d
    }
}

/// rustls client configuration with the ring provider (no aws-lc C build), trusting only the given CA.
pub fn tls_client_config(tls: &TlsSettings) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&tls.ca_pem) {
        let cert = cert.map_err(|e| format!("CA file: {e}"))?;
        roots.add(cert).map_err(|e| format!("CA file: {e}"))?;
    }
    if roots.is_empty() {
        return Err("CA file holds no PEM certificate".into());
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    match &tls.client_auth {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("client certificate: {e}"))?;
            if chain.is_empty() {
                return Err("client certificate file holds no PEM certificate".into());
            }
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| format!("client key: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("client certificate and key: {e}"))
        }
    }
}
