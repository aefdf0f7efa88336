//! Tag addresses of the MQTT driver, as engineers write them in site.toml:
//!
//! - JSON: `TOPIC#POINTER`, e.g. `wellsite/esp01/telemetry#/motor/temp_f`. The pointer is an RFC 6901
//!   JSON pointer into the payload; `TOPIC` alone binds the whole payload (a bare number or string).
//! - Sparkplug B: `spBv1.0/GROUP/NODE[/DEVICE]#METRIC`, e.g. `spBv1.0/wellsite/edge1/esp01#Motor/Temp`:
//!   the metric as named in the node's or device's birth certificate.

use super::topic;
use std::fmt;
use std::str::FromStr;

pub const SPARKPLUG_NAMESPACE: &str = "spBv1.0";

/// Where a Sparkplug B metric lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetricPath {
    pub group: String,
    pub node: String,
    /// None for a node-level metric.
    pub device: Option<String>,
    pub metric: String,
}

impl fmt::Display for MetricPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SPARKPLUG_NAMESPACE}/{}/{}", self.group, self.node)?;
        if let Some(d) = &self.device {
            write!(f, "/{d}")?;
        }
        write!(f, "#{}", self.metric)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MqttAddress {
    Json { topic: String, pointer: String },
    Sparkplug(MetricPath),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("'{0}': {1}")]
    Topic(String, &'static str),
    #[error(
        "JSON pointer '{0}' after '#' must start with '/' (e.g. '/motor/temp_f'); write the topic alone to bind the whole payload"
    )]
    Pointer(String),
    #[error(
        "Sparkplug address '{0}' must be spBv1.0/GROUP/NODE[/DEVICE]#METRIC (group, node and device without '/', '+' or '#')"
    )]
    Sparkplug(String),
}

/// Sparkplug group, node and device ids: one topic level, no wildcards (Sparkplug 3.0 §4.1.1).
pub fn valid_id(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '+', '#', '\0'])
}

impl FromStr for MqttAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (topic_part, rest) = match s.split_once('#') {
            Some((t, r)) => (t, Some(r)),
            None => (s, None),
        };
        if let Some(spb) = topic_part.strip_prefix("spBv1.0/") {
            let bad = || AddressError::Sparkplug(s.to_owned());
            let metric = rest.filter(|m| !m.is_empty()).ok_or_else(bad)?;
            let levels: Vec<&str> = spb.split('/').collect();
            if !(2..=3).contains(&levels.len()) || !levels.iter().all(|l| valid_id(l)) || levels[0] == "STATE" {
                return Err(bad());
            }
            return Ok(MqttAddress::Sparkplug(MetricPath {
                group: levels[0].to_owned(),
                node: levels[1].to_owned(),
                device: levels.get(2).map(|d| (*d).to_owned()),
                metric: metric.to_owned(),
            }));
        }
        topic::validate_name(topic_part).map_err(|e| AddressError::Topic(topic_part.to_owned(), e))?;
        // `a/#/b` would read as topic `a/` with pointer `/b`: a '#' after a '/' is a wildcard to anyone
        // reading the file, so it is refused rather than guessed.
        if rest.is_some() && (topic_part.ends_with('/') || topic_part.is_empty()) {
            return Err(AddressError::Topic(
                s.to_owned(),
                "'#' right after '/' reads as a multi-level wildcard; a tag binds one topic: TOPIC#/POINTER",
            ));
        }
        let pointer = rest.unwrap_or("");
        // `TOPIC#` is refused: it reads like a wildcard subscription, not a binding.
        if rest.is_some() && !pointer.starts_with('/') {
            return Err(AddressError::Pointer(pointer.to_owned()));
        }
        Ok(MqttAddress::Json {
            topic: topic_part.to_owned(),
            pointer: pointer.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_and_sparkplug_addresses() {
        assert_eq!(
            "wellsite/esp01/telemetry#/motor/temp_f".parse(),
            Ok(MqttAddress::Json {
                topic: "wellsite/esp01/telemetry".into(),
                pointer: "/motor/temp_f".into()
            })
        );
        assert_eq!(
            "plant/flow".parse(),
            Ok(MqttAddress::Json {
                topic: "plant/flow".into(),
                pointer: String::new()
            })
        );
        let spb: MqttAddress = "spBv1.0/wellsite/edge1/esp01#Motor/Temp".parse().unwrap();
        assert_eq!(
            spb,
            MqttAddress::Sparkplug(MetricPath {
                group: "wellsite".into(),
                node: "edge1".into(),
                device: Some("esp01".into()),
                metric: "Motor/Temp".into()
            })
        );
        let MqttAddress::Sparkplug(p) = spb else { unreachable!() };
        assert_eq!(p.to_string(), "spBv1.0/wellsite/edge1/esp01#Motor/Temp");
        let node: MqttAddress = "spBv1.0/g/n#Node Control/Rebirth".parse().unwrap();
        assert!(matches!(node, MqttAddress::Sparkplug(MetricPath { device: None, .. })));
    }

    #[test]
    fn rejects_what_cannot_be_bound() {
        for bad in [
            "a/+/c#/x",
            "a/#",
            "a/#/b",
            "#/b",
            "a/b#x",
            "",
            "spBv1.0/g#m",
            "spBv1.0/g/n/d/e#m",
            "spBv1.0/g/n",
            "spBv1.0/g/n#",
            "spBv1.0/STATE/h#m",
            "spBv1.0/g/+/d#m",
        ] {
            assert!(bad.parse::<MqttAddress>().is_err(), "{bad}");
        }
    }
}
