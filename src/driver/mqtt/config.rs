//! Validated MQTT driver settings and tag bindings, built by the project loader.

use super::address::MetricPath;
use crate::driver::modbus::codec::Scaling;
use crate::tag::{BadReason, Quality, TagId, Value, ValueKind};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    AtMostOnce,
    AtLeastOnce,
}

/// TLS material, read from the project's files when the project is loaded (so `check` reports a missing
/// or unreadable certificate, not the driver at 3 a.m.).
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM: the CA certificates that sign the broker's certificate (the broker host name is checked).
    pub ca_pem: Vec<u8>,
    /// PEM certificate chain and private key for client-certificate authentication.
    pub client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material into logs.
        f.debug_struct("TlsSettings")
            .field("ca_pem_bytes", &self.ca_pem.len())
            .field("client_auth", &self.client_auth.is_some())
            .finish()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Millis,
    Micros,
}

/// Where a JSON payload carries its acquisition time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampField {
    pub pointer: String,
    /// For numbers; strings are read as RFC 3339.
    pub unit: TimeUnit,
}

/// A subscription for JSON payloads, with how to read their timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonRule {
    pub filter: String,
    pub timestamp: Option<TimestampField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonTag {
    pub tag: TagId,
    pub topic: String,
    pub pointer: String,
    pub kind: ValueKind,
    pub scaling: Scaling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SparkplugTag {
    pub tag: TagId,
    pub path: MetricPath,
    pub kind: ValueKind,
    pub scaling: Scaling,
    pub writable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MqttConfig {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub credentials: Option<Credentials>,
    pub tls: Option<TlsSettings>,
    pub keep_alive: Duration,
    pub qos: Qos,
    /// Connecting, and waiting for a command's read-back.
    pub timeout: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub json_rules: Vec<JsonRule>,
    pub json_tags: Vec<JsonTag>,
    /// Sparkplug host id: when set, the driver publishes STATE as that primary host.
    pub host_id: Option<String>,
    pub sparkplug_tags: Vec<SparkplugTag>,
}

impl MqttConfig {
    pub fn describe(&self) -> String {
        format!(
            "{}{}:{}",
            if self.tls.is_some() { "mqtts://" } else { "mqtt://" },
            self.host,
            self.port
        )
    }
}

/// A number from the wire as a value of the tag's kind, with scaling applied to numeric tags.
/// A number that cannot be represented (fraction into an integer tag, NaN) is a bad sample, not a panic.
pub fn number_to(kind: ValueKind, n: Number, scaling: Scaling) -> Result<Value, Quality> {
    let as_f64 = match n {
        Number::F(f) => f,
        Number::I(i) => i as f64,
        Number::U(u) => u as f64,
    };
    match kind {
        ValueKind::F64 => {
            let v = as_f64 * scaling.gain + scaling.offset;
            if v.is_nan() {
                Err(Quality::Bad(BadReason::SensorFail))
            } else {
                Ok(Value::F64(v))
            }
        }
        ValueKind::I64 if scaling.is_identity() => match n {
            Number::I(i) => Ok(Value::I64(i)),
            Number::U(u) => i64::try_from(u)
                .map(Value::I64)
                .map_err(|_| Quality::Bad(BadReason::OutOfRange)),
            Number::F(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::I64(f as i64)),
            Number::F(_) => Err(Quality::Bad(BadReason::ConfigError)),
        },
        ValueKind::I64 => {
            let v = (as_f64 * scaling.gain + scaling.offset).round();
            if v.is_finite() && v.abs() < 9.0e15 {
                Ok(Value::I64(v as i64))
            } else {
                Err(Quality::Bad(BadReason::OutOfRange))
            }
        }
        // 0/1 is how many devices publish a discrete; anything else is a mapping mistake.
        ValueKind::Bool => match as_f64 {
            0.0 => Ok(Value::Bool(false)),
            1.0 => Ok(Value::Bool(true)),
            _ => Err(Quality::Bad(BadReason::ConfigError)),
        },
        ValueKind::String => Ok(Value::str(&match n {
            Number::F(f) => f.to_string(),
            Number::I(i) => i.to_string(),
            Number::U(u) => u.to_string(),
        })),
    }
}

/// A number as it arrived: JSON and Sparkplug both keep integers exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    F(f64),
    I(i64),
    U(u64),
}

/// A boolean or string from the wire as a value of the tag's kind.
pub fn bool_to(kind: ValueKind, b: bool) -> Result<Value, Quality> {
    match kind {
        ValueKind::Bool => Ok(Value::Bool(b)),
        ValueKind::I64 => Ok(Value::I64(i64::from(b))),
        ValueKind::F64 => Ok(Value::F64(f64::from(u8::from(b)))),
        ValueKind::String => Ok(Value::str(if b { "true" } else { "false" })),
    }
}

pub fn str_to(kind: ValueKind, s: &str) -> Result<Value, Quality> {
    match kind {
        ValueKind::String => Ok(Value::str(s)),
        _ => Err(Quality::Bad(BadReason::ConfigError)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_convert_to_the_tag_kind_or_a_reasoned_bad_quality() {
        let id = Scaling::default();
        let x10 = Scaling { gain: 0.1, offset: 0.0 };
        assert_eq!(number_to(ValueKind::F64, Number::I(250), x10), Ok(Value::F64(25.0)));
        assert_eq!(number_to(ValueKind::I64, Number::F(3.0), id), Ok(Value::I64(3)));
        assert_eq!(
            number_to(ValueKind::I64, Number::F(3.5), id),
            Err(Quality::Bad(BadReason::ConfigError))
        );
        assert_eq!(
            number_to(ValueKind::I64, Number::U(u64::MAX), id),
            Err(Quality::Bad(BadReason::OutOfRange))
        );
        assert_eq!(number_to(ValueKind::Bool, Number::I(1), id), Ok(Value::Bool(true)));
        assert_eq!(
            number_to(ValueKind::Bool, Number::I(2), id),
            Err(Quality::Bad(BadReason::ConfigError))
        );
        assert_eq!(
            number_to(ValueKind::F64, Number::F(f64::NAN), id),
            Err(Quality::Bad(BadReason::SensorFail))
        );
        assert_eq!(str_to(ValueKind::F64, "x"), Err(Quality::Bad(BadReason::ConfigError)));
        assert_eq!(bool_to(ValueKind::F64, true), Ok(Value::F64(1.0)));
    }
}
