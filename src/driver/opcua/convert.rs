//! OPC UA values and status codes ↔ tag values and quality. Pure; the driver and the browse command
//! share it.

use crate::driver::modbus::codec::Scaling;
use crate::driver::mqtt::config::{Number, bool_to, number_to, str_to};
use crate::tag::{BadReason, Quality, Sample, TagId, Timestamp, Value, ValueKind};
use opcua::types::{DataValue, DateTime, StatusCode, SubStatusCode, Variant, VariantScalarTypeId};

/// Quality for an OPC UA status code (Part 4 §7.39 and Part 8 §6.3.2): the reason is kept where the
/// operator would act differently on it.
pub fn status_quality(s: StatusCode) -> Quality {
    if s.is_good() {
        return Quality::Good;
    }
    if s.is_uncertain() {
        return Quality::Uncertain;
    }
    use SubStatusCode as C;
    match s.sub_code() {
        C::BadCommunicationError
        | C::BadNotConnected
        | C::BadServerNotConnected
        | C::BadNoCommunication
        | C::BadTimeout
        | C::BadConnectionClosed
        | C::BadSecureChannelClosed
        | C::BadSessionClosed
        | C::BadServerHalted
        | C::BadShutdown => Quality::Bad(BadReason::CommFail),
        C::BadNodeIdUnknown
        | C::BadNodeIdInvalid
        | C::BadAttributeIdInvalid
        | C::BadTypeMismatch
        | C::BadNotReadable
        | C::BadUserAccessDenied
        | C::BadIndexRangeInvalid
        | C::BadDataEncodingUnsupported
        | C::BadMonitoredItemFilterUnsupported => Quality::Bad(BadReason::ConfigError),
        C::BadOutOfRange => Quality::Bad(BadReason::OutOfRange),
        C::BadWaitingForInitialData => Quality::Bad(BadReason::WaitingForData),
        // BadSensorFailure, BadDeviceFailure, BadConfigurationError of the field device, and any other
        // Bad the server reports about the value itself.
        _ => Quality::Bad(BadReason::SensorFail),
    }
}

pub fn to_timestamp(d: &DateTime) -> Timestamp {
    Timestamp(d.as_chrono().timestamp_micros())
}

/// A variant as a value of the tag's kind, or the quality that explains why not.
pub fn variant_to_value(v: &Variant, kind: ValueKind, scaling: Scaling) -> Result<Value, Quality> {
    let n = match v {
        Variant::Boolean(b) => return bool_to(kind, *b),
        Variant::SByte(x) => Number::I(i64::from(*x)),
        Variant::Byte(x) => Number::I(i64::from(*x)),
        Variant::Int16(x) => Number::I(i64::from(*x)),
        Variant::UInt16(x) => Number::I(i64::from(*x)),
        Variant::Int32(x) => Number::I(i64::from(*x)),
        Variant::UInt32(x) => Number::I(i64::from(*x)),
        Variant::Int64(x) => Number::I(*x),
        Variant::UInt64(x) => Number::U(*x),
        Variant::Float(x) => Number::F(f64::from(*x)),
        Variant::Double(x) => Number::F(*x),
        Variant::String(s) => return str_to(kind, s.as_ref()),
        Variant::LocalizedText(t) => return str_to(kind, t.text.as_ref()),
        Variant::DateTime(d) => Number::I(d.as_chrono().timestamp_millis()),
        Variant::Empty => return Err(Quality::Bad(BadReason::SensorFail)),
        _ => return Err(Quality::Bad(BadReason::ConfigError)),
    };
    number_to(kind, n, scaling)
}

/// A data change as a sample: the source timestamp (else the server's, else receive time), the status
/// as quality. A Bad value is not shown as if it were live: the sample carries no value.
pub fn sample(tag: TagId, dv: &DataValue, kind: ValueKind, scaling: Scaling, now: Timestamp) -> Sample {
    let ts = dv
        .source_timestamp
        .as_ref()
        .or(dv.server_timestamp.as_ref())
        .map_or(now, to_timestamp);
    let q = status_quality(dv.status.unwrap_or(StatusCode::Good));
    let value = match (&dv.value, q) {
        (_, Quality::Bad(_)) => None,
        (None, _) => {
            return Sample {
                tag,
                value: None,
                quality: Quality::Bad(BadReason::SensorFail),
                source_ts: ts,
            };
        }
        (Some(v), _) => match variant_to_value(v, kind, scaling) {
            Ok(v) => Some(v),
            Err(bad) => {
                return Sample {
                    tag,
                    value: None,
                    quality: bad,
                    source_ts: ts,
                };
            }
        },
    };
    Sample {
        tag,
        value,
        quality: q,
        source_ts: ts,
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("{0} does not fit the node's type {1:?}")]
    OutOfRange(String, VariantScalarTypeId),
    #[error("a {0} cannot be written to a node of type {1:?}")]
    WrongKind(&'static str, VariantScalarTypeId),
}

/// A tag value (engineering units) as a variant of the node's type (raw units): servers refuse a write
/// whose variant type differs from the variable's data type (BadTypeMismatch).
pub fn value_to_variant(v: &Value, ty: VariantScalarTypeId, scaling: Scaling) -> Result<Variant, EncodeError> {
    use VariantScalarTypeId as T;
    let raw = |x: f64| (x - scaling.offset) / scaling.gain;
    let range = || EncodeError::OutOfRange(v.display(6), ty);
    let int = |lo: f64, hi: f64| -> Result<i128, EncodeError> {
        let x = match v {
            Value::F64(f) => raw(*f).round(),
            Value::I64(i) if scaling.is_identity() => return Ok(i128::from(*i)),
            Value::I64(i) => raw(*i as f64).round(),
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Str(_) => return Err(EncodeError::WrongKind("string", ty)),
        };
        if x.is_finite() && (lo..=hi).contains(&x) {
            Ok(x as i128)
        } else {
            Err(range())
        }
    };
    let fit = |x: i128, lo: i128, hi: i128| if (lo..=hi).contains(&x) { Ok(x) } else { Err(range()) };
    Ok(match ty {
        T::Boolean => match v {
            Value::Bool(b) => Variant::Boolean(*b),
            Value::I64(i @ (0 | 1)) => Variant::Boolean(*i == 1),
            Value::Str(_) => return Err(EncodeError::WrongKind("string", ty)),
            _ => return Err(range()),
        },
        T::SByte => Variant::SByte(fit(int(-128.0, 127.0)?, -128, 127)? as i8),
        T::Byte => Variant::Byte(fit(int(0.0, 255.0)?, 0, 255)? as u8),
        T::Int16 => Variant::Int16(fit(int(-32768.0, 32767.0)?, -32768, 32767)? as i16),
        T::UInt16 => Variant::UInt16(fit(int(0.0, 65535.0)?, 0, 65535)? as u16),
        T::Int32 => Variant::Int32(fit(int(-2.2e9, 2.2e9)?, i128::from(i32::MIN), i128::from(i32::MAX))? as i32),
        T::UInt32 => Variant::UInt32(fit(int(0.0, 4.3e9)?, 0, i128::from(u32::MAX))? as u32),
        T::Int64 => Variant::Int64(fit(int(-9.3e18, 9.3e18)?, i128::from(i64::MIN), i128::from(i64::MAX))? as i64),
        T::UInt64 => Variant::UInt64(fit(int(0.0, 1.9e19)?, 0, i128::from(u64::MAX))? as u64),
        T::Float | T::Double => {
            let x = match v {
                Value::F64(f) => raw(*f),
                Value::I64(i) => raw(*i as f64),
                Value::Bool(_) => return Err(EncodeError::WrongKind("boolean", ty)),
                Value::Str(_) => return Err(EncodeError::WrongKind("string", ty)),
            };
            if !x.is_finite() {
                return Err(range());
            }
            if ty == T::Float {
                Variant::Float(x as f32)
            } else {
                Variant::Double(x)
            }
        }
        T::String => match v {
            Value::Str(s) => Variant::String(s.as_ref().into()),
            _ => return Err(EncodeError::WrongKind("number", ty)),
        },
        _ => return Err(EncodeError::WrongKind("value", ty)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_keep_their_reason() {
        assert_eq!(status_quality(StatusCode::Good), Quality::Good);
        assert_eq!(status_quality(StatusCode::UncertainLastUsableValue), Quality::Uncertain);
        assert_eq!(
            status_quality(StatusCode::BadSensorFailure),
            Quality::Bad(BadReason::SensorFail)
        );
        assert_eq!(
            status_quality(StatusCode::BadNodeIdUnknown),
            Quality::Bad(BadReason::ConfigError)
        );
        assert_eq!(
            status_quality(StatusCode::BadCommunicationError),
            Quality::Bad(BadReason::CommFail)
        );
        assert_eq!(
            status_quality(StatusCode::BadWaitingForInitialData),
            Quality::Bad(BadReason::WaitingForData)
        );
        assert_eq!(
            status_quality(StatusCode::BadOutOfRange),
            Quality::Bad(BadReason::OutOfRange)
        );
    }

    #[test]
    fn variants_convert_by_tag_kind() {
        let id = Scaling::default();
        assert_eq!(
            variant_to_value(&Variant::Float(1.5), ValueKind::F64, id),
            Ok(Value::F64(1.5))
        );
        assert_eq!(
            variant_to_value(&Variant::UInt16(42), ValueKind::I64, id),
            Ok(Value::I64(42))
        );
        assert_eq!(
            variant_to_value(&Variant::Int32(250), ValueKind::F64, Scaling { gain: 0.1, offset: 0.0 }),
            Ok(Value::F64(25.0))
        );
        assert_eq!(
            variant_to_value(&Variant::String("AUTO".into()), ValueKind::String, id),
            Ok(Value::str("AUTO"))
        );
        assert_eq!(
            variant_to_value(&Variant::String("AUTO".into()), ValueKind::F64, id),
            Err(Quality::Bad(BadReason::ConfigError))
        );
        assert_eq!(
            variant_to_value(&Variant::Empty, ValueKind::F64, id),
            Err(Quality::Bad(BadReason::SensorFail))
        );
    }

    #[test]
    fn writes_take_the_node_type() {
        use VariantScalarTypeId as T;
        let id = Scaling::default();
        assert_eq!(
            value_to_variant(&Value::F64(52.5), T::Float, id),
            Ok(Variant::Float(52.5))
        );
        assert_eq!(
            value_to_variant(&Value::F64(52.4), T::Int16, id),
            Ok(Variant::Int16(52))
        );
        assert_eq!(value_to_variant(&Value::I64(-1), T::Int64, id), Ok(Variant::Int64(-1)));
        assert!(value_to_variant(&Value::I64(70_000), T::UInt16, id).is_err());
        assert!(value_to_variant(&Value::I64(-1), T::UInt32, id).is_err());
        assert!(value_to_variant(&Value::str("x"), T::Double, id).is_err());
        assert_eq!(
            value_to_variant(&Value::Bool(true), T::Boolean, id),
            Ok(Variant::Boolean(true))
        );
        let tenths = Scaling { gain: 0.1, offset: 0.0 };
        assert_eq!(
            value_to_variant(&Value::F64(52.5), T::UInt16, tenths),
            Ok(Variant::UInt16(525))
        );
    }

    #[test]
    fn bad_values_are_not_shown_as_live() {
        let dv = DataValue {
            value: Some(Variant::Double(12.0)),
            status: Some(StatusCode::BadSensorFailure),
            ..DataValue::default()
        };
        let s = sample(TagId(3), &dv, ValueKind::F64, Scaling::default(), Timestamp(7));
        assert_eq!(
            (s.value, s.quality, s.source_ts),
            (None, Quality::Bad(BadReason::SensorFail), Timestamp(7))
        );
        let dv = DataValue {
            value: Some(Variant::Double(12.0)),
            status: Some(StatusCode::UncertainLastUsableValue),
            ..DataValue::default()
        };
        let s = sample(TagId(3), &dv, ValueKind::F64, Scaling::default(), Timestamp(7));
        assert_eq!((s.value, s.quality), (Some(Value::F64(12.0)), Quality::Uncertain));
    }
}
