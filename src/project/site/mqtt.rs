//! `kind = "mqtt"`: the `[driver.mqtt]` table (broker, client id, credentials, TLS, JSON topic rules,
//! Sparkplug host id) and the tags bound to JSON topics or Sparkplug B metrics.
//!
//! Owns the MQTT driver's options and what a tag on it may say. Topic and address syntax is protocol
//! knowledge and stays in `driver::mqtt` (`address`, `topic`); this module only says what it means for a
//! tag. It must not connect to a broker (checking that the TLS settings build is as far as it goes).

use super::credentials::{RawTls, secret, tls_settings};
use super::drivers::{AddressBook, DriverKind};
use super::tags::{TagEntry, scaling_of};
use crate::driver::modbus::codec::Scaling;
use crate::driver::mqtt::address::MqttAddress;
use crate::driver::mqtt::config::{
    Credentials, JsonRule, JsonTag, MqttConfig, Qos, SparkplugTag, TimeUnit, TimestampField,
};
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use crate::tag::{DriverId, TagId, ValueKind};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMqttOptions {
    /// `host:port`.
    broker: Spanned<String>,
    client_id: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    /// Name of an environment variable holding the password (keeps secrets out of the project).
    password_env: Option<Spanned<String>>,
    tls: Option<Spanned<RawTls>>,
    keep_alive_s: Option<Spanned<u64>>,
    qos: Option<Spanned<i64>>,
    timeout_ms: Option<Spanned<u64>>,
    sparkplug_host_id: Option<Spanned<String>>,
    #[serde(default)]
    json: Vec<RawJsonRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJsonRule {
    filter: Spanned<String>,
    timestamp: Option<Spanned<String>>,
    timestamp_unit: Option<Spanned<String>>,
}

/// Why a `broker` is not `host:port`; the text is the engineer's message, as written in the diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum BrokerError {
    #[error("'{0}' must be HOST:PORT, e.g. 127.0.0.1:1883")]
    NotHostPort(String),
    #[error("port in '{0}' must be 1–65535")]
    Port(String),
}

/// `host:port` → (host, port); an IPv6 host may be bracketed (`[::1]:1883`).
pub(super) fn host_port(s: &str) -> Result<(String, u16), BrokerError> {
    let not_host_port = || BrokerError::NotHostPort(s.to_owned());
    let (host, port) = s.rsplit_once(':').ok_or_else(not_host_port)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(['/', ' ']) {
        return Err(not_host_port());
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| BrokerError::Port(s.to_owned()))?;
    Ok((host.to_owned(), port))
}

/// What a missing `[driver.mqtt]` table needs at least.
pub(super) const NEEDS: &str = "an 'mqtt' driver needs a [driver.mqtt] table (at least broker = \"HOST:PORT\")";

/// An MQTT driver named `driver_name` from its `[driver.mqtt]` table; `None` after any problem.
pub(super) fn driver(
    opts: RawMqttOptions,
    driver_name: &str,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    use crate::driver::mqtt::topic;
    let before = errs.len();
    let (host, port) = match host_port(opts.broker.get_ref()) {
        Ok(hp) => hp,
        Err(e) => {
            errs.push(src.at(opts.broker.span(), e.to_string()));
            (String::new(), 0)
        }
    };
    let client_id = match &opts.client_id {
        Some(c) if c.get_ref().is_empty() || c.get_ref().len() > 128 => {
            errs.push(src.at(c.span(), "client_id must be 1–128 characters"));
            String::new()
        }
        Some(c) => c.get_ref().clone(),
        // Unique per process, so two consoles on one site do not kick each other off the broker.
        None => format!("wellconsole-{driver_name}-{}", std::process::id()),
    };
    let password = secret(&opts.password, &opts.password_env, "the broker password", src, errs);
    let credentials = match (&opts.username, password) {
        (Some(u), p) => Some(Credentials {
            username: u.get_ref().clone(),
            password: p.unwrap_or_default(),
        }),
        (None, Some(_)) => {
            let span = opts
                .password
                .as_ref()
                .or(opts.password_env.as_ref())
                .map_or(0..0, Spanned::span);
            errs.push(src.at(span, "a password needs a username"));
            None
        }
        (None, None) => None,
    };
    let tls = opts
        .tls
        .as_ref()
        .and_then(|t| tls_settings(t.get_ref(), files, src, errs));
    let keep_alive = opts.keep_alive_s.as_ref().map_or(15, |k| *k.get_ref());
    if let Some(k) = &opts.keep_alive_s
        && !(1..=3_600).contains(&keep_alive)
    {
        errs.push(src.at(k.span(), "keep_alive_s must be between 1 and 3600"));
    }
    let qos = match opts.qos.as_ref().map(|q| (*q.get_ref(), q.span())) {
        None | Some((1, _)) => Qos::AtLeastOnce,
        Some((0, _)) => Qos::AtMostOnce,
        Some((_, span)) => {
            errs.push(src.at(span, "qos must be 0 or 1"));
            Qos::AtLeastOnce
        }
    };
    let timeout_ms = opts.timeout_ms.as_ref().map_or(5_000, |t| *t.get_ref());
    if let Some(t) = &opts.timeout_ms
        && !(100..=60_000).contains(&timeout_ms)
    {
        errs.push(src.at(t.span(), "timeout_ms must be between 100 and 60000"));
    }
    let host_id = opts.sparkplug_host_id.as_ref().and_then(|h| {
        if crate::driver::mqtt::address::valid_id(h.get_ref()) {
            Some(h.get_ref().clone())
        } else {
            errs.push(src.at(
                h.span(),
                "sparkplug_host_id must be one topic level without '/', '+' or '#'",
            ));
            None
        }
    });
    let mut json_rules: Vec<JsonRule> = Vec::new();
    for r in &opts.json {
        let filter = r.filter.get_ref();
        if let Err(e) = topic::validate_filter(filter) {
            errs.push(src.at(r.filter.span(), format!("filter '{filter}': {e}")));
            continue;
        }
        if json_rules.iter().any(|j| &j.filter == filter) {
            errs.push(src.at(r.filter.span(), format!("filter '{filter}' is listed twice")));
            continue;
        }
        let unit = match r.timestamp_unit.as_ref().map(|u| (u.get_ref().as_str(), u.span())) {
            None | Some(("ms", _)) => TimeUnit::Millis,
            Some(("s", _)) => TimeUnit::Seconds,
            Some(("us", _)) => TimeUnit::Micros,
            Some((_, span)) => {
                errs.push(src.at(span, "timestamp_unit must be 's', 'ms' or 'us'"));
                TimeUnit::Millis
            }
        };
        let timestamp = match &r.timestamp {
            Some(p) if !p.get_ref().starts_with('/') => {
                errs.push(src.at(
                    p.span(),
                    "timestamp must be a JSON pointer starting with '/', e.g. '/ts'",
                ));
                None
            }
            Some(p) => Some(TimestampField {
                pointer: p.get_ref().clone(),
                unit,
            }),
            None => None,
        };
        json_rules.push(JsonRule {
            filter: filter.clone(),
            timestamp,
        });
    }
    if errs.len() > before {
        return None;
    }
    let cfg = MqttConfig {
        host,
        port,
        client_id,
        credentials,
        tls,
        keep_alive: Duration::from_secs(keep_alive),
        qos,
        timeout: Duration::from_millis(timeout_ms),
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_secs(10),
        json_rules,
        json_tags: Vec::new(),
        host_id,
        sparkplug_tags: Vec::new(),
    };
    Some((DriverKind::Mqtt(cfg), AddressBook::Mqtt))
}

/// The tag each Sparkplug metric is bound to, by driver and metric path: a metric feeds one tag.
pub(super) type BoundMetrics = HashMap<(DriverId, String), String>;

/// A tag's MQTT half: the topic or metric its driver takes its value from, once the tag has an id.
pub(super) struct TagBinding {
    address: MqttAddress,
    scaling: Scaling,
}

impl TagBinding {
    /// Sparkplug B reports by exception: a quiet metric is not stale (deaths mark lost links).
    pub(super) fn reports_by_exception(&self) -> bool {
        matches!(self.address, MqttAddress::Sparkplug(_))
    }

    pub(super) fn attach(self, cfg: &mut MqttConfig, tag: TagId, kind: ValueKind, writable: bool) {
        let scaling = self.scaling;
        match self.address {
            MqttAddress::Json { topic, pointer } => cfg.json_tags.push(JsonTag {
                tag,
                topic,
                pointer,
                kind,
                scaling,
            }),
            MqttAddress::Sparkplug(path) => cfg.sparkplug_tags.push(SparkplugTag {
                tag,
                path,
                kind,
                scaling,
                writable,
            }),
        }
    }
}

/// A tag on the MQTT driver `driver`: its address parsed, its scaling and `writable` checked against what
/// the address is, its Sparkplug metric claimed in `bound`. `None` when the tag cannot be made.
pub(super) fn bind(
    tag: &TagEntry<'_>,
    driver: DriverId,
    bound: &mut BoundMetrics,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(ValueKind, TagBinding)> {
    let (t, name) = (tag.raw, tag.name);
    let parsed = match tag.address.parse::<MqttAddress>() {
        Ok(a) => a,
        Err(e) => {
            errs.push(src.at(tag.address_span.clone(), e.to_string()));
            return None;
        }
    };
    let scaling = scaling_of(t, src, errs);
    let kind = tag.declared.unwrap_or(ValueKind::F64);
    if !scaling.is_identity() && matches!(kind, ValueKind::Bool | ValueKind::String) {
        let span = t
            .gain
            .as_ref()
            .or(t.offset.as_ref())
            .map_or(t.name.span(), Spanned::span);
        errs.push(src.at(span, "gain and offset apply to numeric tags only"));
    }
    if tag.writable && matches!(parsed, MqttAddress::Json { .. }) {
        errs.push(src.at(
            tag.address_span.clone(),
            format!("tag '{name}' is writable but JSON topics are read-only here; write through a Sparkplug B metric (DCMD/NCMD) instead"),
        ));
    }
    if let MqttAddress::Sparkplug(path) = &parsed {
        let key = (driver, path.to_string());
        if let Some(other) = bound.get(&key) {
            errs.push(src.at(
                tag.address_span.clone(),
                format!("metric '{path}' is already bound to tag '{other}'; bind each Sparkplug metric once"),
            ));
        } else {
            bound.insert(key, name.to_owned());
        }
    }
    Some((
        kind,
        TagBinding {
            address: parsed,
            scaling,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::{BrokerError, host_port};

    #[test]
    fn broker_is_host_and_port() {
        let ok = |s: &str, host: &str, port: u16| assert_eq!(host_port(s), Ok((host.to_owned(), port)), "{s}");
        ok("127.0.0.1:1883", "127.0.0.1", 1883);
        ok("broker.plant.local:8883", "broker.plant.local", 8883);
        ok("[::1]:1883", "::1", 1883);
    }

    #[test]
    fn broker_problems_read_as_before() {
        let message = |s: &str| host_port(s).map_err(|e| e.to_string()).err();
        for s in ["broker", ":1883", "a b:1883", "tcp://broker/x:1883"] {
            assert_eq!(
                message(s),
                Some(format!("'{s}' must be HOST:PORT, e.g. 127.0.0.1:1883")),
                "{s}"
            );
        }
        for s in ["broker:0", "broker:x", "broker:65536", "broker:"] {
            assert_eq!(host_port(s), Err(BrokerError::Port(s.to_owned())), "{s}");
            assert_eq!(message(s), Some(format!("port in '{s}' must be 1–65535")), "{s}");
        }
    }
}
