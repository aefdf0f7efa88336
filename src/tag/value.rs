//! Typed tag values.

use serde::{Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// A tag's value. Strings are shared (`Arc<str>`) so that snapshots clone in O(1) per tag.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    F64(f64),
    I64(i64),
    Bool(bool),
    Str(Arc<str>),
}

impl Value {
    /// Numeric view used by range checks, trends and alarms; `None` for strings.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::F64(v) => Some(*v),
            Value::I64(v) => Some(*v as f64),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Str(_) => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::I64(v) => Some(*v != 0),
            Value::F64(v) => Some(*v != 0.0),
            Value::Str(_) => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// Whether `read`, a device's answer to writing `self`, is the value written: numbers within the
    /// precision a device may keep them in (a 32-bit float reads 52.3 back as 52.299999), anything else equal.
    pub fn reads_back_as(&self, read: &Value) -> bool {
        match (self.as_f64(), read.as_f64()) {
            (Some(a), Some(b)) if !matches!(self, Value::Str(_)) => (a - b).abs() <= 1e-5 * a.abs().max(1.0),
            _ => self == read,
        }
    }

    /// Text for the screen with `decimals` places for floats.
    pub fn display(&self, decimals: usize) -> String {
        match self {
            Value::F64(v) if v.is_finite() => format!("{v:.decimals$}"),
            Value::F64(v) => format!("{v}"),
            Value::I64(v) => v.to_string(),
            Value::Bool(true) => "ON".to_owned(),
            Value::Bool(false) => "OFF".to_owned(),
            Value::Str(s) => s.to_string(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(3))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // JSON has no NaN/inf: a non-finite float is written as null rather than breaking the document.
            Value::F64(v) if v.is_finite() => s.serialize_f64(*v),
            Value::F64(_) => s.serialize_none(),
            Value::I64(v) => s.serialize_i64(*v),
            Value::Bool(v) => s.serialize_bool(*v),
            Value::Str(v) => s.serialize_str(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_reads_back_as_the_device_stores_it() {
        // Sparkplug Float metrics and OPC UA Float nodes keep about 7 significant digits.
        assert!(Value::F64(52.3).reads_back_as(&Value::F64(f64::from(52.3f32))));
        assert!(!Value::F64(52.3).reads_back_as(&Value::F64(52.4)));
        assert!(Value::Bool(true).reads_back_as(&Value::Bool(true)));
        assert!(!Value::str("A").reads_back_as(&Value::str("B")));
    }
}
