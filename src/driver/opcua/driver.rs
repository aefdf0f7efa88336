//! The OPC UA driver thread: a current-thread tokio runtime of its own, so a slow or dead server only
//! ever delays this driver. The first connection is made with GetEndpoints (matching the configured
//! policy and mode against what the server offers), retried with capped backoff and jitter. The
//! session's event loop is watched so every tag turns CommFail the moment the connection is lost; the
//! driver then opens a new session and makes its subscriptions again.

use super::config::{Identity, OpcUaConfig, SecurityMode};
use super::convert::{sample, value_to_variant};
use crate::driver::modbus::backoff::Backoff;
use crate::driver::modbus::codec::Scaling;
use crate::driver::{DriverCommand, DriverEvent, DriverLink, DriverState, SampleSender};
use crate::tag::{BadReason, Quality, Sample, TagId, Timestamp, Value, ValueKind};
use futures::StreamExt;
use opcua::client::{
    Client, ClientBuilder, IdentityToken, MonitoredItemMap, OnSubscriptionNotificationCore, Session, SessionEventLoop,
    SessionPollResult,
};
use opcua::crypto::{PrivateKey, X509};
use opcua::types::{
    AttributeId, DataChangeNotification, DataValue, EndpointDescription, ExtensionObject, MessageSecurityMode,
    MonitoredItemCreateRequest, MonitoringMode, MonitoringParameters, NotificationMessage, NumericRange, ReadValueId,
    StatusChangeNotification, StatusCode, TimestampsToReturn, UserTokenPolicy, VariantScalarTypeId, WriteValue,
    match_extension_object_owned,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the driver looks at its command queue and the stop flag.
const TICK: Duration = Duration::from_millis(20);

/// What the notification callback needs per monitored item (client handle = index + 1).
struct Item {
    tag: TagId,
    kind: ValueKind,
    scaling: Scaling,
}

/// Shared between the subscription callbacks (library tasks) and the driver: the variant type each
/// node last reported, so a write can use the node's own type.
type SeenTypes = Arc<Mutex<Vec<Option<VariantScalarTypeId>>>>;

struct Notifications {
    items: Arc<Vec<Item>>,
    types: SeenTypes,
    samples: SampleSender,
    /// Tags of this subscription, for a subscription-level failure.
    group_tags: Vec<TagId>,
}

impl OnSubscriptionNotificationCore for Notifications {
    fn on_subscription_notification(&mut self, notification: NotificationMessage, _items: MonitoredItemMap<'_>) {
        let Some(data) = notification.notification_data else {
            return;
        };
        let now = Timestamp::now();
        let mut batch = Vec::new();
        for obj in data {
            match_extension_object_owned!(obj,
                v: DataChangeNotification => {
                    let mut types = self.types.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    for n in v.monitored_items.into_iter().flatten() {
                        let Some(i) = (n.client_handle as usize).checked_sub(1) else { continue };
                        let Some(item) = self.items.get(i) else { continue };
                        if let Some(t) = n.value.value.as_ref().and_then(|v| v.scalar_type_id())
                            && let Some(slot) = types.get_mut(i)
                        {
                            *slot = Some(t);
                        }
                        batch.push(sample(item.tag, &n.value, item.kind, item.scaling, now));
                    }
                },
                v: StatusChangeNotification => {
                    // The server dropped the subscription (e.g. BadTimeout): its values stop here.
                    tracing::warn!(status = %v.status, "OPC UA subscription status changed");
                    if v.status.is_bad() {
                        batch.extend(self.group_tags.iter().map(|&t| Sample::bad(t, BadReason::CommFail, now)));
                    }
                }
            )
        }
        let _ = self.samples.send(batch);
    }
}

/// An OPC UA client (application instance certificate in the PKI directory, created if missing).
pub fn build_client(cfg: &OpcUaConfig) -> Result<Client, String> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    ClientBuilder::new()
        .application_name("wellconsole")
        .application_uri(format!("urn:{host}:wellconsole"))
        .product_uri("urn:wellconsole")
        .pki_dir(cfg.pki_dir.clone())
        .create_sample_keypair(true)
        .trust_server_certs(cfg.trust_server_certs)
        // Every reconnect is a fresh session made by the driver, with its subscriptions made anew. The
        // library's own reconnect recreates subscriptions too, but in 0.19 it can lose one when the new
        // server hands out an id the old session used (two or more subscriptions after a server restart).
        .session_retry_limit(0)
        .recreate_subscriptions(false)
        .request_timeout(cfg.timeout)
        // Publish responses of big subscriptions carry thousands of notifications; the library's
        // default limit (1,000 array elements) would drop the connection on the first one.
        .max_array_length(1_000_000)
        .max_message_size(64 << 20)
        .max_chunk_count(4_096)
        .session_timeout(60_000)
        .keep_alive_interval(Duration::from_secs(2))
        .client()
        .map_err(|e| format!("OPC UA client settings: {}", e.join("; ")))
}

fn identity(cfg: &OpcUaConfig) -> Result<IdentityToken, String> {
    Ok(match &cfg.identity {
        Identity::Anonymous => IdentityToken::Anonymous,
        Identity::User { username, password } => IdentityToken::new_user_name(username.clone(), password.clone()),
        Identity::Certificate { cert_pem, key_pem } => {
            let cert = X509::from_pem(cert_pem).map_err(|e| format!("user certificate: {e}"))?;
            let key = PrivateKey::from_pem(key_pem).map_err(|e| format!("user key: {e:?}"))?;
            IdentityToken::X509(Box::new(cert), Box::new(key))
        }
    })
}

fn mode(m: SecurityMode) -> MessageSecurityMode {
    match m {
        SecurityMode::None => MessageSecurityMode::None,
        SecurityMode::Sign => MessageSecurityMode::Sign,
        SecurityMode::SignAndEncrypt => MessageSecurityMode::SignAndEncrypt,
    }
}

/// Asks the server for its endpoints and opens a session on the one matching the configured policy and
/// mode. The session connects once its event loop is polled.
pub async fn connect_session(
    client: &mut Client,
    cfg: &OpcUaConfig,
) -> Result<(Arc<Session>, SessionEventLoop<opcua::client::transport::TcpConnector>), String> {
    let endpoint: EndpointDescription = (
        cfg.endpoint.as_str(),
        cfg.policy.uri(),
        mode(cfg.mode),
        UserTokenPolicy::anonymous(),
    )
        .into();
    let token = identity(cfg)?;
    match tokio::time::timeout(cfg.timeout, client.connect_to_matching_endpoint(endpoint, token)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(format!("{}: {e}", cfg.endpoint)),
        Err(_) => Err(format!(
            "{}: no answer within {} ms",
            cfg.endpoint,
            cfg.timeout.as_millis()
        )),
    }
}

/// Connection changes seen by the event-loop task.
enum Conn {
    Up,
    Lost(StatusCode),
    RetryFailed(StatusCode),
    Ended(StatusCode),
}

enum SessionEnd {
    Stop,
    Broken(String),
}

pub struct OpcUaDriver {
    cfg: OpcUaConfig,
}

impl OpcUaDriver {
    pub fn new(cfg: OpcUaConfig) -> Self {
        Self { cfg }
    }

    pub fn run(self, link: DriverLink) {
        crate::driver::run_on_own_runtime(&link, self.main(&link));
    }

    fn all_bad(&self, link: &DriverLink, reason: BadReason) {
        let now = Timestamp::now();
        let _ = link
            .samples
            .send(self.cfg.tags.iter().map(|t| Sample::bad(t.tag, reason, now)).collect());
    }

    async fn main(&self, link: &DriverLink) {
        let mut client = match build_client(&self.cfg) {
            Ok(c) => c,
            Err(e) => {
                link.stats.set_state(DriverState::Failed);
                link.stats.set_last_error(Some(e));
                self.all_bad(link, BadReason::ConfigError);
                return;
            }
        };
        let items: Arc<Vec<Item>> = Arc::new(
            self.cfg
                .tags
                .iter()
                .map(|t| Item {
                    tag: t.tag,
                    kind: t.kind,
                    scaling: t.scaling,
                })
                .collect(),
        );
        let types: SeenTypes = Arc::new(Mutex::new(vec![None; self.cfg.tags.len()]));
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let mut rng = rand::rng();
        let mut marked_failed = false;
        while !link.should_stop() {
            let end = match connect_session(&mut client, &self.cfg).await {
                Ok((session, event_loop)) => {
                    backoff.reset();
                    self.session(session, event_loop, link, &items, &types, &mut marked_failed)
                        .await
                }
                Err(e) => SessionEnd::Broken(e),
            };
            let SessionEnd::Broken(reason) = end else { break };
            link.stats.set_state(DriverState::Failed);
            link.stats.record_error();
            link.stats.set_last_error(Some(reason));
            if !marked_failed {
                self.all_bad(link, BadReason::CommFail);
                marked_failed = true;
            }
            let until = Instant::now() + backoff.next_delay(&mut rng);
            while Instant::now() < until && !link.should_stop() {
                self.refuse_commands(link, "not connected to the OPC UA server");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    fn refuse_commands(&self, link: &DriverLink, reason: &str) {
        while let Ok(cmd) = link.commands.try_recv() {
            if let DriverCommand::Write { tag, value, .. } = cmd {
                link.report(DriverEvent::WriteFailed {
                    tag,
                    value,
                    reason: reason.to_owned(),
                });
            }
        }
    }

    async fn session(
        &self,
        session: Arc<Session>,
        event_loop: SessionEventLoop<opcua::client::transport::TcpConnector>,
        link: &DriverLink,
        items: &Arc<Vec<Item>>,
        types: &SeenTypes,
        marked_failed: &mut bool,
    ) -> SessionEnd {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Conn>(64);
        let watcher = tokio::spawn(async move {
            let stream = event_loop.enter();
            futures::pin_mut!(stream);
            while let Some(r) = stream.next().await {
                let msg = match r {
                    Ok(SessionPollResult::Reconnected(_)) => Conn::Up,
                    Ok(SessionPollResult::ConnectionLost(s)) => Conn::Lost(s),
                    Ok(SessionPollResult::ReconnectFailed(s)) => Conn::RetryFailed(s),
                    Ok(_) => continue,
                    Err(s) => {
                        let _ = tx.send(Conn::Ended(s)).await;
                        return;
                    }
                };
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
            let _ = tx.send(Conn::Ended(StatusCode::Good)).await;
        });
        let mut subscribed = false;
        let end = loop {
            if link.should_stop() {
                break SessionEnd::Stop;
            }
            let msg = tokio::select! {
                m = rx.recv() => m,
                () = tokio::time::sleep(TICK) => {
                    if subscribed {
                        while let Ok(cmd) = link.commands.try_recv() {
                            self.command(&session, link, types, cmd).await;
                        }
                    } else {
                        self.refuse_commands(link, "the OPC UA session is not up yet");
                    }
                    continue;
                }
            };
            match msg {
                Some(Conn::Up) => {
                    link.stats.set_state(DriverState::Running);
                    link.stats.set_last_error(None);
                    link.stats.set_detail(Some(format!(
                        "session on {} ({:?}, {:?})",
                        self.cfg.endpoint, self.cfg.policy, self.cfg.mode
                    )));
                    *marked_failed = false;
                    if !subscribed {
                        if let Err(e) = self.subscribe(&session, link, items, types).await {
                            break SessionEnd::Broken(e);
                        }
                        subscribed = true;
                    }
                }
                Some(Conn::Lost(s)) => {
                    if !*marked_failed {
                        self.all_bad(link, BadReason::CommFail);
                        *marked_failed = true;
                    }
                    // A new session with new subscriptions, rather than trusting what survives.
                    break SessionEnd::Broken(format!("connection lost: {s}"));
                }
                Some(Conn::RetryFailed(s)) => {
                    link.stats.set_state(DriverState::Failed);
                    link.stats.record_error();
                    link.stats.set_last_error(Some(format!("connecting failed: {s}")));
                    if !*marked_failed {
                        self.all_bad(link, BadReason::CommFail);
                        *marked_failed = true;
                    }
                }
                Some(Conn::Ended(s)) => break SessionEnd::Broken(format!("session ended: {s}")),
                None => break SessionEnd::Broken("session event loop ended".into()),
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), session.disconnect()).await;
        watcher.abort();
        end
    }

    async fn subscribe(
        &self,
        session: &Session,
        link: &DriverLink,
        items: &Arc<Vec<Item>>,
        types: &SeenTypes,
    ) -> Result<(), String> {
        let now = Timestamp::now();
        let mut rejected = Vec::new();
        for (g, group) in self.cfg.subscriptions.iter().enumerate() {
            let members: Vec<usize> = (0..self.cfg.tags.len())
                .filter(|&i| self.cfg.tags[i].group == g)
                .collect();
            if members.is_empty() {
                continue;
            }
            let publishing_ms = group.publishing.as_millis().max(1) as u32;
            // Keep-alive every ~10 s of silence; lifetime 3× that, as Part 4 requires.
            let keep_alive = (10_000 / publishing_ms).clamp(3, 1_000);
            let callback = Notifications {
                items: items.clone(),
                types: types.clone(),
                samples: link.samples.clone(),
                group_tags: members.iter().map(|&i| self.cfg.tags[i].tag).collect(),
            };
            // At most 2,000 notifications per publish response: a big subscription's initial values
            // arrive in several bounded messages instead of one huge one.
            let sub = session
                .create_subscription(group.publishing, keep_alive * 3, keep_alive, 2_000, 0, true, callback)
                .await
                .map_err(|e| format!("creating subscription '{}': {e}", group.name))?;
            let requests: Vec<MonitoredItemCreateRequest> = members
                .iter()
                .map(|&i| MonitoredItemCreateRequest {
                    item_to_monitor: ReadValueId::from(self.cfg.tags[i].node.clone()),
                    monitoring_mode: MonitoringMode::Reporting,
                    requested_parameters: MonitoringParameters {
                        client_handle: i as u32 + 1,
                        sampling_interval: group.sampling.as_secs_f64() * 1_000.0,
                        filter: ExtensionObject::null(),
                        queue_size: 1,
                        discard_oldest: true,
                    },
                })
                .collect();
            // Servers limit items per request; 1,000 is below every common limit.
            for (chunk_members, chunk) in members.chunks(1_000).zip(requests.chunks(1_000)) {
                let results = session
                    .create_monitored_items(sub, TimestampsToReturn::Both, chunk.to_vec())
                    .await
                    .map_err(|e| format!("creating monitored items: {e}"))?;
                for (&i, r) in chunk_members.iter().zip(results) {
                    let status = r.result.status_code;
                    if status.is_bad() {
                        let t = &self.cfg.tags[i];
                        rejected.push(format!("{} ({status})", t.node));
                        let _ = link.samples.send(vec![Sample {
                            tag: t.tag,
                            value: None,
                            quality: super::convert::status_quality(status),
                            source_ts: now,
                        }]);
                    }
                }
            }
        }
        if !rejected.is_empty() {
            link.stats.set_state(DriverState::Degraded);
            link.stats.record_exception();
            link.stats.set_last_error(Some(format!(
                "{} node(s) refused by the server: {}",
                rejected.len(),
                rejected.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(())
    }

    async fn command(&self, session: &Session, link: &DriverLink, types: &SeenTypes, cmd: DriverCommand) {
        let DriverCommand::Write { tag, value, .. } = cmd else {
            return;
        };
        let outcome = self.write(session, types, tag, &value).await;
        link.report(match outcome {
            Ok(v) => DriverEvent::WriteConfirmed { tag, value: v },
            Err(reason) => DriverEvent::WriteFailed { tag, value, reason },
        });
    }

    /// Writes with the node's own variant type, then reads the value back.
    async fn write(&self, session: &Session, types: &SeenTypes, tag: TagId, value: &Value) -> Result<Value, String> {
        let i = self
            .cfg
            .tags
            .iter()
            .position(|t| t.tag == tag)
            .ok_or("tag is not served by this driver")?;
        let t = &self.cfg.tags[i];
        if !t.writable {
            return Err("tag is not writable".into());
        }
        let ty = types
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(i)
            .copied()
            .flatten()
            .ok_or("the node has not reported a value yet, so its data type is unknown")?;
        let variant = value_to_variant(value, ty, t.scaling).map_err(|e| e.to_string())?;
        let status = tokio::time::timeout(
            self.cfg.timeout,
            session.write(&[WriteValue {
                node_id: t.node.clone(),
                attribute_id: AttributeId::Value as u32,
                index_range: NumericRange::None,
                value: DataValue {
                    value: Some(variant),
                    ..DataValue::default()
                },
            }]),
        )
        .await
        .map_err(|_| "no answer to the write".to_owned())?
        .map_err(|e| format!("write failed: {e}"))?;
        match status.first() {
            Some(s) if s.is_good() => {}
            Some(s) => return Err(format!("the server refused the write: {s}")),
            None => return Err("the server returned no write result".into()),
        }
        let back = tokio::time::timeout(
            self.cfg.timeout,
            session.read(&[ReadValueId::from(t.node.clone())], TimestampsToReturn::Neither, 0.0),
        )
        .await
        .map_err(|_| "no answer to the read-back".to_owned())?
        .map_err(|e| format!("read-back failed: {e}"))?;
        let dv = back.first().ok_or("the server returned no read-back")?;
        let s = sample(tag, dv, t.kind, t.scaling, Timestamp::now());
        match s.value {
            Some(v) if s.quality == Quality::Good => Ok(v),
            _ => Err(format!("read-back is {:?}", s.quality)),
        }
    }
}
