//! JSON payloads → samples: one hash lookup per message by topic, then one JSON pointer per bound tag.
//! Pure: no I/O, no clock (the caller passes the receive time), so it is tested and fuzzed directly.

use super::config::{JsonRule, JsonTag, Number, TimeUnit, TimestampField, bool_to, number_to, str_to};
use super::topic;
use crate::driver::modbus::codec::Scaling;
use crate::tag::{BadReason, Quality, Sample, TagId, Timestamp, ValueKind};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("payload on '{topic}' is not JSON: {reason}")]
    NotJson { topic: String, reason: String },
}

/// What one message did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Routed {
    /// Samples produced.
    pub samples: usize,
    /// Bound pointers the payload did not contain (payloads may carry a subset of fields).
    pub missing: usize,
    /// The payload's timestamp field was present but unreadable; receive time was used.
    pub bad_timestamp: bool,
    /// No tag is bound to this topic.
    pub unbound: bool,
}

struct Binding {
    tag: TagId,
    pointer: String,
    kind: ValueKind,
    scaling: Scaling,
}

struct TopicBindings {
    timestamp: Option<TimestampField>,
    items: Vec<Binding>,
}

pub struct JsonRouter {
    by_topic: HashMap<String, TopicBindings>,
    subscriptions: Vec<String>,
}

impl JsonRouter {
    /// Each tag's topic takes the timestamp field of the first rule whose filter matches it. Topics no
    /// rule covers are subscribed to by name.
    pub fn new(rules: &[JsonRule], tags: &[JsonTag]) -> Self {
        let mut by_topic: HashMap<String, TopicBindings> = HashMap::new();
        let mut subscriptions: Vec<String> = rules.iter().map(|r| r.filter.clone()).collect();
        for t in tags {
            let entry = by_topic.entry(t.topic.clone()).or_insert_with(|| {
                let rule = rules.iter().find(|r| topic::matches(&r.filter, &t.topic));
                if rule.is_none() {
                    subscriptions.push(t.topic.clone());
                }
                TopicBindings {
                    timestamp: rule.and_then(|r| r.timestamp.clone()),
                    items: Vec::new(),
                }
            });
            entry.items.push(Binding {
                tag: t.tag,
                pointer: t.pointer.clone(),
                kind: t.kind,
                scaling: t.scaling,
            });
        }
        Self {
            by_topic,
            subscriptions,
        }
    }

    pub fn subscriptions(&self) -> &[String] {
        &self.subscriptions
    }

    pub fn is_empty(&self) -> bool {
        self.by_topic.is_empty()
    }

    /// Every bound tag, for marking them all at once (e.g. CommFail on disconnect).
    pub fn tags(&self) -> impl Iterator<Item = TagId> + '_ {
        self.by_topic.values().flat_map(|b| b.items.iter().map(|i| i.tag))
    }

    pub fn route(
        &self,
        topic: &str,
        payload: &[u8],
        now: Timestamp,
        out: &mut Vec<Sample>,
    ) -> Result<Routed, JsonError> {
        let Some(bindings) = self.by_topic.get(topic) else {
            return Ok(Routed {
                unbound: true,
                ..Routed::default()
            });
        };
        let doc: serde_json::Value = serde_json::from_slice(payload).map_err(|e| JsonError::NotJson {
            topic: topic.to_owned(),
            reason: e.to_string(),
        })?;
        let mut routed = Routed::default();
        let ts = match &bindings.timestamp {
            Some(field) => match doc.pointer(&field.pointer) {
                None => now,
                Some(v) => parse_timestamp(v, field.unit).unwrap_or_else(|| {
                    routed.bad_timestamp = true;
                    now
                }),
            },
            None => now,
        };
        for b in &bindings.items {
            let Some(v) = doc.pointer(&b.pointer) else {
                routed.missing += 1;
                continue;
            };
            let converted = match v {
                serde_json::Value::Number(n) => {
                    let n = if let Some(i) = n.as_i64() {
                        Number::I(i)
                    } else if let Some(u) = n.as_u64() {
                        Number::U(u)
                    } else {
                        Number::F(n.as_f64().unwrap_or(f64::NAN))
                    };
                    number_to(b.kind, n, b.scaling)
                }
                serde_json::Value::Bool(x) => bool_to(b.kind, *x),
                serde_json::Value::String(s) => str_to(b.kind, s),
                // A publisher that sends null says "I have no value": the sensor, not the link, failed.
                serde_json::Value::Null => Err(Quality::Bad(BadReason::SensorFail)),
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => Err(Quality::Bad(BadReason::ConfigError)),
            };
            out.push(match converted {
                Ok(value) => Sample::good(b.tag, value, ts),
                Err(quality) => Sample {
                    tag: b.tag,
                    value: None,
                    quality,
                    source_ts: ts,
                },
            });
            routed.samples += 1;
        }
        Ok(routed)
    }
}

fn parse_timestamp(v: &serde_json::Value, unit: TimeUnit) -> Option<Timestamp> {
    match v {
        serde_json::Value::Number(n) => {
            let x = n.as_f64()?;
            let micros = match unit {
                TimeUnit::Seconds => x * 1e6,
                TimeUnit::Millis => x * 1e3,
                TimeUnit::Micros => x,
            };
            // Years 1970..=2200: anything else is a unit mistake, not a time.
            (0.0..7.3e15).contains(&micros).then_some(Timestamp(micros as i64))
        }
        serde_json::Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| Timestamp(t.timestamp_micros())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::Value;

    fn tag(id: u32, topic: &str, pointer: &str, kind: ValueKind) -> JsonTag {
        JsonTag {
            tag: TagId(id),
            topic: topic.into(),
            pointer: pointer.into(),
            kind,
            scaling: Scaling::default(),
        }
    }

    fn router() -> JsonRouter {
        let rules = [JsonRule {
            filter: "site/+/telemetry".into(),
            timestamp: Some(TimestampField {
                pointer: "/ts".into(),
                unit: TimeUnit::Millis,
            }),
        }];
        let tags = [
            tag(0, "site/esp01/telemetry", "/motor/temp_f", ValueKind::F64),
            tag(1, "site/esp01/telemetry", "/running", ValueKind::Bool),
            tag(2, "site/esp01/telemetry", "/mode", ValueKind::String),
            tag(3, "site/esp01/telemetry", "/starts", ValueKind::I64),
            tag(4, "plant/flow", "", ValueKind::F64),
        ];
        JsonRouter::new(&rules, &tags)
    }

    #[test]
    fn routes_pointers_with_payload_timestamps() {
        let r = router();
        assert_eq!(r.subscriptions(), ["site/+/telemetry", "plant/flow"]);
        let mut out = Vec::new();
        let now = Timestamp(5);
        let got = r
            .route(
                "site/esp01/telemetry",
                br#"{"ts": 1700000000123, "motor": {"temp_f": 212.5}, "running": true, "mode": "AUTO", "starts": 17}"#,
                now,
                &mut out,
            )
            .unwrap();
        assert_eq!(got.samples, 4);
        assert!(out.iter().all(|s| s.source_ts == Timestamp(1_700_000_000_123_000)));
        assert_eq!(out[0].value, Some(Value::F64(212.5)));
        assert_eq!(out[1].value, Some(Value::Bool(true)));
        assert_eq!(out[2].value, Some(Value::str("AUTO")));
        assert_eq!(out[3].value, Some(Value::I64(17)));

        out.clear();
        let got = r.route("plant/flow", b"12.25", now, &mut out).unwrap();
        assert_eq!((got.samples, out[0].source_ts), (1, now));
        assert_eq!(out[0].value, Some(Value::F64(12.25)));
    }

    #[test]
    fn partial_null_and_mistyped_payloads() {
        let r = router();
        let mut out = Vec::new();
        let got = r
            .route(
                "site/esp01/telemetry",
                br#"{"ts": "2026-11-23T01:02:03.5Z", "motor": {"temp_f": null}, "running": "yes"}"#,
                Timestamp(5),
                &mut out,
            )
            .unwrap();
        assert_eq!((got.samples, got.missing, got.bad_timestamp), (2, 2, false));
        assert_eq!(out[0].quality, Quality::Bad(BadReason::SensorFail));
        assert_eq!(out[1].quality, Quality::Bad(BadReason::ConfigError));
        assert_eq!(out[0].source_ts.to_rfc3339()[..21], *"2026-11-23T01:02:03.5");

        out.clear();
        let got = r
            .route(
                "site/esp01/telemetry",
                br#"{"ts": "yesterday", "starts": 1}"#,
                Timestamp(5),
                &mut out,
            )
            .unwrap();
        assert!(got.bad_timestamp);
        assert_eq!(out[0].source_ts, Timestamp(5));

        assert!(
            r.route("site/esp01/telemetry", b"{not json", Timestamp(5), &mut out)
                .is_err()
        );
        assert!(r.route("other/topic", b"1", Timestamp(5), &mut out).unwrap().unbound);
    }

    proptest::proptest! {
        #[test]
        fn any_payload_is_routed_or_refused_without_panic(payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let r = router();
            let mut out = Vec::new();
            let _ = r.route("site/esp01/telemetry", &payload, Timestamp(0), &mut out);
            let _ = r.route("plant/flow", &payload, Timestamp(0), &mut out);
        }
    }
}
