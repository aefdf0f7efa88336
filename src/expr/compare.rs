//! Comparison operators and the one-tag comparison (`TAG OP VALUE`) that alarm suppression, screen states
//! and trip conditions use.
//!
//! Owns what `==`, `<`, … mean on tag values. Lives in the expression room because every condition
//! language of the project (alarm `suppress_when`, a screen's `running = "…"`, trip `when`, calculated
//! tags) compares the same way; alarms and trips import it from here and not from each other.

use crate::tag::{TagId, Value};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// As written in the files.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `a OP b` holds, given how `a` orders against `b`.
    pub fn holds(self, ord: Ordering) -> bool {
        use Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// `TAG OP VALUE`, e.g. `esp01/running == false`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub tag: TagId,
    pub op: CmpOp,
    pub value: Value,
}

impl Comparison {
    /// `None` when it cannot be decided (bad quality, no value, a string against a number).
    pub fn holds(&self, v: Option<&Value>) -> Option<bool> {
        let v = v?;
        let ord = match (v, &self.value) {
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (a, b) => a.as_f64()?.partial_cmp(&b.as_f64()?)?,
        };
        Some(self.op.holds(ord))
    }
}
