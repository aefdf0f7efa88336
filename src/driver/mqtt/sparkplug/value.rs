//! Sparkplug B metric values ↔ tag values, by the metric's data type (Sparkplug 3.0 §6.4.16–17):
//! Int8/16/32 travel as two's complement in `int_value`, Int64 in `long_value`, unsigned types
//! zero-extended, DateTime as ms since the epoch.

use super::proto::payload::{Metric, metric};
use crate::driver::modbus::codec::Scaling;
use crate::driver::mqtt::config::{Number, bool_to, number_to, str_to};
use crate::tag::{BadReason, Quality, Value, ValueKind};

pub mod datatype {
    pub const INT8: u32 = 1;
    pub const INT16: u32 = 2;
    pub const INT32: u32 = 3;
    pub const INT64: u32 = 4;
    pub const UINT8: u32 = 5;
    pub const UINT16: u32 = 6;
    pub const UINT32: u32 = 7;
    pub const UINT64: u32 = 8;
    pub const FLOAT: u32 = 9;
    pub const DOUBLE: u32 = 10;
    pub const BOOLEAN: u32 = 11;
    pub const STRING: u32 = 12;
    pub const DATETIME: u32 = 13;
    pub const TEXT: u32 = 14;
    pub const UUID: u32 = 15;
}

/// The metric's value as a value of the tag's kind, or the quality that explains why not.
pub fn decode(m: &Metric, datatype: u32, kind: ValueKind, scaling: Scaling) -> Result<Value, Quality> {
    use datatype::*;
    if m.is_null == Some(true) {
        return Err(Quality::Bad(BadReason::SensorFail));
    }
    let Some(v) = &m.value else {
        return Err(Quality::Bad(BadReason::SensorFail));
    };
    match v {
        metric::Value::IntValue(u) => {
            let n = match datatype {
                INT8 | INT16 | INT32 => Number::I(i64::from(*u as i32)),
                _ => Number::U(u64::from(*u)),
            };
            number_to(kind, n, scaling)
        }
        metric::Value::LongValue(u) => {
            let n = match datatype {
                INT64 | DATETIME => Number::I(*u as i64),
                _ => Number::U(*u),
            };
            number_to(kind, n, scaling)
        }
        metric::Value::FloatValue(f) => number_to(kind, Number::F(f64::from(*f)), scaling),
        metric::Value::DoubleValue(f) => number_to(kind, Number::F(*f), scaling),
        metric::Value::BooleanValue(b) => bool_to(kind, *b),
        metric::Value::StringValue(s) => str_to(kind, s),
        metric::Value::BytesValue(_) => Err(Quality::Bad(BadReason::ConfigError)),
    }
}

/// Whether a reported metric value is exactly the one a command carried, as the metric's type holds it:
/// integers, booleans and strings equal, a Float equal as the f32 the command carried, a Double as the f64.
/// Nothing merely near counts: a value on its way somewhere else (a ramp) is not the written one.
pub fn reports_sent(reported: &metric::Value, sent: &metric::Value) -> bool {
    use metric::Value as V;
    match (sent, reported) {
        // An edge node that puts a Float metric in the double field still holds an f32.
        (V::FloatValue(s), V::DoubleValue(r)) => (*r as f32) == *s,
        (V::DoubleValue(s), V::FloatValue(r)) => f64::from(*r) == *s,
        _ => reported == sent,
    }
}

/// Quality a publisher attached as the `Quality` property (OPC DA codes, as Ignition publishes them:
/// 192 good, 64–191 uncertain, below 64 bad).
pub fn property_quality(m: &Metric) -> Option<Quality> {
    let props = m.properties.as_ref()?;
    let i = props.keys.iter().position(|k| k == "Quality")?;
    let code = match props.values.get(i)?.value.as_ref()? {
        super::proto::payload::property_value::Value::IntValue(c) => i64::from(*c),
        super::proto::payload::property_value::Value::LongValue(c) => *c as i64,
        _ => return None,
    };
    Some(match code {
        192.. => Quality::Good,
        64..=191 => Quality::Uncertain,
        _ => Quality::Bad(BadReason::SensorFail),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("{value} does not fit the metric's type {datatype}")]
    OutOfRange { value: String, datatype: &'static str },
    #[error("a {value_kind} cannot be written to a metric of type {datatype}")]
    WrongKind {
        value_kind: &'static str,
        datatype: &'static str,
    },
}

pub fn datatype_name(dt: u32) -> &'static str {
    use datatype::*;
    match dt {
        INT8 => "Int8",
        INT16 => "Int16",
        INT32 => "Int32",
        INT64 => "Int64",
        UINT8 => "UInt8",
        UINT16 => "UInt16",
        UINT32 => "UInt32",
        UINT64 => "UInt64",
        FLOAT => "Float",
        DOUBLE => "Double",
        BOOLEAN => "Boolean",
        STRING => "String",
        DATETIME => "DateTime",
        TEXT => "Text",
        UUID => "UUID",
        _ => "unsupported",
    }
}

/// The natural Sparkplug type for a tag value, for publishers (the simulator's edge node).
pub fn datatype_for(v: &Value) -> u32 {
    match v {
        Value::F64(_) => datatype::DOUBLE,
        Value::I64(_) => datatype::INT64,
        Value::Bool(_) => datatype::BOOLEAN,
        Value::Str(_) => datatype::STRING,
    }
}

/// A tag value (engineering units) as the metric value of `datatype` (raw units).
pub fn encode(v: &Value, datatype: u32, scaling: Scaling) -> Result<metric::Value, EncodeError> {
    use datatype::*;
    let name = datatype_name(datatype);
    let wrong = |k: &'static str| EncodeError::WrongKind {
        value_kind: k,
        datatype: name,
    };
    let raw = |x: f64| (x - scaling.offset) / scaling.gain;
    let out_of_range = || EncodeError::OutOfRange {
        value: v.display(6),
        datatype: name,
    };
    let integer = |lo: f64, hi: f64| -> Result<i128, EncodeError> {
        let x = match v {
            Value::F64(f) => raw(*f).round(),
            Value::I64(i) if scaling.is_identity() => *i as f64,
            Value::I64(i) => raw(*i as f64).round(),
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Str(_) => return Err(wrong("string")),
        };
        if x.is_finite() && (lo..=hi).contains(&x) {
            Ok(x as i128)
        } else {
            Err(out_of_range())
        }
    };
    Ok(match datatype {
        INT8 => metric::Value::IntValue(integer(-128.0, 127.0)? as i32 as u32),
        INT16 => metric::Value::IntValue(integer(-32768.0, 32767.0)? as i32 as u32),
        INT32 => metric::Value::IntValue(integer(-2_147_483_648.0, 2_147_483_647.0)? as i32 as u32),
        UINT8 => metric::Value::IntValue(integer(0.0, 255.0)? as u32),
        UINT16 => metric::Value::IntValue(integer(0.0, 65535.0)? as u32),
        UINT32 => metric::Value::IntValue(integer(0.0, 4_294_967_295.0)? as u32),
        INT64 | DATETIME => match v {
            Value::I64(i) if scaling.is_identity() => metric::Value::LongValue(*i as u64),
            _ => metric::Value::LongValue(integer(-9.0e18, 9.0e18)? as i64 as u64),
        },
        UINT64 => match v {
            Value::I64(i) if scaling.is_identity() && *i >= 0 => metric::Value::LongValue(*i as u64),
            _ => metric::Value::LongValue(integer(0.0, 1.8e19)? as u64),
        },
        FLOAT | DOUBLE => {
            let x = match v {
                Value::F64(f) => raw(*f),
                Value::I64(i) => raw(*i as f64),
                Value::Bool(_) => return Err(wrong("boolean")),
                Value::Str(_) => return Err(wrong("string")),
            };
            if !x.is_finite() {
                return Err(out_of_range());
            }
            if datatype == FLOAT {
                metric::Value::FloatValue(x as f32)
            } else {
                metric::Value::DoubleValue(x)
            }
        }
        BOOLEAN => match v {
            Value::Bool(b) => metric::Value::BooleanValue(*b),
            Value::I64(i @ (0 | 1)) => metric::Value::BooleanValue(*i == 1),
            Value::I64(_) | Value::F64(_) => return Err(out_of_range()),
            Value::Str(_) => return Err(wrong("string")),
        },
        STRING | TEXT | UUID => match v {
            Value::Str(s) => metric::Value::StringValue(s.to_string()),
            _ => return Err(wrong("number")),
        },
        _ => {
            return Err(EncodeError::WrongKind {
                value_kind: "value",
                datatype: name,
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::datatype::*;
    use super::*;

    fn metric(v: metric::Value) -> Metric {
        Metric {
            value: Some(v),
            ..Metric::default()
        }
    }

    #[test]
    fn signed_types_are_twos_complement() {
        let id = Scaling::default();
        let m = metric(metric::Value::IntValue((-5i32) as u32));
        assert_eq!(decode(&m, INT8, ValueKind::I64, id), Ok(Value::I64(-5)));
        assert_eq!(decode(&m, UINT32, ValueKind::I64, id), Ok(Value::I64(4_294_967_291)));
        let m = metric(metric::Value::LongValue((-7i64) as u64));
        assert_eq!(decode(&m, INT64, ValueKind::I64, id), Ok(Value::I64(-7)));
        assert_eq!(
            encode(&Value::I64(-5), INT16, id),
            Ok(metric::Value::IntValue((-5i32) as u32))
        );
        assert!(encode(&Value::I64(300), INT8, id).is_err());
        assert!(encode(&Value::I64(-1), UINT16, id).is_err());
    }

    #[test]
    fn every_type_round_trips_through_encode_and_decode() {
        let id = Scaling::default();
        let cases = [
            (INT8, Value::I64(-100), ValueKind::I64),
            (INT16, Value::I64(-30_000), ValueKind::I64),
            (INT32, Value::I64(-2_000_000_000), ValueKind::I64),
            (INT64, Value::I64(-9_000_000_000_000), ValueKind::I64),
            (UINT8, Value::I64(200), ValueKind::I64),
            (UINT16, Value::I64(60_000), ValueKind::I64),
            (UINT32, Value::I64(4_000_000_000), ValueKind::I64),
            (UINT64, Value::I64(1 << 40), ValueKind::I64),
            (FLOAT, Value::F64(52.5), ValueKind::F64),
            (DOUBLE, Value::F64(1234.5678), ValueKind::F64),
            (BOOLEAN, Value::Bool(true), ValueKind::Bool),
            (STRING, Value::str("PUMPING"), ValueKind::String),
        ];
        for (dt, v, kind) in cases {
            let m = metric(encode(&v, dt, id).unwrap());
            assert_eq!(decode(&m, dt, kind, id), Ok(v.clone()), "{}", datatype_name(dt));
        }
        // Scaling: engineering 52.5 Hz written as raw tenths.
        let tenths = Scaling { gain: 0.1, offset: 0.0 };
        assert_eq!(
            encode(&Value::F64(52.5), UINT16, tenths),
            Ok(metric::Value::IntValue(525))
        );
        let m = metric(metric::Value::IntValue(525));
        assert_eq!(decode(&m, UINT16, ValueKind::F64, tenths), Ok(Value::F64(52.5)));
    }

    #[test]
    fn a_report_matches_a_command_only_exactly_as_the_type_holds_it() {
        use metric::Value as V;
        // 52.3 is not an f32: the command carried the nearest one, and that is what comes back.
        let sent = encode(&Value::F64(52.3), FLOAT, Scaling::default()).unwrap();
        assert_eq!(sent, V::FloatValue(52.3f32));
        assert!(reports_sent(&V::FloatValue(52.3), &sent));
        assert!(reports_sent(&V::DoubleValue(f64::from(52.3f32)), &sent));
        assert!(!reports_sent(&V::FloatValue(52.29999), &sent), "near is not equal");
        assert!(!reports_sent(&V::FloatValue(52.4), &sent));
        assert!(reports_sent(&V::DoubleValue(52.3), &V::DoubleValue(52.3)));
        assert!(!reports_sent(&V::DoubleValue(52.300_000_001), &V::DoubleValue(52.3)));
        assert!(reports_sent(&V::IntValue(7), &V::IntValue(7)));
        assert!(!reports_sent(&V::IntValue(8), &V::IntValue(7)));
        assert!(
            !reports_sent(&V::LongValue(7), &V::IntValue(7)),
            "not the field the type travels in"
        );
        assert!(reports_sent(&V::BooleanValue(true), &V::BooleanValue(true)));
        assert!(!reports_sent(&V::BooleanValue(false), &V::BooleanValue(true)));
        assert!(reports_sent(
            &V::StringValue("AUTO".into()),
            &V::StringValue("AUTO".into())
        ));
        assert!(!reports_sent(
            &V::StringValue("auto".into()),
            &V::StringValue("AUTO".into())
        ));
    }

    #[test]
    fn null_and_quality_property() {
        let id = Scaling::default();
        let m = Metric {
            is_null: Some(true),
            ..Metric::default()
        };
        assert_eq!(
            decode(&m, DOUBLE, ValueKind::F64, id),
            Err(Quality::Bad(BadReason::SensorFail))
        );
        let with_q = |code: u32| Metric {
            properties: Some(super::super::proto::payload::PropertySet {
                keys: vec!["engUnit".into(), "Quality".into()],
                values: vec![
                    super::super::proto::payload::PropertyValue {
                        r#type: Some(STRING),
                        value: Some(super::super::proto::payload::property_value::Value::StringValue(
                            "psi".into(),
                        )),
                        ..Default::default()
                    },
                    super::super::proto::payload::PropertyValue {
                        r#type: Some(INT32),
                        value: Some(super::super::proto::payload::property_value::Value::IntValue(code)),
                        ..Default::default()
                    },
                ],
            }),
            ..Metric::default()
        };
        assert_eq!(property_quality(&with_q(192)), Some(Quality::Good));
        assert_eq!(property_quality(&with_q(64)), Some(Quality::Uncertain));
        assert_eq!(property_quality(&with_q(0)), Some(Quality::Bad(BadReason::SensorFail)));
        assert_eq!(property_quality(&Metric::default()), None);
    }
}
