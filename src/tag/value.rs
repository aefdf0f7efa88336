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
